"""SparseLogisticRegression, sparse_logistic_path, SparseLogisticRegressionCV."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skstruct.linear_model import (
    SparseLogisticRegression,
    SparseLogisticRegressionCV,
    sparse_logistic_path,
)

LOG2 = np.log(2.0)


def _data(n=150, p=20, seed=0, classes=2):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p)
    W = rng.randn(classes if classes > 2 else 1, p) * (rng.rand(p) < 0.3)
    S = X @ W.T + 0.5 * rng.randn(n, W.shape[0])
    y = (S[:, 0] > 0).astype(int) if classes == 2 else np.argmax(S, axis=1)
    return X, y


def _objective(X, y01, w, b, alpha, sw=None):
    n = X.shape[0]
    sw = np.ones(n) if sw is None else sw * (n / sw.sum())
    y = np.where(y01 > 0, 1.0, -1.0)
    return sw @ np.logaddexp(0, -y * (X @ w + b)) / n + alpha * np.abs(w).sum()


def _violation(X, y01, w, b, alpha, fit_intercept):
    """Largest violation of the l1 first-order conditions of the mean logistic loss."""
    n = X.shape[0]
    y = np.where(y01 > 0, 1.0, -1.0)
    r = y * expit(-y * (X @ w + b))
    g = -X.T @ r / n
    v = np.where(w != 0, np.abs(g + alpha * np.sign(w)), np.maximum(np.abs(g) - alpha, 0))
    return max(v.max(), abs(r.sum()) / n if fit_intercept else 0.0)


def _cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_default_is_sklearn_C1_objective_on_breast_cancer():
    """alpha=None is C = 1: without intercept the problem is liblinear's, so our
    objective is at most liblinear's plus the duality gap we certify."""
    X, y = _cancer()
    n = X.shape[0]
    m = SparseLogisticRegression(fit_intercept=False).fit(X, y)
    assert m.dual_gap_[0] <= m.tol * LOG2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LogisticRegression(C=1.0, l1_ratio=1.0, solver="liblinear", fit_intercept=False,
                                 tol=1e-10, max_iter=10_000).fit(X, y)
    alpha = 1.0 / n
    P = _objective(X, y, m.coef_[0], 0.0, alpha)
    assert P <= _objective(X, y, ref.coef_[0], 0.0, alpha) + m.dual_gap_[0] + 1e-15


def test_default_accuracy_close_to_liblinear():
    X, y = _cancer()
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0, stratify=y)
    acc = SparseLogisticRegression().fit(Xtr, ytr).score(Xte, yte)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LogisticRegression(C=1.0, l1_ratio=1.0, solver="liblinear").fit(Xtr, ytr)
    # liblinear penalises its intercept, so the two models differ slightly: two test points
    assert abs(acc - ref.score(Xte, yte)) <= 2.0 / len(yte)


@pytest.mark.parametrize("solver", ["prox_newton", "cd"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_first_order_conditions(fit_intercept, solver):
    X, y = _data()
    tol = 1e-10
    m = SparseLogisticRegression(alpha=0.02, tol=tol, fit_intercept=fit_intercept,
                                 solver=solver).fit(X, y)
    v = _violation(X, y, m.coef_[0], m.intercept_[0], 0.02, fit_intercept)
    assert m.dual_gap_[0] <= tol * LOG2
    # gap >= (strong convexity of the dual) => violation bounded through the gap
    assert v <= 1e-4
    if fit_intercept and solver == "cd":  # the gap and (as before it) stationarity
        assert v <= tol * np.sqrt(LOG2) + 1e-13


def test_multiclass_is_one_vs_rest_and_string_labels():
    X, y = _data(classes=3, seed=1)
    names = np.array(["cat", "dog", "emu"])
    m = SparseLogisticRegression(alpha=0.01, tol=1e-10).fit(X, names[y])
    assert list(m.classes_) == ["cat", "dog", "emu"]
    assert m.coef_.shape == (3, X.shape[1]) and m.intercept_.shape == (3,)
    for k in range(3):
        b = SparseLogisticRegression(alpha=0.01, tol=1e-10).fit(X, (y == k).astype(int))
        np.testing.assert_allclose(m.coef_[k], b.coef_[0], atol=1e-9)
        np.testing.assert_allclose(m.intercept_[k], b.intercept_[0], atol=1e-9)
    P = m.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert set(m.predict(X)) <= set(names)
    np.testing.assert_array_equal(m.predict(X), names[np.argmax(m.decision_function(X), 1)])


def test_binary_proba_and_labels():
    X, y = _data(seed=2)
    labels = np.array([-7, 3])[y]
    m = SparseLogisticRegression(alpha=0.01).fit(X, labels)
    s = m.decision_function(X)
    assert s.shape == (X.shape[0],)
    np.testing.assert_allclose(m.predict_proba(X)[:, 1], expit(s))
    np.testing.assert_array_equal(m.predict(X), np.where(s > 0, 3, -7))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_equals_dense(fmt):
    X, y = _data(seed=3)
    X[np.abs(X) < 0.8] = 0.0
    a = SparseLogisticRegression(alpha=0.01, tol=1e-10).fit(X, y)
    b = SparseLogisticRegression(alpha=0.01, tol=1e-10).fit(sp.csr_matrix(X).asformat(fmt), y)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8)
    np.testing.assert_allclose(a.intercept_, b.intercept_, atol=1e-8)


def test_integer_weights_are_repetitions():
    X, y = _data(n=60, seed=4)
    sw = np.random.RandomState(0).randint(0, 4, X.shape[0])
    kw = dict(alpha=None, tol=1e-12)
    a = SparseLogisticRegression(**kw).fit(X, y, sample_weight=sw)
    b = SparseLogisticRegression(**kw).fit(np.repeat(X, sw, 0), np.repeat(y, sw))
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-7)
    np.testing.assert_allclose(a.intercept_, b.intercept_, atol=1e-7)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "mcp", "scad"])
