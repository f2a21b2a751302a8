"""Tour: l1, MCP and best-subset fits on a correlated sparse design."""

import numpy as np

TITLE = "Sparse regression (Lasso, MCP, best subset): support recovery"


def run():
    from skstruct.linear_model import L0Regressor, LassoCV, MCPRegressor

    rng = np.random.RandomState(0)
    n, p, k = 300, 500, 8
    X = rng.randn(n, p)
    X[:, 1:] = 0.6 * X[:, :-1] + 0.8 * X[:, 1:]  # neighbouring features correlated
    w = np.zeros(p)
    true = np.sort(rng.choice(p, k, replace=False))
    w[true] = rng.choice([-1, 1], k) * rng.uniform(1, 2, k)
    y = X @ w + 0.5 * rng.randn(n)

    lasso = LassoCV(cv=5, alphas=30).fit(X, y)
    mcp = MCPRegressor(alpha=lasso.alpha_ * 3).fit(X, y)
    l0 = L0Regressor(20, criterion="ebic").fit(X, y)

    def report(coef):
        found = set(np.flatnonzero(coef))
        err = np.linalg.norm(coef - w) / np.linalg.norm(w)
        return f"{len(found & set(true))}/{k} true, {len(found - set(true))} false, err {err:.2f}"

    return (f"n={n}, p={p}, {k} true features: LassoCV {report(lasso.coef_)}; "
            f"MCP {report(mcp.coef_)}; L0+EBIC {report(l0.coef_)}")
