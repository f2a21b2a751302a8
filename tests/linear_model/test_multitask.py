"""MultiTaskLasso / MultiTaskElasticNet: scikit-learn at tolerances from the duality gap,
an independent gap, T = 1 against the Lasso, sparse = dense, weights = repetitions, paths, CV."""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as skl
from sklearn.datasets import load_linnerud

from skstruct.linear_model import (
    Lasso,
    MultiTaskElasticNet,
    MultiTaskElasticNetCV,
    MultiTaskLasso,
    MultiTaskLassoCV,
    enet_path,
    lasso_path,
)
from skstruct.linear_model._multitask import multitask_enet_path


def _data(seed=0, n=60, p=30, T=3):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p) + 3.0  # off-centre: the intercept matters
    W = np.zeros((T, p))
    W[:, :5] = rng.randn(T, 5)
    return X, X @ W.T + 0.1 * rng.randn(n, T) + [1.0, -2.0, 5.0][:T]


def _objective(X, Y, W, b, alpha, l1_ratio):
    R = Y - X @ W.T - b
    return ((R ** 2).sum() / (2 * len(X)) + alpha * l1_ratio * np.linalg.norm(W, axis=0).sum()
            + 0.5 * alpha * (1 - l1_ratio) * (W ** 2).sum())


def _strong_convexity(X, alpha, l1_ratio):
    Xc = X - X.mean(0)
    return np.linalg.eigvalsh(Xc.T @ Xc / len(X))[0] + alpha * (1 - l1_ratio)


def _gap(X, Y, W, alpha, l1_ratio):
    """Duality gap (normalised by n) of centred data at W, with the dual point c R / n."""
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    n = len(X)
    R = Yc - Xc @ W.T
    V = Xc.T @ R / n  # (p, T): X_j^T theta for c = 1
    a1, a2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    vn = np.linalg.norm(V, axis=1)
    if a2 == 0:
        c = min(1.0, a1 / vn.max())
        conj = 0.0
    else:
        c = 1.0
        conj = (np.maximum(vn - a1, 0) ** 2).sum() / (2 * a2)
    F = (R ** 2).sum() / (2 * n)
    primal = F + a1 * np.linalg.norm(W, axis=0).sum() + 0.5 * a2 * (W ** 2).sum()
    dual = c * (Yc * R).sum() / n - c * c * F - conj
    return primal - dual


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("fmt", ["dense", "csc", "csr"])
def test_matches_sklearn_within_the_gap_bound(l1_ratio, fmt):
    X, Y = _data()
    alpha, tol = 0.05, 1e-10
    Xin = {"dense": X, "csc": sp.csc_matrix(X), "csr": sp.csr_matrix(X)}[fmt]
    ours = (MultiTaskLasso(alpha=alpha, tol=tol) if l1_ratio == 1
            else MultiTaskElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=tol)).fit(Xin, Y)
    ref = skl.MultiTaskElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12,
                                  max_iter=100_000).fit(X, Y)
    gap = _gap(X, Y, ours.coef_, alpha, l1_ratio)
    Yc = Y - Y.mean(0)
    assert gap <= tol * (Yc ** 2).sum() / len(X) * (1 + 1e-6) + 1e-15
    assert ours.dual_gap_ == pytest.approx(gap, abs=1e-12)
    P_o = _objective(X, Y, ours.coef_, ours.intercept_, alpha, l1_ratio)
    P_r = _objective(X, Y, ref.coef_, ref.intercept_, alpha, l1_ratio)
    assert P_o <= P_r + gap + 1e-14
    # strong convexity: ||W - W*||^2 <= 2 (P(W) - P*) / mu, and P* >= P_o - gap; the
    # objectives carry rounding errors of about eps * P
    mu = _strong_convexity(X, alpha, l1_ratio)
    slack = 1e-14 * P_r
    bound = (np.sqrt(2 * (max(gap, 0) + slack) / mu)
             + np.sqrt(2 * (max(P_r - P_o, 0) + max(gap, 0) + slack) / mu))
    assert np.linalg.norm(ours.coef_ - ref.coef_) <= bound
    assert np.abs(ours.intercept_ - ref.intercept_).max() <= bound * np.linalg.norm(X.mean(0))
    assert ours.coef_.shape == (3, 30) and ours.intercept_.shape == (3,)


