"""Multi-task Lasso and elastic net: the l2,1 penalty couples the tasks feature by feature.

Objective (scikit-learn's ``MultiTaskElasticNet``), for ``Y`` of shape
(n_samples, n_tasks) and ``W`` of shape (n_tasks, n_features)::

    ||Y - X W^T - b||_F^2 / (2 n) + alpha * l1_ratio * sum_j ||W[:, j]||_2
                                   + alpha * (1 - l1_ratio) / 2 * ||W||_F^2

A feature is used by every task or by none. The solver is the block
coordinate descent of :mod:`skstruct._backend._bcd` with one block per
feature (its coefficients across the tasks); it stops on the duality gap.
"""

from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .._backend._bcd import BlockDesign, bcd_path, bcd_solve, row_spec
from .._backend._cd import ridge_solve
from ._base import (
    _check_alpha,
    _check_X_y,
    _grid_from,
    _PenalizedRegressor,
    _report_fit,
    _solver_seed,
    _warn_not_converged,
    make_designs,
)
from ._cv import _PenalizedCV

_NONFINITE = ("Coordinate descent iterations resulted in non-finite parameter values. The "
              "input data may contain large values and need to be preprocessed.")


def _check_multitask_y(y, name):
    if y.ndim != 2:
        raise ValueError(f"For mono-task outputs, use {name.replace('MultiTask', '')}; "
                         f"{name} needs y of shape (n_samples, n_tasks), got {y.shape}.")


def _multitask_grid(alphas, design, l1_ratio, eps):
    """Decreasing alpha grid from ``alpha_max = max_j ||X_j^T Y||_2 / (n l1_ratio)``."""
    norms = np.linalg.norm(design.Xty_n, axis=0)
    return _grid_from(alphas, SimpleNamespace(Xty_n=norms), l1_ratio=l1_ratio, eps=eps,
                      positive=False)


def multitask_enet_path(X, Y, *, l1_ratio=0.5, eps=1e-3, alphas=None, coef_init=None,
                        verbose=False, return_n_iter=False, check_input=True, copy_X=True,
                        **params):
    """Multi-task elastic-net coefficients over a decreasing grid of alphas (warm-started).

    What :func:`~skstruct.linear_model.enet_path` runs for a 2-D ``y``, as
    scikit-learn's ``enet_path`` (X and Y are not centred unless
    ``fit_intercept=True`` is passed in ``params``).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Y : array-like of shape (n_samples, n_tasks)
    l1_ratio : float in (0, 1], default=0.5
    eps : float, default=1e-3
    alphas : int, array-like or None, default=None
    coef_init : array-like of shape (n_tasks, n_features), default=None
    verbose : bool or int, default=False
    return_n_iter : bool, default=False
    check_input : bool, default=True
    copy_X : bool, default=True
    **params
        ``tol``, ``max_iter``, ``fit_intercept``, ``sample_weight``, ``selection``,
        ``random_state``.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
    coefs : ndarray of shape (n_tasks, n_features, n_alphas)
    dual_gaps : ndarray of shape (n_alphas,)
        Normalised by n.
    n_iters : ndarray of shape (n_alphas,)
        Only with ``return_n_iter``.
    """
    if check_input:
        X = check_array(X, accept_sparse=("csc", "csr"), dtype=[np.float64, np.float32])
        Y = check_array(Y, dtype=X.dtype)
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have {X.shape[0]} rows; got shape {Y.shape}.")
    designs, _, _ = make_designs(X, Y, params.get("sample_weight"),
                                 params.get("fit_intercept", False), False, copy_X=copy_X)
    design = BlockDesign(designs)
    grid = _multitask_grid(alphas, design, l1_ratio, eps)
    W0 = None
    if coef_init is not None:
        W0 = check_array(coef_init, ensure_2d=False, dtype=np.float64)
        if W0.shape != (design.n_tasks, design.n_features):
            raise ValueError(f"coef_init must have shape ({design.n_tasks}, "
                             f"{design.n_features}); got {W0.shape}.")
    seed = _solver_seed(params.get("selection", "cyclic"), params.get("random_state"))
    coefs, gaps, n_iters, _ = bcd_path(design, row_spec(design, l1_ratio), grid, W0=W0,
                                       tol=params.get("tol", 1e-4),
                                       max_iter=params.get("max_iter", 1000), seed=seed,
                                       verbose=verbose)
    coefs = coefs.astype(X.dtype, copy=False)
    if return_n_iter:
        return grid, coefs, gaps, n_iters
    return grid, coefs, gaps


