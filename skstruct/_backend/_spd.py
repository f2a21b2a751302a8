"""Batched functions of symmetric (positive definite) matrices.

Every function works on stacks of square matrices of shape ``(..., n, n)``
and maps the eigenvalues through a scalar function after one symmetric
eigendecomposition (LAPACK ``syevd`` through :func:`numpy.linalg.eigh`), so
each costs ``O(n^3)`` flops per matrix and ``O(n^2)`` extra memory per matrix.
Inputs are assumed symmetric: callers validate; only the lower triangle is
read by ``eigh``.

``vech``/``unvech`` half-vectorize symmetric matrices with the off-diagonal
entries scaled by ``sqrt(2)``, so that ``vech(A) @ vech(B) == trace(A @ B)``
and Euclidean norms of vech vectors equal Frobenius norms of the matrices.
"""

import numpy as np
from numba import njit

from ._compiled import F3, I2, b1, register

_SQRT2 = np.sqrt(2.0)


def _matrix_function(X, fn):
    """``V diag(fn(w)) V^T`` where ``X = V diag(w) V^T``; shape ``(..., n, n)``."""
    w, V = np.linalg.eigh(X)
    return (V * fn(w)[..., None, :]) @ np.swapaxes(V, -1, -2)


def sym(X):
    """Symmetric part ``(X + X^T) / 2`` of a stack ``(..., n, n)``."""
    return 0.5 * (X + np.swapaxes(X, -1, -2))


def logm_from_eigh(w, V):
    """``V diag(log w) V^T`` from an eigendecomposition: ``(..., n), (..., n, n)``."""
    return (V * np.log(w)[..., None, :]) @ np.swapaxes(V, -1, -2)


def logm(X):
    """Matrix logarithm of SPD matrices.

    Parameters
    ----------
    X : ndarray of shape (..., n, n)
        Symmetric positive definite matrices.

    Returns
    -------
    L : ndarray of shape (..., n, n)
        Symmetric matrices with ``expm(L) == X``.
    """
    return _matrix_function(X, np.log)


def logm_frechet(w, V, H):
    """Fréchet derivative of the matrix logarithm, ``D log(X)[H]``.

    Daleckii-Krein: with ``X = V diag(w) V^T``,
    ``D log(X)[H] = V (Gamma o (V^T H V)) V^T`` where
    ``Gamma_ab = (log w_a - log w_b) / (w_a - w_b)`` (``1 / w_a`` when
    ``w_a = w_b``) and ``o`` is the entrywise product. The map is
    self-adjoint for the Frobenius inner product, so the same call turns a
    gradient with respect to ``log X`` into one with respect to ``X``.

    Parameters
    ----------
    w : ndarray of shape (..., n)
        Positive eigenvalues of ``X``.
    V : ndarray of shape (..., n, n)
        Eigenvectors (columns).
    H : ndarray of shape (..., n, n)
        Symmetric directions.

    Returns
    -------
    D : ndarray of shape (..., n, n)
        Symmetric; ``O(n^3)`` per matrix.
    """
    wa, wb = w[..., :, None], w[..., None, :]
    diff = wa - wb
    close = np.abs(diff) <= 1e-8 * np.maximum(wa, wb)
    # near-equal eigenvalues: the divided difference is 2 / (wa + wb) up to O(diff^2)
    gamma = np.where(close, 2.0 / (wa + wb),
                     (np.log(wa) - np.log(wb)) / np.where(close, 1.0, diff))
    Vt = np.swapaxes(V, -1, -2)
    return V @ (gamma * (Vt @ H @ V)) @ Vt


def expm(X):
    """Matrix exponential of symmetric matrices, shape ``(..., n, n)`` -> same (SPD)."""
    return _matrix_function(X, np.exp)


def sqrtm(X):
    """Principal square root of SPD matrices, shape ``(..., n, n)`` -> same."""
    return _matrix_function(X, np.sqrt)


def invsqrtm(X):
    """Inverse principal square root ``X^{-1/2}`` of SPD matrices, ``(..., n, n)``."""
    return _matrix_function(X, lambda w: 1.0 / np.sqrt(w))


def powm(X, alpha):
    """Matrix power ``X^alpha`` of SPD matrices, shape ``(..., n, n)`` -> same.

    Parameters
    ----------
    X : ndarray of shape (..., n, n)
    alpha : float
    """
    return _matrix_function(X, lambda w: w ** alpha)


