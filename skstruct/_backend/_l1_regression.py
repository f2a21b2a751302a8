"""Least absolute deviations fits of many rows on a shared basis.

For each row ``x_i`` (observed entries given by a mask) solve
``min_z sum_j |x_ij - (V z)_j|`` over the observed ``j``. Used to project new
rows robustly on a learned subspace: a few grossly corrupted entries do not
move the coefficients (the l1 fit interpolates the clean entries).

The problem is a linear program whose optimum is attained at a vertex: ``r``
observed entries fitted exactly. :func:`l1_regression_rows` walks from vertex
to vertex (the simplex method in the form of Barrodale & Roberts 1973: along
each edge, the exact minimum of the piecewise-linear objective, i.e. a
weighted median of the breakpoints) until the LP dual certificate holds, so
the result is the optimum to a relative duality gap of 1e-9. Degenerate
vertices (many zero residuals, common on integer data) can make the simplex
cycle; a run of zero-length steps switches the row to a perturbed copy of
its data (Charnes' perturbation: no ties, every step decreases the
objective) and the optimal basis found there is certified on the original
data. Iteratively reweighted least squares is the fallback for rows where
that fails (fewer independent observed entries than ``r``, or the step
budget exhausted).
"""

import numpy as np
from joblib import effective_n_jobs
from numba import njit
from sklearn.utils import gen_even_slices

from ..utils._parallel import threaded_map


def l1_regression_rows(X, V, *, mask=None, max_steps=None, n_jobs=None):
    """Row-wise least absolute deviations, exact (vertex descent with a certificate).

    Each row is solved on its own, so the result for a row does not depend
    on the other rows.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Rows to fit; entries outside ``mask`` may hold any finite value.
    V : ndarray of shape (p, r)
        Basis (columns), ``r <= p``.
    mask : ndarray of bool of shape (n, p), optional
        Observed entries; ``None`` means all.
    max_steps : int, optional
        Vertex steps per row before falling back to IRLS; default ``10 p``.
    n_jobs : int, optional
        Threads over blocks of rows (the compiled loop releases the GIL);
        None or 1: serial.

    Returns
    -------
    Z : ndarray of shape (n, r)
        Coefficients; ``X ~ Z @ V.T`` with sparse residuals.

    Notes
    -----
    Stopping rule: at a vertex with basis ``J`` (the ``r`` interpolated
    entries), ``u = sign(residual)`` off ``J`` and ``u_J = lam = -V_J^{-T}
    sum_{j not in J} u_j v_j`` satisfy ``V^T u = 0``; if ``|lam| <= 1 + tau``
    then ``u / (1 + tau)`` is feasible for the dual ``max x^T u, V^T u = 0,
    |u| <= 1`` with value ``f(z) / (1 + tau)``, so ``f(z) <= (1 + tau) f*``
    (``tau = 1e-9``, checked after recomputing the basis inverse).

    A step costs ``O(p r + r^2)`` (the basis inverse is updated by
    Sherman-Morrison and recomputed every 32 steps); starting from the basis
    of the least squares fit's smallest residuals, about ``r`` steps per row
    are typical, so a row costs about one ``O(p r^2)`` least squares solve.
    """
    n, p = X.shape
    r = V.shape[1]
    X = np.ascontiguousarray(X, dtype=np.float64)
    V = np.ascontiguousarray(V, dtype=np.float64)
    if r == 0 or n == 0:
        return np.zeros((n, r))
    if n_jobs not in (None, 1) and n > 1:
        blocks = list(gen_even_slices(n, min(n, effective_n_jobs(n_jobs))))
        parts = threaded_map(
            lambda sl: l1_regression_rows(X[sl], V, mask=None if mask is None else mask[sl],
                                          max_steps=max_steps), [(sl,) for sl in blocks], n_jobs)
        return np.vstack(parts)
    if mask is None:
        Z = X @ np.linalg.pinv(V).T  # least squares start
        obs = np.ones((1, 1), dtype=np.bool_)
    else:
        obs = np.ascontiguousarray(mask, dtype=np.bool_)
        Z = _solve_subset(obs.astype(np.float64), X, V, _ridge(V))
    certified = np.zeros(n, dtype=np.bool_)
    steps = 10 * p if max_steps is None else int(max_steps)
    # work arrays of the compiled walk, allocated here (issue 19: each np.empty
    # variant inside numba is one more compile)
    _vertex_descent(X, V, obs, mask is None, Z, steps, _perturbation(p), certified,
                    np.empty((r, p)), np.empty(r, np.int64), np.empty((8, p)),
                    np.empty((3, p), np.int64), np.empty((3, r, r)), np.empty((5, r)))
    rest = np.flatnonzero(~certified)
    if rest.size:
        Z[rest] = l1_regression_irls(X[rest], V, mask=None if mask is None else obs[rest])
    return Z


