"""OutlierRobustPCA streamed through dask-ml (skipped when the dask extra is missing)."""

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
wrappers = pytest.importorskip("dask_ml.wrappers")
model_selection = pytest.importorskip("dask_ml.model_selection")

from skstruct.decomposition import OutlierRobustPCA  # noqa: E402


def _data(n=2000, d=10, seed=0):
    # inliers N(0, diag(4, 1, ...)); 20% dense outliers at +-4 sd on the last axis
    rng = np.random.default_rng(seed)
    S = np.r_[4.0, np.ones(d - 1)]
    X = rng.standard_normal((n, d)) * np.sqrt(S)
    m = n // 5
    X[:m, 0] *= 0.5
    X[:m, -1] = rng.choice([-1.0, 1.0], m) * 4.0
    return X[rng.permutation(n)], S


def test_incremental_equals_a_serial_partial_fit_loop(dask_client):
    X, S = _data()
    inc = wrappers.Incremental(OutlierRobustPCA(contamination=0.2, random_state=0),
                               shuffle_blocks=False)
    inc.fit(da.from_array(X, chunks=250))
    serial = OutlierRobustPCA(contamination=0.2, random_state=0)
    for start in range(0, X.shape[0], 250):
        serial.partial_fit(X[start:start + 250])
    np.testing.assert_array_equal(inc.estimator_.components_, serial.components_)
    u = serial.components_[0]
    assert u ** 2 @ S / S.max() > 0.95


def test_incremental_search_scores_after_every_partial_fit(dask_client):
    # IncrementalSearchCV calls score after each partial_fit, from the first block on
    X, _ = _data(seed=1)
    Xd = da.from_array(X, chunks=200)
    y = da.zeros(X.shape[0], chunks=200)  # dask-ml splits (X, y); score ignores y
    search = model_selection.IncrementalSearchCV(
        OutlierRobustPCA(random_state=0), {"contamination": [0.05, 0.2, 0.3]},
        n_initial_parameters=3, max_iter=4, decay_rate=None, random_state=0)
    search.fit(Xd, y)
    assert search.best_params_["contamination"] in (0.05, 0.2, 0.3)
    assert np.isfinite(search.best_score_)
    scores = [h["score"] for h in search.history_]
    assert len(scores) >= 3 and np.all(np.isfinite(scores))