def vech_indices(n):
    """Row and column indices of the upper triangle (diagonal included).

    Returns
    -------
    rows, cols : ndarray of shape (n * (n + 1) // 2,)
    """
    return np.triu_indices(n)


def vech(X):
    """Half-vectorization with ``sqrt(2)``-weighted off-diagonal entries.

    Parameters
    ----------
    X : ndarray of shape (..., n, n)
        Symmetric matrices (the upper triangle is read).

    Returns
    -------
    v : ndarray of shape (..., n * (n + 1) // 2)
        ``v @ w == trace(X @ Y)`` for ``w = vech(Y)``.
    """
    n = X.shape[-1]
    rows, cols = vech_indices(n)
    v = X[..., rows, cols]
    scale = np.where(rows == cols, 1.0, _SQRT2).astype(v.dtype, copy=False)
    return v * scale


def unvech(v, n=None):
    """Inverse of :func:`vech`: ``(..., n (n + 1) / 2)`` -> ``(..., n, n)`` symmetric."""
    m = v.shape[-1]
    if n is None:
        n = int(round((np.sqrt(8 * m + 1) - 1) / 2))
    rows, cols = vech_indices(n)
    scale = np.where(rows == cols, 1.0, 1.0 / _SQRT2).astype(v.dtype, copy=False)
    X = np.zeros(v.shape[:-1] + (n, n), dtype=v.dtype)
    X[..., rows, cols] = v * scale
    X[..., cols, rows] = v * scale
    return X


def is_spd(X, rtol=None, eigvals=None):
    """Which matrices of a stack are symmetric positive definite.

    A matrix passes when it is symmetric up to ``max(1e-8, 100 eps)``
    relative to its largest absolute entry, and its smallest eigenvalue is
    larger than ``rtol * max(|eigenvalue|)`` (default ``rtol = n * eps`` of
    the dtype). Cost: one ``eigvalsh`` per matrix unless ``eigvals`` is given.

    Parameters
    ----------
    X : ndarray of shape (..., n, n)
    rtol : float, default=None
    eigvals : ndarray of shape (..., n), default=None
        Eigenvalues of the symmetric part of ``X`` when already computed.

    Returns
    -------
    ok : ndarray of bool, shape (...)
    symmetric : ndarray of bool, shape (...)
        Whether the symmetry test passed (False explains a failure).
    """
    n = X.shape[-1]
    eps = np.finfo(X.dtype if X.dtype.kind == "f" else np.float64).eps
    scale = np.max(np.abs(X), axis=(-1, -2))
    asym = np.max(np.abs(X - np.swapaxes(X, -1, -2)), axis=(-1, -2))
    symmetric = asym <= max(1e-8, 100 * eps) * np.maximum(scale, np.finfo(np.float64).tiny)
    w = np.linalg.eigvalsh(sym(X)) if eigvals is None else eigvals
    tol = (n * eps if rtol is None else rtol) * np.max(np.abs(w), axis=-1)
    positive = (w[..., 0] > tol) & (w[..., -1] > 0)
    return symmetric & positive, symmetric


def haar_orthogonal(rng, n_matrices, n):
    """Haar-distributed orthogonal matrices.

    QR of Gaussian matrices with the signs of ``diag(R)`` moved into ``Q``
    (Mezzadri 2007), which makes the law exactly Haar.

    Parameters
    ----------
    rng : numpy.random.RandomState
    n_matrices, n : int

    Returns
    -------
    Q : ndarray of shape (n_matrices, n, n)
    """
    G = rng.standard_normal((n_matrices, n, n))
    Q, R = np.linalg.qr(G)
    d = np.sign(np.diagonal(R, axis1=-2, axis2=-1))
    d[d == 0] = 1.0
    return Q * d[:, None, :]


def sample_symmetric_directions(rng, n_projections, n):
    """Random unit-Frobenius-norm symmetric directions ``A = P diag(theta) P^T``.

    ``theta`` is uniform on the unit sphere of ``R^n`` and ``P`` is Haar on
    ``O(n)``, independently: the law of Bonet et al. (2023) for SPDSW. Its
    support is the whole unit sphere of symmetric matrices and it is
    invariant under ``A -> O A O^T`` for any orthogonal ``O``, but it is not
    the uniform law on that sphere.

    Parameters
    ----------
    rng : numpy.random.RandomState
    n_projections, n : int

    Returns
    -------
    theta : ndarray of shape (n_projections, n)
        Sorted in ascending order along axis 1.
    P : ndarray of shape (n_projections, n, n)
        Orthogonal; column ``i`` of ``P[l]`` is the eigenvector of
        ``theta[l, i]`` (columns permuted with the sort).
    """
    theta = rng.standard_normal((n_projections, n))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    P = haar_orthogonal(rng, n_projections, n)
    order = np.argsort(theta, axis=1)
    theta = np.take_along_axis(theta, order, axis=1)
    P = np.take_along_axis(P, order[:, None, :], axis=2)
    return theta, P


