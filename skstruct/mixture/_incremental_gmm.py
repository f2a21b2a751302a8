"""Incremental Gaussian mixture (IGMN) kept in precision form.

One pass over a stream: each sample either creates a component (when it is
novel for every existing one) or is absorbed by all components in proportion
to their posteriors. Precisions and log-determinants are updated by rank-one
formulas (:mod:`skstruct._backend._rank_one`), ``O(K D^2)`` per sample,
never by inverting a matrix.
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
from scipy.stats import chi2
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .._backend._rank_one import igmn_stream, refresh_precision

_LOG_2PI = np.log(2.0 * np.pi)
_VIEWS = ("means_", "precisions_", "log_dets_", "counts_", "ages_")


def _check_data_range(data_range, n_features):
    """A fixed per-feature range from the ``data_range`` parameter."""
    rng = np.asarray(data_range, dtype=np.float64)
    if rng.ndim == 0:
        rng = np.full(n_features, float(rng))
    if rng.shape != (n_features,):
        raise ValueError(
            f"data_range must be a float or have shape ({n_features},) to match the "
            f"{n_features} features of X; got shape {rng.shape}."
        )
    if not np.all(np.isfinite(rng)) or np.any(rng < 0):
        raise ValueError("data_range must hold finite non-negative values.")
    return np.array(rng)


def _kernel_input(a):
    """C-contiguous and writeable: the one array type the compiled loop is
    built for (a read-only array would compile a second specialization)."""
    a = np.ascontiguousarray(a)
    return a if a.flags.writeable else a.copy()


def _complete_range(rng, magnitude):
    """Zero ranges replaced by the largest one; ``(range, determined)``.

    When every range is zero (all samples seen are equal) the data say
    nothing about scale: the range is then ``max(magnitude, 1)``, a
    placeholder flagged by ``determined=False``.
    """
    rng = np.array(rng, dtype=np.float64)
    positive = rng > 0
    if positive.any():
        rng[~positive] = rng[positive].max()
        return rng, True
    rng[:] = max(float(magnitude), 1.0)
    return rng, False


class _RangeWarmup:
    """The per-feature range of the first rows of a stream, up to a total
    weight ``n_scale``, with those rows kept so the owner can replay them.

    Rows enter while the weight already kept is below ``n_scale``: with
    integer weights, the same rows as in the stream of repeated rows. The
    range (:func:`_complete_range` of ``max - min``) can only grow; the owner
    rebuilds its model from :meth:`kept` whenever it changes, so the model
    after any call is the one built with the range of the first rows,
    whatever the chunking.
    """

    def __init__(self, n_features, n_scale):
        self.n_scale = n_scale
        self.buf = np.empty((16, n_features))
        self.buf_w = np.empty(16)
        self.nb = 0
        self.wb = 0.0
        self.lo = np.full(n_features, np.inf)
        self.hi = np.full(n_features, -np.inf)
        self.range = None
        self.determined = False

    @property
    def done(self):
        return self.wb >= self.n_scale

    def kept(self):
        return self.buf[:self.nb], self.buf_w[:self.nb]

    def add(self, X, sw):
        """Keep the leading rows of ``X`` that enter; ``(n_taken, range_changed)``."""
        before = self.wb + np.concatenate([[0.0], np.cumsum(sw[:-1])])
        take = int(np.searchsorted(before, self.n_scale, side="left"))
        head, w_head = X[:take], sw[:take]
        if self.nb + take > self.buf.shape[0]:
            cap = max(2 * self.buf.shape[0], self.nb + take)
            self.buf = np.concatenate([self.buf[:self.nb], np.empty((cap - self.nb, X.shape[1]))])
            self.buf_w = np.concatenate([self.buf_w[:self.nb], np.empty(cap - self.nb)])
        self.buf[self.nb:self.nb + take] = head
        self.buf_w[self.nb:self.nb + take] = w_head
        self.nb += take
        self.wb += float(w_head.sum())
        self.lo = np.minimum(self.lo, head.min(axis=0))
        self.hi = np.maximum(self.hi, head.max(axis=0))
        rng, self.determined = _complete_range(self.hi - self.lo, np.abs(self.buf[0]).max())
        changed = self.range is None or not np.array_equal(rng, self.range)
        self.range = rng
        return take, changed

    def report(self, verbose, name="IGMN"):
        """Say that the range is fixed; warn when the data left it undefined."""
        if verbose:
            print(f"[{name}] range fixed from the first {self.nb} samples: "
                  f"{self.range.min():.3g} to {self.range.max():.3g} per feature")
        if not self.determined:
            warnings.warn(
                f"The first {self.nb} samples are all equal, so the scale of new components "
                f"is not set by the data (placeholder range {self.range[0]:.3g}); pass "
                "data_range.", UserWarning, stacklevel=2)


class _Stream:
    """One IGMN stream: the component arrays, kept with spare capacity, and
    the warm-up that sets the scale.

    Scale. A new component has standard deviations ``init_scale * range``.
    With a fixed range, samples go straight to the compiled loop. Otherwise
    the range is that of the first samples, up to a weight of ``n_scale``
    (:class:`_RangeWarmup`): whenever the range they span changes, the
    components are rebuilt by streaming the kept samples again with the new
    range (``O(n_scale)`` samples of work each time, only during this
    warm-up). The model after any call is therefore the stream of every
    sample so far with the range of the first ones, whatever the chunking.

    Storage. Arrays hold ``capacity >= K`` components and double when full,
    so a one-row call does no allocation proportional to ``K D^2``.
    """

    def __init__(self, n_features, cfg, data_range):
        self.cfg = cfg
        self.D = n_features
        # kernel parameters, packed (see igmn_stream); logdet_init and the initial
        # precision's diagonal are set with the range
        self.params = np.zeros(7 + n_features)
        self.params[1:7] = (cfg["thr"], cfg["kmax"] if cfg["kmax"] > 0 else np.inf,
                            cfg["sp_min"], cfg["v_min"], cfg["igmn"],
                            1.0 if cfg["igmn"] else cfg["prior_count"])
        if data_range is None:
            self.warmup = _RangeWarmup(n_features, cfg["n_scale"])
            self.range = None
        else:
            self.warmup = None
            self._set_range(_complete_range(data_range, 0.0)[0])
        self._reset(8 if cfg["kmax"] <= 0 else min(8, cfg["kmax"]))

    def _set_range(self, rng):
        self.range = rng
        sigma2 = (self.cfg["init_scale"] * rng) ** 2
        self.params[0] = np.log(sigma2).sum()
        self.params[7:] = 1.0 / sigma2

    @property
    def K(self):
        return int(self.ist[0])

    @property
    def counters(self):
        """``[created, pruned]``."""
        return int(self.ist[1]), int(self.ist[1] - self.ist[0])

    @property
    def final(self):
        return self.warmup is None

    def _reset(self, cap):
        D = self.D
        self.M = np.zeros((cap, D))
        self.P = np.zeros((cap, D, D))
        self.stats = np.zeros((3, cap))  # log-determinants, counts, ages
        self.ist = np.zeros(2, dtype=np.int64)  # K, created
        self.n_seen = 0
        # rows left before the next refresh (one every cfg["refresh"] rows; 0: none)
        self.to_refresh = self.cfg["refresh"] if self.cfg["refresh"] > 0 else np.inf
        self._work(cap)
        self.n_repaired = 0
        self.drift = 0.0

    def _grow(self):
        K, cap = self.K, 2 * self.M.shape[0]
        if self.cfg["kmax"] > 0:
            cap = min(cap, self.cfg["kmax"])
        old = (self.M, self.P, self.stats)
        self.M = np.zeros((cap, self.D))
        self.P = np.zeros((cap, self.D, self.D))
        self.stats = np.zeros((3, cap))
        self.M[:K], self.P[:K], self.stats[:, :K] = old[0][:K], old[1][:K], old[2][:, :K]
        self._work(cap)

    def _work(self, cap):
        """The kernel's work arrays (per component: e and t; d2 and log-posterior)."""
        self.work, self.work_k = np.empty((2, cap, self.D)), np.empty((2, cap))

    @property
    def logdet(self):
        return self.stats[0]

    @property
    def sp(self):
        return self.stats[1]

    @property
    def age(self):
        return self.stats[2]

    def push(self, X, sw):
        """Stream the rows of ``X`` (C-contiguous float64) with weights ``sw > 0``."""
        if self.warmup is None:
            self._run(X, sw)
            return
        take, changed = self.warmup.add(X, sw)
        if changed:
            self._set_range(self.warmup.range)
            self._reset(self.M.shape[0])
            self._run(*self.warmup.kept())
        else:
            self._run(np.ascontiguousarray(X[:take]), sw[:take])
        if self.warmup.done:
            self.warmup.report(self.cfg["verbose"])
            self.warmup = None
        if take < X.shape[0]:
            self._run(X[take:], sw[take:])

    def _run(self, X, sw):
        """The compiled loop over ``X``, with capacity growth and a refresh after
        every ``refresh``-th sample seen."""
        row, n = 0, X.shape[0]
        while row < n:
            stop = n if n - row <= self.to_refresh else row + self.to_refresh
            done = igmn_stream(X, sw, row, stop, self.M, self.P, self.stats, self.params,
                               self.ist, self.work, self.work_k)
            self.n_seen += done - row
            self.to_refresh -= done - row
            row = done
            if done < stop:
                self._grow()
            elif self.to_refresh == 0:
                self._refresh()

    def _refresh(self):
        self.to_refresh = self.cfg["refresh"]
        K = self.K
        old = self.logdet[:K].copy()
        self.P[:K], self.logdet[:K], repaired = refresh_precision(self.P[:K])
        self.n_repaired += int(repaired.sum())
        if (~repaired).any():
            self.drift = max(self.drift, float(np.abs(old - self.logdet[:K])[~repaired].max()))
        if self.cfg["verbose"]:
            print(f"[IGMN] {self.n_seen} samples: {K} components "
                  f"({self.counters[0]} created, {self.counters[1]} pruned), "
                  f"max log-det drift {self.drift:.1e}")


