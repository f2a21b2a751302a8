"""Robust PCA by principal component pursuit (low-rank + sparse)."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_is_fitted, validate_data

from .._backend._l1_regression import l1_regression_rows
from .._backend._pcp import pcp_ialm


def _default_lam(shape, observed_fraction):
    # Candes et al.: 1/sqrt(max(m, n)); with missing entries we scale by the
    # observed fraction (a heuristic that matches the full-data value at 1).
    return 1.0 / np.sqrt(max(observed_fraction, 1e-12) * max(shape))


def _run_pcp(X, lam, tol, tol_gap, max_iter, random_state, verbose):
    """Validated X (may hold NaN) -> PCPResult, warning on non-convergence."""
    mask = ~np.isnan(X)
    if not mask.any():
        raise ValueError("X has no observed entry: every value is NaN.")
    full = bool(mask.all())
    if lam is None:
        lam = _default_lam(X.shape, mask.mean())
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    D = np.where(mask, X, 0.0)
    res = pcp_ialm(D, lam, mask=None if full else mask, tol=tol, tol_gap=tol_gap,
                   max_iter=max_iter, verbose=verbose, random_state=seed)
    if not res.converged:
        warnings.warn(
            f"Principal component pursuit did not converge in max_iter={max_iter} iterations "
            f"(relative residual {res.residuals[-1]:.2e} > tol={tol:.1e}). Increase max_iter "
            "or tol.",
            ConvergenceWarning,
        )
    return res, lam


@validate_params(
    {
        "X": ["array-like"],
        "lam": [Interval(Real, 0, None, closed="neither"), None],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "tol_gap": [Interval(Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "return_n_iter": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def pcp(X, *, lam=None, tol=1e-7, tol_gap=None, max_iter=1000, random_state=None, verbose=0,
        return_n_iter=False):
    """Principal component pursuit: split X into low-rank plus sparse.

    Solves ``min ||L||_* + lam * ||S||_1  subject to  L + S = X`` (on the
    observed entries) by the inexact augmented Lagrangian method of Lin, Chen
    and Ma (2010). Each iteration computes only the singular triplets above
    the current threshold, by subspace iteration warm-started from the
    previous iteration, so an iteration costs a few products of ``X``-sized
    matrices with ``(n, r + margin)`` panels, ``O(m n r)`` for a result of
    rank ``r``, instead of a full SVD.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data. NaN marks an entry that is not observed: it is left out of the
        constraint and of the l1 term, and ``L`` fills it in.
    lam : float, default=None
        Weight of the sparse term. Default ``1 / sqrt(max(m, n))`` (Candes et
        al.), divided by ``sqrt(observed fraction)`` when entries are missing.
    tol : float, default=1e-7
        Feasibility: ``||X - L - S||_F / ||X||_F < tol`` over observed entries.
    tol_gap : float, default=None
        Optimality. ``None`` stops at feasibility, as the published inexact
        ALM does: with exact recovery (few enough errors, low enough rank)
        that is the optimum; otherwise the objective can exceed the optimum
        slightly (by 0.06% on corrupted digits), because the fast growth of
        the penalty freezes the iterates early. A float: once feasible, stop
        when the relative duality gap certified by the Lagrange multiplier is
        below ``tol_gap``; if it is not, continue with residual balancing of
        the penalty until the dual residual is also below ``tol`` (the
        optimality conditions then hold to that accuracy, at the price of
        more iterations: about 400 on corrupted digits instead of 35).
    max_iter : int, default=1000
        Maximum number of iterations; a ConvergenceWarning is raised if hit.
    random_state : int, RandomState instance or None, default=None
        Seeds the randomized partial SVDs.
    verbose : int, default=0
        If > 0, print the rank, relative residual and penalty at each
        iteration.
    return_n_iter : bool, default=False
        Also return the number of iterations.

    Returns
    -------
    L : ndarray of shape (n_samples, n_features)
        Low-rank part (complete, including the missing entries).
    S : ndarray of shape (n_samples, n_features)
        Sparse part; zero at missing entries.
    n_iter : int
        Only when ``return_n_iter`` is True.

    Examples
    --------
    >>> from skstruct.datasets import make_low_rank_sparse
    >>> from skstruct.decomposition import pcp
    >>> X, L0, S0 = make_low_rank_sparse(200, 100, rank=5, sparsity=0.05, random_state=0)
    >>> L, S = pcp(X, random_state=0)
    >>> float(((L - L0) ** 2).sum() / (L0 ** 2).sum()) < 1e-10
    True
    """
    X = check_array(X, dtype=np.float64, ensure_all_finite="allow-nan",
                    input_name="X", ensure_min_samples=1)
    res, _ = _run_pcp(X, lam, tol, tol_gap, max_iter, random_state, verbose)
    if return_n_iter:
        return res.low_rank, res.sparse, res.n_iter
    return res.low_rank, res.sparse


class RobustPCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Robust PCA by principal component pursuit.

    ``fit`` splits the training matrix into a low-rank part (the signal) and a
    sparse part (gross errors) with :func:`pcp`, then keeps the right singular
    vectors of the low-rank part as components. ``transform`` projects NEW
    rows on those components robustly: the coefficients are a least absolute
    deviations fit of each row on the components, so a few corrupted entries
    of a row do not drag its projection (an orthogonal projection, as in PCA,
    would spread them over every coefficient).

    The data are not centered: PCP models ``X`` itself as low-rank plus
    sparse, and a mean is a rank-one part that PCP recovers.

    Parameters
    ----------
    n_components : int, default=None
        Keep at most this many components (the leading ones). ``None`` keeps
        the rank PCP finds.
    lam : float, default=None
        Weight of the sparse term, see :func:`pcp`.
    tol : float, default=1e-7
        Feasibility tolerance of PCP (relative residual), see :func:`pcp`.
    tol_gap : float, default=None
        Optimality tolerance of PCP (relative duality gap), see :func:`pcp`;
        None stops at feasibility.
    max_iter : int, default=1000
        Maximum PCP iterations.
    random_state : int, RandomState instance or None, default=None
        Seeds the randomized partial SVDs.
    verbose : int, default=0
        If > 0, print the progress of PCP at each iteration.
    n_jobs : int, default=None
        Threads over blocks of rows in :meth:`transform` (each row's fit is
        independent; joblib, one BLAS thread each). None or 1: serial.

    Attributes
    ----------
    low_rank_ : ndarray of shape (n_samples, n_features)
        Low-rank part of the training data (missing entries filled in).
    sparse_ : ndarray of shape (n_samples, n_features)
        Sparse part of the training data (zero at missing entries).
    components_ : ndarray of shape (n_components, n_features)
        Orthonormal rows spanning the low-rank part's row space, by
        decreasing singular value.
    singular_values_ : ndarray of shape (n_components,)
        Singular values of the low-rank part matching ``components_``.
    n_components_ : int
        Rank found by PCP, capped at ``n_components``.
    lam_ : float
        The l1 weight used.
    n_iter_ : int
        PCP iterations run.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in,)
        Defined only when X has feature names that are all strings.

    See Also
    --------
    pcp : The function this estimator wraps.
    sklearn.decomposition.PCA : Non-robust PCA.

    Notes
    -----
    Missing entries: NaN in ``X`` means "not observed", in ``fit`` and in
    ``transform``. ``fit_transform(X)`` equals ``fit(X).transform(X)``: the
    robust coefficients of the training rows; on data that is exactly
    low-rank plus sparse they are the coordinates of ``low_rank_``.

    References
    ----------
    Candes, Li, Ma, Wright. Robust principal component analysis? J. ACM 2011.
    Lin, Chen, Ma. The augmented Lagrange multiplier method for exact recovery
    of corrupted low-rank matrices. arXiv:1009.5055, 2010.

    Examples
    --------
    >>> from skstruct.datasets import make_low_rank_sparse
    >>> from skstruct.decomposition import RobustPCA
    >>> X, L, S = make_low_rank_sparse(100, 40, rank=3, sparsity=0.05, random_state=0)
    >>> rpca = RobustPCA(random_state=0).fit(X)
    >>> rpca.n_components_
    3
    >>> rpca.transform(X[:2]).shape
    (2, 3)
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "lam": [Interval(Real, 0, None, closed="neither"), None],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "tol_gap": [Interval(Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, n_components=None, *, lam=None, tol=1e-7, tol_gap=None, max_iter=1000,
                 random_state=None, verbose=0, n_jobs=None):
        self.n_components = n_components
        self.lam = lam
        self.tol = tol
        self.tol_gap = tol_gap
        self.max_iter = max_iter
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def fit(self, X, y=None):
        """Split X into low-rank plus sparse and keep the low-rank row space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; NaN marks a missing entry.
        y : Ignored

        Returns
        -------
        self : RobustPCA
        """
        self._validate_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32],
                          ensure_all_finite="allow-nan")
        res, lam = _run_pcp(X.astype(np.float64, copy=False), self.lam, self.tol,
                            self.tol_gap, self.max_iter, self.random_state, self.verbose)
        r = res.s.size
        if self.n_components is not None:
            r = min(r, self.n_components)
        dtype = X.dtype
        self.low_rank_ = res.low_rank.astype(dtype, copy=False)
        self.sparse_ = res.sparse.astype(dtype, copy=False)
        self.components_ = np.ascontiguousarray(res.Vt[:r], dtype=dtype)
        self.singular_values_ = res.s[:r].astype(dtype, copy=False)
        self.n_components_ = r
        self.lam_ = float(lam)
        self.n_iter_ = res.n_iter
        self._n_features_out = r
        return self

    def transform(self, X):
        """Robust coefficients of each row on the components.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks an entry left out of the fit of its row.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            Least absolute deviations coefficients: ``argmin_z ||x - z @
            components_||_1`` over the observed entries of each row.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32],
                          ensure_all_finite="allow-nan", reset=False)
        mask = ~np.isnan(X)
        X64 = np.where(mask, X, 0.0).astype(np.float64, copy=False)
        Z = l1_regression_rows(X64, np.asarray(self.components_.T, dtype=np.float64, order="C"),
                               mask=None if mask.all() else mask, n_jobs=self.n_jobs)
        return Z.astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Map coefficients back to the feature space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features_in)
            ``X @ components_``: the low-rank reconstruction of each row.
        """
        check_is_fitted(self)
        X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        if X.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {X.shape[1]} features, but inverse_transform expects "
                f"n_components_={self.n_components_}."
            )
        return X @ self.components_
