"""Lasso and elastic net: estimators, regularisation paths, cross-validation.

The public names and parameters are scikit-learn's (``sklearn.linear_model``);
scikit-learn's own tests of them run on these classes
(``tests/linear_model/test_sklearn_peer_suite.py``).
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_array

from .._backend._cd import cd_solve, ridge_solve
from .._backend._penalties import MCP, SCAD, ElasticNetPenalty
from ._base import (
    _check_alpha,
    _check_X_y,
    _grid_from,
    _PenalizedRegressor,
    _report_fit,
    _solver_seed,
    _warn_not_converged,
    make_designs,
    penalized_path,
)
from ._cv import _PenalizedCV

_NONFINITE = ("Coordinate descent iterations resulted in non-finite parameter values. The "
              "input data may contain large values and need to be preprocessed.")


def _unchecked_input(est, X, y, weighted):
    """``check_input=False``: X used as given, so it must already be in the solver's layout
    (as scikit-learn: Fortran order, unless sample weights make a weighted copy anyway)."""
    if sp.issparse(X):
        if X.format not in ("csc", "csr") or X.dtype not in (np.float64, np.float32):
            raise ValueError("With check_input=False, a sparse X must be CSC or CSR of dtype "
                             f"float64 or float32; got {X.format} of dtype {X.dtype}.")
    elif not (isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype in (np.float64, np.float32)
              and (X.flags.f_contiguous or weighted)):
        raise ValueError("With check_input=False, X must be a 2-D Fortran-ordered float64 or "
                         "float32 array (check_array(X, order='F', dtype=...)).")
    est.n_features_in_ = X.shape[1]
    return X, np.asarray(y, dtype=X.dtype)


class ElasticNet(_PenalizedRegressor):
    """Linear regression with combined l1 and l2 penalties (working-set coordinate descent).

    Minimises ``||y - X w - b||^2 / (2 n) + alpha * l1_ratio * ||w||_1
    + alpha * (1 - l1_ratio) / 2 * ||w||_2^2``, scikit-learn's parametrisation,
    so the same ``alpha`` gives the same coefficients as
    :class:`sklearn.linear_model.ElasticNet`. A 2-D ``y`` fits one model per
    column (as scikit-learn).

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty level (>= 0, finite).
    l1_ratio : float in [0, 1], default=0.5
        Mix of l1 (1) and l2 (0).
    fit_intercept : bool, default=True
        Fit an unpenalised intercept (by weighted centring; sparse X is
        centred implicitly and stays sparse).
    precompute : bool, "auto" or ndarray of shape (n_features, n_features), default="auto"
        Use the Gram matrix ``X^T X / n`` (dense X only); "auto" when
        ``n_samples >= 2 n_features``. An array is taken as ``Xc^T Xc`` of the
        centred, weighted X (one entry is checked; recomputed with a warning when
        X needs centring), as scikit-learn.
    max_iter : int, default=100
        Outer working-set iterations (each runs CD epochs on a working set).
    copy_X : bool, default=True
        When False, a dense float64 X may be centred in place.
    tol : float, default=1e-4
        Stopping tolerance on the duality gap: the fit stops when the gap is
        at most ``tol * ||y||^2 / n`` (``y`` centred and weighted).
    warm_start : bool, default=False
        Start from the previous ``coef_``.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    random_state : int, RandomState instance or None, default=None
        Seed of the coordinate order when ``selection="random"``.
    selection : {"cyclic", "random"}, default="cyclic"
        Order of the coordinates within a working-set epoch.
    verbose : int, default=0
        1 prints one line per fit (epochs, nonzeros, duality gap) to stdout.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int or list of int
        Coordinate-descent epochs (sweeps over the working set), all outer iterations.
    dual_gap_ : float or ndarray of shape (n_targets,)
        Duality gap reached, normalised by n (scikit-learn's ``dual_gap_`` over n).
    kkt_violation_ : float or ndarray of shape (n_targets,)
        Largest distance of ``-grad_j`` to the subdifferential of the penalty, over
        ``sqrt(L_j)`` (``L_j = ||X_j||^2 / n``): invariant to rescaling ``X``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in`,)

    See Also
    --------
    Lasso, ElasticNetCV, enet_path
    """

    _parameter_constraints = {
        **_PenalizedRegressor._parameter_constraints,
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "precompute": ["boolean", StrOptions({"auto"}), "array-like"],
        "copy_X": ["boolean"],
        "random_state": ["random_state"],
        "selection": [StrOptions({"cyclic", "random"})],
    }

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, precompute="auto",
                 max_iter=100, copy_X=True, tol=1e-4, warm_start=False, positive=False,
                 random_state=None, selection="cyclic", verbose=0):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.copy_X = copy_X
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.verbose = verbose

    def _l1_ratio(self):
        return self.l1_ratio

    def fit(self, X, y, sample_weight=None, check_input=True):
        """Fit the model (one per column of a 2-D y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : float or array-like of shape (n_samples,), default=None
            Weights, rescaled to sum to n_samples.
        check_input : bool, default=True
            False skips validation: X must then be a Fortran-ordered float array or
            a CSC/CSR matrix, finite (for callers that checked it already).

        Returns
        -------
        self
        """
        self._validate_params()
        _check_alpha(self.alpha)
        if self.alpha == 0:
            warnings.warn("With alpha=0, this algorithm does not converge well. You are "
                          "advised to use the LinearRegression estimator", stacklevel=2)
        if check_input:
            X, y = _check_X_y(self, X, y, multi_output=True)
        else:
            X, y = _unchecked_input(self, X, y, sample_weight is not None)
        Y = y[:, None] if y.ndim == 1 else y
        n_targets = Y.shape[1]
        designs, X_offset, y_offset = make_designs(
            X, Y, sample_weight, self.fit_intercept, self.precompute, copy_X=self.copy_X,
            check_input=check_input)
        p = X.shape[1]
        w0 = None
        if self.warm_start and getattr(self, "coef_", None) is not None \
                and np.size(self.coef_) == p * n_targets:
            w0 = np.asarray(self.coef_, dtype=np.float64).reshape(n_targets, p)
        spec = ElasticNetPenalty(self.alpha, self._l1_ratio(), positive=self.positive).spec(p)
        seed = _solver_seed(self.selection, self.random_state)
        coefs = np.zeros((n_targets, p))
        gaps, kkts, n_iter = np.zeros(n_targets), np.zeros(n_targets), []
        converged = True
        # no l1 part and no sign constraint: a linear system, solved exactly (dense X)
        smooth = (self.alpha == 0 or self._l1_ratio() == 0) and not self.positive
        for t, design in enumerate(designs):
            start = None if w0 is None else w0[t]
            exact = smooth and design.mode != 1 and np.all(np.isfinite(design.lipschitz))
            if exact:
                start = ridge_solve(design, self.alpha * (1.0 - self._l1_ratio()))
            # (from the exact solution, one outer iteration without epochs measures its gap)
            res = cd_solve(design, spec, start, tol=self.tol,
                           max_iter=1 if exact else self.max_iter,
                           max_epochs=0 if exact else 50_000, seed=seed,
                           trust_start=exact or getattr(self, "_converged", True))
            _report_fit(self, f"alpha={self.alpha:.4e}" + (f", target {t}" if n_targets > 1
                                                             else ""), res)
            if not (np.all(np.isfinite(res.coef)) and np.all(np.isfinite(design.lipschitz))):
                raise ValueError(_NONFINITE)
            if not res.converged and not exact:
                crit = (f"duality gap {res.dual_gap:.2e}" if np.isfinite(res.dual_gap)
                        else f"stationarity violation {res.kkt:.2e}")
                _warn_not_converged(type(self).__name__, crit, self.tol)
            coefs[t], gaps[t], kkts[t] = res.coef, res.dual_gap, res.kkt
            n_iter.append(res.n_epochs)
            converged &= res.converged or exact
        self._converged = converged  # a warm start from here may stop on the gap alone
        intercepts = y_offset - coefs @ X_offset if self.fit_intercept else np.zeros(n_targets)
        if n_targets == 1:
            self.coef_ = coefs[0].astype(X.dtype)
            self.intercept_ = X.dtype.type(intercepts[0]) if X.dtype == np.float32 \
                else float(intercepts[0])
            self.n_iter_, self.dual_gap_, self.kkt_violation_ = n_iter[0], gaps[0], kkts[0]
        else:
            self.coef_ = coefs.astype(X.dtype)
            self.intercept_ = intercepts.astype(X.dtype)
            self.n_iter_, self.dual_gap_, self.kkt_violation_ = n_iter, gaps, kkts
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class Lasso(ElasticNet):
    """Linear regression with an l1 penalty (working-set coordinate descent).

    Minimises ``||y - X w - b||^2 / (2 n) + alpha * ||w||_1``, the
    parametrisation of :class:`sklearn.linear_model.Lasso`; a 2-D ``y`` fits
    one model per column.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty level (>= 0, finite).
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.
    precompute : bool, "auto" or ndarray of shape (n_features, n_features), default="auto"
        Gram matrix for dense tall data ("auto": ``n_samples >= 2 n_features``),
        or a precomputed one (see :class:`ElasticNet`).
    copy_X : bool, default=True
        When False, a dense float64 X may be centred in place.
    max_iter : int, default=100
        Outer working-set iterations.
    tol : float, default=1e-4
        The fit stops when the duality gap is at most ``tol * ||y||^2 / n``
        (scikit-learn's rule).
    warm_start : bool, default=False
        Start from the previous ``coef_``.
    positive : bool, default=False
        Non-negative coefficients.
    random_state : int, RandomState instance or None, default=None
        Seed of the coordinate order when ``selection="random"``.
    selection : {"cyclic", "random"}, default="cyclic"
    verbose : int, default=0
        1 prints one line per fit to stdout.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int or list of int
        Coordinate-descent epochs.
    dual_gap_ : float or ndarray of shape (n_targets,)
        Duality gap reached (normalised by n).
    kkt_violation_ : float or ndarray of shape (n_targets,)
        Largest violation of the optimality conditions, over ``sqrt(L_j)``.
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

    _parameter_constraints = {k: v for k, v in ElasticNet._parameter_constraints.items()
                              if k != "l1_ratio"}

    def __init__(self, alpha=1.0, *, fit_intercept=True, precompute="auto", copy_X=True,
                 max_iter=100, tol=1e-4, warm_start=False, positive=False, random_state=None,
                 selection="cyclic", verbose=0):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.verbose = verbose

    def _l1_ratio(self):
        return 1.0


# ----------------------------------------------------------------------------- path functions
_PATH_EXTRA = ("tol", "max_iter", "fit_intercept", "sample_weight", "random_state", "selection")


def _path(X, y, make_spec, *, l1_ratio, eps, alphas, precompute, copy_X, coef_init, verbose,
          positive, check_input, params):
    unexpected = sorted(set(params) - set(_PATH_EXTRA))
    if unexpected:
        raise ValueError(f"Unexpected parameters in params: {unexpected}.")
    if check_input:
        X = check_array(X, accept_sparse=("csc", "csr"), dtype=[np.float64, np.float32])
        y = check_array(y, ensure_2d=False, dtype=X.dtype)
    if y.ndim != 1:
        if positive:
            raise ValueError("positive=True is not allowed for multi-output (y.ndim != 1).")
        raise ValueError("y must be 1-D: multi-output paths (the multi-task l2,1 penalty of "
                         f"scikit-learn's enet_path) are not available; got y of shape "
                         f"{y.shape}.")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have shape ({X.shape[0]},); got {y.shape}.")
    designs, _, _ = make_designs(X, y[:, None], params.get("sample_weight"),
                                 params.get("fit_intercept", False), precompute, copy_X=copy_X,
                                 check_input=check_input)
    design = designs[0]
    alphas = _grid_from(alphas, design, l1_ratio=l1_ratio, eps=eps, positive=positive)
    w0 = None if coef_init is None else check_array(coef_init, ensure_2d=False).ravel()
    if w0 is not None and w0.shape != (X.shape[1],):
        raise ValueError(f"coef_init must have shape ({X.shape[1]},); got {w0.shape}.")
    seed = _solver_seed(params.get("selection", "cyclic"), params.get("random_state"))
    coefs, gaps, kkts, n_iters, _ = penalized_path(
        design, make_spec, alphas, w0=w0, tol=params.get("tol", 1e-4),
        max_iter=params.get("max_iter", 100), seed=seed, verbose=verbose)
    return alphas, coefs.astype(X.dtype, copy=False), gaps, kkts, n_iters


_PATH_PARAMS = {
    "X": ["array-like", "sparse matrix"],
    "y": ["array-like"],
    "eps": [Interval(Real, 0, None, closed="neither")],
    "alphas": [Interval(Integral, 1, None, closed="left"), "array-like", None],
    "precompute": ["boolean", StrOptions({"auto"}), "array-like"],
    "copy_X": ["boolean"],
    "coef_init": ["array-like", None],
    "verbose": ["verbose"],
    "return_n_iter": ["boolean"],
    "positive": ["boolean"],
    "check_input": ["boolean"],
}


@validate_params({**_PATH_PARAMS, "l1_ratio": [Interval(Real, 0, 1, closed="right")]},
                 prefer_skip_nested_validation=True)
def enet_path(X, y, *, l1_ratio=0.5, eps=1e-3, alphas=None, precompute="auto", copy_X=True,
              coef_init=None, verbose=False, return_n_iter=False, positive=False,
              check_input=True, **params):
    """Elastic-net coefficients over a decreasing grid of alphas (warm-started).

    Same objective, grid and call as :func:`sklearn.linear_model.enet_path`
    (X and y are not centred unless ``fit_intercept=True``); each fit starts
    from the previous solution and its working set.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_tasks)
        A 2-D y gives the multi-task (l2,1) path of
        :func:`~skstruct.linear_model._multitask.multitask_enet_path`.
    l1_ratio : float in (0, 1], default=0.5
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int, array-like or None, default=None
        Number of alphas on the automatic grid (100 when None), or the grid
        itself (sorted decreasingly).
    precompute : bool, "auto" or ndarray of shape (n_features, n_features), default="auto"
        As :class:`ElasticNet`.
    copy_X : bool, default=True
    coef_init : array-like of shape (n_features,), default=None
        Start of the first fit.
    verbose : bool or int, default=False
        One line per alpha.
    return_n_iter : bool, default=False
    positive : bool, default=False
    check_input : bool, default=True
        False skips the validation of X and y.
    **params
        ``tol`` (default 1e-4: duality gap ``<= tol * ||y||^2 / n`` at each
        alpha), ``max_iter`` (100 outer working-set iterations per alpha),
        ``fit_intercept`` (False; True centres X and y, weighted),
        ``sample_weight``, ``selection`` and ``random_state``. Anything else
        raises a ValueError.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
    coefs : ndarray of shape (n_features, n_alphas) or (n_tasks, n_features, n_alphas)
    dual_gaps : ndarray of shape (n_alphas,)
        Normalised by n.
    n_iters : ndarray of shape (n_alphas,)
        Only with ``return_n_iter``: CD epochs per alpha.
    """

    if np.ndim(y) == 2:  # multi-task: the l2,1 (+ ridge) penalty, as scikit-learn
        if positive:
            raise ValueError("positive=True is not allowed for multi-output (y.ndim != 1).")
        unexpected = sorted(set(params) - set(_PATH_EXTRA))
        if unexpected:
            raise ValueError(f"Unexpected parameters in params: {unexpected}.")
        from ._multitask import multitask_enet_path

        return multitask_enet_path(X, y, l1_ratio=l1_ratio, eps=eps, alphas=alphas,
                                   coef_init=coef_init, verbose=verbose,
                                   return_n_iter=return_n_iter, check_input=check_input,
                                   copy_X=copy_X, **params)

    def make_spec(a):
        return ElasticNetPenalty(a, l1_ratio, positive=positive).spec(X.shape[1])

    alphas, coefs, gaps, _, n_iters = _path(
        X, y, make_spec, l1_ratio=l1_ratio, eps=eps, alphas=alphas, precompute=precompute,
        copy_X=copy_X, coef_init=coef_init, verbose=verbose, positive=positive,
        check_input=check_input, params=params)
    if return_n_iter:
        return alphas, coefs, gaps, n_iters
    return alphas, coefs, gaps


@validate_params(_PATH_PARAMS, prefer_skip_nested_validation=True)
def lasso_path(X, y, *, eps=1e-3, alphas=None, precompute="auto", copy_X=True, coef_init=None,
               verbose=False, return_n_iter=False, positive=False, check_input=True, **params):
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
    return enet_path(X, y, l1_ratio=1.0, eps=eps, alphas=alphas, precompute=precompute,
                     copy_X=copy_X, coef_init=coef_init, verbose=verbose,
                     return_n_iter=return_n_iter, positive=positive, check_input=check_input,
                     **params)


@validate_params({**_PATH_PARAMS, "penalty": [StrOptions({"mcp", "scad"})],
                  "gamma": [Interval(Real, 0, None, closed="neither"), None]},
                 prefer_skip_nested_validation=True)
def nonconvex_path(X, y, *, penalty="mcp", gamma=None, eps=1e-3, alphas=None,
                   precompute="auto", copy_X=True, coef_init=None, verbose=False,
                   return_n_iter=False, positive=False, check_input=True, **params):
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
        X, y, make_spec, l1_ratio=1.0, eps=eps, alphas=alphas, precompute=precompute,
        copy_X=copy_X, coef_init=coef_init, verbose=verbose, positive=positive,
        check_input=check_input, params=params)
    if return_n_iter:
        return alphas, coefs, kkts, n_iters
    return alphas, coefs, kkts


# ----------------------------------------------------------------------------- cross-validation
class ElasticNetCV(_PenalizedCV):
    """Elastic net with alpha (and l1_ratio) chosen by cross-validation.

    Parameters
    ----------
    l1_ratio : float or list of float, default=0.5
        Values to search (each in [0, 1]; 0 needs an explicit ``alphas`` grid).
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of each grid.
    alphas : int, array-like or None, default=100
        Number of alphas on the automatic grid (100 when None), or the grid itself.
    fit_intercept : bool, default=True
    precompute : bool or "auto", default="auto"
    max_iter : int, default=100
        Outer working-set iterations per fit.
    tol : float, default=1e-4
        Duality gap ``<= tol * ||y||^2 / n`` per fit.
    cv : int, cross-validation generator or iterable, default=None
        Anything :func:`sklearn.model_selection.check_cv` accepts (5-fold when None).
    copy_X : bool, default=True
    verbose : bool or int, default=0
        1 prints one line per fold (best alpha on that fold) and the refit; 2 also
        one line per alpha of each fold path. To stdout.
    n_jobs : int, default=None
        Fold paths run in parallel (threads; -1 for all cores).
    positive : bool, default=False
    random_state : int, RandomState instance or None, default=None
        Seed of the coordinate order when ``selection="random"``.
    selection : {"cyclic", "random"}, default="cyclic"

    Attributes
    ----------
    alpha_ : float
    l1_ratio_ : float
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        One grid per l1_ratio (automatic grids); the given grid otherwise.
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
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), "array-like"],
    }

    def __init__(self, *, l1_ratio=0.5, eps=1e-3, alphas=100, fit_intercept=True,
                 precompute="auto", max_iter=100, tol=1e-4, cv=None, copy_X=True, verbose=0,
                 n_jobs=None, positive=False, random_state=None, selection="cyclic"):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection

    def _hyper_grid(self):
        return [{"l1_ratio": float(r)} for r in np.atleast_1d(self.l1_ratio)]

    def _grid_l1_ratio(self, hyper):
        return hyper["l1_ratio"]

    def _make_spec(self, alpha, hyper, p):
        return ElasticNetPenalty(alpha, hyper["l1_ratio"], positive=self.positive).spec(p)

    def _make_estimator(self, alpha, hyper):
        return ElasticNet(alpha=alpha, l1_ratio=hyper["l1_ratio"], fit_intercept=self.fit_intercept,
                          precompute=self.precompute, max_iter=self.max_iter, tol=self.tol,
                          copy_X=self.copy_X, positive=self.positive,
                          random_state=self.random_state, selection=self.selection)


class LassoCV(_PenalizedCV):
    """Lasso with alpha chosen by cross-validation (warm-started paths per fold).

    Parameters
    ----------
    eps : float, default=1e-3
        ``alpha_min / alpha_max``.
    alphas : int, array-like or None, default=100
        Number of alphas on the automatic grid (100 when None), or the grid.
    fit_intercept : bool, default=True
    precompute : bool or "auto", default="auto"
    max_iter : int, default=100
        Outer working-set iterations per fit.
    tol : float, default=1e-4
        Duality gap ``<= tol * ||y||^2 / n`` per fit.
    copy_X : bool, default=True
    cv : int, cross-validation generator or iterable, default=None
        5-fold when None.
    verbose : bool or int, default=False
        1 prints one line per fold (best alpha on that fold) and the refit; 2 also
        one line per alpha of each fold path. To stdout.
    n_jobs : int, default=None
        Fold paths run in parallel (threads; -1 for all cores).
    positive : bool, default=False
    random_state : int, RandomState instance or None, default=None
    selection : {"cyclic", "random"}, default="cyclic"

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
                 max_iter=100, tol=1e-4, copy_X=True, cv=None, verbose=False, n_jobs=None,
                 positive=False, random_state=None, selection="cyclic"):
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.copy_X = copy_X
        self.cv = cv
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection

    def _make_spec(self, alpha, hyper, p):
        return ElasticNetPenalty(alpha, 1.0, positive=self.positive).spec(p)

    def _make_estimator(self, alpha, hyper):
        return Lasso(alpha=alpha, fit_intercept=self.fit_intercept, precompute=self.precompute,
                     copy_X=self.copy_X, max_iter=self.max_iter, tol=self.tol,
                     positive=self.positive, random_state=self.random_state,
                     selection=self.selection)
