"""Working-set proximal Newton for the l1 / elastic-net logistic regression (numpy).

Problem, for a logistic design of :func:`~skstruct._backend._cd.prepare_logistic_design`
(labels ``y_i in {-1, 1}``, sample weights ``sw`` summing to ``n``, ``z = X w``, the
intercept, when fitted, the last coordinate: a column of ones with penalty weight 0)::

    min_w  P(w) = sum_i sw_i log(1 + exp(-y_i z_i)) / n + sum_j pen(w_j; alpha weights_j)

with the elastic-net penalty ``pen(x; a) = a (rho |x| + (1 - rho) x^2 / 2)``.

Algorithm (the proximal Newton of Lee, Sun & Saunders 2014 on working sets, as in
celer's and skglm's ``ProxNewton``; Massias et al. 2020, Johnson & Guestrin 2015):

1. Outer iteration: full gradient ``-X^T r / n`` with ``r_i = sw_i y_i sigma(-y_i z_i)``
   (one product with X), duality gap (:func:`~skstruct._backend._cd.logistic_gap`): stop when
   ``gap <= tol log 2`` (the loss at zero). Working set: every nonzero and unpenalised
   coordinate plus the zero coordinates nearest to entering, ranked by
   ``(|grad_j| - alpha_j rho) / ||X_j||`` (celer's distance to the dual constraint),
   of size ``max(p0, 2 #nonzero)``.
2. Newton steps on the working set, until its own gap is below ``0.3 x`` the outer one:
   the quadratic model of the loss at ``w``, a weighted least squares with Hessian weights
   ``h_i = sw_i sigma(z_i) sigma(-z_i)`` and working response ``t = z + r / h``,
   ``||sqrt(h) (t - X w')||^2 / (2 n) + pen(w')``, is solved inexactly by the shared
   coordinate descent (:func:`~skstruct._backend._cd.cd_solve` on
   :func:`~skstruct._backend._cd.prepare_design`; an intercept eliminated by centring
   with the weights ``h``), to a stationarity violation
   ``NEWTON_FORCING`` times the current one; then a backtracking (Armijo) line search on
   ``P`` along ``w' - w``.

Each Newton step costs one model solve (CD epochs, O(n |ws|) dense or O(nnz of the
working set) sparse each) plus O(n |ws|) for the model and the step; each outer iteration
one full product ``X^T r`` (O(n p) dense, O(nnz) sparse). No numba code of its own.
"""

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from ._cd import KERNELS, cd_solve, logistic_gap, prepare_design
from ._penalties import ENET
from ._threads import blas_limit

# Stationarity of the Newton model solve, relative to the current violation of the
# working-set problem (an inexact Newton forcing term).
NEWTON_FORCING = 0.1
# Inner (working-set) gap target relative to the outer gap, as celer and skglm.
INNER_RATIO = 0.3
_ARMIJO = 1e-4
_MAX_BACKTRACK = 30
# Hessian weights below this fraction of the sample weight are raised to it: the model
# stays finite for samples far on the right side (h -> 0), at a negligible curvature.
_H_FLOOR = 1e-12
_TINY = float(np.finfo(np.float64).tiny)


class ProxNewtonResult:
    """Outcome of :func:`prox_newton_solve`.

    Attributes
    ----------
    coef : ndarray of shape (p,)
    n_outer : int
        Outer (working-set) iterations: working sets solved.
    n_newton : int
        Newton steps (model solves).
    n_epochs : int
        Coordinate-descent epochs over all model solves.
    dual_gap : float
        Duality gap of the returned point (normalised by n); nan where there is none.
    kkt : float
        Largest violation of the first-order conditions, each over the square root of its
        column's curvature bound (``design.lipschitz``), as the CD driver reports it.
    converged : bool
    """

    def __init__(self, coef, n_outer, n_newton, n_epochs, dual_gap, kkt, converged):
        self.coef, self.n_outer, self.n_newton, self.n_epochs = coef, n_outer, n_newton, n_epochs
        self.dual_gap, self.kkt, self.converged = dual_gap, kkt, converged


