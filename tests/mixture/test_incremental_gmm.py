"""IncrementalGaussianMixture against a covariance-form reference, sklearn EM and closed forms."""

import pickle

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


def _reference_igmn(X, sw, sigma2, thr, sp_min, v_min, rule="exact", n0=1.0):
    """The same algorithm in covariance form, written independently of the
    rank-one formulas: with the exact rule, each component's mean and covariance
    are recomputed from the samples it absorbed (weighted by weight * posterior),
    ``(n0 C_init + S) / (W + n0 - 1)``; with the IGMN rule the covariance follows
    the papers' recursion. Distances and log-determinants come from ``inv`` and
    ``slogdet`` of the covariances."""
    C_init = np.diag(sigma2)
    comps = []
    for x, s in zip(X, sw):
        d2 = [(x - c["mean"]) @ np.linalg.inv(c["cov"]) @ (x - c["mean"]) for c in comps]
        for c in comps:
            c["age"] += s
        if not comps or min(d2) >= thr:
            m = 1.0 if rule == "igmn" else n0
            comps.append(dict(xs=[x], qs=[s], mean=x.copy(), cov=m * C_init / (s + m - 1),
                              sp=s, age=s))
        else:
            logp = np.array([np.log(c["sp"]) - 0.5 * (np.linalg.slogdet(c["cov"])[1] + d)
                             for c, d in zip(comps, d2)])
            post = np.exp(logp - logp.max())
            post /= post.sum()
            for c, p in zip(comps, post):
                q = s * p
                c["sp"] += q
                if rule == "exact":
                    c["xs"].append(x)
                    c["qs"].append(q)
                    xs, qs = np.array(c["xs"]), np.array(c["qs"])
                    W = qs.sum()
                    c["mean"] = qs @ xs / W
                    R = xs - c["mean"]
                    c["cov"] = (n0 * C_init + (qs[:, None] * R).T @ R) / (W + n0 - 1)
                else:
                    w = q / c["sp"]
                    e = x - c["mean"]
                    c["mean"] = c["mean"] + w * e
                    es, dm = x - c["mean"], w * e
                    C_new = (1 - w) * c["cov"] + w * np.outer(es, es) - np.outer(dm, dm)
                    if np.linalg.eigvalsh(C_new).min() <= 0:
                        C_new = (1 - w) * c["cov"] + w * (1 - w) * np.outer(e, e)
                    c["cov"] = C_new
        prune = [c["age"] > v_min and c["sp"] < sp_min for c in comps]
        if all(prune):
            prune[int(np.argmax([c["sp"] for c in comps]))] = False
        comps = [c for c, p in zip(comps, prune) if not p]
    return (np.array([c["mean"] for c in comps]), np.array([c["cov"] for c in comps]),
            np.array([c["sp"] for c in comps]))


def _warmup_range(X, sw, n_scale=100):
    """max - min over the first rows of the stream, up to a weight of n_scale."""
    before = np.concatenate([[0.0], np.cumsum(sw)[:-1]])
    head = X[before < n_scale]
    return head.max(0) - head.min(0)


@pytest.mark.parametrize("rule, n0, weighted", [("exact", 1.0, False), ("exact", 4.0, True),
                                                ("igmn", 1.0, False), ("igmn", 1.0, True)])
