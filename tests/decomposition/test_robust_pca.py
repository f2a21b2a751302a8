import pickle

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skstruct._backend._pcp import _dual_sparse_step, _sparse_step, pcp_ialm
from skstruct.datasets import make_low_rank_sparse
from skstruct.decomposition import RobustPCA, pcp


def rel_err(A, B):
    return np.linalg.norm(A - B) / np.linalg.norm(B)


@pytest.mark.parametrize("shape, rank", [((200, 150), 5), ((150, 200), 8), ((300, 300), 15)])
def test_exact_recovery(shape, rank):
    X, L0, S0 = make_low_rank_sparse(*shape, rank=rank, sparsity=0.05, random_state=0)
    L, S = pcp(X, random_state=0)
    assert rel_err(L, L0) < 1e-5
    assert rel_err(S, S0) < 1e-5
    # support of S found
    np.testing.assert_array_equal(np.abs(S) > 1e-4, np.abs(S0) > 1e-4)
    assert np.linalg.matrix_rank(L, tol=1e-6 * np.linalg.norm(L, 2)) == rank


def test_optimality_conditions_small_instance():
    # KKT of min ||L||_* + lam ||S||_1 s.t. L + S = X: a dual Y with
    # Y in lam * d||S||_1 and Y in d||L||_*, checked with an independent full SVD.
    X, _, _ = make_low_rank_sparse(40, 30, rank=3, sparsity=0.08, random_state=1)
    lam = 1 / np.sqrt(40)
    res = pcp_ialm(X, lam, tol=1e-10, tol_gap=1e-9, max_iter=2000, random_state=0)
    L, S, Y = res.low_rank, res.sparse, res.dual
    assert rel_err(L + S, X) < 1e-9
    # l1 part: Y = lam sign(S) on the support, |Y| <= lam elsewhere
    supp = np.abs(S) > 1e-7
    np.testing.assert_allclose(Y[supp], lam * np.sign(S[supp]), atol=1e-5)
    assert np.abs(Y).max() <= lam * (1 + 1e-5)
    # nuclear part: Y = U V^T + W with U^T W = 0, W V = 0, ||W||_2 <= 1
    U, s, Vt = np.linalg.svd(L)
    r = int(np.sum(s > 1e-7 * s[0]))
    U, V = U[:, :r], Vt[:r].T
    W = Y - U @ V.T
    assert np.abs(U.T @ W).max() < 1e-5 and np.abs(W @ V).max() < 1e-5
    assert np.linalg.norm(W, 2) <= 1 + 1e-5
    # weak duality: any W with |W_ij| <= lam and ||W||_2 <= 1 bounds the optimum from below
    Wd = np.clip(Y, -lam, lam)
    Wd /= max(1.0, np.linalg.norm(Wd, 2))
    primal = s.sum() + lam * np.abs(S).sum()
    assert primal - np.vdot(Wd, X) <= 1e-6 * primal
    # and the objective does not drop under random feasible perturbations
    f = lambda L_: np.linalg.svd(L_, compute_uv=False).sum() + lam * np.abs(X - L_).sum()  # noqa: E731
    rng = np.random.default_rng(0)
    f0 = f(L)
    for _ in range(20):
        assert f(L + 1e-3 * rng.standard_normal(L.shape)) >= f0 - 1e-9


def test_tol_gap_reaches_optimum():
    # on a hard instance (no exact recovery) the default stops at a feasible point
    # near the optimum and tol_gap reaches it; the optimum is computed
    # independently by a fixed-penalty ADMM with a full SVD
    X, _, _ = make_low_rank_sparse(40, 30, rank=3, sparsity=0.08, random_state=1)
    lam = 1 / np.sqrt(40)
    mu = 10 / np.linalg.norm(X, 2)
    L = S = Y = np.zeros_like(X)
    for _ in range(3000):
        T = X - L + Y / mu
        S = np.sign(T) * np.maximum(np.abs(T) - lam / mu, 0)
        U, s, Vt = np.linalg.svd(X - S + Y / mu, full_matrices=False)
        L = (U * np.maximum(s - 1 / mu, 0)) @ Vt
        Y = Y + mu * (X - L - S)
    f = lambda L_: np.linalg.svd(L_, compute_uv=False).sum() + lam * np.abs(X - L_).sum()  # noqa
    f_opt = f(L)
    L_def, _ = pcp(X, random_state=0)
    assert f_opt <= f(L_def) <= f_opt * (1 + 1e-2)
    L_tight, _ = pcp(X, tol_gap=1e-8, random_state=0)
    assert f(L_tight) <= f_opt * (1 + 1e-7)


