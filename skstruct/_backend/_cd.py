"""Working-set coordinate descent for penalised least squares and logistic loss.

Problem, for a design ``X`` of shape (n, p) (already centred and row-scaled by
the caller, see :func:`prepare_design`) and a separable penalty from
:mod:`skstruct._backend._penalties`::

    min_w  P(w) = F(w) + sum_j pen(w_j; alpha * weights_j)

with the datafit ``F`` quadratic, ``||y - X w||^2 / (2 n)``, or logistic
(:func:`prepare_logistic_design`). One driver (:func:`cd_solve`) serves every
datafit, every penalty (l1, elastic net, MCP, SCAD) and three storages of the
design:

* ``mode 0`` dense ``X`` stored transposed, ``(p, n)`` C-contiguous; state =
  residual ``R = y - X w``, cost O(n) per coordinate update.
* ``mode 1`` CSC sparse ``X`` with implicit centring: the design column is
  ``Xs_j - off_j * u`` (``Xs`` sparse, ``u`` dense, e.g. ``sqrt(sample_weight)``),
  never formed. The residual is kept as ``R + shift * u`` so an update costs
  O(nnz of the column).
* ``mode 2`` precomputed Gram ``G = X^T X / n`` and ``q = X^T y / n`` (tall
  data, ``n >> p``); state = gradient ``G w - q``, cost O(p) per update and
  independent of n.

Algorithm (skglm's working-set scheme, Massias et al. 2020; Bertrand et al. 2022).
The outer loop is numpy; only the epochs over the working set are compiled
(numba, one small kernel per storage and penalty, compiled ahead of time at install,
see :mod:`skstruct._backend._compiled`; on numba's JIT a call compiles only its own):

1. Outer iteration: full gradient (one BLAS / sparse product), violation score
   ``dist(-grad_j, ∂pen_j(w_j))`` of every feature
   (the penalty's ``subdiff``, :mod:`skstruct._backend._penalties`).
2. Stopping test. Convex penalties (elastic net / l1): duality gap
   ``P(w) - D(theta) <= tol * F(0)`` with the dual point ``theta = c R / n``
   rescaled to be feasible, and (scikit-learn's second condition) no coordinate
   moved by more than ``tol * max|w|`` in the last epoch: scikit-learn's stopping
   rule (their gap is ours times n). Which rule applies is the spec's ``has_gap``.
   Nonconvex penalties (MCP, SCAD) and convex fits with unpenalised features: the
   largest violation score scaled by its column, ``max_j score_j / sqrt(L_j) <= tol
   * sqrt(F(0))`` (first-order stationarity, invariant to rescaling X and y).
3. Gap-safe screening (where the spec's ``safe_screen`` says so: l1): feature ``j``
   is removed for good when ``c |X_j^T R / n| + sqrt(2 L_j gap) < alpha_j``.
4. Working set: every nonzero / unpenalised feature plus the highest scores,
   of size ``max(p0, 2 * #nonzero)``.
5. Inner loop: cyclic (or random-order) coordinate descent on the working set,
   ``w_j <- prox(w_j - grad_j / L_j, 1 / L_j)`` with ``L_j = ||X_j||^2 / n``;
   Anderson extrapolation of the last 6 epoch iterates (accepted only when it
   lowers ``P``); the inner loop ends when the largest violation met during a
   sweep (each coordinate scored just before its update) is below ``0.3 x`` the
   outer one.

No sorting, linear algebra, random numbers, allocation or error paths inside the
compiled code (they compile numba's own machinery, seconds of a first call;
issue 19): the driver passes buffers, the visiting order and the working set.
"""

import itertools
import math
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from numba import njit, types
from scipy.linalg import cho_factor, cho_solve, solve_triangular
from scipy.special import xlog1py, xlogy

from ._compiled import B1, F1, F2, I1, I2, J1, b1, f8, i8, register, void
from ._penalties import ENET, MCP_CODE, SCAD_CODE, _enet_prox, _enet_subdiff, _enet_value, \
    _mcp_prox, _mcp_subdiff, _mcp_value, _scad_prox, _scad_subdiff, _scad_value
from ._threads import blas_limit
from ._working_set import anderson_weights, top_indices

_ANDERSON_K = 5
_EPS = float(np.finfo(np.float64).eps)
# what an epoch kernel stopped on (out[1])
_BUDGET, _CONVERGED, _STALLED, _EXTRAPOLATE = 0, 1, 2, 3
# random order: epochs per batch of permutations drawn by numpy
_RANDOM_BATCH = 20
# the full gradient X^T r of a dense design of at least this many entries on one BLAS thread:
# the epochs are serial anyway, and on a loaded 2-core machine a two-thread gemv of
# 5000 x 1000 took 30 ms instead of 1.2 ms (the dense benchmark path ran 3.5x slower)
_BLAS_ONE_THREAD = 100_000


# ----------------------------------------------------------------------------- epoch kernels
@njit(cache=True, inline="always")
def _track(sc, old, new, kws, dw, wm):
    """The epoch's running (largest violation, largest move, largest value) after the
    step ``old -> new`` of a coordinate whose violation before it was ``sc``."""
    d = abs(new - old)
    an = abs(new)
    # (written out: numba's max overload is a compile of its own)
    return sc if sc > kws else kws, d if d > dw else dw, an if an > wm else wm


@njit(cache=True, inline="always")
def _epoch_end(kws, dw, wm, inner_tol, tol, gap_met, buffer_full):
    """Why the epoch loop stops after this epoch (0: it goes on)."""
    if (gap_met and dw <= tol * wm) or (not gap_met and kws <= inner_tol):
        return 1
    if buffer_full:
        return 3
    # an epoch that moved no coefficient beyond rounding is a fixed point: the next
    # would repeat it (a violation can sit at rounding level, e.g. 1e150 data)
    if dw <= 4.0 * 2.220446049250313e-16 * wm:
        return 2
    return 0


@njit(cache=True, inline="always")
def logistic_r(y, sw, z):
    """Negative loss derivative ``sw y / (1 + exp(y z))`` of a sample (numba, inlined
    in the kernels) or of every sample (numpy arrays through ``logistic_r.py_func``)."""
    return sw * y / (1.0 + np.exp(y * z))


