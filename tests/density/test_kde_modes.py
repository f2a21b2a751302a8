"""KDEModeFinder: modes vs grid search and exhaustive ascent, projection, densities, contract."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neighbors import KernelDensity
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skstruct._backend._kernels import kde_accumulate, kde_log_density, mean_shift
from skstruct.density import KDEModeFinder

GRID_KERNELS = [("gaussian", 2.0), ("generalized_gaussian", 1.0),
                ("generalized_gaussian", 1.5), ("logistic", 2.0), ("sigmoid", 2.0),
                ("epanechnikov", 2.0)]


def _mixture(n, d, seed, k=6, spread=3.0):
    rng = np.random.default_rng(seed)
    C = rng.normal(scale=spread, size=(k, d))
    lab = rng.choice(k, size=n, p=rng.dirichlet(2 * np.ones(k)))
    return C[lab] + rng.normal(size=(n, d))


@pytest.mark.parametrize("kernel,a", GRID_KERNELS)
def test_mode_1d_equals_grid_search(kernel, a):
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, 60), rng.normal(3, 0.5, 40)][:, None]
    h = 0.4
    est = KDEModeFinder(kernel, exponent=a, bandwidth=h, method="gradient", n_init="all",
                        tol=1e-10, max_iter=3000).fit(X)
    grid = np.linspace(-4, 6, 20001)[:, None]
    logf = est.score_samples(grid)
    best = grid[np.argmax(logf), 0]
    assert abs(est.mode_[0] - best) < 2e-3
    assert est.mode_log_density_ >= logf.max() - 1e-6
    if kernel == "epanechnikov" or a < 1.5:
        return  # kinks / cusps: mean-shift fixed points need not be local maxima
    # every reported mode is a local maximum on the grid scale
    for m, lm in zip(est.modes_, est.modes_log_density_):
        around = est.score_samples(m[None] + np.array([[-1e-3], [1e-3]]))
        assert (around <= lm + 1e-9).all()


@pytest.mark.parametrize("kernel,a", [("gaussian", 2.0), ("logistic", 2.0),
                                      ("sigmoid", 2.0), ("generalized_gaussian", 1.5)])
def test_mode_2d_equals_grid_search(kernel, a):
    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(0, 1, (80, 2)), rng.normal([3, 1], 0.6, (50, 2))]
    est = KDEModeFinder(kernel, exponent=a, bandwidth=0.5, method="gradient", n_init=20,
                        tol=1e-9, max_iter=3000, random_state=0).fit(X)
    g = np.linspace(-3, 5, 241)
    G = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    logf = est.score_samples(G)
    best = G[np.argmax(logf)]
    assert np.linalg.norm(est.mode_ - best) < 2 * (g[1] - g[0])
    assert est.mode_log_density_ >= logf.max() - 1e-9


@pytest.fixture(scope="module")
def d50():
    X = _mixture(2000, 50, seed=2, k=8)
    h = 4.0
    ref = KDEModeFinder(bandwidth=h, method="gradient", n_init="all", tol=1e-5).fit(X)
    return X, h, ref


def test_d50_reference_is_stationary(d50):
    # independent numpy check that the exhaustive reference stopped at a stationary point
    X, h, ref = d50
    t = ((X - ref.mode_) ** 2).sum(1) / h**2
    w = np.exp(-0.5 * (t - t.min()))
    assert np.linalg.norm(w @ (X - ref.mode_)) / w.sum() < 1e-3 * h
    ref_log = logsumexp(-0.5 * t) - np.log(len(X)) - 50 * np.log(h) - 25 * np.log(2 * np.pi)
    assert_allclose(ref.mode_log_density_, ref_log, rtol=1e-12)


@pytest.mark.parametrize("params", [dict(method="gradient"),
                                    dict(method="projection", n_components=10)])
def test_d50_mode_close_to_exhaustive_ascent(d50, params):
    X, h, ref = d50
    est = KDEModeFinder(bandwidth=h, random_state=0, **params).fit(X)
    # density ratio >= 0.99 of the best of ascent from every data point
    assert est.mode_log_density_ >= ref.mode_log_density_ + np.log(0.99)
    assert_allclose(est.mode_log_density_, est.score_samples(est.mode_[None])[0])


@pytest.fixture(scope="module")
def d1000():
    X = _mixture(200, 500, seed=3, k=5, spread=1.5)
    h = 11.0
    ref = KDEModeFinder(bandwidth=h, method="gradient", n_init="all").fit(X)
    return X, h, ref


@pytest.mark.parametrize("eps", [0.5, 0.7])
def test_projection_lift_within_one_minus_eps(d1000, eps):
    # k from the JL bound for eps, no polishing: the lifted sketched mode keeps
    # the density within (1 - eps) of the full-dimensional answer
    X, h, ref = d1000
    est = KDEModeFinder(bandwidth=h, method="projection", eps=eps, polish_iter=0,
                        random_state=int(10 * eps)).fit(X)
    assert est.n_components_ < X.shape[1]
    assert est.mode_log_density_ >= ref.mode_log_density_ + np.log(1 - eps)
    # the lift alone, rebuilt from the backend: best sketched mode -> one
    # mean-shift step in R^d with the sketch's weights
    Z = X @ est.components_.T
    P, _, _, _ = mean_shift(Z[::4], Z, h, "gaussian", tol=1e-6)
    y = P[np.argmax(kde_log_density(P, Z, h, "gaussian"))]
    _, x = kde_accumulate(y[None], Z, h, "gaussian", density=False, shift=True, values=X)
    assert kde_log_density(x, X, h, "gaussian")[0] >= ref.mode_log_density_ + np.log(1 - eps)


def test_projection_small_sketch_with_polish(d1000):
    X, h, ref = d1000
    est = KDEModeFinder(bandwidth=h, method="projection", n_components=20,
                        random_state=0).fit(X)
    assert est.components_.shape == (20, 500)
    assert est.method_ == "projection"
    assert est.mode_log_density_ >= ref.mode_log_density_ + np.log(0.999)


def test_auto_method():
    X = _mixture(200, 5, seed=4)
    est = KDEModeFinder(bandwidth=1.0, random_state=0).fit(X)
    assert est.method_ == "gradient" and est.components_ is None and est.n_components_ == 5
    est = KDEModeFinder(bandwidth=1.0, n_components=2, random_state=0).fit(X)
    assert est.method_ == "projection" and est.n_components_ == 2


@pytest.mark.parametrize("kernel,sk_kernel,a", [
    ("gaussian", "gaussian", 2.0), ("flat", "tophat", 2.0),
    ("epanechnikov", "epanechnikov", 2.0), ("generalized_gaussian", "exponential", 1.0)])
def test_score_samples_match_kernel_density(kernel, sk_kernel, a):
    X = _mixture(200, 3, seed=5)
    Q = X[:30] + 0.1
    est = KDEModeFinder(kernel, exponent=a, bandwidth=2.0, n_init=5, random_state=0).fit(X)
    kd = KernelDensity(kernel=sk_kernel, bandwidth=2.0, rtol=0, atol=0).fit(X)
    assert_allclose(est.score_samples(Q), kd.score_samples(Q), rtol=1e-10)
    assert_allclose(est.score(Q), kd.score_samples(Q).mean(), rtol=1e-10)


def test_gridsearch_picks_bandwidth_like_manual_cv():
    X = _mixture(240, 2, seed=6, k=3)
    bws = [0.2, 0.5, 1.0, 2.0, 4.0]
    cv = KFold(4, shuffle=True, random_state=0)
    search = GridSearchCV(KDEModeFinder(n_init=5, random_state=0), {"bandwidth": bws},
                          cv=cv).fit(X)
    # manual cross-validated likelihood with sklearn's KernelDensity
    manual = [np.mean([KernelDensity(bandwidth=b).fit(X[tr]).score_samples(X[te]).mean()
                       for tr, te in cv.split(X)]) for b in bws]
    assert search.best_params_["bandwidth"] == bws[int(np.argmax(manual))]
    assert search.best_params_["bandwidth"] not in (bws[0], bws[-1])


def test_bandwidth_rules():
    X = _mixture(500, 3, seed=7)
    n, d = X.shape
    sigma = np.sqrt(np.var(X, axis=0, ddof=1).mean())
    scott = KDEModeFinder(bandwidth="scott", n_init=3, random_state=0).fit(X)
    silver = KDEModeFinder(bandwidth="silverman", n_init=3, random_state=0).fit(X)
    assert_allclose(scott.bandwidth_, sigma * n ** (-1 / (d + 4)))
    assert_allclose(silver.bandwidth_, sigma * (n * (d + 2) / 4) ** (-1 / (d + 4)))


def test_pipeline_and_clone_pickle():
    X = _mixture(150, 4, seed=8)
    pipe = make_pipeline(StandardScaler(), KDEModeFinder(bandwidth=0.5, n_init=10,
                                                         random_state=0))
    pipe.fit(X)
    assert np.isfinite(pipe.score(X))
    est = pipe[-1]
    est2 = pickle.loads(pickle.dumps(est))
    assert_allclose(est2.mode_, est.mode_)
    est3 = clone(est).fit(StandardScaler().fit_transform(X))
    assert_allclose(est3.mode_, est.mode_)  # same random_state, same answer


def test_effective_sample_size():
    X = _mixture(300, 10, seed=9)
    with pytest.warns(UserWarning, match="degenerate"):
        tiny = KDEModeFinder(bandwidth=0.05, n_init=5, random_state=0).fit(X)
    wide = KDEModeFinder(bandwidth=50.0, n_init=5, random_state=0).fit(X)
    assert tiny.effective_sample_size_ < 1.01
    assert wide.effective_sample_size_ > 290


def test_float32_input():
    X = _mixture(100, 3, seed=10).astype(np.float32)
    est = KDEModeFinder(bandwidth=1.0, n_init=5, random_state=0).fit(X)
    est64 = KDEModeFinder(bandwidth=1.0, n_init=5, random_state=0).fit(X.astype(np.float64))
    assert_allclose(est.mode_, est64.mode_, rtol=1e-6)


@pytest.mark.parametrize("X,err,match", [
    (np.array([[0.0, np.nan], [1.0, 2.0]]), ValueError, "NaN"),
    (np.array([[0.0, np.inf], [1.0, 2.0]]), ValueError, "infinity"),
    (np.empty((0, 2)), ValueError, "0 sample"),
    (np.ones((1, 2)), ValueError, "minimum of 2"),
    (np.ones(5), ValueError, "2D array"),
    (np.ones((3, 2)) + 1j, ValueError, "Complex"),
    (np.array([["a", "b"], ["c", "d"]], dtype=object), ValueError, "could not convert"),
    (sp.csr_matrix(np.eye(3)), TypeError, "[Ss]parse"),
])
def test_bad_input(X, err, match):
    with pytest.raises(err, match=match):
        KDEModeFinder(n_init=2).fit(X)


def test_bad_params_and_predict_shape():
    X = _mixture(50, 3, seed=11)
    with pytest.raises(ValueError, match="exponent"):
        KDEModeFinder(exponent=3.0).fit(X)
    with pytest.raises(ValueError, match="kernel"):
        KDEModeFinder("box").fit(X)
    with pytest.raises(ValueError, match="bandwidth"):
        KDEModeFinder(bandwidth=-1.0).fit(X)
    est = KDEModeFinder(n_init=3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        est.score_samples(np.ones((2, 4)))


def _separated_mixture(n, d, seed, k=4, sep=10.0, heavy=2.0):
    # k unit-sd clusters whose centres are >= sep apart; the first is `heavy`
    # times as likely, so the KDE's highest mode sits at it
    rng = np.random.default_rng(seed)
    C = np.zeros((0, d))
    while len(C) < k:
        c = rng.uniform(-2 * sep, 2 * sep, size=d) / np.sqrt(d) * 2
        if len(C) == 0 or np.linalg.norm(C - c, axis=1).min() >= sep:
            C = np.vstack([C, c])
    p = np.r_[heavy, np.ones(k - 1)]
    lab = rng.choice(k, size=n, p=p / p.sum())
    return C[lab] + rng.normal(size=(n, d)), lab, C


@pytest.mark.parametrize("d,n", [(2, 100), (2, 3000), (10, 400), (50, 300), (100, 300),
                                 (20, 12000)])
@pytest.mark.parametrize("scale,offset", [(1.0, 0.0), (1e-3, 1e6)])
def test_defaults_find_the_densest_mode(d, n, scale, offset):
    X, lab, C = _separated_mixture(n, d, seed=d + n)
    Xs = scale * X + offset
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default bandwidth is not degenerate
        est = KDEModeFinder(random_state=0).fit(Xs)
    mode = (est.mode_ - offset) / scale
    # at the heavy cluster: nearer its centre than any other, and within the
    # spread of its own points' mean (sd 1 per coordinate)
    dist = np.linalg.norm(C - mode, axis=1)
    assert dist.argmin() == 0
    assert dist[0] < 0.3 * np.sqrt(d) + 1.0
    assert est.effective_sample_size_ > 5
    # as high as the best of mean shift from every data point (brute-force
    # reference on at most 500 points, same bandwidth)
    if n <= 500:
        ref = KDEModeFinder(bandwidth=est.bandwidth_, method="gradient", n_init="all",
                            tol=1e-5).fit(Xs)
        assert est.mode_log_density_ >= ref.mode_log_density_ + np.log(0.99)


def test_translation_and_scale_invariance():
    X, _, _ = _separated_mixture(500, 8, seed=1)
    a = KDEModeFinder(random_state=0).fit(X)
    b = KDEModeFinder(random_state=0).fit(1e3 * X + 1e7)
    assert_allclose(b.bandwidth_, 1e3 * a.bandwidth_, rtol=1e-6)
    assert_allclose((b.mode_ - 1e7) / 1e3, a.mode_, atol=1e-5)
    assert_allclose(b.mode_log_density_, a.mode_log_density_ - 8 * np.log(1e3), rtol=1e-8)


def test_scott_in_high_dimension_warns_degenerate():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 200))
    with pytest.warns(UserWarning, match="degenerate"):
        est = KDEModeFinder(bandwidth="scott", n_init=5, random_state=0).fit(X)
    assert est.effective_sample_size_ < 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = KDEModeFinder(n_init=5, random_state=0).fit(X)
    assert est.effective_sample_size_ > 10


def test_default_sketch_reduces_dimension_and_auto_projects():
    X, _, C = _separated_mixture(1000, 600, seed=3, sep=30.0)
    est = KDEModeFinder(random_state=0).fit(X)
    k = int(np.ceil(4 * np.log(1000) / 0.75**2))
    assert est.method_ == "projection" and est.n_components_ == k < 600 / 8
    assert np.linalg.norm(C - est.mode_, axis=1).argmin() == 0
    full = KDEModeFinder(method="gradient", random_state=0).fit(X)
    assert full.bandwidth_ == est.bandwidth_
    assert est.mode_log_density_ >= full.mode_log_density_ + np.log(0.99)
    # below 8 k features the default searches in full dimension
    assert KDEModeFinder(random_state=0).fit(X[:, :100]).method_ == "gradient"


def test_n_jobs_and_verbose(capsys):
    X, _, _ = _separated_mixture(400, 5, seed=4)
    a = KDEModeFinder(random_state=0).fit(X)
    b = KDEModeFinder(random_state=0, n_jobs=2, verbose=1).fit(X)
    assert_allclose(a.mode_, b.mode_, atol=1e-4 * a.bandwidth_)
    assert "mean shift from" in capsys.readouterr().out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_projection_reaches_exhaustive_ascent(seed):
    # 8 separated unit clusters (centres N(0, 9 I)) in d = 400, one 1.5x
    # heavier: 8 local modes, the wrong one ~2/3 of the best. Defaults
    # project (k = 41, 8 k <= 400); the mode must reach 0.99 of mean shift
    # from every data point on the same KDE, and its density is exact
    rng = np.random.default_rng(seed)
    C = rng.normal(scale=3.0, size=(8, 400))
    p = np.r_[1.5, np.ones(7)]
    X = C[rng.choice(8, size=300, p=p / p.sum())] + rng.normal(size=(300, 400))
    est = KDEModeFinder(random_state=seed).fit(X)
    assert est.method_ == "projection" and est.n_components_ == 41
    ref = KDEModeFinder(method="gradient", n_init="all", random_state=seed).fit(X)
    assert ref.bandwidth_ == est.bandwidth_  # the same (sketched) rule and draw
    assert len(ref.modes_) >= 8
    assert est.mode_log_density_ >= ref.mode_log_density_ + np.log(0.99)
    assert_allclose(est.mode_log_density_, est.score_samples(est.mode_[None])[0], rtol=1e-12)
    # at the same cluster as the exhaustive answer
    near = np.linalg.norm(C - est.mode_, axis=1)
    assert near.argmin() == np.linalg.norm(C - ref.mode_, axis=1).argmin()
    assert near.min() < 0.3 * np.sqrt(400)
