"""Working-set block coordinate descent for block penalties.

Problem, for coefficients ``W`` of shape (T, p) (T tasks, p features) and a
design ``X`` (n, p) prepared by :func:`~skstruct._backend._cd.prepare_designs`
(centred, row-weighted, one target column per task)::

    min_W  ||Y - X W^T||_F^2 / (2 n)
           + sum_b a_b (l1_ratio ||W_b||_F + (1 - l1_ratio) ||W_b||_F^2 / 2)

with ``a_b = alpha * weights_b`` and a block ``b`` = the columns
``W[:, idx[ptr[b]:ptr[b + 1]]]`` (a set of features, across every task). The
two block penalties of the family are two shapes of the same spec:

* group lasso: T = 1, blocks = groups of features, ``l1_ratio = 1``;
* multi-task (l2,1) lasso / elastic net: T tasks, one block per feature (the
  feature's row of coefficients across the tasks), as scikit-learn's
  ``MultiTaskElasticNet``.

``positive`` adds ``W >= 0``: the block prox projects onto the nonnegative
orthant, then shrinks the block (the prox of ``a ||.|| + indicator(>= 0)``).

Storage (``mode``), as in :mod:`skstruct._backend._cd`: 0 dense (``X``
transposed, (p, n)), 1 CSC with implicit centring (true residual of task t is
``state[t] + extra[t, 0] * u``), 2 Gram (``state = W G - Q``). The state has
shape (T, n) (modes 0, 1) or (T, p) (mode 2); dense and Gram store it
task-major (a task's loop contiguous), CSC sample-major (Fortran order: a stored
entry of X meets the T residuals of its sample side by side).

Algorithm (the scalar driver's working-set scheme, lifted to blocks):

1. outer iteration: full block gradients ``G_b = -X_b^T R / n`` (one BLAS
   product) and the block violation ``dist(-G_b, ∂pen_b(W_b))``;
2. stop: duality gap ``P(W) - D(c R / n) <= tol * ||Y||_F^2 / n`` (the dual
   point rescaled to be feasible, the elastic-net conjugate for ``l1_ratio <
   1``); with an unpenalised block, the largest violation
   ``<= tol * sqrt(||Y||_F^2 / n)``;
3. gap-safe screening (``l1_ratio == 1``): block ``b`` leaves for good when
   ``c ||G_b|| + sqrt(2 L_b gap) < a_b``;
4. working set: nonzero / unpenalised blocks plus the highest scores, size
   ``max(p0, 2 * #nonzero)``;
5. inner loop: block updates ``W_b <- prox(W_b - G_b / L_b)`` with
   ``L_b = ||X_b||_2^2 / n``, Anderson extrapolation every 6 epochs (kept only
   when it lowers the objective), until the largest violation seen in a sweep
   is below 0.3 x the outer one (several tasks: 0.1 x when the working set holds
   every usable block).

Only the epochs of step 5 are compiled (numba, one small kernel per storage
mode, so a call compiles only its own); steps 1-4 and the extrapolation are
numpy around them (issue 19: the one-kernel driver cost 14 s of compilation).
"""

import math

import numpy as np
import scipy.sparse as sp
from numba import njit, types

from ._cd import GramColumns
from ._compiled import F1, F2, I1, J1, b1, f8, register
from ._threads import blas_limit
from ._working_set import anderson_weights, top_indices

_ANDERSON_K = 5


# ----------------------------------------------------------------------------- epoch kernels
@njit(cache=True, error_model="numpy")
def _prox_block(W, idx, s0, s1, G, step, a1, a2, positive, Z):
    """Violation ``dist(-G_b, ∂pen_b(W_b))`` of block ``idx[s0:s1]`` at its gradient
    ``G[:s1 - s0]`` (feature, task), and ``Z_b = prox_{step pen_b}(W_b - step G_b)``
    (projection onto ``W >= 0`` if positive, then block shrinkage)."""
    T = W.shape[0]
    nb = s1 - s0
    wn = 0.0
    dn = 0.0  # dual norm: ||G_b||, or ||(-G_b)_+|| if positive
    for k in range(nb):
        j = idx[s0 + k]
        for t in range(T):
            wn += W[t, j] * W[t, j]
            g = G[k, t]
            if g < 0.0 or not positive:
                dn += g * g
    wn = math.sqrt(wn)
    if wn == 0.0:
        viol = math.sqrt(dn) - a1
        if viol < 0.0:
            viol = 0.0
    else:
        v2 = 0.0
        for k in range(nb):
            j = idx[s0 + k]
            for t in range(T):
                w = W[t, j]
                v = G[k, t] + a1 * w / wn + a2 * w
                if positive and w == 0.0 and v > 0.0:
                    v = 0.0  # absorbed by the normal cone of W >= 0
                v2 += v * v
        viol = math.sqrt(v2)
    zn = 0.0
    for k in range(nb):
        j = idx[s0 + k]
        for t in range(T):
            z = W[t, j] - step * G[k, t]
            if positive and z < 0.0:
                z = 0.0
            Z[k, t] = z
            zn += z * z
    zn = math.sqrt(zn)
    thr = step * a1
    scale = 0.0
    if zn > thr:
        scale = (1.0 - thr / zn) / (1.0 + step * a2)
    for k in range(nb):
        for t in range(T):
            Z[k, t] *= scale
    return viol


