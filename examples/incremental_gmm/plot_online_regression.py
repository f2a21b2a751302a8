"""
Online regression of a nonlinear function
=========================================

:class:`~skstruct.mixture.IncrementalGaussianMixtureRegressor` learns the
joint density of ``[x, y]`` one sample at a time and predicts the
conditional mean ``E[y | x]`` (Gaussian mixture regression). Each component
is a local linear model; the stream creates new ones where the current
pieces do not explain a sample. Here the data arrive in chunks, with ``x``
drifting from left to right, as in a robot exploring its workspace: the
model extends itself to each new region without forgetting the old ones.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from skstruct.mixture import IncrementalGaussianMixtureRegressor


def f(x):
    return np.sin(2 * x) + 0.3 * x


rng = np.random.default_rng(0)
x = np.sort(rng.uniform(-3, 3, 3000))
x += rng.normal(0, 0.3, x.size)  # mostly left to right, with some overlap
x = np.clip(x, -3, 3)[:, None]
y = f(x[:, 0]) + 0.05 * rng.standard_normal(x.shape[0])

# The range of [x, y] is known in advance here; it sizes new components.
reg = IncrementalGaussianMixtureRegressor(init_scale=0.05, data_range=[6.0, 4.0])
grid = np.linspace(-3, 3, 400)[:, None]
stops = [500, 1500, 3000]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), sharey=True)
seen = 0
for ax, stop in zip(axes, stops):
    for start in range(seen, stop, 100):  # chunks of 100 samples
        reg.partial_fit(x[start:start + 100], y[start:start + 100])
    seen = stop
    ax.scatter(x[:stop, 0], y[:stop], s=2, c="0.7", label="seen so far")
    ax.plot(grid[:, 0], f(grid[:, 0]), "k--", lw=1, label="true function")
    ax.plot(grid[:, 0], reg.predict(grid), "C3", lw=2, label="IGMN regression")
    means = reg.mixture_.means_
    ax.plot(means[:, 0], means[:, 1], "o", mfc="none", mec="C0", label="component means")
    ax.set_title(f"{stop} samples, {reg.n_components_} components", fontsize=10)
axes[0].legend(fontsize=7, loc="lower right")
fig.tight_layout()
plt.show()

# %%
# Error of the final model on the interval seen.
err = np.abs(reg.predict(grid) - f(grid[:, 0]))
print(f"max |error| {err.max():.3f}, mean |error| {err.mean():.4f}")