class _Data:
    """The logistic design's X as matrix products (dense rows ``X^T`` or CSC)."""

    def __init__(self, design):
        d = design
        self.n = d.n_samples
        self.y = d.y
        self.sw = d.sw if d.sw.shape[0] else np.ones(self.n)
        self.sparse = d.mode == 1
        if self.sparse:
            self.X = sp.csc_matrix((d.data, d.indices, d.indptr), shape=(d.n_samples,
                                                                          d.n_features))
        else:
            self.XT = d.X  # (p, n), C order
        self.all = self.X if self.sparse else self.XT
        self.xsw = self.t_times(self.all, self.sw) / self.n  # X^T sw / n (intercept's dual)

    def columns(self, idx):
        """The columns ``idx``: CSC (n, k), or dense rows of ``X^T`` (k, n)."""
        return self.X[:, idx] if self.sparse else self.XT[idx]

    def times(self, cols, v):
        """``X_cols v``, shape (n,)."""
        return np.asarray(cols @ v).ravel() if self.sparse else v @ cols

    def t_times(self, cols, v):
        """``X_cols^T v``, shape (k,)."""
        return np.asarray(cols.T @ v).ravel() if self.sparse else cols @ v

    def model(self, cols, resp, sqrt_h, residual, xbar=None, ybar=0.0):
        """The Newton model on these columns, ``||sqrt_h (resp - X_cols v)||^2 / (2 n)``,
        as a least-squares design, and the solver state at the current point, whose
        weighted residual is ``residual`` (dense; None for CSC, where recomputing it
        costs O(nnz of the columns)). With ``xbar`` (the ``h``-weighted column means)
        and ``ybar``: the model with an unpenalised intercept, eliminated by centring
        (a column of ones beside columns far from the origin would make the CD crawl)."""
        if self.sparse:
            if xbar is not None:  # implicit centring
                return prepare_design(cols, resp, X_offset=xbar, y_offset=ybar,
                                      sqrt_sw=sqrt_h), None
            # rows weighted here (prepare_design would weight them through a product and
            # a format conversion)
            Xw = sp.csc_matrix((cols.data * sqrt_h[cols.indices], cols.indices, cols.indptr),
                               shape=cols.shape)
            Xw.has_sorted_indices = cols.has_sorted_indices
            return prepare_design(Xw, sqrt_h * resp), None
        # rows centred and weighted here, once (prepare_design would copy them first)
        rows = (cols if xbar is None else cols - xbar[:, None]) * sqrt_h
        return prepare_design(rows.T, sqrt_h * (resp - ybar), copy=False), \
            (residual, np.zeros(4))


def _loss(z, y, sw, n):
    return float(sw @ np.logaddexp(0.0, -y * z)) / n


def _change(t, y, sw, n, dz):
    """Loss change when ``z`` moves by ``dz`` (``t = sigma(-y z)``), summed from the
    per-sample changes ``log1p(t_i expm1(-y_i dz_i))``: accurate near the optimum,
    where the difference of two loss values is rounding noise."""
    return float(sw @ np.log1p(t * np.expm1(-y * dz))) / n


def _pen_change(w, step, s, l1, l2):
    """``pen(w + s step) - pen(w)``, coordinate by coordinate."""
    ds = s * step
    return float(l1 @ (np.abs(w + ds) - np.abs(w)) + 0.5 * (l2 @ (ds * (2.0 * w + ds))))


def _kkt(spec, weights, w, grad, unit, usable):
    """Largest ``dist(-grad_j, ∂pen_j(w_j)) * unit_j`` over the ``usable`` coordinates,
    by the CD driver's :func:`outer_terms` (the one home of the subdifferential
    distance; same compiled signature as the driver's call)."""
    m = w.shape[0]
    return KERNELS[ENET].outer_terms(spec.alpha, spec.gamma, weights, False, w, grad, unit,
                                     usable, False, np.empty(m))[0]


