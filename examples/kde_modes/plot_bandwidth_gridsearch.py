"""
Choosing the bandwidth by cross-validated likelihood, then clustering by modes
==============================================================================

:meth:`~skstruct.density.KDEModeFinder.score` is the mean log density of held-out
points, so :class:`~sklearn.model_selection.GridSearchCV` can pick the bandwidth
of the KDE inside a :class:`~sklearn.pipeline.Pipeline` (here after standard
scaling). The chosen bandwidth then drives
:class:`~skstruct.cluster.ModeClustering`, mean shift with a Gaussian kernel:
each point is labelled by the nearest mode. The likelihood-optimal bandwidth is
tuned for the density, not for the clusters: it is on the small side for
clustering, so a few small modes can appear in the tails (raise the bandwidth or
``merge_radius`` to merge them).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skstruct.cluster import ModeClustering
from skstruct.density import KDEModeFinder

X, y = make_blobs(600, centers=[[0, 0], [4, 1], [1, 5]], cluster_std=[1.0, 0.7, 1.2],
                  random_state=0)
pipe = make_pipeline(StandardScaler(), KDEModeFinder(n_init=20, random_state=0))
bandwidths = np.geomspace(0.05, 1.0, 8)
search = GridSearchCV(pipe, {"kdemodefinder__bandwidth": bandwidths}, cv=3).fit(X)
h = search.best_params_["kdemodefinder__bandwidth"]
print(f"bandwidth chosen by 3-fold likelihood (scaled units): {h:.3f}")

# %%
scores = search.cv_results_["mean_test_score"]
Xs = StandardScaler().fit_transform(X)
mc = ModeClustering("gaussian", bandwidth=h).fit(Xs)
print(f"{len(mc.cluster_centers_)} modes, ARI with the truth "
      f"{adjusted_rand_score(y, mc.labels_):.3f}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
ax1.semilogx(bandwidths, scores, "o-")
ax1.axvline(h, color="r")
ax1.set_xlabel("bandwidth")
ax1.set_ylabel("mean held-out log density")
ax2.scatter(Xs[:, 0], Xs[:, 1], c=mc.labels_, s=6, cmap="tab10")
ax2.scatter(mc.cluster_centers_[:, 0], mc.cluster_centers_[:, 1], c="k", marker="*", s=150)
ax2.set_title("Gaussian mode clustering at the chosen bandwidth")
fig.tight_layout()
plt.show()
