"""
PCA against OutlierRobustPCA under contamination
================================================

Ten percent of the rows of a Gaussian sample are replaced by points far
along a direction of small variance. Ordinary PCA turns its first axis
towards them; :class:`~skstruct.decomposition.OutlierRobustPCA` filters them
out and keeps the top direction of the inliers. We then sweep the outlier
fraction, and finally use both as the first step of a classification
pipeline trained on contaminated data.
"""

# %%
# Data: Gaussian inliers with top axis e_0, outliers along e_19
# ----------------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skstruct.decomposition import OutlierRobustPCA

d = 20
scale = np.sqrt(np.r_[25.0, 4.0, np.ones(d - 2)])


def sample(n, eps, rng):
    X = rng.standard_normal((n, d)) * scale
    m = int(eps * n)
    X[:m] = 0.3 * rng.standard_normal((m, d))
    X[:m, -1] = rng.choice([-1.0, 1.0], m) * np.sqrt(2.5 * 25 / max(eps, 1e-3))
    return X, m


def angle(u):
    return np.degrees(np.arccos(min(1.0, abs(u[0]) / np.linalg.norm(u))))


rng = np.random.default_rng(0)
X, m = sample(3000, 0.1, rng)
pca = PCA(1).fit(X)
rob = OutlierRobustPCA(contamination=0.1, random_state=0).fit(X)
print(f"angle to the true axis: PCA {angle(pca.components_[0]):.1f} deg, "
      f"OutlierRobustPCA {angle(rob.components_[0]):.1f} deg")
print(f"mean weight of the outliers {rob.weights_[:m].mean():.3f}, "
      f"of the inliers {rob.weights_[m:].mean():.3f}")

# %%
# The plane (e_0, e_19), where the damage happens
fig, ax = plt.subplots(figsize=(5, 5))
ax.scatter(X[:, 0], X[:, -1], c=rob.weights_, cmap="coolwarm_r", s=4)
for est, name, color in [(pca, "PCA", "tab:red"), (rob, "OutlierRobustPCA", "tab:blue")]:
    u = est.components_[0]
    v = np.array([u[0], u[-1]]) / np.hypot(u[0], u[-1])
    ax.plot([-30 * v[0], 30 * v[0]], [-30 * v[1], 30 * v[1]], color=color, lw=2, label=name)
ax.set_xlabel("e_0 (inlier top axis)")
ax.set_ylabel("e_19 (outlier axis)")
ax.set_title("first axis; points coloured by filter weight")
ax.legend(loc="lower right")
ax.set_aspect("equal")

# %%
# Angle to the true axis against the outlier fraction
# ---------------------------------------------------
fractions = [0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3]
angles = {"PCA": [], "OutlierRobustPCA": []}
for eps in fractions:
    X_eps, _ = sample(3000, eps, np.random.default_rng(1))
    angles["PCA"].append(angle(PCA(1).fit(X_eps).components_[0]))
    est = OutlierRobustPCA(contamination=max(eps, 0.02), random_state=0).fit(X_eps)
    angles["OutlierRobustPCA"].append(angle(est.components_[0]))

fig, ax = plt.subplots(figsize=(6, 3.5))
for name, values in angles.items():
    ax.plot(fractions, values, "o-", label=name)
ax.set_xlabel("outlier fraction eps")
ax.set_ylabel("angle to the true axis (deg)")
ax.legend()
fig.tight_layout()

# %%
# In a pipeline: features for a classifier trained on contaminated data
# ---------------------------------------------------------------------
# The class is the sign of the coordinate along e_0; one component is kept.
# The outliers of the training set carry random labels; the test set is clean.
X_train, m = sample(3000, 0.1, np.random.default_rng(2))
y_train = (X_train[:, 0] > 0).astype(int)
y_train[:m] = np.random.default_rng(3).integers(0, 2, m)
X_test, _ = sample(2000, 0.0, np.random.default_rng(4))
y_test = (X_test[:, 0] > 0).astype(int)
for reducer in [PCA(1), OutlierRobustPCA(1, contamination=0.1, random_state=0)]:
    pipe = make_pipeline(reducer, LogisticRegression()).fit(X_train, y_train)
    print(f"{type(reducer).__name__:>18}: test accuracy {pipe.score(X_test, y_test):.3f}")
plt.show()
