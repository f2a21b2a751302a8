"""Nonconvex penalties (MCP, SCAD) and the multi-stage adaptive Lasso."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_scalar
from sklearn.utils._param_validation import Interval, StrOptions

from .._backend._cd import cd_solve
from .._backend._penalties import L1, MCP, SCAD
from ._base import (
    _PenalizedRegressor,
    _report_fit,
    _report_path_step,
    _warn_not_converged,
    make_design,
)
from ._cv import _PenalizedCV

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
                 max_iter=100, tol=1e-4, warm_start=False, positive=False, verbose=0):
        self.alpha = alpha
        self.gamma = gamma
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.verbose = verbose

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
    verbose : int, default=0
        1 prints one line per fit (epochs, nonzeros, stationarity) to stdout.

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
    verbose : int, default=0
        1 prints one line per fit to stdout.

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
                 max_iter=100, tol=1e-4, warm_start=False, positive=False, verbose=0):
        super().__init__(alpha, gamma=gamma, fit_intercept=fit_intercept,
                         precompute=precompute, max_iter=max_iter, tol=tol,
                         warm_start=warm_start, positive=positive, verbose=verbose)


def _stage_weights(w, alpha, gamma, rule):
    """Derivative of the folded-concave penalty over alpha at |w| (in [0, 1])."""
    a = np.abs(w)
    if alpha == 0:
        return np.ones_like(a)
    if rule == "mcp":
        return np.maximum(0.0, 1.0 - a / (gamma * alpha))
    return np.where(a <= alpha, 1.0, np.maximum(0.0, gamma * alpha - a) / ((gamma - 1) * alpha))


def _adaptive_stages(design, alpha, w, state, *, n_stages, rule, gamma, positive, tol,
                     max_iter, est=None):
    """The convex stages of the adaptive Lasso at one ``alpha``, from ``(w, state)``.

    Stage 0 is the Lasso; each later stage a weighted Lasso whose weights are
    :func:`_stage_weights` of the previous solution. Stops early once the weights
    no longer change. ``est`` (with ``verbose``) receives one progress line per stage.

    Returns
    -------
    res : CDResult
        Last stage.
    weights : ndarray of shape (p,)
        Weights of the last stage.
    n_stages : int
        Stages run.
    n_epochs : int
        CD epochs, all stages.
    """
    p = design.n_features
    weights = np.ones(p)
    n_epochs = 0
    for stage in range(n_stages):
        res = cd_solve(design, L1(alpha, weights, positive).spec(p), w, state=state, tol=tol,
                       max_iter=max_iter)
        if est is not None:
            _report_fit(est, f"alpha={alpha:.4e}, stage {stage + 1}", res)
        w, state = res.coef, (res.state, res.extra)
        n_epochs += res.n_epochs
        new = _stage_weights(w, alpha, gamma, rule)
        if stage > 0 and np.allclose(new, weights, rtol=0, atol=1e-12):
            break
        if stage < n_stages - 1:
            weights = new
    return res, weights, stage + 1, n_epochs


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
    verbose : int, default=0
        1 prints one line per stage to stdout.

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
                 warm_start=False, positive=False, verbose=0):
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
        self.verbose = verbose

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
        res, weights, n_stages, n_epochs = _adaptive_stages(
            design, self.alpha, w, None, n_stages=self.n_stages, rule=self.reweighting,
            gamma=self.gamma, positive=self.positive, tol=self.tol, max_iter=self.max_iter,
            est=self)
        self.weights_ = weights
        self.n_stages_ = n_stages
        self._set_fitted(res.coef, X_offset, y_offset, X.dtype)
        self.n_iter_ = n_epochs
        self.dual_gap_ = float(res.dual_gap)
        self.kkt_violation_ = float(res.kkt)
        if not res.converged:
            _warn_not_converged("AdaptiveLasso", f"stationarity violation {res.kkt:.2e}",
                                self.tol)
        return self


def _adaptive_path(design, alphas, verbose=0, **stage_params):
    """:func:`_adaptive_stages` over a decreasing grid, each alpha warm-started from the
    previous solution. Returns coefs of shape (p, n_alphas)."""
    coefs = np.zeros((design.n_features, len(alphas)))
    w, state = None, None
    for i, a in enumerate(alphas):
        res, *_ = _adaptive_stages(design, a, w, state, **stage_params)
        if verbose:
            _report_path_step(i, len(alphas), a, res)
        w, state = res.coef, (res.state, res.extra)
        coefs[:, i] = w
    return coefs


# ----------------------------------------------------------------------------- cross-validation
def _check_gammas(gamma, low):
    """``gamma`` (a number or a list of them) -> list of floats, each finite and > ``low``."""
    out = []
    for i, g in enumerate(np.asarray(gamma, dtype=object).ravel()):
        check_scalar(g, "gamma" if np.ndim(gamma) == 0 else f"gamma[{i}]", target_type=Real,
                     min_val=low, include_boundaries="neither")
        if not np.isfinite(g):
            raise ValueError(f"gamma must be finite; got {g}.")
        out.append(float(g))
    if not out:
        raise ValueError("gamma must not be empty.")
    return out


_CV_PARAMS_DOC = """
    Parameters
    ----------
    gamma : float or array-like of float, default={gamma}
        Concavity; a list is searched as a second grid (``gamma_`` is the choice).
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int, array-like or None, default=100
        Number of alphas on the automatic grid (100 when None), or the grid
        itself (non-negative, finite).
    fit_intercept : bool, default=True
    precompute : bool or "auto", default="auto"
    max_iter : int, default=100
        Outer working-set iterations per fit.
    tol : float, default=1e-4
        Stopping tolerance of each fit (as the plain estimator).
    cv : int, cross-validation generator or iterable, default=None
        Anything :func:`sklearn.model_selection.check_cv` accepts (5-fold when None).
    verbose : int, default=0
        1 prints one line per fold (best alpha on that fold) and the refit; 2 also
        one line per alpha of each fold path. To stdout.
    n_jobs : int, default=None
        Folds (and gamma values) run in parallel on threads (-1: all cores).
    positive : bool, default=False
