"""Self-expression kernels for subspace clustering.

Every function here writes each point (a row of ``X``, shape
``(n_samples, n_features)``) as a combination of the OTHER points and returns
the coefficients; the row convention is ``X ~ C @ X`` with ``C[i, i] = 0``
(``C[i, j]`` is the weight of point ``j`` in the representation of point
``i``). Sparse methods return COO triplets ``(rows, cols, vals)`` so that
memory stays ``O(n_samples * nonzeros)``; nothing of size
``n_samples x n_samples`` is ever formed, correlations are computed in row
blocks ``X_B @ X.T`` whose size is set by a memory budget.

Kernels:

- :func:`elastic_net_self_expression`: elastic net / lasso per point with an
  oracle-guided active set (ORGEN, You et al. 2016) around an exact active-set
  solver (numba) on the working set. Optional extra atoms (the
  scaled identity for SSC's sparse-outlier term).
- :func:`omp_self_expression`: orthogonal matching pursuit, all points of a
  block in lock-step (one GEMM per greedy step).
- :func:`lsr_self_expression`: least squares regression (LSR1), closed form
  through the Woodbury identity.
- :func:`lrr_ialm`: low-rank representation by inexact ALM on the
  ``rank(X)``-dimensional reduced problem; :func:`lrr_closed_form`: its
  Frobenius-error variant, one SVD.
- :func:`thresholding_neighbors`: thresholding (TSC) top-q correlations.
- :func:`top_k_rows`: sparsify dense row blocks to their ``k`` largest
  entries in absolute value.
"""

import math

import numpy as np
from numba import njit
from threadpoolctl import threadpool_limits

from ..utils._parallel import threaded_map
from ._compiled import B1, F1, F2, F3, I1, f8, i8, register, void
from ._penalties import _enet_prox, _enet_subdiff
from ._subspaces import _dim_from_spectrum
from ._svd import svt

# Elements of one correlation block (rows x n_atoms); a few such float64
# blocks are alive at once, so 4e6 keeps a worker under ~150 MB.
_BLOCK_ELEMENTS = 4_000_000


