"""
Components appearing as a stream arrives
========================================

An :class:`~skstruct.mixture.IncrementalGaussianMixture` sees each sample
once. A sample far from every component (outside the central 99% of each,
by the chi-square test on its Mahalanobis distance) creates a new component;
the others move the components by rank-one updates of their precision
matrices. We stream five anisotropic blobs in random order and draw the
mixture after 30, 150, 600 and 3000 samples: the components appear as their
blob first shows up, start wide (the initial covariance is scaled from the
range of the first 100 samples of the stream) and shrink to the blob's shape
as they absorb samples. Weak components created by tail samples are pruned.
The samples arrive one row at a time, with default parameters: the same
model as ``fit`` on the whole data.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse

from skstruct.mixture import IncrementalGaussianMixture

rng = np.random.default_rng(0)
centers = np.array([[-6.0, -5.0], [5.0, -6.0], [0.0, 6.0], [8.0, 5.0], [-8.0, 4.0]])
shapes = [np.array([[1.5, 0.8], [0.0, 0.5]]), np.array([[0.6, 0.0], [0.4, 1.2]]),
          np.array([[1.2, 0.0], [0.0, 0.6]]), np.array([[0.7, -0.5], [0.0, 0.7]]),
          np.array([[0.5, 0.0], [0.0, 1.3]])]
labels = rng.integers(0, 5, 3000)
X = np.array([centers[k] + shapes[k] @ rng.standard_normal(2) for k in labels])

# %%
# Stream the data one row at a time and keep a snapshot of the means and
# covariances.
igmn = IncrementalGaussianMixture()
stops = [30, 150, 600, 3000]
snapshots, seen = [], 0
for stop in stops:
    for x in X[seen:stop]:
        igmn.partial_fit(x[None])
    seen = stop
    snapshots.append((igmn.means_.copy(), igmn.covariances_, igmn.weights_.copy(),
                      igmn.n_created_, igmn.n_pruned_))


def draw(ax, means, covs, weights):
    for mu, C, w in zip(means, covs, weights):
        vals, vecs = np.linalg.eigh(C)
        angle = np.degrees(np.arctan2(vecs[1, 1], vecs[0, 1]))
        for n_std in (1, 2):
            ax.add_patch(Ellipse(mu, 2 * n_std * np.sqrt(vals[1]), 2 * n_std * np.sqrt(vals[0]),
                                 angle=angle, fill=False, lw=1 + 3 * w, color="C3"))


fig, axes = plt.subplots(1, 4, figsize=(14, 3.8), sharex=True, sharey=True)
for ax, stop, (means, covs, weights, created, pruned) in zip(axes, stops, snapshots):
    ax.scatter(X[:stop, 0], X[:stop, 1], s=3, c="0.6")
    draw(ax, means, covs, weights)
    ax.set_title(f"{stop} samples: {len(means)} components\n({created} created, {pruned} pruned)",
                 fontsize=9)
    ax.set_xlim(-13, 13)
    ax.set_ylim(-11, 11)
fig.suptitle("IGMN components (1 and 2 standard deviations) as the stream arrives")
fig.tight_layout()
plt.show()

# %%
# The final model against the generating blobs: each blob is one component.
from sklearn.metrics import adjusted_rand_score  # noqa: E402

print(f"{igmn.n_components_} components, ARI {adjusted_rand_score(labels, igmn.predict(X)):.3f}")
