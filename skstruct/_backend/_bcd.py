"""Working-set block coordinate descent for block penalties (numba).

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
shape (T, n) (modes 0, 1) or (T, p) (mode 2), so the per-task loops are
contiguous.

Algorithm (the scalar driver's working-set scheme, lifted to blocks):

1. outer iteration: full block gradients ``G_b = -X_b^T R / n`` and the block
   violation ``dist(-G_b, ∂pen_b(W_b))`` (:func:`_block_score`);
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
   is below 0.3 x the outer one.

One numba signature per function (float64, C-contiguous arrays).
"""

import numpy as np
import scipy.sparse as sp
from numba import njit

from ._cd import GramColumns
from ._working_set import anderson_coefs, top_k

_ANDERSON_K = 5


# ----------------------------------------------------------------------------- block kernels
@njit(cache=True)
def _block_grad(mode, X, data, indices, indptr, off, uX, state, extra, n, idx, s0, s1, G):
    """Datafit gradient of block ``idx[s0:s1]`` into ``G[:s1 - s0, :T]`` (feature, task)."""
    T = state.shape[0]
    for k in range(s1 - s0):
        j = idx[s0 + k]
        for t in range(T):
            acc = 0.0
            if mode == 0:
                for i in range(n):
                    acc += X[j, i] * state[t, i]
                G[k, t] = -acc / n
            elif mode == 1:
                for kk in range(indptr[j], indptr[j + 1]):
                    acc += data[kk] * state[t, indices[kk]]
                s = extra[t, 0]
                acc += s * uX[j] - off[j] * (extra[t, 1] + s * extra[t, 2])
                G[k, t] = -acc / n
            else:
                G[k, t] = state[t, j]


@njit(cache=True)
def _feature_update(mode, X, data, indices, indptr, off, uX, state, extra, j, t, delta):
    """Apply ``W[t, j] += delta`` to the state."""
    if mode == 0:
        for i in range(state.shape[1]):
            state[t, i] -= delta * X[j, i]
    elif mode == 1:
        for kk in range(indptr[j], indptr[j + 1]):
            state[t, indices[kk]] -= delta * data[kk]
        extra[t, 1] -= delta * uX[j]
        extra[t, 0] += delta * off[j]
    else:
        for i in range(state.shape[1]):
            state[t, i] += delta * X[j, i]


@njit(cache=True)
def _block_norms(W, idx, s0, s1, G, positive):
    """``(||W_b||_F, ||G_b||_F, dual norm)``; the dual norm is ``||(-G_b)_+||`` if positive."""
    T = W.shape[0]
    wn = 0.0
    gn = 0.0
    dn = 0.0
    for k in range(s1 - s0):
        j = idx[s0 + k]
        for t in range(T):
            wn += W[t, j] * W[t, j]
            g = G[k, t]
            gn += g * g
            if g < 0.0:
                dn += g * g
    gn = np.sqrt(gn)
    return np.sqrt(wn), gn, np.sqrt(dn) if positive else gn


@njit(cache=True)
def _block_score(W, idx, s0, s1, G, a1, a2, positive):
    """Violation ``dist(-G_b, ∂pen_b(W_b))`` (with the normal cone of ``W >= 0``)."""
    wn, _, dn = _block_norms(W, idx, s0, s1, G, positive)
    if wn == 0.0:
        return max(0.0, dn - a1)
    T = W.shape[0]
    d = 0.0
    for k in range(s1 - s0):
        j = idx[s0 + k]
        for t in range(T):
            w = W[t, j]
            v = G[k, t] + a1 * w / wn + a2 * w
            if positive and w == 0.0:
                v = min(v, 0.0)  # any v >= 0 is absorbed by the normal cone
            d += v * v
    return np.sqrt(d)


@njit(cache=True)
def _block_prox(W, idx, s0, s1, G, step, a1, a2, positive, Z):
    """``Z_b = prox_{step pen_b}(W_b - step G_b)`` (projection, then block shrinkage)."""
    T = W.shape[0]
    zn = 0.0
    for k in range(s1 - s0):
        j = idx[s0 + k]
        for t in range(T):
            z = W[t, j] - step * G[k, t]
            if positive and z < 0.0:
                z = 0.0
            Z[k, t] = z
            zn += z * z
    zn = np.sqrt(zn)
    thr = step * a1
    scale = (1.0 - thr / zn) / (1.0 + step * a2) if zn > thr else 0.0
    for k in range(s1 - s0):
        for t in range(T):
            Z[k, t] *= scale


