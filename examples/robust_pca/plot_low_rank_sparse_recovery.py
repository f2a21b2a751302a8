"""
Recovering a low-rank matrix from gross errors
==============================================

A matrix that is low-rank plus a sparse set of large errors is split back
into its two parts by principal component pursuit (:func:`skstruct.decomposition.pcp`).
Plain truncated SVD cannot do this: every gross error leaks into every
singular vector.
"""

# %%
# Data: rank 5 plus 10% of entries replaced by large errors
import time

import matplotlib.pyplot as plt
import numpy as np

from skstruct.datasets import make_low_rank_sparse
from skstruct.decomposition import pcp

X, L_true, S_true = make_low_rank_sparse(150, 100, rank=5, sparsity=0.1, random_state=0)

t0 = time.perf_counter()
L, S, n_iter = pcp(X, random_state=0, return_n_iter=True)
elapsed = time.perf_counter() - t0


def rel(A, B):
    return np.linalg.norm(A - B) / np.linalg.norm(B)


# Truncated SVD of rank 5: the classical, non-robust estimate
U, s, Vt = np.linalg.svd(X, full_matrices=False)
L_svd = (U[:, :5] * s[:5]) @ Vt[:5]

print(f"PCP: {n_iter} iterations in {elapsed:.2f} s, relative error of L = {rel(L, L_true):.1e}")
print(f"truncated SVD (rank 5): relative error of L = {rel(L_svd, L_true):.2f}")

# %%
# The parts, as images
panels = [
    ("observed X", X),
    ("true low-rank L", L_true),
    ("PCP low-rank L", L),
    ("rank-5 SVD of X", L_svd),
    ("true sparse S", S_true),
    ("PCP sparse S", S),
]
vmax = np.abs(L_true).max()
fig, axes = plt.subplots(2, 3, figsize=(9, 6))
for ax, (title, M) in zip(axes.ravel(), panels):
    ax.imshow(M, cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()
