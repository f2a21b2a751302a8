"""Radial KDE kernels, their mean-shift weights, and blocked KDE evaluation.

Every kernel is radial and written through its *profile* ``kappa``: for a
bandwidth ``h`` and ``t = ||x - x_i||^2 / h^2``,

    f(x) = 1 / (n h^d c_d) * sum_i kappa(t_i),

where ``c_d`` normalizes the kernel in dimension ``d``. The mean-shift weight
of a point is ``w(t) = -kappa'(t)``, so that

    grad f(x) = 2 / (n h^{d+2} c_d) * sum_i w(t_i) (x_i - x)

and the mean-shift map ``x -> sum_i w_i x_i / sum_i w_i`` is the gradient step
with the adaptive step size ``n h^{d+2} c_d / (2 sum_i w_i)``. For a profile
that is convex and non-increasing in ``t`` each mean-shift step does not
decrease ``f`` (a majorize-minimize step).

Kernels, with ``r = sqrt(t)`` (the scaled distance):

=====================  ===================================  ==================================
name                   kernel ``k(r)`` (before ``c_d``)     weight ``w(t) = -kappa'(t)``
=====================  ===================================  ==================================
gaussian               ``exp(-r^2 / 2)``                    ``exp(-t / 2) / 2``
generalized_gaussian   ``exp(-r^a / a)``, exponent ``a``    ``t^(a/2 - 1) exp(-t^(a/2) / a) / 2``
logistic               ``1 / (e^r + 2 + e^-r)``             ``k(r) tanh(r / 2) / (2 r)``
sigmoid                ``(2 / pi) / (e^r + e^-r)``          ``k(r) tanh(r) / (2 r)``
epanechnikov           ``max(1 - r^2, 0)``                  ``1[r <= 1]``
flat                   ``1[r <= 1]``                        ``1[r <= 1]`` (shadow convention)
=====================  ===================================  ==================================

``gaussian`` and ``generalized_gaussian`` with exponent 2 coincide (``h`` is
the standard deviation, as in :class:`sklearn.neighbors.KernelDensity`);
exponent 1 is sklearn's ``"exponential"`` kernel. ``flat`` has no derivative;
its mean-shift weight is the flat weight itself, as in
:class:`sklearn.cluster.MeanShift`: mean shift with flat weights climbs the
Epanechnikov KDE of the same bandwidth (Cheng 1995), so ``flat`` and
``epanechnikov`` produce the same iterates and differ only in the density
they report.

Everything is evaluated in log space (``log kappa``, ``log w`` and a running
log-sum-exp over blocks of data), so densities that underflow in high
dimension (``exp(-t/2)`` with ``t`` in the thousands) keep full relative
precision. Queries and data are both processed in blocks: memory is
``O(block_elems + n_queries * n_features)`` whatever the number of data
points.
"""

import math

import numpy as np
from joblib import effective_n_jobs
from numba import njit
from scipy.special import gammaln, zeta

from ..utils._parallel import threaded_map
from ._compiled import F1, F2, b1, f8, register, void
from ._vector import inner_jit

KERNELS = ("gaussian", "generalized_gaussian", "logistic", "sigmoid", "epanechnikov", "flat")
_COMPACT = ("epanechnikov", "flat")
_KERNEL_ID = {name: i for i, name in enumerate(KERNELS)}

# Smallest scaled squared distance used in log w for generalized Gaussian
# kernels with exponent < 2, whose weight is infinite at t = 0.
T_MIN = 1e-12
LOG2 = math.log(2.0)
LOG_2_OVER_PI = math.log(2.0 / math.pi)
# Below this fraction of ``||q||^2 + ||x||^2`` the Gram expansion
# ``||q||^2 + ||x||^2 - 2 q.x`` of a squared distance has lost more than three
# digits to cancellation; such pairs are recomputed from the differences.
NEAR = 1e-3
# Default number of kernel entries (queries x data points) held at once: 2**21
# float64 = 16 MiB per temporary array.
BLOCK_ELEMS = 2**21
# Measured constant of the practical sketch dimension (:func:`sketch_dimension`).
SKETCH_CONSTANT = 4.0
# Data points whose KDE the starts climb before polishing on all of them
# (:func:`search_modes`).
COARSE_CENTRES = 5000


def _kernel_id(kernel):
    try:
        return _KERNEL_ID[kernel]
    except KeyError:
        raise ValueError(f"Unknown kernel {kernel!r}; expected one of {KERNELS}.") from None


