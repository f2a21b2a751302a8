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
the result is the exact optimum; iteratively reweighted least squares is the
fallback for rows where that fails (fewer independent observed entries than
``r``, or a step budget exhausted on a degenerate row).
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
    A step costs ``O(p r + r^2)`` (the basis inverse is updated by
    Sherman-Morrison and recomputed every 32 steps); starting from the least
    squares fit, about ``r`` steps per row are typical.
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
    _vertex_descent(X, V, obs, mask is None, Z, steps, certified)
    rest = np.flatnonzero(~certified)
    if rest.size:
        Z[rest] = l1_regression_irls(X[rest], V, mask=None if mask is None else obs[rest])
    return Z


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


@njit(cache=True, nogil=True)
def _vertex_descent(X, V, M, full, Z, max_steps, certified):
    # Per row: a vertex (r observed entries fitted exactly, rows of V
    # independent) from the start Z, then simplex steps until the dual
    # certificate |lam| <= 1 holds; Z[i] and certified[i] are set on success.
    # Explicit loops: the vectors are short, so temporaries would dominate.
    n, p = X.shape
    r = V.shape[1]
    idx = np.empty(p, np.int64)
    Vo_buf = np.empty((p, r))
    xo_buf = np.empty(p)
    res_buf = np.empty(p)
    rate_buf = np.empty(p)
    tb_buf = np.empty(p)
    inc_buf = np.empty(p)
    kk_buf = np.empty(p, np.int64)
    inJ_buf = np.empty(p, np.bool_)
    Q = np.empty((r, r))
    J = np.empty(r, np.int64)
    VJ = np.empty((r, r))
    w = np.empty(r)
    g = np.empty(r)
    lam = np.empty(r)
    d = np.empty(r)
    z = np.empty(r)
    for i in range(n):
        q = 0
        for j in range(p):
            if full or M[i, j]:
                idx[q] = j
                q += 1
        if q < r:
            continue
        Vo, xo, res, rate = Vo_buf[:q], xo_buf[:q], res_buf[:q], rate_buf[:q]
        inJ = inJ_buf[:q]
        xmax = 0.0
        for a in range(q):
            xo[a] = X[i, idx[a]]
            xmax = max(xmax, abs(xo[a]))
            acc = xo[a]
            for b in range(r):
                Vo[a, b] = V[idx[a], b]
                acc -= Vo[a, b] * Z[i, b]
            res[a] = acc
        zt = 1e-12 * xmax  # residuals below this count as zero
        # a basis: the entries with the smallest residuals whose rows of V are
        # independent (Gram-Schmidt, twice)
        order = np.argsort(np.abs(res))
        c = 0
        for k in order:
            nrm0 = 0.0
            for b in range(r):
                w[b] = Vo[k, b]
                nrm0 += w[b] * w[b]
            if nrm0 == 0.0:
                continue
            for _ in range(2):
                for e in range(c):
                    dot = 0.0
                    for b in range(r):
                        dot += Q[e, b] * w[b]
                    for b in range(r):
                        w[b] -= dot * Q[e, b]
            nrm = 0.0
            for b in range(r):
                nrm += w[b] * w[b]
            if nrm > 1e-16 * nrm0:
                nrm = np.sqrt(nrm)
                for b in range(r):
                    Q[c, b] = w[b] / nrm
                J[c] = k
                c += 1
                if c == r:
                    break
        if c < r:
            continue
        inJ[:] = False
        for b in range(r):
            inJ[J[b]] = True
            VJ[b] = Vo[J[b]]
        B = np.linalg.inv(VJ)
        since = 0
        steps = 0
        ok = False
        fresh = True  # z and res recomputed from the basis
        while steps < max_steps:
            if fresh:
                for b in range(r):
                    acc = 0.0
                    for e in range(r):
                        acc += B[b, e] * xo[J[e]]
                    z[b] = acc
                for a in range(q):
                    acc = xo[a]
                    for b in range(r):
                        acc -= Vo[a, b] * z[b]
                    res[a] = acc
                fresh = False
            # g = sum over the other entries of sign(residual) v_a; lam = -B^T g
            g[:] = 0.0
            for a in range(q):
                if not inJ[a]:
                    if res[a] > zt:
                        for b in range(r):
                            g[b] += Vo[a, b]
                    elif res[a] < -zt:
                        for b in range(r):
                            g[b] -= Vo[a, b]
            jb = 0
            big = 0.0
            for e in range(r):
                acc = 0.0
                for b in range(r):
                    acc -= g[b] * B[b, e]
                lam[e] = acc
                if abs(acc) > big:
                    big = abs(acc)
                    jb = e
            if big <= 1.0 + 1e-9:
                if since == 0:
                    ok = True
                    break
                for b in range(r):
                    VJ[b] = Vo[J[b]]
                B = np.linalg.inv(VJ)  # confirm with a fresh inverse
                since = 0
                fresh = True
                continue
            # the edge that frees entry J[jb]: V_J d = sgn e_jb, slope 1 - |lam_jb| < 0
            sgn = -1.0 if lam[jb] > 0 else 1.0
            for b in range(r):
                d[b] = sgn * B[b, jb]
            slope = 1.0 - big
            nb = 0
            for a in range(q):
                acc = 0.0
                for b in range(r):
                    acc += Vo[a, b] * d[b]
                rate[a] = acc
                if inJ[a] or abs(acc) <= 1e-12:
                    continue
                if abs(res[a]) <= zt:
                    tb_buf[nb] = 0.0
                    inc_buf[nb] = abs(acc)
                    kk_buf[nb] = a
                    nb += 1
                else:
                    t = res[a] / acc
                    if t > 0:
                        tb_buf[nb] = t
                        inc_buf[nb] = 2.0 * abs(acc)
                        kk_buf[nb] = a
                        nb += 1
            if nb == 0:
                break
            # exact minimum along the edge: the breakpoint where the slope turns >= 0
            o = np.argsort(tb_buf[:nb])
            ent = -1
            tstar = 0.0
            for u in o:
                slope += inc_buf[u]
                if slope >= 0.0:
                    ent = kk_buf[u]
                    tstar = tb_buf[u]
                    break
            if ent < 0:
                break
            for b in range(r):
                z[b] += tstar * d[b]
            for a in range(q):
                res[a] -= tstar * rate[a]
            # row jb of V_J becomes Vo[ent]: Sherman-Morrison on B = V_J^{-1}
            for e in range(r):
                acc = 0.0
                for b in range(r):
                    acc += Vo[ent, b] * B[b, e]
                w[e] = acc
            piv = w[jb]
            w[jb] -= 1.0
            for b in range(r):
                cb = B[b, jb] / piv
                for e in range(r):
                    B[b, e] -= cb * w[e]
            inJ[J[jb]] = False
            J[jb] = ent
            inJ[ent] = True
            res[ent] = 0.0
            since += 1
            if since >= 32:
                for b in range(r):
                    VJ[b] = Vo[J[b]]
                B = np.linalg.inv(VJ)
                since = 0
                fresh = True
            steps += 1
        if ok:
            certified[i] = True
            for b in range(r):
                Z[i, b] = z[b]
