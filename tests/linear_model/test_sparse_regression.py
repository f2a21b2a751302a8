"""Lasso / ElasticNet / paths / CV against scikit-learn, and the CD backend on its own."""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as sklm
from sklearn.datasets import load_diabetes
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skstruct.linear_model import (
    ElasticNet,
    ElasticNetCV,
    Lasso,
    LassoCV,
    enet_path,
    lasso_path,
)


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


@pytest.fixture(scope="module")
def sparse_problem():
    rng = np.random.RandomState(0)
    X = sp.random(200, 300, density=0.05, random_state=rng, format="csc")
    w = np.zeros(300)
    w[:8] = rng.randn(8) * 5
    y = X @ w + 0.1 * rng.randn(200)
    return X, y


def _close(a, b, rel=1e-6):
    scale = max(1.0, np.max(np.abs(b)))
    np.testing.assert_allclose(a, b, rtol=0, atol=rel * scale)


@pytest.mark.parametrize("alpha", [0.01, 0.1, 1.0])
@pytest.mark.parametrize("precompute", [True, False])
def test_lasso_equals_sklearn_diabetes(diabetes, alpha, precompute):
    X, y = diabetes
    ours = Lasso(alpha=alpha, tol=1e-12, precompute=precompute).fit(X, y)
    ref = sklm.Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, y)
    _close(ours.coef_, ref.coef_)
    _close(ours.intercept_, ref.intercept_)
    assert ours.dual_gap_ <= 1e-12 * np.var(y) * 1.0001


@pytest.mark.parametrize("alpha", [0.003, 0.05])
@pytest.mark.parametrize("l1_ratio", [0.3, 0.8])
def test_enet_equals_sklearn_diabetes_weighted(diabetes, alpha, l1_ratio):
    X, y = diabetes
    sw = np.random.RandomState(1).uniform(0, 2, len(y))
    ours = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-13).fit(X, y, sample_weight=sw)
    ref = sklm.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-13, max_iter=100_000)
    ref.fit(X, y, sample_weight=sw)
    _close(ours.coef_, ref.coef_)
    _close(ours.intercept_, ref.intercept_)


@pytest.mark.parametrize("alpha", [0.002, 0.01, 0.05])
@pytest.mark.parametrize("fmt", ["csc", "csr"])
def test_lasso_sparse_equals_sklearn(sparse_problem, alpha, fmt):
    X, y = sparse_problem
    X = X.asformat(fmt)
    sw = np.random.RandomState(2).uniform(0.5, 2, X.shape[0])
    ours = Lasso(alpha=alpha, tol=1e-12).fit(X, y, sample_weight=sw)
    ref = sklm.Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, y, sample_weight=sw)
    _close(ours.coef_, ref.coef_)
    _close(ours.intercept_, ref.intercept_)
    # the dense fit of the same data agrees too (implicit centring is exact)
    dense = Lasso(alpha=alpha, tol=1e-12, precompute=False).fit(X.toarray(), y,
                                                                   sample_weight=sw)
    _close(ours.coef_, dense.coef_)


def test_positive_and_no_intercept(diabetes):
    X, y = diabetes
    ours = ElasticNet(alpha=0.01, l1_ratio=0.9, positive=True, fit_intercept=False,
                      tol=1e-12).fit(X, y)
    ref = sklm.ElasticNet(alpha=0.01, l1_ratio=0.9, positive=True, fit_intercept=False,
                          tol=1e-12, max_iter=100_000).fit(X, y)
    assert ours.coef_.min() >= 0
    _close(ours.coef_, ref.coef_)
    assert ours.intercept_ == 0.0


def test_float32_kept_and_warm_start(diabetes):
    X, y = diabetes
    X32 = X.astype(np.float32)
    m = Lasso(alpha=0.1).fit(X32, y.astype(np.float32))
    assert m.coef_.dtype == np.float32
    assert m.predict(X32).dtype == np.float32
    m = Lasso(alpha=0.1, warm_start=True, tol=1e-10).fit(X, y)
    first = m.n_iter_
    m.fit(X, y)  # restarts at the optimum: at most one check of epochs
    assert m.n_iter_ <= max(first, 10)
    _close(m.coef_, sklm.Lasso(alpha=0.1, tol=1e-10).fit(X, y).coef_, 1e-5)


