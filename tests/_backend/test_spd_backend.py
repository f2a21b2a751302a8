"""Batched SPD matrix functions and 1-D optimal transport kernels."""

import numpy as np
import ot
import pytest
from scipy import linalg
from scipy.stats import wasserstein_distance

from skstruct._backend import _ot1d, _spd


def _random_spd(rng, n_mat, n, cond=10.0):
    Q = _spd.haar_orthogonal(rng, n_mat, n)
    w = np.exp(rng.uniform(0, np.log(cond), size=(n_mat, n)))
    return (Q * w[:, None, :]) @ np.swapaxes(Q, 1, 2)


@pytest.fixture
def rng():
    return np.random.RandomState(0)


def test_matrix_functions_match_scipy(rng):
    X = _random_spd(rng, 4, 5)
    for i in range(4):
        np.testing.assert_allclose(_spd.logm(X)[i], linalg.logm(X[i]).real, atol=1e-10)
        np.testing.assert_allclose(_spd.sqrtm(X)[i], linalg.sqrtm(X[i]).real, atol=1e-10)
        np.testing.assert_allclose(_spd.powm(X, 0.3)[i],
                                   linalg.fractional_matrix_power(X[i], 0.3).real, atol=1e-10)
        S = _spd.logm(X)[i]
        np.testing.assert_allclose(_spd.expm(S[None])[0], linalg.expm(S), rtol=1e-10)
    R = _spd.invsqrtm(X)
    np.testing.assert_allclose(R @ X @ R, np.broadcast_to(np.eye(5), X.shape), atol=1e-10)
    np.testing.assert_allclose(_spd.expm(_spd.logm(X)), X, rtol=1e-9)


def test_matrix_functions_batch_shape(rng):
    X = _random_spd(rng, 6, 3).reshape(2, 3, 3, 3)
    assert _spd.logm(X).shape == (2, 3, 3, 3)
    np.testing.assert_allclose(_spd.logm(X)[1, 2], _spd.logm(X[1, 2][None])[0])


def test_vech_keeps_inner_products(rng):
    S = _spd.sym(rng.randn(7, 4, 4))
    V = _spd.vech(S)
    assert V.shape == (7, 10)
    gram = np.einsum("aij,bij->ab", S, S)  # trace(S_a S_b) for symmetric S
    np.testing.assert_allclose(V @ V.T, gram, atol=1e-12)
    np.testing.assert_allclose(_spd.unvech(V), S, atol=1e-14)
    np.testing.assert_allclose(_spd.unvech(V, 4), S, atol=1e-14)


def test_is_spd_flags_each_failure(rng):
    X = _random_spd(rng, 3, 4)
    X[1] = -X[1]  # negative definite
    X[2, 0, 1] += 1.0  # not symmetric
    ok, symmetric = _spd.is_spd(X)
    assert ok.tolist() == [True, False, False]
    assert symmetric.tolist() == [True, True, False]
    singular = np.diag([1.0, 1.0, 0.0])[None]
    assert not _spd.is_spd(singular)[0][0]


def test_directions_law(rng):
    theta, P = _spd.sample_symmetric_directions(rng, 50, 4)
    assert np.all(np.diff(theta, axis=1) >= 0)
    np.testing.assert_allclose(P @ np.swapaxes(P, 1, 2), np.broadcast_to(np.eye(4), P.shape),
                               atol=1e-12)
    A = _spd.directions_from_eig(theta, P)
    np.testing.assert_allclose(np.linalg.norm(A, axis=(1, 2)), 1.0)
    np.testing.assert_allclose(np.linalg.eigvalsh(A), theta, atol=1e-12)


def test_second_moment_closed_form_matches_monte_carlo(rng):
    X = _spd.sym(rng.randn(4, 4)) + 0.5 * np.eye(4)
    theta, P = _spd.sample_symmetric_directions(rng, 40000, 4)
    vals = _spd.vech(_spd.directions_from_eig(theta, P)) @ _spd.vech(X)
    assert abs(vals.mean()) < 5 * vals.std() / np.sqrt(vals.size)  # E<A, X> = 0
    sq = vals ** 2
    expected = _spd.second_moment_factor(_spd.vech(X), 4)
    assert abs(sq.mean() - expected) < 5 * sq.std() / np.sqrt(sq.size)


