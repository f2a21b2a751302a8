import numpy as np
import pytest
from scipy.optimize import linprog

from skstruct._backend._l1_regression import l1_regression_irls, l1_regression_rows


def _lp_l1(x, V):
    # the LAD problem as an LP in (z, t): min sum t  s.t.  -t <= x - V z <= t
    p, r = V.shape
    c = np.r_[np.zeros(r), np.ones(p)]
    A = np.block([[V, -np.eye(p)], [-V, -np.eye(p)]])
    res = linprog(c, A_ub=A, b_ub=np.r_[x, -x], bounds=[(None, None)] * r + [(0, None)] * p,
                  method="highs", options={"primal_feasibility_tolerance": 1e-10,
                                           "dual_feasibility_tolerance": 1e-10})
    return res.fun


def _obj(X, V, Z):
    return np.abs(X - Z @ V.T).sum(axis=1)


@pytest.mark.parametrize("solver", [l1_regression_rows, l1_regression_irls])
def test_exact_under_sparse_corruption(solver):
    rng = np.random.default_rng(0)
    V, _ = np.linalg.qr(rng.standard_normal((50, 6)))
    Z0 = 3 * rng.standard_normal((40, 6))
    X = Z0 @ V.T
    corrupt = rng.random(X.shape) < 0.1
    X[corrupt] += rng.uniform(-30, 30, corrupt.sum())
    np.testing.assert_allclose(solver(X, V), Z0, atol=1e-8)


def test_objective_close_to_linear_program():
    rng = np.random.default_rng(1)
    V, _ = np.linalg.qr(rng.standard_normal((30, 4)))
    X = rng.standard_normal((5, 4)) @ V.T + 0.3 * rng.standard_normal((5, 30))
    Z = l1_regression_irls(X, V)
    for i in range(5):
        ours = np.abs(X[i] - V @ Z[i]).sum()
        assert ours <= _lp_l1(X[i], V) * (1 + 1e-3)


@pytest.mark.parametrize("kind", ["gaussian", "integer ties"])
def test_vertex_descent_reaches_the_lp_optimum(kind):
    # dense noise (no exact recovery): the optimum is only known from the LP;
    # integer data with a zero feature makes many residuals tie (degenerate vertices)
    rng = np.random.default_rng(3)
    V, _ = np.linalg.qr(rng.standard_normal((40, 8)))
    if kind == "gaussian":
        X = rng.standard_normal((12, 8)) @ V.T + 0.5 * rng.standard_normal((12, 40))
    else:
        V[0] = 0.0
        X = np.round(4 * rng.random((12, 40)))
        X[:, 0] = 0.0
    Z = l1_regression_rows(X, V)
    ours = _obj(X, V, Z)
    lp = np.array([_lp_l1(x, V) for x in X])
    np.testing.assert_allclose(ours, lp, rtol=1e-8)
    assert np.all(ours <= _obj(X, V, l1_regression_irls(X, V)) * (1 + 1e-12))


def test_fallback_rows_use_irls():
    rng = np.random.default_rng(4)
    V, _ = np.linalg.qr(rng.standard_normal((20, 5)))
    X = rng.standard_normal((6, 5)) @ V.T + rng.standard_normal((6, 20))
    mask = np.ones(X.shape, bool)
    mask[0, 4:] = False  # four observed entries for five unknowns: no vertex
    Z = l1_regression_rows(X, V, mask=mask)
    np.testing.assert_allclose(Z[0], l1_regression_irls(X[:1], V, mask=mask[:1])[0])
    # no step allowed: every row that is not optimal at its first vertex falls back
    Z0 = l1_regression_rows(X[1:], V, max_steps=0)
    irls = l1_regression_irls(X[1:], V)
    first_vertex_optimal = np.isclose(_obj(X[1:], V, Z0), _obj(X[1:], V, Z[1:]), rtol=1e-12)
    np.testing.assert_allclose(Z0[~first_vertex_optimal], irls[~first_vertex_optimal])


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


@pytest.mark.parametrize("masked", [False, True])
def test_threads_over_row_blocks_give_the_serial_fit(masked):
    rng = np.random.default_rng(3)
    V, _ = np.linalg.qr(rng.standard_normal((30, 4)))
    X = rng.standard_normal((57, 4)) @ V.T + 0.3 * rng.laplace(size=(57, 30))
    mask = rng.random(X.shape) > 0.2 if masked else None
    serial = l1_regression_rows(X, V, mask=mask)
    for n_jobs in (2, 3, -1):
        threaded = l1_regression_rows(X, V, mask=mask, n_jobs=n_jobs)
        # each row is its own LP with a unique optimum (continuous data): the
        # same vertex, up to the rounding of its r x r solve
        np.testing.assert_allclose(threaded, serial, rtol=1e-9, atol=1e-12)
    if not masked:
        lp = np.array([_lp_l1(x, V) for x in X[:10]])
        np.testing.assert_allclose(_obj(X[:10], V, threaded[:10]), lp, rtol=1e-8)


def test_degenerate_integer_rows_reach_the_lp_optimum_without_fallback(monkeypatch):
    # corrupted digits on the leading right singular vectors of clean digits:
    # integer pixels, many zero residuals and near-null rows of V (pixels that
    # are always blank). Rows 1589 and 1640 cycle among degenerate bases
    # without the perturbation; none may fall back to IRLS.
    from sklearn.datasets import load_digits

    import skstruct._backend._l1_regression as mod

    X, _ = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    hit = rng.random(X.shape) < 0.2
    Xc = X.copy()
    Xc[hit] = rng.choice([0.0, 16.0], hit.sum())
    rows = Xc[[1589, 1640, 0, 1, 2]]

    def no_fallback(*args, **kwargs):
        raise AssertionError("a row fell back to IRLS")

    monkeypatch.setattr(mod, "l1_regression_irls", no_fallback)
    for k in (3, 5):
        V = np.ascontiguousarray(np.linalg.svd(X[:600], full_matrices=False)[2][:k].T)
        Z = l1_regression_rows(rows, V)
        lp = np.array([_lp_l1(x, V) for x in rows])
        np.testing.assert_allclose(_obj(rows, V, Z), lp, rtol=1e-8)
