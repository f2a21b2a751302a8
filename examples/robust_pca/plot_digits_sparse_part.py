"""
Where the gross errors go: PCP on corrupted digit images
========================================================

300 images of sklearn's bundled digits data set, with 10% of the pixels set to
0 or 16 (salt and pepper). :class:`~skstruct.decomposition.RobustPCA` splits the
matrix of images into a low-rank part (the digits) and a sparse part. The
digits are not exactly low-rank, so the split is not exact, but the sparse part
concentrates on the corrupted pixels and the low-rank part is closer to the
clean images than the corrupted input or a PCA of the same rank.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from skstruct.decomposition import RobustPCA

X = load_digits().data[:300]
rng = np.random.default_rng(0)
hit = rng.random(X.shape) < 0.1
X_noisy = X.copy()
X_noisy[hit] = rng.choice([0.0, 16.0], hit.sum())
changed = X_noisy != X

t0 = time.perf_counter()
rpca = RobustPCA(random_state=0).fit(X_noisy)
elapsed = time.perf_counter() - t0
pca = PCA(rpca.n_components_).fit(X_noisy)


def rel(A, B):
    return np.linalg.norm(A - B) / np.linalg.norm(B)


flagged = np.abs(rpca.sparse_) > 4
print(f"PCP: rank {rpca.n_components_}, {rpca.n_iter_} iterations, {elapsed:.2f} s")
print(f"relative error to the clean images: corrupted {rel(X_noisy, X):.3f}, "
      f"PCA rank {rpca.n_components_} {rel(pca.inverse_transform(pca.transform(X_noisy)), X):.3f}, "
      f"PCP low-rank part {rel(rpca.low_rank_, X):.3f}")
print(f"|S| > 4 on {100 * flagged[changed].mean():.0f}% of the corrupted pixels and "
      f"{100 * flagged[~changed].mean():.0f}% of the others")

# %%
# Corrupted image, low-rank part, sparse part, and the pixels that were corrupted
fig, axes = plt.subplots(4, 6, figsize=(9, 6.5))
rows = [("corrupted", X_noisy, "gray_r"), ("low-rank L", rpca.low_rank_, "gray_r"),
        ("sparse S", rpca.sparse_, "RdBu_r"), ("corrupted pixels", changed * 1.0, "gray_r")]
for i, (title, M, cmap) in enumerate(rows):
    for j in range(6):
        ax = axes[i, j]
        img = M[j].reshape(8, 8)
        if cmap == "RdBu_r":
            ax.imshow(img, cmap=cmap, vmin=-16, vmax=16)
        else:
            ax.imshow(img, cmap=cmap)
        ax.set_xticks([])
        ax.set_yticks([])
        if j == 0:
            ax.set_ylabel(title)
fig.tight_layout()
plt.show()
