"""
Regularization paths: l1 against MCP, SCAD and best subset
==========================================================

On the diabetes data (10 standardised features), each penalty gives a path of
coefficients as its regularization weakens. The Lasso shrinks every nonzero
coefficient; MCP and SCAD stop shrinking the large ones (they reach the
least-squares values sooner); best subset (l0) adds one feature at a time with
unshrunk least-squares coefficients.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes

from skstruct.linear_model import l0_path, lasso_path, nonconvex_path

X, y = load_diabetes(return_X_y=True)
X = (X - X.mean(0)) / X.std(0)
y = y - y.mean()

alphas, lasso_coefs, _ = lasso_path(X, y, alphas=60, eps=1e-3)
_, mcp_coefs, _ = nonconvex_path(X, y, penalty="mcp", gamma=3.0, alphas=alphas)
_, scad_coefs, _ = nonconvex_path(X, y, penalty="scad", gamma=3.7, alphas=alphas)
sizes, l0_coefs, _ = l0_path(X, y, max_nonzero=10)

# %%
# The x axis is ``-log10(alpha)`` for the penalised fits and the support size
# for best subset.
fig, axes = plt.subplots(1, 4, figsize=(14, 3.5), sharey=True)
for ax, coefs, title in zip(axes[:3], [lasso_coefs, mcp_coefs, scad_coefs],
                            ["Lasso (l1)", "MCP, gamma=3", "SCAD, gamma=3.7"]):
    ax.plot(-np.log10(alphas), coefs.T)
    ax.set_title(title)
    ax.set_xlabel("-log10(alpha)")
axes[3].step(sizes, l0_coefs.T, where="post")
axes[3].set_title("best subset (l0)")
axes[3].set_xlabel("support size")
axes[0].set_ylabel("coefficient")
fig.tight_layout()
plt.show()

# %%
# At the same alpha, MCP's large coefficients are closer to least squares than
# the Lasso's (here bmi and s5, the two strongest predictors).
ols = np.linalg.lstsq(X, y, rcond=None)[0]
i = 30
print(f"alpha={alphas[i]:.3f}: Lasso keeps {np.count_nonzero(lasso_coefs[:, i])} features, "
      f"MCP {np.count_nonzero(mcp_coefs[:, i])}")
for j, name in [(2, "bmi"), (8, "s5")]:
    print(f"{name}: OLS {ols[j]:.1f}, Lasso {lasso_coefs[j, i]:.1f}, MCP {mcp_coefs[j, i]:.1f}")
