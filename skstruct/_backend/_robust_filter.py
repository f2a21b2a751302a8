"""Outlier-robust PCA filter: one schedule of certified filter rounds, and the stream around it.

Kernels work on a data matrix ``X`` of shape ``(n, d)`` (dense ndarray or
scipy CSR/CSC matrix) without forming ``X - mu``: centring is applied
implicitly (``X @ V - mu @ V``), a deflation basis ``U`` of shape ``(d, j)``
is applied as the projector ``P = I - U U^T`` on the small side, and the
weighted second-moment matrix

    B_w = sum_i w_i P (x_i - mu) (x_i - mu)^T P / sum_i w_i

is only used through products ``B_w @ V`` with thin ``V``, each costing
``O(nnz(X) m + d m j)``.

:class:`FilterSchedule` is the algorithm (both ``fit`` and ``partial_fit``
drive it). After a norm round it repeats, per component: find the top
direction ``v`` of ``B_w`` (block power iteration), compare the filtered
variance along ``v`` with a robust estimate of what the inliers allow
there (the certificate), and if the certificate fails, remove the points
whose squared projection is beyond the Gaussian tail. This follows the
filter analyses for robust PCA (Jambulapati, Li and Tian, NeurIPS 2020;
Diakonikolas, Kane, Pensia and Pittas, ICML 2023): as long as the variance
along the top direction is within ``1 + O(eps log(1/eps))`` of the inlier
variance, the outliers left cannot move the captured variance by more than
that. The robust scale, the thresholds and the constants are our own
choices (see the user guide).

:class:`StreamState` holds what the stream keeps between calls (a uniform
reservoir sample, filtered moment sums, the refit schedule) in arrays of
fixed size.
"""

import math

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


def weighted_moment_matmul(X, w, mu, V, U=None):
    """Unnormalised ``sum_i w_i P (x_i - mu) (x_i - mu)^T P V``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, d)
    w : ndarray of shape (n,)
    mu : ndarray of shape (d,)
    V : ndarray of shape (d, m)
    U : ndarray of shape (d, j) or None

    Returns
    -------
    S : ndarray of shape (d, m), float64. Divide by ``w.sum()`` for
    ``B_w @ V``. Cost: two passes, ``O(nnz(X) m)``.
    """
    WZ = centered_products(X, mu, V, U) * w[:, None]
    S = np.asarray(X.T @ WZ, dtype=np.float64) - np.outer(mu, WZ.sum(axis=0))
    return project_out(S, U)


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
        Z = centered_products(X, mu, U)
        sq -= np.einsum("ij,ij->i", Z, Z)
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


# ---------------------------------------------------------------- certificate
# The robust variance trims squared projections at this multiple of the
# current scale (the 10% two-sided Gaussian tail, 1.64 sd) and iterates.
_SCALE_TRIM = float(chi2.isf(0.1, 1))
_SCALE_CONSISTENCY = float(chi2.cdf(_SCALE_TRIM, 3) / chi2.cdf(_SCALE_TRIM, 1))
# Sampling slack of the certificate: the ratio of the two variance estimates
# fluctuates by about 2-7 / sqrt(n) on clean Gaussian data (99% quantiles
# measured at n = 50..4000, d = 5..20); 8 / sqrt(n_eff) keeps clean data
# certified at the first round.
_STAT_SLACK = 8.0
# The stream refits when the rows seen have grown by this factor.
_REFIT_GROWTH = 1.25


def robust_variance(tau, w, n_iter=50):
    """Inlier variance along a direction, from squared projections (trimmed fixed point).

    Starts at the weighted median of ``tau`` over the chi-square(1) median,
    then iterates ``s <- mean(tau | tau <= t s) / c(t)`` with
    ``t = chi2.isf(0.1, 1)`` and ``c(t) = E[z^2 | z^2 <= t]`` for a standard
    normal ``z`` (so that Gaussian data give their variance). Points far out
    (outliers, or a contaminated median) fall outside ``t s`` and stop
    counting.

    Parameters
    ----------
    tau : ndarray of shape (n,)
        Squared centred projections ``(v^T (x_i - mu))^2``.
    w : ndarray of shape (n,)
        Non-negative weights.
    n_iter : int

    Returns
    -------
    float, ``>= 0``. Cost ``O(n log n + n n_iter)``.
    """
    s = weighted_quantile(tau, w, 0.5) / float(chi2.median(1))
    for _ in range(n_iter):
        keep = w * (tau <= _SCALE_TRIM * s)
        k = keep.sum()
        if s <= 0 or k <= 0:
            break
        s_new = float(keep @ tau) / k / _SCALE_CONSISTENCY
        done = abs(s_new - s) <= 1e-9 * s
        s = s_new
        if done:
            break
    return float(s)


