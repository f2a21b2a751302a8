"""Rank-one precision / log-det / Cholesky kernels against direct linear algebra."""

import numpy as np
import pytest

from skstruct._backend._rank_one import (
    _STREAM_DONE,
    _STREAM_GROW,
    _STREAM_REFRESH,
    cholesky_rank_one,
    igmn_stream,
    igmn_update_coefficients,
    refresh_precision,
    scaled_rank_one_,
    sherman_morrison,
    weighted_update_coefficients,
)


def _spd(rng, K, D):
    A = rng.standard_normal((K, D, D))
    return A @ np.swapaxes(A, 1, 2) + D * np.eye(D)


def _rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.mark.parametrize("c", [1.0, 0.7, -0.3])
def test_sherman_morrison_matches_inverse_and_slogdet(c):
    rng = np.random.default_rng(0)
    K, D = 4, 6
    C = _spd(rng, K, D)
    P = np.linalg.inv(C)
    logdet = np.linalg.slogdet(C)[1]
    u = 0.5 * rng.standard_normal((K, D))
    P_new, ld_new = sherman_morrison(P, logdet, u, c)
    C_new = C + c * u[:, :, None] * u[:, None, :]
    assert _rel(P_new, np.linalg.inv(C_new)) < 1e-12
    np.testing.assert_allclose(ld_new, np.linalg.slogdet(C_new)[1], rtol=1e-12)
    np.testing.assert_allclose(P_new, np.swapaxes(P_new, 1, 2), atol=1e-15)


def test_scaled_rank_one_in_place():
    rng = np.random.default_rng(1)
    P = _spd(rng, 3, 5)
    t = rng.standard_normal((3, 5))
    alpha, beta = rng.uniform(0.5, 2, 3), rng.uniform(-1, 1, 3)
    expected = alpha[:, None, None] * P + beta[:, None, None] * np.einsum("ki,kj->kij", t, t)
    out = scaled_rank_one_(P, t, alpha, beta)
    assert out is P
    np.testing.assert_allclose(P, expected, rtol=1e-14)


def test_weighted_update_over_thousands_of_steps():
    """Precision / log-det after 5000 weighted updates vs inv / slogdet of the
    covariance maintained in covariance form (C <- (1 - w)(C + w e e^T))."""
    rng = np.random.default_rng(2)
    K, D = 3, 8
    C = _spd(rng, K, D) / D
    P = np.linalg.inv(C)
    # The start must be exactly symmetric: with alpha = 1 / (1 - w) > 1 any
    # antisymmetric part is amplified at every step (the RLS instability).
    P = 0.5 * (P + np.swapaxes(P, 1, 2))
    logdet = np.linalg.slogdet(C)[1]
    mu = np.zeros((K, D))
    for n in range(5000):
        x = rng.standard_normal(D) * 2
        w = rng.uniform(0.0, 0.5, K) / (1 + n / 50)
        E = x - mu
        T = np.einsum("kij,kj->ki", P, E)
        d2 = np.einsum("ki,ki->k", E, T)
        alpha, beta, dld = weighted_update_coefficients(w, d2, D)
        scaled_rank_one_(P, T, alpha, beta)
        logdet += dld
        C = (1 - w)[:, None, None] * (C + w[:, None, None] * np.einsum("ki,kj->kij", E, E))
        mu += w[:, None] * E
    np.testing.assert_array_equal(P, np.swapaxes(P, 1, 2))  # exactly symmetric
    for k in range(K):
        assert _rel(P[k], np.linalg.inv(C[k])) < 1e-8
    np.testing.assert_allclose(logdet, np.linalg.slogdet(C)[1], rtol=1e-8)


def test_igmn_rule_matches_covariance_form_and_flags_indefinite():
    rng = np.random.default_rng(3)
    D = 4
    C = np.eye(D)
    P = np.linalg.inv(C)[None]
    n_ok = n_bad = 0
    for w_val, scale in [(0.1, 0.5), (0.2, 1.0), (0.5, 0.5), (0.5, 3.0), (0.45, 4.0), (0.05, 5.0)]:
        e = scale * rng.standard_normal(D)
        w = np.array([w_val])
        d2 = np.array([e @ P[0] @ e])
        alpha, beta, dld, ok = igmn_update_coefficients(w, d2, D)
        dm = w_val * e
        es = (1 - w_val) * e
        C_new = (1 - w_val) * C + w_val * np.outer(es, es) - np.outer(dm, dm)
        pd = np.linalg.eigvalsh(C_new).min() > 0
        assert bool(ok[0]) == pd
        if pd:
            n_ok += 1
            P_new = alpha[0] * P[0] + beta[0] * np.outer(P[0] @ e, P[0] @ e)
            assert _rel(P_new, np.linalg.inv(C_new)) < 1e-12
            np.testing.assert_allclose(dld[0], np.linalg.slogdet(C_new)[1], rtol=1e-12,
                                       atol=1e-12)
        else:
            n_bad += 1
    assert n_ok >= 3 and n_bad >= 1


