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
    assert est.converged_  # the certificate passed
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


def _state_nbytes(obj, seen=None):
    """Bytes of every ndarray reachable from ``obj`` (attributes, lists, tuples, dicts)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, dict):
        return sum(_state_nbytes(v, seen) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_state_nbytes(v, seen) for v in obj)
    if hasattr(obj, "__dict__") and type(obj).__module__.startswith("skstruct"):
        return _state_nbytes(vars(obj), seen)
    return 0


@pytest.mark.parametrize("strategy", ["cluster_low", "second"])
def test_streaming_matches_batch_quality(strategy):
    spectrum = np.r_[25.0, 4.0, np.ones(8)]
    X, m = contaminated(24000, 0.1, strategy, seed=5, d=10, spectrum=spectrum)
    X = X[np.random.default_rng(0).permutation(X.shape[0])]
    stream = _stream(OutlierRobustPCA(random_state=0), X, 777)
    batch = OutlierRobustPCA(random_state=0).fit(X)
    e0 = np.eye(10)[0]
    assert angle_deg(batch.components_[0], e0) < 2.0
    assert angle_deg(stream.components_[0], e0) < 2.0
    assert angle_deg(PCA(1).fit(X).components_[0], e0) > 60.0
    assert stream.n_samples_seen_ == X.shape[0]
    assert stream.converged_ and batch.converged_
    # the outlier detectors agree on most points
    assert np.mean(stream.predict(X) == batch.predict(X)) > 0.95


def test_streaming_memory_independent_of_samples_seen():
    spectrum = np.r_[25.0, 4.0, np.ones(8)]
    X, _ = contaminated(60000, 0.1, "cluster_low", seed=6, d=10, spectrum=spectrum)
    X = X[np.random.default_rng(1).permutation(X.shape[0])]
    est = _stream(OutlierRobustPCA(random_state=0, reservoir_size=500), X[:20000], 1000)
    assert hasattr(est, "components_")
    size_a = _state_nbytes(est)
    _stream(est, X[20000:], 1000)
    size_b = _state_nbytes(est)
    assert size_b == size_a
    assert size_a > 500 * 10 * 8  # the reservoir is counted
    assert size_a < 200 * 1000 * 8  # far below storing the 60000 x 10 samples seen


def test_anytime_stream_from_the_first_row():
    # fitted after every call, from one row on; the estimate refines as rows arrive
    X, _ = contaminated(1500, 0.1, "cluster_low", seed=7)
    X = X[np.random.default_rng(2).permutation(X.shape[0])]
    est = OutlierRobustPCA(random_state=0)
    energies = {}
    for i in range(X.shape[0]):
        est.partial_fit(X[i:i + 1])
        assert est.n_samples_seen_ == i + 1
        if i + 1 in (1, 2, 10, 100, 1500):
            Z = est.transform(X[:5])
            assert Z.shape == (5, 1) and np.all(np.isfinite(Z))
            assert np.isfinite(est.score(X[:5]))
            energies[i + 1] = (est.components_[0] ** 2) @ SPECTRUM / SPECTRUM.max()
    assert energies[1500] > 0.98
    assert est.converged_
    assert np.mean(est.predict(X[np.any(np.abs(X) > 20, axis=1)]) == -1) > 0.9
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:3, :5])


def test_partial_fit_after_fit_refines():
    X, _ = contaminated(8000, 0.1, "second", seed=8)
    est = OutlierRobustPCA(random_state=0).fit(X[:4000])
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
    # two groups of moderate outliers on two low-variance axes: one round
    # removes the group along the top direction, the other needs a second
    rng = np.random.default_rng(26)
    S = np.r_[4.0, np.ones(19)]
    X = rng.standard_normal((3000, 20)) * np.sqrt(S)
    X[:450, -1] = rng.choice([-1.0, 1.0], 450) * 4.0
    X[450:900, -2] = rng.choice([-1.0, 1.0], 450) * 4.0
    X[:900, 0] *= 0.5
    est = OutlierRobustPCA(contamination=0.3, random_state=0).fit(X)
    assert est.converged_ and est.n_iter_ >= 3  # the norm round and two direction rounds
    assert (est.components_[0] ** 2) @ S / S.max() > 0.98
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        est = OutlierRobustPCA(contamination=0.3, max_iter=1, random_state=0).fit(X)
    assert not est.converged_


# ------------------------------------------------------------ adversaries (issue 14)
S_ADV = np.r_[4.0, np.ones(19)]  # inlier covariance of the adversary tests; top axis e_0


def adversary(kind, n=3000, seed=0):
    """Inliers N(0, diag(S_ADV)) (or t3 with that covariance) and an eps fraction of outliers.

    Returns X (outliers in the first rows) and eps. Each adversary moves
    PCA's first axis far (energy 0.25-0.64).
    """
    rng = np.random.default_rng(seed)
    d = S_ADV.size
    eps = 0.1
    if kind == "heavy":  # multivariate t with 3 degrees of freedom, covariance S_ADV
        chi = rng.chisquare(3, n) / 3.0
        X = rng.standard_normal((n, d)) / np.sqrt(chi)[:, None] * np.sqrt(S_ADV / 3.0)
    else:
        X = rng.standard_normal((n, d)) * np.sqrt(S_ADV)
    if kind in ("dense", "dense25"):  # moderate outliers at +-4 (+-3.5) sd of a unit axis
        eps, at = (0.2, 4.0) if kind == "dense" else (0.25, 3.5)
        m = int(eps * n)
        X[:m, 0] *= 0.5
        X[:m, -1] = rng.choice([-1.0, 1.0], m) * at
    elif kind == "tilt":  # outliers that turn the top axis 45 degrees towards e_1
        eps = 0.2
        m = int(eps * n)
        sign = rng.choice([-1.0, 1.0], m)
        X[:m] = 0.3 * rng.standard_normal((m, d))
        X[:m, 0] += 2.0 * sign
        X[:m, 1] += 4.0 * sign
    elif kind == "clusters":  # three small tight clusters on three low-variance axes
        eps = 0.09
        m = int(eps * n)
        for c, idx in enumerate(np.array_split(np.arange(m), 3)):
            X[idx] = 0.05 * rng.standard_normal((idx.size, d))
            X[idx, 2 + c] = 12.0
    elif kind == "heavy":  # heavy-tailed inliers and a cluster on a low-variance axis
        eps = 0.1
        m = int(eps * n)
        X[:m] = 0.1 * rng.standard_normal((m, d))
        X[:m, -1] = rng.choice([-1.0, 1.0], m) * 8.0
    return X, eps


def energy_ratio(u):
    u = np.asarray(u, dtype=np.float64)
    return float((u / np.linalg.norm(u)) ** 2 @ S_ADV / S_ADV.max())


def energy_floor(eps):
    # the error class of the filter analyses, 1 - C eps log(1/eps), with C = 1/4
    return 1.0 - 0.25 * eps * np.log(1.0 / eps)


ADVERSARIES = ["dense", "dense25", "tilt", "clusters", "heavy"]


@pytest.mark.parametrize("kind", ADVERSARIES)
def test_adversaries_batch_and_stream(kind):
    X, eps = adversary(kind)
    assert energy_ratio(PCA(1).fit(X).components_[0]) < 0.7  # the adversary is real
    est = OutlierRobustPCA(contamination=eps, random_state=0).fit(X)
    assert energy_ratio(est.components_[0]) > energy_floor(eps)
    assert est.converged_
    perm = X[np.random.default_rng(1).permutation(X.shape[0])]
    stream = _stream(OutlierRobustPCA(contamination=eps, random_state=0), perm, 300)
    assert energy_ratio(stream.components_[0]) > energy_floor(eps)
    assert stream.converged_


@pytest.mark.parametrize("chunk", [1, 300])
def test_outliers_first_in_the_stream(chunk):
    # the stream starts with all the outliers: the filter must not depend on the order
    X, eps = adversary("dense", n=2000)
    est = _stream(OutlierRobustPCA(contamination=eps, random_state=0), X, chunk)
    assert energy_ratio(est.components_[0]) > energy_floor(eps)
    assert est.converged_ and est.n_samples_seen_ == 2000


def test_clean_data_certified_at_the_first_round():
    X, _ = adversary("none")
    est = OutlierRobustPCA(random_state=0).fit(X)
    assert est.converged_ and est.n_iter_ == 1  # the norm round only
    assert est.weights_.mean() > 0.99


@pytest.mark.parametrize("factor", [1e150, 1e-150, 2.0 ** 40])
def test_scale_invariance(factor):
    X, eps = adversary("dense", n=1500)
    ref = OutlierRobustPCA(contamination=eps, random_state=0).fit(X)
    big = OutlierRobustPCA(contamination=eps, random_state=0).fit(X * factor)
    np.testing.assert_allclose(big.components_, ref.components_, atol=1e-10)
    np.testing.assert_allclose(big.explained_variance_ / factor ** 2, ref.explained_variance_,
                               rtol=1e-10)
    np.testing.assert_array_equal(big.predict(X[:50] * factor), ref.predict(X[:50]))
    a = _stream(OutlierRobustPCA(contamination=eps, random_state=0), X, 500)
    b = _stream(OutlierRobustPCA(contamination=eps, random_state=0), X * factor, 500)
    np.testing.assert_allclose(b.components_, a.components_, atol=1e-10)


def test_far_from_the_origin():
    X, eps = adversary("tilt", n=2000)
    ref = OutlierRobustPCA(contamination=eps, random_state=0).fit(X)
    far = OutlierRobustPCA(contamination=eps, random_state=0).fit(X + 1e8)
    assert abs(float(far.components_[0] @ ref.components_[0])) > 1 - 1e-6
    np.testing.assert_allclose(far.mean_ - 1e8, ref.mean_, atol=1e-6)


def test_pickle_mid_stream_then_resume_equals_uninterrupted():
    import pickle

    X, eps = adversary("tilt", n=2000)
    a = OutlierRobustPCA(contamination=eps, random_state=0)
    b = OutlierRobustPCA(contamination=eps, random_state=0)
    _stream(a, X[:700], 70)
    _stream(b, X[:700], 70)
    b = pickle.loads(pickle.dumps(b))
    _stream(a, X[700:], 70)
    _stream(b, X[700:], 70)
    for attr in ["components_", "explained_variance_", "mean_", "noise_variance_", "offset_",
                 "n_samples_seen_", "converged_", "n_iter_"]:
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
    np.testing.assert_array_equal(a.score_samples(X[:20]), b.score_samples(X[:20]))


def test_bad_input_mid_stream_leaves_state_unchanged():
    import pickle

    X, eps = adversary("dense", n=600)
    est = _stream(OutlierRobustPCA(contamination=eps, random_state=0), X, 100)
    before = pickle.dumps(est)
    Xnan = X[:5].copy()
    Xnan[2, 3] = np.nan
    bad = [
        (Xnan, ValueError, "NaN"),
        (X[:5, :-1], ValueError, "features"),
        (X[:5] + 1j, ValueError, "[Cc]omplex"),
        (np.array([["a"] * X.shape[1]] * 5, dtype=object), ValueError, "convert string to float"),
        (X[:0], ValueError, "0 sample"),
        (X[0], ValueError, "2D"),
    ]
    for Xbad, err, match in bad:
        with pytest.raises(err, match=match):
            est.partial_fit(Xbad)
        assert pickle.dumps(est) == before


@pytest.mark.parametrize("d", [1, 2, 5, 9])
def test_small_dimensions_with_defaults(d):
    rng = np.random.default_rng(d)
    S = np.r_[9.0, np.ones(d - 1)]
    X = rng.standard_normal((800, d)) * np.sqrt(S)
    X[:40] = 30.0  # a far cluster
    e0 = np.eye(d)[0]
    est = OutlierRobustPCA(random_state=0).fit(X)
    assert abs(est.components_[0] @ e0) > 0.99
    stream = _stream(OutlierRobustPCA(random_state=0), X, 1)
    assert abs(stream.components_[0] @ e0) > 0.99
    assert stream.n_samples_seen_ == 800


def test_verbose(capsys):
    X, eps = adversary("dense", n=1000)
    OutlierRobustPCA(contamination=eps, random_state=0, verbose=1).fit(X)
    out = capsys.readouterr().out
    assert "round 0" in out and "allowed" in out
    _stream(OutlierRobustPCA(contamination=eps, random_state=0, verbose=1), X, 500)
    assert "refit" in capsys.readouterr().out


def test_underestimated_contamination_is_reported():
    # 20% outliers with contamination=0.02: the removal budget (6%) cannot
    # certify the top direction, and the estimator says so
    X, _ = adversary("dense")
    with pytest.warns(ConvergenceWarning, match="could not certify"):
        est = OutlierRobustPCA(contamination=0.02, random_state=0).fit(X)
    assert not est.converged_
    assert est.weights_.mean() > 0.94  # the budget was respected
