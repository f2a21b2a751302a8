"""Online robust PCA by stochastic optimization (OR-PCA, Feng, Xu & Yan 2013).

The nuclear norm has the variational form ``||X||_* = min_{X = L R^T}
(||L||_F^2 + ||R||_F^2) / 2``, so the stable PCP objective over the rows
``y_i`` seen so far,

    sum_i [ 1/2 ||y_i - L r_i - e_i||^2 + lam1/2 ||r_i||^2 + lam2 ||e_i||_1 ]
        + lam1/2 ||L||_F^2,

separates over the rows once the basis ``L`` (``p x k``) is fixed. Each new
row gets its coefficients ``r`` and sparse part ``e`` against the current
basis (alternating a ridge step and a soft threshold: together a ridge
Huber regression of the row on ``L``), is folded into the sufficient
statistics ``A = sum r r^T`` and ``B = sum (y - e) r^T``, and the basis takes
one block coordinate descent sweep on ``1/2 tr(L^T L (A + lam1 I)) - tr(L^T
B)`` warm-started from its previous value. Memory is ``O(p k)`` whatever the
number of rows; a row costs ``O(p k^2)`` plus ``O(p k)`` per inner step.

Rows are processed one at a time, so a stream gives the same state whatever
its chunking. The rows are centered by the running mean with Welford's
weight (row ``t`` enters as ``sqrt((t-1)/t) (z_t - mean_{t-1})``, whose
scatter is exactly that of the centered data), and measured in the units of
the first non-zero centered row (``scale``), so the state is equivariant to
shifts and scalings of the data; the soft threshold is ``threshold`` times
the running root mean square of the centered entries.
"""

from typing import NamedTuple

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from threadpoolctl import threadpool_limits


class OnlinePCPState(NamedTuple):
    n_samples: int  # rows seen
    mean: np.ndarray  # (p,) running mean of the rows
    sum_sq: float  # sum of squared centered entries (Welford), in units of scale**2
    scale: float  # unit of the internal quantities (0 until a non-zero centered row)
    basis: np.ndarray  # (p, k) L, in units of `scale` per unit coefficient
    A: np.ndarray  # (k, k) sum of r r^T
    B: np.ndarray  # (p, k) sum of (y - e) r^T


class OnlinePCPStep(NamedTuple):
    state: OnlinePCPState
    low_rank: np.ndarray  # (n, p) mean + L r of each row, data units
    sparse: np.ndarray  # (n, p) e of each row, data units
    n_iter: np.ndarray  # (n,) inner iterations per row
    converged: np.ndarray  # (n,) bool


def online_pcp_init(n_features, n_components, random_state):
    """Empty state with a random orthonormal basis (``k <= p`` columns)."""
    Q, _ = np.linalg.qr(random_state.standard_normal((n_features, n_components)))
    return OnlinePCPState(0, np.zeros(n_features), 0.0, 0.0, np.ascontiguousarray(Q),
                          np.zeros((n_components, n_components)),
                          np.zeros((n_features, n_components)))


def online_pcp_from_split(low_rank, sparse, n_components, random_state):
    """The state a stream would hold had it split the rows of ``low_rank + sparse`` so.

    A warm start from a batch split (e.g. PCP on the first rows): mean and
    scatter of the rows ``Z = low_rank + sparse``; basis and statistics from
    the rows ``y_i - e_i = low_rank_i - mean`` written ``V r_i`` by their SVD
    (``V`` orthonormal, ``A = diag(s^2)``, ``B = V A`` in the units of the
    rows' root mean square), directions beyond their rank drawn at random
    with zero statistics.

    Parameters
    ----------
    low_rank, sparse : ndarray of shape (n, p)
    n_components : int
        ``k <= p``.
    random_state : numpy.random.RandomState
    """
    n, p = low_rank.shape
    k = n_components
    state = online_pcp_init(p, k, random_state)
    mean = (low_rank + sparse).mean(axis=0)
    scale = _rms(low_rank + sparse - mean)
    if scale == 0.0:
        return state._replace(n_samples=n, mean=mean)
    _, s, Vt = np.linalg.svd((low_rank - mean) / scale, full_matrices=False)
    j = int(min(k, np.sum(s > s[0] * n * np.finfo(float).eps)))
    G = state.basis.copy()
    G[:, :j] = Vt[:j].T
    Q, _ = np.linalg.qr(G)
    Q[:, :j] = Vt[:j].T  # QR keeps the span of the first j, fix their signs
    A = np.zeros((k, k))
    A[:j, :j] = np.diag(s[:j] ** 2)
    return OnlinePCPState(n, mean, float(n * p), scale, np.ascontiguousarray(Q), A, Q @ A)


