"""spd_sliced_wasserstein, its pairwise version and the control-variate estimator."""

import numpy as np
import ot
import pytest
from scipy import linalg

from skstruct._backend._spd import haar_orthogonal
from skstruct.spd import SPDProjections, spd_sliced_wasserstein, spd_sliced_wasserstein_pairwise
from skstruct.spd._sliced import control_variate_estimate

METRICS = ["log-euclidean", "affine-invariant"]


def _spd_set(rng, n_mat, n, shift=0.0, scale=0.5):
    S = rng.randn(n_mat, n, n) * scale
    S = 0.5 * (S + np.swapaxes(S, 1, 2)) + shift * np.eye(n)
    w, V = np.linalg.eigh(S)
    return (V * np.exp(w)[:, None, :]) @ np.swapaxes(V, 1, 2)


@pytest.fixture
def sets():
    rng = np.random.RandomState(0)
    return _spd_set(rng, 6, 3), _spd_set(rng, 4, 3, shift=0.3, scale=0.8)


def _busemann_by_definition(X, theta, P):
    """AI coordinate from its definition: LDL^T of P^T X P via leading minors."""
    M = P.T @ X @ P
    n = M.shape[0]
    minors = [1.0] + [np.linalg.det(M[:k, :k]) for k in range(1, n + 1)]
    return float(theta @ np.log(np.array(minors[1:]) / np.array(minors[:-1])))


def _spdsw_by_definition(A, B, a, b, proj, metric, p):
    """Mean over the directions of an exact LP (POT emd2) between projected measures."""
    vals = []
    logA = [linalg.logm(X).real for X in A]
    logB = [linalg.logm(X).real for X in B]
    for th, P in zip(proj.theta, proj.eigvecs):
        D = P @ np.diag(th) @ P.T
        if metric == "log-euclidean":
            za = [np.trace(D @ S) for S in logA]
            zb = [np.trace(D @ S) for S in logB]
        else:
            za = [_busemann_by_definition(X, th, P) for X in A]
            zb = [_busemann_by_definition(X, th, P) for X in B]
        M = np.abs(np.subtract.outer(za, zb)) ** p
        vals.append(ot.emd2(a, b, M))
    return np.mean(vals) ** (1.0 / p)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("p", [1, 2])
def test_matches_definition_on_small_case(sets, metric, p):
    A, B = sets
    rng = np.random.RandomState(1)
    a, b = rng.rand(6), rng.rand(4)
    a, b = a / a.sum(), b / b.sum()
    proj = SPDProjections.draw(5, 3, random_state=7)
    ours = spd_sliced_wasserstein(A, B, a, b, metric=metric, p=p, n_projections=5,
                                  random_state=7)
    assert ours == pytest.approx(_spdsw_by_definition(A, B, a, b, proj, metric, p), rel=1e-9)
    # passing the same draw explicitly gives the same value
    assert spd_sliced_wasserstein(A, B, a, b, metric=metric, p=p, projections=proj) == ours


@pytest.mark.parametrize("metric", METRICS)
def test_zero_on_identical_sets_and_symmetric(sets, metric):
    A, B = sets
    w = np.random.RandomState(2).rand(6)
    assert spd_sliced_wasserstein(A, A, w, w, metric=metric, random_state=0) == 0.0
    # permuting the matrices (with their weights) does not change the measure
    perm = np.random.RandomState(3).permutation(6)
    assert spd_sliced_wasserstein(A, A[perm], w, w[perm], metric=metric,
                                  random_state=0) == pytest.approx(0.0, abs=1e-12)
    d_ab = spd_sliced_wasserstein(A, B, metric=metric, random_state=0)
    d_ba = spd_sliced_wasserstein(B, A, metric=metric, random_state=0)
    assert d_ab > 0
    assert d_ab == pytest.approx(d_ba, rel=1e-12)


def test_weights_equal_repeated_matrices(sets):
    A, B = sets
    # weight 2 on A[0] == A[0] listed twice
    w = np.array([2.0, 1, 1, 1, 1, 1])
    rep = np.concatenate([A[:1], A])
    d1 = spd_sliced_wasserstein(A, B, w, None, random_state=0)
    d2 = spd_sliced_wasserstein(rep, B, random_state=0)
    assert d1 == pytest.approx(d2, rel=1e-12)


@pytest.mark.parametrize("metric", METRICS)
def test_converges_to_high_projection_reference(sets, metric):
    A, B = sets
    ref = spd_sliced_wasserstein(A, B, metric=metric, n_projections=20000, random_state=123) ** 2
    errs = {}
    for L in (10, 1000):
        errs[L] = np.mean([(spd_sliced_wasserstein(A, B, metric=metric, n_projections=L,
                                                   random_state=s) ** 2 - ref) ** 2
                           for s in range(12)])
    # MC error ~ L^-1/2: mean squared error shrinks about 100x from L=10 to L=1000
    assert errs[1000] < errs[10] / 20