@njit(cache=True, error_model="numpy")
def _epoch_dense(XT, R, W, ptr, idx, blocks, lips, a1, a2, positive, G, Z):
    """One block-CD epoch over ``blocks`` (in that order), dense ``XT`` (p, n).

    ``R`` (T, n) residuals and ``W`` (T, p) are updated in place; ``a1``, ``a2``
    (n_blocks,) the l2 and ridge levels; ``G``, ``Z`` scratch (largest block, T).
    Returns (largest violation met before an update, largest squared block move,
    largest squared block norm).
    """
    T = R.shape[0]
    n = R.shape[1]
    kws = 0.0
    dw = 0.0
    wm = 0.0
    for b in blocks:
        s0 = ptr[b]
        s1 = ptr[b + 1]
        for k in range(s1 - s0):
            xj = XT[idx[s0 + k]]
            for t in range(T):
                G[k, t] = -np.dot(xj, R[t]) / n
        sc = _prox_block(W, idx, s0, s1, G, 1.0 / lips[b], a1[b], a2[b], positive, Z)
        if sc > kws:
            kws = sc
        dn = 0.0
        zn = 0.0
        for k in range(s1 - s0):
            j = idx[s0 + k]
            for t in range(T):
                z = Z[k, t]
                d = z - W[t, j]
                zn += z * z
                if d != 0.0:
                    dn += d * d
                    W[t, j] = z
                    for i in range(n):
                        R[t, i] -= d * XT[j, i]
        if dn > dw:
            dw = dn
        if zn > wm:
            wm = zn
    return kws, dw, wm


@njit(cache=True, error_model="numpy")
def _epoch_csc(data, indices, indptr, off, uX, S, extra, W, ptr, idx, blocks, lips, a1, a2,
               positive, G, Z):
    """:func:`_epoch_dense` for CSC X with implicit centring. ``S`` (n, T), sample-major
    (the T residuals of a sample adjacent, so each stored entry of X is read once per
    pass): the residual of task t is ``S[:, t] + extra[t, 0] * u``, ``extra[t] =
    (off @ W[t], u @ S[:, t], u @ u, u @ Y[t])``."""
    n = S.shape[0]
    T = S.shape[1]
    kws = 0.0
    dw = 0.0
    wm = 0.0
    for b in blocks:
        s0 = ptr[b]
        s1 = ptr[b + 1]
        for k in range(s1 - s0):
            j = idx[s0 + k]
            for t in range(T):
                G[k, t] = 0.0
            for kk in range(indptr[j], indptr[j + 1]):
                v = data[kk]
                i = indices[kk]
                for t in range(T):
                    G[k, t] += v * S[i, t]
            for t in range(T):
                s = extra[t, 0]
                acc = G[k, t] + s * uX[j] - off[j] * (extra[t, 1] + s * extra[t, 2])
                G[k, t] = -acc / n
        sc = _prox_block(W, idx, s0, s1, G, 1.0 / lips[b], a1[b], a2[b], positive, Z)
        if sc > kws:
            kws = sc
        dn = 0.0
        zn = 0.0
        for k in range(s1 - s0):
            j = idx[s0 + k]
            moved = False
            for t in range(T):
                z = Z[k, t]
                d = z - W[t, j]
                zn += z * z
                Z[k, t] = d  # Z now holds the move
                if d != 0.0:
                    moved = True
                    dn += d * d
                    W[t, j] = z
                    extra[t, 1] -= d * uX[j]
                    extra[t, 0] += d * off[j]
            if moved:
                for kk in range(indptr[j], indptr[j + 1]):
                    v = data[kk]
                    i = indices[kk]
                    for t in range(T):
                        S[i, t] -= Z[k, t] * v
        if dn > dw:
            dw = dn
        if zn > wm:
            wm = zn
    return kws, dw, wm


