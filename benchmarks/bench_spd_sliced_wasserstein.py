"""Benchmark: sliced-Wasserstein on SPD matrices against POT and pyriemann.

Sections (issue 9):
1. One distance between 1000 and 1000 8x8 SPD matrices: skstruct SPDSW (log-Euclidean,
   affine-invariant, control variates) against POT's Euclidean sliced Wasserstein on
   vech(log X) and POT's exact ``emd2`` with the log-Euclidean cost.
2. The kernel matrix over 200 distributions of 100 22x22 matrices: skstruct
   ``SPDSWKernel`` (one projection draw, per-set sorted projections, one GEMM) against
   POT sliced Wasserstein on vech(log X) called for every pair, and pyriemann (Riemannian
   mean per set + tangent space + RBF kernel).
3. Variance-reduction factor of the control variates at equal numbers of projections.
4. Brain-age-style regression (``make_spd_distributions``): SPDSW Gaussian kernel ridge
   against pyriemann tangent space + Ridge, MAE in 5-fold cross-validation, on data where
   the target moves the spread of each distribution and on data where it moves only
   the centre.

Timings on a shared, loaded machine are noisy: best of repeats, compare within a run.
Run ``python benchmarks/run.py [--quick] spd_sliced_wasserstein``.
"""

import time
import warnings

import numpy as np
from _common import best_of, table, write_results
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV, KFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from skstruct._backend._spd import logm, vech
from skstruct.datasets import make_spd_distributions
from skstruct.spd import SPDSWEmbedding, SPDSWKernel, spd_sliced_wasserstein

FAMILY = "spd_sliced_wasserstein"

try:
    import ot
except ImportError:  # pragma: no cover
    ot = None
try:
    from pyriemann.geometry.mean import mean_riemann
    from pyriemann.tangentspace import TangentSpace
except ImportError:  # pragma: no cover
    TangentSpace = None


def _fmt(x, spec=".3g"):
    return "n/a" if x is None else format(x, spec)


def _wishart(rng, n, d, dof=None):
    dof = dof or d + 2
    G = rng.standard_normal((n, d, dof))
    return G @ np.swapaxes(G, 1, 2) / dof


def section_distance(quick):
    n = 300 if quick else 1000
    d, L = 8, 200
    rng = np.random.RandomState(0)
    A = _wishart(rng, n, d)
    B = _wishart(rng, n, d) * 1.5
    rows = []
    t_le, v_le = best_of(lambda: spd_sliced_wasserstein(A, B, n_projections=L, random_state=0))
    t_cv, v_cv = best_of(lambda: spd_sliced_wasserstein(A, B, n_projections=L, random_state=0,
                                                        estimator="cv"))
    t_ai, v_ai = best_of(lambda: spd_sliced_wasserstein(A, B, n_projections=L, random_state=0,
                                                        metric="affine-invariant"), repeats=1)
    # spread of the SPDSW estimate over projection draws, to read the values against
    spread = np.std([spd_sliced_wasserstein(A, B, n_projections=L, random_state=s)
                     for s in range(10)])
    rows.append(["skstruct SPDSW_2, log-Euclidean, L=200", _fmt(t_le), "1", f"{v_le:.4f}"])
    rows.append(["skstruct SPDSW_2, control variates, L=200", _fmt(t_cv), _fmt(t_le / t_cv),
                 f"{v_cv:.4f}"])
    rows.append(["skstruct HSPDSW_2, affine-invariant, L=200", _fmt(t_ai), _fmt(t_le / t_ai),
                 f"{v_ai:.4f}"])
    if ot is not None:
        def pot_sw():
            la, lb = vech(logm(A)), vech(logm(B))
            return ot.sliced_wasserstein_distance(la, lb, n_projections=L, p=2, seed=0)

        def pot_emd():
            la, lb = vech(logm(A)), vech(logm(B))
            M = ot.dist(la, lb)  # squared Euclidean = squared log-Euclidean distance
            return np.sqrt(ot.emd2(np.full(n, 1 / n), np.full(n, 1 / n), M, numItermax=10 ** 7))

        t_sw, v_sw = best_of(pot_sw)
        t_emd, v_emd = best_of(pot_emd, repeats=1)
        rows.append(["POT sliced_wasserstein_distance on vech(log X), L=200 (uniform "
                     "directions in R^36)", _fmt(t_sw), _fmt(t_sw / t_le), f"{v_sw:.4f}"])
        rows.append(["POT emd2, exact W_2 with log-Euclidean cost", _fmt(t_emd),
                     _fmt(t_emd / t_le), f"{v_emd:.4f}"])
    else:
        rows.append(["POT", "not installed", "", ""])
    text = table(["method", "time (s)", "time / SPDSW time", "value"], rows)
    text += (f"\n\n{n} vs {n} Wishart {d}x{d} matrices (second set scaled by 1.5). Times include "
             "the matrix logarithms for every method. The std of SPDSW_2 over 10 projection "
             f"draws is {spread:.4f}. The values are different quantities: SPDSW slices with "
             "A = P diag(theta) P^T (theta on the sphere of R^8), POT's SW with uniform "
             "directions of R^36, and emd2 is the unsliced W_2; sliced distances are smaller "
             "than W_2 by a dimension-dependent factor.")
    return text, {"t_le": t_le, "t_emd": t_emd if ot else None, "t_sw": t_sw if ot else None}


