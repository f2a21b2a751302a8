"""Benchmark: principal component pursuit (RobustPCA / pcp).

Anchors, on the same low-rank + sparse data (5% gross errors):
- a plain inexact ALM with a full SVD per iteration (Lin, Chen & Ma 2010, as in
  their MATLAB code: lam = 1/sqrt(max(m, n)), mu0 = 1.25/||D||_2, rho = 1.5,
  stop on the relative primal residual), written here;
- tensorly's robust_pca with its defaults, and tuned to the same problem
  (reg_E = lam, mu_init = 1.25/||D||_2, learning_rate = 1.5, tol = 1e-7).
Quality: relative Frobenius error of the recovered low-rank part.
"""

import warnings

import numpy as np

from _common import best_of, table, write_results
from skstruct.datasets import make_low_rank_sparse
from skstruct.decomposition import pcp


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


def main(quick=False):
    try:
        import tensorly
        from tensorly.decomposition import robust_pca
        tensorly.set_backend("numpy")
    except ImportError:  # the bench extra is not installed
        robust_pca = None
    cases = [(300, 15), (500, 25)] if quick else [(500, 25), (500, 100), (2000, 25), (2000, 100)]
    repeats = 1 if quick else 2
    rows = []
    for n, r in cases:
        X, L0, _ = make_low_rank_sparse(n, n, rank=r, sparsity=0.05, random_state=0)
        lam = 1 / np.sqrt(n)
        t_sk, (L, S, it_sk) = best_of(lambda: pcp(X, random_state=0, return_n_iter=True), repeats)
        t_full, (L_full, it_full) = best_of(lambda: ialm_full_svd(X, lam), repeats)
        rows.append([f"{n}x{n}, rank {r}", "plain IALM, full SVD", f"{t_full:.2f}", it_full,
                     f"{rel(L_full, L0):.1e}", f"{t_sk:.2f}", it_sk, f"{rel(L, L0):.1e}",
                     f"{t_full / t_sk:.1f}"])
        if robust_pca is None:
            continue
        configs = [("tensorly defaults", {}),
                   ("tensorly tuned", dict(reg_E=lam, mu_init=1.25 / np.linalg.norm(X, 2),
                                           learning_rate=1.5, n_iter_max=1000, tol=1e-7))]
        if (quick and n > 300) or (not quick and n >= 2000):
            # tensorly computes a full SVD per iteration: minutes per run at these sizes
            configs = configs[:1] if not quick else []
        for name, kw in configs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t_tl, (L_tl, _) = best_of(lambda: robust_pca(X, verbose=0, **kw), 1)
            rows.append([f"{n}x{n}, rank {r}", name, f"{t_tl:.2f}", "", f"{rel(L_tl, L0):.1e}",
                         f"{t_sk:.2f}", it_sk, f"{rel(L, L0):.1e}", f"{t_tl / t_sk:.1f}"])
    header = ["data", "anchor", "anchor s", "anchor iters", "anchor rel. err L",
              "skstruct s", "skstruct iters", "skstruct rel. err L", "ratio"]
    notes = ("Both skstruct `pcp` (default tol_gap=None) and the plain IALM stop on the relative "
             "primal residual 1e-7, so they run the same iterations; the difference is the SVT step "
             "(partial, warm-started randomized SVD vs full SVD). Goal: ratio >= 4 against the plain "
             "IALM at 2000x2000 with relative error <= 1e-6. pcp runs on one BLAS thread "
             "(threadpoolctl): several OpenBLAS threads slowed its thin factorizations 2-8x. "
             "tensorly's defaults stop at 100 iterations with "
             "reg_J=1, far from the PCP solution; tuned, it still includes its reg_J term.")
    write_results("robust_pca", "Robust PCA (principal component pursuit)",
                  [("Times and recovery", table(header, rows)), ("Notes", notes)], quick)


if __name__ == "__main__":
    import sys

    main(quick="--quick" in sys.argv)
