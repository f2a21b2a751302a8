"""Shared references of the logistic-loss backend tests (test_cd_logistic.py,
test_prox_newton.py): the data, the objective written from its definition, and its
optimum by scipy on a smooth reformulation."""

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit


def make_data(n=120, p=30, seed=0, weights=False):
    """A sparse-truth binary problem: ``X`` (n, p), labels in {-1, 1}, sample weights
    summing to n (or None)."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p)
    w = np.zeros(p)
    w[:4] = [2.0, -1.5, 1.0, 0.5]
    y = np.where(X @ w + 0.3 + 0.7 * rng.randn(n) > 0, 1.0, -1.0)
    sw = rng.uniform(0.2, 3.0, n) if weights else None
    if sw is not None:
        sw *= n / sw.sum()
    return X, y, sw


def objective(X, y, sw, w, b, alpha, l1_ratio=1.0):
    """``sum_i sw_i log(1 + exp(-y_i (x_i w + b))) / n + alpha (l1_ratio |w|_1 +
    (1 - l1_ratio) |w|^2 / 2)``."""
    n = X.shape[0]
    sw = np.ones(n) if sw is None else sw
    loss = sw @ np.logaddexp(0.0, -y * (X @ w + b)) / n
    return loss + alpha * (l1_ratio * np.abs(w).sum() + 0.5 * (1 - l1_ratio) * w @ w)


def scipy_optimum(X, y, sw, alpha, l1_ratio=1.0, fit_intercept=True, gtol=1e-13):
    """The minimum of :func:`objective` by L-BFGS-B on ``w = u - v`` (``u, v >= 0``):
    smooth and bounded. Returns the OptimizeResult (``x = [u, v, b]``)."""
    n, p = X.shape
    sw = np.ones(n) if sw is None else sw
    a1, a2 = alpha * l1_ratio, alpha * (1 - l1_ratio)

    def f(x):
        u, v, b0 = x[:p], x[p:2 * p], (x[-1] if fit_intercept else 0.0)
        w = u - v
        m = X @ w + b0
        s = sw * y * expit(-y * m) / n
        val = sw @ np.logaddexp(0, -y * m) / n + a1 * (u.sum() + v.sum()) + 0.5 * a2 * w @ w
        g = -X.T @ s + a2 * w
        grad = np.r_[g + a1, -g + a1]
        return val, (np.r_[grad, -s.sum()] if fit_intercept else grad)

    x0 = np.zeros(2 * p + fit_intercept)
    bounds = [(0, None)] * (2 * p) + [(None, None)] * fit_intercept
    return minimize(f, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                    options=dict(ftol=1e-15, gtol=gtol, maxiter=20_000, maxcor=30))