def test_coordinates_along_the_geodesic_equal_t(rng):
    theta, P = _spd.sample_symmetric_directions(rng, 3, 4)
    A = _spd.directions_from_eig(theta, P)
    for t in (-1.3, 0.0, 0.7):
        X = _spd.expm(t * A)  # X[l] on geodesic l
        le = _spd.log_euclidean_coordinates(_spd.vech(_spd.logm(X)), _spd.vech(A))
        ai = _spd.affine_invariant_coordinates(X, theta, P)
        np.testing.assert_allclose(np.diag(le), t, atol=1e-10)
        np.testing.assert_allclose(np.diag(ai), t, atol=1e-10)


def test_affine_invariant_coordinate_from_leading_minors(rng):
    # D_ii of P^T X P = L D L^T is a ratio of leading principal minors
    X = _random_spd(rng, 5, 4)
    theta, P = _spd.sample_symmetric_directions(rng, 3, 4)
    Z = _spd.affine_invariant_coordinates(X, theta, P, chunk_bytes=1)  # chunks of 1
    for l in range(3):
        for i in range(5):
            M = P[l].T @ X[i] @ P[l]
            minors = [1.0] + [np.linalg.det(M[:k, :k]) for k in range(1, 5)]
            D = np.array(minors[1:]) / np.array(minors[:-1])
            assert Z[l, i] == pytest.approx(theta[l] @ np.log(D), rel=1e-10)


def _busemann_by_explicit_congruences(X, theta, P):
    """One explicit congruence and one LAPACK Cholesky per (direction, matrix)."""
    ref = np.empty((theta.shape[0], X.shape[0]))
    for l in range(theta.shape[0]):
        for i in range(X.shape[0]):
            c = np.linalg.cholesky(P[l].T @ X[i] @ P[l])
            ref[l, i] = 2.0 * theta[l] @ np.log(np.diag(c))
    return ref


@pytest.mark.parametrize("n", [1, 2, 3, 8, 13, 16, 17, 24])
@pytest.mark.parametrize("chunk_bytes", [1, 2 ** 26])
def test_affine_invariant_coordinates_match_explicit_congruences(rng, n, chunk_bytes):
    # n <= 16 and n > 16 form the Gram blocks with different products
    X = _random_spd(rng, 6, n)
    theta, P = _spd.sample_symmetric_directions(rng, 5, n)
    ref = _busemann_by_explicit_congruences(X, theta, P)
    Z = _spd.affine_invariant_coordinates(X, theta, P, chunk_bytes=chunk_bytes)
    np.testing.assert_allclose(Z, ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())


@pytest.mark.parametrize("n", [3, 17])
def test_affine_invariant_coordinates_over_chunks_of_matrices(rng, n):
    X = _random_spd(rng, 300, n)  # 256 matrices per chunk: two chunks
    theta, P = _spd.sample_symmetric_directions(rng, 4, n)
    ref = _busemann_by_explicit_congruences(X, theta, P)
    Z = _spd.affine_invariant_coordinates(X, theta, P)
    np.testing.assert_allclose(Z, ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())


def test_affine_invariant_coordinates_reject_indefinite(rng):
    theta, P = _spd.sample_symmetric_directions(rng, 2, 3)
    X = np.diag([1.0, -1.0, 2.0])[None]
    with pytest.raises(np.linalg.LinAlgError):
        _spd.affine_invariant_coordinates(X, theta, P)


def test_affine_invariant_coordinate_is_a_busemann_function():
    # -B(X) = lim_t t - d_AI(X, exp(tA)) with f(t) = t - d = -B + b/t + c/t^2 + ...;
    # evaluated in high precision at three t and extrapolated (Richardson)
    mpmath = pytest.importorskip("mpmath")
    rng = np.random.RandomState(3)
    theta = np.array([[-0.8, 0.1, 0.59]])
    theta /= np.linalg.norm(theta)
    P = _spd.haar_orthogonal(rng, 1, 3)
    X = _random_spd(rng, 1, 3)
    z = _spd.affine_invariant_coordinates(X, theta, P)[0, 0]
    ts = [200.0, 400.0, 800.0]
    f = []
    with mpmath.workdps(700):
        M = mpmath.matrix((P[0].T @ X[0] @ P[0]).tolist())
        for t in ts:
            Dm = mpmath.diag([mpmath.exp(-t * mpmath.mpf(th) / 2) for th in theta[0]])
            ev = mpmath.eigsy(Dm * M * Dm)[0]
            f.append(t - mpmath.sqrt(sum(mpmath.log(e) ** 2 for e in ev)))
        V = mpmath.matrix([[1, 1 / mpmath.mpf(t), 1 / mpmath.mpf(t) ** 2] for t in ts])
        limit = mpmath.lu_solve(V, mpmath.matrix(f))[0]
    assert float(limit) == pytest.approx(z, abs=1e-6)
    assert abs(float(f[0]) - z) > 1e-4  # the extrapolation is what makes it match