def test_subspace_solver_certified_optimal():
    # large enough for the warm-started subspace SVT (not the dense one), on
    # an instance without exact recovery: with tol_gap the result carries a
    # duality-gap certificate, checked here with an independent full SVD
    X, _, _ = make_low_rank_sparse(150, 120, rank=10, sparsity=0.15, random_state=3)
    lam = 1 / np.sqrt(150)
    res = pcp_ialm(X, lam, tol_gap=1e-6, max_iter=3000, random_state=0)
    L, S, Y = res.low_rank, res.sparse, res.dual
    assert res.converged and rel_err(L + S, X) < 1e-7
    primal = np.linalg.svd(L, compute_uv=False).sum() + lam * np.abs(S).sum()
    W = np.clip(Y, -lam, lam)
    W /= max(1.0, np.linalg.norm(W, 2))
    assert primal - np.vdot(W, X) <= 1e-5 * primal


@pytest.mark.parametrize("masked", [False, True])
def test_fused_elementwise_steps_match_formulas(masked):
    rng = np.random.default_rng(0)
    D, L, S, Y = (rng.standard_normal((7, 5)) for _ in range(4))
    mask = rng.random((7, 5)) > 0.3 if masked else np.ones((7, 5), bool)
    D[~mask] = 0.0
    Y[~mask] = 0.0
    obs = mask if masked else np.ones(1, bool)
    mu, mu_next, lam = 0.7, 1.1, 0.4
    Z = np.where(mask, D - L - S, 0.0)
    Y_ref = Y + mu * Z
    T = D - L + Y_ref / mu_next
    S_ref = np.where(mask, np.sign(T) * np.maximum(np.abs(T) - lam / mu_next, 0), T)
    A_ref = D - S_ref + Y_ref / mu_next
    S_next, A = np.empty_like(D), np.empty_like(D)
    sq = _dual_sparse_step(D, L, S, Y, obs, mu, mu_next, lam, S_next, A)
    np.testing.assert_allclose(sq, (Z ** 2).sum())
    np.testing.assert_allclose(Y, Y_ref)
    np.testing.assert_allclose(S_next, S_ref)
    np.testing.assert_allclose(A, A_ref)
    _sparse_step(D, L, Y, obs, mu_next, lam, S_next, A)
    np.testing.assert_allclose(S_next, S_ref)
    np.testing.assert_allclose(A, A_ref)


def test_recovery_with_missing_entries():
    X, L0, S0 = make_low_rank_sparse(200, 200, rank=5, sparsity=0.05, random_state=2)
    rng = np.random.default_rng(0)
    missing = rng.random(X.shape) < 0.2
    Xm = X.copy()
    Xm[missing] = np.nan
    L, S = pcp(Xm, random_state=0)
    assert rel_err(L, L0) < 1e-4
    # the missing entries are filled in by the low-rank part
    assert rel_err(L[missing], L0[missing]) < 1e-4
    assert np.all(S[missing] == 0)
    rpca = RobustPCA(random_state=0).fit(Xm)
    assert rpca.n_components_ == 5


def test_estimator_attributes_and_low_rank_factorization():
    X, L0, S0 = make_low_rank_sparse(120, 80, rank=4, sparsity=0.05, random_state=3)
    rpca = RobustPCA(random_state=0).fit(X)
    assert rpca.n_components_ == 4
    assert rpca.components_.shape == (4, 80)
    np.testing.assert_allclose(rpca.components_ @ rpca.components_.T, np.eye(4), atol=1e-10)
    np.testing.assert_allclose(rpca.singular_values_,
                               np.linalg.svd(rpca.low_rank_, compute_uv=False)[:4], rtol=1e-8)
    assert rpca.lam_ == pytest.approx(1 / np.sqrt(120))
    assert rel_err(rpca.low_rank_, L0) < 1e-5
    capped = RobustPCA(n_components=2, random_state=0).fit(X)
    assert capped.n_components_ == 2
    np.testing.assert_allclose(np.abs(capped.components_ @ rpca.components_[:2].T),
                               np.eye(2), atol=1e-8)


