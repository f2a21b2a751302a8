"""Modes of kernel density estimates, in full dimension or through a random projection."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._backend._bandwidth import effective_sample_size, resolve_bandwidth, warn_if_degenerate
from .._backend._kernels import (
    BLOCK_ELEMS,
    KERNELS,
    dedupe_points,
    kde_accumulate,
    kde_log_density,
    mean_shift,
    nearest_rows,
    search_modes,
    sketch_dimension,
)

# Distinct fixed points closer than this many bandwidths are reported as one mode.
_MODE_MERGE = 1e-2
# Starts are ranked by a KDE with at most this many random centres.
_RANK_CENTRES = 2000
# Projection method: the starts are ranked in the sketch by a KDE with at
# most this many random centres.
_SKETCH_RANK_CENTRES = 500
# Projection method: the sketched search stops at steps below
# max(tol, _SKETCH_TOL) * h (the lift and the polish follow).
_SKETCH_TOL = 1e-3
# Projection method: this many of the lifted points and as many of the starts,
# the best by exact density, are polished.
_POLISHED = 2
# method="auto" projects when n_features >= _AUTO_RATIO * n_components_.
_AUTO_RATIO = 8


class KDEModeFinder(DensityMixin, BaseEstimator):
    """Mode (and local modes) of a kernel density estimate.

    ``fit`` stores the data, picks the bandwidth, and looks for the highest
    mode ``argmax_x f(x)`` of the KDE ``f(x) = 1/(n h^d c_d) sum_i k(||x -
    x_i|| / h)`` by multi-start mean shift (gradient ascent with an adaptive
    step), every start moving at once.

    With ``method="projection"`` (Lee et al. 2021; Luo, Musco and
    Widdershoven 2023) the search runs on a random projection of the data to
    ``k`` dimensions, where it is ``d / k`` times cheaper per start, so many
    more starts are affordable. Each sketched mode ``y`` is lifted back by
    one mean-shift step in the original space with the weights computed in
    the sketch, ``x = sum_i w(||y - P x_i||^2 / h^2) x_i / sum_i w(...)``,
    which (for kernels with a convex profile) keeps the density value up to a
    ``1 - O(eps)`` factor when the projection preserves all pairwise
    distances within ``1 +- eps`` (the theorem; the default sketch dimension
    is smaller, see ``eps``, so there it is a heuristic); the best lifted
    points (by exact density) are then polished by a few full-dimensional
    mean-shift steps, a heuristic ascent that never lowers the density. The
    density reported for the returned mode is always computed exactly, on
    all the data in ``R^d``.

    ``score_samples`` returns the normalized log density, so the bandwidth
    can be chosen by cross-validated likelihood with ``GridSearchCV``.

    Parameters
    ----------
    kernel : {"gaussian", "generalized_gaussian", "logistic", "sigmoid", \
"epanechnikov", "flat"}, default="gaussian"
        Radial kernel, see :mod:`skstruct._backend._kernels`. ``gaussian``
        is ``exp(-r^2/2)`` (``h`` is the standard deviation);
        ``generalized_gaussian`` is ``exp(-r^a/a)`` with ``a = exponent``.
        ``flat`` comes with no guarantee: its mode problem is NP-hard (Luo et
        al. 2023) and mean shift with flat weights climbs the Epanechnikov
        KDE instead.
    exponent : float in (0, 2], default=1.0
        Exponent ``a`` of the generalized Gaussian kernel (``1`` is the
        Laplace / "exponential" kernel, ``2`` the Gaussian). Above 2 the
        profile is no longer convex and mean shift is no longer monotone, so
        it is not allowed.
    bandwidth : float or {"auto", "scott", "silverman"}, default="auto"
        Kernel scale ``h``. ``"auto"``: the nearest-neighbour rule of
        ``skstruct._backend._bandwidth``, the median distance from a data
        point to its ``ceil(sqrt(n))``-th nearest neighbour divided by the
        scaled distance at which the kernel falls to ``1/e`` of its peak
        (``sqrt(2)`` for the Gaussian); it grows like ``sqrt(d)`` as
        distances do. Where ``n_features >= 8 k`` (``k`` the default sketch
        dimension, see ``n_components``) the neighbours are chosen in a
        ``k``-dimensional Gaussian sketch and their distances measured
        exactly (``O(n k)`` per query instead of ``O(n d)``; within 0 to +4%
        of the exact rule where measured), for every ``method`` alike.
        ``"scott"`` / ``"silverman"``: the Gaussian-reference
        factors (``n^(-1/(d+4))`` for Scott) times the root mean per-feature
        variance, good for a density in a few dimensions, degenerate for
        mode finding above about ten (a warning says so).
    method : {"auto", "projection", "gradient"}, default="auto"
        ``"gradient"``: mean shift in the original space from ``n_init``
        data points: the densest half (ranked by the KDE of at most 2000
        random data points, ``O(n min(n, 2000) d)``) and a random half of
        the others. ``"projection"`` (the papers' method): sketch the data
        to ``n_components_`` dimensions with a Gaussian random matrix,
        choose the starts the same way in the sketch (ranked on at most 500
        centres), mean shift there (stopping at steps below ``max(tol,
        1e-3) h``), lift the ``n_lift`` best sketched modes back to ``R^d``
        with the kernel-weighted mean of the original points (weights from
        the sketch), compute the full-dimensional density of the lifted
        points and of the starts in one pass (exact up to 2000 points, on
        2000 random centres beyond), and polish the 2 best lifted points and
        the 2 best starts (a safeguard against a sketch that merges the best
        mode into a broad lower one) by full-dimensional mean shift.
        ``"auto"``: projection
        when ``n_features >= 8 * n_components_`` (where it was measured to
        be faster) or, with ``n_components`` given, when it is below
        ``n_features``; gradient otherwise.
    n_components : int, default=None
        Sketch dimension ``k``. None: ``ceil(4 ln(n) / eps^2)``, capped at
        ``n_features`` (where no projection is made).
    eps : float in (0, 1), default=0.75
        Johnson-Lindenstrauss distortion that sets ``k`` when
        ``n_components`` is None, and nothing else. The constant 4 is
        measured: with it, the squared distances from a point to the other
        ``n`` data points are kept within ``1 +- eps`` by the Gaussian
        sketch (``sd sqrt(2 / k)`` each, about ``sqrt(2 ln n)`` sd at the
        extreme). The mode value carries no ``1 - eps`` guarantee at this
        ``k``: the theorem needs every pairwise distance preserved, a
        kernel-dependent ``polylog(n)`` factor more and unknown constants.
        The returned mode is checked only in the sense that polishing
        never lowers its density.
    n_init : int or "all", default=100
        Number of starting points (data points); ``"all"`` starts from every
        data point (exhaustive multi-start ascent).
    n_lift : int, default=5
        Projection method: number of best sketched modes lifted (the best 2
        of them, by exact density, are polished).
    polish_iter : int, default=10
        Projection method: full-dimensional mean-shift iterations after the
        lift.
    max_iter : int, default=300
        Maximum mean-shift iterations per start.
    tol : float, default=1e-6
        A start stops when its step is below ``tol * h``.
    block_size : int, default=2**21
        Number of (point, data point) kernel entries evaluated at once;
        memory is ``O(block_size + n_samples * n_features)``.
    n_jobs : int, default=None
        Threads over chunks of the starts (joblib; BLAS held to one thread
        in each). None means 1 unless in a :obj:`joblib.parallel_backend`
        context; -1 means all processors.
    verbose : int, default=0
        Print the phases of the search (above 1, every iteration).
    random_state : int, RandomState instance or None, default=None
        Seeds the projection, the choice of starts, the points the bandwidth
        rule looks at (beyond 200) and the coarse-phase subsample (beyond
        5000 points).

    Attributes
    ----------
    mode_ : ndarray of shape (n_features,)
        Highest mode found.
    mode_log_density_ : float
        ``log f(mode_)``.
    mode_density_ : float
        ``f(mode_)`` (may underflow to 0 in high dimension; use the log).
    modes_ : ndarray of shape (n_modes, n_features)
        Distinct local modes found, by decreasing density (projection: the
        distinct polished points, at most 4).
    modes_log_density_ : ndarray of shape (n_modes,)
    modes_density_ : ndarray of shape (n_modes,)
    effective_sample_size_ : float
        ``(sum_i k_i)^2 / sum_i k_i^2`` of the kernel values at ``mode_``:
        close to 1 means the mode rests on one or two points (bandwidth far
        too small for the dimension); a warning is raised below 2.
    bandwidth_ : float
    method_ : str
        The method used (``"auto"`` resolved).
    n_components_ : int
        Dimension of the search space (``n_features_in_`` for gradient).
    components_ : ndarray of shape (n_components, n_features) or None
        Projection matrix, N(0, 1/k) entries; None for the gradient method.
        The sketch is of the centred data, ``(X - X.mean(0)) @ components_.T``.
    n_iter_ : int
        Mean-shift iterations of the slowest start in the search.
    X_fit_ : ndarray of shape (n_samples, n_features)
        Training data (the KDE's centres).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in,)
        Defined only when X has feature names that are all strings.

    See Also
    --------
    skstruct.cluster.ModeClustering : Clustering by the modes of a KDE.
    sklearn.neighbors.KernelDensity : KDE without mode finding.

    Notes
    -----
    Cost: gradient, ``O(n min(n, 2000) d)`` to rank the starts (none with
    ``n_init="all"``) and ``O(n_init * n * d)`` per iteration; projection,
    ``O(n d k)`` for the sketch, ``O(n min(n, 500) k)`` to rank the starts,
    ``O(n_init * n * k)`` per sketched iteration, ``O((n_lift + n_init)
    min(n, 2000) d)`` once to rank the lifted points and the starts in full
    dimension, and ``O(4 n d)`` per polishing iteration. The default
    bandwidth costs ``O(200 min(n, 5000) d)``, or ``O(200 min(n, 5000) k +
    200 d)`` where ``d >= 8 k``. Above 5000 points the search first climbs the KDE
    of 5000 random data points and polishes its ``n_lift`` best end points on
    all of them. Memory is bounded by ``block_size`` plus the data. The data
    are centred inside ``fit`` (translation invariance).

    References
    ----------
    Lee, Li, Musco, Phillips, Tai. Finding an approximate mode of a kernel
    density estimate. ESA 2021 (arXiv:1912.07673).
    Luo, Musco, Widdershoven. Dimensionality reduction for general KDE mode
    finding. ICML 2023 (arXiv:2305.18755).
    Comaniciu, Meer. Mean shift: a robust approach toward feature space
    analysis. IEEE TPAMI 2002.

    Examples
    --------
    >>> import numpy as np
    >>> from skstruct.density import KDEModeFinder
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(0, 1, (300, 2)), rng.normal(5, 1, (100, 2))]
    >>> kde = KDEModeFinder(bandwidth=0.5, random_state=0).fit(X)
    >>> bool(np.linalg.norm(kde.mode_) < 0.5)
    True
    """

    _parameter_constraints = {
        "kernel": [StrOptions(set(KERNELS))],
        "exponent": [Interval(Real, 0, 2, closed="right")],
        "bandwidth": [Interval(Real, 0, None, closed="neither"),
                      StrOptions({"auto", "scott", "silverman"})],
        "method": [StrOptions({"auto", "projection", "gradient"})],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "n_init": [Interval(Integral, 1, None, closed="left"), StrOptions({"all"})],
        "n_lift": [Interval(Integral, 1, None, closed="left")],
        "polish_iter": [Interval(Integral, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "block_size": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(self, kernel="gaussian", *, exponent=1.0, bandwidth="auto", method="auto",
                 n_components=None, eps=0.75, n_init=100, n_lift=5, polish_iter=10,
                 max_iter=300, tol=1e-6, block_size=BLOCK_ELEMS, n_jobs=None, verbose=0,
                 random_state=None):
        self.kernel = kernel
        self.exponent = exponent
        self.bandwidth = bandwidth
        self.method = method
        self.n_components = n_components
        self.eps = eps
        self.n_init = n_init
        self.n_lift = n_lift
        self.polish_iter = polish_iter
        self.max_iter = max_iter
        self.tol = tol
        self.block_size = block_size
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    def _kw(self):
        return dict(kernel=self.kernel, exponent=float(self.exponent),
                    block_elems=int(self.block_size))

    def fit(self, X, y=None):
        """Find the modes of the KDE of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data (the KDE's centres).
        y : Ignored

        Returns
        -------
        self : KDEModeFinder
        """
        self._validate_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        X = np.asarray(X, dtype=np.float64)
        n, d = X.shape
        offset = X.mean(axis=0)
        Xc = X - offset
        rng = check_random_state(self.random_state)
        a = float(self.exponent)
        kw = self._kw()
        k_default = min(sketch_dimension(n, float(self.eps)), d)
        if self.n_components is not None:
            k = int(min(self.n_components, d))
            pays = k < d
        else:
            k = k_default
            pays = d >= _AUTO_RATIO * k
        method = self.method
        if method == "auto":
            method = "projection" if pays else "gradient"
        # Where d >= 8 k_default the default bandwidth rule chooses the
        # neighbours in a Gaussian sketch of that dimension (every method,
        # the same draw, so the same bandwidth); the projection method
        # searches in the same sketch when it has that dimension.
        # (drawn before the rule only when the rule uses it, so that the rule
        # sees the same random stream whatever the method)
        sketched_rule = self.bandwidth == "auto" and d >= _AUTO_RATIO * k_default
        comp = Z = None
        if sketched_rule:
            comp = rng.normal(scale=1.0 / np.sqrt(k_default), size=(k_default, d))
            Z = Xc @ comp.T
        h = resolve_bandwidth(Xc, self.bandwidth, self.kernel, a, rng=rng, sketch=Z)
        search = dict(merge_radius=_MODE_MERGE * h, n_polish=self.n_lift, rng=rng,
                      max_iter=self.max_iter, tol=self.tol, n_jobs=self.n_jobs,
                      verbose=self.verbose, **kw)
        x_sq = np.einsum("ij,ij->i", Xc, Xc)
        if method == "gradient":
            idx = _pick_starts(Xc, h, self.n_init, rng, kw)
            P, n_iter = search_modes(Xc[idx], Xc, h, **search)
            self.components_ = None
            self.n_components_ = d
        else:
            if Z is None or k != k_default:
                comp = rng.normal(scale=1.0 / np.sqrt(k), size=(k, d))
                Z = Xc @ comp.T
            P, n_iter = _projection_search(
                Xc, x_sq, Z, h, n_init=self.n_init, n_lift=self.n_lift,
                polish_iter=self.polish_iter, search=search, kw=kw)
            self.components_ = comp
            self.n_components_ = k

        logf = kde_log_density(P, Xc, h, x_sq=x_sq, **kw)
        keep, _ = dedupe_points(P, logf, _MODE_MERGE * h)
        self.modes_ = P[keep] + offset
        self.modes_log_density_ = logf[keep]
        self.modes_density_ = np.exp(self.modes_log_density_)
        self.mode_ = self.modes_[0]
        self.mode_log_density_ = float(self.modes_log_density_[0])
        self.mode_density_ = float(self.modes_density_[0])
        self.effective_sample_size_ = effective_sample_size(P[keep[0]], Xc, h, self.kernel, a)
        warn_if_degenerate(self.effective_sample_size_, h, d, "the mode")
        self.bandwidth_ = h
        self.method_ = method
        self.n_iter_ = int(n_iter)
        self.X_fit_ = X
        self._offset = offset
        return self

    def score_samples(self, X):
        """Log density of the KDE at each row of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            Normalized ``log f(x)``; ``-inf`` outside the support of the
            compact kernels. Cost ``O(n_samples n d)``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        c = self._offset
        return kde_log_density(np.asarray(X, dtype=np.float64) - c, self.X_fit_ - c,
                               self.bandwidth_, **self._kw())

    def score(self, X, y=None):
        """Mean log density of X under the KDE (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        score : float
            ``mean(score_samples(X))``; ``-inf`` when some row lies outside
            the support of a compact kernel.
        """
        return float(np.mean(self.score_samples(X)))


def _pick_starts(Z, h, n_init, rng, kw, n_centres=None):
    """Indices of the starts: the densest half and a random half of the others.

    Density is ranked by the KDE of (at most ``n_centres``, default
    ``_RANK_CENTRES``, random rows of) ``Z`` at every row of ``Z``:
    ``O(n min(n, n_centres) k)``.
    """
    n = Z.shape[0]
    m = n if n_init == "all" else min(int(n_init), n)
    if m >= n:
        return np.arange(n)
    g0 = kde_accumulate(Z, _rank_centres(Z, rng, n_centres), h, density=True, **kw)
    top = np.argsort(-g0, kind="stable")[: (m + 1) // 2]
    rest = np.setdiff1d(np.arange(n), top)
    extra = rng.choice(rest, size=m - top.size, replace=False)
    return np.sort(np.r_[top, extra])


def _projection_search(Xc, x_sq, Z, h, *, n_init, n_lift, polish_iter, search, kw):
    """The projection method: search in the sketch, lift, rank exactly, polish the best.

    Parameters
    ----------
    Xc : ndarray of shape (n_samples, n_features)
        Centred data.
    x_sq : ndarray of shape (n_samples,)
        ``||Xc[i]||^2``.
    Z : ndarray of shape (n_samples, n_components)
        The sketch ``Xc @ components.T``.
    h : float
    n_init, n_lift, polish_iter :
        As :class:`KDEModeFinder`.
    search : dict
        Keyword arguments of :func:`search_modes` (rng, tolerances, n_jobs,
        verbose, kernel, exponent, block_elems).
    kw : dict
        Kernel, exponent, block_elems.

    Returns
    -------
    P : ndarray of shape (n_points, n_features)
        Polished points (centred coordinates).
    n_iter : int
        Mean-shift iterations of the slowest start in the sketch.

    Notes
    -----
    Passes over the ``n x d`` data: the lift (``n_lift`` rows,
    one GEMM), the exact ranking of the lifted points and of the starts (one
    GEMM with ``n_lift + n_init`` rows) and two per polishing iteration on at
    most ``2 * _POLISHED`` points. Everything else is in ``k`` dimensions.
    """
    rng, verbose = search["rng"], search["verbose"]
    idx = _pick_starts(Z, h, n_init, rng, kw, n_centres=_SKETCH_RANK_CENTRES)
    # the sketched modes need only be good enough to lift: a looser stop
    tol = max(search["tol"], _SKETCH_TOL)
    Yk, n_iter = search_modes(Z[idx], Z, h, **{**search, "n_polish": None, "tol": tol})
    gk = kde_accumulate(Yk, Z, h, density=True, **kw)
    keep, _ = dedupe_points(Yk, gk, _MODE_MERGE * h)
    cand = Yk[keep[:n_lift]]
    # the lift: a mean-shift step in R^d with the sketch's weights
    _, lifted = kde_accumulate(cand, Z, h, density=False, shift=True, values=Xc, **kw)
    # a sketched point with no weight (compact kernels) lifts nowhere: fall
    # back on its nearest data point in the sketch
    bad = ~np.isfinite(lifted).all(axis=1)
    if bad.any():
        lifted[bad] = Xc[nearest_rows(cand[bad], Z)[0]]
    # full-dimensional densities of the lifted points and of the starts (on
    # at most _RANK_CENTRES centres: exact up to 2000 points), one pass; the
    # best of each are polished (the starts: a safeguard against a sketch
    # that merges the best mode into a broad lower one)
    pool = np.vstack([lifted, Xc[idx]])
    if Xc.shape[0] <= _RANK_CENTRES:
        lf = kde_accumulate(pool, Xc, h, density=True, x_sq=x_sq, **kw)
    else:
        lf = kde_accumulate(pool, _rank_centres(Xc, rng), h, density=True, **kw)
    m = lifted.shape[0]
    best_lifted = np.argsort(-lf[:m], kind="stable")[:_POLISHED]
    best_starts = m + np.argsort(-lf[m:], kind="stable")[:_POLISHED]
    P = pool[np.r_[best_lifted, best_starts]]
    if verbose:
        print(f"lifted {m} sketched modes; polishing {P.shape[0]} points in {Xc.shape[1]} "
              "dimensions")
    if polish_iter > 0:
        P, _, _, _ = mean_shift(P, Xc, h, max_iter=polish_iter, tol=search["tol"],
                                verbose=verbose, x_sq=x_sq, **kw)
    return P, n_iter


def _rank_centres(Z, rng, n_centres=None):
    """At most ``n_centres`` (default ``_RANK_CENTRES``) random rows of ``Z``."""
    n = Z.shape[0]
    m = _RANK_CENTRES if n_centres is None else n_centres
    if n <= m:
        return Z
    return Z[rng.choice(n, size=m, replace=False)]
