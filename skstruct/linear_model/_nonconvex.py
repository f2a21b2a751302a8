"""Nonconvex penalties (MCP, SCAD) and the multi-stage adaptive Lasso."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from .._backend._cd import cd_solve
from .._backend._penalties import L1, MCP, SCAD
from ._base import _PenalizedRegressor, _warn_not_converged, make_design

_NONCONVEX_DOC = """
    The fit returns a stationary point (the problem is nonconvex): coordinate
    descent stops when the largest violation of the first-order conditions,
    ``max_j dist(-grad_j, ∂pen(w_j))`` with ``grad = -X^T (y - X w) / n``,
    is at most ``tol * sqrt(||y||^2 / n)`` (``y`` centred and weighted). That
    violation is stored in ``kkt_violation_``.
"""


class _NonconvexRegressor(_PenalizedRegressor):
    _penalty_cls = None

    def __init__(self, alpha=1.0, *, gamma=3.0, fit_intercept=True, precompute="auto",
                 max_iter=100, tol=1e-4, warm_start=False, positive=False):
        self.alpha = alpha
        self.gamma = gamma
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive

    def _fit(self, X, y, sample_weight):
        pen = self._penalty_cls(self.alpha, self.gamma, positive=self.positive)
        return self._fit_penalized(X, y, sample_weight, pen)


class MCPRegressor(_NonconvexRegressor):
    __doc__ = """Linear regression with the minimax concave penalty (MCP).

    Minimises ``||y - X w - b||^2 / (2 n) + sum_j MCP(w_j)`` with
    ``MCP(x) = alpha |x| - x^2 / (2 gamma)`` for ``|x| <= gamma alpha`` and
    ``gamma alpha^2 / 2`` beyond (Zhang 2010). Small coefficients are shrunk like
    the Lasso, large ones are left unbiased. ``gamma -> inf`` gives the Lasso,
    ``gamma -> 1`` (unit-variance columns) hard thresholding.
