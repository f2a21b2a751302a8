"""Best subset (L0Regressor, l0_path) against exhaustive enumeration."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from skstruct.linear_model import L0Regressor, l0_path


def _problem(seed, n=40, p=12, rho=0.7, n_true=4, noise=1.0):
    rng = np.random.RandomState(seed)
    cov = rho ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    X = rng.randn(n, p) @ np.linalg.cholesky(cov).T
    w = np.zeros(p)
    idx = rng.choice(p, n_true, replace=False)
    w[idx] = rng.choice([-1, 1], n_true) * rng.uniform(1, 2, n_true)
    return X, X @ w + noise * rng.randn(n)


def _brute_force(X, y, k, sw=None):
    sw = np.ones(len(y)) if sw is None else sw * len(y) / sw.sum()
    xm, ym = np.average(X, axis=0, weights=sw), np.average(y, weights=sw)
    r = np.sqrt(sw)
    Xc, yc = (X - xm) * r[:, None], (y - ym) * r
    best = (np.inf, None)
    for S in itertools.combinations(range(X.shape[1]), k):
        b = np.linalg.lstsq(Xc[:, S], yc, rcond=None)[0]
        loss = np.sum((yc - Xc[:, S] @ b) ** 2) / (2 * len(y))
        if loss < best[0]:
            best = (loss, S)
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [4, 5, 6])
def test_local_search_equals_brute_force(seed, k):
    # enumeration disabled: splicing + exact swaps alone, on well-posed problems (k at least
    # the 4 true features; below that a 1-swap optimum may be local, see the next test)
    X, y = _problem(seed)
    est = L0Regressor(k, criterion=None, exhaustive_limit=0).fit(X, y)
    loss, S = _brute_force(X, y, k)
    assert tuple(est.support_) == S
    assert est.loss_ == pytest.approx(loss, rel=1e-9)
    # the coefficients are least squares on the support (intercept included)
    Xs = np.column_stack([X[:, S], np.ones(len(y))])
    ref = np.linalg.lstsq(Xs, y, rcond=None)[0]
    np.testing.assert_allclose(est.coef_[list(S)], ref[:-1], atol=1e-8)
    assert est.intercept_ == pytest.approx(ref[-1], abs=1e-8)
    assert est.kkt_violation_ < 1e-8


def test_enumeration_exact_on_hard_instances():
    # weak signals: a 1-swap local optimum need not be global; enumeration is
    for seed in range(5):
        X, y = _problem(100 + seed, n=30, p=10, n_true=5, noise=3.0)
        sw = np.random.RandomState(seed).uniform(0.2, 2.0, len(y))
        est = L0Regressor(3, criterion=None).fit(X, y, sample_weight=sw)
        loss, S = _brute_force(X, y, 3, sw)
        assert tuple(est.support_) == S
        assert est.loss_ == pytest.approx(loss, rel=1e-9)


def test_path_losses_decrease_and_sparse_input():
    X, y = _problem(7, n=60, p=30)
    sizes, coefs, losses = l0_path(X, y, max_nonzero=6, exhaustive_limit=0)
    assert list(sizes) == list(range(7))
    assert np.all(np.diff(losses) <= 1e-12)
    assert all(np.count_nonzero(coefs[:, s]) == s for s in sizes)
    _, coefs_sp, losses_sp = l0_path(sp.csr_matrix(X), y, max_nonzero=6, exhaustive_limit=0)
    np.testing.assert_allclose(losses_sp, losses, rtol=1e-10)
    np.testing.assert_allclose(coefs_sp, coefs, atol=1e-8)


def test_criterion_recovers_true_support():
    rng = np.random.RandomState(0)
    n, p = 400, 50
    X = rng.randn(n, p)
    w = np.zeros(p)
    w[[3, 17, 30]] = [2.0, -1.5, 1.0]
    y = X @ w + 0.5 * rng.randn(n)
    est = L0Regressor(10, criterion="ebic").fit(X, y)
    assert list(est.support_) == [3, 17, 30]
    assert len(est.path_losses_) == 11


def test_bad_params():
    X, y = _problem(0)
    with pytest.raises(ValueError, match="criterion"):
        L0Regressor(criterion="nope").fit(X, y)
    with pytest.raises(ValueError, match="n_nonzero_coefs"):
        L0Regressor(-1).fit(X, y)


def _sparse_problem(seed, n, p, k, noise=1.0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p)
    w = np.zeros(p)
    S = np.sort(rng.choice(p, k, replace=False))
    w[S] = rng.choice([-1, 1], k) * rng.uniform(1, 2, k)
    return X, X @ w + noise * rng.randn(n), S


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("n, p, k", [(150, 20, 2), (300, 60, 6), (400, 80, 10)])
def test_default_criterion_picks_true_size(seed, n, p, k):
    # coefficients of at least 1 against unit noise: well above the sqrt(log p / n)
    # detection level, where the extended BIC is consistent
    X, y, S = _sparse_problem(seed, n, p, k)
    est = L0Regressor().fit(X, y)
    assert len(est.support_) == k
    np.testing.assert_array_equal(est.support_, S)
    # the chosen size minimises the criterion, computed here from the path losses
    ebic = n * np.log(2 * est.path_losses_) + np.arange(len(est.path_losses_)) * (
        np.log(n) + 2 * np.log(p))
    np.testing.assert_allclose(est.criterion_path_, ebic, rtol=1e-12)
    assert int(np.argmin(ebic)) == k
    gic = L0Regressor(criterion="gic").fit(X, y).criterion_path_
    np.testing.assert_allclose(gic, n * np.log(2 * est.path_losses_) + np.arange(
        len(est.path_losses_)) * np.log(p) * np.log(np.log(n)), rtol=1e-12)


def test_default_max_size_rule():
    for n, p in [(150, 20), (300, 60), (40, 500)]:
        X, y, _ = _sparse_problem(0, n, p, 2)
        est = L0Regressor().fit(X, y)
        expected = min(p, n - 2, round(n / (np.log(p) * max(np.log(np.log(n)), 1.0))))
        assert len(est.path_losses_) == expected + 1


def test_path_losses_equal_brute_force_every_size():
    # tiny problems: every size of the path is the best subset (with weights)
    for seed in range(4):
        X, y = _problem(200 + seed, n=25, p=8, n_true=3, noise=2.0)
        sw = np.random.RandomState(seed).uniform(0.2, 2.0, len(y))
        sizes, coefs, losses = l0_path(X, y, max_nonzero=8, sample_weight=sw)
        for s in sizes[1:]:
            loss, S = _brute_force(X, y, s, sw)
            assert losses[s] == pytest.approx(loss, rel=1e-9)
            assert tuple(np.flatnonzero(coefs[:, s])) == S


def test_criteria_and_fixed_size():
    X, y, S = _sparse_problem(3, 200, 30, 4)
    for crit in ("ebic", "bic"):
        np.testing.assert_array_equal(L0Regressor(criterion=crit).fit(X, y).support_, S)
    # aic penalises less: never a smaller model than bic
    aic = L0Regressor(criterion="aic").fit(X, y)
    assert len(aic.support_) >= 4
    fixed = L0Regressor(7, criterion=None).fit(X, y)
    assert len(fixed.support_) == 7 and len(fixed.path_losses_) == 8
    with pytest.raises(ValueError, match="criterion=None"):
        L0Regressor(criterion=None).fit(X, y)


def test_l0_path_verbose(capsys):
    rng = np.random.RandomState(0)
    X = rng.randn(40, 6)
    y = X[:, 1] - X[:, 4] + 0.1 * rng.randn(40)
    l0_path(X, y, max_nonzero=3)
    assert capsys.readouterr().out == ""
    sizes, coefs, losses = l0_path(X, y, max_nonzero=3, verbose=1)
    out = capsys.readouterr().out
    assert out.count("[l0_path] size") == 3 and "size   3/3" in out
