"""Subspace clustering by self-expression: SSC, EnSC, SSC-OMP, LRR, LSR, and TSC.

Each estimator writes every point as a combination of the other points
(``X ~ C X`` with ``diag(C) = 0``), turns the coefficients into an affinity
graph and clusters it with the shared spectral step of
:mod:`skstruct.cluster._spectral`. Each cluster then gets a linear subspace
fitted to its members, and ``predict`` assigns points to the nearest one
(smallest angle); with ``n_samples_fit`` the self-expression runs on a
sample only (uniform or k-means++-style, ``sampling``) and the other points
are assigned that way. The
numerical kernels live in :mod:`skstruct._backend._self_expression` and
:mod:`skstruct._backend._subspaces`.
"""

import time
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from .._backend._self_expression import (
    elastic_net_self_expression,
    lrr_closed_form,
    lrr_coefficients,
    lrr_ialm,
    lsr_self_expression,
    omp_self_expression,
    thresholding_neighbors,
)
from .._backend._subspaces import (
    angular_d2_sample,
    fit_cluster_subspaces,
    sample_size_from_rank,
    subspace_residuals,
)
from ._spectral import affinity_from_coefficients, spectral_clustering_from_affinity

_SMALL_N = 2000
# n_samples_fit="auto" fits every point up to this many (the full method takes seconds)
_AUTO_MIN_SAMPLES = 2000
_DENSE_WARN_N = 10000
# SSC-OMP with tol="auto": stop at this many times the local noise share, or at the floor
_OMP_NOISE_FACTOR = 1.5
_OMP_TOL_FLOOR = 1e-6
_OMP_NOISE_NEIGHBORS = 50

_COMMON_CONSTRAINTS = {
    "n_clusters": [Interval(Integral, 1, None, closed="left")],
    "n_init": [Interval(Integral, 1, None, closed="left")],
    "subspace_dim": [Interval(Integral, 1, None, closed="left"), None],
    "n_samples_fit": [Interval(Integral, 2, None, closed="left"),
                      Interval(Real, 0, 1, closed="right"), StrOptions({"auto"}), None],
    "sampling": [StrOptions({"random", "kmeans++"})],
    "random_state": ["random_state"],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
}
_AFFINITY_CONSTRAINTS = {
    "affinity": [StrOptions({"symmetrize", "nearest_neighbors"})],
    "n_neighbors": [Interval(Integral, 1, None, closed="left")],
}


def _unit_rows(X):
    nrm = np.linalg.norm(X, axis=1, keepdims=True)
    return np.divide(X, nrm, out=np.zeros_like(X), where=nrm > 0), nrm.ravel()


