"""Mode clustering: mean shift with any radial kernel, all seeds moved at once."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import estimate_bandwidth, get_bin_seeds
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._backend._bandwidth import effective_sample_size, resolve_bandwidth, warn_if_degenerate
from .._backend._kernels import (
    BLOCK_ELEMS,
    KERNELS,
    dedupe_points,
    kde_log_density,
    nearest_rows,
    search_modes,
)

# seeds="auto": every data point up to this many, else this many random ones.
_AUTO_SEEDS = 1000
# MeanShift's own bandwidth rule (flat kernel) looks at most this many points.
_FLAT_RULE_SAMPLES = 5000


class ModeClustering(ClusterMixin, BaseEstimator):
    """Mean-shift clustering with a choice of kernels.

    Each seed climbs the kernel density estimate of the data by mean shift to
    a local mode; modes closer than ``merge_radius`` are merged, the denser
    one kept; every point is labelled by its nearest mode. With
    ``kernel="flat"`` this is the algorithm of :class:`sklearn.cluster.MeanShift`
    (flat weights, seeds ranked by the number of points within the
    bandwidth, duplicates within the bandwidth removed, nearest-centre
    labels). Other kernels (Gaussian, logistic, sigmoid, generalized
    Gaussian, Epanechnikov) weight the points smoothly.

    All seeds move together: one iteration is a blocked kernel evaluation of
    every active seed against the data (GEMM for the distances), and seeds
    whose trajectories meet are merged, so the cost per iteration shrinks to
    the number of distinct trajectories. Memory stays
    ``O(block_size + n_samples * n_features)``.

    Parameters
    ----------
    kernel : {"gaussian", "generalized_gaussian", "logistic", "sigmoid", \
"epanechnikov", "flat"}, default="gaussian"
        Kernel of the density whose modes define the clusters (see
        :class:`skstruct.density.KDEModeFinder`). ``flat`` and
        ``epanechnikov`` move the seeds identically (flat weights).
    exponent : float in (0, 2], default=1.0
        Exponent of the generalized Gaussian kernel.
    bandwidth : float, {"auto", "scott", "silverman"} or None, default=None
        Kernel scale ``h`` (the radius for ``flat``/``epanechnikov``, the
        standard deviation for ``gaussian``). None: for ``flat``,
        :func:`sklearn.cluster.estimate_bandwidth` as ``MeanShift`` does (on
        at most 5000 points); for every other kernel ``"auto"``, the
        nearest-neighbour rule of ``skstruct._backend._bandwidth``: the
        median distance from a point to its ``ceil(sqrt(n))``-th nearest
        neighbour, divided by the scaled distance at which the kernel falls
        to ``1/e`` of its peak (``sqrt(2)`` for the Gaussian). It grows like
        ``sqrt(d)`` as distances do, where Scott's rule (``"scott"``) leaves
        every point its own mode above a few dimensions.
    seeds : "auto", "all", "bin" or int, default="auto"
        Starting points: every data point (``"auto"`` up to 1000 points,
        1000 random data points beyond); the centres of the grid cells of
        side ``bandwidth`` holding at least ``min_bin_freq`` points (as
        ``MeanShift(bin_seeding=True)``); or that many random data points.
    min_bin_freq : int, default=1
        Minimum cell count for ``seeds="bin"``.
    merge_radius : float, default=None
        Modes within this distance are merged (the denser kept). None means
        ``bandwidth`` (MeanShift's rule).
    cluster_all : bool, default=True
        If False, points farther than ``bandwidth`` from every mode get
        label -1.
    max_iter : int, default=300
        Maximum mean-shift iterations per seed.
    tol : float, default=1e-3
        A seed stops when its step is below ``tol * bandwidth`` (MeanShift's
        threshold).
    collapse_tol : float, default=1e-2
        Seeds whose iterates fall in the same grid cell of side
        ``collapse_tol * bandwidth`` are merged and moved as one.
    block_size : int, default=2**21
        Kernel entries evaluated at once.
    n_jobs : int, default=None
        Threads over chunks of the seeds (joblib; BLAS held to one thread in
        each). None means 1 unless in a :obj:`joblib.parallel_backend`
        context; -1 means all processors.
    verbose : int, default=0
        Print the phases of the search (above 1, every iteration).
    random_state : int, RandomState instance or None, default=None
        Draws random seeds, the points the bandwidth rule looks at (beyond
        200) and the coarse-phase subsample (beyond 5000 points).

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Modes kept, by decreasing density.
    cluster_log_density_ : ndarray of shape (n_clusters,)
        Log density of the KDE at each centre.
    labels_ : ndarray of shape (n_samples,)
    bandwidth_ : float
    n_iter_ : int
        Iterations of the slowest seed (both phases).
    effective_sample_size_ : float
        ``(sum_i k_i)^2 / sum_i k_i^2`` of the kernel values at the densest
        centre; a warning is raised below 2 (each point about its own mode).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in,)
        Defined only when X has feature names that are all strings.

    See Also
    --------
    sklearn.cluster.MeanShift : The flat-kernel original, one seed at a time.
    skstruct.density.KDEModeFinder : The highest mode of a KDE.

    Notes
    -----
    Cost per iteration ``O(m n d)`` for ``m`` distinct active seeds. Above
    5000 points the seeds first climb the KDE of 5000 random data points
    (same bandwidth), and the modes they reach, merged within
    ``merge_radius``, are then polished on all the data: ``O(m 5000 d)`` per
    coarse iteration and ``O(p n d)`` per polishing iteration for ``p``
    modes. Labels and ``predict`` cost ``O(n p d)`` in blocks. Memory is
    ``O(block_size + n d)``. The data are centred inside ``fit``, so the
    result does not depend on where the data sit.

    References
    ----------
    Fukunaga, Hostetler. The estimation of the gradient of a density function.
    IEEE Trans. Inf. Theory 1975. Cheng. Mean shift, mode seeking, and
    clustering. IEEE TPAMI 1995. Comaniciu, Meer. Mean shift: a robust
    approach toward feature space analysis. IEEE TPAMI 2002.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skstruct.cluster import ModeClustering
    >>> X, y = make_blobs(300, centers=[[0, 0], [5, 0], [0, 5]], random_state=0)
    >>> mc = ModeClustering(bandwidth=1.0).fit(X)
    >>> mc.cluster_centers_.shape
    (3, 2)
    """

    _parameter_constraints = {
        "kernel": [StrOptions(set(KERNELS))],
        "exponent": [Interval(Real, 0, 2, closed="right")],
        "bandwidth": [Interval(Real, 0, None, closed="neither"),
                      StrOptions({"auto", "scott", "silverman"}), None],
        "seeds": [StrOptions({"auto", "all", "bin"}), Interval(Integral, 1, None, closed="left")],
        "min_bin_freq": [Interval(Integral, 1, None, closed="left")],
        "merge_radius": [Interval(Real, 0, None, closed="left"), None],
        "cluster_all": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "collapse_tol": [Interval(Real, 0, None, closed="left")],
        "block_size": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(self, kernel="gaussian", *, exponent=1.0, bandwidth=None, seeds="auto",
                 min_bin_freq=1, merge_radius=None, cluster_all=True, max_iter=300,
                 tol=1e-3, collapse_tol=1e-2, block_size=BLOCK_ELEMS, n_jobs=None,
                 verbose=0, random_state=None):
        self.kernel = kernel
        self.exponent = exponent
        self.bandwidth = bandwidth
        self.seeds = seeds
        self.min_bin_freq = min_bin_freq
        self.merge_radius = merge_radius
        self.cluster_all = cluster_all
        self.max_iter = max_iter
        self.tol = tol
        self.collapse_tol = collapse_tol
        self.block_size = block_size
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    def _bandwidth(self, X, rng):
        if self.bandwidth is None and self.kernel == "flat":
            n = X.shape[0]
            h = float(estimate_bandwidth(
                X, n_samples=None if n <= _FLAT_RULE_SAMPLES else _FLAT_RULE_SAMPLES,
                random_state=0, n_jobs=1))
            return h if h > 0 else 1.0
        rule = "auto" if self.bandwidth is None else self.bandwidth
        return resolve_bandwidth(X, rule, self.kernel, float(self.exponent), rng=rng)

    def _seed_points(self, X, h, rng):
        n = X.shape[0]
        if self.seeds == "all" or (self.seeds == "auto" and n <= _AUTO_SEEDS):
            return X
        if self.seeds == "bin":
            return np.asarray(get_bin_seeds(X, h, self.min_bin_freq), dtype=np.float64)
        m = min(_AUTO_SEEDS if self.seeds == "auto" else int(self.seeds), n)
        return X[np.sort(rng.choice(n, size=m, replace=False))]

    def fit(self, X, y=None):
        """Cluster X by the modes of its KDE.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : ModeClustering
        """
        self._validate_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        X = np.asarray(X, dtype=np.float64)
        offset = X.mean(axis=0)
        X = X - offset
        rng = check_random_state(self.random_state)
        h = self._bandwidth(X, rng)
        kw = dict(kernel=self.kernel, exponent=float(self.exponent),
                  block_elems=int(self.block_size))
        seeds = self._seed_points(X, h, rng)
        if seeds.shape[0] == 0:
            raise ValueError(
                f"No seed: no grid cell of side bandwidth={h:g} holds min_bin_freq="
                f"{self.min_bin_freq} points. Lower min_bin_freq or use seeds='all'."
            )
        radius = h if self.merge_radius is None else float(self.merge_radius)
        P, n_iter = search_modes(seeds, X, h, merge_radius=radius, rng=rng,
                                 max_iter=self.max_iter, tol=self.tol,
                                 collapse_tol=self.collapse_tol, n_jobs=self.n_jobs,
                                 verbose=self.verbose, **kw)
        logf = kde_log_density(P, X, h, **kw)
        ok = np.isfinite(logf)
        if not ok.any():
            raise ValueError("Every seed ended outside the support of the kernel; "
                             "increase the bandwidth.")
        P, logf = P[ok], logf[ok]
        # decreasing density, ties broken by decreasing coordinates (MeanShift's order)
        order = np.lexsort(tuple(P[:, j] for j in range(P.shape[1] - 1, -1, -1)) + (logf,))
        kept, _ = dedupe_points(P, logf, radius, order=order[::-1])
        self.cluster_centers_ = P[kept] + offset
        self.cluster_log_density_ = logf[kept]
        self.bandwidth_ = h
        self.n_iter_ = int(n_iter)
        self.effective_sample_size_ = effective_sample_size(P[kept[0]], X, h, self.kernel,
                                                            float(self.exponent))
        warn_if_degenerate(self.effective_sample_size_, h, X.shape[1], "the densest centre")
        self.labels_ = self._assign(X + offset)
        return self

    def _assign(self, X):
        # nearest centre, computed around the centres' mean (translation invariant)
        c0 = self.cluster_centers_.mean(axis=0)
        idx, dist = nearest_rows(X - c0, self.cluster_centers_ - c0)
        if not self.cluster_all:
            idx = np.where(dist <= self.bandwidth_, idx, -1)
        return idx

    def predict(self, X):
        """Label of the nearest cluster centre for each row of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 for points farther than ``bandwidth_`` from every centre when
            ``cluster_all=False``. Cost ``O(n_samples n_clusters d)``, in
            blocks of 4096 rows.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return self._assign(np.asarray(X, dtype=np.float64))
