"""Kernels of the outlier-robust PCA filter: power-iteration scores, soft filters, streaming sums.

Everything here works on a data matrix ``X`` of shape ``(n, d)`` (dense
ndarray or scipy CSR/CSC matrix) without ever forming ``X - mu`` or a
``(d, d)`` matrix: centring is applied implicitly (``X @ V - mu @ V``), a
deflation basis ``U`` of shape ``(d, j)`` is applied as the projector
``P = I - U U^T`` on the small side, and the weighted second-moment matrix

    B_w = sum_i w_i P (x_i - mu) (x_i - mu)^T P / sum_i w_i

is only used through products ``B_w @ V`` with thin ``V`` of shape ``(d, m)``,
each costing ``O(nnz(X) m + d m j)``.

The scores are in the spirit of the nearly-linear-time filters for robust
statistics (Diakonikolas, Kane, Pensia and Pittas, ICML 2023, for PCA):
instead of filtering along one eigenvector at a time, push ``m`` Gaussian
probes through a power of ``B_w``, ``Y = B_w^q G`` (a randomized soft
projector onto the top of the spectrum), rotate them onto their Ritz
directions and score every point against all the top directions at once.
The thresholds and the soft filter rule are our own choices (see the user
guide).
"""

import numpy as np
from scipy import sparse
from scipy.stats import chi2


def column_median(X):
    """Coordinate-wise median.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n, d)

    Returns
    -------
    med : ndarray of shape (d,), float64

    Notes
    -----
    Dense: ``np.median`` (introselect), ``O(n d)``. Sparse: per column, the
    median of the stored values together with the implicit zeros, found by
    sorting only the stored values, ``O(nnz log nnz)``.
    """
    if not sparse.issparse(X):
        return np.median(X, axis=0).astype(np.float64)
    X = sparse.csc_matrix(X)
    n, d = X.shape
    med = np.zeros(d)
    lo, hi = (n - 1) // 2, n // 2
    for j in range(d):
        vals = np.sort(X.data[X.indptr[j]:X.indptr[j + 1]].astype(np.float64))
        neg = vals[vals < 0]
        pos = vals[vals > 0]
        n_zero = n - neg.size - pos.size

        def kth(k):
            if k < neg.size:
                return neg[k]
            if k < neg.size + n_zero:
                return 0.0
            return pos[k - neg.size - n_zero]

        med[j] = 0.5 * (kth(lo) + kth(hi))
    return med


def weighted_mean(X, w):
    """``sum_i w_i x_i / sum_i w_i``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, d)
    w : ndarray of shape (n,), non-negative, positive sum

    Returns
    -------
    mu : ndarray of shape (d,), float64. Cost ``O(nnz(X))``.
    """
    return np.asarray(X.T @ w, dtype=np.float64).ravel() / w.sum()


def project_out(V, U):
    """``(I - U U^T) V`` for orthonormal columns ``U`` of shape (d, j) (j may be 0).

    Parameters
    ----------
    V : ndarray of shape (d,) or (d, m)
    U : ndarray of shape (d, j) or None

    Returns
    -------
    ndarray like ``V``. Cost ``O(d m j)``.
    """
    if U is None or U.shape[1] == 0:
        return V
    return V - U @ (U.T @ V)


def centered_products(X, mu, V, U=None):
    """Rows of ``P (x_i - mu)`` projected on ``V``: ``(X - 1 mu^T) P V``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, d)
    mu : ndarray of shape (d,)
    V : ndarray of shape (d, m)
    U : ndarray of shape (d, j) or None
        Deflation basis (orthonormal columns); ``P = I - U U^T``.

    Returns
    -------
    Z : ndarray of shape (n, m). Cost ``O(nnz(X) m + d m j)``.
    """
    PV = project_out(V, U).astype(X.dtype, copy=False)
    Z = np.asarray(X @ PV)
    Z -= (mu @ PV)[None, :]
    return Z


def weighted_moment_matmul(X, w, mu, V, U=None, Z=None):
    """Unnormalised ``sum_i w_i P (x_i - mu) (x_i - mu)^T P V``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, d)
    w : ndarray of shape (n,)
    mu : ndarray of shape (d,)
    V : ndarray of shape (d, m)
    U : ndarray of shape (d, j) or None
    Z : ndarray of shape (n, m), optional
        ``centered_products(X, mu, V, U)`` if already computed.

    Returns
    -------
    S : ndarray of shape (d, m), float64. Divide by ``w.sum()`` for
    ``B_w @ V``. Cost: two passes, ``O(nnz(X) m)``.
    """
    if Z is None:
        Z = centered_products(X, mu, V, U)
    WZ = Z * w[:, None]
    S = np.asarray(X.T @ WZ, dtype=np.float64) - np.outer(mu, WZ.sum(axis=0))
    return project_out(S, U)