def certificate(tau, w, contamination):
    """Filtered variance along a direction against what inliers allow there.

    Parameters
    ----------
    tau : ndarray of shape (n,)
        Squared centred projections on the direction.
    w : ndarray of shape (n,)
        Current weights (positive sum).
    contamination : float in (0, 0.5)

    Returns
    -------
    ratio : float
        Weighted mean of ``tau`` over :func:`robust_variance` (``inf`` when
        the robust variance is 0 and the weighted one is not).
    allowed : float
        ``1 + eps log(1/eps) + 8 / sqrt(n_eff)`` with
        ``n_eff = (sum w)^2 / sum w^2``: the error class of the filter
        analyses plus the sampling slack of the two estimates.
    scale : float
        The robust variance.
    """
    W = float(w.sum())
    var = float(w @ tau) / W
    scale = robust_variance(tau, w)
    n_eff = W * W / float(w @ w)
    eps = float(contamination)
    allowed = 1.0 + eps * np.log(1.0 / eps) + _STAT_SLACK / np.sqrt(n_eff)
    if scale > 0:
        ratio = var / scale
    else:
        ratio = 0.0 if var == 0 else np.inf
    return float(ratio), float(allowed), scale


def _orth(V, fallback):
    """Orthonormal basis of the columns of ``V`` (``fallback`` when ``V`` is 0)."""
    if not np.any(V):
        return fallback
    return np.linalg.qr(V)[0]


def top_directions(X, w, mu, V, n_power, U=None):
    """Top Ritz pairs of the deflated filtered moment by block power iteration.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, d)
    w : ndarray of shape (n,)
    mu : ndarray of shape (d,)
    V : ndarray of shape (d, b)
        Starting block (warm start: the previous round's directions), ``b <= d - j``.
    n_power : int
        Multiplications by ``B_w`` before the Rayleigh-Ritz step.
    U : ndarray of shape (d, j) or None
        Components already found (orthonormal); the block stays orthogonal to them.

    Returns
    -------
    vals : ndarray of shape (b,), decreasing Ritz values of ``P B_w P``
    vecs : ndarray of shape (d, b), orthonormal Ritz vectors.
    Cost ``O(n_power nnz(X) b)``.
    """
    sw = float(w.sum())
    V = np.linalg.qr(project_out(np.asarray(V, dtype=np.float64), U))[0]
    for _ in range(n_power):
        V = _orth(project_out(weighted_moment_matmul(X, w, mu, V, U) / sw, U), V)
    S = weighted_moment_matmul(X, w, mu, V, U) / sw
    vals, vecs = ritz_top(V, S)
    return vals, project_out(vecs, U)