def _weighted_log_prob(X, means, precisions, log_dets, weights):
    """``log w_k + log N(x_i | mu_k, P_k^{-1})`` of shape (n_samples, K).

    Cost ``O(n K D^2)``; memory ``O(n D)`` (one component at a time).
    """
    n, D = X.shape
    out = np.empty((n, means.shape[0]))
    for k in range(means.shape[0]):
        E = X - means[k]
        d2 = np.einsum("ij,ij->i", E @ precisions[k], E)
        out[:, k] = -0.5 * (D * _LOG_2PI + log_dets[k] + d2)
    with np.errstate(divide="ignore"):
        out += np.log(weights)
    return out


class IncrementalGaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture learned in one pass, sample by sample (IGMN).

    The incremental Gaussian mixture network of Heinen, Engel and Pinto,
    in the precision-matrix form of Pinto and Engel (2015): the number of
    components is not fixed in advance. Each sample ``x`` is handled once:

    1. For every component, ``d2_k = (x - mu_k)^T P_k (x - mu_k)``.
    2. **Novelty.** If ``d2_k >= chi2.ppf(1 - novelty_threshold, D)`` for
       every ``k`` (``x`` lies outside the central ``1 - novelty_threshold``
       mass of every component), a component is created at ``x`` with
       covariance ``diag((init_scale * data_range_)^2)`` and a count of one;
       the other components are not updated by this sample.
    3. **Update** (otherwise). Posteriors ``p(k | x)`` are computed in the log
       domain; each count grows ``sp_k += s p(k | x)`` (``s`` the sample
       weight, 1 by default) and each component moves with the relative
       weight ``w_k = s p(k | x) / sp_k``. Precision and log-determinant
       follow by a rank-one update, ``O(D^2)`` per component.
    4. **Pruning.** A component older than ``prune_min_age`` samples whose
       count is below ``prune_min_count`` is removed.

    Parameters
    ----------
    max_components : int, default=None
        At most this many components; when reached, novel samples update the
        existing components instead of creating one. ``None``: no limit.
    novelty_threshold : float in (0, 1), default=0.01
        Tail probability ``beta`` of the novelty test: a sample is novel when
        its squared Mahalanobis distance to every component exceeds the
        ``1 - beta`` quantile of the chi-square law with ``D`` degrees of
        freedom. Larger values create more components.
    init_scale : float, default=0.1
        ``delta``: the standard deviations of a new component are
        ``init_scale * data_range``. The covariance acts as the scatter of one
        pseudo-sample, so its influence decays like ``1 / count``.
    data_range : float or array-like of shape (n_features,), default=None
        Per-feature range used with ``init_scale``. ``None``: learned from the
        stream, as ``max - min`` over its first ``n_scale_samples`` samples
        (by weight), whichever calls bring them: until then the model is
        rebuilt from those samples each time the range they span grows, so
        ``fit``, one-row ``partial_fit`` and any chunking give the same
        model. Zero ranges are replaced by the largest one. While all samples
        seen are equal the range is undefined: the model is then one
        component with the placeholder range ``max(1, max |x|)``, replaced as
        soon as a different sample arrives (a warning is issued if the range
        is still undefined when the warm-up ends).
    n_scale_samples : int, default=100
        Number of first samples (total weight) whose range sets the scale
        when ``data_range`` is None. The range of a random sample of 100
        rows is close to that of the whole data; a stream sorted by cluster
        gives the range of its first clusters (pass ``data_range`` then).
    update_rule : {"exact", "igmn"}, default="exact"
        ``"exact"``: the weighted running covariance,
        ``C <- (1 - w) (C + w e e^T)``, one Sherman-Morrison step that keeps
        ``C`` positive definite. ``"igmn"``: the rule of the IGMN papers,
        ``C <- (1 - w) C + w e* e*^T - dm dm^T``, which can make ``C``
        indefinite; where its downdate factor is not positive the exact rule
        is used for that component.
    prior_count : float >= 1, default=1.0
        Weight, in samples, of the initial covariance in the exact rule: a
        component's covariance is ``(prior_count * C_init + scatter) /
        (count + prior_count - 1)``. The IGMN uses 1. Larger values keep young
        components from shrinking in directions they have not seen yet,
        which in high dimension makes samples of their own cluster look
        novel. Ignored by ``update_rule="igmn"``.
    prune_min_count : float, default=None
        ``sp_min``; ``None`` means ``n_features + 1``. ``0`` disables pruning.
    prune_min_age : int, default=None
        ``v_min``; ``None`` means ``max(100, 10 * (n_features + 1))``. A
        component survives if it gathers ``prune_min_count`` samples within
        ``prune_min_age``, so the defaults keep clusters holding more than
        about a tenth of the stream (a thirtieth in 2-D); lower
        ``prune_min_count`` or raise ``prune_min_age`` for rarer ones. The
        IGMN papers' ``2 * n_features`` with ``n_features + 1`` prunes any
        cluster holding less than about half of the stream.
    n_passes : int, default=1
        Passes over the data made by ``fit`` (each later pass continues the
        stream: counts keep growing, so later passes move the model less).
    refresh_interval : int or None, default=1000
        Every this many samples, precisions are re-symmetrized and factorized
        by Cholesky and the log-determinants recomputed from the factor
        (``O(K D^3)``, amortized ``O(K D^3 / refresh_interval)`` per sample);
        a precision that lost positive definiteness has its eigenvalues
        clipped. ``None`` disables it.
    verbose : int, default=0
        If positive, print the stream's progress at each refresh (samples
        seen, components, created and pruned), when the range is fixed, and
        at the end of ``fit``.
    random_state : int, RandomState instance or None, default=None
        Seeds :meth:`sample`.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixing weights, ``counts_ / counts_.sum()``.
    means_ : ndarray of shape (n_components, n_features)
    precisions_ : ndarray of shape (n_components, n_features, n_features)
        Inverse covariances, maintained by rank-one updates.
    covariances_ : ndarray of shape (n_components, n_features, n_features)
        Derived from ``precisions_`` on access (``O(K D^3)``; not stored).
    log_dets_ : ndarray of shape (n_components,)
        ``log |covariance|`` of each component, maintained by the matrix
        determinant lemma.
    counts_ : ndarray of shape (n_components,)
        Soft counts ``sp_k`` (sum of weighted posteriors; the sample's
        weight at creation).
    ages_ : ndarray of shape (n_components,)
        Weight seen since each component was created (its creating sample
        included); the number of samples when unweighted.
    n_components_ : int
    n_samples_seen_ : int
    n_created_ : int
        Components created so far (pruned ones included).
    n_pruned_ : int
    n_repaired_ : int
        Precisions whose eigenvalues had to be clipped at a refresh.
    max_refresh_drift_ : float
        Largest ``|maintained - recomputed|`` log-determinant seen at a refresh
        (the rounding drift the refreshes removed; 0 before the first).
    data_range_ : ndarray of shape (n_features,)
        The range that sizes new components (zero ranges replaced).
    data_range_final_ : bool
        Whether ``data_range_`` is fixed (given, or the warm-up is over).
    novelty_distance_ : float
        The chi-square quantile used by the novelty test.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in,)
        Defined only when X has feature names that are all strings.

    See Also
    --------
    IncrementalGaussianMixtureRegressor : Regression by conditioning the joint mixture.
    IncrementalGaussianMixtureClassifier : Classification with incremental mixtures.
    sklearn.mixture.GaussianMixture : Batch EM with a fixed number of components.

    Notes
    -----
    Inputs should be scaled so that features are comparable: the novelty
    test and the initial covariance both measure distances per feature.

    ``means_``, ``precisions_``, ``log_dets_``, ``counts_`` and ``ages_``
    are views of the arrays the stream updates in place (kept with spare
    capacity, so a one-row ``partial_fit`` copies nothing of size
    ``K D^2``): copy them to keep a snapshot.

    References
    ----------
    Heinen, Engel, Pinto. IGMN: an incremental connectionist approach for
    concept formation, reinforcement learning and robotics. JAMRIS 2011.
    Pinto, Engel. A Fast Incremental Gaussian Mixture Model. PLOS ONE
    10(10):e0139931, 2015.
    Pinto, Engel. Scalable and incremental learning of Gaussian mixture
    models. arXiv:1701.03940, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skstruct.mixture import IncrementalGaussianMixture
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(-5, 1, (200, 2)), rng.normal(5, 1, (200, 2))])
    >>> X = X[rng.permutation(400)]
    >>> igmn = IncrementalGaussianMixture().fit(X)
    >>> igmn.n_components_
    2
    >>> igmn.predict([[-5, -5], [5, 5]]).tolist() != [0, 0]
    True
    """

    _parameter_constraints = {
        "max_components": [Interval(Integral, 1, None, closed="left"), None],
        "novelty_threshold": [Interval(Real, 0, 1, closed="neither")],
        "init_scale": [Interval(Real, 0, None, closed="neither")],
        "data_range": ["array-like", Interval(Real, 0, None, closed="neither"), None],
        "n_scale_samples": [Interval(Integral, 1, None, closed="left")],
        "update_rule": [StrOptions({"exact", "igmn"})],
        "prior_count": [Interval(Real, 1, None, closed="left")],
        "prune_min_count": [Interval(Real, 0, None, closed="left"), None],
        "prune_min_age": [Interval(Integral, 0, None, closed="left"), None],
        "n_passes": [Interval(Integral, 1, None, closed="left")],
        "refresh_interval": [Interval(Integral, 1, None, closed="left"), None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(self, max_components=None, *, novelty_threshold=0.01, init_scale=0.1,
                 data_range=None, n_scale_samples=100, update_rule="exact", prior_count=1.0,
                 prune_min_count=None, prune_min_age=None, n_passes=1, refresh_interval=1000,
                 verbose=0, random_state=None):
        self.max_components = max_components
        self.novelty_threshold = novelty_threshold
        self.init_scale = init_scale
        self.data_range = data_range
        self.n_scale_samples = n_scale_samples
        self.update_rule = update_rule
        self.prior_count = prior_count
        self.prune_min_count = prune_min_count
        self.prune_min_age = prune_min_age
        self.n_passes = n_passes
        self.refresh_interval = refresh_interval
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y=None, sample_weight=None):
        """Learn the mixture from scratch by ``n_passes`` passes over X.

        The same model as one :meth:`partial_fit` call per row, in order.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, used in the given order.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, fractional counts (see :meth:`partial_fit`).

        Returns
        -------
        self : IncrementalGaussianMixture
        """
        self._validate_params()
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=1)
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        self._start(X.shape[1])
        X, sw = _kernel_input(X), _kernel_input(sw)
        for _ in range(self.n_passes):
            self._push(X, sw)
        if self.verbose:
            s = self._state
            print(f"[IGMN] fit: {s.n_seen} samples, {s.K} components "
                  f"({s.counters[0]} created, {s.counters[1]} pruned)")
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the mixture with each row of X once, in order.

        Any chunking of a stream gives the same model, equal to :meth:`fit`
        on the concatenated rows (with ``n_passes=1``), bit for bit: the
        per-sample arithmetic does not depend on where the chunks end, and
        the scale comes from the first ``n_scale_samples`` rows of the
        stream, whichever calls bring them (see ``data_range``). The
        estimator is usable after every call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights. A weight is a fractional count in the
            update formulas: ``counts_`` grows by ``weight * posterior``; with
            the exact rule and well-separated components, integer weight
            ``m`` gives the model of ``m`` repetitions of the row. Rows of
            weight zero are skipped.

        Returns
        -------
        self : IncrementalGaussianMixture
        """
        first = not hasattr(self, "_state")
        if first:
            self._validate_params()
            X = validate_data(self, X, dtype=np.float64, ensure_min_samples=1)
        else:
            X = self._check_stream_X(X)
        if sample_weight is None:
            sw = np.ones(X.shape[0])
        else:
            sw = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                      ensure_non_negative=True, allow_all_zero_weights=not first)
        if first:
            self._start(X.shape[1])
        self._push(_kernel_input(X), _kernel_input(sw), weighted=sample_weight is not None)
        return self

    def _check_stream_X(self, X):
        """Validation of a later chunk: a cheap path for C-ordered float64
        arrays (shape and finiteness), ``validate_data`` for anything else."""
        if (type(X) is np.ndarray and X.dtype == np.float64 and X.ndim == 2
                and X.shape[0] > 0 and X.shape[1] == self.n_features_in_
                and X.flags.c_contiguous and X.flags.writeable
                and not hasattr(self, "feature_names_in_") and math.isfinite(X.sum())):
            return X
        return validate_data(self, X, dtype=np.float64, reset=False, ensure_min_samples=1)

    def _start(self, n_features):
        cfg = {
            "n_scale": int(self.n_scale_samples),
            "init_scale": float(self.init_scale),
            "thr": float(chi2.ppf(1.0 - self.novelty_threshold, n_features)),
            "kmax": -1 if self.max_components is None else int(self.max_components),
            "sp_min": (n_features + 1.0 if self.prune_min_count is None
                       else float(self.prune_min_count)),
            "v_min": float(max(100, 10 * (n_features + 1)) if self.prune_min_age is None
                           else self.prune_min_age),
            "igmn": self.update_rule == "igmn",
            "refresh": 0 if self.refresh_interval is None else int(self.refresh_interval),
            "prior_count": float(self.prior_count),
            "verbose": int(self.verbose),
        }
        fixed = (None if self.data_range is None
                 else _check_data_range(self.data_range, n_features))
        self._state = _Stream(n_features, cfg, fixed)
        self.novelty_distance_ = cfg["thr"]

    def _push(self, X, sw, weighted=True):
        if weighted and not (sw > 0).all():
            keep = sw > 0
            X, sw = np.ascontiguousarray(X[keep]), sw[keep]
        if X.shape[0]:
            self._state.push(X, sw)
        self._publish()

    def _publish(self):
        """Fitted attributes: views of the live rows of the state arrays
        (made again only when the arrays or the number of components change)."""
        s = self._state
        K = s.K
        key = (id(s.P), K)
        if getattr(self, "_views_key", None) != key:
            self.means_ = s.M[:K]
            self.precisions_ = s.P[:K]
            self.log_dets_ = s.logdet[:K]
            self.counts_ = s.sp[:K]
            self.ages_ = s.age[:K]
            self.n_components_ = K
            self.data_range_ = s.range
            self._views_key = key

    # Fitted quantities read from the stream's state when asked for, so that a
    # one-row partial_fit does not pay for them.
    @property
    def weights_(self):
        """Mixing weights ``counts_ / counts_.sum()``."""
        return self.counts_ / self.counts_.sum()

    @property
    def n_samples_seen_(self):
        """Rows streamed so far (rows of weight zero are not counted)."""
        return self._state.n_seen

    @property
    def n_created_(self):
        """Components created so far (pruned ones included)."""
        return int(self._state.counters[0])

    @property
    def n_pruned_(self):
        """Components pruned so far."""
        return int(self._state.counters[1])

    @property
    def n_repaired_(self):
        """Precisions whose eigenvalues had to be clipped at a refresh."""
        return self._state.n_repaired

    @property
    def max_refresh_drift_(self):
        """Largest log-determinant drift a refresh removed."""
        return self._state.drift

    @property
    def data_range_final_(self):
        """Whether ``data_range_`` is fixed (given, or the warm-up is over)."""
        return self._state.final

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: object's may be __dict__ itself
        for name in _VIEWS + ("_views_key",):  # views of the state arrays, rebuilt on load
            state.pop(name, None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "_state" in self.__dict__:
            self._publish()

    # --------------------------------------------------------------- inference
    @property
    def covariances_(self):
        """Covariances ``inv(precisions_)``, computed on access (``O(K D^3)``)."""
        if not hasattr(self, "precisions_"):
            raise NotFittedError("This IncrementalGaussianMixture instance is not fitted yet.")
        P = 0.5 * (self.precisions_ + np.swapaxes(self.precisions_, -1, -2))
        eye = np.broadcast_to(np.eye(P.shape[-1]), P.shape)
        C = np.linalg.solve(P, eye)
        return 0.5 * (C + np.swapaxes(C, -1, -2))

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, reset=False)

    def _estimate_weighted_log_prob(self, X):
        return _weighted_log_prob(X, self.means_, self.precisions_, self.log_dets_,
                                  self.weights_)

    def score_samples(self, X):
        """Log density of each sample under the mixture.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        return logsumexp(self._estimate_weighted_log_prob(X), axis=1)

    def score(self, X, y=None):
        """Mean log-likelihood of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        log_likelihood : float
        """
        return float(self.score_samples(X).mean())

    def predict_proba(self, X):
        """Posterior probability of each component.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
        """
        X = self._check_X(X)
        lp = self._estimate_weighted_log_prob(X)
        return np.exp(lp - logsumexp(lp, axis=1, keepdims=True))

    def predict(self, X):
        """Index of the most probable component of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        return self._estimate_weighted_log_prob(X).argmax(axis=1)

    def sample(self, n_samples=1):
        """Draw samples from the fitted mixture.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to draw.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        labels : ndarray of shape (n_samples,)
            Component of each sample.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_)
        D = self.means_.shape[1]
        Xs, labels = [], []
        for k, c in enumerate(counts):
            if c == 0:
                continue
            # P = L L^T  =>  x = mu + L^{-T} z has covariance P^{-1}.
            L = np.linalg.cholesky(0.5 * (self.precisions_[k] + self.precisions_[k].T))
            Z = rng.standard_normal((D, c))
            Xs.append(self.means_[k] + np.linalg.solve(L.T, Z).T)
            labels.append(np.full(c, k))
        return np.vstack(Xs), np.concatenate(labels)

    def _n_parameters(self):
        K, D = self.means_.shape
        return int(K * (D + D * (D + 1) / 2) + K - 1)

    def bic(self, X):
        """Bayesian information criterion on X (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.

        Returns
        -------
        bic : float
        """
        n = np.asarray(X).shape[0] if hasattr(X, "shape") else len(X)
        return -2 * self.score(X) * n + self._n_parameters() * np.log(n)

    def aic(self, X):
        """Akaike information criterion on X (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.

        Returns
        -------
        aic : float
        """
        n = np.asarray(X).shape[0] if hasattr(X, "shape") else len(X)
        return -2 * self.score(X) * n + 2 * self._n_parameters()