def _epochs_for(kind, df):
    """The dense and CSC epoch kernels of penalty code ``kind`` and datafit ``df``
    (0 quadratic, 1 logistic), both closure constants: numba prunes the other
    penalties' and the other datafit's branches before typing (issue 19)."""

    @njit(cache=True, nogil=True, no_cfunc_wrapper=True)
    def epochs_dense(XT, y, sw, w, r, lin, ws, perms, steps, unit, alpha, gamma, weights,
                     positive, max_epochs, inner_tol, tol, gap_met, buf, out):
        """Up to ``max_epochs`` CD epochs over ``ws`` with dense ``XT`` (p, n).

        ``df`` 0: ``r`` is the residual; 1 (logistic): ``lin = X w`` and ``r`` its
        :func:`logistic_r`. Epoch ``e`` visits ``ws[perms[e % len(perms)]]``. With
        ``buf`` (K+1, |ws| + n + 2) non-empty, each epoch's ``w[ws]`` and linear state
        (``r``, or ``lin``) are stored in a row and the kernel returns when the rows are
        full. ``out[:3]`` receives (epochs run, stop code, last epoch moved <= tol max|w|).
        """
        # this code's 1-D penalty functions (``kind`` is a constant: numba prunes the
        # other branches before typing; no inlining, which costs seconds of compile)
        if kind == 0:
            prox, subdiff = _enet_prox, _enet_subdiff
        elif kind == 1:
            prox, subdiff = _mcp_prox, _mcp_subdiff
        else:
            prox, subdiff = _scad_prox, _scad_subdiff
        n = r.shape[0]
        m = ws.shape[0]
        nbuf = buf.shape[0]
        state = r if df == 0 else lin
        pos = 0
        for e in range(max_epochs):
            kws, dw, wm = 0.0, 0.0, 0.0
            perm = perms[e % perms.shape[0]]
            for kp in range(m):
                j = ws[perm[kp]]
                acc = 0.0
                for i in range(n):
                    acc += XT[j, i] * r[i]
                # prox step of the coordinate, its violation scored just before it
                old, g, a = w[j], -acc / n, alpha * weights[j]
                sc = subdiff(a, gamma, old, g, positive) * unit[j]
                new = prox(a, gamma, old - g * steps[j], steps[j], positive)
                kws, dw, wm = _track(sc, old, new, kws, dw, wm)
                if new != old:
                    w[j] = new
                    delta = new - old
                    if df == 0:
                        for i in range(n):
                            r[i] -= delta * XT[j, i]
                    else:
                        for i in range(n):
                            lin[i] += delta * XT[j, i]
                            r[i] = logistic_r(y[i], sw[i], lin[i])
            if nbuf:
                row = buf[pos]
                for k in range(m):
                    row[k] = w[ws[k]]
                for i in range(n):
                    row[m + i] = state[i]
                pos += 1
            out[2] = dw <= tol * wm
            code = _epoch_end(kws, dw, wm, inner_tol, tol, gap_met, nbuf > 0 and pos == nbuf)
            if code:
                out[0] = e + 1
                out[1] = code
                return
        out[0] = max_epochs
        out[1] = 0

    @njit(cache=True, nogil=True, no_cfunc_wrapper=True)
    def epochs_csc(data, indices, indptr, off, uX, y, sw, w, r, extra, lin, ws, perms,
                   steps, unit, alpha, gamma, weights, positive, max_epochs, inner_tol, tol,
                   gap_met, buf, out):
        """``epochs_dense`` for CSC ``X`` with implicit centring (``extra``: the shift
        ``s``, ``u^T R``, ``u^T u``; column ``j`` is ``Xs_j - off_j u``); the last two
        entries of a ``buf`` row store the first two extras."""
        if kind == 0:  # (as in epochs_dense)
            prox, subdiff = _enet_prox, _enet_subdiff
        elif kind == 1:
            prox, subdiff = _mcp_prox, _mcp_subdiff
        else:
            prox, subdiff = _scad_prox, _scad_subdiff
        n = r.shape[0]
        m = ws.shape[0]
        nbuf = buf.shape[0]
        state = r if df == 0 else lin
        pos = 0
        for e in range(max_epochs):
            kws, dw, wm = 0.0, 0.0, 0.0
            perm = perms[e % perms.shape[0]]
            for kp in range(m):
                j = ws[perm[kp]]
                # (Xs_j - off_j u)^T (R + s u) = Xs_j^T R + s uX_j - off_j (u^T R + s u^T u)
                acc = 0.0
                for k in range(indptr[j], indptr[j + 1]):
                    acc += data[k] * r[indices[k]]
                acc += extra[0] * uX[j] - off[j] * (extra[1] + extra[0] * extra[2])
                # prox step of the coordinate, its violation scored just before it
                old, g, a = w[j], -acc / n, alpha * weights[j]
                sc = subdiff(a, gamma, old, g, positive) * unit[j]
                new = prox(a, gamma, old - g * steps[j], steps[j], positive)
                kws, dw, wm = _track(sc, old, new, kws, dw, wm)
                if new != old:
                    w[j] = new
                    delta = new - old
                    if df == 0:
                        for k in range(indptr[j], indptr[j + 1]):
                            r[indices[k]] -= delta * data[k]
                        extra[1] -= delta * uX[j]
                        extra[0] += delta * off[j]
                    else:
                        for k in range(indptr[j], indptr[j + 1]):
                            i = indices[k]
                            lin[i] += delta * data[k]
                            r[i] = logistic_r(y[i], sw[i], lin[i])
            if nbuf:
                row = buf[pos]
                for k in range(m):
                    row[k] = w[ws[k]]
                for i in range(n):
                    row[m + i] = state[i]
                row[m + n] = extra[0]
                row[m + n + 1] = extra[1]
                pos += 1
            out[2] = dw <= tol * wm
            code = _epoch_end(kws, dw, wm, inner_tol, tol, gap_met, nbuf > 0 and pos == nbuf)
            if code:
                out[0] = e + 1
                out[1] = code
                return
        out[0] = max_epochs
        out[1] = 0

    return (register(f"cd_dense_{kind}_{df}", epochs_dense, _DENSE_SIG),
            register(f"cd_csc_{kind}_{df}", epochs_csc, _CSC_SIG))


# the epoch kernels' arguments after the storage's: ws, perms, steps, unit, alpha, gamma,
# weights, positive, max_epochs, inner_tol, tol, gap_met, buf, out
_EPOCH_ARGS = (I1, I2, F1, F1, f8, f8, F1, b1, i8, f8, f8, b1, F2, F1)
_DENSE_SIG = void(F2, F1, F1, F1, F1, F1, *_EPOCH_ARGS)
_CSC_SIG = void(F1, J1, J1, F1, F1, F1, F1, F1, F1, F1, F1, *_EPOCH_ARGS)
_GRAM_SIG = void(F2, F1, F1, *_EPOCH_ARGS)
_OUTER_SIG = types.Tuple((f8, i8, i8, f8, f8))(f8, f8, F1, b1, F1, F1, F1, B1, b1, F1)
_PEN_SUM_SIG = types.UniTuple(f8, 3)(f8, f8, F1, F1, F1, F1)