def log_profile(t, kernel, exponent=2.0):
    """Log of the kernel profile, ``log kappa(t)``, elementwise.

    A wrapper of the kernel's compiled map (``map_scalar`` of
    :func:`_compiled_for`), the one definition.

    Parameters
    ----------
    t : array-like of any shape
        Scaled squared distances ``||u||^2 / h^2`` (non-negative).
    kernel : str
        One of :data:`KERNELS`.
    exponent : float, default=2.0
        Exponent of the generalized Gaussian kernel (ignored otherwise).

    Returns
    -------
    log_kappa : ndarray of the shape of ``t``
        ``-inf`` outside the support of compact kernels.
    """
    t = np.asarray(t, dtype=np.float64)
    out = np.empty(t.size)
    _COMPILED[_kernel_id(kernel)][0](t.ravel(), float(exponent), False, out)
    return out.reshape(t.shape)


def log_weight(t, kernel, exponent=2.0):
    """Log of the mean-shift weight, ``log w(t) = log(-kappa'(t))``, elementwise.

    A wrapper of the kernel's compiled map (``map_scalar`` of
    :func:`_compiled_for`), the one definition.

    Parameters
    ----------
    t : array-like of any shape
        Scaled squared distances (non-negative).
    kernel : str
        One of :data:`KERNELS`.
    exponent : float, default=2.0
        Exponent of the generalized Gaussian kernel.

    Returns
    -------
    log_w : ndarray of the shape of ``t``
        For generalized Gaussian kernels with exponent < 2 the weight is
        infinite at ``t = 0``; ``t`` is clipped at :data:`T_MIN` there.
    """
    t = np.asarray(t, dtype=np.float64)
    out = np.empty(t.size)
    _COMPILED[_kernel_id(kernel)][0](t.ravel(), float(exponent), True, out)
    return out.reshape(t.shape)


def _log_dirichlet_beta(d):
    # beta(d) = sum_k (-1)^k (2k+1)^-d, d >= 1 integer.
    if d == 1:
        return np.log(np.pi / 4.0)
    if d >= 30:
        k = np.arange(12)
        return np.log(np.sum((-1.0) ** k * np.exp(-d * np.log(2 * k + 1.0))))
    return np.log(4.0 ** (-d) * (zeta(d, 0.25) - zeta(d, 0.75)))


def _log_dirichlet_eta(s):
    # eta(s) = sum_k (-1)^(k+1) k^-s, s >= 0 integer.
    if s == 0:
        return np.log(0.5)
    if s == 1:
        return np.log(np.log(2.0))
    return np.log1p(-(2.0 ** (1 - s))) + np.log(zeta(s))


def log_normalizer(n_features, kernel, exponent=2.0):
    """``log c_d``: the kernel's integral over ``R^d`` at unit bandwidth.

    Parameters
    ----------
    n_features : int
        Dimension ``d``.
    kernel : str
        One of :data:`KERNELS`.
    exponent : float, default=2.0
        Exponent of the generalized Gaussian kernel.

    Returns
    -------
    log_c : float
        Closed forms: radial integration ``c_d = 2 pi^(d/2) / Gamma(d/2) *
        int_0^inf r^(d-1) k(r) dr``, which is a Gamma function for the
        (generalized) Gaussian and a Dirichlet eta (logistic) or beta
        (sigmoid) series times ``Gamma(d)``.
    """
    d = int(n_features)
    log_sphere = LOG2 + 0.5 * d * np.log(np.pi) - gammaln(0.5 * d)
    if kernel == "gaussian" or (kernel == "generalized_gaussian" and exponent == 2.0):
        return 0.5 * d * np.log(2.0 * np.pi)
    if kernel == "generalized_gaussian":
        a = float(exponent)
        return log_sphere + (d / a - 1.0) * np.log(a) + gammaln(d / a)
    if kernel == "logistic":
        return log_sphere + gammaln(d) + _log_dirichlet_eta(d - 1)
    if kernel == "sigmoid":
        return log_sphere - np.log(np.pi) + LOG2 + gammaln(d) + _log_dirichlet_beta(d)
    if kernel == "epanechnikov":
        return log_sphere + np.log(2.0 / (d * (d + 2.0)))
    if kernel == "flat":
        return 0.5 * d * np.log(np.pi) - gammaln(0.5 * d + 1.0)
    raise ValueError(f"Unknown kernel {kernel!r}; expected one of {KERNELS}.")


# Compile cost (issue 19): each kernel's two functions are compiled for that
# kernel alone (its id a constant of the closures: numba drops the other
# kernels' branches before typing), over three loops shared by every kernel
# (compiled once). A gaussian fit compiles no logistic, sigmoid or compact
# kernel code.


