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


def affine_invariant_coordinates(X, theta, P, chunk_bytes=2 ** 26):
    """Busemann (horospherical) coordinates under the affine-invariant metric.

    For the geodesic ray ``t -> exp(t A)``, ``A = P diag(theta) P^T`` with
    ``theta`` ascending, the Busemann coordinate of ``X`` is
    ``sum_i theta_i log D_ii`` where ``P^T X P = L D L^T`` (``L`` unit lower
    triangular), that is ``2 sum_i theta_i log chol(P^T X P)_ii``. It equals
    ``t`` at ``X = exp(t A)`` and is constant on horospheres (``P^T X P ->
    N P^T X P N^T`` for unit lower triangular ``N``).

    How (``n <= 16``): with ``M = P^T X P``, ``D_ii = m_i / m_{i-1}`` for the
    leading principal minors ``m_i = det M[:i, :i]``, and Jacobi's
    complementary-minor identity gives ``m_i = det(X) det(M^{-1}[i:, i:])``
    with ``M^{-1} = P^T X^{-1} P``. So, with ``h = n // 2``,

    ``z = theta_h log det X + sum_{c < h} (theta_c - theta_h) log D_c
    + sum_{c < n - 1 - h} (theta_h - theta_{n-1-c}) log E_c``

    where ``D`` are the pivots of ``M[:h, :h]`` and ``E`` those of the
    trailing ``(n - 1 - h)`` block of ``M^{-1}`` taken from its last index.
    ``det X`` and ``X^{-1}`` are computed once per matrix and shared by all
    directions; the two blocks are linear in ``X`` and ``X^{-1}``
    (:func:`_congruence_operators`), so each chunk of directions costs two
    GEMMs and a compiled loop over ``h x h`` and ``(n - 1 - h) x (n - 1 - h)``
    factorizations, about ``n^4 / 8`` flops per pair against ``2 n^3 + n^3 / 3``
    for explicit congruences and Cholesky factorizations (the route taken
    for ``n > 16``). On 2000 8x8 matrices and 200 directions this took
    about a tenth of the time of batched ``matmul`` + ``numpy.linalg.cholesky``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n, n)
        SPD matrices.
    theta : ndarray of shape (n_projections, n)
        Ascending.
    P : ndarray of shape (n_projections, n, n)
    chunk_bytes : int
        Bound on the temporaries (about ``chunk_bytes`` bytes of floats).

    Returns
    -------
    Z : ndarray of shape (n_projections, n_samples)
        Memory bounded by ``chunk_bytes``.

    Raises
    ------
    numpy.linalg.LinAlgError
        When a matrix is not numerically positive definite.
    """
    n_samples, n, _ = X.shape
    L = theta.shape[0]
    Z = np.empty((L, n_samples), dtype=np.float64)
    if n > 16:
        per = max(1, int(chunk_bytes // max(1, 8 * n_samples * n * n)))
        for start in range(0, L, per):
            sl = slice(start, min(L, start + per))
            Pc = P[sl]  # (c, n, n)
            M = sym(np.swapaxes(Pc, -1, -2)[:, None] @ X[None] @ Pc[:, None])  # (c, N, n, n)
            logd = np.log(np.diagonal(np.linalg.cholesky(M), axis1=-2, axis2=-1))  # (c, N, n)
            Z[sl] = 2.0 * np.einsum("cni,ci->cn", logd, theta[sl])
        return Z
    X = np.asarray(X, dtype=np.float64)
    C = np.linalg.cholesky(X)
    logdet = 2.0 * np.sum(np.log(np.diagonal(C, axis1=-2, axis2=-1)), axis=-1)  # (N,)
    Xinv = sym(np.linalg.inv(X))
    h = n // 2
    r = n - 1 - h
    rows, cols = vech_indices(n)
    lead = np.triu_indices(h)  # pairs of M[:h, :h]
    trail = tuple(n - 1 - t for t in np.triu_indices(r))  # pairs of M^{-1}, from the last index
    x = np.ascontiguousarray(X[:, rows, cols])
    xi = np.ascontiguousarray(Xinv[:, rows, cols])
    m1, m2 = lead[0].size, trail[0].size
    per = max(1, int(chunk_bytes // max(1, 8 * n_samples * (2 * (m1 + m2) + n))))
    for start in range(0, L, per):
        sl = slice(start, min(L, start + per))
        c = sl.stop - sl.start
        G1 = x @ np.swapaxes(_congruence_operators(P[sl], *lead), 0, 1).reshape(x.shape[1], -1)
        G2 = xi @ np.swapaxes(_congruence_operators(P[sl], *trail), 0, 1).reshape(x.shape[1], -1)
        piv = np.empty((n_samples, c, n - 1))
        ok = _cholesky_pivots(G1, h, piv[:, :, :h]) & _cholesky_pivots(G2, r, piv[:, :, h:])
        if not ok:
            raise np.linalg.LinAlgError("Matrix is not positive definite")
        th = theta[sl]
        w = np.concatenate([th[:, :h] - th[:, h:h + 1], th[:, h:h + 1] - th[:, ::-1][:, :r]],
                           axis=1)  # (c, n - 1)
        Z[sl] = np.einsum("icj,cj->ci", np.log(piv), w) + th[:, h:h + 1] * logdet
    return Z


def _congruence_operators(P, out_rows, out_cols):
    """``T[l]`` with ``(P_l^T S P_l)[out_rows, out_cols] = triu(S) @ T[l]`` for symmetric ``S``.

    ``triu(S)`` lists the upper triangle in :func:`vech_indices` order,
    without weights. ``(P^T S P)_jk = sum_{a <= b} S_ab (P_aj P_bk + P_bj P_ak)``
    with only the first term when ``a == b``.

    Parameters
    ----------
    P : ndarray of shape (L, n, n)
    out_rows, out_cols : ndarray of shape (k,)
        Entries of ``P^T S P`` wanted.

    Returns
    -------
    T : ndarray of shape (L, m, k), ``m = n (n + 1) / 2``
    """
    rows, cols = vech_indices(P.shape[-1])
    Pr, Pc = P[:, rows, :], P[:, cols, :]  # (L, m, n): P_aj and P_bj for the pair (a, b)
    T = Pr[:, :, out_rows] * Pc[:, :, out_cols]
    off = rows != cols
    T[:, off] += Pc[:, off][:, :, out_rows] * Pr[:, off][:, :, out_cols]
    return T


@njit(cache=True)
def _cholesky_pivots(G, k, piv):
    """Pivots of the Cholesky factorizations of many small SPD matrices.

    ``G[i, l * m:(l + 1) * m]`` (``m = k (k + 1) / 2``) holds the upper
    triangle, row by row, of a ``k x k`` matrix ``M = U^T U``; ``piv[i, l]``
    receives ``U_aa^2``, ``a = 0 .. k - 1``. ``G`` is overwritten. Returns
    False when a pivot is not positive.
    """
    N, L = piv.shape[0], piv.shape[1]
    m = k * (k + 1) // 2
    off = np.empty(k, np.int64)
    for a in range(k):
        off[a] = a * k - a * (a - 1) // 2 - a  # entry (a, b) of a block sits at off[a] + b
    for i in range(N):
        g = G[i]
        for l in range(L):
            base = l * m
            for a in range(k):
                ra = base + off[a]
                s = g[ra + a]
                for c in range(a):
                    u = g[base + off[c] + a]
                    s -= u * u
                if not s > 0.0:
                    return False
                piv[i, l, a] = s
                q = 1.0 / np.sqrt(s)
                for b in range(a + 1, k):
                    t = g[ra + b]
                    for c in range(a):
                        rc = base + off[c]
                        t -= g[rc + a] * g[rc + b]
                    g[ra + b] = t * q
    return True


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