def _kernels_for(kind):
    """The compiled kernels of the penalty code ``kind`` (see :data:`KERNELS`).

    ``kind`` is a constant of these closures: numba removes the branches that pick
    the other penalties' 1-D functions before typing, so a Lasso fit compiles no MCP
    or SCAD code (issue 19), and each kernel is cached on disk.
    """

    @njit(cache=True, nogil=True, no_cfunc_wrapper=True)
    def epochs_gram(G, w, g, ws, perms, steps, unit, alpha, gamma, weights, positive,
                    max_epochs, inner_tol, tol, gap_met, buf, out):
        """``epochs_dense`` for the Gram storage (quadratic datafit): ``g = G w - q`` is
        the gradient and the stored state, ``buf`` (K+1, |ws| + p + 2)."""
        if kind == 0:  # (as in epochs_dense)
            prox, subdiff = _enet_prox, _enet_subdiff
        elif kind == 1:
            prox, subdiff = _mcp_prox, _mcp_subdiff
        else:
            prox, subdiff = _scad_prox, _scad_subdiff
        p = g.shape[0]
        m = ws.shape[0]
        nbuf = buf.shape[0]
        pos = 0
        for e in range(max_epochs):
            kws, dw, wm = 0.0, 0.0, 0.0
            perm = perms[e % perms.shape[0]]
            for kp in range(m):
                j = ws[perm[kp]]
                old, a = w[j], alpha * weights[j]
                sc = subdiff(a, gamma, old, g[j], positive) * unit[j]
                new = prox(a, gamma, old - g[j] * steps[j], steps[j], positive)
                kws, dw, wm = _track(sc, old, new, kws, dw, wm)
                if new != old:
                    w[j] = new
                    delta = new - old
                    for i in range(p):
                        g[i] += delta * G[j, i]
            if nbuf:
                row = buf[pos]
                for k in range(m):
                    row[k] = w[ws[k]]
                for i in range(p):
                    row[m + i] = g[i]
                pos += 1
            out[2] = dw <= tol * wm
            code = _epoch_end(kws, dw, wm, inner_tol, tol, gap_met, nbuf > 0 and pos == nbuf)
            if code:
                out[0] = e + 1
                out[1] = code
                return
        out[0] = max_epochs
        out[1] = 0

    @njit(cache=True, no_cfunc_wrapper=True)
    def outer_terms(alpha, gamma, weights, positive, w, grad, unit, usable, with_gap, scores):
        """What the outer iteration needs from the penalty, in one pass over the features.

        Fills ``scores`` with the working-set scores (``inf``: nonzero or unpenalised,
        ``-1``: unusable, else the violation ``dist(-grad_j, ∂pen_j(w_j))``). With
        ``with_gap``, the box and conjugate terms of the elastic-net duality gap over the
        coordinates with curvature (``unit_j > 0``): feature levels ``l1_j = alpha
        weights_j gamma``, ``l2_j = alpha weights_j (1 - gamma)``, dual point ``theta = c
        r / n`` with the largest ``c <= 1`` that makes it feasible; the gap is ``F(w) +
        pen(w) - (D_F(c) - conj)`` with ``D_F(c) = -F^*(-theta)`` the datafit's part
        (:meth:`Design.dual`) and ``pen`` from ``pen_sum``.

        Returns ``(kkt, n_inf, n_unpen, c, conj)``: the largest violation times
        ``unit_j``, the number of ``inf`` scores, of usable unpenalised features
        (``weights_j == 0``; the gap is not the stopping rule then), and the gap terms
        (``c = 1``, ``conj = 0`` without ``with_gap`` and for codes other than the
        elastic net, which have no gap).
        """
        if kind == 0:  # (as in the epoch kernels)
            subdiff = _enet_subdiff
        elif kind == 1:
            subdiff = _mcp_subdiff
        else:
            subdiff = _scad_subdiff
        kkt = 0.0
        n_inf = 0
        n_unpen = 0
        c = 1.0
        conj = 0.0
        for j in range(w.shape[0]):
            a = alpha * weights[j]
            wj, gj = w[j], grad[j]
            # (the gap's terms are the elastic net's: other codes compile none of them)
            if kind == 0 and with_gap and unit[j] > 0.0:
                v = -gj if positive else abs(gj)
                l1, l2 = a * gamma, a * (1.0 - gamma)
                if l2 == 0.0:
                    if v > l1:
                        c = l1 / v if l1 / v < c else c
                elif l2 > 0.0 and v > l1:
                    conj += (v - l1) * (v - l1) / (2.0 * l2)
            if not usable[j]:
                scores[j] = -1.0
                continue
            if weights[j] == 0.0:
                n_unpen += 1
            sc = subdiff(a, gamma, wj, gj, positive)
            if sc * unit[j] > kkt:
                kkt = sc * unit[j]
            if wj != 0.0 or a == 0.0:
                scores[j] = np.inf
                n_inf += 1
            else:
                scores[j] = sc
        # conj was summed at c = 1 (one pass): c < 1 only comes from a coordinate with
        # l2 = 0, so gamma = 1 (no l2 > 0 anywhere) or a = 0 (then c = 0 and every
        # (c v - l1)_+ vanishes): conj at that c is 0 either way
        return kkt, n_inf, n_unpen, c, conj if c == 1.0 else 0.0

    @njit(cache=True, no_cfunc_wrapper=True)
    def pen_sum(alpha, gamma, weights, w, q, g):
        """``(sum_j pen(w_j; alpha * weights_j), q^T w, w^T g)`` over the nonzero ``w_j`` of
        ``w`` (m,), in index order; ``q`` and ``g`` (m,) or empty (then the products are 0):
        the Gram storage's datafit value comes in the same pass. Cost O(m)."""
        if kind == 0:  # (as in the epoch kernels)
            value = _enet_value
        elif kind == 1:
            value = _mcp_value
        else:
            value = _scad_value
        tot = 0.0
        qw = 0.0
        wg = 0.0
        prods = q.shape[0] > 0
        for j in range(w.shape[0]):
            wj = w[j]
            if wj != 0.0:
                tot += value(alpha * weights[j], gamma, wj)
                if prods:
                    qw += q[j] * wj
                    wg += wj * g[j]
        return tot, qw, wg

    (dense_q, csc_q), (dense_l, csc_l) = _epochs_for(kind, 0), _epochs_for(kind, 1)
    return Kernels((dense_q, dense_l), (csc_q, csc_l),
                   register(f"cd_gram_{kind}", epochs_gram, _GRAM_SIG),
                   register(f"cd_outer_terms_{kind}", outer_terms, _OUTER_SIG),
                   register(f"cd_pen_sum_{kind}", pen_sum, _PEN_SUM_SIG))


class Kernels(NamedTuple):
    """The compiled kernels of one penalty code (made by ``_kernels_for``);
    ``epochs_dense[df]`` and ``epochs_csc[df]`` per datafit (0 quadratic, 1 logistic)."""

    epochs_dense: tuple
    epochs_csc: tuple
    epochs_gram: object
    outer_terms: object
    pen_sum: object


#: the kernels of each penalty code: ``KERNELS[spec.kind]``
KERNELS = tuple(_kernels_for(kind) for kind in (ENET, MCP_CODE, SCAD_CODE))


# ----------------------------------------------------------------------------- outer-loop helpers
def penalty_sum(kind, alpha, gamma, weights, w):
    """``sum_j pen(w_j; alpha * weights_j)`` of ``w`` (m,) for penalty code ``kind``
    (``weights`` (m,); the kernel ``pen_sum`` of :data:`KERNELS`). Cost O(m)."""
    return KERNELS[kind].pen_sum(alpha, gamma, weights, w, _EMPTYF, _EMPTYF)[0]


# ----------------------------------------------------------------------------- Python side
_EMPTY2 = np.zeros((0, 0))  # every 2-D array reaching numba is C-contiguous: one signature
_EMPTYF = np.zeros(0)
_EMPTYI = np.zeros(0, dtype=np.int32)


def _sigma_minus(r, y, sw):
    """``t_i = sigma(-y_i z_i)`` from the residuals ``r_i = sw_i y_i t_i`` (0 where sw_i = 0)."""
    return np.divide(r * y, sw, out=np.zeros_like(r), where=sw > 0.0)


def logistic_dual(t, sw, n):
    """``-F^*(-theta)`` of the logistic loss at ``theta_i = sw_i y_i t_i / n``: minus the
    binary entropy ``sum_i sw_i (t_i log t_i + (1 - t_i) log(1 - t_i)) / n`` (``t`` in
    [0, 1], clipped there against rounding)."""
    m = sw > 0.0
    tm = np.minimum(t[m], 1.0)
    return -float(sw[m] @ (xlogy(tm, tm) + xlog1py(1.0 - tm, -tm))) / n


def balance_dual_point(g, t, y, sw, n, xsw, xt):
    """A point ``t'`` in [0, 1]^n with ``sum_i sw_i y_i t'_i = 0`` near ``t``, and
    ``X^T (sw y t') / n`` from ``g = X^T (sw y t) / n``: the dual point meets the
    constraint of an unpenalised intercept (its column of ones).

    With ``s = sum_i sw_i y_i t_i / n``: the shift ``t' = t - y s`` (``X^T`` of the
    change is ``-s X^T sw / n``, ``xsw``: no product with X) where it stays in [0, 1],
    the usual case near the optimum; otherwise the class with the larger weighted sum
    of ``t`` is scaled down to balance the other (one product ``xt(v) = X^T v / n``).
    """
    s = float(sw @ (y * t)) / n
    if s == 0.0:
        return t, g
    tt = t - y * s
    if tt.min() >= 0.0 and tt.max() <= 1.0:
        return tt, g - s * xsw
    heavy = (y > 0) if s > 0 else (y < 0)
    sh = float(sw[heavy] @ t[heavy])
    f = 1.0 - abs(s) * n / sh
    v = np.where(heavy, sw * y * t, 0.0)
    return np.where(heavy, f * t, t), g - (1.0 - f) * xt(v)


def logistic_gap(F, g, t, y, sw, n, w, alpha, gamma, weights, xsw=None, xt=None,
                 positive=False):
    """Duality gap of the elastic-net logistic regression (normalised by n).

    Dual (Fenchel) of ``P``: ``D(theta) = -sum_i sw_i H(t_i) / n - sum_j
    (|X_j^T theta| - l1_j)_+^2 / (2 l2_j)`` with ``t_i = n y_i theta_i / sw_i in [0, 1]``
    and ``H(t) = t log t + (1 - t) log(1 - t)``; feasibility: ``|X_j^T theta| <= l1_j``
    where ``l2_j = 0``, and ``sum_i theta_i = 0`` with an unpenalised intercept. The
    point: ``theta = c sw y t' / n`` from ``t_i = sigma(-y_i z_i)``, balanced
    (:func:`balance_dual_point`) when ``xsw`` is given, and ``c <= 1`` the largest scale
    meeting the box constraints; the box and conjugate terms are :func:`outer_terms`'s
    (the CD driver's), the penalty ``pen_sum``'s, the entropy :func:`logistic_dual`.

    Parameters
    ----------
    F : float
        Loss value at ``w``.
    g : ndarray of shape (m,)
        ``X^T (sw y t) / n`` of the coordinates concerned.
    t, y, sw : ndarray of shape (n,)
    n : int
    w, weights : ndarray of shape (m,)
        Coefficients and penalty weights (levels ``alpha weights_j``, l1 ratio
        ``gamma``); unpenalised coordinates (weight 0) are left out of the box.
    xsw : ndarray of shape (m,), optional
        ``X^T sw / n`` of the same coordinates: the intercept's constraint applies.
    xt : callable, optional
        ``v -> X^T v / n`` of the same coordinates (needed with ``xsw``).

    Returns
    -------
    gap : float
    """
    if xsw is not None:
        t, g = balance_dual_point(g, t, y, sw, n, xsw, xt)
    m = w.shape[0]
    # (unit 1 where penalised, 0 elsewhere: only its sign is read, for the box terms)
    ks = KERNELS[ENET]
    _, _, _, c, conj = ks.outer_terms(alpha, gamma, weights, positive, w, -g,
                                      (weights > 0.0).astype(np.float64), np.ones(m, dtype=bool),
                                      True, np.empty(m))
    pen = ks.pen_sum(alpha, gamma, weights, w, _EMPTYF, _EMPTYF)[0]
    return F + pen + conj - logistic_dual(c * t, sw, n)


