"""The logistic datafit of the coordinate-descent driver, against independent references.

Objective ``sum_i sw_i log(1 + exp(-y_i (x_i w + b))) / n + pen(w)``: scikit-learn's
``LogisticRegression`` with ``C = 1 / (n alpha)`` (no intercept: the same problem) and
scipy's L-BFGS on a smooth reformulation for tiny problems with an intercept.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit

from _logistic_problems import make_data as _data
from _logistic_problems import objective as _objective
from _logistic_problems import scipy_optimum
from skstruct._backend._cd import cd_solve, prepare_design, prepare_logistic_design
from skstruct._backend._penalties import MCP, L1, ElasticNetPenalty


def _kkt(X, y, sw, w, b, alpha, fit_intercept, scaled=False):
    """Largest violation of the l1 optimality conditions (gradient units; with
    ``scaled``, each over the square root of its coordinate's curvature bound
    ``sum_i sw_i x_ij^2 / (4 n)``, the driver's unit)."""
    n = X.shape[0]
    sw = np.ones(n) if sw is None else sw
    r = sw * y * expit(-y * (X @ w + b))
    g = -X.T @ r / n
    viol = np.where(w != 0, np.abs(g + alpha * np.sign(w)), np.maximum(np.abs(g) - alpha, 0))
    if scaled:
        viol = viol / np.sqrt(sw @ X ** 2 / (4 * n))
    out = viol.max()
    if fit_intercept:
        vb = abs(r.sum() / n)
        out = max(out, vb / np.sqrt(sw.sum() / (4 * n)) if scaled else vb)
    return out


def _spec(pen, d, fit_intercept):
    wts = np.ones(d.n_features)
    if fit_intercept:
        wts[-1] = 0.0
    pen.weights = wts
    return pen.spec(d.n_features)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weights", [False, True])
def test_l1_no_intercept_matches_liblinear_and_gap(sparse, weights):
    from sklearn.linear_model import LogisticRegression

    X, y, sw = _data(weights=weights)
    n = X.shape[0]
    alpha = 0.03
    tol = 1e-10
    d = prepare_logistic_design(sp.csc_matrix(X) if sparse else X, y, sample_weight=sw,
                                fit_intercept=False)
    res = cd_solve(d, L1(alpha).spec(d.n_features), tol=tol, max_iter=1000)
    assert res.converged
    # the reported gap bounds the suboptimality and meets the tolerance
    assert res.dual_gap <= tol * np.log(2)
    ref = LogisticRegression(C=1.0 / (n * alpha), l1_ratio=1.0, solver="liblinear",
                             fit_intercept=False, tol=1e-12, max_iter=100_000)
    ref.fit(X, y, sample_weight=sw)
    P = _objective(X, y, sw, res.coef, 0.0, alpha)
    P_ref = _objective(X, y, sw, ref.coef_.ravel(), 0.0, alpha)
    # our point is within the gap of the optimum, so no reference can be lower by more
    assert P <= P_ref + res.dual_gap + 1e-15
    # the gap is a true bound: recompute it from the returned coefficients
    r = (np.ones(n) if sw is None else sw) * y * expit(-y * (X @ res.coef))
    c = min(1.0, alpha / np.abs(X.T @ r / n).max())
    t = c * expit(-y * (X @ res.coef))
    ent = np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0) + (1 - t) * np.log1p(-t)
    dual = -(np.ones(n) if sw is None else sw) @ ent / n
    assert P - dual == pytest.approx(res.dual_gap, abs=1e-12)
    # strong convexity on the support bounds the coefficient error by the gap
    assert np.abs(res.coef - ref.coef_.ravel()).max() < 1e-3
    assert _kkt(X, y, sw, res.coef, 0.0, alpha, False) < 1e-4


@pytest.mark.parametrize("sparse", [False, True])
def test_l1_with_intercept_matches_scipy(sparse):
    """Unpenalised intercept as its own coordinate: the optimum of a smooth
    reformulation (w = u - v, u, v >= 0) found by L-BFGS-B."""
    X, y, sw = _data(n=60, p=6, seed=1, weights=True)
    n, p = X.shape
    alpha = 0.02
    d = prepare_logistic_design(sp.csr_matrix(X) if sparse else X, y, sample_weight=sw)
    res = cd_solve(d, _spec(L1(alpha), d, True), tol=1e-12, max_iter=1000)
    assert res.converged
    w, b = res.coef[:p], res.coef[p]

    opt = scipy_optimum(X, y, sw, alpha, gtol=1e-12)
    P = _objective(X, y, sw, w, b, alpha)
    assert P <= opt.fun + 1e-10
    # the stopping rule holds at the returned point (recomputed here up to rounding)
    assert res.kkt <= 1e-12 * np.sqrt(np.log(2))
    assert _kkt(X, y, sw, w, b, alpha, True, scaled=True) == pytest.approx(res.kkt, abs=1e-13)
    np.testing.assert_allclose(w, opt.x[:p] - opt.x[p:2 * p], atol=1e-4)