def test_matches_covariance_form_reference(rule, n0, weighted):
    """Hundreds of rank-one updates vs the covariance form, with the scale the
    stream learns from its first rows. Tolerance: the rank-one path and the
    reference differ by rounding only, about n eps cond(C) ~ 1e-12 here."""
    X, _ = _blobs(600, 3, 3, seed=0)
    X = X / 10
    sw = np.random.default_rng(1).uniform(0.3, 2.5, len(X)) if weighted else np.ones(len(X))
    igmn = IncrementalGaussianMixture(update_rule=rule, refresh_interval=None,
                                      prune_min_age=30, prior_count=n0)
    igmn.fit(X, sample_weight=sw if weighted else None)
    sigma2 = (0.1 * _warmup_range(X, sw)) ** 2
    np.testing.assert_array_equal(igmn.data_range_, _warmup_range(X, sw))
    means, covs, sps = _reference_igmn(X, sw, sigma2, chi2.ppf(0.99, 3), 4.0, 30, rule, n0)
    assert igmn.n_components_ == len(means)
    np.testing.assert_allclose(igmn.means_, means, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(igmn.counts_, sps, rtol=1e-8)
    for k in range(len(means)):
        P_ref = np.linalg.inv(covs[k])
        err = np.linalg.norm(igmn.precisions_[k] - P_ref) / np.linalg.norm(P_ref)
        assert err < 1e-8
        np.testing.assert_allclose(igmn.log_dets_[k], np.linalg.slogdet(covs[k])[1], rtol=1e-8)
    assert igmn.n_samples_seen_ == 600


def test_growth_beyond_initial_capacity_matches_reference():
    """Many components (the arrays start with room for 8 and double)."""
    rng = np.random.default_rng(11)
    centers = rng.uniform(0, 100, (20, 2))
    X = centers[rng.integers(0, 20, 400)] + 0.3 * rng.standard_normal((400, 2))
    igmn = IncrementalGaussianMixture(init_scale=0.02, prune_min_count=0,
                                      refresh_interval=None).fit(X)
    sw = np.ones(len(X))
    sigma2 = (0.02 * _warmup_range(X, sw)) ** 2
    means, covs, _ = _reference_igmn(X, sw, sigma2, chi2.ppf(0.99, 2), 0.0, 1e9)
    assert igmn.n_components_ == len(means) > 16
    np.testing.assert_allclose(igmn.means_, means, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(igmn.covariances_, covs, rtol=1e-7, atol=1e-9)


def test_blobs_recovered_and_loglik_close_to_em():
    X, y = _blobs(4000, 4, 5, seed=1)
    igmn = IncrementalGaussianMixture().fit(X)
    assert adjusted_rand_score(y, igmn.predict(X)) >= 0.95
    em = GaussianMixture(5, n_init=3, random_state=0).fit(X)
    ll, ll_em = igmn.score(X), em.score(X)
    assert abs(ll - ll_em) <= 0.02 * abs(ll_em)


_ATTRS = ("means_", "precisions_", "log_dets_", "counts_", "ages_", "weights_", "data_range_")


def _assert_same_model(a, b):
    """Bitwise equality. Tolerance zero is what the design gives: every path runs
    the same compiled per-sample arithmetic in the same order (chunk ends only
    decide when Python hands the arrays over; refreshes fall on the same sample
    counts; the warm-up rebuild replays the same rows with the same range)."""
    assert a.n_components_ == b.n_components_
    assert a.n_samples_seen_ == b.n_samples_seen_
    for attr in _ATTRS:
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr), err_msg=attr)


@pytest.mark.parametrize("seed, scale, offset, D, K", [
    (0, 1.0, 0.0, 2, 5), (1, 1e-3, 1e4, 5, 5), (2, 1e4, -1e7, 3, 4), (3, 1.0, 1e6, 10, 4),
])
def test_one_row_partial_fit_with_defaults_equals_fit(seed, scale, offset, D, K):
    """The issue: one row at a time with defaults gave ~100 components and ARI 0.1
    where fit gave K and 1.0. Now both give the clusters, and the same model."""
    X, y = _blobs(2000, D, K, seed=seed)
    X = X * scale + offset
    fitted = IncrementalGaussianMixture().fit(X)
    stream = IncrementalGaussianMixture()
    for x in X:
        stream.partial_fit(x[None])
    _assert_same_model(stream, fitted)
    assert adjusted_rand_score(y, stream.predict(X)) >= 0.99
    assert np.sum(stream.weights_ > 0.01) == K  # extras are young tail components
    assert stream.data_range_final_
    np.testing.assert_array_equal(stream.data_range_, _warmup_range(X, np.ones(len(X))))


def test_chunk_sizes_give_the_same_model():
    """Chunks of 1 / 10 / 100 / 1000 rows and uneven chunks, with refreshes
    inside the stream: bitwise the same model (see _assert_same_model)."""
    X, _ = _blobs(3000, 3, 4, seed=2)
    ref = IncrementalGaussianMixture(refresh_interval=250).fit(X)
    assert 0 < ref.max_refresh_drift_ < 1e-10
    for size in (1, 10, 100, 1000, None):
        parts = (np.array_split(X, [7, 60, 99, 101, 333, 2999]) if size is None
                 else [X[i:i + size] for i in range(0, len(X), size)])
        model = IncrementalGaussianMixture(refresh_interval=250)
        for part in parts:
            model.partial_fit(part)
        _assert_same_model(model, ref)
    fixed = IncrementalGaussianMixture(data_range=X.max(0) - X.min(0)).fit(X)
    one = IncrementalGaussianMixture(data_range=X.max(0) - X.min(0))
    for part in np.array_split(X, 17):
        one.partial_fit(part)
    _assert_same_model(one, fixed)


