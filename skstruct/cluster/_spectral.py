"""The spectral step shared by every subspace clustering estimator.

From self-expression coefficients to an affinity (:func:`affinity_from_coefficients`),
and from any affinity to labels (:func:`spectral_clustering_from_affinity`):
normalized affinity ``D^{-1/2} W D^{-1/2}``, its leading eigenvectors by a
sparse eigensolver, rows scaled to unit norm, k-means on the rows (the
Ng-Jordan-Weiss recipe used by the subspace clustering papers).
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import lobpcg
from sklearn.cluster import KMeans
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from threadpoolctl import threadpool_limits

# Below this many vertices the dense symmetric eigensolver is used.
_DENSE_EIG_MAX = 500
# Up to this many vertices the spectral step runs on one thread.
_SMALL_N = 2000


def _normalize_rows(C, norm):
    """Scale each row of a CSR matrix to unit l2 / l-infinity norm (zero rows stay)."""
    if norm is None:
        return C
    C = C.tocsr(copy=True)
    if norm == "l2":
        scale = np.sqrt(np.asarray(C.multiply(C).sum(axis=1)).ravel())
    else:
        scale = abs(C).max(axis=1).toarray().ravel()
    inv = np.divide(1.0, scale, out=np.zeros_like(scale), where=scale > 0)
    C.data *= np.repeat(inv, np.diff(C.indptr))
    return C


def _knn_graph_rows(C, n_neighbors):
    """Symmetric kNN connectivity over the unit-l2 rows of C (cosine similarity)."""
    n = C.shape[0]
    S = (C @ C.T).tocsr()
    S.setdiag(0)
    S.eliminate_zeros()
    rows, cols = [], []
    for i in range(n):
        a, b = S.indptr[i], S.indptr[i + 1]
        if b == a:
            continue
        vals = S.data[a:b]
        k = min(n_neighbors, b - a)
        top = np.argpartition(-vals, k - 1)[:k]
        rows.append(np.full(k, i))
        cols.append(S.indices[a:b][top])
    if not rows:
        return sp.csr_matrix((n, n))
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    G = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(n, n))
    return 0.5 * (G + G.T)


@validate_params(
    {
        "coef": ["array-like", "sparse matrix"],
        "kind": [StrOptions({"symmetrize", "nearest_neighbors"})],
        "normalize": [StrOptions({"l2", "linf"}), None],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def affinity_from_coefficients(coef, *, kind="symmetrize", normalize="l2", n_neighbors=3):
    """Affinity graph from a self-expression matrix.

    Parameters
    ----------
    coef : {array-like, sparse matrix} of shape (n_samples, n_samples)
        ``coef[i, j]`` is the weight of point ``j`` in the representation of
        point ``i``.
    kind : {"symmetrize", "nearest_neighbors"}, default="symmetrize"
        ``"symmetrize"``: ``W = (|C| + |C|^T) / 2`` after normalizing the rows.
        ``"nearest_neighbors"``: connect each point to the ``n_neighbors``
        points whose normalized coefficient rows are most similar (cosine),
        then ``W = (G + G^T) / 2`` (the EnSC recipe for large data sets).
    normalize : {"l2", "linf"} or None, default="l2"
        Row scaling applied first, so that every point has the same weight.
    n_neighbors : int, default=3
        Only for ``kind="nearest_neighbors"``.

    Returns
    -------
    affinity : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        Symmetric, non-negative, zero diagonal.

    Examples
    --------
    >>> import numpy as np
    >>> from skstruct.cluster import affinity_from_coefficients
    >>> W = affinity_from_coefficients(np.array([[0., 2.], [1., 0.]]))
    >>> W.toarray()
    array([[0., 1.],
           [1., 0.]])
    """
    C = sp.csr_matrix(coef, dtype=np.float64)
    if C.shape[0] != C.shape[1]:
        raise ValueError(f"coef must be square; got shape {C.shape}.")
    C.setdiag(0)
    C.eliminate_zeros()
    C = _normalize_rows(C, "l2" if kind == "nearest_neighbors" and normalize is None
                        else normalize)
    if kind == "symmetrize":
        A = abs(C)
        W = 0.5 * (A + A.T)
    else:
        W = _knn_graph_rows(C, n_neighbors)
    W = W.tocsr()
    W.eliminate_zeros()
    W.sort_indices()
    return W


def _check_affinity(affinity):
    if sp.issparse(affinity):
        W = sp.csr_matrix(affinity, dtype=np.float64)
    else:
        W = np.asarray(affinity)
        if W.dtype.kind not in "fiub":
            raise TypeError(f"affinity must be real numeric; got dtype {W.dtype}.")
        if W.ndim != 2:
            raise ValueError(f"affinity must be 2-D; got {W.ndim}-D.")
        W = sp.csr_matrix(W.astype(np.float64))
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"affinity must be square; got shape {W.shape}.")
    if W.shape[0] == 0:
        raise ValueError("affinity is empty.")
    if W.nnz and not np.all(np.isfinite(W.data)):
        raise ValueError("affinity contains NaN or infinity.")
    if W.nnz and W.data.min() < 0:
        raise ValueError("affinity must be non-negative.")
    return W


def spectral_embedding_normalized(affinity, n_components, *, random_state=None,
                                  eigen_tol=1e-6):
    """Leading eigenvectors of ``D^{-1/2} W D^{-1/2}``, rows scaled to unit norm.

    Parameters
    ----------
    affinity : scipy.sparse matrix of shape (n, n)
        Symmetric, non-negative (not checked).
    n_components : int
    random_state : int, RandomState instance or None
        Seeds the eigensolver's start block.
    eigen_tol : float, default=1e-6
        Residual tolerance of LOBPCG.

    Returns
    -------
    embedding : ndarray of shape (n, n_components)
    eigenvalues : ndarray of shape (n_components,)
        Decreasing; values near 1 count the weakly linked groups.

    Notes
    -----
    Cost: LOBPCG with a block of ``k + 2`` vectors, about
    ``O(iterations * (nnz(W) k + n k^2))``; dense ``O(n^3)`` below 500
    vertices.
    """
    W = sp.csr_matrix(affinity, dtype=np.float64)
    n = W.shape[0]
    k = int(n_components)
    deg = np.asarray(W.sum(axis=1)).ravel()
    isolated = deg <= 0
    if isolated.any():
        warnings.warn(
            f"{int(isolated.sum())} point(s) have no edge in the affinity graph; each "
            "gets an arbitrary embedding row.", RuntimeWarning, stacklevel=3)
    dinv = 1.0 / np.sqrt(np.where(isolated, 1.0, deg))
    M = sp.diags(dinv) @ W @ sp.diags(dinv)
    block = min(k + 2, n)
    if n <= _DENSE_EIG_MAX or n < 5 * block:
        vals, vecs = np.linalg.eigh(M.toarray())
        vals, vecs = vals[::-1][:k], vecs[:, ::-1][:, :k]
    else:
        # LOBPCG, a block method: when subspaces give disconnected groups the
        # top eigenvalue 1 is repeated, and single-vector Lanczos (eigsh, even
        # in shift-invert mode) was measured to miss copies of it; a block of
        # k + 2 vectors finds them all.
        rng = check_random_state(random_state)
        X0 = rng.standard_normal((n, block))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*(not reaching|exited)")
            warnings.filterwarnings("ignore", category=UserWarning, module=".*lobpcg")
            vals, vecs = lobpcg(M, X0, largest=True, tol=eigen_tol,
                                maxiter=max(200, 20 * block))
        order = np.argsort(vals)[::-1][:k]
        vals, vecs = vals[order], vecs[:, order]
    nrm = np.linalg.norm(vecs, axis=1, keepdims=True)
    emb = np.divide(vecs, nrm, out=np.zeros_like(vecs), where=nrm > 0)
    return emb, vals


@validate_params(
    {
        "affinity": ["array-like", "sparse matrix"],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "eigen_tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "return_embedding": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def spectral_clustering_from_affinity(affinity, n_clusters, *, n_init=20, eigen_tol=1e-6,
                                      random_state=None, return_embedding=False):
    """Normalized spectral clustering of a (sparse) affinity graph.

    The graph is symmetrized (``(W + W^T) / 2``), its diagonal dropped; then
    the ``n_clusters`` leading eigenvectors of ``D^{-1/2} W D^{-1/2}`` are
    computed (LOBPCG on the sparse matrix, dense below 500 vertices), each row
    is scaled to unit norm and k-means with ``n_init`` restarts gives the
    labels (Ng, Jordan & Weiss 2001). This differs from
    :class:`sklearn.cluster.SpectralClustering`, which divides the
    eigenvectors by the square root of the degrees and does not normalize
    rows; the row-normalized recipe is the one subspace clustering papers use.

    Parameters
    ----------
    affinity : {array-like, sparse matrix} of shape (n_samples, n_samples)
        Non-negative weights; any user graph is accepted.
    n_clusters : int
        ``<= n_samples``.
    n_init : int, default=20
        k-means restarts.
    eigen_tol : float, default=1e-6
        Eigensolver residual tolerance.
    random_state : int, RandomState instance or None, default=None
        Seeds the eigensolver start and k-means.
    return_embedding : bool, default=False
        Also return the unit-row spectral embedding.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Cluster index of each vertex.
    embedding : ndarray of shape (n_samples, n_clusters)
        Only when ``return_embedding`` is True.

    Examples
    --------
    >>> import numpy as np
    >>> from skstruct.cluster import spectral_clustering_from_affinity
    >>> W = np.kron(np.eye(2), np.ones((3, 3)))  # two disconnected triangles
    >>> labels = spectral_clustering_from_affinity(W, 2, random_state=0)
    >>> len(set(labels[:3])), len(set(labels[3:])), bool(labels[0] != labels[3])
    (1, 1, True)
    """
    W = _check_affinity(affinity)
    n = W.shape[0]
    if n_clusters > n:
        raise ValueError(f"n_clusters={n_clusters} must be <= n_samples={n}.")
    W = 0.5 * (W + W.T)
    W = W.tocsr()
    W.setdiag(0)
    W.eliminate_zeros()
    rng = check_random_state(random_state)
    if n_clusters == 1:
        labels = np.zeros(n, dtype=np.int64)
        emb = np.ones((n, 1))
    else:
        # small graphs: one thread (thread start-up costs more than it brings)
        with threadpool_limits(limits=1 if n <= _SMALL_N else None):
            emb, _ = spectral_embedding_normalized(W, n_clusters, random_state=rng,
                                                   eigen_tol=eigen_tol)
            km = KMeans(n_clusters=n_clusters, n_init=n_init, random_state=rng)
            with warnings.catch_warnings():
                # duplicate embedding rows (disconnected groups) are expected here
                warnings.filterwarnings("ignore", message="Number of distinct clusters")
                labels = km.fit_predict(emb).astype(np.int64)
    if return_embedding:
        return labels, emb
    return labels