def _logistic_residuals(y, sw, lin):
    """:func:`logistic_r` of every sample, shape (n,) (``exp`` overflows to inf: r = 0)."""
    with np.errstate(over="ignore"):
        return logistic_r.py_func(y, sw, lin)


class Design:
    """A design prepared for :func:`cd_solve` (see :func:`prepare_design`).

    Attributes
    ----------
    mode : {0, 1, 2}
        Dense, CSC sparse with implicit centring, Gram.
    X : ndarray
        Mode 0: the centred, weighted design transposed, shape (p, n), C order.
        Mode 2: ``G = X^T X / n``, shape (p, p). Mode 1: unused (0, 0).
    data, indices, indptr : ndarray
        Mode 1: the CSC arrays of the row-weighted design.
    n_samples, n_features : int
    lipschitz : ndarray of shape (n_features,)
        ``L_j = ||X_j||^2 / n`` of the centred, weighted columns (logistic:
        ``sum_i sw_i X_ij^2 / (4 n)``).
    yty_n : float
        ``||y||^2 / n`` of the centred, weighted target: the datafit at zero, its
        scale in the stopping rules (logistic: ``log 2``).
    datafit : {0, 1}
        Quadratic, logistic (see :func:`prepare_logistic_design`).
    sw : ndarray of shape (n,)
        Logistic: sample weights (sum n); quadratic: empty (folded into the rows).
    screen_lipschitz : ndarray of shape (n_features,)
        Curvature bounds of the gap-safe sphere (``lipschitz`` unless weighted logistic).
    """

    def __init__(self, mode, X, data, indices, indptr, off, u, uX, y, yty_n, yu, n, p, lips,
                 Xty_n, datafit=0, sw=None, screen_lipschitz=None):
        self.mode, self.X, self.data, self.indices, self.indptr = mode, X, data, indices, indptr
        self.off, self.u, self.uX, self.y, self.yty_n, self.yu = off, u, uX, y, yty_n, yu
        self.n_samples, self.n_features, self.lipschitz, self.Xty_n = n, p, lips, Xty_n
        self.datafit = datafit
        self.sw = _EMPTYF if sw is None else sw
        self.screen_lipschitz = lips if screen_lipschitz is None else screen_lipschitz
        self._Xs = self._XsT = self._constants = None
        self.intercept = False  # logistic: the last coordinate is an intercept (ones)
        self.xsw = None

    def gradient(self, state, extra):
        """Datafit gradient ``-X^T r / n`` of every coordinate at the state, shape (p,)."""
        if self.mode == 2:
            return state  # (read only by the driver)
        if self.mode == 0:
            return self.X @ state / -self.n_samples
        g = self._csc_t() @ state
        g += extra[0] * self.uX - self.off * (extra[1] + extra[0] * extra[2])
        return g / -self.n_samples

    def objective(self, w, state, extra, lin, pen, ws=None):
        """``(F, aux, pen_w)``: the datafit value, the auxiliary its dual needs (quadratic:
        ``y^T R / n``) and the penalty of ``w``. ``pen`` = (the ``pen_sum`` kernel, alpha,
        gamma, weights); ``ws``: increasing indices outside which ``w`` is zero, so that the
        dense and sparse storages sum the penalty over ``w[ws]`` only (the same sum; the
        Gram one passes over all of ``w`` for its products anyway)."""
        psum, alpha, gamma, weights = pen
        if self.mode == 2:
            # from the state g = G w - q: 2 F = yty - 2 q^T w + w^T G w = yty - q^T w + w^T g,
            # the products in the penalty's pass over w (one call: small problems run this
            # a few times per solve)
            P, qw, wg = psum(alpha, gamma, weights, w, self.y, state)
            return 0.5 * (self.yty_n - qw + wg), self.yty_n - qw, P
        if ws is None:
            P = psum(alpha, gamma, weights, w, _EMPTYF, _EMPTYF)[0]
        else:
            P = psum(alpha, gamma, weights[ws], w[ws], _EMPTYF, _EMPTYF)[0]
        return (*self.value(w, state, extra, lin), P)

    def value(self, w, state, extra, lin):
        """Datafit value and the auxiliary its dual needs (quadratic: ``y^T R / n``) of the
        dense and sparse storages (the Gram one's: :meth:`objective`)."""
        n = self.n_samples
        if self.datafit != 0:
            return float(self.sw @ np.logaddexp(0.0, -self.y * lin)) / n, 0.0
        rr = state.dot(state)
        yr = self.y.dot(state)
        if self.mode == 1:
            s = extra[0]
            rr += 2.0 * s * extra[1] + s * s * extra[2]
            yr += s * extra[3]
        return 0.5 * rr / n, yr / n

    def dual(self, c, F, aux, state):
        """``-F^*(-theta)`` at ``theta = c r / n`` (``0 < c <= 1``)."""
        if self.datafit == 0:  # quadratic, aux = y^T R / n
            return c * aux - c * c * F
        return logistic_dual(c * _sigma_minus(state, self.y, self.sw), self.sw, self.n_samples)

    def intercept_gap(self, alpha, gamma, weights, positive, w, grad, F, state):
        """Logistic duality gap with the intercept's constraint (:func:`logistic_gap`)."""
        def xt(v):
            return (self.X @ v if self.mode == 0 else self._csc_t() @ v) / self.n_samples
        if self.xsw is None:
            self.xsw = xt(self.sw)
        return logistic_gap(F, -grad, _sigma_minus(state, self.y, self.sw), self.y, self.sw,
                            self.n_samples, w, alpha, gamma, weights, self.xsw, xt, positive)

    def epochs(self, w, state, extra, lin, ws, perms, steps, unit, kernel, max_epochs, inner_tol,
               tol, gap_met, buf, out):
        """Up to ``max_epochs`` CD epochs over ``ws`` by this storage's kernel (see
        ``epochs_dense`` of :data:`KERNELS`); ``kernel`` = (kind, alpha, gamma, weights,
        positive) of the penalty (int, float, float, ndarray, bool); ``buf`` the
        Anderson rows (K+1, |ws| + len(state) + 2), or (0, 0)."""
        ks = KERNELS[kernel[0]]
        args = (ws, perms, steps, unit, *kernel[1:], max_epochs, inner_tol, tol, gap_met)
        if self.mode == 0:
            ks.epochs_dense[self.datafit](self.X, self.y, self.sw, w, state, lin, *args,
                                          buf, out)
        elif self.mode == 1:
            ks.epochs_csc[self.datafit](self.data, self.indices, self.indptr, self.off,
                                        self.uX, self.y, self.sw, w, state, extra, lin, *args,
                                        buf, out)
        else:
            ks.epochs_gram(self.X, w, state, *args, buf, out)

    def solver_constants(self):
        """(usable (lipschitz > 0), steps ``1 / L_j``, units ``1 / sqrt(L_j)``, the cyclic
        order ``[[0, ..., p - 1]]``, ``sqrt`` of the screening curvatures), computed once."""
        if self._constants is None:
            lips = self.lipschitz
            usable = lips > 0.0
            steps = np.divide(1.0, lips, out=np.zeros(self.n_features), where=usable)
            # violations are compared in units of each column's scale, 1 / sqrt(L_j), so
            # the stationarity stop is invariant to rescaling X (it never stalls at 1e150)
            self._constants = (usable, steps, np.sqrt(steps),
                               np.arange(self.n_features)[None, :],
                               np.sqrt(self.screen_lipschitz))
            self.n_usable = int(np.count_nonzero(usable))
            self.all_usable = self.n_usable == self.n_features
        return self._constants

    def initial_states(self, w):
        """``(state, extra, lin)`` for coefficients ``w`` (``lin`` empty for the quadratic)."""
        if self.datafit == 0:
            return (*self.initial_state(w), _EMPTYF)
        lin = np.ascontiguousarray(self.X.T @ w if self.mode == 0 else self._csc() @ w,
                                   dtype=np.float64)
        return _logistic_residuals(self.y, self.sw, lin), np.zeros(4), lin

    def _csc(self):
        if self._Xs is None:
            self._Xs = sp.csc_matrix((self.data, self.indices, self.indptr),
                                     shape=(self.n_samples, self.n_features))
        return self._Xs

    def _csc_t(self):
        if self._XsT is None:
            self._XsT = self._csc().T  # CSR (p, n): a fast matrix-vector product
        return self._XsT

    def initial_state(self, w):
        """State vector and extras for coefficients ``w`` (warm start, quadratic)."""
        extra = np.zeros(4)
        if self.mode == 0:
            state = self.y - self.X.T @ w if w.any() else self.y.copy()
        elif self.mode == 1:
            state = self.y - self._csc() @ w
            extra[0] = float(self.off @ w)
            extra[1] = float(self.u @ state)
            extra[2] = float(self.u @ self.u)
            extra[3] = self.yu
        else:
            state = self.X @ w - self.y
        return np.ascontiguousarray(state, dtype=np.float64), extra

    def grad0(self):
        """Datafit gradient at ``w = 0``: ``-X^T y / n``, shape (p,)."""
        return -self.Xty_n