class FilterSchedule:
    """The outlier filter: certified rounds that both ``fit`` and ``partial_fit`` drive.

    The filters found are functions of ``x`` kept in preallocated arrays (so
    the stream can weight rows it has not seen yet): filter 0 is the norm
    filter, a soft factor ``clip(2 - ||x - c_0||^2 / T_0, 0, 1)``; filter
    ``r >= 1`` keeps ``x`` iff ``(v_r^T (x - c_r))^2 <= T_r``. The weight of
    ``x`` is the product of the factors.

    Parameters
    ----------
    n_features : int
    n_components : int
    contamination : float in (0, 0.5)
    n_probes : int
        Block size of the power iteration (capped at ``n_features``).
    n_power : int
        Power steps per round (the block is warm-started across rounds).
    max_iter : int
        Filter rounds per component.

    Attributes (after :meth:`run`)
    ------------------------------
    n_filters : int
        Filters in use (rows of ``centres``, ``directions``, ``thresholds``).
    components : ndarray of shape (n_features, n_components)
    variances : ndarray of shape (n_components,)
        Filtered variance along each component.
    mean : ndarray of shape (n_features,)
    total_variance : float
        Filtered total variance ``tr B_w``.
    n_rounds : int
        Filter rounds run: the norm round, then the direction rounds of all
        components.
    certified : bool
        Every component passed the certificate.
    stop_reason : str
        ``"certified"``, ``"max_iter"``, ``"budget"`` (the weight removed
        would exceed ``min(0.5, 3 contamination)``) or ``"no_progress"``
        (the certificate fails but no point is beyond the Gaussian tail).
    block : ndarray of shape (n_features, block_size)
        The components, then the rest of the last Ritz block (a warm start
        for later estimates); ``block_size = min(n_features, max(n_probes,
        n_components))``.
    """

    def __init__(self, n_features, n_components, contamination, n_probes, n_power, max_iter):
        d = int(n_features)
        self.n_components = int(n_components)
        self.contamination = float(contamination)
        self.n_probes = int(min(n_probes, d))
        self.block_size = int(min(d, max(n_probes, n_components)))
        self.n_power = int(n_power)
        self.max_iter = int(max_iter)
        capacity = 1 + self.n_components * self.max_iter
        self.centres = np.zeros((capacity, d))
        self.directions = np.zeros((capacity, d))
        self.thresholds = np.zeros(capacity)
        self.n_filters = 0
        self.n_rounds = 0
        self.certified = False
        self.stop_reason = "certified"

    def weights(self, X):
        """Weight in [0, 1] of each row of ``X`` under the filters found.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n, n_features)

        Returns
        -------
        w : ndarray of shape (n,). Cost ``O(nnz(X) n_filters)``.
        """
        w = np.ones(X.shape[0])
        if self.n_filters == 0:
            return w
        w *= soft_filter(centered_sq_norms(X, self.centres[0]), self.thresholds[0])
        r = self.n_filters
        if r > 1:
            V = self.directions[1:r].T
            Z = centered_products(X, np.zeros(X.shape[1]), V)
            Z -= (self.centres[1:r] * self.directions[1:r]).sum(axis=1)[None, :]
            w *= np.all(Z * Z <= self.thresholds[1:r][None, :], axis=1)
        return w

    def _add(self, centre, direction, threshold):
        r = self.n_filters
        self.centres[r] = centre
        self.directions[r] = direction
        self.thresholds[r] = threshold
        self.n_filters = r + 1

    def run(self, X, rng, verbose=0, start=None):
        """Learn the filters and the components from scratch on ``X``.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n, n_features)
        rng : numpy RandomState
            Draws the starting block when ``start`` is None.
        verbose : int
        start : ndarray of shape (n_features, b) or None
            Warm start of the block power iteration.

        Returns
        -------
        w : ndarray of shape (n,)
            Final weights of the rows of ``X``.
        """
        n, d = X.shape
        eps = self.contamination
        budget = min(0.5, 3.0 * eps) * n
        tail = float(chi2.isf(eps / 10.0, 1))
        self.n_filters = 0
        self.n_rounds = 0
        self.certified = True
        self.stop_reason = "certified"
        b = self.n_probes
        G = rng.standard_normal((d, b))  # Gaussian: the Hutchinson estimate needs it

        # Norm round: far-away points scattered over many directions, which
        # the top direction alone would not see.
        w = np.ones(n)
        mu = column_median(X)
        tau = centered_sq_norms(X, mu)
        wt = w * (tau <= weighted_quantile(tau, w, 1.0 - eps))
        BG = weighted_moment_matmul(X, wt, mu, G) / wt.sum()
        r_eff = norm_effective_rank(float(wt @ tau) / wt.sum(), BG, G.shape[1])
        T = filter_threshold(weighted_quantile(tau, w, 0.5), r_eff, eps)
        f = soft_filter(tau, T)
        if f.sum() > n - budget:
            w = f
            self._add(mu, np.zeros(d), T)
        else:  # keep the norm filter inactive (T = inf) rather than spend the budget
            self._add(mu, np.zeros(d), np.inf)

        self.n_rounds = 1
        U = np.zeros((d, 0))
        variances = []
        V = G if start is None else start[:, :b]
        for j in range(self.n_components):
            V = V[:, :min(b, d - j)]
            rounds = 0
            while True:
                mu = weighted_mean(X, w)
                vals, V = top_directions(X, w, mu, V, self.n_power, U)
                v = V[:, 0]
                z = centered_products(X, mu, v[:, None])[:, 0]
                tau = z * z
                ratio, allowed, scale = certificate(tau, w, eps)
                if verbose:
                    print(f"[OutlierRobustPCA] component {j} round {rounds}: variance ratio "
                          f"{ratio:.3f} (allowed {allowed:.3f}), weight removed "
                          f"{1 - w.sum() / n:.3f}")
                if ratio <= allowed:
                    break
                keep = tau <= tail * scale
                if rounds >= self.max_iter:
                    self.certified, self.stop_reason = False, "max_iter"
                    break
                w_new = w * keep
                if w_new.sum() < n - budget:
                    self.certified, self.stop_reason = False, "budget"
                    break
                if w_new.sum() == w.sum():  # nothing beyond the tail: no progress possible
                    self.certified, self.stop_reason = False, "no_progress"
                    break
                w = w_new
                self._add(mu, v, tail * scale)
                rounds += 1
                self.n_rounds += 1
            U = np.column_stack([U, v])
            variances.append(max(float(vals[0]), 0.0))
            V = V[:, 1:] if V.shape[1] > 1 else rng.standard_normal((d, 1))
            if V.shape[1] < min(b, d - j - 1):
                V = np.column_stack([V, rng.standard_normal((d, min(b, d - j - 1) - V.shape[1]))])
        mu = weighted_mean(X, w)
        self.components = U
        self.variances = np.asarray(variances)
        self.mean = mu
        self.total_variance = float(w @ centered_sq_norms(X, mu)) / w.sum()
        extra = rng.standard_normal((d, self.block_size))
        self.block = np.linalg.qr(np.column_stack([U, project_out(V, U), extra]))[0][
            :, :self.block_size]
        return w


