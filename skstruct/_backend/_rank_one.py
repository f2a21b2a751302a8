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
# The IGMN stream: a numpy driver (component creation, pruning, refresh stops)
# around one compiled loop over the rows that only update existing components.
# Profiling the vectorized numpy version showed ~150 us of interpreter
# overhead per sample (about 25 numpy calls), which dominated the O(K D^2)
# arithmetic up to D ~ 100 (K = 8); creations and prunings are rare events,
# so they return to numpy, which keeps the compiled code small (issue 19:
# its first compile costs about half of the former all-in-one loop's).

_STREAM_DONE, _STREAM_GROW, _STREAM_REFRESH = 0, 1, 2
_EVENT_NONE, _EVENT_CREATE, _EVENT_PRUNE, _EVENT_GROW = 0, 1, 2, 4


def igmn_stream(X, sw, start, M, P, logdet, sp, age, p_init_diag, params, state, work=None):
    """Run the IGMN per-sample procedure on ``X[start:]``, in place.

    Each sample ``x`` of weight ``s`` either creates a component (it is novel:
    ``d2_k >= thr`` for every ``k``) or is absorbed by every component in
    proportion to its posterior ``p_k``: ``sp_k += s p_k``, the mean moves by
    ``w e`` with ``w = s p_k / sp_k``, and the precision and log-determinant
    follow the rank-one rule of :func:`_absorb`. A weight is a fractional
    count: with the exact rule and hard posteriors, weight ``m`` gives the
    model of ``m`` repetitions of ``x`` (to rounding). After each sample, the
    components older than ``v_min`` with a count below ``sp_min`` are removed,
    keeping at least the strongest one.

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
        (see :func:`_absorb`).
    logdet, sp, age : ndarray of shape (capacity,)
        ``log |C_k|``, soft counts and ages (weight seen since creation).
    p_init_diag : ndarray of shape (D,)
        Diagonal of the precision ``C_init^{-1}`` of a new component of
        weight one.
    params : ndarray of shape (8,)
        ``[logdet_init, thr, kmax, sp_min, v_min, igmn, refresh,
        prior_count]`` (packed: each argument of the compiled loop costs
        dispatch time on every call, which a one-row ``partial_fit`` pays per
        row):

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
    work : tuple of arrays, default=None
        :func:`stream_work` of the capacity and ``D``, reused across calls
        (``None``: allocated here).

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
    rank-one updates, each matrix read in memory order; a creation or a
    pruning adds ``O(K D^2)`` of numpy work and one more call of the loop.
    """
    n, D = X.shape
    cap = M.shape[0]
    refresh = int(params[6])
    E, T, d2, post = stream_work(cap, D) if work is None else work
    K, n_seen = int(state[0]), int(state[1])
    i, status = start, _STREAM_DONE
    while i < n:
        stop = n if refresh <= 0 else min(n, i + refresh - n_seen % refresh)
        j, event = _absorb(X, sw, i, stop, K, M, P, logdet, sp, age, E, T, d2, post, params)
        n_seen += j - i
        if event == _EVENT_GROW:
            i, status = j, _STREAM_GROW
            break
        if event & _EVENT_CREATE:
            _create(K, X[j], sw[j], M, P, logdet, sp, age, p_init_diag, params)
            K += 1
            state[2] += 1
            n_seen += 1
            j += 1
        i = j
        if event & _EVENT_PRUNE:
            kept = _prune(K, M, P, logdet, sp, age, params[3], params[4])
            state[3] += K - kept
            K = kept
        if refresh > 0 and n_seen % refresh == 0:
            status = _STREAM_REFRESH
            break
    state[0], state[1] = K, n_seen
    return i, status


def stream_work(cap, D):
    """Work space of :func:`igmn_stream` for ``cap`` components in ``D``
    dimensions: ``(E, T, d2, post)`` of shapes ``(cap, D)``, ``(cap, D)``,
    ``(cap,)``, ``(cap,)``."""
    return np.empty((cap, D)), np.empty((cap, D)), np.empty(cap), np.empty(cap)


def _create(K, x, s, M, P, logdet, sp, age, p_init_diag, params):
    """Component ``K`` at ``x`` with count and age ``s``."""
    n0 = 1.0 if params[5] != 0.0 else params[7]
    # n0 C_init / (s + n0 - 1): the prior scatter over the count.
    f = (s + n0 - 1.0) / n0
    M[K] = x
    P[K] = np.diag(f * p_init_diag)
    logdet[K] = params[0] - x.shape[0] * math.log(f)
    sp[K] = s
    age[K] = s


def _prune(K, M, P, logdet, sp, age, sp_min, v_min):
    """Remove the components older than ``v_min`` with a count below ``sp_min``,
    keeping the strongest when all would go; compacts the arrays (in order)
    and returns the number of components kept."""
    drop = np.flatnonzero((age[:K] > v_min) & (sp[:K] < sp_min))
    if drop.size == K:
        drop = drop[drop != np.argmax(sp[:K])]  # keep at least the strongest component
    if drop.size == 1:  # the usual case: shift the tail down by one
        j = drop[0]
        for a in (M, P, logdet, sp, age):
            a[j:K - 1] = a[j + 1:K]
    else:
        keep = np.delete(np.arange(K), drop)
        for a in (M, P, logdet, sp, age):
            a[:keep.size] = a[keep]
    return K - drop.size