def prepare_design(X, y, *, X_offset=None, y_offset=0.0, sqrt_sw=None, gram=False,
                   gram_matrix=None, copy=True):
    """Centre and weight a design once, for many solves (paths, CV).

    Parameters
    ----------
    X : ndarray of shape (n, p) or scipy CSC/CSR matrix
        Raw design (sparse stays sparse: centring is implicit).
    y : ndarray of shape (n,)
    X_offset : ndarray of shape (p,), optional
        Column means to remove (weighted means for an intercept); zeros if None.
    y_offset : float
        Mean to remove from y.
    sqrt_sw : ndarray of shape (n,), optional
        Square roots of the sample weights (rescaled by the caller to sum to n).
    gram : bool
        Precompute ``G = X^T X / n`` (dense X only); cost O(n p^2) once, then
        every coordinate update costs O(p) instead of O(n).
    gram_matrix : ndarray of shape (p, p), optional
        A caller's ``X^T X`` of the centred, weighted design (not divided by n);
        implies ``gram``.
    copy : bool
        When False, a dense float64 ``X`` is centred and weighted in place.

    Returns
    -------
    Design
    """
    return prepare_designs(X, np.asarray(y)[:, None], X_offset=X_offset,
                           y_offset=np.atleast_1d(y_offset), sqrt_sw=sqrt_sw, gram=gram,
                           gram_matrix=gram_matrix, copy=copy)[0]


def _drop_constant_columns(lips, raw):
    """Zero the curvatures ``lips`` (p,) of columns that centring made constant.

    ``raw`` (p,) is each column's weighted mean square before centring: a curvature
    below ``1e-14 * raw`` is rounding left by the cancellation (a constant
    column gives about ``eps^2 * raw``), whatever the other columns' scales.
    """
    lips = np.maximum(lips, 0.0)
    lips[lips < 1e-14 * raw] = 0.0
    return lips


def prepare_designs(X, Y, *, X_offset=None, y_offset=None, sqrt_sw=None, gram=False,
                    gram_matrix=None, copy=True):
    """:func:`prepare_design` for each column of ``Y`` (n, n_targets); the designs share X.

    Returns
    -------
    list of Design, one per target
    """
    n, p = X.shape
    Y = np.asarray(Y, dtype=np.float64)
    off = np.zeros(p) if X_offset is None else np.asarray(X_offset, dtype=np.float64)
    y_off = np.zeros(Y.shape[1]) if y_offset is None else np.asarray(y_offset, np.float64)
    u = np.ones(n) if sqrt_sw is None else np.asarray(sqrt_sw, dtype=np.float64)
    Yc = u[:, None] * (Y - y_off)
    yty_n = np.einsum("it,it->t", Yc, Yc) / n
    if sp.issparse(X):
        Xs = sp.csc_matrix(X, dtype=np.float64)
        if sqrt_sw is not None:
            Xs = sp.csc_matrix(sp.diags(u) @ Xs)
        Xs.sort_indices()
        uX = np.asarray(Xs.T @ u).ravel()
        sq = np.asarray(Xs.multiply(Xs).sum(axis=0)).ravel()
        lips = _drop_constant_columns((sq - 2.0 * off * uX + off ** 2 * (u @ u)) / n, sq / n)
        XtY_n = (np.asarray(Xs.T @ Yc) - off[:, None] * (u @ Yc)[None, :]) / n
        ind, ptr = Xs.indices.astype(np.int32), Xs.indptr.astype(np.int32)
        return [Design(1, _EMPTY2, Xs.data, ind, ptr, off, u, uX,
                       np.ascontiguousarray(Yc[:, t]), float(yty_n[t]), float(u @ Yc[:, t]),
                       n, p, lips, np.ascontiguousarray(XtY_n[:, t])) for t in range(Y.shape[1])]
    Xc = np.asarray(X, dtype=np.float64)
    if off.any() or sqrt_sw is not None:
        if copy and Xc is X or not Xc.flags.writeable:
            Xc = Xc.copy(order="K")
        Xc -= off
        if sqrt_sw is not None:
            Xc *= u[:, None]
    # (no centring and no weights: a Fortran-ordered X is used without any copy below)
    XtY_n = Xc.T @ Yc / n
    if gram or gram_matrix is not None:
        G = Xc.T @ Xc if gram_matrix is None else np.asarray(gram_matrix, dtype=np.float64)
        G = np.ascontiguousarray(G / n)
        lips = np.diag(G).copy()
        lips = _drop_constant_columns(lips, lips + off ** 2 * (u @ u) / n)
        return [Design(2, G, _EMPTYF, _EMPTYI, _EMPTYI, _EMPTYF, _EMPTYF, _EMPTYF,
                       np.ascontiguousarray(XtY_n[:, t]), float(yty_n[t]), 0.0, n, p, lips,
                       np.ascontiguousarray(XtY_n[:, t])) for t in range(Y.shape[1])]
    XT = np.ascontiguousarray(Xc.T)  # (p, n): column j of X is the contiguous row XT[j]
    lips = np.einsum("ji,ji->j", XT, XT) / n
    lips = _drop_constant_columns(lips, lips + off ** 2 * (u @ u) / n)
    ones = np.ones(n)
    return [Design(0, XT, _EMPTYF, _EMPTYI, _EMPTYI, _EMPTYF, ones, _EMPTYF,
                   np.ascontiguousarray(Yc[:, t]), float(yty_n[t]), 0.0, n, p, lips,
                   np.ascontiguousarray(XtY_n[:, t])) for t in range(Y.shape[1])]


def prepare_logistic_design(X, y, *, sample_weight=None, fit_intercept=True, gram=False):
    """A logistic-loss design: ``sum_i sw_i log(1 + exp(-y_i (x_i w + b))) / n``.

    The design of :func:`prepare_logistic_designs` for one label vector.

    Parameters
    ----------
    X : ndarray of shape (n, p) or scipy CSC/CSR matrix
        Not centred (centring does not remove the intercept of a logistic model).
    y : ndarray of shape (n,)
        Labels in {-1, 1}.
    sample_weight : ndarray of shape (n,), optional
        Rescaled by the caller to sum to n.
    fit_intercept : bool
        Append a column of ones as coordinate ``p``, unpenalised (give it weight 0 in
        the penalty spec); it is updated by its own coordinate steps like any other.
    gram : bool
        Must be False: the logistic loss has no Gram form.

    Returns
    -------
    Design
        With ``n_features = p + fit_intercept`` and ``Xty_n`` the negative gradient at
        ``w = 0`` and the intercept alone at its optimum (``alpha_max`` of
        :func:`~skstruct.linear_model._base.alpha_grid`).
    """
    return prepare_logistic_designs(X, np.asarray(y)[:, None], sample_weight=sample_weight,
                                    fit_intercept=fit_intercept, gram=gram)[0]


