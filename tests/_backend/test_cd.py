"""The scalar coordinate-descent driver (skstruct._backend._cd) against independent references.

References: scikit-learn's Lasso / ElasticNet (tight tolerance) for the convex penalties,
first-order stationarity computed here in numpy for MCP / SCAD, the elastic-net duality
gap recomputed from its definition, brute force for the working-set selection and a
direct constrained least-squares solve for the Anderson weights.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import ElasticNet, Lasso

from skstruct._backend._cd import cd_solve, prepare_design
from skstruct._backend._penalties import MCP, SCAD, L1, ElasticNetPenalty
from skstruct._backend._working_set import anderson_weights


def _problem(n=60, p=25, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p)
    X[:, 3] = X[:, 2] + 0.1 * rng.randn(n)  # correlated pair
    w = np.zeros(p)
    w[[0, 2, 7]] = [2.0, -1.5, 1.0]
    y = X @ w + 0.5 * rng.randn(n)
    return X, y


def _designs(X, y):
    return {"dense": prepare_design(X, y), "csc": prepare_design(sp.csc_matrix(X), y),
            "gram": prepare_design(X, y, gram=True)}


@pytest.mark.parametrize("storage", ["dense", "csc", "gram"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.6])
def test_convex_matches_sklearn_and_gap_is_a_gap(storage, l1_ratio):
    X, y = _problem()
    n, p = X.shape
    alpha = 0.05
    d = _designs(X, y)[storage]
    pen = L1(alpha) if l1_ratio == 1.0 else ElasticNetPenalty(alpha, l1_ratio)
    res = cd_solve(d, pen.spec(p), tol=1e-12, max_iter=1000)
    assert res.converged
    ref = (Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=100_000)
           if l1_ratio == 1.0 else
           ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=False, tol=1e-14,
                      max_iter=100_000)).fit(X, y).coef_
    # strong convexity of the problem restricted to the support bounds ||w - w*||^2 by the
    # gap over its smallest curvature; both solutions are within 1e-12 relative gaps
    np.testing.assert_allclose(res.coef, ref, atol=1e-6)
    # the reported gap: primal minus the dual at the rescaled residual, from the definition
    w = res.coef
    r = y - X @ w
    pen_val = alpha * (l1_ratio * np.abs(w).sum() + 0.5 * (1 - l1_ratio) * w @ w)
    primal = r @ r / (2 * n) + pen_val
    g = X.T @ r / n
    c = 1.0
    if l1_ratio == 1.0:
        c = min(1.0, alpha / np.abs(g).max())
    e = np.maximum(np.abs(c * g) - alpha * l1_ratio, 0.0)
    conj = (e ** 2).sum() / (2 * alpha * (1 - l1_ratio)) if l1_ratio < 1 else 0.0
    dual = c * (y @ r) / n - c * c * (r @ r) / (2 * n) - conj
    np.testing.assert_allclose(res.dual_gap, primal - dual, atol=1e-12 * (y @ y / n))
    assert primal - dual >= -1e-12 * (y @ y / n)


def _stationarity(X, y, w, pen):
    """Largest violation dist(-grad_j, subdifferential) of MCP / SCAD, in numpy."""
    n = X.shape[0]
    g = -X.T @ (y - X @ w) / n
    a, gam = pen.alpha, pen.gamma
    aw = np.abs(w)
    s = np.sign(w)
    if isinstance(pen, MCP):
        dpen = np.where(aw < a * gam, a * s - w / gam, 0.0)
    else:
        dpen = np.where(aw <= a, a * s, np.where(aw <= a * gam, (a * gam * s - w) / (gam - 1), 0.0))
    viol = np.where(w != 0, np.abs(g + dpen), np.maximum(np.abs(g) - a, 0.0))
    return viol.max()


@pytest.mark.parametrize("pen", [MCP(0.08, 3.0), SCAD(0.08, 3.7)], ids=["mcp", "scad"])
def test_nonconvex_stationary_and_storages_agree(pen):
    X, y = _problem(seed=1)
    p = X.shape[1]
    sols = {}
    for name, d in _designs(X, y).items():
        res = cd_solve(d, pen.spec(p), tol=1e-12, max_iter=1000)
        assert res.converged and np.isnan(res.dual_gap)
        # the driver's stop: violation / sqrt(L_j) <= tol sqrt(||y||^2 / n)
        scale = np.sqrt(d.lipschitz.max())
        assert _stationarity(X, y, res.coef, pen) <= 1e-12 * np.sqrt(y @ y / len(y)) * scale
        sols[name] = res.coef
    np.testing.assert_allclose(sols["csc"], sols["dense"], atol=1e-9)
    np.testing.assert_allclose(sols["gram"], sols["dense"], atol=1e-9)
    # and it is a local minimum of the objective along every coordinate
    n = X.shape[0]
    w = sols["dense"]
    obj = lambda v: ((y - X @ v) ** 2).sum() / (2 * n) + pen.value(v)  # noqa: E731
    for j in range(p):
        for t in (1e-4, -1e-4):
            v = w.copy()
            v[j] += t
            assert obj(v) >= obj(w) - 1e-12


@pytest.mark.parametrize("storage", ["dense", "csc", "gram"])
def test_random_order_anderson_and_screening_do_not_change_the_solution(storage):
    X, y = _problem(seed=2)
    p = X.shape[1]
    d = _designs(X, y)[storage]
    spec = L1(0.03).spec(p)
    base = cd_solve(d, spec, tol=1e-13, max_iter=1000, anderson=False, screen=False).coef
    for kw in [dict(seed=3), dict(anderson=True), dict(screen=True, seed=0)]:
        np.testing.assert_allclose(cd_solve(d, spec, tol=1e-13, max_iter=1000, **kw).coef,
                                   base, atol=1e-7)


def test_positive_and_weighted_l1_match_sklearn():
    X, y = _problem(seed=3)
    n, p = X.shape
    d = prepare_design(X, y)
    res = cd_solve(d, L1(0.02, positive=True).spec(p), tol=1e-12, max_iter=1000)
    ref = Lasso(alpha=0.02, positive=True, fit_intercept=False, tol=1e-14,
                max_iter=100_000).fit(X, y).coef_
    np.testing.assert_allclose(res.coef, ref, atol=1e-6)
    assert (res.coef >= 0).all()
    # weights v_j: the Lasso on X_j / v_j, coefficients rescaled back
    v = np.linspace(0.5, 2.0, p)
    res = cd_solve(d, L1(0.02, weights=v).spec(p), tol=1e-12, max_iter=1000)
    ref = Lasso(alpha=0.02, fit_intercept=False, tol=1e-14,
                max_iter=100_000).fit(X / v, y).coef_ / v
    np.testing.assert_allclose(res.coef, ref, atol=1e-6)


def test_unpenalised_feature_and_warm_state():
    X, y = _problem(seed=4)
    n, p = X.shape
    d = prepare_design(X, y)
    v = np.ones(p)
    v[5] = 0.0  # unpenalised: stationarity stop, its gradient vanishes
    res = cd_solve(d, L1(0.1, weights=v).spec(p), tol=1e-12, max_iter=1000)
    assert res.converged
    assert abs(X[:, 5] @ (y - X @ res.coef) / n) <= 1e-9
    # a restart from the result and its state moves nothing and stops at once
    again = cd_solve(d, L1(0.1, weights=v).spec(p), res.coef, state=res.states, tol=1e-12)
    np.testing.assert_array_equal(again.coef, res.coef)
    assert again.n_epochs <= 1


def test_anderson_step_solves_the_constrained_least_squares():
    # the driver's weights are scale free (iterates at 1e150 here)
    rng = np.random.RandomState(0)
    W = np.cumsum(rng.randn(6, 30), axis=0) * 1e150
    big = np.abs(np.diff(W, axis=0)).max()
    c = anderson_weights(W)
    U = np.diff(W, axis=0) / big
    # min ||U^T c||^2 s.t. sum c = 1: KKT system [[2 U U^T, 1], [1^T, 0]]
    K = U.shape[0]
    M = np.block([[2 * U @ U.T, np.ones((K, 1))], [np.ones((1, K)), np.zeros((1, 1))]])
    ref = np.linalg.solve(M, np.r_[np.zeros(K), 1.0])[:K]
    np.testing.assert_allclose(c, ref, rtol=1e-6, atol=1e-9)


def _mixed_scale_problem():
    """Unit columns beside one at 1e10 and one constant column at offset 1e5."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6))
    X[:, 0] *= 1e10
    X[:, 5] = 1e5
    y = X[:, 0] * 1e-10 + X[:, 1] + X[:, 2] + 0.01 * rng.normal(size=200)
    return X, y


@pytest.mark.parametrize("storage", ["dense", "csc", "gram"])
def test_columns_are_kept_whatever_the_other_columns_scale(storage):
    # A column's curvature is tested against its own scale: the unit columns beside a
    # 1e10 column are fitted (they used to be dropped as rounding), a column that
    # centring makes constant is still dropped. P(ours) - P* <= our certified gap, and
    # P* <= P(sklearn's solution), an independent solver.
    from skstruct.linear_model import Lasso as OurLasso

    X, y = _mixed_scale_problem()
    Xs = sp.csc_matrix(X) if storage == "csc" else X
    ours = OurLasso(alpha=1e-3, tol=1e-4, max_iter=100000,
                    precompute=storage == "gram").fit(Xs, y)
    ref = Lasso(alpha=1e-3, tol=1e-12, max_iter=100000).fit(X, y)

    def objective(m):
        r = y - X @ m.coef_ - m.intercept_
        return 0.5 * r @ r / len(y) + 1e-3 * np.abs(m.coef_).sum()

    assert np.all(np.abs(ours.coef_[1:3]) > 0.9)
    assert ours.coef_[5] == 0.0
    assert objective(ours) <= objective(ref) + ours.dual_gap_ + 1e-12 * objective(ref)
