"""Partial singular value decompositions and singular value thresholding.

Only the leading singular triplets are computed. The randomized routine
accepts a warm start (a previous estimate of the right singular subspace),
which is what iterative solvers such as principal component pursuit need: the
matrix changes little between iterations, so a subspace iteration started from
the last right singular vectors converges in one or two passes.

Cost of one call on an ``(m, n)`` matrix for ``k`` triplets: ``O(m n k)``
flops per pass over ``A`` plus ``O((m + n) k^2)`` for orthogonalization.
"""

import numpy as np
from scipy import linalg

# Above this fraction of min(m, n) a dense thin SVD (LAPACK gesdd) costs about
# as much as the randomized passes and is exact, so we switch to it.
_FULL_SVD_FRACTION = 0.4


def _householder_qr(Y):
    return linalg.qr(Y, mode="economic", check_finite=False)


def _qr_tall(Y):
    """Thin QR ``Y = Q R`` of a tall ``(m, k)`` matrix, ``m >= k``.

    Cholesky QR twice (two Gram matrices and two triangular solves, all
    BLAS-3; about 5x faster than a Householder QR of a thin panel), which
    gives an orthonormal ``Q`` to machine precision when the condition number
    of ``Y`` is below about ``1e6`` (Yamamoto et al. 2015). Above that, or if
    a Cholesky factorization fails, Householder QR.
    """
    if Y.shape[0] < 2 * Y.shape[1]:
        return _householder_qr(Y)
    Q = Y
    R = None
    for _ in range(2):
        G = Q.T @ Q
        try:
            C = linalg.cholesky(G, lower=False, check_finite=False)
        except linalg.LinAlgError:
            return _householder_qr(Y)
        d = np.abs(np.diag(C))
        if R is None and not d.min() > 1e-6 * d.max():
            return _householder_qr(Y)  # too ill-conditioned for Cholesky QR
        # Q C^{-1}, as the transpose of a triangular solve with C^T
        Q = linalg.solve_triangular(C, Q.T, trans="T", check_finite=False).T
        R = C if R is None else C @ R
    return Q, R


def _orthonormalize(Y):
    return _qr_tall(Y)[0]


def rayleigh_ritz(A, Y):
    """Singular triplets of ``A`` restricted to the range of ``Y``.

    With ``Q`` an orthonormal basis of ``range(Y)``, returns the SVD of
    ``Q Q^T A``: two passes over ``A`` are ``A @ .`` (done by the caller, to
    form ``Y``) and ``A.T @ Q`` here; the rest is ``O((m + n) k^2)``.

    Parameters
    ----------
    A : ndarray or LinearOperator-like of shape (m, n)
    Y : ndarray of shape (m, k)
        Sketch of the range of ``A``, ``k <= min(m, n)``.

    Returns
    -------
    U : ndarray of shape (m, k)
    s : ndarray of shape (k,)
        Decreasing.
    Vt : ndarray of shape (k, n)
    """
    Q = _orthonormalize(Y)
    Bt = A.T @ Q  # (n, k): B = Q^T A = Bt^T
    Qb, Rb = _qr_tall(Bt)
    Ur, s, Wt = full_svd(Rb)  # Bt = (Qb Ur) s Wt, so B = Wt^T s (Qb Ur)^T
    return Q @ Wt.T, s, (Qb @ Ur).T


def _lu_normalize(Y):
    # Cheap re-normalization between power iterations (keeps the span, about
    # 6x faster than a Householder QR); the final basis still gets a QR.
    return linalg.lu(Y, permute_l=True, overwrite_a=True, check_finite=False)[0]


def full_svd(A):
    """Thin SVD of a dense matrix, singular values in decreasing order.

    Parameters
    ----------
    A : ndarray of shape (m, n)

    Returns
    -------
    U : ndarray of shape (m, min(m, n))
    s : ndarray of shape (min(m, n),)
    Vt : ndarray of shape (min(m, n), n)
    """
    try:
        return linalg.svd(A, full_matrices=False, check_finite=False, lapack_driver="gesdd")
    except linalg.LinAlgError:  # gesdd can fail to converge; gesvd is slower but robust
        return linalg.svd(A, full_matrices=False, check_finite=False, lapack_driver="gesvd")


