"""Benchmark: principal component pursuit (RobustPCA / pcp) and RobustPCA.transform.

PCP anchors, on the same low-rank + sparse data (5% gross errors):
- a plain inexact ALM with a full SVD per iteration (Lin, Chen & Ma 2010, as in
  their MATLAB code: lam = 1/sqrt(max(m, n)), mu0 = 1.25/||D||_2, rho = 1.5,
  stop on the relative primal residual), written here, run on one BLAS thread
  like pcp;
- tensorly's robust_pca with its defaults, and tuned to the same problem
  (reg_E = lam, mu_init = 1.25/||D||_2, learning_rate = 1.5, tol = 1e-7).
Quality: relative Frobenius error of the recovered low-rank part. The BLAS-3
estimate is the flop count of pcp's products (three passes of the data with
(n, r + margin) panels per iteration) at the GEMM rate measured here.

transform anchors, on digits with 20% salt-and-pepper pixels (RobustPCA fitted
on 600 rows, all 1797 rows transformed): the previous method (batched IRLS,
50 iterations, then vertex polishing; kept in skstruct as the fallback) and
scipy's linprog (HiGHS) per row on the LP form of the problem.

Online robust PCA (RobustPCA.partial_fit / online_pcp) on a synthetic video
(a textured background under a slow illumination drift, two moving objects,
sensor noise; the true background and foreground masks are known). The
robust PCA packages in the local PyPI name lists (pyrpca, rpca) are batch
methods, and no online robust PCA was found there, so the anchors are batch
PCP on all frames (the problem OR-PCA approximates) and scikit-learn's
IncrementalPCA (the non-robust stream). Quality: the sine of the angle
between the true background direction and the learned subspace, the
relative error of the background frames, and the F-measure of the
foreground (pixels whose sparse part, or residual, exceeds 0.15).
"""

import sys
import time
import warnings

import numpy as np
from scipy.optimize import linprog
from sklearn.datasets import load_digits
from sklearn.decomposition import IncrementalPCA
from threadpoolctl import threadpool_limits

from _common import best_of, table, write_results
from skstruct._backend._l1_regression import l1_regression_irls, l1_regression_rows
from skstruct.datasets import make_background_video, make_low_rank_sparse
from skstruct.decomposition import RobustPCA, online_pcp, pcp


def ialm_full_svd(D, lam, tol=1e-7, max_iter=1000):
    """Textbook inexact ALM (full SVD each iteration); returns L, n_iter."""
    norm_two = np.linalg.norm(D, 2)
    Y = D / max(norm_two, np.abs(D).max() / lam)
    mu, rho = 1.25 / norm_two, 1.5
    mu_bar = mu * 1e7
    L = np.zeros_like(D)
    S = np.zeros_like(D)
    norm_fro = np.linalg.norm(D)
    for it in range(1, max_iter + 1):
        T = D - L + Y / mu
        S = np.sign(T) * np.maximum(np.abs(T) - lam / mu, 0)
        U, s, Vt = np.linalg.svd(D - S + Y / mu, full_matrices=False)
        keep = s > 1 / mu
        L = (U[:, keep] * (s[keep] - 1 / mu)) @ Vt[keep]
        Z = D - L - S
        Y += mu * Z
        mu = min(mu * rho, mu_bar)
        if np.linalg.norm(Z) / norm_fro < tol:
            break
    return L, it


def rel(A, B):
    return float(np.linalg.norm(A - B) / np.linalg.norm(B))


def gemm_rate(n, k):
    """Flops per second of an (n, n) @ (n, k) product on one BLAS thread (best of 5)."""
    rng = np.random.default_rng(0)
    A, P = rng.standard_normal((n, n)), rng.standard_normal((n, k))
    with threadpool_limits(1, user_api="blas"):
        t, _ = best_of(lambda: A @ P, 5)
    return 2.0 * n * n * k / t


