"""Domain adaptation of SPD matrices: a congruence fitted by minimizing SPDSW to a target.

The source matrices ``X_i`` (one session or subject) are moved by one
congruence ``X -> G X G^T`` (``G`` invertible: re-centering, rotation and
rescaling of the sensors) chosen to minimize the squared log-Euclidean
sliced-Wasserstein distance between the moved source and the target set
(Bonet et al., 2023, the "transformations" variant of their domain-adaptation
experiments). The gradient is explicit: each 1-D problem is solved by sorting
(monotone coupling, :func:`monotone_barycentric_targets`), the chain rule goes
through the matrix logarithm (Daleckii-Krein, :func:`logm_frechet`) and the
congruence, and L-BFGS minimizes over the ``n^2`` entries of ``G`` with one
fixed draw of directions (a deterministic objective).

``loss="wasserstein"`` runs the same optimization with the exact optimal
transport cost with log-Euclidean ground cost (POT's ``emd``), the
``O((n_s + n_t)^3)`` baseline SPDSW stands in for.
"""

from numbers import Integral, Real

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from .._backend._ot1d import monotone_barycentric_targets
from .._backend._spd import (
    expm,
    log_euclidean_coordinates,
    logm,
    logm_frechet,
    powm,
    sym,
    unvech,
    vech,
)
from ._sliced import SPDProjections
from ._validation import check_spd_set


def log_euclidean_mean(X):
    """``expm(mean_i logm(X_i))`` of ``X`` (``(N, n, n)``): shape ``(n, n)``."""
    return expm(logm(X).mean(axis=0))


class _SlicedLoss:
    """``SPDSW_2^2`` to a fixed target on fixed directions, with its gradient in log space."""

    def __init__(self, X_target, projections):
        self.A = projections.directions_vech  # (L, m)
        Zt = log_euclidean_coordinates(vech(logm(X_target)), self.A)
        self.target_sorted = np.sort(Zt, axis=1)  # (L, n_t)

    def __call__(self, logY):
        """Loss and ``d loss / d vech(log Y)`` (shape ``(n_s, m)``) at ``vech(log Y)``."""
        Z = log_euclidean_coordinates(logY, self.A)  # (L, n_s)
        L, n = Z.shape
        T = monotone_barycentric_targets(Z, self.target_sorted)
        # W_2^2 = mean_i z_i^2 - 2 mean_i z_i T_i + mean_j t_j^2 for the monotone coupling
        w2 = (np.mean(Z * Z, axis=1) - 2.0 * np.mean(Z * T, axis=1)
              + np.mean(self.target_sorted ** 2, axis=1))
        grad = (2.0 / (n * L)) * (Z - T).T @ self.A
        return float(np.mean(w2)), grad


class _ExactLoss:
    """Exact ``W_2^2`` with log-Euclidean ground cost (POT's ``emd``), gradient in log space."""

    def __init__(self, X_target):
        self.logXt = vech(logm(X_target))  # (n_t, m)

    def __call__(self, logY):
        import ot

        n, m = logY.shape[0], self.logXt.shape[0]
        M = ot.dist(logY, self.logXt)  # squared Euclidean = squared log-Euclidean distances
        a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
        plan = ot.emd(a, b, M)
        grad = 2.0 * (a[:, None] * logY - plan @ self.logXt)  # envelope theorem
        return float(np.sum(plan * M)), grad


def _congruence_objective(X0, objective):
    """``f(H) = objective(vech(log(H X0_i H^T)))`` and ``d f / d H`` (closure over ``X0``).

    ``objective(logY)`` returns the loss and its gradient with respect to
    ``vech(log Y_i)``; the chain rule goes through the matrix logarithm
    (:func:`logm_frechet`, self-adjoint) and ``Y = H X0 H^T``:
    ``d f / d H = 2 sum_i E_i H X0_i`` with ``E_i = d f / d Y_i``. A singular
    ``H`` leaves the cone: ``f = inf``.
    """
    n = X0.shape[1]

    def fun(H):
        HX = H @ X0  # (n_s, n, n)
        w, V = np.linalg.eigh(sym(HX @ H.T))
        if not np.all(w > 0):
            return np.inf, np.zeros((n, n))
        logY = (V * np.log(w)[..., None, :]) @ np.swapaxes(V, -1, -2)
        value, g = objective(vech(logY))
        E = logm_frechet(w, V, unvech(g, n))
        return value, 2.0 * np.einsum("nij,njk->ik", E, HX)

    return fun


