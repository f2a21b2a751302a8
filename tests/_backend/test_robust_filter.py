"""Kernels and state of the outlier-robust PCA filter (skstruct._backend._robust_filter)."""

import numpy as np
import pytest
from scipy.stats import chi2

from skstruct._backend import _robust_filter as rf


def test_robust_variance_is_consistent_and_resists_outliers():
    rng = np.random.default_rng(0)
    z = rng.standard_normal(200_000) * np.sqrt(7.0)
    w = np.ones(z.size)
    # Gaussian data: the trimmed fixed point is consistent (sd about 3 / sqrt(n) relative)
    assert rf.robust_variance(z * z, w) == pytest.approx(7.0, rel=0.02)
    # 20% of the points at 4 sd: the plain variance is 3.4x too large, the robust one is not
    z[:40_000] = rng.choice([-1.0, 1.0], 40_000) * 4.0 * np.sqrt(7.0)
    assert np.mean(z * z) > 3 * 7.0
    assert rf.robust_variance(z * z, w) == pytest.approx(7.0, rel=0.15)
    # weights count: zero weight removes a point
    w[:40_000] = 0.0
    assert rf.robust_variance(z * z, w) == pytest.approx(7.0, rel=0.02)
    assert rf.robust_variance(np.zeros(10), np.ones(10)) == 0.0


def test_certificate_passes_gaussian_and_fails_dense_outliers():
    rng = np.random.default_rng(1)
    z = rng.standard_normal(5000)
    w = np.ones(z.size)
    ratio, allowed, scale = rf.certificate(z * z, w, 0.1)
    assert abs(ratio - 1.0) < 8.0 / np.sqrt(z.size)
    assert allowed == pytest.approx(1 + 0.1 * np.log(10.0) + 8.0 / np.sqrt(z.size))
    assert scale == pytest.approx(1.0, rel=0.1)
    z[:1000] = 4.0  # 20% at 4 sd
    ratio, allowed, _ = rf.certificate(z * z, w, 0.2)
    assert ratio > 2.0 > allowed
    # degenerate: no spread at all is certified; spread on a zero robust scale is not
    assert rf.certificate(np.zeros(5), np.ones(5), 0.1)[0] == 0.0
    assert rf.certificate(np.r_[np.zeros(8), 1.0, 1.0], np.ones(10), 0.1)[0] == np.inf


def test_top_directions_match_dense_eigh_with_deflation():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((300, 6)) * np.sqrt([9.0, 5.0, 2.0, 1.0, 1.0, 0.5])
    w = rng.random(300)
    mu = (X.T @ w) / w.sum()
    U = np.linalg.qr(rng.standard_normal((6, 1)))[0]
    P = np.eye(6) - U @ U.T
    D = (X - mu) @ P
    B = D.T @ (w[:, None] * D) / w.sum()
    ref = np.sort(np.linalg.eigvalsh(B))[::-1]
    vals, vecs = rf.top_directions(X, w, mu, rng.standard_normal((6, 5)), 3, U)
    np.testing.assert_allclose(vals, ref[:5], rtol=1e-10)  # the block spans U's complement
    np.testing.assert_allclose(U.T @ vecs, 0.0, atol=1e-12)
    np.testing.assert_allclose(vecs.T @ B @ vecs, np.diag(vals), atol=1e-10)
    # a thin block converges to the top pair by power iteration
    vals, vecs = rf.top_directions(X, w, mu, rng.standard_normal((6, 2)), 60, U)
    assert vals[0] == pytest.approx(ref[0], rel=1e-8)