@pytest.mark.parametrize("fmt", ["csc", "csr"])
def test_sparse_and_dense_routes_agree_within_the_gap_bound(fmt):
    # zeros in off-centre X (the CSC route centres implicitly), 3 tasks, a warm-started
    # path (working sets, screening, Anderson): at each alpha both routes are within
    # sqrt(2 gap / mu) of the one solution (n > p: mu > 0), gaps measured here
    X, Y = _data(7, n=80, p=40)
    X[np.random.RandomState(7).rand(*X.shape) < 0.6] = 0.0
    Xs = sp.csc_matrix(X) if fmt == "csc" else sp.csr_matrix(X)
    tol = 1e-10
    alphas, dense, _ = multitask_enet_path(X, Y, l1_ratio=1.0, alphas=6, eps=0.05, tol=tol,
                                           fit_intercept=True)
    _, sparse, _ = multitask_enet_path(Xs, Y, l1_ratio=1.0, alphas=alphas, tol=tol,
                                       fit_intercept=True)
    mu = _strong_convexity(X, 0.0, 1.0)
    yty_n = ((Y - Y.mean(0)) ** 2).sum() / len(X)
    for i, a in enumerate(alphas):
        g_d, g_s = (_gap(X, Y, C[:, :, i], a, 1.0) for C in (dense, sparse))
        assert max(g_d, g_s) <= tol * yty_n * (1 + 1e-6) + 1e-15
        slack = 1e-14 * yty_n  # rounding of the objectives (each <= yty_n / 2)
        bound = np.sqrt(2 * (max(g_d, 0) + slack) / mu) + np.sqrt(2 * (max(g_s, 0) + slack) / mu)
        assert np.linalg.norm(dense[:, :, i] - sparse[:, :, i]) <= bound
    assert np.count_nonzero(np.any(sparse[:, :, -1] != 0, axis=0)) >= 5


def test_one_task_is_the_lasso():
    X, Y = _data(1)
    y = Y[:, 0]
    a = MultiTaskLasso(alpha=0.1, tol=1e-12).fit(X, y[:, None])
    b = Lasso(alpha=0.1, tol=1e-12).fit(X, y)
    mu = _strong_convexity(X, 0.1, 1.0)
    bound = np.sqrt(2 * a.dual_gap_ / mu) + np.sqrt(2 * b.dual_gap_ / mu) + 1e-12
    assert np.linalg.norm(a.coef_[0] - b.coef_) <= bound
    assert np.flatnonzero(a.coef_[0]).tolist() == np.flatnonzero(b.coef_).tolist()


def test_integer_weights_equal_repeated_rows():
    X, Y = _data(2, n=30)
    sw = np.random.RandomState(0).randint(0, 4, size=len(X))
    a = MultiTaskElasticNet(alpha=0.05, tol=1e-12).fit(X, Y, sample_weight=sw)
    b = MultiTaskElasticNet(alpha=0.05, tol=1e-12).fit(np.repeat(X, sw, 0), np.repeat(Y, sw, 0))
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-6)
    np.testing.assert_allclose(a.intercept_, b.intercept_, atol=1e-6)


def test_whole_rows_enter_together_and_alpha_max():
    X, Y = _data(3)
    est = MultiTaskLasso(alpha=0.2, tol=1e-10).fit(X, Y)
    nz = est.coef_ != 0
    assert np.all(nz.all(axis=0) | ~nz.any(axis=0))
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    amax = np.linalg.norm(Xc.T @ Yc, axis=1).max() / len(X)
    assert not MultiTaskLasso(alpha=amax * 1.001).fit(X, Y).coef_.any()
    assert MultiTaskLasso(alpha=amax * 0.99, tol=1e-10).fit(X, Y).coef_.any()


