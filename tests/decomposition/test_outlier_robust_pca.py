"""Tests of OutlierRobustPCA and of its kernels (skstruct._backend._robust_filter)."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skstruct._backend import _robust_filter as rf
from skstruct.decomposition import OutlierRobustPCA

D = 30
SPECTRUM = np.r_[25.0, 4.0, np.ones(D - 2)]  # inlier covariance: diagonal, top axis e_0


def contaminated(n, eps, strategy, seed, d=D, spectrum=None):
    """Gaussian inliers N(0, diag(spectrum)) with the first eps*n rows replaced."""
    spectrum = SPECTRUM if spectrum is None else spectrum
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * np.sqrt(spectrum)
    m = int(eps * n)
    big = np.sqrt(3 * spectrum[0] / max(eps, 1e-3))  # enough to make this direction the top one
    if strategy == "cluster_low":  # a tight cluster far along a low-variance axis
        X[:m] = 0.1 * rng.standard_normal((m, d))
        X[:m, -1] = rng.choice([-1.0, 1.0], m) * big
    elif strategy == "scattered":  # large-norm points in random directions
        V = rng.standard_normal((m, d))
        X[:m] = V / np.linalg.norm(V, axis=1, keepdims=True) * np.sqrt(3 * spectrum[0] * d)
    elif strategy == "second":  # inflate the second direction
        X[:m, 1] = rng.choice([-1.0, 1.0], m) * big
        X[:m, 0] = 0.5 * rng.standard_normal(m)
    elif strategy == "subspace":  # Gaussian-shaped outliers in a random low-variance 3-D subspace
        Q = np.linalg.qr(rng.standard_normal((d - 2, 3)))[0]
        X[:m] = 0.0
        X[:m, 2:] = (rng.standard_normal((m, 3)) * np.sqrt(2 * spectrum[0] / eps)) @ Q.T
    elif strategy != "none":
        raise ValueError(strategy)
    return X, m


def angle_deg(u, v):
    c = abs(float(u @ v)) / (np.linalg.norm(u) * np.linalg.norm(v))
    return float(np.degrees(np.arccos(min(c, 1.0))))


E0 = np.eye(D)[0]


# ----------------------------------------------------------------------------- quality
@pytest.mark.parametrize("strategy", ["cluster_low", "scattered", "second", "subspace"])
def test_outlier_strategies_small_angle(strategy):
    X, m = contaminated(4000, 0.1, strategy, seed=0)
    est = OutlierRobustPCA(random_state=0).fit(X)
    u = est.components_[0]
    # the planted direction and PCA on the inliers alone (an oracle) agree with us
    assert angle_deg(u, E0) < 4.0
    oracle = PCA(1).fit(X[m:]).components_[0]
    assert angle_deg(u, oracle) < 4.0
    # captured inlier variance, the quantity the method guarantees
    assert (u ** 2) @ SPECTRUM / SPECTRUM.max() > 0.98
    # outliers are mostly filtered (Gaussian-shaped ones inside the bulk may
    # stay: they are harmless), inliers are almost all kept
    assert est.weights_[:m].mean() < 0.25
    assert est.weights_[m:].mean() > 0.97
    assert est.n_iter_ >= 2
    if strategy != "scattered":  # these groups turn PCA's first axis away
        assert angle_deg(PCA(1).fit(X).components_[0], E0) > 60.0


def test_no_outliers_agrees_with_pca():
    X, _ = contaminated(3000, 0.0, "none", seed=2)
    est = OutlierRobustPCA(n_components=2, random_state=0).fit(X)
    pca = PCA(2).fit(X)
    for j in range(2):
        assert angle_deg(est.components_[j], pca.components_[j]) < 1.0
    # the filter trims a little of the Gaussian tails: variances a few % low
    np.testing.assert_allclose(est.explained_variance_, pca.explained_variance_, rtol=0.08)
    assert est.weights_.mean() > 0.99
    np.testing.assert_allclose(est.mean_, X.mean(axis=0), atol=0.1)


def test_random_contaminations_property():
    # random fraction, random low-variance outlier direction and magnitude,
    # random shape (cluster or Gaussian blob): angle and energy stay good
    rng = np.random.default_rng(3)
    for trial in range(6):
        eps = rng.uniform(0.02, 0.2)
        X, m = contaminated(3000, 0.0, "none", seed=100 + trial)
        m = int(eps * 3000)
        v = rng.standard_normal(D)
        v[:2] = 0.0
        v /= np.linalg.norm(v)
        size = rng.uniform(1.5, 10.0) * np.sqrt(SPECTRUM[0] / eps)
        spread = rng.uniform(0.0, 1.0)
        X[:m] = (rng.choice([-1.0, 1.0], m) * size)[:, None] * v
        X[:m] += spread * rng.standard_normal((m, D))
        est = OutlierRobustPCA(contamination=min(0.25, 1.5 * eps), random_state=trial).fit(X)
        u = est.components_[0]
        assert angle_deg(u, E0) < 5.0, (trial, eps)
        assert (u ** 2) @ SPECTRUM / SPECTRUM.max() > 0.98


def test_deflation_components():
    X, m = contaminated(3000, 0.1, "cluster_low", seed=4)
    est = OutlierRobustPCA(n_components=3, random_state=0).fit(X)
    C = est.components_
    np.testing.assert_allclose(C @ C.T, np.eye(3), atol=1e-8)
    assert angle_deg(C[0], E0) < 4.0
    assert angle_deg(C[1], np.eye(D)[1]) < 6.0
    assert est.explained_variance_[0] > est.explained_variance_[1] > est.explained_variance_[2]
    assert 0 < est.explained_variance_ratio_.sum() <= 1


# ------------------------------------------------------------------------- streaming
def _stream(est, X, chunk):
    for start in range(0, X.shape[0], chunk):
        est.partial_fit(X[start:start + chunk])
    return est


def _state_nbytes(est):
    total = 0
    for value in vars(est).values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            parts = item if isinstance(item, tuple) else (item,)
            total += sum(p.nbytes for p in parts if isinstance(p, np.ndarray))
        if isinstance(value, dict):
            total += sum(v.nbytes for v in value.values() if isinstance(v, np.ndarray))
    return total


@pytest.mark.parametrize("strategy", ["cluster_low", "second"])
def test_streaming_matches_batch_quality(strategy):
    spectrum = np.r_[25.0, 4.0, np.ones(8)]
    X, m = contaminated(24000, 0.1, strategy, seed=5, d=10, spectrum=spectrum)
    X = X[np.random.default_rng(0).permutation(X.shape[0])]
    stream = _stream(OutlierRobustPCA(random_state=0, stream_batch_size=500), X, 777)
    batch = OutlierRobustPCA(random_state=0).fit(X)
    e0 = np.eye(10)[0]
    assert angle_deg(batch.components_[0], e0) < 2.0
    assert angle_deg(stream.components_[0], e0) < 2.0
    assert angle_deg(PCA(1).fit(X).components_[0], e0) > 60.0
    assert stream.n_samples_seen_ == X.shape[0]
    # the outlier detectors agree on most points
    assert np.mean(stream.predict(X) == batch.predict(X)) > 0.95


def test_streaming_memory_independent_of_samples_seen():
    spectrum = np.r_[25.0, 4.0, np.ones(8)]
    X, _ = contaminated(60000, 0.1, "cluster_low", seed=6, d=10, spectrum=spectrum)
    X = X[np.random.default_rng(1).permutation(X.shape[0])]
    est = _stream(OutlierRobustPCA(random_state=0, stream_batch_size=500), X[:20000], 1000)
    assert hasattr(est, "components_")
    size_a = _state_nbytes(est)
    _stream(est, X[20000:], 1000)
    size_b = _state_nbytes(est)
    assert size_b == size_a
    assert size_a < 200 * 1000 * 8  # far below storing the 60000 x 10 samples seen


def test_streaming_not_fitted_until_schedule_done():
    X, _ = contaminated(300, 0.1, "none", seed=7)
    est = OutlierRobustPCA(random_state=0, stream_batch_size=1000).partial_fit(X)
    with pytest.raises(NotFittedError):
        est.transform(X)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :5])


def test_partial_fit_after_fit_refines():
    X, _ = contaminated(8000, 0.1, "second", seed=8)
    est = OutlierRobustPCA(random_state=0, stream_batch_size=1000).fit(X[:4000])
    est.partial_fit(X[4000:])
    assert angle_deg(est.components_[0], E0) < 4.0
    assert est.n_samples_seen_ == 8000


# ------------------------------------------------------------------- input handling
def test_sparse_matches_dense_and_float32():
    X, _ = contaminated(2000, 0.1, "cluster_low", seed=9)
    X[np.random.default_rng(0).random(X.shape) < 0.3] = 0.0
    dense = OutlierRobustPCA(random_state=0).fit(X)
    sp = OutlierRobustPCA(random_state=0).fit(sparse.csr_matrix(X))
    np.testing.assert_allclose(np.abs(dense.components_ @ sp.components_.T), 1.0, atol=1e-8)
    np.testing.assert_allclose(dense.transform(X), sp.transform(sparse.csc_matrix(X)),
                               atol=1e-8)
    f32 = OutlierRobustPCA(random_state=0).fit(X.astype(np.float32))
    assert f32.components_.dtype == np.float32
    assert f32.transform(X.astype(np.float32)).dtype == np.float32
    assert angle_deg(f32.components_[0], dense.components_[0]) < 0.5


@pytest.mark.parametrize("contamination", [0.5, 0.7, 0.0, -0.1])
def test_bad_contamination(contamination):
    X, _ = contaminated(200, 0.0, "none", seed=10)
    with pytest.raises(ValueError, match="contamination"):
        OutlierRobustPCA(contamination=contamination).fit(X)


def test_bad_input():
    X, _ = contaminated(200, 0.0, "none", seed=11)
    est = OutlierRobustPCA(random_state=0)
    Xnan = X.copy()
    Xnan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(Xnan)
    Xinf = X.copy()
    Xinf[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        est.fit(Xinf)
    with pytest.raises(ValueError, match="sample"):
        est.fit(X[:1])
    with pytest.raises(ValueError, match="0 sample"):
        est.fit(X[:0])
    with pytest.raises(ValueError, match="2D"):
        est.fit(X[0])
    with pytest.raises(ValueError, match="dim"):
        est.fit(X[None])
    with pytest.raises(ValueError, match="[Cc]omplex"):
        est.fit(X + 1j)
    with pytest.raises(ValueError):
        est.fit(np.array([["a"] * D] * 10, dtype=object))
    with pytest.raises(ValueError, match="n_components"):
        OutlierRobustPCA(n_components=D + 1).fit(X)
    est.fit(X)
    with pytest.raises(ValueError, match="features"):
        est.transform(X[:, :-1])
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :-1])
    with pytest.raises(ValueError, match="n_components"):
        est.inverse_transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="[Cc]omplex"):
        est.fit(sparse.csr_matrix(X).astype(complex))


# ---------------------------------------------------------------- outlier detection
def test_outlier_detector():
    X, m = contaminated(3000, 0.1, "subspace", seed=12)
    est = OutlierRobustPCA(contamination=0.1, random_state=0)
    labels = est.fit_predict(X)
    assert set(np.unique(labels)) == {-1, 1}
    assert np.mean(labels[:m] == -1) > 0.95  # the planted outliers are caught
    assert np.mean(labels == -1) == pytest.approx(0.1, abs=0.005)
    np.testing.assert_allclose(est.decision_function(X), est.score_samples(X) - est.offset_)
    # new points from the inlier law score higher than new outliers
    Xi, _ = contaminated(500, 0.0, "none", seed=13)
    Xo, mo = contaminated(1000, 0.1, "subspace", seed=14)
    assert np.mean(est.predict(Xi) == 1) > 0.8
    assert np.mean(est.predict(Xo[:mo]) == -1) > 0.95


def test_score_samples_is_ppca_loglik():
    # same Gaussian model as sklearn's PCA.score_samples with the robust parameters
    X, _ = contaminated(2000, 0.1, "second", seed=15)
    est = OutlierRobustPCA(n_components=2, random_state=0).fit(X)
    pca = PCA(2).fit(X)
    pca.components_ = est.components_
    pca.explained_variance_ = est.explained_variance_
    pca.noise_variance_ = est.noise_variance_
    pca.mean_ = est.mean_
    np.testing.assert_allclose(est.score_samples(X), pca.score_samples(X), rtol=1e-10)
    assert est.score(X) == pytest.approx(est.score_samples(X).mean())


def test_transform_inverse_transform():
    X, _ = contaminated(1000, 0.1, "cluster_low", seed=16)
    est = OutlierRobustPCA(n_components=2, random_state=0).fit(X)
    Z = est.transform(X)
    C = est.components_
    np.testing.assert_allclose(Z, (X - est.mean_) @ C.T, atol=1e-10)
    np.testing.assert_allclose(est.inverse_transform(Z), est.mean_ + (X - est.mean_) @ C.T @ C,
                               atol=1e-10)
    assert np.array_equal(est.fit_transform(X), est.transform(X))
    assert list(est.get_feature_names_out()) == ["outlierrobustpca0", "outlierrobustpca1"]


def test_clone_and_reproducible():
    X, _ = contaminated(1500, 0.1, "subspace", seed=17)
    a = OutlierRobustPCA(random_state=3).fit(X)
    b = clone(a).fit(X)
    np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_array_equal(a.weights_, b.weights_)


# ----------------------------------------------------------------------------- kernels
def test_weighted_moment_matmul_matches_dense_formula():
    rng = np.random.default_rng(20)
    X = rng.standard_normal((50, 7))
    w = rng.random(50)
    mu = rng.standard_normal(7)
    V = rng.standard_normal((7, 3))
    U = np.linalg.qr(rng.standard_normal((7, 2)))[0]
    P = np.eye(7) - U @ U.T
    D_ = (X - mu) @ P
    expected = D_.T @ (w[:, None] * D_) @ V
    np.testing.assert_allclose(rf.weighted_moment_matmul(X, w, mu, V, U), expected, atol=1e-10)
    np.testing.assert_allclose(
        rf.weighted_moment_matmul(sparse.csr_matrix(X), w, mu, V, U), expected, atol=1e-10)
    np.testing.assert_allclose(rf.centered_sq_norms(X, mu, U), (D_ ** 2).sum(1), atol=1e-10)
    np.testing.assert_allclose(rf.centered_sq_norms(sparse.csr_matrix(X), mu, U),
                               (D_ ** 2).sum(1), atol=1e-10)


def test_power_sketch_is_matrix_power():
    rng = np.random.default_rng(21)
    X = rng.standard_normal((40, 6))
    w = rng.random(40)
    mu = X.mean(0)
    G = rng.standard_normal((6, 2))
    B = (X - mu).T @ (w[:, None] * (X - mu)) / w.sum()
    Y = rf.power_sketch(X, w, mu, G, 3, None)
    expected = np.linalg.matrix_power(B, 3) @ G
    np.testing.assert_allclose(Y, expected / np.linalg.norm(expected), atol=1e-12)
    Z = rf.centered_products(X, mu, Y)
    np.testing.assert_allclose(rf.sketch_scores(Z), (((X - mu) @ Y) ** 2).sum(1))


def test_column_median_quantile_norm_rank():
    rng = np.random.default_rng(22)
    X = rng.standard_normal((31, 5)) * (rng.random((31, 5)) < 0.3)
    X[:, 2] = 0.0
    for n in (31, 30):
        np.testing.assert_allclose(rf.column_median(sparse.csc_matrix(X[:n])),
                                   np.median(X[:n], axis=0))
    values = rng.standard_normal(20)
    counts = rng.integers(1, 4, 20)
    for q in (0.1, 0.5, 0.9):
        assert rf.weighted_quantile(values, counts.astype(float), q) == np.quantile(
            np.repeat(values, counts), q, method="inverted_cdf")
    # effective rank of the norm round: (tr B)^2 / ||B||_F^2 for B = diag(4, 1, 1, 1, 1)
    B = np.diag([4.0, 1.0, 1.0, 1.0, 1.0])
    G = rng.standard_normal((5, 20000))
    assert rf.norm_effective_rank(8.0, B @ G, 20000) == pytest.approx(64 / 20, rel=0.03)
    f = rf.soft_filter(np.array([0.0, 1.0, 1.5, 2.0, 5.0]), 1.0)
    np.testing.assert_allclose(f, [1.0, 1.0, 0.5, 0.0, 0.0])


def test_filter_threshold_rarely_cuts_gaussian_inliers():
    # with chi-square(r) scores, the threshold sits at the eps/30 upper quantile
    rng = np.random.default_rng(23)
    for r in (1, 3):
        tau = (rng.standard_normal((200000, r)) ** 2).sum(1) * 7.0
        T = rf.filter_threshold(np.median(tau), r, 0.1)
        assert np.mean(tau > T) == pytest.approx(0.1 / 30, rel=0.15)


def test_direction_kernels():
    rng = np.random.default_rng(24)
    # Ritz rotation recovers the eigenvectors of Q^T B Q (a dense eigh on a tiny case)
    X = rng.standard_normal((400, 6)) * np.sqrt([9.0, 8.0, 1.0, 1.0, 1.0, 1.0])
    w = rng.random(400)
    Q = np.linalg.qr(rng.standard_normal((6, 4)))[0]
    Z = rf.centered_products(X, np.zeros(6), Q)
    R, nu = rf.ritz_rotation(Z, w, keep_ratio=0.0)
    M = Q.T @ X.T @ (w[:, None] * X) @ Q / w.sum()
    np.testing.assert_allclose(nu, np.sort(np.linalg.eigvalsh(M))[::-1], rtol=1e-10)
    np.testing.assert_allclose(R.T @ M @ R, np.diag(nu), atol=1e-10)
    assert rf.ritz_rotation(Z, w, keep_ratio=0.5)[0].shape[1] == np.sum(nu >= nu[0] / 2)
    # per-direction thresholds: eps / (30 k) upper quantile of Gaussian projections
    G = rng.standard_normal((200000, 2)) * [3.0, 1.0]
    T = rf.direction_thresholds(G, np.ones(200000), 0.12)
    for j in range(2):
        assert np.mean(G[:, j] ** 2 > T[j]) == pytest.approx(0.12 / 60, rel=0.15)
    s = rf.max_scores(np.array([[1.0, 2.0], [3.0, 0.0]]), np.array([1.0, 8.0]))
    np.testing.assert_allclose(s, [1.0, 9.0])


def test_outliers_creating_a_near_tie_are_filtered():
    # outliers lift the second axis (variance 4) to about the top one (25);
    # after the norm round they are partly down-weighted and the two axes
    # nearly tie: per-direction scores must still find them
    rng = np.random.default_rng(25)
    X = rng.standard_normal((3000, D)) * np.sqrt(SPECTRUM)
    X[:300, 1] = rng.choice([-1.0, 1.0], 300) * np.sqrt(300.0)
    est = OutlierRobustPCA(random_state=0).fit(X)
    u = est.components_[0]
    assert (u ** 2) @ SPECTRUM / SPECTRUM.max() > 0.98
    assert est.weights_[:300].mean() < 0.1


def test_max_iter_warns():
    # outliers in several separate clusters need several rounds; one is not enough
    X, m = contaminated(3000, 0.1, "subspace", seed=26)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        OutlierRobustPCA(max_iter=1, tol=1e-6, random_state=0).fit(X)