@njit(cache=True)
def _datafit(mode, Y, W, state, extra, n, yty_n):
    """``||R||_F^2 / (2 n)`` and ``<Y, R> / n`` from the state."""
    T = state.shape[0]
    if mode == 2:
        qw = 0.0
        wg = 0.0
        for t in range(T):
            for j in range(W.shape[1]):
                if W[t, j] != 0.0:
                    qw += Y[t, j] * W[t, j]
                    wg += W[t, j] * state[t, j]
        return 0.5 * (yty_n - qw + wg), yty_n - qw
    rr = 0.0
    yr = 0.0
    for t in range(T):
        for i in range(n):
            rr += state[t, i] * state[t, i]
            yr += Y[t, i] * state[t, i]
        if mode == 1:
            s = extra[t, 0]
            rr += 2.0 * s * extra[t, 1] + s * s * extra[t, 2]
            yr += s * extra[t, 3]
    return 0.5 * rr / n, yr / n


@njit(cache=True)
def _penalty_value(W, ptr, idx, alpha, l1_ratio, weights, blocks, m):
    tot = 0.0
    for k in range(m):
        b = blocks[k]
        a = alpha * weights[b]
        wn2 = 0.0
        for s in range(ptr[b], ptr[b + 1]):
            for t in range(W.shape[0]):
                wn2 += W[t, idx[s]] ** 2
        tot += a * (l1_ratio * np.sqrt(wn2) + 0.5 * (1.0 - l1_ratio) * wn2)
    return tot


@njit(cache=True)
def _try_anderson(mode, Y, yty_n, W, state, extra, n, ptr, idx, ws, m, feats, wbuf, sbuf,
                  ebuf, alpha, l1_ratio, weights, positive):
    """Extrapolate the working-set coefficients and the state; keep it if P decreases."""
    cf = anderson_coefs(wbuf)
    K = cf.shape[0]
    if K == 0:
        return
    T = W.shape[0]
    nf = feats.shape[0]
    ls = state.shape[1]
    nw = wbuf.shape[1]
    w_acc = np.zeros(nw)
    for k in range(K):
        for i in range(nw):
            w_acc[i] += cf[k] * wbuf[k + 1, i]
    if positive:
        for i in range(nw):
            if w_acc[i] < 0.0:
                return
    F_old, _ = _datafit(mode, Y, W, state, extra, n, yty_n)
    P_old = F_old + _penalty_value(W, ptr, idx, alpha, l1_ratio, weights, ws, m)
    w_old = np.empty(nw)
    s_old = np.empty((T, ls))
    e_old = np.empty((T, 2))
    for t in range(T):
        for f in range(nf):
            w_old[t * nf + f] = W[t, feats[f]]
            W[t, feats[f]] = w_acc[t * nf + f]
        for i in range(ls):
            s_old[t, i] = state[t, i]
            acc = 0.0
            for k in range(K):
                acc += cf[k] * sbuf[k + 1, t, i]
            state[t, i] = acc
        for e in range(2):
            e_old[t, e] = extra[t, e]
            acc = 0.0
            for k in range(K):
                acc += cf[k] * ebuf[k + 1, t, e]
            extra[t, e] = acc
    F_new, _ = _datafit(mode, Y, W, state, extra, n, yty_n)
    P_new = F_new + _penalty_value(W, ptr, idx, alpha, l1_ratio, weights, ws, m)
    if not P_new < P_old:
        for t in range(T):
            for f in range(nf):
                W[t, feats[f]] = w_old[t * nf + f]
            for i in range(ls):
                state[t, i] = s_old[t, i]
            for e in range(2):
                extra[t, e] = e_old[t, e]


