"""Generator of points on a union of linear subspaces."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params


def _random_orthonormal(rng, n, k):
    Q, R = np.linalg.qr(rng.standard_normal((n, k)))
    return Q * np.sign(np.diag(R))


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "n_subspaces": [Interval(Integral, 1, None, closed="left")],
        "subspace_dim": [Interval(Integral, 1, None, closed="left")],
        "angle": [Interval(Real, 0, 90, closed="both"), None],
        "noise": [Interval(Real, 0, None, closed="left")],
        "normalize": ["boolean"],
        "shuffle": ["boolean"],
        "return_bases": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_subspaces(n_samples, n_features, n_subspaces=3, subspace_dim=2, *, angle=None,
                   noise=0.0, normalize=True, shuffle=True, return_bases=False,
                   random_state=None):
    """Make points that lie near a union of linear subspaces.

    Each subspace ``k`` has an orthonormal basis ``U_k`` of shape
    ``(n_features, subspace_dim)``; its points are ``U_k a`` with standard
    Gaussian coefficients ``a``, scaled to unit norm when ``normalize`` is
    True, plus isotropic Gaussian noise whose expected norm is ``noise``.

    With ``angle=None`` the bases are independent uniformly random subspaces
    (independent with probability one when
    ``n_features >= n_subspaces * subspace_dim``). With ``angle=theta`` the
    subspaces are equi-angular: every principal angle between any two of them
    equals ``theta`` degrees. This uses ``U_k = cos(phi) B_0 + sin(phi) B_k``
    with mutually orthogonal ``B_0, ..., B_K`` and ``cos(phi)**2 = cos(theta)``
    (then ``U_j^T U_k = cos(theta) I`` for ``j != k``), so it needs
    ``n_features >= subspace_dim * (n_subspaces + 1)``. Small angles make the
    clustering problem hard.

    Parameters
    ----------
    n_samples : int
        Total number of points, split as evenly as possible over the
        subspaces.
    n_features : int
        Ambient dimension.
    n_subspaces : int, default=3
        Number of subspaces.
    subspace_dim : int, default=2
        Dimension of every subspace, ``<= n_features``.
    angle : float in [0, 90] or None, default=None
        Principal angle in degrees between every pair of subspaces, or None
        for random subspaces.
    noise : float, default=0.0
        Expected Euclidean norm of the additive Gaussian noise per point.
    normalize : bool, default=True
        Scale the clean points to unit norm before adding noise.
    shuffle : bool, default=True
        Shuffle the points; otherwise they come grouped by subspace.
    return_bases : bool, default=False
        Also return the bases.
    random_state : int, RandomState instance or None, default=None
        Seeds the bases (drawn first, so the same seed gives the same
        subspaces for any ``n_samples``), the coefficients and the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The points.
    y : ndarray of shape (n_samples,)
        Index of the subspace of each point.
    bases : ndarray of shape (n_subspaces, n_features, subspace_dim)
        Orthonormal bases; only when ``return_bases`` is True.

    Examples
    --------
    >>> from skstruct.datasets import make_subspaces
    >>> X, y = make_subspaces(300, 20, n_subspaces=3, subspace_dim=4, angle=40,
    ...                       random_state=0)
    >>> X.shape, np.bincount(y).tolist()
    ((300, 20), [100, 100, 100])
    """
    rng = check_random_state(random_state)
    d, K, D = subspace_dim, n_subspaces, n_features
    if d > D:
        raise ValueError(f"subspace_dim={d} must be <= n_features={D}.")
    if angle is None:
        bases = np.stack([_random_orthonormal(rng, D, d) for _ in range(K)])
    else:
        if D < d * (K + 1):
            raise ValueError(
                f"angle needs n_features >= subspace_dim * (n_subspaces + 1) = {d * (K + 1)}; "
                f"got n_features={D}. Use angle=None for random subspaces."
            )
        B = _random_orthonormal(rng, D, d * (K + 1))
        c = np.sqrt(np.cos(np.deg2rad(angle)))
        s = np.sqrt(max(1.0 - c * c, 0.0))
        bases = np.stack([c * B[:, :d] + s * B[:, d * (k + 1):d * (k + 2)] for k in range(K)])
    counts = np.full(K, n_samples // K)
    counts[: n_samples % K] += 1
    y = np.repeat(np.arange(K), counts)
    coef = rng.standard_normal((n_samples, d))
    X = np.einsum("nfd,nd->nf", bases[y], coef)
    if normalize:
        X /= np.maximum(np.linalg.norm(X, axis=1, keepdims=True), np.finfo(float).tiny)
    if noise > 0:
        X += rng.standard_normal(X.shape) * (noise / np.sqrt(D))
    if shuffle:
        perm = rng.permutation(n_samples)
        X, y = X[perm], y[perm]
    if return_bases:
        return X, y, bases
    return X, y