@njit(cache=True, error_model="numpy")
def _epoch_gram(Gm, S, W, ptr, idx, blocks, lips, a1, a2, positive, G, Z):
    """:func:`_epoch_dense` for a Gram design: ``S = W Gm - Q`` (T, p) is the gradient."""
    T = S.shape[0]
    p = S.shape[1]
    kws = 0.0
    dw = 0.0
    wm = 0.0
    for b in blocks:
        s0 = ptr[b]
        s1 = ptr[b + 1]
        for k in range(s1 - s0):
            j = idx[s0 + k]
            for t in range(T):
                G[k, t] = S[t, j]
        sc = _prox_block(W, idx, s0, s1, G, 1.0 / lips[b], a1[b], a2[b], positive, Z)
        if sc > kws:
            kws = sc
        dn = 0.0
        zn = 0.0
        for k in range(s1 - s0):
            j = idx[s0 + k]
            for t in range(T):
                z = Z[k, t]
                d = z - W[t, j]
                zn += z * z
                if d != 0.0:
                    dn += d * d
                    W[t, j] = z
                    for i in range(p):
                        S[t, i] += d * Gm[j, i]
        if dn > dw:
            dw = dn
        if zn > wm:
            wm = zn
    return kws, dw, wm


# the storages' epoch kernels (see the module docstring), one signature each
_BCD_ARGS = (I1, I1, I1, F1, F1, F1, b1, F2, F2)  # ptr, idx, blocks, lips, a1, a2, positive, G, Z
register("bcd_dense", _epoch_dense, types.UniTuple(f8, 3)(F2, F2, F2, *_BCD_ARGS))
register("bcd_csc", _epoch_csc,
         types.UniTuple(f8, 3)(F1, J1, J1, F1, F1, F2, F2, F2, *_BCD_ARGS))
register("bcd_gram", _epoch_gram, types.UniTuple(f8, 3)(F2, F2, F2, *_BCD_ARGS))