def randomized_svd(A, k, *, n_iter=2, n_oversamples=10, V0=None, random_state=None):
    """Leading ``k`` singular triplets by randomized subspace iteration.

    Parameters
    ----------
    A : ndarray or LinearOperator-like of shape (m, n)
        Anything supporting ``A @ X`` and ``A.T @ X``.
    k : int
        Number of triplets returned, ``1 <= k <= min(m, n)``.
    n_iter : int, default=2
        Power (subspace) iterations; each costs two passes over ``A``.
    n_oversamples : int, default=10
        Extra sketch columns beyond ``k``.
    V0 : ndarray of shape (n, j), optional
        Warm start: columns spanning an estimate of the leading right singular
        subspace (for instance ``Vt.T`` from a previous call). They replace the
        first ``j`` Gaussian sketch columns.
    random_state : numpy.random.Generator or int or None

    Returns
    -------
    U : ndarray of shape (m, k)
    s : ndarray of shape (k,)
        Decreasing.
    Vt : ndarray of shape (k, n)
    """
    m, n = A.shape
    ell = min(k + n_oversamples, m, n)
    rng = np.random.default_rng(random_state)
    dtype = A.dtype if np.issubdtype(A.dtype, np.floating) else np.float64
    Omega = rng.standard_normal((n, ell)).astype(dtype, copy=False)
    if V0 is not None and V0.shape[1] > 0:
        j = min(V0.shape[1], ell)
        Omega[:, :j] = V0[:, :j]
    Q = A @ Omega
    for _ in range(n_iter):
        Q = _lu_normalize(Q)
        Z = _lu_normalize(A.T @ Q)
        Q = A @ Z
    U, s, Vt = rayleigh_ritz(A, Q)
    return U[:, :k], s[:k], Vt[:k]


def partial_svd(A, k, *, V0=None, n_iter=2, random_state=None):
    """Leading ``k`` singular triplets, choosing the cheaper exact-enough method.

    A dense thin SVD when ``k`` is a large fraction of ``min(m, n)`` (or the
    matrix is small), randomized subspace iteration otherwise.

    Parameters
    ----------
    A : ndarray of shape (m, n)
    k : int
    V0 : ndarray of shape (n, j), optional
        Warm start for the randomized method.
    n_iter : int, default=2
    random_state : numpy.random.Generator or int or None

    Returns
    -------
    U : ndarray of shape (m, k)
    s : ndarray of shape (k,)
    Vt : ndarray of shape (k, n)
    """
    m, n = A.shape
    p = min(m, n)
    k = int(min(max(k, 1), p))
    if p <= 50 or k >= _FULL_SVD_FRACTION * p:
        U, s, Vt = full_svd(A)
        return U[:, :k], s[:k], Vt[:k]
    return randomized_svd(A, k, n_iter=n_iter, V0=V0, random_state=random_state)


def svt(A, tau, *, rank_guess=10, V0=None, n_iter=2, random_state=None):
    """Singular value thresholding computing only the triplets above ``tau``.

    Returns the factors of ``U diag(max(s - tau, 0)) Vt``, the proximal
    operator of ``tau * ||.||_*`` at ``A``. The number of computed triplets
    starts at ``rank_guess`` and doubles until a computed singular value falls
    at or below ``tau`` (or all ``min(m, n)`` are computed), so the cost is
    ``O(m n r)`` for a result of rank ``r``.

    Parameters
    ----------
    A : ndarray of shape (m, n)
    tau : float
        Threshold, ``>= 0``.
    rank_guess : int, default=10
        Number of triplets to compute first.
    V0 : ndarray of shape (n, j), optional
        Warm start (previous right singular vectors as columns).
    n_iter : int, default=2
        Subspace iterations of the randomized SVD.
    random_state : numpy.random.Generator or int or None

    Returns
    -------
    U : ndarray of shape (m, r)
    s : ndarray of shape (r,)
        Thresholded singular values ``s_i - tau > 0``.
    Vt : ndarray of shape (r, n)
    n_computed : int
        Number of triplets computed in the last attempt (useful to predict
        the next ``rank_guess``).
    """
    p = min(A.shape)
    k = int(min(max(rank_guess, 1), p))
    rng = np.random.default_rng(random_state)
    while True:
        U, s, Vt = partial_svd(A, k, V0=V0, n_iter=n_iter, random_state=rng)
        if k >= p or s[-1] <= tau:
            break
        V0 = Vt.T
        k = min(2 * k, p)
    r = int(np.count_nonzero(s > tau))
    return U[:, :r], s[:r] - tau, Vt[:r], k