@inner_jit
def _scaled_sq_dists(g, q, Xb, q_sq, x_sq, inv_h2):
    """``g[j] <- ||q - Xb[j]||^2 inv_h2`` from the Gram row ``g[j] = q . Xb[j]``.

    ``q_sq + x_sq[j] - 2 g[j]``, except near pairs (see :data:`NEAR`), which
    are recomputed from the differences, so a query that sits on a data point
    gets its tiny distance to full relative precision, not the rounding noise
    of the expansion.
    """
    m, d = Xb.shape
    for j in range(m):
        norms = q_sq + x_sq[j]
        raw = norms - 2.0 * g[j]
        if raw < NEAR * norms:
            raw = 0.0
            for k in range(d):
                diff = q[k] - Xb[j, k]
                raw += diff * diff
        g[j] = raw * inv_h2 if raw > 0.0 else 0.0


@inner_jit
def _indicator_sum(g):
    """``g[j] <- 1[g[j] <= 1]``; returns the count."""
    tot = 0.0
    for j in range(g.shape[0]):
        e = 1.0 if g[j] <= 1.0 else 0.0
        g[j] = e
        tot += e
    return tot


@inner_jit
def _exp_shifted(g, shift):
    """``g[j] <- exp(g[j] - shift)`` after the row max; returns ``(max, sum)``.

    With ``shift`` the larger of the row max and the running max (if both are
    ``-inf`` every term of the row is zero).
    """
    mx = -math.inf
    for j in range(g.shape[0]):
        if g[j] > mx:
            mx = g[j]
    m_new = shift if shift > mx else mx
    tot = 0.0
    if m_new == -math.inf:
        for j in range(g.shape[0]):
            g[j] = 0.0
        return m_new, tot
    for j in range(g.shape[0]):
        e = math.exp(g[j] - m_new)
        g[j] = e
        tot += e
    return m_new, tot


def _compiled_for(kid):
    """The map and the fold of kernel ``KERNELS[kid]``, compiled for it alone."""

    @njit(cache=True, nogil=True, no_cfunc_wrapper=True)
    def map_scalar(t, a, use_weight, out):
        """``out = log w(t)`` if ``use_weight`` else ``log kappa(t)``, elementwise: the one definition.

        For the kernel ``KERNELS[kid]`` (exponent ``a``); ``out`` may be ``t``.
        ``log w(t) = log(-kappa'(t))``. Logistic and sigmoid: ``w = kappa(t)
        tanh(c r) / (2 r)`` with ``c = 1/2`` and ``1``, its limit ``kappa(0) c /
        2`` at ``r = 0`` taken through the series ``tanh(c r) / r = c - c^3 r^2 /
        3`` below ``r = 1e-4``. Compact kernels: flat weights (the flat kernel's
        shadow convention).
        """
        for i in range(t.shape[0]):
            ti = t[i]
            if kid == 0:
                v = -0.5 * ti - LOG2 if use_weight else -0.5 * ti
            elif kid == 1:
                if a == 2.0:
                    v = -0.5 * ti - LOG2 if use_weight else -0.5 * ti
                elif use_weight:
                    tc = ti if ti > T_MIN else T_MIN
                    half = 0.5 * a
                    v = (half - 1.0) * math.log(tc) - tc ** half / a - LOG2
                else:
                    v = -(ti ** (0.5 * a)) / a
            elif kid == 2 or kid == 3:
                r = math.sqrt(ti)
                if kid == 2:
                    c = 0.5
                    v = -r - 2.0 * math.log1p(math.exp(-r))
                else:
                    c = 1.0
                    v = LOG_2_OVER_PI - r - math.log1p(math.exp(-2.0 * r))
                if use_weight:
                    if r < 1e-4:
                        ratio = c - c * c * c * r * r / 3.0
                    else:
                        ratio = math.tanh(c * r) / r
                    v = v + math.log(ratio) - LOG2
            elif kid == 4 and not use_weight:
                v = math.log(1.0 - ti) if ti < 1.0 else -math.inf
            else:
                v = 0.0 if ti <= 1.0 else -math.inf
            out[i] = v

    @njit(cache=True, nogil=True, no_cfunc_wrapper=True)
    def fold_block(G, Q, Xb, q_sq, x_sq, inv_h2, a, use_weight, M, S, scale):
        """Turn the Gram block ``G = Q @ Xb.T`` (b, m) into scaled kernel terms, in place.

        On return ``G[i, j] = exp(L_ij - M[i])`` with ``L`` the log profile (or
        log weight when ``use_weight``) of ``t_ij = ||Q[i] - Xb[j]||^2 *
        inv_h2`` (:func:`_scaled_sq_dists`); ``M`` (running row max), ``S``
        (running scaled row sum) are updated and ``scale[i]`` is the factor
        applied to the previous sums. Flat weights and the flat kernel give
        0/1 terms (counts, no exponentials).
        """
        for i in range(G.shape[0]):
            g = G[i]
            _scaled_sq_dists(g, Q[i], Xb, q_sq[i], x_sq, inv_h2)
            if kid >= 4 and (use_weight or kid == 5):
                tot = _indicator_sum(g)
                if M[i] == -math.inf and tot > 0.0:
                    M[i] = 0.0
                S[i] += tot
                scale[i] = 1.0
                continue
            map_scalar(g, a, use_weight, g)
            m_old = M[i]
            m_new, tot = _exp_shifted(g, m_old)
            if m_new == -math.inf:
                scale[i] = 1.0
                continue
            sc = math.exp(m_old - m_new) if m_old > -math.inf else 0.0
            S[i] = S[i] * sc + tot
            M[i] = m_new
            scale[i] = sc

    return (register(f"kde_map_{kid}", map_scalar, void(F1, f8, b1, F1)),
            register(f"kde_fold_{kid}", fold_block,
                     void(F2, F2, F2, F1, F1, f8, f8, b1, F1, F1, F1)))