def spdsw_align(X_source, X_target, *, loss="spdsw", n_projections=200, init="recenter",
                max_iter=100, tol=1e-6, random_state=None, verbose=0):
    """Fit a congruence ``G`` moving ``X_source`` onto ``X_target`` (no validation).

    Minimizes ``f(G) = SPDSW_2^2({G X_i G^T}, {X_target_j})`` (or the exact
    ``W_2^2`` with ``loss="wasserstein"``) by L-BFGS, starting from ``G0``
    (identity, or the re-centering ``Mt^{1/2} Ms^{-1/2}`` between
    log-Euclidean means) and optimizing ``H`` in ``G = H G0``.

    Parameters
    ----------
    X_source : ndarray of shape (n_s, n, n)
    X_target : ndarray of shape (n_t, n, n)
    loss : {"spdsw", "wasserstein"}
    n_projections : int
    init : {"recenter", "identity"}
    max_iter : int
        0 returns the start ``G0``.
    tol : float
        L-BFGS tolerance on the relative decrease of ``f`` and on the
        gradient.
    random_state : int, RandomState instance or None
    verbose : int

    Returns
    -------
    G : ndarray of shape (n, n)
    info : dict
        ``loss`` (final value), ``initial_loss``, ``n_iter``, ``projections``
        (SPDProjections or None).
    """
    n = X_source.shape[1]
    R = powm(log_euclidean_mean(X_target), 0.5)
    if init == "recenter":
        G0 = R @ powm(log_euclidean_mean(X_source), -0.5)
    else:
        G0 = np.eye(n)
    X0 = sym(G0 @ X_source @ G0.T)
    if loss == "spdsw":
        projections = SPDProjections.draw(n_projections, n, random_state)
        objective = _SlicedLoss(X_target, projections)
    else:
        projections = None
        objective = _ExactLoss(X_target)

    # optimize K in H = R K R^{-1}, R = Mt^{1/2}: K acts on matrices whitened by the target
    # mean, which preconditions L-BFGS (H's entries scale with the eigenvalues of the data)
    Rinv = np.linalg.inv(R)

    congruence = _congruence_objective(X0, objective)

    def fun(k):
        value, grad = congruence(R @ k.reshape(n, n) @ Rinv)
        return value, (R.T @ grad @ Rinv.T).ravel()

    state = {"it": 0}

    def callback(xk):
        state["it"] += 1
        if verbose:
            print(f"[spdsw_align] iteration {state['it']}: loss {fun(xk)[0]:.6g}")

    h0 = np.eye(n).ravel()
    # one BLAS thread: every call works on small blocks, and on a busy machine
    # threaded BLAS made each L-BFGS-B step cost 12 ms instead of < 1 ms (n = 4)
    with threadpool_limits(limits=1, user_api="blas"):
        initial = fun(h0)[0]
        # L-BFGS-B's ftol is relative to max(|f|, 1): minimize f / f(G0) so it stays relative
        scale = 1.0 / initial if initial > 0 else 1.0

        def scaled(h):
            value, grad = fun(h)
            return value * scale, grad * scale

        if max_iter == 0:  # L-BFGS-B would still take one step
            return G0, {"loss": initial, "initial_loss": initial, "n_iter": 0,
                        "projections": projections}
        res = minimize(scaled, h0, jac=True, method="L-BFGS-B", callback=callback,
                       options={"maxiter": max_iter, "ftol": tol, "gtol": tol})
    if verbose:
        print(f"[spdsw_align] {res.message}")
    final = float(res.fun) / scale
    H = R @ res.x.reshape(n, n) @ Rinv if final <= initial else np.eye(n)
    return H @ G0, {"loss": min(final, initial), "initial_loss": initial, "n_iter": res.nit,
                    "projections": projections}