def test_transform_robust_to_corrupted_new_row():
    X, L0, _ = make_low_rank_sparse(200, 60, rank=4, sparsity=0.05, random_state=4)
    rpca = RobustPCA(random_state=0).fit(X)
    rng = np.random.default_rng(1)
    coef = rng.standard_normal(4)
    clean = (coef @ rpca.components_)[None, :]
    corrupted = clean.copy()
    idx = rng.choice(60, 6, replace=False)
    corrupted[0, idx] += rng.choice([-50.0, 50.0], 6)
    z_clean = rpca.transform(clean)
    z_corrupt = rpca.transform(corrupted)
    np.testing.assert_allclose(z_clean[0], coef, atol=1e-8)
    np.testing.assert_allclose(z_corrupt, z_clean, atol=1e-6)
    # an orthogonal projection (plain PCA) would be dragged by the corruption
    z_orth = corrupted @ rpca.components_.T
    assert np.abs(z_orth - z_clean).max() > 1.0
    np.testing.assert_allclose(rpca.inverse_transform(z_corrupt), clean, atol=1e-6)
    # missing entries of a new row are left out of its fit
    with_nan = clean.copy()
    with_nan[0, :10] = np.nan
    np.testing.assert_allclose(rpca.transform(with_nan), z_clean, atol=1e-8)


def test_transform_row_with_few_observed_entries():
    # fewer observed entries than components: no vertex exists, the fallback
    # still returns finite coefficients that fit the observed entries
    X, _, _ = make_low_rank_sparse(100, 30, rank=5, sparsity=0.05, random_state=4)
    rpca = RobustPCA(random_state=0).fit(X)
    row = X[:1].copy()
    row[0, 3:] = np.nan
    z = rpca.transform(row)
    assert np.all(np.isfinite(z))
    np.testing.assert_allclose(z @ rpca.components_[:, :3], X[:1, :3], atol=1e-6)


def test_fit_transform_gives_low_rank_coordinates():
    X, L0, _ = make_low_rank_sparse(150, 50, rank=3, sparsity=0.05, random_state=5)
    rpca = RobustPCA(random_state=0)
    Z = rpca.fit_transform(X)
    np.testing.assert_allclose(Z @ rpca.components_, rpca.low_rank_, atol=1e-5)
    np.testing.assert_allclose(Z, rpca.transform(X))


def test_float32_preserved():
    X, _, _ = make_low_rank_sparse(80, 40, rank=3, random_state=6)
    rpca = RobustPCA(random_state=0).fit(X.astype(np.float32))
    assert rpca.low_rank_.dtype == np.float32
    assert rpca.transform(X.astype(np.float32)).dtype == np.float32


def test_corrupted_digits_real_data():
    # real images (sklearn's bundled digits) with 10% salt-and-pepper pixels:
    # not exactly low-rank, so no exact recovery; the checks are comparisons
    # with the clean images and with plain PCA of the same rank
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA

    X = load_digits().data[:300]
    rng = np.random.default_rng(0)
    hit = rng.random(X.shape) < 0.1
    Xn = X.copy()
    Xn[hit] = rng.choice([0.0, 16.0], hit.sum())
    changed = Xn != X
    rpca = RobustPCA(random_state=0).fit(Xn)
    pca = PCA(rpca.n_components_).fit(Xn)
    err_pca = rel_err(pca.inverse_transform(pca.transform(Xn)), X)
    assert rel_err(rpca.low_rank_, X) < min(rel_err(Xn, X), err_pca)
    # the sparse part sits on the corrupted pixels
    flagged = np.abs(rpca.sparse_) > 4
    assert flagged[changed].mean() > 5 * flagged[~changed].mean()
    # robust projection of the corrupted images beats the orthogonal one
    assert rel_err(rpca.inverse_transform(rpca.transform(Xn)), X) < err_pca


