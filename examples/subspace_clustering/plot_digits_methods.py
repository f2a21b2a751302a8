"""
Handwritten digits: subspace clustering methods compared
========================================================

Images of one digit under small deformations lie near a low-dimensional
subspace. This example clusters 600 of sklearn's 8x8 digits (raw pixels)
with every subspace clustering estimator of skstruct, and with KMeans and kNN
spectral clustering, each placed after a row :class:`~sklearn.preprocessing.Normalizer`
in a :class:`~sklearn.pipeline.Pipeline` (the subspace methods scale rows to
unit norm anyway; this gives the baselines the same input). Scores are the
adjusted Rand index and the normalized mutual information against the true
digits. Digits are only roughly a union of subspaces, and no method wins
by much: EnSC with the nearest-neighbor graph on its coefficients, TSC and
SSC-OMP (whose picks are restricted to each point's most correlated
neighbors) do best, KMeans is close, the dense representations (LSR, LRR)
trail. EnSC is sensitive to ``alpha`` on such data (a smaller value
keeps fewer, surer coefficients); the sweep at the end shows it.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer
from threadpoolctl import threadpool_limits

from skstruct.cluster import (
    ElasticNetSubspaceClustering,
    LeastSquaresSubspaceClustering,
    LowRankRepresentation,
    OMPSubspaceClustering,
    SparseSubspaceClustering,
    ThresholdingSubspaceClustering,
)

# Small problems: one BLAS / OpenMP thread is fastest (no thread start-up).
threadpool_limits(limits=1)

X, y = load_digits(return_X_y=True)
X, y = X[:600], y[:600]

estimators = {
    "KMeans": KMeans(10, n_init=10, random_state=0),
    "kNN spectral": SpectralClustering(10, affinity="nearest_neighbors", n_neighbors=10,
                                       random_state=0),
    "SSC": SparseSubspaceClustering(10, random_state=0),
    "EnSC": ElasticNetSubspaceClustering(10, alpha=10, random_state=0),
    "EnSC, 10-NN on C": ElasticNetSubspaceClustering(10, affinity="nearest_neighbors",
                                                     n_neighbors=10, random_state=0),
    "SSC-OMP": OMPSubspaceClustering(10, random_state=0),
    "LSR": LeastSquaresSubspaceClustering(10, random_state=0),
    "LRR": LowRankRepresentation(10, random_state=0),
    "LRR, Frobenius": LowRankRepresentation(10, error="frobenius", random_state=0),
    "TSC": ThresholdingSubspaceClustering(10, random_state=0),
}

scores = {}
for name, est in estimators.items():
    pipe = make_pipeline(Normalizer(), est)
    t0 = time.perf_counter()
    labels = pipe.fit_predict(X)
    scores[name] = (adjusted_rand_score(y, labels), normalized_mutual_info_score(y, labels),
                    time.perf_counter() - t0)
    print(f"{name:>16}: ARI {scores[name][0]:.2f}  NMI {scores[name][1]:.2f}  "
          f"{scores[name][2]:.2f} s")

# %%
# Scores
# ------
names = list(scores)
pos = np.arange(len(names))
fig, ax = plt.subplots(figsize=(8, 3.8))
ax.bar(pos - 0.2, [scores[n][0] for n in names], 0.4, label="ARI")
ax.bar(pos + 0.2, [scores[n][1] for n in names], 0.4, label="NMI")
ax.set_xticks(pos)
ax.set_xticklabels(names, rotation=30, ha="right")
ax.set_ylim(0, 1)
ax.legend()
ax.set_title("600 digits, rows normalized, then clustering")
fig.tight_layout()
plt.show()

# %%
# EnSC's fidelity weight
# ----------------------
# ``alpha`` scales the fit term relative to the smallest value giving a
# nonzero representation. On noisy, only roughly linear data a small value
# keeps the few most reliable neighbors in each representation.
alphas = [3, 10, 30, 100]
ari = [adjusted_rand_score(y, ElasticNetSubspaceClustering(10, alpha=a, random_state=0)
                           .fit_predict(X)) for a in alphas]
fig, ax = plt.subplots(figsize=(5, 3))
ax.semilogx(alphas, ari, "o-")
ax.set_xlabel("alpha")
ax.set_ylabel("ARI")
ax.set_title("EnSC on 600 digits")
fig.tight_layout()
plt.show()