def _perturbation(p):
    # relative size 1e-9 per entry, generic (no ties), the same for every row
    rng = np.random.default_rng(0)
    return 1e-9 * rng.uniform(0.5, 1.0, p) * rng.choice([-1.0, 1.0], p)


def _ridge(V):
    return 1e-12 * max(1.0, float(np.abs(V).max()) ** 2)


def l1_regression_irls(X, V, *, mask=None, max_iter=50, tol=1e-10):
    """Row-wise least absolute deviations by iteratively reweighted least squares.

    Batched over rows. After IRLS, the coefficients are polished by least
    squares on the entries the l1 fit interpolates, which makes the fit
    exact when a row is a combination of the columns of ``V`` plus a sparse
    corruption; otherwise the objective is close to (not at) the optimum.

    Parameters
    ----------
    X : ndarray of shape (n, p)
    V : ndarray of shape (p, r)
    mask : ndarray of bool of shape (n, p), optional
    max_iter : int, default=50
        IRLS iterations.
    tol : float, default=1e-10
        Relative change of the coefficients that stops a row.

    Returns
    -------
    Z : ndarray of shape (n, r)

    Notes
    -----
    Cost ``O(n p r^2)`` per iteration (one ``(r, r)`` system per row).
    """
    n, p = X.shape
    r = V.shape[1]
    if r == 0 or n == 0:
        return np.zeros((n, r), dtype=X.dtype)
    M = np.ones((n, p)) if mask is None else mask.astype(np.float64)
    ridge = _ridge(V)
    Z = _solve_subset(M, X, V, ridge)
    active = np.ones(n, dtype=bool)
    scale = np.maximum(np.sqrt((M * X * X).sum(axis=1) / np.maximum(M.sum(axis=1), 1)), 1e-300)
    floor = 1e-9 * scale
    eps = np.median(np.abs(X - Z @ V.T), axis=1)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        R = np.abs(X[idx] - Z[idx] @ V.T)
        Wt = M[idx] / np.maximum(R, eps[idx, None])
        Znew = _solve_subset(Wt, X[idx], V, ridge)
        step = np.linalg.norm(Znew - Z[idx], axis=1)
        Z[idx] = Znew
        # the smoothing halves each iteration: IRLS then converges to the
        # l1 optimum (a fixed smoothing stalls at a biased point)
        eps[idx] = np.maximum(0.5 * eps[idx], floor[idx])
        done = (step <= tol * (np.linalg.norm(Znew, axis=1) + scale[idx])) & (
            eps[idx] <= floor[idx])
        active[idx[done]] = False
    return _polish(X, V, Z, M, scale, ridge)


def _solve_subset(Wt, X, V, ridge):
    # Weighted least squares of each row of X on V: one (r, r) system per row.
    # The ridge scales with the largest weight of the row, so that a row with
    # fewer observed entries than r stays solvable (minimum-norm-like fit).
    G = np.einsum("nj,jk,jl->nkl", Wt, V, V, optimize=True)
    G += (ridge * np.maximum(1.0, Wt.max(axis=1)))[:, None, None] * np.eye(V.shape[1])
    b = (Wt * X) @ V
    return np.linalg.solve(G, b[..., None])[..., 0]


def _polish(X, V, Z, M, scale, ridge, n_rounds=5):
    # An l1 regression optimum interpolates at least r entries (a vertex of
    # the linear program). Refit each row exactly on the r entries with the
    # smallest residuals and keep the refit where the l1 objective drops;
    # repeat a few rounds. On sparse corruption this gives the exact answer.
    n, r = Z.shape
    obj = (np.abs(X - Z @ V.T) * M).sum(axis=1)
    enough = M.sum(axis=1) >= r
    rows = np.flatnonzero(enough)
    for _ in range(n_rounds):
        if rows.size == 0:
            break
        R = np.abs(X[rows] - Z[rows] @ V.T)
        R[M[rows] == 0] = np.inf
        J = np.argpartition(R, r - 1, axis=1)[:, :r]
        A = V[J]  # (k, r, r)
        b = np.take_along_axis(X[rows], J, axis=1)
        try:
            Zc = np.linalg.solve(A, b[..., None])[..., 0]
        except np.linalg.LinAlgError:
            Zc = np.stack([np.linalg.lstsq(a, bb, rcond=None)[0] for a, bb in zip(A, b)])
        obj_c = (np.abs(X[rows] - Zc @ V.T) * M[rows]).sum(axis=1)
        better = np.isfinite(obj_c) & (obj_c < obj[rows] * (1 - 1e-15))
        if not better.any():
            break
        Z[rows[better]] = Zc[better]
        obj[rows[better]] = obj_c[better]
        rows = rows[better]
    return Z