""" + _NONCONVEX_DOC + """
    Parameters
    ----------
    alpha : float, default=1.0
        Penalty level (>= 0).
    gamma : float, default=3.0
        Concavity (> 0). Each coordinate update is the exact 1-D minimiser even
        when ``gamma <= n / ||X_j||^2`` (where the 1-D problem is nonconvex).
    fit_intercept : bool, default=True
    precompute : bool or "auto", default="auto"
        Gram matrix for dense tall data.
    max_iter : int, default=100
        Outer working-set iterations.
    tol : float, default=1e-4
        Stationarity tolerance (see above).
    warm_start : bool, default=False
    positive : bool, default=False

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
        Coordinate-descent epochs.
    kkt_violation_ : float
        Largest first-order violation reached.
    dual_gap_ : float
        nan (no duality gap for a nonconvex problem).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in`,)
    """
    _penalty_cls = MCP
    _parameter_constraints = {
        **_PenalizedRegressor._parameter_constraints,
        "gamma": [Interval(Real, 0, None, closed="neither")],
    }


class SCADRegressor(_NonconvexRegressor):
    __doc__ = """Linear regression with the smoothly clipped absolute deviation penalty (SCAD).

    Minimises ``||y - X w - b||^2 / (2 n) + sum_j SCAD(w_j)`` (Fan & Li 2001):
    ``alpha |x|`` up to ``alpha``, a quadratic spline up to ``gamma alpha``,
    constant beyond.
""" + _NONCONVEX_DOC + """
    Parameters
    ----------
    alpha : float, default=1.0
        Penalty level (>= 0).
    gamma : float, default=3.7
        Shape (> 1); Fan & Li's 3.7 by default.
    fit_intercept : bool, default=True
    precompute : bool or "auto", default="auto"
    max_iter : int, default=100
    tol : float, default=1e-4
        Stationarity tolerance (see above).
    warm_start : bool, default=False
    positive : bool, default=False

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
    kkt_violation_ : float
    dual_gap_ : float
        nan.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in`,)
    """
    _penalty_cls = SCAD
    _parameter_constraints = {
        **_PenalizedRegressor._parameter_constraints,
        "gamma": [Interval(Real, 1, None, closed="neither")],
    }

    def __init__(self, alpha=1.0, *, gamma=3.7, fit_intercept=True, precompute="auto",
                 max_iter=100, tol=1e-4, warm_start=False, positive=False):
        super().__init__(alpha, gamma=gamma, fit_intercept=fit_intercept,
                         precompute=precompute, max_iter=max_iter, tol=tol,
                         warm_start=warm_start, positive=positive)


def _stage_weights(w, alpha, gamma, rule):
    """Derivative of the folded-concave penalty over alpha at |w| (in [0, 1])."""
    a = np.abs(w)
    if alpha == 0:
        return np.ones_like(a)
    if rule == "mcp":
        return np.maximum(0.0, 1.0 - a / (gamma * alpha))
    return np.where(a <= alpha, 1.0, np.maximum(0.0, gamma * alpha - a) / ((gamma - 1) * alpha))


class AdaptiveLasso(_PenalizedRegressor):
    """Multi-stage reweighted l1 regression (adaptive Lasso by local linear approximation).

    Stage 0 is the Lasso. Each later stage solves a weighted Lasso
    ``||y - X w - b||^2 / (2 n) + alpha * sum_j weights_j |w_j|`` with
    ``weights_j = pen'(|w_j|) / alpha`` from the previous stage, ``pen`` the
    MCP or SCAD penalty (the multi-stage convex relaxation used for Gaussian
    graphical models under total positivity, and Zou & Li's one-step
    estimator when ``n_stages=2``). Large coefficients lose their penalty
    (weight 0) so their bias disappears; every stage is a convex problem
    solved by the same coordinate-descent solver, warm-started.

    Each stage stops when its largest violation of the optimality conditions is
    at most ``tol * sqrt(||y||^2 / n)`` (duality gap ``<= tol * ||y||^2 / n``
    while no weight is zero).

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty level (>= 0).
    n_stages : int, default=5
        Maximum number of convex stages (1 is the Lasso); stops early when the
        support and the weights no longer change.
    reweighting : {"mcp", "scad"}, default="mcp"
        Penalty whose derivative gives the weights.
    gamma : float, default=3.0
        Concavity of that penalty (> 1 for "scad").
    fit_intercept : bool, default=True
    precompute : bool or "auto", default="auto"
    max_iter : int, default=100
        Outer working-set iterations per stage.
    tol : float, default=1e-4
    warm_start : bool, default=False
    positive : bool, default=False

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    weights_ : ndarray of shape (n_features,)
        Weights of the last stage.
    n_stages_ : int
        Stages run.
    n_iter_ : int
        Coordinate-descent epochs, all stages.
    dual_gap_ : float
        Gap of the last stage (nan when a weight is zero).
    kkt_violation_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in`,)
    """

    _parameter_constraints = {
        **_PenalizedRegressor._parameter_constraints,
        "n_stages": [Interval(Integral, 1, None, closed="left")],
        "reweighting": [StrOptions({"mcp", "scad"})],
        "gamma": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, alpha=1.0, *, n_stages=5, reweighting="mcp", gamma=3.0,
                 fit_intercept=True, precompute="auto", max_iter=100, tol=1e-4,
                 warm_start=False, positive=False):
        self.alpha = alpha
        self.n_stages = n_stages
        self.reweighting = reweighting
        self.gamma = gamma
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive

    def _fit(self, X, y, sample_weight):
        if self.reweighting == "scad" and self.gamma <= 1:
            raise ValueError(f"gamma must be > 1 for SCAD reweighting; got {self.gamma}.")
        design, X_offset, y_offset = make_design(X, y, sample_weight, self.fit_intercept,
                                                 self.precompute)
        p = X.shape[1]
        w = None
        if self.warm_start and getattr(self, "coef_", None) is not None \
                and np.shape(self.coef_) == (p,):
            w = np.asarray(self.coef_, dtype=np.float64)
        weights = np.ones(p)
        n_epochs = 0
        state = None
        for stage in range(self.n_stages):
            res = cd_solve(design, L1(self.alpha, weights, self.positive).spec(p), w,
                           state=state, tol=self.tol, max_iter=self.max_iter)
            w, state = res.coef, (res.state, res.extra)
            n_epochs += res.n_epochs
            new = _stage_weights(w, self.alpha, self.gamma, self.reweighting)
            if stage > 0 and np.allclose(new, weights, rtol=0, atol=1e-12):
                break
            if stage < self.n_stages - 1:
                weights = new
        self.weights_ = weights
        self.n_stages_ = stage + 1
        self._set_fitted(w, X_offset, y_offset, X.dtype)
        self.n_iter_ = n_epochs
        self.dual_gap_ = float(res.dual_gap)
        self.kkt_violation_ = float(res.kkt)
        if not res.converged:
            _warn_not_converged("AdaptiveLasso", f"stationarity violation {res.kkt:.2e}",
                                self.tol)
        return self
