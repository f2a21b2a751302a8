"""Block coordinate descent backend (skstruct._backend._bcd): one epoch of each storage
kernel against a numpy transcription of the block update, the solver against the
optimality conditions and scikit-learn, Anderson weights on a linear iteration."""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as skl

from skstruct._backend._bcd import (
    BlockDesign,
    bcd_path,
    bcd_solve,
    block_lipschitz,
    group_spec,
    row_spec,
)
from skstruct._backend._cd import prepare_designs
from skstruct._backend._working_set import anderson_weights


def _designs(X, Y, mode, center=True):
    """Designs of centred data in the three storages (0 dense, 1 CSC, 2 Gram)."""
    off = X.mean(0) if center else None
    yoff = Y.mean(0) if center else None
    Xin = sp.csc_matrix(X) if mode == 1 else X
    return BlockDesign(prepare_designs(Xin, Y, X_offset=off, y_offset=yoff, gram=mode == 2))


def _data(seed=0, n=40, p=12, T=3):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p) + 1.5
    X[rng.rand(n, p) < 0.3] = 0.0  # zeros, so that the CSC storage has structure
    W = np.zeros((T, p))
    W[:, :3] = rng.randn(T, 3)
    return X, X @ W.T + 0.1 * rng.randn(n, T)


def _reference_epoch(Xc, Yc, W, groups, lips, a1, a2, positive):
    """One cyclic epoch of block proximal-gradient updates, from the residual each time."""
    n = len(Xc)
    W = W.copy()
    for b, g in enumerate(groups):
        R = Yc - Xc @ W.T
        G = -(Xc[:, g].T @ R) / n  # (|g|, T)
        Z = W[:, g].T - G / lips[b]
        if positive:
            Z = np.maximum(Z, 0.0)
        nz = np.linalg.norm(Z)
        thr = a1[b] / lips[b]
        scale = (1 - thr / nz) / (1 + a2[b] / lips[b]) if nz > thr else 0.0
        W[:, g] = (Z * scale).T
    return W


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("positive", [False, True])
def test_one_epoch_matches_the_block_update(mode, positive):
    X, Y = _data()
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    d = _designs(X, Y, mode)
    groups = [np.array([0, 5]), np.array([1, 2, 3]), np.array([4]), np.arange(6, 12)]
    spec = group_spec(d, groups, np.ones(len(groups)), positive=positive)
    spec = type(spec)(spec.ptr, spec.idx, spec.lips, spec.weights, 0.7, positive, 0.05)
    a = spec.alpha * spec.weights
    a1, a2 = a * 0.7, a * 0.3
    rng = np.random.RandomState(1)
    W0 = np.abs(rng.randn(d.n_tasks, d.n_features)) * 0.2
    W = W0.copy()
    st, extra = d.initial_state(W)
    if mode == 1:  # sample-major: the C layout _epoch_csc is compiled for
        assert st.T.flags.c_contiguous
    G = np.zeros((spec.max_size, d.n_tasks))
    Z = np.zeros_like(G)
    blocks = np.arange(len(groups), dtype=np.int64)
    d.epoch(st, extra, W, spec, blocks, a1, a2, G, Z)
    ref = _reference_epoch(Xc, Yc, W0, groups, spec.lips, a1, a2, positive)
    np.testing.assert_allclose(W, ref, rtol=1e-10, atol=1e-12)
    # the state followed the coefficients
    st2, extra2 = d.initial_state(W)
    np.testing.assert_allclose(d.gradient(st, extra), d.gradient(st2, extra2), atol=1e-10)


def _block_kkt(Xc, Yc, W, groups, a, positive):
    """Largest violation of the block optimality conditions, computed from scratch."""
    n = len(Xc)
    R = Yc - Xc @ W.T
    worst = 0.0
    for g, ag in zip(groups, a):
        V = Xc[:, g].T @ R / n  # -gradient, (|g|, T)
        w = W[:, g].T
        if positive:
            V = np.where(w > 0, V, np.maximum(V, 0.0))
        nw = np.linalg.norm(w)
        if nw == 0:
            worst = max(worst, np.linalg.norm(V) - ag)
        else:
            worst = max(worst, np.linalg.norm(V - ag * w / nw))
    return worst


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("positive", [False, True])
def test_group_solution_meets_the_optimality_conditions(mode, positive):
    X, Y = _data(seed=2, T=1)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    d = _designs(X, Y, mode)
    groups = [np.arange(s, s + 3) for s in range(0, 12, 3)]
    w = np.sqrt([3.0] * 4)
    spec = group_spec(d, groups, w, positive=positive)
    alpha = 0.1 * spec.alpha_max(d)
    res = bcd_solve(d, spec.at(alpha), tol=1e-14, max_iter=500)
    assert res.converged
    # at a gap of 1e-14 ||y||^2/n, the violation is O(sqrt(gap)) at most
    scale = np.sqrt((Yc ** 2).sum() / len(X))
    assert _block_kkt(Xc, Yc, res.coef, groups, alpha * w, positive) <= 1e-6 * scale
    assert sum(np.any(res.coef[0, g] != 0) for g in groups) >= 1


