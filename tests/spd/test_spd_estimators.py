"""SPDSWEmbedding and SPDSWKernel: results, and the estimator contract held by hand.

scikit-learn's common checks skip estimators whose input is not 2-D, so the
contract (clone, params, pickle, Pipeline, GridSearchCV, bad input, dtype,
set_output) is tested here.
"""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.kernel_ridge import KernelRidge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC
from sklearn.utils import get_tags
from sklearn.utils._param_validation import InvalidParameterError

from skstruct.datasets import make_spd_distributions
from skstruct.spd import (
    SPDSWEmbedding,
    SPDSWKernel,
    spd_sliced_wasserstein,
    spd_sliced_wasserstein_pairwise,
)
from skstruct.utils import all_estimators

ESTIMATORS = [SPDSWEmbedding, SPDSWKernel]


@pytest.fixture(scope="module")
def data():
    return make_spd_distributions(n_distributions=24, n_matrices=8, n_channels=3, random_state=0)


def test_discovered_with_3d_tags():
    names = dict(all_estimators())
    for cls in ESTIMATORS:
        assert names[cls.__name__] is cls
        tags = get_tags(cls())
        assert not tags.input_tags.two_d_array and tags.input_tags.three_d_array


@pytest.mark.parametrize("metric", ["log-euclidean", "affine-invariant"])
@pytest.mark.parametrize("p", [1, 2])
def test_embedding_distances_equal_exact_spdsw(data, metric, p):
    X, _ = data
    emb = SPDSWEmbedding(n_projections=25, metric=metric, p=p, random_state=0).fit(X)
    F = emb.transform(X)
    assert F.shape == (24, 25 * 8)
    assert emb.n_quantiles_ == 8
    ord_ = 2 if p == 2 else 1
    for i, j in [(0, 1), (2, 7)]:
        exact = spd_sliced_wasserstein(X[i], X[j], metric=metric, p=p, n_projections=25,
                                       random_state=0)
        assert np.linalg.norm(F[i] - F[j], ord=ord_) == pytest.approx(exact, rel=1e-9)


def test_embedding_ragged_sets_converge_with_quantiles(data):
    X, _ = data
    ragged = [X[0][:3], X[1][:5], X[2]]
    exact = spd_sliced_wasserstein_pairwise(ragged, n_projections=20, random_state=0)
    errs = []
    for K in (4, 64, 120):
        F = SPDSWEmbedding(n_projections=20, n_quantiles=K, random_state=0).fit_transform(ragged)
        D = np.linalg.norm(F[:, None] - F[None], axis=-1)
        errs.append(np.abs(D - exact).max())
    assert errs[2] < 1e-10  # 120 is a multiple of 3, 5 and 8
    assert errs[1] < errs[0]


def test_input_forms_agree(data):
    X, _ = data
    emb = SPDSWEmbedding(n_projections=10, random_state=0).fit(X)
    F = emb.transform(X)
    np.testing.assert_array_equal(emb.transform(list(X)), F)
    np.testing.assert_array_equal(emb.transform(tuple(X)), F)
    obj = np.empty(len(X), dtype=object)
    obj[:] = list(X)
    np.testing.assert_array_equal(emb.transform(obj), F)
    # a 3-D array is a collection of single matrices
    single = emb.transform(X[:, 0])
    assert single.shape == (24, 10 * 8)
    np.testing.assert_allclose(single, emb.transform([x[:1] for x in X]))


