"""Per-cluster linear subspaces, residual assignment and sampling for subspace clustering.

:func:`fit_cluster_subspaces` fits one linear subspace per cluster to the
unit-norm rows of its members (SVD, dimension from the spectrum or given),
with one trimming step against mislabeled members;
:func:`subspace_residuals` gives, for each point and cluster, the squared
sine of the angle between the point and the subspace, computed in row blocks.
For the sample-then-assign route, :func:`sample_size_from_rank` sizes the
sample from the dimension of the data's span and :func:`angular_d2_sample`
draws it k-means++-style in the geometry of lines through the origin.
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
    ``s`` of shape ``(..., k)`` (descending along the last axis) gives an
    integer array of shape ``(...)``, one dimension per spectrum.
    """
    s = np.asarray(s, dtype=np.float64)
    if s.shape[-1] == 0:
        return np.ones(s.shape[:-1], dtype=np.int64) if s.ndim > 1 else 1
    e = np.cumsum(s * s, axis=-1)
    d = np.sum(e < energy * e[..., -1:] * (1 - 1e-12), axis=-1) + 1
    beta = min(shape) / max(shape)
    omega = 0.56 * beta ** 3 - 0.95 * beta ** 2 + 1.82 * beta + 1.43
    d = np.minimum(d, np.sum(s > omega * np.median(s, axis=-1, keepdims=True), axis=-1))
    d = np.where(e[..., -1] > 0, np.clip(d, 1, cap), 1).astype(np.int64)
    return d if s.ndim > 1 else int(d)


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


def sample_size_from_rank(X, n_clusters, rng, *, per_dim=20, floor=2000):
    """Sample size for sample-then-assign: ``per_dim`` points per dimension of the span.

    ``r`` is the dimension of the span of the data: the number of singular
    values of ``floor`` random rows above a tenth of the largest (directions
    with at least 1% of the leading one's energy; not the Gavish-Donoho
    threshold of :func:`_dim_from_spectrum`, which reads the noise level off
    the median singular value, a signal one when the union spans most of
    the space). For orthogonal subspaces ``r`` is the sum of their
    dimensions, so each gets ``per_dim`` points per dimension; dependent
    subspaces are capped by ``n_features``, so each then gets fewer; noise
    above a tenth of the signal makes ``r`` larger. The
    result is ``min(n, max(floor, per_dim * max(r, n_clusters)))``: below
    ``floor`` points the full method is cheap.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Unit-norm rows.
    n_clusters : int
    rng : numpy.random.RandomState
        Draws the rows of the estimate (only when ``n_samples > floor``).
    per_dim, floor : int

    Returns
    -------
    m : int
    """
    n, D = X.shape
    if n <= floor:
        return n
    rows = X[rng.choice(n, floor, replace=False)]
    sv = np.linalg.svd(rows, compute_uv=False)
    r = int(np.sum(sv > 0.1 * sv[0]))
    return int(min(n, max(floor, per_dim * max(r, n_clusters))))


def angular_d2_sample(X, m, rng):
    """``m`` distinct rows drawn k-means++-style, by the angle to the rows already drawn.

    The weight of a point is ``d2(x) = ||x||^2 - max_s (x . s / ||s||)^2``
    over the drawn rows ``s``: ``||x||^2`` times the squared sine of the
    smallest angle between ``x`` and a drawn point (for unit-norm rows, the
    squared sine), i.e. the k-means++ D^2 weight on
    lines through the origin (``x`` and ``-x`` are the same point of a
    subspace). A region of a subspace that already has a drawn point nearby
    in angle gets little weight, so each subspace gets points in proportion
    to the extent it covers rather than to its number of points (small
    subspaces are not starved as under uniform sampling). The first row is
    uniform among the nonzero rows; then rounds draw as many rows as are
    already drawn (1, 1, 2, 4, ...), without replacement with probability
    proportional to ``d2`` (exponential keys ``E / d2``, the smallest win),
    and ``d2`` is updated by one product with the new rows. Rows with
    ``d2 <= 1e-12 ||x||^2`` (duplicates, zero rows) come last, in random order.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    m : int, ``1 <= m <= n_samples``
    rng : numpy.random.RandomState

    Returns
    -------
    idx : ndarray of shape (m,), int64
        Sorted row indices.

    Notes
    -----
    Cost ``O(n m D)`` in all (products of row blocks with each round's new
    rows) plus ``O(n)`` per round, ``log2(m) + 1`` rounds; memory
    ``O(n + block * m)``.
    """
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    sq = np.einsum("ij,ij->i", X, X)
    d2 = sq.copy()
    taken = np.zeros(n, dtype=bool)
    count = 0
    while count < m:
        b = min(max(count, 1), m - count)
        e = rng.exponential(size=n)
        # weights at rounding level (d2 <= 1e-12 ||x||^2: duplicates of drawn rows,
        # zero rows) count as zero and come after every positive one, in random order
        pos = d2 > 1e-12 * sq
        key = np.full(n, np.inf)
        key[pos] = e[pos] / d2[pos]
        last = ~pos & ~taken
        key[last] = np.finfo(float).max * (e[last] / (1.0 + e[last]))
        key[taken] = np.inf
        new = np.argpartition(key, b - 1)[:b] if b < n else np.arange(n)
        taken[new] = True
        count += b
        Xnew = X[new]
        nrm = np.sqrt(sq[new])
        Xnew = np.divide(Xnew, nrm[:, None], out=np.zeros_like(Xnew), where=nrm[:, None] > 0)
        for a in range(0, n, _BLOCK_ROWS):
            P = X[a:a + _BLOCK_ROWS] @ Xnew.T
            big = np.maximum(P.max(axis=1), -P.min(axis=1))  # max |x . s|, no temporary
            np.minimum(d2[a:a + _BLOCK_ROWS], sq[a:a + _BLOCK_ROWS] - big * big,
                       out=d2[a:a + _BLOCK_ROWS])
        d2[taken] = 0.0
        np.maximum(d2, 0.0, out=d2)
    return np.flatnonzero(taken).astype(np.int64)