def test_filter_weights_are_functions_of_x():
    rng = np.random.default_rng(3)
    d = 5
    sched = rf.FilterSchedule(d, 2, 0.1, 4, 4, 3)
    c0, c1, c2 = rng.standard_normal((3, d))
    v1, v2 = np.linalg.qr(rng.standard_normal((d, 2)))[0].T
    sched._add(c0, np.zeros(d), 6.0)
    sched._add(c1, v1, 0.5)
    sched._add(c2, v2, 1.5)
    X = rng.standard_normal((400, d))
    expected = (np.clip(2.0 - ((X - c0) ** 2).sum(1) / 6.0, 0.0, 1.0)
                * (((X - c1) @ v1) ** 2 <= 0.5) * (((X - c2) @ v2) ** 2 <= 1.5))
    np.testing.assert_allclose(sched.weights(X), expected, atol=1e-12)
    assert sched.centres.shape == (1 + 2 * 3, d)  # preallocated: 1 norm + k max_iter filters


def test_schedule_run_weights_equal_the_stored_filters():
    # the weights fit returns are the stored filters evaluated on the rows, so
    # the stream can weight rows it has never seen with the same rule
    rng = np.random.default_rng(4)
    S = np.r_[4.0, np.ones(9)]
    X = rng.standard_normal((2000, 10)) * np.sqrt(S)
    X[:400, -1] = rng.choice([-1.0, 1.0], 400) * 4.0
    X[:400, 0] *= 0.5
    sched = rf.FilterSchedule(10, 2, 0.2, 6, 6, 10)
    w = sched.run(X, np.random.RandomState(0))
    np.testing.assert_array_equal(w, sched.weights(X))
    assert sched.certified and sched.n_filters >= 2
    assert w[:400].mean() < 0.1 and w[400:].mean() > 0.95
    C = sched.components
    np.testing.assert_allclose(C.T @ C, np.eye(2), atol=1e-10)
    assert abs(C[0, 0]) > 0.99


def test_reservoir_is_a_uniform_sample():
    # inclusion frequency of every row is B / N (chunks of 7 and of 1 row)
    B, N, trials = 20, 200, 200
    counts = np.zeros(N)
    for t in range(trials):
        state = rf.StreamState(1, B, rf.FilterSchedule(1, 1, 0.1, 1, 1, 1))
        rng = np.random.RandomState(t)
        ids = np.arange(N, dtype=float)[:, None]
        chunk = 7 if t % 2 else 1
        for start in range(0, N, chunk):
            state._sample(ids[start:start + chunk], rng)
            state.n_seen += min(chunk, N - start)
        assert state.n_reservoir == B
        kept = state.reservoir[:, 0].astype(int)
        assert np.unique(kept).size == B
        counts[kept] += 1
    p = B / N
    sd = np.sqrt(trials * p * (1 - p))
    assert np.all(np.abs(counts - trials * p) < 5 * sd)
    # and overall: a chi-square test of the counts at the 1e-4 level
    stat = ((counts - trials * p) ** 2 / (trials * p * (1 - p))).sum()
    assert stat < chi2.isf(1e-4, N)


def test_stream_moment_equals_weighted_covariance_of_the_rows():
    # with every row in the reservoir and a refit on this call, the stream's
    # moment is the filtered covariance of the rows
    rng = np.random.default_rng(5)
    X = rng.standard_normal((300, 4)) * [3.0, 1.0, 1.0, 0.5]
    X[:20] = 25.0
    sched = rf.FilterSchedule(4, 2, 0.1, 4, 4, 5)
    state = rf.StreamState(4, 1000, sched)
    state.add(X, np.random.RandomState(0))
    U, vals, mean, total = state.estimate(2)
    w = sched.weights(X)
    mu = (X.T @ w) / w.sum()
    cov = (X - mu).T @ ((X - mu) * w[:, None]) / w.sum()
    np.testing.assert_allclose(mean, mu, atol=1e-12)
    assert total == pytest.approx(np.trace(cov), rel=1e-12)
    for _ in range(30):  # one subspace step per call converges to the top eigenpairs
        U, vals, _, _ = state.estimate(2)
    np.testing.assert_allclose(vals, np.sort(np.linalg.eigvalsh(cov))[::-1][:2], rtol=1e-10)
    mean2, cov2 = rf._centred(state._moment(X, w))
    np.testing.assert_allclose(cov2, np.cov(X.T, aweights=w, bias=True), atol=1e-10)
