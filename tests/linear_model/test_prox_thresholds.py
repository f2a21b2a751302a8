"""Vectorised thresholds of _backend._prox against the exact 1-D proxes and brute force."""

import numpy as np
import pytest

from skstruct._backend._penalties import MCP_CODE, SCAD_CODE, pen_value_1d, prox_1d
from skstruct._backend._prox import (
    group_soft_threshold,
    hard_threshold,
    mcp_threshold,
    scad_threshold,
)

Z = np.linspace(-6, 6, 241)


@pytest.mark.parametrize("step", [0.5, 1.0])
def test_mcp_and_scad_match_exact_prox(step):
    alpha = 0.8
    got = mcp_threshold(Z, alpha, 3.0, step)
    ref = [prox_1d(MCP_CODE, alpha, 3.0, float(z), step, False) for z in Z]
    np.testing.assert_allclose(got, ref, atol=1e-12)
    got = scad_threshold(Z, alpha, 3.7, step)
    ref = [prox_1d(SCAD_CODE, alpha, 3.7, float(z), step, False) for z in Z]
    np.testing.assert_allclose(got, ref, atol=1e-12)


def test_exact_prox_is_global_minimiser():
    grid = np.linspace(-8, 8, 160001)
    for code, gamma in [(MCP_CODE, 0.7), (MCP_CODE, 3.0), (SCAD_CODE, 1.6), (SCAD_CODE, 3.7)]:
        pen = np.vectorize(lambda t: pen_value_1d(code, 1.0, gamma, t))(grid)
        for z in [-3.1, -1.2, 0.4, 1.05, 2.2, 5.0]:
            x = prox_1d(code, 1.0, gamma, z, 1.0, False)
            obj = (x - z) ** 2 / 2 + pen_value_1d(code, 1.0, gamma, x)
            assert obj <= np.min((grid - z) ** 2 / 2 + pen) + 1e-9


def test_hard_and_group_thresholds():
    np.testing.assert_array_equal(hard_threshold(np.array([-2.0, 0.5, 1.5]), 1.0), [-2, 0, 1.5])
    x = np.array([[3.0, 4.0], [0.3, 0.4]])
    out = group_soft_threshold(x, 1.0)
    np.testing.assert_allclose(out, [[2.4, 3.2], [0.0, 0.0]])
    with pytest.raises(ValueError, match="gamma"):
        mcp_threshold(Z, 1.0, 0.5)
    with pytest.raises(ValueError, match="gamma"):
        scad_threshold(Z, 1.0, 1.5)
