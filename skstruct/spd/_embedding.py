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
from ._validation import check_spd_collection


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

    Attributes
    ----------
    n_channels_ : int
        Size ``n`` of the ``n x n`` matrices.
    n_quantiles_ : int
        ``K`` used.
    projections_ : SPDProjections
        The directions (``theta``, ``eigvecs``, ``directions_vech``).
    n_features_out_ : int
        ``L * K``.

    Notes
    -----
    Input ``X``: a 4-D array ``(n_sets, n_matrices, n, n)``, a list of arrays
    ``(n_matrices_i, n, n)`` (ragged sizes allowed) or a 3-D array
    ``(n_sets, n, n)`` of single matrices. scikit-learn's common checks skip
    this estimator (they need 2-D input); ``tests/spd`` holds its own
    contract tests.

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
    }

    def __init__(self, n_projections=100, n_quantiles=None, metric="log-euclidean", p=2,
                 random_state=None):
        self.n_projections = n_projections
        self.n_quantiles = n_quantiles
        self.metric = metric
        self.p = p
        self.random_state = random_state

    def __sklearn_tags__(self):
        return _spd_tags(super().__sklearn_tags__())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Draw the directions.

        Parameters
        ----------
        X : 4-D array, list of 3-D arrays or 3-D array
            Sets of SPD matrices, see Notes.
        y : ignored

        Returns
        -------
        self : SPDSWEmbedding
        """
        self._fit(check_spd_collection(X, "X")[0])
        return self

    def _fit(self, sets):
        self.n_channels_ = sets[0].shape[1]
        self.n_quantiles_ = (self.n_quantiles if self.n_quantiles is not None
                             else max(s.shape[0] for s in sets))
        self.projections_ = SPDProjections.draw(self.n_projections, self.n_channels_,
                                                self.random_state)
        self.n_features_out_ = self.n_projections * self.n_quantiles_

    def _features(self, sets, eig):
        S = SortedProjections(sets, None, self.projections_, self.metric, eig)
        return S.quantiles(self.n_quantiles_, self.p)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit, then embed ``X`` (validated and decomposed once).

        Parameters
        ----------
        X : 4-D array, list of 3-D arrays or 3-D array
        y : ignored

        Returns
        -------
        F : ndarray of shape (n_sets, n_projections * K)
            ``K`` is the attribute ``n_quantiles_``.
        """
        sets, f32, eig = check_spd_collection(X, "X", return_eigh=self.metric == "log-euclidean")
        self._fit(sets)
        F = self._features(sets, eig)
        return F.astype(np.float32) if f32 else F

    @property
    def _n_features_out(self):
        return self.n_features_out_

    def transform(self, X):
        """Projected-quantile features of each set.

        Parameters
        ----------
        X : 4-D array, list of 3-D arrays or 3-D array
            Sets of SPD matrices, ``n_channels_ x n_channels_``.

        Returns
        -------
        F : ndarray of shape (n_sets, n_projections * K)
            float32 when every input set is float32, else float64.
        """
        check_is_fitted(self)
        sets, f32, eig = check_spd_collection(X, "X", n_channels=self.n_channels_,
                                              return_eigh=self.metric == "log-euclidean")
        F = self._features(sets, eig)
        return F.astype(np.float32) if f32 else F


class SPDSWKernel(TransformerMixin, BaseEstimator):
    """Kernel between distributions of SPD matrices, ``exp(-gamma SPDSW_p^p)``.

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

    Parameters
    ----------
    gamma : float, default=1.0
        Kernel scale.
    n_projections : int, default=100
    n_quantiles : int, default=None
        See :class:`SPDSWEmbedding`.
    metric : {"log-euclidean", "affine-invariant"}, default="log-euclidean"
    p : {1, 2}, default=2
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    embedding_ : SPDSWEmbedding
        Fitted embedding.
    train_features_ : ndarray of shape (n_train, n_features)
        Embedded training sets.

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
        "gamma": [Interval(Real, 0, None, closed="neither")],
        **SPDSWEmbedding._parameter_constraints,
    }

    def __init__(self, gamma=1.0, n_projections=100, n_quantiles=None, metric="log-euclidean",
                 p=2, random_state=None):
        self.gamma = gamma
        self.n_projections = n_projections
        self.n_quantiles = n_quantiles
        self.metric = metric
        self.p = p
        self.random_state = random_state

    def __sklearn_tags__(self):
        return _spd_tags(super().__sklearn_tags__())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Embed the training sets.

        Parameters
        ----------
        X : 4-D array, list of 3-D arrays or 3-D array
        y : ignored

        Returns
        -------
        self : SPDSWKernel
        """
        self.embedding_ = SPDSWEmbedding(
            n_projections=self.n_projections, n_quantiles=self.n_quantiles, metric=self.metric,
            p=self.p, random_state=self.random_state,
        )
        self.train_features_ = self.embedding_.fit_transform(X).astype(np.float64)
        return self

    def transform(self, X):
        """Kernel values between the sets of ``X`` and the training sets.

        Parameters
        ----------
        X : 4-D array, list of 3-D arrays or 3-D array

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
        np.fill_diagonal(K, 1.0)
        return K

    def _kernel(self, F, G):
        D = _minkowski(F, G, self.p)
        return np.exp(-self.gamma * D ** self.p)

    def get_feature_names_out(self, input_features=None):
        """Names of the kernel columns, ``spdswkernel0`` to ``spdswkernel{n_train - 1}``."""
        check_is_fitted(self)
        return np.asarray([f"spdswkernel{i}" for i in range(self.train_features_.shape[0])],
                          dtype=object)
