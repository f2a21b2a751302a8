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
5. HSPDSW (affine-invariant) against SPDSW (log-Euclidean) time at equal projections.
6. Domain adaptation (issue 17): cross-session and cross-subject shifts made with
   ``make_meeg_signals``; target accuracy (MDM, tangent space + logistic regression) and
   time of SPDSWAlignment against no adaptation, pyriemann's TLCenter and Riemannian
   Procrustes (TLCenter + TLScale + TLRotate, with labelled target trials), the same
   congruence fitted on the exact Wasserstein loss (POT emd) and POT's EMD barycentric map.
7. Multi-band kernel: sum of per-band SPDSW kernels against one band, brain-age task.
8. A real recording: the two 14-channel EEG segments bundled with spkit
   (``load_phyaat_eeg``) as two sessions; distances after each alignment on unseen halves,
   and HSPDSW against SPDSW time on their covariances.

Timings on a shared, loaded machine are noisy: best of repeats, compare within a run.
Run ``python benchmarks/run.py [--quick] spd_sliced_wasserstein``, or
``python benchmarks/bench_spd_sliced_wasserstein.py [--quick] [--only 1,5,8]`` to rerun some
sections and keep the others from the existing results file.
"""

import sys
import time
import warnings

import numpy as np
from _common import RESULTS, best_of, table, write_results
from scipy.signal import butter, sosfiltfilt
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import GridSearchCV, KFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from skstruct._backend._spd import expm, invsqrtm, logm, sqrtm, unvech, vech
from skstruct.datasets import load_phyaat_eeg, make_meeg_signals, make_spd_distributions
from skstruct.spd import (
    Covariances,
    SPDSWAlignment,
    SPDSWEmbedding,
    SPDSWKernel,
    spd_sliced_wasserstein,
)

FAMILY = "spd_sliced_wasserstein"

try:
    import ot
except ImportError:  # pragma: no cover
    ot = None
try:
    from pyriemann.classification import MDM
    from pyriemann.geometry.mean import mean_riemann
    from pyriemann.tangentspace import TangentSpace
    from pyriemann.transfer import TLCenter, TLRotate, TLScale, encode_domains
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
    # warm-up: the first HSPDSW call of a process loads (or compiles) the numba pivot loop
    spd_sliced_wasserstein(A[:3], B[:3], n_projections=2, metric="affine-invariant")
    t_ai, v_ai = best_of(lambda: spd_sliced_wasserstein(A, B, n_projections=L, random_state=0,
                                                        metric="affine-invariant"), repeats=3)
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


def section_hspdsw(quick):
    rows = []
    L = 200
    cases = [(300, 8), (300, 16)] if quick else [(1000, 8), (1000, 12), (1000, 16), (1000, 32)]
    rng = np.random.RandomState(5)
    for n, d in cases:
        A, B = _wishart(rng, n, d), 1.5 * _wishart(rng, n, d)
        t_le, v_le = best_of(lambda: spd_sliced_wasserstein(A, B, n_projections=L,
                                                            random_state=0), repeats=5)
        t_ai, v_ai = best_of(lambda: spd_sliced_wasserstein(A, B, n_projections=L, random_state=0,
                                                            metric="affine-invariant"), repeats=3)
        rows.append([f"{n} vs {n}, {d}x{d}", _fmt(t_le), _fmt(t_ai), _fmt(t_ai / t_le),
                     f"{v_le:.4f} / {v_ai:.4f}"])
    text = table(["sets", "SPDSW time (s)", "HSPDSW time (s)", "HSPDSW / SPDSW",
                  "values SPDSW / HSPDSW"], rows)
    text += (f"\n\nL={L} directions, Wishart matrices (second set scaled by 1.5), one BLAS "
             "thread, times include validation. HSPDSW forms the half-size blocks of "
             "P^T X P and P^T X^-1 P (Jacobi's complementary minors) for chunks of directions "
             "and of 256 matrices: one GEMM of the half-vectorized matrices with per-direction "
             "linear maps for n <= 16, two GEMMs above; a compiled LDL loop vectorized over "
             "the matrices takes the pivots. It stays O(n^3) or more per matrix and direction "
             "(the pivots depend on each direction's frame), against O(n^2) for SPDSW once "
             "the logarithms are known. The previous implementation (a scalar pivot loop; "
             "explicit congruences and LAPACK Cholesky above n = 16) measured 4.6, 5.7 and "
             "6.8 times SPDSW at n = 8, 12 and 16 in the previous run of this benchmark, and "
             "24 to 37 times at n = 32 against 8.3 to 11 for this one in runs that alternated "
             "the two in one process (best of 3, loaded machine); the values agree to 1e-15.")
    return text


def _meeg_domain(seed, mixing, shift, n_trials):
    X, y = make_meeg_signals(n_trials=n_trials, n_channels=6, n_times=128, freq_shift=0.1,
                             noise=0.5, random_state=seed, mixing_random_state=mixing,
                             session_shift=shift)
    return Covariances(estimator="oas", order=2, lag=3).fit_transform(X), y


def section_domain_adaptation(quick):
    if TangentSpace is None or ot is None:
        return "pyriemann or POT not installed."
    n_pairs, n_trials = (1, 100) if quick else (3, 200)
    classifiers = {
        "MDM": lambda: MDM(),
        "TS+LR": lambda: make_pipeline(TangentSpace(), LogisticRegression(max_iter=1000)),
    }
    methods = ["no adaptation", "pyriemann TLCenter", "pyriemann RPA (20% target labels)",
               "SPDSWAlignment (SPDSW, L=200)", "congruence on exact W_2 (POT emd)",
               "POT EMDTransport barycentric map (log space)"]
    rows = []
    for kind in ("cross-session", "cross-subject"):
        acc = {(m, c): [] for m in methods for c in classifiers}
        times = {m: [] for m in methods}
        for pair in range(n_pairs):
            if kind == "cross-session":  # one subject (mixing), two sessions
                Xs, ys = _meeg_domain(10 * pair + 1, pair, 0.6, n_trials)
                Xt, yt = _meeg_domain(10 * pair + 2, pair, 0.6, n_trials)
            else:  # two subjects
                Xs, ys = _meeg_domain(10 * pair + 1, 100 + pair, 0.0, n_trials)
                Xt, yt = _meeg_domain(10 * pair + 2, 200 + pair, 0.0, n_trials)
            n_cal = n_trials // 5  # RPA's rotation needs labelled target trials
            test = slice(n_cal, None)  # every method is scored on the same target trials
            aligned = {}
            t0 = time.perf_counter()
            aligned["no adaptation"] = Xs, Xt
            times["no adaptation"].append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            Xe, ye = encode_domains(np.concatenate([Xs, Xt]), np.concatenate([ys, yt]),
                                    np.array(["src"] * len(Xs) + ["tgt"] * len(Xt)))
            Z = TLCenter(target_domain="tgt").fit_transform(Xe, ye)
            aligned["pyriemann TLCenter"] = Z[:len(Xs)], Z[len(Xs):]
            times["pyriemann TLCenter"].append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            Xe, ye = encode_domains(np.concatenate([Xs, Xt[:n_cal]]),
                                    np.concatenate([ys, yt[:n_cal]]),
                                    np.array(["src"] * len(Xs) + ["tgt"] * n_cal))
            rpa = make_pipeline(TLCenter(target_domain="tgt"), TLScale(target_domain="tgt"),
                                TLRotate(target_domain="tgt"))
            Z = rpa.fit_transform(Xe, ye)
            aligned["pyriemann RPA (20% target labels)"] = Z[:len(Xs)], \
                np.concatenate([Z[len(Xs):], rpa.transform(Xt[n_cal:])])
            times["pyriemann RPA (20% target labels)"].append(time.perf_counter() - t0)

            for name, loss in [("SPDSWAlignment (SPDSW, L=200)", "spdsw"),
                               ("congruence on exact W_2 (POT emd)", "wasserstein")]:
                t0 = time.perf_counter()
                al = SPDSWAlignment(loss=loss, n_projections=200, random_state=0)
                aligned[name] = al.fit_transform(Xs, X_target=Xt), Xt
                times[name].append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            ls, lt = vech(logm(Xs)), vech(logm(Xt))
            mapped = ot.da.EMDTransport().fit(Xs=ls, Xt=lt).transform(Xs=ls)
            aligned["POT EMDTransport barycentric map (log space)"] = \
                expm(unvech(mapped, Xs.shape[1])), Xt
            times["POT EMDTransport barycentric map (log space)"].append(time.perf_counter() - t0)

            for m, (Zs, Zt) in aligned.items():
                for c, make in classifiers.items():
                    acc[(m, c)].append(make().fit(Zs, ys).score(Zt[test], yt[test]))
        for m in methods:
            rows.append([kind, m] + [f"{np.mean(acc[(m, c)]):.3f}" for c in classifiers]
                        + [_fmt(np.mean(times[m]))])
    text = table(["shift", "adaptation", "target accuracy MDM", "target accuracy TS+LR",
                  "adaptation time (s)"], rows)
    text += (f"\n\nMean over {n_pairs} source/target pairs of {n_trials} trials each "
             "(make_meeg_signals: 6 channels, 128 samples, freq_shift=0.1, noise=0.5), "
             "augmented covariances (order 2, lag 3: 12x12, OAS). Cross-session: same mixing "
             "matrix, two sessions with session_shift=0.6; cross-subject: two mixing matrices. "
             "Classifiers are trained on the (aligned) labelled source and scored on the last "
             f"{n_trials - n_trials // 5} target trials; the unsupervised methods see every "
             "target trial unlabelled, RPA also the labels of the first 20% (its rotation "
             "matches class means). SPDSWAlignment and the exact-W_2 congruence start from "
             "the log-Euclidean re-centering and run L-BFGS (max_iter=100). TLCenter is "
             "Riemannian re-centering of both domains to the identity.")
    return text


def section_multiband(quick):
    n_dist, n_mat, n_bands = (60, 20, 3) if quick else (100, 30, 3)
    X, y = make_spd_distributions(n_distributions=n_dist, n_matrices=n_mat, n_channels=6,
                                  n_bands=n_bands, subject_noise=0.4, random_state=6)
    cv = KFold(5, shuffle=True, random_state=0)
    dummy = np.mean(np.abs(y - y.mean()))
    gammas = [0.3, 1.0, 3.0]
    rows = []

    def run(data, grid):
        pipe = make_pipeline(SPDSWKernel(n_projections=50, n_quantiles=20, random_state=0),
                             KernelRidge(kernel="precomputed"))
        search = GridSearchCV(pipe, {"spdswkernel__gamma": grid,
                                     "kernelridge__alpha": [1e-2, 1e-1, 1.0]},
                              cv=3, scoring="neg_mean_absolute_error")
        return cross_val_predict(search, data, y, cv=cv)

    for b in range(n_bands):
        t, pred = best_of(lambda: run(X[:, b], gammas), repeats=1)
        rows.append([f"band {b} alone", f"{np.mean(np.abs(pred - y)):.2f}", _fmt(t)])
    t, pred = best_of(lambda: run(X, gammas), repeats=1)
    rows.append(["sum of band kernels, one shared gamma", f"{np.mean(np.abs(pred - y)):.2f}",
                 _fmt(t)])
    per_band = [tuple(g) for g in np.array(np.meshgrid(*[[0.3, 3.0]] * n_bands)).T.reshape(-1,
                                                                                         n_bands)]
    t, pred = best_of(lambda: run(X, per_band), repeats=1)
    rows.append([f"sum of band kernels, per-band gamma ({len(per_band)} tuples)",
                 f"{np.mean(np.abs(pred - y)):.2f}", _fmt(t)])
    text = table(["kernel", "MAE", "time (s)"], rows)
    text += (f"\n\n{n_dist} distributions, {n_bands} bands of {n_mat} 6x6 matrices each "
             "(make_spd_distributions(n_bands=3, subject_noise=0.4): every band has its own "
             "mixing, spectral profile and noise, all driven by the target); targets in "
             f"[20, 80], MAE of predicting the mean {dummy:.2f}. SPDSWKernel (L=50, 20 "
             "quantiles) + KernelRidge(precomputed), gamma and alpha tuned by GridSearchCV "
             "inside each of 5 outer folds.")
    return text


def _eeg_halves(recording, sos):
    """Covariances of 1-s windows (every 0.25 s) of a bundled segment, first and second half."""
    x = sosfiltfilt(sos, load_phyaat_eeg(recording).data, axis=1)
    starts = np.arange(0, x.shape[1] - 128 + 1, 32)
    C = Covariances(estimator="oas").fit_transform(np.stack([x[:, s:s + 128] for s in starts]))
    mid = x.shape[1] // 2
    return C[starts + 128 <= mid], C[starts >= mid]


def section_real_eeg(quick):
    try:
        sos = butter(4, [1.0, 30.0], btype="band", fs=128.0, output="sos")
        (Cs_fit, Cs_new), (Ct_fit, Ct_new) = _eeg_halves(0, sos), _eeg_halves(1, sos)
    except ImportError:
        return "spkit (which ships the recording) is not installed."

    def dist(A, B, metric):
        return spd_sliced_wasserstein(A, B, metric=metric, n_projections=500, random_state=7)

    maps = {"no alignment": (lambda: None, lambda C, g: C)}
    maps["log-Euclidean re-centering (SPDSWAlignment max_iter=0)"] = (
        lambda: SPDSWAlignment(max_iter=0).fit(Cs_fit, X_target=Ct_fit),
        lambda C, g: g.align(C))
    maps["SPDSWAlignment (SPDSW, L=200)"] = (
        lambda: SPDSWAlignment(n_projections=200, random_state=0).fit(Cs_fit, X_target=Ct_fit),
        lambda C, g: g.align(C))
    maps["congruence on exact W_2 (POT emd)"] = (
        lambda: SPDSWAlignment(loss="wasserstein").fit(Cs_fit, X_target=Ct_fit),
        lambda C, g: g.align(C))
    if TangentSpace is not None:
        def riemann():
            return sqrtm(mean_riemann(Ct_fit)) @ invsqrtm(mean_riemann(Cs_fit))
        maps["Riemannian re-centering onto the target mean (pyriemann mean_riemann)"] = (
            riemann, lambda C, G: G @ C @ G.T)
    rows = []
    for name, (fit, apply) in maps.items():
        t, g = best_of(fit, repeats=1 if quick else 3)
        moved = apply(Cs_new, g)
        rows.append([name, f"{dist(moved, Ct_new, 'log-euclidean'):.3f}",
                     f"{dist(moved, Ct_new, 'affine-invariant'):.3f}",
                     "" if name == "no alignment" else _fmt(t)])
    for name, (A, B) in [("source: its own two halves", (Cs_fit, Cs_new)),
                         ("target: its own two halves", (Ct_fit, Ct_new))]:
        rows.append([name, f"{dist(A, B, 'log-euclidean'):.3f}",
                     f"{dist(A, B, 'affine-invariant'):.3f}", ""])
    text = table(["map fitted on the first halves", "SPDSW to the target (unseen halves)",
                  "HSPDSW", "fit time (s)"], rows)
    A, B = np.concatenate([Cs_fit, Cs_new]), np.concatenate([Ct_fit, Ct_new])
    t_le, _ = best_of(lambda: spd_sliced_wasserstein(A, B, n_projections=200, random_state=0),
                      repeats=5)
    t_ai, _ = best_of(lambda: spd_sliced_wasserstein(A, B, n_projections=200, random_state=0,
                                                     metric="affine-invariant"), repeats=5)
    text += (f"\n\nspkit's two 16-s segments of 14-channel Emotiv EEG (PhyAAt, 128 Hz), read by "
             "load_phyaat_eeg from the installed wheel: segment 0 is the source, segment 1 the "
             "target. Band-pass 1-30 Hz, OAS covariances of 1-s windows every 0.25 s "
             f"({len(Cs_fit)} per half; windows do not straddle the middle). Every map is "
             "fitted on the first halves and applied to the source's second half; distances "
             "use 500 fresh directions. No labels ship with the segments, so no accuracy. "
             f"SPDSW vs HSPDSW on all {len(A)} vs {len(B)} 14x14 covariances, L=200: "
             f"{_fmt(t_le)} s vs {_fmt(t_ai)} s ({_fmt(t_ai / t_le)}x).")
    return text


def _previous_sections(quick):
    """(heading, text) of the existing results file, to keep sections not rerun."""
    path = RESULTS / (f"{FAMILY}_quick.md" if quick else f"{FAMILY}.md")
    if not path.exists():
        return {}
    out = {}
    for block in path.read_text().split("\n## ")[1:]:
        heading, _, text = block.partition("\n")
        out[heading.strip()] = text.strip()
    return out


def main(quick=False, only=None):
    """Run every section, or those numbered in ``only`` (keeping the others' previous text)."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    t0 = time.perf_counter()
    headings = [
        "1. One distance: 1000 vs 1000 8x8 matrices" if not quick
        else "1. One distance: 300 vs 300 8x8 matrices (quick)",
        "2. Kernel matrix over many distributions",
        "3. Control variates: variance-reduction factor at equal projections",
        "4. Brain-age-style regression",
        "5. HSPDSW against SPDSW at equal projections",
        "6. Domain adaptation: target accuracy and time",
        "7. Multi-band kernel against one band",
        "8. A real recording: two EEG segments bundled with spkit",
    ]
    runs = [lambda q: section_distance(q)[0], section_kernel, section_variance,
            section_regression, section_hspdsw, section_domain_adaptation, section_multiband,
            section_real_eeg]
    previous = _previous_sections(quick) if only else {}
    sections = []
    # one BLAS thread for every method: on this shared, loaded machine OpenBLAS's
    # spinning threads made small GEMMs ~10x slower (49 s vs 5 s for section 4)
    with threadpool_limits(limits=1, user_api="blas"):
        for i, (heading, run) in enumerate(zip(headings, runs), start=1):
            if only and i not in only:
                if heading in previous:
                    sections.append((heading, previous[heading]))
                continue
            sections.append((heading, run(quick)))
    rerun = "" if not only else (f" This run measured sections {sorted(only)} only; the "
                                 "others are kept from the previous run.")
    sections.append(("Notes", "The machine is shared with other jobs (2 cores): timings are "
                              "noisy, every method ran with one BLAS thread (threadpoolctl), "
                              "compare ratios within this run. Total benchmark time "
                              f"{time.perf_counter() - t0:.0f} s." + rerun))
    write_results(FAMILY, "SPD sliced-Wasserstein against POT and pyriemann", sections, quick)


if __name__ == "__main__":
    only = None
    if "--only" in sys.argv:
        only = {int(i) for i in sys.argv[sys.argv.index("--only") + 1].split(",")}
    main(quick="--quick" in sys.argv, only=only)
