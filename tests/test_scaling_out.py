"""skstruct on dask: streams over dask arrays, model selection and blockwise prediction.

Every test runs on an in-process LocalCluster (``processes=False``: inproc
transport, no sockets) started once for the module and closed after it; the
module is skipped when the ``dask`` extra is not installed.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

da = pytest.importorskip("dask.array")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")

import joblib  # noqa: E402
from sklearn.datasets import make_regression  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skstruct.datasets import make_meeg_signals  # noqa: E402
from skstruct.linear_model import Lasso  # noqa: E402
from skstruct.mixture import IncrementalGaussianMixture  # noqa: E402
from skstruct.spd import Covariances  # noqa: E402


def _blobs(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [8.0, 0.0, 0.0], [0.0, 8.0, 0.0]])
    return centres[rng.integers(0, 3, n)] + rng.normal(size=(n, 3))


def test_gridsearch_on_the_dask_backend_matches_serial(dask_client):
    X, y = make_regression(n_samples=300, n_features=30, n_informative=5, noise=1.0,
                           random_state=0)
    pipe = make_pipeline(StandardScaler(), Lasso())
    grid = {"lasso__alpha": [0.01, 0.1, 1.0]}
    serial = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    with joblib.parallel_backend("dask"):
        on_dask = GridSearchCV(pipe, grid, cv=3, n_jobs=-1).fit(X, y)
    assert on_dask.best_params_ == serial.best_params_
    assert_allclose(on_dask.cv_results_["mean_test_score"],
                    serial.cv_results_["mean_test_score"])


def test_incremental_over_dask_chunks_equals_a_serial_partial_fit_loop(dask_client):
    X = _blobs()
    Xd = da.from_array(X, chunks=250)
    inc = dask_ml_wrappers.Incremental(IncrementalGaussianMixture(), shuffle_blocks=False)
    inc.fit(Xd)
    serial = IncrementalGaussianMixture()
    for start in range(0, X.shape[0], 250):
        serial.partial_fit(X[start:start + 250])
    assert_allclose(inc.estimator_.score_samples(X), serial.score_samples(X))
    # blockwise prediction through the wrapper equals in-memory prediction
    assert_allclose(inc.predict(Xd).compute(), serial.predict(X))


def test_parallel_post_fit_predicts_and_scores_blockwise(dask_client):
    X, y = make_regression(n_samples=2000, n_features=20, noise=1.0, random_state=0)
    Xd, yd = da.from_array(X, chunks=400), da.from_array(y, chunks=400)
    est = dask_ml_wrappers.ParallelPostFit(Lasso(alpha=0.1)).fit(X, y)
    ref = Lasso(alpha=0.1).fit(X, y)
    pred = est.predict(Xd)
    assert isinstance(pred, da.Array)
    assert_allclose(pred.compute(), ref.predict(X))
    assert_allclose(est.score(Xd, yd), r2_score(y, ref.predict(X)))


def test_incremental_search_over_an_unsupervised_stream(dask_client):
    # dask-ml's searches split (X, y) before scoring, so an unsupervised
    # estimator gets a placeholder y, which its score(X, y=None) ignores
    ms = pytest.importorskip("dask_ml.model_selection")
    X = _blobs(seed=1)
    Xd = da.from_array(X, chunks=250)
    y_dummy = da.zeros(X.shape[0], chunks=250)
    search = ms.IncrementalSearchCV(IncrementalGaussianMixture(),
                                    {"novelty_threshold": [0.01, 0.05]},
                                    n_initial_parameters=2, max_iter=3, decay_rate=None,
                                    random_state=0)
    search.fit(Xd, y_dummy)
    assert search.best_params_["novelty_threshold"] in (0.01, 0.05)
    assert np.isfinite(search.best_score_)


def test_spd_transform_blockwise_with_explicit_meta(dask_client):
    # 3-D input: ParallelPostFit probes with a 2-D dummy, so map_blocks with
    # explicit chunks and meta is the blockwise route
    signals, _ = make_meeg_signals(n_trials=60, random_state=0)
    n, c, _ = signals.shape
    cov = Covariances().fit(signals)
    Sd = da.from_array(signals, chunks=(20, c, signals.shape[2]))
    out = Sd.map_blocks(cov.transform, chunks=(Sd.chunks[0], (c,), (c,)),
                        meta=np.empty((0, c, c)), dtype=np.float64)
    assert_allclose(out.compute(), cov.transform(signals))
