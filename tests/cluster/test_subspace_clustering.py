"""Tests of the subspace clustering estimators, their kernels and the spectral step."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import subspace_angles
from scipy.optimize import linear_sum_assignment
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import ElasticNet, Lasso
from sklearn.metrics import adjusted_rand_score

from skstruct._backend._self_expression import (
    elastic_net_self_expression,
    lrr_closed_form,
    lrr_coefficients,
    lrr_ialm,
    lsr_self_expression,
    omp_self_expression,
)
from skstruct.cluster import (
    ElasticNetSubspaceClustering,
    LeastSquaresSubspaceClustering,
    LowRankRepresentation,
    OMPSubspaceClustering,
    SparseSubspaceClustering,
    ThresholdingSubspaceClustering,
    affinity_from_coefficients,
    spectral_clustering_from_affinity,
)
from skstruct.datasets import make_subspaces

ALL = [
    SparseSubspaceClustering,
    ElasticNetSubspaceClustering,
    OMPSubspaceClustering,
    LeastSquaresSubspaceClustering,
    LowRankRepresentation,
    ThresholdingSubspaceClustering,
]
SELF_EXPRESSIVE = ALL[:5]


def accuracy(y, pred):
    """Clustering accuracy under the best one-to-one matching of labels."""
    k = max(y.max(), pred.max()) + 1
    M = np.zeros((k, k))
    np.add.at(M, (y, pred), 1)
    r, c = linear_sum_assignment(-M)
    return M[r, c].sum() / y.size


def make(cls, n_clusters, **kw):
    extra = {"n_nonzero": 3} if cls is OMPSubspaceClustering else {}
    if cls is ThresholdingSubspaceClustering:
        extra = {"n_neighbors": 5}
    extra.update(kw)
    return cls(n_clusters=n_clusters, random_state=0, **extra)


@pytest.fixture(scope="module")
def independent():
    # 4 random 3-dim subspaces in R^15: independent (sum of dims 12 <= 15)
    return make_subspaces(160, 15, n_subspaces=4, subspace_dim=3, random_state=1)


@pytest.fixture(scope="module")
def close():
    # every principal angle between any two subspaces is 35 degrees, plus noise
    return make_subspaces(300, 30, n_subspaces=5, subspace_dim=5, angle=35, noise=0.05,
                          random_state=2)


# --- data generator ---------------------------------------------------------------
def test_make_subspaces_angles_and_membership():
    X, y, bases = make_subspaces(120, 20, n_subspaces=3, subspace_dim=4, angle=30,
                                 return_bases=True, random_state=0)
    for j in range(3):
        for k in range(j + 1, 3):
            np.testing.assert_allclose(np.rad2deg(subspace_angles(bases[j], bases[k])), 30,
                                       atol=1e-8)
    # each point lies in its subspace, with unit norm
    for k in range(3):
        P = bases[k] @ bases[k].T
        np.testing.assert_allclose(X[y == k] @ P, X[y == k], atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0)
    assert np.bincount(y).tolist() == [40, 40, 40]
    with pytest.raises(ValueError, match="n_features >="):
        make_subspaces(10, 8, n_subspaces=3, subspace_dim=3, angle=20)


def test_make_subspaces_noise_and_order():
    X0, y0 = make_subspaces(2000, 50, n_subspaces=2, subspace_dim=3, shuffle=False,
                            random_state=0)
    assert np.all(np.diff(y0) >= 0)
    X, y = make_subspaces(2000, 50, n_subspaces=2, subspace_dim=3, shuffle=False, noise=0.3,
                          random_state=0)
    np.testing.assert_array_equal(y, y0)
    # same clean points, noise of expected norm 0.3 (chi distribution, 50 dof)
    assert abs(np.linalg.norm(X - X0, axis=1).mean() - 0.3) < 0.01


# --- kernels against independent solvers -------------------------------------------
@pytest.mark.parametrize("l1_ratio", [1.0, 0.6])
def test_elastic_net_kernel_matches_sklearn(l1_ratio):
    X, _ = make_subspaces(200, 10, n_subspaces=4, subspace_dim=3, noise=0.05, random_state=3)
    alpha = 20.0
    rows, cols, vals, _, n_bad = elastic_net_self_expression(
        X, l1_ratio=l1_ratio, alpha=alpha, support_size=15)
    assert n_bad == 0
    C = sp.csr_matrix((vals, (rows, cols)), shape=(200, 200)).toarray()
    assert np.all(np.diag(C) == 0)
    for j in [0, 17, 111]:
        A = np.delete(X, j, axis=0)
        m = np.abs(A @ X[j]).max()
        rho = m / alpha
        mu = (1 - l1_ratio) / l1_ratio * rho
        # sklearn: 1/(2 D) ||b - A^T c||^2 + a r ||c||_1 + a (1 - r)/2 ||c||^2
        D = X.shape[1]
        if l1_ratio == 1.0:
            ref = Lasso(alpha=rho / D, fit_intercept=False, tol=1e-14, max_iter=100000)
        else:
            ref = ElasticNet(alpha=(rho + mu) / D, l1_ratio=rho / (rho + mu),
                             fit_intercept=False, tol=1e-14, max_iter=100000)
        coef = np.insert(ref.fit(A.T, X[j]).coef_, j, 0.0)
        np.testing.assert_allclose(C[j], coef, atol=1e-7)


def test_omp_kernel_matches_brute_force():
    X, _ = make_subspaces(60, 8, n_subspaces=3, subspace_dim=3, noise=0.1, random_state=4)
    rows, cols, vals = omp_self_expression(X, n_nonzero=3, tol=0.0)
    C = sp.csr_matrix((vals, (rows, cols)), shape=(60, 60)).toarray()
    for j in range(0, 60, 7):
        # plain OMP by hand for this one point
        r, S = X[j].copy(), []
        for _ in range(3):
            corr = np.abs(X @ r)
            corr[[j] + S] = -1
            S.append(int(np.argmax(corr)))
            c, *_ = np.linalg.lstsq(X[S].T, X[j], rcond=None)
            r = X[j] - X[S].T @ c
        expect = np.zeros(60)
        expect[S] = c
        np.testing.assert_allclose(C[j], expect, atol=1e-10)


def test_lsr_equals_closed_form_and_ridge():
    X, _ = make_subspaces(50, 8, n_subspaces=2, subspace_dim=3, noise=0.1, random_state=5)
    lam = 0.1
    rows, cols, vals = lsr_self_expression(X, lam, batch_size=16)
    C = sp.csr_matrix((vals, (rows, cols)), shape=(50, 50)).toarray()
    K = np.linalg.inv(X @ X.T + lam * np.eye(50))
    closed = -K / np.diag(K)[:, None]
    np.fill_diagonal(closed, 0.0)
    np.testing.assert_allclose(C, closed, atol=1e-10)
    # each row is the ridge regression of x_i on the other points
    for i in [0, 13, 49]:
        A = np.delete(X, i, axis=0)
        c = np.linalg.solve(A @ A.T + lam * np.eye(49), A @ X[i])
        np.testing.assert_allclose(np.delete(C[i], i), c, atol=1e-10)


def test_lsr_estimator_representation_is_closed_form():
    X, y = make_subspaces(60, 10, n_subspaces=3, subspace_dim=2, noise=0.05, random_state=6)
    est = LeastSquaresSubspaceClustering(3, lam=0.05, random_state=0).fit(X)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    K = np.linalg.inv(Xn @ Xn.T + 0.05 * np.eye(60))
    closed = -K / np.diag(K)[:, None]
    np.fill_diagonal(closed, 0.0)
    np.testing.assert_allclose(est.representation_.toarray(), closed, atol=1e-10)


def test_lrr_noiseless_is_shape_interaction_matrix():
    X, _ = make_subspaces(60, 12, n_subspaces=3, subspace_dim=2, random_state=7)
    Q, Zr, E, n_iter, converged = lrr_ialm(X, 1e4, tol=1e-9)
    assert converged
    Z = Q @ Zr
    U, s, _ = np.linalg.svd(X, full_matrices=False)
    V = U[:, s > 1e-10 * s[0]]
    np.testing.assert_allclose(Z, V @ V.T, atol=1e-5)
    assert np.abs(E).max() < 1e-6
    rows, cols, vals = lrr_coefficients(Q, Zr, n_nonzero=5)
    assert np.all(np.bincount(rows, minlength=60) <= 5)
    assert np.all(rows != cols)


# --- clustering quality --------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL)
def test_independent_subspaces_perfect(cls, independent):
    X, y = independent
    est = make(cls, 4).fit(X)
    assert accuracy(y, est.labels_) == 1.0


@pytest.mark.parametrize("cls", [SparseSubspaceClustering, ElasticNetSubspaceClustering])
def test_close_subspaces_ssc_ensc(cls, close):
    X, y = close
    est = make(cls, 5).fit(X)
    assert accuracy(y, est.labels_) >= 0.95


def test_close_subspaces_defeat_neighbors(close):
    # the same data is hard for a pure neighbor graph: TSC falls well short
    X, y = close
    est = ThresholdingSubspaceClustering(5, n_neighbors=10, random_state=0).fit(X)
    assert accuracy(y, est.labels_) < 0.9


@pytest.mark.parametrize("cls", [SparseSubspaceClustering, ElasticNetSubspaceClustering,
                                 OMPSubspaceClustering])
def test_subspace_preserving_on_noiseless_data(cls):
    X, y = make_subspaces(150, 12, n_subspaces=3, subspace_dim=3, random_state=8)
    est = make(cls, 3).fit(X)
    C = est.representation_.tocoo()
    big = np.abs(C.data) > 1e-8
    assert big.sum() >= 150
    assert np.all(y[C.row[big]] == y[C.col[big]])
    # and it does represent the points
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    resid = np.linalg.norm(Xn - est.representation_ @ Xn) / np.linalg.norm(Xn)
    assert resid < 0.2


@pytest.mark.parametrize("cls", ALL)
def test_affinity_symmetric_nonnegative_no_self(cls, independent):
    X, _ = independent
    est = make(cls, 4).fit(X)
    W = est.affinity_matrix_
    assert sp.issparse(W)
    assert abs(W - W.T).max() < 1e-12
    assert W.data.min() >= 0
    assert np.all(W.diagonal() == 0)
    if hasattr(est, "representation_"):
        assert np.all(est.representation_.diagonal() == 0)


@pytest.mark.parametrize("cls", ALL)
def test_permutation_invariance(cls, independent):
    X, y = independent
    perm = np.random.default_rng(0).permutation(X.shape[0])
    a = make(cls, 4).fit_predict(X)
    b = make(cls, 4).fit_predict(X[perm])
    assert adjusted_rand_score(a[perm], b) == 1.0


def test_sparse_outliers_absorb_gross_errors():
    X, y = make_subspaces(150, 30, n_subspaces=3, subspace_dim=3, random_state=9)
    rng = np.random.default_rng(0)
    Xc = X.copy()
    bad = rng.choice(150, 15, replace=False)
    coord = rng.choice(30, 15, replace=False)  # distinct: no two points share a spike
    Xc[bad, coord] += rng.choice([-1, 1], 15)
    est = SparseSubspaceClustering(3, alpha=50, outliers=True, random_state=0).fit(Xc)
    assert est.errors_.shape == Xc.shape
    # the largest error entry of each corrupted point is at the corrupted coordinate
    assert np.mean(np.argmax(np.abs(est.errors_[bad]), axis=1) == coord) >= 0.9
    assert accuracy(y, est.labels_) >= 0.95


def test_ssc_outliers_without_corruption_match_plain_ssc_labels(independent):
    X, y = independent
    a = SparseSubspaceClustering(4, random_state=0).fit_predict(X)
    b = SparseSubspaceClustering(4, outliers=True, random_state=0).fit_predict(X)
    assert adjusted_rand_score(a, b) == 1.0


def test_nearest_neighbors_affinity(independent):
    X, y = independent
    est = ElasticNetSubspaceClustering(4, affinity="nearest_neighbors", random_state=0).fit(X)
    assert accuracy(y, est.labels_) == 1.0
    W = est.affinity_matrix_
    assert set(np.unique(W.data)) <= {0.5, 1.0}


def test_n_nonzero_caps_each_row(independent):
    X, _ = independent
    est = ElasticNetSubspaceClustering(4, l1_ratio=0.3, n_nonzero=4, random_state=0).fit(X)
    assert np.diff(est.representation_.indptr).max() <= 4


def test_n_jobs_gives_same_result(independent):
    X, _ = independent
    a = OMPSubspaceClustering(4, n_nonzero=3, random_state=0).fit(X)
    b = OMPSubspaceClustering(4, n_nonzero=3, random_state=0, n_jobs=2).fit(X)
    np.testing.assert_allclose(a.representation_.toarray(), b.representation_.toarray())
    rows, cols, vals, _, _ = elastic_net_self_expression(X, batch_size=40)
    rows2, cols2, vals2, _, _ = elastic_net_self_expression(X, batch_size=40, n_jobs=2)
    C1 = sp.csr_matrix((vals, (rows, cols)), shape=(160, 160)).toarray()
    C2 = sp.csr_matrix((vals2, (rows2, cols2)), shape=(160, 160)).toarray()
    np.testing.assert_allclose(C1, C2, atol=1e-12)


# --- spectral step --------------------------------------------------------------------
def test_spectral_on_user_affinity_block_graph():
    rng = np.random.default_rng(0)
    sizes = [30, 40, 50]
    W = sp.block_diag([sp.random(n, n, density=0.3, random_state=i) for i, n in
                       enumerate(sizes)]).tocsr()
    W = W + W.T
    W = W + sp.diags(np.ones(120))  # connected blocks, diagonal is ignored
    perm = rng.permutation(120)
    y = np.repeat([0, 1, 2], sizes)[perm]
    labels = spectral_clustering_from_affinity(W[perm][:, perm], 3, random_state=0)
    assert accuracy(y, labels) == 1.0
    labels_dense, emb = spectral_clustering_from_affinity(
        W[perm][:, perm].toarray(), 3, random_state=0, return_embedding=True)
    assert adjusted_rand_score(labels, labels_dense) == 1.0
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0)


def test_spectral_sparse_solver_matches_dense(monkeypatch):
    # force the sparse eigensolver (used above the dense threshold) and compare with eigh
    from skstruct.cluster import _spectral

    monkeypatch.setattr(_spectral, "_DENSE_EIG_MAX", 50)
    X, y = make_subspaces(150, 12, n_subspaces=3, subspace_dim=3, random_state=10)
    est = OMPSubspaceClustering(3, n_nonzero=3, random_state=0).fit(X)
    W = est.affinity_matrix_
    _, vals = _spectral.spectral_embedding_normalized(W, 3, random_state=0)
    d = np.asarray(W.sum(axis=1)).ravel()
    M = W.toarray() / np.sqrt(np.outer(d, d))
    np.testing.assert_allclose(vals, np.linalg.eigvalsh(M)[::-1][:3], atol=1e-6)
    assert accuracy(y, est.labels_) == 1.0


def test_affinity_from_coefficients():
    C = np.array([[0.0, 2.0, -2.0], [1.0, 0.0, 0.0], [0.5, 0.5, 3.0]])
    W = affinity_from_coefficients(C, normalize=None).toarray()
    A = np.abs(C)
    np.fill_diagonal(A, 0)
    np.testing.assert_allclose(W, (A + A.T) / 2)
    W = affinity_from_coefficients(C, normalize="linf").toarray()
    assert W[0, 1] == pytest.approx((1.0 + 1.0) / 2)
    with pytest.raises(ValueError, match="square"):
        affinity_from_coefficients(np.ones((2, 3)))


@pytest.mark.parametrize("bad, err, msg", [
    (-np.ones((3, 3)), ValueError, "non-negative"),
    (np.ones((3, 4)), ValueError, "square"),
    (np.full((3, 3), np.nan), ValueError, "NaN"),
    (np.ones((3, 3), dtype=complex), TypeError, "real"),
])
def test_spectral_bad_affinity(bad, err, msg):
    with pytest.raises(err, match=msg):
        spectral_clustering_from_affinity(bad, 2)


def test_spectral_n_clusters_too_large():
    with pytest.raises(ValueError, match="n_clusters"):
        spectral_clustering_from_affinity(np.ones((3, 3)), 4)


# --- bad input and contract ---------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL)
def test_bad_input(cls):
    X, _ = make_subspaces(20, 6, n_subspaces=2, subspace_dim=2, random_state=0)
    with pytest.raises(ValueError, match="n_clusters=30 must be <= n_samples=20"):
        cls(n_clusters=30).fit(X)
    with pytest.raises(ValueError, match="all zeros"):
        cls(n_clusters=2).fit(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="constant"):
        cls(n_clusters=2).fit(np.ones((10, 3)))
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cls(n_clusters=2).fit(Xn)
    with pytest.raises(ValueError, match="1 sample"):
        cls(n_clusters=1).fit(X[:1])
    with pytest.raises(ValueError, match="2D array"):
        cls(n_clusters=2).fit(X[0])
    with pytest.raises(TypeError, match="[Ss]parse"):
        cls(n_clusters=2).fit(sp.csr_matrix(X))
    with pytest.raises(ValueError, match="[Cc]omplex"):
        cls(n_clusters=2).fit(X + 1j)
    with pytest.raises(ValueError):
        cls(n_clusters=0).fit(X)


def test_clone_keeps_params():
    est = ElasticNetSubspaceClustering(3, l1_ratio=0.5, alpha=30, n_nonzero=7)
    assert clone(est).get_params() == est.get_params()


@pytest.mark.parametrize("cls", [LeastSquaresSubspaceClustering, LowRankRepresentation])
def test_dense_methods_warn_on_large_n(cls, independent, monkeypatch):
    from skstruct.cluster import _subspace_clustering

    monkeypatch.setattr(_subspace_clustering, "_DENSE_WARN_N", 100)
    X, _ = independent
    with pytest.warns(UserWarning, match="dense representation"):
        cls(4, random_state=0).fit(X)
    est = cls(4, n_nonzero=5, random_state=0).fit(X)  # no warning with n_nonzero
    assert np.diff(est.representation_.indptr).max() <= 5


# --- predict: cluster subspaces and residual assignment ---------------------------------
def _matching(labels, y):
    """Map each cluster label to the true class it overlaps most (one-to-one)."""
    k = max(labels.max(), y.max()) + 1
    M = np.zeros((k, k))
    np.add.at(M, (labels, y), 1)
    r, c = linear_sum_assignment(-M)
    out = np.empty(k, dtype=int)
    out[r] = c
    return out


@pytest.mark.parametrize("cls", ALL)
def test_predict_training_and_new_points(cls, independent):
    X, y = independent
    est = make(cls, 4).fit(X)
    np.testing.assert_array_equal(est.predict(X), est.labels_)
    # new points from the same subspaces (same seed: the bases are drawn first)
    Xnew, ynew = make_subspaces(400, 15, n_subspaces=4, subspace_dim=3, random_state=1)
    Xnew, ynew = Xnew[160:], ynew[160:]
    to_class = _matching(est.labels_, y)
    np.testing.assert_array_equal(to_class[est.predict(3.0 * Xnew)], ynew)


def test_cluster_subspaces_recover_the_bases():
    X, y, bases = make_subspaces(150, 12, n_subspaces=3, subspace_dim=3, return_bases=True,
                                 random_state=8)
    est = SparseSubspaceClustering(3, random_state=0).fit(X)
    to_class = _matching(est.labels_, y)
    assert est.subspace_dims_.tolist() == [3, 3, 3]  # from the spectrum
    for k, U in enumerate(est.subspace_bases_):
        np.testing.assert_allclose(U.T @ U, np.eye(3), atol=1e-12)
        assert np.rad2deg(subspace_angles(U, bases[to_class[k]])).max() < 1e-6
    est2 = SparseSubspaceClustering(3, subspace_dim=2, random_state=0).fit(X)
    assert est2.subspace_dims_.tolist() == [2, 2, 2]
    np.testing.assert_array_equal(est2.labels_, est.labels_)  # fit_predict unchanged


def test_residuals_match_least_squares():
    X, _ = make_subspaces(90, 10, n_subspaces=3, subspace_dim=2, noise=0.2, random_state=3)
    est = ThresholdingSubspaceClustering(3, n_neighbors=5, random_state=0).fit(X)
    Xnew = np.random.default_rng(0).standard_normal((7, 10))
    R = est.residuals(Xnew)
    for k, U in enumerate(est.subspace_bases_):
        for i in range(7):
            x = Xnew[i] / np.linalg.norm(Xnew[i])
            c, *_ = np.linalg.lstsq(U, x, rcond=None)
            assert R[i, k] == pytest.approx(np.sum((x - U @ c) ** 2), abs=1e-12)
    np.testing.assert_array_equal(est.predict(Xnew), R.argmin(axis=1))


def test_cluster_subspaces_trim_mislabeled_members():
    from skstruct._backend._subspaces import fit_cluster_subspaces

    X, y, bases = make_subspaces(200, 12, n_subspaces=2, subspace_dim=3, return_bases=True,
                                 random_state=4)
    bad = np.flatnonzero(y == 1)[:5]  # 5 points of subspace 1 labeled 0
    labels = y.copy()
    labels[bad] = 0
    U0 = fit_cluster_subspaces(X, labels, 2)[0]
    assert U0.shape[1] == 3
    assert np.rad2deg(subspace_angles(U0, bases[0])).max() < 1e-6


@pytest.mark.parametrize("cls", ALL)
def test_predict_bad_input(cls, independent):
    X, _ = independent
    with pytest.raises(NotFittedError):
        cls(n_clusters=4).predict(X)
    est = make(cls, 4).fit(X)
    labels = est.labels_.copy()
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :5])
    Xb = X[:3].copy()
    Xb[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        est.predict(Xb)
    with pytest.raises(ValueError, match="2D array"):
        est.predict(X[0])
    with pytest.raises(ValueError, match="[Cc]omplex"):
        est.predict(X + 1j)
    np.testing.assert_array_equal(est.labels_, labels)


# --- the sample-then-predict route ------------------------------------------------------
@pytest.mark.parametrize("cls", [ElasticNetSubspaceClustering, OMPSubspaceClustering,
                                 LowRankRepresentation])
def test_n_samples_fit_matches_full_method(cls, close):
    X, y = close
    full = make(cls, 5).fit(X)
    est = make(cls, 5, n_samples_fit=150).fit(X)
    assert est.sample_indices_.shape == (150,)
    assert est.representation_.shape == (150, 150)
    assert est.affinity_matrix_.shape == (150, 150)
    assert est.labels_.shape == (300,)
    assert accuracy(y, est.labels_) >= accuracy(y, full.labels_) - 0.01
    # a share of the points gives the same sample size
    est2 = make(cls, 5, n_samples_fit=0.5).fit(X)
    np.testing.assert_array_equal(est2.sample_indices_, est.sample_indices_)
    assert not hasattr(full, "sample_indices_")


def test_n_samples_fit_too_small():
    X, _ = make_subspaces(40, 6, n_subspaces=2, subspace_dim=2, random_state=0)
    with pytest.raises(ValueError, match="n_samples_fit"):
        SparseSubspaceClustering(5, n_samples_fit=4).fit(X)


# --- SSC-OMP on real data, verbose ---------------------------------------------------------
def test_omp_candidates_restrict_the_picks():
    X, _ = make_subspaces(80, 8, n_subspaces=3, subspace_dim=3, noise=0.1, random_state=4)
    s = 6
    rows, cols, vals = omp_self_expression(X, n_nonzero=3, tol=0.0, n_candidates=s)
    C = sp.csr_matrix((vals, (rows, cols)), shape=(80, 80)).toarray()
    for j in range(0, 80, 9):
        corr0 = np.abs(X @ X[j])
        corr0[j] = -1
        cand = np.argsort(-corr0)[:s]
        r, S = X[j].copy(), []  # OMP by hand over the candidates only
        for _ in range(3):
            corr = np.full(80, -1.0)
            corr[cand] = np.abs(X[cand] @ r)
            corr[S] = -1
            S.append(int(np.argmax(corr)))
            c, *_ = np.linalg.lstsq(X[S].T, X[j], rcond=None)
            r = X[j] - X[S].T @ c
        expect = np.zeros(80)
        expect[S] = c
        np.testing.assert_allclose(C[j], expect, atol=1e-10)


def test_digits_real_data_and_predict():
    # sklearn's bundled digits (no download): a real union of rough subspaces
    X, y = load_digits(return_X_y=True)
    Xtr, ytr, Xte, yte = X[:900], y[:900], X[900:1300], y[900:1300]
    for est in [OMPSubspaceClustering(10, random_state=0),
                ThresholdingSubspaceClustering(10, random_state=0)]:
        est.fit(Xtr)
        # KMeans reaches about 0.8 here; plain SSC-OMP (n_candidates=None) about 0.2
        assert accuracy(ytr, est.labels_) >= 0.75
        to_class = _matching(est.labels_, ytr)
        assert np.mean(to_class[est.predict(Xte)] == yte) >= 0.7


def test_verbose_prints_stages(capsys, independent):
    X, _ = independent
    make(ElasticNetSubspaceClustering, 4, verbose=1, n_samples_fit=100).fit(X)
    out = capsys.readouterr().out
    for word in ["affinity of 100 points", "spectral step", "assigned by residual",
                 "dimensions"]:
        assert word in out
    make(ElasticNetSubspaceClustering, 4).fit(X)
    assert capsys.readouterr().out == ""


# --- LRR with Frobenius error (closed form) ---------------------------------------------
def test_lrr_closed_form_matches_proximal_gradient():
    X, _ = make_subspaces(30, 8, n_subspaces=2, subspace_dim=2, noise=0.3, random_state=5)
    lam = 3.0
    Q, Zr = lrr_closed_form(X, lam)
    Z = Q @ Zr

    def objective(Z):
        return (np.linalg.svd(Z, compute_uv=False).sum()
                + lam / 2 * np.linalg.norm(X.T - X.T @ Z) ** 2)

    # independent solver: proximal gradient with singular value soft-thresholding
    G = X @ X.T
    step = 1.0 / (lam * np.linalg.eigvalsh(G)[-1])
    Y = np.zeros((30, 30))
    for _ in range(5000):
        U, s, Vt = np.linalg.svd(Y + step * lam * G @ (np.eye(30) - Y))
        Y = (U * np.maximum(s - step, 0)) @ Vt
    assert objective(Z) <= objective(Y) + 1e-9
    np.testing.assert_allclose(Z, Y, atol=1e-5)
    assert 0 < Q.shape[1] < 8  # small singular values are cut


def test_lrr_frobenius_estimator(independent):
    X, y = independent
    est = LowRankRepresentation(4, error="frobenius", random_state=0).fit(X)
    assert accuracy(y, est.labels_) == 1.0
    assert est.n_iter_ == 0
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    C = est.representation_.toarray()
    Q, Zr = lrr_closed_form(Xn, 10.0)  # the default lam of this error model
    Zt = (Q @ Zr).T
    np.fill_diagonal(Zt, 0.0)
    np.testing.assert_allclose(C, Zt, atol=1e-12)
    np.testing.assert_allclose(est.errors_, Xn - (Q @ Zr).T @ Xn, atol=1e-12)


def test_cluster_subspace_dimension_from_a_noisy_spectrum():
    # 5-dimensional subspaces with 30% noise in R^30: 95% of the energy needs
    # 9-10 directions (noise), the Gavish-Donoho threshold keeps the 5 of the
    # signal; the fitted subspaces are then close to the generating ones
    from skstruct._backend._subspaces import fit_cluster_subspaces

    X, y, bases = make_subspaces(2000, 30, n_subspaces=5, subspace_dim=5, angle=20, noise=0.3,
                                 return_bases=True, random_state=0)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    fitted = fit_cluster_subspaces(Xn, y, 5)
    assert [U.shape[1] for U in fitted] == [5] * 5
    for U, B in zip(fitted, bases):
        assert np.rad2deg(subspace_angles(U, B)).max() < 10
    # the energy rule alone still applies where it asks for fewer directions
    assert fit_cluster_subspaces(Xn, y, 5, energy=0.5)[0].shape[1] < 5


# --- how the sample is drawn and sized ---------------------------------------------------
def test_kmeanspp_sample_never_repeats_a_drawn_line():
    from skstruct._backend._subspaces import angular_d2_sample

    # 3 lines through the origin, each point repeated 20 times with random signs and
    # scales: once a line is drawn its copies weigh 0 (sin of a zero angle), so 3
    # draws (one per round) hit the 3 lines whatever the seed
    rng = np.random.default_rng(0)
    lines = rng.standard_normal((3, 6))
    owner = np.repeat(np.arange(3), 20)
    X = lines[owner] * rng.choice([-2.0, -0.5, 1.0, 3.0], size=(60, 1))
    for seed in range(10):
        idx = angular_d2_sample(X, 3, np.random.RandomState(seed))
        assert sorted(owner[idx].tolist()) == [0, 1, 2]
    idx = angular_d2_sample(X, 45, np.random.RandomState(0))
    assert idx.shape == (45,) and np.unique(idx).size == 45 and np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(angular_d2_sample(X, 60, np.random.RandomState(0)),
                                  np.arange(60))


def test_kmeanspp_sampling_favors_a_small_subspace():
    from skstruct._backend._subspaces import angular_d2_sample

    # 12 of 612 points on the third subspace: a uniform sample of 60 holds 1.18 of them
    # on average; the angular weights (a drawn point makes its neighbors in angle light)
    # give it about 3 times that share (3.6 measured over these 30 seeds)
    X, y = make_subspaces(900, 15, n_subspaces=3, subspace_dim=3, random_state=1)
    keep = np.concatenate([np.flatnonzero(y == 0)[:300], np.flatnonzero(y == 1)[:300],
                           np.flatnonzero(y == 2)[:12]])
    X, y = X[keep], y[keep]
    counts = [np.sum(y[angular_d2_sample(X, 60, np.random.RandomState(s))] == 2)
              for s in range(30)]
    assert np.mean(counts) >= 2 * 60 * 12 / 612
    # the estimator draws its sample so (same random stream), then clusters as usual
    est = SparseSubspaceClustering(3, n_samples_fit=90, sampling="kmeans++",
                                   random_state=0).fit(X)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    np.testing.assert_array_equal(est.sample_indices_,
                                  angular_d2_sample(Xn, 90, np.random.RandomState(0)))
    assert accuracy(y[:600], est.labels_[:600]) == 1.0


def test_auto_sample_size_from_the_span(monkeypatch):
    from skstruct._backend._subspaces import sample_size_from_rank
    from skstruct.cluster import _subspace_clustering

    # 4 orthogonal 3-dimensional subspaces of R^15 span 12 dimensions: 20 * 12 points
    X, y = make_subspaces(600, 15, n_subspaces=4, subspace_dim=3, angle=90, random_state=1)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    rng = np.random.RandomState(0)
    assert sample_size_from_rank(Xn, 4, rng, floor=100) == 240
    assert sample_size_from_rank(Xn, 30, rng, floor=100) == 600  # 20 * n_clusters > n
    assert sample_size_from_rank(Xn, 4, rng) == 600  # below the floor: every point
    full = SparseSubspaceClustering(4, n_samples_fit="auto", random_state=0).fit(X)
    assert not hasattr(full, "sample_indices_")
    monkeypatch.setattr(_subspace_clustering, "_AUTO_MIN_SAMPLES", 100)
    est = SparseSubspaceClustering(4, n_samples_fit="auto", random_state=0).fit(X)
    assert est.sample_indices_.shape == (240,)
    assert accuracy(y, est.labels_) == 1.0


# --- SSC-OMP's stopping rule at the noise level --------------------------------------------
def test_local_noise_share_zero_without_noise_and_tracks_the_noise():
    from skstruct._backend._self_expression import local_noise_share

    rng = np.random.default_rng(0)
    D, d, s = 30, 4, 51
    B = np.linalg.qr(rng.standard_normal((D, d)))[0]
    clean = rng.standard_normal((20, s, d)) @ B.T
    clean /= np.linalg.norm(clean, axis=2, keepdims=True)
    assert np.all(local_noise_share(clean) < 1e-20)  # the median eigenvalue is 0
    shares = []
    for sigma in (0.02, 0.05, 0.1):
        noisy = clean + sigma * rng.standard_normal(clean.shape)
        shares.append(local_noise_share(noisy).mean())
    # grows like sigma^2 (the noise energy outside the subspace is (D - d) sigma^2)
    assert shares[0] < shares[1] < shares[2]
    assert 2 < shares[1] / shares[0] < 12 and 2 < shares[2] / shares[1] < 8


def test_omp_auto_tol_is_exact_on_clean_data_and_stops_at_the_noise():
    # noiseless, and any neighborhood spans at most 4 * 3 < 30 / 2 dimensions: the median
    # eigenvalue, hence every noise share, is 0, so "auto" is the 1e-6 rule exactly
    X, y = make_subspaces(2000, 30, n_subspaces=4, subspace_dim=3, random_state=1)
    a = OMPSubspaceClustering(4, random_state=0).fit(X)
    b = OMPSubspaceClustering(4, tol=1e-6, random_state=0).fit(X)
    assert (a.representation_ != b.representation_).nnz == 0
    # 20% noise on close subspaces: picks past the noise level join subspaces
    X, y = make_subspaces(2500, 30, n_subspaces=5, subspace_dim=5, angle=25, noise=0.2,
                          random_state=0)
    auto = OMPSubspaceClustering(5, random_state=0).fit(X)
    fixed = OMPSubspaceClustering(5, tol=1e-6, random_state=0).fit(X)
    assert auto.representation_.nnz < fixed.representation_.nnz
    assert accuracy(y, auto.labels_) >= accuracy(y, fixed.labels_) + 0.3