def test_usable_after_every_call_and_warmup_rebuilds():
    X, _ = _blobs(300, 2, 3, seed=12)
    igmn = IncrementalGaussianMixture()
    igmn.partial_fit(X[:1])
    # One sample: the range is undefined, a placeholder max(1, max|x|) is used.
    assert igmn.n_components_ == 1 and not igmn.data_range_final_
    np.testing.assert_allclose(igmn.data_range_, max(1.0, np.abs(X[0]).max()))
    assert np.isfinite(igmn.score(X))
    for i in range(1, 99):
        igmn.partial_fit(X[i:i + 1])
        assert np.isfinite(igmn.score_samples(X[:5])).all()
        np.testing.assert_array_equal(igmn.data_range_, X[:i + 1].max(0) - X[:i + 1].min(0))
        assert not igmn.data_range_final_
    igmn.partial_fit(X[99:100])
    assert igmn.data_range_final_
    igmn.partial_fit(X[100:])
    np.testing.assert_array_equal(igmn.data_range_, X[:100].max(0) - X[:100].min(0))


def test_constant_stream_warns():
    X = np.full((150, 2), 3.0)
    with pytest.warns(UserWarning, match="all equal"):
        igmn = IncrementalGaussianMixture().fit(X)
    assert igmn.n_components_ == 1
    np.testing.assert_allclose(igmn.means_, [[3.0, 3.0]])


@pytest.mark.parametrize("rule", ["exact", "igmn"])
def test_sample_weight_fractional_counts(rule):
    """Weights 1 equal no weights; weight 0 equals dropping the row (bitwise)."""
    X, _ = _blobs(500, 3, 3, seed=13)
    base = IncrementalGaussianMixture(update_rule=rule).fit(X)
    _assert_same_model(IncrementalGaussianMixture(update_rule=rule).fit(
        X, sample_weight=np.ones(len(X))), base)
    sw = np.random.default_rng(0).integers(0, 2, len(X)).astype(float)
    dropped = IncrementalGaussianMixture(update_rule=rule).fit(X[sw > 0])
    _assert_same_model(IncrementalGaussianMixture(update_rule=rule).fit(X, sample_weight=sw),
                       dropped)