def section_kernel(quick):
    n_sets, n_mat, d, L = (30, 50, 22, 100) if quick else (200, 100, 22, 200)
    rng = np.random.RandomState(1)
    scales = np.exp(0.3 * rng.standard_normal(n_sets))
    X = np.stack([_wishart(rng, n_mat, d, dof=2 * d) * s for s in scales])
    rows = []
    t_k, K = best_of(lambda: SPDSWKernel(gamma=1.0, n_projections=L, random_state=0)
                     .fit_transform(X), repeats=2)
    rows.append([f"skstruct SPDSWKernel (exact SPDSW_2, L={L})", _fmt(t_k), "1", "exact"])
    if ot is not None:
        logs = [vech(logm(x)) for x in X]
        n_pairs_total = n_sets * (n_sets - 1) // 2
        budget = min(n_pairs_total, 60 if quick else 400)
        pairs = [(i, j) for i in range(n_sets) for j in range(i + 1, n_sets)][:budget]
        t0 = time.perf_counter()
        for i, j in pairs:
            ot.sliced_wasserstein_distance(logs[i], logs[j], n_projections=L, seed=0)
        t_pairs = (time.perf_counter() - t0) * n_pairs_total / len(pairs)
        note = "" if len(pairs) == n_pairs_total else f" (timed {len(pairs)} pairs, scaled)"
        rows.append([f"POT sliced_wasserstein_distance per pair on vech(log X), L={L}{note}",
                     _fmt(t_pairs), _fmt(t_pairs / t_k), "per-pair projections"])
    if TangentSpace is not None:
        def riemann():
            means = np.stack([mean_riemann(x) for x in X])
            T = TangentSpace(metric="riemann").fit_transform(means)
            sq = ((T[:, None] - T[None]) ** 2).sum(-1)
            return np.exp(-sq)

        t_r, _ = best_of(riemann, repeats=1)
        rows.append(["pyriemann mean_riemann per set + TangentSpace + RBF", _fmt(t_r),
                     _fmt(t_r / t_k), "sees only each set's mean"])
    else:
        rows.append(["pyriemann", "not installed", "", ""])
    text = table(["method", "time (s)", "time / skstruct time", "note"], rows)
    text += (f"\n\n{n_sets} distributions of {n_mat} {d}x{d} matrices; the Gram matrix is "
             f"{n_sets}x{n_sets}. skstruct projects and sorts each set once "
             "(cost linear in the number of sets) and forms the Gram matrix with one GEMM.")
    return text


def section_variance(quick):
    R = 60 if quick else 200
    X, y = make_spd_distributions(n_distributions=40, n_matrices=50, n_channels=8,
                                  random_state=3)
    order = np.argsort(y)
    pairs = {"far targets (mean and spread differ)": (order[0], order[-1]),
             "close targets": (order[19], order[20])}
    rows = []
    for label, (i, j) in pairs.items():
        for L in (10, 50, 200):
            est = {}
            for name, kw in [("mc", {}), ("lower", {"estimator": "cv", "control_variate": "lower"}),
                             ("upper", {"estimator": "cv", "control_variate": "upper"})]:
                est[name] = np.array([spd_sliced_wasserstein(X[i], X[j], n_projections=L,
                                                             random_state=s, **kw) ** 2
                                      for s in range(R)])
            rows.append([label, L, _fmt(est["mc"].var() / est["lower"].var()),
                         _fmt(est["mc"].var() / est["upper"].var()),
                         f"{est['mc'].mean():.4f} / {est['upper'].mean():.4f}"])
    text = table(["pair", "L", "var(MC) / var(CV lower)", "var(MC) / var(CV upper)",
                  "mean SPDSW_2^2 MC / CV upper"], rows)
    text += (f"\n\nVariances of the estimate of SPDSW_2^2 over {R} projection draws, two "
             "distributions of 50 8x8 matrices from make_spd_distributions. The control "
             "variates use a leave-one-out coefficient, so their mean is that of MC.")
    return text


