"""Least absolute deviations fits of many rows on a shared basis.

For each row ``x_i`` (observed entries given by a mask) solve
``min_z sum_j |x_ij - (V z)_j|`` over the observed ``j``. Used to project new
rows robustly on a learned subspace: a few grossly corrupted entries do not
move the coefficients (the l1 fit interpolates the clean entries).
"""

import numpy as np


def l1_regression_rows(X, V, *, mask=None, max_iter=200, tol=1e-10):
    """Row-wise least absolute deviations by iteratively reweighted least squares.

    Each row is solved on its own (batched over rows), so the result for a
    row does not depend on the other rows. After IRLS, the coefficients are
    polished by least squares on the entries the l1 fit interpolates, which
    makes the fit exact when a row is a combination of the columns of ``V``
    plus a sparse corruption.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Rows to fit; entries outside ``mask`` may hold any finite value.
    V : ndarray of shape (p, r)
        Basis (columns), ``r <= p``.
    mask : ndarray of bool of shape (n, p), optional
        Observed entries; ``None`` means all.
    max_iter : int, default=100
        IRLS iterations.
    tol : float, default=1e-10
        Relative change of the coefficients that stops a row.

    Returns
    -------
    Z : ndarray of shape (n, r)
        Coefficients; ``X ~ Z @ V.T`` with sparse residuals.

    Notes
    -----
    Cost ``O(n p r^2)`` per iteration (one ``(r, r)`` system per row).
    """
    n, p = X.shape
    r = V.shape[1]
    if r == 0 or n == 0:
        return np.zeros((n, r), dtype=X.dtype)
    W = np.ones((n, p)) if mask is None else mask.astype(np.float64)
    M = W.copy()
    ridge = 1e-12 * max(1.0, float(np.abs(V).max()) ** 2)
    eye = np.eye(r)

    def weighted_ls(Wt):
        G = np.einsum("nj,jk,jl->nkl", Wt, V, V, optimize=True)
        G += ridge * eye
        b = (Wt * X) @ V
        return np.linalg.solve(G, b[..., None])[..., 0]

    Z = weighted_ls(M)
    active = np.ones(n, dtype=bool)
    scale = np.maximum(np.sqrt((M * X * X).sum(axis=1) / np.maximum(M.sum(axis=1), 1)), 1e-300)
    eps = scale.copy()
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        R = np.abs(X[idx] - Z[idx] @ V.T)
        # smoothing shrinks with the residuals (Daubechies et al. IRLS rule)
        eps[idx] = np.maximum(np.minimum(eps[idx], 0.1 * np.median(R, axis=1)), 1e-14 * scale[idx])
        Wt = M[idx] / np.maximum(R, eps[idx, None])
        Znew = weighted_ls(Wt) if idx.size == n else _solve_subset(Wt, X[idx], V, ridge)
        step = np.linalg.norm(Znew - Z[idx], axis=1)
        Z[idx] = Znew
        done = step <= tol * (np.linalg.norm(Znew, axis=1) + scale[idx])
        active[idx[done]] = False
    return _polish(X, V, Z, M, scale, ridge)


def _solve_subset(Wt, X, V, ridge):
    G = np.einsum("nj,jk,jl->nkl", Wt, V, V, optimize=True)
    G += ridge * np.eye(V.shape[1])
    b = (Wt * X) @ V
    return np.linalg.solve(G, b[..., None])[..., 0]


def _polish(X, V, Z, M, scale, ridge):
    # Refit each row by least squares on the entries its l1 fit interpolates;
    # keep the refit only where it does not increase the l1 objective.
    r = V.shape[1]
    R = np.abs(X - Z @ V.T) * M
    interp = (R <= 1e-6 * scale[:, None]) & (M > 0)
    ok = interp.sum(axis=1) >= r
    if not ok.any():
        return Z
    idx = np.flatnonzero(ok)
    Zp = _solve_subset(interp[idx].astype(np.float64), X[idx], V, ridge)
    obj_old = R[idx].sum(axis=1)
    obj_new = (np.abs(X[idx] - Zp @ V.T) * M[idx]).sum(axis=1)
    better = obj_new <= obj_old * (1 + 1e-12)
    Z[idx[better]] = Zp[better]
    return Z