# ----------------------------------------------------------------------------- designs, specs
class BlockDesign:
    """T prepared designs sharing X (:func:`~skstruct._backend._cd.prepare_designs`), stacked.

    Attributes
    ----------
    mode, X, data, indices, indptr, off, u, uX
        As :class:`~skstruct._backend._cd.Design` (shared by the tasks).
    Y : ndarray of shape (T, n) (modes 0, 1) or (T, p) (mode 2: ``Q = X^T Y / n``)
    yty_n : float
        ``||Y||_F^2 / n`` (centred, weighted).
    yu : ndarray of shape (T,)
    lipschitz : ndarray of shape (p,)
        ``||X_j||^2 / n``.
    Xty_n : ndarray of shape (T, p)
    n_samples, n_features, n_tasks : int
    """

    def __init__(self, designs):
        d = designs[0]
        self.mode, self.X, self.data = d.mode, d.X, d.data
        self.indices = np.ascontiguousarray(d.indices, dtype=np.int32)
        self.indptr = np.ascontiguousarray(d.indptr, dtype=np.int32)
        self.off, self.u, self.uX, self.lipschitz = d.off, d.u, d.uX, d.lipschitz
        self.n_samples, self.n_features, self.n_tasks = d.n_samples, d.n_features, len(designs)
        self.Y = np.ascontiguousarray(np.stack([e.y for e in designs]))
        self.yty_n = float(sum(e.yty_n for e in designs))
        self.yu = np.array([e.yu for e in designs], dtype=np.float64)
        self.Xty_n = np.ascontiguousarray(np.stack([e.Xty_n for e in designs]))
        self._Xs = None if self.mode != 1 else sp.csc_matrix(
            (self.data, self.indices, self.indptr), shape=(self.n_samples, self.n_features))
        self._single = d

    def initial_state(self, W):
        """State (T, n) or (T, p) and extras (T, 4) for coefficients ``W`` (T, p).

        CSC: the state is stored sample-major (Fortran order, ``state.T`` C-contiguous),
        the layout :func:`_epoch_csc` reads; copies keep it (``np.copy``, order K).
        """
        extra = np.zeros((self.n_tasks, 4))
        if self.mode == 1:
            S = np.ascontiguousarray(self.Y.T - np.asarray(self._Xs @ W.T), dtype=np.float64)
            state = S.T
            extra[:, 0] = W @ self.off
            extra[:, 1] = state @ self.u
            extra[:, 2] = self.u @ self.u
            extra[:, 3] = self.yu
            return state, extra
        if self.mode == 0:
            state = self.Y - W @ self.X if W.any() else self.Y.copy()
        else:
            state = W @ self.X - self.Y
        return np.ascontiguousarray(state, dtype=np.float64), extra

    def columns(self, feats):
        """The design restricted to ``feats``, for :meth:`gradient` to reuse (dense:
        ``X[feats]``; CSC: the column slice, whose scipy indexing costs about one full
        product; Gram: None)."""
        if self.mode == 0:
            return self.X[feats]
        return self._Xs[:, feats] if self.mode == 1 else None

    def gradient(self, state, extra, feats=None, X_feats=None):
        """Datafit gradient ``-X^T R / n`` of the features ``feats`` (all if None), shape
        (T, |feats|); ``X_feats``: ``columns(feats)``, if the caller keeps it."""
        if feats is not None and X_feats is None and self.mode != 2:
            X_feats = self.columns(feats)
        if self.mode == 0:
            Xf = self.X if feats is None else X_feats
            return state @ Xf.T / -self.n_samples
        if self.mode == 1:
            f = slice(None) if feats is None else feats
            Xs = self._Xs if feats is None else X_feats
            s = extra[:, :1]
            acc = np.asarray(Xs.T @ state.T).T + s * self.uX[f] \
                - (extra[:, 1:2] + s * extra[:, 2:3]) * self.off[f]
            return acc / -self.n_samples
        return state if feats is None else state[:, feats]

    def datafit(self, W, state, extra):
        """``||R||_F^2 / (2 n)`` and ``<Y, R> / n``."""
        if self.mode == 2:
            qw = float(np.vdot(self.Y, W))
            return 0.5 * (self.yty_n - qw + float(np.vdot(W, state))), self.yty_n - qw
        rr = float(np.vdot(state, state))
        yr = float(np.vdot(self.Y, state))
        if self.mode == 1:
            s = extra[:, 0]
            rr += float(np.sum(2.0 * s * extra[:, 1] + s * s * extra[:, 2]))
            yr += float(s @ extra[:, 3])
        return 0.5 * rr / self.n_samples, yr / self.n_samples

    def datafit_change(self, s_old, e_old, s_new, e_new, feats, dW):
        """``F(new) - F(old)`` from the two states (and ``dW`` on ``feats``), computed
        from differences: ``<r_new - r_old, r_new + r_old> / (2 n)``."""
        if self.mode == 2:  # F quadratic, gradient affine: the trapezoid rule is exact
            return 0.5 * float(np.vdot(dW, s_old[:, feats] + s_new[:, feats]))
        ds = s_new - s_old
        acc = float(np.vdot(ds, s_new + s_old))
        if self.mode == 1:  # residual S + s u: the terms in u through the extras
            s_n, s_o = e_new[:, 0], e_old[:, 0]
            dsc = s_n - s_o
            acc += float(np.sum((s_n + s_o) * (e_new[:, 1] - e_old[:, 1])
                                + dsc * (e_new[:, 1] + e_old[:, 1])
                                + dsc * (s_n + s_o) * e_new[:, 2]))
        return 0.5 * acc / self.n_samples

    def move(self, state, extra, feats, dW):
        """The state after ``W[:, feats] += dW`` (in place)."""
        if self.mode == 0:
            state -= dW @ self.X[feats]
        elif self.mode == 1:
            state -= np.asarray(self._Xs[:, feats] @ dW.T).T
            extra[:, 1] -= dW @ self.uX[feats]
            extra[:, 0] += dW @ self.off[feats]
        else:
            state += dW @ self.X[feats]

    def nnz(self, feats):
        """Work of one epoch over ``feats`` in units of a state row."""
        if self.mode != 1:
            return feats.size * (self.n_samples if self.mode == 0 else self.n_features)
        return int(np.sum(self.indptr[feats + 1] - self.indptr[feats]))

    def epoch(self, state, extra, W, spec, blocks, a1, a2, G, Z):
        """One epoch of :func:`_epoch_dense` / ``_csc`` / ``_gram`` (this storage's)."""
        args = (W, spec.ptr, spec.idx, blocks, spec.lips, a1, a2, spec.positive, G, Z)
        if self.mode == 0:
            return _epoch_dense(self.X, state, *args)
        if self.mode == 1:
            return _epoch_csc(self.data, self.indices, self.indptr, self.off, self.uX, state.T,
                              extra, *args)
        return _epoch_gram(self.X, state, *args)