def _rotated(proj, O):
    return SPDProjections.from_eig(proj.theta, O @ proj.eigvecs)


@pytest.mark.parametrize("metric", METRICS)
def test_orthogonal_congruence_invariance(sets, metric):
    """Both variants: X -> O X O^T of both sets with directions A -> O A O^T is exact.

    log(O X O^T) = O log(X) O^T gives it for the log-Euclidean projection;
    (O P)^T (O X O^T) (O P) = P^T X P gives it for the Busemann one. With the
    same (unrotated) directions it holds in law, since P Haar makes the law of
    A invariant under conjugation: equal up to Monte Carlo error.
    """
    A, B = sets
    O = haar_orthogonal(np.random.RandomState(5), 1, 3)[0]
    OA, OB = O @ A @ O.T, O @ B @ O.T
    proj = SPDProjections.draw(50, 3, random_state=0)
    d = spd_sliced_wasserstein(A, B, metric=metric, projections=proj)
    assert spd_sliced_wasserstein(OA, OB, metric=metric,
                                  projections=_rotated(proj, O)) == pytest.approx(d, rel=1e-10)
    # without rotating the directions: only equal in expectation
    L = 3000
    d1, w1 = spd_sliced_wasserstein(A, B, metric=metric, n_projections=L, random_state=1,
                                    return_projected=True)
    d2, w2 = spd_sliced_wasserstein(OA, OB, metric=metric, n_projections=L, random_state=2,
                                    return_projected=True)
    se = np.sqrt(w1.var() / L + w2.var() / L)
    assert abs(d1 ** 2 - d2 ** 2) < 4 * se
    assert abs(d1 ** 2 - d2 ** 2) > 0  # not an exact identity with unrotated directions


@pytest.mark.parametrize("metric", METRICS)
def test_common_scaling_invariance(sets, metric):
    """X -> s X of both sets shifts every projection by log(s) tr(A) (log-Euclidean) or
    log(s) sum(theta) (Busemann): a common translation, so each W_p is unchanged."""
    A, B = sets
    proj = SPDProjections.draw(40, 3, random_state=0)
    d = spd_sliced_wasserstein(A, B, metric=metric, projections=proj)
    assert spd_sliced_wasserstein(3.7 * A, 3.7 * B, metric=metric,
                                  projections=proj) == pytest.approx(d, rel=1e-10)


@pytest.mark.parametrize("metric", METRICS)
def test_inversion_invariance(sets, metric):
    """X -> X^{-1} of both sets. Log-Euclidean: every projection flips sign, exact for fixed
    directions. Busemann: exact when A is replaced by -A (theta -> -theta reversed, P -> P J,
    because J (P^T X P)^{-1} J has LDL diagonal J D^{-1} J); -A has the law of A, so with
    fixed directions it holds up to Monte Carlo error."""
    A, B = sets
    Ai, Bi = np.linalg.inv(A), np.linalg.inv(B)
    proj = SPDProjections.draw(40, 3, random_state=0)
    neg = SPDProjections.from_eig(-proj.theta, proj.eigvecs)
    d = spd_sliced_wasserstein(A, B, metric=metric, projections=proj)
    assert spd_sliced_wasserstein(Ai, Bi, metric=metric,
                                  projections=neg) == pytest.approx(d, rel=1e-10)
    if metric == "log-euclidean":
        assert spd_sliced_wasserstein(Ai, Bi, metric=metric,
                                      projections=proj) == pytest.approx(d, rel=1e-10)
    L = 3000
    d1, w1 = spd_sliced_wasserstein(A, B, metric=metric, n_projections=L, random_state=1,
                                    return_projected=True)
    d2, w2 = spd_sliced_wasserstein(Ai, Bi, metric=metric, n_projections=L, random_state=2,
                                    return_projected=True)
    assert abs(d1 ** 2 - d2 ** 2) < 4 * np.sqrt(w1.var() / L + w2.var() / L)


# ---------------------------------------------------------------- control variates


def test_control_variate_estimate_exact_when_variate_is_target():
    rng = np.random.RandomState(0)
    W = rng.rand(20)
    # C = W + 3 with known mean E[C] = 5 -> gamma = 1 and the estimate is E[W] = 2
    est, gamma = control_variate_estimate(W, W + 3.0, 5.0)
    assert gamma == pytest.approx(1.0)
    assert est == pytest.approx(2.0)


@pytest.mark.parametrize("case, kind", [("shift", "lower"), ("shift", "upper"),
                                        ("spread", "upper")])
