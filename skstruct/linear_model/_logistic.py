"""Sparse logistic regression: l1, elastic net, MCP, SCAD; path; cross-validation.

Objective of one binary problem (labels ``y_i in {-1, 1}``, weights ``sw`` rescaled
to sum to ``n``)::

    min_{w, b}  sum_i sw_i log(1 + exp(-y_i (x_i w + b))) / n + pen(w; alpha)

solved, for the l1 and elastic-net penalties, by the working-set proximal Newton of
:mod:`skstruct._backend._prox_newton` (``solver="auto"``), whose Newton models are
weighted least squares solved by the shared coordinate descent; MCP and SCAD (and
``solver="cd"``) by the working-set coordinate descent of :mod:`skstruct._backend._cd`
with its logistic datafit. The intercept ``b`` is an unpenalised coordinate of its own
(a column of ones), not removed by centring, which would be wrong for this loss.
``alpha`` relates to scikit-learn's ``C`` by ``C = 1 / (n alpha)`` (``n`` the total
sample weight). More than two classes: one binary problem per class (one-vs-rest).
"""

from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .._backend._cd import cd_solve, prepare_logistic_designs
from .._backend._penalties import L1, MCP, SCAD, ElasticNetPenalty
from .._backend._prox_newton import prox_newton_solve
from ._base import (
    _check_alpha,
    _report_path_step,
    _warn_not_converged,
    alpha_grid,
    penalized_path,
)
from ._cv import _PathCV

_PENALTIES = ("l1", "elasticnet", "mcp", "scad")
_SOLVERS = ("auto", "prox_newton", "cd")
_DEFAULT_GAMMA = {"mcp": 3.0, "scad": 3.7}


# ----------------------------------------------------------------------------- family functions
def _check_X(est, X, reset):
    X = validate_data(est, X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32],
                      reset=reset)
    if sp.issparse(X) and X.format != "csc":
        X = X.tocsc()
    return X


def _encode(y, name):
    """Classes and the one-vs-rest label matrix in {-1, 1}, shape (n, n_problems)."""
    check_classification_targets(y)
    classes, idx = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValueError(f"{name} needs samples of at least 2 classes in the data; got 1 "
                         f"class: {classes[0]!r}.")
    if classes.size == 2:
        return classes, np.where(idx == 1, 1.0, -1.0)[:, None]
    return classes, np.where(idx[:, None] == np.arange(classes.size)[None, :], 1.0, -1.0)


def _weights(sample_weight, X):
    """Sample weights rescaled to sum to n (None stays None) and their raw total."""
    n = X.shape[0]
    if sample_weight is None:
        return None, float(n)
    sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    tot = float(sw.sum())
    if not tot > 0:
        raise ValueError("sample_weight must have a positive sum.")
    return sw * (n / tot), tot


def _levels(n_coef, fit_intercept):
    """Penalty weights: ones, and 0 on the intercept (the last coordinate)."""
    wts = np.ones(n_coef)
    if fit_intercept:
        wts[-1] = 0.0
    return wts


def _penalty(penalty, alpha, l1_ratio, gamma, n_coef, fit_intercept):
    """The penalty object on ``n_coef`` coordinates (the intercept, last, unpenalised)."""
    wts = _levels(n_coef, fit_intercept)
    g = _DEFAULT_GAMMA.get(penalty) if gamma is None else gamma
    if penalty == "l1":
        return L1(alpha, weights=wts)
    if penalty == "elasticnet":
        return ElasticNetPenalty(alpha, l1_ratio, weights=wts)
    return (MCP if penalty == "mcp" else SCAD)(alpha, g, weights=wts)


def _use_newton(solver, penalty):
    """Whether the prox-Newton route solves this penalty (see ``solver``)."""
    if solver not in _SOLVERS:
        raise ValueError(f"solver must be one of {_SOLVERS}; got {solver!r}.")
    if solver == "prox_newton" and penalty in ("mcp", "scad"):
        raise ValueError(f"solver='prox_newton' handles the convex penalties (l1, "
                         f"elasticnet); use solver='cd' or 'auto' for {penalty!r}.")
    return solver != "cd" and penalty in ("l1", "elasticnet")


