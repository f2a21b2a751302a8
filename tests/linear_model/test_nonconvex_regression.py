"""MCP, SCAD and the adaptive Lasso: stationarity, closed forms on orthogonal designs."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn.exceptions import ConvergenceWarning

from skstruct.linear_model import AdaptiveLasso, Lasso, MCPRegressor, SCADRegressor


def _data(n=120, p=40, rho=0.5, seed=0):
    rng = np.random.RandomState(seed)
    cov = rho ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    X = rng.randn(n, p) @ np.linalg.cholesky(cov).T
    w = np.zeros(p)
    w[[0, 5, 10, 20]] = [3.0, -2.0, 1.5, 1.0]
    return X, X @ w + 0.5 * rng.randn(n), w


def _violations(X, y, est, dpen):
    """Independent first-order check: dist(-grad_j, subdifferential of the penalty)."""
    Xc = X - X.mean(0) if est.fit_intercept else X
    yc = y - y.mean() if est.fit_intercept else y
    n = X.shape[0]
    w = est.coef_.astype(float)
    grad = -Xc.T @ (yc - Xc @ w) / n
    out = []
    for g, wj in zip(grad, w):
        lo, hi = dpen(wj)
        out.append(max(0.0, lo + g, -g - hi))  # -g must lie in [lo, hi]
    return np.array(out)


def _dmcp(alpha, gamma):
    def d(x):
        if x == 0:
            return -alpha, alpha
        v = np.sign(x) * alpha - x / gamma if abs(x) < alpha * gamma else 0.0
        return v, v
    return d


def _dscad(alpha, gamma):
    def d(x):
        if x == 0:
            return -alpha, alpha
        ax = abs(x)
        if ax <= alpha:
            v = np.sign(x) * alpha
        elif ax <= gamma * alpha:
            v = (gamma * alpha * np.sign(x) - x) / (gamma - 1)
        else:
            v = 0.0
        return v, v
    return d


@pytest.mark.parametrize("alpha", [0.05, 0.2, 0.5])
@pytest.mark.parametrize("precompute", [True, False])
def test_mcp_stationary(alpha, precompute):
    X, y, _ = _data()
    est = MCPRegressor(alpha=alpha, gamma=3.0, tol=1e-9, precompute=precompute).fit(X, y)
    viol = _violations(X, y, est, _dmcp(alpha, 3.0))
    assert viol.max() <= 1e-7 * np.std(y) * 10
    assert np.isnan(est.dual_gap_)
    assert est.kkt_violation_ <= 1e-9 * np.std(y) * 1.01


@pytest.mark.parametrize("alpha", [0.05, 0.3])
def test_scad_stationary_sparse(alpha):
    X, y, _ = _data(seed=1)
    est = SCADRegressor(alpha=alpha, tol=1e-9).fit(sp.csr_matrix(X), y)
    viol = _violations(X, y, est, _dscad(alpha, 3.7))
    assert viol.max() <= 1e-7 * np.std(y) * 10


def test_orthogonal_design_closed_forms():
    # with X^T X / n = I the problems separate: firm / SCAD thresholding of z = X^T y / n
    rng = np.random.RandomState(0)
    n, p = 64, 8
    Q, _ = np.linalg.qr(rng.randn(n, p))
    X = Q * np.sqrt(n)
    z = np.array([3.0, -0.2, 0.9, -1.6, 0.05, 2.5, -0.7, 1.1])
    y = X @ z + 0.0 * rng.randn(n)
    alpha, gamma = 0.5, 3.0
    mcp = MCPRegressor(alpha=alpha, gamma=gamma, fit_intercept=False, tol=1e-12).fit(X, y)
    firm = np.where(np.abs(z) <= alpha, 0.0,
                    np.where(np.abs(z) <= gamma * alpha,
                             np.sign(z) * (np.abs(z) - alpha) / (1 - 1 / gamma), z))
    np.testing.assert_allclose(mcp.coef_, firm, atol=1e-9)
    g = 3.7
    scad = SCADRegressor(alpha=alpha, gamma=g, fit_intercept=False, tol=1e-12).fit(X, y)
    az = np.abs(z)
    ref = np.where(az <= 2 * alpha, np.sign(z) * np.maximum(az - alpha, 0),
                   np.where(az <= g * alpha, ((g - 1) * z - np.sign(z) * g * alpha) / (g - 2), z))
    np.testing.assert_allclose(scad.coef_, ref, atol=1e-9)
    lasso = Lasso(alpha=alpha, fit_intercept=False, tol=1e-14).fit(X, y)
    np.testing.assert_allclose(lasso.coef_, np.sign(z) * np.maximum(az - alpha, 0), atol=1e-9)


def test_mcp_less_biased_than_lasso():
    X, y, w = _data(n=400, seed=2)
    mcp = MCPRegressor(alpha=0.3).fit(X, y)
    las = Lasso(alpha=0.3).fit(X, y)
    assert set(np.flatnonzero(mcp.coef_)) == set(np.flatnonzero(w))
    assert np.linalg.norm(mcp.coef_ - w) < 0.5 * np.linalg.norm(las.coef_ - w)


def test_adaptive_lasso_weights_and_stationarity():
    X, y, w = _data(n=300, seed=3)
    alpha, gamma = 0.2, 3.0
    est = AdaptiveLasso(alpha=alpha, gamma=gamma, n_stages=6, tol=1e-10).fit(X, y)
    assert 1 <= est.n_stages_ <= 6
    # the last stage is a weighted Lasso: check its optimality conditions
    a = alpha * est.weights_

    def dl1(j):
        def d(x):
            return (-a[j], a[j]) if x == 0 else (np.sign(x) * a[j],) * 2
        return d

    Xc, yc = X - X.mean(0), y - y.mean()
    grad = -Xc.T @ (yc - Xc @ est.coef_) / X.shape[0]
    for j in range(X.shape[1]):
        lo, hi = dl1(j)(est.coef_[j])
        assert max(0.0, lo + grad[j], -grad[j] - hi) <= 1e-7
    # one stage is the Lasso
    one = AdaptiveLasso(alpha=alpha, n_stages=1, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(one.coef_, Lasso(alpha=alpha, tol=1e-12).fit(X, y).coef_,
                               atol=1e-8)
    # large coefficients end with zero weight (unbiased), support recovered
    assert set(np.flatnonzero(est.coef_)) == set(np.flatnonzero(w))
    assert np.all(est.weights_[np.abs(est.coef_) > gamma * alpha] == 0)


def test_bad_gamma():
    X, y, _ = _data()
    with pytest.raises(ValueError, match="gamma"):
        SCADRegressor(gamma=0.5).fit(X, y)
    with pytest.raises(ValueError, match="gamma"):
        MCPRegressor(gamma=0).fit(X, y)


@pytest.mark.parametrize("make", [MCPRegressor, SCADRegressor, AdaptiveLasso, Lasso])
def test_huge_scale_stops_at_least_squares(make):
    # At X, y ~ 1e150 the default alpha is ~1e-300 of the gradients: the fit is least
    # squares. The stop is in units of the columns' scale, so it converges instead of
    # running to max_iter (it used to take millions of epochs and warn). tol=1e-10
    # bounds the relative error of the coefficients far below rtol on this
    # well-conditioned design.
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 8))
    y = X @ rng.standard_normal(8) + 0.1 * rng.standard_normal(60)
    s = 1e150
    with warnings.catch_warnings():
        # the Lasso stages stop on the duality gap, which cannot be certified when alpha
        # is below rounding of the gradients: they may warn, but must stop at the optimum
        gap_stop = make in (AdaptiveLasso, Lasso)
        warnings.simplefilter("ignore" if gap_stop else "error", ConvergenceWarning)
        est = make(tol=1e-10).fit(X * s, y * s)
    Xc, yc = X - X.mean(0), y - y.mean()
    ols = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    np.testing.assert_allclose(est.coef_, ols, rtol=1e-6, atol=1e-8)