def test_penalties_fit_and_are_sparse(penalty):
    X, y = _data(seed=5)
    m = SparseLogisticRegression(penalty, alpha=0.03).fit(X, y)
    assert 0 < np.count_nonzero(m.coef_) < X.shape[1]
    assert m.score(X, y) > 0.8


def test_warm_start_from_solution_costs_nothing():
    X, y = _data(seed=6)
    m = SparseLogisticRegression(alpha=0.01, tol=1e-8, warm_start=True).fit(X, y)
    first = m.n_iter_[0]
    m.fit(X, y)
    assert m.n_iter_[0] < first


def test_path_alpha_max_and_single_fits():
    X, y = _data(seed=7)
    alphas, coefs, icpt, gaps = sparse_logistic_path(X, y, alphas=5, eps=1e-2, tol=1e-10)
    assert alphas[0] > alphas[-1] and coefs.shape == (X.shape[1], 5)
    assert not coefs[:, 0].any()
    # the intercept-only model is optimal at alpha_max: intercept = log odds
    share = y.mean()
    np.testing.assert_allclose(icpt[0], np.log(share / (1 - share)), atol=1e-8)
    for i in (2, 4):
        m = SparseLogisticRegression(alpha=alphas[i], tol=1e-10).fit(X, y)
        np.testing.assert_allclose(coefs[:, i], m.coef_[0], atol=1e-6)
        np.testing.assert_allclose(icpt[i], m.intercept_[0], atol=1e-6)


@pytest.mark.parametrize("solver, eps, tol", [("cd", 0.999999, 1e-14),
                                              ("prox_newton", 0.999, 1e-12)])
def test_path_alpha_max_is_tight(solver, eps, tol):
    """All zeros at alpha_max; a nonzero just below (alpha_max is the smallest such).
    (A gap stop accepts w = 0 a hair below alpha_max: the gap there is of order
    (1 - eps)^2, 5e-13 at eps = 1 - 1e-6, below tol = 1e-12; both solvers stop on the
    gap, the CD case is run at tol 1e-14.)"""
    X, y = _data(seed=8)
    alphas, coefs, _, _ = sparse_logistic_path(X, y, alphas=2, eps=eps, tol=tol,
                                               solver=solver)
    assert not coefs[:, 0].any() and coefs[:, 1].any()


def test_path_no_intercept_gaps():
    X, y = _data(seed=9)
    _, _, icpt, gaps = sparse_logistic_path(X, y, alphas=4, fit_intercept=False, tol=1e-8)
    assert not icpt.any() and np.all(gaps <= 1e-8 * LOG2)


def test_cv_picks_grid_point_and_n_jobs_agree():
    X, y = load_iris(return_X_y=True)
    a = SparseLogisticRegressionCV(alphas=6, cv=3).fit(X, y)
    b = SparseLogisticRegressionCV(alphas=6, cv=3, n_jobs=2).fit(X, y)
    assert a.alpha_ in a.alphas_ and a.loss_path_.shape == (6, 3)
    np.testing.assert_allclose(a.loss_path_, b.loss_path_)
    i = int(np.argmin(a.loss_path_.mean(axis=1)))
    assert a.alpha_ == a.alphas_[i]
    ref = SparseLogisticRegression(alpha=a.alpha_).fit(X, y)
    np.testing.assert_allclose(a.coef_, ref.coef_)
    acc = SparseLogisticRegressionCV(alphas=6, cv=3, scoring="accuracy").fit(X, y)
    assert np.all((acc.loss_path_ >= 0) & (acc.loss_path_ <= 1))


