"""Elastic-net self-expression (skstruct._backend._self_expression) against sklearn and KKT.

The objective per point ``b = X[i]`` with atoms ``A`` (the other rows, plus
extra atoms) is ``0.5 ||b - A^T c||^2 + rho ||c||_1 + mu / 2 ||c||^2`` with
``rho = max_j |a_j . b| / alpha`` and ``mu = (1 - l1_ratio) / l1_ratio rho``;
sklearn's ElasticNet on ``A^T`` (D samples) is the same objective divided by D.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numba import njit
from sklearn.linear_model import ElasticNet, Lasso

from skstruct._backend._self_expression import (
    _enet_gram_batch,
    _support_newton,
    elastic_net_self_expression,
)
from skstruct.datasets import make_subspaces


def _sklearn_coef(A, b, rho, mu):
    """Minimiser of 0.5||b - A^T c||^2 + rho||c||_1 + mu/2||c||^2 by sklearn (tight tol)."""
    D = A.shape[1]
    if mu == 0.0:
        ref = Lasso(alpha=rho / D, fit_intercept=False, tol=1e-14, max_iter=200000)
    else:
        ref = ElasticNet(alpha=(rho + mu) / D, l1_ratio=rho / (rho + mu), fit_intercept=False,
                         tol=1e-14, max_iter=200000)
    return ref.fit(A.T, b).coef_


def _dense(rows, cols, vals, n, m):
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, m)).toarray()


def _kkt_violation(A, b, c, rho, mu):
    """Largest violation of the optimality conditions, (on the support, off the support)."""
    g = A @ (b - A.T @ c)
    on = c != 0
    stat = np.abs(g[on] - rho * np.sign(c[on]) - mu * c[on])
    off = np.maximum(np.abs(g[~on]) - rho, 0.0)
    return stat.max(initial=0.0), off.max(initial=0.0)


@njit
def _call_support_newton(G, q, w, state, l1, l2, sup, L):
    _support_newton(G, q, w, state, l1, l2, sup, L)  # callable from numba only


def _support_step(G, q, w, l1, l2):
    """Run the support step on copies; returns (w, state) after it."""
    s = w.size
    w = w.copy()
    state = G @ w - q
    _call_support_newton(G, q, w, state, l1, l2, np.empty(s, np.int64), np.empty((s + 1, s)))
    return w, state


def test_support_step_reaches_the_sign_fixed_minimizer():
    # nonsingular support, minimizer with the signs of w: one step lands on the closed form
    rng = np.random.default_rng(1)
    A = rng.standard_normal((8, 20))
    G = A @ A.T
    l1, l2 = 0.3, 0.1
    target = rng.standard_normal(8)
    target[[2, 5]] = 0.0  # off the support, left alone
    w0 = 0.5 * target
    q = (G + l2 * np.eye(8)) @ target + l1 * np.sign(target)
    q[[2, 5]] = rng.standard_normal(2)
    w, state = _support_step(G, q, w0, l1, l2)
    on = target != 0
    H = G[np.ix_(on, on)] + l2 * np.eye(on.sum())
    np.testing.assert_allclose(w[on], np.linalg.solve(H, q[on] - l1 * np.sign(target[on])),
                               rtol=1e-10, atol=1e-12)
    assert not w[~on].any()
    np.testing.assert_allclose(state, G @ w - q, atol=1e-10)


@pytest.mark.parametrize("seed", range(4))
def test_support_step_on_a_singular_support_descends(seed):
    # more atoms than their rank (lasso, l2 = 0): the step moves along null vectors; it never
    # raises the objective, never flips a sign (a coefficient keeps its sign or becomes
    # exactly 0) and keeps the state G w - q
    rng = np.random.default_rng(seed)
    s, D = 12, 4
    A = rng.standard_normal((s, D))
    A[1] = A[0]  # an exact duplicate, with opposite signs: moving along e_1 - e_0
    G = A @ A.T  # leaves the fit and lowers the l1 term, a strict descent
    q = A @ rng.standard_normal(D)
    l1 = 0.1 * np.abs(q).max()
    w0 = rng.standard_normal(s)
    w0[:2] = 1.0, -0.5

    def objective(w):
        return 0.5 * w @ G @ w - q @ w + l1 * np.abs(w).sum()

    w, state = _support_step(G, q, w0, l1, 0.0)
    assert objective(w) < objective(w0)
    assert np.all((np.sign(w) == np.sign(w0)) | (w == 0.0))
    assert np.count_nonzero(w) < s  # the null moves dropped atoms
    np.testing.assert_allclose(state, G @ w - q, atol=1e-10)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_gram_batch_matches_sklearn(l1_ratio):
    # independent Gram problems (well conditioned: 12 Gaussian atoms in R^20), one with an
    # empty slot (zero Gram row/column, warm-started nonzero) and one whose solution is 0
    rng = np.random.default_rng(0)
    B, s, D = 6, 12, 20
    A = rng.standard_normal((B, s, D))
    A[2, 5] = 0.0
    b = rng.standard_normal((B, D))
    G = np.ascontiguousarray(A @ A.transpose(0, 2, 1))
    Q = np.einsum("ksd,kd->ks", A, b)
    lips = np.ascontiguousarray(np.einsum("kss->ks", G))
    level = 0.3 * np.abs(Q).max(axis=1)
    level[4] = 2.0 * np.abs(Q[4]).max() / l1_ratio  # above the largest correlation: c = 0
    W = np.zeros((B, s))
    W[2, 5] = 1.0
    done = np.zeros(B, dtype=bool)
    # violations below 1e-12 ||b|| (in units of sqrt(G_jj))
    slack = 1e-12 * np.linalg.norm(b, axis=1)
    _enet_gram_batch(G, Q, W, np.einsum("krp,kp->kr", G, W) - Q, level, l1_ratio, slack, 1000,
                     done, np.empty(s, np.int64), np.empty((s + 1, s)))
    assert done.all()
    # G + mu I is well conditioned here: a violation that small puts c within rounding of
    # the minimiser, so sklearn's tight solution is met to its own accuracy
    for k in range(B):
        keep = lips[k] > 0
        rho, mu = level[k] * l1_ratio, level[k] * (1 - l1_ratio)
        ref = np.zeros(s)
        ref[keep] = _sklearn_coef(A[k, keep], b[k], rho, mu)
        np.testing.assert_allclose(W[k], ref, atol=1e-7)
    assert W[2, 5] == 0.0
    assert not W[4].any()


@pytest.mark.parametrize("seed", range(3))
def test_gram_batch_on_a_singular_dictionary_reaches_the_optimum(seed):
    # lasso on 16 atoms of rank 4 with exact duplicates (many minimisers): the objective
    # reached equals sklearn's (tight tol), and the KKT conditions hold
    rng = np.random.default_rng(seed)
    B, s, D = 4, 16, 12
    basis = rng.standard_normal((B, 4, D))
    A = np.einsum("kst,ktd->ksd", rng.standard_normal((B, s, 4)), basis)
    A[:, 1] = A[:, 0]
    A[:, 3] = -A[:, 2]
    b = np.einsum("kt,ktd->kd", rng.standard_normal((B, 4)), basis)
    b += 0.01 * rng.standard_normal((B, D))
    G = np.ascontiguousarray(A @ A.transpose(0, 2, 1))
    Q = np.einsum("ksd,kd->ks", A, b)
    level = 0.05 * np.abs(Q).max(axis=1)
    W = np.zeros((B, s))
    done = np.zeros(B, dtype=bool)
    _enet_gram_batch(G, Q, W, np.einsum("krp,kp->kr", G, W) - Q, level, 1.0,
                     1e-12 * np.linalg.norm(b, axis=1), 1000, done, np.empty(s, np.int64),
                     np.empty((s + 1, s)))
    assert done.all()
    def objective(k, c):
        r = b[k] - A[k].T @ c
        return 0.5 * r @ r + level[k] * np.abs(c).sum()

    for k in range(B):
        ref = _sklearn_coef(A[k], b[k], level[k], 0.0)
        assert objective(k, W[k]) <= objective(k, ref) + 1e-10 * objective(k, np.zeros(s))
        on, off = _kkt_violation(A[k], b[k], W[k], level[k], 0.0)
        assert on <= 1e-9 and off <= 1e-9


@pytest.mark.parametrize("l1_ratio", [1.0, 0.7])
@pytest.mark.parametrize("extra", [False, True])
def test_self_expression_matches_sklearn_per_point(l1_ratio, extra):
    X, _ = make_subspaces(120, 12, n_subspaces=3, subspace_dim=3, noise=0.05, random_state=4)
    n, D = X.shape
    E = 0.7 * np.eye(D) if extra else None  # SSC's outlier atoms, never excluded
    alpha = 15.0
    rows, cols, vals, _, n_bad = elastic_net_self_expression(
        X, l1_ratio=l1_ratio, alpha=alpha, extra_atoms=E, support_size=10)
    assert n_bad == 0
    M = n + (D if extra else 0)
    C = _dense(rows, cols, vals, n, M)
    assert np.all(C[np.arange(n), np.arange(n)] == 0)  # c_i = 0
    Afull = X if E is None else np.vstack([X, E])
    for i in [0, 31, 77, 119]:
        others = np.delete(np.arange(M), i)
        A = Afull[others]
        rho = np.abs(X[np.arange(n) != i] @ X[i]).max() / alpha
        mu = (1 - l1_ratio) / l1_ratio * rho
        np.testing.assert_allclose(C[i, others], _sklearn_coef(A, X[i], rho, mu), atol=1e-7)


def test_kkt_of_every_point_with_working_set_growth():
    # support_size=2 forces the active-set loop to grow the working sets; the result is
    # optimal for the full problem of every point (all other points as atoms)
    X, _ = make_subspaces(150, 20, n_subspaces=3, subspace_dim=6, noise=0.1, random_state=5)
    n = X.shape[0]
    alpha, l1_ratio, kkt_tol = 40.0, 0.9, 1e-4
    rows, cols, vals, n_outer, n_bad = elastic_net_self_expression(
        X, l1_ratio=l1_ratio, alpha=alpha, support_size=2, kkt_tol=kkt_tol)
    assert n_bad == 0 and n_outer > 1
    C = _dense(rows, cols, vals, n, n)
    assert np.all(np.diag(C) == 0)
    assert np.count_nonzero(C, axis=1).max() > 2
    for i in range(n):
        others = np.arange(n) != i
        A = X[others]
        rho = np.abs(A @ X[i]).max() / alpha
        on, off = _kkt_violation(A, X[i], C[i, others], rho, (1 - l1_ratio) / l1_ratio * rho)
        # tol=1e-6 (violations below 1e-10 ||b|| in the working set), kkt_tol on the violations
        assert on <= 1e-5
        assert off <= kkt_tol * rho * (1 + 1e-9)


@pytest.mark.parametrize("max_sweeps, max_outer", [(1000, 40), (2, 1)])
def test_coherent_dictionary_no_false_convergence(max_sweeps, max_outer):
    # near-duplicate atoms (coordinate descent alone crawls there); with the default budget
    # every point is optimal, with a small one (two active-set steps: at most two atoms
    # enter) the points left non-optimal are reported
    rng = np.random.default_rng(6)
    base = rng.standard_normal((10, 8))
    X = np.vstack([base, base + 1e-3 * rng.standard_normal((10, 8)),
                   rng.standard_normal((10, 8))])
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    n = X.shape[0]
    alpha = 30.0
    rows, cols, vals, _, n_bad = elastic_net_self_expression(
        X, l1_ratio=1.0, alpha=alpha, max_sweeps=max_sweeps, max_outer=max_outer)
    C = _dense(rows, cols, vals, n, n)
    n_violating = 0
    for i in range(n):
        others = np.arange(n) != i
        A = X[others]
        rho = np.abs(A @ X[i]).max() / alpha
        on, off = _kkt_violation(A, X[i], C[i, others], rho, 0.0)
        n_violating += on > 1e-5 or off > 1e-4 * rho * (1 + 1e-9)
    assert n_violating <= n_bad
    if max_sweeps == 1000:
        assert n_bad == 0
    else:
        assert n_bad > 0


def test_orthogonal_point_and_tiny_inputs():
    # a point orthogonal to every other one is represented by nothing
    X = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.6, 0.8]])
    rows, cols, vals, _, n_bad = elastic_net_self_expression(X, alpha=5.0)
    assert n_bad == 0
    C = _dense(rows, cols, vals, 3, 3)
    assert not C[0].any() and not C[:, 0].any()
    assert C[1, 2] != 0 and C[2, 1] != 0
    rows, cols, vals, _, _ = elastic_net_self_expression(X[:1])
    assert rows.size == cols.size == vals.size == 0