class _BaseSubspaceClustering(ClusterMixin, BaseEstimator):
    """Validation, affinity and spectral step shared by the estimators.

    Subclasses implement ``_coefficients(Xn) -> csr (n, n)`` (or
    ``_affinity(Xn)``) on the validated, unit-row float64 data.
    """

    _row_norm = "l2"

    def _log(self, msg):
        if self.verbose:
            print(f"[{type(self).__name__}] {msg}", flush=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    def _given_n_fit(self, n):
        """The sample size ``n_samples_fit`` asks for, when it is a number (else None)."""
        m = self.n_samples_fit
        if m is None or isinstance(m, str):
            return None
        m = int(np.ceil(m * n)) if isinstance(m, Real) and not isinstance(m, Integral) else m
        return int(min(max(m, 2), n))

    def _n_fit(self, Xn, rng):
        """Number of points the self-expression runs on."""
        if isinstance(self.n_samples_fit, str):  # "auto"
            return sample_size_from_rank(Xn, self.n_clusters, rng, floor=_AUTO_MIN_SAMPLES)
        m = self._given_n_fit(Xn.shape[0])
        return Xn.shape[0] if m is None else m

    def _validate_input(self, X):
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        n = X.shape[0]
        if self.n_clusters > n:
            raise ValueError(
                f"n_clusters={self.n_clusters} must be <= n_samples={n}.")
        m = self._given_n_fit(n)
        if m is not None and self.n_clusters > m:
            raise ValueError(
                f"n_clusters={self.n_clusters} must be <= the number of points fitted, "
                f"n_samples_fit={self.n_samples_fit} -> {m}.")
        Xn, nrm = _unit_rows(np.asarray(X, dtype=np.float64))
        nonzero = nrm > 0
        if not nonzero.any():
            raise ValueError("X is all zeros: there is no subspace to find.")
        if self.n_clusters > 1:
            ref = Xn[np.argmax(nonzero)]
            if np.all(np.abs(np.abs(Xn[nonzero] @ ref) - 1.0) < 1e-10):
                raise ValueError(
                    "X is constant up to scaling (all nonzero rows are parallel, rank 1): "
                    f"cannot split it into n_clusters={self.n_clusters} subspaces.")
        if not nonzero.all():
            warnings.warn(
                f"{int((~nonzero).sum())} row(s) of X are zero; they lie in every subspace "
                "and get arbitrary labels.", RuntimeWarning, stacklevel=3)
        return np.ascontiguousarray(Xn)

    def _affinity(self, Xn):
        C = self._coefficients(Xn)
        self.representation_ = C
        return affinity_from_coefficients(
            C, kind=getattr(self, "affinity", "symmetrize"), normalize=self._row_norm,
            n_neighbors=getattr(self, "n_neighbors", 3))

    def fit(self, X, y=None):
        """Compute the self-expression, the affinity, and cluster it.

        With ``n_samples_fit`` set, this is done on a sample (drawn as
        ``sampling`` says) and the other points are assigned to the nearest
        cluster subspace. Either
        way, a subspace is then fitted to each cluster for ``predict``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points (rows). They are scaled to unit norm first.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._validate_params()
        Xn = self._validate_input(X)
        n = Xn.shape[0]
        rng = check_random_state(self.random_state)
        m = self._n_fit(Xn, rng)
        idx = None
        if m < n:
            if self.sampling == "kmeans++":
                idx = angular_d2_sample(Xn, m, rng)
            else:
                idx = np.sort(rng.choice(n, m, replace=False))
        Xs = Xn if idx is None else Xn[idx]
        # Small problems run on one BLAS / OpenMP thread: thread start-up and
        # spinning cost more than they bring (measured 3x to 30x slower with
        # two threads on a shared 2-core machine at 300 and 2,000 points).
        small = m <= _SMALL_N and self.n_jobs in (None, 1)
        with threadpool_limits(limits=1 if small else None):
            t0 = time.perf_counter()
            W = self._affinity(Xs)
            self.affinity_matrix_ = W
            self._log(f"affinity of {m} points: {time.perf_counter() - t0:.2f} s, "
                      f"{W.nnz / max(m, 1):.1f} edges per point")
            t0 = time.perf_counter()
            labels = spectral_clustering_from_affinity(
                W, self.n_clusters, n_init=self.n_init, random_state=rng)
            self._log(f"spectral step: {time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        if idx is not None:
            bases = fit_cluster_subspaces(Xs, labels, self.n_clusters, dim=self.subspace_dim)
            sample_labels = labels
            labels = np.argmin(subspace_residuals(Xn, bases), axis=1).astype(np.int64)
            labels[idx] = sample_labels
            self.sample_indices_ = idx
            self._log(f"{n - m} other points assigned by residual: "
                      f"{time.perf_counter() - t0:.2f} s")
        self.labels_ = labels
        self.subspace_bases_ = fit_cluster_subspaces(Xn, labels, self.n_clusters,
                                                     dim=self.subspace_dim)
        self.subspace_dims_ = np.array([b.shape[1] for b in self.subspace_bases_])
        self._log(f"cluster subspaces of dimensions {self.subspace_dims_.tolist()}")
        return self

    def fit_predict(self, X, y=None):
        """Fit and return the cluster labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points (rows).
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster index of each point.
        """
        return self.fit(X).labels_

    def predict(self, X):
        """Assign points to the cluster whose subspace is nearest in angle.

        Each cluster's linear subspace (``subspace_bases_``) was fitted to
        its members at ``fit``; a point (scaled to unit norm) goes to the
        cluster with the smallest squared residual
        ``||x - U_k U_k^T x||^2 = sin^2(angle(x, subspace k))``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New points.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster index of each point.
        """
        return self.residuals(X).argmin(axis=1).astype(np.int64)

    def residuals(self, X):
        """Squared sine of the angle between each point and each cluster subspace.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        residuals : ndarray of shape (n_samples, n_clusters)
            ``||x - U_k U_k^T x||^2`` for ``x`` scaled to unit norm, in
            ``[0, 1]``; zero rows of ``X`` get 0 everywhere.
        """
        check_is_fitted(self, "subspace_bases_")
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        Xn, _ = _unit_rows(np.asarray(X, dtype=np.float64))
        return subspace_residuals(Xn, self.subspace_bases_)


def _warn_dense(n, n_nonzero, name):
    if n_nonzero is None and n > _DENSE_WARN_N:
        warnings.warn(
            f"{name} keeps a dense representation: {n}^2 entries, about "
            f"{16 * n * n / 1e9:.1f} GB as a sparse matrix. Set n_nonzero to keep only the "
            "largest coefficients of each row, or n_samples_fit to fit on a sample.",
            UserWarning, stacklevel=4)


def _coo_to_csr(rows, cols, vals, n):
    C = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    C.sum_duplicates()
    C.eliminate_zeros()
    C.sort_indices()
    return C


def _truncate_rows(C, k):
    """Keep the ``k`` largest ``|entries|`` of each row of a CSR matrix."""
    if k is None:
        return C
    C = C.tocsr()
    counts = np.diff(C.indptr)
    if counts.max(initial=0) <= k:
        return C
    keep = np.zeros(C.nnz, dtype=bool)
    for i in np.flatnonzero(counts > k):
        a, b = C.indptr[i], C.indptr[i + 1]
        keep[a + np.argpartition(-np.abs(C.data[a:b]), k - 1)[:k]] = True
    keep[np.repeat(counts <= k, counts)] = True
    rows = np.repeat(np.arange(C.shape[0]), counts)[keep]
    return _coo_to_csr(rows, C.indices[keep], C.data[keep], C.shape[0])


class _EnetMixin:
    def _run_enet(self, Xn, l1_ratio, extra_atoms=None):
        n = Xn.shape[0]
        rows, cols, vals, n_outer, n_bad = elastic_net_self_expression(
            Xn, l1_ratio=l1_ratio, alpha=self.alpha, extra_atoms=extra_atoms,
            support_size=self.support_size, max_outer=self.max_iter, tol=self.tol,
            n_jobs=self.n_jobs)
        self.n_iter_ = int(n_outer)
        if n_bad:
            warnings.warn(
                f"The active-set solver stopped after max_iter={self.max_iter} working-set "
                f"updates with {n_bad} point(s) not yet optimal. Increase max_iter.",
                ConvergenceWarning, stacklevel=3)
        inner = cols < n
        C = _coo_to_csr(rows[inner], cols[inner], vals[inner], n)
        return C, rows[~inner], cols[~inner] - n, vals[~inner]


class SparseSubspaceClustering(_EnetMixin, _BaseSubspaceClustering):
    """Sparse subspace clustering (SSC): l1 self-expression + spectral clustering.

    Each point ``x_j`` (scaled to unit norm) is written as a sparse
    combination of the other points by the lasso::

        min_c ||c||_1 + gamma_j / 2 ||x_j - X_{-j}^T c||^2
                      [+ outlier_penalty ||e||_1 with x_j - X_{-j}^T c - e inside]

    with ``gamma_j = alpha / max_{i != j} |x_i . x_j|`` (``alpha > 1``; at
    ``alpha <= 1`` the solution is zero). The squared term absorbs dense
    noise; with ``outliers=True`` a sparse error ``e`` absorbs gross
    corruptions of a few coordinates (Elhamifar & Vidal 2013). On noiseless
    data from independent subspaces the representation uses only points of
    the same subspace, so the affinity ``(|C| + |C|^T) / 2`` has no edge
    between subspaces.

    The lasso is solved per point by the oracle-guided active-set method of
    You et al. (2016): an exact active-set solve on a small working set,
    then one correlation of the residual with every point (blocks of points
    share one matrix product), repeated until no point violates optimality.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of subspaces.
    alpha : float > 1, default=50.0
        Fidelity weight relative to its smallest useful value; larger keeps
        more points per representation and fits noise less.
    outliers : bool, default=False
        Add the sparse error term (noise + outlier formulation).
    outlier_penalty : float or None, default=None
        Weight of ``||e||_1``; None uses ``20 / max_j ||x_j||_1`` (of the
        unit-norm rows), as in the reference code.
    affinity : {"symmetrize", "nearest_neighbors"}, default="symmetrize"
        How coefficients become a graph, see
        :func:`~skstruct.cluster.affinity_from_coefficients`.
    n_neighbors : int, default=3
        For ``affinity="nearest_neighbors"``.
    n_nonzero : int or None, default=None
        Keep at most this many largest coefficients per point.
    support_size : int, default=50
        Initial working-set size of the active-set solver.
    max_iter : int, default=40
        Maximum working-set updates per point.
    tol : float, default=1e-6
        Tolerance of each working-set solve: it ends when no optimality violation
        exceeds ``1e-4 * tol`` (unit-norm points, in units of the atom's norm).
    n_init : int, default=20
        k-means restarts in the spectral step.
    random_state : int, RandomState instance or None, default=None
        Seeds the eigensolver start block and k-means.
    n_jobs : int or None, default=None
        Threads over blocks of points (BLAS is limited to one thread each).
    subspace_dim : int or None, default=None
        Dimension of the subspace fitted to each cluster for ``predict``
        (and for assigning the points left out by ``n_samples_fit``). None
        chooses it per cluster: the fewest leading singular vectors of the
        members' unit-norm rows that hold 95% of their squared norm, and no
        more than the singular values above the Gavish-Donoho noise
        threshold.
    n_samples_fit : int, float, "auto" or None, default=None
        Run the self-expression and the spectral step on a sample of this
        many points (a float: this share of the points), then assign the
        other points to the nearest cluster subspace as ``predict`` does.
        Time and memory then grow with the sample size, not with
        ``n_samples`` (plus one linear pass); ``representation_`` and
        ``affinity_matrix_`` are those of the sample. ``"auto"``: 20 points
        per dimension of the span of the data (estimated from the spectrum of
        2,000 random points), at least 2,000 and ``20 * n_clusters``, all
        points below that. None uses every point.
    sampling : {"kmeans++", "random"}, default="kmeans++"
        How the sample of ``n_samples_fit`` is drawn: k-means++-style, with
        probability proportional to the squared sine of the angle to the
        nearest point already drawn (small subspaces get a larger share than
        their count), or uniformly (see the user guide).
    verbose : int, default=0
        Print the time of each stage.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
    subspace_bases_ : list of n_clusters ndarrays of shape (n_features, d_k)
        Orthonormal basis of each cluster's subspace (of the unit-norm rows).
    subspace_dims_ : ndarray of shape (n_clusters,)
        The ``d_k``.
    sample_indices_ : ndarray of shape (n_samples_fit,)
        Points the self-expression ran on; only when ``n_samples_fit`` is
        smaller than ``n_samples``.
    representation_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        ``C[i, j]``: weight of point ``j`` in point ``i``'s representation (of
        the unit-norm rows); zero diagonal.
    affinity_matrix_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        Symmetric non-negative graph given to the spectral step.
    errors_ : ndarray of shape (n_samples, n_features)
        Sparse errors ``e`` of the unit-norm rows; only with ``outliers=True``.
    n_iter_ : int
        Largest number of working-set updates.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in,)

    See Also
    --------
    ElasticNetSubspaceClustering : l1 + l2 penalty, better connected graphs.
    OMPSubspaceClustering : greedy l0 version, fastest.

    References
    ----------
    Elhamifar, Vidal. Sparse subspace clustering: algorithm, theory, and
    applications. IEEE TPAMI 2013.
    You, Li, Robinson, Vidal. Oracle based active set algorithm for scalable
    elastic net subspace clustering. CVPR 2016.

    Examples
    --------
    >>> from skstruct.cluster import SparseSubspaceClustering
    >>> from skstruct.datasets import make_subspaces
    >>> X, y = make_subspaces(150, 12, n_subspaces=3, subspace_dim=3, random_state=0)
    >>> ssc = SparseSubspaceClustering(n_clusters=3, random_state=0).fit(X)
    >>> from sklearn.metrics import adjusted_rand_score
    >>> adjusted_rand_score(y, ssc.labels_)
    1.0
    """

    _row_norm = "linf"
    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        **_AFFINITY_CONSTRAINTS,
        "alpha": [Interval(Real, 1, None, closed="neither")],
        "outliers": ["boolean"],
        "outlier_penalty": [Interval(Real, 0, None, closed="neither"), None],
        "n_nonzero": [Interval(Integral, 1, None, closed="left"), None],
        "support_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, n_clusters=8, *, alpha=50.0, outliers=False, outlier_penalty=None,
                 affinity="symmetrize", n_neighbors=3, n_nonzero=None, support_size=50,
                 max_iter=40, tol=1e-6, n_init=20, random_state=None, n_jobs=None,
                 subspace_dim=None, n_samples_fit=None, sampling="kmeans++", verbose=0):
        self.n_clusters = n_clusters
        self.alpha = alpha
        self.outliers = outliers
        self.outlier_penalty = outlier_penalty
        self.affinity = affinity
        self.n_neighbors = n_neighbors
        self.n_nonzero = n_nonzero
        self.support_size = support_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.subspace_dim = subspace_dim
        self.n_samples_fit = n_samples_fit
        self.sampling = sampling
        self.verbose = verbose

    def _coefficients(self, Xn):
        n, D = Xn.shape
        extra = None
        if self.outliers:
            lam_e = self.outlier_penalty
            if lam_e is None:
                lam_e = 20.0 / np.abs(Xn).sum(axis=1).max()
            # e = u / lam_e with atoms I / lam_e: the l1 weight of u is the one of c.
            extra = np.eye(D) / lam_e
        C, er, ec, ev = self._run_enet(Xn, 1.0, extra)
        if self.outliers:
            E = np.zeros((n, D))
            E[er, ec] = ev / lam_e
            self.errors_ = E
            self.outlier_penalty_ = float(lam_e)
        return _truncate_rows(C, self.n_nonzero)


class ElasticNetSubspaceClustering(_EnetMixin, _BaseSubspaceClustering):
    """Elastic net subspace clustering (EnSC) with an oracle-guided active set.

    Each point ``x_j`` (unit norm) is written as::

        min_c l1_ratio ||c||_1 + (1 - l1_ratio) / 2 ||c||^2
              + gamma_j / 2 ||x_j - X_{-j}^T c||^2,
        gamma_j = alpha * l1_ratio / max_{i != j} |x_i . x_j|

    The l1 part keeps representations within the point's subspace, the l2
    part spreads weight over more points of it, which keeps each subspace's
    graph connected (SSC's weak point). The solver (ORGEN, You et al. 2016)
    solves the problem on a working set of about ``support_size`` points and
    grows it with the points that violate optimality, found by one
    correlation of the residual with all points; so the cost per point is
    ``O(n D)`` per working-set update and memory is ``O(n * n_nonzero)``,
    which scales to tens of thousands of points.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters (subspaces) to find.
    l1_ratio : float in (0, 1], default=0.9
        Weight of the l1 penalty; 1 gives SSC's lasso.
    alpha : float > 1, default=50.0
        Fidelity weight relative to its smallest useful value (5 to 500).
    affinity : {"symmetrize", "nearest_neighbors"}, default="symmetrize"
        How coefficients become a graph, see
        :func:`~skstruct.cluster.affinity_from_coefficients`.
    n_neighbors : int, default=3
        For ``affinity="nearest_neighbors"``.
    n_nonzero : int or None, default=50
        Keep at most this many largest coefficients per point.
    support_size : int, default=50
        Initial working-set size of the active-set solver (grown when the
        support fills it).
    max_iter : int, default=40
        Maximum working-set updates per point.
    tol : float, default=1e-6
        Tolerance of each working-set solve: it ends when no optimality violation
        exceeds ``1e-4 * tol`` (unit-norm points, in units of the atom's norm).
    n_init : int, default=20
        Number of k-means restarts in the spectral step.
    random_state : int, RandomState instance or None, default=None
        Seeds the eigensolver start block and k-means.
    n_jobs : int or None, default=None
        Number of threads over blocks of points (BLAS held to one thread each);
        None means 1.
    subspace_dim : int or None, default=None
        Dimension of the subspace fitted to each cluster for ``predict``
        (and for assigning the points left out by ``n_samples_fit``). None
        chooses it per cluster: the fewest leading singular vectors of the
        members' unit-norm rows that hold 95% of their squared norm, and no
        more than the singular values above the Gavish-Donoho noise
        threshold.
    n_samples_fit : int, float, "auto" or None, default=None
        Run the self-expression and the spectral step on a sample of this
        many points (a float: this share of the points), then assign the
        other points to the nearest cluster subspace as ``predict`` does.
        Time and memory then grow with the sample size, not with
        ``n_samples`` (plus one linear pass); ``representation_`` and
        ``affinity_matrix_`` are those of the sample. ``"auto"``: 20 points
        per dimension of the span of the data (estimated from the spectrum of
        2,000 random points), at least 2,000 and ``20 * n_clusters``, all
        points below that. None uses every point.
    sampling : {"kmeans++", "random"}, default="kmeans++"
        How the sample of ``n_samples_fit`` is drawn: k-means++-style, with
        probability proportional to the squared sine of the angle to the
        nearest point already drawn (small subspaces get a larger share than
        their count), or uniformly (see the user guide).
    verbose : int, default=0
        Print the time of each stage.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
    subspace_bases_ : list of n_clusters ndarrays of shape (n_features, d_k)
        Orthonormal basis of each cluster's subspace (of the unit-norm rows).
    subspace_dims_ : ndarray of shape (n_clusters,)
        The ``d_k``.
    sample_indices_ : ndarray of shape (n_samples_fit,)
        Points the self-expression ran on; only when ``n_samples_fit`` is
        smaller than ``n_samples``.
    representation_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
    affinity_matrix_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in,)

    See Also
    --------
    SparseSubspaceClustering : ``l1_ratio=1``, plus an outlier term.

    References
    ----------
    You, Li, Robinson, Vidal. Oracle based active set algorithm for scalable
    elastic net subspace clustering. CVPR 2016.

    Examples
    --------
    >>> from skstruct.cluster import ElasticNetSubspaceClustering
    >>> from skstruct.datasets import make_subspaces
    >>> X, y = make_subspaces(150, 12, n_subspaces=3, subspace_dim=3, random_state=0)
    >>> ensc = ElasticNetSubspaceClustering(n_clusters=3, random_state=0).fit(X)
    >>> from sklearn.metrics import adjusted_rand_score
    >>> adjusted_rand_score(y, ensc.labels_)
    1.0
    """

    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        **_AFFINITY_CONSTRAINTS,
        "l1_ratio": [Interval(Real, 0, 1, closed="right")],
        "alpha": [Interval(Real, 1, None, closed="neither")],
        "n_nonzero": [Interval(Integral, 1, None, closed="left"), None],
        "support_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, n_clusters=8, *, l1_ratio=0.9, alpha=50.0, affinity="symmetrize",
                 n_neighbors=3, n_nonzero=50, support_size=50, max_iter=40, tol=1e-6,
                 n_init=20, random_state=None, n_jobs=None, subspace_dim=None,
                 n_samples_fit=None, sampling="kmeans++", verbose=0):
        self.n_clusters = n_clusters
        self.l1_ratio = l1_ratio
        self.alpha = alpha
        self.affinity = affinity
        self.n_neighbors = n_neighbors
        self.n_nonzero = n_nonzero
        self.support_size = support_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.subspace_dim = subspace_dim
        self.n_samples_fit = n_samples_fit
        self.sampling = sampling
        self.verbose = verbose

    def _coefficients(self, Xn):
        C, _, _, _ = self._run_enet(Xn, float(self.l1_ratio))
        return _truncate_rows(C, self.n_nonzero)


class OMPSubspaceClustering(_BaseSubspaceClustering):
    """SSC by orthogonal matching pursuit (SSC-OMP), batched.

    Each point (unit norm) greedily picks the other point most correlated
    with its residual and refits by least squares, until the squared residual
    falls below ``tol`` (by default, the noise level of its neighborhood) or
    ``n_nonzero`` points are picked (You, Robinson & Vidal 2016). By default
    the picks are restricted to the point's
    ``n_candidates`` most correlated other points: plain OMP, once the
    point's subspace is fitted, fits the remaining noise with points of any
    subspace, and on coherent real data (all-positive pixels or spectra) its
    second and later picks are barely related to the point; the restriction
    keeps every pick a near neighbor in angle, and OMP then chooses among
    the neighbors the few that span the point (measured: digits accuracy
    0.2 -> 0.86, noisy synthetic data at 10,000 points 0.35 -> 1.0, see the
    user guide). All points of a block advance together: one correlation
    product per block, then cost ``O(n_nonzero * n_candidates * D)`` per
    point; memory ``O(n * n_nonzero)``.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters (subspaces) to find.
    n_nonzero : int, default=5
        Maximum points per representation; about the subspace dimension, or
        below it on noisy data.
    tol : float or "auto", default="auto"
        Relative squared residual ``||r||^2 / ||x||^2`` at which a point
        stops. ``"auto"``: at 1.5 times the noise share of the point's
        neighborhood (it and its 50 most correlated points: ``(D - d)
        median(s^2) / sum(s^2)`` over their singular values ``s``, ``d``
        the local dimension from the spectrum), from the second pick on, or
        at ``1e-6``; the noise rule only applies with at least 500 points
        per cluster on average (``1e-6`` alone below). With noise, picks made once the residual is noise fit
        it with points of any subspace (measured: 25-degree subspaces with
        20% noise, 0.24 accuracy with ``tol=1e-6``, 0.96 with ``"auto"``;
        see the user guide).
    n_candidates : int or None, default=50
        Each point picks only among its ``n_candidates`` most correlated
        other points; None lets it pick any point (the original SSC-OMP).
    affinity : {"symmetrize", "nearest_neighbors"}, default="symmetrize"
        How coefficients become a graph, see
        :func:`~skstruct.cluster.affinity_from_coefficients`.
    n_neighbors : int, default=3
        For ``affinity="nearest_neighbors"``: neighbors per point.
    n_init : int, default=20
        Number of k-means restarts in the spectral step.
    random_state : int, RandomState instance or None, default=None
        Seeds the eigensolver start block and k-means.
    n_jobs : int or None, default=None
        Number of threads over blocks of points (BLAS held to one thread each);
        None means 1.
    subspace_dim : int or None, default=None
        Dimension of the subspace fitted to each cluster for ``predict``
        (and for assigning the points left out by ``n_samples_fit``). None
        chooses it per cluster: the fewest leading singular vectors of the
        members' unit-norm rows that hold 95% of their squared norm, and no
        more than the singular values above the Gavish-Donoho noise
        threshold.
    n_samples_fit : int, float, "auto" or None, default=None
        Run the self-expression and the spectral step on a sample of this
        many points (a float: this share of the points), then assign the
        other points to the nearest cluster subspace as ``predict`` does.
        Time and memory then grow with the sample size, not with
        ``n_samples`` (plus one linear pass); ``representation_`` and
        ``affinity_matrix_`` are those of the sample. ``"auto"``: 20 points
        per dimension of the span of the data (estimated from the spectrum of
        2,000 random points), at least 2,000 and ``20 * n_clusters``, all
        points below that. None uses every point.
    sampling : {"kmeans++", "random"}, default="kmeans++"
        How the sample of ``n_samples_fit`` is drawn: k-means++-style, with
        probability proportional to the squared sine of the angle to the
        nearest point already drawn (small subspaces get a larger share than
        their count), or uniformly (see the user guide).
    verbose : int, default=0
        Print the time of each stage.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
    subspace_bases_ : list of n_clusters ndarrays of shape (n_features, d_k)
        Orthonormal basis of each cluster's subspace (of the unit-norm rows).
    subspace_dims_ : ndarray of shape (n_clusters,)
        The ``d_k``.
    sample_indices_ : ndarray of shape (n_samples_fit,)
        Points the self-expression ran on; only when ``n_samples_fit`` is
        smaller than ``n_samples``.
    representation_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
    affinity_matrix_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in,)

    References
    ----------
    You, Robinson, Vidal. Scalable sparse subspace clustering by orthogonal
    matching pursuit. CVPR 2016.

    Examples
    --------
    >>> from skstruct.cluster import OMPSubspaceClustering
    >>> from skstruct.datasets import make_subspaces
    >>> X, y = make_subspaces(150, 12, n_subspaces=3, subspace_dim=3, random_state=0)
    >>> omp = OMPSubspaceClustering(n_clusters=3, n_nonzero=3, random_state=0).fit(X)
    >>> from sklearn.metrics import adjusted_rand_score
    >>> adjusted_rand_score(y, omp.labels_)
    1.0
    """

    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        **_AFFINITY_CONSTRAINTS,
        "n_nonzero": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "n_candidates": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, n_clusters=8, *, n_nonzero=5, tol="auto", n_candidates=50,
                 affinity="symmetrize", n_neighbors=3, n_init=20, random_state=None,
                 n_jobs=None, subspace_dim=None, n_samples_fit=None, sampling="kmeans++", verbose=0):
        self.n_clusters = n_clusters
        self.n_nonzero = n_nonzero
        self.tol = tol
        self.n_candidates = n_candidates
        self.affinity = affinity
        self.n_neighbors = n_neighbors
        self.n_init = n_init
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.subspace_dim = subspace_dim
        self.n_samples_fit = n_samples_fit
        self.sampling = sampling
        self.verbose = verbose

    def _coefficients(self, Xn):
        auto = isinstance(self.tol, str)
        # the noise estimate needs its _OMP_NOISE_NEIGHBORS neighbors in the point's own
        # subspace: only when the mean cluster holds 10 times that (at 120 points per
        # 5-dimensional subspace, 25 degrees apart, the neighborhoods reached into other
        # subspaces, the estimate was too large and accuracy fell from 1.0 to 0.83)
        noisy = auto and Xn.shape[0] >= 10 * _OMP_NOISE_NEIGHBORS * self.n_clusters
        rows, cols, vals = omp_self_expression(Xn, n_nonzero=self.n_nonzero,
                                               tol=_OMP_TOL_FLOOR if auto else self.tol,
                                               n_candidates=self.n_candidates,
                                               noise_factor=_OMP_NOISE_FACTOR if noisy else None,
                                               n_local=_OMP_NOISE_NEIGHBORS, n_jobs=self.n_jobs)
        return _coo_to_csr(rows, cols, vals, Xn.shape[0])


class LeastSquaresSubspaceClustering(_BaseSubspaceClustering):
    """Least squares regression subspace clustering (LSR), closed form.

    Each point (unit norm) is written by ridge regression on the other
    points, ``min_c ||x_i - X_{-i}^T c||^2 + lam ||c||^2``; with
    ``K = (X X^T + lam I)^{-1}`` all rows at once are ``C[i] = -K[i] / K[i, i]``,
    ``C[i, i] = 0`` (LSR1 of Lu et al. 2012). ``K`` is formed block by block
    through the Woodbury identity at ``O(D^3 + n^2 D)``. The representation is
    dense (grouping effect): memory ``O(n^2)`` unless ``n_nonzero`` keeps only
    the largest coefficients of each row.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters (subspaces) to find.
    lam : float > 0, default=0.01
        Ridge weight; smaller fits the data more tightly.
    n_nonzero : int or None, default=None
        Keep the largest ``|c|`` per row (None: all).
    n_init : int, default=20
        Number of k-means restarts in the spectral step.
    random_state : int, RandomState instance or None, default=None
        Seeds the eigensolver start block and k-means.
    n_jobs : int or None, default=None
        Number of threads over blocks of points (BLAS held to one thread each);
        None means 1.
    subspace_dim : int or None, default=None
        Dimension of the subspace fitted to each cluster for ``predict``
        (and for assigning the points left out by ``n_samples_fit``). None
        chooses it per cluster: the fewest leading singular vectors of the
        members' unit-norm rows that hold 95% of their squared norm, and no
        more than the singular values above the Gavish-Donoho noise
        threshold.
    n_samples_fit : int, float, "auto" or None, default=None
        Run the self-expression and the spectral step on a sample of this
        many points (a float: this share of the points), then assign the
        other points to the nearest cluster subspace as ``predict`` does.
        Time and memory then grow with the sample size, not with
        ``n_samples`` (plus one linear pass); ``representation_`` and
        ``affinity_matrix_`` are those of the sample. ``"auto"``: 20 points
        per dimension of the span of the data (estimated from the spectrum of
        2,000 random points), at least 2,000 and ``20 * n_clusters``, all
        points below that. None uses every point.
    sampling : {"kmeans++", "random"}, default="kmeans++"
        How the sample of ``n_samples_fit`` is drawn: k-means++-style, with
        probability proportional to the squared sine of the angle to the
        nearest point already drawn (small subspaces get a larger share than
        their count), or uniformly (see the user guide).
    verbose : int, default=0
        Print the time of each stage.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
    subspace_bases_ : list of n_clusters ndarrays of shape (n_features, d_k)
        Orthonormal basis of each cluster's subspace (of the unit-norm rows).
    subspace_dims_ : ndarray of shape (n_clusters,)
        The ``d_k``.
    sample_indices_ : ndarray of shape (n_samples_fit,)
        Points the self-expression ran on; only when ``n_samples_fit`` is
        smaller than ``n_samples``.
    representation_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
    affinity_matrix_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        ``(|C| + |C|^T) / 2``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in,)

    References
    ----------
    Lu, Min, Zhao, Zhu, Huang, Yan. Robust and efficient subspace segmentation
    via least squares regression. ECCV 2012.

    Examples
    --------
    >>> from skstruct.cluster import LeastSquaresSubspaceClustering
    >>> from skstruct.datasets import make_subspaces
    >>> X, y = make_subspaces(150, 12, n_subspaces=3, subspace_dim=3, random_state=0)
    >>> lsr = LeastSquaresSubspaceClustering(n_clusters=3, random_state=0).fit(X)
    >>> from sklearn.metrics import adjusted_rand_score
    >>> adjusted_rand_score(y, lsr.labels_)
    1.0
    """

    _row_norm = None
    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "lam": [Interval(Real, 0, None, closed="neither")],
        "n_nonzero": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, n_clusters=8, *, lam=0.01, n_nonzero=None, n_init=20,
                 random_state=None, n_jobs=None, subspace_dim=None,
                 n_samples_fit=None, sampling="kmeans++", verbose=0):
        self.n_clusters = n_clusters
        self.lam = lam
        self.n_nonzero = n_nonzero
        self.n_init = n_init
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.subspace_dim = subspace_dim
        self.n_samples_fit = n_samples_fit
        self.sampling = sampling
        self.verbose = verbose

    def _coefficients(self, Xn):
        _warn_dense(Xn.shape[0], self.n_nonzero, "LSR")
        rows, cols, vals = lsr_self_expression(Xn, self.lam, n_nonzero=self.n_nonzero,
                                               n_jobs=self.n_jobs)
        return _coo_to_csr(rows, cols, vals, Xn.shape[0])


class LowRankRepresentation(_BaseSubspaceClustering):
    """Low-rank representation (LRR) subspace clustering.

    With ``error="l21"`` (default), solves
    ``min ||Z||_* + lam ||E||_{2,1}  s.t.  X^T = X^T Z + E`` (points as
    columns, unit norm) by the inexact augmented Lagrangian method of Liu
    et al., on the ``rank(X) x n`` reduced variable (``Z = Q Zr`` with ``Q``
    an orthonormal basis of the range of ``X``), with singular value
    thresholding at each step. The l2,1 norm lets whole points be corrupted.
    Without noise and for large ``lam`` the solution is the shape interaction
    matrix ``V V^T`` (``X = V S U^T``), block diagonal for independent
    subspaces. Each iteration costs ``O(r^2 n)`` with ``r = min(n, D)``,
    and a few hundred are typical.

    With ``error="frobenius"``, solves
    ``min ||Z||_* + lam / 2 ||X^T - X^T Z||_F^2`` instead, in closed form
    from one thin SVD (Favaro, Vidal & Ravichandran 2011): ``Z = V_1 (I -
    S_1^{-2} / lam) V_1^T`` over the singular values above ``1 / sqrt(lam)``.
    Dense Gaussian-like noise is what it models; it was 20x faster than the
    l2,1 solver at 1,200 points in ``R^200`` and about as accurate on the
    data measured (user guide).

    n_clusters : int, default=8
        Number of clusters (subspaces) to find.
    lam : float > 0 or None, default=None
        Weight of the error term; large values force ``E`` to zero. None
        means 1 with ``error="l21"`` and 10 with ``error="frobenius"``
        (there it cuts the directions whose squared singular value, for the
        unit-norm rows, is below ``1 / lam``; 1 cut the directions that
        separate 25-degree subspaces at 300 points).
    error : {"l21", "frobenius"}, default="l21"
        Error model: column-sparse (iterative) or dense (closed form).
    n_nonzero : int or None, default=None
        Keep at most this many largest ``|c|`` per row (None: all, dense).
    tol : float, default=1e-7
        Stop when both constraint residuals (max norm) fall below ``tol``
        (``error="l21"``).
    max_iter : int, default=1000
        Maximum number of ALM iterations (``error="l21"``).
    n_init : int, default=20
        Number of k-means restarts in the spectral step.
    random_state : int, RandomState instance or None, default=None
        Seeds the eigensolver start block and k-means.
    n_jobs : int or None, default=None
        Number of threads over blocks of points (BLAS held to one thread each);
        None means 1.
    subspace_dim : int or None, default=None
        Dimension of the subspace fitted to each cluster for ``predict``
        (and for assigning the points left out by ``n_samples_fit``). None
        chooses it per cluster: the fewest leading singular vectors of the
        members' unit-norm rows that hold 95% of their squared norm, and no
        more than the singular values above the Gavish-Donoho noise
        threshold.
    n_samples_fit : int, float, "auto" or None, default=None
        Run the self-expression and the spectral step on a sample of this
        many points (a float: this share of the points), then assign the
        other points to the nearest cluster subspace as ``predict`` does.
        Time and memory then grow with the sample size, not with
        ``n_samples`` (plus one linear pass); ``representation_`` and
        ``affinity_matrix_`` are those of the sample. ``"auto"``: 20 points
        per dimension of the span of the data (estimated from the spectrum of
        2,000 random points), at least 2,000 and ``20 * n_clusters``, all
        points below that. None uses every point.
    sampling : {"kmeans++", "random"}, default="kmeans++"
        How the sample of ``n_samples_fit`` is drawn: k-means++-style, with
        probability proportional to the squared sine of the angle to the
        nearest point already drawn (small subspaces get a larger share than
        their count), or uniformly (see the user guide).
    verbose : int, default=0
        Print the time of each stage.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
    subspace_bases_ : list of n_clusters ndarrays of shape (n_features, d_k)
        Orthonormal basis of each cluster's subspace (of the unit-norm rows).
    subspace_dims_ : ndarray of shape (n_clusters,)
        The ``d_k``.
    sample_indices_ : ndarray of shape (n_samples_fit,)
        Points the self-expression ran on; only when ``n_samples_fit`` is
        smaller than ``n_samples``.
    representation_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        ``Z^T`` without its diagonal (row ``i`` represents point ``i``).
    affinity_matrix_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
    errors_ : ndarray of shape (n_samples, n_features)
        ``E^T`` (per point error of the unit-norm rows).
    n_iter_ : int
        ALM iterations; 0 for the closed form.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in,)

    References
    ----------
    Liu, Lin, Yan, Sun, Yu, Ma. Robust recovery of subspace structures by
    low-rank representation. IEEE TPAMI 2013.

    Examples
    --------
    >>> from skstruct.cluster import LowRankRepresentation
    >>> from skstruct.datasets import make_subspaces
    >>> X, y = make_subspaces(150, 12, n_subspaces=3, subspace_dim=3, random_state=0)
    >>> lrr = LowRankRepresentation(n_clusters=3, random_state=0).fit(X)
    >>> from sklearn.metrics import adjusted_rand_score
    >>> adjusted_rand_score(y, lrr.labels_)
    1.0
    """

    _row_norm = None
    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "lam": [Interval(Real, 0, None, closed="neither"), None],
        "error": [StrOptions({"l21", "frobenius"})],
        "n_nonzero": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_clusters=8, *, lam=None, error="l21", n_nonzero=None, tol=1e-7,
                 max_iter=1000, n_init=20, random_state=None, n_jobs=None, subspace_dim=None,
                 n_samples_fit=None, sampling="kmeans++", verbose=0):
        self.n_clusters = n_clusters
        self.lam = lam
        self.error = error
        self.n_nonzero = n_nonzero
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.subspace_dim = subspace_dim
        self.n_samples_fit = n_samples_fit
        self.sampling = sampling
        self.verbose = verbose

    def _coefficients(self, Xn):
        _warn_dense(Xn.shape[0], self.n_nonzero, "LRR")
        lam = self.lam if self.lam is not None else (10.0 if self.error == "frobenius" else 1.0)
        if self.error == "frobenius":
            Q, Zr = lrr_closed_form(Xn, lam)
            self.n_iter_ = 0
            self.errors_ = Xn - Zr.T @ (Q.T @ Xn)
        else:
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            Q, Zr, E, n_iter, converged = lrr_ialm(Xn, lam, tol=self.tol,
                                                   max_iter=self.max_iter, random_state=seed,
                                                   verbose=self.verbose)
            if not converged:
                warnings.warn(
                    f"LRR did not converge in max_iter={self.max_iter} iterations; increase "
                    "max_iter or tol.", ConvergenceWarning, stacklevel=3)
            self.n_iter_ = int(n_iter)
            self.errors_ = E.T.copy()
        rows, cols, vals = lrr_coefficients(Q, Zr, n_nonzero=self.n_nonzero,
                                            n_jobs=self.n_jobs)
        return _coo_to_csr(rows, cols, vals, Xn.shape[0])


class ThresholdingSubspaceClustering(_BaseSubspaceClustering):
    """Thresholding-based subspace clustering (TSC).

    Not self-expressive: each point (unit norm) is linked to the
    ``n_neighbors`` other points with the largest absolute inner product,
    with weight ``exp(-2 arccos |x_i . x_j|)`` (Heckel & Boelcskei 2015);
    the graph is symmetrized and clustered by the shared spectral step.
    The cheapest method here (one blocked ``X X^T``, memory
    ``O(n * n_neighbors)``), a good baseline when subspaces are far apart.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters (subspaces) to find.
    n_neighbors : int, default=10
        Neighbors kept per point (``q``), on the order of the subspace
        dimension.
    n_init : int, default=20
        Number of k-means restarts in the spectral step.
    random_state : int, RandomState instance or None, default=None
        Seeds the eigensolver start block and k-means.
    n_jobs : int or None, default=None
        Number of threads over blocks of points (BLAS held to one thread each);
        None means 1.
    subspace_dim : int or None, default=None
        Dimension of the subspace fitted to each cluster for ``predict``
        (and for assigning the points left out by ``n_samples_fit``). None
        chooses it per cluster: the fewest leading singular vectors of the
        members' unit-norm rows that hold 95% of their squared norm, and no
        more than the singular values above the Gavish-Donoho noise
        threshold.
    n_samples_fit : int, float, "auto" or None, default=None
        Run the self-expression and the spectral step on a sample of this
        many points (a float: this share of the points), then assign the
        other points to the nearest cluster subspace as ``predict`` does.
        Time and memory then grow with the sample size, not with
        ``n_samples`` (plus one linear pass); ``representation_`` and
        ``affinity_matrix_`` are those of the sample. ``"auto"``: 20 points
        per dimension of the span of the data (estimated from the spectrum of
        2,000 random points), at least 2,000 and ``20 * n_clusters``, all
        points below that. None uses every point.
    sampling : {"kmeans++", "random"}, default="kmeans++"
        How the sample of ``n_samples_fit`` is drawn: k-means++-style, with
        probability proportional to the squared sine of the angle to the
        nearest point already drawn (small subspaces get a larger share than
        their count), or uniformly (see the user guide).
    verbose : int, default=0
        Print the time of each stage.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
    subspace_bases_ : list of n_clusters ndarrays of shape (n_features, d_k)
        Orthonormal basis of each cluster's subspace (of the unit-norm rows).
    subspace_dims_ : ndarray of shape (n_clusters,)
        The ``d_k``.
    sample_indices_ : ndarray of shape (n_samples_fit,)
        Points the self-expression ran on; only when ``n_samples_fit`` is
        smaller than ``n_samples``.
    affinity_matrix_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in,)

    References
    ----------
    Heckel, Boelcskei. Robust subspace clustering via thresholding. IEEE
    Trans. Information Theory 2015.

    Examples
    --------
    >>> from skstruct.cluster import ThresholdingSubspaceClustering
    >>> from skstruct.datasets import make_subspaces
    >>> X, y = make_subspaces(150, 12, n_subspaces=3, subspace_dim=3, random_state=0)
    >>> tsc = ThresholdingSubspaceClustering(n_clusters=3, n_neighbors=5,
    ...                                      random_state=0).fit(X)
    >>> from sklearn.metrics import adjusted_rand_score
    >>> adjusted_rand_score(y, tsc.labels_)
    1.0
    """

    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_clusters=8, *, n_neighbors=10, n_init=20, random_state=None,
                 n_jobs=None, subspace_dim=None,
                 n_samples_fit=None, sampling="kmeans++", verbose=0):
        self.n_clusters = n_clusters
        self.n_neighbors = n_neighbors
        self.n_init = n_init
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.subspace_dim = subspace_dim
        self.n_samples_fit = n_samples_fit
        self.sampling = sampling
        self.verbose = verbose

    def _affinity(self, Xn):
        n = Xn.shape[0]
        rows, cols, vals = thresholding_neighbors(Xn, self.n_neighbors, n_jobs=self.n_jobs)
        A = _coo_to_csr(rows, cols, vals, n)
        W = (0.5 * (A + A.T)).tocsr()
        W.sort_indices()
        return W