def _solve(design, spec, w0, fit_intercept, newton, tol, max_iter):
    """One binary problem at one alpha; a result with ``coef``, ``n_epochs``,
    ``dual_gap``, ``kkt``, ``converged`` (prox-Newton or CD)."""
    if newton:
        return prox_newton_solve(design, spec, w0, fit_intercept=fit_intercept, tol=tol,
                                 max_iter=max_iter, p0=max(10, int(np.count_nonzero(w0))))
    return cd_solve(design, spec, w0, tol=tol, max_iter=max_iter)


def _path(design, make_spec, grid, w0, fit_intercept, newton, tol, max_iter, verbose):
    """Warm-started fits over ``grid``: coefs (p, n_alphas), gaps (n_alphas,)."""
    if not newton:
        coefs, gaps, *_ = penalized_path(design, make_spec, grid, w0=w0, tol=tol,
                                         max_iter=max_iter, verbose=verbose)
        return coefs, gaps
    coefs = np.zeros((design.n_features, grid.size))
    gaps = np.zeros(grid.size)
    w = w0
    for i, a in enumerate(grid):
        res = _solve(design, make_spec(a), w, fit_intercept, True, tol, max_iter)
        if verbose:
            _report_path_step(i, grid.size, a, res)
        w = res.coef
        coefs[:, i], gaps[i] = w, res.dual_gap
    return coefs, gaps


def _check_shape(penalty, l1_ratio, gamma):
    if penalty not in _PENALTIES:
        raise ValueError(f"penalty must be one of {_PENALTIES}; got {penalty!r}.")
    if penalty == "elasticnet" and not 0.0 < l1_ratio <= 1.0:
        raise ValueError(f"l1_ratio must be in (0, 1] for the elastic net; got {l1_ratio}.")
    if gamma is not None and penalty in ("mcp", "scad"):
        low = 0.0 if penalty == "mcp" else 1.0
        if not gamma > low:
            raise ValueError(f"gamma must be > {low:g} for {penalty}; got {gamma}.")


def _start(design, fit_intercept):
    """Zero coefficients and, with an intercept, the intercept alone at its optimum."""
    w = np.zeros(design.n_features)
    if fit_intercept:
        sw = design.sw
        share = float(sw @ (design.y > 0)) / float(sw.sum())
        w[-1] = np.log(share / (1.0 - share)) if 0.0 < share < 1.0 else 0.0
    return w


def _grid(alphas, designs, penalty, l1_ratio, eps, fit_intercept):
    """An explicit grid (validated, sorted decreasing) or ``alphas`` values from the
    largest ``alpha_max`` of the binary problems down to ``eps`` times it."""
    if alphas is None or isinstance(alphas, Integral):
        n_alphas = 100 if alphas is None else int(alphas)
        ratio = l1_ratio if penalty == "elasticnet" else 1.0
        wts = _levels(designs[0].n_features, fit_intercept)
        return max((alpha_grid(d, l1_ratio=ratio, eps=eps, n_alphas=n_alphas, weights=wts)
                    for d in designs), key=lambda g: g[0])
    grid = np.asarray(alphas, dtype=np.float64).ravel()
    if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid < 0):
        raise ValueError("alphas must be a non-empty grid of finite non-negative values.")
    return np.sort(grid)[::-1]