def test_cv_scores_are_heldout_log_likelihood():
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedKFold

    X, y = _data(seed=10)
    cv = StratifiedKFold(3)
    m = SparseLogisticRegressionCV(alphas=[0.05, 0.01], cv=cv, tol=1e-10).fit(X, y)
    train, test = next(cv.split(X, y))
    f = SparseLogisticRegression(alpha=0.01, tol=1e-10).fit(X[train], y[train])
    assert m.loss_path_[1, 0] == pytest.approx(log_loss(y[test], f.predict_proba(X[test])),
                                               rel=1e-6)


@pytest.mark.parametrize("bad", [dict(alpha=np.inf), dict(alpha=np.nan), dict(gamma=0.5,
                                 penalty="scad"), dict(penalty="elasticnet", l1_ratio=0.0),
                                 dict(solver="newton"), dict(solver="prox_newton", penalty="mcp"),
                                 dict(solver="prox_newton", penalty="scad")])
def test_bad_parameters(bad):
    X, y = _data()
    with pytest.raises(ValueError):
        SparseLogisticRegression(**bad).fit(X, y)


def test_one_class_and_regression_target():
    X, y = _data()
    with pytest.raises(ValueError, match="2 classes"):
        SparseLogisticRegression().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="Unknown label type"):
        SparseLogisticRegression().fit(X, np.linspace(0, 1, len(y)))
    with pytest.raises(ValueError, match="binary"):
        sparse_logistic_path(X, np.arange(len(y)) % 3)


def test_huge_scale_fits():
    # X ~ 1e150: the coefficients are ~1e-150 and their Anderson differences squared
    # underflow unless rescaled (this raised LinAlgError: singular matrix)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 6))
    X[:, 0] += 3 * X[:, 1]
    y = X @ rng.standard_normal(6) + 0.1 * rng.standard_normal(120)
    t = (y > np.median(y)).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = SparseLogisticRegression().fit(X * 1e150, t)
    assert np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.predict_proba(X * 1e150)))
    assert est.score(X * 1e150, t) > 0.9


@pytest.mark.parametrize("scale", [1e10, 1e-10])
@pytest.mark.parametrize("solver", ["auto", "cd"])
def test_intercept_fitted_beside_columns_of_any_scale(scale, solver):
    # the unpenalised intercept's stationarity: the mean predicted probability is the
    # share of the positive class (its column of ones used to be dropped as "below
    # rounding" beside columns of scale 1e10)
    rng = np.random.RandomState(0)
    X = rng.randn(200, 5)
    t = (X[:, 0] + 1.0 + 0.5 * rng.randn(200) > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = SparseLogisticRegression(alpha=0.01, solver=solver, tol=1e-8).fit(X * scale, t)
    assert est.intercept_[0] != 0.0
    p = est.predict_proba(X * scale)[:, 1]
    assert abs(p.mean() - t.mean()) < 1e-4


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_solvers_agree(penalty, fit_intercept):
    """Prox-Newton and coordinate descent reach the same model (multiclass, weighted,
    sparse X); both certify their gap, with an intercept too."""
    X, y = _data(classes=3, seed=11)
    X[np.abs(X) < 0.5] = 0.0
    sw = np.random.RandomState(2).uniform(0.5, 2.0, X.shape[0])
    tol = 1e-10
    kw = dict(alpha=0.01, tol=tol, fit_intercept=fit_intercept, max_iter=1000)
    a = SparseLogisticRegression(penalty, solver="prox_newton", **kw).fit(
        sp.csr_matrix(X), y, sample_weight=sw)
    b = SparseLogisticRegression(penalty, solver="cd", **kw).fit(X, y, sample_weight=sw)
    assert np.all(a.dual_gap_ <= tol * LOG2)
    assert np.all(b.dual_gap_ <= tol * LOG2)
    # both within sqrt(gap / curvature)-sized distance of the same strongly convex optimum
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-5)
    np.testing.assert_allclose(a.intercept_, b.intercept_, atol=1e-5)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-5)


def test_path_gaps_with_intercept_and_warm_start():
    """The default path certifies every point, intercept included; a warm start from a
    converged fit stops at once."""
    X, y = _data(seed=12)
    tol = 1e-8
    alphas, coefs, icpt, gaps = sparse_logistic_path(X, y, alphas=6, eps=1e-2, tol=tol)
    assert np.all(gaps <= tol * LOG2)
    for i in (1, 5):
        P = _objective(X, y, coefs[:, i], icpt[i], alphas[i])
        m = SparseLogisticRegression(alpha=alphas[i], tol=1e-12).fit(X, y)
        # both gaps bound the distance to the optimum
        assert P <= _objective(X, y, m.coef_[0], m.intercept_[0], alphas[i]) + gaps[i] + 1e-15
    m = SparseLogisticRegression(alpha=alphas[3], tol=tol, warm_start=True).fit(X, y)
    m.fit(X, y)
    assert m.n_iter_[0] == 0
