"""The exact 1-D proxes of MCP and SCAD against brute force."""

import numpy as np
import pytest

from skstruct._backend._penalties import MCP_CODE, SCAD_CODE, pen_value_1d, prox_1d


@pytest.mark.parametrize("step", [0.5, 1.0])
def test_exact_prox_is_global_minimiser(step):
    grid = np.linspace(-8, 8, 160001)
    for code, gamma in [(MCP_CODE, 0.7), (MCP_CODE, 3.0), (SCAD_CODE, 1.6), (SCAD_CODE, 3.7)]:
        pen = np.vectorize(lambda t: pen_value_1d(code, 1.0, gamma, t))(grid)
        for z in [-3.1, -1.2, 0.4, 1.05, 2.2, 5.0]:
            x = prox_1d(code, 1.0, gamma, z, step, False)
            obj = (x - z) ** 2 / (2 * step) + pen_value_1d(code, 1.0, gamma, x)
            assert obj <= np.min((grid - z) ** 2 / (2 * step) + pen) + 1e-9