# status codes of _simplex_row
_OPTIMAL, _BUDGET, _DEGENERATE, _STUCK = 0, 1, 2, 3
# a typed zero: a literal 0 passed on (or starting a counter that is passed
# on) makes numba compile the callee once more for the literal
_I0 = np.int64(0)


# Compile cost (issue 19): four compiled functions, each called from one to
# three places (numba compiles a callee on its own and again inside every
# caller), no slice assignment, no literal arguments, work arrays allocated
# in numpy, no builtin min/max, no cpython wrapper for the callees.
@njit(cache=True, nogil=True)
def _vertex_descent(X, V, M, full, Z, max_steps, delta, certified, Vt, J, wp, ip, wrr, wr):
    # Per row: a vertex (r observed entries fitted exactly, rows of V
    # independent) from the start Z, then simplex steps until the dual
    # certificate |lam| <= 1 holds; Z[i] and certified[i] are set on success.
    # A run of degenerate (zero-length) steps, which can cycle, switches the
    # row to the data perturbed by delta (every step then strictly decreases
    # the objective); the optimal basis found there is accepted for the
    # original data when its certificate holds there, a zero residual
    # keeping its perturbed sign (any value in [-1, 1] is a subgradient), and
    # the simplex otherwise continues from it on the original data. The q
    # observed rows of V are stored transposed, Vt[:, :q], so that the loops
    # over entries run on contiguous memory.
    n, p = X.shape
    r = V.shape[1]
    x, xp, res, sg, off, rate, tb, inc = wp[0], wp[1], wp[2], wp[3], wp[4], wp[5], wp[6], wp[7]
    idx, kk, heap = ip[0], ip[1], ip[2]
    Q, VJ, B = wrr[0], wrr[1], wrr[2]
    w, g, lam, d, z = wr[0], wr[1], wr[2], wr[3], wr[4]
    for i in range(n):
        q = _I0
        for j in range(p):
            if full or M[i, j]:
                idx[q] = j
                q += 1
        if q < r:
            continue
        xmax = 0.0
        for a in range(q):
            x[a] = X[i, idx[a]]
            xa = abs(x[a])
            xmax = xa if xa > xmax else xmax
            res[a] = x[a]
        for a in range(q):
            xp[a] = x[a] + xmax * delta[idx[a]]
        for b in range(r):
            zb = Z[i, b]
            for a in range(q):
                Vt[b, a] = V[idx[a], b]
                res[a] -= Vt[b, a] * zb
        zt = 1e-12 * xmax  # residuals below this count as zero
        # start basis: the entries with the smallest residuals whose rows of
        # V are independent (Gram-Schmidt; candidates popped from a heap on
        # |res|). Only rows that keep a part of norm >= 1e-4 of the largest
        # row are taken (near-null rows, e.g. pixels the components ignore,
        # would start from a near-singular basis that many steps then undo),
        # unless there are not r of those; the row is skipped if there are
        # not r independent rows.
        vmax = 0.0
        for a in range(q):
            acc = 0.0
            for b in range(r):
                acc += Vt[b, a] * Vt[b, a]
            vmax = acc if acc > vmax else vmax
            off[a] = 1.0
        c = 0
        for strict in range(2):
            if c == r:
                break
            for a in range(q):
                tb[a] = abs(res[a])
                kk[a] = a
                heap[a] = a
            _heapify(heap, q, tb, kk)
            size = q
            while size > 0 and c < r:
                k = heap[0]
                size -= 1
                heap[0] = heap[size]
                _sift_down(heap, _I0, size, tb, kk)
                if off[k] == 0.0:
                    continue
                nrm0 = 0.0
                for b in range(r):
                    w[b] = Vt[b, k]
                    nrm0 += w[b] * w[b]
                if nrm0 == 0.0:
                    continue
                for e in range(c):
                    dot = 0.0
                    for b in range(r):
                        dot += Q[e, b] * w[b]
                    for b in range(r):
                        w[b] -= dot * Q[e, b]
                nrm = 0.0
                for b in range(r):
                    nrm += w[b] * w[b]
                if nrm > (1e-8 * vmax if strict == 0 else 1e-16 * nrm0):
                    nrm = np.sqrt(nrm)
                    for b in range(r):
                        Q[c, b] = w[b] / nrm
                    J[c] = k
                    off[k] = 0.0
                    c += 1
        if c < r:
            continue
        # phases, one call site of _simplex_row: 0 on x (from a fresh
        # inverse); 1 on xp after a degenerate run; 2 the certificate of
        # phase 1's basis on x (no step, zero residuals keep their signs);
        # 3 on x from that basis when the certificate fails
        data = x
        budget = max_steps
        phase = 0
        while True:
            status, steps = _simplex_row(data, q, zt, budget, phase == 0, phase == 2,
                                         Vt, J, off, B, VJ, z, res, sg, g, lam, d, w, rate,
                                         tb, inc, kk, heap)
            budget -= steps
            if phase == 0 and status == _DEGENERATE:
                data = xp
                phase = 1
            elif phase == 1 and status == _OPTIMAL:
                data = x
                phase = 2
                budget_left = budget
                budget = _I0
            elif phase == 2 and status != _OPTIMAL:
                budget = budget_left
                phase = 3
            else:
                break
        if status != _OPTIMAL:
            continue
        certified[i] = True
        for b in range(r):
            Z[i, b] = z[b]


