"""Incremental Gaussian mixture regression and classification."""

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.datasets import load_digits, make_blobs
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skstruct.mixture import (
    IncrementalGaussianMixtureClassifier,
    IncrementalGaussianMixtureRegressor,
)
from skstruct.mixture._supervised import conditional_gaussian_mixture


def test_conditioning_in_precision_form_matches_covariance_form():
    rng = np.random.default_rng(0)
    K, n_in, O = 3, 3, 2
    D = n_in + O
    A = rng.standard_normal((K, D, D))
    covs = A @ np.swapaxes(A, 1, 2) + np.eye(D)
    means = rng.standard_normal((K, D))
    weights = np.array([0.2, 0.5, 0.3])
    X = rng.standard_normal((7, n_in))
    y, log_px = conditional_gaussian_mixture(means, np.linalg.inv(covs),
                                             np.linalg.slogdet(covs)[1], weights, X, n_in)
    # Direct marginalization: x ~ N(mu_x, C_xx); E[y|x,k] = mu_y + C_yx C_xx^-1 (x - mu_x).
    logp = np.stack([np.log(w) + multivariate_normal(m[:n_in], C[:n_in, :n_in]).logpdf(X)
                     for w, m, C in zip(weights, means, covs)], axis=1)
    resp = np.exp(logp - logsumexp(logp, axis=1, keepdims=True))
    yk = np.stack([m[n_in:] + (X - m[:n_in]) @ np.linalg.solve(C[:n_in, :n_in], C[:n_in, n_in:])
                   for m, C in zip(means, covs)], axis=1)
    np.testing.assert_allclose(log_px, logsumexp(logp, axis=1), rtol=1e-10)
    np.testing.assert_allclose(y, np.einsum("nk,nko->no", resp, yk), rtol=1e-9, atol=1e-12)


def test_regressor_recovers_nonlinear_function():
    rng = np.random.default_rng(1)
    X = rng.uniform(-3, 3, (3000, 1))
    y = np.sin(2 * X[:, 0]) + 0.05 * rng.standard_normal(3000)
    reg = IncrementalGaussianMixtureRegressor(init_scale=0.05).fit(X, y)
    grid = np.linspace(-2.8, 2.8, 200)[:, None]
    err = np.abs(reg.predict(grid) - np.sin(2 * grid[:, 0]))
    assert err.max() < 0.1
    assert reg.n_components_ >= 4  # a sine over 2 periods needs several linear pieces


def test_regressor_chunks_and_multioutput():
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (400, 2))
    Y = np.column_stack([X[:, 0] ** 2, X[:, 0] - X[:, 1]])
    full = IncrementalGaussianMixtureRegressor(init_scale=0.2).fit(X, Y)
    part = IncrementalGaussianMixtureRegressor(init_scale=0.2)
    part.partial_fit(X[:50], Y[:50]).partial_fit(X[50:], Y[50:])
    # Same model bitwise: the per-sample arithmetic and the warm-up range do not
    # depend on the chunks (see tests/mixture/test_incremental_gmm.py).
    np.testing.assert_array_equal(part.predict(X), full.predict(X))
    assert full.predict(X).shape == (400, 2)
    assert full.score(X, Y) > 0.9
    with pytest.raises(ValueError, match="targets"):
        part.partial_fit(X, Y[:, :1])


def _blobs_far(n, seed, scale, offset):
    X, y = make_blobs(n, n_features=3, centers=4, cluster_std=1.0, center_box=(-20, 20),
                      random_state=seed)
    return X * scale + offset, y


@pytest.mark.parametrize("seed, scale, offset", [(0, 1.0, 0.0), (1, 1e-3, 1e4), (2, 1e3, -1e6)])
def test_one_row_streams_equal_fit_for_classifier_and_regressor(seed, scale, offset):
    """One row at a time with defaults: the same model as fit (each class's
    mixture and the joint mixture learn their range from their first rows)."""
    X, y = _blobs_far(1200, seed, scale, offset)
    clf = IncrementalGaussianMixtureClassifier().fit(X, y)
    one = IncrementalGaussianMixtureClassifier()
    for i in range(len(X)):
        one.partial_fit(X[i:i + 1], y[i:i + 1], classes=np.arange(4))
    for a, b in zip(one.mixtures_, clf.mixtures_):
        assert a.n_components_ == b.n_components_
        np.testing.assert_array_equal(a.means_, b.means_)
        np.testing.assert_array_equal(a.precisions_, b.precisions_)
    np.testing.assert_array_equal(one.predict_proba(X), clf.predict_proba(X))
    assert one.score(X, y) > 0.99
    # Regression of a piecewise-linear target on the blobs, far from the origin too.
    t = (X - offset) / scale
    target = np.where(y % 2 == 0, t[:, 0] - 2 * t[:, 1], 3 * t[:, 2]) * scale + offset
    reg = IncrementalGaussianMixtureRegressor().fit(X, target)
    one_r = IncrementalGaussianMixtureRegressor()
    for i in range(len(X)):
        one_r.partial_fit(X[i:i + 1], target[i:i + 1])
    assert one_r.n_components_ == reg.n_components_
    np.testing.assert_array_equal(one_r.predict(X), reg.predict(X))
    assert one_r.score(X, target) > 0.95


