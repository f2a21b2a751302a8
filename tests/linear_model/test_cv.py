"""The CV classes of MCP, SCAD, the adaptive Lasso and the group lasso (one CV base).

References are independent: the plain estimator refitted at each alpha and scored by
``cross_val_score`` on the same folds, the oracle least squares on the true support.
"""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skstruct.linear_model import (
    AdaptiveLasso,
    AdaptiveLassoCV,
    GroupLasso,
    GroupLassoCV,
    MCPRegressor,
    MCPRegressorCV,
    SCADRegressor,
    SCADRegressorCV,
)

CASES = [
    (MCPRegressorCV, MCPRegressor, {}),
    (SCADRegressorCV, SCADRegressor, {}),
    (AdaptiveLassoCV, AdaptiveLasso, {}),
    (GroupLassoCV, GroupLasso, {"groups": 2}),
]
IDS = [c[0].__name__ for c in CASES]


def _data(seed=0, n=200, p=20, noise=0.5):
    # n = 10 p, near-orthogonal columns: lambda_min(X^T X / n) is about
    # (1 - sqrt(p / n))^2 = 0.47 > 1 / 3 and > 1 / 2.7, so the MCP (gamma 3) and
    # SCAD (gamma 3.7) objectives are strictly convex: one minimiser per alpha,
    # whatever the start (path or cold fit)
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p)
    w = np.zeros(p)
    w[[0, 1, 6, 7]] = [2.0, -1.5, 1.0, 1.2]  # whole groups of 2 for the group lasso
    return X, X @ w + noise * rng.randn(n), w


@pytest.mark.parametrize(
    "cv_cls, plain, kw",
    CASES + [(GroupLassoCV, GroupLasso, {"groups": 2, "positive": True})],
    ids=IDS + ["GroupLassoCV-positive"])
def test_matches_brute_force_cross_val_score(cv_cls, plain, kw):
    X, y, _ = _data()
    sw = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    folds = list(KFold(5, shuffle=True, random_state=0).split(X))
    grid = np.geomspace(1.0, 0.01, 12)
    est = cv_cls(alphas=grid, cv=folds, tol=1e-12, **kw).fit(X, y)
    ref = np.array([-cross_val_score(plain(alpha=a, tol=1e-12, **kw), X, y, cv=folds,
                                     scoring="neg_mean_squared_error") for a in est.alphas_])
    np.testing.assert_allclose(est.alphas_, grid)
    # each fit is converged to 1e-12 (strongly convex problems): the errors agree to rounding
    np.testing.assert_allclose(est.mse_path_, ref, rtol=1e-8)
    # the chosen alpha attains the smallest mean error (ties of the flat part of the path
    # may be broken either way by rounding)
    j = int(np.flatnonzero(est.alphas_ == est.alpha_)[0])
    assert ref.mean(axis=1)[j] <= ref.mean(axis=1).min() * (1 + 1e-10)
    # the refit is the plain estimator at alpha_
    refit = plain(alpha=est.alpha_, tol=1e-12, **kw).fit(X, y)
    np.testing.assert_allclose(est.coef_, refit.coef_, atol=1e-9)
    if kw.get("positive"):
        assert est.coef_.min() >= 0
    assert est.intercept_ == pytest.approx(refit.intercept_, abs=1e-9)
    # sample weights: training fits and held-out errors both weighted
    est_w = cv_cls(alphas=grid[:6], cv=folds, tol=1e-12, **kw).fit(X, y, sample_weight=sw)
    for j, a in enumerate(est_w.alphas_):
        for k, (tr, te) in enumerate(folds):
            m = plain(alpha=a, tol=1e-12, **kw).fit(X[tr], y[tr], sample_weight=sw[tr])
            err = np.average((y[te] - m.predict(X[te])) ** 2, weights=sw[te])
            assert est_w.mse_path_[j, k] == pytest.approx(err, rel=1e-8)


@pytest.mark.parametrize("cv_cls, plain, kw", CASES, ids=IDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_support_and_beats_lasso_scale_error(cv_cls, plain, kw, seed):
    X, y, w = _data(seed=seed, n=300, p=30)
    est = cv_cls(cv=5, **kw).fit(X, y)
    true = set(np.flatnonzero(w))
    found = set(np.flatnonzero(est.coef_))
    assert true <= found
    # oracle: least squares on the true support, with intercept
    S = sorted(true)
    A = np.column_stack([X[:, S], np.ones(len(y))])
    oracle = np.zeros_like(w)
    oracle[S] = np.linalg.lstsq(A, y, rcond=None)[0][:-1]
    err, err_oracle = np.linalg.norm(est.coef_ - w), np.linalg.norm(oracle - w)
    if cv_cls is GroupLassoCV:
        # convex penalty: CV picks the alpha that predicts best, which shrinks the true
        # groups and keeps noise groups (no selection consistency, as LassoCV): the
        # error is of the Lasso's order sqrt(s log p / n), a few times the oracle's
        assert err <= 5 * err_oracle
        assert err <= 0.1 * np.linalg.norm(w)
    else:
        # the folded-concave penalties leave large coefficients unbiased: near the oracle
        assert len(found - true) <= 2
        assert err <= 2 * err_oracle


@pytest.mark.parametrize("cv_cls, plain, kw", CASES, ids=IDS)
def test_n_jobs_equals_serial(cv_cls, plain, kw):
    X, y, _ = _data(seed=3)
    a = cv_cls(alphas=15, cv=4, **kw).fit(X, y)
    b = cv_cls(alphas=15, cv=4, n_jobs=2, **kw).fit(X, y)
    assert a.alpha_ == b.alpha_
    # the same kernels on the same folds; BLAS may be held to one thread in the
    # workers, which changes only the rounding of the products
    np.testing.assert_allclose(a.mse_path_, b.mse_path_, rtol=1e-12)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12, atol=1e-14)


