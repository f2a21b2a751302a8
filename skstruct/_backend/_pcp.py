"""Principal component pursuit by the inexact augmented Lagrangian method.

Solves ``min ||L||_* + lam ||P(S)||_1  s.t.  P(L + S) = P(D)`` where ``P``
keeps the observed entries (all of them when there is no mask), following
Lin, Chen & Ma (2010), with the singular value thresholding step computed
by warm-started subspace iteration (:mod:`skstruct._backend._svd`): only
the triplets above the threshold, from the previous iteration's right
singular subspace, so that an iteration costs a few products of the data
with thin panels.
"""

from typing import NamedTuple

import numpy as np
from numba import njit
from threadpoolctl import threadpool_limits

from ._compiled import B1, F1, f8, register
from ._svd import partial_svd, svt, svt_subspace_step


class PCPResult(NamedTuple):
    low_rank: np.ndarray  # (m, n)
    sparse: np.ndarray  # (m, n), zero where the entry is not observed
    U: np.ndarray  # (m, r) left singular vectors of low_rank
    s: np.ndarray  # (r,) singular values of low_rank
    Vt: np.ndarray  # (r, n) right singular vectors of low_rank
    n_iter: int
    converged: bool
    residuals: np.ndarray  # relative residual after each iteration
    dual: np.ndarray  # (m, n) Lagrange multiplier Y (a dual certificate at convergence)


