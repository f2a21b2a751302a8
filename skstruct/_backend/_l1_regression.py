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

The steps run in numpy, batched over the rows (each row its own basis,
inverse and step; a row leaves the batch when it is done). Compile cost
(issue 19): the same walk as a numba kernel cost 9.4 s of compile CPU on
first use; batched numpy costs none, at about 3x the time of the compiled
kernel on warm runs (digits, 1797 rows, 5 to 27 components).
"""

import numpy as np
from joblib import effective_n_jobs
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
        Threads over blocks of rows (numpy releases the GIL in the large
        array operations); None or 1: serial.

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
    else:
        obs = np.ascontiguousarray(mask, dtype=np.bool_)
        Z = _solve_subset(obs.astype(np.float64), X, V, _ridge(V))
    steps = 10 * p if max_steps is None else int(max_steps)
    M = None if mask is None else obs.astype(np.float64)
    delta = _perturbation(p)
    certified = np.zeros(n, dtype=np.bool_)
    for sl in gen_even_slices(n, -(-n * max(r * r, p) // _BLOCK)):
        Z[sl], certified[sl] = _vertex_descent(X[sl], V, None if M is None else M[sl], Z[sl],
                                               steps, delta)
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


# status codes of _simplex
_OPTIMAL, _BUDGET, _DEGENERATE, _STUCK = 0, 1, 2, 3
# rows solved together: bounds the (rows, r, r) basis inverses and the
# (rows, p) work arrays to about 2**20 floats (8 MB) each
_BLOCK = 2 ** 20


def _vertex_descent(X, V, M, Z, max_steps, delta):
    """Simplex steps from the start ``Z`` for a block of rows, batched over rows.

    Per row: a vertex (``r`` observed entries fitted exactly, rows of ``V``
    independent) near the start, then Barrodale-Roberts steps until the dual
    certificate ``|lam| <= 1`` holds. A run of degenerate (zero-length)
    steps, which can cycle, moves the row to the data perturbed by
    ``delta`` (every step then strictly decreases the objective); the
    optimal basis found there is accepted for the original data when its
    certificate holds there, a zero residual keeping its perturbed sign (any
    value in ``[-1, 1]`` is a subgradient), and the simplex otherwise
    continues from it on the original data.

    Parameters
    ----------
    X : ndarray of shape (n, p)
    V : ndarray of shape (p, r)
    M : ndarray of shape (n, p) of float (0 or 1), or None (all observed)
    Z : ndarray of shape (n, r)
        Start (least squares fit).
    max_steps : int
    delta : ndarray of shape (p,)
        Relative perturbation.

    Returns
    -------
    Z : ndarray of shape (n, r)
        The certified optimum where ``certified``, else the start.
    certified : ndarray of bool of shape (n,)
    """
    n, p = X.shape
    Z = Z.copy()
    certified = np.zeros(n, dtype=np.bool_)
    xmax = np.abs(X if M is None else X * M).max(axis=1)
    zt = 1e-12 * xmax  # residuals below this count as zero
    rows, J = _start_basis(X - Z @ V.T, V, M)
    if rows.size == 0:
        return Z, certified

    def run(sub, data, J, budget, keep=None, signs=False):
        return _simplex(data, V, None if M is None else M[sub], J, zt[sub], budget, keep, signs)

    def accept(sub, status, z):
        ok = status == _OPTIMAL
        Z[sub[ok]] = z[ok]
        certified[sub[ok]] = True

    # phase 0: the original data
    status, used, z, J, _ = run(rows, X[rows], J, np.full(rows.size, max_steps))
    accept(rows, status, z)
    deg = status == _DEGENERATE
    if not deg.any():
        return Z, certified
    # phase 1: the perturbed data, from the basis the degenerate run reached
    rows, J, left = rows[deg], J[deg], max_steps - used[deg]
    Xp = X[rows] + xmax[rows, None] * delta
    status, used, _, J, sg = run(rows, Xp, J, left, signs=True)
    ok = status == _OPTIMAL
    rows, J, sg, left = rows[ok], J[ok], sg[ok], left[ok] - used[ok]
    # phase 2: the certificate of that basis on the original data (no step)
    status, _, z, _, _ = run(rows, X[rows], J, np.zeros(rows.size, np.int64), keep=sg)
    accept(rows, status, z)
    # phase 3: the simplex on the original data from that basis
    fail = status != _OPTIMAL
    if fail.any():
        rows = rows[fail]
        status, _, z, _, _ = run(rows, X[rows], J[fail], left[fail])
        accept(rows, status, z)
    return Z, certified


def _start_basis(R, V, M):
    """Start bases: per row, the ``r`` entries with the smallest ``|R|`` whose rows of V are independent.

    Gram-Schmidt over the candidates in increasing ``|R|`` (ties by entry),
    batched over rows: a candidate is taken when the part of its row of V
    orthogonal to the rows taken before keeps a squared norm above ``1e-8``
    times the largest squared row norm (near-null rows, e.g. pixels the
    components ignore, would start from a near-singular basis that many
    steps then undo); rows of X that do not find ``r`` of those make a
    second pass that takes any part above ``1e-16`` of the row's own norm.

    Returns
    -------
    rows : ndarray of int
        The rows with a basis (at least ``r`` observed entries, ``r``
        independent rows of V among them).
    J : ndarray of int of shape (rows.size, r)
    """
    n, p = R.shape
    r = V.shape[1]
    norm2 = np.einsum("jk,jk->j", V, V)
    key = np.abs(R)
    if M is None:
        vmax = np.full(n, norm2.max())
        n_obs = np.full(n, p)
    else:
        vmax = (M * norm2).max(axis=1)
        n_obs = M.sum(axis=1).astype(np.int64)
        key[M == 0] = np.inf
    order = np.argsort(key, axis=1, kind="stable")
    Q = np.zeros((n, r, r))
    J = np.zeros((n, r), np.int64)
    c = np.zeros(n, np.int64)
    for strict in (True, False):
        act = np.flatnonzero((c < r) & (n_obs >= r))
        Qa, Ja, ca = Q[act], J[act], c[act]
        live = np.ones(act.size, np.bool_)
        for pos in range(p):
            if act.size == 0:
                break
            k = order[act, pos]
            w = V[k]
            Qc = Qa[:, :ca.max()]
            # classical Gram-Schmidt, once (the strict test keeps the
            # taken rows well conditioned), twice in the lax pass (Kahan)
            for _ in range(1 if strict else 2):
                h = np.matmul(Qc, w[:, :, None])
                w = w - np.matmul(h.transpose(0, 2, 1), Qc)[:, 0]
            nrm = np.einsum("ar,ar->a", w, w)
            take = live & (pos < n_obs[act]) & (norm2[k] > 0.0)
            if strict:
                take &= nrm > 1e-8 * vmax[act]
            else:
                take &= (nrm > 1e-16 * norm2[k]) & ~np.any(
                    (Ja == k[:, None]) & (np.arange(r) < ca[:, None]), axis=1)
            i = np.flatnonzero(take)
            Qa[i, ca[i]] = w[i] / np.sqrt(nrm[i, None])
            Ja[i, ca[i]] = k[i]
            ca[i] += 1
            live &= (ca < r) & (pos + 1 < n_obs[act])
            if pos + 1 == p or 4 * (~live).sum() >= live.size:  # hand back the rows done
                Q[act], J[act], c[act] = Qa, Ja, ca
                act, Qa, Ja, ca = act[live], Qa[live], Ja[live], ca[live]
                live = live[live]
    rows = np.flatnonzero(c == r)
    return rows, J[rows]


def _inverse(A):
    """Inverses of a stack of square matrices; ok is False where one is singular."""
    try:
        B = np.linalg.inv(A)
    except np.linalg.LinAlgError:  # one singular matrix fails the whole stack
        B = np.empty_like(A)
        for i, a in enumerate(A):
            try:
                B[i] = np.linalg.inv(a)
            except np.linalg.LinAlgError:
                B[i] = 0.0
    ok = np.all(np.isfinite(B), axis=(1, 2)) & np.any(B != 0.0, axis=(1, 2))
    return B, ok


def _signs(res, zt, off):
    # sign of each residual, 0 below zt and off (on the basis or unobserved)
    s = (res > zt[:, None]).astype(np.float64)
    s -= res < -zt[:, None]
    s[off] = 0.0
    return s


def _simplex(x, V, M, J, zt, budget, keep=None, signs=False):
    """Barrodale-Roberts steps for a batch of rows, each from its basis ``J``.

    A step (per row): ``lam = -V_J^{-T} g`` with ``g`` the sum of the
    residual signs times the rows of V; if ``|lam| <= 1 + 1e-9`` the row is
    optimal (``u`` with ``u_J = lam`` and the signs elsewhere is a
    subgradient with ``V^T u = 0``: ``u / (1 + 1e-9)`` is dual feasible,
    the relative duality gap is at most ``1e-9``), accepted only right after
    ``z``, the residuals and ``g`` were recomputed from a fresh inverse.
    Otherwise the edge that frees the basis entry of the largest ``|lam|``
    is followed to the exact minimum of the piecewise-linear objective on
    it (the breakpoints in increasing order, ties by entry, until the slope
    turns >= 0), the entry there enters the basis, and ``B = V_J^{-1}`` is
    updated by Sherman-Morrison (recomputed every 32 steps).

    Parameters
    ----------
    x : ndarray of shape (m, p)
    V : ndarray of shape (p, r)
    M : ndarray of shape (m, p) of float, or None
    J : ndarray of int of shape (m, r)
    zt : ndarray of shape (m,)
        Residuals below count as zero.
    budget : ndarray of int of shape (m,)
        Steps allowed per row.
    keep : ndarray of shape (m, p), optional
        Signs that the residuals below ``zt`` keep at the start.
    signs : bool, default=False
        Return the last residual signs (else ``sg`` is None).

    Returns
    -------
    status, steps : ndarray of int of shape (m,)
    z : ndarray of shape (m, r)
        The coefficients (at the optimum for optimal rows).
    J : ndarray of int of shape (m, r)
        The last basis.
    sg : ndarray of shape (m, p) or None
        The last residual signs.

    Notes
    -----
    A step costs ``O(p r + r^2)`` per row and about 40 numpy calls for the
    batch; about ``r`` steps per row are typical.
    """
    m, p = x.shape
    r = V.shape[1]
    out_status = np.full(m, _STUCK)
    out_steps = np.zeros(m, np.int64)
    out_z = np.zeros((m, r))
    out_J = J.copy()
    out_sg = np.zeros((m, p)) if signs else None
    # per-row state; rows that are done stay (stepped, unused) until a
    # quarter of the rows are done, then every array drops them at once
    s = {"ids": np.arange(m), "x": x, "zt": zt, "budget": budget, "J": J.copy(),
         "B": np.empty((m, r, r)), "z": np.empty((m, r)), "res": np.empty((m, p)),
         "sg": np.empty((m, p)), "g": np.empty((m, r)), "steps": np.zeros(m, np.int64),
         "since": np.zeros(m, np.int64), "streak": np.zeros(m, np.int64),
         "live": np.ones(m, np.bool_), "fresh": np.ones(m, np.bool_)}
    # entries on the basis or unobserved: no sign, no breakpoint
    s["off"] = np.zeros((m, p), np.bool_) if M is None else M == 0
    np.put_along_axis(s["off"], s["J"], True, axis=1)
    limit = 2 * r + 8

    def refresh(f, keep=None):
        # B, z, residuals, signs and g from a fresh inverse of V_J, rows f;
        # False where V_J is singular
        J = s["J"][f]
        B, ok = _inverse(V[J])
        xf = s["x"][f]
        z = np.einsum("kbe,ke->kb", B, np.take_along_axis(xf, J, axis=1))
        res = xf - z @ V.T
        sg = _signs(res, s["zt"][f], s["off"][f])
        if keep is not None:
            small = np.abs(res) <= s["zt"][f, None]
            sg[small] = keep[f][small]
        s["B"][f], s["z"][f], s["res"][f], s["sg"][f] = B, z, res, sg
        s["g"][f] = sg @ V
        s["since"][f] = 0
        return ok

    def multipliers():
        lam = -np.einsum("mb,mbe->me", s["g"], s["B"])
        jb = np.abs(lam).argmax(axis=1)
        return lam, jb, np.abs(lam[np.arange(lam.shape[0]), jb])

    with np.errstate(all="ignore"):  # rows that are done step on garbage
        while True:
            live = s["live"]
            stuck = np.zeros(live.size, np.bool_)
            f = np.flatnonzero(s["fresh"] & live)
            if f.size:
                stuck[f] = ~refresh(f, keep)
                keep = None
            lam, jb, big = multipliers()
            opt = (big <= 1.0 + 1e-9) & ~stuck & live
            again = np.flatnonzero(opt & (s["since"] > 0))
            if again.size:  # confirm with a fresh inverse
                stuck[again] = ~refresh(again)
                lam, jb, big = multipliers()
                opt = (big <= 1.0 + 1e-9) & ~stuck & live
            status = np.full(live.size, -1)
            status[s["streak"] > limit] = _DEGENERATE
            status[s["steps"] >= s["budget"]] = _BUDGET
            status[stuck] = _STUCK
            status[opt] = _OPTIMAL
            status[~live] = -2
            # the edge that frees entry J[jb]: V_J d = sgn e_jb, slope 1 - |lam_jb| < 0
            ar = np.arange(live.size)
            sgn = np.where(lam[ar, jb] > 0, -1.0, 1.0)
            d = sgn[:, None] * s["B"][ar, :, jb]
            rate = d @ V.T
            ent, tstar = _edge_minimum(s["res"], s["sg"], rate, s["off"],
                                       np.where(status == -1, big - 1.0, 0.0))
            status[(status == -1) & (ent < 0)] = _STUCK
            done = status >= 0
            if done.any():
                i = s["ids"][done]
                out_status[i], out_steps[i] = status[done], s["steps"][done]
                out_z[i], out_J[i] = s["z"][done], s["J"][done]
                if signs:
                    out_sg[i] = s["sg"][done]
                live &= ~done
            n_live = np.count_nonzero(live)
            if n_live == 0:
                break
            if 4 * (live.size - n_live) >= live.size:  # drop the rows done
                for k, v in s.items():
                    s[k] = v[live]
                d, rate, ent, tstar, jb = d[live], rate[live], ent[live], tstar[live], jb[live]
                ar = np.arange(n_live)
            s["z"] += tstar[:, None] * d
            res = s["res"]
            res -= tstar[:, None] * rate
            res[ar, ent] = 0.0
            # row jb of V_J becomes V[ent]: Sherman-Morrison on B = V_J^{-1}
            B = s["B"]
            w = np.einsum("mb,mbe->me", V[ent], B)
            piv = w[ar, jb]
            w[ar, jb] -= 1.0
            B -= np.einsum("mb,me->mbe", B[ar, :, jb] / piv[:, None], w)
            J, off = s["J"], s["off"]
            off[ar, J[ar, jb]] = False
            J[ar, jb] = ent
            off[ar, ent] = True
            s["sg"] = _signs(res, s["zt"], off)
            s["g"] = s["sg"] @ V
            s["streak"] = np.where(tstar == 0.0, s["streak"] + 1, 0)
            s["since"] += 1
            s["steps"] += 1
            s["fresh"] = s["since"] >= 32
    return out_status, out_steps, out_z, out_J, out_sg


def _edge_minimum(res, sg, rate, off, need, n_scan=8):
    """The exact minimum along each row's edge: the breakpoint where the slope turns >= 0.

    Breakpoints: entries not ``off`` (on the basis or unobserved) with
    ``rate != 0``; a zero residual at ``t = 0`` (slope increment
    ``|rate|``), else at ``t = res / rate > 0`` (increment ``2 |rate|``).
    The slope starts at ``-need``; the breakpoints are passed in increasing
    ``t`` (ties by entry while scanning; a tie elsewhere gives the same
    step): the first ``n_scan`` by repeated minima (usually enough), then
    the 64, 512, 4096 smallest sorted, then all of them, each stage for the
    rows the one before did not settle (a far start can pass thousands).

    Returns
    -------
    ent : ndarray of int of shape (m,)
        The entering entry, -1 where the slope never turns (stuck).
    tstar : ndarray of shape (m,)
        The step length.
    """
    m, p = res.shape
    arate = np.abs(rate)
    nz = sg * sg  # 1 where the residual has a sign, else 0 (float: no casts)
    t = res * nz
    t /= rate  # 0 for a zero residual
    zero = nz == 0.0
    valid = zero | (t > 0)
    valid &= arate > 1e-12
    valid &= ~off
    # inf where not valid (fmax skips the NaN of 0 * inf; arithmetic, not
    # masked writes: those are several times slower on random masks)
    t = np.fmax(t, ~valid * np.inf)
    inc = arate
    inc *= 1.0 + nz
    ent = np.full(m, -1)
    tstar = np.zeros(m)
    rows = np.arange(m)  # the rows of t, inc and slope
    slope = -need
    pending = np.ones(m, np.bool_)
    for _ in range(min(n_scan, p)):
        loc = np.arange(rows.size)
        u = t.argmin(axis=1)  # the first minimum: ties by entry
        tu = t[loc, u]
        slope += inc[loc, u]
        hit = pending & (slope >= 0.0) & (tu < np.inf)
        ent[rows[hit]] = u[hit]
        tstar[rows[hit]] = tu[hit]
        t[loc, u] = np.inf
        pending &= ~hit & (tu < np.inf)  # no breakpoint left: stuck
        n = np.count_nonzero(pending)
        if n == 0:
            return ent, tstar
        if 2 * n < pending.size:
            t, inc, slope, rows = t[pending], inc[pending], slope[pending], rows[pending]
            pending = np.ones(n, np.bool_)
    for k in [k for k in (64, 512, 4096) if k < p] + [p]:
        if not pending.any():
            break
        t, inc, slope, rows = t[pending], inc[pending], slope[pending], rows[pending]
        loc = np.arange(rows.size)
        cand = np.argpartition(t, k - 1, axis=1)[:, :k] if k < p else None
        tc = t if cand is None else np.take_along_axis(t, cand, axis=1)
        order = np.argsort(tc, axis=1)
        if cand is not None:
            order = np.take_along_axis(cand, order, axis=1)
        ts = np.take_along_axis(t, order, axis=1)
        hit = slope[:, None] + np.cumsum(np.take_along_axis(inc, order, axis=1), axis=1) >= 0.0
        hit &= ts < np.inf
        u = hit.argmax(axis=1)
        found = hit[loc, u]
        ent[rows[found]] = order[loc, u][found]
        tstar[rows[found]] = ts[loc, u][found]
        pending = ~found
    return ent, tstar