class StreamState:
    """What ``partial_fit`` keeps between calls, in arrays of fixed size.

    - a uniform reservoir sample of the rows seen (Vitter's algorithm R),
      on which the :class:`FilterSchedule` is re-run from scratch whenever
      the number of rows seen has grown by a quarter (so the filter never
      depends on the order of the stream: outliers first or last look the
      same, and the last refit saw at least 80% of the stream);
    - filtered moment sums ``(sum w, sum w x, sum w x x^T)`` of the rows
      seen since that refit (weighted by the current filter), plus a base
      standing for the earlier rows: the previous sums when both the old
      and the new filter are certified and agree, else the reservoir rows
      under the new filter, scaled to the number of rows they stand for;
    - a block of directions refined by one subspace step per call.

    Memory is ``O(reservoir_size d + d^2)`` whatever the number of rows seen.

    Parameters
    ----------
    n_features : int
    reservoir_size : int
    schedule : FilterSchedule
    """

    def __init__(self, n_features, reservoir_size, schedule):
        d = int(n_features)
        self.schedule = schedule
        self.reservoir = np.zeros((int(reservoir_size), d))
        self.n_reservoir = 0
        self.n_seen = 0
        self.next_refit = 1
        self.sums = [0.0, np.zeros(d), np.zeros((d, d))]
        self.base = [0.0, np.zeros(d), np.zeros((d, d))]
        self.block = np.eye(d, schedule.block_size)
        self.n_refits = 0

    # ------------------------------------------------------------ reservoir
    def _sample(self, X, rng):
        B = self.reservoir.shape[0]
        n = X.shape[0]
        idx = self.n_seen + np.arange(n)
        fill = idx < B
        self.reservoir[idx[fill]] = X[fill]
        if not fill.all():
            j = rng.randint(0, idx[~fill] + 1)
            hit = j < B
            rows = X[~fill][hit]
            slots = j[hit]
            # later rows replace earlier ones in the same slot (sequential semantics)
            last = slots.size - 1 - np.unique(slots[::-1], return_index=True)[1]
            self.reservoir[slots[last]] = rows[last]
        self.n_reservoir = min(B, self.n_seen + n)

    @staticmethod
    def _moment(X, w):
        return [float(w.sum()), X.T @ w, X.T @ (X * w[:, None])]

    def seed(self, R, n_seen):
        """Continue from a batch fit: ``R`` is a uniform sample of the ``n_seen`` rows fitted.

        Parameters
        ----------
        R : ndarray of shape (r, n_features), float64, ``r <= reservoir_size``
        n_seen : int
        """
        r = R.shape[0]
        self.reservoir[:r] = R
        self.n_reservoir = r
        self.n_seen = int(n_seen)
        f = self.n_seen / r
        self.base = [f * part for part in self._moment(R, self.schedule.weights(R))]
        self.block = self.schedule.block.copy()
        self.next_refit = int(math.ceil(_REFIT_GROWTH * self.n_seen))
        self.n_refits = 1

    # --------------------------------------------------------------- update
    def add(self, X, rng, verbose=0):
        """Fold the rows of ``X`` (dense, shape (n, d)) in, refitting when due.

        Parameters
        ----------
        X : ndarray of shape (n, n_features), float64
        rng : numpy RandomState
        verbose : int
        """
        W, Sx, Sxx = self._moment(X, self.schedule.weights(X))
        self.sums[0] += W
        self.sums[1] += Sx
        self.sums[2] += Sxx
        self._sample(X, rng)
        self.n_seen += X.shape[0]
        if self.n_seen >= self.next_refit:
            self.refit(rng, verbose)

    def refit(self, rng, verbose=0):
        """Re-run the schedule on the reservoir and rebuild the base sums."""
        sched = self.schedule
        old_certified = self.n_refits > 0 and sched.certified
        if self.n_refits > 0:
            old_U = self.estimate(sched.n_components)[0]
            old_cov = _centred([b + s for b, s in zip(self.base, self.sums)])[1]
        R = self.reservoir[:self.n_reservoir]
        w = sched.run(R, rng, verbose=max(verbose - 1, 0), start=self.block)
        res = self._moment(R, w)
        carry = (old_certified and sched.certified and res[0] > 0
                 and self._consistent(old_U, old_cov, R, w))
        if carry:
            self.base = [b + s for b, s in zip(self.base, self.sums)]
        else:
            f = self.n_seen / max(self.n_reservoir, 1)
            self.base = [f * r for r in res]
            self.block = sched.block.copy()
        self.sums = [0.0, np.zeros_like(self.sums[1]), np.zeros_like(self.sums[2])]
        self.next_refit = int(math.ceil(_REFIT_GROWTH * self.n_seen))
        self.n_refits += 1
        if verbose:
            print(f"[OutlierRobustPCA] refit on {self.n_reservoir} reservoir rows after "
                  f"{self.n_seen} rows: {sched.stop_reason}, {sched.n_rounds} rounds, "
                  f"{'kept' if carry else 'reset'} the moment sums")

    def _consistent(self, U, cov, R, w):
        """Whether the moment sums kept so far pass the new filter's certificate.

        Along each old component ``u``: the old filtered variance must be
        within the certificate's allowance of the robust variance of the
        reservoir rows under the new filter, and the old components must
        capture the top variance of the new filtered reservoir.
        """
        eps = self.schedule.contamination
        mu = (R.T @ w) / w.sum()
        D = R - mu
        for u in U.T:
            z = D @ u
            _, allowed, scale = certificate(z * z, w, eps)
            if float(u @ cov @ u) > allowed * scale:
                return False
        new_cov = D.T @ (D * w[:, None]) / w.sum()
        top = np.linalg.eigvalsh(new_cov)[::-1][:U.shape[1]].sum()
        got = float(np.einsum("ij,ij->", U, new_cov @ U))
        slack = eps * np.log(1.0 / eps) + 3.0 / np.sqrt(w.sum())
        return got >= (1.0 - slack) * top

    def estimate(self, n_components):
        """Components of the filtered moment (one warm subspace step per call).

        Returns
        -------
        U : ndarray of shape (n_features, n_components)
        vals : ndarray of shape (n_components,)
        mean : ndarray of shape (n_features,)
        total : float
            Filtered total variance.
        """
        total = [b + s for b, s in zip(self.base, self.sums)]
        mean, cov = _centred(total)
        V = _orth(cov @ self.block, self.block)
        vals, vecs = ritz_top(V, cov @ V)
        self.block = vecs
        return vecs[:, :n_components], np.maximum(vals[:n_components], 0.0), mean, \
            float(max(np.trace(cov), 0.0))


def _centred(moment):
    """Mean and covariance from ``(sum w, sum w x, sum w x x^T)``."""
    W, Sx, Sxx = moment
    if W <= 0:
        d = Sx.shape[0]
        return np.zeros(d), np.zeros((d, d))
    mean = Sx / W
    cov = Sxx / W - np.outer(mean, mean)
    return mean, 0.5 * (cov + cov.T)
