"""Incremental Gaussian mixture (IGMN) kept in precision form.

One pass over a stream: each sample either creates a component (when it is
novel for every existing one) or is absorbed by all components in proportion
to their posteriors. Precisions and log-determinants are updated by rank-one
formulas (:mod:`skstruct._backend._rank_one`), ``O(K D^2)`` per sample,
never by inverting a matrix.
"""

from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
from scipy.stats import chi2
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._backend._rank_one import (
    _STREAM_GROW,
    _STREAM_REFRESH,
    igmn_stream,
    refresh_precision,
)

_LOG_2PI = np.log(2.0 * np.pi)


def _with_capacity(cap, D, means, precisions, log_dets, counts, ages):
    """Copies of the live state in arrays with room for ``cap`` components."""
    K = means.shape[0]
    M = np.zeros((cap, D))
    P = np.zeros((cap, D, D))
    logdet = np.zeros(cap)
    sp = np.zeros(cap)
    age = np.zeros(cap, dtype=np.int64)
    M[:K], P[:K], logdet[:K], sp[:K], age[:K] = means, precisions, log_dets, counts, ages
    return M, P, logdet, sp, age


def _resolve_range(data_range, X, n_features):
    """Per-feature range used to size new components, zero ranges replaced."""
    if data_range is None:
        rng = X.max(axis=0) - X.min(axis=0)
    else:
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
    rng = np.array(rng, dtype=np.float64)
    positive = rng > 0
    if not positive.any():
        rng[:] = 1.0
    else:
        rng[~positive] = rng[positive].max()
    return rng


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
       covariance ``diag((init_scale * data_range)^2)`` and a count of one;
       the other components are not updated by this sample.
    3. **Update** (otherwise). Posteriors ``p(k | x)`` are computed in the log
       domain; each count grows ``sp_k += p(k | x)`` and each component moves
       with the relative weight ``w_k = p(k | x) / sp_k``. Precision and
       log-determinant follow by a rank-one update, ``O(D^2)`` per component.
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
        Per-feature range used with ``init_scale``. ``None``: ``max - min`` of
        the data given to ``fit``, or of the first chunk given to
        ``partial_fit`` (pass it explicitly when the first chunk is small).
        Zero ranges are replaced by the largest one (by 1.0 if all are zero).
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
        Soft counts ``sp_k`` (sum of posteriors, one at creation).
    ages_ : ndarray of shape (n_components,)
        Samples seen since each component was created.
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
        "update_rule": [StrOptions({"exact", "igmn"})],
        "prior_count": [Interval(Real, 1, None, closed="left")],
        "prune_min_count": [Interval(Real, 0, None, closed="left"), None],
        "prune_min_age": [Interval(Integral, 0, None, closed="left"), None],
        "n_passes": [Interval(Integral, 1, None, closed="left")],
        "refresh_interval": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, max_components=None, *, novelty_threshold=0.01, init_scale=0.1,
                 data_range=None, update_rule="exact", prior_count=1.0, prune_min_count=None,
                 prune_min_age=None, n_passes=1, refresh_interval=1000, random_state=None):
        self.max_components = max_components
        self.novelty_threshold = novelty_threshold
        self.init_scale = init_scale
        self.data_range = data_range
        self.update_rule = update_rule
        self.prior_count = prior_count
        self.prune_min_count = prune_min_count
        self.prune_min_age = prune_min_age
        self.n_passes = n_passes
        self.refresh_interval = refresh_interval
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y=None):
        """Learn the mixture from scratch by ``n_passes`` passes over X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, used in the given order.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : IncrementalGaussianMixture
        """
        self._validate_params()
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=1)
        self._init_state(X)
        for _ in range(self.n_passes):
            self._stream(X)
        return self

    def partial_fit(self, X, y=None):
        """Update the mixture with each row of X once, in order.

        The first call starts the model (and sets ``data_range_`` from this
        chunk unless ``data_range`` is given). Calling it on consecutive
        chunks gives the same model as calling it on every sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : IncrementalGaussianMixture
        """
        first = not hasattr(self, "means_")
        if first:
            self._validate_params()
        X = validate_data(self, X, dtype=np.float64, reset=first, ensure_min_samples=1)
        if first:
            self._init_state(X)
        self._stream(X)
        return self

    def _init_state(self, X):
        D = X.shape[1]
        self.data_range_ = _resolve_range(self.data_range, X, D)
        self.novelty_distance_ = float(chi2.ppf(1.0 - self.novelty_threshold, D))
        self.means_ = np.empty((0, D))
        self.precisions_ = np.empty((0, D, D))
        self.log_dets_ = np.empty(0)
        self.counts_ = np.empty(0)
        self.ages_ = np.empty(0, dtype=np.int64)
        self.weights_ = np.empty(0)
        self.n_components_ = 0
        self.n_samples_seen_ = 0
        self.n_created_ = 0
        self.n_pruned_ = 0
        self.n_repaired_ = 0
        self.max_refresh_drift_ = 0.0

    def _stream(self, X):
        """The per-sample loop: :func:`skstruct._backend._rank_one.igmn_stream`
        (compiled), with capacity growth and the periodic refresh done here."""
        D = X.shape[1]
        X = np.array(X, dtype=np.float64, order="C")  # writable, C-contiguous: one signature
        sigma2 = (self.init_scale * self.data_range_) ** 2
        p_init_diag = 1.0 / sigma2
        logdet_init = float(np.log(sigma2).sum())
        kmax = -1 if self.max_components is None else int(self.max_components)
        sp_min = D + 1.0 if self.prune_min_count is None else float(self.prune_min_count)
        v_min = (max(100, 10 * (D + 1)) if self.prune_min_age is None
                 else int(self.prune_min_age))
        refresh = 0 if self.refresh_interval is None else int(self.refresh_interval)

        K = self.means_.shape[0]
        cap = max(8, 2 * K)
        if kmax > 0:
            cap = min(cap, max(kmax, K))
        M, P, logdet, sp, age = _with_capacity(
            cap, D, self.means_, self.precisions_, self.log_dets_, self.counts_, self.ages_)
        counters = np.array([self.n_created_, self.n_pruned_], dtype=np.int64)
        n_seen = int(self.n_samples_seen_)
        n_repaired = self.n_repaired_
        drift = self.max_refresh_drift_
        row = 0
        while True:
            row, K, n_seen, status = igmn_stream(
                X, row, M, P, logdet, sp, age, K, p_init_diag, logdet_init,
                float(self.novelty_distance_), kmax, sp_min, v_min,
                self.update_rule == "igmn", refresh, n_seen, counters,
                float(self.prior_count))
            if status == _STREAM_GROW:
                M, P, logdet, sp, age = _with_capacity(
                    2 * M.shape[0], D, M[:K], P[:K], logdet[:K], sp[:K], age[:K])
            elif status == _STREAM_REFRESH:
                old = logdet[:K].copy()
                P[:K], logdet[:K], repaired = refresh_precision(P[:K])
                n_repaired += int(repaired.sum())
                if (~repaired).any():
                    drift = max(drift, float(np.abs(old - logdet[:K])[~repaired].max()))
            else:
                break

        self.means_ = M[:K].copy()
        self.precisions_ = P[:K].copy()
        self.log_dets_ = logdet[:K].copy()
        self.counts_ = sp[:K].copy()
        self.ages_ = age[:K].copy()
        self.weights_ = self.counts_ / self.counts_.sum()
        self.n_components_ = int(K)
        self.n_samples_seen_ = int(n_seen)
        self.n_created_ = int(counters[0])
        self.n_pruned_ = int(counters[1])
        self.n_repaired_ = int(n_repaired)
        self.max_refresh_drift_ = drift

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
