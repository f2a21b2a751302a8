"""The shared vector loops against numpy, on partial lengths and CSC-like slices."""

import numpy as np
from numba import njit

from skstruct._backend import _vector as v


@njit(cache=True)
def _run(x, y, a, n, vals, idx, start, stop):
    # the loops are callable from numba only: one driver exercises each
    out = np.empty(4)
    out[0] = v.dot(x, y, n)
    out[1] = v.argmax_abs(x, n)
    out[2] = v.dot_at(vals, idx, y, start, stop)
    z = y.copy()
    v.axpy(z, a, x, n)
    s = y.copy()
    v.scal(s, a, n)
    f = y.copy()
    v.fill(f, a, n)
    c = y.copy()
    v.assign(c, x, n)
    w = y.copy()
    v.axpy_at(w, a, vals, idx, start, stop)
    return out, z, s, f, c, w


_EPS = np.finfo(np.float64).eps


def _sum_bound(terms):
    # rounding of a length-k sum in any order: k eps sum |terms| (Higham, sec. 3.1)
    return (len(terms) + 1) * _EPS * np.abs(terms).sum()


def test_vector_loops_match_numpy():
    rng = np.random.default_rng(0)
    for m, n in [(7, 7), (9, 4), (5, 0), (1, 1)]:
        x = rng.standard_normal(m)
        y = rng.standard_normal(m)
        a = float(rng.standard_normal())
        idx = rng.permutation(m).astype(np.int32)
        vals = rng.standard_normal(m)
        start, stop = min(1, m), max(min(1, m), m - 1)
        out, z, s, f, c, w = _run(x, y, a, n, vals, idx, start, stop)
        assert abs(out[0] - x[:n] @ y[:n]) <= 2 * _sum_bound(x[:n] * y[:n])
        assert out[1] == (np.argmax(np.abs(x[:n])) if n else 0)
        sl = slice(start, stop)
        assert abs(out[2] - vals[sl] @ y[idx[sl]]) <= 2 * _sum_bound(vals[sl] * y[idx[sl]])
        ez = y.copy()
        ez[:n] += a * x[:n]
        # one multiply and one add: at most two roundings (one if fused)
        assert np.all(np.abs(z - ez) <= 2 * _EPS * (np.abs(y) + np.abs(a * x)))
        es = y.copy()
        es[:n] *= a
        np.testing.assert_array_equal(s, es)
        ef = y.copy()
        ef[:n] = a
        np.testing.assert_array_equal(f, ef)
        ec = y.copy()
        ec[:n] = x[:n]
        np.testing.assert_array_equal(c, ec)
        ew = y.copy()
        np.add.at(ew, idx[sl], a * vals[sl])
        assert np.all(np.abs(w - ew) <= 2 * _EPS * (np.abs(y) + np.abs(a * vals).sum()))


def test_argmax_abs_takes_the_first_of_ties():
    x = np.array([1.0, -3.0, 3.0, 0.5])
    out = _run(x, x, 1.0, 4, x, np.arange(4, dtype=np.int32), 0, 0)[0]
    assert out[1] == 1
