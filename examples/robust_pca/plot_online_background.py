"""
Streaming background subtraction with online robust PCA
=======================================================

Frames of a video are vectors; a static or slowly varying background is a
low-rank part of their matrix and the moving objects are a sparse part.
:meth:`~skstruct.decomposition.RobustPCA.partial_fit` learns the background
frame by frame (online robust PCA, Feng, Xu & Yan 2013): memory stays that of
a few frames, however long the video. Each new frame's foreground is what the
robust projection on the learned background leaves.

The video here is synthetic, so the true foreground masks are known: a
textured background under a slow illumination drift (rank one around the
mean), two objects crossing it, a little sensor noise.
"""

# %%
# A synthetic video: 300 frames of 48 x 64 pixels
import time

import matplotlib.pyplot as plt
import numpy as np

from skstruct.datasets import make_background_video
from skstruct.decomposition import RobustPCA


def f_measure(pred, true):
    return 2 * (pred & true).sum() / max(pred.sum() + true.sum(), 1)


shape = (48, 64)
X, _, masks = make_background_video(300, *shape, random_state=0)
print(f"{X.shape[0]} frames of {X.shape[1]} pixels, foreground {masks.mean():.1%} of them")

# %%
# Stream the frames, ten at a time
# ---------------------------------
# After each chunk the model is usable: the foreground of a frame is its
# residual from the robust (least absolute deviations) projection on the
# background, ``x - inverse_transform(transform(x))``; a pixel is foreground
# when that residual exceeds 0.15 (the objects are 0.2-0.8 away from the
# background). Two components: the illumination drift and the part of the
# objects that the running mean has absorbed.


def stream(model, X, start=0, chunk=10):
    fg = np.zeros(X.shape, dtype=bool)
    for s in range(start, len(X), chunk):
        frames = X[s:s + chunk]
        model.partial_fit(frames)
        fg[s:s + chunk] = np.abs(frames - model.inverse_transform(model.transform(frames))) > 0.15
    return fg


t0 = time.perf_counter()
cold = RobustPCA(n_components=2, random_state=0)
fg_cold = stream(cold, X)
t_cold = time.perf_counter() - t0

# %%
# A batch start
# -------------
# The first frames of a cold stream are split against a basis that has seen
# almost nothing. A common remedy: batch PCP (``fit``) on the first 30 frames,
# then stream the rest; ``partial_fit`` after ``fit`` continues from the
# batch split.
t0 = time.perf_counter()
warm = RobustPCA(n_components=2, random_state=0).fit(X[:30])
fg_warm = np.zeros(X.shape, dtype=bool)
fg_warm[:30] = np.abs(warm.sparse_) > 0.15
fg_warm |= stream(warm, X, start=30)
t_warm = time.perf_counter() - t0

for name, fg, t in [("cold stream", fg_cold, t_cold), ("batch start + stream", fg_warm, t_warm)]:
    print(f"{name:22s} {t:5.2f} s  F-measure: frames 0-29 {f_measure(fg[:30], masks[:30]):.2f}, "
          f"30-299 {f_measure(fg[30:], masks[30:]):.2f}")

# %%
# Frames, learned background and foreground
# -----------------------------------------
background = warm.inverse_transform(warm.transform(X))
show = [20, 150, 290]
fig, axes = plt.subplots(3, len(show), figsize=(9, 6.5))
for j, i in enumerate(show):
    axes[0, j].imshow(X[i].reshape(shape), cmap="gray", vmin=0, vmax=1)
    axes[0, j].set_title(f"frame {i}")
    axes[1, j].imshow(background[i].reshape(shape), cmap="gray", vmin=0, vmax=1)
    axes[2, j].imshow(fg_warm[i].reshape(shape), cmap="gray")
axes[1, 0].set_ylabel("background")
axes[2, 0].set_ylabel("foreground")
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()

# %%
# F-measure per frame: the cold stream needs some frames to learn the background
per_frame = [[f_measure(fg[i], masks[i]) for i in range(len(X))] for fg in (fg_cold, fg_warm)]
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(per_frame[0], label="cold stream")
ax.plot(per_frame[1], label="batch start (30 frames) + stream")
ax.set_xlabel("frame")
ax.set_ylabel("foreground F-measure")
ax.set_ylim(0, 1.02)
ax.legend()
fig.tight_layout()
plt.show()
