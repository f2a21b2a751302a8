"""
Joint feature selection across tasks: multi-task Lasso against one Lasso per task
=================================================================================

Five regression tasks share the same six relevant features (with different
coefficients) among 150. A Lasso fitted to each task separately selects a
different set per task (their union is far larger than any one of them); the
multi-task Lasso's l2,1 penalty keeps or drops a feature for all tasks at once
and returns one support. All alphas are chosen by cross-validation, which
tunes for prediction and so keeps extra features in both cases. The last cell
fits the multi-task elastic net on scikit-learn's bundled Linnerud data
(three physiological targets from three exercise counts).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_linnerud

from skstruct.linear_model import LassoCV, MultiTaskElasticNet, MultiTaskLassoCV

rng = np.random.RandomState(0)
n, p, T = 60, 150, 5
X = rng.randn(n, p)
true = np.sort(rng.choice(p, 6, replace=False))
W = np.zeros((T, p))
W[:, true] = rng.uniform(0.5, 1.5, (T, 6)) * rng.choice([-1, 1], (T, 6))
Y = X @ W.T + 1.0 * rng.randn(n, T)

mtl = MultiTaskLassoCV(cv=4, alphas=30).fit(X, Y)
per_task = np.array([LassoCV(cv=4, alphas=30).fit(X, Y[:, t]).coef_ for t in range(T)])



def report(name, support):
    found = len(set(support) & set(true.tolist()))
    print(f"{name:28s} {found} of 6 true features, {len(support) - found} false")


report("multi-task Lasso (all tasks)", np.flatnonzero(mtl.coef_.any(axis=0)))
for t in range(T):
    report(f"Lasso, task {t}", np.flatnonzero(per_task[t]))
report("union of the per-task fits", np.flatnonzero(per_task.any(axis=0)))
print(f"duality gap of the multi-task refit: {mtl.dual_gap_:.1e} (normalised by n)")

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3), sharey=True)
for ax, coef, title in [(axes[0], per_task, "one Lasso per task"),
                        (axes[1], mtl.coef_, "multi-task Lasso")]:
    ax.imshow(coef != 0, aspect="auto", cmap="Greys", interpolation="nearest")
    ax.vlines(true, -0.5, T - 0.5, colors="tab:red", linewidth=0.8, alpha=0.5)
    ax.set_title(title)
    ax.set_xlabel("feature (red: truly relevant)")
axes[0].set_ylabel("task")
fig.tight_layout()

# %%
# Linnerud: standardised exercise counts -> weight, waist, pulse.
Xl, Yl = load_linnerud(return_X_y=True)
Xl = (Xl - Xl.mean(0)) / Xl.std(0)
Yl = (Yl - Yl.mean(0)) / Yl.std(0)
enet = MultiTaskElasticNet(alpha=0.3, l1_ratio=0.7).fit(Xl, Yl)
print("Linnerud coefficients (targets x exercises):")
print(np.round(enet.coef_, 3))
print(f"R^2 on the training data: {enet.score(Xl, Yl):.2f}")
plt.show()
