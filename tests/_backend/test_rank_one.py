"""The compiled IGMN stream and the refresh against covariances recomputed from scratch."""

import numpy as np
import pytest

from skstruct._backend._rank_one import igmn_stream, refresh_precision


def _spd(rng, K, D):
    A = rng.standard_normal((K, D, D))
    return A @ np.swapaxes(A, 1, 2) + D * np.eye(D)


def _stream_args(X, cap, sw=None, kmax=np.inf, igmn=False, prior_count=1.0, thr=9.21):
    D = X.shape[1]
    # params: logdet_init, thr, kmax, sp_min, v_min, igmn, n0, then C_init^{-1}'s diagonal
    params = np.array([0.0, thr, kmax, 0.0, 10.0, float(igmn), 1.0 if igmn else prior_count]
                      + [1.0] * D)
    return dict(X=X, sw=np.ones(len(X)) if sw is None else sw, start=0, stop=len(X),
                M=np.zeros((cap, D)), P=np.zeros((cap, D, D)), stats=np.zeros((3, cap)),
                params=params, state=np.zeros(2, dtype=np.int64),  # K, created
                work=np.empty((2, cap, D)), work_k=np.empty((2, cap)))


def test_refresh_precision_symmetrizes_and_repairs():
    rng = np.random.default_rng(4)
    P = _spd(rng, 3, 5)
    P_drift = P + 1e-9 * rng.standard_normal((3, 5, 5))
    P_drift[2] = -np.eye(5)  # lost positive definiteness
    P_new, logdet, repaired = refresh_precision(P_drift.copy())
    np.testing.assert_array_equal(P_new, np.swapaxes(P_new, 1, 2))
    assert repaired.tolist() == [False, False, True]
    for k in range(3):
        assert np.linalg.eigvalsh(P_new[k]).min() > 0
        np.testing.assert_allclose(logdet[k], -np.linalg.slogdet(P_new[k])[1], rtol=1e-10,
                                   atol=1e-10)
    np.testing.assert_allclose(P_new[:2], 0.5 * (P_drift[:2] + np.swapaxes(P_drift[:2], 1, 2)))


def test_grow_and_stop_rows():
    # Two far-apart points: the second must create a component, which needs room.
    X = np.array([[0.0, 0.0], [100.0, 100.0]])
    args = _stream_args(X, cap=1)
    assert igmn_stream(**args) == 1
    assert args["state"].tolist() == [1, 1]  # K, created
    # Rows start..stop only, in windows: the same model as one call.
    X = np.random.default_rng(6).normal(0, 0.5, (40, 2))
    args, ref = _stream_args(X, cap=2), _stream_args(X, cap=2)
    assert igmn_stream(**ref) == 40
    for start, stop in [(0, 15), (15, 16), (16, 40)]:
        args.update(start=start, stop=stop)
        assert igmn_stream(**args) == stop
        assert args["state"].tolist() == [1, 1]
        assert args["stats"][2, 0] == stop  # the age counts the rows seen
    for name in ("M", "P", "stats"):
        np.testing.assert_array_equal(args[name], ref[name])


@pytest.mark.parametrize("prior_count", [1.0, 3.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_one_component_equals_weighted_covariance_from_scratch(prior_count, weighted):
    """5000 rank-one updates of one component vs its covariance recomputed from
    the samples and inverted: the weighted mean and ``(n0 C_init + S) / (W + n0 - 1)``
    with ``S = sum_i s_i (x_i - mean)(x_i - mean)^T`` and ``W = sum_i s_i``.

    Tolerance: each update has a relative rounding error of a few eps; the
    symmetric form keeps it from being amplified, so after n updates the error is
    about n eps cond(C) ~ 5000 * 1e-16 * 10 = 5e-12; we allow 1e-9.
    """
    rng = np.random.default_rng(2)
    D, n = 6, 5000
    A = 0.3 * rng.standard_normal((D, D)) + np.eye(D)
    X = rng.standard_normal((n, D)) @ A.T * 0.4
    sw = rng.uniform(0.2, 3.0, n) if weighted else np.ones(n)
    # thr = inf: never novel after the first sample
    args = _stream_args(X, cap=1, sw=sw, prior_count=prior_count, thr=np.inf)
    assert igmn_stream(**args) == n and args["state"].tolist() == [1, 1]
    W = sw.sum()
    mean = sw @ X / W
    S = (sw[:, None] * (X - mean)).T @ (X - mean)
    C = (prior_count * np.eye(D) + S) / (W + prior_count - 1)
    np.testing.assert_allclose(args["M"][0], mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(args["stats"][1, 0], W, rtol=1e-12)
    np.testing.assert_allclose(args["stats"][2, 0], W, rtol=1e-12)
    P_ref = np.linalg.inv(C)
    assert np.linalg.norm(args["P"][0] - P_ref) / np.linalg.norm(P_ref) < 1e-9
    np.testing.assert_allclose(args["stats"][0, 0], np.linalg.slogdet(C)[1], rtol=1e-9)
    np.testing.assert_array_equal(args["P"][0], args["P"][0].T)  # exactly symmetric


def test_igmn_rule_against_covariance_form_and_fallback():
    """The IGMN rule C <- (1 - w) C + w e* e*^T - dm dm^T, kept in covariance form
    and inverted, with the exact rule wherever the IGMN rule is not positive definite."""
    rng = np.random.default_rng(3)
    D = 3
    X = rng.standard_normal((300, D)) * [1.0, 0.5, 2.0]
    args = _stream_args(X, cap=1, igmn=True, thr=np.inf)
    igmn_stream(**args)
    mu, C, sp = X[0].copy(), np.eye(D), 1.0
    n_fallback = 0
    for x in X[1:]:
        sp += 1.0
        w = 1.0 / sp
        e = x - mu
        mu = mu + w * e
        es, dm = x - mu, w * e
        C_new = (1 - w) * C + w * np.outer(es, es) - np.outer(dm, dm)
        if np.linalg.eigvalsh(C_new).min() <= 0:
            C_new = (1 - w) * C + w * (1 - w) * np.outer(e, e)
            n_fallback += 1
        C = C_new
    assert n_fallback >= 1  # the second sample (w = 1/2) is the known indefinite case
    np.testing.assert_allclose(args["M"][0], mu, rtol=1e-10)
    P_ref = np.linalg.inv(C)
    assert np.linalg.norm(args["P"][0] - P_ref) / np.linalg.norm(P_ref) < 1e-9
    np.testing.assert_allclose(args["stats"][0, 0], np.linalg.slogdet(C)[1], rtol=1e-9)


def test_weight_of_new_component_is_a_count():
    """A novel sample of weight s: count s and covariance n0 C_init / (s + n0 - 1),
    the model of s copies of the sample (each copy after the first has d2 = 0)."""
    X = np.array([[1.0, 2.0]])
    for n0, s in [(1.0, 3.0), (2.0, 0.5), (4.0, 7.0)]:
        args = _stream_args(X, cap=1, sw=np.array([s]), prior_count=n0)
        args["params"][7:] = [4.0, 0.25]  # C_init = diag(1/4, 4), log|C_init| = 0
        igmn_stream(**args)
        C = n0 * np.diag([0.25, 4.0]) / (s + n0 - 1)
        np.testing.assert_allclose(args["P"][0], np.linalg.inv(C), rtol=1e-14)
        np.testing.assert_allclose(args["stats"][0, 0], np.linalg.slogdet(C)[1], atol=1e-14)
        assert args["stats"][1, 0] == s and args["stats"][2, 0] == s