def online_pcp_partial_fit(state, Z, **kwargs):
    """Process the rows of ``Z`` one after the other, on one BLAS thread.

    The products are matrix-vector products with a thin basis: BLAS threads
    only add their start-up cost (a 300-frame 48x64 synthetic video: 0.64 s
    on one thread, 9 s with OpenBLAS threads on a loaded 2-core machine).
    See :func:`_online_pcp_partial_fit` for the parameters.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _online_pcp_partial_fit(state, Z, **kwargs)


def _online_pcp_partial_fit(state, Z, *, threshold=1.0, lam1=None, tol=1e-7, max_iter=1000,
                            verbose=0):
    """Process the rows of ``Z`` one after the other; return the new state.

    Parameters
    ----------
    state : OnlinePCPState
        Left unchanged (a new state is returned).
    Z : ndarray of shape (n, p)
        Finite rows, float64.
    threshold : float
        Soft threshold of the sparse part, in units of the running root mean
        square of the centered entries.
    lam1 : float, default=None
        Ridge weight on ``r`` and ``L`` in internal units (rows of unit
        RMS entries, orthonormal initial basis); None: ``1 / sqrt(p)``, the
        value of Feng et al.
    tol : float
        Inner stop: ``max(||r' - r||, ||e' - e||) < tol ||y||``.
    max_iter : int
        Inner iterations per row at most.
    verbose : int
        > 0: one line per call (rows, mean inner iterations, sparse fraction).

    Returns
    -------
    OnlinePCPStep
    """
    n, p = Z.shape
    k = state.basis.shape[1]
    lam1 = 1.0 / np.sqrt(p) if lam1 is None else lam1
    t, mean, sum_sq, scale = state.n_samples, state.mean.copy(), state.sum_sq, state.scale
    L, A, B = state.basis.copy(), state.A.copy(), state.B.copy()
    low_rank, sparse = np.empty((n, p)), np.zeros((n, p))
    n_iter, converged = np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)
    ridge = lam1 * np.eye(k)
    for i in range(n):
        t += 1
        delta = Z[i] - mean
        mean += delta / t
        y = np.sqrt((t - 1) / t) * delta
        if scale == 0.0:  # units from the first non-zero centered row
            scale = _rms(y)
            if scale == 0.0:
                low_rank[i] = mean
                continue
        y /= scale
        sum_sq += float(y @ y)
        lam2 = threshold * np.sqrt(sum_sq / (t * p))
        r, e, n_iter[i], converged[i] = _project(L, y, lam1, lam2, ridge, tol, max_iter)
        low_rank[i] = mean + scale * (L @ r)  # the split against the basis it was projected on
        sparse[i] = scale * e
        A += np.outer(r, r)
        B += np.outer(y - e, r)
        _basis_sweep(L, A + ridge, B)
    if verbose:
        print(f"[online PCP] rows {t}: {n} new, mean inner iterations "
              f"{n_iter.mean() if n else 0:.1f}, sparse fraction "
              f"{(sparse != 0).mean() if n else 0:.3f}")
    new = OnlinePCPState(t, mean, sum_sq, scale, L, A, B)
    return OnlinePCPStep(new, low_rank, sparse, n_iter, converged)


def _rms(y):
    """Root mean square of ``y`` without overflow or underflow."""
    m = np.max(np.abs(y))
    return float(m * np.sqrt(np.mean((y / m) ** 2))) if m > 0 else 0.0


def _project(L, y, lam1, lam2, ridge, tol, max_iter):
    """(r, e) minimizing 1/2||y - L r - e||^2 + lam1/2||r||^2 + lam2||e||_1.

    Alternates the exact minimizations in ``r`` (ridge, by a Cholesky
    factor of ``L^T L + lam1 I`` computed once) and in ``e`` (soft
    threshold); the objective is jointly convex and decreases at each step.
    """
    P = cho_solve(cho_factor(L.T @ L + ridge), L.T)  # (k, p)
    e = np.zeros_like(y)
    r = P @ y
    stop = tol * np.linalg.norm(y)
    for it in range(1, max_iter + 1):
        res = y - L @ r
        e_new = np.sign(res) * np.maximum(np.abs(res) - lam2, 0.0)
        r_new = P @ (y - e_new)
        step = max(np.linalg.norm(r_new - r), np.linalg.norm(e_new - e))
        r, e = r_new, e_new
        if step <= stop:
            return r, e, it, True
    return r, e, max_iter, False


def _basis_sweep(L, A_ridge, B):
    """One block coordinate descent sweep on ``1/2 tr(L^T L A_ridge) - tr(L^T B)``, in place.

    Column ``j`` is set to its exact minimizer given the others,
    ``l_j + (b_j - L a_j) / a_jj`` (Feng et al., Algorithm 1, step 5).
    """
    for j in range(L.shape[1]):
        L[:, j] += (B[:, j] - L @ A_ridge[:, j]) / A_ridge[j, j]


def online_pcp_components(state):
    """Orthonormal basis of span(L), ordered by the energy of the low-rank part.

    The streamed low-rank rows are ``L r_i`` (centered, internal units), so
    their scatter is ``L A L^T``; with ``L = Q T`` (QR) its eigenvectors are
    ``Q W`` where ``W`` diagonalizes ``T A T^T``.

    Returns
    -------
    components : ndarray of shape (k, p)
    singular_values : ndarray of shape (k,)
        Singular values of the matrix of streamed (centered) low-rank rows,
        data units.
    """
    Q, T = np.linalg.qr(state.basis)
    w, W = np.linalg.eigh(T @ state.A @ T.T)
    order = np.argsort(w)[::-1]
    comps = (Q @ W[:, order]).T
    # a deterministic sign: the largest entry of each component positive
    idx = np.argmax(np.abs(comps), axis=1)
    comps *= np.sign(comps[np.arange(comps.shape[0]), idx])[:, None]
    return np.ascontiguousarray(comps), state.scale * np.sqrt(np.maximum(w[order], 0.0))
