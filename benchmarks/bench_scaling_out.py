"""Scaling out on dask: model selection backends and out-of-core streams.

1. GridSearchCV over a skstruct pipeline (RobustPCA + LogisticRegression on
   digits) with n_jobs=1, joblib's loky backend and joblib's dask backend on
   a local cluster (2 worker processes on 127.0.0.1): time and best score
   (which must agree).
2. A streamed fit over a dask array ten times the size of the in-memory
   array budget: dask_ml's Incremental drives partial_fit block by block;
   rows per second and the peak resident memory of the process.
"""

import resource
import time

import numpy as np
from _common import best_of, table, write_results


def _gridsearch(quick):
    import joblib
    from distributed import Client, LocalCluster
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    from skstruct.decomposition import RobustPCA

    X, y = load_digits(return_X_y=True)
    n = 300 if quick else 900
    X, y = X[:n], y[:n]
    pipe = make_pipeline(RobustPCA(random_state=0), LogisticRegression(max_iter=3000))
    grid = {"robustpca__n_components": [10, 20] if quick else [10, 20, 30]}

    def search(n_jobs):
        return GridSearchCV(pipe, grid, cv=3, n_jobs=n_jobs).fit(X, y)

    # best of two everywhere: the first run of each backend pays its start-up
    # (worker processes, imports), which the dask run also gets as a warm-up
    rows = []
    t1, s1 = best_of(lambda: search(1), repeats=2)
    rows.append(["n_jobs=1 (serial)", f"{t1:.2f}", "1.00", f"{s1.best_score_:.4f}"])
    with joblib.parallel_backend("loky", n_jobs=2):
        t2, s2 = best_of(lambda: search(2), repeats=2)
    rows.append(["loky, 2 processes", f"{t2:.2f}", f"{t1 / t2:.2f}", f"{s2.best_score_:.4f}"])
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster):
        with joblib.parallel_backend("dask"):
            t3, s3 = best_of(lambda: search(-1), repeats=2)
    rows.append(["dask, LocalCluster 2 workers", f"{t3:.2f}", f"{t1 / t3:.2f}",
                 f"{s3.best_score_:.4f}"])
    note = (f"{n} digits, {3 * len(grid['robustpca__n_components'])} fits + refit; "
            "speed-up = serial time / time.")
    return table(["backend", "time (s)", "speed-up", "best CV score"], rows) + "\n\n" + note


def _stream(quick):
    import dask.array as da
    from dask_ml.wrappers import Incremental

    from skstruct.decomposition import OutlierRobustPCA
    from skstruct.mixture import IncrementalGaussianMixture

    d = 16
    budget_mb = 20 if quick else 100          # the largest in-memory array we allow
    block_rows = budget_mb * 2**20 // (8 * d) // 10
    n_rows = 10 * budget_mb * 2**20 // (8 * d)  # ten times the budget
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=6.0, size=(4, d))

    def make_block(block_id=None):
        r = np.random.default_rng(block_id[0])
        return centres[r.integers(0, 4, block_rows)] + r.normal(size=(block_rows, d))

    n_blocks = n_rows // block_rows
    X = da.map_blocks(make_block, chunks=((block_rows,) * n_blocks, (d,)), dtype=np.float64)
    rows = []
    for name, est in [("IncrementalGaussianMixture", IncrementalGaussianMixture()),
                      ("OutlierRobustPCA", OutlierRobustPCA(n_components=2, random_state=0))]:
        inc = Incremental(est, shuffle_blocks=False)
        t0 = time.perf_counter()
        inc.fit(X)
        t = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows.append([name, f"{X.shape[0]:,} x {d}", f"{X.nbytes / 2**20:.0f}",
                     f"{t:.1f}", f"{X.shape[0] / t:,.0f}", f"{rss:.0f}"])
    note = (f"Blocks of {block_rows:,} rows ({budget_mb / 10:.0f} MiB) generated lazily; the "
            f"stream is ten times the {budget_mb} MiB array budget. Peak RSS is the whole "
            "process's high-water mark (interpreter, libraries and both runs included).")
    return table(["estimator", "rows", "stream (MiB)", "time (s)", "rows / s",
                  "peak RSS (MiB)"], rows) + "\n\n" + note


def main(quick=False):
    sections = [("GridSearchCV backends", _gridsearch(quick)),
                ("Out-of-core streams", _stream(quick))]
    return write_results("scaling_out", "Scaling out on dask", sections, quick)


if __name__ == "__main__":
    import sys
    main(quick="--quick" in sys.argv)
