"""
Sparse logistic regression on the breast cancer data
====================================================

:class:`~skstruct.linear_model.SparseLogisticRegression` minimises the mean
logistic loss plus a sparsity penalty; ``alpha = 1 / (n C)`` in terms of
scikit-learn's ``C``, and the default ``alpha`` is scikit-learn's ``C = 1``.
The l1 path (:func:`~skstruct.linear_model.sparse_logistic_path`) shows the
features entering one by one; :class:`~skstruct.linear_model.SparseLogisticRegressionCV`
picks alpha by held-out log-loss; MCP keeps the large coefficients unshrunk.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skstruct.linear_model import (
    SparseLogisticRegression,
    SparseLogisticRegressionCV,
    sparse_logistic_path,
)

X, y = load_breast_cancer(return_X_y=True)
X = StandardScaler().fit_transform(X)
Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0, stratify=y)

alphas, coefs, intercepts, _ = sparse_logistic_path(Xtr, ytr, alphas=30, eps=1e-2)

cv = SparseLogisticRegressionCV(alphas=15, eps=1e-2, cv=5).fit(Xtr, ytr)
default = SparseLogisticRegression().fit(Xtr, ytr)
mcp = SparseLogisticRegression("mcp", alpha=cv.alpha_).fit(Xtr, ytr)
for name, m in [("default (C=1)", default), ("CV alpha", cv), ("MCP at CV alpha", mcp)]:
    print(f"{name:16s} test accuracy {m.score(Xte, yte):.3f}, "
          f"{np.count_nonzero(m.coef_)} of {X.shape[1]} features")

# %%
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
ax0.semilogx(alphas, coefs.T)
ax0.axvline(cv.alpha_, color="k", ls="--", label="CV alpha")
ax0.set(xlabel="alpha", ylabel="coefficient", title="l1 logistic path")
ax0.invert_xaxis()
ax0.legend()
mean = cv.loss_path_.mean(axis=1)
ax1.semilogx(cv.alphas_, mean, marker="o")
ax1.axvline(cv.alpha_, color="k", ls="--")
ax1.set(xlabel="alpha", ylabel="held-out log-loss", title="5-fold CV")
ax1.invert_xaxis()
fig.tight_layout()
plt.show()
