"""
Streaming a large dataset with partial_fit
==========================================

:meth:`~skstruct.decomposition.OutlierRobustPCA.partial_fit` runs the
single-pass version of the filter: each step of the schedule (power steps,
threshold steps, refinement steps) uses the next block of fresh samples,
and the filters are stored as small probe matrices, so memory does not grow
with the number of samples seen. Here 200,000 rows in dimension 50, with
10% outliers of two kinds, arrive in chunks of 5,000 that are generated on
the fly and thrown away.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from skstruct.decomposition import OutlierRobustPCA

d, eps, chunk, n_chunks = 50, 0.1, 5000, 40
scale = np.sqrt(np.r_[25.0, 4.0, np.ones(d - 2)])


def next_chunk(rng):
    X = rng.standard_normal((chunk, d)) * scale
    idx = np.flatnonzero(rng.random(chunk) < eps)
    half = idx[: idx.size // 2]
    rest = idx[idx.size // 2:]
    X[half] = 0.2 * rng.standard_normal((half.size, d))
    X[half, -1] = rng.choice([-1.0, 1.0], half.size) * 40.0  # cluster on a weak axis
    X[rest, 1] = rng.choice([-1.0, 1.0], rest.size) * 40.0  # inflate the second axis
    return X


def angle(u):
    return np.degrees(np.arccos(min(1.0, abs(u[0]) / np.linalg.norm(u))))


def state_bytes(est):
    """Bytes held in arrays by the estimator (filters, sketches, accumulators)."""
    total = 0
    for value in vars(est).values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            parts = item if isinstance(item, tuple) else (item,)
            total += sum(p.nbytes for p in parts if isinstance(p, np.ndarray))
        if isinstance(value, dict):
            total += sum(v.nbytes for v in value.values() if isinstance(v, np.ndarray))
    return total


rng = np.random.default_rng(0)
stream = OutlierRobustPCA(contamination=eps, random_state=0)
seen, angles, sizes = [], [], []
first = None
for i in range(n_chunks):
    X = next_chunk(rng)
    if first is None:
        first = X
    stream.partial_fit(X)
    if hasattr(stream, "components_"):
        seen.append(stream.n_samples_seen_)
        angles.append(angle(stream.components_[0]))
        sizes.append(state_bytes(stream))

print(f"first estimate after {seen[0]:,} samples; final angle {angles[-1]:.2f} deg")
print(f"estimator state: {sizes[0] / 1e3:.0f} kB after {seen[0]:,} samples, "
      f"{sizes[-1] / 1e3:.0f} kB after {seen[-1]:,} (the data seen: "
      f"{seen[-1] * d * 8 / 1e6:.0f} MB)")
print(f"filters kept: {len(stream._filters)}, filter rounds: {stream.n_iter_}")

# %%
# Reference points: PCA and the batch fit on the first chunk only
batch = OutlierRobustPCA(contamination=eps, random_state=0).fit(first)
print(f"PCA on a chunk: {angle(PCA(1).fit(first).components_[0]):.1f} deg; "
      f"batch OutlierRobustPCA on one chunk: {angle(batch.components_[0]):.2f} deg")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(seen, angles, "o-", ms=3, label="partial_fit (stream)")
ax.axhline(angle(batch.components_[0]), color="gray", ls="--",
           label="fit on the first 5,000 rows")
ax.set_xscale("log")
ax.set_xlabel("samples seen")
ax.set_ylabel("angle to the true axis (deg)")
ax.legend()
fig.tight_layout()
plt.show()