def test_kernel_matches_pairwise_and_is_psd(data):
    X, _ = data
    kern = SPDSWKernel(gamma=0.7, n_projections=30, random_state=0)
    K = kern.fit_transform(X)
    D = spd_sliced_wasserstein_pairwise(X, n_projections=30, random_state=0)
    np.testing.assert_allclose(K, np.exp(-0.7 * D ** 2), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(kern.transform(X[:5]), K[:5], rtol=1e-9)
    assert np.linalg.eigvalsh(K).min() > -1e-10
    K1 = SPDSWKernel(gamma=0.7, p=1, n_projections=30, random_state=0).fit_transform(X)
    D1 = spd_sliced_wasserstein_pairwise(X, p=1, n_projections=30, random_state=0)
    np.testing.assert_allclose(K1, np.exp(-0.7 * D1), rtol=1e-9, atol=1e-12)
    assert np.linalg.eigvalsh(K1).min() > -1e-10


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_clone_params_pickle(data, cls):
    X, _ = data
    est = cls(n_projections=7, random_state=0)
    c = clone(est)
    assert c.get_params() == est.get_params()
    c.set_params(n_projections=9)
    assert c.n_projections == 9 and est.n_projections == 7
    est.fit(X)
    out = est.transform(X[:4])
    est2 = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(est2.transform(X[:4]), out)
    # same random_state, same result; refit is deterministic
    np.testing.assert_array_equal(clone(est).fit(X).transform(X[:4]), out)
    with pytest.raises(NotFittedError):
        cls().transform(X)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_bad_params(data, cls):
    X, _ = data
    for params in ({"n_projections": 0}, {"metric": "euclid"}, {"p": 3}, {"n_quantiles": 0}):
        with pytest.raises(InvalidParameterError):
            cls(**params).fit(X)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_bad_input(data, cls):
    X, _ = data
    est = cls(n_projections=5, random_state=0).fit(X)
    bad_nan = X.copy()
    bad_nan[3, 2, 0, 0] = np.nan
    not_spd = X.copy()
    not_spd[5, 1] = -not_spd[5, 1]
    asym = X.copy()
    asym[1, 0, 0, 1] += 1.0
    cases = [
        (bad_nan, ValueError, "NaN"),
        (not_spd, ValueError, "not positive definite"),
        (asym, ValueError, "not symmetric"),
        (X[:0], ValueError, "empty"),
        ([], ValueError, "empty"),
        (X[0, 0, 0], ValueError, "1-D"),
        (X.astype(complex), ValueError, "complex"),
        (np.ones((4, 3, 2, 2)), ValueError, "fitted on 3x3"),
        ([X[0], np.ones((2, 2, 2))], ValueError, "same size"),
        ([X[0], "abc"], TypeError, "numeric"),
        (sp.csr_matrix(np.eye(3)), TypeError, "sparse"),
    ]
    for bad, exc, match in cases:
        with pytest.raises(exc, match=match):
            est.transform(bad)
    with pytest.raises(ValueError, match="not positive definite"):
        clone(est).fit(not_spd)
    # one sample is fine (a kernel on one training set, an embedding of one set)
    assert clone(est).fit(X[:1]).transform(X[:1]).shape[0] == 1


def test_embedding_dtype_and_feature_names(data):
    X, _ = data
    emb = SPDSWEmbedding(n_projections=4, n_quantiles=3, random_state=0).fit(X)
    assert emb.transform(X.astype(np.float32)).dtype == np.float32
    assert emb.transform(X).dtype == np.float64
    names = emb.get_feature_names_out()
    assert len(names) == 12 and names[0] == "spdswembedding0"
    pd = pytest.importorskip("pandas")
    out = emb.set_output(transform="pandas").transform(X)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(names)


def test_kernel_ridge_pipeline_and_grid_search(data):
    X, y = make_spd_distributions(n_distributions=40, n_matrices=10, n_channels=3,
                                  random_state=1)
    pipe = make_pipeline(SPDSWKernel(n_projections=20, random_state=0),
                         KernelRidge(kernel="precomputed"))
    grid = GridSearchCV(pipe, {"spdswkernel__gamma": [0.1, 1.0, 10.0],
                               "kernelridge__alpha": [1e-2, 1.0]}, cv=3,
                        scoring="neg_mean_absolute_error").fit(X, y)
    assert grid.best_params_["spdswkernel__gamma"] in (0.1, 1.0, 10.0)
    # the model learns something: better than predicting the mean
    mae = -grid.best_score_
    assert mae < np.mean(np.abs(y - y.mean()))
    # ragged lists go through cross-validation too
    ragged = [x[: 5 + i % 5] for i, x in enumerate(X)]
    scores = cross_val_score(pipe, ragged, y, cv=KFold(3), scoring="neg_mean_absolute_error")
    assert scores.shape == (3,)


def test_svc_precomputed_and_embedding_pipeline():
    X, y = make_spd_distributions(n_distributions=40, n_matrices=10, n_channels=3,
                                  random_state=2)
    labels = (y > np.median(y)).astype(int)
    clf = make_pipeline(SPDSWKernel(gamma=1.0, n_projections=20, random_state=0),
                        SVC(kernel="precomputed")).fit(X[:30], labels[:30])
    assert clf.predict(X[30:]).shape == (10,)
    reg = make_pipeline(SPDSWEmbedding(n_projections=20, n_quantiles=5, random_state=0),
                        KernelRidge(kernel="rbf", gamma=1.0)).fit(X, y)
    assert reg.predict(X[:3]).shape == (3,)