def svt_subspace_step(A, tau, V, size, *, tol_angle=None, max_passes=3, random_state=None):
    """Singular value thresholding by warm-started subspace iteration.

    For a sequence of slowly changing matrices (the iterations of principal
    component pursuit): ``V`` spans an estimate of the leading right singular
    subspace of ``A`` (the previous call's ``V_next``), and a step
    ``Y = A @ V`` followed by :func:`rayleigh_ritz` refines it: two passes
    over ``A``, ``4 m n size`` flops. The step is repeated (at most
    ``max_passes`` times) while the sine of the largest principal angle
    between the kept right singular subspace and the one before the step is
    above ``tol_angle``. If every computed singular value is above ``tau``
    the subspace may be too small: ``size`` grows by half and the step is repeated
    with Gaussian columns added. When ``size`` reaches ``0.4 min(m, n)`` a
    dense SVD is used instead (exact).

    Parameters
    ----------
    A : ndarray of shape (m, n)
    tau : float
        Threshold, ``>= 0``.
    V : ndarray of shape (n, j)
        Warm start with orthonormal columns; columns past ``size`` are
        dropped, missing ones are Gaussian.
    size : int
        Subspace dimension, ``1 <= size <= min(m, n)``.
    tol_angle : float or None, default=None
        None: one step.
    max_passes : int, default=3
        Most steps when ``tol_angle`` is set.
    random_state : numpy.random.Generator or int or None

    Returns
    -------
    U : ndarray of shape (m, r)
    s : ndarray of shape (r,)
        Thresholded singular values ``s_i - tau > 0``.
    Vt : ndarray of shape (r, n)
    V_next : ndarray of shape (n, size)
        Right Ritz vectors (above and below ``tau``), orthonormal, the warm
        start for the next call.
    """
    m, n = A.shape
    p = min(m, n)
    size = int(min(max(size, 1), p))
    rng = np.random.default_rng(random_state)
    passes = 0
    while True:
        if p <= 50 or size >= _FULL_SVD_FRACTION * p:
            U, s, Vt = full_svd(A)
            size = min(max(size, int(np.count_nonzero(s > tau)) + 1), p)
            U, s, Vt = U[:, :size], s[:size], Vt[:size]
            break
        j = V.shape[1]
        if j >= size:
            V = V[:, :size]
        else:
            V = _orthonormalize(np.hstack([V, rng.standard_normal((n, size - j))]))
        U, s, Vt = rayleigh_ritz(A, A @ V)
        passes += 1
        if s[-1] > tau and size < p:
            V = Vt.T
            size = min(size + max(size // 2, 1), p)
            continue
        if tol_angle is None or passes >= max_passes:
            break
        r = int(np.count_nonzero(s > tau))
        if r == 0:
            break
        # cosines of the principal angles between span(V) and the kept vectors
        cos = linalg.svd(V.T @ Vt[:r].T, compute_uv=False, check_finite=False)
        if np.sqrt(max(1.0 - cos.min() ** 2, 0.0)) <= tol_angle:
            break
        V = Vt.T
    r = int(np.count_nonzero(s > tau))
    return U[:, :r], s[:r] - tau, Vt[:r], Vt.T