@njit(cache=True, nogil=True, no_cpython_wrapper=True)
def _simplex_row(x, q, zt, max_steps, invert, keep_signs, Vt, J, off, B, VJ, z, res, sg, g,
                 lam, d, w, rate, tb, inc, kk, heap):
    # Barrodale-Roberts steps for one row from the basis J, with B = V_J^{-1}
    # (computed first when invert). Returns (status, steps). The
    # certificate: lam = -B^T g with |lam| <= 1 + 1e-9 is a subgradient u
    # (u_J = lam, sign(res) elsewhere) with V^T u = 0, so u / (1 + 1e-9) is
    # dual feasible and the relative duality gap is at most 1e-9; it is only
    # accepted right after z, res and g were recomputed from a fresh
    # inverse. keep_signs: at the start, residuals below zt keep the sign
    # in sg (else they count as zero).
    r = Vt.shape[0]
    steps = 0
    streak = 0
    since = 0
    fresh = True  # z, res, sg and g to compute from B
    while True:
        if invert:
            # B = inverse of V_J (rows J of V) by Gauss-Jordan elimination
            # with partial pivoting (VJ is overwritten); stuck if the rows
            # are dependent
            for a in range(r):
                for b in range(r):
                    VJ[a, b] = Vt[b, J[a]]
                    B[a, b] = 1.0 if a == b else 0.0
            for c in range(r):
                piv = c
                for a in range(c + 1, r):
                    if abs(VJ[a, c]) > abs(VJ[piv, c]):
                        piv = a
                if abs(VJ[piv, c]) <= 1e-300:
                    return _STUCK, steps
                if piv != c:
                    for b in range(r):
                        VJ[c, b], VJ[piv, b] = VJ[piv, b], VJ[c, b]
                        B[c, b], B[piv, b] = B[piv, b], B[c, b]
                f = 1.0 / VJ[c, c]
                for b in range(c + 1, r):  # columns <= c of VJ are done
                    VJ[c, b] *= f
                for b in range(r):
                    B[c, b] *= f
                for a in range(r):
                    if a != c and VJ[a, c] != 0.0:
                        f = VJ[a, c]
                        for b in range(c + 1, r):
                            VJ[a, b] -= f * VJ[c, b]
                        for b in range(r):
                            B[a, b] -= f * B[c, b]
            since = 0
            invert = False
            fresh = True
        if fresh:
            # z from the basis (V_J z = x_J), all residuals, their signs (0
            # on the basis and below zt) and g = sum of sign * row of V
            for b in range(r):
                acc = 0.0
                for e in range(r):
                    acc += B[b, e] * x[J[e]]
                z[b] = acc
            for a in range(q):
                res[a] = x[a]
            for b in range(r):
                zb = z[b]
                for a in range(q):
                    res[a] -= Vt[b, a] * zb
            for a in range(q):
                ra = res[a]
                if not keep_signs or abs(ra) > zt:
                    sg[a] = off[a] * ((ra > zt) - (ra < -zt))
            keep_signs = False
            for b in range(r):
                acc = 0.0
                for a in range(q):
                    acc += sg[a] * Vt[b, a]
                g[b] = acc
            fresh = False
        for e in range(r):
            lam[e] = 0.0
        for b in range(r):
            gb = g[b]
            for e in range(r):
                lam[e] -= gb * B[b, e]
        jb = 0
        big = 0.0
        for e in range(r):
            if abs(lam[e]) > big:
                big = abs(lam[e])
                jb = e
        if big <= 1.0 + 1e-9:
            if since == 0:
                return _OPTIMAL, steps
            invert = True  # confirm with a fresh inverse
            continue
        if steps >= max_steps:
            return _BUDGET, steps
        if streak > 2 * r + 8:
            return _DEGENERATE, steps
        # the edge that frees entry J[jb]: V_J d = sgn e_jb, slope 1 - |lam_jb| < 0
        sgn = -1.0 if lam[jb] > 0 else 1.0
        for b in range(r):
            d[b] = sgn * B[b, jb]
        for a in range(q):
            rate[a] = 0.0
        for b in range(r):
            db = d[b]
            for a in range(q):
                rate[a] += Vt[b, a] * db
        nb = _I0
        for a in range(q):
            ra = rate[a]
            if off[a] == 0.0 or abs(ra) <= 1e-12:
                continue
            if sg[a] == 0.0:
                tb[nb] = 0.0
                inc[nb] = abs(ra)
                kk[nb] = a
                nb += 1
            else:
                t = res[a] / ra
                if t > 0:
                    tb[nb] = t
                    inc[nb] = 2.0 * abs(ra)
                    kk[nb] = a
                    nb += 1
        # the exact minimum of the piecewise-linear objective along the edge:
        # breakpoints in increasing t (ties by entry) until the slope turns
        # >= 0. A few are usually passed: the first 8 by linear scans, the
        # rest from a binary heap. tb of the passed breakpoints is overwritten.
        slope = 1.0 - big
        u = -1
        for _ in range(nb if nb < 8 else 8):
            v0 = 0
            tu = tb[0]
            for v in range(1, nb):  # kk increases with the position: ties go to the first
                if tb[v] < tu:
                    tu = tb[v]
                    v0 = v
            slope += inc[v0]
            if slope >= 0.0:
                u = v0
                break
            tb[v0] = np.inf
        if u < 0:
            size = _I0
            for v in range(nb):
                if tb[v] < np.inf:
                    heap[size] = v
                    size += 1
            _heapify(heap, size, tb, kk)
            while size > 0:
                v0 = heap[0]
                slope += inc[v0]
                if slope >= 0.0:
                    u = v0
                    break
                size -= 1
                heap[0] = heap[size]
                _sift_down(heap, _I0, size, tb, kk)
        if u < 0:
            return _STUCK, steps
        ent = kk[u]
        tstar = tb[u]
        for b in range(r):
            z[b] += tstar * d[b]
        # row jb of V_J becomes V[ent]: Sherman-Morrison on B = V_J^{-1}
        for e in range(r):
            w[e] = 0.0
        for b in range(r):
            vb = Vt[b, ent]
            for e in range(r):
                w[e] += vb * B[b, e]
        piv = w[jb]
        w[jb] -= 1.0
        for b in range(r):
            cb = B[b, jb] / piv
            for e in range(r):
                B[b, e] -= cb * w[e]
        off[J[jb]] = 1.0
        J[jb] = ent
        off[ent] = 0.0
        # new residuals; the signs that changed (crossed breakpoints, the
        # entering and the leaving entry) update g
        for a in range(q):
            ra = res[a] - tstar * rate[a]
            res[a] = ra
            s = off[a] * ((ra > zt) - (ra < -zt))
            if s != sg[a]:
                ds = s - sg[a]
                for b in range(r):
                    g[b] += ds * Vt[b, a]
                sg[a] = s
        res[ent] = 0.0
        streak = streak + 1 if tstar == 0.0 else 0
        since += 1
        steps += 1
        if since >= 32:
            invert = True


@njit(cache=True, nogil=True, no_cpython_wrapper=True)
def _heapify(heap, size, tb, kk):
    for start in range(size // 2 - 1, -1, -1):
        _sift_down(heap, start, size, tb, kk)


@njit(cache=True, nogil=True, no_cpython_wrapper=True)
def _sift_down(heap, pos, size, tb, kk):
    # min-heap on (tb, kk) of the positions in heap[:size]
    item = heap[pos]
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        c = heap[child]
        if child + 1 < size:
            c2 = heap[child + 1]
            if tb[c2] < tb[c] or (tb[c2] == tb[c] and kk[c2] < kk[c]):
                child += 1
                c = c2
        if tb[c] < tb[item] or (tb[c] == tb[item] and kk[c] < kk[item]):
            heap[pos] = c
            pos = child
        else:
            break
    heap[pos] = item