def test_pipeline_gridsearch_clone_pickle_pandas():
    pd = pytest.importorskip("pandas")
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, y = X[:200], y[:200]
    pipe = make_pipeline(RobustPCA(random_state=0), RidgeClassifier())
    search = GridSearchCV(pipe, {"robustpca__n_components": [2, 12]}, cv=2).fit(X, y)
    assert search.best_params_["robustpca__n_components"] == 12
    assert search.best_score_ > 0.8
    est = search.best_estimator_[0]
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(restored.transform(X[:5]), est.transform(X[:5]))
    assert clone(est).get_params() == est.get_params()
    out = RobustPCA(n_components=3, random_state=0).set_output(transform="pandas").fit_transform(
        pd.DataFrame(X[:100]))
    assert list(out.columns) == ["robustpca0", "robustpca1", "robustpca2"]


def test_verbose_prints_progress(capsys):
    X, _, _ = make_low_rank_sparse(60, 50, rank=3, random_state=7)
    RobustPCA(random_state=0).fit(X)
    assert capsys.readouterr().out == ""
    rpca = RobustPCA(random_state=0, verbose=1).fit(X)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == rpca.n_iter_
    assert lines[-1].startswith(f"pcp iteration {rpca.n_iter_}: rank 3, relative residual")
    pcp(X, verbose=1, random_state=0)
    assert "relative residual" in capsys.readouterr().out


def test_convergence_warning():
    X, _, _ = make_low_rank_sparse(50, 40, rank=3, random_state=7)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        RobustPCA(max_iter=2, random_state=0).fit(X)


@pytest.mark.parametrize(
    "X, err, match",
    [
        (np.array([[1.0, np.inf], [0.0, 1.0]]), ValueError, "infinity"),
        (np.full((3, 3), np.nan), ValueError, "every value is NaN"),
        (np.zeros((0, 3)), ValueError, "0 sample"),
        (np.ones(5), ValueError, "2D array"),
        (np.ones((2, 2, 2)), ValueError, "dim"),
        (np.ones((3, 3), dtype=complex), ValueError, "omplex"),
        (np.array([["a", "b"], ["c", "d"]], dtype=object), ValueError, "convert|float"),
        (sparse.csr_matrix(np.eye(3)), TypeError, "(?i)sparse"),
    ],
)
def test_bad_input(X, err, match):
    with pytest.raises(err, match=match):
        RobustPCA().fit(X)
    with pytest.raises(err, match=match):
        pcp(X)


def test_wrong_n_features_and_bad_params():
    X, _, _ = make_low_rank_sparse(30, 10, rank=2, random_state=8)
    rpca = RobustPCA(random_state=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        rpca.transform(X[:, :5])
    with pytest.raises(ValueError, match="n_components_"):
        rpca.inverse_transform(np.ones((2, rpca.n_components_ + 1)))
    with pytest.raises(ValueError, match="lam"):
        RobustPCA(lam=-1.0).fit(X)
    with pytest.raises(ValueError, match="rank"):
        make_low_rank_sparse(5, 4, rank=6)


def test_zero_matrix():
    L, S = pcp(np.zeros((5, 4)))
    assert not L.any() and not S.any()
    rpca = RobustPCA().fit(np.zeros((5, 4)))
    assert rpca.n_components_ == 0
    assert rpca.transform(np.ones((2, 4))).shape == (2, 0)


def test_memory_layout_does_not_change_result():
    X, _, _ = make_low_rank_sparse(60, 40, rank=3, random_state=9)
    L_c, S_c = pcp(np.ascontiguousarray(X), random_state=0)
    L_f, S_f = pcp(np.asfortranarray(X), random_state=0)
    np.testing.assert_allclose(L_f, L_c, atol=1e-10)
    np.testing.assert_allclose(S_f, S_c, atol=1e-10)


def test_transform_n_jobs_matches_serial():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((80, 3)) @ rng.standard_normal((3, 25))
    X[rng.random(X.shape) < 0.05] += 20.0
    est = RobustPCA(n_components=3, random_state=0).fit(X)
    Z1 = est.transform(X)
    Z2 = est.set_params(n_jobs=2).transform(X)
    np.testing.assert_allclose(Z2, Z1, rtol=1e-9, atol=1e-12)
