"""Per-cluster linear subspaces and residual assignment (out-of-sample subspace clustering).

:func:`fit_cluster_subspaces` fits one linear subspace per cluster to the
unit-norm rows of its members (SVD, dimension from the spectrum or given),
with one trimming step against mislabeled members;
:func:`subspace_residuals` gives, for each point and cluster, the squared
sine of the angle between the point and the subspace, computed in row blocks.
"""

import numpy as np

# Rows per block of residuals: a block holds rows x (sum of dims) floats.
_BLOCK_ROWS = 8192


def _dim_from_spectrum(s, energy, cap, shape):
    """Dimension from the singular values ``s`` of an ``shape`` matrix, ``<= cap``.

    The smaller of: the smallest ``d`` whose leading ``s[:d] ** 2`` hold
    ``energy`` of the total, and the number of singular values above the
    Gavish-Donoho hard threshold for unknown noise, ``omega(beta) *
    median(s)`` (``beta`` the aspect ratio): on noisy points the energy
    rule alone counts noise directions (9 or 10 for 5-dimensional subspaces
    with 30% noise in R^30), which then attract points of other clusters.
    """
    e = np.cumsum(s * s)
    if e.size == 0 or e[-1] <= 0:
        return 1
    d = int(np.searchsorted(e, energy * e[-1] * (1 - 1e-12)) + 1)
    beta = min(shape) / max(shape)
    omega = 0.56 * beta ** 3 - 0.95 * beta ** 2 + 1.82 * beta + 1.43
    d = min(d, int(np.sum(s > omega * np.median(s))))
    return max(1, min(d, cap))


def _basis(Xk, dim, energy, cap):
    _, s, Vt = np.linalg.svd(Xk, full_matrices=False)
    d = min(dim, cap, s.size) if dim is not None else _dim_from_spectrum(s, energy, cap,
                                                                         Xk.shape)
    return Vt[:d].T.copy()


def fit_cluster_subspaces(X, labels, n_clusters, *, dim=None, energy=0.95):
    """A linear subspace through the origin for each cluster, from its members.

    For cluster ``k``, the SVD of its member rows gives the basis; its
    dimension is ``dim`` (clipped to what the members span) or, with
    ``dim=None``, the smallest one whose leading singular values hold
    ``energy`` of the members' squared norm. The dimension is also kept
    below ``n_features`` (a subspace filling the space would fit every
    point) and below the cluster size when it has at least two members.
    Then the members whose residual is far above the cluster's typical
    residual (more than ``median + 5 * 1.4826 * MAD``, i.e. points that more
    likely belong elsewhere) are dropped and the subspace is fitted again.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Points, unit-norm rows.
    labels : ndarray of shape (n_samples,), int
        Cluster of each point, in ``[0, n_clusters)``.
    n_clusters : int
    dim : int or None, default=None
        Dimension of every subspace; None chooses it per cluster.
    energy : float in (0, 1], default=0.95
        Share of the squared norm kept when ``dim`` is None.

    Returns
    -------
    bases : list of n_clusters ndarrays of shape (n_features, d_k)
        Orthonormal columns. An empty cluster gets a zero-column basis
        (every point then has residual 1 to it).
    """
    X = np.asarray(X, dtype=np.float64)
    D = X.shape[1]
    bases = []
    for k in range(n_clusters):
        Xk = X[labels == k]
        if Xk.shape[0] == 0:
            bases.append(np.zeros((D, 0)))
            continue
        cap = max(1, min(D - 1, Xk.shape[0] - 1)) if Xk.shape[0] > 1 else 1
        U = _basis(Xk, dim, energy, cap)
        res = _sq_residual(Xk, U)
        med = np.median(res)
        mad = np.median(np.abs(res - med))
        keep = res <= med + 5 * 1.4826 * mad + 1e-10
        if 0 < keep.sum() < Xk.shape[0]:
            Xk = Xk[keep]
            cap = max(1, min(D - 1, Xk.shape[0] - 1)) if Xk.shape[0] > 1 else 1
            U = _basis(Xk, dim, energy, cap)
        bases.append(U)
    return bases


def _sq_residual(X, U):
    P = X @ U
    return np.maximum(np.einsum("ij,ij->i", X, X) - np.einsum("ij,ij->i", P, P), 0.0)


def subspace_residuals(X, bases):
    """Squared distance of each row of ``X`` to each subspace.

    For unit-norm rows this is ``sin^2`` of the angle between the point and
    the subspace: ``||x||^2 - ||U_k^T x||^2``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    bases : list of ndarrays of shape (n_features, d_k), orthonormal columns

    Returns
    -------
    residuals : ndarray of shape (n_samples, n_clusters)

    Notes
    -----
    Cost ``O(n D sum_k d_k)``, one GEMM per block of rows; memory
    ``O(block * sum_k d_k)``.
    """
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    K = len(bases)
    U = np.hstack(bases) if K else np.zeros((X.shape[1], 0))
    # column j of U belongs to cluster owner[j]: summing P**2 by owner is one product
    owner = np.zeros((U.shape[1], K))
    owner[np.arange(U.shape[1]), np.repeat(np.arange(K), [b.shape[1] for b in bases])] = 1.0
    out = np.empty((n, K))
    for a in range(0, n, _BLOCK_ROWS):
        Xb = X[a:a + _BLOCK_ROWS]
        P = Xb @ U
        out[a:a + _BLOCK_ROWS] = np.maximum(
            np.einsum("ij,ij->i", Xb, Xb)[:, None] - (P * P) @ owner, 0.0)
    return out