@pytest.mark.parametrize("mode", [0, 1, 2])
def test_rows_match_sklearn_multitask_lasso(mode):
    X, Y = _data(seed=3, n=50, p=10)
    d = _designs(X, Y, mode)
    alpha = 0.05
    res = bcd_solve(d, row_spec(d).at(alpha), tol=1e-14, max_iter=1000)
    if mode == 1:  # the layout survives the solve (copies, Anderson)
        assert res.states[0].T.flags.c_contiguous
    ref = skl.MultiTaskLasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, Y)
    # both at a relative gap ~1e-14: ||W - W*||^2 <= 2 gap / mu with mu the smallest
    # eigenvalue of the centred Gram (n > p, so mu > 0)
    Xc = X - X.mean(0)
    mu = np.linalg.eigvalsh(Xc.T @ Xc / len(X))[0]
    bound = 2 * np.sqrt(2 * 1e-13 * ((Y - Y.mean(0)) ** 2).sum() / len(X) / mu)
    assert np.abs(res.coef - ref.coef_).max() <= bound


def test_screening_random_order_and_anderson_do_not_change_the_solution():
    X, Y = _data(seed=4, n=30, p=40)  # p > n: screening and the working set matter
    d = _designs(X, Y, 0)
    spec = row_spec(d).at(0.05)
    base = bcd_solve(d, spec, tol=1e-13, max_iter=1000, screen=False, anderson=False)
    for kw in (dict(), dict(seed=3), dict(anderson=False, seed=0)):
        res = bcd_solve(d, spec, tol=1e-13, max_iter=1000, **kw)
        assert res.converged
        np.testing.assert_allclose(res.coef, base.coef, atol=1e-5)
        assert res.dual_gap <= 1e-13 * d.yty_n


def test_zero_column_gets_zero_coefficient_and_warm_state_is_exact():
    X, Y = _data(seed=5)
    X[:, 4] = 0.0
    d = _designs(X, Y, 0, center=False)
    spec = row_spec(d)
    W0 = np.ones((d.n_tasks, d.n_features))  # nonzero on the zero column too
    res = bcd_solve(d, spec.at(0.02), W0, tol=1e-12)
    assert np.all(res.coef[:, 4] == 0.0)
    # the returned state (with its gradient) restarts as a cold start from the same W
    a = bcd_solve(d, spec.at(0.01), res.coef, state=res.states, tol=1e-12)
    b = bcd_solve(d, spec.at(0.01), res.coef, tol=1e-12)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-12, atol=1e-14)


def test_path_is_warm_started_and_monotone_in_support():
    X, Y = _data(seed=6, n=30, p=40)
    d = _designs(X, Y, 0)
    spec = row_spec(d)
    amax = spec.alpha_max(d)
    coefs, gaps, n_iters, ok = bcd_path(d, spec, amax * np.geomspace(1, 0.05, 8), tol=1e-10)
    assert ok and np.all(coefs[:, :, 0] == 0)
    assert np.all(gaps <= 1e-10 * d.yty_n)
    nnz = np.count_nonzero(np.any(coefs != 0, axis=0), axis=0)
    assert nnz[-1] > 0 and nnz[1] <= nnz[-1]


def test_anderson_weights_solve_a_linear_iteration():
    # x_{k+1} = A x_k + b in R^3: K = 5 > 3 differences span the error space, so the
    # combination of the iterates with the Anderson weights is the fixed point
    rng = np.random.RandomState(0)
    Q = np.linalg.qr(rng.randn(3, 3))[0]
    A = Q @ np.diag([0.9, 0.5, -0.3]) @ Q.T
    b = rng.randn(3)
    x_star = np.linalg.solve(np.eye(3) - A, b)
    xs = [rng.randn(3)]
    for _ in range(5):
        xs.append(A @ xs[-1] + b)
    buf = np.array(xs)
    c = anderson_weights(buf)
    assert c.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(c @ buf[1:], x_star, atol=1e-6 * np.abs(x_star).max())
    assert anderson_weights(np.ones((6, 4))) is None  # no movement: nothing to mix
    # scale-free: at 1e150 (U U^T would overflow unscaled) the same fixed point, scaled
    c = anderson_weights(buf * 1e150)
    np.testing.assert_allclose(c @ buf[1:], x_star, atol=1e-6 * np.abs(x_star).max())


def test_block_lipschitz_judges_each_block_by_its_own_columns():
    # A unit-scale block beside a 1e10 block keeps its constant; a block of columns
    # that centring made constant gets 0.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 6))
    X[:, :2] *= 1e10
    X[:, 4:] = 3e4
    off = X.mean(axis=0)
    design = prepare_designs(X, rng.normal(size=(50, 1)), X_offset=off)[0]
    ptr, idx = np.array([0, 2, 4, 6]), np.arange(6)
    L = block_lipschitz(design, ptr, idx)
    Xc = X - off
    for b in range(2):
        cols = Xc[:, 2 * b:2 * b + 2]
        np.testing.assert_allclose(L[b], np.linalg.eigvalsh(cols.T @ cols / 50)[-1], rtol=1e-10)
    assert L[2] == 0.0
