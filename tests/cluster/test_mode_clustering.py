"""ModeClustering: agreement with sklearn MeanShift, smooth kernels, blocking, contract."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.cluster import MeanShift, estimate_bandwidth
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skstruct.cluster import ModeClustering


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(240, n_features=3, centers=4, cluster_std=1.0, random_state=0)


def _sorted_rows(C):
    return C[np.lexsort(C.T[::-1])]


@pytest.mark.parametrize("bandwidth,bin_seeding,cluster_all", [
    (1.5, False, True), (2.5, True, False), (2.0, False, False)])
def test_flat_kernel_agrees_with_meanshift(blobs, bin_seeding, cluster_all, bandwidth):
    X, _ = blobs
    ms = MeanShift(bandwidth=bandwidth, bin_seeding=bin_seeding,
                   cluster_all=cluster_all).fit(X)
    mc = ModeClustering("flat", bandwidth=bandwidth, seeds="bin" if bin_seeding else "all",
                        cluster_all=cluster_all).fit(X)
    assert mc.cluster_centers_.shape == ms.cluster_centers_.shape
    assert_allclose(_sorted_rows(mc.cluster_centers_), _sorted_rows(ms.cluster_centers_),
                    atol=1e-2 * bandwidth)
    assert adjusted_rand_score(ms.labels_, mc.labels_) == 1.0
    assert_array_equal(mc.labels_ == -1, ms.labels_ == -1)


def test_flat_kernel_agrees_with_meanshift_default_bandwidth(blobs):
    X, _ = blobs
    ms = MeanShift().fit(X)
    mc = ModeClustering("flat").fit(X)
    assert_allclose(mc.bandwidth_, estimate_bandwidth(X))
    assert adjusted_rand_score(ms.labels_, mc.labels_) == 1.0


@pytest.mark.parametrize("kernel,h", [("gaussian", 1.0), ("logistic", 0.5), ("sigmoid", 0.7),
                                      ("generalized_gaussian", 1.0), ("epanechnikov", 2.5)])
def test_smooth_kernels_recover_blobs(blobs, kernel, h):
    X, y = blobs
    mc = ModeClustering(kernel, exponent=1.5, bandwidth=h).fit(X)
    # the blobs overlap a little: the Bayes labels themselves miss a few points
    assert mc.cluster_centers_.shape[0] == 4
    assert adjusted_rand_score(y, mc.labels_) > 0.93
    # centres are mean-shift fixed points (independent numpy evaluation, Gaussian case)
    if kernel == "gaussian":
        for c in mc.cluster_centers_:
            w = np.exp(-0.5 * ((X - c) ** 2).sum(1) / h**2)
            assert np.linalg.norm(w @ X / w.sum() - c) < 1e-2 * h
    # centres ordered by decreasing density
    assert (np.diff(mc.cluster_log_density_) <= 1e-12).all()


def test_blocked_evaluation_gives_same_result(blobs):
    X, _ = blobs
    a = ModeClustering("gaussian", bandwidth=1.0).fit(X)
    b = ModeClustering("gaussian", bandwidth=1.0, block_size=500).fit(X)
    assert_allclose(a.cluster_centers_, b.cluster_centers_, atol=1e-8)
    assert_array_equal(a.labels_, b.labels_)


def test_predict_is_nearest_center(blobs):
    X, _ = blobs
    mc = ModeClustering("gaussian", bandwidth=1.0).fit(X)
    assert_array_equal(mc.predict(X), mc.labels_)
    Q = np.random.default_rng(0).normal(scale=5, size=(50, 3))
    D = ((Q[:, None, :] - mc.cluster_centers_[None]) ** 2).sum(-1)
    assert_array_equal(mc.predict(Q), D.argmin(1))


def test_random_seeds_reproducible(blobs):
    X, y = blobs
    a = ModeClustering(bandwidth=1.0, seeds=40, random_state=0).fit(X)
    b = ModeClustering(bandwidth=1.0, seeds=40, random_state=0).fit(X)
    assert_array_equal(a.labels_, b.labels_)
    assert adjusted_rand_score(y, a.labels_) > 0.95


def test_merge_radius(blobs):
    X, _ = blobs
    one = ModeClustering(bandwidth=1.0, merge_radius=100.0).fit(X)
    assert one.cluster_centers_.shape[0] == 1
    assert (one.labels_ == 0).all()


def test_pipeline_gridsearch_pickle(blobs):
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), ModeClustering(bandwidth=0.3))
    labels = pipe.fit_predict(X)
    assert adjusted_rand_score(y, labels) > 0.9

    def ari_scorer(est, X_, y_):
        return adjusted_rand_score(y_, est.fit_predict(X_))

    search = GridSearchCV(ModeClustering(), {"bandwidth": [0.2, 1.0, 8.0]},
                          scoring=ari_scorer, cv=2).fit(X, y)
    assert search.best_params_["bandwidth"] == 1.0
    mc = clone(pipe[-1]).fit(X)
    mc2 = pickle.loads(pickle.dumps(mc))
    assert_array_equal(mc2.predict(X), mc.labels_)


@pytest.mark.parametrize("X,err,match", [
    (np.array([[0.0, np.nan], [1.0, 2.0]]), ValueError, "NaN"),
    (np.array([[0.0, np.inf], [1.0, 2.0]]), ValueError, "infinity"),
    (np.empty((0, 2)), ValueError, "0 sample"),
    (np.ones((1, 2)), ValueError, "minimum of 2"),
    (np.ones(5), ValueError, "2D array"),
    (np.ones((3, 2)) + 1j, ValueError, "Complex"),
    (np.array([["a", "b"], ["c", "d"]], dtype=object), ValueError, "could not convert"),
    (sp.csr_matrix(np.eye(3)), TypeError, "[Ss]parse"),
])
def test_bad_input(X, err, match):
    with pytest.raises(err, match=match):
        ModeClustering(bandwidth=1.0).fit(X)


def test_bad_params_and_predict_shape(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="seeds"):
        ModeClustering(seeds="grid").fit(X)
    with pytest.raises(ValueError, match="min_bin_freq"):
        ModeClustering("flat", bandwidth=0.01, seeds="bin", min_bin_freq=50).fit(X)
    mc = ModeClustering(bandwidth=1.0).fit(X)
    with pytest.raises(ValueError, match="features"):
        mc.predict(np.ones((2, 5)))


def _separated_blobs(n, d, seed, k=5, sep=10.0):
    # k unit-sd clusters whose centres are >= sep apart
    rng = np.random.default_rng(seed)
    C = np.zeros((0, d))
    while len(C) < k:
        c = rng.uniform(-4 * sep, 4 * sep, size=d) / np.sqrt(d)
        if len(C) == 0 or np.linalg.norm(C - c, axis=1).min() >= sep:
            C = np.vstack([C, c])
    lab = rng.integers(k, size=n)
    return C[lab] + rng.normal(size=(n, d)), lab


@pytest.mark.parametrize("d,n,seed", [(2, 100, 0), (2, 2000, 1), (10, 300, 2), (10, 3000, 3),
                                      (50, 500, 4), (100, 200, 5), (100, 1500, 6),
                                      (10, 20000, 7)])
@pytest.mark.parametrize("scale,offset", [(1.0, 0.0), (1e3, -1e7)])
def test_defaults_recover_separated_clusters(d, n, seed, scale, offset):
    X, y = _separated_blobs(n, d, seed)
    mc = ModeClustering(random_state=0).fit(scale * X + offset)
    assert adjusted_rand_score(y, mc.labels_) >= 0.95
    # and label new points from the same clusters
    Xt, yt = _separated_blobs(300, d, seed)
    assert adjusted_rand_score(yt, mc.predict(scale * Xt + offset)) >= 0.95


def test_default_gaussian_blobs_d10_not_one_cluster():
    # the case: make_blobs in d = 10 gave one cluster (ARI 0) with
    # MeanShift's flat radius used as a Gaussian sd
    X, y = make_blobs(500, n_features=10, centers=4, random_state=0)
    mc = ModeClustering().fit(X)
    assert mc.cluster_centers_.shape[0] == 4
    assert adjusted_rand_score(y, mc.labels_) == 1.0


def test_translation_invariance():
    X, _ = _separated_blobs(400, 6, seed=8)
    a = ModeClustering(random_state=0).fit(X)
    b = ModeClustering(random_state=0).fit(X + 1e8)
    assert_array_equal(a.labels_, b.labels_)
    assert_allclose(b.cluster_centers_ - 1e8, a.cluster_centers_, atol=1e-6)


def test_scott_in_high_dimension_warns():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 200))
    with pytest.warns(UserWarning, match="degenerate"):
        ModeClustering(bandwidth="scott").fit(X)


def test_n_jobs_verbose_same_clusters(capsys):
    X, y = _separated_blobs(600, 5, seed=9)
    a = ModeClustering(random_state=0).fit(X)
    b = ModeClustering(random_state=0, n_jobs=2, verbose=2).fit(X)
    assert_allclose(_sorted_rows(a.cluster_centers_), _sorted_rows(b.cluster_centers_),
                    atol=1e-2 * a.bandwidth_)
    assert adjusted_rand_score(a.labels_, b.labels_) == 1.0
    out = capsys.readouterr().out
    assert "mean shift from" in out and "iteration" in out


def test_large_n_bounded_memory():
    # above 5000 points: coarse search on a subsample, polish on all points;
    # peak allocation stays a few copies of the data, far below an n x n matrix
    import tracemalloc

    X, y = _separated_blobs(30000, 10, seed=10)
    tracemalloc.start()
    mc = ModeClustering(random_state=0).fit(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert adjusted_rand_score(y, mc.labels_) >= 0.99
    # data 2.3 MiB; blocks of 2**21 entries are 16 MiB each
    assert peak < 8 * X.nbytes + 4 * 16 * 2**20
    assert peak < 30000 * 30000 * 8 / 50