def prepare_logistic_designs(X, Y, *, sample_weight=None, fit_intercept=True, gram=False):
    """:func:`prepare_logistic_design` for each column of ``Y`` (n, n_problems) of labels
    in {-1, 1} (one-vs-rest); the designs share X.

    Returns
    -------
    list of Design
    """
    if gram:
        raise ValueError("The logistic datafit has no Gram storage; use dense or CSC X.")
    n = X.shape[0]
    Y = np.asarray(Y, dtype=np.float64)
    sw = np.ones(n) if sample_weight is None else np.ascontiguousarray(sample_weight, np.float64)
    if sp.issparse(X):
        Xs = sp.csc_matrix(X, dtype=np.float64)
        if fit_intercept:
            Xs = sp.hstack([Xs, np.ones((n, 1))], format="csc")
        Xs.sort_indices()
        sq = np.asarray(Xs.multiply(Xs).T @ sw).ravel()
        sq_max = np.asarray(Xs.multiply(Xs).sum(axis=0)).ravel() * sw.max()
        XtV = lambda v: np.asarray(Xs.T @ v).ravel()  # noqa: E731
        ind, ptr = Xs.indices.astype(np.int32), Xs.indptr.astype(np.int32)
    else:
        XT = np.asarray(X, dtype=np.float64).T
        if fit_intercept:
            XT = np.vstack([XT, np.ones((1, n))])
        XT = np.ascontiguousarray(XT)
        sq = XT ** 2 @ sw
        sq_max = np.einsum("ji,ji->j", XT, XT) * sw.max()
        XtV = lambda v: XT @ v  # noqa: E731
    p = sq.shape[0]
    # (no centring here, so no cancellation: only an all-zero column is unusable; a
    # threshold relative to the largest column dropped the intercept beside 1e10 columns)
    lips = sq / (4.0 * n)
    slips = np.where(lips > 0.0, sq_max / (4.0 * n), 0.0)
    scale = float(np.log(2.0) * sw.sum() / n)
    out = []
    for t in range(Y.shape[1]):
        y = np.ascontiguousarray(Y[:, t])
        # r at w = 0 with the intercept at its optimum (weighted share of the positive class)
        if fit_intercept:
            r0 = sw * ((y > 0) - float(sw @ (y > 0)) / float(sw.sum()))
        else:
            r0 = 0.5 * sw * y
        Xty_n = XtV(r0) / n
        if sp.issparse(X):
            d = Design(1, _EMPTY2, Xs.data, ind, ptr, np.zeros(p), np.ones(n), np.zeros(p), y,
                       scale, 0.0, n, p, lips, Xty_n, datafit=1, sw=sw, screen_lipschitz=slips)
        else:
            d = Design(0, XT, _EMPTYF, _EMPTYI, _EMPTYI, _EMPTYF, np.ones(n), _EMPTYF, y, scale,
                       0.0, n, p, lips, Xty_n, datafit=1, sw=sw, screen_lipschitz=slips)
        d.intercept = bool(fit_intercept)
        out.append(d)
    return out


class CDResult:
    """Outcome of :func:`cd_solve`: ``coef``, ``n_epochs``, ``n_outer``, ``dual_gap``
    (normalised by n; nan for nonconvex penalties), ``kkt`` (largest violation score over
    ``sqrt(L_j)``), ``converged`` and the ``state``/``extra``/``lin`` for a warm restart
    (``states``)."""

    def __init__(self, coef, state, extra, out, converged, lin=None):
        self.coef, self.state, self.extra = coef, state, extra
        self.lin = _EMPTYF if lin is None else lin
        self.states = (state, extra, self.lin)
        self.n_epochs, self.dual_gap, self.kkt, self.n_outer = int(out[0]), out[1], out[2], \
            int(out[3])
        self.converged = converged


def cd_solve(design, spec, w0=None, *, state=None, tol=1e-4, max_iter=100, max_epochs=50_000,
             p0=10, screen=True, anderson=True, seed=-1, trust_start=True):
    """Solve the penalised problem of ``design`` with penalty ``spec``.

    Parameters
    ----------
    design : Design
        From :func:`prepare_design` or :func:`prepare_logistic_design`.
    spec : Spec
        From a penalty's ``spec(p)``: the 1-D penalty (kind, alpha, gamma, weights,
        positive) and its capabilities (``has_gap``, ``safe_screen``).
    w0 : ndarray of shape (p,), optional
        Warm start (zeros if None).
    state : tuple of ndarray, optional
        The ``(state, extra)`` or ``(state, extra, lin)`` (a previous result's
        ``states``) matching ``w0`` (saves one product).
    tol : float
        Penalties with a duality gap: gap ``<= tol * F(0)`` (``F(0) = ||y||^2 / (2n)``
        times 2 for the quadratic) and, as scikit-learn, no coordinate moved by more
        than ``tol * max_j |w_j|`` in the last epoch. Others: largest stationarity
        violation, each scaled by ``1 / sqrt(L_j)``, ``<= tol * sqrt(||y||^2 / n)``.
    max_iter : int
        Outer (working-set) iterations.
    max_epochs : int
        CD epochs per working set.
    p0 : int
        First working-set size.
    screen : bool
        Gap-safe screening where the penalty allows it (l1).
    anderson : bool
        Anderson extrapolation in the inner loop (with sparse X only for working
        sets whose nnz is at least n: below that, the O(n) copies of the residual
        it needs cost more than the epoch; on the 5000 x 20000 1% benchmark path it
        cut the time 2.3x).
    seed : int
        ``>= 0``: random coordinate order in each epoch from this seed; ``-1``: cyclic.
    trust_start : bool
        ``w0`` may stop the solver on the gap alone, before any epoch (zeros, the
        previous point of a path, a converged fit); False: it came from a fit stopped
        early, so the step rule is tested too.

    Returns
    -------
    CDResult

    Notes
    -----
    Cost per epoch ``O(n |ws|)`` dense, O(nnz of the working-set columns) sparse,
    ``O(p |ws|)`` Gram; plus one full gradient per outer iteration (a BLAS or
    sparse matrix-vector product).
    """
    if design.datafit != 0 and design.mode == 2:
        raise ValueError("The logistic datafit has no Gram storage; use dense or CSC X.")
    args = (design, spec, w0, state, tol, max_iter, max_epochs, p0, screen, anderson, seed,
            trust_start)
    if design.mode != 0 or design.n_samples * design.n_features < _BLAS_ONE_THREAD:
        return _solve(*args)
    with blas_limit(1):
        return _solve(*args)


