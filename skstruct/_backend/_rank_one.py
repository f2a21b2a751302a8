"""Rank-one updates of precision matrices and log-determinants: the IGMN stream.

The one home of the incremental Gaussian mixture's update formulas. A
component keeps its precision ``P = C^{-1}`` and ``log |C|``; absorbing a
sample ``x`` with relative weight ``w`` (``e = x - mu``, ``t = P e``,
``d2 = e^T t``) changes them by a scaling and one symmetric rank-one
correction, ``P <- alpha P + beta t t^T`` and ``log|C| <- log|C| + dlogdet``,
by Sherman-Morrison and the matrix determinant lemma:
``(C + c u u^T)^{-1} = P - c (P u)(P u)^T / (1 + c u^T P u)`` and
``log|C + c u u^T| = log|C| + log(1 + c u^T P u)``.

Each update costs ``O(D^2)`` per component, against ``O(D^3)`` for
re-inverting; nothing here inverts a matrix except :func:`refresh_precision`,
which removes rounding drift every few thousand updates.
"""

import numpy as np
from numba import njit


def refresh_precision(P, min_eig=1e-12):
    """Re-symmetrize precisions and recompute ``log|C|`` from a factorization.

    Removes the rounding drift that accumulates over long streams of rank-one
    updates. Each matrix is symmetrized, then factorized by Cholesky; where
    the factorization fails (the matrix lost positive definiteness), its
    eigenvalues are clipped from below at ``min_eig`` times the largest one.

    Parameters
    ----------
    P : ndarray of shape (K, D, D)
    min_eig : float, default=1e-12
        Relative floor for clipped eigenvalues.

    Returns
    -------
    P_new : ndarray of shape (K, D, D)
        Symmetric positive definite.
    logdet : ndarray of shape (K,)
        ``log |C| = -log |P_new|``, from the Cholesky diagonal.
    repaired : ndarray of bool of shape (K,)
        Where the eigenvalues had to be clipped.

    Notes
    -----
    Cost ``O(K D^3)``: call it every ``M`` updates for an amortized
    ``O(K D^3 / M)`` per update.
    """
    P = 0.5 * (P + np.swapaxes(P, -1, -2))
    K = P.shape[0]
    logdet = np.empty(K, dtype=P.dtype)
    repaired = np.zeros(K, dtype=bool)
    for k in range(K):
        try:
            L = np.linalg.cholesky(P[k])
            logdet[k] = -2.0 * np.log(np.diag(L)).sum()
        except np.linalg.LinAlgError:
            vals, vecs = np.linalg.eigh(P[k])
            vals = np.maximum(vals, min_eig * max(vals.max(), min_eig))
            R = (vecs * vals) @ vecs.T
            P[k] = 0.5 * (R + R.T)  # exactly symmetric, as the stream needs
            logdet[k] = -np.log(vals).sum()
            repaired[k] = True
    return P, logdet, repaired


# ---------------------------------------------------------------------------
# The IGMN per-sample loop, compiled. Profiling the vectorized numpy version
# showed ~150 us of interpreter overhead per sample (about 25 numpy calls),
# which dominated the O(K D^2) arithmetic up to D ~ 100 (K = 8).

_STREAM_DONE, _STREAM_GROW, _STREAM_REFRESH = 0, 1, 2


@njit(cache=True)
def _update_coefficients(w, wc, d2, D, igmn):
    """``(alpha, beta, dlogdet)`` of one component's update by one sample.

    ``P_new = alpha P + beta t t^T`` and ``log|C_new| = log|C| + dlogdet``,
    with ``e = x - mu`` (the mean before the update), ``t = P e`` and
    ``d2 = e^T P e``.

    **Exact rule** (the weighted running covariance). ``w`` is the weight of
    the mean update and ``wc`` that of the covariance (``wc = w`` unless the
    initial covariance counts as several pseudo-samples)::

        C_new = (1 - wc) C + wc (1 - w) e e^T = (1 - wc) (C + g e e^T),
        g = wc (1 - w) / (1 - wc)
        alpha = 1 / (1 - wc),  beta = -alpha g / (1 + g d2)
        dlogdet = D log(1 - wc) + log(1 + g d2)

    It stays positive definite for every ``w, wc`` in ``[0, 1)``.

    **IGMN rule** (Heinen, Engel & Pinto), ``C_new = (1 - w) C + w e* e*^T -
    dm dm^T`` with ``dm = w e`` and ``e* = (1 - w) e``: a scaling, a rank-one
    update by ``sqrt(w) e*`` and a rank-one downdate by ``dm``. Both vectors
    are multiples of ``e``, so the two Sherman-Morrison steps collapse to one::

        a = 1 + w (1 - w) d2            (update factor)
        g = 1 / (1 - w) - w d2 / a
        b = 1 - w^2 d2 g                (downdate factor)
        alpha = 1 / (1 - w),  beta = -w / a + (w g)^2 / b
        dlogdet = D log(1 - w) + log a + log b

    The rule leaves ``C`` indefinite when ``b <= 0`` (``(1 - w)^2 < w`` and
    ``d2`` large); there the exact rule is used instead.
    """
    if igmn:
        a = 1.0 + w * (1.0 - w) * d2
        g = 1.0 / (1.0 - w) - w * d2 / a
        b = 1.0 - w * w * d2 * g
        if b > 1e-12:
            alpha = 1.0 / (1.0 - w)
            beta = -w / a + (w * g) ** 2 / b
            return alpha, beta, D * np.log1p(-w) + np.log(a) + np.log(b)
    g = wc * (1.0 - w) / (1.0 - wc)
    a = 1.0 + g * d2
    alpha = 1.0 / (1.0 - wc)
    return alpha, -alpha * g / a, D * np.log1p(-wc) + np.log(a)


