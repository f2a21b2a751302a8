"""Shared machinery of the sparse regression estimators.

Validation, weighted centring (the intercept), construction of the design for
the coordinate-descent backend, the regularisation grid, the warm-started path
and the base class every penalised estimator derives from.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state, check_scalar
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .._backend._cd import cd_solve, prepare_designs


def _check_X_y(est, X, y, *, accept_sparse=True, reset=True, multi_output=False):
    """Validate (X, y) for a regressor: float64/float32, finite, y numeric (1-D unless
    ``multi_output``), y cast to the dtype of X."""
    X, y = validate_data(
        est, X, y,
        accept_sparse=("csc", "csr") if accept_sparse else False,
        dtype=[np.float64, np.float32],
        y_numeric=True,
        multi_output=multi_output,
        reset=reset,
    )
    return X, np.asarray(y, dtype=X.dtype)


def _check_alpha(alpha, name="alpha"):
    if not np.isfinite(alpha):
        raise ValueError(f"{name} must be finite; got {alpha}.")


def _preprocess(X, y, sample_weight, fit_intercept):
    """Weights rescaled to sum to n, weighted offsets, sqrt weights.

    Returns ``(X_offset (p,), y_offset, sqrt_sw (n,) or None, sw (n,) or None)``.
    The objective is then ``sum_i sw_i (y_i - x_i w - b)^2 / (2 n) + pen(w)``
    (scikit-learn's convention: the weights are rescaled to sum to ``n``).
    """
    n, p = X.shape
    if sample_weight is not None:
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        tot = sw.sum()
        if not tot > 0:
            raise ValueError("sample_weight must have a positive sum.")
        sw = sw * (n / tot)
        sqrt_sw = np.sqrt(sw)
    else:
        sw = None
        sqrt_sw = None
    if fit_intercept:
        if sp.issparse(X):
            ww = np.ones(n) if sw is None else sw
            X_offset = np.asarray(X.T @ ww, dtype=np.float64).ravel() / n
        else:
            X_offset = np.average(np.asarray(X, dtype=np.float64), axis=0, weights=sw)
        y_offset = np.average(np.asarray(y, dtype=np.float64), axis=0, weights=sw)
    else:
        X_offset = np.zeros(p)
        y_offset = np.zeros(np.shape(y)[1:])
    return X_offset, y_offset, sqrt_sw, sw


def _use_gram(precompute, X):
    if sp.issparse(X):
        return False
    if isinstance(precompute, str):  # "auto"
        n, p = X.shape
        return n >= 2 * p
    return bool(precompute)


def _user_gram(precompute, X, X_offset, sqrt_sw, fit_intercept, check):
    """The Gram matrix passed as ``precompute`` when it can be used, else None.

    As scikit-learn: it is recomputed (with a warning) when X had to be centred,
    and one entry is checked against X (``check``). It must be ``Xc^T Xc`` of the
    centred, weighted X (weights rescaled to sum to n_samples), not divided by n.
    """
    if sp.issparse(X):
        return None
    p = X.shape[1]
    G = np.asarray(precompute)
    if G.shape != (p, p):
        raise ValueError(f"precompute must be a Gram matrix of shape ({p}, {p}); "
                         f"got shape {G.shape}.")
    if fit_intercept and not np.allclose(X_offset, 0.0):
        warnings.warn("Gram matrix was provided but X was centered to fit intercept: "
                      "recomputing Gram matrix.", UserWarning, stacklevel=3)
        return None
    if check:
        f1 = p // 2
        f2 = min(f1 + 1, p - 1)
        u = 1.0 if sqrt_sw is None else sqrt_sw
        v1 = (np.asarray(X[:, f1], dtype=np.float64) - X_offset[f1]) * u
        v2 = (np.asarray(X[:, f2], dtype=np.float64) - X_offset[f2]) * u
        expected = float(v1 @ v2)
        rtol = 1e-4 if X.dtype == np.float32 else 1e-7
        if not np.isclose(expected, G[f1, f2], rtol=rtol, atol=1e-5):
            raise ValueError(
                "Gram matrix passed in via 'precompute' parameter did not pass validation "
                "when a single element was checked - please check that it was computed "
                f"properly. For element ({f1},{f2}) we computed {expected} but the "
                f"user-supplied value was {G[f1, f2]}.")
    return G


def make_designs(X, Y, sample_weight=None, fit_intercept=True, precompute="auto", *,
                 copy_X=True, check_input=True):
    """Validated X and Y of shape (n, n_targets) -> (designs, X_offset (p,), y_offset (T,)).

    ``precompute`` is True/False/"auto" or a Gram matrix (see :func:`_user_gram`).
    """
    X_offset, y_offset, sqrt_sw, _ = _preprocess(X, Y, sample_weight, fit_intercept)
    if sp.issparse(X) and not sp.isspmatrix_csc(X) and not isinstance(X, sp.csc_array):
        X = X.tocsc()
    G = None
    if not isinstance(precompute, (str, bool, np.bool_)):
        G = _user_gram(precompute, X, X_offset, sqrt_sw, fit_intercept, check_input)
        precompute = "auto" if G is None else True
    designs = prepare_designs(X, Y, X_offset=X_offset, y_offset=y_offset, sqrt_sw=sqrt_sw,
                              gram=_use_gram(precompute, X), gram_matrix=G, copy=copy_X)
    return designs, X_offset, y_offset


def make_design(X, y, sample_weight=None, fit_intercept=True, precompute="auto"):
    """Validated arrays, y 1-D -> (Design, X_offset, y_offset)."""
    designs, X_offset, y_offset = make_designs(X, np.asarray(y)[:, None], sample_weight,
                                               fit_intercept, precompute)
    return designs[0], X_offset, float(y_offset[0])


def alpha_grid(design, *, l1_ratio=1.0, eps=1e-3, n_alphas=100, positive=False, weights=None):
    """Geometric grid from ``alpha_max`` (all coefficients zero) down to ``eps * alpha_max``.

    ``alpha_max = max_j |X_j^T y| / (n * l1_ratio * weights_j)`` on the centred,
    weighted data (as scikit-learn's ``_alpha_grid``).

    Returns
    -------
    alphas : ndarray of shape (n_alphas,), decreasing
    """
    g = design.Xty_n if positive else np.abs(design.Xty_n)
    w = np.ones_like(g) if weights is None else weights
    pen = w > 0
    amax = float(np.max(np.maximum(g[pen], 0) / w[pen])) / max(l1_ratio, 1e-3) if pen.any() \
        else 1.0
    return geometric_grid(amax, eps, n_alphas)


def geometric_grid(alpha_max, eps, n_alphas):
    """``n_alphas`` values from ``alpha_max`` down to ``eps * alpha_max`` (log-spaced);
    a constant grid at float resolution when ``alpha_max`` is (numerically) zero."""
    if alpha_max <= np.finfo(float).resolution:
        return np.full(n_alphas, np.finfo(float).resolution)
    return np.geomspace(alpha_max, alpha_max * eps, num=n_alphas)


def _grid_from(alphas, design, *, l1_ratio, eps, positive, name="alphas", alpha_max=None):
    """``alphas`` (None, int or array-like) -> decreasing grid (validated).

    The automatic grid starts at ``alpha_max`` when given (penalties other than
    the elastic net), at the elastic net's otherwise."""
    if alpha_max is not None and (alphas is None or isinstance(alphas, Integral)):
        return geometric_grid(alpha_max, eps, 100 if alphas is None else int(alphas))
    if alphas is None or isinstance(alphas, Integral):
        if l1_ratio == 0:
            raise ValueError("Automatic alpha grid generation is not supported for "
                             "l1_ratio=0. Please supply a grid by providing your estimator "
                             "with the appropriate `alphas=` argument.")
        return alpha_grid(design, l1_ratio=l1_ratio, eps=eps,
                          n_alphas=100 if alphas is None else int(alphas), positive=positive)
    alphas = list(np.asarray(alphas, dtype=object).ravel())
    if not alphas:
        raise ValueError(f"{name} must not be empty.")
    for i, a in enumerate(alphas):
        check_scalar(a, f"{name}[{i}]", target_type=Real, min_val=0.0)
        _check_alpha(a, f"{name}[{i}]")
    return np.sort(np.asarray(alphas, dtype=np.float64))[::-1]


def _solver_seed(selection, random_state):
    """-1 (cyclic order) or a seed for the random coordinate order."""
    if selection == "cyclic":
        return -1
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def penalized_path(design, make_spec, alphas, *, w0=None, tol=1e-4, max_iter=100,
                   max_epochs=50_000, screen=True, anderson=True, p0=10, seed=-1, verbose=0):
    """Warm-started fits over a decreasing grid of ``alphas``.

    ``make_spec(alpha)`` returns the solver penalty spec at level ``alpha``;
    ``seed`` as :func:`~skstruct._backend._cd.cd_solve`; ``verbose`` prints one
    line per alpha.

    Returns
    -------
    coefs : ndarray of shape (p, n_alphas)
    gaps : ndarray of shape (n_alphas,)
        Duality gaps (normalised by n; nan for nonconvex penalties).
    kkts : ndarray of shape (n_alphas,)
        Largest stationarity violations.
    n_iters : ndarray of shape (n_alphas,)
        CD epochs per alpha.
    converged : bool
        Every fit met its tolerance.
    """
    p = design.n_features
    coefs = np.zeros((p, len(alphas)))
    gaps = np.zeros(len(alphas))
    kkts = np.zeros(len(alphas))
    n_iters = np.zeros(len(alphas), dtype=int)
    w = np.zeros(p) if w0 is None else np.asarray(w0, dtype=np.float64).copy()
    state = None
    ok = True
    for i, a in enumerate(alphas):
        res = cd_solve(design, make_spec(a), w, state=state, tol=tol, max_iter=max_iter,
                       max_epochs=max_epochs, screen=screen, anderson=anderson,
                       p0=max(p0, int(np.count_nonzero(w))), seed=seed)
        if verbose:
            _report_path_step(i, len(alphas), a, res)
        w = res.coef
        state = res.states
        coefs[:, i] = w
        gaps[i], kkts[i], n_iters[i] = res.dual_gap, res.kkt, res.n_epochs
        ok &= res.converged
    return coefs, gaps, kkts, n_iters, ok


def _report_path_step(i, n_alphas, alpha, res):
    """One progress line per alpha of a path (stdout)."""
    print(f"path: alpha {i + 1:3d}/{n_alphas} = {alpha:.3e}, {res.n_epochs} epochs, "
          f"{np.count_nonzero(res.coef)} nonzeros, gap {res.dual_gap:.2e}, kkt {res.kkt:.2e}",
          flush=True)


def _report_fit(est, label, res):
    """One progress line of a solve when ``est.verbose`` (stdout, as scikit-learn)."""
    if getattr(est, "verbose", 0):
        crit = (f"gap {res.dual_gap:.2e}" if np.isfinite(res.dual_gap)
                else f"kkt {res.kkt:.2e}")
        print(f"[{type(est).__name__}] {label}: {res.n_epochs} epochs, "
              f"{np.count_nonzero(res.coef)} nonzeros, {crit}, "
              f"{'converged' if res.converged else 'NOT converged'}", flush=True)


def _warn_not_converged(name, crit, tol):
    warnings.warn(
        "Objective did not converge. You might want to increase the number of iterations. "
        f"{name}: {crit} above its tolerance ({tol:.1e}); increase max_iter, raise tol, or "
        "scale the features.",
        ConvergenceWarning,
    )


class _PenalizedRegressor(RegressorMixin, BaseEstimator):
    """Base of the single-alpha penalised least-squares estimators.

    Subclasses give ``_penalty(n_features)`` (a penalty object from
    :mod:`skstruct._backend._penalties`). Fitted attributes: ``coef_``,
    ``intercept_``, ``n_iter_`` (CD epochs), ``dual_gap_`` (convex penalties,
    normalised by n; nan otherwise), ``kkt_violation_``.
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "precompute": ["boolean", StrOptions({"auto"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "positive": ["boolean"],
        "verbose": ["verbose"],
    }
    _accept_sparse = True

    def _fit_penalized(self, X, y, sample_weight, penalty):
        design, X_offset, y_offset = make_design(X, y, sample_weight, self.fit_intercept,
                                                 self.precompute)
        p = X.shape[1]
        w0 = None
        if self.warm_start and getattr(self, "coef_", None) is not None \
                and np.shape(self.coef_) == (p,):
            w0 = np.asarray(self.coef_, dtype=np.float64)
        res = cd_solve(design, penalty.spec(p), w0, tol=self.tol, max_iter=self.max_iter,
                       screen=getattr(self, "_screen", True))
        _report_fit(self, f"alpha={self.alpha:.4e}", res)
        self._set_fitted(res.coef, X_offset, y_offset, X.dtype)
        self.n_iter_ = res.n_epochs
        self.dual_gap_ = float(res.dual_gap)
        self.kkt_violation_ = float(res.kkt)
        if not res.converged:
            crit = (f"duality gap {res.dual_gap:.2e}" if np.isfinite(res.dual_gap)
                    else f"stationarity violation {res.kkt:.2e}")
            _warn_not_converged(type(self).__name__, crit, self.tol)
        return self

    def _set_fitted(self, coef, X_offset, y_offset, dtype):
        self.coef_ = np.asarray(coef, dtype=dtype)
        self.intercept_ = (float(y_offset - X_offset @ coef) if self.fit_intercept else 0.0)
        if dtype == np.float32:
            self.intercept_ = np.float32(self.intercept_)

    def fit(self, X, y, sample_weight=None):
        """Fit the penalised linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (CSC/CSR sparse accepted where the class allows it).
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights, rescaled to sum to n_samples.

        Returns
        -------
        self
        """
        self._validate_params()
        if hasattr(self, "alpha"):
            _check_alpha(self.alpha)
        X, y = _check_X_y(self, X, y, accept_sparse=self._accept_sparse)
        return self._fit(X, y, sample_weight)

    def predict(self, X):
        """Predict ``X @ coef_ + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc") if self._accept_sparse else False,
                          dtype=[np.float64, np.float32], reset=False)
        out = np.asarray(safe_sparse_dot(X, np.asarray(self.coef_).T))
        return (out.ravel() if np.ndim(self.coef_) == 1 else out) + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self._accept_sparse
        return tags