def sparse_logistic_path(X, y, *, penalty="l1", l1_ratio=0.5, gamma=None, eps=1e-3,
                         alphas=None, fit_intercept=True, sample_weight=None, tol=1e-4,
                         max_iter=100, solver="auto", verbose=0):
    """Sparse binary logistic regression over a decreasing grid of alphas (warm started).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Two classes; the larger (``np.unique`` order) is the positive one.
    penalty : {"l1", "elasticnet", "mcp", "scad"}, default="l1"
    l1_ratio : float in (0, 1], default=0.5
        Elastic net only: ``alpha (l1_ratio |w| + (1 - l1_ratio) w^2 / 2)``.
    gamma : float, optional
        MCP / SCAD concavity (default 3 and 3.7).
    eps : float, default=1e-3
        Smallest alpha over the largest, when the grid is computed.
    alphas : int or array-like, optional
        Number of alphas (default 100) from ``alpha_max`` (the smallest alpha
        with ``w = 0``: ``||X^T r_0||_inf / (n l1_ratio)`` with ``r_0 = sw (y01 -
        ybar)`` the residual of the intercept-only model, ``ybar`` the weighted
        share of the positive class; ``r_0 = sw y / 2`` without intercept), or
        an explicit grid (sorted decreasing).
    fit_intercept : bool, default=True
    sample_weight : array-like of shape (n_samples,), optional
    tol : float, default=1e-4
        See :class:`SparseLogisticRegression`.
    max_iter : int, default=100
        Outer working-set iterations per alpha.
    solver : {"auto", "prox_newton", "cd"}, default="auto"
        See :class:`SparseLogisticRegression`.
    verbose : int, default=0
        One line per alpha.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
    coefs : ndarray of shape (n_features, n_alphas)
    intercepts : ndarray of shape (n_alphas,)
    dual_gaps : ndarray of shape (n_alphas,)
        Duality gaps (nan where the stopping rule is stationarity: MCP/SCAD).
    """
    _check_shape(penalty, l1_ratio, gamma)
    newton = _use_newton(solver, penalty)
    Xv = _check_X(_Validator(), X, True)
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != Xv.shape[0]:
        raise ValueError(f"y must be 1-D with {Xv.shape[0]} entries; got shape {y.shape}.")
    classes, Y = _encode(y, "sparse_logistic_path")
    if classes.size != 2:
        raise ValueError(f"sparse_logistic_path is binary; got {classes.size} classes.")
    sw, _ = _weights(sample_weight, Xv)
    d = prepare_logistic_designs(Xv, Y, sample_weight=sw, fit_intercept=fit_intercept)[0]
    grid = _grid(alphas, [d], penalty, l1_ratio, eps, fit_intercept)
    p = d.n_features
    coefs, gaps = _path(
        d, lambda a: _penalty(penalty, a, l1_ratio, gamma, p, fit_intercept).spec(p), grid,
        _start(d, fit_intercept), fit_intercept, newton, tol, max_iter, verbose)
    q = Xv.shape[1]
    icpt = coefs[q] if fit_intercept else np.zeros(grid.size)
    return grid, coefs[:q], icpt, gaps


class _Validator(BaseEstimator):
    """A throwaway estimator for ``validate_data`` in the path function."""


def _fit_problems(designs, make_spec, starts, fit_intercept, newton, tol, max_iter, verbose):
    """Solve each binary problem at one alpha; list of results (see :func:`_solve`)."""
    out = []
    for k, (d, w0) in enumerate(zip(designs, starts)):
        res = _solve(d, make_spec(d.n_features), w0, fit_intercept, newton, tol, max_iter)
        if verbose:
            head = f"problem {k}: " if len(designs) > 1 else ""
            print(f"{head}{res.n_outer} outer "
                  f"iterations, {res.n_epochs} epochs, {np.count_nonzero(res.coef)} nonzeros, "
                  f"gap {res.dual_gap:.2e}, violation {res.kkt:.2e}")
        out.append(res)
    return out