_COMPILED = tuple(_compiled_for(kid) for kid in range(len(KERNELS)))


def _blocks(n, size):
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def _block_sizes(n_queries, n_data, block_elems):
    bq = max(1, min(n_queries, 256))
    bn = max(1, min(n_data, block_elems // bq))
    if bn == n_data and bq < n_queries:
        bq = max(1, min(n_queries, block_elems // max(n_data, 1)))
    return bq, bn


def kde_accumulate(Q, X, bandwidth, kernel, exponent=2.0, *, density=True, shift=False,
                   values=None, x_sq=None, block_elems=BLOCK_ELEMS):
    """Blocked sums of kernel values and mean-shift weights at query points.

    Parameters
    ----------
    Q : ndarray of shape (n_queries, n_features)
        Query points.
    X : ndarray of shape (n_samples, n_features)
        Data points.
    bandwidth : float
    kernel : str
    exponent : float, default=2.0
    density : bool, default=True
        Return ``log sum_i kappa(t_i)`` per query.
    shift : bool, default=False
        Return ``log sum_i w(t_i)`` and the mean-shift means
        ``sum_i w_i v_i / sum_i w_i`` per query (the query itself where every
        weight is zero), where ``v_i = values[i]`` (default ``x_i``).
    values : ndarray of shape (n_samples, n_values), default=None
        Rows averaged with the weights computed from ``X``. With
        ``values`` the original data and ``X`` a random projection of it,
        this is the lift of a sketched point back to the original space.
    x_sq : ndarray of shape (n_samples,), default=None
        ``||x_i||^2``, when the caller has it (saves a pass over ``X``).
    block_elems : int, default=2**21
        Number of (query, data point) pairs evaluated at once.

    Returns
    -------
    log_sum_kappa : ndarray of shape (n_queries,)
        Only when ``density``.
    log_sum_w : ndarray of shape (n_queries,)
        Only when ``shift``.
    means : ndarray of shape (n_queries, n_values)
        Only when ``shift``; ``n_values = n_features`` without ``values``.

    Notes
    -----
    Cost ``O(n_queries * n_samples * n_features)`` flops (a GEMM per block)
    plus ``O(n_queries * n_samples)`` transcendental functions; memory
    ``O(block_elems + (n_queries + n_samples) * n_features)``.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    m = Q.shape[0]
    n = X.shape[0]
    V = X if values is None else values
    d = V.shape[1]
    h2 = float(bandwidth) ** 2
    if x_sq is None:
        x_sq = np.einsum("ij,ij->i", X, X)
    q_sq_all = np.einsum("ij,ij->i", Q, Q)
    bq, bn = _block_sizes(m, n, block_elems)
    kid = _kernel_id(kernel)
    fold = _COMPILED[kid][1]
    a = float(exponent)
    # Gaussian profile and weight differ by a constant factor: kappa = 2 w
    density_from_weights = density and shift and (kid == 0 or (kid == 1 and a == 2.0))
    inv_h2 = 1.0 / h2
    out_k = np.empty(m) if density else None
    out_w = np.empty(m) if shift else None
    out_mean = np.empty((m, d)) if shift else None
    for qs in _blocks(m, bq):
        Qb = np.ascontiguousarray(Q[qs])
        qsq = q_sq_all[qs]
        b = Qb.shape[0]
        Mk = np.full(b, -np.inf)
        Sk = np.zeros(b)
        Mw = np.full(b, -np.inf)
        Sw = np.zeros(b)
        scale = np.empty(b)
        WX = np.zeros((b, d))
        for xs in _blocks(n, bn):
            Xb = X[xs]
            G = Qb @ Xb.T
            if density and not density_from_weights:
                Gk = G.copy() if shift else G
                fold(Gk, Qb, Xb, qsq, x_sq[xs], inv_h2, a, False, Mk, Sk, scale)
            if shift:
                fold(G, Qb, Xb, qsq, x_sq[xs], inv_h2, a, True, Mw, Sw, scale)
                WX *= scale[:, None]
                WX += G @ V[xs]
        if shift:
            with np.errstate(divide="ignore"):
                out_w[qs] = np.log(Sw) + Mw
            pos = Sw > 0
            means = Qb.copy() if values is None else np.full((b, d), np.nan)
            means[pos] = WX[pos] / Sw[pos, None]
            out_mean[qs] = means
        if density_from_weights:
            out_k[qs] = out_w[qs] + LOG2
        elif density:
            with np.errstate(divide="ignore"):
                out_k[qs] = np.log(Sk) + Mk
    res = []
    if density:
        res.append(out_k)
    if shift:
        res += [out_w, out_mean]
    return res[0] if len(res) == 1 else tuple(res)


def kde_log_density(Q, X, bandwidth, kernel, exponent=2.0, *, x_sq=None,
                    block_elems=BLOCK_ELEMS):
    """Normalized log density of the KDE of ``X`` at the rows of ``Q``.

    Parameters
    ----------
    Q : ndarray of shape (n_queries, n_features)
    X : ndarray of shape (n_samples, n_features)
    bandwidth : float
    kernel : str
    exponent : float, default=2.0
    x_sq : ndarray of shape (n_samples,), default=None
        ``||x_i||^2`` (see :func:`kde_accumulate`).
    block_elems : int, default=2**21

    Returns
    -------
    log_density : ndarray of shape (n_queries,)
        ``log f(q)``; ``-inf`` outside the support of compact kernels.
        Cost as :func:`kde_accumulate`.
    """
    n, d = X.shape
    lk = kde_accumulate(Q, X, bandwidth, kernel, exponent, density=True, shift=False,
                        x_sq=x_sq, block_elems=block_elems)
    return lk - np.log(n) - d * np.log(bandwidth) - log_normalizer(d, kernel, exponent)


def kde_grad_log_density(Q, X, bandwidth, kernel, exponent=2.0, *, block_elems=BLOCK_ELEMS):
    """Gradient of the log density of the KDE at the rows of ``Q``.

    ``grad log f(q) = (2 / h^2) * (sum_i w_i / sum_i kappa_i) * (m(q) - q)``
    with ``m(q)`` the mean-shift mean; computed with log-sum-exp so that it is
    finite wherever ``f(q) > 0``, even when ``f(q)`` underflows.

    Parameters
    ----------
    Q : ndarray of shape (n_queries, n_features)
    X : ndarray of shape (n_samples, n_features)
    bandwidth : float
    kernel : str
        Not ``"flat"`` (no derivative).
    exponent : float, default=2.0
    block_elems : int, default=2**21

    Returns
    -------
    grad : ndarray of shape (n_queries, n_features)
        Cost as :func:`kde_accumulate`.
    """
    if kernel == "flat":
        raise ValueError("The flat kernel has no gradient.")
    lk, lw, means = kde_accumulate(Q, X, bandwidth, kernel, exponent, density=True,
                                   shift=True, block_elems=block_elems)
    ratio = np.exp(lw - lk)
    return (2.0 / bandwidth**2) * ratio[:, None] * (means - Q)


def _collapse(Y, scale):
    """Group rows of Y that fall in the same cell of a grid of side ``scale``.

    Returns (index of a representative per group, inverse map row -> group).
    """
    keys = Y if scale <= 0 else np.floor(Y / scale)
    # one opaque item per row (``+ 0.0`` turns -0.0 into 0.0, so equal cells
    # have equal bytes): a 1-D unique, much cheaper than ``unique(axis=0)``
    keys = np.ascontiguousarray(keys + 0.0)
    rows = keys.view(np.dtype((np.void, keys.dtype.itemsize * keys.shape[1])))[:, 0]
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def ascent_kernel(kernel):
    """The kernel whose density mean shift with ``kernel``'s weights climbs.

    Flat weights are the Epanechnikov weights, so mean shift with ``"flat"``
    climbs the Epanechnikov KDE (Cheng 1995); every other kernel climbs its
    own KDE.
    """
    return "epanechnikov" if kernel == "flat" else kernel


def ascent_step(Y, log_f, T, X, bandwidth, kernel, exponent=2.0, *, min_step=0.0,
                max_halvings=40, x_sq=None, block_elems=BLOCK_ELEMS):
    """One safeguarded mean-shift step: the density never decreases.

    Each row moves from ``Y[i]`` to its mean-shift target ``T[i]`` when the
    log density there is at least ``log_f[i]``; otherwise the step is halved
    (``Y + s (T - Y)``, ``s = 1/2, 1/4, ...``) until it is. A row whose step
    shrinks below ``min_step`` (or after ``max_halvings``) stays where it is.
    For convex profiles the full step already ascends in exact arithmetic (a
    majorize-minimize step); the check makes ascent hold by construction in
    floating point too, and for the clipped weights at a data point.

    Parameters
    ----------
    Y : ndarray of shape (m, n_features)
        Current iterates.
    log_f : ndarray of shape (m,)
        ``log sum_i kappa(t_i)`` at ``Y`` (as returned by :func:`kde_accumulate`).
    T : ndarray of shape (m, n_features)
        Mean-shift targets of ``Y``.
    X : ndarray of shape (n_samples, n_features)
    bandwidth : float
    kernel : str
        The kernel whose density is climbed (see :func:`ascent_kernel`).
    exponent : float, default=2.0
    min_step : float, default=0.0
        Shortest step tried.
    max_halvings : int, default=40
    x_sq : ndarray of shape (n_samples,), default=None
        ``||x_i||^2`` (see :func:`kde_accumulate`).
    block_elems : int, default=2**21

    Returns
    -------
    Y_new : ndarray of shape (m, n_features)
    log_f_new : ndarray of shape (m,)
        Log density sums at ``Y_new``; ``log_f_new >= log_f`` elementwise.
    T_new : ndarray of shape (m, n_features)
        Mean-shift targets of ``Y_new``.

    Notes
    -----
    Cost: one :func:`kde_accumulate` (density and shift) over the rows that
    take the full step, and one more per halving over the rows that need it.
    """
    Y_new, lf_new, T_new = Y.copy(), log_f.copy(), T.copy()
    D = T - Y
    length = np.sqrt((D * D).sum(axis=1))
    pending = np.flatnonzero(length > min_step)
    s = 1.0
    for _ in range(max_halvings + 1):
        if pending.size == 0:
            break
        cand = T[pending] if s == 1.0 else Y[pending] + s * D[pending]
        lk, _, tn = kde_accumulate(cand, X, bandwidth, kernel, exponent, density=True,
                                   shift=True, x_sq=x_sq, block_elems=block_elems)
        ok = lk >= log_f[pending]
        acc = pending[ok]
        Y_new[acc], lf_new[acc], T_new[acc] = cand[ok], lk[ok], tn[ok]
        pending = pending[~ok]
        s *= 0.5
        pending = pending[s * length[pending] > min_step]
    return Y_new, lf_new, T_new


def mean_shift(starts, X, bandwidth, kernel, exponent=2.0, *, max_iter=300, tol=1e-6,
               collapse_tol=1e-7, verbose=0, x_sq=None, block_elems=BLOCK_ELEMS):
    """Mean shift from many starting points at once, ascending by construction.

    All active iterates move together: each iteration is one
    :func:`ascent_step` on the active iterates (blocked over data), so the
    Python overhead does not grow with the number of starts. The density of
    every iterate never decreases (:func:`ascent_step` backtracks a step
    that would lower it). An iterate stops when its step is below ``tol *
    bandwidth``. Iterates that fall in the same grid cell of side
    ``collapse_tol * bandwidth`` are merged into one (with flat weights
    iterates that meet become equal; with smooth kernels they are within
    ``collapse_tol * h`` of each other and go to the same fixed point), so
    the work per iteration shrinks to the number of distinct trajectories.

    Parameters
    ----------
    starts : ndarray of shape (n_starts, n_features)
    X : ndarray of shape (n_samples, n_features)
    bandwidth : float
    kernel : str
    exponent : float, default=2.0
    max_iter : int, default=300
    tol : float, default=1e-6
        Relative (to the bandwidth) step length that stops an iterate.
    collapse_tol : float, default=1e-7
        Relative grid side for merging iterates; 0 merges only identical
        rows.
    verbose : int, default=0
        Above 1, print the number of active iterates at every iteration.
    x_sq : ndarray of shape (n_samples,), default=None
        ``||x_i||^2``; computed once here if None.
    block_elems : int, default=2**21

    Returns
    -------
    points : ndarray of shape (n_points, n_features)
        Distinct end points.
    labels : ndarray of shape (n_starts,)
        ``points[labels[j]]`` is where start ``j`` ended.
    n_iter : int
        Iterations of the slowest iterate.
    converged : ndarray of bool of shape (n_points,)

    Notes
    -----
    Cost per iteration ``O(m n d)`` for ``m`` distinct active iterates.
    """
    h = float(bandwidth)
    climb = ascent_kernel(kernel)
    Y = np.array(starts, dtype=np.float64, copy=True)
    first, labels = _collapse(Y, collapse_tol * h)
    Y = Y[first]
    X = np.ascontiguousarray(X, dtype=np.float64)
    if x_sq is None:
        x_sq = np.einsum("ij,ij->i", X, X)
    log_f, _, T = kde_accumulate(Y, X, h, climb, exponent, density=True, shift=True,
                                 x_sq=x_sq, block_elems=block_elems)
    active = np.ones(Y.shape[0], dtype=bool)
    n_iter = 0
    for it in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        n_iter = it + 1
        Yi, log_f[idx], T[idx] = ascent_step(Y[idx], log_f[idx], T[idx], X, h, climb, exponent,
                                             min_step=tol * h, x_sq=x_sq,
                                             block_elems=block_elems)
        step = np.sqrt(((Yi - Y[idx]) ** 2).sum(axis=1))
        Y[idx] = Yi
        active[idx[step < tol * h]] = False
        if verbose > 1:
            print(f"mean shift iteration {n_iter}: {idx.size} active of {Y.shape[0]}, "
                  f"largest step {step.max() / h:.2e} h")
        # merge trajectories that met
        first, inverse = _collapse(Y, collapse_tol * h)
        if first.size < Y.shape[0]:
            # a merged group is active if its representative is
            act = np.zeros(first.size, dtype=bool)
            np.logical_or.at(act, inverse, active)
            Y, log_f, T = Y[first], log_f[first], T[first]
            active = act
            labels = inverse[labels]
    return Y, labels, n_iter, ~active


def dedupe_points(P, scores, radius, order=None):
    """Greedy suppression: keep points by decreasing score, drop those within ``radius``.

    Parameters
    ----------
    P : ndarray of shape (m, d)
    scores : ndarray of shape (m,)
    radius : float
    order : ndarray of shape (m,), default=None
        The visiting order, if not by decreasing score (stable).

    Returns
    -------
    keep : ndarray of int
        Indices of the kept points, by decreasing score.
    assign : ndarray of shape (m,)
        For each point, the position in ``keep`` of the kept point that
        suppressed it (itself if kept).

    Notes
    -----
    Cost ``O(m k d)`` for ``k`` kept points.
    """
    if order is None:
        order = np.argsort(-scores, kind="stable")
    assign = np.full(P.shape[0], -1)
    keep = []
    r2 = radius * radius
    for i in order:
        if assign[i] >= 0:
            continue
        assign[i] = len(keep)
        free = assign < 0
        if free.any():
            near = ((P[free] - P[i]) ** 2).sum(axis=1) <= r2
            fi = np.flatnonzero(free)[near]
            assign[fi] = len(keep)
        keep.append(i)
    return np.asarray(keep, dtype=int), assign


def nearest_rows(Q, C, block=4096):
    """Index of and distance to the nearest row of ``C`` for each row of ``Q``.

    Parameters
    ----------
    Q : ndarray of shape (m, d)
    C : ndarray of shape (k, d)
    block : int, default=4096
        Rows of ``Q`` handled at once (memory ``O(block * k)``).

    Returns
    -------
    index : ndarray of shape (m,)
    distance : ndarray of shape (m,)
        Cost ``O(m k d)`` (a GEMM per block).
    """
    c_sq = np.einsum("ij,ij->i", C, C)
    idx = np.empty(Q.shape[0], dtype=int)
    dist = np.empty(Q.shape[0])
    for s in range(0, Q.shape[0], block):
        Qb = Q[s:s + block]
        D = np.einsum("ij,ij->i", Qb, Qb)[:, None] + c_sq[None, :] - 2.0 * Qb @ C.T
        np.maximum(D, 0.0, out=D)
        j = D.argmin(axis=1)
        idx[s:s + block] = j
        dist[s:s + block] = np.sqrt(D[np.arange(Qb.shape[0]), j])
    return idx, dist


def _parallel_mean_shift(starts, X, bandwidth, kernel, exponent, n_jobs, **kw):
    """:func:`mean_shift` on ``n_jobs`` chunks of the starts, in threads (one BLAS thread each)."""
    n_jobs = effective_n_jobs(n_jobs)
    if n_jobs == 1 or starts.shape[0] < 2 * n_jobs:
        return mean_shift(starts, X, bandwidth, kernel, exponent, **kw)[::2]
    res = threaded_map(lambda c: mean_shift(c, X, bandwidth, kernel, exponent, **kw),
                       [(c,) for c in np.array_split(starts, n_jobs)], n_jobs)
    return np.vstack([r[0] for r in res]), max(r[2] for r in res)


def search_modes(starts, X, bandwidth, kernel, exponent=2.0, *, merge_radius, rng,
                 n_polish=None, n_centres=COARSE_CENTRES, max_iter=300, tol=1e-6,
                 collapse_tol=1e-7, n_jobs=None, verbose=0, block_elems=BLOCK_ELEMS):
    """Multi-start mean shift, coarse on a subsample of the data then polished on all of it.

    With at most ``n_centres`` data points this is :func:`mean_shift`. With
    more, the starts first climb the KDE of ``n_centres`` random data points
    (same bandwidth: a noisier estimate of the same density, ``n /
    n_centres`` times cheaper per iteration); their end points are
    suppressed within ``merge_radius`` (the densest kept, at most
    ``n_polish``) and the survivors climb the full KDE to convergence. A
    heuristic: a mode of the full KDE whose basin no coarse end point lies in
    is missed.

    Parameters
    ----------
    starts : ndarray of shape (n_starts, n_features)
    X : ndarray of shape (n_samples, n_features)
    bandwidth : float
    kernel : str
    exponent : float, default=2.0
    merge_radius : float
        Suppression radius between the two phases.
    rng : RandomState
        Draws the subsample.
    n_polish : int, default=None
        Most coarse end points polished (None: all survivors).
    n_centres : int, default=5000
    max_iter, tol, collapse_tol :
        As :func:`mean_shift`, for each phase.
    n_jobs : int, default=None
        Threads over chunks of the starts (joblib; BLAS limited to one
        thread in each).
    verbose : int, default=0
        Print the phases (and, above 1, every iteration).
    block_elems : int, default=2**21

    Returns
    -------
    points : ndarray of shape (n_points, n_features)
        End points (not deduplicated).
    n_iter : int
        Iterations of the slowest start, both phases.

    Notes
    -----
    Cost per coarse iteration ``O(m min(n, n_centres) d)`` for ``m`` active
    starts, per polishing iteration ``O(p n d)`` for ``p`` survivors.
    """
    n = X.shape[0]
    kw = dict(max_iter=max_iter, tol=tol, collapse_tol=collapse_tol, verbose=verbose,
              block_elems=block_elems)
    C = X if n <= n_centres else X[np.sort(rng.choice(n, n_centres, replace=False))]
    if verbose:
        print(f"mean shift from {starts.shape[0]} starts on {C.shape[0]} of {n} data points")
    P, n_iter = _parallel_mean_shift(starts, C, bandwidth, kernel, exponent, n_jobs, **kw)
    if C is X:
        return P, n_iter
    log_f = kde_accumulate(P, C, bandwidth, ascent_kernel(kernel), exponent, density=True,
                           block_elems=block_elems)
    keep, _ = dedupe_points(P, log_f, merge_radius)
    keep = keep[np.isfinite(log_f[keep])][:n_polish]
    if verbose:
        print(f"polishing {keep.size} end points on all {n} data points")
    P, n_polish_iter = _parallel_mean_shift(P[keep], X, bandwidth, kernel, exponent, n_jobs,
                                            **kw)
    return P, n_iter + n_polish_iter


def sketch_dimension(n_samples, eps):
    """Practical Johnson-Lindenstrauss dimension ``ceil(4 ln(n) / eps^2)``.

    With a Gaussian ``N(0, 1/k)`` sketch, one squared distance is scaled by
    ``chi2_k / k`` (sd ``sqrt(2 / k)``); the largest of the ``n`` distortions
    from one point to the others is about ``sqrt(2 ln n)`` sd, i.e. ``eps`` at
    this ``k`` (tested). The all-pairs bound of the lemma
    (:func:`sklearn.random_projection.johnson_lindenstrauss_min_dim`) is
    about twice as large, with conservative constants.

    Parameters
    ----------
    n_samples : int
    eps : float in (0, 1)

    Returns
    -------
    k : int
    """
    return int(np.ceil(SKETCH_CONSTANT * np.log(max(n_samples, 2)) / eps**2))