def test_supervised_integer_weights_equal_repetition():
    """One component per mixture (hard posteriors): weight m is m repetitions, to
    rounding (about n eps cond ~ 1e-12; we allow 1e-9)."""
    rng = np.random.default_rng(5)
    X, y = make_blobs(300, n_features=2, centers=3, random_state=3)
    sw = rng.integers(1, 4, len(X))
    clf_w = IncrementalGaussianMixtureClassifier(max_components=1).fit(X, y, sample_weight=sw)
    clf_r = IncrementalGaussianMixtureClassifier(max_components=1).fit(
        np.repeat(X, sw, axis=0), np.repeat(y, sw))
    np.testing.assert_allclose(clf_w.class_counts_, np.bincount(y, weights=sw))
    np.testing.assert_allclose(clf_w.predict_proba(X), clf_r.predict_proba(X), rtol=1e-9,
                               atol=1e-12)
    target = X @ [1.0, -2.0] + 0.1 * rng.standard_normal(len(X))
    reg_w = IncrementalGaussianMixtureRegressor(max_components=1).fit(X, target, sample_weight=sw)
    reg_r = IncrementalGaussianMixtureRegressor(max_components=1).fit(
        np.repeat(X, sw, axis=0), np.repeat(target, sw))
    np.testing.assert_allclose(reg_w.predict(X), reg_r.predict(X), rtol=1e-9, atol=1e-9)
    # Weighted partial_fit in chunks is the weighted fit.
    part = IncrementalGaussianMixtureClassifier(max_components=1)
    for rows in np.array_split(np.arange(len(X)), 7):
        part.partial_fit(X[rows], y[rows], classes=[0, 1, 2], sample_weight=sw[rows])
    np.testing.assert_array_equal(part.predict_proba(X), clf_w.predict_proba(X))


def test_classifier_bayes_rule_and_accuracy():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    rng = np.random.default_rng(3)
    idx = rng.permutation(len(X))
    tr, te = idx[:1200], idx[1200:]
    clf = IncrementalGaussianMixtureClassifier(init_scale=0.3).fit(X[tr], y[tr])
    assert clf.score(X[te], y[te]) >= 0.9
    # predict_proba is Bayes' rule over the class mixtures.
    prior = np.bincount(y[tr]) / len(tr)
    jll = np.column_stack([np.log(prior[c]) + m.score_samples(X[te[:20]])
                           for c, m in enumerate(clf.mixtures_)])
    np.testing.assert_allclose(clf.predict_proba(X[te[:20]]),
                               np.exp(jll - logsumexp(jll, axis=1, keepdims=True)), rtol=1e-8)
    np.testing.assert_allclose(clf.predict_log_proba(X[te[:20]]),
                               np.log(clf.predict_proba(X[te[:20]])))


@pytest.mark.parametrize("method", ["class_conditional", "joint"])
def test_classifier_partial_fit_chunks_and_string_labels(method):
    X, y = make_blobs(600, n_features=2, centers=3, random_state=0)
    labels = np.array(["a", "b", "c"])[y]
    full = IncrementalGaussianMixtureClassifier(method=method).fit(X, labels)
    part = IncrementalGaussianMixtureClassifier(method=method)
    part.partial_fit(X[:100], labels[:100], classes=["a", "b", "c"])
    part.partial_fit(X[100:], labels[100:])
    np.testing.assert_array_equal(part.predict_proba(X), full.predict_proba(X))
    assert full.score(X, labels) > 0.9
    with pytest.raises(ValueError, match="not in classes"):
        part.partial_fit(X[:5], np.array(["z"] * 5))


def test_classifier_class_absent_from_first_chunk():
    X, y = make_blobs(300, n_features=2, centers=3, random_state=1)
    clf = IncrementalGaussianMixtureClassifier()
    clf.partial_fit(X[y != 2], y[y != 2], classes=[0, 1, 2])
    assert clf.mixtures_[2] is None
    assert np.all(clf.predict_proba(X)[:, 2] == 0)
    clf.partial_fit(X[y == 2], y[y == 2])
    assert np.mean(clf.predict(X) == y) > 0.9


def test_pipeline_and_grid_search():
    X, y = load_digits(return_X_y=True)
    pipe = make_pipeline(MinMaxScaler(), IncrementalGaussianMixtureClassifier())
    search = GridSearchCV(pipe, {"incrementalgaussianmixtureclassifier__init_scale": [0.2, 0.4]},
                          cv=2).fit(X[:400], y[:400])
    assert search.best_score_ > 0.8


def test_supervised_bad_input():
    X = np.random.default_rng(4).normal(size=(20, 2))
    y = np.arange(20) % 2
    with pytest.raises(ValueError, match="NaN"):
        IncrementalGaussianMixtureRegressor().fit(np.where(X > 1, np.nan, X), y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        IncrementalGaussianMixtureRegressor().fit(X, y[:-1])
    with pytest.raises(ValueError, match="Unknown label type"):
        IncrementalGaussianMixtureClassifier().fit(X, X[:, 0])
    clf = IncrementalGaussianMixtureClassifier().fit(X, y)
    with pytest.raises(ValueError, match="2 features"):
        clf.predict(X[:, :1])
    with pytest.raises(ValueError, match="differs"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="method"):
        IncrementalGaussianMixtureClassifier(method="nope").fit(X, y)