def section_regression(quick):
    n_dist, n_mat = (60, 30) if quick else (200, 50)
    cv = KFold(5, shuffle=True, random_state=0)
    rows = []
    settings = [("target moves centre and spread", {}),
                ("target moves centre only", {"spread_drift": 0.0, "mean_drift": 0.3})]
    for label, kw in settings:
        X, y = make_spd_distributions(n_distributions=n_dist, n_matrices=n_mat, n_channels=8,
                                      random_state=4, **kw)
        dummy = np.mean(np.abs(y - y.mean()))

        def spdsw():
            # the embedding is data-independent (random directions fixed by the seed),
            # so it can be computed once; the kernel ridge is tuned inside each fold
            F = SPDSWEmbedding(n_projections=100, n_quantiles=20, random_state=0).fit_transform(X)
            grid = GridSearchCV(KernelRidge(kernel="rbf"),
                                {"gamma": np.logspace(-2, 1, 5), "alpha": np.logspace(-3, 0, 3)},
                                cv=3, scoring="neg_mean_absolute_error")
            return cross_val_predict(grid, F, y, cv=cv)

        t_s, p_s = best_of(spdsw, repeats=1)
        mae_s = np.mean(np.abs(p_s - y))
        row = [label, f"{mae_s:.2f}", _fmt(t_s)]
        if TangentSpace is not None:
            def tangent():
                means = np.stack([mean_riemann(x) for x in X])
                pipe = make_pipeline(TangentSpace(metric="riemann"),
                                     RidgeCV(alphas=np.logspace(-3, 3, 13)))
                return cross_val_predict(pipe, means, y, cv=cv)

            t_t, p_t = best_of(tangent, repeats=1)
            mae_t = np.mean(np.abs(p_t - y))
            row += [f"{mae_t:.2f}", _fmt(t_t)]
        else:
            row += ["not installed", ""]
        rows.append(row + [f"{dummy:.2f}"])
    text = table(["data", "MAE SPDSW kernel ridge", "time (s)",
                  "MAE pyriemann tangent space + Ridge", "time (s)", "MAE predicting the mean"],
                 rows)
    text += (f"\n\n{n_dist} distributions of {n_mat} 8x8 matrices, targets in [20, 80], 5-fold "
             "CV. SPDSW: SPDSWEmbedding (L=100, 20 quantiles) + KernelRidge(rbf) tuned by "
             "GridSearchCV (the RBF kernel on the embedding is the Gaussian SPDSW kernel). "
             "Tangent space: Riemannian mean of each set, TangentSpace, RidgeCV.")
    return text


def main(quick=False):
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    t0 = time.perf_counter()
    # one BLAS thread for every method: on this shared, loaded machine OpenBLAS's
    # spinning threads made small GEMMs ~10x slower (49 s vs 5 s for section 4)
    with threadpool_limits(limits=1, user_api="blas"):
        s1, _ = section_distance(quick)
        s2 = section_kernel(quick)
        s3 = section_variance(quick)
        s4 = section_regression(quick)
    sections = [
        ("1. One distance: 1000 vs 1000 8x8 matrices" if not quick
         else "1. One distance: 300 vs 300 8x8 matrices (quick)", s1),
        ("2. Kernel matrix over many distributions", s2),
        ("3. Control variates: variance-reduction factor at equal projections", s3),
        ("4. Brain-age-style regression", s4),
        ("Notes", "The machine is shared with other jobs (2 cores): timings are noisy, "
                  "every method ran with one BLAS thread (threadpoolctl), "
                  f"compare ratios within this run. Total benchmark time "
                  f"{time.perf_counter() - t0:.0f} s."),
    ]
    write_results(FAMILY, "SPD sliced-Wasserstein against POT and pyriemann", sections, quick)


if __name__ == "__main__":
    import sys

    main(quick="--quick" in sys.argv)