def bench_pcp(quick, tensorly_large):
    try:
        import tensorly
        from tensorly.decomposition import robust_pca
        tensorly.set_backend("numpy")
    except ImportError:  # the bench extra is not installed
        robust_pca = None
    cases = [(300, 15), (500, 25)] if quick else [(500, 25), (500, 100), (2000, 25), (2000, 100)]
    rows, cost_rows = [], []
    for n, r in cases:
        X, L0, _ = make_low_rank_sparse(n, n, rank=r, sparsity=0.05, random_state=0)
        lam = 1 / np.sqrt(n)
        t_sk, (L, S, it_sk) = best_of(lambda: pcp(X, random_state=0, return_n_iter=True), 3)
        with threadpool_limits(1, user_api="blas"):
            t_full, (L_full, it_full) = best_of(lambda: ialm_full_svd(X, lam),
                                                1 if n >= 2000 else 2)
        rows.append([f"{n}x{n}, rank {r}", "plain IALM, full SVD (1 thread)", f"{t_full:.2f}",
                     it_full, f"{rel(L_full, L0):.1e}", f"{t_sk:.2f}", it_sk,
                     f"{rel(L, L0):.1e}", f"{t_full / t_sk:.1f}"])
        k = r + max(10, r // 10)
        flops = 2.0 * n * n * (2 * k + r) * it_sk
        t_blas = flops / gemm_rate(n, k)
        cost_rows.append([f"{n}x{n}, rank {r}", it_sk, f"{1e3 * t_sk / it_sk:.0f}",
                          f"{flops / it_sk:.2e}", f"{1e3 * t_blas / it_sk:.0f}",
                          f"{t_sk / t_blas:.2f}"])
        if robust_pca is None:
            continue
        configs = [("tensorly defaults", {}),
                   ("tensorly tuned", dict(reg_E=lam, mu_init=1.25 / np.linalg.norm(X, 2),
                                           learning_rate=1.5, n_iter_max=1000, tol=1e-7))]
        if quick or (n >= 2000 and not tensorly_large):
            configs = []  # a full SVD per iteration, 100+ iterations: many minutes per run
        for name, kw in configs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t_tl, (L_tl, _) = best_of(lambda: robust_pca(X, verbose=0, **kw), 1)
            rows.append([f"{n}x{n}, rank {r}", name, f"{t_tl:.2f}", "", f"{rel(L_tl, L0):.1e}",
                         f"{t_sk:.2f}", it_sk, f"{rel(L, L0):.1e}", f"{t_tl / t_sk:.1f}"])
    header = ["data", "anchor", "anchor s", "anchor iters", "anchor rel. err L",
              "skstruct s", "skstruct iters", "skstruct rel. err L", "ratio"]
    cost_header = ["data", "iters", "ms / iter", "product flops / iter",
                   "BLAS-3 estimate ms / iter", "measured / estimate"]
    return table(header, rows), table(cost_header, cost_rows)


def _lp_l1(x, V):
    p, r = V.shape
    c = np.r_[np.zeros(r), np.ones(p)]
    A = np.block([[V, -np.eye(p)], [-V, -np.eye(p)]])
    return linprog(c, A_ub=A, b_ub=np.r_[x, -x], bounds=[(None, None)] * r + [(0, None)] * p,
                   method="highs").fun


def bench_transform(quick):
    X, _ = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    hit = rng.random(X.shape) < 0.2
    X = X.copy()
    X[hit] = rng.choice([0.0, 16.0], hit.sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rpca = RobustPCA(random_state=0).fit(X[:600])
    V_all = np.ascontiguousarray(rpca.components_.T)
    l1_regression_rows(X[:5], V_all)  # compile outside the timing
    reps = 1 if quick else 3
    n_lp = 50 if quick else 200
    rows = []
    # the first k components of the same fit; one BLAS thread for both
    for k in sorted({5, 12, 20, V_all.shape[1]}):
        V = np.ascontiguousarray(V_all[:, :k])
        with threadpool_limits(1, user_api="blas"):
            t_new, Z_new = best_of(lambda: l1_regression_rows(X, V), reps + 4)
            t_old, Z_old = best_of(lambda: l1_regression_irls(X, V), reps)
        lp = np.array([_lp_l1(x, V) for x in X[:n_lp]])
        obj_new = np.abs(X - Z_new @ V.T).sum(axis=1)
        obj_old = np.abs(X - Z_old @ V.T).sum(axis=1)
        rows.append([k, f"{t_old:.3f}", f"{obj_old.sum():.2f}",
                     f"{np.max((obj_old[:n_lp] - lp) / lp):.1e}", f"{t_new:.3f}",
                     f"{obj_new.sum():.2f}", f"{np.max((obj_new[:n_lp] - lp) / lp):.1e}",
                     f"{t_old / t_new:.1f}"])
    V = V_all
    t_lp, _ = best_of(lambda: np.array([_lp_l1(x, V) for x in X[:n_lp]]), 1)
    header = ["components", "IRLS 50 it. (before) s", "before: sum of objectives",
              f"before: max rel. excess over LP (first {n_lp} rows)", "vertex descent (now) s",
              "now: sum of objectives", "now: max rel. excess over LP", "speedup"]
    return (f"digits, 20% salt-and-pepper, the first k of {V_all.shape[1]} components "
            f"(RobustPCA fitted on 600 rows), all 1797 rows, one BLAS thread. "
            f"scipy linprog (HiGHS) on the first {n_lp} rows with {V_all.shape[1]} components: "
            f"{t_lp:.2f} s ({t_lp * len(X) / n_lp / t_new:.0f}x the vertex "
            "descent, extrapolated to all rows).\n\n" + table(header, rows))


def _f_measure(pred, true):
    return 2 * (pred & true).sum() / max(pred.sum() + true.sum(), 1)


def _sin_to_span(v, V):
    """Sine of the angle between vector v and the row span of V (orthonormal rows)."""
    v = v / np.linalg.norm(v)
    return float(np.linalg.norm(v - V.T @ (V @ v)))


def bench_online(quick):
    n_frames, h, w = (300, 48, 64) if quick else (1000, 60, 80)
    X, bg, masks = make_background_video(n_frames, h, w, random_state=0)
    direction = bg[0]  # the background frames are multiples of one image
    cut, k, chunk = 0.15, 2, 10
    reps = 1 if quick else 3
    rows = []

    def add(name, t, V, bg_hat, fg):
        rows.append([name, f"{t:.2f}", f"{1e3 * t / n_frames:.1f}",
                     f"{_sin_to_span(direction, V):.1e}", f"{rel(bg_hat, bg):.1e}",
                     f"{_f_measure(fg, masks):.3f}", f"{_f_measure(fg[100:], masks[100:]):.3f}"])

    def stream():
        est = RobustPCA(n_components=k, random_state=0)
        for s in range(0, n_frames, chunk):
            est.partial_fit(X[s:s + chunk])
        return est

    t, est = best_of(stream, reps)
    t_split, (L, S) = best_of(lambda: online_pcp(X, n_components=k, random_state=0), reps)
    add(f"skstruct RobustPCA.partial_fit, chunks of {chunk} (split of each frame as streamed)",
        t, est.components_, L, np.abs(S) > cut)
    t_tr, Z = best_of(lambda: est.transform(X), 1)
    R = est.inverse_transform(Z)
    add("  the same model after the stream, transform of every frame (time: transform)", t_tr,
        est.components_, R, np.abs(X - R) > cut)

    def warm():
        e = RobustPCA(n_components=k, random_state=0).fit(X[:50])
        for s in range(50, n_frames, chunk):
            e.partial_fit(X[s:s + chunk])
        return e

    t_w, est_w = best_of(warm, reps)
    Rw = est_w.inverse_transform(est_w.transform(X))
    add("skstruct fit (PCP) on 50 frames, then partial_fit (model after the stream)", t_w,
        est_w.components_, Rw, np.abs(X - Rw) > cut)
    t_b, (Lb, Sb) = best_of(lambda: pcp(X, random_state=0), 1)
    _, sb, Vb = np.linalg.svd(Lb, full_matrices=False)
    Vb = Vb[:max(1, int(np.sum(sb > 1e-6 * sb[0])))]
    add("anchor: batch PCP on all frames (skstruct pcp)", t_b, Vb, Lb, np.abs(Sb) > cut)

    def ipca():
        m = IncrementalPCA(n_components=k)
        for s in range(0, n_frames, chunk):
            m.partial_fit(X[s:s + max(chunk, k)])
        return m

    with threadpool_limits(1, user_api="blas"):  # like pcp and online_pcp
        t_i, m = best_of(ipca, reps)
    Ri = m.inverse_transform(m.transform(X))
    add(f"anchor: scikit-learn IncrementalPCA, chunks of {chunk}", t_i, m.components_, Ri,
        np.abs(X - Ri) > cut)
    header = ["method", "s", "ms / frame", "sin(background direction, subspace)",
              "rel. err background", "F-measure foreground", "F-measure, frames 100+"]
    return (f"{n_frames} frames of {h}x{w} pixels, foreground {masks.mean():.1%} of the pixels, "
            f"n_components={k}, default stream_threshold, all on one BLAS thread; "
            "the background frames are one image times a slow illumination factor. "
            "The online model is affine (mean_ + span of components_): the subspace column is "
            "the sine of the angle between that image and the span of components_ (for batch "
            "PCP, which does not center, of its low-rank part's row space).\n\n"
            + table(header, rows))


def main(quick=False, tensorly_large=False, transform_only=False, online_only=False):
    t0 = time.perf_counter()
    online_table = bench_online(quick)
    if online_only:  # a short run: print the section, the results file is left alone
        print(online_table)
        return
    transform_table = bench_transform(quick)
    if transform_only:  # a short run: print the section, the results file is left alone
        print(transform_table)
        return
    pcp_table, cost_table = bench_pcp(quick, tensorly_large)
    notes = (
        "Both skstruct `pcp` (default tol_gap=None) and the plain IALM stop on the relative "
        "primal residual 1e-7. The difference is the SVT step: pcp carries a subspace over "
        "iterations (one subspace-iteration step plus Rayleigh-Ritz per iteration, a second "
        "while the subspace still moves) instead of a full SVD. Both run on one BLAS thread "
        "(on this shared 2-core machine two OpenBLAS threads made one 2000x2000 SVD 4x "
        "slower in wall time). Goal: ratio >= 20 against the plain IALM at 2000x2000 rank 100 "
        "with relative error <= 1e-6. tensorly's defaults stop at 100 iterations with reg_J=1, "
        "far from the PCP solution; tuned, it still includes its reg_J term; at 2000x2000 it "
        "is run only with --tensorly-2000 (a full SVD per iteration: many minutes). "
        "The machine was shared with other jobs: times are "
        "best of repeats (the anchors at 2000x2000 once). "
        f"Total run {time.perf_counter() - t0:.0f} s."
    )
    write_results("robust_pca", "Robust PCA (principal component pursuit)",
                  [("PCP: times and recovery", pcp_table),
                   ("PCP: time per iteration vs the BLAS-3 cost of its products", cost_table),
                   ("RobustPCA.transform (least absolute deviations per row)", transform_table),
                   ("Online robust PCA (partial_fit) on a synthetic video", online_table),
                   ("Notes", notes)], quick)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv, tensorly_large="--tensorly-2000" in sys.argv,
         transform_only="--transform-only" in sys.argv, online_only="--online-only" in sys.argv)
