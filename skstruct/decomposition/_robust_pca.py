"""Robust PCA by principal component pursuit (low-rank + sparse), batch and streamed."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_is_fitted, validate_data

from .._backend._l1_regression import l1_regression_rows
from .._backend._online_pcp import (online_pcp_components, online_pcp_from_split,
                                    online_pcp_init, online_pcp_partial_fit)
from .._backend._pcp import pcp_ialm

# rank of a stream when n_components is None (partial_fit must fix it up front)
_STREAM_DEFAULT_RANK = 5


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


def _stream_rank(n_components, n_features):
    k = _STREAM_DEFAULT_RANK if n_components is None else n_components
    return min(k, n_features)


def _warn_inner(step, max_iter):
    if not step.converged.all():
        warnings.warn(
            f"Online PCP: the projection of {int((~step.converged).sum())} row(s) did not "
            f"converge in max_iter={max_iter} iterations. Increase max_iter or tol.",
            ConvergenceWarning,
        )


@validate_params(
    {
        "X": ["array-like"],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "stream_threshold": [Interval(Real, 0, None, closed="neither")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def online_pcp(X, n_components=None, *, stream_threshold=1.0, tol=1e-7, max_iter=1000,
               random_state=None, verbose=0):
    """Online robust PCA (OR-PCA): split each row, in order, into low-rank plus sparse.

    One pass of the stochastic PCP of Feng, Xu & Yan (2013) over the rows of
    ``X``, as :meth:`RobustPCA.partial_fit` runs it: each row is split
    against the basis learned from the rows before it, then updates the
    basis. Memory is ``O(n_features * n_components)``; the split of an early
    row uses a basis that has seen few rows (a heuristic; see the user
    guide), the split of later rows approaches that of the batch problem.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Rows in stream order; finite.
    n_components : int, default=None
        Rank of the low-rank part around the running mean (the size of the
        basis). None: ``min(5, n_features)``.
    stream_threshold : float, default=1.0
        Soft threshold of the sparse part, in units of the running root mean
        square of the centered entries.
    tol : float, default=1e-7
        Stop of each row's alternating projection (relative change).
    max_iter : int, default=1000
        Iterations of each row's projection at most.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial basis.
    verbose : int, default=0
        If > 0, print a summary of the pass.

    Returns
    -------
    L : ndarray of shape (n_samples, n_features)
        Low-rank part of each row: running mean plus its projection.
    S : ndarray of shape (n_samples, n_features)
        Sparse part of each row.

    Examples
    --------
    >>> import numpy as np
    >>> from skstruct.decomposition import online_pcp
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 2)) @ rng.standard_normal((2, 50)) + 100.0
    >>> corrupted = rng.random(X.shape) < 0.05
    >>> X[corrupted] += 20.0
    >>> L, S = online_pcp(X, n_components=2, random_state=0)
    >>> late = slice(250, None)  # once the basis has seen a few hundred rows
    >>> bool(((S != 0) == corrupted)[late].mean() > 0.99)
    True
    """
    X = check_array(X, dtype=np.float64, input_name="X", ensure_min_samples=1)
    k = _stream_rank(n_components, X.shape[1])
    state = online_pcp_init(X.shape[1], k, check_random_state(random_state))
    step = online_pcp_partial_fit(state, X, threshold=stream_threshold, tol=tol,
                                  max_iter=max_iter, verbose=verbose)
    _warn_inner(step, max_iter)
    return step.low_rank, step.sparse


class RobustPCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Robust PCA by principal component pursuit.

    ``fit`` splits the training matrix into a low-rank part (the signal) and a
    sparse part (gross errors) with :func:`pcp`, then keeps the right singular
    vectors of the low-rank part as components. ``transform`` projects NEW
    rows on those components robustly: the coefficients are a least absolute
    deviations fit of each row on the components, so a few corrupted entries
    of a row do not drag its projection (an orthogonal projection, as in PCA,
    would spread them over every coefficient).

    The data are not centered by ``fit``: PCP models ``X`` itself as
    low-rank plus sparse, and a mean is a rank-one part that PCP recovers
    (``mean_`` is zero).

    ``partial_fit`` streams: it runs online robust PCA (OR-PCA, Feng, Xu &
    Yan 2013, see :func:`online_pcp`), a stochastic solver of the stable PCP
    problem with a basis of fixed size, on the rows centered by their running
    mean, in ``O(n_features * n_components)`` memory. After it,
    ``components_`` span the learned basis, ``mean_`` is the running mean and
    ``transform`` is the same robust projection of ``X - mean_``. Rows are
    processed one at a time, so any chunking of a stream gives the same
    model. ``fit`` is not a pass of ``partial_fit``: it solves the batch
    convex program, which has exact recovery guarantees and finds the rank
    itself; a stream must fix its rank up front. ``partial_fit`` on an
    estimator fitted by ``fit`` continues from ``fit``'s split (a batch
    warm start, common for video): the stream state is the one it would
    hold had it split the training rows as PCP did.

    Parameters
    ----------
    n_components : int, default=None
        ``fit``: keep at most this many components (the leading ones),
        ``None`` keeps the rank PCP finds. ``partial_fit``: the size of the
        streamed basis, ``None`` is ``min(5, n_features)`` (after ``fit``:
        the rank ``fit`` found).
    lam : float, default=None
        Weight of the sparse term of ``fit``, see :func:`pcp`.
    stream_threshold : float, default=1.0
        ``partial_fit`` only: soft threshold of the sparse part of each
        streamed row, in units of the running root mean square of the
        centered entries, see :func:`online_pcp`.
    tol : float, default=1e-7
        Feasibility tolerance of PCP (relative residual), see :func:`pcp`;
        in ``partial_fit``, the stop of each row's projection.
    tol_gap : float, default=None
        Optimality tolerance of PCP (relative duality gap), see :func:`pcp`;
        None stops at feasibility.
    max_iter : int, default=1000
        Maximum PCP iterations (``partial_fit``: per row's projection).
    random_state : int, RandomState instance or None, default=None
        Seeds the randomized partial SVDs and the initial basis of a stream.
    verbose : int, default=0
        If > 0, print the progress of PCP at each iteration, and a line per
        ``partial_fit`` call.
    n_jobs : int, default=None
        Threads over blocks of rows in :meth:`transform` (each row's fit is
        independent; joblib, one BLAS thread each). None or 1: serial.

    Attributes
    ----------
    low_rank_ : ndarray of shape (n_samples, n_features)
        Low-rank part of the training data (missing entries filled in).
        Set by ``fit`` only.
    sparse_ : ndarray of shape (n_samples, n_features)
        Sparse part of the training data (zero at missing entries). Set by
        ``fit`` only.
    components_ : ndarray of shape (n_components, n_features)
        Orthonormal rows spanning the low-rank part's row space, by
        decreasing singular value (after ``partial_fit``: of the centered
        low-rank parts of the rows streamed).
    singular_values_ : ndarray of shape (n_components,)
        Singular values of the low-rank part matching ``components_``.
    mean_ : ndarray of shape (n_features,)
        Zero after ``fit``; the running mean of the rows after
        ``partial_fit``. ``transform`` works on ``X - mean_``.
    n_components_ : int
        Rank found by PCP, capped at ``n_components``; after
        ``partial_fit``, the size of the streamed basis.
    n_samples_seen_ : int
        Rows used: the training rows of ``fit``, or all rows streamed.
    lam_ : float
        The l1 weight used by ``fit``; after ``partial_fit``, the current
        soft threshold of the stream in data units.
    n_iter_ : int
        PCP iterations run; after ``partial_fit``, the inner projection
        iterations of the last call.
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
        "stream_threshold": [Interval(Real, 0, None, closed="neither")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "tol_gap": [Interval(Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, n_components=None, *, lam=None, stream_threshold=1.0, tol=1e-7,
                 tol_gap=None, max_iter=1000, random_state=None, verbose=0, n_jobs=None):
        self.n_components = n_components
        self.lam = lam
        self.stream_threshold = stream_threshold
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
        self.mean_ = np.zeros(X.shape[1], dtype=dtype)
        self.n_components_ = r
        self.n_samples_seen_ = X.shape[0]
        self.lam_ = float(lam)
        self.n_iter_ = res.n_iter
        self._n_features_out = r
        self.__dict__.pop("_stream", None)
        return self

    def partial_fit(self, X, y=None):
        """Stream the rows of X into the online robust PCA model.

        The first call starts a stream and sets ``n_features_in_``; the
        first after ``fit`` starts it from ``fit``'s split. Each row then
        updates the running mean, the basis and its sufficient statistics
        (see :func:`online_pcp`). A chunk with a different number of
        features, or with NaN / inf, raises ValueError and leaves the model
        unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows in stream order; finite.
        y : Ignored

        Returns
        -------
        self : RobustPCA
        """
        self._validate_params()
        first = not hasattr(self, "_stream")
        X = validate_data(self, X, dtype=[np.float64, np.float32],
                          reset=first and not hasattr(self, "low_rank_"))
        if first and hasattr(self, "low_rank_"):  # after fit: continue from its split
            k = self.n_components_ if self.n_components is None else self.n_components
            state = online_pcp_from_split(
                self.low_rank_.astype(np.float64), self.sparse_.astype(np.float64),
                max(1, min(k, X.shape[1])), check_random_state(self.random_state))
        elif first:
            state = online_pcp_init(X.shape[1], _stream_rank(self.n_components, X.shape[1]),
                                    check_random_state(self.random_state))
        else:
            state = self._stream
        step = online_pcp_partial_fit(state, X.astype(np.float64, copy=False),
                                      threshold=self.stream_threshold, tol=self.tol,
                                      max_iter=self.max_iter, verbose=self.verbose)
        _warn_inner(step, self.max_iter)
        st = self._stream = step.state
        comps, sv = online_pcp_components(st)
        dtype = X.dtype
        self.components_ = comps.astype(dtype, copy=False)
        self.singular_values_ = sv.astype(dtype, copy=False)
        self.mean_ = st.mean.astype(dtype)
        self.n_components_ = comps.shape[0]
        self.n_samples_seen_ = st.n_samples
        self.lam_ = float(self.stream_threshold * st.scale
                          * np.sqrt(st.sum_sq / (st.n_samples * X.shape[1])))
        self.n_iter_ = int(step.n_iter.sum())
        self._n_features_out = self.n_components_
        for name in ("low_rank_", "sparse_"):  # fit's split, not a stream's
            self.__dict__.pop(name, None)
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
            Least absolute deviations coefficients: ``argmin_z ||x - mean_ -
            z @ components_||_1`` over the observed entries of each row.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32],
                          ensure_all_finite="allow-nan", reset=False)
        mask = ~np.isnan(X)
        X64 = np.where(mask, X - self.mean_, 0.0).astype(np.float64, copy=False)
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
            ``X @ components_ + mean_``: the low-rank reconstruction of each
            row.
        """
        check_is_fitted(self)
        X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        if X.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {X.shape[1]} features, but inverse_transform expects "
                f"n_components_={self.n_components_}."
            )
        return X @ self.components_ + self.mean_