# ----------------------------------------------------------------------------- the driver
@njit(cache=True, nogil=True)
def _bcd_solver(mode, X, data, indices, indptr, off, uX, Y, yty_n, W, state, extra, ptr, idx,
                lips, alpha, l1_ratio, weights, positive, safe_screen, tol, max_iter,
                max_epochs, p0, anderson, seed, out):
    """Working-set block CD; updates ``W``, ``state``, ``extra`` in place.

    ``out`` (4,) receives (epochs, duality gap or nan, max violation, outer iterations).
    ``seed >= 0``: blocks of the working set visited in a random order each epoch.
    """
    nb = ptr.shape[0] - 1
    T = W.shape[0]
    n = state.shape[1] if mode != 2 else 1
    ls = state.shape[1]
    tol_gap = tol * yty_n
    tol_kkt = tol * np.sqrt(yty_n)
    if seed >= 0:
        np.random.seed(seed)
    gmax = 1
    usable = np.zeros(nb, dtype=np.bool_)
    use_gap = True
    for b in range(nb):
        gmax = max(gmax, ptr[b + 1] - ptr[b])
        usable[b] = lips[b] > 0.0
        if usable[b] and alpha * weights[b] == 0.0:
            use_gap = False
        if not usable[b]:  # zero columns: their coefficients are irrelevant, set to 0
            for s in range(ptr[b], ptr[b + 1]):
                for t in range(T):
                    if W[t, idx[s]] != 0.0:
                        _feature_update(mode, X, data, indices, indptr, off, uX, state, extra,
                                        idx[s], t, -W[t, idx[s]])
                        W[t, idx[s]] = 0.0
    G = np.zeros((gmax, T))
    Z = np.zeros((gmax, T))
    scores = np.zeros(nb)
    dnorm = np.zeros(nb)
    gnorm = np.zeros(nb)
    K = _ANDERSON_K
    n_epochs = 0
    gap = np.nan
    kkt = np.inf
    # scikit-learn's rule on top of the gap: the last epoch moved no block by more than
    # tol * max_b ||W_b|| (before any epoch: the start is trusted)
    step_ok = True
    gap_met = False
    it = 0
    for it in range(max_iter):
        # --- full block gradients and violation scores
        kkt = 0.0
        n_inf = 0
        for b in range(nb):
            if not usable[b]:
                scores[b] = -1.0
                continue
            s0, s1 = ptr[b], ptr[b + 1]
            _block_grad(mode, X, data, indices, indptr, off, uX, state, extra, n, idx, s0, s1,
                        G)
            a = alpha * weights[b]
            sc = _block_score(W, idx, s0, s1, G, a * l1_ratio, a * (1.0 - l1_ratio),
                              positive)
            wn, gnorm[b], dnorm[b] = _block_norms(W, idx, s0, s1, G, positive)
            kkt = max(kkt, sc)
            if wn > 0.0 or a == 0.0:
                scores[b] = np.inf
                n_inf += 1
            else:
                scores[b] = sc
        # --- stopping test: duality gap at the rescaled residual
        if use_gap:
            F, yR_n = _datafit(mode, Y, W, state, extra, n, yty_n)
            c = 1.0
            for b in range(nb):
                a1 = alpha * weights[b] * l1_ratio
                if usable[b] and l1_ratio == 1.0 and dnorm[b] > a1:
                    c = min(c, a1 / dnorm[b])
            conj = 0.0
            if l1_ratio < 1.0:
                for b in range(nb):
                    a = alpha * weights[b]
                    e = c * dnorm[b] - a * l1_ratio
                    if usable[b] and e > 0.0:
                        conj += e * e / (2.0 * a * (1.0 - l1_ratio))
            all_b = np.arange(nb)
            primal = F + _penalty_value(W, ptr, idx, alpha, l1_ratio, weights, all_b, nb)
            gap = primal - (c * yR_n - c * c * F - conj)
            gap_met = gap <= tol_gap
            if gap_met and step_ok:
                break
            if safe_screen and gap > 0.0:
                r = np.sqrt(2.0 * gap)
                for b in range(nb):
                    if usable[b] and c * gnorm[b] + r * np.sqrt(lips[b]) < alpha * weights[b]:
                        usable[b] = False
                        if scores[b] == np.inf:
                            n_inf -= 1
                        scores[b] = -1.0
                        for s in range(ptr[b], ptr[b + 1]):
                            for t in range(T):
                                if W[t, idx[s]] != 0.0:
                                    _feature_update(mode, X, data, indices, indptr, off, uX,
                                                    state, extra, idx[s], t, -W[t, idx[s]])
                                    W[t, idx[s]] = 0.0
        elif kkt <= tol_kkt:
            break
        # --- working set of blocks
        n_av = 0
        for b in range(nb):
            if usable[b]:
                n_av += 1
        ws_size = min(n_av, max(p0, 2 * n_inf))
        if ws_size == 0:
            break
        ws = top_k(scores, ws_size)
        inner_tol = 0.3 * kkt
        if ws_size == n_av and not use_gap:
            inner_tol = min(inner_tol, tol_kkt)
        nf = 0
        nnz_ws = 0
        for k in range(ws_size):
            nf += ptr[ws[k] + 1] - ptr[ws[k]]
        feats = np.empty(nf, dtype=np.int64)
        f = 0
        for k in range(ws_size):
            for s in range(ptr[ws[k]], ptr[ws[k] + 1]):
                feats[f] = idx[s]
                f += 1
                if mode == 1:
                    nnz_ws += indptr[idx[s] + 1] - indptr[idx[s]]
        # Anderson with sparse X only when an epoch costs more than the state copies
        use_aa = anderson and (mode != 1 or nnz_ws >= ls)
        wbuf = np.zeros((K + 1, T * nf))
        sbuf = np.zeros((K + 1, T, ls))
        ebuf = np.zeros((K + 1, T, 2))
        pos = 0
        perm = np.arange(ws_size)
        # --- inner loop
        for epoch in range(max_epochs):
            if seed >= 0:
                np.random.shuffle(perm)
            kws = 0.0
            dw = 0.0
            wm = 0.0
            for kp in range(ws_size):
                b = ws[perm[kp]]
                s0, s1 = ptr[b], ptr[b + 1]
                _block_grad(mode, X, data, indices, indptr, off, uX, state, extra, n, idx, s0,
                            s1, G)
                a = alpha * weights[b]
                a1 = a * l1_ratio
                a2 = a * (1.0 - l1_ratio)
                # violation of block b just before its update (Gauss-Seidel order)
                sc = _block_score(W, idx, s0, s1, G, a1, a2, positive)
                kws = max(kws, sc)
                _block_prox(W, idx, s0, s1, G, 1.0 / lips[b], a1, a2, positive, Z)
                dn = 0.0
                zn = 0.0
                for k in range(s1 - s0):
                    j = idx[s0 + k]
                    for t in range(T):
                        d = Z[k, t] - W[t, j]
                        dn += d * d
                        zn += Z[k, t] * Z[k, t]
                        if d != 0.0:
                            _feature_update(mode, X, data, indices, indptr, off, uX, state,
                                            extra, j, t, d)
                            W[t, j] = Z[k, t]
                dw = max(dw, dn)
                wm = max(wm, zn)
            n_epochs += 1
            step_ok = np.sqrt(dw) <= tol * np.sqrt(wm)
            if (step_ok and gap_met) or (kws <= inner_tol and not gap_met):
                break
            if use_aa:
                for t in range(T):
                    for f in range(nf):
                        wbuf[pos, t * nf + f] = W[t, feats[f]]
                    ebuf[pos, t, 0] = extra[t, 0]
                    ebuf[pos, t, 1] = extra[t, 1]
                for t in range(T):
                    for i in range(ls):
                        sbuf[pos, t, i] = state[t, i]
                if pos < K:
                    pos += 1
                else:
                    pos = 0
                    _try_anderson(mode, Y, yty_n, W, state, extra, n, ptr, idx, ws, ws_size,
                                  feats, wbuf, sbuf, ebuf, alpha, l1_ratio, weights, positive)
    out[0] = n_epochs
    out[1] = gap if use_gap else np.nan
    out[2] = kkt
    out[3] = it + 1


