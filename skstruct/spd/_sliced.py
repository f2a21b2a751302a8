"""Sliced-Wasserstein distances between distributions of SPD matrices.

SPDSW (Bonet et al., 2023) slices a measure on the SPD cone along geodesics
through the identity, ``t -> exp(t A)`` with ``A`` symmetric of unit
Frobenius norm, and averages the one-dimensional Wasserstein distances of the
projected measures:

``SPDSW_p^p(mu, nu) = E_A[ W_p^p(P^A_# mu, P^A_# nu) ]``.

* ``metric="log-euclidean"``: ``P^A(X) = <A, log X>_F`` (geodesic projection;
  the log-Euclidean space is flat).
* ``metric="affine-invariant"``: ``P^A`` is the Busemann (horospherical)
  coordinate of the affine-invariant metric, HSPDSW in the paper.

``A = P diag(theta) P^T`` with ``theta`` uniform on the sphere and ``P`` Haar
on ``O(n)``. The control-variate estimator follows Nguyen & Ho (2024), moved
to the log-Euclidean slicing (see :func:`spd_sliced_wasserstein`).
"""

from dataclasses import dataclass
from numbers import Integral

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from joblib import effective_n_jobs
from sklearn.utils import gen_even_slices

from .._backend._ot1d import quantile_function, wasserstein_1d, wasserstein_1d_sorted
from .._backend._spd import (
    affine_invariant_coordinates,
    directions_from_eig,
    log_euclidean_coordinates,
    logm,
    logm_from_eigh,
    sample_symmetric_directions,
    second_moment_factor,
    vech,
)
from ..utils._parallel import threaded_map
from ._validation import check_spd_collection, check_spd_set, check_weights

METRICS = ("log-euclidean", "affine-invariant")


@dataclass(frozen=True)
class SPDProjections:
    """A fixed draw of slicing directions ``A_l = P_l diag(theta_l) P_l^T``.

    Attributes
    ----------
    theta : ndarray of shape (n_projections, n)
        Unit-norm eigenvalues, ascending in each row.
    eigvecs : ndarray of shape (n_projections, n, n)
        Orthogonal ``P_l`` (columns match ``theta``).
    directions_vech : ndarray of shape (n_projections, n (n + 1) / 2)
        ``vech(A_l)`` (sqrt(2)-weighted), so ``vech(A) @ vech(S) = <A, S>_F``.
    """

    theta: np.ndarray
    eigvecs: np.ndarray
    directions_vech: np.ndarray

    @classmethod
    def draw(cls, n_projections, n, random_state=None):
        """Draw ``n_projections`` directions for ``n x n`` matrices."""
        rng = check_random_state(random_state)
        theta, P = sample_symmetric_directions(rng, n_projections, n)
        return cls.from_eig(theta, P)

    @classmethod
    def from_eig(cls, theta, eigvecs):
        """Directions ``eigvecs[l] diag(theta[l]) eigvecs[l]^T``.

        Parameters
        ----------
        theta : array-like of shape (n_projections, n)
            Rows of unit norm; they are sorted ascending (with the columns
            of ``eigvecs``) here.
        eigvecs : array-like of shape (n_projections, n, n)
            Orthogonal matrices.
        """
        theta = np.asarray(theta, dtype=np.float64)
        P = np.asarray(eigvecs, dtype=np.float64)
        order = np.argsort(theta, axis=1)
        theta = np.take_along_axis(theta, order, axis=1)
        P = np.take_along_axis(P, order[:, None, :], axis=2)
        return cls(theta, P, vech(directions_from_eig(theta, P)))

    @property
    def n_projections(self):
        return self.theta.shape[0]


def project(X, projections, metric, eigh=None):
    """Coordinates of the SPD matrices ``X`` (``(N, n, n)``) on every slice: ``(L, N)``.

    ``eigh``: optional ``(w, V)`` eigendecomposition of ``X``, reused for the
    matrix logarithms of the log-Euclidean metric.
    """
    if metric == "log-euclidean":
        logX = logm(X) if eigh is None else logm_from_eigh(*eigh)
        return log_euclidean_coordinates(vech(logX), projections.directions_vech)
    return affine_invariant_coordinates(X, projections.theta, projections.eigvecs)


def _control_variate(ZA, ZB, a, b, logA, logB, Avech, n, kind):
    """Values ``C_l`` and their exact mean ``E_A[C]`` of a Gaussian-bound control variate."""
    wa = np.full(ZA.shape[1], 1.0 / ZA.shape[1]) if a is None else a
    wb = np.full(ZB.shape[1], 1.0 / ZB.shape[1]) if b is None else b
    mA, mB = wa @ logA, wb @ logB  # weighted means of vech(log X), (m,)
    delta = mA - mB
    C = (Avech @ delta) ** 2
    EC = second_moment_factor(delta, n)
    if kind == "upper":
        muA, muB = ZA @ wa, ZB @ wb
        C = C + ((ZA - muA[:, None]) ** 2) @ wa + ((ZB - muB[:, None]) ** 2) @ wb
        EC = EC + wa @ second_moment_factor(logA - mA, n) + wb @ second_moment_factor(logB - mB, n)
    return C, EC


