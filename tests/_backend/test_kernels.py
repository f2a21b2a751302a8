"""KDE kernels: profiles, weights, normalizers, gradients and blocked evaluation."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import integrate
from scipy.special import gammaln, logsumexp
from sklearn.neighbors import KernelDensity

from skstruct._backend._kernels import (
    KERNELS,
    ascent_kernel,
    ascent_step,
    dedupe_points,
    kde_accumulate,
    kde_grad_log_density,
    kde_log_density,
    log_normalizer,
    log_profile,
    log_weight,
    mean_shift,
)

SMOOTH = [("gaussian", 2.0), ("generalized_gaussian", 0.5), ("generalized_gaussian", 1.0),
          ("generalized_gaussian", 1.5), ("generalized_gaussian", 2.0), ("logistic", 2.0),
          ("sigmoid", 2.0)]


@pytest.mark.parametrize("kernel,a", SMOOTH + [("epanechnikov", 2.0)])
def test_weight_is_minus_profile_derivative(kernel, a):
    # w(t) = -kappa'(t), checked by central finite differences of kappa
    t = np.r_[np.linspace(0.02, 0.95, 20), np.linspace(1.05, 6.0, 20)]
    if kernel == "epanechnikov":
        t = t[t < 1]
    e = 1e-6
    fd = -(np.exp(log_profile(t + e, kernel, a)) - np.exp(log_profile(t - e, kernel, a))) / (2 * e)
    assert_allclose(np.exp(log_weight(t, kernel, a)), fd, rtol=1e-6, atol=1e-10)


def test_weight_limits_at_zero():
    # closed-form limits of w at t = 0 (logistic 1/16, sigmoid 1/(2 pi), gaussian 1/2)
    assert_allclose(np.exp(log_weight(np.array([0.0, 1e-12]), "logistic")), 1 / 16, rtol=1e-6)
    assert_allclose(np.exp(log_weight(np.array([0.0, 1e-12]), "sigmoid")), 1 / (2 * np.pi),
                    rtol=1e-6)
    assert_allclose(np.exp(log_weight(np.array([0.0]), "gaussian")), 0.5)
    assert np.isfinite(log_weight(np.array([0.0]), "generalized_gaussian", 1.0)).all()


@pytest.mark.parametrize("d", [1, 2, 5])
@pytest.mark.parametrize("kernel,sk_kernel,a", [
    ("gaussian", "gaussian", 2.0), ("flat", "tophat", 2.0),
    ("epanechnikov", "epanechnikov", 2.0), ("generalized_gaussian", "exponential", 1.0)])
def test_log_density_matches_sklearn(d, kernel, sk_kernel, a):
    rng = np.random.default_rng(d)
    X = rng.normal(size=(150, d))
    Q = 0.3 * rng.normal(size=(15, d))  # near the bulk: inside every support
    h = 1.5
    ours = kde_log_density(Q, X, h, kernel, a, block_elems=64)
    ref = KernelDensity(kernel=sk_kernel, bandwidth=h, rtol=0, atol=0).fit(X).score_samples(Q)
    assert np.isfinite(ref).all()
    assert_allclose(ours, ref, rtol=1e-10, atol=1e-10)


def _radial_log_integral(kernel, a, d):
    # log of int_{R^d} k(||u||) du by quadrature in r (log-shifted for large d)
    r_peak = max(1.0, d - 1.0)
    shift = (d - 1) * np.log(r_peak) + log_profile(np.array(r_peak**2), kernel, a)

    def f(r):
        return np.exp((d - 1) * np.log(r) + log_profile(np.array(r * r), kernel, a) - shift)

    upper = r_peak
    while (d - 1) * np.log(upper) + log_profile(np.array(upper**2), kernel, a) > shift - 60:
        upper *= 1.5
    val = integrate.quad(f, 0, upper, limit=400, epsabs=0, epsrel=1e-11)[0]
    return np.log(val) + shift + np.log(2) + 0.5 * d * np.log(np.pi) - gammaln(0.5 * d)


@pytest.mark.parametrize("d", [1, 2, 3, 7, 40])
@pytest.mark.parametrize("kernel,a", [("logistic", 2.0), ("sigmoid", 2.0),
                                      ("generalized_gaussian", 1.5),
                                      ("generalized_gaussian", 0.7)])
def test_normalizer_matches_quadrature(kernel, a, d):
    assert_allclose(log_normalizer(d, kernel, a), _radial_log_integral(kernel, a, d),
                    rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("kernel", ["logistic", "sigmoid"])
def test_density_integrates_to_one_2d(kernel):
    X = np.array([[0.0, 0.0], [1.0, 0.5]])
    g = np.linspace(-40, 40, 801)
    G = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    dens = np.exp(kde_log_density(G, X, 1.0, kernel))
    assert abs(dens.sum() * (g[1] - g[0]) ** 2 - 1.0) < 2e-3


@pytest.mark.parametrize("kernel,a", SMOOTH + [("epanechnikov", 2.0)])
def test_gradient_matches_finite_differences(kernel, a):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    Q = 0.5 * rng.normal(size=(8, 3))
    h = 1.3
    g = kde_grad_log_density(Q, X, h, kernel, a, block_elems=37)
    e = 1e-6
    fd = np.empty_like(g)
    for j in range(3):
        E = np.zeros(3)
        E[j] = e
        fd[:, j] = (kde_log_density(Q + E, X, h, kernel, a)
                    - kde_log_density(Q - E, X, h, kernel, a)) / (2 * e)
    assert_allclose(g, fd, rtol=1e-5, atol=1e-6)


def test_flat_has_no_gradient():
    with pytest.raises(ValueError, match="no gradient"):
        kde_grad_log_density(np.zeros((1, 2)), np.ones((3, 2)), 1.0, "flat")


@pytest.mark.parametrize("kernel", KERNELS)
def test_blocked_equals_brute_force(kernel):
    # small blocks force several query and data blocks and the running log-sum-exp
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 4))
    Q = rng.normal(size=(13, 4)) * 0.5
    h = 1.7
    lk, lw, means = kde_accumulate(Q, X, h, kernel, 1.5, density=True, shift=True,
                                   block_elems=20)
    T = ((Q[:, None, :] - X[None, :, :]) ** 2).sum(-1) / h**2
    with np.errstate(divide="ignore"):
        ref_k = logsumexp(log_profile(T, kernel, 1.5), axis=1)
    LW = log_weight(T, kernel, 1.5)
    ref_w = logsumexp(LW, axis=1)
    W = np.exp(LW - LW.max(1, keepdims=True))
    ref_m = W @ X / W.sum(1, keepdims=True)
    assert_allclose(lk, ref_k, rtol=1e-10)
    assert_allclose(lw, ref_w, rtol=1e-10)
    assert_allclose(means, ref_m, rtol=1e-10, atol=1e-12)


def test_high_dimension_no_underflow():
    # d = 3000: every kernel value exp(-t/2) underflows to 0 in float64,
    # the log-space evaluation still gives the exact log density
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3000))
    Q = rng.normal(size=(4, 3000))
    h = 0.5
    T = ((Q[:, None, :] - X[None, :, :]) ** 2).sum(-1) / h**2
    assert (np.exp(-0.5 * T) == 0).all()
    ref = logsumexp(-0.5 * T, axis=1) - np.log(50) - 3000 * np.log(h) - 1500 * np.log(2 * np.pi)
    assert_allclose(kde_log_density(Q, X, h, "gaussian", block_elems=30), ref, rtol=1e-11)
    g = kde_grad_log_density(Q, X, h, "gaussian")
    assert np.isfinite(g).all()


def test_lift_with_values():
    # weights from one representation, averages of another
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 6))
    Z = X[:, :2]
    Q = Z[:3] + 0.1
    _, lifted = kde_accumulate(Q, Z, 1.0, "gaussian", density=False, shift=True, values=X)
    W = np.exp(-0.5 * ((Q[:, None, :] - Z[None]) ** 2).sum(-1))
    assert_allclose(lifted, W @ X / W.sum(1, keepdims=True), rtol=1e-12)


def test_flat_query_without_neighbours_stays():
    X = np.zeros((5, 2))
    Q = np.array([[10.0, 10.0]])
    lw, means = kde_accumulate(Q, X, 1.0, "flat", density=False, shift=True)
    assert lw[0] == -np.inf
    assert_allclose(means, Q)
    assert kde_log_density(Q, X, 1.0, "flat")[0] == -np.inf


@pytest.mark.parametrize("kernel,a", [("gaussian", 2.0), ("logistic", 2.0), ("sigmoid", 2.0),
                                      ("generalized_gaussian", 1.5)])
def test_mean_shift_ascends_to_fixed_points(kernel, a):
    rng = np.random.default_rng(4)
    X = np.r_[rng.normal(0, 1, (60, 2)), rng.normal(6, 1, (60, 2))]
    starts = X[::7]
    P, labels, n_iter, conv = mean_shift(starts, X, 1.0, kernel, a, tol=1e-9, max_iter=2000)
    assert conv.all()
    # every start ends at a point with higher density
    assert (kde_log_density(P[labels], X, 1.0, kernel, a)
            >= kde_log_density(starts, X, 1.0, kernel, a) - 1e-12).all()
    # end points are stationary: zero gradient (independent numpy evaluation)
    T = ((P[:, None, :] - X[None]) ** 2).sum(-1)
    W = np.exp(log_weight(T, kernel, a))
    grad = (W[:, :, None] * (X[None] - P[:, None, :])).sum(1)
    assert np.abs(grad).max() < 1e-6 * W.sum(1).max()
    # two blobs -> the ends gather at two modes
    keep, _ = dedupe_points(P, kde_log_density(P, X, 1.0, kernel, a), 0.5)
    assert keep.size == 2


def test_dedupe_points():
    P = np.array([[0.0], [0.1], [5.0], [5.05], [10.0]])
    keep, assign = dedupe_points(P, np.array([1.0, 2.0, 0.5, 0.4, 3.0]), 0.2)
    assert keep.tolist() == [4, 1, 2]
    assert assign.tolist() == [1, 1, 2, 2, 0]


@pytest.mark.parametrize("kernel,a", SMOOTH)
def test_profiles_convex_in_t(kernel, a):
    # convex non-increasing profile: what makes mean shift a majorize-minimize step
    t = np.linspace(0.01, 30, 3000)
    k = np.exp(log_profile(t, kernel, a))
    assert (np.diff(k) <= 0).all()
    assert (np.diff(k, 2) >= -1e-12 * k[1:-1]).all()


def test_generalized_gaussian_above_two_is_not_convex():
    # why the estimators cap the exponent at 2
    t = np.linspace(0.01, 3, 300)
    k = np.exp(log_profile(t, "generalized_gaussian", 3.0))
    assert (np.diff(k, 2) < 0).any()


def _brute_log_density(Q, X, h, kernel, a):
    # independent of the blocked kernel: direct differences, numpy profile, logsumexp
    T = ((Q[:, None, :] - X[None]) ** 2).sum(-1) / h**2
    return logsumexp(log_profile(T, kernel, a), axis=1)


@pytest.mark.parametrize("kernel,a", SMOOTH + [("epanechnikov", 2.0), ("flat", 2.0)])
@pytest.mark.parametrize("seed", [5, 6, 7])
def test_each_mean_shift_step_increases_density(kernel, a, seed):
    rng = np.random.default_rng(seed)
    X = np.r_[rng.normal(0, 1, (50, 3)), rng.normal(3, 1, (50, 3))]
    # random starts, starts on data points (the cusp of exponents < 1) and next to them
    Y = np.r_[rng.normal(1.5, 2.0, (20, 3)), X[::10], X[1::10] + 1e-9]
    if kernel in ("epanechnikov", "flat"):
        Y = np.r_[X[::5] + 0.1, X[1::10]]
    h = 1.2
    climb = ascent_kernel(kernel)
    log_f, _, T = kde_accumulate(Y, X, h, climb, a, density=True, shift=True)
    # Rounding bound for the independent evaluation: each squared distance
    # carries a relative error of at most ~(d + 4) eps / NEAR ~ 2e-12 (pairs
    # nearer than NEAR are recomputed from differences), and d log kappa/d log t
    # is below t^(a/2) / 2 on the terms that carry the sum.
    slack = 1e-9
    prev_brute = _brute_log_density(Y, X, h, climb, a)
    assert_allclose(log_f, prev_brute, rtol=0, atol=slack)
    for _ in range(15):
        Y, new_f, T = ascent_step(Y, log_f, T, X, h, climb, a)
        # by construction, in the arithmetic the solver uses
        assert (new_f >= log_f).all()
        brute = _brute_log_density(Y, X, h, climb, a)
        assert_allclose(new_f, brute, rtol=0, atol=slack)
        assert (brute >= prev_brute - 2 * slack).all()
        log_f, prev_brute = new_f, brute


def test_ascent_step_backtracks_an_overshooting_step():
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (80, 2))
    Y = rng.normal(0, 2, (30, 2))
    log_f, _, T = kde_accumulate(Y, X, 1.0, "gaussian", density=True, shift=True)
    # a step 20 times the mean-shift step overshoots the mode and loses density
    far = Y + 20 * (T - Y)
    lost = kde_accumulate(far, X, 1.0, "gaussian", density=True) < log_f
    assert lost.sum() >= 20
    Y_new, new_f, _ = ascent_step(Y, log_f, far, X, 1.0, "gaussian")
    assert (new_f >= log_f).all()
    assert_allclose(new_f, _brute_log_density(Y_new, X, 1.0, "gaussian", 2.0), atol=1e-10)
    # a backtracked row lies on the segment towards its target, at a halving
    s = ((Y_new - Y) * (far - Y)).sum(1) / ((far - Y) ** 2).sum(1)
    assert_allclose(np.log2(s[lost]), np.round(np.log2(s[lost])), atol=1e-9)
    assert (s[lost] < 1).all() and (new_f[lost] > log_f[lost]).all()
    # a step straight downhill is never taken: the row stays
    down = Y - (T - Y)
    Y_down, f_down, _ = ascent_step(Y, log_f, down, X, 1.0, "gaussian", min_step=1e-8)
    stay = (f_down == log_f)
    assert stay.sum() >= 25
    assert_allclose(Y_down[stay], Y[stay])


def test_density_exact_next_to_a_data_point():
    # a query 1e-9 from a data point: the Gram expansion alone would round t to 0
    rng = np.random.default_rng(1)
    X = rng.normal(0, 1, (40, 3))
    Q = X[:5] + 1e-9
    lk = kde_accumulate(Q, X, 1.0, "generalized_gaussian", 0.5, density=True)
    assert_allclose(lk, _brute_log_density(Q, X, 1.0, "generalized_gaussian", 0.5),
                    rtol=0, atol=1e-12)


def _closed_form_profile(t, kernel, a):
    # the kernels k(r) of the module table written directly (not in log space),
    # at moderate r where the direct form is accurate
    r = np.sqrt(t)
    with np.errstate(divide="ignore"):
        if kernel == "gaussian":
            return np.log(np.exp(-r**2 / 2))
        if kernel == "generalized_gaussian":
            return np.log(np.exp(-r**a / a))
        if kernel == "logistic":
            return np.log(1 / (np.exp(r) + 2 + np.exp(-r)))
        if kernel == "sigmoid":
            return np.log((2 / np.pi) / (np.exp(r) + np.exp(-r)))
        if kernel == "epanechnikov":
            return np.log(np.maximum(1 - r**2, 0))
        return np.log((r <= 1).astype(float))


@pytest.mark.parametrize("kernel,a", SMOOTH + [("epanechnikov", 2.0), ("flat", 2.0)])
def test_profile_matches_closed_form(kernel, a):
    t = np.r_[0.0, 1e-8, np.linspace(0.01, 0.99, 15), 1.0, np.linspace(1.01, 30.0, 15)]
    assert_allclose(log_profile(t, kernel, a), _closed_form_profile(t, kernel, a),
                    rtol=1e-12, atol=1e-12)
    # any shape, and the 0-d case
    T = t[:30].reshape(3, 2, 5)
    assert_allclose(log_profile(T, kernel, a), log_profile(T.ravel(), kernel, a).reshape(T.shape))
    assert log_profile(np.array(0.25), kernel, a).shape == ()


@pytest.mark.parametrize("kernel,a", SMOOTH)
def test_blocked_weights_use_the_same_definition(kernel, a):
    # the compiled blocked pass and the numpy wrapper give the same terms:
    # log sum_i w(t_i) against an independent logsumexp of the wrapper
    rng = np.random.default_rng(11)
    X = rng.normal(size=(60, 3))
    Q = rng.normal(size=(7, 3))
    lw, _ = kde_accumulate(Q, X, 0.9, kernel, a, density=False, shift=True, block_elems=25)
    T = ((Q[:, None, :] - X[None]) ** 2).sum(-1) / 0.81
    assert_allclose(lw, logsumexp(log_weight(T, kernel, a), axis=1), rtol=1e-11)


def test_unknown_kernel():
    with pytest.raises(ValueError, match="Unknown kernel"):
        log_profile(np.ones(2), "box")
    with pytest.raises(ValueError, match="Unknown kernel"):
        log_weight(np.ones(2), "box")


def test_nearest_rows_brute_force():
    from skstruct._backend._kernels import nearest_rows

    rng = np.random.default_rng(12)
    Q = rng.normal(size=(50, 4))
    C = rng.normal(size=(6, 4))
    idx, dist = nearest_rows(Q, C, block=7)
    D = np.sqrt(((Q[:, None] - C[None]) ** 2).sum(-1))
    assert_array_equal(idx, D.argmin(1))
    assert_allclose(dist, D.min(1), rtol=1e-10)


def test_dedupe_points_with_order():
    P = np.array([[0.0], [0.1], [5.0]])
    keep, assign = dedupe_points(P, np.array([1.0, 2.0, 0.5]), 0.2, order=np.array([0, 2, 1]))
    assert keep.tolist() == [0, 2]
    assert assign.tolist() == [0, 0, 1]


def test_search_modes_coarse_then_polish_reaches_full_modes():
    from skstruct._backend._kernels import search_modes

    # two well-separated blobs, 8000 points: the coarse phase runs on 5000 of
    # them, and the polished end points are fixed points of the full KDE
    rng = np.random.default_rng(13)
    X = np.r_[rng.normal(0, 1, (4000, 2)), rng.normal(8, 1, (4000, 2))]
    P, _ = search_modes(X[::200], X, 0.8, "gaussian", merge_radius=0.8,
                        rng=np.random.RandomState(0), tol=1e-7)
    keep, _ = dedupe_points(P, kde_log_density(P, X, 0.8, "gaussian"), 0.8)
    assert keep.size == 2
    for c in P[keep]:
        w = np.exp(-0.5 * ((X - c) ** 2).sum(1) / 0.64)
        assert np.linalg.norm(w @ X / w.sum() - c) < 1e-5