def _solve(d, spec, w0, state, tol, max_iter, max_epochs, p0, screen, anderson, seed,
           trust_start):
    """:func:`cd_solve` (its arguments in order)."""
    p = d.n_features
    w = np.zeros(p) if w0 is None else np.array(w0, dtype=np.float64)
    if state is None:
        st, extra, lin = d.initial_states(w)
    else:
        st, extra = state[0].copy(), state[1].copy()
        lin = state[2].copy() if len(state) > 2 else _EMPTYF
    usable0, steps, unit, perm0, sq_slips = d.solver_constants()
    usable = usable0.copy()
    if not d.all_usable and w[~usable].any():
        w[~usable] = 0.0
        st, extra, lin = d.initial_states(w)
    kind, alpha, gamma = int(spec.kind), float(spec.alpha), float(spec.gamma)
    weights, positive = spec.weights, bool(spec.positive)
    # (with an unpenalised feature the gap is not the rule: outer_terms says so)
    use_gap = bool(spec.has_gap)
    # a logistic intercept (last, unpenalised, usable): its constraint enters the gap
    # (the dual point balanced); no screening then (its sphere's centre moves)
    icpt = d.intercept and use_gap and weights[-1] == 0.0 and bool(usable[-1])
    safe = bool(screen) and bool(spec.safe_screen) and use_gap and not icpt
    levels = alpha * weights if safe else None
    tol = float(tol)
    tol_gap, tol_kkt = tol * d.yty_n, tol * math.sqrt(d.yty_n)
    rng = np.random.RandomState(seed) if seed >= 0 else None
    scores = np.empty(p)
    # (epochs run, stop code, last epoch's step rule) of the kernel; before any epoch
    # the step rule is as the caller says
    ko = np.array([0.0, 0.0, float(bool(trust_start) or w0 is None)])
    kernel = (kind, alpha, gamma, weights, positive)
    outer = KERNELS[kind].outer_terms
    pen = (KERNELS[kind].pen_sum, alpha, gamma, weights)
    n_av = d.n_usable
    ws_all = None
    n_epochs, gap, kkt, gap_met, it = 0, np.nan, np.inf, False, 0
    for it in range(max_iter):
        grad = d.gradient(st, extra)
        kkt, n_inf, n_unpen, c, conj = outer(alpha, gamma, weights, positive, w, grad, unit,
                                             usable, use_gap, scores)
        if use_gap and n_unpen and not (icpt and n_unpen == 1):
            use_gap = safe = False
        if use_gap:
            if icpt:
                F = d.value(w, st, extra, lin)[0]
                gap = d.intercept_gap(alpha, gamma, weights, positive, w, grad, F, st)
            else:
                F, aux, P = d.objective(w, st, extra, lin, pen)
                gap = F + P - d.dual(c, F, aux, st) + conj
            gap_met = gap <= tol_gap
            if gap_met and ko[2]:
                break
            if safe and gap > 0.0:
                out_ = np.abs(grad)
                out_ *= c
                out_ += math.sqrt(2.0 * gap) * sq_slips
                out_ = out_ < levels
                out_ &= usable
                n_out = np.count_nonzero(out_)
                if n_out:
                    usable &= ~out_
                    n_av -= n_out
                    ws_all = None
                    scores[out_] = -1.0
                    nz = np.count_nonzero(w[out_])
                    if nz:
                        n_inf -= nz
                        w[out_] = 0.0
                        st, extra, lin = d.initial_states(w)
        elif kkt <= tol_kkt:
            break
        ws_size = min(n_av, max(p0, 2 * n_inf))
        if ws_size == 0:
            break
        full_ws = ws_size == n_av
        if full_ws:
            ws = ws_all = np.flatnonzero(usable) if ws_all is None else ws_all
        else:
            ws = top_indices(scores, ws_size)
        inner_tol = 0.3 * kkt
        if full_ws and not use_gap:
            inner_tol = min(inner_tol, tol_kkt)
        # Anderson; with sparse X only when an epoch (nnz of the working set) costs more
        # than the O(n) copies of the residual it needs
        use_aa = anderson and (d.mode != 1 or
                               int((d.indptr[ws + 1] - d.indptr[ws]).sum()) >= st.shape[0])
        nbuf = _ANDERSON_K + 1 if use_aa else 0
        # (rows: w[ws], the linear state, two extras of the sparse storage)
        buf = np.empty((nbuf, ws_size + st.shape[0] + 2) if nbuf else (0, 0))
        # (cyclic: epoch e visits ws[perm0[0, k]] = ws[k], k < |ws|)
        perms = perm0
        budget = max_epochs
        code = _BUDGET
        while budget > 0:
            chunk = budget
            if rng is not None:
                chunk = min(budget, nbuf or _RANDOM_BATCH)
                perms = np.argsort(rng.random_sample((chunk, ws_size)), axis=1)
            d.epochs(w, st, extra, lin, ws, perms, steps, unit, kernel, chunk, inner_tol, tol,
                     gap_met, buf, ko)
            done = int(ko[0])
            budget -= done
            n_epochs += done
            code = int(ko[1])
            if code == _EXTRAPOLATE:
                _extrapolate(d, kernel, w, ws, st, extra, lin, buf)
            elif code != _BUDGET:
                break
        if code == _STALLED and full_ws:
            break
    out = (n_epochs, gap if use_gap else np.nan, kkt, it + 1)
    gap_used = use_gap and np.isfinite(gap)
    converged = bool(gap <= tol_gap) if gap_used else bool(kkt <= tol_kkt)
    return CDResult(w, st, extra, out, converged, lin)


def _extrapolate(d, kernel, w, ws, st, extra, lin, buf):
    """Anderson extrapolation of the K+1 iterates stored in the rows of ``buf`` (``w[ws]``,
    the datafit's linear state, two extras); kept, in place, when it lowers ``P``.
    ``kernel`` = (kind, alpha, gamma, weights, positive) of the penalty."""
    kind, alpha, gamma, weights, positive = kernel
    m, ns = ws.shape[0], st.shape[0]
    # (contiguous copies of the row parts: a strided operand can take another BLAS path,
    # which changed results at rounding level)
    wbuf = np.ascontiguousarray(buf[:, :m])
    cf = anderson_weights(wbuf)
    if cf is None:
        return
    w_acc = cf @ wbuf[1:]
    if positive and (w_acc < 0.0).any():
        return
    pen = (KERNELS[kind].pen_sum, alpha, gamma, weights)
    w_old = w[ws]
    F, _, P = d.objective(w, st, extra, lin, pen, ws)
    P_old = F + P
    lin_acc = cf @ np.ascontiguousarray(buf[1:, m:m + ns])
    extra_acc = extra.copy()
    if d.mode == 1:
        extra_acc[:2] = cf @ np.ascontiguousarray(buf[1:, m + ns:])
    if d.datafit == 0:
        st_acc, lin_acc = lin_acc, lin
    else:
        st_acc = _logistic_residuals(d.y, d.sw, lin_acc)
    w[ws] = w_acc
    F, _, P = d.objective(w, st_acc, extra_acc, lin_acc, pen, ws)
    P_new = F + P
    if P_new < P_old:
        st[:] = st_acc
        lin[:] = lin_acc
        extra[:] = extra_acc
    else:
        w[ws] = w_old


def ridge_solve(design, l2):
    """Minimiser of ``||y - X w||^2 / (2 n) + l2 ||w||^2 / 2`` in closed form (dense, Gram).

    The elastic net without its l1 part (``alpha = 0`` or ``l1_ratio = 0``) is a
    linear system; solving it directly is exact where coordinate descent would
    crawl (its rate is the condition number). ``l2 = 0`` gives the minimum-norm
    least-squares solution (singular values below ``max(n, p) eps s_max`` dropped).

    Returns
    -------
    w : ndarray of shape (p,)

    Notes
    -----
    Cost O(n p min(n, p)) (SVD of X) dense, O(p^3) from the Gram matrix.
    """
    d = design
    # small factorizations on one BLAS thread: measured 600x faster on a loaded 2-core
    # machine (300 x 100 SVD: 2 s with two OpenBLAS threads, 3 ms with one)
    small = d.n_samples * d.n_features * min(d.n_samples, d.n_features) < 10 ** 8
    with blas_limit(1 if small else None):
        return _ridge_solve(d, l2)


def _ridge_solve(d, l2):
    if d.mode == 2:
        lam, V = np.linalg.eigh(d.X)
        keep = lam > (lam[-1] * d.n_features * np.finfo(float).eps if l2 == 0 else -l2)
        z = (V.T @ d.Xty_n)[keep] / (lam[keep] + l2)
        return V[:, keep] @ z
    if d.mode != 0:
        raise ValueError("ridge_solve needs a dense or Gram design.")
    U, S, Vt = np.linalg.svd(d.X.T / np.sqrt(d.n_samples), full_matrices=False)
    keep = S > (S[0] * max(d.n_samples, d.n_features) * np.finfo(float).eps if S.size else 0)
    b = U[:, keep].T @ (d.y / np.sqrt(d.n_samples))
    return Vt[keep].T @ (S[keep] * b / (S[keep] ** 2 + l2))