def test_refresh_precision_symmetrizes_and_repairs():
    rng = np.random.default_rng(4)
    P = _spd(rng, 3, 5)
    noise = 1e-9 * rng.standard_normal((3, 5, 5))
    P_drift = P + noise
    P[2] = -np.eye(5)  # lost positive definiteness
    P_drift[2] = P[2]
    P_new, logdet, repaired = refresh_precision(P_drift.copy())
    np.testing.assert_array_equal(P_new, np.swapaxes(P_new, 1, 2))
    assert repaired.tolist() == [False, False, True]
    for k in range(3):
        assert np.linalg.eigvalsh(P_new[k]).min() > 0
        np.testing.assert_allclose(logdet[k], -np.linalg.slogdet(P_new[k])[1], rtol=1e-10,
                                   atol=1e-10)
    np.testing.assert_allclose(P_new[:2], 0.5 * (P_drift[:2] + np.swapaxes(P_drift[:2], 1, 2)))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cholesky_rank_one(sign):
    rng = np.random.default_rng(5)
    A = _spd(rng, 1, 7)[0]
    L = np.linalg.cholesky(A)
    x = 0.5 * rng.standard_normal(7)
    L_new = cholesky_rank_one(L, x, sign)
    expected = np.linalg.cholesky(A + sign * np.outer(x, x))
    np.testing.assert_allclose(L_new, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(L, np.linalg.cholesky(A))  # input untouched


def test_cholesky_downdate_to_indefinite_raises():
    L = np.eye(3)
    with pytest.raises(np.linalg.LinAlgError, match="positive definite"):
        cholesky_rank_one(L, np.array([0.0, 2.0, 0.0]), -1.0)


def _stream_args(X, cap, refresh=0, kmax=-1):
    D = X.shape[1]
    M = np.zeros((cap, D))
    P = np.zeros((cap, D, D))
    return dict(X=X, start=0, M=M, P=P, logdet=np.zeros(cap), sp=np.zeros(cap),
                age=np.zeros(cap, dtype=np.int64), K=0, p_init_diag=np.ones(D),
                logdet_init=0.0, thr=9.21, kmax=kmax, sp_min=0.0, v_min=10, igmn=False,
                refresh=refresh, n_seen=0, counters=np.zeros(2, dtype=np.int64),
                prior_count=1.0)


def test_igmn_stream_statuses_and_single_component_closed_form():
    rng = np.random.default_rng(6)
    # Two far-apart points: the second must create a component, which needs room.
    X = np.array([[0.0, 0.0], [100.0, 100.0]])
    args = _stream_args(X, cap=1)
    row, K, n_seen, status = igmn_stream(**args)
    assert (row, K, n_seen, status) == (1, 1, 1, _STREAM_GROW)
    # One cluster, one component: after n samples (hard posteriors) the mean is
    # the sample mean and the covariance (I + scatter) / n, in precision form.
    X = rng.normal(0, 0.5, (40, 2))
    args = _stream_args(X, cap=2, refresh=15)
    row, K, n_seen, status = igmn_stream(**args)
    assert (row, K, n_seen, status) == (15, 1, 15, _STREAM_REFRESH)
    args.update(start=row, K=K, n_seen=n_seen)
    row, K, n_seen, status = igmn_stream(**args)
    assert (row, status) == (30, _STREAM_REFRESH)
    args.update(start=row, K=K, n_seen=n_seen)
    row, K, n_seen, status = igmn_stream(**args)
    assert (row, K, n_seen, status) == (40, 1, 40, _STREAM_DONE)
    mean = X.mean(0)
    cov = (np.eye(2) + (X - mean).T @ (X - mean)) / 40
    np.testing.assert_allclose(args["M"][0], mean, rtol=1e-12)
    np.testing.assert_allclose(args["sp"][0], 40.0)
    np.testing.assert_allclose(args["P"][0], np.linalg.inv(cov), rtol=1e-10)
    np.testing.assert_allclose(args["logdet"][0], np.linalg.slogdet(cov)[1], rtol=1e-10)
    np.testing.assert_array_equal(args["P"][0], args["P"][0].T)
    assert args["counters"].tolist() == [1, 0]
