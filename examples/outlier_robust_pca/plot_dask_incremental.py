"""
Streaming through dask-ml on a local cluster
============================================

:class:`~skstruct.decomposition.OutlierRobustPCA` is fitted after every
``partial_fit`` call, so it can be trained block by block from a dask array
with ``dask_ml.wrappers.Incremental``, and tuned with
``dask_ml.model_selection.IncrementalSearchCV``, which scores each candidate
after every block. Here a 40,000 x 20 dask array with 20% dense, moderate
outliers (at +-4 standard deviations along a unit-variance axis, enough to
turn PCA's first axis) is streamed on a local in-process cluster (no network:
``processes=False``), which is torn down at the end.

Needs the ``dask`` extra: ``pip install skstruct[dask]``.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from skstruct.decomposition import OutlierRobustPCA

try:
    import dask.array as da
    from dask_ml.model_selection import IncrementalSearchCV
    from dask_ml.wrappers import Incremental
    from distributed import Client, LocalCluster
except ImportError:  # the gallery still builds without the extra
    da = None
    print("dask, distributed and dask-ml are needed: pip install skstruct[dask]")

n, d = 40_000, 20
S = np.r_[4.0, np.ones(d - 1)]  # inlier covariance; its top axis is e_0
rng = np.random.default_rng(0)
X = rng.standard_normal((n, d)) * np.sqrt(S)
out = rng.random(n) < 0.2
X[out, 0] *= 0.5
X[out, -1] = rng.choice([-1.0, 1.0], out.sum()) * 4.0


def energy(u):
    """Captured inlier variance u^T S u / ||S||."""
    u = u / np.linalg.norm(u)
    return float(u ** 2 @ S / S.max())


if da is not None:
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster):
        Xd = da.from_array(X, chunks=4_000)
        inc = Incremental(OutlierRobustPCA(contamination=0.2, random_state=0),
                          shuffle_blocks=False).fit(Xd)
        print(f"Incremental over {Xd.numblocks[0]} blocks: energy "
              f"{energy(inc.estimator_.components_[0]):.3f}, converged_="
              f"{inc.estimator_.converged_} (PCA: {energy(PCA(1).fit(X).components_[0]):.3f})")

        # dask-ml's searches split (X, y); the score ignores the placeholder y.
        # The score is the held-out log-likelihood, which rewards a model of the
        # contaminated data: it cannot choose a contamination below the true
        # fraction (converged_ = False flags those), so the grid starts at 0.2.
        search = IncrementalSearchCV(
            OutlierRobustPCA(random_state=0), {"contamination": [0.2, 0.3, 0.4]},
            n_initial_parameters=3, max_iter=5, decay_rate=None, random_state=0)
        search.fit(Xd, da.zeros(n, chunks=4_000))
        print(f"IncrementalSearchCV: best {search.best_params_}, "
              f"energy {energy(search.best_estimator_.components_[0]):.3f}, "
              f"converged_={search.best_estimator_.converged_}")
        history = search.model_history_

    # %%
    # Mean log-likelihood on the held-out blocks after each ``partial_fit``
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for model_id, records in history.items():
        c = records[0]["params"]["contamination"]
        ax.plot([r["partial_fit_calls"] for r in records], [r["score"] for r in records],
                "o-", label=f"contamination={c}")
    ax.set_xlabel("partial_fit calls")
    ax.set_ylabel("score (mean log-likelihood)")
    ax.legend()
    fig.tight_layout()
    plt.show()