class BlockSpec:
    """A block penalty: blocks ``idx[ptr[b]:ptr[b + 1]]`` (features), their Lipschitz
    constants ``lips`` (b,), ``weights`` (b,) (0: unpenalised), ``l1_ratio``, ``positive``.

    Its capability the driver acts on: ``safe_screen`` (``l1_ratio == 1``: gap-safe
    screening is valid). ``at(alpha)`` fixes the level.
    """

    def __init__(self, ptr, idx, lips, weights, l1_ratio=1.0, positive=False, alpha=1.0,
                 _layout=None):
        self.ptr = np.ascontiguousarray(ptr, dtype=np.int64)
        self.idx = np.ascontiguousarray(idx, dtype=np.int64)
        self.lips = np.ascontiguousarray(lips, dtype=np.float64)
        self.weights = np.ascontiguousarray(weights, dtype=np.float64)
        self.l1_ratio, self.positive, self.alpha = float(l1_ratio), bool(positive), float(alpha)
        self.safe_screen = self.l1_ratio == 1.0
        if _layout is None:
            nb = len(self.ptr) - 1
            sizes = np.diff(self.ptr)
            pos_block = np.repeat(np.arange(nb), sizes)  # block of each position of idx
            block_of = np.zeros(int(self.idx.max(initial=-1)) + 1, dtype=np.int64)
            block_of[self.idx] = pos_block
            rows = bool(np.array_equal(self.idx, np.arange(nb))) and bool(np.all(sizes == 1))
            _layout = (nb, pos_block, block_of, rows, int(sizes.max(initial=1)))
        self._layout = _layout
        self.n_blocks, self._pos_block, self._block_of, self._rows, self.max_size = _layout

    def at(self, alpha):
        return BlockSpec(self.ptr, self.idx, self.lips, self.weights, self.l1_ratio,
                         self.positive, alpha, self._layout)

    def block_sums(self, v):
        """Sum of the per-feature values ``v`` (p,) over each block, shape (n_blocks,)."""
        if self._rows:
            return v
        return np.bincount(self._block_of, weights=v, minlength=self.n_blocks)

    def features(self, blocks):
        """Features of the blocks ``blocks`` (sorted), in block order."""
        if self._rows:
            return blocks
        mask = np.zeros(self.n_blocks, dtype=bool)
        mask[blocks] = True
        return self.idx[mask[self._pos_block]]

    def alpha_max(self, design):
        """Smallest alpha at which ``W = 0`` is optimal (inf-free: 0 when nothing enters)."""
        G = design.Xty_n if not self.positive else np.maximum(design.Xty_n, 0.0)
        amax = 0.0
        for b in range(len(self.ptr) - 1):
            wb = self.weights[b]
            if wb > 0 and self.lips[b] > 0:
                nrm = np.linalg.norm(G[:, self.idx[self.ptr[b]:self.ptr[b + 1]]])
                amax = max(amax, nrm / (wb * max(self.l1_ratio, 1e-3)))
        return amax


def _violations(spec, W, G, a1, a2):
    """Per block: violation ``dist(-G_b, ∂pen_b(W_b))``, ``||W_b||``, ``||G_b||`` and the
    dual norm (``||(-G_b)_+||`` if positive), each of shape (n_blocks,)."""
    bs = spec.block_sums
    wn = np.sqrt(bs(np.einsum("tp,tp->p", W, W)))
    gn = np.sqrt(bs(np.einsum("tp,tp->p", G, G)))
    if spec.positive:
        Gm = np.minimum(G, 0.0)
        dn = np.sqrt(bs(np.einsum("tp,tp->p", Gm, Gm)))
    else:
        dn = gn
    viol = np.maximum(dn - a1, 0.0)
    nz = wn > 0.0
    if nz.any():
        shrink = np.divide(a1, wn, out=np.zeros_like(wn), where=nz) + a2
        V = G + shrink[spec._block_of] * W if not spec._rows else G + shrink * W
        if spec.positive:
            V = np.where((W == 0.0) & (V > 0.0), 0.0, V)
        viol = np.where(nz, np.sqrt(bs(np.einsum("tp,tp->p", V, V))), viol)
    return viol, wn, gn, dn


def _penalty(wn, a1, a2):
    return float(np.sum(a1 * wn + 0.5 * a2 * wn * wn))


def _try_anderson(d, spec, W, state, extra, feats, wbuf, sbuf, ebuf, a1, a2):
    """Extrapolate the working-set coefficients and the state (affine in ``W``); keep it
    if the objective decreases.

    The change of the objective is computed from the differences (no cancellation
    against P itself), so that the decision is not one of rounding: near the
    optimum, dense and sparse storage would otherwise take different paths.
    """
    K = wbuf.shape[0] - 1
    c = anderson_weights(wbuf.reshape(K + 1, -1))
    if c is None:
        return
    W_acc = np.tensordot(c, wbuf[1:], axes=1)
    if spec.positive and np.any(W_acc < 0.0):
        return
    W_old = W[:, feats]
    s_old, e_old = np.copy(state), extra.copy()
    state[...] = np.tensordot(c, sbuf[1:], axes=1)
    extra[:, :2] = np.tensordot(c, ebuf[1:, :, :2], axes=1)
    dF = d.datafit_change(s_old, e_old, state, extra, feats, W_acc - W_old)
    # ||new||^2 - ||old||^2 per block from <new - old, new + old>
    dsq = np.zeros(spec.n_blocks)
    wsq = np.zeros(spec.n_blocks)
    bl = spec._block_of[feats]
    np.add.at(dsq, bl, np.einsum("tf,tf->f", W_acc - W_old, W_acc + W_old))
    np.add.at(wsq, bl, np.einsum("tf,tf->f", W_old, W_old))
    wo = np.sqrt(wsq)
    wn = np.sqrt(np.maximum(wsq + dsq, 0.0))
    den = wo + wn
    dnorm = np.divide(dsq, den, out=np.zeros_like(den), where=den > 0)
    dP = dF + float(np.sum(a1 * dnorm + 0.5 * a2 * dsq))
    if dP < 0.0:
        W[:, feats] = W_acc
    else:
        state[...] = s_old
        extra[...] = e_old