# ----------------------------------------------------------------------------- estimators
class SparseLogisticRegression(LinearClassifierMixin, BaseEstimator):
    """Logistic regression with a sparsity penalty (l1, elastic net, MCP, SCAD).

    Minimises, for each binary problem,
    ``sum_i sw_i log(1 + exp(-y_i (x_i w + b))) / n + pen(w; alpha)`` with
    ``y_i in {-1, 1}`` and the weights rescaled to sum to ``n``: the mean loss,
    so ``alpha`` equals ``1 / (C n)`` in scikit-learn's ``LogisticRegression``
    (``n`` the total sample weight). More than two classes: one-vs-rest (one
    binary problem per class; ``predict_proba`` normalises the K sigmoids).
    The intercept is unpenalised and fitted as a coordinate of its own.

    Parameters
    ----------
    penalty : {"l1", "elasticnet", "mcp", "scad"}, default="l1"
        ``alpha |w|_1``; ``alpha (l1_ratio |w|_1 + (1 - l1_ratio) |w|^2 / 2)``;
        MCP / SCAD with concavity ``gamma`` (as :class:`MCPRegressor`).
    alpha : float, default=None
        Penalty level (>= 0, finite). None: ``1 / n`` (``n`` the total sample
        weight), the level of scikit-learn's default ``C = 1``.
    l1_ratio : float in (0, 1], default=0.5
        Elastic net mix.
    gamma : float, default=None
        MCP (> 0, default 3) or SCAD (> 1, default 3.7) concavity.
    fit_intercept : bool, default=True
    tol : float, default=1e-4
        Prox-Newton (l1, elastic net): duality gap ``<= tol log 2`` (the loss at
        zero), with or without an intercept. Coordinate descent: convex penalties
        without intercept, the same gap and, as scikit-learn, no coefficient moved
        by more than ``tol max|w|`` in the last epoch; with an intercept or
        MCP/SCAD, largest violation of the first-order conditions (each over the
        square root of its column's curvature bound) ``<= tol sqrt(log 2)``.
    max_iter : int, default=100
        Outer working-set iterations.
    solver : {"auto", "prox_newton", "cd"}, default="auto"
        ``"prox_newton"``: working-set proximal Newton (Newton models solved by
        coordinate descent, backtracking line search on the objective), for l1 and
        elastic net; ``"cd"``: working-set coordinate descent on the logistic loss
        itself. ``"auto"``: prox-Newton for l1 / elastic net (measured 5.7x and 13x
        faster than ``"cd"`` on the dense and sparse l1 paths of the benchmarks, and
        on most smaller fits), coordinate descent for MCP / SCAD (nonconvex: no
        duality gap to stop on).
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_`` (same classes).
    verbose : int, default=0
        One line per binary problem.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (n_problems,)
        Coordinate-descent epochs (over all Newton models with prox-Newton).
    dual_gap_ : ndarray of shape (n_problems,)
        Duality gap (nan where the stopping rule is stationarity: MCP/SCAD).
    kkt_violation_ : ndarray of shape (n_problems,)
        Largest violation of the first-order conditions.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    SparseLogisticRegressionCV, sparse_logistic_path
    """

    _parameter_constraints = {
        "penalty": [StrOptions(set(_PENALTIES))],
        "alpha": [Interval(Real, 0, None, closed="left"), None],
        "l1_ratio": [Interval(Real, 0, 1, closed="right")],
        "gamma": [Interval(Real, 0, None, closed="neither"), None],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "solver": [StrOptions(set(_SOLVERS))],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(self, penalty="l1", *, alpha=None, l1_ratio=0.5, gamma=None,
                 fit_intercept=True, tol=1e-4, max_iter=100, solver="auto", warm_start=False,
                 verbose=0):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.gamma = gamma
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.solver = solver
        self.warm_start = warm_start
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Fit one sparse logistic model per binary problem.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            CSR is converted to CSC.
        y : array-like of shape (n_samples,)
            Class labels (any hashable type).
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        self._validate_params()
        if self.alpha is not None:
            _check_alpha(self.alpha)
        _check_shape(self.penalty, self.l1_ratio, self.gamma)
        newton = _use_newton(self.solver, self.penalty)
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc"),
                             dtype=[np.float64, np.float32])
        if sp.issparse(X) and X.format != "csc":
            X = X.tocsc()
        classes, Y = _encode(y, type(self).__name__)
        sw, total = _weights(sample_weight, X)
        alpha = 1.0 / total if self.alpha is None else float(self.alpha)
        designs = prepare_logistic_designs(X, Y, sample_weight=sw,
                                           fit_intercept=self.fit_intercept)
        q = X.shape[1]
        starts = [_start(d, self.fit_intercept) for d in designs]
        if (self.warm_start and getattr(self, "coef_", None) is not None
                and self.coef_.shape == (len(designs), q)
                and np.array_equal(getattr(self, "classes_", None), classes)):
            starts = [np.r_[self.coef_[k], self.intercept_[k]] if self.fit_intercept
                      else self.coef_[k].copy() for k in range(len(designs))]
        results = _fit_problems(
            designs, lambda m: _penalty(self.penalty, alpha, self.l1_ratio, self.gamma, m,
                                        self.fit_intercept).spec(m),
            starts, self.fit_intercept, newton, self.tol, self.max_iter, self.verbose)
        W = np.array([r.coef for r in results])
        if not np.all(np.isfinite(W)):
            raise ValueError("The fit gave non-finite coefficients; scale the features.")
        self.classes_ = classes
        self.coef_ = W[:, :q]
        self.intercept_ = W[:, q] if self.fit_intercept else np.zeros(len(designs))
        self.n_iter_ = np.array([r.n_epochs for r in results])
        self.dual_gap_ = np.array([r.dual_gap for r in results])
        self.kkt_violation_ = np.array([r.kkt for r in results])
        for r in results:
            if not r.converged:
                crit = (f"duality gap {r.dual_gap:.2e}" if np.isfinite(r.dual_gap)
                        else f"stationarity violation {r.kkt:.2e}")
                _warn_not_converged(type(self).__name__, crit, self.tol)
                break
        return self

    def decision_function(self, X):
        """Linear scores ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) (two classes) or (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = _check_X(self, X, False)
        return super().decision_function(X)

    def predict_proba(self, X):
        """Class probabilities: the sigmoid of the score (two classes), or the
        one-vs-rest sigmoids normalised to sum to one.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        s = self.decision_function(X)
        if s.ndim == 1:
            p1 = expit(s)
            return np.column_stack([1.0 - p1, p1])
        P = expit(s)
        return P / P.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, shape (n_samples, n_classes)."""
        return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class SparseLogisticRegressionCV(_PathCV, SparseLogisticRegression):
    """:class:`SparseLogisticRegression` with alpha chosen by cross-validation.

    One grid of alphas (from the largest ``alpha_max`` of the binary problems on
    the whole data, see :func:`sparse_logistic_path`) is fitted, warm started,
    on every training fold (each one-vs-rest problem); each alpha is scored on
    the held-out fold with all classes together, the lowest mean loss wins and
    the model is refitted at that alpha on all the data. Folds come from
    :func:`sklearn.model_selection.check_cv` (stratified), ``groups`` reach the
    splitter through metadata routing; folds run on ``n_jobs`` threads.

    Parameters
    ----------
    penalty, l1_ratio, gamma, fit_intercept, tol, max_iter, solver
        As :class:`SparseLogisticRegression`.
    alphas : int or array-like, default=20
        Number of alphas from ``alpha_max`` down to ``eps alpha_max``, or a grid.
    eps : float, default=1e-3
    cv : int, cross-validation generator or iterable, default=None
        5 stratified folds by default.
    scoring : {"neg_log_loss", "accuracy"}, default="neg_log_loss"
        Held-out criterion (weighted by ``sample_weight``): the mean log-loss,
        or the error rate ``1 - accuracy``, as a loss (lower is better).
    n_jobs : int, default=None
        Threads over the folds.
    verbose : int, default=0
        One line per fold (more: per alpha).

    Attributes
    ----------
    alpha_ : float
    alphas_ : ndarray of shape (n_alphas,)
    loss_path_ : ndarray of shape (n_alphas, n_folds)
        Held-out loss of each alpha on each fold.
    classes_, coef_, intercept_, n_iter_, dual_gap_, kkt_violation_
        Of the refitted model.
    """

    _loss_path_name = "loss_path_"
    _refit_attributes = ("classes_", "coef_", "intercept_", "n_iter_", "dual_gap_",
                         "kkt_violation_")
    _parameter_constraints = {
        **{k: v for k, v in SparseLogisticRegression._parameter_constraints.items()
           if k not in ("alpha", "warm_start")},
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "eps": [Interval(Real, 0, None, closed="neither")],
        "cv": ["cv_object"],
        "scoring": [StrOptions({"neg_log_loss", "accuracy"})],
        "n_jobs": [Integral, None],
    }

    def __init__(self, penalty="l1", *, alphas=20, eps=1e-3, l1_ratio=0.5, gamma=None,
                 fit_intercept=True, cv=None, scoring="neg_log_loss", tol=1e-4, max_iter=100,
                 solver="auto", n_jobs=None, verbose=0):
        self.penalty = penalty
        self.alphas = alphas
        self.eps = eps
        self.l1_ratio = l1_ratio
        self.gamma = gamma
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.scoring = scoring
        self.tol = tol
        self.max_iter = max_iter
        self.solver = solver
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_data(self, X, y):
        _check_shape(self.penalty, self.l1_ratio, self.gamma)
        _use_newton(self.solver, self.penalty)
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc"),
                             dtype=[np.float64, np.float32])
        if sp.issparse(X) and X.format != "csc":
            X = X.tocsc()
        _encode(y, type(self).__name__)
        return X, y

    def _path_context(self, X, y, sw):
        classes, Y = _encode(y, type(self).__name__)
        sw, _ = _weights(sw, X)
        full = prepare_logistic_designs(X, Y, sample_weight=sw,
                                        fit_intercept=self.fit_intercept)
        return SimpleNamespace(classes=classes, designs=full)

    def _alpha_grid(self, ctx, hyper):
        return _grid(self.alphas, ctx.designs, self.penalty, self.l1_ratio, self.eps,
                     self.fit_intercept)

    def _labels(self, ctx, y):
        if ctx.classes.size == 2:
            return np.where(y == ctx.classes[1], 1.0, -1.0)[:, None]
        return np.where(y[:, None] == ctx.classes[None, :], 1.0, -1.0)

    def _fold_path(self, ctx, X, y, sw, alphas, hyper):
        Y = self._labels(ctx, y)
        if np.any(np.all(Y < 0, axis=0)):
            raise ValueError("A training fold lacks a class; use fewer folds.")
        sw, _ = _weights(sw, X)
        q = X.shape[1]
        out = []
        for d in prepare_logistic_designs(X, Y, sample_weight=sw,
                                          fit_intercept=self.fit_intercept):
            m = d.n_features
            coefs, _ = _path(
                d, lambda a, m=m: _penalty(self.penalty, a, self.l1_ratio, self.gamma, m,
                                           self.fit_intercept).spec(m),
                np.asarray(alphas), _start(d, self.fit_intercept), self.fit_intercept,
                _use_newton(self.solver, self.penalty), self.tol, self.max_iter,
                max(0, self.verbose - 1))
            out.append((coefs[:q], coefs[q] if self.fit_intercept else 0.0))
        return ctx, out

    def _fold_loss(self, path, X, y, sw):
        ctx, problems = path
        S = np.array([np.asarray(X @ c) + b for c, b in problems])  # (K, n_test, n_alphas)
        if len(problems) == 1:
            p1 = expit(S[0])
            P = np.stack([1.0 - p1, p1], axis=1)
        else:
            P = expit(S).transpose(1, 0, 2)
            P /= P.sum(axis=1, keepdims=True)
        true = np.searchsorted(ctx.classes, y)
        if self.scoring == "accuracy":
            return 1.0 - np.average(np.argmax(P, axis=1) == true[:, None], axis=0, weights=sw)
        pt = np.clip(P[np.arange(true.size), true], np.finfo(float).tiny, 1.0)
        return -np.average(np.log(pt), axis=0, weights=sw)

    def _make_estimator(self, alpha, hyper):
        return SparseLogisticRegression(
            self.penalty, alpha=alpha, l1_ratio=self.l1_ratio, gamma=self.gamma,
            fit_intercept=self.fit_intercept, tol=self.tol, max_iter=self.max_iter,
            solver=self.solver, verbose=max(0, self.verbose - 1))
