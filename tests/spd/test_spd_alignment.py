"""SPDSWAlignment: gradients, what the alignment achieves, invariants, the estimator contract."""

import pickle

import numpy as np
import pytest
import scipy.linalg
from scipy.optimize import approx_fprime
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skstruct._backend._ot1d import monotone_barycentric_targets
from skstruct._backend._spd import logm, logm_frechet, sym, vech
from skstruct.datasets import make_meeg_signals
from skstruct.spd import Covariances, SPDProjections, SPDSWAlignment, spd_sliced_wasserstein
from skstruct.spd._alignment import _congruence_objective, _ExactLoss, _SlicedLoss

ot = pytest.importorskip("ot")


def _wishart(rng, n_mat, n, dof=None):
    dof = dof or n + 3
    G = rng.standard_normal((n_mat, n, dof))
    return G @ np.swapaxes(G, 1, 2) / dof


@pytest.fixture
def rng():
    return np.random.RandomState(0)


# ------------------------------------------------------------- backend pieces


@pytest.mark.parametrize("n, m", [(7, 7), (7, 4), (5, 9)])
def test_barycentric_targets_are_the_gradient_of_pot_w2(rng, n, m):
    u, v = rng.randn(3, n), rng.randn(3, m) + 0.5
    T = monotone_barycentric_targets(u, np.sort(v, axis=1))
    for l in range(3):
        f = lambda x: ot.wasserstein_1d(x, v[l], p=2)  # noqa: E731
        num = approx_fprime(u[l], f, 1e-7)
        np.testing.assert_allclose(num, 2.0 / n * (u[l] - T[l]), atol=1e-5)
    if n == m:  # the monotone coupling is a permutation
        ranks = np.argsort(np.argsort(u, axis=1), axis=1)
        np.testing.assert_array_equal(T, np.take_along_axis(np.sort(v, axis=1), ranks, axis=1))


def test_logm_frechet_matches_finite_differences_of_scipy_logm(rng):
    X = _wishart(rng, 3, 4)
    X[0] = np.diag([1.0, 1.0, 2.0, 3.0])  # repeated eigenvalue: the 1 / w limit
    H = sym(rng.randn(3, 4, 4))
    w, V = np.linalg.eigh(X)
    D = logm_frechet(w, V, H)
    eps = 1e-6
    for i in range(3):
        num = (scipy.linalg.logm(X[i] + eps * H[i]) - scipy.linalg.logm(X[i] - eps * H[i])) / (2 * eps)
        np.testing.assert_allclose(D[i], num.real, atol=1e-7)


@pytest.mark.parametrize("loss", ["spdsw", "wasserstein"])
def test_congruence_gradient_matches_finite_differences_of_an_independent_loss(rng, loss):
    X, Xt = _wishart(rng, 12, 3), 2.0 * _wishart(rng, 9, 3)
    proj = SPDProjections.draw(20, 3, random_state=0)
    objective = _SlicedLoss(Xt, proj) if loss == "spdsw" else _ExactLoss(Xt)
    fun = _congruence_objective(X, objective)

    def independent(h):  # public SPDSW on the same directions, or POT's exact W_2^2
        Y = sym(h.reshape(3, 3) @ X @ h.reshape(3, 3).T)
        if loss == "spdsw":
            return spd_sliced_wasserstein(Y, Xt, projections=proj) ** 2
        return ot.emd2([], [], ot.dist(vech(logm(Y)), vech(logm(Xt))))

    H = np.eye(3) + 0.2 * rng.randn(3, 3)
    value, grad = fun(H)
    assert value == pytest.approx(independent(H.ravel()), rel=1e-10)
    num = approx_fprime(H.ravel(), independent, 1e-7)
    np.testing.assert_allclose(grad.ravel(), num, rtol=1e-4, atol=1e-6 * np.abs(num).max())


# --------------------------------------------------------------- what it does


