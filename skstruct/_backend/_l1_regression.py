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
from numba import njit, types
from sklearn.utils import gen_even_slices

from ..utils._parallel import threaded_map
from ._compiled import B1, B2, F1, F2, b1, i8, register, void
from ._vector import argmax_abs, assign, axpy, fill, inner_jit


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

    A step costs ``O(p r + r^2)`` (the basis inverse is updated by one
    Gauss-Jordan pivot, the same rank-one update that builds it at the
    start, and recomputed every 32 steps); starting from the basis of the
    least squares fit's smallest residuals, about ``r`` steps per row are
    typical, so a row costs about one ``O(p r^2)`` least squares solve.
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
    _vertex_descent(X, np.ascontiguousarray(V.T), V, obs, mask is None, Z, steps, _perturbation(p),
                    np.einsum("jk,jk->j", V, V), certified, np.empty((r, r)))
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


# status codes of the walk
_OPTIMAL, _BUDGET, _DEGENERATE, _STUCK = 0, 1, 2, 3
# a typed zero: a literal 0 passed on (or starting a counter that is passed
# on) makes numba compile the callee once more for the literal
_I0 = np.int64(0)


# Compile cost on numba's JIT, without the install's ahead-of-time build
# (issue 19; the build pays it once, at install): numba's compile time grows with each statement
# that indexes an array, and LLVM's with the code of every function linked
# in (each function's module holds, and optimizes again, all it calls). So
# the walk is one function whose vector work is calls to small loops of one
# signature each (._vector's, the two matrix-vector products below, the
# pivot _enter, the line search); every array they take is C-contiguous
# (a row of a C 2-D array is C 1-D, so V is passed as well as Vt: v_a is a
# row of V). Splitting the walk itself into functions called once (start
# basis, simplex, phases) cost more: their code was optimized again in the
# walk. The matrix-vector products and _enter's update keep their inner
# loops written out: calling axpy per row (LLVM did not inline it here)
# made the transform 1.4-1.7x slower. The start basis, the basis inverse
# and each step's update of it are the same Gauss-Jordan pivot (_enter). The
# 1-D work arrays are allocated here, one each (two np.empty variants): as
# views of one numpy block their loops ran up to 10% slower (the compiler
# cannot tell that they do not overlap).
# Measured (bench_cold_start --profile RobustPCA.transform, min of 3, a
# loaded 2-core machine): compile CPU of the walk and its helpers 6.5 ->
# 4.8 s, the walk alone 5.5 -> 3.0 s, of which ~1.3 s is LLVM's module
# passes and code emission over the walk with all it links; same results
# bit for bit.
@njit(cache=True, nogil=True)
def _vertex_descent(X, Vt, V, M, full, Z, max_steps, delta, vn, certified, B):
    # Per row: a vertex (r observed entries fitted exactly, rows of V
    # independent) near the start Z, then Barrodale-Roberts
    # simplex steps until the dual certificate |lam| <= 1 holds; Z[i] and
    # certified[i] are set on success. A run of degenerate (zero-length)
    # steps, which can cycle, switches the row to the data perturbed by
    # delta (every step then strictly decreases the objective); the optimal
    # basis found there is accepted for the original data when its
    # certificate holds there, a zero residual keeping its perturbed sign
    # (any value in [-1, 1] is a subgradient), and the simplex otherwise
    # continues from it on the original data.
    #
    # B = V_J^{-1}, J[c] the entry at basis position c (row c of V_J);
    # unobserved and basis entries have off = 0 (no sign, no breakpoint).
    n, p = X.shape
    r = Vt.shape[0]
    x = np.empty(p)
    xp = np.empty(p)
    res = np.empty(p)
    sg = np.empty(p)
    off = np.empty(p)
    rate = np.empty(p)
    tb = np.empty(p)
    inc = np.empty(p)
    kk = np.empty(p, np.int64)
    heap = np.empty(p, np.int64)
    J = np.empty(r, np.int64)
    w = np.empty(r)
    g = np.empty(r)
    lam = np.empty(r)
    d = np.empty(r)
    z = np.empty(r)
    free = np.empty(r)
    limit = 2 * r + 8
    m1 = -1.0
    zero = 0.0
    for i in range(n):
        q = _I0
        xmax = 0.0
        vmax = 0.0
        for a in range(p):
            xa = X[i, a]
            x[a] = xa
            off[a] = 0.0
            if full or M[i, a]:
                off[a] = 1.0
                q += 1
                xa = abs(xa)
                xmax = xa if xa > xmax else xmax
                vmax = vn[a] if vn[a] > vmax else vmax
        if q < r:
            continue
        assign(xp, x, p)
        axpy(xp, xmax, delta, p)
        zt = 1e-12 * xmax  # residuals below this count as zero
        assign(res, x, p)
        _add_rows(res, Vt, Z[i], m1, r, p)
        # start basis: the observed entries in increasing |res| (popped from
        # a heap), each pivoted in where the largest free coordinate of its
        # row of V in the tableau (its part outside the rows taken) has a
        # square > 1e-8 / r of the largest squared row norm (near-null rows,
        # e.g. pixels the components ignore, would start from a
        # near-singular basis that many steps then undo), then any nonzero
        # part if there are not r of those; the row is skipped if there are
        # not r independent rows.
        _reset(B, free)
        c = _I0
        thr = 1e-8 * vmax / r
        for strict in range(2):
            if c == r:
                break
            size = _I0
            for a in range(p):
                if off[a] != 0.0:
                    tb[a] = abs(res[a])
                    heap[size] = a
                    size += 1
            _heapify(heap, size, tb)
            while size > 0 and c < r:
                k = heap[0]
                size -= 1
                heap[0] = heap[size]
                _sift_down(heap, _I0, size, tb)
                if off[k] == 0.0 or vn[k] == 0.0:
                    continue
                e = _enter(B, V, k, free, thr if strict == 0 else 1e-16 * vn[k], w)
                if e >= 0:
                    J[e] = k
                    off[k] = 0.0
                    c += 1
        if c < r:
            continue
        # phases: 0 on x; 1 on xp after a degenerate run; 2 the certificate
        # of phase 1's basis on x (no step, zero residuals keep their
        # signs); 3 on x from that basis when the certificate fails
        budget = max_steps
        budget_left = _I0
        phase = _I0
        since = _I0  # steps since B was computed
        while True:
            # the simplex on data from the basis J; need: 0 nothing, 1 z, the
            # residuals, their signs and g from B, 2 B first
            data = xp if phase == 1 else x
            steps = _I0
            streak = _I0
            need = _I0 + 1
            status = _STUCK
            while True:
                if need == 2:
                    # B from scratch on the basis J (positions reassigned
                    # by the largest pivot); stuck if singular
                    _reset(B, free)
                    for e in range(r):
                        heap[e] = J[e]
                    for e in range(r):
                        c = _enter(B, V, heap[e], free, zero, w)
                        if c < 0:
                            break
                        J[c] = heap[e]
                    if c < 0:
                        break
                    since = _I0
                if need > 0:
                    # z from the basis (V_J z = data_J; d holds data_J), all
                    # residuals, their signs (0 off and below zt; in phase 2
                    # the residuals below zt first keep theirs) and g = sum
                    # of sign * row of V
                    for e in range(r):
                        d[e] = data[J[e]]
                    _rows_dot(z, B, d, r, r)
                    assign(res, data, p)
                    _add_rows(res, Vt, z, m1, r, p)
                    for a in range(p):
                        ra = res[a]
                        if phase != 2 or need == 2 or abs(ra) > zt:
                            sg[a] = off[a] * ((ra > zt) - (ra < -zt))
                    _rows_dot(g, Vt, sg, r, p)
                    need = _I0
                # certificate: lam = -B^T g; u = sign(res) off the basis and
                # lam on it has V^T u = 0; |lam| <= 1 + 1e-9 bounds the
                # relative duality gap by 1e-9, accepted on a B computed
                # with no step since
                fill(lam, zero, r)
                _add_rows(lam, B, g, m1, r, r)
                jb = argmax_abs(lam, r)
                big = abs(lam[jb])
                if big <= 1.0 + 1e-9:
                    if since == 0:
                        status = _OPTIMAL
                        break
                    need = _I0 + 2
                    continue
                if steps >= budget:
                    status = _BUDGET
                    break
                if streak > limit:
                    status = _DEGENERATE
                    break
                # the edge that frees position jb: V_J d = sgn e_jb, slope
                # 1 - |lam_jb| < 0; rate = V d, the change of the fit per
                # unit step
                sgn = -1.0 if lam[jb] > 0 else 1.0
                for b in range(r):
                    d[b] = B[b, jb]
                fill(rate, zero, p)
                _add_rows(rate, Vt, d, sgn, r, p)
                u = _line_search(tb, inc, kk, heap, rate, res, off, sg, 1.0 - big)
                if u < 0:
                    break  # stuck
                ent = kk[u]
                tstar = tb[u]  # z moves by tstar * d (z is only read fresh from B)
                # entry ent takes position jb: the pivot on B
                fill(free, zero, r)
                free[jb] = 1.0
                if _enter(B, V, ent, free, zero, w) < 0:
                    break  # stuck
                off[J[jb]] = 1.0
                J[jb] = ent
                off[ent] = 0.0
                # new residuals; the signs that changed (crossed
                # breakpoints, the entering and the leaving entry) update g
                for a in range(p):
                    ra = res[a] - tstar * rate[a]
                    res[a] = ra
                    s = off[a] * ((ra > zt) - (ra < -zt))
                    if s != sg[a]:
                        axpy(g, s - sg[a], V[a], r)
                        sg[a] = s
                res[ent] = 0.0
                streak = streak + 1 if tstar == 0.0 else _I0
                since += 1
                steps += 1
                if since >= 32:
                    need = _I0 + 2
            budget -= steps
            if phase == 0 and status == _DEGENERATE:
                phase = _I0 + 1
            elif phase == 1 and status == _OPTIMAL:
                phase = _I0 + 2
                budget_left = budget
                budget = _I0
            elif phase == 2 and status != _OPTIMAL:
                budget = budget_left
                phase = _I0 + 3
            else:
                break
        if status != _OPTIMAL:
            continue
        certified[i] = True
        assign(Z[i], z, r)


