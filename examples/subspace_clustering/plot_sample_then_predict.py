"""
Large data and new points: fit on a sample, assign by subspace residual
========================================================================

Every subspace clustering estimator fits one linear subspace to each of its
clusters, and ``predict`` sends a point to the cluster whose subspace is
nearest in angle. Two uses:

- **Large data.** With ``n_samples_fit`` the self-expression and the spectral
  step run on a sample only; the other points are assigned by residual. The
  cost is that of the sample plus one linear pass, and memory never grows
  like ``n_samples**2``. Below, 20,000 points on five close subspaces, with
  samples of 250 to 2,000 points, and ``n_samples_fit="auto"``.
- **Small clusters.** The sample is drawn k-means++-style by default
  (``sampling="kmeans++"``: a point close in angle to one already drawn is
  unlikely to be drawn), so a small subspace keeps enough points in the
  sample where a uniform one (``sampling="random"``) can lose it.
- **New points.** Fit on 1,000 of sklearn's bundled handwritten digits,
  predict the 797 others.
"""

# %%
# 20,000 points, samples of increasing size
# -----------------------------------------
import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_limits

from skstruct.cluster import ElasticNetSubspaceClustering, OMPSubspaceClustering
from skstruct.datasets import make_subspaces

threadpool_limits(limits=1)  # small problems: one BLAS thread is fastest


def matching(labels, y):
    """Cluster -> class map maximizing the agreement (Hungarian)."""
    k = max(labels.max(), y.max()) + 1
    M = np.zeros((k, k))
    np.add.at(M, (labels, y), 1)
    r, c = linear_sum_assignment(-M)
    out = np.empty(k, dtype=int)
    out[r] = c
    return out


X, y = make_subspaces(20000, 30, n_subspaces=5, subspace_dim=5, angle=25, noise=0.05,
                      random_state=0)
sizes = [250, 500, 1000, 2000]
acc, secs = [], []
for m in sizes:
    est = ElasticNetSubspaceClustering(5, n_samples_fit=m, random_state=0)
    t0 = time.perf_counter()
    est.fit(X)
    secs.append(time.perf_counter() - t0)
    acc.append(np.mean(matching(est.labels_, y)[est.labels_] == y))
    print(f"sample of {m:>5}: accuracy {acc[-1]:.4f} on all 20,000 points, "
          f"{secs[-1]:.2f} s; subspace dimensions {est.subspace_dims_.tolist()}")

est = ElasticNetSubspaceClustering(5, n_samples_fit="auto", random_state=0).fit(X)
print(f"n_samples_fit='auto': a sample of {est.sample_indices_.size}, accuracy "
      f"{np.mean(matching(est.labels_, y)[est.labels_] == y):.4f}")

fig, ax = plt.subplots(figsize=(5, 3))
ax.semilogx(sizes, acc, "o-")
ax.set_xlabel("n_samples_fit")
ax.set_ylabel("accuracy on 20,000 points")
ax.set_ylim(0, 1.05)
ax.set_title("EnSC on a sample, the rest by residual")
fig.tight_layout()
plt.show()

# %%
# Small clusters: k-means++-style against uniform samples
# -------------------------------------------------------
# Three subspaces of 2,400 points and two of 240 and 80. A uniform sample of
# 400 holds about 4 points of the smallest, fewer than the 6 a point of a
# 5-dimensional subspace needs to be written by others of its subspace.
counts = (2400, 2400, 2400, 240, 80)
keep = np.concatenate([np.flatnonzero(y == k)[:c] for k, c in enumerate(counts)])
Xs, ys = X[keep], y[keep]
for sampling in ["random", "kmeans++"]:
    accs, smallest = [], []
    for seed in range(3):
        est = ElasticNetSubspaceClustering(5, n_samples_fit=400, sampling=sampling,
                                           random_state=seed).fit(Xs)
        accs.append(np.mean(matching(est.labels_, ys)[est.labels_] == ys))
        smallest.append(int(np.sum(ys[est.sample_indices_] == 4)))
    print(f"{sampling:>8}: accuracy {', '.join(f'{a:.3f}' for a in accs)}; points of the "
          f"smallest subspace in the sample: {smallest}")

# %%
# New digits
# ----------
# The subspace of each digit cluster has the dimension holding 95% of its
# members' energy (``subspace_dims_``); a held-out image goes to the cluster
# whose subspace it is closest to in angle.
Xd, yd = load_digits(return_X_y=True)
Xtr, ytr, Xte, yte = Xd[:1000], yd[:1000], Xd[1000:], yd[1000:]
omp = OMPSubspaceClustering(10, random_state=0).fit(Xtr)
to_digit = matching(omp.labels_, ytr)
pred = to_digit[omp.predict(Xte)]
print(f"training accuracy {np.mean(to_digit[omp.labels_] == ytr):.3f}, "
      f"held-out accuracy {np.mean(pred == yte):.3f}, "
      f"dimensions {omp.subspace_dims_.tolist()}")

conf = np.zeros((10, 10), dtype=int)
np.add.at(conf, (yte, pred), 1)
fig, ax = plt.subplots(figsize=(4, 4))
ax.imshow(conf, cmap="Blues")
ax.set_xlabel("predicted digit (through the training matching)")
ax.set_ylabel("true digit")
ax.set_title("SSC-OMP: 797 held-out digits")
fig.tight_layout()
plt.show()