def _block_size(n_atoms, batch_size):
    return int(max(1, min(batch_size, _BLOCK_ELEMENTS // max(n_atoms, 1))))


def _run_blocks(fn, n, block, n_jobs):
    """Apply ``fn(start, stop)`` over row blocks (threads when ``n_jobs`` asks for several)."""
    return threaded_map(fn, [(s, min(s + block, n)) for s in range(0, n, block)], n_jobs)


# ----------------------------------------------------------------------------------------
# Elastic net with an oracle-guided active set
# ----------------------------------------------------------------------------------------
@njit(cache=True, nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True, inline="always")
def _residual(v, M, i, j, start, stop):
    """``v - sum_{start <= m < stop} M[i, m] M[j, m]``, subtracted term by term in that order.

    Rows by index, not as views: a view in a hot loop costs a reference count update.
    Inlined (``inline="always"``): as a call LLVM left it out of line, and the call cost
    the active-set kernel 10-25% of its run time on inner products of length 5-60.
    """
    for m in range(start, stop):
        v -= M[i, m] * M[j, m]
    return v


@njit(cache=True, nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _axpy_row(y, a, M, i, n):
    """``y[:n] += a M[i, :n]`` in place (the row by index, not as a view)."""
    for m in range(n):
        y[m] += a * M[i, m]


@njit(cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True,
      no_cfunc_wrapper=True)
def _support_newton(G, q, w, state, l1, l2, sup, L):
    """Exact step on the support of ``w`` with its signs fixed, guarded.

    Minimizes the sign-fixed quadratic ``0.5 v^T (G_SS + l2 I) v - (q_S - l1
    sign(w_S))^T v`` (Cholesky) and moves ``w_S`` towards the minimizer up to
    the first sign change (along that segment the objective is the sign-fixed
    quadratic, so it decreases). When ``G_SS + l2 I`` is numerically singular
    (more atoms than their rank), the objective is linear along a null vector:
    moving along it, downhill, to the first zero drops one atom, and the step is
    retried on the smaller support. Updates the Gram-storage state ``G w - q``.
    ``G`` is symmetric (its rows are read for its columns). ``sup``, ``L``: work
    buffers of shapes (s,), (s + 1, s); the factor is kept in the lower triangle of
    ``L[:s]`` and mirrored in the upper one, the forward solve in ``L[s]``, so that every
    inner product of the forward and the back solve is one of two rows of ``L``.

    One flat function with few loops: numba's compile time grows with the loops that
    index arrays (about 50 ms each, issue 19); the inner products are the inlined
    :func:`_residual`, the state update a call to :func:`_axpy_row`, compiled once.
    ``error_model="numpy"``: no zero-division branches; the one division that can meet
    a zero, a crossing step ``-w / direction``, gives +-inf there, which reads as no
    sign change.
    """
    s = w.shape[0]
    zero = s - s  # typed int64, not a literal
    curv = 0.0
    for _ in range(s):
        # Cholesky of G_SS + l2 I row by row over the support, fused with the forward
        # solve y = L^{-1} (q_S - l1 sign(w_S)); stops at the first dependent atom
        n = zero
        null = False
        for pa in range(s):
            c = w[pa]
            if c == 0.0:
                continue
            sup[n] = pa
            for b in range(n):
                v = _residual(G[pa, sup[b]], L, n, b, zero, b) / L[b, b]
                L[n, b] = v
                L[b, n] = v
            h = G[pa, pa] + l2
            v = _residual(h, L, n, n, zero, n)  # the Schur complement
            if not v > 1e-12 * h:
                null = True  # atom sup[n] depends on sup[:n]; L[n, :n] = L^{-1} G[S, sup[n]]
                curv = v  # curvature of the objective along the null vector
                break
            d = math.sqrt(v)
            L[n, n] = d
            L[s, n] = _residual(q[pa] - math.copysign(l1, c), L, n, s, zero, n) / d
            n += 1
        # back solve in row x of L: the minimizer L^{-T} y (x = s), or (null) L^{-T} L[n, :n]
        # (x = n), the null vector being (-L[n, :n], 1); slope: derivative of the
        # objective along it
        x = n if null else s
        slope = 0.0
        for i in range(n):
            a = n - 1 - i
            d = _residual(L[x, a], L, a, x, a + 1, n) / L[a, a]
            L[x, a] = d
            pa = sup[a]
            c = w[pa]
            slope -= (state[pa] + math.copysign(l1, c) + l2 * c) * d
        # direction L[x, a] * f1 - w * f2: towards the minimizer (f1 = f2 = 1, step <= 1) or
        # along the null vector, downhill (f1 = -+1, f2 = 0, step up to the first zero)
        f1 = 1.0
        f2 = 1.0
        t = 1.0
        if null:
            pa = sup[n]
            c = w[pa]
            slope += state[pa] + math.copysign(l1, c) + l2 * c
            L[x, n] = -1.0
            n += 1
            f1 = -1.0 + 2.0 * (slope > 0.0)
            f2 = 0.0
            t = np.inf
        for a in range(n):  # t: the first sign change, -w / direction > 0
            c = w[sup[a]]
            d = L[x, a] * f1 - c * f2
            L[x, a] = d
            r = -c / d
            if (r > 0.0) & (r < t):
                t = r
        if null & ((t == np.inf) | (-abs(slope) * t + 0.5 * curv * t * t >= 0.0)):
            return  # no zero ahead, or no decrease up to it
        for a in range(n):
            pa = sup[a]
            c = w[pa]
            d = L[x, a]
            r = -c / d
            new = (c + t * d) * ((r <= 0.0) | (r > t))  # exactly 0 where the sign changes
            _axpy_row(state, new - c, G, pa, s)  # G symmetric: row pa is column pa
            w[pa] = new
        if not null:
            return


@njit(cache=True, nogil=True, error_model="numpy")
def _enet_gram_batch(G, Q, W, S, alpha, gamma, tol, max_steps, done, sup, L):
    """Elastic net of each target ``k`` on its own Gram problem, by an exact active set.

    Minimizes, for every ``k`` (warm-started from ``W[k]``, updated in place)::

        0.5 w^T G[k] w - Q[k]^T w + alpha[k] (gamma ||w||_1 + (1 - gamma) / 2 ||w||^2)

    Each step takes the coordinate of largest violation ``dist(-g_j, ∂pen(w_j)) /
    sqrt(G_jj)`` (the elastic-net ``subdiff`` of :mod:`._penalties`, ``g = G w - q``),
    minimizes the objective along it (its ``prox``: an atom enters the support with the
    sign its gradient asks), then makes the exact step on the support
    (:func:`_support_newton`), so the support is solved in closed form and only its
    changes take steps (feature-sign search, Lee et al. 2007, with one entering atom per
    step). Done when no violation exceeds ``tol[k]``: the iterate is then the minimizer
    up to that slack (every step lowers the objective; the coordinate step keeps a
    singular support moving). Coordinates with ``G[k, j, j] == 0`` (empty slots: zero
    row and column) are set to 0 by the first step and never enter. ``S``: the
    gradients ``G[k] W[k] - Q[k]`` on entry, kept up to date. ``done[k]`` is set True
    when target ``k`` met the test within ``max_steps`` steps (pass it False). Shapes:
    ``G`` (B, s, s), each ``G[k]`` symmetric (its rows are read for its columns); ``Q``,
    ``W``, ``S`` (B, s); ``alpha``, ``tol``, ``done`` (B,); work space ``sup`` (s,)
    int64, ``L`` (s + 1, s) (nothing is allocated here: each allocation
    signature is a compile of its own, issue 19). The penalty functions are called by
    name, not through the inlined switches (cheaper to compile, issue 19).
    """
    B, s = Q.shape
    for k in range(B):
        Gk = G[k]
        wk = W[k]
        sk = S[k]
        a = alpha[k]
        for _ in range(max_steps):
            worst = tol[k]
            j = s  # none yet (typed int64: a literal -1 would type the calls on j apart)
            for r in range(s):
                h = Gk[r, r]
                if h > 0.0:
                    v = _enet_subdiff(a, gamma, wk[r], sk[r], False) / math.sqrt(h)
                    if v > worst:
                        worst = v
                        j = r
                else:
                    wk[r] = 0.0
            if j == s:
                done[k] = True
                break
            old = wk[j]
            h = Gk[j, j]
            new = _enet_prox(a, gamma, old - sk[j] / h, 1.0 / h, False)
            _axpy_row(sk, new - old, Gk, j, s)  # G symmetric: row j is column j
            wk[j] = new
            _support_newton(Gk, Q[k], wk, sk, a * gamma, a * (1.0 - gamma), sup, L)


register("ssc_enet_gram_batch", _enet_gram_batch,
         void(F3, F2, F2, F2, F1, f8, F1, i8, B1, I1, F2))


def _solve_working_sets(A, Xb, P, T, C, level, l1_ratio, which, tol, max_steps):
    """Solve the working-set problems of the points ``which``.

    Returns their residuals, shape (len(which), D), and whether each solve
    converged, shape (len(which),).

    Point ``i`` (slots ``T[i]``, ``-1`` = empty) gets
    ``min_c 0.5 ||Xb[i] - A_T^T c||^2 + level[i] (l1_ratio ||c||_1 + (1 - l1_ratio) / 2 ||c||^2)``,
    warm-started from ``C[i]`` (updated in place); ``P = Xb @ A.T``. The Gram
    matrices ``A_T A_T^T`` are formed by batched products, in chunks of points
    that keep them under the memory budget.
    """
    s = T.shape[1]
    R = np.empty((which.size, A.shape[1]))
    ok = np.zeros(which.size, dtype=np.bool_)
    chunk = max(1, _BLOCK_ELEMENTS // (s * s))
    work = (np.empty(s, dtype=np.int64), np.empty((s + 1, s)))
    for a in range(0, which.size, chunk):
        idx = which[a:a + chunk]
        Ti = T[idx]
        empty = Ti < 0
        Tc = np.where(empty, 0, Ti)
        At = A[Tc]  # (b, s, D)
        At[empty] = 0.0
        G = At @ At.transpose(0, 2, 1)
        Q = np.where(empty, 0.0, P[idx[:, None], Tc])
        W = C[idx]
        S = np.einsum("krp,kp->kr", G, W) - Q  # the gradients G w - q
        b = Xb[idx]
        # violations (in units of sqrt(G_jj)) against tol ||b||, four decades below: the
        # active set ends on the exact solution, the slack only has to pass rounding (at
        # 1e-2 tol ||b|| singular SSC problems kept objective excesses up to 3e-9)
        slack = 1e-4 * float(tol) * np.sqrt(np.einsum("kd,kd->k", b, b))
        _enet_gram_batch(G, Q, W, S, np.ascontiguousarray(level[idx]), float(l1_ratio),
                         slack, int(max_steps), ok[a:a + idx.size], *work)
        C[idx] = W
        R[a:a + idx.size] = b - (W[:, None, :] @ At)[:, 0, :]
    return R, ok


def _enet_block(A, X, start, stop, n_points, l1_ratio, alpha, support_size, max_outer, tol,
                kkt_tol, max_sweeps):
    """ORGEN on the points ``start:stop``; returns (rows, cols, vals, n_outer, n_unconverged)."""
    Xb = np.ascontiguousarray(X[start:stop])
    B = stop - start
    M = A.shape[0]
    rows = np.arange(B)
    selfidx = np.arange(start, stop)
    P = Xb @ A.T  # (B, M): the only O(B M D) step, one GEMM
    absP = np.abs(P)
    absP[rows, selfidx] = -1.0  # a point never represents itself
    m = absP[:, :n_points].max(axis=1) if n_points > 1 else np.zeros(B)
    m = np.maximum(m, 0.0)
    # Divided form: 0.5||b - Ac||^2 + rho ||c||_1 + 0.5 mu ||c||^2 with rho = m / alpha
    # (c = 0 exactly when alpha <= 1), mu = (1 - l1_ratio) / l1_ratio * rho: the elastic
    # net of level rho / l1_ratio and ratio l1_ratio.
    rho = np.where(m > 0, m / alpha, 1.0)
    s = int(min(support_size, M - 1))
    T = np.argpartition(-absP, s - 1, axis=1)[:, :s] if s < M else np.argsort(-absP, 1)[:, :s]
    T = T.astype(np.int64)
    T[absP[rows[:, None], T] <= 0] = -1  # drop self and atoms orthogonal to the point
    C = np.zeros((B, s))
    todo = np.arange(B)
    n_outer = 0
    for n_outer in range(1, max_outer + 1):
        R, ok = _solve_working_sets(A, Xb, P, T, C, rho / l1_ratio, l1_ratio, todo, tol,
                                    max_sweeps)
        corr = np.abs(R @ A.T)  # (n_todo, M)
        sub = np.arange(todo.size)
        corr[sub, selfidx[todo]] = 0.0
        Tt = T[todo]
        valid = Tt >= 0
        corr[np.repeat(sub, s)[valid.ravel()], Tt[valid]] = 0.0
        viol = corr > rho[todo, None] * (1.0 + kkt_tol)
        # a point whose working-set solve did not converge stays too (its working set
        # shrinks to its nonzeros plus violators, the rest is checked through corr)
        has = viol.any(axis=1) | ~ok
        if not has.any():
            todo = todo[:0]
            break
        todo, corr, viol, Tt = todo[has], corr[has], viol[has], Tt[has]
        Ct = C[todo]
        nz = Ct != 0.0
        nnz_max = int(nz.sum(axis=1).max())
        if nnz_max > 0.8 * s and s < M - 1:  # grow the working sets of this block
            s_new = int(min(max(int(1.1 * max(nnz_max, s)) + 1, s + 1), M - 1))
            T = np.hstack([T, np.full((B, s_new - s), -1, dtype=np.int64)])
            C = np.hstack([C, np.zeros((B, s_new - s))])
            Tt = np.hstack([Tt, np.full((todo.size, s_new - s), -1, dtype=np.int64)])
            Ct = np.hstack([Ct, np.zeros((todo.size, s_new - s))])
            nz = Ct != 0.0
            s = s_new
        # next working set: current nonzeros first, then the strongest violators
        score = np.where(viol, corr, 0.0)
        sub = np.arange(todo.size)
        rr, pp = np.nonzero(nz)
        score[rr, Tt[rr, pp]] = np.inf
        kk = min(s, M)
        newT = np.argpartition(-score, kk - 1, axis=1)[:, :kk].astype(np.int64)
        newscore = score[sub[:, None], newT]
        newT[newscore <= 0] = -1
        # carry the nonzero coefficients to their new slots (dense scratch row)
        score[:] = 0.0
        score[rr, Tt[rr, pp]] = Ct[rr, pp]
        newC = np.where(newT >= 0, score[sub[:, None], np.maximum(newT, 0)], 0.0)
        T[todo] = newT
        C[todo] = newC
    n_unconverged = int(todo.size)
    keep = (T >= 0) & (C != 0.0)
    r_, p_ = np.nonzero(keep)
    return (selfidx[r_], T[r_, p_], C[r_, p_], n_outer, n_unconverged)


def elastic_net_self_expression(X, *, l1_ratio=1.0, alpha=50.0, extra_atoms=None,
                                support_size=50, max_outer=40, tol=1e-6, kkt_tol=1e-4,
                                max_sweeps=1000, batch_size=1024, n_jobs=None):
    """Elastic-net self-expression of every row of X by the other rows.

    For each point ``b = X[j]`` with dictionary ``A`` = the other rows (plus
    ``extra_atoms``), solves::

        min_c  0.5 ||b - A c||^2 + rho_j ||c||_1 + 0.5 mu_j ||c||^2
        rho_j = m_j / alpha,   mu_j = (1 - l1_ratio) / l1_ratio * rho_j

    where ``m_j = max_{i != j} |x_i . b|``, i.e. EnSC's
    ``l1_ratio ||c||_1 + (1 - l1_ratio)/2 ||c||^2 + gamma/2 ||b - Ac||^2``
    with ``gamma = alpha * l1_ratio / m_j`` (``alpha > 1`` gives a nonzero
    solution; ``l1_ratio = 1`` is SSC's lasso). The solver is ORGEN's
    oracle-guided active set: solve on a working set of ``support_size``
    atoms (initially the most correlated ones), compute the correlations of
    the residual with all atoms (one GEMM per block of points), add the atoms
    that violate the optimality condition ``|a_i . r| <= rho_j``, repeat until
    none does; the result is then optimal for the full problem.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float64
        Points, ideally with unit-norm rows.
    l1_ratio : float in (0, 1], default=1.0
    alpha : float > 1, default=50.0
    extra_atoms : ndarray of shape (n_extra, n_features), optional
        Atoms appended to the dictionary (never excluded).
    support_size : int, default=50
        Initial working-set size (grown when the support fills it).
    max_outer : int, default=40
        Maximum working-set updates per point.
    tol : float, default=1e-6
        Working-set solve stop: no optimality violation above ``1e-4 * tol * ||b||``
        (in units of the atom's norm).
    kkt_tol : float, default=1e-4
        Relative slack in the violation test ``|a_i . r| > rho_j (1 + kkt_tol)``.
    max_sweeps : int, default=1000
        Steps of each working-set solve (one entering atom and a support solve each).
    batch_size : int, default=1024
        Points per block (capped by a memory budget).
    n_jobs : int or None
        Blocks solved in parallel threads.

    Returns
    -------
    rows, cols : ndarray of shape (nnz,), int64
        ``cols >= n_samples`` index ``extra_atoms``.
    vals : ndarray of shape (nnz,), float64
    n_outer : int
        Largest number of working-set iterations over the blocks.
    n_unconverged : int
        Points still violating optimality after ``max_outer`` iterations.

    Notes
    -----
    Cost: ``O(n_outer * n * (n + n_extra) * D)`` for the correlation GEMMs,
    ``O(n * s * D)`` for the working-set problems; memory
    ``O(block * (n + n_extra) + n * s)``.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    n = X.shape[0]
    A = X if extra_atoms is None else np.ascontiguousarray(
        np.vstack([X, np.asarray(extra_atoms, dtype=np.float64)]))
    if A.shape[0] < 2:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0), 0, 0
    block = _block_size(A.shape[0], batch_size)

    def fn(a, b):
        return _enet_block(A, X, a, b, n, float(l1_ratio), float(alpha), int(support_size),
                           int(max_outer), float(tol), float(kkt_tol), int(max_sweeps))

    out = _run_blocks(fn, n, block, n_jobs)
    rows = np.concatenate([o[0] for o in out]).astype(np.int64)
    cols = np.concatenate([o[1] for o in out]).astype(np.int64)
    vals = np.concatenate([o[2] for o in out])
    return rows, cols, vals, max(o[3] for o in out), sum(o[4] for o in out)


# ----------------------------------------------------------------------------------------
# Orthogonal matching pursuit, batched
# ----------------------------------------------------------------------------------------
def local_noise_share(N):
    """Share of each neighborhood's energy outside its local subspace.

    For neighborhood ``N[i]`` (a point and its nearest points in angle, as
    rows, ``D`` features), the local dimension ``d`` is read off its
    singular values by
    :func:`skstruct._backend._subspaces._dim_from_spectrum` (95% of the
    energy, no more than the values above the Gavish-Donoho noise
    threshold); the noise energy per direction is taken as the median
    squared singular value (in the noise bulk when ``2 d < min(s, D)``; for
    a larger ``d`` the share is 0, no estimate), and the share is
    ``(D - d) * median(s^2) / sum(s^2)``: for unit-norm points of a
    ``d``-dimensional subspace with isotropic noise, about the squared
    residual a point keeps once its subspace is fitted, i.e. what a
    self-expression should not try to fit. (The energy outside the top
    ``d`` directions is no such estimate: in a small neighborhood the
    subspace's own directions other than the point's carry little energy
    and are cut with the noise; measured 5 to 10 times too large.)

    Parameters
    ----------
    N : ndarray of shape (b, s, n_features)

    Returns
    -------
    share : ndarray of shape (b,), in [0, 1]
    """
    sv = np.linalg.svd(N, compute_uv=False)  # (b, min(s, D)), descending
    d = _dim_from_spectrum(sv, 0.95, max(sv.shape[1] - 1, 1), N.shape[1:])
    ev = sv * sv
    tot = np.maximum(ev.sum(axis=1), np.finfo(float).tiny)
    # noise energy per direction from the median eigenvalue, times the directions
    # outside the local subspace; the median is in the noise bulk only when
    # d < min(s, D) / 2, otherwise no estimate (0)
    share = (N.shape[2] - d) * np.median(ev, axis=1) / tot
    return np.where(2 * d < sv.shape[1], np.clip(share, 0.0, 1.0), 0.0)


def _omp_block(X, start, stop, n_nonzero, tol, n_candidates, noise_factor, n_local):
    # sklearn.linear_model.orthogonal_mp_gram shares one Gram matrix between all
    # targets, so it cannot exclude a different atom (the point itself) for each
    # target; hence this lock-step version for the block. With n_candidates, the
    # atoms of each point are its n_candidates most correlated other points: one
    # GEMM picks them, then every greedy step works on (B, s, D) candidates only.
    Xb = X[start:stop]
    B = Xb.shape[0]
    n = X.shape[0]
    k = n_nonzero
    rows_b = np.arange(B)
    selfidx = np.arange(start, stop)
    restrict = n_candidates is not None and n_candidates < n - 1
    cand = near = None
    if restrict or noise_factor is not None:
        P = np.abs(Xb @ X.T)
        P[rows_b, selfidx] = -1.0
        if restrict:
            cand = np.argpartition(-P, n_candidates - 1, axis=1)[:, :n_candidates]
        if noise_factor is not None:
            q = min(n_local, n - 1)
            near = np.argpartition(-P, q - 1, axis=1)[:, :q] if q < n - 1 else \
                np.argsort(-P, axis=1)[:, :q]
        del P
    S = np.full((B, k), -1, dtype=np.int64)  # indices into X
    length = np.zeros(B, dtype=np.int64)
    R = Xb.copy()
    todo = np.arange(B)
    sq = np.maximum(np.einsum("ij,ij->i", Xb, Xb), np.finfo(float).tiny)
    thr = tol * sq
    thr_noise = thr
    if noise_factor is not None:
        # stop at the noise level of the point's neighborhood: what is left there
        # is noise, and later picks would fit it with points of any subspace; not
        # before the second pick (one pick links a point to a single neighbor)
        share = local_noise_share(X[np.hstack([selfidx[:, None], near])])
        thr_noise = np.maximum(thr, noise_factor * share * sq)
    for t in range(k):
        if todo.size == 0:
            break
        sub = np.arange(todo.size)
        if cand is None:
            P = np.abs(R[todo] @ X.T)
            P[sub, selfidx[todo]] = -1.0
            if t:
                P[sub[:, None], S[todo, :t]] = -1.0
            sel = np.argmax(P, axis=1)
            best = P[sub, sel]
        else:
            ct = cand[todo]
            P = np.abs(np.einsum("bsd,bd->bs", X[ct], R[todo]))
            if t:
                P[(ct[:, :, None] == S[todo, None, :t]).any(axis=2)] = -1.0
            j = np.argmax(P, axis=1)
            best = P[sub, j]
            sel = ct[sub, j]
        rnorm = np.sqrt(np.einsum("ij,ij->i", R[todo], R[todo]))
        ok = best > 1e-12 * np.maximum(rnorm, np.finfo(float).tiny)
        todo, sel = todo[ok], sel[ok]
        if todo.size == 0:
            break
        S[todo, t] = sel
        length[todo] = t + 1
        At = X[S[todo, : t + 1]]  # (n_todo, t+1, D)
        coef = np.linalg.pinv(np.transpose(At, (0, 2, 1))) @ Xb[todo, :, None]
        R[todo] = Xb[todo] - np.einsum("nkd,nk->nd", At, coef[:, :, 0])
        res2 = np.einsum("ij,ij->i", R[todo], R[todo])
        todo = todo[res2 > (thr_noise[todo] if t else thr[todo])]
    rows, cols, vals = [], [], []
    for L in np.unique(length):
        if L == 0:
            continue
        idx = np.flatnonzero(length == L)
        At = X[S[idx, :L]]
        coef = (np.linalg.pinv(np.transpose(At, (0, 2, 1))) @ Xb[idx, :, None])[:, :, 0]
        rows.append(np.repeat(selfidx[idx], L))
        cols.append(S[idx, :L].ravel())
        vals.append(coef.ravel())
    if not rows:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def omp_self_expression(X, *, n_nonzero=10, tol=1e-6, n_candidates=None, noise_factor=None,
                        n_local=50, batch_size=1024, n_jobs=None):
    """Orthogonal matching pursuit of every row of X on the other rows.

    For each point ``b = X[j]``: repeat {pick the other point most correlated
    with the residual; least-squares fit of ``b`` on the picked points}
    until ``||r||^2 <= tol * ||b||^2`` or ``n_nonzero`` points are picked. All
    points of a block advance together: each greedy step is one GEMM
    ``R_B @ X.T`` plus small batched least squares. With ``n_candidates``,
    the picks of point ``j`` are restricted to the ``n_candidates`` other
    points most correlated with ``b`` (one GEMM for the block, then the
    greedy steps touch only those).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float64
        Points, ideally with unit-norm rows.
    n_nonzero : int, default=10
        Maximum number of points in a representation
        (``<= min(n_features, n_samples - 1)`` is sensible).
    tol : float, default=1e-6
        Relative squared residual at which a point stops.
    n_candidates : int or None, default=None
        Atoms available to each point; None: all other points.
    noise_factor : float or None, default=None
        Also stop a point once ``||r||^2 <= noise_factor * nu * ||b||^2``,
        ``nu`` the :func:`local_noise_share` of the point and its
        ``n_local`` most correlated other points.
    n_local : int, default=50
        Size of that neighborhood.
    batch_size : int, default=1024
    n_jobs : int or None

    Returns
    -------
    rows, cols : ndarray of shape (nnz,), int64
    vals : ndarray of shape (nnz,), float64

    Notes
    -----
    Cost: ``O(k n^2 D)`` for the correlations (``O(n^2 D + n k s D)`` with
    ``s = n_candidates``) and ``O(n k^2 D)`` for the least squares,
    ``k = n_nonzero``; memory ``O(block * max(n, s D) + n k)``.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    n, D = X.shape
    k = int(min(n_nonzero, n - 1))
    if k < 1:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0)
    s = None if n_candidates is None else int(max(min(n_candidates, n - 1), k))
    width = n if s is None else max(n, s * D)
    nf = None if noise_factor is None else float(noise_factor)
    out = _run_blocks(lambda a, b: _omp_block(X, a, b, k, float(tol), s, nf, int(n_local)), n,
                      _block_size(width, batch_size), n_jobs)
    return (np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out]),
            np.concatenate([o[2] for o in out]))


# ----------------------------------------------------------------------------------------
# Dense methods: LSR, LRR, TSC and block-wise top-k sparsification
# ----------------------------------------------------------------------------------------
def top_k_rows(block, k):
    """Column indices and values of the ``k`` largest ``|entries|`` of each row.

    Parameters
    ----------
    block : ndarray of shape (b, n)
    k : int or None
        ``None`` keeps every nonzero entry.

    Returns
    -------
    r, c : ndarray of shape (nnz,), int64
        Row (within the block) and column indices.
    v : ndarray of shape (nnz,)
    """
    b, n = block.shape
    if k is None or k >= n:
        r, c = np.nonzero(block)
        return r.astype(np.int64), c.astype(np.int64), block[r, c]
    idx = np.argpartition(-np.abs(block), k - 1, axis=1)[:, :k]
    r = np.repeat(np.arange(b), k)
    c = idx.ravel()
    v = block[r, c]
    nz = v != 0
    return r[nz].astype(np.int64), c[nz].astype(np.int64), v[nz]


def lsr_self_expression(X, lam, *, n_nonzero=None, batch_size=1024, n_jobs=None):
    """Least squares regression (LSR1, Lu et al. 2012) with a zero diagonal.

    Row ``i`` of ``C`` minimizes ``||x_i - sum_{j != i} c_j x_j||^2 + lam ||c||^2``;
    with ``K = (X X^T + lam I)^{-1}`` the solution is ``C[i] = -K[i] / K[i, i]``,
    ``C[i, i] = 0``. ``K`` is formed block by block through Woodbury,
    ``K = (I - X (X^T X + lam I)^{-1} X^T) / lam``, at ``O(D^3 + n^2 D)``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    lam : float > 0
    n_nonzero : int or None, default=None
        Keep the ``n_nonzero`` largest ``|c|`` per row (None: all, dense).
    batch_size : int, default=1024
    n_jobs : int or None

    Returns
    -------
    rows, cols : ndarray of shape (nnz,), int64
    vals : ndarray of shape (nnz,)
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    n, D = X.shape
    Minv = np.linalg.inv(X.T @ X + lam * np.eye(D))
    XM = X @ Minv

    def fn(a, b):
        K = -(XM[a:b] @ X.T)
        K[np.arange(b - a), np.arange(a, b)] += 1.0
        K /= lam
        d = np.diag(K[:, a:b]).copy()
        Cb = -K / d[:, None]
        Cb[np.arange(b - a), np.arange(a, b)] = 0.0
        r, c, v = top_k_rows(Cb, n_nonzero)
        return r + a, c, v

    out = _run_blocks(fn, n, _block_size(n, batch_size), n_jobs)
    return (np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out]),
            np.concatenate([o[2] for o in out]))


def _col_shrink(M, tau):
    """Column-wise l2 shrinkage: prox of ``tau * ||.||_{2,1}`` over columns."""
    nrm = np.linalg.norm(M, axis=0)
    scale = np.maximum(1.0 - tau / np.maximum(nrm, np.finfo(float).tiny), 0.0)
    return M * scale


def _svt_wide(A, tau, rng):
    """Singular value thresholding of a wide ``(r, n)`` matrix, ``r <= n``.

    ``A^T = Q R`` (thin QR, ``O(n r^2)``), so ``svt(A) = svt(R^T) Q^T`` with
    the thresholding done by :func:`skstruct._backend._svd.svt` on ``r x r``.
    """
    Q, Rm = np.linalg.qr(A.T)
    U, s, Vt, _ = svt(Rm.T, tau, rank_guess=Rm.shape[0], random_state=rng)
    return (U * s) @ (Vt @ Q.T)


def lrr_ialm(X, lam, *, tol=1e-8, max_iter=1000, rho=1.1, mu=1e-6, mu_max=1e10,
             random_state=None, verbose=0):
    """Low-rank representation by inexact ALM (Liu et al.).

    Solves ``min ||Z||_* + lam ||E||_{2,1}  s.t.  X^T = X^T Z + E`` (points as
    columns of ``X^T``; ``E`` has one column per point, so the l2,1 norm
    tolerates corrupted points). With ``X = Q S V^T`` the solution lies in
    ``range(Q)``: ``Z = Q Zr``, and the iterations run on the ``r x n``
    matrix ``Zr`` (``r = rank(X)``), each at ``O(r n D + r^2 n)`` with the
    singular value thresholding of :func:`skstruct._backend._svd.svt`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    lam : float > 0
    tol : float, default=1e-8
        Stop when both constraint residuals are below ``tol`` (max norm).
    max_iter : int, default=1000
    rho, mu, mu_max : float
        Penalty schedule ``mu <- min(rho * mu, mu_max)``.
    random_state : int or None
        Passed to ``svt``.
    verbose : int, default=0
        Print the constraint residual every 50 iterations.

    Returns
    -------
    Q : ndarray of shape (n_samples, r)
        Orthonormal basis of the column space of ``X``.
    Zr : ndarray of shape (r, n_samples)
        Reduced representation, ``Z = Q @ Zr`` (column ``j`` represents point
        ``j``; the row convention used elsewhere is ``C = Z.T``).
    E : ndarray of shape (n_features, n_samples)
        Error part, columns per point.
    n_iter : int
    converged : bool
    """
    X = np.asarray(X, dtype=np.float64)
    n, D = X.shape
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    r = int(np.count_nonzero(s > s[0] * max(n, D) * np.finfo(float).eps)) if s.size else 0
    r = max(r, 1)
    Q = U[:, :r]
    Xc = X.T
    Bm = Vt[:r].T * s[:r]  # = Xc @ Q, shape (D, r)
    H = np.linalg.inv(Bm.T @ Bm + np.eye(r))
    Zr = np.zeros((r, n))
    J = np.zeros((r, n))
    E = np.zeros((D, n))
    Y1 = np.zeros((D, n))
    Y2 = np.zeros((r, n))
    rng = np.random.default_rng(random_state)
    converged = False
    it = 0
    # The iterations work on r x n and D x n matrices: for small ones, BLAS
    # threading costs more than it brings (measured 50x slower on a loaded
    # 2-core machine), so use one thread below ~5e7 flops per product.
    limit = 1 if r * n * max(D, r) < 5e7 else None
    with threadpool_limits(limits=limit, user_api="blas"):
        for it in range(1, max_iter + 1):
            J = _svt_wide(Zr + Y2 / mu, 1.0 / mu, rng)
            Zr = H @ (Bm.T @ (Xc - E) + J + (Bm.T @ Y1 - Y2) / mu)
            xmaz = Xc - Bm @ Zr
            E = _col_shrink(xmaz + Y1 / mu, lam / mu)
            leq1 = xmaz - E
            leq2 = Zr - J
            gap = max(np.abs(leq1).max(), np.abs(leq2).max())
            if verbose and (it % 50 == 0 or gap < tol):
                print(f"[lrr_ialm] iteration {it}: constraint residual {gap:.2e}, mu {mu:.1e}",
                      flush=True)
            if gap < tol:
                converged = True
                break
            Y1 += mu * leq1
            Y2 += mu * leq2
            mu = min(rho * mu, mu_max)
    return Q, Zr, E, it, converged


def lrr_closed_form(X, lam):
    """Low-rank representation with Frobenius error, in closed form.

    Solves ``min_Z ||Z||_* + lam / 2 ||X^T - X^T Z||_F^2`` (points as
    columns of ``X^T``). With the thin SVD ``X = U S V^T`` the solution is
    ``Z = U_1 diag(1 - 1 / (lam s_i^2)) U_1^T`` over the singular values
    ``s_i > 1 / sqrt(lam)`` (Favaro, Vidal & Ravichandran 2011): the shape
    interaction matrix of the leading directions, shrunk. Optimality: on
    ``U_1`` the gradient of the fit term equals the subgradient ``U_1 U_1^T``
    of the nuclear norm, on the other directions it has spectral norm
    ``lam s_i^2 <= 1``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    lam : float > 0

    Returns
    -------
    Q : ndarray of shape (n_samples, r)
        ``U_1``, orthonormal columns (``r`` may be 0).
    Zr : ndarray of shape (r, n_samples)
        ``Z = Q @ Zr``, the factored form :func:`lrr_coefficients` takes.

    Notes
    -----
    Cost: one thin SVD, ``O(n D min(n, D))``; memory ``O(n min(n, D))``.
    """
    U, s, _ = np.linalg.svd(np.asarray(X, dtype=np.float64), full_matrices=False)
    keep = s * s * lam > 1.0
    Q = U[:, keep]
    return Q, (1.0 - 1.0 / (lam * s[keep] ** 2))[:, None] * Q.T


def lrr_coefficients(Q, Zr, *, n_nonzero=None, batch_size=1024, n_jobs=None):
    """Rows of ``C = (Q Zr)^T`` with the diagonal dropped, sparsified by blocks.

    Parameters
    ----------
    Q : ndarray of shape (n_samples, r)
    Zr : ndarray of shape (r, n_samples)
    n_nonzero : int or None
    batch_size : int, default=1024
    n_jobs : int or None

    Returns
    -------
    rows, cols : ndarray of shape (nnz,), int64
    vals : ndarray of shape (nnz,)
    """
    n = Q.shape[0]

    def fn(a, b):
        Cb = Zr[:, a:b].T @ Q.T
        Cb[np.arange(b - a), np.arange(a, b)] = 0.0
        r, c, v = top_k_rows(Cb, n_nonzero)
        return r + a, c, v

    out = _run_blocks(fn, n, _block_size(n, batch_size), n_jobs)
    return (np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out]),
            np.concatenate([o[2] for o in out]))


def thresholding_neighbors(X, n_neighbors, *, batch_size=1024, n_jobs=None):
    """TSC affinities (Heckel & Boelcskei): top-q absolute correlations per point.

    For unit-norm rows, keeps for each point the ``q`` other points with the
    largest ``|x_i . x_j|`` and weights them ``exp(-2 arccos |x_i . x_j|)``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), unit-norm rows
    n_neighbors : int
    batch_size : int, default=1024
    n_jobs : int or None

    Returns
    -------
    rows, cols : ndarray of shape (n_samples * q,), int64
    vals : ndarray of shape (n_samples * q,)
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    n = X.shape[0]
    q = int(min(n_neighbors, n - 1))

    def fn(a, b):
        P = np.abs(X[a:b] @ X.T)
        P[np.arange(b - a), np.arange(a, b)] = -1.0
        idx = np.argpartition(-P, q - 1, axis=1)[:, :q]
        r = np.repeat(np.arange(b - a), q)
        c = idx.ravel()
        v = np.exp(-2.0 * np.arccos(np.clip(P[r, c], 0.0, 1.0)))
        return r + a, c.astype(np.int64), v

    if q < 1:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0)
    out = _run_blocks(fn, n, _block_size(n, batch_size), n_jobs)
    return (np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out]),
            np.concatenate([o[2] for o in out]))
