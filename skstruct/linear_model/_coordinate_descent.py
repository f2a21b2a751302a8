"""Lasso and elastic net: estimators, regularisation paths, cross-validation."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .._backend._penalties import MCP, SCAD, ElasticNetPenalty
from ._base import (
    _check_X_y,
    _PenalizedRegressor,
    alpha_grid,
    make_design,
    penalized_path,
)


class ElasticNet(_PenalizedRegressor):
    """Linear regression with combined l1 and l2 penalties (working-set coordinate descent).

    Minimises ``||y - X w - b||^2 / (2 n) + alpha * l1_ratio * ||w||_1
    + alpha * (1 - l1_ratio) / 2 * ||w||_2^2``, scikit-learn's parametrisation,
    so the same ``alpha`` gives the same coefficients as
    :class:`sklearn.linear_model.ElasticNet`.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty level (>= 0).
    l1_ratio : float in [0, 1], default=0.5
        Mix of l1 (1) and l2 (0).
    fit_intercept : bool, default=True
        Fit an unpenalised intercept (by weighted centring; sparse X is
        centred implicitly and stays sparse).
    precompute : bool or "auto", default="auto"
        Use the Gram matrix ``X^T X / n`` (dense X only); "auto" when
        ``n_samples >= 2 n_features``.
    max_iter : int, default=100
        Outer working-set iterations (each runs CD epochs on a working set).
    tol : float, default=1e-4
        Stopping tolerance on the duality gap: the fit stops when the gap is
        at most ``tol * ||y||^2 / n`` (``y`` centred and weighted).
    warm_start : bool, default=False
        Start from the previous ``coef_``.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
        Coordinate-descent epochs (sweeps over the working set), all outer iterations.
    dual_gap_ : float
        Duality gap reached, normalised by n (scikit-learn's ``dual_gap_`` over n).
    kkt_violation_ : float
        Largest distance of ``-grad_j`` to the subdifferential of the penalty.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in`,)

    See Also
    --------
    Lasso, ElasticNetCV, enet_path
    """

    _parameter_constraints = {
        **_PenalizedRegressor._parameter_constraints,
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, precompute="auto",
                 max_iter=100, tol=1e-4, warm_start=False, positive=False):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive

    def _fit(self, X, y, sample_weight):
        pen = ElasticNetPenalty(self.alpha, self.l1_ratio, positive=self.positive)
        return self._fit_penalized(X, y, sample_weight, pen)


class Lasso(_PenalizedRegressor):
    """Linear regression with an l1 penalty (working-set coordinate descent).

    Minimises ``||y - X w - b||^2 / (2 n) + alpha * ||w||_1``, the
    parametrisation of :class:`sklearn.linear_model.Lasso`.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty level (>= 0).
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.
    precompute : bool or "auto", default="auto"
        Gram matrix for dense tall data ("auto": ``n_samples >= 2 n_features``).
    max_iter : int, default=100
        Outer working-set iterations.
    tol : float, default=1e-4
        The fit stops when the duality gap is at most ``tol * ||y||^2 / n``
        (scikit-learn's rule).
    warm_start : bool, default=False
        Start from the previous ``coef_``.
    positive : bool, default=False
        Non-negative coefficients.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
        Coordinate-descent epochs.
    dual_gap_ : float
        Duality gap reached (normalised by n).
    kkt_violation_ : float
        Largest violation of the optimality conditions.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in`,)

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from skstruct.linear_model import Lasso
    >>> X, y = load_diabetes(return_X_y=True)
    >>> int((Lasso(alpha=0.5).fit(X, y).coef_ != 0).sum())
    5
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, precompute="auto", max_iter=100,
                 tol=1e-4, warm_start=False, positive=False):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive

    def _fit(self, X, y, sample_weight):
        pen = ElasticNetPenalty(self.alpha, 1.0, positive=self.positive)
        return self._fit_penalized(X, y, sample_weight, pen)


# ----------------------------------------------------------------------------- path functions
def _path(X, y, make_spec, *, l1_ratio, eps, n_alphas, alphas, precompute, fit_intercept,
          sample_weight, positive, tol, max_iter):
    X = check_array(X, accept_sparse=("csc", "csr"), dtype=[np.float64, np.float32])
    y = check_array(y, ensure_2d=False, dtype=np.float64)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have shape ({X.shape[0]},); got {y.shape}.")
    design, X_offset, y_offset = make_design(X, y, sample_weight, fit_intercept, precompute)
    if alphas is None:
        alphas = alpha_grid(design, l1_ratio=l1_ratio, eps=eps, n_alphas=n_alphas,
                            positive=positive)
    else:
        alphas = np.sort(np.asarray(alphas, dtype=np.float64).ravel())[::-1]
    coefs, gaps, kkts, n_iters, _ = penalized_path(design, make_spec, alphas, tol=tol,
                                                   max_iter=max_iter)
    return alphas, coefs.astype(X.dtype, copy=False), gaps, kkts, n_iters


