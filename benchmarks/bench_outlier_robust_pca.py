"""Benchmark: OutlierRobustPCA against PCA, MinCovDet + PCA and RobustPCA (PCP).

Data: Gaussian inliers N(0, diag(25, 4, 1, ..., 1)) (true top axis e_0) with an
eps fraction replaced by outliers. Quality: the angle between the first
component and e_0, and the captured inlier variance u^T S u / ||S||.

Sections:
1. Adversaries (issue 14): dense moderate outliers, tilting outliers, small
   clusters, heavy-tailed inliers, outliers first in the stream; energy
   ratio v^T S v / ||S|| and time for the batch fit, the stream (10 chunks
   and one row at a time), sklearn PCA and MinCovDet; rows seen until the
   first fitted estimate.
2. All methods on the same contaminated data (issue goal at n=10000, d=200,
   eps=0.1: >= 50x faster than MinCovDet + PCA with angle <= 3 degrees).
3. Time against n at d=200 (batch fit, and partial_fit over chunks for the
   stream; the largest size only streams, generating the chunks on the fly).

Run ``python benchmarks/run.py [--quick] outlier_robust_pca``.
"""

import time
import warnings

import numpy as np
from _common import best_of, table, write_results
from sklearn.covariance import MinCovDet
from sklearn.exceptions import ConvergenceWarning
from sklearn.decomposition import PCA

from skstruct.decomposition import OutlierRobustPCA, RobustPCA

FAMILY = "outlier_robust_pca"


def spectrum(d):
    return np.r_[25.0, 4.0, np.ones(d - 2)]


def contaminated_chunk(n, d, eps, rng, strategy="mixed"):
    """n rows: inliers N(0, diag(spectrum)) with a fraction eps of outliers.

    "mixed" splits the outliers in three groups: a cluster far along the
    last (low-variance) axis, points inflating the second axis, and
    Gaussian-shaped points in a random low-variance 3-D subspace; each group
    alone is strong enough to move PCA's first axis.
    """
    lam = spectrum(d)
    X = rng.standard_normal((n, d)) * np.sqrt(lam)
    m = int(round(eps * n))
    big = np.sqrt(3 * lam[0] / eps)
    groups = np.array_split(rng.permutation(n)[:m], 3)
    g0, g1, g2 = groups
    X[g0] = 0.1 * rng.standard_normal((g0.size, d))
    X[g0, -1] = rng.choice([-1.0, 1.0], g0.size) * big * np.sqrt(3)
    X[g1, 1] = rng.choice([-1.0, 1.0], g1.size) * big * np.sqrt(3)
    X[g1, 0] = 0.5 * rng.standard_normal(g1.size)
    Q = np.linalg.qr(rng.standard_normal((d - 2, 3)))[0]
    X[g2] = 0.0
    X[g2, 2:] = (rng.standard_normal((g2.size, 3)) * big * np.sqrt(2)) @ Q.T
    return X


def angle_and_energy(u, d):
    u = np.asarray(u, dtype=np.float64).ravel()
    u = u / np.linalg.norm(u)
    lam = spectrum(d)
    ang = float(np.degrees(np.arccos(min(1.0, abs(u[0])))))
    return ang, float((u ** 2) @ lam / lam.max())


def adversary(kind, n, d, rng):
    """Inliers N(0, diag(4, 1, ..., 1)) (t3 with that covariance for "heavy") and outliers.

    Outliers are in the first rows (the "first" stream feeds them first; the
    other streams are shuffled). Returns X, eps and the inlier covariance.
    """
    S = np.r_[4.0, np.ones(d - 1)]
    if kind == "heavy":
        chi = rng.chisquare(3, n) / 3.0
        X = rng.standard_normal((n, d)) / np.sqrt(chi)[:, None] * np.sqrt(S / 3.0)
    else:
        X = rng.standard_normal((n, d)) * np.sqrt(S)
    if kind in ("dense 20% at 4 sd", "outliers first", "dense 25% at 3.5 sd"):
        eps, at = (0.25, 3.5) if kind.startswith("dense 25") else (0.2, 4.0)
        m = int(eps * n)
        X[:m, 0] *= 0.5
        X[:m, -1] = rng.choice([-1.0, 1.0], m) * at
    elif kind == "tilting":
        eps = 0.2
        m = int(eps * n)
        sign = rng.choice([-1.0, 1.0], m)
        X[:m] = 0.3 * rng.standard_normal((m, d))
        X[:m, 0] += 2.0 * sign
        X[:m, 1] += 4.0 * sign
    elif kind == "small clusters":
        eps = 0.09
        m = int(eps * n)
        for c, idx in enumerate(np.array_split(np.arange(m), 3)):
            X[idx] = 0.05 * rng.standard_normal((idx.size, d))
            X[idx, 2 + c] = 12.0
    elif kind == "heavy":
        eps = 0.1
        m = int(eps * n)
        X[:m] = 0.1 * rng.standard_normal((m, d))
        X[:m, -1] = rng.choice([-1.0, 1.0], m) * 8.0
    else:
        eps = 0.1
    return X, eps, S