def power_sketch(X, w, mu, G, n_power, U=None):
    """Probes pushed through ``n_power`` steps of ``B_w``: ``Y ∝ B_w^q G``.

    Each step is rescaled by one scalar (the Frobenius norm) so that the
    relative weights of the spectral directions are kept: ``Y Y^T`` is then
    a randomized estimate, up to scale, of ``B_w^(2q)``, the soft projector
    onto the top of the spectrum that drives the scores.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, d)
    w : ndarray of shape (n,)
    mu : ndarray of shape (d,)
    G : ndarray of shape (d, m)
        Gaussian probes.
    n_power : int
        ``q``, number of multiplications by ``B_w``.
    U : ndarray of shape (d, j) or None

    Returns
    -------
    Y : ndarray of shape (d, m), float64, ``||Y||_F = 1``.
    Cost ``O(q nnz(X) m)``.
    """
    Y = project_out(np.asarray(G, dtype=np.float64), U)
    Y /= np.linalg.norm(Y)
    for _ in range(n_power):
        Y = weighted_moment_matmul(X, w, mu, Y, U)
        nrm = np.linalg.norm(Y)
        if nrm == 0:
            break
        Y /= nrm
    return Y


def sketch_scores(Z):
    """Scores ``tau_i = ||Y^T P (x_i - mu)||^2`` for ``Y`` with unit Frobenius norm.

    Parameters
    ----------
    Z : ndarray of shape (n, m)
        ``centered_products(X, mu, Y, U)``.

    Returns
    -------
    tau : ndarray of shape (n,), float64. Cost ``O(n m)``.
    """
    Z = np.asarray(Z, dtype=np.float64)
    return np.einsum("ij,ij->i", Z, Z)


def weighted_quantile(values, weights, q):
    """Weighted ``q``-quantile (inverted CDF).

    Parameters
    ----------
    values : ndarray of shape (n,)
    weights : ndarray of shape (n,), non-negative, positive sum
    q : float in [0, 1]

    Returns
    -------
    float. Cost ``O(n log n)``.
    """
    order = np.argsort(values, kind="stable")
    cw = np.cumsum(weights[order])
    k = int(np.searchsorted(cw, q * cw[-1], side="left"))
    return float(values[order[min(k, values.size - 1)]])


def filter_threshold(median_score, r_eff, contamination):
    """Score threshold above which points start being down-weighted.

    The inlier scores are modelled as ``s * chi2(r) / r`` with ``r = r_eff``;
    the scale ``s`` comes from the weighted median (robust to a minority of
    outliers), and the threshold is the ``contamination / 30`` upper quantile
    of that law, about ``(2 log(1/eps) + 4) s`` for ``r = 1``. Outliers kept
    below it add at most about ``2 eps T = O(eps log(1/eps))`` times the
    inlier variance along the scored directions.

    Parameters
    ----------
    median_score : float
    r_eff : float
    contamination : float in (0, 0.5)

    Returns
    -------
    T : float
    """
    scale = median_score / chi2.median(r_eff)
    return float(scale * chi2.isf(contamination / 30.0, r_eff))


def soft_filter(tau, T):
    """Weight factor ``clip(2 - tau / T, 0, 1)``: 1 below ``T``, 0 above ``2 T``.

    Parameters
    ----------
    tau : ndarray of shape (n,)
    T : float, > 0

    Returns
    -------
    f : ndarray of shape (n,), in [0, 1]. Cost ``O(n)``.
    """
    if not T > 0:
        return np.where(tau > 0, 0.0, 1.0)
    return np.clip(2.0 - tau / T, 0.0, 1.0)


def ritz_rotation(Z, w, keep_ratio=0.5):
    """Rayleigh-Ritz rotation of an orthonormal sketch, keeping the top directions.

    With ``Z = (X - mu) P Q`` for an orthonormal ``Q`` of shape (d, m),
    ``M = Z^T diag(w) Z / sum w = Q^T B_w Q``; its eigenvectors rotate ``Q``
    onto the Ritz directions of ``B_w`` in the sketch. Directions whose Ritz
    value is at least ``keep_ratio`` times the largest are kept: the ones
    that carry (or could soon carry) the top of the spectrum.

    Parameters
    ----------
    Z : ndarray of shape (n, m)
    w : ndarray of shape (n,)
    keep_ratio : float in (0, 1]

    Returns
    -------
    R : ndarray of shape (m, k)
        Orthonormal columns, ``k >= 1``, by decreasing Ritz value.
    nu : ndarray of shape (k,)
        The Ritz values. Cost ``O(n m^2 + m^3)``.
    """
    Z = np.asarray(Z, dtype=np.float64)
    M = (Z * w[:, None]).T @ Z / w.sum()
    nu, E = np.linalg.eigh(0.5 * (M + M.T))
    order = np.argsort(nu)[::-1]
    nu, E = nu[order], E[:, order]
    k = max(1, int(np.count_nonzero(nu >= keep_ratio * nu[0]))) if nu[0] > 0 else 1
    return E[:, :k], nu[:k]


