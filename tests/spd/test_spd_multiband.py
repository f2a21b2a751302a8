"""Several sets per sample (bands): the kernel is a sum of band kernels; n_jobs; band errors."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.kernel_ridge import KernelRidge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline

from skstruct.datasets import make_spd_distributions
from skstruct.spd import SPDSWEmbedding, SPDSWKernel, spd_sliced_wasserstein_pairwise


@pytest.fixture(scope="module")
def bands():
    return make_spd_distributions(n_distributions=16, n_matrices=6, n_channels=3, n_bands=3,
                                  random_state=0)


@pytest.mark.parametrize("p", [1, 2])
def test_kernel_is_the_sum_of_single_band_kernels(bands, p):
    X, _ = bands
    gammas = (0.3, 2.0, 0.7)
    kern = SPDSWKernel(gamma=gammas, n_projections=15, p=p, random_state=0)
    K = kern.fit_transform(X)
    Kt = kern.transform(X[:5])
    ref = sum(SPDSWKernel(gamma=g, n_projections=15, p=p, random_state=0).fit_transform(X[:, b])
              for b, g in enumerate(gammas))
    np.testing.assert_allclose(K, ref, rtol=1e-12)
    np.testing.assert_allclose(Kt, ref[:5], rtol=1e-10)
    # and of exp(-gamma SPDSW^p) computed pair by pair
    D = [spd_sliced_wasserstein_pairwise(X[:, b], n_projections=15, p=p, random_state=0)
         for b in range(3)]
    np.testing.assert_allclose(K, sum(np.exp(-g * d ** p) for g, d in zip(gammas, D)),
                               rtol=1e-9, atol=1e-12)
    assert np.linalg.eigvalsh(K).min() > -1e-10
    np.testing.assert_array_equal(kern.gammas_, gammas)
    # a float is the same scale for every band
    K1 = SPDSWKernel(gamma=0.5, n_projections=15, p=p, random_state=0).fit_transform(X)
    K2 = SPDSWKernel(gamma=(0.5,) * 3, n_projections=15, p=p, random_state=0).fit_transform(X)
    np.testing.assert_array_equal(K1, K2)


def test_band_input_forms_agree(bands):
    X, _ = bands
    kern = SPDSWKernel(gamma=(1.0, 0.5, 2.0), n_projections=10, random_state=0).fit(X)
    K = kern.transform(X)
    np.testing.assert_allclose(kern.transform(list(X)), K, rtol=1e-12)  # list of 4-D arrays
    np.testing.assert_allclose(kern.transform([list(x) for x in X]), K, rtol=1e-12)
    # ragged: a different number of matrices per set and band
    ragged = [[x[b][: 3 + (i + b) % 4] for b in range(3)] for i, x in enumerate(X)]
    Kr = SPDSWKernel(gamma=(1.0, 0.5, 2.0), n_projections=10, random_state=0).fit_transform(ragged)
    ref = sum(SPDSWKernel(gamma=g, n_projections=10, n_quantiles=6, random_state=0)
              .fit_transform([r[b] for r in ragged]) for b, g in enumerate((1.0, 0.5, 2.0)))
    np.testing.assert_allclose(Kr, ref, rtol=1e-12)


def test_embedding_concatenates_bands(bands):
    X, _ = bands
    emb = SPDSWEmbedding(n_projections=8, n_quantiles=6, random_state=0).fit(X)
    F = emb.transform(X)
    assert emb.n_bands_ == 3 and F.shape == (16, 3 * 8 * 6) == (16, emb.n_features_out_)
    ref = np.hstack([SPDSWEmbedding(n_projections=8, n_quantiles=6, random_state=0)
                     .fit_transform(X[:, b]) for b in range(3)])
    np.testing.assert_allclose(F, ref, rtol=1e-12)
    assert len(emb.get_feature_names_out()) == F.shape[1]


def test_grid_search_tunes_band_scales():
    X, y = make_spd_distributions(n_distributions=36, n_matrices=8, n_channels=3, n_bands=2,
                                  random_state=1)
    pipe = make_pipeline(SPDSWKernel(n_projections=15, random_state=0),
                         KernelRidge(kernel="precomputed", alpha=0.1))
    grid = [(0.1, 0.1), (1.0, 0.1), (0.1, 1.0), (1.0, 1.0)]
    search = GridSearchCV(pipe, {"spdswkernel__gamma": grid}, cv=KFold(3),
                          scoring="neg_mean_absolute_error").fit(X, y)
    assert search.best_params_["spdswkernel__gamma"] in grid
    assert -search.best_score_ < np.mean(np.abs(y - y.mean()))


@pytest.mark.parametrize("metric", ["log-euclidean", "affine-invariant"])
def test_n_jobs_gives_the_same_result(bands, metric):
    X, _ = bands
    ragged = [x[0][: 2 + i % 5] for i, x in enumerate(X)]
    for data in (X, ragged):
        one = SPDSWKernel(n_projections=12, metric=metric, random_state=0).fit(data)
        two = SPDSWKernel(n_projections=12, metric=metric, random_state=0, n_jobs=2).fit(data)
        np.testing.assert_array_equal(two.train_features_, one.train_features_)
        np.testing.assert_array_equal(two.transform(data), one.transform(data))
    D1 = spd_sliced_wasserstein_pairwise(ragged, n_projections=12, metric=metric, random_state=0)
    D2 = spd_sliced_wasserstein_pairwise(ragged, n_projections=12, metric=metric, random_state=0,
                                         n_jobs=-1)
    np.testing.assert_array_equal(D1, D2)


def test_band_errors(bands):
    X, _ = bands
    est = SPDSWKernel(n_projections=5, random_state=0).fit(X)
    fitted = est.train_features_.copy()
    with pytest.raises(ValueError, match="same size"):
        est.fit([[x[0], np.stack([np.eye(4)] * 2), x[2]] for x in X])
    with pytest.raises(ValueError, match="same number of bands"):
        est.fit([list(x) for x in X[:3]] + [list(X[3][:2])])
    with pytest.raises(ValueError, match="fitted on 3"):
        est.transform(X[:, :2])
    with pytest.raises(ValueError, match="fitted on 3"):
        est.transform(X[:, 0])  # one band
    with pytest.raises(ValueError, match="fitted on 3x3"):
        est.transform(np.broadcast_to(np.eye(4), (2, 3, 2, 4, 4)))
    bad = X.copy()
    bad[2, 1, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"band 1.*NaN"):
        est.transform(bad)
    notspd = X.copy()
    notspd[0, 2, 1] = -notspd[0, 2, 1]
    with pytest.raises(ValueError, match=r"band 2.*not SPD"):
        est.transform(notspd)
    with pytest.raises(ValueError, match="bands of one sample"):
        est.transform([list(X[0]), X[1][0]])
    with pytest.raises(ValueError, match="one value per band"):
        clone(est).set_params(gamma=(1.0, 2.0)).fit(X)
    with pytest.raises(ValueError, match="positive"):
        clone(est).set_params(gamma=(1.0, -2.0, 1.0)).fit(X)
    with pytest.raises(ValueError, match="could not be converted"):  # ragged nested lists
        est.transform([[[[1.0, 0.0], [0.0, 1.0]], [[1.0]]]])
    np.testing.assert_array_equal(est.train_features_, fitted)  # failed fits changed nothing


def test_make_spd_distributions_bands_share_targets():
    X, y = make_spd_distributions(n_distributions=5, n_matrices=4, n_channels=3, n_bands=2,
                                  random_state=3)
    X1, y1 = make_spd_distributions(n_distributions=5, n_matrices=4, n_channels=3,
                                    random_state=3)
    np.testing.assert_array_equal(y, y1)
    np.testing.assert_array_equal(X[:, 0], X1)  # band 0 is the one-band draw
    assert np.all(np.linalg.eigvalsh(X) > 0)
