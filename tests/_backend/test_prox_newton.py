"""Working-set prox-Newton for the l1 / elastic-net logistic regression, against
independent references: scikit-learn's liblinear (no intercept: the same problem),
scipy's L-BFGS-B on a smooth reformulation (tiny problems, with an intercept), the
first-order conditions, weak duality at arbitrary points, row repetition."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit, xlog1py, xlogy

from _logistic_problems import make_data as _data
from _logistic_problems import objective as _objective
from _logistic_problems import scipy_optimum
from skstruct._backend._cd import logistic_gap, prepare_logistic_design
from skstruct._backend._penalties import L1, MCP, ElasticNetPenalty
from skstruct._backend._prox_newton import prox_newton_solve

LOG2 = np.log(2.0)


def _violation(X, y, sw, w, b, alpha, l1_ratio, fit_intercept):
    """Largest violation of the elastic-net first-order conditions (gradient units)."""
    n = X.shape[0]
    sw = np.ones(n) if sw is None else sw
    r = sw * y * expit(-y * (X @ w + b))
    g = -X.T @ r / n + alpha * (1 - l1_ratio) * w
    a = alpha * l1_ratio
    v = np.where(w != 0, np.abs(g + a * np.sign(w)), np.maximum(np.abs(g) - a, 0)).max()
    return max(v, abs(r.sum()) / n) if fit_intercept else v


def _spec(pen, m, fit_intercept):
    wts = np.ones(m)
    if fit_intercept:
        wts[-1] = 0.0
    pen.weights = wts
    return pen.spec(m)


def _gap_by_hand(X, y, sw, w, b, alpha, l1_ratio, fit_intercept):
    """The duality gap written from the math (module docstring of _prox_newton), for an
    independent evaluation: dual point from t = sigma(-y z), made to satisfy
    sum_i theta_i = 0 by the shift t - y s where it stays in [0, 1], else by scaling
    the heavier class, then scaled into the box."""
    n = X.shape[0]
    sw = np.ones(n) if sw is None else sw
    t = expit(-y * (X @ w + b))
    if fit_intercept:
        s = sw @ (y * t) / n
        if 0 <= (t - y * s).min() and (t - y * s).max() <= 1:
            t = t - y * s
        else:
            sp_, sn = sw[y > 0] @ t[y > 0], sw[y < 0] @ t[y < 0]
            t = np.where(y > 0, t * min(1, sn / sp_), t * min(1, sp_ / sn))
        assert abs(sw @ (y * t)) <= 1e-12 * n
    theta = sw * y * t / n
    a1, a2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    corr = np.abs(X.T @ theta)
    c = min(1.0, a1 / corr.max()) if a2 == 0 else 1.0
    tc = c * t
    conj = np.sum(np.maximum(c * corr - a1, 0) ** 2 / (2 * a2)) if a2 > 0 else 0.0
    dual = -sw @ (xlogy(tc, tc) + xlog1py(1 - tc, -tc)) / n - conj
    return _objective(X, y, sw, w, b, alpha, l1_ratio) - dual


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weights", [False, True])
def test_l1_no_intercept_matches_liblinear(sparse, weights):
    from sklearn.linear_model import LogisticRegression

    X, y, sw = _data(weights=weights)
    n = X.shape[0]
    alpha, tol = 0.03, 1e-10
    d = prepare_logistic_design(sp.csc_matrix(X) if sparse else X, y, sample_weight=sw,
                                fit_intercept=False)
    res = prox_newton_solve(d, L1(alpha).spec(d.n_features), tol=tol)
    assert res.converged and res.dual_gap <= tol * LOG2
    P = _objective(X, y, sw, res.coef, 0.0, alpha)
    # the reported gap is the one of the returned point, written out independently
    assert _gap_by_hand(X, y, sw, res.coef, 0.0, alpha, 1.0, False) == pytest.approx(
        res.dual_gap, abs=1e-13)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LogisticRegression(C=1.0 / (n * alpha), l1_ratio=1.0, solver="liblinear",
                                 fit_intercept=False, tol=1e-12, max_iter=100_000)
        ref.fit(X, y, sample_weight=sw)
    # within the gap of the optimum: no reference can be lower by more than the gap
    assert P <= _objective(X, y, sw, ref.coef_.ravel(), 0.0, alpha) + res.dual_gap + 1e-15
    np.testing.assert_allclose(res.coef, ref.coef_.ravel(), atol=1e-4)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.6])
def test_gap_with_intercept_against_scipy(sparse, l1_ratio):
    """With an unpenalised intercept the gap (dual constraint sum theta = 0) is
    certified: P - P* <= gap <= tol log 2, P* from scipy."""
    X, y, sw = _data(n=60, p=6, seed=1, weights=True)
    p = X.shape[1]
    alpha, tol = 0.02, 1e-11
    d = prepare_logistic_design(sp.csr_matrix(X) if sparse else X, y, sample_weight=sw)
    pen = L1(alpha) if l1_ratio == 1 else ElasticNetPenalty(alpha, l1_ratio)
    res = prox_newton_solve(d, _spec(pen, d.n_features, True), fit_intercept=True, tol=tol)
    assert res.converged and res.dual_gap <= tol * LOG2
    w, b = res.coef[:p], res.coef[p]
    P = _objective(X, y, sw, w, b, alpha, l1_ratio)
    P_ref = scipy_optimum(X, y, sw, alpha, l1_ratio).fun
    assert P - P_ref <= res.dual_gap + 1e-15
    assert _gap_by_hand(X, y, sw, w, b, alpha, l1_ratio, True) == pytest.approx(
        res.dual_gap, abs=1e-13)
    # the gap bounds the violation of the first-order conditions through the dual's
    # strong convexity (sqrt of the gap, up to the data scale)
    assert _violation(X, y, sw, w, b, alpha, l1_ratio, True) <= 10 * np.sqrt(res.dual_gap)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_gap_is_an_upper_bound_anywhere(l1_ratio):
    """Weak duality at arbitrary (w, b), the intercept far from its optimum, and at the
    optimum without intercept: the gap formula bounds P(w, b) - P* (ignoring the
    intercept's dual constraint does not: at the latter point it certifies the model
    without intercept, not this one)."""
    X, y, sw = _data(n=50, p=5, seed=2, weights=True)
    n, p = X.shape
    alpha = 0.03
    P_star = scipy_optimum(X, y, sw, alpha, l1_ratio).fun
    d = prepare_logistic_design(X, y, sample_weight=sw)
    wts = np.r_[np.ones(p), 0.0]
    rng = np.random.RandomState(0)
    d0 = prepare_logistic_design(X, y, sample_weight=sw, fit_intercept=False)
    pen = L1(alpha) if l1_ratio == 1 else ElasticNetPenalty(alpha, l1_ratio)
    w_noint = prox_newton_solve(d0, pen.spec(p), tol=1e-12).coef
    points = [(w_noint, 0.0)] + [(rng.randn(p) * (rng.rand(p) < 0.6), 3.0 * rng.randn())
                                 for _ in range(20)]
    naive_fails = 0
    for w, b in points:
        z = X @ w + b
        t = expit(-y * z)
        g = d.X @ (sw * y * t) / n
        F = sw @ np.logaddexp(0, -y * z) / n
        gap = logistic_gap(F, g, t, y, sw, n, np.r_[w, b], alpha, l1_ratio, wts,
                           d.X @ sw / n, lambda v: d.X @ v / n)
        P = _objective(X, y, sw, w, b, alpha, l1_ratio)
        assert P - P_star <= gap + 1e-12
        assert gap == pytest.approx(_gap_by_hand(X, y, sw, w, b, alpha, l1_ratio, True),
                                    rel=1e-10, abs=1e-13)
        naive = logistic_gap(F, g, t, y, sw, n, np.r_[w, b], alpha, l1_ratio, wts)
        naive_fails += P - P_star > naive + 1e-12
    assert naive_fails > 0  # the constraint matters: the test can tell


def test_first_order_conditions_and_warm_start():
    X, y, _ = _data(n=200, p=80, seed=3)
    alpha, tol = 0.01, 1e-10
    d = prepare_logistic_design(X, y)
    spec = _spec(L1(alpha), d.n_features, True)
    res = prox_newton_solve(d, spec, fit_intercept=True, tol=tol)
    assert res.converged and res.dual_gap <= tol * LOG2
    p = X.shape[1]
    assert _violation(X, y, None, res.coef[:p], res.coef[p], alpha, 1.0, True) < 1e-4
    assert 0 < np.count_nonzero(res.coef[:p]) < p
    again = prox_newton_solve(d, spec, res.coef, fit_intercept=True, tol=tol)
    assert again.n_newton == 0 and np.array_equal(again.coef, res.coef)


def test_row_repetition_is_sample_weight():
    X, y, _ = _data(n=60, p=20, seed=4)
    reps = np.random.RandomState(1).randint(0, 4, X.shape[0])
    kw = dict(tol=1e-12)
    Xr, yr = np.repeat(X, reps, 0), np.repeat(y, reps)
    sw = reps * (X.shape[0] / reps.sum())
    alpha = 0.02
    a = prox_newton_solve(da := prepare_logistic_design(X, y, sample_weight=sw),
                          _spec(L1(alpha), da.n_features, True), fit_intercept=True, **kw)
    b = prox_newton_solve(db := prepare_logistic_design(Xr, yr),
                          _spec(L1(alpha), db.n_features, True), fit_intercept=True, **kw)
    # both gaps <= 1e-12 log 2: the coefficients agree to about sqrt(gap / curvature)
    np.testing.assert_allclose(a.coef, b.coef, atol=1e-5)


def test_sparse_equals_dense():
    X, y, _ = _data(n=150, p=40, seed=5)
    X[np.abs(X) < 0.8] = 0.0
    out = []
    for Xf in (X, sp.csc_matrix(X)):
        d = prepare_logistic_design(Xf, y)
        out.append(prox_newton_solve(d, _spec(ElasticNetPenalty(0.02, 0.7), d.n_features, True),
                                     fit_intercept=True, tol=1e-12))
    np.testing.assert_allclose(out[0].coef, out[1].coef, atol=1e-6)
    assert out[1].dual_gap <= 1e-12 * LOG2


def test_nonconvex_and_positive_refused():
    X, y, _ = _data()
    d = prepare_logistic_design(X, y, fit_intercept=False)
    with pytest.raises(ValueError, match="cd_solve"):
        prox_newton_solve(d, MCP(0.01).spec(d.n_features))
    with pytest.raises(ValueError, match="cd_solve"):
        prox_newton_solve(d, L1(0.01, positive=True).spec(d.n_features))


def test_far_from_origin_with_intercept():
    """Columns near 100 beside the intercept's column of ones: the Newton model
    eliminates the intercept by centring, so a tight gap is reached in a few steps
    (without it the CD on the model crawled: 730000 epochs, gap stuck above 1e-7)."""
    rng = np.random.RandomState(0)
    X = rng.normal(loc=100, size=(80, 2))
    y = np.where(rng.randint(0, 2, 80) > 0, 1.0, -1.0)
    alpha, tol = 1e-3, 1e-10
    d = prepare_logistic_design(X, y)
    res = prox_newton_solve(d, _spec(L1(alpha), d.n_features, True), fit_intercept=True,
                            tol=tol)
    assert res.converged and res.dual_gap <= tol * LOG2 and res.n_epochs < 1000
    P = _objective(X, y, None, res.coef[:2], res.coef[2], alpha)
    assert P - scipy_optimum(X, y, None, alpha).fun <= res.dual_gap + 1e-15