def pcp_ialm(D, lam, **kwargs):
    """Inexact ALM for (masked) principal component pursuit, on one BLAS thread.

    The iterations are products with thin panels and small factorizations;
    OpenBLAS threads gained nothing there and cost much when the cores are
    shared (measured on 2000x2000 rank 100 with the previous solver: 6.6 s
    on one thread against 12.7 s with 2 threads on a 2-core machine and
    21.9 s with 16 threads on a 16-core one). See :func:`_pcp_ialm` for the
    parameters.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _pcp_ialm(D, lam, **kwargs)


def _pcp_ialm(D, lam, *, mask=None, tol=1e-7, max_iter=1000, mu=None, rho=1.5,
             mu_max_factor=1e7, rank_guess=None, tol_gap=None, balance=10.0,
             verbose=0, random_state=None):
    """Inexact ALM for (masked) principal component pursuit.

    One iteration costs three products of the ``(m, n)`` matrix with ``(n,
    k)`` or ``(k, n)`` panels (``k`` = rank + a margin): the singular value
    thresholding by one warm-started subspace iteration step
    (:func:`~skstruct._backend._svd.svt_subspace_step`, two products) and
    the low-rank part ``L = U diag(s) Vt`` (one), plus one fused elementwise
    pass for the multiplier and the next sparse part.

    Parameters
    ----------
    D : ndarray of shape (m, n)
        Finite data; entries outside ``mask`` are ignored (any finite value).
    lam : float
        Weight of the l1 term.
    mask : ndarray of bool of shape (m, n), optional
        Observed entries. ``None`` means all.
    tol : float
        Primal tolerance: ``||P(D - L - S)||_F / ||P(D)||_F < tol``.
    max_iter : int
    mu : float, optional
        Initial penalty; default ``1.25 / ||P(D)||_2``.
    rho : float
        Growth factor of ``mu`` per iteration (``mu`` capped at
        ``mu_max_factor`` times its initial value).
    rank_guess : int, optional
        Triplets computed at the first SVT; default ``min(10, min(m, n))``.
    tol_gap : float or None
        None: stop as soon as the primal tolerance is met (the published
        algorithm). A float: once the primal tolerance is met, stop if the relative duality gap
        certified by the multiplier is below ``tol_gap``. Otherwise (the
        point is feasible but not optimal, which fast growth of ``mu`` can
        cause) continue with residual balancing of ``mu`` until both the
        primal and the dual residual ``mu ||L_k - L_{k-1}||_F / ||P(D)||_F``
        are below ``tol``.
    balance : float
        Residual-balancing ratio of that second phase.
    verbose : int
        Print one line per iteration when > 0.
    random_state : numpy.random.Generator or int or None

    Returns
    -------
    PCPResult
    """
    rng = np.random.default_rng(random_state)
    m, n = D.shape
    p = min(m, n)
    # C order: the fused kernels ravel
    D = np.ascontiguousarray(D, dtype=np.float64)
    if mask is not None:
        mask = np.ascontiguousarray(mask, dtype=np.bool_)
        D = np.where(mask, D, 0.0)
    norm_fro = np.linalg.norm(D)
    if norm_fro == 0.0:
        zero = np.zeros((m, n))
        return PCPResult(zero, zero.copy(), np.zeros((m, 0)), np.zeros(0), np.zeros((0, n)),
                         0, True, np.zeros(0), zero.copy())
    obs = np.ones(1, dtype=np.bool_) if mask is None else mask
    norm_two = partial_svd(D, 1, n_iter=4, random_state=rng)[1][0]
    norm_inf = np.abs(D).max() / lam
    Y = D / max(norm_two, norm_inf)
    if mu is None:
        mu = 1.25 / norm_two
    mu_max = mu * mu_max_factor
    L, L_old = np.zeros_like(D), np.empty_like(D)
    S, S_next = np.empty_like(D), np.empty_like(D)
    A = np.empty_like(D)
    _sparse_step(D, L, Y, obs, mu, lam, S, A)
    k = min(10, p) if rank_guess is None else int(rank_guess)
    V = None
    residuals = []
    converged = False
    balancing = False
    for it in range(1, max_iter + 1):
        if V is None:
            # cold start: a randomized SVD with one power iteration. At most
            # ||A||_F^2 / tau^2 singular values exceed tau: start there if
            # that bound is small (else double from k)
            bound = int(np.vdot(A, A) * mu * mu) + 1
            k = max(k, min(bound, p // 10))
            U, s, Vt, _ = svt(A, 1.0 / mu, rank_guess=k, n_iter=1, random_state=rng)
            V = Vt.T
        else:
            # one subspace iteration step, a second (third) one while the
            # kept subspace moves by more than ~6 degrees
            U, s, Vt, V = svt_subspace_step(A, 1.0 / mu, V, k, tol_angle=0.1, random_state=rng)
        r = s.size
        k = min(r + max(10, r // 10), p)  # subspace: rank + a margin
        L, L_old = L_old, L
        np.matmul(U * s, Vt, out=L)
        mu_next = mu if balancing else min(mu * rho, mu_max)
        # Y += mu (D - L - S); S_next, A: the sparse step of the next iteration at mu_next
        res = np.sqrt(_dual_sparse_step(D, L, S, Y, obs, mu, mu_next, lam, S_next, A)) / norm_fro
        residuals.append(res)
        if verbose > 0:
            print(f"pcp iteration {it}: rank {r}, relative residual {res:.3e}, mu {mu:.3e}")
        if balancing:
            # dual residual: the change of L scaled by mu
            dres = mu * np.linalg.norm(L - L_old) / norm_fro
            if res < tol and dres < tol:
                converged = True
                break
            # residual balancing (Boyd et al. 2011, sec. 3.4.1)
            if res > balance * dres:
                mu_next = min(mu * rho, mu_max)
            elif dres > balance * res:
                mu_next = mu / rho
            if mu_next != mu:
                _sparse_step(D, L, Y, obs, mu_next, lam, S_next, A)
        else:
            if res < tol and tol_gap is None:
                converged = True
                break
            if res < tol:
                # multiplier of the S-step, mu (D - L_old - S) + Y_old = Y + mu (L - L_old):
                # the l1 subgradient part
                Y_s = Y + mu * (L - L_old)
                if _relative_gap(D, lam, s, S, Y_s, mask, rng) <= tol_gap:
                    converged = True
                    break
                balancing = True  # feasible but not yet optimal
        if it < max_iter:  # else keep the S that goes with L
            mu = mu_next
            S, S_next = S_next, S
    if mask is not None:
        S[~mask] = 0.0
    return PCPResult(L, S, U, s, Vt, it, converged, np.asarray(residuals), Y)


def _sparse_step(D, L, Y, obs, mu, lam, S, A):
    """In one pass: ``S = soft(D - L + Y / mu, lam / mu)`` on observed entries
    (``D - L + Y / mu`` elsewhere), ``A = D - S + Y / mu``.

    The dual step of :func:`_dual_sparse_step` with a zero step on ``Y``.
    """
    _dual_sparse_step(D, L, D, Y, obs, 0.0, mu, lam, S, A)


def _dual_sparse_step(D, L, S, Y, obs, mu, mu_next, lam, S_next, A):
    """In one pass (fusing halves the memory traffic of an iteration):
    ``Z = D - L - S`` on observed entries (0 elsewhere), ``Y += mu * Z``, then
    the sparse step at ``mu_next`` into ``S_next`` and ``A``. Returns
    ``||Z||_F^2``.

    All arrays C-contiguous of shape (m, n) (``obs`` of size 1: all
    observed); the kernel runs on their flat views.
    """
    return _fused_step(D.reshape(-1), L.reshape(-1), S.reshape(-1), Y.reshape(-1),
                       obs.reshape(-1), mu, mu_next, lam, S_next.reshape(-1), A.reshape(-1))


# Compile cost (issue 19): one kernel on flat arrays (was two on 2-D arrays
# raveled inside, with an inlined shrink: 1.5 s of compile CPU on first use).
@njit(cache=True)
def _fused_step(d, l_, s_, y_, o_, mu, mu_next, lam, sn, a_):
    inv = 1.0 / mu_next
    thr = lam * inv
    full = o_.size == 1
    acc = 0.0
    for i in range(d.size):
        ob = full or o_[i]
        if ob:
            z = d[i] - l_[i] - s_[i]
            acc += z * z
            y_[i] += mu * z
        y = y_[i] * inv
        t = d[i] - l_[i] + y
        if ob:  # soft threshold
            t = t - thr if t > thr else (t + thr if t < -thr else 0.0)
        sn[i] = t
        a_[i] = d[i] - t + y
    return acc


register("pcp_fused_step", _fused_step, f8(F1, F1, F1, F1, B1, f8, f8, f8, F1, F1))


def _relative_gap(D, lam, s, S, Y, mask, rng):
    """Relative duality gap of (L, S) certified by the multiplier Y.

    Any W with ``|W_ij| <= lam`` (and zero off the mask) and ``||W||_2 <= 1``
    gives the lower bound ``<W, D>`` on the optimal value (weak duality), so
    ``f(L, S) - <W, D>`` bounds the suboptimality of a feasible (L, S).
    """
    W = np.clip(Y, -lam, lam)
    if mask is not None:
        W[~mask] = 0.0
    spec = partial_svd(W, 1, n_iter=4, random_state=rng)[1][0]
    W /= max(1.0, spec)
    f = s.sum() + lam * np.abs(S if mask is None else S[mask]).sum()
    return (f - np.vdot(W, D)) / max(f, np.finfo(float).tiny)