def control_variate_estimate(W, C, EC):
    """Unbiased control-variate mean of ``W`` with a leave-one-out coefficient.

    ``estimate = mean_l (W_l - gamma_{-l} (C_l - EC))`` where ``gamma_{-l}``
    is the least-squares coefficient ``cov(W, C) / var(C)`` (sample moments) computed without
    projection ``l``. Because ``gamma_{-l}`` does not depend on the ``l``-th
    direction, each term has expectation ``E[W]`` exactly (an in-sample
    coefficient, as in Nguyen & Ho's code, leaves an ``O(1/L)`` bias).

    Parameters
    ----------
    W, C : ndarray of shape (L,)
    EC : float
        Exact expectation of ``C``.

    Returns
    -------
    estimate : float
    gamma : float
        In-sample coefficient (for reporting).
    """
    L = W.shape[0]
    k = L - 1
    Cc = C - EC
    sW, sC, sWC, sCC = W.sum(), Cc.sum(), (W * Cc).sum(), (Cc * Cc).sum()
    mW = (sW - W) / k
    mC = (sC - Cc) / k
    cov = (sWC - W * Cc) / k - mW * mC
    var = (sCC - Cc * Cc) / k - mC * mC
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma_loo = np.where(var > 1e-300, cov / var, 0.0)
    var_all = np.var(Cc)
    gamma = (np.mean(W * Cc) - W.mean() * Cc.mean()) / var_all if var_all > 0 else 0.0
    return float(np.mean(W - gamma_loo * Cc)), float(gamma)