def test_affine_invariant_coordinate_constant_on_horospheres(rng):
    X = _random_spd(rng, 4, 3)
    theta, P = _spd.sample_symmetric_directions(rng, 2, 3)
    N = np.tril(rng.randn(3, 3), -1) + np.eye(3)
    for l in range(2):
        G = P[l] @ N @ P[l].T  # unipotent lower-triangular in the frame of direction l
        Y = G @ X @ G.T
        np.testing.assert_allclose(_spd.affine_invariant_coordinates(Y, theta[l:l + 1], P[l:l + 1]),
                                   _spd.affine_invariant_coordinates(X, theta[l:l + 1], P[l:l + 1]),
                                   rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------- 1-D OT


@pytest.mark.parametrize("p", [1, 2])
def test_wasserstein_1d_matches_pot_and_exact_lp(rng, p):
    u, v = rng.randn(6, 5), rng.randn(6, 3) + 0.4
    a, b = rng.rand(5), rng.rand(3)
    uv, ucw = _ot1d.sort_weighted(u, a)
    vv, vcw = _ot1d.sort_weighted(v, b)
    ours = _ot1d.wasserstein_1d_sorted(uv, ucw, vv, vcw, p=p)
    ref = ot.wasserstein_1d(u.T, v.T, a / a.sum(), b / b.sum(), p=p)
    np.testing.assert_allclose(ours, ref, atol=1e-12)
    for l in range(6):  # exact LP (network simplex) on the 1-D cost
        M = np.abs(u[l][:, None] - v[l][None, :]) ** p
        assert ours[l] == pytest.approx(ot.emd2(a / a.sum(), b / b.sum(), M), abs=1e-10)
        if p == 1:
            assert ours[l] == pytest.approx(wasserstein_distance(u[l], v[l], a, b), abs=1e-12)
    np.testing.assert_allclose(_ot1d.wasserstein_1d(u, v, a, b, p=p), ours, atol=1e-12)


def test_wasserstein_1d_uniform_paths_agree(rng):
    u, v = rng.randn(4, 7), rng.randn(4, 7)
    fast = _ot1d.wasserstein_1d(u, v, p=2)
    merged = _ot1d.wasserstein_1d_sorted(np.sort(u, 1), _ot1d._uniform_cw(4, 7), np.sort(v, 1),
                                         None, p=2)
    np.testing.assert_allclose(fast, merged, atol=1e-12)
    assert np.all(_ot1d.wasserstein_1d(u, u) == 0)


def test_quantile_function_matches_numpy_inverted_cdf(rng):
    z = rng.randn(3, 9)
    w = rng.rand(9)
    levels = np.linspace(0.01, 1.0, 37)
    vals, cw = _ot1d.sort_weighted(z, w)
    q = _ot1d.quantile_function(vals, cw, levels)
    vals_u, cw_u = _ot1d.sort_weighted(z)
    qu = _ot1d.quantile_function(vals_u, cw_u, levels)
    for l in range(3):
        np.testing.assert_allclose(q[l], np.quantile(z[l], levels, method="inverted_cdf",
                                                     weights=w))
        np.testing.assert_allclose(qu[l], np.quantile(z[l], levels, method="inverted_cdf"))


def test_wasserstein_1d_large_problems_use_the_same_definition(rng):
    # above the size threshold the one-shot function delegates to POT
    u, v = rng.randn(50, 1000), rng.randn(50, 1100) * 1.3
    a, b = rng.rand(1000), rng.rand(1100)
    uv, ucw = _ot1d.sort_weighted(u, a)
    vv, vcw = _ot1d.sort_weighted(v, b)
    np.testing.assert_allclose(_ot1d.wasserstein_1d(u, v, a, b, p=2),
                               _ot1d.wasserstein_1d_sorted(uv, ucw, vv, vcw, p=2), rtol=1e-10)