def prox_newton_solve(design, spec, w0=None, *, fit_intercept=False, tol=1e-4, max_iter=100,
                      max_newton=50, max_epochs=10_000, p0=10):
    """Solve the l1 / elastic-net logistic regression of ``design`` by prox-Newton.

    Parameters
    ----------
    design : Design
        From :func:`~skstruct._backend._cd.prepare_logistic_design` (dense or CSC).
    spec : Spec
        A convex (elastic-net family) penalty spec, ``positive=False``.
    w0 : ndarray of shape (p,), optional
        Warm start (zeros if None).
    fit_intercept : bool
        The last coordinate is the design's intercept column (ones, weight 0): its dual
        constraint enters the gap. Other unpenalised coordinates have no gap: the stop
        is then stationarity, ``kkt <= tol sqrt(log 2)``.
    tol : float
        Stop when the duality gap is ``<= tol * log 2`` (``log 2`` the loss at zero).
    max_iter : int
        Outer (working-set) iterations.
    max_newton : int
        Newton steps per working set.
    max_epochs : int
        CD epochs per Newton model solve.
    p0 : int
        Smallest working-set size.

    Returns
    -------
    ProxNewtonResult
    """
    if not spec.has_gap or spec.kind != 0 or spec.positive:
        raise ValueError("prox_newton_solve handles the l1 / elastic-net penalty without "
                         "positivity; use cd_solve for the others.")
    # one BLAS thread unless a dense product is large: on the loaded 2-core benchmark
    # machine two threads made the 1000 x 5000 gradient 8x slower (1.9 ms against 16 ms)
    # and a dot of length 20000 100x slower (0.2 ms against 25 ms); with CSC X BLAS only
    # sees vectors
    small = design.mode == 1 or design.n_samples * design.n_features < 10 ** 8
    with blas_limit(1 if small else None):
        return _solve(design, spec, w0, fit_intercept, tol, max_iter, max_newton, max_epochs,
                      p0)


def _solve(design, spec, w0, fit_intercept, tol, max_iter, max_newton, max_epochs, p0):
    D = _Data(design)
    n, y, sw = D.n, D.y, D.sw
    m = design.n_features
    a = spec.alpha * spec.weights
    l1, l2 = a * spec.gamma, a * (1.0 - spec.gamma)
    unpen = a == 0.0
    usable = design.lipschitz > 0.0
    has_gap = not np.any(unpen[:-1] & usable[:-1]) if fit_intercept else not unpen.any()
    if fit_intercept and not unpen[-1]:
        raise ValueError("With fit_intercept the last coordinate must be unpenalised.")
    norms = np.sqrt(np.where(usable, design.lipschitz, 1.0))
    units = 1.0 / norms
    w = np.zeros(m) if w0 is None else np.array(w0, dtype=np.float64)
    w[~usable] = 0.0
    tol_gap = tol * design.yty_n
    tol_kkt = tol * np.sqrt(design.yty_n)
    allcols = np.arange(m)
    n_newton = n_epochs = 0
    gap, kkt, converged = np.nan, np.inf, False
    xsw = D.xsw if fit_intercept else None
    # the intercept's column can be unusable (its curvature below rounding beside columns
    # of scale 1e10): it stays fixed, its dual constraint still enters the gap
    with_b = fit_intercept and bool(usable[-1])
    n_usable = int(np.count_nonzero(usable))
    it = 0
    for it in range(max_iter + 1):  # the last pass only scores the final point
        nz = np.flatnonzero(w)
        z = D.times(D.columns(nz), w[nz]) if nz.size else np.zeros(n)
        t = expit(-y * z)
        g = D.t_times(D.all, sw * y * t) / n
        grad = -g
        kkt = _kkt(spec, spec.weights, w, grad, units, usable)
        if has_gap:
            gap = logistic_gap(_loss(z, y, sw, n), g, t, y, sw, n, w, spec.alpha, spec.gamma,
                               spec.weights, xsw, lambda v: D.t_times(D.all, v) / n)
            converged = gap <= tol_gap
        else:
            converged = kkt <= tol_kkt
        if converged or it == max_iter:
            break
        # working set: nonzero and unpenalised coordinates, then the nearest to entering
        score = (np.abs(grad) - l1) / norms
        score[(w != 0.0) | unpen] = np.inf
        score[~usable] = -np.inf
        n_keep = int(np.count_nonzero(np.isinf(score) & (score > 0)))
        size = min(n_usable, max(p0, 2 * n_keep))
        if size == 0:
            break
        ws = np.sort(np.argpartition(-score, size - 1)[:size]) if size < m else allcols
        full = size == n_usable
        if has_gap:
            target = tol_gap if full else max(INNER_RATIO * gap, tol_gap)
        else:
            target = tol_kkt if full else max(INNER_RATIO * kkt, tol_kkt)
        w_ws, k_newton, k_epochs = _newton_on(D, spec, w[ws], ws, z, l1[ws], l2[ws], units[ws],
                                              xsw[ws] if with_b and ws[-1] == m - 1 else None,
                                              has_gap,
                                              target, max_newton, max_epochs)
        w[ws] = w_ws
        n_newton += k_newton
        n_epochs += k_epochs
        if k_newton == 0:
            if full:
                break  # no step left at float precision
            p0 = 2 * size  # its problem was solved already: the gap lies outside, grow
    return ProxNewtonResult(w, it, n_newton, n_epochs, gap if has_gap else np.nan, kkt,
                            converged)