# No fastmath: reassociation and fma contraction make results depend on the
# CPU's vector width and instruction set. Element loops rather than slice
# assignments (``M[j, :] = M[k, :]``): numba compiles a formatted shape-mismatch
# error, with its string machinery, for every array-to-slice assignment, which
# cost ~5 s of a first call (issue 19).
@njit(cache=True)
def igmn_stream(X, sw, start, M, P, logdet, sp, age, p_init_diag, params, state):
    """Run the IGMN per-sample procedure on ``X[start:]``, in place.

    Each sample ``x`` of weight ``s`` either creates a component (it is novel:
    ``d2_k >= thr`` for every ``k``) or is absorbed by every component in
    proportion to its posterior ``p_k``: ``sp_k += s p_k``, the mean moves by
    ``w e`` with ``w = s p_k / sp_k``, and the precision and log-determinant
    follow the rank-one rule of :func:`_update_coefficients`. A weight is a
    fractional count: with the exact rule and hard posteriors, weight ``m``
    gives the model of ``m`` repetitions of ``x`` (to rounding).

    Parameters
    ----------
    X : ndarray of shape (n_samples, D), C-contiguous float64
    sw : ndarray of shape (n_samples,)
        Positive sample weights.
    start : int
        First row to process.
    M : ndarray of shape (capacity, D)
        Means; rows ``< K`` are live.
    P : ndarray of shape (capacity, D, D)
        Precisions, exactly symmetric (the loop relies on it) and kept so
        (see Notes).
    logdet, sp, age : ndarray of shape (capacity,)
        ``log |C_k|``, soft counts and ages (weight seen since creation).
    p_init_diag : ndarray of shape (D,)
        Diagonal of the precision ``C_init^{-1}`` of a new component of
        weight one.
    params : ndarray of shape (8,)
        ``[logdet_init, thr, kmax, sp_min, v_min, igmn, refresh,
        prior_count]`` (packed: each argument costs dispatch time on every
        call, which a one-row ``partial_fit`` pays per row):

        - ``logdet_init``: ``log |C_init|``;
        - ``thr``: novelty threshold on the squared Mahalanobis distance;
        - ``kmax``: maximum number of components (``<= 0``: none);
        - ``sp_min``: pruning count (``<= 0``: no pruning);
        - ``v_min``: pruning age;
        - ``igmn``: 1 for the IGMN covariance rule, 0 for the exact one;
        - ``refresh``: stop after every ``refresh``-th sample seen (``<= 0``:
          never);
        - ``prior_count``: weight ``n0`` of the initial covariance, in samples
          (the IGMN rule uses 1). A component's covariance is
          ``(n0 C_init + scatter) / (count + n0 - 1)``; a new component of
          weight ``s`` thus has covariance ``n0 C_init / (s + n0 - 1)``.
    state : ndarray of int64 of shape (4,)
        ``[K, n_seen, created, pruned]``: live components, samples seen before
        ``X[start]``, components created and pruned so far; updated in place.

    Returns
    -------
    next_row : int
    status : int
        0: all rows done; 1: a component must be created but the arrays are
        full (``next_row`` not processed yet: grow and call again); 2: a
        refresh is due (``next_row - 1`` was the ``refresh``-th sample).

    Notes
    -----
    Per sample: ``O(K D^2)`` for the Mahalanobis distances and the
    rank-one updates, each matrix read in memory order.

    The correction ``beta t t^T`` is formed as ``sign(beta) u u^T`` with
    ``u = sqrt(|beta|) t``, so entries ``(a, b)`` and ``(b, a)`` are bitwise
    equal and a symmetric ``P`` stays exactly symmetric. This matters: with
    ``alpha > 1`` the antisymmetric part of the rounding error is amplified
    by ``alpha`` at every step and never damped, the instability known from
    recursive least squares with forgetting (Verhaegen, 1989).
    """
    n, D = X.shape
    cap = M.shape[0]
    logdet_init, thr = params[0], params[1]
    kmax, sp_min, v_min = int(params[2]), params[3], params[4]
    igmn, refresh, prior_count = params[5] != 0.0, int(params[6]), params[7]
    K, n_seen = state[0], state[1]
    n0 = 1.0 if igmn else prior_count
    E = np.empty((cap, D))
    T = np.empty((cap, D))
    d2 = np.empty(cap)
    logpost = np.empty(cap)
    for i in range(start, n):
        x = X[i]
        s = sw[i]
        dmin = np.inf
        for k in range(K):
            for a in range(D):
                E[k, a] = x[a] - M[k, a]
                T[k, a] = 0.0
            # t = P e as a sum of rows b of P (P[b, a] == P[a, b] bitwise): each
            # t_a still adds its D terms in the order b = 0, 1, ..., so the
            # result is that of the dot products, but the inner loop runs
            # over contiguous memory with independent sums, which the compiler
            # vectorizes without fastmath (no reassociation).
            for b in range(D):
                eb = E[k, b]
                for a in range(D):
                    T[k, a] += P[k, b, a] * eb
            s2 = 0.0
            for a in range(D):
                s2 += T[k, a] * E[k, a]
            d2[k] = s2
            if s2 < dmin:
                dmin = s2
        create = K == 0 or (dmin >= thr and (kmax <= 0 or K < kmax))
        if create and K == cap:
            state[0], state[1] = K, n_seen
            return i, _STREAM_GROW
        K_old = K
        for k in range(K):
            age[k] += s
        if create:
            # n0 C_init / (s + n0 - 1): the prior scatter over the count.
            f = (s + n0 - 1.0) / n0
            for a in range(D):
                M[K, a] = x[a]
                for b in range(D):
                    P[K, a, b] = 0.0
                P[K, a, a] = f * p_init_diag[a]
            logdet[K] = logdet_init - D * np.log(f)
            sp[K] = s
            age[K] = s
            K += 1
            state[2] += 1
        else:
            lmax = -np.inf
            for k in range(K):
                logpost[k] = np.log(sp[k]) - 0.5 * (logdet[k] + d2[k])
                if logpost[k] > lmax:
                    lmax = logpost[k]
            total = 0.0
            for k in range(K):
                logpost[k] = np.exp(logpost[k] - lmax)
                total += logpost[k]
            for k in range(K):
                q = s * logpost[k] / total
                sp[k] += q
                w = q / sp[k]
                wc = w if igmn else q / (sp[k] + prior_count - 1.0)
                if wc * (1.0 + d2[k]) <= 1e-16:
                    continue  # the change would be below rounding
                alpha, beta, dld = _update_coefficients(w, wc, d2[k], D, igmn)
                root = np.sqrt(abs(beta))
                sgn = 1.0 if beta >= 0 else -1.0
                for a in range(D):
                    M[k, a] += w * E[k, a]
                    T[k, a] *= root
                for a in range(D):
                    ua = sgn * T[k, a]
                    for b in range(D):
                        P[k, a, b] = alpha * P[k, a, b] + ua * T[k, b]
                logdet[k] += dld
        if sp_min > 0 and K_old > 0:
            n_prune = 0
            strongest = 0
            for k in range(K):
                if age[k] > v_min and sp[k] < sp_min:
                    n_prune += 1
                if sp[k] > sp[strongest]:
                    strongest = k
            if n_prune > 0:
                j = 0
                for k in range(K):
                    prune = age[k] > v_min and sp[k] < sp_min
                    if prune and n_prune == K and k == strongest:
                        prune = False  # keep at least the strongest component
                    if prune:
                        state[3] += 1
                        continue
                    if j != k:
                        for a in range(D):
                            M[j, a] = M[k, a]
                            for b in range(D):
                                P[j, a, b] = P[k, a, b]
                        logdet[j] = logdet[k]
                        sp[j] = sp[k]
                        age[j] = age[k]
                    j += 1
                K = j
        n_seen += 1
        if refresh > 0 and n_seen % refresh == 0:
            state[0], state[1] = K, n_seen
            return i + 1, _STREAM_REFRESH
    state[0], state[1] = K, n_seen
    return n, _STREAM_DONE