class MultiTaskElasticNet(_PenalizedRegressor):
    """Multi-task elastic net: l2,1 plus ridge penalty, trained with block coordinate descent.

    Minimises ``||Y - X W^T - b||_F^2 / (2 n) + alpha * l1_ratio * ||W||_21
    + alpha * (1 - l1_ratio) / 2 * ||W||_F^2`` with ``||W||_21 = sum_j ||W[:, j]||_2``
    (scikit-learn's parametrisation): each feature is selected for all tasks
    or for none. Dense and sparse (CSC/CSR) X.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty level (>= 0, finite).
    l1_ratio : float in [0, 1], default=0.5
        Share of the l2,1 part (1: :class:`MultiTaskLasso`; 0: ridge per task,
        solved in closed form for dense X).
    fit_intercept : bool, default=True
    copy_X : bool, default=True
        When False, a dense float64 X may be centred in place.
    max_iter : int, default=1000
        Outer working-set iterations (each runs block-CD epochs on a working set).
    tol : float, default=1e-4
        The fit stops when the duality gap is at most ``tol * ||Y||_F^2 / n``
        (Y centred and weighted), scikit-learn's rule.
    warm_start : bool, default=False
        Start from the previous ``coef_``.
    random_state : int, RandomState instance or None, default=None
        Seed of the block order when ``selection="random"``.
    selection : {"cyclic", "random"}, default="cyclic"
        Order of the features within a working-set epoch.
    verbose : int, default=0
        1 prints one line per fit (epochs, nonzeros, duality gap) to stdout.

    Attributes
    ----------
    coef_ : ndarray of shape (n_tasks, n_features)
    intercept_ : ndarray of shape (n_tasks,)
    n_iter_ : int
        Block-coordinate epochs (sweeps over the working set), all outer iterations.
    dual_gap_ : float
        Duality gap reached, normalised by n.
    kkt_violation_ : float
        Largest distance of ``-grad_j`` (a row across tasks) to the subdifferential.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in`,)

    See Also
    --------
    MultiTaskLasso, MultiTaskElasticNetCV, enet_path

    Examples
    --------
    >>> from sklearn.datasets import load_linnerud
    >>> from skstruct.linear_model import MultiTaskElasticNet
    >>> X, Y = load_linnerud(return_X_y=True)
    >>> MultiTaskElasticNet(alpha=10.0).fit(X, Y).coef_.shape
    (3, 3)
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "copy_X": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "selection": [StrOptions({"cyclic", "random"})],
        "verbose": ["verbose"],
    }

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, copy_X=True,
                 max_iter=1000, tol=1e-4, warm_start=False, random_state=None,
                 selection="cyclic", verbose=0):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.selection = selection
        self.verbose = verbose

    def _l1_ratio(self):
        return self.l1_ratio

    def fit(self, X, y, sample_weight=None):
        """Fit the multi-task model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_tasks)
        sample_weight : float or array-like of shape (n_samples,), default=None
            Weights, rescaled to sum to n_samples.

        Returns
        -------
        self
        """
        self._validate_params()
        _check_alpha(self.alpha)
        X, Y = _check_X_y(self, X, y, multi_output=True)
        _check_multitask_y(Y, type(self).__name__)
        l1_ratio = self._l1_ratio()
        designs, X_offset, y_offset = make_designs(X, Y, sample_weight, self.fit_intercept,
                                                   "auto", copy_X=self.copy_X)
        design = BlockDesign(designs)
        T, p = design.n_tasks, design.n_features
        W0 = None
        if self.warm_start and np.shape(getattr(self, "coef_", None)) == (T, p):
            W0 = np.asarray(self.coef_, dtype=np.float64)
        # no l2,1 part: a ridge per task, solved exactly (dense X); its gap is then measured
        exact = (self.alpha == 0 or l1_ratio == 0) and design.mode != 1 \
            and np.all(np.isfinite(design.lipschitz))
        if exact:
            W0 = np.stack([ridge_solve(d, self.alpha * (1.0 - l1_ratio)) for d in designs])
        res = bcd_solve(design, row_spec(design, l1_ratio).at(self.alpha), W0, tol=self.tol,
                        max_iter=1 if exact else self.max_iter, max_epochs=0 if exact else 50_000,
                        seed=_solver_seed(self.selection, self.random_state))
        if not (np.all(np.isfinite(res.coef)) and np.all(np.isfinite(design.lipschitz))):
            raise ValueError(_NONFINITE)
        _report_fit(self, f"alpha={self.alpha:.4e}", res)
        if not res.converged and not exact:
            crit = (f"duality gap {res.dual_gap:.2e}" if np.isfinite(res.dual_gap)
                    else f"stationarity violation {res.kkt:.2e}")
            _warn_not_converged(type(self).__name__, crit, self.tol)
        self.coef_ = res.coef.astype(X.dtype)
        intercept = y_offset - res.coef @ X_offset if self.fit_intercept else np.zeros(T)
        self.intercept_ = intercept.astype(X.dtype)
        self.n_iter_ = res.n_epochs
        self.dual_gap_ = float(res.dual_gap)
        self.kkt_violation_ = float(res.kkt)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags


class MultiTaskLasso(MultiTaskElasticNet):
    """Multi-task Lasso: the l2,1 penalty, trained with block coordinate descent.

    Minimises ``||Y - X W^T - b||_F^2 / (2 n) + alpha * sum_j ||W[:, j]||_2``
    (scikit-learn's parametrisation). Gap-safe screening removes features along
    the way. Dense and sparse (CSC/CSR) X.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty level (>= 0, finite).
    fit_intercept : bool, default=True
    copy_X : bool, default=True
    max_iter : int, default=1000
        Outer working-set iterations.
    tol : float, default=1e-4
        Duality gap ``<= tol * ||Y||_F^2 / n``.
    warm_start : bool, default=False
    random_state : int, RandomState instance or None, default=None
    selection : {"cyclic", "random"}, default="cyclic"
    verbose : int, default=0
        1 prints one line per fit (epochs, nonzeros, duality gap) to stdout.

    Attributes
    ----------
    coef_ : ndarray of shape (n_tasks, n_features)
    intercept_ : ndarray of shape (n_tasks,)
    n_iter_ : int
    dual_gap_ : float
        Normalised by n.
    kkt_violation_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in`,)

    Examples
    --------
    >>> import numpy as np
    >>> from skstruct.linear_model import MultiTaskLasso
    >>> X = np.random.RandomState(0).randn(50, 10)
    >>> Y = np.c_[X[:, 0], -X[:, 0]]
    >>> np.flatnonzero(MultiTaskLasso(alpha=0.1).fit(X, Y).coef_.any(axis=0)).tolist()
    [0]
    """

    _parameter_constraints = {k: v for k, v in MultiTaskElasticNet._parameter_constraints.items()
                              if k != "l1_ratio"}

    def __init__(self, alpha=1.0, *, fit_intercept=True, copy_X=True, max_iter=1000, tol=1e-4,
                 warm_start=False, random_state=None, selection="cyclic", verbose=0):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.selection = selection
        self.verbose = verbose

    def _l1_ratio(self):
        return 1.0


# ----------------------------------------------------------------------------- cross-validation
class _MultiTaskCV(_PenalizedCV):
    """CV of the multi-task models on the family's CV base: fold paths are
    :func:`~skstruct._backend._bcd.bcd_path`, the loss is the (weighted) mean squared
    error averaged over the tasks, as scikit-learn."""

    _parameter_constraints = {k: v for k, v in _PenalizedCV._parameter_constraints.items()
                              if k not in ("precompute", "positive")}

    def _check_data(self, X, y):
        X, Y = _check_X_y(self, X, y, multi_output=True)
        _check_multitask_y(Y, type(self).__name__)
        return X, Y

    def _path_context(self, X, y, sw):
        designs, _, _ = make_designs(X, y, sw, self.fit_intercept, False)
        return SimpleNamespace(design=BlockDesign(designs),
                               seed=_solver_seed(self.selection, self.random_state))

    def _alpha_grid(self, ctx, hyper):
        return _multitask_grid(self.alphas, ctx.design, self._grid_l1_ratio(hyper), self.eps)

    def _fold_path(self, ctx, X, y, sw, alphas, hyper):
        designs, X_off, y_off = make_designs(X, y, sw, self.fit_intercept, "auto")
        d = BlockDesign(designs)
        coefs, *_ = bcd_path(d, row_spec(d, self._grid_l1_ratio(hyper)), alphas, tol=self.tol,
                             max_iter=self.max_iter, seed=ctx.seed,
                             verbose=max(0, self.verbose - 1))
        return coefs, y_off[:, None] - np.einsum("p,tpa->ta", X_off, coefs)

    def _fold_loss(self, path, X, y, sw):
        coefs, intercepts = path  # (T, p, A), (T, A)
        T, p, A = coefs.shape
        flat = coefs.transpose(1, 0, 2).reshape(p, T * A)
        pred = np.asarray(safe_sparse_dot(X, flat)).reshape(-1, T, A) + intercepts
        mse = np.average((y[:, :, None] - pred) ** 2, axis=0, weights=sw)
        return mse.mean(axis=0)

    def predict(self, X):
        """Predict with the refitted model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_tasks)
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"),
                          dtype=[np.float64, np.float32], reset=False)
        return np.asarray(safe_sparse_dot(X, self.coef_.T)) + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags


class MultiTaskElasticNetCV(_MultiTaskCV):
    """Multi-task elastic net with alpha (and l1_ratio) chosen by cross-validation.

    Parameters
    ----------
    l1_ratio : float or list of float, default=0.5
        Values to search (each in [0, 1]; 0 needs an explicit ``alphas`` grid).
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of each grid.
    alphas : int, array-like or None, default=100
        Number of alphas on the automatic grid (100 when None), or the grid.
    fit_intercept : bool, default=True
    max_iter : int, default=1000
        Outer working-set iterations per fit.
    tol : float, default=1e-4
        Duality gap ``<= tol * ||Y||_F^2 / n`` per fit.
    cv : int, cross-validation generator or iterable, default=None
        5-fold when None.
    copy_X : bool, default=True
    verbose : bool or int, default=0
        1 prints one line per fold (best alpha on that fold) and the refit; 2 also
        one line per alpha of each fold path. To stdout.
    n_jobs : int, default=None
        Fold paths run in parallel (threads).
    random_state : int, RandomState instance or None, default=None
    selection : {"cyclic", "random"}, default="cyclic"

    Attributes
    ----------
    alpha_ : float
    l1_ratio_ : float
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
    mse_path_ : ndarray of shape (n_alphas, n_folds) or (n_l1_ratio, n_alphas, n_folds)
    coef_ : ndarray of shape (n_tasks, n_features)
    intercept_ : ndarray of shape (n_tasks,)
    n_iter_ : int
    dual_gap_ : float
    kkt_violation_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in`,)
    """

    _parameter_constraints = {
        **_MultiTaskCV._parameter_constraints,
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), "array-like"],
    }

    def __init__(self, *, l1_ratio=0.5, eps=1e-3, alphas=100, fit_intercept=True,
                 max_iter=1000, tol=1e-4, cv=None, copy_X=True, verbose=0, n_jobs=None,
                 random_state=None, selection="cyclic"):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.selection = selection

    def _hyper_grid(self):
        return [{"l1_ratio": float(r)} for r in np.atleast_1d(self.l1_ratio)]

    def _grid_l1_ratio(self, hyper):
        return hyper["l1_ratio"]

    def _make_estimator(self, alpha, hyper):
        return MultiTaskElasticNet(alpha=alpha, l1_ratio=hyper["l1_ratio"],
                                   fit_intercept=self.fit_intercept, copy_X=self.copy_X,
                                   max_iter=self.max_iter, tol=self.tol,
                                   random_state=self.random_state, selection=self.selection)


class MultiTaskLassoCV(_MultiTaskCV):
    """Multi-task Lasso with alpha chosen by cross-validation (warm-started fold paths).

    Parameters
    ----------
    eps : float, default=1e-3
    alphas : int, array-like or None, default=100
    fit_intercept : bool, default=True
    max_iter : int, default=1000
        Outer working-set iterations per fit.
    tol : float, default=1e-4
    copy_X : bool, default=True
    cv : int, cross-validation generator or iterable, default=None
    verbose : bool or int, default=False
        1 prints one line per fold (best alpha on that fold) and the refit; 2 also
        one line per alpha of each fold path. To stdout.
    n_jobs : int, default=None
    random_state : int, RandomState instance or None, default=None
    selection : {"cyclic", "random"}, default="cyclic"

    Attributes
    ----------
    alpha_ : float
    alphas_ : ndarray of shape (n_alphas,)
    mse_path_ : ndarray of shape (n_alphas, n_folds)
    coef_ : ndarray of shape (n_tasks, n_features)
    intercept_ : ndarray of shape (n_tasks,)
    n_iter_ : int
    dual_gap_ : float
    kkt_violation_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in`,)
    """

    def __init__(self, *, eps=1e-3, alphas=100, fit_intercept=True, max_iter=1000, tol=1e-4,
                 copy_X=True, cv=None, verbose=False, n_jobs=None, random_state=None,
                 selection="cyclic"):
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.copy_X = copy_X
        self.cv = cv
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.selection = selection

    def _make_estimator(self, alpha, hyper):
        return MultiTaskLasso(alpha=alpha, fit_intercept=self.fit_intercept, copy_X=self.copy_X,
                              max_iter=self.max_iter, tol=self.tol,
                              random_state=self.random_state, selection=self.selection)
