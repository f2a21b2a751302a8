"""
Tuning sparse regressions in a pipeline
=======================================

The estimators follow scikit-learn's conventions, so they drop into a
:class:`~sklearn.pipeline.Pipeline` and are tuned by
:class:`~sklearn.model_selection.GridSearchCV` or by their own
cross-validated variant (:class:`~skstruct.linear_model.ElasticNetCV`, which
fits a warm-started path per fold). Here both tune models on the diabetes data.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skstruct.linear_model import ElasticNetCV, MCPRegressor

X, y = load_diabetes(return_X_y=True)
cv = KFold(5, shuffle=True, random_state=0)

enet = make_pipeline(StandardScaler(), ElasticNetCV(l1_ratio=[0.2, 0.5, 0.9, 1.0], cv=cv))
enet.fit(X, y)
est = enet[-1]
print(f"ElasticNetCV: alpha={est.alpha_:.3f}, l1_ratio={est.l1_ratio_}, "
      f"{np.count_nonzero(est.coef_)} nonzero coefficients")

# %%
# GridSearchCV over MCP's two parameters.
search = GridSearchCV(
    make_pipeline(StandardScaler(), MCPRegressor()),
    {"mcpregressor__alpha": np.geomspace(0.3, 30, 12), "mcpregressor__gamma": [1.5, 3.0, 10.0]},
    cv=cv,
).fit(X, y)
print("MCP best:", search.best_params_, f"R^2 = {search.best_score_:.3f}")
print(f"ElasticNetCV R^2 = {cross_val_score(enet, X, y, cv=cv).mean():.3f}")

# %%
# Cross-validated error along the alpha grid for each l1_ratio.
fig, ax = plt.subplots(figsize=(5, 3.5))
for ratio, alphas, mse in zip(est.l1_ratio, est.alphas_, est.mse_path_):
    ax.semilogx(alphas, mse.mean(axis=1), label=f"l1_ratio={ratio}")
ax.axvline(est.alpha_, color="k", ls="--")
ax.set_xlabel("alpha")
ax.set_ylabel("mean squared error (CV)")
ax.legend()
fig.tight_layout()
plt.show()
