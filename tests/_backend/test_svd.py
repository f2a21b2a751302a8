import numpy as np
import pytest

from skstruct._backend._svd import (_qr_tall, full_svd, partial_svd, randomized_svd, rayleigh_ritz,
                                    svt, svt_subspace_step)


def _low_rank(m, n, r, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, r)) @ rng.standard_normal((r, n))
    return A + noise * rng.standard_normal((m, n))


@pytest.mark.parametrize("shape", [(300, 200), (200, 300)])
def test_randomized_svd_matches_full_svd(shape):
    A = _low_rank(*shape, 15, noise=1e-3)
    U, s, Vt = full_svd(A)
    U2, s2, Vt2 = randomized_svd(A, 15, random_state=0)
    np.testing.assert_allclose(s2, s[:15], rtol=1e-10)
    np.testing.assert_allclose(np.abs(np.sum(U[:, :15] * U2, axis=0)), 1, atol=1e-8)
    np.testing.assert_allclose(U2.T @ U2, np.eye(15), atol=1e-10)


def test_randomized_svd_warm_start_improves_accuracy():
    rng = np.random.default_rng(1)
    # slowly decaying spectrum: a cold single pass is inexact, a warm start is much better
    U0, _ = np.linalg.qr(rng.standard_normal((400, 400)))
    V0, _ = np.linalg.qr(rng.standard_normal((300, 300)))
    s0 = 1.0 / np.arange(1, 301) ** 0.5
    A = (U0[:, :300] * s0) @ V0.T
    _, s_cold, Vt_cold = randomized_svd(A, 10, n_iter=0, random_state=0)
    _, s_warm, _ = randomized_svd(A, 10, n_iter=0, V0=V0[:, :10], random_state=0)
    err_cold = np.abs(s_cold - s0[:10]).max()
    err_warm = np.abs(s_warm - s0[:10]).max()
    assert err_warm < 1e-10 < err_cold


def test_partial_svd_small_uses_exact():
    A = _low_rank(30, 20, 20)
    U, s, Vt = partial_svd(A, 5)
    np.testing.assert_allclose(s, np.linalg.svd(A, compute_uv=False)[:5])


@pytest.mark.parametrize("rank_guess", [1, 5, 40])
def test_svt_equals_full_svd_threshold(rank_guess):
    A = _low_rank(250, 180, 30, noise=0.05, seed=3)
    sv = np.linalg.svd(A, compute_uv=False)
    tau = 0.5 * (sv[19] + sv[20])
    U, s, Vt = full_svd(A)
    keep = s > tau
    expected = (U[:, keep] * (s[keep] - tau)) @ Vt[keep]
    U2, s2, Vt2, _ = svt(A, tau, rank_guess=rank_guess, random_state=0)
    assert s2.size == keep.sum() == 20
    np.testing.assert_allclose((U2 * s2) @ Vt2, expected, atol=1e-9 * np.abs(expected).max())


def test_svt_zero_result():
    A = _low_rank(60, 60, 3)
    tau = np.linalg.norm(A, 2) * 1.01
    U, s, Vt, _ = svt(A, tau)
    assert s.size == 0 and U.shape == (60, 0) and Vt.shape == (0, 60)


@pytest.mark.parametrize("cond", [1e2, 1e12, np.inf])
def test_qr_tall_orthonormal_factor(cond):
    # Cholesky QR when well conditioned, Householder otherwise (and when rank deficient)
    rng = np.random.default_rng(4)
    P, _ = np.linalg.qr(rng.standard_normal((300, 20)))
    W, _ = np.linalg.qr(rng.standard_normal((20, 20)))
    sv = np.logspace(0, -np.log10(cond), 20) if np.isfinite(cond) else np.r_[np.ones(15), np.zeros(5)]
    Y = (P * sv) @ W
    Q, R = _qr_tall(Y)
    np.testing.assert_allclose(Q.T @ Q, np.eye(20), atol=1e-12)
    np.testing.assert_allclose(Q @ R, Y, atol=1e-13)


def test_rayleigh_ritz_exact_when_range_is_captured():
    A = _low_rank(200, 150, 8, seed=5)
    Y = A @ np.random.default_rng(0).standard_normal((150, 12))
    U, s, Vt = rayleigh_ritz(A, Y)
    U0, s0, Vt0 = np.linalg.svd(A, full_matrices=False)
    np.testing.assert_allclose(s[:8], s0[:8], rtol=1e-12)
    np.testing.assert_allclose((U[:, :8] * s[:8]) @ Vt[:8], A, atol=1e-10 * s0[0])
    np.testing.assert_allclose(U.T @ U, np.eye(12), atol=1e-12)
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(12), atol=1e-12)


def _svt_reference(A, tau):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    keep = s > tau
    return (U[:, keep] * (s[keep] - tau)) @ Vt[keep]


def test_svt_subspace_step_tracks_a_changing_matrix():
    # a sequence of slowly changing matrices, as in PCP: warm-started steps
    # converge to the exact thresholding
    rng = np.random.default_rng(6)
    A0 = _low_rank(300, 200, 12, seed=6)
    tau = 0.5
    V = rng.standard_normal((200, 20))
    V, _ = np.linalg.qr(V)
    for t in range(12):
        A = A0 + 0.5 ** t * 0.1 * rng.standard_normal(A0.shape) / np.sqrt(200)
        U, s, Vt, V = svt_subspace_step(A, tau, V, 20, random_state=0)
        assert V.shape == (200, 20)
    expected = _svt_reference(A, tau)
    np.testing.assert_allclose((U * s) @ Vt, expected, atol=1e-8 * np.abs(expected).max())
    np.testing.assert_allclose(V.T @ V, np.eye(20), atol=1e-12)


def test_svt_subspace_step_grows_and_repeats():
    # a cold, too small start: the subspace grows until a computed value is
    # below tau; the angle test repeats the step until it settles
    A = _low_rank(400, 300, 30, noise=1e-3, seed=7)
    sv = np.linalg.svd(A, compute_uv=False)
    tau = 0.1 * sv[29]
    V = np.zeros((300, 0))
    U, s, Vt, V = svt_subspace_step(A, tau, V, 8, tol_angle=1e-8, max_passes=10,
                                    random_state=0)
    assert s.size == 30 and V.shape[1] > 30
    expected = _svt_reference(A, tau)
    np.testing.assert_allclose((U * s) @ Vt, expected, atol=1e-7 * np.abs(expected).max())


def test_svt_subspace_step_uses_dense_svd_when_large():
    A = _low_rank(120, 100, 60, seed=8)
    sv = np.linalg.svd(A, compute_uv=False)
    tau = 0.5 * (sv[29] + sv[30])
    U, s, Vt, V = svt_subspace_step(A, tau, np.zeros((100, 0)), 45, random_state=0)
    expected = _svt_reference(A, tau)
    np.testing.assert_allclose((U * s) @ Vt, expected, atol=1e-10 * np.abs(expected).max())
    assert s.size == 30 and V.shape == (100, 45)
