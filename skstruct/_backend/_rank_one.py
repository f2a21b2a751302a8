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

import math

import numpy as np
from numba import njit

from ._compiled import F1, F2, F3, I1, i8, register


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

# No fastmath: reassociation and fma contraction make results depend on the
# CPU's vector width and instruction set. Compile time (issue 19) grows with
# every statement: scalar loops over elements, no slices, no np.empty (work
# arrays come in), no ``x ** 2`` (a compiled integer power), scalar math from
# ``math``, ``and``/``or`` rather than ``&``/``|`` on booleans, and the two
# covariance rules share one code path. No array views (``P[k]``) and no
# calls to the _vector loops: tried (issue 19), row views passed to them in
# the per-component loop made the stream up to 3.6 times slower at D = 16
# (each view also updates a reference count), for no measurable compile time
# saved. No cfunc wrapper: it is called from Python only.
@njit(cache=True, no_cfunc_wrapper=True)
def igmn_stream(X, sw, start, stop, M, P, stats, params, state, work, work_k):
    """Run the IGMN per-sample procedure on ``X[start:stop]``, in place.

    Each sample ``x`` of weight ``s`` either creates a component (it is novel:
    ``d2_k >= thr`` for every ``k``) or is absorbed by every component in
    proportion to its posterior ``p_k``: ``sp_k += s p_k``, the mean moves by
    ``w e`` with ``w = s p_k / sp_k``, and the precision and log-determinant
    follow a rank-one rule (below). A weight is a fractional count: with the
    exact rule and hard posteriors, weight ``m`` gives the model of ``m``
    repetitions of ``x`` (to rounding).

    The rule. With ``e = x - mu`` (the mean before the update), ``t = P e``
    and ``d2 = e^T t``, both rules are ``C_new = (1 - wc) (C + g e e^T)``, so
    by Sherman-Morrison and the matrix determinant lemma::

        P_new = alpha P + beta t t^T,  alpha = 1 / (1 - wc),
        beta = -alpha g / (1 + g d2),
        log|C_new| = log|C| + D log(1 - wc) + log(1 + g d2).

    **Exact rule** (the weighted running covariance, ``C_new = (1 - wc) C +
    wc (1 - w) e e^T``): ``wc = s p_k / (sp_k + n0 - 1)`` is the weight of the
    covariance (``wc = w`` unless the initial covariance counts as ``n0``
    pseudo-samples) and ``g = wc (1 - w) / (1 - wc)``. It stays positive
    definite for every ``w, wc`` in ``[0, 1)``.

    **IGMN rule** (Heinen, Engel & Pinto), ``C_new = (1 - w) C + w e* e*^T -
    dm dm^T`` with ``e* = (1 - w) e`` and ``dm = w e``: both vectors are
    multiples of ``e``, so ``wc = w`` and ``g = w (1 - w) - w^2 / (1 - w)``.
    It leaves ``C`` indefinite when ``1 + g d2 <= 0`` (``(1 - w)^2 < w`` and
    ``d2`` large); where ``1 + g d2`` is not above ``1e-12`` times the factor
    ``1 + w (1 - w) d2`` of its update part, the exact rule is used instead.

    Parameters
    ----------
    X : ndarray of shape (n_samples, D), C-contiguous float64
    sw : ndarray of shape (n_samples,)
        Positive sample weights.
    start, stop : int
        Rows to process.
    M : ndarray of shape (capacity, D)
        Means; rows ``< K`` are live.
    P : ndarray of shape (capacity, D, D)
        Precisions, exactly symmetric (the loop relies on it) and kept so
        (see Notes).
    stats : ndarray of shape (3, capacity)
        Rows ``log |C_k|``, soft counts ``sp`` and ages (weight seen since
        creation).
    params : ndarray of shape (7 + D,)
        ``[logdet_init, thr, kmax, sp_min, v_min, igmn, n0, p_init_diag]``
        (packed: each argument costs dispatch time on every call, which a
        one-row ``partial_fit`` pays per row):

        - ``logdet_init``: ``log |C_init|``;
        - ``thr``: novelty threshold on the squared Mahalanobis distance;
        - ``kmax``: maximum number of components (``inf``: none);
        - ``sp_min``: pruning count (``<= 0``: no pruning);
        - ``v_min``: pruning age;
        - ``igmn``: 1 for the IGMN covariance rule, 0 for the exact one;
        - ``n0``: weight of the initial covariance, in samples (1 for the
          IGMN rule). A component's covariance is ``(n0 C_init + scatter) /
          (count + n0 - 1)``; a new component of weight ``s`` thus has
          covariance ``n0 C_init / (s + n0 - 1)``;
        - ``p_init_diag`` (``D`` values): diagonal of the precision
          ``C_init^{-1}`` of a new component of weight one.
    state : ndarray of int64 of shape (2,)
        ``[K, created]``: live components and components created so far
        (``created - K`` were pruned); updated in place.
    work : ndarray of shape (2, capacity, D)
        Work array: ``e`` and ``t`` of each component for the current sample
        (rows of ``D``, not ``D + 1`` with ``work_k``: aligned rows vectorize
        ~20% faster at ``D = 64``).
    work_k : ndarray of shape (2, capacity)
        Work array: ``d2`` and the log-posterior of each component.

    Returns
    -------
    next_row : int
        ``stop`` when all rows are done; otherwise row ``next_row`` must
        create a component but the arrays are full: grow and call again from
        there.

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
    D = X.shape[1]
    n0 = params[6]
    K = state[0]
    for i in range(start, stop):
        s = sw[i]
        dmin = math.inf
        lmax = -math.inf
        for k in range(K):
            for a in range(D):
                work[0, k, a] = X[i, a] - M[k, a]
                work[1, k, a] = 0.0
            # t = P e as a sum of rows b of P (P[b, a] == P[a, b] bitwise): each
            # t_a still adds its D terms in the order b = 0, 1, ..., so the
            # result is that of the dot products, but the inner loop runs
            # over contiguous memory with independent sums, which the compiler
            # vectorizes without fastmath (no reassociation).
            for b in range(D):
                eb = work[0, k, b]
                for a in range(D):
                    work[1, k, a] += P[k, b, a] * eb
            s2 = 0.0
            for a in range(D):
                s2 += work[1, k, a] * work[0, k, a]
            work_k[0, k] = s2
            if s2 < dmin:
                dmin = s2
            lp = math.log(stats[1, k]) - 0.5 * (stats[0, k] + s2)
            work_k[1, k] = lp
            if lp > lmax:
                lmax = lp
        if K == 0 or (dmin >= params[1] and K < params[2]):  # create
            if K == M.shape[0]:
                state[0] = K
                return i
            # n0 C_init / (s + n0 - 1): the prior scatter over the count.
            f = (s + n0 - 1.0) / n0
            for a in range(D):
                M[K, a] = X[i, a]
                for b in range(D):
                    P[K, a, b] = 0.0
                P[K, a, a] = f * params[7 + a]
            stats[0, K] = params[0] - D * math.log(f)
            stats[1, K] = s
            stats[2, K] = 0.0  # aged by s below, with the others
            K += 1
            state[1] += 1
        else:
            total = 0.0
            for k in range(K):
                pk = math.exp(work_k[1, k] - lmax)
                work_k[1, k] = pk
                total += pk
            for k in range(K):
                q = s * work_k[1, k] / total
                sp = stats[1, k] + q
                stats[1, k] = sp
                w = q / sp
                wc = q / (sp + n0 - 1.0)
                dk = work_k[0, k]
                g = wc * (1.0 - w) / (1.0 - wc)
                if params[5] != 0.0:  # the IGMN rule
                    wc = w
                    g = w * (1.0 - w) - w * w / (1.0 - w)
                    if 1.0 + g * dk <= 1e-12 * (1.0 + w * (1.0 - w) * dk):
                        g = w * (1.0 - w) / (1.0 - w)  # the exact rule
                if wc * (1.0 + dk) <= 1e-16:
                    continue  # the change would be below rounding
                c = 1.0 + g * dk
                alpha = 1.0 / (1.0 - wc)
                beta = -alpha * g / c
                root = math.sqrt(abs(beta))
                sgn = 1.0 if beta >= 0 else -1.0
                for a in range(D):
                    M[k, a] += w * work[0, k, a]
                    work[1, k, a] *= root
                for a in range(D):
                    ua = sgn * work[1, k, a]
                    for b in range(D):
                        P[k, a, b] = alpha * P[k, a, b] + ua * work[1, k, b]
                stats[0, k] += D * math.log1p(-wc) + math.log(c)
        # Ages, then pruning (counts are positive: none when sp_min <= 0).
        # When every component is due, the strongest stays (so a first one
        # always does). np.int64(0) rather than 0: a literal 0 refined to
        # int64 across the loop costs numba's type inference a third pass.
        n_prune = np.int64(0)
        strongest = np.int64(0)
        for k in range(K):
            stats[2, k] += s
            if stats[2, k] > params[4] and stats[1, k] < params[3]:
                n_prune += 1
            if stats[1, k] > stats[1, strongest]:
                strongest = k
        if n_prune > 0:
            j = np.int64(0)
            for k in range(K):
                if (stats[2, k] > params[4] and stats[1, k] < params[3]
                        and (n_prune < K or k != strongest)):
                    continue
                if j != k:
                    for a in range(D):
                        M[j, a] = M[k, a]
                        for b in range(D):
                            P[j, a, b] = P[k, a, b]
                    stats[0, j] = stats[0, k]
                    stats[1, j] = stats[1, k]
                    stats[2, j] = stats[2, k]
                j += 1
            K = j
    state[0] = K
    return stop


register("igmn_stream", igmn_stream, i8(F2, F1, i8, i8, F2, F3, F2, F1, I1, F3, F2))