def _newton_on(D, spec, w, ws, z, l1, l2, units, xsw, has_gap, target, max_newton,
               max_epochs):
    """Prox-Newton steps on the working set ``ws`` from ``w`` (its coefficients) and
    ``z = X w``, until the working-set problem's gap (or stationarity violation, each
    coordinate's times ``units``) is at most ``target``. ``xsw``: ``X_ws^T sw / n`` with
    an intercept (the last of ``ws``), else None. Returns (w, Newton steps, CD epochs)."""
    n, y, sw = D.n, D.y, D.sw
    cols = D.columns(ws)
    icpt = xsw is not None
    k = ws.size - icpt  # the penalised coordinates (the intercept, last, is eliminated)
    fcols = (cols[:, :k] if D.sparse else cols[:k]) if icpt else cols
    ws_weights = np.ascontiguousarray(spec.weights[ws])
    sub_spec = spec._replace(weights=ws_weights[:k], has_gap=False, safe_screen=False)
    every = np.ones(ws.size, dtype=bool)
    n_epochs = n_steps = 0
    for _ in range(max_newton):
        t = expit(-y * z)
        r = sw * y * t
        g = D.t_times(cols, r) / n
        grad = -g
        if has_gap:
            crit = logistic_gap(_loss(z, y, sw, n), g, t, y, sw, n, w, spec.alpha, spec.gamma,
                                ws_weights, xsw, lambda v: D.t_times(cols, v) / n)
        else:
            crit = _kkt(spec, ws_weights, w, grad, units, every)
        if crit <= target:
            break
        # the Newton model as a weighted least squares in w' (its gradient at w is grad):
        # weights h = sw sigma(z) sigma(-z), working response z + r / h
        h = np.maximum(sw * t * (1.0 - t), _H_FLOOR * sw)
        u = np.sqrt(h)
        ratio = np.divide(r, h, out=np.zeros(n), where=h > 0.0)
        if icpt:  # the model's intercept, eliminated: b = ybar - xbar^T w
            hs = float(h.sum())
            xbar = D.t_times(fcols, h) / hs
            ybar = float(h @ (z + ratio)) / hs
            shift = w[k] - ybar + float(xbar @ w[:k])
            sub, state = D.model(fcols, z + ratio, u, u * (ratio + shift), xbar, ybar)
        else:
            sub, state = D.model(cols, z + ratio, u, u * ratio)
        v0 = _kkt(spec, sub_spec.weights, w[:k], grad[:k],
                  1.0 / np.sqrt(np.where(sub.lipschitz > 0, sub.lipschitz, 1.0)),
                  every[:k]) if k else 0.0
        if not v0 > 0.0 and not icpt:
            break
        wf = w[:k]
        if k:
            res = cd_solve(sub, sub_spec, wf, state=state,
                           tol=NEWTON_FORCING * v0 / np.sqrt(max(sub.yty_n, _TINY)),
                           max_iter=20, max_epochs=max_epochs, p0=k)
            n_epochs += res.n_epochs
            wf = res.coef
        new = wf if not icpt else np.r_[wf, ybar - float(xbar @ wf)]
        step = new - w
        moved = np.flatnonzero(step)
        if moved.size == 0:
            break
        dz = D.times(cols[:, moved] if D.sparse else cols[moved], step[moved])
        decrease = float(grad @ step) + _pen_change(w, step, 1.0, l1, l2)
        if not decrease < 0.0:
            break
        s = 1.0
        for _ in range(_MAX_BACKTRACK):
            if _change(t, y, sw, n, s * dz) + _pen_change(w, step, s, l1, l2) \
                    <= _ARMIJO * s * decrease:
                break
            s *= 0.5
        else:
            break  # no decrease left at float precision
        w = w + s * step
        z = z + s * dz
        n_steps += 1
    return w, n_steps, n_epochs