def direction_thresholds(Zr, w, contamination):
    """Per-direction thresholds on squared projections.

    The squared projection of a Gaussian point on a fixed direction is a
    scaled chi-square with one degree of freedom; its scale comes from the
    weighted median (robust to a minority of outliers) and the threshold is
    its ``contamination / (30 k)`` upper quantile, so that the ``k``
    directions together cut about a ``contamination / 30`` fraction of
    inliers.

    Parameters
    ----------
    Zr : ndarray of shape (n, k)
        Projections of the centred points on ``k`` orthonormal directions.
    w : ndarray of shape (n,)
    contamination : float in (0, 0.5)

    Returns
    -------
    T : ndarray of shape (k,). Cost ``O(k n log n)``.
    """
    k = Zr.shape[1]
    q = chi2.isf(contamination / (30.0 * k), 1) / chi2.median(1)
    sq = np.asarray(Zr, dtype=np.float64) ** 2
    return np.array([q * weighted_quantile(sq[:, j], w, 0.5) for j in range(k)])


def max_scores(Zr, T):
    """``max_j Zr[i, j]^2 / T[j]``: the worst normalised projection of each point.

    Parameters
    ----------
    Zr : ndarray of shape (n, k)
    T : ndarray of shape (k,), positive (zero entries give inf / nan-free 0-safe scores)

    Returns
    -------
    s : ndarray of shape (n,). Cost ``O(n k)``.
    """
    sq = np.asarray(Zr, dtype=np.float64) ** 2
    Tsafe = np.where(T > 0, T, np.inf)
    s = (sq / Tsafe).max(axis=1)
    # a direction with zero inlier scale: any non-zero projection is an outlier
    if np.any(T <= 0):
        s = np.where((sq[:, T <= 0] > 0).any(axis=1), np.inf, s)
    return s


def apply_filters(X, filters, U_all):
    """Weights of the rows of ``X`` under stored filters: ``min_r f_r(x)``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, d)
    filters : list of (mu, V, T, j)
        Centre ``mu`` (d,) and deflation stage ``j`` (the filter looks at
        ``P_j (x - mu)``, ``P_j`` projecting out the first ``j`` columns of
        ``U_all``). A norm filter has ``V = None`` and a scalar threshold
        ``T`` on ``||P_j (x - mu)||^2``; a direction filter has orthonormal
        directions ``V`` (d, k) and thresholds ``T`` (k,) on the squared
        projections. The factor is ``soft_filter`` of the normalised score.
    U_all : ndarray of shape (d, k)

    Returns
    -------
    w : ndarray of shape (n,), in [0, 1]. Cost ``O(nnz(X) k R)`` for ``R``
    filters.
    """
    w = np.ones(X.shape[0])
    for mu, V, T, j in filters:
        if V is None:  # a norm filter
            f = soft_filter(centered_sq_norms(X, mu, U_all[:, :j]), T)
        else:
            f = soft_filter(max_scores(centered_products(X, mu, V, U_all[:, :j]), T), 1.0)
        np.minimum(w, f, out=w)
    return w


def ritz_top(V, S):
    """Rayleigh-Ritz in the span of ``V`` given ``S = B V``.

    Parameters
    ----------
    V : ndarray of shape (d, m), orthonormal columns
    S : ndarray of shape (d, m)

    Returns
    -------
    vals : ndarray of shape (m,), decreasing Ritz values
    vecs : ndarray of shape (d, m), the Ritz vectors. Cost ``O(d m^2)``.
    """
    H = V.T @ S
    H = 0.5 * (H + H.T)
    vals, E = np.linalg.eigh(H)
    order = np.argsort(vals)[::-1]
    return vals[order], V @ E[:, order]


def centered_sq_norms(X, mu, U=None):
    """``||P (x_i - mu)||^2`` for every row.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, d)
    mu : ndarray of shape (d,)
    U : ndarray of shape (d, j) or None

    Returns
    -------
    ndarray of shape (n,), float64. Cost ``O(nnz(X) (1 + j))``.
    """
    if sparse.issparse(X):
        sq = np.asarray(X.multiply(X).sum(axis=1), dtype=np.float64).ravel()
        sq -= 2.0 * np.asarray(X @ mu, dtype=np.float64).ravel()
        sq += float(mu @ mu)
    else:
        sq = np.empty(X.shape[0])
        for start in range(0, X.shape[0], 16384):  # blocks keep the copy small
            D = np.asarray(X[start:start + 16384], dtype=np.float64) - mu
            sq[start:start + 16384] = np.einsum("ij,ij->i", D, D)
    if U is not None and U.shape[1] > 0:
        sq -= sketch_scores(centered_products(X, mu, U))
    return np.maximum(sq, 0.0)


def norm_effective_rank(trace, BG, n_probes):
    """Effective rank ``(tr B)^2 / ||B||_F^2`` with a Hutchinson estimate of ``||B||_F^2``.

    Parameters
    ----------
    trace : float
        ``tr B`` (the weighted mean of ``||P (x_i - mu)||^2``).
    BG : ndarray of shape (d, m)
        ``B @ G`` for ``m`` standard Gaussian probes ``G``.
    n_probes : int

    Returns
    -------
    float, at least 1: the degrees of freedom of the chi-square that
    approximates the squared norm of a Gaussian point.
    """
    fro2 = float((BG * BG).sum()) / n_probes
    if fro2 <= 0 or trace <= 0:
        return 1.0
    return float(max(trace ** 2 / fro2, 1.0))
