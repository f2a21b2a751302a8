"""Least absolute deviations fits of many rows on a shared basis.

For each row ``x_i`` (observed entries given by a mask) solve
``min_z sum_j |x_ij - (V z)_j|`` over the observed ``j``. Used to project new
rows robustly on a learned subspace: a few grossly corrupted entries do not
move the coefficients (the l1 fit interpolates the clean entries).
"""

import numpy as np


def l1_regression_rows(X, V, *, mask=None, max_iter=50, tol=1e-10):
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
    max_iter : int, default=50
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
    M = np.ones((n, p)) if mask is None else mask.astype(np.float64)
    ridge = 1e-12 * max(1.0, float(np.abs(V).max()) ** 2)
    Z = _solve_subset(M, X, V, ridge)
    active = np.ones(n, dtype=bool)
    scale = np.maximum(np.sqrt((M * X * X).sum(axis=1) / np.maximum(M.sum(axis=1), 1)), 1e-300)
    floor = 1e-9 * scale
    eps = np.median(np.abs(X - Z @ V.T), axis=1)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        R = np.abs(X[idx] - Z[idx] @ V.T)
        Wt = M[idx] / np.maximum(R, eps[idx, None])
        Znew = _solve_subset(Wt, X[idx], V, ridge)
        step = np.linalg.norm(Znew - Z[idx], axis=1)
        Z[idx] = Znew
        # the smoothing halves each iteration: IRLS then converges to the
        # l1 optimum (a fixed smoothing stalls at a biased point)
        eps[idx] = np.maximum(0.5 * eps[idx], floor[idx])
        done = (step <= tol * (np.linalg.norm(Znew, axis=1) + scale[idx])) & (
            eps[idx] <= floor[idx])
        active[idx[done]] = False
    return _polish(X, V, Z, M, scale, ridge)


def _solve_subset(Wt, X, V, ridge):
    # Weighted least squares of each row of X on V: one (r, r) system per row.
    G = np.einsum("nj,jk,jl->nkl", Wt, V, V, optimize=True)
    G += ridge * np.eye(V.shape[1])
    b = (Wt * X) @ V
    return np.linalg.solve(G, b[..., None])[..., 0]


def _polish(X, V, Z, M, scale, ridge, n_rounds=5):
    # An l1 regression optimum interpolates at least r entries (a vertex of
    # the linear program). Refit each row exactly on the r entries with the
    # smallest residuals and keep the refit where the l1 objective drops;
    # repeat a few rounds. On sparse corruption this gives the exact answer.
    n, r = Z.shape
    obj = (np.abs(X - Z @ V.T) * M).sum(axis=1)
    enough = M.sum(axis=1) >= r
    rows = np.flatnonzero(enough)
    for _ in range(n_rounds):
        if rows.size == 0:
            break
        R = np.abs(X[rows] - Z[rows] @ V.T)
        R[M[rows] == 0] = np.inf
        J = np.argpartition(R, r - 1, axis=1)[:, :r]
        A = V[J]  # (k, r, r)
        b = np.take_along_axis(X[rows], J, axis=1)
        try:
            Zc = np.linalg.solve(A, b[..., None])[..., 0]
        except np.linalg.LinAlgError:
            Zc = np.stack([np.linalg.lstsq(a, bb, rcond=None)[0] for a, bb in zip(A, b)])
        obj_c = (np.abs(X[rows] - Zc @ V.T) * M[rows]).sum(axis=1)
        better = np.isfinite(obj_c) & (obj_c < obj[rows] * (1 - 1e-15))
        if not better.any():
            break
        Z[rows[better]] = Zc[better]
        obj[rows[better]] = obj_c[better]
        rows = rows[better]
    return Z