def test_lasso_path_equals_sklearn(diabetes):
    X, y = diabetes
    Xc, yc = X - X.mean(0), y - y.mean()
    alphas, coefs, gaps = lasso_path(Xc, yc, alphas=30, tol=1e-10)
    ref_alphas, ref_coefs, _ = sklm.lasso_path(Xc, yc, alphas=30, tol=1e-10)
    np.testing.assert_allclose(alphas, ref_alphas, rtol=1e-12)
    _close(coefs, ref_coefs)
    # l1 norm of the solution grows as alpha decreases (Lasso path monotone in ||w||_1)
    assert np.all(np.diff(np.abs(coefs).sum(0)) >= -1e-8)
    # at alpha_max every coefficient is zero
    assert not coefs[:, 0].any()


def test_enet_path_sparse_and_n_iter(sparse_problem):
    X, y = sparse_problem
    alphas, coefs, gaps, n_iter = enet_path(X, y, l1_ratio=0.7, alphas=10, tol=1e-13,
                                            fit_intercept=True, return_n_iter=True)
    assert coefs.shape == (300, 10) and n_iter.shape == (10,)
    # (at the smallest alphas p > n and the problem is barely strongly convex: equal
    # duality gaps then leave larger differences in w, so compare the well-posed part)
    for k in (3, 6):
        ref = sklm.ElasticNet(alpha=alphas[k], l1_ratio=0.7, tol=1e-13, max_iter=100_000)
        _close(coefs[:, k], ref.fit(X, y).coef_)


def test_lasso_cv_equals_sklearn(diabetes):
    X, y = diabetes
    cv = KFold(4, shuffle=True, random_state=0)
    ours = LassoCV(cv=cv, alphas=30, tol=1e-8).fit(X, y)
    ref = sklm.LassoCV(cv=cv, alphas=30, tol=1e-8, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(ours.alphas_, ref.alphas_, rtol=1e-10)
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-4)
    assert ours.alpha_ == pytest.approx(ref.alpha_)
    _close(ours.coef_, ref.coef_, 1e-5)


def test_enet_cv_picks_l1_ratio(diabetes):
    X, y = diabetes
    ours = ElasticNetCV(l1_ratio=[0.2, 0.9], cv=3, alphas=15).fit(X, y)
    ref = sklm.ElasticNetCV(l1_ratio=[0.2, 0.9], cv=3, alphas=15, max_iter=100_000).fit(X, y)
    assert ours.mse_path_.shape == (2, 15, 3)
    assert ours.l1_ratio_ == ref.l1_ratio_
    assert ours.alpha_ == pytest.approx(ref.alpha_)


def test_gridsearch_pipeline(diabetes):
    X, y = diabetes
    pipe = make_pipeline(StandardScaler(), Lasso())
    search = GridSearchCV(pipe, {"lasso__alpha": [0.1, 1.0, 10.0]}, cv=3).fit(X, y)
    assert search.best_params_["lasso__alpha"] in (0.1, 1.0)


def test_precomputed_gram_matches_sklearn(diabetes):
    X, y = diabetes
    Xc, yc = X - X.mean(0), y - y.mean()
    ours = ElasticNet(alpha=0.05, l1_ratio=0.6, tol=1e-12, precompute=Xc.T @ Xc).fit(Xc, yc)
    ref = sklm.ElasticNet(alpha=0.05, l1_ratio=0.6, tol=1e-12, max_iter=100_000).fit(X, y)
    _close(ours.coef_, ref.coef_)
    assert ours.dual_gap_ <= 1e-12 * (yc @ yc / len(y)) * 1.0001
    with pytest.raises(ValueError, match="did not pass validation"):
        ElasticNet(precompute=Xc.T @ Xc * 1.1).fit(Xc, yc)


def test_random_selection_matches_cyclic(diabetes):
    X, y = diabetes
    a = ElasticNet(alpha=0.01, tol=1e-14, precompute=False).fit(X, y)
    b = ElasticNet(alpha=0.01, tol=1e-14, precompute=False, selection="random",
                   random_state=0).fit(X, y)
    _close(a.coef_, b.coef_, 1e-7)
    c = ElasticNet(alpha=0.01, tol=1e-14, precompute=False, selection="random",
                   random_state=0).fit(X, y)
    np.testing.assert_array_equal(b.coef_, c.coef_)  # the seed fixes the order