@validate_params(
    {
        "A": ["array-like"],
        "B": ["array-like"],
        "a": ["array-like", None],
        "b": ["array-like", None],
        "metric": [StrOptions(set(METRICS))],
        "p": [Interval(Integral, 1, 2, closed="both")],
        "n_projections": [Interval(Integral, 1, None, closed="left")],
        "estimator": [StrOptions({"mc", "cv"})],
        "control_variate": [StrOptions({"lower", "upper"})],
        "random_state": ["random_state"],
        "projections": [SPDProjections, None],
        "return_projected": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def spd_sliced_wasserstein(
    A,
    B,
    a=None,
    b=None,
    *,
    metric="log-euclidean",
    p=2,
    n_projections=200,
    estimator="mc",
    control_variate="upper",
    random_state=None,
    projections=None,
    return_projected=False,
):
    """Sliced-Wasserstein distance between two weighted sets of SPD matrices.

    Estimates ``SPDSW_p(mu, nu) = (E_A[W_p^p(P^A_# mu, P^A_# nu)])^(1/p)``
    for ``mu = sum_i a_i delta_{A_i}`` and ``nu = sum_j b_j delta_{B_j}``
    with ``n_projections`` random directions (Bonet et al., 2023).

    Parameters
    ----------
    A : array-like of shape (n_a, n, n)
        SPD matrices of the first measure.
    B : array-like of shape (n_b, n, n)
        SPD matrices of the second measure.
    a : array-like of shape (n_a,), default=None
        Nonnegative weights of ``A`` (normalized; uniform when None).
    b : array-like of shape (n_b,), default=None
        Weights of ``B``.
    metric : {"log-euclidean", "affine-invariant"}, default="log-euclidean"
        Slicing geometry. "log-euclidean" projects ``<A, log X>_F`` (SPDSW,
        a distance on measures); "affine-invariant" uses Busemann
        coordinates of the affine-invariant metric (HSPDSW), cost
        ``O(L (n_a + n_b) n^3)`` instead of ``O((n_a + n_b) n^3 + L (n_a + n_b) n^2)``.
    p : {1, 2}, default=2
        Order of the Wasserstein distance.
    n_projections : int, default=200
        Number ``L`` of random directions; Monte Carlo error ``O(L^{-1/2})``.
    estimator : {"mc", "cv"}, default="mc"
        "mc": plain Monte Carlo mean of ``W_p^p`` over directions. "cv":
        control variates (Nguyen & Ho, 2024) built from Gaussian fits of the
        projected measures in log space, with a leave-one-out coefficient so
        the estimate of ``SPDSW_p^p`` stays unbiased (needs ``L >= 3``;
        log-Euclidean metric only). The variates bound ``W_2^2`` so they
        help most with ``p=2``.
    control_variate : {"lower", "upper"}, default="upper"
        Which Gaussian bound: "lower" is ``<A, mean log A - mean log B>^2``;
        "upper" adds the projected variances of both measures.
    random_state : int, RandomState instance or None, default=None
        Seeds the directions.
    projections : SPDProjections, default=None
        A fixed draw of directions (e.g. ``SPDProjections.draw(L, n, seed)``)
        to reuse across calls; ``n_projections`` and ``random_state`` are
        then ignored.
    return_projected : bool, default=False
        Also return the per-direction values ``W_p^p`` (shape ``(L,)``).

    Returns
    -------
    distance : float
        ``SPDSW_p`` (the p-th root of the estimated mean of ``W_p^p``).
    per_projection : ndarray of shape (n_projections,)
        Only with ``return_projected``.

    Examples
    --------
    >>> import numpy as np
    >>> from skstruct.spd import spd_sliced_wasserstein
    >>> A = np.stack([np.eye(3), 2 * np.eye(3)])
    >>> round(spd_sliced_wasserstein(A, A, random_state=0), 12)
    0.0
    """
    le = metric == "log-euclidean"
    A, eA = check_spd_set(A, "A", return_eigh=True) if le else (check_spd_set(A, "A"), None)
    B, eB = check_spd_set(B, "B", return_eigh=True) if le else (check_spd_set(B, "B"), None)
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            f"A and B hold matrices of different sizes: {A.shape[1:]} vs {B.shape[1:]}."
        )
    a = check_weights(a, A.shape[0], "a")
    b = check_weights(b, B.shape[0], "b")
    if estimator == "cv":
        if metric != "log-euclidean":
            raise ValueError("estimator='cv' needs metric='log-euclidean': the control variates "
                             "have a closed-form mean only for linear projections.")
        if (n_projections if projections is None else projections.n_projections) < 3:
            raise ValueError("estimator='cv' needs n_projections >= 3 (leave-one-out coefficient).")
    n = A.shape[1]
    if projections is None:
        proj = SPDProjections.draw(n_projections, n, random_state)
    elif projections.theta.shape[1] != n:
        raise ValueError(f"projections are for {projections.theta.shape[1]}x"
                         f"{projections.theta.shape[1]} matrices, the sets hold {n}x{n}.")
    else:
        proj = projections
    if le:
        logA, logB = vech(logm_from_eigh(*eA)), vech(logm_from_eigh(*eB))
        ZA = log_euclidean_coordinates(logA, proj.directions_vech)
        ZB = log_euclidean_coordinates(logB, proj.directions_vech)
    else:  # one call: the per-direction operators are built once
        Z = project(np.concatenate([A, B]), proj, metric)
        ZA, ZB = Z[:, :A.shape[0]], Z[:, A.shape[0]:]
    W = wasserstein_1d(ZA, ZB, a, b, p=p)
    if estimator == "mc":
        value = float(np.mean(W))
    else:
        C, EC = _control_variate(ZA, ZB, a, b, logA, logB, proj.directions_vech, n,
                                 control_variate)
        value, _ = control_variate_estimate(W, C, EC)
    dist = max(value, 0.0) ** (1.0 / p)
    if return_projected:
        return dist, W
    return dist


class SortedProjections:
    """Per-set sorted projected samples on one draw of directions (internal).

    Built once per collection (:meth:`compute`), reused for every pair: the
    cost of the projections and the sorts is linear in the number of sets.
    """

    def __init__(self, values, cum_weights):
        self.values = values
        self.cum_weights = cum_weights
        self.sizes = [v.shape[1] for v in values]

    @classmethod
    def compute(cls, sets, projections, metric, eigh=None, n_jobs=None):
        """Project and sort every set (uniform weights).

        Parameters
        ----------
        sets : list of ndarray of shape (n_matrices_i, n, n)
        projections : SPDProjections
        metric : {"log-euclidean", "affine-invariant"}
        eigh : tuple (w, V), default=None
            Eigendecomposition of the stacked matrices of ``sets``.
        n_jobs : int, default=None
            Threads over chunks of sets (joblib; BLAS limited to one thread
            each). None or 1: serial.
        """
        if n_jobs in (None, 1) or len(sets) == 1:
            return cls(*_project_and_sort(sets, projections, metric, eigh))
        bounds = np.concatenate([[0], np.cumsum([s.shape[0] for s in sets])])
        n_chunks = min(len(sets), effective_n_jobs(n_jobs))
        chunks = list(gen_even_slices(len(sets), n_chunks))

        def work(sl):
            lo, hi = bounds[sl.start], bounds[sl.stop]
            e = None if eigh is None else (eigh[0][lo:hi], eigh[1][lo:hi])
            return _project_and_sort(sets[sl], projections, metric, e)

        parts = threaded_map(work, [(sl,) for sl in chunks], n_jobs)
        return cls([v for p in parts for v in p[0]], [c for p in parts for c in p[1]])

    def __len__(self):
        return len(self.sizes)

    def quantiles(self, n_quantiles, p):
        """Features ``F^{-1}_l((k - 1/2) / K) / (L K)^{1/p}``: shape ``(n_sets, L * K)``."""
        levels = (np.arange(n_quantiles) + 0.5) / n_quantiles
        L = self.values[0].shape[0]
        out = np.empty((len(self), L * n_quantiles))
        for i, (v, cw) in enumerate(zip(self.values, self.cum_weights)):
            out[i] = quantile_function(v, cw, levels).ravel()
        return out / (L * n_quantiles) ** (1.0 / p)


def _project_and_sort(sets, projections, metric, eigh):
    """Sorted coordinates ``(L, n_matrices_i)`` of each set (and None cumulative weights)."""
    Z = project(np.concatenate(sets, axis=0), projections, metric, eigh)
    values, start = [], 0
    for s in sets:
        values.append(np.sort(Z[:, start:start + s.shape[0]], axis=1))
        start += s.shape[0]
    return values, [None] * len(values)


def _minkowski(F, G, p):
    if p == 2:
        sq = (F * F).sum(1)[:, None] + (G * G).sum(1)[None, :] - 2.0 * F @ G.T
        return np.sqrt(np.maximum(sq, 0.0))
    return cdist(F, G, metric="cityblock")


@validate_params(
    {
        "X": ["array-like"],
        "Y": ["array-like", None],
        "metric": [StrOptions(set(METRICS))],
        "p": [Interval(Integral, 1, 2, closed="both")],
        "n_projections": [Interval(Integral, 1, None, closed="left")],
        "n_quantiles": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def spd_sliced_wasserstein_pairwise(
    X,
    Y=None,
    *,
    metric="log-euclidean",
    p=2,
    n_projections=200,
    n_quantiles=None,
    random_state=None,
    n_jobs=None,
):
    """Pairwise SPDSW between collections of sets of SPD matrices.

    One draw of directions serves every pair, so ``D[i, j]`` is exactly
    :func:`spd_sliced_wasserstein` with the same ``random_state`` (and
    ``estimator="mc"``). Each set is projected and sorted once.

    Parameters
    ----------
    X : 4-D array of shape (n_sets_X, n_matrices, n, n) or list of arrays (n_matrices_i, n, n)
        Collection of sets (ragged sizes allowed). A 3-D array is a
        collection of single matrices.
    Y : same as X, default=None
        Second collection (``X`` when None).
    metric : {"log-euclidean", "affine-invariant"}, default="log-euclidean"
    p : {1, 2}, default=2
    n_projections : int, default=200
    n_quantiles : int, default=None
        None: exact one-dimensional distances (merged quantile grids; one
        GEMM when every set has the same size). An integer ``K``: compare
        quantile functions at the ``K`` levels ``(k - 1/2) / K`` (the
        embedding of :class:`SPDSWEmbedding`), cost ``O(n_X n_Y L K)``.
    random_state : int, RandomState instance or None, default=None
    n_jobs : int, default=None
        Threads for the per-set work (projections and sorts), see
        :func:`joblib.Parallel`; each worker runs BLAS on one thread.

    Returns
    -------
    D : ndarray of shape (n_sets_X, n_sets_Y)
        ``SPDSW_p`` distances.
    """
    le = metric == "log-euclidean"
    Xs, _, eX = check_spd_collection(X, "X", return_eigh=le)
    proj = SPDProjections.draw(n_projections, Xs[0].shape[1], random_state)
    SX = SortedProjections.compute(Xs, proj, metric, eX, n_jobs)
    if Y is None:
        SY = SX
    else:
        Ys, _, eY = check_spd_collection(Y, "Y", n_channels=Xs[0].shape[1], return_eigh=le)
        SY = SortedProjections.compute(Ys, proj, metric, eY, n_jobs)
    same = len(set(SX.sizes) | set(SY.sizes)) == 1
    if n_quantiles is not None or same:
        K = n_quantiles if n_quantiles is not None else SX.sizes[0]
        F = SX.quantiles(K, p)
        G = F if SY is SX else SY.quantiles(K, p)
        D = _minkowski(F, G, p)
        if SY is SX:
            np.fill_diagonal(D, 0.0)
        return D
    D = np.zeros((len(SX), len(SY)))
    for i in range(len(SX)):
        for j in range(len(SY)):
            if SY is SX and j < i:
                D[i, j] = D[j, i]
                continue
            w = wasserstein_1d_sorted(SX.values[i], SX.cum_weights[i], SY.values[j],
                                      SY.cum_weights[j], p=p)
            D[i, j] = np.mean(w) ** (1.0 / p)
    return D