# ----------------------------------------------------------------------------- best subset (l0)
class GramColumns:
    """Columns of ``G = X^T X / n`` of a prepared design, computed on demand and cached.

    Best-subset search touches few columns (those ever active), so this costs
    O(n p) per distinct column (O(nnz + p) sparse, O(p) when G is precomputed)
    instead of O(n p^2) for the whole Gram matrix.
    """

    def __init__(self, design):
        self.d = design
        self.cache = {}
        if design.mode == 1:
            self.Xs = sp.csc_matrix((design.data, design.indices, design.indptr),
                                    shape=(design.n_samples, design.n_features))
            self.uu = float(design.u @ design.u)

    def diag(self):
        return self.d.lipschitz.copy()

    def col(self, j):
        c = self.cache.get(j)
        if c is None:
            d = self.d
            if d.mode == 2:
                c = d.X[j].copy()  # G is symmetric
            elif d.mode == 0:
                c = d.X @ d.X[j] / d.n_samples
            else:
                xj = self.Xs[:, j]
                c = np.asarray(self.Xs.T @ xj.toarray()).ravel()
                c -= d.off * d.uX[j] + d.uX * d.off[j]
                c += d.off * d.off[j] * self.uu
                c /= d.n_samples
            self.cache[j] = c
        return c

    def cols(self, idx):
        if len(idx) == 0:
            return np.zeros((self.d.n_features, 0))
        return np.column_stack([self.col(int(j)) for j in idx])


def _spd_solve(M, B):
    """Solve ``M X = B`` for a small symmetric PSD ``M`` (Cholesky; lstsq if singular)."""
    try:
        c = cho_factor(M, check_finite=False)
        return cho_solve(c, B, check_finite=False)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(M, B, rcond=None)[0]


def _ls_on(gc, q, yty, A):
    """Least squares on support ``A``: (coefficients, loss ``||y - X_A b||^2 / (2n)``)."""
    if len(A) == 0:
        return np.zeros(0), 0.5 * yty
    GA = gc.cols(A)[A]
    qa = q[A]
    b = _spd_solve(GA, qa)
    return b, 0.5 * (yty - 2.0 * qa @ b + b @ GA @ b)


def _exact_add_gains(gc, q, diag, B, bB, GB=None):
    """Exact loss decrease of adding each feature to support ``B`` (LS refit), shape (p,).

    ``gain_j = d_j^2 / (2 s_j)`` with ``d = q - G[:, B] b_B`` and the Schur complement
    ``s_j = G_jj - G_jB G_BB^{-1} G_Bj``. Cost ``O(p |B|^2)``.
    """
    if GB is None:
        GB = gc.cols(B)
    if len(B):
        d = q - GB @ bB
        GBB = GB[B]
        ridge = 1e-12 * max(np.trace(GBB) / len(B), 1e-300)
        try:
            L = np.linalg.cholesky(GBB + ridge * np.eye(len(B)))
            W = solve_triangular(L, GB.T, lower=True, check_finite=False)
            s = diag - np.einsum("kj,kj->j", W, W)
        except np.linalg.LinAlgError:
            Z = np.linalg.lstsq(GBB, GB.T, rcond=None)[0]
            s = diag - np.einsum("jk,kj->j", GB, Z)
    else:
        d = q.copy()
        s = diag.copy()
    gain = np.where(s > 1e-12 * np.maximum(diag, 1e-300), d * d / (2.0 * np.maximum(s, 1e-300)),
                    0.0)
    gain[B] = -np.inf
    gain[diag <= 0] = -np.inf
    return gain


def best_subset_splicing(gc, q, yty, k, A0=None, *, n_exchange=5, max_iter=20, max_swaps=100,
                         tau=None, exhaustive_limit=2000):
    """Support of size ``k`` minimising ``||y - X w||^2 / (2n)``.

    When there are at most ``exhaustive_limit`` supports of size ``k`` among
    the usable features, every one is fitted (exact best subset). Otherwise a
    local search (:func:`_splice_and_swap`): exact forward growth of ``A0``,
    splicing, then exact single swaps; the result is 1-swap optimal.

    Parameters
    ----------
    gc : GramColumns
    q : ndarray of shape (p,)
        ``X^T y / n``.
    yty : float
        ``||y||^2 / n``.
    k : int
        Support size.
    A0 : array of int, optional
        Warm-start support (size <= k).
    n_exchange, max_iter, max_swaps : int
        Largest splicing exchange, splicing moves, swap moves.
    tau : float, optional
        Smallest loss decrease accepted (default ``1e-12 ||y||^2 / n``).
    exhaustive_limit : int
        Enumerate all supports when there are at most this many.

    Returns
    -------
    A : ndarray of int of shape (k,), sorted
    b : ndarray of shape (k,)
        Least-squares coefficients on ``A``.
    loss : float
    n_iter : int
        Accepted splicing and swap moves (supports fitted when enumerating).
    """
    usable = np.flatnonzero(gc.diag() > 0)
    k = int(min(k, usable.size))
    # (k = 1 needs no enumeration: exact forward selection from the empty set is exact)
    if 1 < k and math.comb(usable.size, k) <= exhaustive_limit:
        best = (None, None, np.inf, 0)
        count = 0
        for S in itertools.combinations(usable.tolist(), k):
            A = np.array(S)
            b, loss = _ls_on(gc, q, yty, A)
            count += 1
            if loss < best[2]:
                best = (A, b, loss, 0)
        return best[0], best[1], best[2], count
    return _splice_and_swap(gc, q, yty, k, A0, n_exchange, max_iter, max_swaps, tau)


def _splice_and_swap(gc, q, yty, k, A0, n_exchange, max_iter, max_swaps, tau):
    """Local search for the best support of size ``k`` from ``A0``.

    1. Start from ``A0`` (grown by exact forward selection to size ``k``).
    2. Splicing (Zhu et al. 2020, abess): swap the ``m`` active features of
       smallest backward sacrifice ``G_jj b_j^2 / 2`` with the ``m`` inactive
       ones of largest forward sacrifice ``d_j^2 / (2 G_jj)``, ``m = n_exchange``
       halved down to 1; keep a swap when the least-squares loss drops by more
       than ``tau``.
    3. Exact single-swap polish: for each active ``i`` the best replacement
       ``j`` by the Schur-complement gain of adding ``j`` to ``A - {i}``; apply
       the best improving swap until none improves (a 1-swap local optimum,
       as L0Learn's swap search but with exact least-squares losses).

    Returns ``(A, b, loss, n_moves)`` as :func:`best_subset_splicing`.

    Notes
    -----
    Cost per move O(p k^2 + k^3) on top of the Gram columns touched.
    """
    diag = gc.diag()
    p = q.shape[0]
    k = int(min(k, np.count_nonzero(diag > 0)))
    tau = 1e-12 * max(yty, 1e-300) if tau is None else tau
    A = np.array([] if A0 is None else A0, dtype=int)
    b, loss = _ls_on(gc, q, yty, A)
    while len(A) < k:  # exact forward selection
        gain = _exact_add_gains(gc, q, diag, A, b)
        A = np.append(A, int(np.argmax(gain)))
        b, loss = _ls_on(gc, q, yty, A)
    if k == 0:
        return A, b, loss, 0
    moves = 0
    for _ in range(max_iter):  # splicing
        GA = gc.cols(A)
        d = q - GA @ b
        bwd = diag[A] * b * b / 2.0
        fwd = np.where(diag > 0, d * d / (2.0 * np.maximum(diag, 1e-300)), -np.inf)
        fwd[A] = -np.inf
        m = min(n_exchange, k, p - k)
        accepted = False
        while m >= 1:
            drop = np.argsort(bwd)[:m]
            add = np.argsort(-fwd)[:m]
            if not np.all(np.isfinite(fwd[add])):
                break
            A_new = np.concatenate([np.delete(A, drop), add])
            b_new, loss_new = _ls_on(gc, q, yty, A_new)
            if loss - loss_new > tau:
                A, b, loss = A_new, b_new, loss_new
                accepted = True
                moves += 1
                break
            m //= 2
        if not accepted:
            break
    for _ in range(max_swaps):  # exact 1-swap polish
        best = (tau, -1, -1)
        GA = gc.cols(A)
        for pos in range(k):
            B = np.delete(A, pos)
            GB = np.delete(GA, pos, axis=1)
            bB = _spd_solve(GB[B], q[B]) if len(B) else np.zeros(0)
            lossB = 0.5 * (yty - q[B] @ bB) if len(B) else 0.5 * yty
            gain = _exact_add_gains(gc, q, diag, B, bB, GB)
            gain[A[pos]] = -np.inf
            j = int(np.argmax(gain))
            improvement = loss - (lossB - gain[j])
            if improvement > best[0]:
                best = (improvement, pos, j)
        if best[1] < 0:
            break
        A = A.copy()
        A[best[1]] = best[2]
        b, loss = _ls_on(gc, q, yty, A)
        moves += 1
    order = np.argsort(A)
    return A[order], b[order], loss, moves