def energy_of(u, S):
    u = np.asarray(u, dtype=np.float64).ravel()
    u = u / np.linalg.norm(u)
    return float((u ** 2) @ S / S.max())


def section_adversaries(n, d, quick):
    kinds = ["clean", "dense 20% at 4 sd", "dense 25% at 3.5 sd", "tilting", "small clusters",
             "heavy", "outliers first"]
    rows = []
    for kind in kinds:
        X, eps, S = adversary(kind, n, d, np.random.default_rng(0))
        Xs = X if kind == "outliers first" else X[np.random.default_rng(1).permutation(n)]
        floor = 1.0 - eps * np.log(1.0 / eps)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t_b, est = best_of(
                lambda: OutlierRobustPCA(contamination=eps, random_state=0).fit(X), 3)

            def stream(chunk):
                s = OutlierRobustPCA(contamination=eps, random_state=0)
                for start in range(0, n, chunk):
                    s.partial_fit(Xs[start:start + chunk])
                return s

            t_10, s10 = best_of(lambda: stream(n // 10), 2)
            t_1, s1 = best_of(lambda: stream(1), 1)
            first = OutlierRobustPCA(contamination=eps, random_state=0).partial_fit(Xs[:1])
            first_rows = first.n_samples_seen_ if hasattr(first, "components_") else "never"
        t_p, pca = best_of(lambda: PCA(1).fit(X), 3)
        t_m, u_m = best_of(lambda: mcd_pca(X, 0), 1)
        rows.append([
            kind, f"{eps:.2f}", f"{floor:.3f}",
            f"{energy_of(est.components_[0], S):.3f} ({t_b:.3f} s)",
            f"{energy_of(s10.components_[0], S):.3f} ({t_10:.3f} s)",
            f"{energy_of(s1.components_[0], S):.3f} ({1e6 * t_1 / n:.0f} us/row)",
            f"{energy_of(pca.components_[0], S):.3f} ({t_p:.3f} s)",
            f"{energy_of(u_m, S):.3f} ({t_m:.2f} s)",
            str(first_rows), "yes" if est.converged_ else "no",
        ])
    header = ["adversary", "eps", "1 - eps log(1/eps)", "fit", "stream, 10 chunks",
              "stream, one row", "sklearn PCA", "MinCovDet + eigh", "rows to first fit",
              "fit certified"]
    note = (f"n={n}, d={d}; inlier covariance S = diag(4, 1, ..., 1); energy ratio "
            "v^T S v / ||S|| (1 is the inlier top axis; the adversaries put PCA at 0.25-0.64); "
            "contamination set to the true outlier fraction. Streams are shuffled except "
            "'outliers first', which feeds every outlier before the first inlier. Times: "
            "best of 3 (fit, PCA), 2 (10 chunks), 1 (one row, MinCovDet). Before this change "
            "(main at 868a9ac, same adversaries at n=10000, d=20, measured separately): fit "
            "0.999 clean, 0.253 dense 20%, 0.250 dense 25%, 0.628 tilting, 0.999 small "
            "clusters, 0.999 heavy; the stream (10 chunks of 1000 rows) was never fitted (its "
            "schedule needed about 14k rows at d=20), and a one-row stream raised for d <= 9.")
    return table(header, rows) + "\n\n" + note


def mcd_pca(X, seed):
    mcd = MinCovDet(random_state=seed).fit(X)
    vals, vecs = np.linalg.eigh(mcd.covariance_)
    return vecs[:, -1]


def section_methods(n, d, eps, quick):
    rng = np.random.default_rng(0)
    X = contaminated_chunk(n, d, eps, rng)
    rows = []

    t_ours, est = best_of(lambda: OutlierRobustPCA(contamination=eps, random_state=0).fit(X), 3)
    a_ours, e_ours = angle_and_energy(est.components_[0], d)
    rows.append(["OutlierRobustPCA (skstruct)", f"{t_ours:.3f}", "1.0", f"{a_ours:.2f}",
                 f"{e_ours:.4f}", f"{est.n_iter_} filter rounds"])

    t, pca = best_of(lambda: PCA(1, random_state=0).fit(X), 3)
    a, e = angle_and_energy(pca.components_[0], d)
    rows.append(["sklearn PCA", f"{t:.3f}", f"{t / t_ours:.2f}", f"{a:.2f}", f"{e:.4f}", ""])

    t, u = best_of(lambda: mcd_pca(X, 0), 1)
    a_mcd, e = angle_and_energy(u, d)
    ratio_mcd = t / t_ours
    rows.append(["MinCovDet + eigh (sklearn)", f"{t:.3f}", f"{ratio_mcd:.1f}", f"{a_mcd:.2f}",
                 f"{e:.4f}", "run once"])

    # PCP models entry-wise sparse errors, not outlying rows; it is slow here,
    # so it is capped (a ConvergenceWarning is expected and silenced).
    pcp_iter = 10 if quick else 15
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t, rp = best_of(
            lambda: RobustPCA(n_components=1, random_state=0, max_iter=pcp_iter).fit(X), 1)
    a, e = angle_and_energy(rp.components_[0], d)
    rows.append(["RobustPCA / PCP (skstruct)", f"{t:.3f}", f"{t / t_ours:.1f}", f"{a:.2f}",
                 f"{e:.4f}", f"{rp.n_iter_} iterations (capped), run once"])

    goal = (f"Goal (n=10000, d=200, eps=0.1): >= 50x faster than MinCovDet with angle <= 3 deg. "
            f"Measured here (n={n}, d={d}, eps={eps}): {ratio_mcd:.1f}x, angle {a_ours:.2f} deg "
            f"(MinCovDet {a_mcd:.2f} deg): "
            + ("met." if (ratio_mcd >= 50 and a_ours <= 3) else "not met at this size."))
    header = ["method", "time (s)", "time / ours", "angle to e_0 (deg)",
              "captured variance", "note"]
    return table(header, rows) + "\n\n" + goal


def section_scaling(d, sizes_batch, sizes_stream, chunk, eps):
    rows = []
    for n in sizes_batch:
        X = contaminated_chunk(n, d, eps, np.random.default_rng(n))
        t, est = best_of(lambda: OutlierRobustPCA(contamination=eps, random_state=0).fit(X), 2)
        a, _ = angle_and_energy(est.components_[0], d)
        rows.append([f"{n:,}", "fit (batch)", f"{t:.2f}", f"{1e6 * t / n:.2f}", f"{a:.2f}",
                     f"{est.n_iter_} rounds"])
        del X
    for n in sizes_stream:
        rng = np.random.default_rng(n + 1)
        est = OutlierRobustPCA(contamination=eps, random_state=0)
        spent = 0.0
        for start in range(0, n, chunk):
            Xc = contaminated_chunk(min(chunk, n - start), d, eps, rng)
            t0 = time.perf_counter()
            est.partial_fit(Xc)
            spent += time.perf_counter() - t0
        a, _ = angle_and_energy(est.components_[0], d)
        rows.append([f"{n:,}", f"partial_fit ({chunk:,}-row chunks)", f"{spent:.2f}",
                     f"{1e6 * spent / n:.2f}", f"{a:.2f}",
                     f"{est.n_iter_} rounds in the last refit, certified: {est.converged_}"])
    header = ["n", "mode", "time (s)", "us / sample", "angle (deg)", "note"]
    note = ("Stream times exclude generating the chunks (done between calls). The stream keeps "
            "O(reservoir_size d + d^2) numbers whatever n; the batch fit holds the data.")
    return table(header, rows) + "\n\n" + note


def main(quick=False):
    eps = 0.1
    if quick:
        sections = [
            ("Adversaries (n=4000, d=20)", section_adversaries(4000, 20, quick)),
            ("Methods on the same data (n=2000, d=50, eps=0.1)",
             section_methods(2000, 50, eps, quick)),
            ("Scaling in n (d=50)",
             section_scaling(50, [2000, 20000], [20000, 100000], 5000, eps)),
        ]
    else:
        sections = [
            ("Adversaries (n=10000, d=20)", section_adversaries(10000, 20, quick)),
            ("Methods on the same data (n=10000, d=200, eps=0.1)",
             section_methods(10000, 200, eps, quick)),
            ("Scaling in n (d=200)",
             section_scaling(200, [10_000, 100_000], [100_000, 500_000], 20_000, eps)),
        ]
    notes = ("Shared machine (2 cores, other jobs running): timings are noisy; compare only within "
             "this run. Our time is the best of 3 (2 in the sweep), MinCovDet and PCP ran once. "
             "Angles are to the planted top axis; captured variance is u^T S u / ||S|| for the "
             "inlier covariance S.")
    return write_results(FAMILY, "Outlier-robust PCA", sections + [("Notes", notes)], quick)


if __name__ == "__main__":
    main()