# ----------------------------------------------------------------------------- Python side
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
        self.mode, self.X, self.data, self.indices, self.indptr = d.mode, d.X, d.data, \
            d.indices, d.indptr
        self.off, self.u, self.uX, self.lipschitz = d.off, d.u, d.uX, d.lipschitz
        self.n_samples, self.n_features, self.n_tasks = d.n_samples, d.n_features, len(designs)
        self.Y = np.ascontiguousarray(np.stack([e.y for e in designs]))
        self.yty_n = float(sum(e.yty_n for e in designs))
        self.yu = np.array([e.yu for e in designs], dtype=np.float64)
        self.Xty_n = np.ascontiguousarray(np.stack([e.Xty_n for e in designs]))
        self._single = d

    def initial_state(self, W):
        """State (T, n) or (T, p) and extras (T, 4) for coefficients ``W`` (T, p)."""
        extra = np.zeros((self.n_tasks, 4))
        if self.mode == 0:
            state = self.Y - W @ self.X if W.any() else self.Y.copy()
        elif self.mode == 1:
            Xs = sp.csc_matrix((self.data, self.indices, self.indptr),
                               shape=(self.n_samples, self.n_features))
            state = self.Y - np.asarray(Xs @ W.T).T
            extra[:, 0] = W @ self.off
            extra[:, 1] = state @ self.u
            extra[:, 2] = self.u @ self.u
            extra[:, 3] = self.yu
        else:
            state = W @ self.X - self.Y
        return np.ascontiguousarray(state, dtype=np.float64), extra


