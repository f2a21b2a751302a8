"""Estimators on distributions of SPD matrices: SPDSW embedding and kernel."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._sliced import METRICS, SortedProjections, SPDProjections, _minkowski
from ._validation import check_spd_bands


def _spd_tags(tags):
    tags.input_tags.two_d_array = False
    tags.input_tags.three_d_array = True
    tags.requires_fit = True
    return tags


class SPDSWEmbedding(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Embed distributions of SPD matrices so Euclidean distances approximate SPDSW.

    Each sample is a set of SPD matrices (an empirical distribution, e.g. the
    covariances of the epochs of one subject). ``fit`` draws
    ``n_projections`` directions ``A_l`` once; ``transform`` projects every
    matrix of a set on every direction (log-Euclidean or affine-invariant
    coordinates), and keeps the projected quantile functions at ``K`` levels
    ``s_k = (k - 1/2) / K``:

    ``phi(mu)[l, k] = F^{-1}_{A_l # mu}(s_k) / (L K)^(1/p)``

    so ``||phi(mu) - phi(nu)||_p`` is a Riemann-sum estimate of
    ``SPDSW_p(mu, nu)`` (exact when every set has ``K`` equally weighted
    matrices, or a divisor of ``K`` of them). Any scikit-learn model then
    applies (e.g. ``KernelRidge(kernel="rbf")`` gives the Gaussian SPDSW
    kernel for ``p=2``).

    With several bands per sample (e.g. covariances in several frequency
    bands) the features of the bands, on the same directions, are
    concatenated: ``||phi(x) - phi(x')||_p^p = sum_b SPDSW_p^p(x_b, x'_b)``.
    :class:`SPDSWKernel` instead sums one kernel per band.

    Parameters
    ----------
    n_projections : int, default=100
        Number ``L`` of directions.
    n_quantiles : int, default=None
        Number ``K`` of quantile levels. None uses the largest set size seen
        in ``fit``.
    metric : {"log-euclidean", "affine-invariant"}, default="log-euclidean"
        Slicing geometry, see :func:`spd_sliced_wasserstein`.
    p : {1, 2}, default=2
        Features are scaled so that the ``l_p`` distance between them
        estimates ``SPDSW_p``.
    random_state : int, RandomState instance or None, default=None
        Seeds the directions.
    n_jobs : int, default=None
        Threads for the per-set work of ``transform`` (projections, sorts,
        quantiles) over chunks of sets (:func:`joblib.Parallel`, BLAS limited
        to one thread per worker). None: one.

    Attributes
    ----------
    n_channels_ : int
        Size ``n`` of the ``n x n`` matrices.
    n_bands_ : int
        Number of bands per sample (1 for one set per sample).
    n_quantiles_ : int
        ``K`` used.
    projections_ : SPDProjections
        The directions (``theta``, ``eigvecs``, ``directions_vech``).
    n_features_out_ : int
        ``n_bands * L * K``.

    Notes
    -----
    Input ``X``, one set per sample: a 4-D array ``(n_sets, n_matrices, n, n)``,
    a list of arrays ``(n_matrices_i, n, n)`` (ragged sizes allowed) or a 3-D
    array ``(n_sets, n, n)`` of single matrices. Several bands per sample: a
    5-D array ``(n_sets, n_bands, n_matrices, n, n)``, or a list of 4-D arrays
    ``(n_bands, n_matrices_i, n, n)`` or of lists of ``n_bands`` 3-D arrays
    (ragged). Every sample has the same bands, every matrix the same size.
    A 5-D array is the natural layout (bands of a sample side by side);
    lists allow a different number of matrices per set.
    scikit-learn's common checks skip this estimator (they need 2-D input);
    ``tests/spd`` holds its own contract tests.

    Cost of ``transform``: one eigendecomposition per matrix plus one GEMM
    ``O(N_mat n^2 L)`` and a sort per set (log-Euclidean); ``O(N_mat L n^3)``
    for the affine-invariant metric.

    Examples
    --------
    >>> from skstruct.datasets import make_spd_distributions
    >>> from skstruct.spd import SPDSWEmbedding
    >>> X, y = make_spd_distributions(n_distributions=5, n_matrices=10, n_channels=3,
    ...                               random_state=0)
    >>> SPDSWEmbedding(n_projections=20, random_state=0).fit_transform(X).shape
    (5, 200)
    """

    _parameter_constraints = {
        "n_projections": [Interval(Integral, 1, None, closed="left")],
        "n_quantiles": [Interval(Integral, 1, None, closed="left"), None],
        "metric": [StrOptions(set(METRICS))],
        "p": [Interval(Integral, 1, 2, closed="both")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, n_projections=100, n_quantiles=None, metric="log-euclidean", p=2,
                 random_state=None, n_jobs=None):
        self.n_projections = n_projections
        self.n_quantiles = n_quantiles
        self.metric = metric
        self.p = p
        self.random_state = random_state
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        return _spd_tags(super().__sklearn_tags__())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Draw the directions.

        Parameters
        ----------
        X : 5-D or 4-D array, list of arrays or 3-D array
            Sets of SPD matrices (one per band), see Notes.
        y : ignored

        Returns
        -------
        self : SPDSWEmbedding
        """
        self._fit(check_spd_bands(X, "X")[0])
        return self

    def _fit(self, bands):
        self.n_channels_ = bands[0][0].shape[1]
        self.n_bands_ = len(bands)
        self.n_quantiles_ = (self.n_quantiles if self.n_quantiles is not None
                             else max(s.shape[0] for sets in bands for s in sets))
        self.projections_ = SPDProjections.draw(self.n_projections, self.n_channels_,
                                                self.random_state)
        self.n_features_out_ = self.n_bands_ * self.n_projections * self.n_quantiles_

    def _band_features(self, bands, eighs):
        """Features of each band: list of ``(n_sets, L * K)`` arrays."""
        return [
            SortedProjections.compute(sets, self.projections_, self.metric, eig, self.n_jobs)
            .quantiles(self.n_quantiles_, self.p)
            for sets, eig in zip(bands, eighs)
        ]

    def _check(self, X, reset):
        le = self.metric == "log-euclidean"
        if reset:
            return check_spd_bands(X, "X", return_eigh=le)
        return check_spd_bands(X, "X", n_channels=self.n_channels_, n_bands=self.n_bands_,
                               return_eigh=le)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit, then embed ``X`` (validated and decomposed once).

        Parameters
        ----------
        X : 5-D or 4-D array, list of arrays or 3-D array
        y : ignored

        Returns
        -------
        F : ndarray of shape (n_sets, n_bands * n_projections * K)
            ``K`` is the attribute ``n_quantiles_``.
        """
        bands, f32, eighs = self._check(X, reset=True)
        self._fit(bands)
        F = np.hstack(self._band_features(bands, eighs))
        return F.astype(np.float32) if f32 else F

    @property
    def _n_features_out(self):
        return self.n_features_out_

    def transform(self, X):
        """Projected-quantile features of each set (bands side by side).

        Parameters
        ----------
        X : 5-D or 4-D array, list of arrays or 3-D array
            Sets of SPD matrices, ``n_channels_ x n_channels_``, ``n_bands_``
            per sample.

        Returns
        -------
        F : ndarray of shape (n_sets, n_bands * n_projections * K)
            float32 when every input set is float32, else float64.
        """
        check_is_fitted(self)
        bands, f32, eighs = self._check(X, reset=False)
        F = np.hstack(self._band_features(bands, eighs))
        return F.astype(np.float32) if f32 else F


class SPDSWKernel(TransformerMixin, BaseEstimator):
    """Kernel between distributions of SPD matrices, ``sum_b exp(-gamma_b SPDSW_p^p)``.

    ``fit`` stores the embedding (:class:`SPDSWEmbedding`) of the training
    sets; ``transform(X)`` returns the kernel matrix between ``X`` and the
    training sets, shape ``(n_sets, n_train)``. In a Pipeline before
    ``KernelRidge(kernel="precomputed")`` or ``SVC(kernel="precomputed")``
    this gives kernel methods on SPDSW that ``GridSearchCV`` can tune (fit
    builds the train x train Gram matrix, predict the test x train one).

    With ``p=2`` the kernel is Gaussian in ``SPDSW_2``, positive definite
    because SPDSW_2 is a Hilbertian (L2 between quantile functions)
    distance; with ``p=1`` it is the Laplace kernel ``exp(-gamma SPDSW_1)``,
    positive definite because an L1 distance is conditionally negative
    definite. On the finite embedding both hold exactly.

    With several bands per sample (e.g. one set of covariances per
    frequency band) the kernel is the sum of one such kernel per band,
    ``K(x, x') = sum_b exp(-gamma_b SPDSW_p^p(x_b, x'_b))``, each band with
    its own bandwidth; a sum of positive definite kernels is positive
    definite. All bands share one draw of directions.

    Parameters
    ----------
    gamma : float or array-like of shape (n_bands,), default=1.0
        Kernel scale, one per band (a float: the same for every band). A
        grid of tuples tunes the bands' scales in ``GridSearchCV``.
    n_projections : int, default=100
    n_quantiles : int, default=None
        See :class:`SPDSWEmbedding`.
    metric : {"log-euclidean", "affine-invariant"}, default="log-euclidean"
    p : {1, 2}, default=2
    random_state : int, RandomState instance or None, default=None
    n_jobs : int, default=None
        Threads for the per-set work, see :class:`SPDSWEmbedding`.

    Attributes
    ----------
    embedding_ : SPDSWEmbedding
        Fitted embedding.
    train_features_ : ndarray of shape (n_train, n_features)
        Embedded training sets (bands side by side).
    gammas_ : ndarray of shape (n_bands,)
        Scale of each band.

    Notes
    -----
    Input forms (one or several bands per sample): see
    :class:`SPDSWEmbedding`.

    Examples
    --------
    >>> from sklearn.kernel_ridge import KernelRidge
    >>> from sklearn.pipeline import make_pipeline
    >>> from skstruct.datasets import make_spd_distributions
    >>> from skstruct.spd import SPDSWKernel
    >>> X, y = make_spd_distributions(n_distributions=20, n_matrices=10, n_channels=3,
    ...                               random_state=0)
    >>> model = make_pipeline(SPDSWKernel(gamma=0.5, random_state=0),
    ...                       KernelRidge(kernel="precomputed")).fit(X, y)
    >>> model.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints = {
        "gamma": [Interval(Real, 0, None, closed="neither"), "array-like"],
        **SPDSWEmbedding._parameter_constraints,
    }

    def __init__(self, gamma=1.0, n_projections=100, n_quantiles=None, metric="log-euclidean",
                 p=2, random_state=None, n_jobs=None):
        self.gamma = gamma
        self.n_projections = n_projections
        self.n_quantiles = n_quantiles
        self.metric = metric
        self.p = p
        self.random_state = random_state
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        return _spd_tags(super().__sklearn_tags__())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Embed the training sets.

        Parameters
        ----------
        X : 5-D or 4-D array, list of arrays or 3-D array
        y : ignored

        Returns
        -------
        self : SPDSWKernel
        """
        embedding = SPDSWEmbedding(
            n_projections=self.n_projections, n_quantiles=self.n_quantiles, metric=self.metric,
            p=self.p, random_state=self.random_state, n_jobs=self.n_jobs,
        )
        bands, _, eighs = embedding._check(X, reset=True)
        gammas = self._check_gamma(len(bands))
        embedding._fit(bands)
        self.train_features_ = np.hstack(embedding._band_features(bands, eighs))
        self.embedding_ = embedding
        self.gammas_ = gammas
        return self

    def _check_gamma(self, n_bands):
        g = np.atleast_1d(np.asarray(self.gamma, dtype=np.float64))
        if g.ndim != 1 or g.size not in (1, n_bands):
            raise ValueError(
                f"gamma: expected a float or one value per band ({n_bands}), got shape "
                f"{np.shape(self.gamma)}."
            )
        if not np.all(np.isfinite(g)) or np.any(g <= 0):
            raise ValueError(f"gamma: every scale must be positive and finite, got {self.gamma}.")
        return np.broadcast_to(g, (n_bands,)).copy()

    def transform(self, X):
        """Kernel values between the sets of ``X`` and the training sets.

        Parameters
        ----------
        X : 5-D or 4-D array, list of arrays or 3-D array

        Returns
        -------
        K : ndarray of shape (n_sets, n_train)
        """
        check_is_fitted(self)
        F = self.embedding_.transform(X).astype(np.float64)
        return self._kernel(F, self.train_features_)

    def fit_transform(self, X, y=None):
        """Fit, then the train x train kernel (shape ``(n_train, n_train)``)."""
        self.fit(X, y)
        K = self._kernel(self.train_features_, self.train_features_)
        np.fill_diagonal(K, float(len(self.gammas_)))
        return K

    def _kernel(self, F, G):
        n_bands = len(self.gammas_)
        width = F.shape[1] // n_bands
        K = np.zeros((F.shape[0], G.shape[0]))
        for b, gamma in enumerate(self.gammas_):
            sl = slice(b * width, (b + 1) * width)
            K += np.exp(-gamma * _minkowski(F[:, sl], G[:, sl], self.p) ** self.p)
        return K

    def get_feature_names_out(self, input_features=None):
        """Names of the kernel columns, ``spdswkernel0`` to ``spdswkernel{n_train - 1}``."""
        check_is_fitted(self)
        return np.asarray([f"spdswkernel{i}" for i in range(self.train_features_.shape[0])],
                          dtype=object)
