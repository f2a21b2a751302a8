"""Group lasso by working-set block coordinate descent."""

from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from .._backend._bcd import BlockDesign, bcd_path, bcd_solve, group_spec
from ._base import (
    _grid_from,
    _PenalizedRegressor,
    _report_fit,
    _warn_not_converged,
    make_design,
)
from ._cv import _PenalizedCV


def _parse_groups(groups, n_features):
    """Groups as int (equal sizes), list of sizes, or list of index lists -> list of arrays."""
    if groups is None:
        return [np.array([j]) for j in range(n_features)]
    if isinstance(groups, Integral):
        if groups <= 0 or n_features % groups:
            raise ValueError(f"groups={groups} must be a positive divisor of n_features="
                             f"{n_features}.")
        return [np.arange(s, s + groups) for s in range(0, n_features, groups)]
    groups = list(groups)
    if len(groups) == 0:
        raise ValueError("groups must not be empty.")
    if all(isinstance(g, Integral) for g in groups):
        sizes = np.asarray(groups)
        if np.any(sizes <= 0) or sizes.sum() != n_features:
            raise ValueError(f"group sizes must be positive and sum to n_features={n_features};"
                             f" got sum {sizes.sum()}.")
        edges = np.concatenate([[0], np.cumsum(sizes)])
        return [np.arange(edges[i], edges[i + 1]) for i in range(len(sizes))]
    out = [np.asarray(g, dtype=int).ravel() for g in groups]
    allidx = np.concatenate(out)
    if np.any(allidx < 0) or np.any(allidx >= n_features) or \
            np.unique(allidx).size != allidx.size or allidx.size != n_features:
        raise ValueError("groups given as index lists must partition range(n_features) "
                         f"(n_features={n_features}): each feature in exactly one group.")
    return out


def _group_weights(group_weights, groups):
    """``weights_g`` of each group: sqrt of its size, ones, or given (non-negative, finite)."""
    if isinstance(group_weights, str):
        return (np.sqrt([len(g) for g in groups]) if group_weights == "sqrt_size"
                else np.ones(len(groups)))
    weights = np.asarray(group_weights, dtype=np.float64).ravel()
    if weights.shape != (len(groups),) or np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise ValueError(f"group_weights must be {len(groups)} non-negative finite numbers.")
    return weights