# No fastmath: reassociation and fma contraction make results depend on the
# CPU's vector width and instruction set. Element loops rather than slice
# assignments (``M[j, :] = M[k, :]``): numba compiles a formatted shape-mismatch
# error, with its string machinery, for every array-to-slice assignment (issue
# 19). Scalar functions from ``math``: cheaper to compile than numpy's ufuncs.
@njit(cache=True)
def _absorb(X, sw, start, stop, K, M, P, logdet, sp, age, E, T, d2, post, params):
    """Absorb rows ``start .. stop - 1`` into the ``K`` components, in place,
    until a row is novel or a component must be pruned: the part of
    :func:`igmn_stream` that runs per sample.

    Parameters
    ----------
    X, sw, M, P, logdet, sp, age, params
        As in :func:`igmn_stream`.
    start, stop : int
        Rows to process.
    K : int
        Live components (``>= 0``).
    E, T : ndarray of shape (capacity, D)
        Work space: ``e_k = x - mu_k`` and ``t_k = P_k e_k``.
    d2, post : ndarray of shape (capacity,)
        Work space: ``d2_k = e_k^T t_k`` and the posteriors.

    Returns
    -------
    next_row : int
    event : int
        0: rows done up to ``stop``; 1: row ``next_row`` is novel and a
        component can be created (``K == 0``, or fewer than ``kmax``): the
        others have aged, the caller creates the component at index ``K``;
        2: a component must be pruned (after row ``next_row - 1``, or, with 1
        added, after the creation); 4: row ``next_row`` is novel but the arrays
        are full (nothing done).

    Notes
    -----
    The update of component ``k`` by a sample of relative weight ``w`` is
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

    The correction ``beta t t^T`` is formed as ``sign(beta) u u^T`` with
    ``u = sqrt(|beta|) t``, so entries ``(a, b)`` and ``(b, a)`` are bitwise
    equal and a symmetric ``P`` stays exactly symmetric. This matters: with
    ``alpha > 1`` the antisymmetric part of the rounding error is amplified
    by ``alpha`` at every step and never damped, the instability known from
    recursive least squares with forgetting (Verhaegen, 1989).
    """
    D = X.shape[1]
    thr, kmax, sp_min, v_min = params[1], params[2], params[3], params[4]
    igmn, prior_count = params[5] != 0.0, params[7]
    can_create = K == 0 or kmax <= 0 or K < kmax
    for i in range(start, stop):
        dmin = np.inf
        for k in range(K):
            for a in range(D):
                E[k, a] = X[i, a] - M[k, a]
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
        s = sw[i]
        novel = can_create and dmin >= thr
        if novel and K == M.shape[0]:
            return i, _EVENT_GROW
        if not novel:
            lmax = -np.inf
            for k in range(K):
                lp = math.log(sp[k]) - 0.5 * (logdet[k] + d2[k])
                post[k] = lp
                if lp > lmax:
                    lmax = lp
            total = 0.0
            for k in range(K):
                p = math.exp(post[k] - lmax)
                post[k] = p
                total += p
            for k in range(K):
                q = s * post[k] / total
                sp[k] += q
                w = q / sp[k]
                wc = w if igmn else q / (sp[k] + prior_count - 1.0)
                dk = d2[k]
                if wc * (1.0 + dk) <= 1e-16:
                    continue  # the change would be below rounding
                exact = True
                if igmn:
                    a1 = 1.0 + w * (1.0 - w) * dk
                    g = 1.0 / (1.0 - w) - w * dk / a1
                    b1 = 1.0 - w * w * dk * g
                    if b1 > 1e-12:
                        alpha = 1.0 / (1.0 - w)
                        beta = -w / a1 + (w * g) ** 2 / b1
                        dld = D * math.log1p(-w) + math.log(a1) + math.log(b1)
                        exact = False
                if exact:
                    g = wc * (1.0 - w) / (1.0 - wc)
                    a1 = 1.0 + g * dk
                    alpha = 1.0 / (1.0 - wc)
                    beta = -alpha * g / a1
                    dld = D * math.log1p(-wc) + math.log(a1)
                root = math.sqrt(abs(beta))
                sgn = 1.0 if beta >= 0 else -1.0
                for a in range(D):
                    M[k, a] += w * E[k, a]
                    T[k, a] *= root
                for a in range(D):
                    ua = sgn * T[k, a]
                    for b in range(D):
                        P[k, a, b] = alpha * P[k, a, b] + ua * T[k, b]
                logdet[k] += dld
        # Ages, and what to prune after this sample (a new component has age
        # and count s); the strongest stays when all would go.
        n_prune = 1 if novel and v_min < s < sp_min else 0
        for k in range(K):
            age[k] += s
            if age[k] > v_min and sp[k] < sp_min:
                n_prune += 1
        n_live = K + 1 if novel else K
        prune = K > 0 and n_prune > (1 if n_prune == n_live else 0)
        if novel:
            return i, _EVENT_CREATE + (_EVENT_PRUNE if prune else 0)
        if prune:
            return i + 1, _EVENT_PRUNE
    return stop, _EVENT_NONE
