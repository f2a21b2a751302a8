import numpy as np
import pytest

from skstruct._backend._prox import soft_threshold
from skstruct._backend._svd import full_svd, partial_svd, randomized_svd, svt


def _low_rank(m, n, r, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, r)) @ rng.standard_normal((r, n))
    return A + noise * rng.standard_normal((m, n))


def test_soft_threshold_closed_form():
    x = np.array([-3.0, -1.0, -0.5, 0.0, 0.2, 2.5])
    np.testing.assert_allclose(soft_threshold(x, 1.0), [-2.0, 0.0, 0.0, 0.0, 0.0, 1.5])
    # prox property: argmin_z 0.5 (z - x)^2 + tau |z| on a fine grid
    grid = np.linspace(-5, 5, 100001)
    for xi in x:
        z = grid[np.argmin(0.5 * (grid - xi) ** 2 + 0.7 * np.abs(grid))]
        assert abs(z - soft_threshold(np.array([xi]), 0.7)[0]) < 1e-3


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