# (Vt and V may be read-only: a fitted model's components loaded from a memory map)
_F2_RO = types.Array(types.float64, 2, "C", readonly=True)
register("l1_vertex_descent", _vertex_descent,
         void(F2, _F2_RO, _F2_RO, B2, b1, F2, i8, F1, F1, B1, F2))


@inner_jit
def _add_rows(out, A, c, s, m, n):
    # out[:n] += s * sum_{b < m} c[b] A[b, :n]  (out += s A^T c)
    for b in range(m):
        cb = s * c[b]
        for a in range(n):
            out[a] += cb * A[b, a]


@inner_jit
def _rows_dot(out, A, x, m, n):
    # out[b] = A[b, :n] . x[:n] for b < m  (out = A x)
    for b in range(m):
        acc = 0.0
        for a in range(n):
            acc += A[b, a] * x[a]
        out[b] = acc


@inner_jit
def _line_search(tb, inc, kk, heap, rate, res, off, sg, slope):
    # The exact minimum of the piecewise-linear objective along the edge
    # (slope: its slope at 0, < 0): the breakpoints t > 0 of the residuals
    # (t = 0 for a zero one; kk their entries, inc the slope they add) in
    # increasing t (ties by entry) until the slope turns >= 0. A few are
    # usually passed: the first 8 by linear scans, the rest from a binary
    # heap. Returns the index u of the breakpoint (tb[u] the step, kk[u]
    # the entry), or -1; tb of the passed breakpoints is overwritten.
    nb = _I0
    for a in range(rate.shape[0]):
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
    for _ in range(nb if nb < 8 else 8):
        v0 = _I0
        tu = tb[0]
        for v in range(1, nb):  # ties go to the first
            if tb[v] < tu:
                tu = tb[v]
                v0 = v
        slope += inc[v0]
        if slope >= 0.0:
            return v0
        tb[v0] = np.inf
    size = _I0
    for v in range(nb):
        if tb[v] < np.inf:
            heap[size] = v
            size += 1
    _heapify(heap, size, tb)
    while size > 0:
        v0 = heap[0]
        slope += inc[v0]
        if slope >= 0.0:
            return v0
        size -= 1
        heap[0] = heap[size]
        _sift_down(heap, _I0, size, tb)
    return _I0 - 1


