"""Supervised incremental Gaussian mixtures: regression and classification.

The regressor learns the joint density of ``z = [x, y]`` with an
:class:`IncrementalGaussianMixture` and predicts by Gaussian mixture
regression, conditioning each component on ``x`` directly in precision form.
The classifier either keeps one incremental mixture per class (Bayes rule,
the default) or, as in the IGMN papers, learns the joint density of ``x``
and the one-hot class vector and regresses the class indicators.
"""

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._incremental_gmm import IncrementalGaussianMixture, _check_data_range, _RangeWarmup

_LOG_2PI = np.log(2.0 * np.pi)

_MIXTURE_PARAMS = [
    "max_components", "novelty_threshold", "init_scale", "data_range", "n_scale_samples",
    "update_rule", "prior_count", "prune_min_count", "prune_min_age", "n_passes",
    "refresh_interval", "verbose",
]

_SHARED_CONSTRAINTS = {
    name: IncrementalGaussianMixture._parameter_constraints[name] for name in _MIXTURE_PARAMS
}

_SHARED_DOC = """max_components : int, default=None
        Maximum number of components of each mixture.
    novelty_threshold : float in (0, 1), default=0.01
        Tail probability of the chi-square novelty test (in the space the
        mixture models); see :class:`IncrementalGaussianMixture`.
    init_scale : float, default=0.1
        New components have standard deviations ``init_scale * range``.
    n_scale_samples : int, default=100
        When ``data_range`` is None, the range is that of the first this
        many samples (total weight) of the stream (see
        :class:`IncrementalGaussianMixture`).
    update_rule : {"exact", "igmn"}, default="exact"
        Covariance update; see :class:`IncrementalGaussianMixture`.
    prior_count : float >= 1, default=1.0
        Weight of the initial covariance in samples (exact rule); see
        :class:`IncrementalGaussianMixture`.
    prune_min_count : float, default=None
        Pruning count ``sp_min`` (``None``: dimension + 1; ``0``: no pruning).
    prune_min_age : int, default=None
        Pruning age ``v_min`` (``None``: ``max(100, 10 * (dimension + 1))``).
    n_passes : int, default=1
        Passes over the data made by ``fit``.
    refresh_interval : int or None, default=1000
        Samples between re-symmetrization / refactorization of the precisions.
    verbose : int, default=0
        Print the progress of each mixture's stream."""


def conditional_gaussian_mixture(means, precisions, log_dets, weights, X, n_in):
    """Condition a Gaussian mixture on its first ``n_in`` coordinates.

    For each component ``k`` with precision blocks ``P_xx, P_xy, P_yy``:
    ``E[y | x, k] = mu_y - P_yy^{-1} P_yx (x - mu_x)``, and the marginal of
    ``x`` has precision ``P_xx - P_xy P_yy^{-1} P_yx`` (a Schur complement)
    and ``log |C_xx| = log |C| + log |P_yy|``. No full covariance is formed.

    Parameters
    ----------
    means : ndarray of shape (K, D)
    precisions : ndarray of shape (K, D, D)
    log_dets : ndarray of shape (K,)
        ``log |C_k|``.
    weights : ndarray of shape (K,)
    X : ndarray of shape (n_samples, n_in)
    n_in : int

    Returns
    -------
    y_mean : ndarray of shape (n_samples, D - n_in)
        The conditional mean ``sum_k p(k | x) E[y | x, k]``.
    log_px : ndarray of shape (n_samples,)
        ``log p(x)`` under the marginal mixture.

    Notes
    -----
    Cost ``O(K D^3)`` for the blocks, then ``O(n K D^2)``.
    """
    K = means.shape[0]
    ix = slice(0, n_in)
    iy = slice(n_in, means.shape[1])
    n = X.shape[0]
    O = means.shape[1] - n_in
    logp = np.empty((n, K))
    Yk = np.empty((n, K, O))
    for k in range(K):
        P = precisions[k]
        Pyy = 0.5 * (P[iy, iy] + P[iy, iy].T)
        A = np.linalg.solve(Pyy, P[iy, ix])  # (O, n_in)
        Sxx = P[ix, ix] - P[ix, iy] @ A
        _, logdet_yy = np.linalg.slogdet(Pyy)
        R = X - means[k, ix]
        d2 = np.einsum("ij,ij->i", R @ Sxx, R)
        logp[:, k] = -0.5 * (n_in * _LOG_2PI + log_dets[k] + logdet_yy + d2)
        Yk[:, k, :] = means[k, iy] - R @ A.T
    with np.errstate(divide="ignore"):
        logp += np.log(weights)
    log_px = logsumexp(logp, axis=1)
    resp = np.exp(logp - log_px[:, None])
    return np.einsum("nk,nko->no", resp, Yk), log_px


