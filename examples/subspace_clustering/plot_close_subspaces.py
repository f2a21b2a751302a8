"""
Close subspaces: where KMeans and kNN spectral clustering fail
==============================================================

Five 5-dimensional subspaces of R^30 whose principal angles are all 40
degrees: the points of different subspaces are close, so neither their
distances (KMeans) nor their nearest neighbors (spectral clustering on a kNN
graph) reveal the groups. Sparse subspace clustering writes each point as a
sparse combination of the OTHER points; the combination picks points of the
same subspace, and the resulting affinity is almost block diagonal.
"""

# %%
# Data and the four methods
# -------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import kneighbors_graph
from threadpoolctl import threadpool_limits

from skstruct.cluster import ElasticNetSubspaceClustering, SparseSubspaceClustering
from skstruct.datasets import make_subspaces

threadpool_limits(limits=1)  # small problem: one BLAS / OpenMP thread is fastest

X, y = make_subspaces(500, 30, n_subspaces=5, subspace_dim=5, angle=40, noise=0.05,
                      random_state=0)
order = np.argsort(y, kind="stable")  # to show the affinities by true group

results = {}
results["KMeans"] = KMeans(5, n_init=10, random_state=0).fit_predict(X)
spectral = SpectralClustering(5, affinity="nearest_neighbors", n_neighbors=10,
                              random_state=0).fit(X)
results["kNN spectral"] = spectral.labels_
ssc = SparseSubspaceClustering(5, random_state=0).fit(X)
results["SSC"] = ssc.labels_
ensc = ElasticNetSubspaceClustering(5, random_state=0).fit(X)
results["EnSC"] = ensc.labels_
for name, labels in results.items():
    print(f"{name:>13}: adjusted Rand index {adjusted_rand_score(y, labels):.2f}")

# %%
# Affinity matrices, rows and columns sorted by true subspace
# -----------------------------------------------------------
# The kNN graph links points across subspaces; the SSC and EnSC affinities
# are (nearly) block diagonal: each point is expressed by points of its own
# subspace.
knn = kneighbors_graph(X, 10, include_self=False)
knn = 0.5 * (knn + knn.T)
fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
for ax, (name, W) in zip(axes, [("kNN graph (k=10)", knn),
                                ("SSC affinity", ssc.affinity_matrix_),
                                ("EnSC affinity", ensc.affinity_matrix_)]):
    A = W[order][:, order].toarray()
    ax.imshow(A > 0 if name.startswith("kNN") else A ** 0.5, cmap="Greys",
              interpolation="nearest")
    ax.set_title(name)
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()