def _zero_blocks(d, spec, W, state, extra, blocks):
    """Set the coefficients of the blocks in the mask ``blocks`` to 0 (state follows)."""
    f = np.flatnonzero(blocks[spec._block_of] & np.any(W != 0.0, axis=0))
    if f.size:
        d.move(state, extra, f, -W[:, f])
        W[:, f] = 0.0
    return f.size > 0


def _blas_threads(design):
    """One BLAS thread while the full gradient is a small product (``T n p < 1e8``): the
    solve is sequential, and two OpenBLAS threads on a loaded 2-core machine made the
    (10 x 500) @ (500 x 2000) gradient 15x slower (68 ms against 4 ms)."""
    small = design.n_tasks * design.n_samples * design.n_features < 10 ** 8
    return blas_limit(1 if small else None)


def _top(scores, k, usable):
    """The ``k`` blocks of highest score, sorted (all usable ones when k covers them)."""
    if k >= np.count_nonzero(usable):
        return np.flatnonzero(usable)
    return top_indices(scores, k)


def block_lipschitz(design, ptr, idx):
    """``L_b = ||X_b||_2^2 / n`` (top eigenvalue of the block's Gram), shape (n_blocks,).

    Blocks of one size are done together (a batched Gram and ``eigvalsh``), dense and
    Gram storage; O(n |b|^2) per block.
    """
    lips1 = design.lipschitz
    ptr, idx = np.asarray(ptr), np.asarray(idx)
    sizes = np.diff(ptr)
    out = np.zeros(len(ptr) - 1)
    single = sizes == 1
    out[single] = lips1[idx[ptr[:-1][single]]]
    d = design if not isinstance(design, BlockDesign) else design._single
    gc = GramColumns(d) if d.mode == 1 and not single.all() else None
    for size in np.unique(sizes[~single]):
        bs = np.flatnonzero(sizes == size)
        C = idx[ptr[bs][:, None] + np.arange(size)]  # (blocks, size) feature indices
        if d.mode == 0:
            Xb = d.X[C]  # (blocks, size, n)
            Gb = Xb @ Xb.transpose(0, 2, 1) / d.n_samples
        elif d.mode == 2:
            Gb = d.X[C[:, :, None], C[:, None, :]]
        else:
            Gb = np.stack([gc.cols(c)[c] for c in C])
        out[bs] = np.linalg.eigvalsh(Gb)[:, -1]
    # a block is unusable when all its columns are (each column's test is its own scale)
    n_usable = np.concatenate([[0], np.cumsum(lips1[idx] > 0.0)])
    out[n_usable[ptr[1:]] == n_usable[ptr[:-1]]] = 0.0
    return out


def group_spec(design, groups, weights, *, positive=False):
    """Group-lasso spec: ``groups`` a list of feature-index arrays (a partition)."""
    ptr = np.concatenate([[0], np.cumsum([len(g) for g in groups])]).astype(np.int64)
    idx = np.concatenate(groups).astype(np.int64)
    return BlockSpec(ptr, idx, block_lipschitz(design, ptr, idx), weights, 1.0, positive)


def row_spec(design, l1_ratio=1.0):
    """Multi-task spec: one block per feature (its coefficients across the tasks)."""
    p = design.n_features
    return BlockSpec(np.arange(p + 1), np.arange(p), design.lipschitz, np.ones(p), l1_ratio)


class BlockResult:
    """Outcome of :func:`bcd_solve`: ``coef`` (T, p), ``n_epochs``, ``n_outer``,
    ``dual_gap`` (normalised by n; nan with an unpenalised block), ``kkt`` (largest block
    violation), ``converged``, and ``states`` (state, extra, full gradient or None) for a
    warm restart."""

    def __init__(self, coef, states, n_epochs, dual_gap, kkt, n_outer, converged):
        self.coef, self.states = coef, states
        self.n_epochs, self.dual_gap, self.kkt = int(n_epochs), float(dual_gap), float(kkt)
        self.n_outer = int(n_outer)
        self.converged = converged


