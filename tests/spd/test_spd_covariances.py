"""Covariances: spatial and augmented covariance matrices from signals, and its contract."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.covariance import OAS, LedoitWolf
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags
from sklearn.utils._param_validation import InvalidParameterError

from skstruct._backend._spd import logm, vech
from skstruct.datasets import make_meeg_signals
from skstruct.spd import Covariances, SPDSWEmbedding, delay_embed
from skstruct.utils import all_estimators


@pytest.fixture(scope="module")
def signals():
    return np.random.RandomState(0).randn(5, 3, 60)


def test_empirical_matches_numpy(signals):
    C = Covariances(estimator="empirical").fit_transform(signals)
    for i in range(5):
        np.testing.assert_allclose(C[i], np.cov(signals[i], bias=True), rtol=1e-12)


@pytest.mark.parametrize("name, cls", [("ledoit_wolf", LedoitWolf), ("oas", OAS)])
def test_shrinkage_matches_sklearn(signals, name, cls):
    C = Covariances(estimator=name).fit_transform(signals)
    for i in range(5):
        np.testing.assert_allclose(C[i], cls().fit(signals[i].T).covariance_, rtol=1e-12)


def test_augmented_covariance_structure(signals):
    order, lag = 3, 4
    Xa = delay_embed(signals, order, lag)
    T = 60 - (order - 1) * lag
    assert Xa.shape == (5, 9, T)
    # block k is the signal delayed by k * lag (MOABB's AugmentedDataset layout)
    for k in range(order):
        np.testing.assert_array_equal(Xa[:, 3 * k:3 * (k + 1)], signals[:, :, k * lag:k * lag + T])
    C = Covariances(estimator="empirical", order=order, lag=lag).fit_transform(signals)
    assert C.shape == (5, 9, 9)
    np.testing.assert_allclose(C[2], np.cov(Xa[2], bias=True), rtol=1e-12)
    # order 1 is the spatial covariance
    np.testing.assert_allclose(Covariances(estimator="empirical", order=1, lag=7)
                               .fit_transform(signals), np.stack([np.cov(x, bias=True)
                                                                  for x in signals]))


def test_augmented_covariance_separates_rhythms():
    """Classes with equal spatial covariance but different rhythms: order > 1 is needed."""
    X, y = make_meeg_signals(n_trials=120, n_channels=4, n_times=200, random_state=0)

    def accuracy(order):
        C = Covariances(order=order, lag=2).fit_transform(X)
        F = vech(logm(C)).reshape(len(X), -1)
        clf = LogisticRegression(max_iter=2000).fit(F[:80], y[:80])
        return clf.score(F[80:], y[80:])

    assert accuracy(3) > 0.9
    assert accuracy(3) > accuracy(1) + 0.2


def test_input_forms(signals):
    cov = Covariances(order=2, lag=1).fit(signals)
    C = cov.transform(signals)
    four = cov.transform(np.stack([signals, signals]))
    assert four.shape == (2, 5, 6, 6)
    np.testing.assert_allclose(four[1], C)
    ragged = cov.transform([signals[:2], signals])
    assert isinstance(ragged, list) and ragged[0].shape == (2, 6, 6)
    np.testing.assert_allclose(ragged[1], C)
    assert cov.transform(signals.astype(np.float32)).dtype == np.float32
    # feeds SPDSWEmbedding (ragged sets of covariances)
    assert SPDSWEmbedding(n_projections=3, random_state=0).fit_transform(ragged).shape[0] == 2


def test_contract(signals):
    assert "Covariances" in dict(all_estimators())
    tags = get_tags(Covariances())
    assert not tags.input_tags.two_d_array and tags.input_tags.three_d_array
    est = Covariances(order=2)
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        est.transform(signals)
    est.fit(signals)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).transform(signals),
                                  est.transform(signals))
    with pytest.raises(InvalidParameterError):
        Covariances(estimator="mcd").fit(signals)
    with pytest.raises(InvalidParameterError):
        Covariances(order=0).fit(signals)


def test_bad_input(signals):
    cov = Covariances().fit(signals)
    bad = signals.copy()
    bad[0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        cov.transform(bad)
    with pytest.raises(ValueError, match="fitted on 3"):
        cov.transform(signals[:, :2])
    with pytest.raises(ValueError, match="n_trials, n_channels, n_times"):
        cov.transform(signals[0])
    with pytest.raises(ValueError, match="empty"):
        cov.transform(signals[:0])
    with pytest.raises(ValueError, match="complex"):
        cov.transform(signals.astype(complex))
    with pytest.raises(TypeError, match="sparse"):
        cov.transform(sp.csr_matrix(signals[0]))
    with pytest.raises(ValueError, match="need at least"):
        Covariances(order=5, lag=20).fit(signals)
    # more channels than samples: the empirical covariance is singular, shrinkage is not
    short = np.random.RandomState(1).randn(3, 6, 4)
    with pytest.raises(ValueError, match="not positive definite"):
        Covariances(estimator="empirical").fit_transform(short)
    assert Covariances(estimator="oas").fit_transform(short).shape == (3, 6, 6)
    assert Covariances(estimator="empirical", reg=0.1).fit_transform(short).shape == (3, 6, 6)


def test_grid_search_over_order():
    X, y = make_meeg_signals(n_trials=60, n_channels=3, n_times=120, random_state=1)

    class LogVech:  # minimal stateless step: tangent vectors at the identity
        def fit(self, X, y=None):
            return self

        def transform(self, X):
            return vech(logm(np.asarray(X))).reshape(len(X), -1)

        def get_params(self, deep=True):
            return {}

        def set_params(self, **params):
            return self

    pipe = make_pipeline(Covariances(lag=2), LogVech(), LogisticRegression(max_iter=2000))
    grid = GridSearchCV(pipe, {"covariances__order": [1, 3]}, cv=3).fit(X, y)
    assert grid.best_params_["covariances__order"] == 3


@pytest.mark.parametrize("estimator", ["empirical", "ledoit_wolf", "oas"])
def test_n_jobs_gives_the_serial_matrices(estimator):
    signals, _ = make_meeg_signals(n_trials=21, n_channels=4, n_times=64, random_state=0)
    serial = Covariances(estimator=estimator, order=2).fit_transform(signals)
    threaded = Covariances(estimator=estimator, order=2, n_jobs=2).fit_transform(signals)
    # each trial's matrix is computed on its own: blocking changes only the
    # rounding of the batched products
    np.testing.assert_allclose(threaded, serial, rtol=1e-12, atol=1e-14)