class GroupLasso(_PenalizedRegressor):
    """Linear regression with a group-lasso penalty (block coordinate descent).

    Minimises ``||y - X w - b||^2 / (2 n) + alpha * sum_g weights_g ||w_g||_2``:
    whole groups of coefficients enter or leave the model together.

    The solver keeps a working set of groups chosen by their violation of the
    optimality conditions ``dist(-grad_g, alpha weights_g ∂||w_g||)`` (the
    Gauss-Southwell-s rule applied to blocks), and updates each group by block
    soft thresholding with step ``1 / L_g``, ``L_g = ||X_g||_2^2 / n``. It
    stops when the duality gap is at most ``tol * ||y||^2 / n``.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty level (>= 0).
    groups : int, list of int, list of array-like, or None, default=None
        An int splits the features into consecutive groups of that size; a list
        of ints gives consecutive group sizes (summing to n_features); a list of
        index lists gives each group (a partition of the features). None puts
        each feature in its own group (the Lasso).
    group_weights : "sqrt_size", "ones" or array-like of shape (n_groups,), default="sqrt_size"
        ``weights_g``; ``sqrt(|g|)`` is the usual choice.
    fit_intercept : bool, default=True
    precompute : bool or "auto", default="auto"
        Gram matrix for dense tall data.
    max_iter : int, default=100
        Outer working-set iterations.
    tol : float, default=1e-4
        Duality gap tolerance (see above).
    warm_start : bool, default=False
    positive : bool, default=False
        Constrain the coefficients to be non-negative: each block update projects
        onto the nonnegative orthant, then shrinks the group.
    verbose : int, default=0
        1 prints one line per fit (epochs, nonzeros, gap) to stdout.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    groups_ : list of ndarray
        Feature indices of each group.
    n_iter_ : int
        Block-coordinate epochs.
    dual_gap_ : float
        Duality gap reached (normalised by n).
    kkt_violation_ : float
        Largest group violation.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in`,)

    References
    ----------
    Yuan & Lin (2006), Model selection and estimation in regression with grouped
    variables. Nutini, Laradji & Schmidt (2022), Let's make block coordinate
    descent converge faster, JMLR.
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "groups": [Interval(Integral, 1, None, closed="left"), "array-like", list, None],
        "group_weights": [StrOptions({"sqrt_size", "ones"}), "array-like"],
        "fit_intercept": ["boolean"],
        "precompute": ["boolean", StrOptions({"auto"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "positive": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(self, alpha=1.0, *, groups=None, group_weights="sqrt_size", fit_intercept=True,
                 precompute="auto", max_iter=100, tol=1e-4, warm_start=False, positive=False,
                 verbose=0):
        self.alpha = alpha
        self.groups = groups
        self.group_weights = group_weights
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.verbose = verbose

    def _fit(self, X, y, sample_weight):
        p = X.shape[1]
        groups = _parse_groups(self.groups, p)
        weights = _group_weights(self.group_weights, groups)
        design, X_offset, y_offset = make_design(X, y, sample_weight, self.fit_intercept,
                                                 self.precompute)
        w0 = None
        if self.warm_start and getattr(self, "coef_", None) is not None \
                and np.shape(self.coef_) == (p,):
            w0 = np.asarray(self.coef_, dtype=np.float64)
        spec = group_spec(design, groups, weights, positive=self.positive).at(self.alpha)
        res = bcd_solve(BlockDesign([design]), spec, w0, tol=self.tol, max_iter=self.max_iter)
        _report_fit(self, f"alpha={self.alpha:.4e}", res)
        self.groups_ = groups
        self._set_fitted(res.coef[0], X_offset, y_offset, X.dtype)
        self.n_iter_ = res.n_epochs
        self.dual_gap_ = float(res.dual_gap)
        self.kkt_violation_ = float(res.kkt)
        if not res.converged:
            crit = (f"duality gap {res.dual_gap:.2e}" if np.isfinite(res.dual_gap)
                    else f"stationarity violation {res.kkt:.2e}")
            _warn_not_converged("GroupLasso", crit, self.tol)
        return self


class GroupLassoCV(_PenalizedCV):
    """Group lasso with alpha chosen by cross-validation (warm-started paths per fold).

    The grid runs from ``alpha_max = max_g ||X_g^T y||_2 / (n weights_g)`` (every
    group zero; centred, weighted data; the positive part of ``X_g^T y`` with
    ``positive``) down to ``eps * alpha_max``. Each training fold fits the
    warm-started path by block coordinate descent and is scored by its held-out
    (weighted) mean squared error; the alpha with the lowest mean error is
    refitted with :class:`GroupLasso`.

    Parameters
    ----------
    groups : int, list of int, list of array-like, or None, default=None
        As :class:`GroupLasso`.
    group_weights : "sqrt_size", "ones" or array-like of shape (n_groups,), default="sqrt_size"
    eps : float, default=1e-3
        ``alpha_min / alpha_max``.
    alphas : int, array-like or None, default=100
        Number of alphas on the automatic grid (100 when None), or the grid
        itself (non-negative, finite).
    fit_intercept : bool, default=True
    precompute : bool or "auto", default="auto"
    max_iter : int, default=100
        Outer working-set iterations per fit.
    tol : float, default=1e-4
        Duality gap ``<= tol * ||y||^2 / n`` per fit.
    cv : int, cross-validation generator or iterable, default=None
        5-fold when None.
    verbose : int, default=0
        1 prints one line per fold and the refit; 2 also one line per alpha. To stdout.
    n_jobs : int, default=None
        Folds run in parallel on threads (-1: all cores).
    positive : bool, default=False
        Non-negative coefficients (as :class:`GroupLasso`).

    Attributes
    ----------
    alpha_ : float
    alphas_ : ndarray of shape (n_alphas,)
    mse_path_ : ndarray of shape (n_alphas, n_folds)
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    groups_ : list of ndarray
    n_iter_ : int
    dual_gap_ : float
    kkt_violation_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in`,)

    See Also
    --------
    GroupLasso, LassoCV
    """

    _refit_attributes = _PenalizedCV._refit_attributes + ("groups_",)
    _parameter_constraints = {
        **{k: v for k, v in _PenalizedCV._parameter_constraints.items()
           if k not in ("copy_X", "random_state", "selection")},
        "groups": GroupLasso._parameter_constraints["groups"],
        "group_weights": GroupLasso._parameter_constraints["group_weights"],
    }

    def __init__(self, *, groups=None, group_weights="sqrt_size", eps=1e-3, alphas=100,
                 fit_intercept=True, precompute="auto", max_iter=100, tol=1e-4, cv=None,
                 verbose=0, n_jobs=None, positive=False):
        self.groups = groups
        self.group_weights = group_weights
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

    def _path_context(self, X, y, sw):
        full, _, _ = make_design(X, y, sw, self.fit_intercept, False)
        groups = _parse_groups(self.groups, X.shape[1])
        weights = _group_weights(self.group_weights, groups)
        full = BlockDesign([full])
        return SimpleNamespace(design=full, groups=groups, weights=weights,
                               spec=group_spec(full, groups, weights, positive=self.positive))

    def _alpha_grid(self, ctx, hyper):
        # alpha_max reads only X^T y / n; scaled by its largest entry so that the group
        # norms cannot overflow (X and y near 1e150), then scaled back
        q = ctx.design.Xty_n
        m = float(np.max(np.abs(q), initial=0.0))
        m = m if np.isfinite(m) and m > 0 else 1.0
        amax = m * ctx.spec.alpha_max(SimpleNamespace(Xty_n=q / m))
        return _grid_from(self.alphas, ctx.design, l1_ratio=1.0, eps=self.eps,
                          positive=self.positive, alpha_max=amax)

    def _fold_path(self, ctx, X, y, sw, alphas, hyper):
        d, X_off, y_off = make_design(X, y, sw, self.fit_intercept, self.precompute)
        d = BlockDesign([d])
        spec = group_spec(d, ctx.groups, ctx.weights, positive=self.positive)
        coefs, *_ = bcd_path(d, spec, alphas, tol=self.tol, max_iter=self.max_iter,
                             verbose=max(0, self.verbose - 1))
        coefs = coefs[0]
        return coefs, y_off - X_off @ coefs

    def _make_estimator(self, alpha, hyper):
        return GroupLasso(alpha=alpha, groups=self.groups, group_weights=self.group_weights,
                          fit_intercept=self.fit_intercept, precompute=self.precompute,
                          max_iter=self.max_iter, tol=self.tol, positive=self.positive)
