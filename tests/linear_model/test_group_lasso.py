"""GroupLasso: KKT conditions, reductions to the Lasso, group parsing, bad input."""

import numpy as np
import pytest
import scipy.sparse as sp

from skstruct.linear_model import GroupLasso, Lasso


def _data(seed=0, n=100, sizes=(3, 2, 4, 1, 3, 2)):
    rng = np.random.RandomState(seed)
    p = sum(sizes)
    X = rng.randn(n, p)
    X[:, 1] += X[:, 0]  # correlation inside a group
    w = np.zeros(p)
    w[:3] = [1.0, -2.0, 0.5]
    w[5:9] = [1.5, 1.0, -1.0, 0.5]
    return X, X @ w + 0.3 * rng.randn(n), list(sizes)


def _check_kkt(X, y, est, alpha, weights, atol):
    Xc, yc = X - X.mean(0), y - y.mean()
    grad = -Xc.T @ (yc - Xc @ est.coef_) / X.shape[0]
    for g, wg in zip(est.groups_, weights):
        a = alpha * wg
        wv, gv = est.coef_[g], grad[g]
        nw = np.linalg.norm(wv)
        if nw == 0:
            assert np.linalg.norm(gv) <= a + atol
        else:
            np.testing.assert_allclose(gv, -a * wv / nw, atol=atol)


@pytest.mark.parametrize("alpha", [0.05, 0.3, 1.0])
@pytest.mark.parametrize("precompute", [True, False])
def test_kkt(alpha, precompute):
    X, y, sizes = _data()
    est = GroupLasso(alpha=alpha, groups=sizes, tol=1e-12, precompute=precompute).fit(X, y)
    _check_kkt(X, y, est, alpha, np.sqrt(sizes), 1e-6)
    assert est.dual_gap_ <= 1e-12 * np.var(y) * 1.001
    # whole groups are zero or nonzero
    for g in est.groups_:
        nz = est.coef_[g] != 0
        assert nz.all() or not nz.any()


def test_sparse_and_index_lists_agree():
    X, y, sizes = _data(1)
    edges = np.cumsum([0] + sizes)
    perm = np.random.RandomState(0).permutation(X.shape[1])
    # the same groups given as index lists on permuted columns
    inv = np.argsort(perm)
    lists = [inv[edges[i]:edges[i + 1]] for i in range(len(sizes))]
    a = GroupLasso(alpha=0.2, groups=sizes, tol=1e-12).fit(X, y)
    b = GroupLasso(alpha=0.2, groups=lists, tol=1e-12).fit(sp.csr_matrix(X[:, perm]), y)
    np.testing.assert_allclose(b.coef_[inv], a.coef_, atol=1e-7)


def test_singletons_equal_lasso():
    X, y, _ = _data(2)
    a = GroupLasso(alpha=0.1, tol=1e-12).fit(X, y)
    b = Lasso(alpha=0.1, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8)
    assert a.intercept_ == pytest.approx(b.intercept_)


def test_zero_weight_group_is_unpenalised():
    X, y, sizes = _data(3)
    wts = np.sqrt(sizes)
    wts[0] = 0.0
    est = GroupLasso(alpha=5.0, groups=sizes, group_weights=wts, tol=1e-10).fit(X, y)
    assert np.all(est.coef_[:3] != 0)
    assert np.all(est.coef_[3:] == 0)
    assert np.isnan(est.dual_gap_)
    _check_kkt(X, y, est, 5.0, wts, 1e-6)


@pytest.mark.parametrize("groups", [4, [3, 3], [[0, 1], [1, 2]], [[0, 99]]])
def test_bad_groups(groups):
    X, y, _ = _data()
    with pytest.raises(ValueError, match="group"):
        GroupLasso(groups=groups).fit(X, y)


def _positive_reference(X, y, sizes, alpha, weights):
    """Positive group lasso by SLSQP on its smooth epigraph form (independent solver):
    min F(w) + alpha sum_g weights_g t_g  s.t. t_g^2 >= ||w_g||^2, w >= 0, t >= 0."""
    from scipy.optimize import minimize

    Xc, yc = X - X.mean(0), y - y.mean()
    n, p = X.shape
    edges = np.cumsum([0] + list(sizes))
    G = len(sizes)

    def obj(z):
        w, t = z[:p], z[p:]
        r = yc - Xc @ w
        return r @ r / (2 * n) + alpha * weights @ t

    def jac(z):
        w = z[:p]
        return np.concatenate([-Xc.T @ (yc - Xc @ w) / n, alpha * weights])

    def cone(z, g):
        wg = z[edges[g]:edges[g + 1]]
        return z[p + g] ** 2 - wg @ wg

    cons = [{"type": "ineq", "fun": cone, "args": (g,)} for g in range(G)]
    z0 = np.concatenate([np.full(p, 0.1), np.ones(G)])
    res = minimize(obj, z0, jac=jac, bounds=[(0, None)] * (p + G), constraints=cons,
                   method="SLSQP", options={"ftol": 1e-14, "maxiter": 2000})
    return res.x[:p], res.fun


@pytest.mark.parametrize("sparse", [False, True])
def test_positive_against_scipy_and_kkt(sparse):
    X, y, sizes = _data(4, n=60)
    y = y - 2.0 * X[:, 5]  # the unconstrained fit wants negative coefficients
    alpha, wts = 0.05, np.sqrt(sizes)
    est = GroupLasso(alpha=alpha, groups=sizes, positive=True, tol=1e-12)
    est.fit(sp.csr_matrix(X) if sparse else X, y)
    free = GroupLasso(alpha=alpha, groups=sizes, tol=1e-12).fit(X, y)
    assert free.coef_.min() < -0.1  # the constraint is active
    assert est.coef_.min() >= 0.0
    assert est.dual_gap_ <= 1e-12 * np.var(y)
    # KKT of F + alpha sum w_g ||w_g|| + indicator(w >= 0)
    Xc, yc = X - X.mean(0), y - y.mean()
    grad = -Xc.T @ (yc - Xc @ est.coef_) / X.shape[0]
    for g, wg in zip(est.groups_, wts):
        wv, gv, a = est.coef_[g], grad[g], alpha * wg
        nw = np.linalg.norm(wv)
        if nw == 0:
            assert np.linalg.norm(np.maximum(-gv, 0)) <= a + 1e-7
        else:
            on = wv > 0
            np.testing.assert_allclose(gv[on], -a * wv[on] / nw, atol=1e-7)
            assert np.all(gv[~on] >= -1e-7)
    w_ref, f_ref = _positive_reference(X, y, sizes, alpha, wts)
    r = yc - Xc @ est.coef_
    f_ours = r @ r / (2 * len(y)) + alpha * sum(
        wg * np.linalg.norm(est.coef_[g]) for g, wg in zip(est.groups_, wts))
    # ours is optimal to its gap (1e-12 var(y)); SLSQP's own accuracy is ~1e-10
    assert f_ours <= f_ref + 1e-9
    np.testing.assert_allclose(est.coef_, w_ref, atol=1e-4)
