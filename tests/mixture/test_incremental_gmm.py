"""IncrementalGaussianMixture against a covariance-form reference, sklearn EM and closed forms."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import chi2, multivariate_normal
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

from skstruct.mixture import IncrementalGaussianMixture


def _blobs(n, D, K, seed, sep=10.0):
    """Well separated anisotropic Gaussian blobs, in random order."""
    rng = np.random.default_rng(seed)
    while True:
        centers = rng.uniform(-15, 15, (K, D))
        dist = np.linalg.norm(centers[:, None] - centers[None], axis=2) + 1e9 * np.eye(K)
        if dist.min() >= sep:
            break
    y = rng.integers(0, K, n)
    A = 0.3 * rng.standard_normal((K, D, D)) + np.eye(D)
    X = centers[y] + np.einsum("nij,nj->ni", A[y], rng.standard_normal((n, D)))
    return X, y


def _reference_igmn(X, sigma2, thr, sp_min, v_min, rule="exact", n0=1.0):
    """The same algorithm written in covariance form with explicit inverses."""
    means, covs, sps, ages = [], [], [], []
    for x in X:
        K = len(means)
        d2 = [(x - m) @ np.linalg.inv(C) @ (x - m) for m, C in zip(means, covs)]
        ages = [a + 1 for a in ages]
        if K == 0 or min(d2) >= thr:
            means.append(x.copy())
            covs.append(np.diag(sigma2))
            sps.append(1.0)
            ages.append(1)
        else:
            logp = np.array([np.log(s) - 0.5 * (np.linalg.slogdet(C)[1] + d)
                             for s, C, d in zip(sps, covs, d2)])
            post = np.exp(logp - logp.max())
            post /= post.sum()
            for k in range(K):
                sps[k] += post[k]
                w = post[k] / sps[k]
                e = x - means[k]
                means[k] = means[k] + w * e
                # Welford with prior scatter n0 * C_init: S / (count + n0 - 1)
                wc = post[k] / (sps[k] + n0 - 1)
                exact = (1 - wc) * covs[k] + wc * (1 - w) * np.outer(e, e)
                if rule == "igmn":
                    es, dm = x - means[k], w * e
                    C_new = (1 - w) * covs[k] + w * np.outer(es, es) - np.outer(dm, dm)
                    if np.linalg.eigvalsh(C_new).min() <= 0:
                        C_new = exact
                else:
                    C_new = exact
                covs[k] = C_new
        keep = [not (a > v_min and s < sp_min) for a, s in zip(ages, sps)]
        if not all(keep):
            means = [m for m, k in zip(means, keep) if k]
            covs = [c for c, k in zip(covs, keep) if k]
            sps = [s for s, k in zip(sps, keep) if k]
            ages = [a for a, k in zip(ages, keep) if k]
    return np.array(means), np.array(covs), np.array(sps)


@pytest.mark.parametrize("rule, n0", [("exact", 1.0), ("igmn", 1.0), ("exact", 4.0)])
def test_matches_covariance_form_reference(rule, n0):
    """Thousands of rank-one updates vs inverse / slogdet of the covariance form."""
    X, _ = _blobs(1500, 3, 3, seed=0)
    X = X / 10
    igmn = IncrementalGaussianMixture(update_rule=rule, refresh_interval=None,
                                      prune_min_age=30, prior_count=n0).fit(X)
    sigma2 = (0.1 * (X.max(0) - X.min(0))) ** 2
    means, covs, sps = _reference_igmn(X, sigma2, chi2.ppf(0.99, 3), 4.0, 30, rule, n0)
    assert igmn.n_components_ == len(means)
    np.testing.assert_allclose(igmn.means_, means, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(igmn.counts_, sps, rtol=1e-8)
    for k in range(len(means)):
        P_ref = np.linalg.inv(covs[k])
        err = np.linalg.norm(igmn.precisions_[k] - P_ref) / np.linalg.norm(P_ref)
        assert err < 1e-8
        np.testing.assert_allclose(igmn.log_dets_[k], np.linalg.slogdet(covs[k])[1], rtol=1e-8)
    assert igmn.n_samples_seen_ == 1500


def test_blobs_recovered_and_loglik_close_to_em():
    X, y = _blobs(4000, 4, 5, seed=1)
    igmn = IncrementalGaussianMixture().fit(X)
    assert adjusted_rand_score(y, igmn.predict(X)) >= 0.95
    em = GaussianMixture(5, n_init=3, random_state=0).fit(X)
    ll, ll_em = igmn.score(X), em.score(X)
    assert abs(ll - ll_em) <= 0.02 * abs(ll_em)


def test_chunks_equal_sample_by_sample_and_fit():
    X, _ = _blobs(600, 3, 3, seed=2)
    rng_ = X.max(0) - X.min(0)
    one = IncrementalGaussianMixture(data_range=rng_, refresh_interval=100)
    for x in X:
        one.partial_fit(x[None])
    chunks = IncrementalGaussianMixture(data_range=rng_, refresh_interval=100)
    for part in np.array_split(X, [7, 100, 333, 334]):
        chunks.partial_fit(part)
    full = IncrementalGaussianMixture(refresh_interval=100).fit(X)
    assert one.n_samples_seen_ == 600 and 0 < one.max_refresh_drift_ < 1e-10
    for other in (chunks, full):
        assert other.n_components_ == one.n_components_
        for attr in ("means_", "precisions_", "log_dets_", "counts_", "weights_"):
            np.testing.assert_array_equal(getattr(other, attr), getattr(one, attr))


def test_n_passes_continues_the_stream():
    X, _ = _blobs(300, 2, 2, seed=3)
    two = IncrementalGaussianMixture(n_passes=2).fit(X)
    ref = IncrementalGaussianMixture().fit(X).partial_fit(X)
    np.testing.assert_array_equal(two.means_, ref.means_)
    assert two.n_samples_seen_ == 600


def test_inference_methods_closed_forms():
    X, _ = _blobs(800, 2, 3, seed=4)
    igmn = IncrementalGaussianMixture().fit(X)
    Xt = X[:50]
    covs = igmn.covariances_
    np.testing.assert_allclose(np.einsum("kij,kjl->kil", covs, igmn.precisions_),
                               np.broadcast_to(np.eye(2), covs.shape), atol=1e-10)
    dens = sum(w * multivariate_normal(m, C).pdf(Xt)
               for w, m, C in zip(igmn.weights_, igmn.means_, covs))
    np.testing.assert_allclose(igmn.score_samples(Xt), np.log(dens), rtol=1e-10)
    assert igmn.score(Xt) == pytest.approx(np.log(dens).mean())
    proba = igmn.predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    np.testing.assert_array_equal(igmn.predict(Xt), proba.argmax(1))
    K = igmn.n_components_
    n_par = K * (2 + 3) + K - 1
    ll = igmn.score(X) * len(X)
    assert igmn.bic(X) == pytest.approx(-2 * ll + n_par * np.log(len(X)))
    assert igmn.aic(X) == pytest.approx(-2 * ll + 2 * n_par)
    np.testing.assert_allclose(igmn.weights_.sum(), 1.0)


def test_sample_moments():
    X, _ = _blobs(1000, 2, 2, seed=5)
    igmn = IncrementalGaussianMixture(random_state=0).fit(X)
    S, labels = igmn.sample(20000)
    assert S.shape == (20000, 2) and labels.shape == (20000,)
    k = np.argmax(igmn.weights_)
    np.testing.assert_allclose(np.mean(labels == k), igmn.weights_[k], atol=0.02)
    Sk = S[labels == k]
    np.testing.assert_allclose(Sk.mean(0), igmn.means_[k], atol=0.1)
    np.testing.assert_allclose(np.cov(Sk.T), igmn.covariances_[k], rtol=0.1, atol=0.05)
    with pytest.raises(ValueError, match="n_samples"):
        igmn.sample(0)


def test_max_components_and_pruning():
    X, _ = _blobs(1000, 2, 5, seed=6)
    capped = IncrementalGaussianMixture(max_components=2).fit(X)
    assert capped.n_components_ <= 2 and capped.n_created_ <= 2
    # A huge novelty tail creates many components; pruning removes the weak ones.
    noisy = IncrementalGaussianMixture(novelty_threshold=0.3, prune_min_age=20).fit(X)
    keep = IncrementalGaussianMixture(novelty_threshold=0.3, prune_min_count=0).fit(X)
    assert noisy.n_pruned_ > 0 and keep.n_pruned_ == 0
    assert noisy.n_components_ == noisy.n_created_ - noisy.n_pruned_
    assert keep.n_components_ == keep.n_created_ > noisy.n_components_
    assert np.all((noisy.ages_ <= 20) | (noisy.counts_ >= 3))


@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")
def test_refresh_repairs_a_corrupted_precision():
    X, _ = _blobs(400, 2, 2, seed=7)
    igmn = IncrementalGaussianMixture(refresh_interval=50).fit(X[:200])
    igmn.precisions_[0] = -np.eye(2)  # simulate a precision that drifted to indefinite
    igmn.partial_fit(X[200:250])
    assert igmn.n_repaired_ == 1
    assert np.linalg.eigvalsh(igmn.precisions_).min() > 0
    np.testing.assert_allclose(igmn.log_dets_, -np.linalg.slogdet(igmn.precisions_)[1],
                               rtol=1e-8)


def test_data_range_zero_features_and_float32():
    X, _ = _blobs(200, 3, 2, seed=8)
    X[:, 1] = 4.0  # constant feature: its range is replaced by the largest one
    igmn = IncrementalGaussianMixture().fit(X.astype(np.float32))
    rng_ = X.max(0) - X.min(0)
    np.testing.assert_allclose(igmn.data_range_, [rng_[0], max(rng_), rng_[2]], rtol=1e-6)
    assert np.isfinite(igmn.score(X))


@pytest.mark.parametrize(
    "X, err, match",
    [
        (np.array([[0.0, np.nan], [1.0, 2.0]]), ValueError, "NaN"),
        (np.array([[0.0, np.inf], [1.0, 2.0]]), ValueError, "infinity"),
        (np.empty((0, 2)), ValueError, "0 sample"),
        (np.array([1.0, 2.0, 3.0]), ValueError, "2D array"),
        (np.array([[1 + 1j, 2.0], [0.0, 1.0]]), ValueError, "[Cc]omplex"),
        (np.array([["a", "b"], ["c", "d"]], dtype=object), ValueError, "convert"),
        (sp.csr_matrix(np.eye(3)), TypeError, "[Ss]parse"),
    ],
)
def test_bad_input_fit(X, err, match):
    with pytest.raises(err, match=match):
        IncrementalGaussianMixture().fit(X)
    with pytest.raises(err, match=match):
        IncrementalGaussianMixture().partial_fit(X)


def test_bad_input_after_fit_and_bad_params():
    X, _ = _blobs(200, 3, 2, seed=9)
    igmn = IncrementalGaussianMixture().fit(X)
    with pytest.raises(ValueError, match="3 features"):
        igmn.predict(X[:, :2])
    with pytest.raises(ValueError, match="3 features"):
        igmn.partial_fit(X[:, :2])
    with pytest.raises(ValueError, match="shape"):
        IncrementalGaussianMixture(data_range=[1.0, 2.0]).fit(X)
    with pytest.raises(ValueError, match="novelty_threshold"):
        IncrementalGaussianMixture(novelty_threshold=1.5).fit(X)
    with pytest.raises(ValueError, match="update_rule"):
        IncrementalGaussianMixture(update_rule="nope").fit(X)
    with pytest.raises(NotFittedError):
        IncrementalGaussianMixture().covariances_
    with pytest.raises(NotFittedError):
        IncrementalGaussianMixture().score_samples(X)