"""

_CV_ATTRS_DOC = """
    Attributes
    ----------
    alpha_ : float
    gamma_ : float
    alphas_ : ndarray of shape (n_alphas,)
    mse_path_ : ndarray of shape (n_alphas, n_folds) or (n_gammas, n_alphas, n_folds)
        Mean squared error of each held-out fold (weighted).
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
    kkt_violation_ : float
    dual_gap_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in`,)
"""

_CV_CONSTRAINTS = {k: v for k, v in _PenalizedCV._parameter_constraints.items()
                   if k not in ("copy_X", "random_state", "selection")}


class _NonconvexCV(_PenalizedCV):
    _estimator_cls = None
    _gamma_low = 0.0
    _parameter_constraints = {**_CV_CONSTRAINTS,
                              "gamma": [Interval(Real, 0, None, closed="neither"), "array-like"]}

    def __init__(self, *, gamma=3.0, eps=1e-3, alphas=100, fit_intercept=True,
                 precompute="auto", max_iter=100, tol=1e-4, cv=None, verbose=0, n_jobs=None,
                 positive=False):
        self.gamma = gamma
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive

    def _hyper_grid(self):
        return [{"gamma": g} for g in _check_gammas(self.gamma, self._gamma_low)]

    def _make_spec(self, alpha, hyper, p):
        return self._estimator_cls._penalty_cls(alpha, hyper["gamma"],
                                                positive=self.positive).spec(p)

    def _make_estimator(self, alpha, hyper):
        return self._estimator_cls(alpha=alpha, gamma=hyper["gamma"],
                                   fit_intercept=self.fit_intercept, precompute=self.precompute,
                                   max_iter=self.max_iter, tol=self.tol, positive=self.positive)


class MCPRegressorCV(_NonconvexCV):
    __doc__ = """MCP regression with alpha (and optionally gamma) chosen by cross-validation.

    The grid runs from the Lasso's ``alpha_max`` (0 is a stationary point of
    MCP there) down to ``eps * alpha_max``; each training fold fits the
    warm-started path (:func:`~skstruct.linear_model.nonconvex_path`) and is scored
    by its held-out mean squared error; the alpha with the lowest mean error is
    refitted with :class:`MCPRegressor`. ``gamma`` is fixed (3) unless a list is
    given. Each fit is a stationary point of a nonconvex problem: the warm-started
    path may end elsewhere than a cold fit at the same alpha, except where the
    problem is convex (``gamma > 1 / lambda_min(X^T X / n)``).
""" + _CV_PARAMS_DOC.format(gamma="3.0") + _CV_ATTRS_DOC + """
    See Also
    --------
    MCPRegressor, SCADRegressorCV, LassoCV
    """
    _estimator_cls = MCPRegressor


class SCADRegressorCV(_NonconvexCV):
    __doc__ = """SCAD regression with alpha (and optionally gamma) chosen by cross-validation.

    As :class:`MCPRegressorCV`, with the SCAD penalty; ``gamma`` (> 1) is fixed
    at Fan & Li's 3.7 unless a list is given. The problem is convex when
    ``gamma > 1 + 1 / lambda_min(X^T X / n)``.
""" + _CV_PARAMS_DOC.format(gamma="3.7") + _CV_ATTRS_DOC + """
    See Also
    --------
    SCADRegressor, MCPRegressorCV
    """
    _estimator_cls = SCADRegressor
    _gamma_low = 1.0
    _parameter_constraints = {**_NonconvexCV._parameter_constraints,
                              "gamma": [Interval(Real, 1, None, closed="neither"), "array-like"]}

    def __init__(self, *, gamma=3.7, eps=1e-3, alphas=100, fit_intercept=True,
                 precompute="auto", max_iter=100, tol=1e-4, cv=None, verbose=0, n_jobs=None,
                 positive=False):
        super().__init__(gamma=gamma, eps=eps, alphas=alphas, fit_intercept=fit_intercept,
                         precompute=precompute, max_iter=max_iter, tol=tol, cv=cv,
                         verbose=verbose, n_jobs=n_jobs, positive=positive)


class AdaptiveLassoCV(_NonconvexCV):
    __doc__ = """Adaptive (multi-stage reweighted) Lasso with alpha chosen by cross-validation.

    Each training fold runs the path of :class:`AdaptiveLasso` fits over the
    grid (each alpha's stages start from the previous alpha's solution; stage 0
    is the Lasso, so the grid starts at its ``alpha_max``), scored by held-out
    mean squared error; the best alpha is refitted with :class:`AdaptiveLasso`.
    Every stage is convex, so the path and cold fits agree to the tolerance.
""" + _CV_PARAMS_DOC.format(gamma="3.0") + """    n_stages : int, default=5
        Maximum number of convex stages per fit.
    reweighting : {"mcp", "scad"}, default="mcp"
        Penalty whose derivative gives the weights.
""" + _CV_ATTRS_DOC + """    weights_ : ndarray of shape (n_features,)
        Weights of the last stage of the refit.
    n_stages_ : int
        Stages run by the refit.

    See Also
    --------
    AdaptiveLasso, LassoCV
    """
    _estimator_cls = AdaptiveLasso
    _refit_attributes = _PenalizedCV._refit_attributes + ("weights_", "n_stages_")
    _parameter_constraints = {**_NonconvexCV._parameter_constraints,
                              "n_stages": [Interval(Integral, 1, None, closed="left")],
                              "reweighting": [StrOptions({"mcp", "scad"})]}

    def __init__(self, *, gamma=3.0, n_stages=5, reweighting="mcp", eps=1e-3, alphas=100,
                 fit_intercept=True, precompute="auto", max_iter=100, tol=1e-4, cv=None,
                 verbose=0, n_jobs=None, positive=False):
        super().__init__(gamma=gamma, eps=eps, alphas=alphas, fit_intercept=fit_intercept,
                         precompute=precompute, max_iter=max_iter, tol=tol, cv=cv,
                         verbose=verbose, n_jobs=n_jobs, positive=positive)
        self.n_stages = n_stages
        self.reweighting = reweighting

    def _hyper_grid(self):
        low = 1.0 if self.reweighting == "scad" else 0.0
        return [{"gamma": g} for g in _check_gammas(self.gamma, low)]

    def _fold_path(self, ctx, X, y, sw, alphas, hyper):
        d, X_off, y_off = make_design(X, y, sw, self.fit_intercept, self.precompute)
        coefs = _adaptive_path(d, alphas, n_stages=self.n_stages, rule=self.reweighting,
                               gamma=hyper["gamma"], positive=self.positive, tol=self.tol,
                               max_iter=self.max_iter, verbose=max(0, self.verbose - 1))
        return coefs, y_off - X_off @ coefs

    def _make_estimator(self, alpha, hyper):
        return AdaptiveLasso(alpha=alpha, n_stages=self.n_stages, reweighting=self.reweighting,
                             gamma=hyper["gamma"], fit_intercept=self.fit_intercept,
                             precompute=self.precompute, max_iter=self.max_iter, tol=self.tol,
                             positive=self.positive)