_PATH_PARAMS = {
    "X": ["array-like", "sparse matrix"],
    "y": ["array-like"],
    "eps": [Interval(Real, 0, None, closed="neither")],
    "n_alphas": [Interval(Integral, 1, None, closed="left")],
    "alphas": ["array-like", None],
    "precompute": ["boolean", StrOptions({"auto"})],
    "fit_intercept": ["boolean"],
    "sample_weight": ["array-like", None],
    "positive": ["boolean"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "return_n_iter": ["boolean"],
}


@validate_params({**_PATH_PARAMS, "l1_ratio": [Interval(Real, 0, 1, closed="right")]},
                 prefer_skip_nested_validation=True)
def enet_path(X, y, *, l1_ratio=0.5, eps=1e-3, n_alphas=100, alphas=None, precompute="auto",
              fit_intercept=False, sample_weight=None, positive=False, tol=1e-4, max_iter=100,
              return_n_iter=False):
    """Elastic-net coefficients over a decreasing grid of alphas (warm-started).

    Same objective and grid as :func:`sklearn.linear_model.enet_path`; each
    fit starts from the previous solution and its working set.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    l1_ratio : float in (0, 1], default=0.5
    eps : float, default=1e-3
        ``alpha_min / alpha_max``.
    n_alphas : int, default=100
    alphas : array-like, default=None
        Grid to use (sorted decreasingly); computed when None.
    precompute : bool or "auto", default="auto"
    fit_intercept : bool, default=False
        Centre X and y first (the coefficients are then those of a model with
        an intercept; scikit-learn's path functions do not centre).
    sample_weight : array-like of shape (n_samples,), default=None
    positive : bool, default=False
    tol : float, default=1e-4
        Duality gap ``<= tol * ||y||^2 / n`` at each alpha.
    max_iter : int, default=100
        Outer working-set iterations per alpha.
    return_n_iter : bool, default=False

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
    coefs : ndarray of shape (n_features, n_alphas)
    dual_gaps : ndarray of shape (n_alphas,)
        Normalised by n.
    n_iters : ndarray of shape (n_alphas,)
        Only with ``return_n_iter``: CD epochs per alpha.
    """

    def make_spec(a):
        return ElasticNetPenalty(a, l1_ratio, positive=positive).spec(X.shape[1])

    alphas, coefs, gaps, _, n_iters = _path(
        X, y, make_spec, l1_ratio=l1_ratio, eps=eps, n_alphas=n_alphas, alphas=alphas,
        precompute=precompute, fit_intercept=fit_intercept, sample_weight=sample_weight,
        positive=positive, tol=tol, max_iter=max_iter)
    if return_n_iter:
        return alphas, coefs, gaps, n_iters
    return alphas, coefs, gaps


@validate_params(_PATH_PARAMS, prefer_skip_nested_validation=True)
def lasso_path(X, y, *, eps=1e-3, n_alphas=100, alphas=None, precompute="auto",
               fit_intercept=False, sample_weight=None, positive=False, tol=1e-4, max_iter=100,
               return_n_iter=False):
    """Lasso coefficients over a decreasing grid of alphas (warm-started).

    :func:`enet_path` with ``l1_ratio=1``; see there for the parameters. Gap-safe
    screening discards features for good along the way.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
    coefs : ndarray of shape (n_features, n_alphas)
    dual_gaps : ndarray of shape (n_alphas,)
    n_iters : ndarray of shape (n_alphas,)
        Only with ``return_n_iter``.
    """
    return enet_path(X, y, l1_ratio=1.0, eps=eps, n_alphas=n_alphas, alphas=alphas,
                     precompute=precompute, fit_intercept=fit_intercept,
                     sample_weight=sample_weight, positive=positive, tol=tol,
                     max_iter=max_iter, return_n_iter=return_n_iter)


@validate_params({**_PATH_PARAMS, "penalty": [StrOptions({"mcp", "scad"})],
                  "gamma": [Interval(Real, 0, None, closed="neither"), None]},
                 prefer_skip_nested_validation=True)
def nonconvex_path(X, y, *, penalty="mcp", gamma=None, eps=1e-3, n_alphas=100, alphas=None,
                   precompute="auto", fit_intercept=False, sample_weight=None, positive=False,
                   tol=1e-4, max_iter=100, return_n_iter=False):
    """MCP or SCAD coefficients over a decreasing grid of alphas (warm-started).

    The grid starts at the Lasso's ``alpha_max`` (where 0 is stationary for
    both penalties). Each fit is a stationary point reached from the previous one.

    Parameters
    ----------
    penalty : {"mcp", "scad"}, default="mcp"
    gamma : float, default=None
        Concavity: 3 for MCP, 3.7 for SCAD when None.
    others
        As :func:`enet_path`; ``tol`` bounds the largest stationarity violation by
        ``tol * sqrt(||y||^2 / n)``.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
    coefs : ndarray of shape (n_features, n_alphas)
    kkt_violations : ndarray of shape (n_alphas,)
    n_iters : ndarray of shape (n_alphas,)
        Only with ``return_n_iter``.
    """
    cls = MCP if penalty == "mcp" else SCAD
    g = gamma if gamma is not None else (3.0 if penalty == "mcp" else 3.7)

    def make_spec(a):
        return cls(a, g, positive=positive).spec(X.shape[1])

    alphas, coefs, _, kkts, n_iters = _path(
        X, y, make_spec, l1_ratio=1.0, eps=eps, n_alphas=n_alphas, alphas=alphas,
        precompute=precompute, fit_intercept=fit_intercept, sample_weight=sample_weight,
        positive=positive, tol=tol, max_iter=max_iter)
    if return_n_iter:
        return alphas, coefs, kkts, n_iters
    return alphas, coefs, kkts


# ----------------------------------------------------------------------------- cross-validation
class _PenalizedCV(RegressorMixin, BaseEstimator):
    """One cross-validation base for every penalised estimator of the family.

    For each ``l1_ratio`` (or the single penalty shape), the alpha grid is
    computed on the whole data, then a warm-started path is fitted on each
    training fold and scored by (weighted) mean squared error on the held-out
    fold. The alpha (and l1_ratio) with the lowest mean error is refitted on
    all the data. Splitters come from :func:`sklearn.model_selection.check_cv`.
    """

    _parameter_constraints = {
        "eps": [Interval(Real, 0, None, closed="neither")],
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "fit_intercept": ["boolean"],
        "precompute": ["boolean", StrOptions({"auto"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "cv": ["cv_object"],
        "positive": ["boolean"],
    }

    def _shapes(self):
        """List of shape parameters to search (l1 ratios, or one gamma)."""
        return [1.0]

    def _make_spec(self, alpha, shape, p):  # pragma: no cover - overridden
        raise NotImplementedError

    def _final_estimator(self, alpha, shape):  # pragma: no cover - overridden
        raise NotImplementedError

    def _grid_ratio(self, shape):
        return shape

    def fit(self, X, y, sample_weight=None, **params):
        """Choose alpha by cross-validation, then refit on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
        **params : dict
            ``groups`` for group splitters.

        Returns
        -------
        self
        """
        self._validate_params()
        X, y = _check_X_y(self, X, y)
        groups = params.get("groups")
        cv = check_cv(self.cv)
        folds = list(cv.split(X, y, groups))
        sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        shapes = self._shapes()
        p = X.shape[1]
        full, _, _ = make_design(X, y, sample_weight, self.fit_intercept, self.precompute)
        grids = []
        mse = []
        for shape in shapes:
            if isinstance(self.alphas, Integral):
                grid = alpha_grid(full, l1_ratio=self._grid_ratio(shape), eps=self.eps,
                                  n_alphas=int(self.alphas), positive=self.positive)
            else:
                grid = np.sort(np.asarray(self.alphas, dtype=np.float64).ravel())[::-1]
            grids.append(grid)
            errs = np.zeros((len(grid), len(folds)))
            for k, (train, test) in enumerate(folds):
                sw_tr = None if sw is None else sw[train]
                d, X_off, y_off = make_design(X[train], y[train], sw_tr, self.fit_intercept,
                                              self.precompute)
                coefs, *_ = penalized_path(d, lambda a, s=shape: self._make_spec(a, s, p), grid,
                                           tol=self.tol, max_iter=self.max_iter)
                intercepts = y_off - X_off @ coefs
                pred = np.asarray(safe_sparse_dot(X[test], coefs)) + intercepts
                res2 = (y[test][:, None] - pred) ** 2
                errs[:, k] = np.average(res2, axis=0,
                                        weights=None if sw is None else sw[test])
            mse.append(errs)
        mse = np.array(mse)
        mean = mse.mean(axis=2)
        i, j = np.unravel_index(np.argmin(mean), mean.shape)
        self.alpha_ = float(grids[i][j])
        self._set_shape(shapes[i])
        self.alphas_ = grids[0] if len(shapes) == 1 else np.array(grids)
        self.mse_path_ = mse[0] if len(shapes) == 1 else mse
        est = self._final_estimator(self.alpha_, shapes[i])
        est.fit(X, y, sample_weight=sample_weight)
        self.coef_ = est.coef_
        self.intercept_ = est.intercept_
        self.n_iter_ = est.n_iter_
        self.dual_gap_ = est.dual_gap_
        self.kkt_violation_ = est.kkt_violation_
        return self

    def _set_shape(self, shape):
        pass

    def predict(self, X):
        """Predict with the refitted model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"),
                          dtype=[np.float64, np.float32], reset=False)
        return np.asarray(safe_sparse_dot(X, self.coef_)).ravel() + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class ElasticNetCV(_PenalizedCV):
    """Elastic net with alpha (and l1_ratio) chosen by cross-validation.

    Parameters
    ----------
    l1_ratio : float or list of float, default=0.5
        Values to search (each in (0, 1]).
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of each grid.
    alphas : int or array-like, default=100
        Number of alphas on the automatic grid, or the grid itself.
    fit_intercept : bool, default=True
    precompute : bool or "auto", default="auto"
    max_iter : int, default=100
        Outer working-set iterations per fit.
    tol : float, default=1e-4
        Duality gap ``<= tol * ||y||^2 / n`` per fit.
    cv : int, cross-validation generator or iterable, default=None
        Anything :func:`sklearn.model_selection.check_cv` accepts (5-fold when None).
    positive : bool, default=False

    Attributes
    ----------
    alpha_ : float
    l1_ratio_ : float
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
    mse_path_ : ndarray of shape (n_alphas, n_folds) or (n_l1_ratio, n_alphas, n_folds)
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
    dual_gap_ : float
    kkt_violation_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in`,)
    """

    _parameter_constraints = {
        **_PenalizedCV._parameter_constraints,
        "l1_ratio": [Interval(Real, 0, 1, closed="right"), "array-like"],
    }

    def __init__(self, *, l1_ratio=0.5, eps=1e-3, alphas=100, fit_intercept=True,
                 precompute="auto", max_iter=100, tol=1e-4, cv=None, positive=False):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.positive = positive

    def _shapes(self):
        return [float(r) for r in np.atleast_1d(self.l1_ratio)]

    def _make_spec(self, a, shape, p):
        return ElasticNetPenalty(a, shape, positive=self.positive).spec(p)

    def _set_shape(self, shape):
        self.l1_ratio_ = shape

    def _final_estimator(self, alpha, shape):
        return ElasticNet(alpha=alpha, l1_ratio=shape, fit_intercept=self.fit_intercept,
                          precompute=self.precompute, max_iter=self.max_iter, tol=self.tol,
                          positive=self.positive)


class LassoCV(_PenalizedCV):
    """Lasso with alpha chosen by cross-validation (warm-started paths per fold).

    Parameters
    ----------
    eps : float, default=1e-3
        ``alpha_min / alpha_max``.
    alphas : int or array-like, default=100
        Number of alphas on the automatic grid, or the grid.
    fit_intercept : bool, default=True
    precompute : bool or "auto", default="auto"
    max_iter : int, default=100
        Outer working-set iterations per fit.
    tol : float, default=1e-4
        Duality gap ``<= tol * ||y||^2 / n`` per fit.
    cv : int, cross-validation generator or iterable, default=None
        5-fold when None.
    positive : bool, default=False

    Attributes
    ----------
    alpha_ : float
    alphas_ : ndarray of shape (n_alphas,)
    mse_path_ : ndarray of shape (n_alphas, n_folds)
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
    dual_gap_ : float
    kkt_violation_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in`,)
    """

    def __init__(self, *, eps=1e-3, alphas=100, fit_intercept=True, precompute="auto",
                 max_iter=100, tol=1e-4, cv=None, positive=False):
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.positive = positive

    def _make_spec(self, a, shape, p):
        return ElasticNetPenalty(a, 1.0, positive=self.positive).spec(p)

    def _final_estimator(self, alpha, shape):
        return Lasso(alpha=alpha, fit_intercept=self.fit_intercept, precompute=self.precompute,
                     max_iter=self.max_iter, tol=self.tol, positive=self.positive)