def test_multi_target_is_one_fit_per_column(diabetes):
    X, y = diabetes
    Y = np.c_[y, -2 * y + 5, y[::-1]]
    m = Lasso(alpha=0.1, tol=1e-10).fit(X, Y)
    assert m.coef_.shape == (3, X.shape[1]) and m.intercept_.shape == (3,)
    assert m.predict(X).shape == (len(y), 3)
    for t in range(3):
        ref = sklm.Lasso(alpha=0.1, tol=1e-10, max_iter=100_000).fit(X, Y[:, t])
        _close(m.coef_[t], ref.coef_)
        _close(m.intercept_[t], ref.intercept_)


@pytest.mark.parametrize("precompute", [False, True])
def test_ridge_and_ols_boundary(diabetes, precompute):
    X, y = diabetes
    sw = np.random.RandomState(0).uniform(0.5, 2, len(y))
    ridge = sklm.Ridge(alpha=3.0, solver="svd").fit(X, y, sample_weight=sw)
    ours = ElasticNet(alpha=3.0 / sw.sum(), l1_ratio=0, precompute=precompute).fit(
        X, y, sample_weight=sw)
    _close(ours.coef_, ridge.coef_, 1e-9)
    ols = sklm.LinearRegression().fit(X, y)
    with pytest.warns(UserWarning, match="alpha=0"):
        ours = Lasso(alpha=0, precompute=precompute).fit(X, y)
    _close(ours.coef_, ols.coef_, 1e-9)


def test_cv_n_jobs_groups_and_scalar_weight(diabetes):
    import sklearn
    from sklearn.model_selection import GroupKFold

    X, y = diabetes
    a = LassoCV(alphas=10, cv=3).fit(X, y, sample_weight=2.0)
    b = LassoCV(alphas=10, cv=3, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(a.mse_path_, b.mse_path_, rtol=1e-8)
    groups = np.arange(len(y)) % 4
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        LassoCV(cv=GroupKFold(4)).fit(X, y, groups=groups)
    with sklearn.config_context(enable_metadata_routing=True):
        m = LassoCV(alphas=10, cv=GroupKFold(4)).fit(X, y, groups=groups)
    assert m.mse_path_.shape == (10, 4)


def test_bad_alphas():
    rng = np.random.RandomState(0)
    X, y = rng.randn(20, 3), rng.randn(20)
    with pytest.raises(ValueError, match="alpha"):
        Lasso(alpha=np.inf).fit(X, y)
    with pytest.raises(ValueError, match=r"alphas\[1\]"):
        LassoCV(alphas=[1.0, -1.0]).fit(X, y)
    with pytest.raises(TypeError, match=r"alphas\[0\]"):
        LassoCV(alphas=["a"]).fit(X, y)
    with pytest.raises(ValueError, match="finite"):
        ElasticNetCV(alphas=[np.nan]).fit(X, y)
    with pytest.raises(ValueError, match="l1_ratio=0"):
        ElasticNetCV(l1_ratio=0).fit(X, y)


def test_screening_does_not_change_solution(sparse_problem):
    from skstruct._backend._cd import cd_solve, prepare_design
    from skstruct._backend._penalties import L1

    X, y = sparse_problem
    d = prepare_design(X.toarray(), y)
    spec = L1(0.01).spec(300)
    a = cd_solve(d, spec, tol=1e-12, screen=True, anderson=True)
    b = cd_solve(d, spec, tol=1e-12, screen=False, anderson=False)
    _close(a.coef, b.coef)


@pytest.mark.parametrize("bad", ["nan", "inf", "complex", "3d", "empty"])
def test_bad_input(bad):
    rng = np.random.RandomState(0)
    X, y = rng.randn(20, 3), rng.randn(20)
    if bad == "nan":
        X[0, 0] = np.nan
    elif bad == "inf":
        y[0] = np.inf
    elif bad == "complex":
        X = X + 1j
    elif bad == "3d":
        X = X[:, :, None]
    else:
        X, y = X[:0], y[:0]
    with pytest.raises((ValueError, TypeError)):
        Lasso().fit(X, y)


def test_wrong_n_features_and_params():
    rng = np.random.RandomState(0)
    X, y = rng.randn(20, 3), rng.randn(20)
    m = Lasso(alpha=0.01).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        m.predict(X[:, :2])
    with pytest.raises(ValueError, match="alpha"):
        Lasso(alpha=-1).fit(X, y)
    with pytest.raises(ValueError, match="l1_ratio"):
        ElasticNet(l1_ratio=2).fit(X, y)
