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
