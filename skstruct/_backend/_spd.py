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


def spd_eigvalsh(X):
    """Eigenvalues (ascending) of a stack of symmetric matrices, ``(..., n)``."""
    return np.linalg.eigvalsh(X)


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

    Parameters
    ----------
    X : ndarray of shape (n_samples, n, n)
        SPD matrices.
    theta : ndarray of shape (n_projections, n)
        Ascending.
    P : ndarray of shape (n_projections, n, n)
    chunk_bytes : int
        Bound on the temporary ``(chunk, n_samples, n, n)`` array.

    Returns
    -------
    Z : ndarray of shape (n_projections, n_samples)
        Cost ``O(L n_samples n^3)`` flops (one congruence and one Cholesky per
        projection and matrix), memory bounded by ``chunk_bytes``.
    """
    n_samples, n, _ = X.shape
    L = theta.shape[0]
    Z = np.empty((L, n_samples), dtype=np.result_type(X.dtype, theta.dtype))
    per = max(1, int(chunk_bytes // max(1, 8 * n_samples * n * n)))
    for start in range(0, L, per):
        sl = slice(start, min(L, start + per))
        Pc = P[sl]  # (c, n, n)
        M = np.swapaxes(Pc, -1, -2)[:, None] @ X[None] @ Pc[:, None]  # (c, N, n, n)
        M = sym(M)
        C = np.linalg.cholesky(M)
        logd = np.log(np.diagonal(C, axis1=-2, axis2=-1))  # (c, N, n)
        Z[sl] = 2.0 * np.einsum("cni,ci->cn", logd, theta[sl])
    return Z


def second_moment_factor(X):
    """``E_A[<A, X>^2]`` for ``A = P diag(theta) P^T`` (theta uniform, P Haar).

    Closed form ``(2 ||X||_F^2 + trace(X)^2) / (n (n + 2))`` for symmetric
    ``X`` of size ``n`` (derivation: ``E[(theta . y)^2] = ||y||^2 / n`` with
    ``y = diag(P^T X P)`` and ``E[(u^T X u)^2] = (2 ||X||^2 + tr(X)^2) /
    (n (n + 2))`` for ``u`` uniform on the sphere).

    Parameters
    ----------
    X : ndarray of shape (..., n, n)

    Returns
    -------
    m : ndarray of shape (...)
    """
    n = X.shape[-1]
    fro2 = np.sum(X * X, axis=(-1, -2))
    tr = np.trace(X, axis1=-2, axis2=-1)
    return (2.0 * fro2 + tr ** 2) / (n * (n + 2))