def test_alignment_decreases_spdsw_and_pot_distances_to_the_target(rng):
    Xs = _wishart(rng, 40, 4)
    G = np.eye(4) + 0.5 * rng.randn(4, 4)
    Xt = G @ _wishart(rng, 30, 4) @ G.T
    al = SPDSWAlignment(n_projections=60, random_state=0)
    Y = al.fit_transform(Xs, X_target=Xt)
    assert al.loss_ < al.initial_loss_  # L-BFGS improved on the re-centred start
    # fresh directions (not the fitted ones) and two POT distances on log-matrices
    before = spd_sliced_wasserstein(Xs, Xt, n_projections=2000, random_state=7)
    after = spd_sliced_wasserstein(Y, Xt, n_projections=2000, random_state=7)
    assert after < 0.5 * before
    lt, ls, ly = vech(logm(Xt)), vech(logm(Xs)), vech(logm(Y))
    assert ot.emd2([], [], ot.dist(ly, lt)) < 0.5 * ot.emd2([], [], ot.dist(ls, lt))
    sw = [ot.sliced_wasserstein_distance(a, lt, n_projections=2000, seed=3) for a in (ls, ly)]
    assert sw[1] < 0.5 * sw[0]
    assert np.all(np.linalg.eigvalsh(Y) > 0)


def test_exact_loss_decreases_exact_wasserstein(rng):
    Xs, Xt = _wishart(rng, 20, 3), 3.0 * _wishart(rng, 15, 3) + np.eye(3)
    al = SPDSWAlignment(loss="wasserstein", init="identity", max_iter=50).fit(Xs, X_target=Xt)
    Y = al.align(Xs)
    lt = vech(logm(Xt))
    w_before = ot.emd2([], [], ot.dist(vech(logm(Xs)), lt))
    w_after = ot.emd2([], [], ot.dist(vech(logm(Y)), lt))
    assert w_after == pytest.approx(al.loss_, rel=1e-8)
    assert w_after < 0.5 * w_before
    assert al.projections_ is None


def test_recovers_a_congruence_up_to_the_order_of_the_matrices(rng):
    Xs = _wishart(rng, 60, 4)
    G0 = rng.randn(4, 4) + 2 * np.eye(4)
    Xt = G0 @ Xs[rng.permutation(60)] @ G0.T
    al = SPDSWAlignment(n_projections=100, random_state=0, max_iter=200).fit(Xs, X_target=Xt)
    assert al.loss_ < 1e-5 * al.initial_loss_
    # the only congruences mapping a generic set onto Xt are +-G0
    np.testing.assert_allclose(np.abs(al.map_ @ np.linalg.inv(G0)), np.eye(4), atol=1e-2)


def test_identical_domains_give_the_identity(rng):
    X = _wishart(rng, 15, 3)
    al = SPDSWAlignment(n_projections=30, random_state=0).fit(X, X_target=X[::-1])
    assert al.initial_loss_ < 1e-20
    np.testing.assert_allclose(al.map_, np.eye(3), atol=1e-10)
    np.testing.assert_allclose(al.align(X), X, rtol=1e-10)


@pytest.mark.parametrize("c", [1e-4, 9.0, 1e6])
def test_common_scaling_is_undone_by_the_start(rng, c):
    # recentering maps the log-Euclidean means; for Xt = c Xs the map sqrt(c) I is exact
    X = _wishart(rng, 15, 3)
    al = SPDSWAlignment(n_projections=30, random_state=0).fit(X, X_target=c * X)
    np.testing.assert_allclose(al.map_, np.sqrt(c) * np.eye(3), rtol=1e-8, atol=1e-10 * np.sqrt(c))
    np.testing.assert_allclose(al.align(X), c * X, rtol=1e-7)


@pytest.mark.parametrize("loss", ["spdsw", "wasserstein"])
def test_no_iteration_keeps_the_log_euclidean_recentering(rng, loss):
    # max_iter=0 is G0 = Mt^{1/2} Ms^{-1/2} with M = expm(mean logm), computed with scipy
    Xs, Xt = _wishart(rng, 20, 3), 2.0 * _wishart(rng, 25, 3)

    def le_mean_power(X, a):
        M = np.mean([scipy.linalg.logm(x).real for x in X], axis=0)
        return scipy.linalg.expm(a * M)

    G0 = le_mean_power(Xt, 0.5) @ le_mean_power(Xs, -0.5)
    al = SPDSWAlignment(loss=loss, max_iter=0, random_state=0).fit(Xs, X_target=Xt)
    assert al.n_iter_ == 0 and al.loss_ == al.initial_loss_
    np.testing.assert_allclose(al.map_, G0, rtol=1e-9, atol=1e-12)


def test_unequal_sizes_and_float32(rng):
    Xs, Xt = _wishart(rng, 25, 3).astype(np.float32), 2.0 * _wishart(rng, 11, 3)
    al = SPDSWAlignment(n_projections=40, random_state=0)
    Y = al.fit_transform(Xs, X_target=Xt)
    assert Y.dtype == np.float32 and Y.shape == Xs.shape
    assert al.loss_ <= al.initial_loss_
    np.testing.assert_allclose(Y, al.align(Xs), rtol=1e-6)