def bcd_solve(design, spec, W0=None, *, state=None, tol=1e-4, max_iter=100,
              max_epochs=50_000, p0=10, screen=True, anderson=True, seed=-1):
    """Solve the block-penalised least squares of ``design`` with ``spec``.

    Parameters
    ----------
    design : BlockDesign
    spec : BlockSpec
        With its level ``alpha`` (``spec.at(alpha)``).
    W0 : ndarray of shape (T, p), optional
        Warm start (zeros if None).
    state : tuple, optional
        ``states`` of a previous result whose ``coef`` is ``W0``.
    tol : float
        Duality gap ``<= tol * ||Y||_F^2 / n`` (largest block violation
        ``<= tol * sqrt(||Y||_F^2 / n)`` when a block is unpenalised).
    max_iter, max_epochs, p0 : int
        Outer iterations, epochs per working set, first working-set size (blocks).
    screen, anderson : bool
        Gap-safe screening where the spec allows it; Anderson extrapolation.
    seed : int
        ``>= 0``: random block order per epoch from this seed; ``-1``: cyclic.

    Returns
    -------
    BlockResult

    Notes
    -----
    Cost per epoch ``O(n T |ws|)`` dense, ``O(T nnz(ws))`` sparse, ``O(p T |ws|)``
    Gram, plus one full gradient (a BLAS product) per outer iteration.
    """
    with _blas_threads(design):
        return _bcd_solve(design, spec, W0, state, tol, max_iter, max_epochs, p0, screen,
                          anderson, seed)


def _bcd_solve(d, spec, W0, state, tol, max_iter, max_epochs, p0, screen, anderson, seed):
    T, p = d.n_tasks, d.n_features
    W = np.zeros((T, p)) if W0 is None else \
        np.array(W0, dtype=np.float64, order="C").reshape(T, p)
    grad = None
    if state is None:
        st, extra = d.initial_state(W)
    else:
        st, extra = np.copy(state[0]), state[1].copy()
        if len(state) > 2 and state[2] is not None:
            grad = state[2]
    tol = float(tol)
    l1r = spec.l1_ratio
    a = spec.alpha * spec.weights
    a1, a2 = a * l1r, a * (1.0 - l1r)
    usable = spec.lips > 0.0
    use_gap = not np.any(usable & (a == 0.0))
    safe = bool(screen) and spec.safe_screen
    if _zero_blocks(d, spec, W, st, extra, ~usable):  # zero columns: coefficients irrelevant
        grad = None
    f_us = X_us = None  # features of the unscreened blocks (None: all), X of them
    tol_gap, tol_kkt = tol * d.yty_n, tol * math.sqrt(d.yty_n)
    rng = np.random.RandomState(seed) if seed >= 0 else None
    K = _ANDERSON_K
    G = np.zeros((spec.max_size, T))
    Z = np.zeros((spec.max_size, T))
    n_epochs, gap, kkt, gap_floor = 0, np.nan, np.inf, 0.0
    # scikit-learn's rule on top of the gap: the last epoch moved no block by more than
    # tol * max_b ||W_b|| (before any epoch: the start is trusted)
    step_ok, gap_met = True, False
    it = 0
    for it in range(max_iter):
        if grad is None:
            if f_us is None:
                grad = d.gradient(st, extra)
            else:  # screened blocks have no use for their gradient
                if X_us is None:
                    X_us = d.columns(f_us)
                grad = np.zeros((T, p))
                grad[:, f_us] = d.gradient(st, extra, f_us, X_us)
        viol, wn, gn, dn = _violations(spec, W, grad, a1, a2)
        kkt = float(np.max(viol[usable], initial=0.0))
        scores = np.where((wn > 0.0) | (a == 0.0), np.inf, viol)
        scores[~usable] = -1.0
        if use_gap:
            F, yR = d.datafit(W, st, extra)
            c, conj = 1.0, 0.0
            if l1r == 1.0:
                m = usable & (dn > a1)
                if m.any():
                    c = min(1.0, float(np.min(a1[m] / dn[m])))
            else:
                e = c * dn - a1
                m = usable & (e > 0.0)
                conj = float(np.sum(e[m] ** 2 / (2.0 * a2[m])))
            primal, dual = F + _penalty(wn, a1, a2), c * yR - c * c * F - conj
            gap = primal - dual
            gap_floor = 64 * np.finfo(float).eps * (abs(primal) + abs(dual))
            gap_met = gap <= tol_gap
            if gap_met and step_ok:
                break
            if safe and gap > 0.0:
                drop = usable & (c * gn + math.sqrt(2.0 * gap) * np.sqrt(spec.lips) < a)
                if drop.any():
                    usable &= ~drop
                    scores[drop] = -1.0
                    if _zero_blocks(d, spec, W, st, extra, drop):
                        grad = None
                    if np.count_nonzero(usable) < 0.8 * spec.n_blocks:
                        f_us = spec.features(np.flatnonzero(usable))
                        X_us = None
        elif kkt <= tol_kkt:
            break
        # --- working set of blocks
        n_av = int(np.count_nonzero(usable))
        ws_size = min(n_av, max(p0, 2 * int(np.count_nonzero(scores == np.inf))))
        if ws_size == 0:
            break
        ws = _top(scores, ws_size, usable).astype(np.int64, copy=False)
        # inner stop: the violation down to 0.3 x the outer one, the scalar driver's rule
        # (one task follows it epoch for epoch: scikit-learn's test of MultiTaskLassoCV
        # against LassoCV compares them to 7 decimals at tol 1e-4); with several tasks,
        # 0.1 x when the working set holds every usable block (the next outer iteration
        # brings no block in, only the gap; sparse multi-task path: 10-15% fewer epochs)
        inner_tol = (0.1 if ws_size == n_av and T > 1 else 0.3) * kkt
        if ws_size == n_av and not use_gap:
            inner_tol = min(inner_tol, tol_kkt)
        feats = spec.features(ws)
        # Anderson with sparse X only when an epoch costs more than the state copies
        use_aa = anderson and (d.mode != 1 or d.nnz(feats) >= st.shape[1])
        if use_aa:
            wbuf = np.zeros((K + 1, T, feats.size))
            sbuf = np.zeros((K + 1,) + st.shape)
            ebuf = np.zeros((K + 1,) + extra.shape)
        pos = 0
        done = 0
        while done < max_epochs:
            blocks = ws if rng is None else ws[rng.permutation(ws.size)]
            kws, dw, wm = d.epoch(st, extra, W, spec, blocks, a1, a2, G, Z)
            done += 1
            step_ok = math.sqrt(dw) <= tol * math.sqrt(wm)
            if (step_ok and gap_met) or (kws <= inner_tol and not gap_met):
                break
            if use_aa and dw <= 1e-14 * wm:
                # moves below 1e-7 of the coefficients: what the extrapolation does with
                # them is decided by rounding (dense and sparse storage would part ways)
                pos = 0
            elif use_aa:
                np.take(W, feats, axis=1, out=wbuf[pos], mode="clip")  # unbuffered
                sbuf[pos] = st
                ebuf[pos] = extra
                if pos < K:
                    pos += 1
                else:
                    pos = 0
                    _try_anderson(d, spec, W, st, extra, feats, wbuf, sbuf, ebuf, a1, a2)
        n_epochs += done
        grad = None
    conv = gap <= tol_gap if use_gap else kkt <= tol_kkt
    # a gap within the rounding of P and D is reported as 0 (the elastic-net gap, with
    # the exact conjugate, reaches 0 at the optimum; its computed sign is then noise)
    gap = (gap if gap > gap_floor else 0.0) if use_gap else np.nan
    # the last full gradient, when it is still that of W (it does not depend on alpha)
    full = grad if grad is not None and f_us is None else None
    return BlockResult(W, (st, extra, full), n_epochs, gap, kkt, it + 1, bool(conv))