class BlockSpec:
    """A block penalty: blocks ``idx[ptr[b]:ptr[b + 1]]`` (features), their Lipschitz
    constants ``lips`` (b,), ``weights`` (b,) (0: unpenalised), ``l1_ratio``, ``positive``.

    Its capability the driver acts on: ``safe_screen`` (``l1_ratio == 1``: gap-safe
    screening is valid). ``at(alpha)`` fixes the level.
    """

    def __init__(self, ptr, idx, lips, weights, l1_ratio=1.0, positive=False, alpha=1.0):
        self.ptr = np.ascontiguousarray(ptr, dtype=np.int64)
        self.idx = np.ascontiguousarray(idx, dtype=np.int64)
        self.lips = np.ascontiguousarray(lips, dtype=np.float64)
        self.weights = np.ascontiguousarray(weights, dtype=np.float64)
        self.l1_ratio, self.positive, self.alpha = float(l1_ratio), bool(positive), float(alpha)
        self.safe_screen = self.l1_ratio == 1.0

    def at(self, alpha):
        return BlockSpec(self.ptr, self.idx, self.lips, self.weights, self.l1_ratio,
                         self.positive, alpha)

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


def block_lipschitz(design, ptr, idx):
    """``L_b = ||X_b||_2^2 / n`` (top eigenvalue of the block's Gram), shape (n_blocks,)."""
    lips1 = design.lipschitz
    sizes = np.diff(ptr)
    out = np.zeros(len(ptr) - 1)
    single = sizes == 1
    out[single] = lips1[np.asarray(idx)[np.asarray(ptr)[:-1][single]]]
    if not single.all():
        d = design if not isinstance(design, BlockDesign) else design._single
        gc = GramColumns(d) if d.mode == 1 else None
        for b in np.flatnonzero(~single):
            cols = idx[ptr[b]:ptr[b + 1]]
            if d.mode == 0:  # the block's own Gram, O(n |b|^2) (not |b| full Gram columns)
                Gb = d.X[cols] @ d.X[cols].T / d.n_samples
            elif d.mode == 2:
                Gb = d.X[np.ix_(cols, cols)]
            else:
                Gb = gc.cols(cols)[cols]
            out[b] = float(np.linalg.eigvalsh(Gb)[-1])
    out[out < 1e-14 * max(1.0, out.max(initial=0.0))] = 0.0
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
    violation), ``converged``, and ``state``/``extra`` for a warm restart."""

    def __init__(self, coef, state, extra, out, converged):
        self.coef, self.state, self.extra = coef, state, extra
        self.n_epochs, self.dual_gap, self.kkt = int(out[0]), out[1], out[2]
        self.n_outer = int(out[3])
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
    state : (ndarray, ndarray), optional
        ``(state, extra)`` matching ``W0`` from a previous result.
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
    Gram, plus one full gradient per outer iteration.
    """
    d = design
    W = np.zeros((d.n_tasks, d.n_features)) if W0 is None else \
        np.array(W0, dtype=np.float64, order="C").reshape(d.n_tasks, d.n_features)
    if state is None:
        st, extra = d.initial_state(W)
    else:
        st, extra = state[0].copy(), state[1].copy()
    out = np.zeros(4)
    _bcd_solver(d.mode, d.X, d.data, d.indices, d.indptr, d.off, d.uX, d.Y, d.yty_n, W, st,
                extra, spec.ptr, spec.idx, spec.lips, spec.alpha, spec.l1_ratio, spec.weights,
                spec.positive, bool(screen) and spec.safe_screen, float(tol), int(max_iter),
                int(max_epochs), int(p0), bool(anderson), int(seed), out)
    conv = out[1] <= tol * d.yty_n if np.isfinite(out[1]) else out[2] <= tol * np.sqrt(d.yty_n)
    return BlockResult(W, st, extra, out, bool(conv))


def bcd_path(design, spec, alphas, *, W0=None, tol=1e-4, max_iter=100, max_epochs=50_000,
             screen=True, anderson=True, p0=10, seed=-1, verbose=0):
    """Warm-started :func:`bcd_solve` over a decreasing grid of ``alphas``.

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
    for i, a in enumerate(alphas):
        nz = int(np.count_nonzero(np.any(W != 0, axis=0)))
        res = bcd_solve(design, spec.at(a), W, state=state, tol=tol, max_iter=max_iter,
                        max_epochs=max_epochs, p0=max(p0, nz), screen=screen,
                        anderson=anderson, seed=seed)
        if verbose:
            print(f"path: alpha {i + 1:3d}/{len(alphas)} = {a:.3e}, {res.n_epochs} epochs, "
                  f"gap {res.dual_gap:.2e}")
        W, state = res.coef, (res.state, res.extra)
        coefs[:, :, i] = W
        gaps[i], n_iters[i] = res.dual_gap, res.n_epochs
        ok &= res.converged
    return coefs, gaps, n_iters, ok