class SPDSWAlignment(TransformerMixin, BaseEstimator):
    """Align SPD matrices of a source domain with a target domain by minimizing SPDSW.

    Fits one congruence ``X -> G X G^T`` so that the distribution of the
    moved source matrices is close, in log-Euclidean sliced-Wasserstein
    distance, to the distribution of the (unlabeled) target matrices
    (Bonet et al., 2023). A classifier trained on the aligned source then
    applies to the target, e.g. ``make_pipeline(SPDSWAlignment(), MDM())``
    fitted with ``pipe.fit(X_source, y_source, spdswalignment__X_target=X_target)``
    and used with ``pipe.predict(X_target)``.

    The objective is minimized by L-BFGS with explicit gradients (sorted 1-D
    couplings, derivative of the matrix logarithm, congruence), over one fixed
    draw of directions. It is not convex: the result depends on ``init``;
    the map found never has a higher loss than the start.

    Parameters
    ----------
    n_projections : int, default=200
        Number of slicing directions (fixed during the fit).
    loss : {"spdsw", "wasserstein"}, default="spdsw"
        "spdsw": squared log-Euclidean SPDSW, cost per iteration
        ``O((n_s + n_t) n^3 + L (n_s + n_t) (n^2 + log n_s))``.
        "wasserstein": exact squared Wasserstein distance with
        log-Euclidean ground cost (POT's ``emd``), ``O(n_s n_t (n_s + n_t))``
        or worse per iteration; the reference SPDSW is a surrogate for.
    init : {"recenter", "identity"}, default="recenter"
        Start of the optimization: "recenter" maps the log-Euclidean mean
        of the source onto that of the target (``G0 = Mt^{1/2} Ms^{-1/2}``);
        "identity" starts from ``G0 = I`` as in the paper.
    max_iter : int, default=100
        Maximum number of L-BFGS iterations; 0 keeps the start ``G0``.
    tol : float, default=1e-6
        L-BFGS tolerance (relative decrease of the loss, gradient norm).
    random_state : int, RandomState instance or None, default=None
        Seeds the directions.
    verbose : int, default=0
        Print the loss at every iteration when > 0.

    Attributes
    ----------
    map_ : ndarray of shape (n_channels, n_channels)
        The congruence ``G``.
    n_channels_ : int
    loss_ : float
        Objective at ``map_`` (``SPDSW_2^2`` on the fitted directions, or
        the exact ``W_2^2``).
    initial_loss_ : float
        Objective at ``G0`` (before the optimization).
    n_iter_ : int
    projections_ : SPDProjections or None
        The fixed directions (None with ``loss="wasserstein"``).

    Notes
    -----
    **Fit API.** ``fit(X, y=None, *, X_target)``: ``X`` holds the source
    matrices and ``X_target`` the target ones, passed as a fit parameter
    (as ``sample_weight`` is). This keeps ``y`` the class labels of the
    source, so any scikit-learn classifier after this step in a
    :class:`~sklearn.pipeline.Pipeline` is fitted on the aligned source with
    its own labels, with no domain-aware wrapper (a domain-label convention,
    as pyriemann's ``encode_domains`` or skada's ``sample_domain``, needs one
    downstream).

    **transform.** After ``fit``, new data are taken to come from the target
    domain, which the alignment leaves unchanged: ``transform(X)`` returns
    (a validated copy of) ``X``. So in a Pipeline ``fit`` trains the
    classifier on the aligned source and ``predict(X_target)`` classifies the
    target as is. ``fit_transform`` returns the aligned source, which makes
    it differ from ``fit(X).transform(X)`` (as for scikit-learn's
    ``TargetEncoder``). Use :meth:`align` to move other source-domain
    matrices.

    With ``n`` channels the map has ``n^2`` parameters; ``n_s`` source
    matrices should be well above ``n`` for the target distribution, not
    only its centre, to be matched.

    Examples
    --------
    >>> import numpy as np
    >>> from skstruct.spd import SPDSWAlignment
    >>> rng = np.random.RandomState(0)
    >>> G = rng.standard_normal((20, 3, 5))
    >>> Xs = G @ G.transpose(0, 2, 1) / 5
    >>> Xt = 4.0 * Xs[::-1]
    >>> al = SPDSWAlignment(n_projections=50, random_state=0).fit(Xs, X_target=Xt)
    >>> bool(al.loss_ < 1e-3 * al.initial_loss_ + 1e-12)
    True
    """

    _parameter_constraints = {
        "n_projections": [Interval(Integral, 1, None, closed="left")],
        "loss": [StrOptions({"spdsw", "wasserstein"})],
        "init": [StrOptions({"recenter", "identity"})],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, n_projections=200, loss="spdsw", init="recenter", max_iter=100, tol=1e-6,
                 random_state=None, verbose=0):
        self.n_projections = n_projections
        self.loss = loss
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags

    def _validate_pair(self, X, X_target):
        if X_target is None:
            raise ValueError(
                "SPDSWAlignment.fit needs the target matrices: fit(X_source, X_target=...); "
                "in a Pipeline pass them as <step name>__X_target=..."
            )
        Xs = check_spd_set(X, "X")
        Xt = check_spd_set(X_target, "X_target")
        if Xs.shape[1] != Xt.shape[1]:
            raise ValueError(
                f"X holds {Xs.shape[1]}x{Xs.shape[1]} matrices but X_target holds "
                f"{Xt.shape[1]}x{Xt.shape[1]}: source and target must have the same channels."
            )
        return Xs, Xt

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, X_target=None):
        """Fit the congruence moving ``X`` (source) onto ``X_target``.

        Parameters
        ----------
        X : array-like of shape (n_source, n_channels, n_channels)
            SPD matrices of the source domain.
        y : ignored
            Source labels (used by the next steps of a Pipeline, not here).
        X_target : array-like of shape (n_target, n_channels, n_channels)
            SPD matrices of the target domain (unlabeled).

        Returns
        -------
        self : SPDSWAlignment
        """
        Xs, Xt = self._validate_pair(X, X_target)
        G, info = spdsw_align(Xs, Xt, loss=self.loss, n_projections=self.n_projections,
                              init=self.init, max_iter=self.max_iter, tol=self.tol,
                              random_state=self.random_state, verbose=self.verbose)
        self.map_ = G
        self.n_channels_ = Xs.shape[1]
        self.loss_ = info["loss"]
        self.initial_loss_ = info["initial_loss"]
        self.n_iter_ = info["n_iter"]
        self.projections_ = info["projections"]
        return self

    def fit_transform(self, X, y=None, *, X_target=None):
        """Fit, then return the aligned source ``G X G^T``.

        Parameters
        ----------
        X : array-like of shape (n_source, n_channels, n_channels)
        y : ignored
        X_target : array-like of shape (n_target, n_channels, n_channels)

        Returns
        -------
        X_aligned : ndarray of shape (n_source, n_channels, n_channels)
        """
        return self.fit(X, y, X_target=X_target).align(X)

    def align(self, X):
        """Move source-domain matrices with the fitted congruence.

        Parameters
        ----------
        X : array-like of shape (n_matrices, n_channels, n_channels)

        Returns
        -------
        X_aligned : ndarray of shape (n_matrices, n_channels, n_channels)
            ``map_ @ X @ map_.T`` (SPD), float32 for float32 input.
        """
        check_is_fitted(self)
        Xv = self._check_channels(X)
        out = sym(self.map_ @ Xv @ self.map_.T)
        return out.astype(np.float32) if np.asarray(X).dtype == np.float32 else out

    def transform(self, X):
        """Target-domain matrices, unchanged (validated copy), see Notes.

        Parameters
        ----------
        X : array-like of shape (n_matrices, n_channels, n_channels)

        Returns
        -------
        X : ndarray of shape (n_matrices, n_channels, n_channels)
        """
        check_is_fitted(self)
        Xv = self._check_channels(X)
        return Xv.astype(np.float32) if np.asarray(X).dtype == np.float32 else Xv

    def _check_channels(self, X):
        Xv = check_spd_set(X, "X")
        if Xv.shape[1] != self.n_channels_:
            raise ValueError(
                f"X holds {Xv.shape[1]}x{Xv.shape[1]} matrices but SPDSWAlignment was fitted "
                f"on {self.n_channels_}x{self.n_channels_} matrices."
            )
        return Xv
