"""Bandwidth rules: kernel reach, nearest-neighbour distance, effective sample size, warning."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.spatial.distance import cdist
from scipy.special import logsumexp
from sklearn.neighbors import NearestNeighbors

from skstruct._backend._bandwidth import (
    DEGENERATE_ESS,
    effective_sample_size,
    kernel_reach,
    neighbour_bandwidth,
    neighbour_distance,
    resolve_bandwidth,
    warn_if_degenerate,
)
from skstruct._backend._kernels import sketch_dimension


@pytest.mark.parametrize("kernel,a,rho", [
    ("gaussian", 2.0, np.sqrt(2.0)),
    ("generalized_gaussian", 1.0, 1.0),
    ("generalized_gaussian", 1.5, 1.5 ** (1 / 1.5)),
    ("generalized_gaussian", 0.5, 0.5 ** 2),
    ("logistic", 2.0, np.arccosh(2 * np.e - 1)),
    ("sigmoid", 2.0, np.arccosh(np.e)),
    ("epanechnikov", 2.0, np.sqrt(1 - np.exp(-1))),
    ("flat", 2.0, 1.0),
])
def test_kernel_reach_closed_forms(kernel, a, rho):
    # closed forms of k(rho) = k(0) / e, solved by hand for each kernel
    assert_allclose(kernel_reach(kernel, a), rho, rtol=1e-10)


def test_neighbour_distance_matches_brute_force():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(180, 7))  # below the 200 queries: every point looks
    X -= X.mean(0)
    for k in (1, 5, 17):
        dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
        ref = np.median(dist[:, k])  # column 0 is the point itself
        assert_allclose(neighbour_distance(X, k, np.random.RandomState(0)), ref, rtol=1e-9)


def test_neighbour_distance_subsampled_keeps_the_quantile():
    # above 5000 points the rank is rescaled to the reference sample: same
    # neighbour quantile, so close to the exact value on smooth data
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12000, 3))
    k = int(np.ceil(np.sqrt(len(X))))
    Q = X[rng.choice(len(X), 300, replace=False)]
    exact = np.median(np.sort(cdist(Q, X), axis=1)[:, k])
    approx = neighbour_distance(X, k, np.random.RandomState(0))
    assert abs(approx / exact - 1) < 0.1


def test_neighbour_distance_with_identity_sketch_is_exact():
    # a "sketch" that is the data itself chooses the same neighbours: the
    # choose-in-the-sketch, measure-exactly path gives the exact rule
    rng = np.random.default_rng(2)
    X = rng.normal(size=(180, 7))
    X -= X.mean(0)
    for k in (1, 5, 17):
        dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
        got = neighbour_distance(X, k, np.random.RandomState(0), sketch=X.copy())
        assert_allclose(got, np.median(dist[:, k]), rtol=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_neighbour_distance_chosen_in_a_gaussian_sketch(seed):
    # d = 800, k = 43: the neighbour chosen in the sketch is a true data
    # point, so its exact distance lies between the exact rank-1 and rank-n
    # distances; its true rank is near k's (sketch noise on a squared
    # distance: sd sqrt(2 / k) ~ 0.2), so the median falls between the exact
    # rule at ranks k / 3 and 3 k
    rng = np.random.default_rng(seed)
    C = rng.normal(scale=3.0, size=(6, 800))
    X = C[rng.choice(6, 400)] + rng.normal(size=(400, 800))
    X -= X.mean(0)
    kdim = sketch_dimension(400, 0.75)
    Z = X @ rng.normal(scale=1 / np.sqrt(kdim), size=(800, kdim))
    rank = 20
    got = neighbour_distance(X, rank, np.random.RandomState(seed), sketch=Z)
    dist = np.sort(cdist(X, X), axis=1)  # column 0 is the point itself
    assert np.median(dist[:, rank // 3]) < got < np.median(dist[:, 3 * rank])


@pytest.mark.parametrize("d", [2, 30, 200])
def test_neighbour_bandwidth_scales_and_translates(d):
    rng = np.random.default_rng(d)
    X = rng.normal(size=(400, d))
    X -= X.mean(0)
    h = neighbour_bandwidth(X, "gaussian", rng=np.random.RandomState(0))
    assert_allclose(neighbour_bandwidth(1e3 * X, "gaussian", rng=np.random.RandomState(0)),
                    1e3 * h, rtol=1e-9)
    # grows with the distances: about sqrt(2 d) / sqrt(2) per unit sd in high d
    if d == 200:
        assert 0.8 * np.sqrt(d) < h < 1.1 * np.sqrt(d)
    # the KDE at a data point keeps many neighbours: no degenerate bandwidth
    assert effective_sample_size(X[0], X, h, "gaussian") > 5


def test_resolve_bandwidth_rules():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 4))
    X -= X.mean(0)
    assert resolve_bandwidth(X, 0.7, "gaussian", rng=None) == 0.7
    auto = resolve_bandwidth(X, "auto", "epanechnikov", rng=np.random.RandomState(0))
    gauss = resolve_bandwidth(X, "auto", "gaussian", rng=np.random.RandomState(0))
    assert_allclose(auto * kernel_reach("epanechnikov"), gauss * np.sqrt(2), rtol=1e-12)


def test_effective_sample_size_brute_force():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(150, 5))
    x = rng.normal(size=5)
    k = np.exp(-0.5 * ((X - x) ** 2).sum(1) / 1.3**2)
    assert_allclose(effective_sample_size(x, X, 1.3, "gaussian"), k.sum() ** 2 / (k**2).sum(),
                    rtol=1e-12)
    # underflowing kernel values still give the exact ratio (log space)
    t = ((X - x) ** 2).sum(1) / 1e-3**2
    ref = np.exp(2 * logsumexp(-0.5 * t) - logsumexp(-t))
    assert_allclose(effective_sample_size(x, X, 1e-3, "gaussian"), ref, rtol=1e-12)
    assert effective_sample_size(x + 100, X, 1.0, "flat") == 0.0


def test_degenerate_warning():
    with pytest.warns(UserWarning, match="degenerate"):
        warn_if_degenerate(1.0, 0.5, 200, "the mode")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_degenerate(DEGENERATE_ESS, 0.5, 200, "the mode")


@pytest.mark.parametrize("n,eps", [(500, 0.5), (2000, 0.3)])
def test_sketch_dimension_distortion(n, eps):
    # the measured claim of sketch_dimension: with k = 4 ln(n) / eps^2 the
    # largest distortion of the n squared distances from one point is about
    # eps (chi2_k / k has sd sqrt(2 / k); the extreme of n is ~ sqrt(2 ln n) sd)
    k = sketch_dimension(n, eps)
    assert k == int(np.ceil(4 * np.log(n) / eps**2))
    rng = np.random.default_rng(n)
    V = rng.normal(size=(n, 50))
    worst = []
    for _ in range(5):
        P = rng.normal(scale=1 / np.sqrt(k), size=(50, k))
        ratio = ((V @ P) ** 2).sum(1) / (V**2).sum(1)
        worst.append(np.abs(ratio - 1).max())
    assert 0.6 * eps < np.median(worst) < 1.4 * eps