class _SharedParamsMixin:
    def _mixture(self, **overrides):
        params = {name: getattr(self, name) for name in _MIXTURE_PARAMS}
        return IncrementalGaussianMixture(**{**params, **overrides})


class IncrementalGaussianMixtureRegressor(_SharedParamsMixin, RegressorMixin, BaseEstimator):
    """Regression by an incremental Gaussian mixture of the joint ``[X, y]``.

    Each training pair is appended into ``z = [x, y]`` and streamed once into
    an :class:`IncrementalGaussianMixture`. Prediction is Gaussian mixture
    regression: the mean of ``y`` given ``x``, a posterior-weighted sum of
    each component's linear conditional mean. The model is therefore locally
    linear, with as many pieces as the stream needed components.

    Parameters
    ----------
    {shared}
    data_range : float or array-like of shape (n_features + n_targets,), default=None
        Range of each coordinate of ``[x, y]`` used to size new components.
        ``None``: the range of the first ``n_scale_samples`` pairs of the
        stream (the same for any chunking, and for ``fit``).

    Attributes
    ----------
    mixture_ : IncrementalGaussianMixture
        The mixture of ``[X, y]`` (``n_features_in_ + n_targets`` dimensions).
    n_components_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in,)
        Defined only when X has feature names that are all strings.

    See Also
    --------
    IncrementalGaussianMixture : The density model underneath.

    Notes
    -----
    Scale X and y to comparable ranges: the novelty test and the initial
    covariance measure distances per coordinate of ``[x, y]``.

    References
    ----------
    Pinto, Engel. A Fast Incremental Gaussian Mixture Model. PLOS ONE 2015.
    Sung. Gaussian mixture regression and classification. PhD thesis, Rice
    University, 2004.

    Examples
    --------
    >>> import numpy as np
    >>> from skstruct.mixture import IncrementalGaussianMixtureRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-3, 3, (2000, 1))
    >>> y = np.sin(X[:, 0]) + 0.05 * rng.standard_normal(2000)
    >>> reg = IncrementalGaussianMixtureRegressor().fit(X, y)
    >>> bool(reg.score(X, y) > 0.9)
    True
    """

    _parameter_constraints = dict(_SHARED_CONSTRAINTS)

    def __init__(self, max_components=None, *, novelty_threshold=0.01, init_scale=0.1,
                 n_scale_samples=100, update_rule="exact", prior_count=1.0,
                 prune_min_count=None, prune_min_age=None, n_passes=1, refresh_interval=1000,
                 data_range=None, verbose=0):
        self.max_components = max_components
        self.novelty_threshold = novelty_threshold
        self.init_scale = init_scale
        self.n_scale_samples = n_scale_samples
        self.update_rule = update_rule
        self.prior_count = prior_count
        self.prune_min_count = prune_min_count
        self.prune_min_age = prune_min_age
        self.n_passes = n_passes
        self.refresh_interval = refresh_interval
        self.data_range = data_range
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    def _joint(self, X, y):
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        return np.hstack([X, y2.astype(np.float64)])

    def fit(self, X, y, sample_weight=None):
        """Learn the joint mixture from scratch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights (fractional counts in the mixture updates).

        Returns
        -------
        self : IncrementalGaussianMixtureRegressor
        """
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True)
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        self._y_ndim = y.ndim
        self.mixture_ = self._mixture().fit(self._joint(X, y), sample_weight=sw)
        self.n_components_ = self.mixture_.n_components_
        return self

    def partial_fit(self, X, y, sample_weight=None):
        """Update the joint mixture with each pair once, in order.

        Any chunking gives the same model as :meth:`fit` on the same rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights (fractional counts in the mixture updates).

        Returns
        -------
        self : IncrementalGaussianMixtureRegressor
        """
        first = not hasattr(self, "mixture_")
        if first:
            self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True,
                             reset=first)
        Z = self._joint(X, y)
        if not first and Z.shape[1] != self.mixture_.n_features_in_:
            raise ValueError(
                f"y has {Z.shape[1] - X.shape[1]} targets, but the model was started with "
                f"{self.mixture_.n_features_in_ - X.shape[1]}."
            )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True,
                                                 allow_all_zero_weights=not first)
        mixture = self._mixture() if first else self.mixture_
        mixture.partial_fit(Z, sample_weight=sample_weight)
        if first:
            self._y_ndim = y.ndim
            self.mixture_ = mixture
        self.n_components_ = self.mixture_.n_components_
        return self

    def predict(self, X):
        """Conditional mean of y given X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        m = self.mixture_
        y, _ = conditional_gaussian_mixture(m.means_, m.precisions_, m.log_dets_, m.weights_,
                                            X, X.shape[1])
        return y[:, 0] if self._y_ndim == 1 else y


class IncrementalGaussianMixtureClassifier(_SharedParamsMixin, ClassifierMixin, BaseEstimator):
    """Classification with incremental Gaussian mixtures.

    ``method="class_conditional"`` keeps one :class:`IncrementalGaussianMixture`
    per class, each streamed with the samples of its class, and predicts by
    Bayes' rule with the class frequencies as priors:
    ``p(c | x) ∝ p(c) p(x | c)``. ``method="joint"`` is the IGMN papers'
    classifier: one mixture of ``[x, onehot(y)]``, predicting the conditional
    mean of the one-hot vector (clipped to ``[0, 1]`` and renormalized).

    Parameters
    ----------
    method : {"class_conditional", "joint"}, default="class_conditional"
    {shared}
    data_range : float or array-like of shape (n_features,), default=None
        Range of each feature used to size new components, shared by the
        class mixtures. ``None``: the range of the first ``n_scale_samples``
        samples of the stream, all classes together (the same for any
        chunking and for ``fit``; until then the mixtures are rebuilt from
        those samples whenever the range grows). With ``method="joint"`` the
        one-hot coordinates have range 1.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_counts_ : ndarray of shape (n_classes,)
        Training weight seen per class (the number of samples when
        unweighted).
    mixtures_ : list of IncrementalGaussianMixture or None
        One per class (``method="class_conditional"``; ``None`` for a class
        not seen yet). ``None`` for ``method="joint"``.
    mixture_ : IncrementalGaussianMixture or None
        The joint mixture (``method="joint"``), else ``None``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in,)
        Defined only when X has feature names that are all strings.

    See Also
    --------
    IncrementalGaussianMixture : The density model underneath.

    References
    ----------
    Pinto, Engel. A Fast Incremental Gaussian Mixture Model. PLOS ONE 2015.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skstruct.mixture import IncrementalGaussianMixtureClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = IncrementalGaussianMixtureClassifier().fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints = {
        "method": [StrOptions({"class_conditional", "joint"})],
        **_SHARED_CONSTRAINTS,
    }

    def __init__(self, method="class_conditional", *, max_components=None,
                 novelty_threshold=0.01, init_scale=0.1, n_scale_samples=100,
                 update_rule="exact", prior_count=1.0, prune_min_count=None, prune_min_age=None,
                 n_passes=1, refresh_interval=1000, data_range=None, verbose=0):
        self.method = method
        self.max_components = max_components
        self.novelty_threshold = novelty_threshold
        self.init_scale = init_scale
        self.n_scale_samples = n_scale_samples
        self.update_rule = update_rule
        self.prior_count = prior_count
        self.prune_min_count = prune_min_count
        self.prune_min_age = prune_min_age
        self.n_passes = n_passes
        self.refresh_interval = refresh_interval
        self.data_range = data_range
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Learn from scratch (``n_passes`` passes over the data).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights: fractional counts in the class mixtures and
            in the class priors.

        Returns
        -------
        self : IncrementalGaussianMixtureClassifier
        """
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        for attr in ("classes_", "mixtures_", "mixture_", "class_counts_"):
            self.__dict__.pop(attr, None)
        self._start(X.shape[1], np.unique(y))
        for _ in range(self.n_passes):
            self._learn(X, y, sw)
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update with each sample once, in order.

        Any chunking gives the same model as :meth:`fit` on the same rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All the classes; needed on the first call when later chunks may
            hold classes absent from the first (default: those of ``y``).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights (see :meth:`fit`).

        Returns
        -------
        self : IncrementalGaussianMixtureClassifier
        """
        first = not hasattr(self, "classes_")
        if first:
            self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64, reset=first)
        check_classification_targets(y)
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True,
                                  allow_all_zero_weights=not first)
        if not first and classes is not None and not np.array_equal(np.unique(classes),
                                                                    self.classes_):
            raise ValueError(
                f"classes={classes!r} differs from the classes of the first call "
                f"{self.classes_!r}."
            )
        if first:
            all_classes = np.unique(y if classes is None else classes)
        else:
            all_classes = self.classes_
        idx = self._class_index(y, all_classes)
        if first:
            self._start(X.shape[1], all_classes)
        self._learn(X, idx, sw, indexed=True)
        return self

    @staticmethod
    def _class_index(y, classes):
        """Positions of ``y`` in ``classes``; ValueError for unknown labels."""
        idx = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
        bad = classes[idx] != y
        if bad.any():
            raise ValueError(
                f"y holds labels {np.unique(y[bad])!r} that are not in classes "
                f"{classes!r} given at the first call."
            )
        return idx

    def _start(self, n_features, classes):
        self.classes_ = classes
        self.class_counts_ = np.zeros(len(classes))
        if self.data_range is None:
            self._warmup = _RangeWarmup(n_features, self.n_scale_samples)
            self._warm_idx = np.empty(0, dtype=np.intp)
            self._range = None
        else:
            self._warmup = None
            self._range = _check_data_range(self.data_range, n_features)
        self._new_mixtures()

    def _new_mixtures(self):
        self.mixtures_ = [None] * len(self.classes_) if self.method == "class_conditional" else None
        self.mixture_ = None

    def _learn(self, X, y, sw, indexed=False):
        """Count the classes, then stream the rows; while the shared range is
        learned (the first ``n_scale_samples`` rows of the whole stream), the
        mixtures are rebuilt from the kept rows whenever it grows, as in
        :class:`IncrementalGaussianMixture`."""
        idx = y if indexed else self._class_index(y, self.classes_)
        keep = sw > 0
        if not keep.all():
            X, idx, sw = X[keep], idx[keep], sw[keep]
        if X.shape[0] == 0:
            return
        self.class_counts_ += np.bincount(idx, weights=sw, minlength=len(self.classes_))
        if self._warmup is None:
            self._dispatch(X, idx, sw)
            return
        take, changed = self._warmup.add(X, sw)
        self._warm_idx = np.concatenate([self._warm_idx, idx[:take]])
        if changed:
            self._range = self._warmup.range
            self._new_mixtures()
            X_kept, w_kept = self._warmup.kept()
            self._dispatch(X_kept, self._warm_idx, w_kept)
        else:
            self._dispatch(X[:take], idx[:take], sw[:take])
        if self._warmup.done:
            self._warmup.report(self.verbose, "IGMN classifier")
            self._warmup = self._warm_idx = None
        if take < X.shape[0]:
            self._dispatch(X[take:], idx[take:], sw[take:])

    def _dispatch(self, X, idx, sw):
        """Stream rows into the class mixtures (or the joint one), all sized by
        the shared range."""
        if self.method == "class_conditional":
            for c in np.unique(idx):
                rows = idx == c
                if self.mixtures_[c] is None:
                    self.mixtures_[c] = self._mixture(data_range=self._range)
                self.mixtures_[c].partial_fit(X[rows], sample_weight=sw[rows])
        else:
            if self.mixture_ is None:
                self.mixture_ = self._mixture(
                    data_range=np.concatenate([self._range, np.ones(len(self.classes_))]))
            onehot = np.zeros((X.shape[0], len(self.classes_)))
            onehot[np.arange(X.shape[0]), idx] = 1.0
            self.mixture_.partial_fit(np.hstack([X, onehot]), sample_weight=sw)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        if self.method == "joint":
            m = self.mixture_
            out, _ = conditional_gaussian_mixture(m.means_, m.precisions_, m.log_dets_,
                                                  m.weights_, X, X.shape[1])
            out = np.clip(out, 0.0, 1.0)
            total = out.sum(axis=1, keepdims=True)
            uniform = np.full_like(out, 1.0 / out.shape[1])
            return np.where(total > 0, out / np.where(total > 0, total, 1.0), uniform)
        jll = self._joint_log_likelihood(X)
        return np.exp(jll - logsumexp(jll, axis=1, keepdims=True))

    def _joint_log_likelihood(self, X):
        jll = np.full((X.shape[0], len(self.classes_)), -np.inf)
        with np.errstate(divide="ignore"):
            log_prior = np.log(self.class_counts_ / self.class_counts_.sum())
        for c, mix in enumerate(self.mixtures_):
            if mix is not None:
                jll[:, c] = log_prior[c] + logsumexp(mix._estimate_weighted_log_prob(X), axis=1)
        return jll

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


for _cls in (IncrementalGaussianMixtureRegressor, IncrementalGaussianMixtureClassifier):
    _cls.__doc__ = _cls.__doc__.replace("{shared}", _SHARED_DOC)
del _cls
