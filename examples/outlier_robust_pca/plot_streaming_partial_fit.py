"""
Streaming with partial_fit: fitted from the first row, outliers first
=====================================================================

:meth:`~skstruct.decomposition.OutlierRobustPCA.partial_fit` gives a fitted
estimator after every call (``components_``, :meth:`transform` and
:meth:`score` work from the first row on) and refines it as rows arrive.
Each call folds the rows into filtered moment sums; whenever the rows seen
have grown by a quarter, the filter is learned again from scratch on a
uniform reservoir sample of the stream, so it does not matter where the
adversary puts the outliers. Here the first 20% of a stream of 100,000 rows
in dimension 30 are dense, moderate outliers (at +-4 standard deviations
along a unit-variance axis, enough to turn PCA's first axis), and the rest
are inliers. Memory stays fixed whatever the number of rows seen.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from skstruct.decomposition import OutlierRobustPCA

d, n, chunk = 30, 100_000, 2_000
S = np.r_[4.0, np.ones(d - 1)]  # inlier covariance; its top axis is e_0
rng = np.random.default_rng(0)
X = rng.standard_normal((n, d)) * np.sqrt(S)
m = n // 5
X[:m, 0] *= 0.5
X[:m, -1] = rng.choice([-1.0, 1.0], m) * 4.0  # outliers come first


def energy(u):
    """Captured inlier variance u^T S u / ||S||, the quantity the method targets."""
    u = u / np.linalg.norm(u)
    return float(u ** 2 @ S / S.max())


def state_bytes(obj, seen=None):
    """Bytes held in arrays by the estimator and its stream state."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, (list, tuple)):
        return sum(state_bytes(v, seen) for v in obj)
    if isinstance(obj, dict):
        return sum(state_bytes(v, seen) for v in obj.values())
    if type(obj).__module__.startswith("skstruct"):
        return state_bytes(vars(obj), seen)
    return 0


stream = OutlierRobustPCA(contamination=0.25, random_state=0)
stream.partial_fit(X[:1])  # one row: already fitted
print(f"after one row: components_ of shape {stream.components_.shape}")
seen, energies = [], []
for start in range(1, n, chunk):
    stream.partial_fit(X[start:start + chunk])
    seen.append(stream.n_samples_seen_)
    energies.append(energy(stream.components_[0]))
print(f"after {seen[-1]:,} rows: energy {energies[-1]:.3f}, converged_={stream.converged_}, "
      f"state {state_bytes(stream) / 1e3:.0f} kB (the rows seen: {n * d * 8 / 1e6:.0f} MB)")
print(f"PCA on the whole stream: energy {energy(PCA(1).fit(X).components_[0]):.3f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(seen, energies, "o-", ms=3, label="partial_fit (anytime estimate)")
ax.axvline(m, color="gray", ls=":", label="end of the outliers")
ax.set_xscale("log")
ax.set_xlabel("rows seen")
ax.set_ylabel(r"energy $u^T S u / \|S\|$")
ax.set_ylim(0, 1.05)
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