def test_gamma_grid_and_sparse_input():
    X, y, _ = _data(seed=4)
    folds = list(KFold(4, shuffle=True, random_state=0).split(X))
    est = MCPRegressorCV(gamma=[1.5, 3.0, 10.0], alphas=10, cv=folds).fit(X, y)
    assert est.mse_path_.shape == (3, 10, 4)
    i, j = np.unravel_index(np.argmin(est.mse_path_.mean(axis=2)), (3, 10))
    assert est.gamma_ == [1.5, 3.0, 10.0][i] and est.alpha_ == est.alphas_[j]
    # each gamma's slice is the fixed-gamma CV
    one = MCPRegressorCV(gamma=10.0, alphas=10, cv=folds).fit(X, y)
    np.testing.assert_allclose(est.mse_path_[2], one.mse_path_, rtol=1e-10)
    spr = SCADRegressorCV(alphas=10, cv=folds, tol=1e-10).fit(sp.csc_matrix(X), y)
    den = SCADRegressorCV(alphas=10, cv=folds, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(spr.mse_path_, den.mse_path_, rtol=1e-7)
    np.testing.assert_allclose(spr.coef_, den.coef_, atol=1e-7)


def test_groups_routed_to_splitter():
    import sklearn

    X, y, _ = _data(seed=5)
    groups = np.repeat(np.arange(10), 20)
    splits = list(GroupKFold(5).split(X, y, groups))
    ref = MCPRegressorCV(alphas=8, cv=splits).fit(X, y)
    with sklearn.config_context(enable_metadata_routing=True):
        est = MCPRegressorCV(alphas=8, cv=GroupKFold(5)).fit(X, y, groups=groups)
    np.testing.assert_allclose(est.mse_path_, ref.mse_path_, rtol=1e-12)
    with pytest.raises(ValueError, match="groups"):
        MCPRegressorCV(alphas=8, cv=GroupKFold(5)).fit(X, y, groups=groups)


def test_pipeline_gridsearch_clone_pickle():
    X, y, _ = _data(seed=6)
    pipe = make_pipeline(StandardScaler(), AdaptiveLassoCV(alphas=10, cv=3))
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.9
    again = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(again.predict(X), pipe.predict(X))
    c = clone(pipe[-1])
    assert c.get_params() == pipe[-1].get_params() and not hasattr(c, "coef_")
    gs = GridSearchCV(SCADRegressorCV(alphas=8, cv=3), {"gamma": [2.5, 3.7]}, cv=3).fit(X, y)
    assert gs.best_params_["gamma"] in (2.5, 3.7)
    gl = GridSearchCV(GroupLassoCV(alphas=8, cv=3), {"groups": [1, 2]}, cv=3).fit(X, y)
    assert gl.best_estimator_.groups in (1, 2)


@pytest.mark.parametrize("cv_cls, plain, kw", CASES, ids=IDS)
def test_bad_grids(cv_cls, plain, kw):
    X, y, _ = _data(seed=7, n=60)
    est = cv_cls(alphas=5, cv=3, **kw).fit(X, y)
    coef = est.coef_.copy()
    for bad, err, msg in [([0.1, -1.0], ValueError, r"alphas\[1\]"),
                          ([0.1, np.inf], ValueError, "finite"),
                          ([np.nan], ValueError, "finite"),
                          ([0.1, "a"], TypeError, r"alphas\[1\]"),
                          ([], ValueError, "empty")]:
        with pytest.raises(err, match=msg):
            est.set_params(alphas=bad).fit(X, y)
        np.testing.assert_array_equal(est.coef_, coef)  # fitted state unchanged
    est.set_params(alphas=5)
    with pytest.raises(ValueError, match="1d"):
        est.fit(X, np.column_stack([y, y]))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.fit(X, y[:-1])
    for a in (np.inf, np.nan):
        with pytest.raises(ValueError, match="alpha"):
            plain(alpha=a, **kw).fit(X, y)


def test_bad_gamma_grids():
    X, y, _ = _data(seed=8, n=60)
    with pytest.raises(ValueError, match=r"gamma\[1\]"):
        SCADRegressorCV(gamma=[3.7, 0.9], alphas=5).fit(X, y)
    with pytest.raises(TypeError, match=r"gamma\[0\]"):
        MCPRegressorCV(gamma=["x"], alphas=5).fit(X, y)
    with pytest.raises(ValueError, match="finite"):
        MCPRegressorCV(gamma=[np.inf], alphas=5).fit(X, y)
    with pytest.raises(ValueError, match="empty"):
        MCPRegressorCV(gamma=[], alphas=5).fit(X, y)
    with pytest.raises(ValueError, match="gamma"):
        AdaptiveLassoCV(gamma=1.0, reweighting="scad", alphas=5).fit(X, y)


def test_group_grid_far_from_unit_scale():
    # alpha_max = max_g ||X_g^T y|| / (n w_g) scales as s^2 when X and y scale by s; the
    # group norms of X^T y (entries near 1e300) must not overflow
    X, y, _ = _data(seed=9, n=60)
    ref = GroupLassoCV(groups=2, alphas=5, cv=3).fit(X, y)
    big = GroupLassoCV(groups=2, alphas=5, cv=3).fit(X * 1e150, y * 1e150)
    np.testing.assert_allclose(big.alphas_, ref.alphas_ * 1e300, rtol=1e-10)
    assert np.all(np.isfinite(big.predict(X * 1e150)))
