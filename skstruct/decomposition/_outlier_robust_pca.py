"""Outlier-robust PCA: certified filter rounds, in batch and as an anytime stream."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    OutlierMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._backend._robust_filter import (
    FilterSchedule,
    StreamState,
    centered_products,
    centered_sq_norms,
    column_median,
)


def _sign_flip(V):
    """Make the largest-magnitude entry of each column positive (deterministic output)."""
    idx = np.argmax(np.abs(V), axis=0)
    signs = np.sign(V[idx, np.arange(V.shape[1])])
    signs[signs == 0] = 1.0
    return V * signs


def _frame(X):
    """Shift and power-of-two scale that bring ``X`` to unit size (no overflow, exact scaling).

    Dense input is shifted by its coordinate-wise median; sparse input is not
    shifted (that would densify it).
    """
    if sparse.issparse(X):
        shift = np.zeros(X.shape[1])
        size = float(np.max(np.abs(X.data))) if X.nnz else 0.0
    else:
        shift = column_median(X)
        size = float(np.max(np.abs(X - shift)))
        if size == 0:  # a single row, or all rows equal: scale by the data themselves
            size = float(np.max(np.abs(shift)))
    scale = 2.0 ** np.round(np.log2(size)) if size > 0 and np.isfinite(size) else 1.0
    return shift, float(scale)


def _to_frame(X, shift, scale, dense=False):
    """``(X - shift) / scale`` as float64 (sparse stays sparse when ``shift`` is 0)."""
    if sparse.issparse(X):
        if dense or np.any(shift):
            X = X.toarray()
        else:
            return sparse.csr_matrix(X, dtype=np.float64) * (1.0 / scale)
    return (np.asarray(X, dtype=np.float64) - shift) * (1.0 / scale)


class OutlierRobustPCA(ClassNamePrefixFeaturesOutMixin, OutlierMixin, TransformerMixin,
                       BaseEstimator):
    """PCA that tolerates a fraction of arbitrary outliers (certified filtering).

    A fraction ``contamination`` of the rows may have been replaced by an
    adversary (the strong contamination model); the goal is the directions of
    large variance of the *inliers*. After one round that down-weights points
    of very large norm, ``fit`` repeats for each component: find the top
    direction ``v`` of the filtered, deflated covariance (block power
    iteration), and compare the filtered variance along ``v`` with a robust
    estimate of the inlier variance there (a trimmed, Gaussian-consistent
    fixed point). If the ratio is within ``1 + eps log(1/eps)`` plus the
    sampling slack, the direction is certified: the outliers left cannot
    add more than that to the variance along ``v``. Otherwise the points
    whose squared projection is beyond the Gaussian ``eps / 10`` tail are
    removed and the round repeats. The covariance matrix is never formed:
    every step is a product with the data, ``O(nnz(X) m)`` for a block of
    ``m`` probes, so the cost is ``O(n d m q R)`` for ``q`` powers and ``R``
    rounds (a few).

    ``partial_fit`` streams: the estimator is fitted after every call, from
    the first row on, and refines its estimate as rows arrive. The same
    schedule is re-run from scratch on a uniform reservoir sample of the
    stream whenever the rows seen have grown by a quarter, and filtered
    moment sums carry the rows between refits; memory is
    ``O(reservoir_size d + d^2)`` whatever the number of rows seen.

    The estimator is also an outlier detector: :meth:`score_samples` is the
    log-likelihood under the probabilistic PCA model fitted robustly, and
    :meth:`predict` flags the ``contamination`` fraction of the training
    samples with the lowest scores.

    Read more in the :ref:`User Guide <outlier_robust_pca>`.

    Parameters
    ----------
    n_components : int, default=1
        Number of components. More than one are found by deflation: stage
        ``j`` certifies the top direction orthogonal to the components
        already found (keeping the filters of earlier stages).
    contamination : float in (0, 0.5), default=0.1
        Upper bound on the fraction of outliers. It sets the certificate's
        allowance, the filter threshold, the removal budget
        (``min(0.5, 3 contamination)``) and the detector's offset (the fraction of training samples that
        :meth:`predict` labels -1).
    n_probes : int or "auto", default="auto"
        Block size ``m`` of the power iteration (at most ``n_features``);
        "auto" is ``clip(ceil(log(n_samples)), 4, 16)``.
    n_power_iter : int or "auto", default="auto"
        Power steps ``q`` per round (the block is warm-started across
        rounds); "auto" is ``clip(ceil(2 log(n_features)), 4, 20)``.
    max_iter : int, default=20
        Maximum number of direction rounds per component.
    reservoir_size : int or "auto", default="auto"
        Rows kept by :meth:`partial_fit` (a uniform sample of the stream) to
        learn the filter; "auto" is ``max(1000, 20 * n_features)``.
    random_state : int, RandomState instance or None, default=None
        Seeds the Gaussian probes and the reservoir sampling.
    verbose : int, default=0
        Print the certificate of every filter round (and, in
        :meth:`partial_fit`, every refit) when positive.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Orthonormal robust principal axes, in the order found.
    explained_variance_ : ndarray of shape (n_components,)
        Filtered variance of the training data along each axis.
    explained_variance_ratio_ : ndarray of shape (n_components,)
        ``explained_variance_`` divided by the weighted total variance.
    noise_variance_ : float
        Weighted variance per direction left outside the components.
    mean_ : ndarray of shape (n_features,)
        Weighted mean of the training data (the centre used).
    weights_ : ndarray of shape (n_samples,)
        Final weight of each training sample, in [0, 1]. Only set by
        :meth:`fit` (the stream does not keep per-sample state).
    inlier_mask_ : ndarray of shape (n_samples,), bool
        ``weights_ >= 0.5``. Only set by :meth:`fit`.
    offset_ : float
        Threshold on :meth:`score_samples`: ``decision_function = score_samples - offset_``.
    n_iter_ : int
        Filter rounds of the last schedule run (the norm round, then the
        direction rounds of all components).
    converged_ : bool
        Whether every component of the last schedule run passed its
        certificate (after :meth:`partial_fit`: the last refit on the
        reservoir).
    n_samples_seen_ : int
        Samples passed to :meth:`fit` or :meth:`partial_fit`.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features,)
        Defined only when X has feature names that are all strings.

    See Also
    --------
    sklearn.decomposition.PCA : Non-robust PCA.
    RobustPCA : Low-rank plus sparse split (entry-wise gross errors), a
        different notion of robustness.
    sklearn.covariance.MinCovDet : Robust covariance, cubic in the dimension.

    Notes
    -----
    The guarantee of the underlying method (Diakonikolas et al., 2023) is
    about captured variance: the inlier variance along the first component
    is close to the largest inlier eigenvalue. With nearly equal top
    eigenvalues the axis itself can be far in angle from the top
    eigenvector. The robust scale, thresholds, constants and deflation are
    this library's choices, inspired by the filter analyses (whose
    guarantee is not claimed for them). Between two refits of the stream
    the filter is the last one learned, so a burst of new outliers is only
    filtered out from the next refit on.

    Results are scale-equivariant: the data are shifted by their median and
    divided by a power of two before any computation, so ``X * 1e150`` and
    ``X * 1e-150`` give the components of ``X``.

    References
    ----------
    Diakonikolas, Kane, Pensia, Pittas. Nearly-linear time and streaming
    algorithms for outlier-robust PCA. ICML 2023 (arXiv:2305.02544).
    Jambulapati, Li, Tian. Robust sub-Gaussian principal component analysis
    and width-independent Schatten packing. NeurIPS 2020 (the filter).
    Vitter. Random sampling with a reservoir. ACM TOMS 1985.
    Jambulapati, Kumar, Li, Pandey, Pensia, Tian. Black-box k-to-1-PCA
    reductions: theory and applications. COLT 2024 (deflation).

    Examples
    --------
    >>> import numpy as np
    >>> from skstruct.decomposition import OutlierRobustPCA
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((2000, 20)) * np.r_[5.0, np.ones(19)]
    >>> X[:200] = 0.0
    >>> X[:200, 19] = 40.0 * rng.choice([-1, 1], size=200)  # outliers along axis 19
    >>> est = OutlierRobustPCA(n_components=1, contamination=0.1, random_state=0).fit(X)
    >>> int(np.argmax(np.abs(est.components_[0])))
    0
    >>> est.predict(X[:3])
    array([-1, -1, -1])
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "contamination": [Interval(Real, 0, 0.5, closed="neither")],
        "n_probes": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_power_iter": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "reservoir_size": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, n_components=1, *, contamination=0.1, n_probes="auto",
                 n_power_iter="auto", max_iter=20, reservoir_size="auto", random_state=None,
                 verbose=0):
        self.n_components = n_components
        self.contamination = contamination
        self.n_probes = n_probes
        self.n_power_iter = n_power_iter
        self.max_iter = max_iter
        self.reservoir_size = reservoir_size
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "components_")

    # ------------------------------------------------------------------ helpers
    def _schedule(self, n_samples, n_features):
        if self.n_components > n_features:
            raise ValueError(
                f"n_components={self.n_components} must be at most n_features={n_features}."
            )
        m = (int(np.clip(math.ceil(math.log(max(n_samples, 2))), 4, 16))
             if self.n_probes == "auto" else int(self.n_probes))
        q = (int(np.clip(math.ceil(2 * math.log(max(n_features, 2))), 4, 20))
             if self.n_power_iter == "auto" else int(self.n_power_iter))
        return FilterSchedule(n_features, self.n_components, self.contamination, m, q,
                              self.max_iter)

    def _reservoir_size(self, n_features):
        if self.reservoir_size == "auto":
            return max(1000, 20 * n_features)
        return int(self.reservoir_size)

    def _set_model(self, U, lam, total_var, mu, dtype):
        """Store the model; ``U``, ``lam``, ``total_var`` and ``mu`` are in the data frame."""
        d, k = U.shape
        s, c = self._scale, self._shift
        lam = np.maximum(np.asarray(lam, dtype=np.float64), 0.0)
        total_var = max(float(total_var), float(lam.sum()))
        floor = max(total_var, 1.0) * 1e-12
        noise = float(max((total_var - lam.sum()) / (d - k), floor)) if d > k else floor
        self.components_ = _sign_flip(U).T.astype(dtype)
        self.explained_variance_ = (lam * s * s).astype(dtype)
        self.explained_variance_ratio_ = (lam / total_var if total_var > 0
                                          else np.zeros_like(lam)).astype(dtype)
        self.noise_variance_ = noise * s * s
        self.mean_ = (c + s * np.asarray(mu, dtype=np.float64)).astype(dtype)
        self.n_components_ = k
        self._n_features_out = k
        # the same model in the data frame, for score_samples
        self._frame_model = (np.asarray(mu, dtype=np.float64), np.maximum(lam, floor), noise)

    def _frame_loglik(self, Xs):
        """Log-likelihood in the data frame (``X`` already shifted and scaled)."""
        mu, lam, noise = self._frame_model
        C = self.components_.astype(np.float64)
        Z = centered_products(Xs, mu, C.T)
        resid = np.maximum(centered_sq_norms(Xs, mu) - np.einsum("ij,ij->i", Z, Z), 0.0)
        d, k = Xs.shape[1], C.shape[0]
        maha = (Z ** 2 / lam).sum(axis=1) + resid / noise
        logdet = np.log(lam).sum() + (d - k) * np.log(noise)
        return -0.5 * (d * np.log(2 * np.pi) + logdet + maha)

    @property
    def offset_(self):
        """Threshold on :meth:`score_samples`: the ``contamination`` quantile of the training scores.

        After :meth:`fit`, of the training samples; during a stream, of the
        reservoir sample of the rows seen (computed on first access after
        each call).
        """
        check_is_fitted(self)
        if self._offset is None:
            stream = self._stream
            ll = self._frame_loglik(stream.reservoir[:stream.n_reservoir])
            self._offset = float(np.percentile(ll, 100.0 * self.contamination)) \
                - self.n_features_in_ * math.log(self._scale)
        return self._offset

    # ---------------------------------------------------------------- batch fit
    def fit(self, X, y=None):
        """Filter the outliers and fit the robust components (multi-pass batch algorithm).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; sparse input is centred implicitly (never densified).
        y : Ignored

        Returns
        -------
        self : OutlierRobustPCA
        """
        self._validate_params()
        X = validate_data(self, X, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32], ensure_min_samples=2)
        n, d = X.shape
        schedule = self._schedule(n, d)
        rng = check_random_state(self.random_state)
        self._shift, self._scale = _frame(X)
        Xs = _to_frame(X, self._shift, self._scale)
        w = schedule.run(Xs, rng, verbose=self.verbose)
        if not schedule.certified:
            warnings.warn(self._not_certified_message(schedule), ConvergenceWarning)
        self._set_model(schedule.components, schedule.variances, schedule.total_variance,
                        schedule.mean, X.dtype)
        self.weights_ = w
        self.inlier_mask_ = w >= 0.5
        self.n_iter_ = schedule.n_rounds
        self.converged_ = schedule.certified
        self.n_samples_seen_ = n
        self._dtype = X.dtype
        self._rng = rng
        # the stream continues from a reservoir sample of X under the fitted filter
        stream = StreamState(d, self._reservoir_size(d), schedule)
        keep = np.sort(rng.permutation(n)[:stream.reservoir.shape[0]])
        stream.seed(_to_frame(X[keep], self._shift, self._scale, dense=True), n)
        self._stream = stream
        self._offset = float(np.percentile(self._frame_loglik(Xs), 100.0 * self.contamination)) \
            - d * math.log(self._scale)
        return self

    def _not_certified_message(self, schedule):
        why = {
            "max_iter": f"ran max_iter={self.max_iter} rounds",
            "budget": "would have removed more than min(0.5, 3 * contamination) of the weight",
            "no_progress": "found no point beyond the Gaussian tail to remove",
        }[schedule.stop_reason]
        return (
            "The outlier filter could not certify its components: it " + why + " while the "
            "filtered variance along the top direction still exceeded what Gaussian inliers "
            "allow. The inliers may be heavy-tailed, or contamination may be below the true "
            f"outlier fraction (contamination={self.contamination})."
        )

    # ----------------------------------------------------------------- streaming
    def partial_fit(self, X, y=None):
        """Feed the next chunk of a stream; the estimator is fitted after every call.

        Every call folds the rows into filtered moment sums and refines the
        components by one subspace step, so ``components_`` and
        :meth:`transform` work from the first row on. Whenever the number of
        rows seen has grown by a quarter, the filter is learned again from scratch on a
        uniform reservoir sample of the stream (``reservoir_size`` rows), so
        the result does not depend on where the outliers are in the stream.
        ``converged_`` says whether the last filter passed its certificate.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : OutlierRobustPCA
        """
        first = not hasattr(self, "_stream")
        if first:
            self._validate_params()
        X = validate_data(self, X, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32], reset=first)
        d = X.shape[1]
        if first:
            schedule = self._schedule(self._reservoir_size(d), d)
            self._rng = check_random_state(self.random_state)
            self._shift, self._scale = _frame(X)
            self._dtype = X.dtype
            self._stream = StreamState(d, self._reservoir_size(d), schedule)
        stream = self._stream
        stream.add(_to_frame(X, self._shift, self._scale, dense=True), self._rng,
                   verbose=self.verbose)
        U, lam, mu, total = stream.estimate(self.n_components)
        self._set_model(U, lam, total, mu, self._dtype)
        self.n_iter_ = stream.schedule.n_rounds
        self.converged_ = stream.schedule.certified
        self.n_samples_seen_ = stream.n_seen
        self._offset = None
        return self

    # ------------------------------------------------------------ transform etc.
    def _validate_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32], reset=False)

    def transform(self, X):
        """Project on the robust components.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            ``(X - mean_) @ components_.T``.
        """
        X = self._validate_X(X)
        C = self.components_.astype(X.dtype, copy=False)
        Z = np.asarray(X @ C.T)
        return (Z - (self.mean_.astype(X.dtype) @ C.T)[None, :]).astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Map projections back to the feature space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            ``X @ components_ + mean_``.
        """
        check_is_fitted(self)
        X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        if X.shape[1] != self.components_.shape[0]:
            raise ValueError(
                f"X has {X.shape[1]} features, but inverse_transform expects "
                f"n_components={self.components_.shape[0]}."
            )
        return X @ self.components_.astype(X.dtype) + self.mean_.astype(X.dtype)

    def score_samples(self, X):
        """Log-likelihood of each sample under the robust probabilistic PCA model.

        The model is Gaussian with mean ``mean_``, variance
        ``explained_variance_`` along the components and ``noise_variance_``
        in every other direction (as :meth:`sklearn.decomposition.PCA.score_samples`),
        all estimated from the filtered data. Higher means more typical.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,), float64
        """
        X = self._validate_X(X)
        Xs = _to_frame(X, self._shift, self._scale)
        return self._frame_loglik(Xs) - X.shape[1] * math.log(self._scale)

    def score(self, X, y=None):
        """Mean log-likelihood of the samples under the robust model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        float
        """
        return float(np.mean(self.score_samples(X)))

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Label each sample +1 (inlier) or -1 (outlier).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,), int
        """
        return np.where(self.decision_function(X) >= 0, 1, -1)