def test_l1_ratio_zero_is_ridge_per_task():
    X, Y = _data(4)
    alpha = 0.3
    est = MultiTaskElasticNet(alpha=alpha, l1_ratio=0.0, tol=1e-12).fit(X, Y)
    ridge = skl.Ridge(alpha=alpha * len(X)).fit(X, Y)
    np.testing.assert_allclose(est.coef_, ridge.coef_, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("path", [lasso_path, enet_path])
def test_two_d_path_matches_sklearn(path):
    X, Y = _data(5)
    X = X - X.mean(0)
    kw = {} if path is lasso_path else {"l1_ratio": 0.7}
    alphas, coefs, gaps = path(X, Y, alphas=5, tol=1e-12, **kw)
    ref = getattr(skl, path.__name__)(X, Y, alphas=5, tol=1e-14, max_iter=100_000, **kw)
    np.testing.assert_allclose(alphas, ref[0], rtol=1e-12)
    assert coefs.shape == ref[1].shape == (3, 30, 5)
    Yc = Y - Y.mean(0)
    assert np.all(gaps <= 1e-12 * (Y ** 2).sum() / len(X) * (1 + 1e-6))
    assert np.abs(coefs - ref[1]).max() < 1e-5 * np.abs(ref[1]).max()
    assert Yc.shape == Y.shape
    with pytest.raises(ValueError, match="positive"):
        path(X, Y, positive=True, **kw)


def test_cv_chooses_sklearn_alpha():
    X, Y = _data(6)
    ours = MultiTaskLassoCV(cv=3, alphas=10, tol=1e-10).fit(X, Y)
    ref = skl.MultiTaskLassoCV(cv=3, alphas=10, tol=1e-12, max_iter=100_000).fit(X, Y)
    np.testing.assert_allclose(ours.alphas_, ref.alphas_, rtol=1e-12)
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-6)
    assert ours.alpha_ == pytest.approx(ref.alpha_)
    enet = MultiTaskElasticNetCV(cv=3, alphas=5, l1_ratio=[0.3, 0.9], tol=1e-8).fit(X, Y)
    assert enet.mse_path_.shape == (2, 5, 3) and enet.coef_.shape == (3, 30)
    assert enet.predict(X).shape == Y.shape


def test_linnerud_defaults():
    X, Y = load_linnerud(return_X_y=True)
    ours = MultiTaskLasso().fit(X, Y)
    ref = skl.MultiTaskLasso().fit(X, Y)
    # default tol 1e-4: objectives agree to the gap bound
    P_o = _objective(X, Y, ours.coef_, ours.intercept_, 1.0, 1.0)
    P_r = _objective(X, Y, ref.coef_, ref.intercept_, 1.0, 1.0)
    assert P_o <= P_r + ours.dual_gap_ + 1e-12
    assert ours.score(X, Y) > 0.1


def test_bad_input():
    X, Y = _data()
    with pytest.raises(ValueError, match="mono-task"):
        MultiTaskLasso().fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="alpha"):
        MultiTaskElasticNet(alpha=np.inf).fit(X, Y)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError):
        MultiTaskLasso().fit(Xn, Y)
    est = MultiTaskLasso(alpha=0.1).fit(X, Y)
    with pytest.raises(ValueError):
        est.predict(X[:, :5])


@pytest.mark.parametrize("cls, params, marker", [
    (MultiTaskLasso, {"alpha": 0.1}, "epochs"),
    (MultiTaskElasticNet, {"alpha": 0.1}, "epochs"),
    (MultiTaskLassoCV, {"alphas": 5, "cv": 3}, "fold 3/3"),
    (MultiTaskElasticNetCV, {"alphas": 5, "cv": 3}, "fold 3/3"),
], ids=lambda v: getattr(v, "__name__", ""))
def test_verbose_prints_only_when_asked(cls, params, marker, capsys):
    X, Y = _data(n=40, p=8)
    assert cls().get_params()["verbose"] == 0
    cls(**params).fit(X, Y)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    cls(verbose=1, **params).fit(X, Y)
    out = capsys.readouterr().out
    assert marker in out and cls.__name__ in out
    if "cv" in params:  # one line per fold and the refit; per alpha only from verbose=2
        assert "refit at alpha=" in out and "path: alpha" not in out
        cls(verbose=2, **params).fit(X, Y)
        assert "path: alpha   5/5" in capsys.readouterr().out
