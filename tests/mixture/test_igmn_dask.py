"""Supervised incremental mixtures streamed over dask chunks (skipped without the dask extra)."""

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")

from sklearn.datasets import make_blobs  # noqa: E402

from skstruct.mixture import (  # noqa: E402
    IncrementalGaussianMixtureClassifier,
    IncrementalGaussianMixtureRegressor,
)


def test_classifier_and_regressor_through_incremental_equal_fit(dask_client):
    """Blocks of 70 rows (the warm-up spans two blocks) give the model of fit on
    all rows, bitwise: the stream does not depend on where chunks end."""
    X, y = make_blobs(700, n_features=3, centers=3, random_state=0)
    X = X + 1e3
    target = X @ [1.0, -0.5, 2.0]
    Xd, yd, td = (da.from_array(a, chunks=70) for a in (X, y, target))
    clf = dask_ml_wrappers.Incremental(IncrementalGaussianMixtureClassifier(),
                                       shuffle_blocks=False)
    clf.fit(Xd, yd, classes=np.arange(3))
    reg = dask_ml_wrappers.Incremental(IncrementalGaussianMixtureRegressor(),
                                       shuffle_blocks=False)
    reg.fit(Xd, td)
    pred = clf.predict(Xd).compute()
    ref = IncrementalGaussianMixtureClassifier().fit(X, y)
    np.testing.assert_array_equal(clf.estimator_.predict_proba(X), ref.predict_proba(X))
    np.testing.assert_array_equal(pred, ref.predict(X))
    assert np.mean(pred == y) > 0.99
    ref_r = IncrementalGaussianMixtureRegressor().fit(X, target)
    np.testing.assert_array_equal(reg.estimator_.predict(X), ref_r.predict(X))
