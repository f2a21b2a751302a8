import numpy as np
from scipy.optimize import linprog

from skstruct._backend._l1_regression import l1_regression_rows


def _lp_l1(x, V):
    p, r = V.shape
    c = np.r_[np.zeros(r), np.ones(p)]
    A = np.block([[V, -np.eye(p)], [-V, -np.eye(p)]])
    res = linprog(c, A_ub=A, b_ub=np.r_[x, -x], bounds=[(None, None)] * r + [(0, None)] * p)
    return res.fun


def test_exact_under_sparse_corruption():
    rng = np.random.default_rng(0)
    V, _ = np.linalg.qr(rng.standard_normal((50, 6)))
    Z0 = 3 * rng.standard_normal((40, 6))
    X = Z0 @ V.T
    corrupt = rng.random(X.shape) < 0.1
    X[corrupt] += rng.uniform(-30, 30, corrupt.sum())
    np.testing.assert_allclose(l1_regression_rows(X, V), Z0, atol=1e-8)


def test_objective_close_to_linear_program():
    rng = np.random.default_rng(1)
    V, _ = np.linalg.qr(rng.standard_normal((30, 4)))
    X = rng.standard_normal((5, 4)) @ V.T + 0.3 * rng.standard_normal((5, 30))
    Z = l1_regression_rows(X, V)
    for i in range(5):
        ours = np.abs(X[i] - V @ Z[i]).sum()
        assert ours <= _lp_l1(X[i], V) * (1 + 1e-3)


def test_mask_ignores_entries_and_rows_are_independent():
    rng = np.random.default_rng(2)
    V, _ = np.linalg.qr(rng.standard_normal((40, 3)))
    Z0 = rng.standard_normal((10, 3))
    X = Z0 @ V.T
    mask = rng.random(X.shape) > 0.3
    X_bad = np.where(mask, X, 1e6)
    Z = l1_regression_rows(X_bad, V, mask=mask)
    np.testing.assert_allclose(Z, Z0, atol=1e-8)
    np.testing.assert_allclose(l1_regression_rows(X_bad[3:5], V, mask=mask[3:5]), Z[3:5])