def test_enet_gap_and_kkt():
    X, y, _ = _data(seed=2)
    n = X.shape[0]
    alpha, l1 = 0.05, 0.5
    d = prepare_logistic_design(X, y, fit_intercept=False)
    res = cd_solve(d, ElasticNetPenalty(alpha, l1).spec(d.n_features), tol=1e-10, max_iter=1000)
    assert res.converged and res.dual_gap <= 1e-10 * np.log(2)
    w = res.coef
    r = y * expit(-y * (X @ w))
    g = -X.T @ r / n + alpha * (1 - l1) * w
    viol = np.where(w != 0, np.abs(g + alpha * l1 * np.sign(w)),
                    np.maximum(np.abs(g) - alpha * l1, 0))
    assert viol.max() < 1e-4


def test_mcp_stationary():
    X, y, _ = _data(seed=3)
    n = X.shape[0]
    alpha, gamma = 0.05, 3.0
    d = prepare_logistic_design(X, y)
    tol = 1e-8
    res = cd_solve(d, _spec(MCP(alpha, gamma), d, True), tol=tol, max_iter=1000)
    assert res.converged and np.isnan(res.dual_gap)
    p = X.shape[1]
    w, b = res.coef[:p], res.coef[p]
    r = y * expit(-y * (X @ w + b))
    g = -X.T @ r / n
    dpen = np.where(np.abs(w) < alpha * gamma, alpha * np.sign(w) - w / gamma, 0.0)
    viol = np.where(w != 0, np.abs(g + dpen), np.maximum(np.abs(g) - alpha, 0))
    assert max(viol.max(), abs(r.sum() / n)) <= tol * np.sqrt(np.log(2)) + 1e-13


def test_anderson_and_screening_do_not_change_the_solution():
    X, y, _ = _data(seed=4)
    d = prepare_logistic_design(X, y, fit_intercept=False)
    spec = L1(0.02).spec(d.n_features)
    a = cd_solve(d, spec, tol=1e-12, max_iter=1000)
    b = cd_solve(d, spec, tol=1e-12, max_iter=1000, anderson=False, screen=False)
    np.testing.assert_allclose(a.coef, b.coef, atol=1e-5)


def test_gram_storage_refused():
    X, y, _ = _data()
    with pytest.raises(ValueError, match="Gram"):
        prepare_logistic_design(X, y, gram=True)


def test_quadratic_design_unchanged():
    """The quadratic entry points keep working (regression guard for the datafit switch)."""
    X, y, _ = _data()
    d = prepare_design(X, y)
    res = cd_solve(d, L1(0.05).spec(X.shape[1]), tol=1e-10)
    assert res.converged and res.dual_gap <= 1e-10 * d.yty_n


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("sparse", [False, True])
def test_gap_certifies_the_objective(fit_intercept, l1_ratio, sparse):
    """The CD route's duality gap, with the intercept's constraint when there is one,
    bounds P - P* (P* by scipy) at every tolerance, and the solver stops on it."""
    X, y, sw = _data(n=60, p=6, seed=5, weights=True)
    p = X.shape[1]
    alpha = 0.02
    P_star = scipy_optimum(X, y, sw, alpha, l1_ratio, fit_intercept).fun
    d = prepare_logistic_design(sp.csc_matrix(X) if sparse else X, y, sample_weight=sw,
                                fit_intercept=fit_intercept)
    pen = L1(alpha) if l1_ratio == 1.0 else ElasticNetPenalty(alpha, l1_ratio)
    for tol in [1e-2, 1e-4, 1e-8]:
        res = cd_solve(d, _spec(pen, d, fit_intercept), tol=tol, max_iter=1000)
        assert res.converged and np.isfinite(res.dual_gap)
        assert res.dual_gap <= tol * np.log(2)
        b = res.coef[p] if fit_intercept else 0.0
        P = _objective(X, y, sw, res.coef[:p], b, alpha, l1_ratio)
        assert -1e-12 <= P - P_star <= res.dual_gap + 1e-12