def directions_from_eig(theta, P):
    """Symmetric matrices ``P diag(theta) P^T``: ``(L, n), (L, n, n) -> (L, n, n)``."""
    return (P * theta[:, None, :]) @ np.swapaxes(P, -1, -2)


def log_euclidean_coordinates(logX_vech, A_vech):
    """Coordinates ``<A_l, log X_i>_F`` of points on the geodesics ``exp(t A_l)``.

    Under the log-Euclidean metric the geodesic projection of ``X`` on
    ``{exp(t A)}`` (``||A||_F = 1``) is ``exp(<A, log X> A)``.

    Parameters
    ----------
    logX_vech : ndarray of shape (n_samples, m)
        :func:`vech` of the matrix logarithms, ``m = n (n + 1) / 2``.
    A_vech : ndarray of shape (n_projections, m)
        :func:`vech` of the directions.

    Returns
    -------
    Z : ndarray of shape (n_projections, n_samples)
        One GEMM, ``O(L n_samples m)`` flops.
    """
    return A_vech @ logX_vech.T


def affine_invariant_coordinates(X, theta, P, chunk_bytes=2 ** 21):
    """Busemann (horospherical) coordinates under the affine-invariant metric.

    For the geodesic ray ``t -> exp(t A)``, ``A = P diag(theta) P^T`` with
    ``theta`` ascending, the Busemann coordinate of ``X`` is
    ``sum_i theta_i log D_ii`` where ``P^T X P = L D L^T`` (``L`` unit lower
    triangular), that is ``2 sum_i theta_i log chol(P^T X P)_ii``. It equals
    ``t`` at ``X = exp(t A)`` and is constant on horospheres (``P^T X P ->
    N P^T X P N^T`` for unit lower triangular ``N``).

    How: with ``M = P^T X P``, ``D_ii = m_i / m_{i-1}`` for the leading
    principal minors ``m_i = det M[:i, :i]``, and Jacobi's
    complementary-minor identity gives ``m_i = det(X) det(M^{-1}[i:, i:])``
    with ``M^{-1} = P^T X^{-1} P``. So, with ``h = n // 2``,

    ``z = theta_h log det X + sum_{c < h} (theta_c - theta_h) log D_c
    + sum_{c < n - 1 - h} (theta_h - theta_{n-1-c}) log E_c``

    where ``D`` are the pivots of ``M[:h, :h] = Q^T X Q`` (``Q`` the first
    ``h`` columns of ``P``) and ``E`` those of ``Q'^T X^{-1} Q'`` (``Q'`` the
    last ``n - 1 - h`` columns of ``P``, last first). ``det X`` and
    ``X^{-1}`` are computed once per matrix and shared by all directions.
    The two Gram blocks are formed for a chunk of directions and a chunk of
    matrices at a time, as matrix products (:func:`_block_grams`), and
    factorized by a compiled LDL^T loop vectorized over the matrices
    (:func:`_ldl_pivots`). Cost per (direction, matrix) pair: about
    ``n^4 / 4`` flops for ``n <= 16`` and ``3 n^3`` above, against ``2 n^2``
    for the log-Euclidean coordinates once the logarithms are known.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n, n)
        SPD matrices.
    theta : ndarray of shape (n_projections, n)
        Ascending.
    P : ndarray of shape (n_projections, n, n)
    chunk_bytes : int
        Bound on the work buffers (about ``chunk_bytes`` bytes of floats; at
        least one direction and 256 matrices).

    Returns
    -------
    Z : ndarray of shape (n_projections, n_samples)

    Raises
    ------
    numpy.linalg.LinAlgError
        When a matrix is not numerically positive definite.
    """
    X = np.asarray(X, dtype=np.float64)
    n_samples, n, _ = X.shape
    L = theta.shape[0]
    C = np.linalg.cholesky(X)
    logdet = 2.0 * np.sum(np.log(np.diagonal(C, axis1=-2, axis2=-1)), axis=-1)  # (N,)
    h = n // 2
    r = n - 1 - h
    th = theta[:, h:h + 1]
    Z = th * logdet
    if n == 1:
        return Z
    blocks = [(X, P[:, :, :h], theta[:, :h] - th)]
    if r:
        blocks.append((sym(np.linalg.inv(X)), P[:, :, ::-1][:, :, :r], th - theta[:, ::-1][:, :r]))
    m = min(n_samples, 256)  # matrices per chunk
    starts = range(0, n_samples, m)
    for S, Q, w in blocks:
        k = Q.shape[2]
        c = max(1, min(L, int(chunk_bytes // (8 * m * _block_gram_floats(n, k)))))
        S_chunks = [_gram_sample_operand(S[s0:s0 + m]) for s0 in starts]
        for l0 in range(0, L, c):
            sl = slice(l0, min(L, l0 + c))
            Qop, index = _gram_direction_operand(Q[sl])
            for s0, Sop in zip(starts, S_chunks):
                G = _block_grams(Sop, Qop, n, k)
                piv = np.empty((G.shape[0], k, G.shape[2]))
                if not _ldl_pivots(G, index, piv):
                    raise np.linalg.LinAlgError("Matrix is not positive definite")
                Z[sl, s0:s0 + m] += np.einsum("lai,la->li", np.log(piv, out=piv), w[sl])
    return Z


# n^4 / 4 flops per pair in one GEMM with inner dimension n (n + 1) / 2, against 3 n^3 in
# two GEMMs with inner dimension n: the first was faster up to n = 16 on 500 matrices and
# 50 directions, and up to n = 32 on 2000 matrices and 200 directions (one thread; its
# operators cost O(n^4) per direction to build)
_OPERATOR_MAX_N = 16


def _block_gram_floats(n, k):
    """Floats of the buffers of :func:`_block_grams` per direction and matrix."""
    return k * (k + 1) // 2 if n <= _OPERATOR_MAX_N else k * (n + k)


def _gram_sample_operand(S):
    """Matrix side of :func:`_block_grams` for symmetric ``S`` of shape ``(m, n, n)``.

    ``n <= 16``: the upper triangles, ``(n (n + 1) / 2, m)``; larger ``n``:
    ``[S_1 .. S_m]`` side by side, ``(n, n m)``.
    """
    m, n, _ = S.shape
    if n <= _OPERATOR_MAX_N:
        rows, cols = vech_indices(n)
        return np.ascontiguousarray(S[:, rows, cols].T)
    return np.ascontiguousarray(S.transpose(1, 2, 0)).reshape(n, n * m)


def _gram_direction_operand(Q):
    """Direction side of :func:`_block_grams` for ``Q`` of shape ``(c, n, k)``.

    Returns the operand and ``index`` (``(k, k)``, int64): entry ``(a, b)``,
    ``a >= b``, of ``Q_l^T S_i Q_l`` is ``G[l, index[a, b], i]``.
    ``n <= 16``: the linear maps of :func:`_congruence_operators` onto the
    lower triangle, ``(c k (k + 1) / 2, n (n + 1) / 2)``; larger ``n``:
    ``Q^T``, ``(c, k, n)``.
    """
    c, n, k = Q.shape
    if n <= _OPERATOR_MAX_N:
        lower = np.tril_indices(k)
        T = _congruence_operators(Q, *lower)  # (c, n (n + 1) / 2, k (k + 1) / 2)
        index = np.zeros((k, k), dtype=np.int64)
        index[lower] = np.arange(lower[0].size)
        return np.swapaxes(T, 1, 2).reshape(c * lower[0].size, -1), index
    return (np.ascontiguousarray(np.swapaxes(Q, 1, 2)),
            np.arange(k * k, dtype=np.int64).reshape(k, k))


def _block_grams(S_op, Q_op, n, k):
    """Entries of ``Q_l^T S_i Q_l`` for a chunk of directions and matrices.

    Parameters
    ----------
    S_op : ndarray
        From :func:`_gram_sample_operand` (``m`` matrices).
    Q_op : ndarray
        From :func:`_gram_direction_operand` (``c`` directions).
    n, k : int
        ``Q_l`` is ``n x k``.

    Returns
    -------
    G : ndarray of shape (c, n_rows, m)
        Indexed by the ``index`` of :func:`_gram_direction_operand`.

    Notes
    -----
    ``n <= 16``: one GEMM with inner dimension ``n (n + 1) / 2``, ``n^2 k^2
    / 2`` flops per pair. Larger ``n``: ``V_l = Q_l^T [S_1 .. S_m]`` as one
    GEMM, then each row block of ``V_l`` times ``Q_l``, ``2 n^2 k + 2 n k^2``
    flops per pair.
    """
    if n <= _OPERATOR_MAX_N:
        G = Q_op @ S_op
        return G.reshape(-1, k * (k + 1) // 2, S_op.shape[1])
    c = Q_op.shape[0]
    m = S_op.shape[1] // n
    V = Q_op.reshape(c * k, n) @ S_op
    G = np.matmul(Q_op[:, None], V.reshape(c, k, n, m))  # (c, k, k, m): [l, a, b, i]
    return G.reshape(c, k * k, m)


def _congruence_operators(P, out_rows, out_cols):
    """``T[l]`` with ``(P_l^T S P_l)[out_rows, out_cols] = triu(S) @ T[l]`` for symmetric ``S``.

    ``triu(S)`` lists the upper triangle in :func:`vech_indices` order,
    without weights. ``(P^T S P)_jk = sum_{a <= b} S_ab (P_aj P_bk + P_bj P_ak)``
    with only the first term when ``a == b``.

    Parameters
    ----------
    P : ndarray of shape (L, n, k)
    out_rows, out_cols : ndarray of shape (q,)
        Entries of ``P^T S P`` wanted.

    Returns
    -------
    T : ndarray of shape (L, m, q), ``m = n (n + 1) / 2``
    """
    rows, cols = vech_indices(P.shape[1])
    Pr, Pc = P[:, rows, :], P[:, cols, :]  # (L, m, k): P_aj and P_bj for the pair (a, b)
    T = Pr[:, :, out_rows] * Pc[:, :, out_cols]
    off = rows != cols
    T[:, off] += Pc[:, off][:, :, out_rows] * Pr[:, off][:, :, out_cols]
    return T


@njit(cache=True)
def _ldl_pivots(G, index, piv):
    """Pivots of the LDL^T factorizations of many small SPD matrices.

    Matrix ``(l, i)`` has its entry ``(a, b)``, ``a >= b``, at
    ``G[l, index[a, b], i]``; ``piv[l, a, i]`` receives ``D_aa``. The loops
    run over ``i`` innermost (contiguous, no reduction), so they vectorize.
    ``G`` is overwritten. Returns False when a pivot is not positive.
    """
    c, m = G.shape[0], G.shape[2]
    k = index.shape[0]
    f = np.empty(m)
    for l in range(c):
        g = G[l]
        for a in range(k):
            d = g[index[a, a]]
            for i in range(m):
                if not d[i] > 0.0:
                    return False
                piv[l, a, i] = d[i]
            for b in range(a + 1, k):
                gba = g[index[b, a]]
                for i in range(m):
                    f[i] = gba[i] / d[i]
                for e in range(a + 1, b + 1):
                    gbe = g[index[b, e]]
                    gea = g[index[e, a]]
                    for i in range(m):
                        gbe[i] -= f[i] * gea[i]
    return True


register("spd_ldl_pivots", _ldl_pivots, b1(F3, I2, F3))


def second_moment_factor(V, n):
    """``E_A[<A, S>^2]`` for ``A = P diag(theta) P^T`` (theta uniform, P Haar).

    Closed form ``(2 ||S||_F^2 + trace(S)^2) / (n (n + 2))`` for symmetric
    ``S`` of size ``n`` (derivation: ``E[(theta . y)^2] = ||y||^2 / n`` with
    ``y = diag(P^T S P)`` and ``E[(u^T S u)^2] = (2 ||S||^2 + tr(S)^2) /
    (n (n + 2))`` for ``u`` uniform on the sphere).

    Parameters
    ----------
    V : ndarray of shape (..., n (n + 1) / 2)
        ``vech(S)`` (sqrt(2)-weighted, so ``||V|| = ||S||_F``).
    n : int

    Returns
    -------
    m : ndarray of shape (...)
    """
    rows, cols = np.triu_indices(n)
    fro2 = np.sum(V * V, axis=-1)
    tr = np.sum(V[..., rows == cols], axis=-1)
    return (2.0 * fro2 + tr ** 2) / (n * (n + 2))