def _separated(n, seed):
    """Three clusters 60 standard deviations apart, the first three rows one
    from each: posteriors are hard (exp(-1800)), so weights and repetitions see
    the same posteriors."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 0.0, 0.0], [60.0, 0.0, 0.0], [0.0, 60.0, 0.0]])
    y = np.concatenate([[0, 1, 2], rng.integers(0, 3, n - 3)])
    return centers[y] + rng.standard_normal((n, 3)), y


def test_integer_weights_equal_repetition():
    """With the exact rule and hard posteriors, weight m is m repetitions: the
    weighted Welford update of mean and scatter is exact, a novel row of weight m
    is a component with count m and covariance n0 C_init / (m + n0 - 1), ages and
    the warm-up advance by weight. Tolerance: the two paths round differently,
    by about (number of updates) * eps * cond(C) ~ 1e-12; we allow 1e-9."""
    X, _ = _separated(400, 0)
    sw = np.random.default_rng(1).integers(1, 5, len(X))
    weighted = IncrementalGaussianMixture(max_components=3).fit(X, sample_weight=sw)
    repeated = IncrementalGaussianMixture(max_components=3).fit(np.repeat(X, sw, axis=0))
    assert weighted.n_components_ == repeated.n_components_ == 3
    np.testing.assert_array_equal(weighted.data_range_, repeated.data_range_)
    for attr in ("means_", "counts_", "ages_", "weights_", "log_dets_"):
        np.testing.assert_allclose(getattr(weighted, attr), getattr(repeated, attr),
                                   rtol=1e-9, atol=1e-9, err_msg=attr)
    np.testing.assert_allclose(weighted.precisions_, repeated.precisions_, rtol=1e-9)
    # Fractional weights are counts too: halving every weight halves the counts
    # (the posteriors are hard here).
    half = IncrementalGaussianMixture(max_components=3).fit(X, sample_weight=sw / 2)
    np.testing.assert_allclose(half.counts_, weighted.counts_ / 2, rtol=1e-12)


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
    rng_ = X[:100].max(0) - X[:100].min(0)  # the warm-up's first 100 rows
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


_DERIVED = ("weights_", "n_samples_seen_", "n_created_", "n_pruned_", "n_repaired_",
            "max_refresh_drift_", "data_range_final_")  # properties over the state


def _snapshot(est):
    snap = {k: v for k, v in vars(est).items() if k.endswith("_") and not k.startswith("_")}
    snap.update({k: getattr(est, k) for k in _DERIVED})
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in snap.items()}


@pytest.mark.parametrize("warm", [False, True])
def test_bad_chunk_mid_stream_leaves_state_unchanged(warm):
    X, _ = _blobs(300, 3, 2, seed=14)
    igmn = IncrementalGaussianMixture().partial_fit(X[:200 if warm else 30])
    before = _snapshot(igmn)
    bad = [
        (np.where(np.arange(9).reshape(3, 3) == 4, np.nan, X[:3]), ValueError, "NaN"),
        (np.where(np.arange(9).reshape(3, 3) == 4, np.inf, X[:3]), ValueError, "infinity"),
        (X[:3, :2], ValueError, "3 features"),
        (X[:3].astype(complex), ValueError, "[Cc]omplex"),
        (np.array([["a", "b", "c"]], dtype=object), ValueError, "convert"),
        (X[:0], ValueError, "0 sample"),
        (X[0], ValueError, "2D array"),
        (sp.csr_matrix(X[:3]), TypeError, "[Ss]parse"),
    ]
    for Xb, err, match in bad:
        with pytest.raises(err, match=match):
            igmn.partial_fit(Xb)
    for sw, match in [(-np.ones(3), "[Nn]egative"), (np.ones(4), "shape")]:
        with pytest.raises(ValueError, match=match):
            igmn.partial_fit(X[:3], sample_weight=sw)
    after = _snapshot(igmn)
    assert before.keys() == after.keys()
    for k in before:
        np.testing.assert_array_equal(after[k], before[k], err_msg=k)
    # and the stream continues as if nothing happened
    ref = IncrementalGaussianMixture().fit(np.vstack([X[:200 if warm else 30], X[250:]]))
    igmn.partial_fit(X[250:])
    _assert_same_model(igmn, ref)


def test_pickle_mid_stream_then_resume():
    X, _ = _blobs(600, 3, 3, seed=15)
    ref = IncrementalGaussianMixture(refresh_interval=100).fit(X)
    for cut in (40, 350):  # inside the warm-up, and after it
        a = IncrementalGaussianMixture(refresh_interval=100).partial_fit(X[:cut])
        b = pickle.loads(pickle.dumps(a))
        _assert_same_model(b, a)
        b.partial_fit(X[cut:])
        _assert_same_model(b, ref)


def test_verbose_reports_the_stream(capsys):
    X, _ = _blobs(2500, 2, 3, seed=16)
    IncrementalGaussianMixture(verbose=1).fit(X)
    out = capsys.readouterr().out
    assert "range fixed from the first 100 samples" in out
    assert "[IGMN] 1000 samples:" in out and "[IGMN] 2000 samples:" in out
    assert "fit: 2500 samples" in out
    IncrementalGaussianMixture().fit(X)
    assert capsys.readouterr().out == ""


def test_read_only_input_same_model_one_compiled_signature():
    from skstruct._backend._rank_one import igmn_stream

    X, _ = _blobs(300, 3, 2, seed=17)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(X))
    ref = IncrementalGaussianMixture().fit(X, sample_weight=sw)
    X_ro, sw_ro = X.copy(), sw.copy()
    X_ro.flags.writeable = sw_ro.flags.writeable = False
    ro = IncrementalGaussianMixture().fit(X_ro, sample_weight=sw_ro)
    _assert_same_model(ro, ref)
    ro.partial_fit(X_ro[:7], sample_weight=sw_ro[:7])
    ref.partial_fit(X[:7], sample_weight=sw[:7])
    _assert_same_model(ro, ref)
    # the read-only arrays ran the one compiled variant: the extension's (no JIT signature),
    # or the one JIT signature
    from skstruct._backend._compiled import extension

    assert len(igmn_stream.signatures) == (0 if extension() is not None else 1)