def _two_subjects(n_trials=60):
    cov = Covariances(estimator="oas", order=2, lag=3)
    Xs, ys = make_meeg_signals(n_trials=n_trials, n_channels=4, n_times=200, random_state=1,
                               mixing_random_state=0)
    Xt, yt = make_meeg_signals(n_trials=n_trials, n_channels=4, n_times=200, random_state=2,
                               mixing_random_state=3)
    return cov.fit_transform(Xs), ys, cov.fit_transform(Xt), yt


def test_pipeline_with_tangent_space_logistic_regression():
    pyriemann = pytest.importorskip("pyriemann")
    Xs, ys, Xt, yt = _two_subjects()
    clf = make_pipeline(pyriemann.tangentspace.TangentSpace(), LogisticRegression(max_iter=500))
    base = clone(clf).fit(Xs, ys).score(Xt, yt)
    pipe = make_pipeline(SPDSWAlignment(n_projections=100, random_state=0), clf)
    pipe.fit(Xs, ys, spdswalignment__X_target=Xt)
    assert pipe.score(Xt, yt) > base + 0.2
    # predict sees target data, which the fitted alignment passes through
    np.testing.assert_array_equal(pipe.predict(Xt), pipe[1:].predict(Xt))


def test_pipeline_with_mdm():
    pyriemann = pytest.importorskip("pyriemann")
    Xs, ys, Xt, yt = _two_subjects()
    base = pyriemann.classification.MDM().fit(Xs, ys).score(Xt, yt)
    pipe = make_pipeline(SPDSWAlignment(n_projections=100, random_state=0),
                         pyriemann.classification.MDM())
    pipe.fit(Xs, ys, spdswalignment__X_target=Xt)
    assert pipe.score(Xt, yt) > base + 0.2


# ------------------------------------------------------------------- contract


def test_clone_pickle_transform(rng):
    Xs, Xt = _wishart(rng, 12, 3), 2.0 * _wishart(rng, 10, 3)
    est = SPDSWAlignment(n_projections=20, random_state=0)
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        est.align(Xs)
    est.fit(Xs, X_target=Xt)
    est2 = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(est2.align(Xs), est.align(Xs))
    np.testing.assert_array_equal(clone(est).fit(Xs, X_target=Xt).map_, est.map_)
    np.testing.assert_allclose(est.transform(Xt), Xt, rtol=1e-15)


def test_bad_input(rng):
    Xs, Xt = _wishart(rng, 12, 3), _wishart(rng, 10, 3)
    est = SPDSWAlignment(n_projections=10, random_state=0)
    with pytest.raises(ValueError, match="X_target"):
        est.fit(Xs)
    with pytest.raises(ValueError, match="same channels"):
        est.fit(Xs, X_target=_wishart(rng, 10, 4))
    est.fit(Xs, X_target=Xt)
    fitted = est.map_.copy()
    bad = Xs.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(bad, X_target=Xt)
    notspd = Xt.copy()
    notspd[1] = -notspd[1]
    with pytest.raises(ValueError, match="not SPD"):
        est.fit(Xs, X_target=notspd)
    with pytest.raises(ValueError, match="3-D"):
        est.fit(Xs[0], X_target=Xt)
    with pytest.raises(ValueError, match="empty"):
        est.fit(Xs[:0], X_target=Xt)
    with pytest.raises(ValueError, match="complex"):
        est.fit(Xs.astype(complex), X_target=Xt)
    np.testing.assert_array_equal(est.map_, fitted)  # failed fits left the state alone
    with pytest.raises(ValueError, match="fitted on 3x3"):
        est.align(_wishart(rng, 2, 4))
    with pytest.raises(ValueError, match="fitted on 3x3"):
        est.transform(_wishart(rng, 2, 4))


def test_meeg_sessions_share_the_subject_mixing():
    # noise-free trials: a session differs from another by one sensor-space matrix
    kw = dict(n_trials=6, n_channels=3, n_times=80, noise=0.0, mixing_random_state=4,
              random_state=1)
    X1, y1 = make_meeg_signals(**kw)
    X2, y2 = make_meeg_signals(**kw, session_shift=0.5)
    np.testing.assert_array_equal(y1, y2)
    B = X2[0] @ np.linalg.pinv(X1[0])
    np.testing.assert_allclose(B @ X1[1:], X2[1:], atol=1e-8)
    assert np.abs(B - np.eye(3)).max() > 0.05