def test_control_variates_unbiased_with_lower_variance(case, kind):
    # ("spread", "lower") is left out on purpose: when the two means coincide the lower
    # bound <A, mean difference>^2 carries no information and does not reduce variance
    rng = np.random.RandomState(0)
    if case == "shift":
        A, B = _spd_set(rng, 20, 4), _spd_set(rng, 15, 4, shift=0.8)
    else:
        A, B = _spd_set(rng, 20, 4, scale=0.3), _spd_set(rng, 15, 4, scale=0.9)
    ref = spd_sliced_wasserstein(A, B, n_projections=100000, random_state=999) ** 2
    L, R = 20, 120
    mc = np.array([spd_sliced_wasserstein(A, B, n_projections=L, random_state=s) ** 2
                   for s in range(R)])
    cv = np.array([spd_sliced_wasserstein(A, B, n_projections=L, random_state=s, estimator="cv",
                                          control_variate=kind) ** 2 for s in range(R)])
    ref_se = 2 * mc.std() / np.sqrt(100000 / L * R)  # tiny next to the CV's error
    assert abs(cv.mean() - ref) < 4 * cv.std() / np.sqrt(R) + ref_se
    assert abs(mc.mean() - ref) < 4 * mc.std() / np.sqrt(R) + ref_se
    assert cv.var() < mc.var()
    if case == "shift":  # mean-shift dominated: the Gaussian bounds track W closely
        assert cv.var() < 0.2 * mc.var()


def test_control_variate_errors(sets):
    A, B = sets
    with pytest.raises(ValueError, match="log-euclidean"):
        spd_sliced_wasserstein(A, B, metric="affine-invariant", estimator="cv")
    with pytest.raises(ValueError, match="n_projections >= 3"):
        spd_sliced_wasserstein(A, B, estimator="cv", n_projections=2)


# ---------------------------------------------------------------- pairwise


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("p", [1, 2])
def test_pairwise_matches_pair_function(metric, p):
    rng = np.random.RandomState(4)
    equal = [_spd_set(rng, 5, 3, shift=0.1 * i) for i in range(3)]
    ragged = [_spd_set(rng, k, 3, shift=0.1 * k) for k in (2, 5, 3)]
    for coll in (equal, ragged):
        D = spd_sliced_wasserstein_pairwise(coll, metric=metric, p=p, n_projections=30,
                                            random_state=0)
        for i in range(3):
            for j in range(3):
                ref = spd_sliced_wasserstein(coll[i], coll[j], metric=metric, p=p,
                                             n_projections=30, random_state=0)
                assert D[i, j] == pytest.approx(ref, rel=1e-9, abs=1e-12)
    # cross collection, 4-D array form
    D = spd_sliced_wasserstein_pairwise(np.stack(equal[:2]), np.stack(equal), metric=metric,
                                        p=p, n_projections=30, random_state=0)
    assert D.shape == (2, 3)
    assert D[1, 1] == pytest.approx(0.0, abs=1e-7)


def test_pairwise_quantile_embedding_exact_on_common_multiple():
    rng = np.random.RandomState(5)
    coll = [_spd_set(rng, 2, 3), _spd_set(rng, 3, 3, shift=0.5)]
    exact = spd_sliced_wasserstein_pairwise(coll, n_projections=20, random_state=0)
    for K in (6, 12):  # multiples of both sizes: the quantile grid holds every breakpoint
        approx = spd_sliced_wasserstein_pairwise(coll, n_projections=20, random_state=0,
                                                 n_quantiles=K)
        np.testing.assert_allclose(approx, exact, rtol=1e-10, atol=1e-12)
    coarse = spd_sliced_wasserstein_pairwise(coll, n_projections=20, random_state=0,
                                             n_quantiles=4)
    assert abs(coarse[0, 1] - exact[0, 1]) > 1e-6


@pytest.mark.parametrize(
    "bad, match",
    [
        (lambda A: -A, "not positive definite"),
        (lambda A: A + np.triu(np.ones((3, 3)), 1), "not symmetric"),
        (lambda A: np.where(np.eye(3, dtype=bool), np.nan, A), "NaN"),
        (lambda A: A[0], "3-D"),
        (lambda A: A[:0], "empty"),
        (lambda A: A[:, :2, :], "square"),
        (lambda A: A.astype(complex), "complex"),
    ],
)
def test_bad_input_errors(sets, bad, match):
    A, B = sets
    with pytest.raises(ValueError, match=match):
        spd_sliced_wasserstein(bad(A), B)


def test_bad_weights_and_sizes(sets):
    A, B = sets
    with pytest.raises(ValueError, match="shape"):
        spd_sliced_wasserstein(A, B, a=np.ones(3))
    with pytest.raises(ValueError, match="nonnegative"):
        spd_sliced_wasserstein(A, B, a=-np.ones(6))
    with pytest.raises(ValueError, match="different sizes"):
        spd_sliced_wasserstein(A, np.broadcast_to(np.eye(2), (3, 2, 2)))
    with pytest.raises(TypeError, match="sparse"):
        import scipy.sparse as sp

        spd_sliced_wasserstein_pairwise([sp.eye(3).tocsr()])
    with pytest.raises(ValueError):  # parameter validation
        spd_sliced_wasserstein(A, B, p=3)
