"""
Mode clustering with no parameters, against MeanShift
=====================================================

:class:`~skstruct.cluster.ModeClustering` with no arguments uses a Gaussian kernel
whose bandwidth comes from the nearest-neighbour rule (the median distance to the
``sqrt(n)``-th neighbour over the distance at which the kernel falls to ``1/e``),
which grows like ``sqrt(d)`` as distances do. :class:`sklearn.cluster.MeanShift`
with its default bandwidth uses a flat kernel whose radius is the 0.3 quantile of
the pairwise distances (here with ``bin_seeding=True``, only to keep the example
fast; the bandwidth is what matters). On well-separated blobs the first finds the
clusters in 2 and in 10 dimensions; the second merges them.
"""

# %%
import time

import matplotlib.pyplot as plt
from sklearn.cluster import MeanShift
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from skstruct.cluster import ModeClustering

X2, y2 = make_blobs(500, centers=[[0, 0], [6, 0], [0, 6], [6, 6]], random_state=0)
X10, y10 = make_blobs(500, n_features=10, centers=5, random_state=1)

rows = []
fits = {}
for name, (X, y) in {"d=2": (X2, y2), "d=10": (X10, y10)}.items():
    for est in (ModeClustering(), MeanShift(bin_seeding=True)):
        t0 = time.perf_counter()
        est.fit(X)
        t = time.perf_counter() - t0
        fits[name, type(est).__name__] = est
        rows.append(f"{name} {type(est).__name__:>14}: {len(est.cluster_centers_):3d} clusters, "
                    f"ARI {adjusted_rand_score(y, est.labels_):.3f}, {t:.2f} s")
print("\n".join(rows))

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
for ax, cls, call in zip(axes, ("ModeClustering", "MeanShift"),
                         ("ModeClustering()", "MeanShift(bin_seeding=True)")):
    est = fits["d=2", cls]
    ax.scatter(X2[:, 0], X2[:, 1], c=est.labels_, s=6, cmap="tab10")
    ax.scatter(est.cluster_centers_[:, 0], est.cluster_centers_[:, 1], c="k", marker="*",
               s=150)
    ax.set_title(f"{call}: ARI {adjusted_rand_score(y2, est.labels_):.2f}")
fig.tight_layout()
plt.show()
