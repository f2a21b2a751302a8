"""The shared vector loops against numpy, on partial lengths."""

import numpy as np
from numba import njit

from skstruct._backend import _vector as v

_EPS = np.finfo(np.float64).eps


@njit(cache=True)
def _run(x, y, a, n):
    # the loops are callable from numba only: one driver exercises each
    k = v.argmax_abs(x, n)
    z = y.copy()
    v.axpy(z, a, x, n)
    f = y.copy()
    v.fill(f, a, n)
    c = y.copy()
    v.assign(c, x, n)
    return k, z, f, c


def test_vector_loops_match_numpy():
    rng = np.random.default_rng(0)
    for m, n in [(7, 7), (9, 4), (5, 0), (1, 1)]:
        x = rng.standard_normal(m)
        y = rng.standard_normal(m)
        a = float(rng.standard_normal())
        k, z, f, c = _run(x, y, a, n)
        assert k == (np.argmax(np.abs(x[:n])) if n else 0)
        ez = y.copy()
        ez[:n] += a * x[:n]
        # one multiply and one add: at most two roundings (one if fused)
        assert np.all(np.abs(z - ez) <= 2 * _EPS * (np.abs(y) + np.abs(a * x)))
        ef = y.copy()
        ef[:n] = a
        np.testing.assert_array_equal(f, ef)
        ec = y.copy()
        ec[:n] = x[:n]
        np.testing.assert_array_equal(c, ec)


def test_argmax_abs_takes_the_first_of_ties():
    x = np.array([1.0, -3.0, 3.0, 0.5])
    assert _run(x, x, 1.0, 4)[0] == 1