def bcd_path(design, spec, alphas, *, W0=None, tol=1e-4, max_iter=100, max_epochs=50_000,
             screen=True, anderson=True, p0=10, seed=-1, verbose=0):
    """Warm-started :func:`bcd_solve` over a decreasing grid of ``alphas``.

    ``verbose`` prints one line per alpha (stdout).

    Returns
    -------
    coefs : ndarray of shape (T, p, n_alphas)
    gaps : ndarray of shape (n_alphas,)
    n_iters : ndarray of shape (n_alphas,)
    converged : bool
    """
    T, p = design.n_tasks, design.n_features
    coefs = np.zeros((T, p, len(alphas)))
    gaps = np.zeros(len(alphas))
    n_iters = np.zeros(len(alphas), dtype=int)
    W = np.zeros((T, p)) if W0 is None else np.asarray(W0, dtype=np.float64).reshape(T, p)
    state = None
    ok = True
    with _blas_threads(design):
        for i, a in enumerate(alphas):
            nz = int(np.count_nonzero(np.any(W != 0, axis=0)))
            res = _bcd_solve(design, spec.at(a), W, state, tol, max_iter, max_epochs,
                             max(p0, nz), screen, anderson, seed)
            if verbose:
                print(f"path: alpha {i + 1:3d}/{len(alphas)} = {a:.3e}, {res.n_epochs} "
                      f"epochs, {np.count_nonzero(np.any(res.coef != 0, axis=0))} nonzero "
                      f"features, gap {res.dual_gap:.2e}, kkt {res.kkt:.2e}", flush=True)
            W, state = res.coef, res.states
            coefs[:, :, i] = W
            gaps[i], n_iters[i] = res.dual_gap, res.n_epochs
            ok &= res.converged
    return coefs, gaps, n_iters, ok
