"""Sparse regression: skstruct against scikit-learn, skglm, celer and abess on the same data.

Cases (full sizes; quick mode shrinks them):

1. Lasso path, 30 alphas, tol 1e-8, n=1000, p=5000 (goal: >= 1.2x the best anchor).
2. Lasso path, tall n=10000, p=1000 (goal: <= scikit-learn's, which uses the Gram matrix).
3. MCP and SCAD single fits vs skglm (goal: <= skglm's time at equal objective).
4. L0 path on a correlated design, n=10000, p=1000 (goal: >= 20x faster than abess's
   default path, same support).
5. Sparse CSC X, n=5000, p=20000, density 1%, 30 alphas (goal: >= 1.0x the faster of celer
   and skglm).
6. (``--only 5,6``) l1 logistic path without intercept, 10 alphas, tol 1e-6, dense n=1000,
   p=5000 and text-like sparse CSC n=5000, p=20000 at 1% (goal: >= 1.0x celer's prox-Newton
   at equal duality gap; skglm, liblinear and saga alongside).
7. (``--only 7``) Multi-task Lasso path, dense n=500, p=2000, T=10, 20 alphas (goal: >= 1x celer
   MultiTaskLasso and scikit-learn's), and a group-lasso path against skglm's GroupLasso.
8. (``--only 8``) Multi-task Lasso path on sparse CSC X, n=2000, p=5000, density 1%, T=5,
   20 alphas (goal: >= 1x scikit-learn's; skglm alongside; celer's is dense only).

Every solution is scored by the same code: the relative duality gap
``gap / (||y||^2 / n)`` for the Lasso (largest over the path), the objective
for MCP/SCAD, the support for l0. Each library gets its own notion of tol
(scikit-learn and celer scale the gap by ||y||^2, skglm bounds the
optimality violation; y is standardised so the scales agree).
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, table, write_results  # noqa: E402

warnings.filterwarnings("ignore")


def _anchor(name):
    try:
        return __import__(name)
    except Exception:  # pragma: no cover - reported in the results
        return None


def _correlated(n, p, rho, k, seed, snr=5.0):
    rng = np.random.RandomState(seed)
    # AR(1) columns without a p x p Cholesky: x_j = rho x_{j-1} + sqrt(1 - rho^2) z_j
    Z = rng.randn(n, p)
    X = np.empty((n, p))
    X[:, 0] = Z[:, 0]
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho ** 2) * Z[:, j]
    w = np.zeros(p)
    supp = np.sort(rng.choice(p, k, replace=False))
    w[supp] = rng.choice([-1, 1], k) * rng.uniform(1, 2, k)
    signal = X @ w
    y = signal + np.std(signal) / snr * rng.randn(n)
    X -= X.mean(0)
    X /= X.std(0)
    y = (y - y.mean()) / y.std()
    return np.asfortranarray(X), y, supp


def _lasso_gap(X, y, w, alpha):
    n = X.shape[0]
    R = y - X @ w
    corr = np.abs(np.asarray(X.T @ R).ravel()) / n
    c = min(1.0, alpha / max(corr.max(), 1e-300))
    primal = R @ R / (2 * n) + alpha * np.abs(w).sum()
    dual = c * (y @ R) / n - c * c * (R @ R) / (2 * n)
    return (primal - dual) / (y @ y / n)


def _max_gap(X, y, coefs, alphas):
    return max(_lasso_gap(X, y, coefs[:, i], a) for i, a in enumerate(alphas))


def _fmt(t):
    return f"{t:.3f}" if t < 10 else f"{t:.1f}"


def lasso_path_case(n, p, n_alphas, tol, repeats, tall=False, seed=0):
    from sklearn.linear_model import lasso_path as sk_path

    from skstruct.linear_model import lasso_path

    X, y, _ = _correlated(n, p, 0.5, max(5, p // 100), seed)
    alphas = lasso_path(X, y, alphas=n_alphas, eps=1e-2, max_iter=1)[0]  # the shared grid
    rows = []
    t, res = best_of(lambda: lasso_path(X, y, alphas=alphas, tol=tol)[1], repeats)
    rows.append(["skstruct", _fmt(t), "1.00", f"{_max_gap(X, y, res, alphas):.1e}"])
    t_ours = t
    t, res = best_of(lambda: sk_path(X, y, alphas=alphas, tol=tol, max_iter=100_000)[1], repeats)
    rows.append(["scikit-learn", _fmt(t), f"{t / t_ours:.2f}",
                 f"{_max_gap(X, y, res, alphas):.1e}"])
    if not tall:
        _skglm_row(X, y, alphas, tol, repeats, t_ours, rows)
        celer = _anchor("celer")
        if celer is not None:
            from celer import celer_path
            t, res = best_of(lambda: celer_path(X, y, "lasso", alphas=alphas, tol=tol,
                                                prune=1)[1], repeats)
            rows.append(["celer", _fmt(t), f"{t / t_ours:.2f}",
                 f"{_max_gap(X, y, res, alphas):.1e}"])
    head = ["library", "time (s)", "anchor / skstruct", "max rel. duality gap"]
    return table(head, rows), rows


def _skglm_row(X, y, alphas, tol, repeats, t_ours, rows):
    """skglm's Lasso warm-started along the grid (it has no path function)."""
    if _anchor("skglm") is None:
        return
    from skglm import Lasso as GLasso

    def run_skglm():
        est = GLasso(alpha=alphas[0], fit_intercept=False, tol=tol, warm_start=True)
        out = np.zeros((X.shape[1], len(alphas)))
        for i, a in enumerate(alphas):
            est.set_params(alpha=a).fit(X, y)
            out[:, i] = est.coef_
        return out

    # compile skglm's jitclasses (not cached on disk) outside the timing
    GLasso(alpha=alphas[len(alphas) // 2], fit_intercept=False).fit(X[:50, :100], y[:50])
    t, res = best_of(run_skglm, repeats)
    rows.append(["skglm (warm-started fits)", _fmt(t), f"{t / t_ours:.2f}",
                 f"{_max_gap(X, y, res, alphas):.1e}"])


def sparse_case(n, p, density, n_alphas, tol, repeats, seed=0):
    from sklearn.linear_model import lasso_path as sk_path

    from skstruct.linear_model import lasso_path

    rng = np.random.RandomState(seed)
    X = sp.random(n, p, density=density, random_state=rng, format="csc")
    w = np.zeros(p)
    w[rng.choice(p, 20, replace=False)] = rng.randn(20) * 3
    y = X @ w + 0.5 * rng.randn(n)
    y = (y - y.mean()) / y.std()
    alphas = lasso_path(X, y, alphas=n_alphas, eps=1e-2, max_iter=1)[0]
    rows = []
    t_ours, res = best_of(lambda: lasso_path(X, y, alphas=alphas, tol=tol)[1], repeats)
    rows.append(["skstruct", _fmt(t_ours), "1.00", f"{_max_gap(X, y, res, alphas):.1e}"])
    t, res = best_of(lambda: sk_path(X, y, alphas=alphas, tol=tol, max_iter=100_000)[1], repeats)
    rows.append(["scikit-learn", _fmt(t), f"{t / t_ours:.2f}",
                 f"{_max_gap(X, y, res, alphas):.1e}"])
    celer = _anchor("celer")
    if celer is not None:
        from celer import celer_path
        t, res = best_of(lambda: celer_path(X, y, "lasso", alphas=alphas, tol=tol,
                                            prune=1)[1], repeats)
        rows.append(["celer", _fmt(t), f"{t / t_ours:.2f}",
                 f"{_max_gap(X, y, res, alphas):.1e}"])
    _skglm_row(X, y, alphas, tol, repeats, t_ours, rows)
    return table(["library", "time (s)", "anchor / skstruct", "max rel. duality gap"], rows), rows


def nonconvex_case(n, p, repeats, tol=1e-6, seed=1):
    from skstruct._backend._penalties import MCP, SCAD
    from skstruct.linear_model import MCPRegressor, SCADRegressor

    X, y, _ = _correlated(n, p, 0.5, max(5, p // 100), seed)
    amax = np.max(np.abs(X.T @ y)) / n
    rows = []
    skglm = _anchor("skglm")
    for name, ours_cls, pen_cls, gamma in [("MCP", MCPRegressor, MCP, 3.0),
                                           ("SCAD", SCADRegressor, SCAD, 3.7)]:
        alpha = amax / 20
        pen = pen_cls(alpha, gamma)

        def obj(w):
            r = y - X @ w
            return r @ r / (2 * n) + pen.value(w)

        est = ours_cls(alpha=alpha, gamma=gamma, fit_intercept=False, tol=tol, precompute=False)
        t_ours, est = best_of(lambda: est.fit(X, y), repeats)
        rows.append([name, "skstruct", _fmt(t_ours), "1.00", f"{obj(est.coef_):.6f}",
                     int(np.count_nonzero(est.coef_))])
        if skglm is not None:
            from skglm import GeneralizedLinearEstimator, MCPRegression
            from skglm.datafits import Quadratic
            from skglm.penalties import SCAD as GSCAD
            from skglm.solvers import AndersonCD
            if name == "MCP":
                g = MCPRegression(alpha=alpha, gamma=gamma, fit_intercept=False, tol=tol)
            else:
                g = GeneralizedLinearEstimator(Quadratic(), GSCAD(alpha, gamma),
                                               AndersonCD(tol=tol, fit_intercept=False))
            g.fit(X[:50], y[:50])  # compile
            t, g = best_of(lambda: g.fit(X, y), repeats)
            rows.append([name, "skglm", _fmt(t), f"{t / t_ours:.2f}", f"{obj(g.coef_):.6f}",
                         int(np.count_nonzero(g.coef_))])
    head = ["penalty", "library", "time (s)", "anchor / skstruct", "objective", "nonzeros"]
    return table(head, rows), rows


def _abess_fit(X, y, kw, queue):
    import time

    from abess.linear import LinearRegression
    t0 = time.perf_counter()
    est = LinearRegression(**kw).fit(X, y)
    queue.put((time.perf_counter() - t0, est.coef_))


def _abess_capped(X, y, kw, cap):
    """abess in a child process stopped after ``cap`` seconds: (time, coef or None)."""
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_abess_fit, args=(X, y, kw, queue))
    proc.start()
    try:
        return queue.get(timeout=cap)
    except Exception:
        return cap, None
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join()


def l0_case(n, p, repeats, seed=2, k=10, s_max=None, abess_default=True, cap=300.0):
    from skstruct.linear_model import L0Regressor

    X, y, supp = _correlated(n, p, 0.6, k, seed)
    rows = []
    abess = _anchor("abess")
    ours = None
    if s_max is None:
        s_max = 3 * k
    t_ours, ours = best_of(lambda: L0Regressor(s_max, criterion="ebic").fit(X, y), repeats)
    found = set(ours.support_.tolist())
    rows.append(["skstruct, sizes 0..%d, EBIC" % s_max, _fmt(t_ours), "1.00",
                 len(found), found == set(supp.tolist())])
    if abess is not None:
        runs = [("abess, sizes 0..%d" % s_max, {"support_size": list(range(0, s_max + 1))})]
        if abess_default:  # sizes 0..n / (log log n log p): slow, full mode only
            runs.insert(0, ("abess default path", {}))
        for label, kw in runs:
            t, coef = _abess_capped(X, y, kw, cap)
            if coef is None:
                rows.append([label, f"> {cap:.0f} (stopped)", f"> {cap / t_ours:.0f}", "-", "-"])
                continue
            sa = set(np.flatnonzero(coef).tolist())
            rows.append([label, _fmt(t), f"{t / t_ours:.2f}", len(sa), sa == set(supp.tolist())])
    head = ["method", "time (s)", "anchor / skstruct", "support size", "true support found"]
    return table(head, rows), rows


def _logreg_gap(X, y, w, alpha):
    """Relative duality gap ``gap / log 2`` of the l1 logistic regression without intercept
    (mean loss; dual point: the rescaled residual, entropy conjugate)."""
    n = X.shape[0]
    z = np.asarray(X @ w).ravel()
    s = 1.0 / (1.0 + np.exp(y * z))
    corr = np.abs(np.asarray(X.T @ (y * s)).ravel()) / n
    c = min(1.0, alpha / max(corr.max(), 1e-300))
    t = c * s
    ent = np.where(t > 0, t * np.log(np.where(t > 0, t, 1.0)), 0.0) + (1 - t) * np.log1p(-t)
    primal = np.mean(np.logaddexp(0.0, -y * z)) + alpha * np.abs(w).sum()
    return (primal + np.mean(ent)) / np.log(2.0)


def _logistic_data(n, p, n_alphas, sparse, seed):
    """Dense standardised or text-like sparse X, labels from 20 true features, and the
    grid from alpha_max down to 2e-2 alpha_max."""
    rng = np.random.RandomState(seed)
    if sparse:  # text-like: nonnegative counts-like entries, 1% density
        X = sp.random(n, p, density=0.01, random_state=rng, format="csc",
                      data_rvs=lambda k: rng.exponential(1.0, k))
    else:
        X = rng.randn(n, p)
        X = np.asfortranarray((X - X.mean(0)) / X.std(0))
    w = np.zeros(p)
    w[rng.choice(p, 20, replace=False)] = rng.randn(20) * 2
    z = np.asarray(X @ w).ravel()
    y = np.where(z + 0.5 * z.std() * rng.randn(n) > np.median(z), 1.0, -1.0)
    amax = np.abs(np.asarray(X.T @ y).ravel()).max() / (2 * n)
    return X, y, np.geomspace(amax, amax * 2e-2, n_alphas)


def logistic_path_case(n, p, n_alphas, tol, repeats, sparse=False, seed=3):
    """l1 logistic path without intercept (celer's model), the same grid for everyone;
    ours by prox-Newton (the default) and by coordinate descent (``solver="cd"``)."""
    from skstruct.linear_model import sparse_logistic_path

    X, y, alphas = _logistic_data(n, p, n_alphas, sparse, seed)

    def gap(coefs):
        return max(_logreg_gap(X, y, coefs[:, i], a) for i, a in enumerate(alphas))

    rows = []
    sparse_logistic_path(X[:50], y[:50], alphas=alphas[:2], fit_intercept=False)
    t_ours, res = best_of(lambda: sparse_logistic_path(X, y, alphas=alphas, tol=tol,
                                                       fit_intercept=False)[1], repeats)
    rows.append(["skstruct (prox-Newton, the default)", _fmt(t_ours), "1.00", f"{gap(res):.1e}"])
    t, res = best_of(lambda: sparse_logistic_path(X, y, alphas=alphas, tol=tol, solver="cd",
                                                  fit_intercept=False)[1], repeats)
    rows.append(["skstruct solver='cd' (before)", _fmt(t), f"{t / t_ours:.2f}",
                 f"{gap(res):.1e}"])
    if _anchor("celer") is not None:
        from celer import celer_path
        # celer's logreg sums the losses: its alpha is n times ours (1 / C); prox-Newton
        # as its LogisticRegression uses; tol / 100 reaches our gap (measured: its own
        # tol 1e-6 stops at relative gaps near 4e-5)
        kw = dict(alphas=alphas * n, tol=tol * 1e-2, use_PN=True)
        celer_path(X[:50], y[:50], "logreg", **kw)
        t, res = best_of(lambda: celer_path(X, y, "logreg", **kw)[1], repeats)
        rows.append(["celer (prox-Newton)", _fmt(t), f"{t / t_ours:.2f}", f"{gap(res):.1e}"])
    if _anchor("skglm") is not None:
        from skglm import SparseLogisticRegression as GLogit

        def run_skglm():
            # skglm's tol bounds its stationarity violation: tol / 100 for the same gap
            est = GLogit(alpha=alphas[0], fit_intercept=False, tol=tol * 1e-2, warm_start=True,
                         max_iter=50)
            out = np.zeros((p, n_alphas))
            for i, a in enumerate(alphas):
                out[:, i] = est.set_params(alpha=a).fit(X, y).coef_.ravel()
            return out
        GLogit(alpha=alphas[1], fit_intercept=False).fit(X[:50], y[:50])
        t, res = best_of(run_skglm, repeats)
        rows.append(["skglm (warm-started fits)", _fmt(t), f"{t / t_ours:.2f}",
                     f"{gap(res):.1e}"])
    # scikit-learn: liblinear (no warm start) and saga (dense only: slow)
    from sklearn.linear_model import LogisticRegression

    for solver in ("liblinear", "saga") if not sparse else ("liblinear",):
        def run_sk(solver=solver):
            est = LogisticRegression(l1_ratio=1.0, solver=solver, fit_intercept=False,
                                     tol=tol, max_iter=1000, warm_start=True)
            out = np.zeros((p, n_alphas))
            for i, a in enumerate(alphas):
                out[:, i] = est.set_params(C=1.0 / (n * a)).fit(X, y).coef_.ravel()
            return out
        t, res = best_of(run_sk, 1)
        rows.append([f"scikit-learn ({solver})", _fmt(t), f"{t / t_ours:.2f}",
                     f"{gap(res):.1e}"])
    return table(["library", "time (s)", "anchor / skstruct", "max rel. duality gap"], rows), rows
def _mtl_gap(X, Y, W, alpha):
    """Relative duality gap of the multi-task Lasso at W (T, p), X and Y centred."""
    n = X.shape[0]
    R = Y - X @ W.T
    dn = np.linalg.norm(X.T @ R, axis=1).max() / n
    c = min(1.0, alpha / max(dn, 1e-300))
    F = (R ** 2).sum() / (2 * n)
    primal = F + alpha * np.linalg.norm(W, axis=0).sum()
    dual = c * (Y * R).sum() / n - c * c * F
    return (primal - dual) / ((Y ** 2).sum() / n)


def _multitask_paths(X, Y, alphas, tol, repeats):
    """Time our and sklearn's 2-D-y ``lasso_path`` on one grid; returns (rows, our time, gap_of)."""
    from sklearn.linear_model import lasso_path as sk_path

    from skstruct.linear_model import lasso_path

    def gap_of(coefs):  # coefs (T, p, n_alphas)
        return max(_mtl_gap(X, Y, coefs[:, :, i], a) for i, a in enumerate(alphas))

    t_ours, res = best_of(lambda: lasso_path(X, Y, alphas=alphas, tol=tol)[1], repeats)
    rows = [["skstruct lasso_path (2-D y)", _fmt(t_ours), "1.00", f"{gap_of(res):.1e}"]]
    t, res = best_of(lambda: sk_path(X, Y, alphas=alphas, tol=tol, max_iter=100_000)[1],
                     repeats)
    rows.append(["scikit-learn lasso_path (2-D y)", _fmt(t), f"{t / t_ours:.2f}",
                 f"{gap_of(res):.1e}"])
    return rows, t_ours, gap_of

def _group_gap(X, y, w, alpha, groups, weights):
    n = X.shape[0]
    R = y - X @ w
    c = 1.0
    pen = 0.0
    for g, wg in zip(groups, weights):
        c = min(c, alpha * wg / max(np.linalg.norm(X[:, g].T @ R) / n, 1e-300))
        pen += alpha * wg * np.linalg.norm(w[g])
    F = R @ R / (2 * n)
    return (F + pen - (c * (y @ R) / n - c * c * F)) / (y @ y / n)


def multitask_case(n, p, T, n_alphas, tol, repeats, seed=3):
    """Multi-task Lasso path (all warm-started on one grid) and a group-lasso path."""
    from skstruct.linear_model import GroupLasso, lasso_path

    rng = np.random.RandomState(seed)
    X, _, _ = _correlated(n, p, 0.5, 5, seed)
    W = np.zeros((T, p))
    supp = rng.choice(p, 20, replace=False)
    W[:, supp] = rng.randn(T, 20)
    Y = X @ W.T + 0.5 * rng.randn(n, T)
    Y = (Y - Y.mean(0)) / Y.std(0)
    alphas = lasso_path(X, Y, alphas=n_alphas, eps=1e-2, max_iter=1)[0]

    head = ["library", "time (s)", "anchor / skstruct", "max rel. duality gap"]
    rows, t_ours, gap_of = _multitask_paths(X, Y, alphas, tol, repeats)

    def warm_fits(est):
        out = np.zeros((T, p, len(alphas)))
        for i, a in enumerate(alphas):
            est.set_params(alpha=a).fit(X, Y)
            out[:, :, i] = est.coef_
        return out

    if _anchor("celer") is not None:
        # celer's MultiTaskLasso.fit calls a method scikit-learn 1.9 removed; its path
        # function (which that fit calls) is the same solver
        from celer.homotopy import mtl_path
        Xf = np.asfortranarray(X)
        t, res = best_of(lambda: mtl_path(Xf, Y, alphas=alphas, tol=tol, prune=True)[1],
                         repeats)
        rows.append(["celer mtl_path", _fmt(t), f"{t / t_ours:.2f}",
                     f"{gap_of(res):.1e}"])
    if _anchor("skglm") is not None:
        from skglm import MultiTaskLasso as GMTL
        GMTL(alpha=alphas[5], fit_intercept=False).fit(X[:50, :100], Y[:50])  # jit, untimed
        t, res = best_of(lambda: warm_fits(GMTL(fit_intercept=False, tol=tol, warm_start=True)),
                         repeats)
        rows.append(["skglm MultiTaskLasso (warm-started fits)", _fmt(t), f"{t / t_ours:.2f}",
                     f"{gap_of(res):.1e}"])
    txt = table(head, rows)
    # group lasso: groups of 5 consecutive features, sqrt(size) weights, one target
    y = Y[:, 0]
    size = 5
    groups = [np.arange(s, s + size) for s in range(0, p, size)]
    wts = np.full(len(groups), np.sqrt(size))
    amax = max(np.linalg.norm(X[:, g].T @ y) / n / wg for g, wg in zip(groups, wts))
    galphas = np.geomspace(amax, amax * 1e-2, n_alphas)

    def group_fits(make):
        est = make()
        out = np.zeros((p, len(galphas)))
        for i, a in enumerate(galphas):
            est.set_params(alpha=a).fit(X, y)
            out[:, i] = est.coef_
        return out

    def ggap(coefs):
        return max(_group_gap(X, y, coefs[:, i], a, groups, wts) for i, a in enumerate(galphas))

    grows = []
    t_g, res = best_of(lambda: group_fits(lambda: GroupLasso(
        groups=size, fit_intercept=False, tol=tol, warm_start=True)), repeats)
    grows.append(["skstruct GroupLasso", _fmt(t_g), "1.00", f"{ggap(res):.1e}"])
    if _anchor("skglm") is not None:
        from skglm import GroupLasso as GGL
        grp = [list(g) for g in groups]
        GGL(groups=grp, alpha=galphas[5], weights=wts, fit_intercept=False).fit(X, y)  # jit
        t, res = best_of(lambda: group_fits(lambda: GGL(
            groups=grp, weights=wts, fit_intercept=False, tol=tol, warm_start=True)), repeats)
        grows.append(["skglm GroupLasso", _fmt(t), f"{t / t_g:.2f}", f"{ggap(res):.1e}"])
    txt += (f"\n\nGroup lasso, the first task, groups of {size} consecutive features, "
            f"{n_alphas} alphas (warm-started fits)\n\n" + table(head, grows))
    return txt, rows + grows


def sparse_multitask_case(n, p, T, density, n_alphas, tol, repeats, seed=4):
    """Multi-task Lasso path on sparse CSC X, one grid for every library.

    celer is left out: its multi-task solver (``celer_mtl``) takes a dense Fortran X
    only. skglm's ``tol`` bounds its largest block violation: ``tol / 100`` for a gap
    near ours.
    """
    from skstruct.linear_model import lasso_path

    rng = np.random.RandomState(seed)
    X = sp.random(n, p, density=density, random_state=rng, format="csc")
    W = np.zeros((T, p))
    W[:, rng.choice(p, 20, replace=False)] = 3 * rng.randn(T, 20)
    Y = np.asarray(X @ W.T) + 0.5 * rng.randn(n, T)
    Y = (Y - Y.mean(0)) / Y.std(0)
    alphas = lasso_path(X, Y, alphas=n_alphas, eps=1e-2, max_iter=1)[0]

    rows, t_ours, gap_of = _multitask_paths(X, Y, alphas, tol, repeats)
    if _anchor("skglm") is not None:
        from skglm import MultiTaskLasso as GMTL

        def run_skglm():
            est = GMTL(fit_intercept=False, tol=tol * 1e-2, warm_start=True)
            out = np.zeros((T, p, len(alphas)))
            for i, a in enumerate(alphas):
                out[:, :, i] = est.set_params(alpha=a).fit(X, Y).coef_
            return out

        GMTL(alpha=alphas[5], fit_intercept=False).fit(X[:50, :100], Y[:50])  # jit, untimed
        t, res = best_of(run_skglm, repeats)
        rows.append(["skglm MultiTaskLasso (warm-started fits)", _fmt(t), f"{t / t_ours:.2f}",
                     f"{gap_of(res):.1e}"])
    rows.append(["celer", "-", "-", "dense X only"])
    return table(["library", "time (s)", "anchor / skstruct", "max rel. duality gap"], rows), rows


def _warm_up():
    """Compile the numba kernels outside the timings (cached on disk afterwards)."""
    from skstruct.linear_model import Lasso, MCPRegressor, lasso_path
    X, y, _ = _correlated(60, 30, 0.3, 3, 0)
    Lasso(alpha=0.01, precompute=True).fit(X, y)
    Lasso(alpha=0.01, precompute=False).fit(X, y)
    lasso_path(sp.csc_matrix(X), y, alphas=3)
    MCPRegressor(alpha=0.05).fit(X, y)
    lasso_path(X, np.c_[y, y], alphas=3)
    lasso_path(sp.csc_matrix(X), np.c_[y, y], alphas=3)


def _previous_sections(quick):
    """Sections of the existing results file, as (heading, text) pairs."""
    from _common import RESULTS
    path = RESULTS / ("sparse_regression_quick.md" if quick else "sparse_regression.md")
    if not path.exists():
        return []
    out = []
    for block in path.read_text().split("\n## ")[1:]:
        heading, _, text = block.partition("\n")
        out.append((heading.strip(), text.strip()))
    return out


def main(quick=False, only=None):
    """Run the cases (all, or the 0-based indices in ``only``, keeping the other
    sections of the existing results file) and write the results."""
    _warm_up()
    missing = [m for m in ("skglm", "celer", "abess") if _anchor(m) is None]
    sections = []
    if quick:
        sizes = dict(logit=(200, 1000, 10), logit_sparse=(1000, 4000, 10),
                     path=(200, 1000, 20), tall=(2000, 200, 20), sparse=(2000, 4000, 20),
                     nonconvex=(300, 600), l0=(2000, 200), multitask=(200, 500, 5, 10),
                     multitask_sparse=(1000, 2000, 5, 10),
                     repeats=1)
    else:
        sizes = dict(logit=(1000, 5000, 10), logit_sparse=(5000, 20000, 10),
                     path=(1000, 5000, 30), tall=(10000, 1000, 30), sparse=(5000, 20000, 30),
                     nonconvex=(1000, 5000), l0=(10000, 1000),
                     multitask=(500, 2000, 10, 20),
                     multitask_sparse=(2000, 5000, 5, 20), repeats=3)
    r = sizes["repeats"]
    notes = ("Machine shared with other jobs (2 cores, load varying): timings are noisy; "
             "compare ratios within one run. ")
    if missing:
        notes += f"Not installed, so not benchmarked: {', '.join(missing)}."
    cases = []
    n, p, na = sizes["path"]
    cases.append((f"Lasso path, n={n}, p={p}, {na} alphas (eps 1e-2), tol 1e-8",
                  lambda n=n, p=p, na=na: lasso_path_case(n, p, na, 1e-8, r)))
    n, p, na = sizes["tall"]
    cases.append((f"Lasso path, tall n={n}, p={p}, {na} alphas, tol 1e-8",
                  lambda n=n, p=p, na=na: lasso_path_case(n, p, na, 1e-8, r, tall=True)))
    n, p, na = sizes["sparse"]
    cases.append((f"Lasso path on sparse CSC X, n={n}, p={p}, density 1%, {na} alphas, tol 1e-8",
                  lambda n=n, p=p, na=na: sparse_case(n, p, 0.01, na, 1e-8, r)))
    n, p = sizes["nonconvex"]
    cases.append((f"MCP and SCAD single fits, n={n}, p={p}, alpha = alpha_max / 20, tol 1e-6",
                  lambda n=n, p=p: nonconvex_case(n, p, r)))
    n, p = sizes["l0"]
    cases.append((f"Best subset (l0) path, n={n}, p={p}, AR(1) design rho=0.6, "
                  "10 true features", lambda n=n, p=p: l0_case(n, p, 1, abess_default=not quick)))
    n, p, na = sizes["logit"]
    cases.append((f"l1 logistic path, n={n}, p={p}, {na} alphas (eps 2e-2), tol 1e-6",
                  lambda n=n, p=p, na=na: logistic_path_case(n, p, na, 1e-6, r)))
    n, p, na = sizes["logit_sparse"]
    cases.append((f"l1 logistic path on sparse CSC X, n={n}, p={p}, density 1%, {na} alphas, "
                  "tol 1e-6", lambda n=n, p=p, na=na: logistic_path_case(
                      n, p, na, 1e-6, r, sparse=True)))
    n, p, T, na = sizes["multitask"]
    cases.append((f"Multi-task Lasso path, dense n={n}, p={p}, {T} tasks, {na} alphas "
                  "(eps 1e-2), tol 1e-6", lambda n=n, p=p, T=T, na=na:
                  multitask_case(n, p, T, na, 1e-6, r)))
    n, p, T, na = sizes["multitask_sparse"]
    cases.append((f"Multi-task Lasso path on sparse CSC X, n={n}, p={p}, density 1%, {T} tasks, "
                  f"{na} alphas (eps 1e-2), tol 1e-6", lambda n=n, p=p, T=T, na=na:
                  sparse_multitask_case(n, p, T, 0.01, na, 1e-6, r)))
    out = None
    previous = dict(_previous_sections(quick)) if only else {}
    for i, (heading, run) in enumerate(cases):
        if only and i not in only:
            if heading in previous:
                sections.append((heading, previous[heading]))
            continue
        txt, _ = run()
        sections.append((heading, txt))
        # written after every case, so a run cut short keeps what it measured
        out = write_results("sparse_regression", "Sparse regression benchmarks",
                            sections + [("Notes", notes)], quick)
    if only:  # the sections kept after the last case measured
        out = write_results("sparse_regression", "Sparse regression benchmarks",
                            sections + [("Notes", notes)], quick)
    return out


if __name__ == "__main__":
    # python benchmarks/bench_sparse_regression.py [--quick] [--only 0,2]
    only = None
    if "--only" in sys.argv:
        only = {int(i) for i in sys.argv[sys.argv.index("--only") + 1].split(",")}
    main(quick="--quick" in sys.argv, only=only)