@inner_jit
def _reset(B, free):
    # no basis: B = I, every position free
    r = B.shape[0]
    zero = 0.0
    one = 1.0
    for e in range(r):
        fill(B[e], zero, r)
        B[e, e] = one
    fill(free, one, r)


@inner_jit
def _enter(B, V, a, free, thr, w):
    # Entry a into the free position c where its tableau row w = v_a^T B
    # (v_a: row a of V) is largest, if w_c^2 > thr: the Gauss-Jordan pivot
    # B <- B - B[:, c] (w - e_c)^T / w_c, after which (V_J B) = I with v_a
    # as row c of V_J. Returns c, or -1 (no pivot).
    r = B.shape[0]
    zero = 0.0
    one = 1.0
    fill(w, zero, r)
    _add_rows(w, B, V[a], one, r, r)
    c = _I0 - 1
    best = 0.0
    for e in range(r):
        t = abs(w[e])
        if free[e] != 0.0 and t > best:
            best = t
            c = e
    if c < 0 or best * best <= thr:
        return _I0 - 1
    piv = w[c]
    for b in range(r):
        f = B[b, c] / piv
        for e in range(r):
            B[b, e] -= f * w[e]
        B[b, c] = f
    free[c] = 0.0
    return c


@inner_jit
def _heapify(heap, size, tb):
    # min-heap on (tb[item], item) of heap[:size]
    for s0 in range((size >> 1) - 1, -1, -1):
        _sift_down(heap, s0, size, tb)


@inner_jit
def _sift_down(heap, pos, size, tb):
    # min-heap on (tb[item], item) of the items in heap[:size]
    item = heap[pos]
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        c = heap[child]
        if child + 1 < size:
            c2 = heap[child + 1]
            if tb[c2] < tb[c] or (tb[c2] == tb[c] and c2 < c):
                child += 1
                c = c2
        if tb[c] < tb[item] or (tb[c] == tb[item] and c < item):
            heap[pos] = c
            pos = child
        else:
            break
    heap[pos] = item
