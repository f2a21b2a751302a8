"""From multichannel signals to (augmented) covariance matrices."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.covariance import ledoit_wolf, oas
from joblib import effective_n_jobs
from sklearn.utils import gen_even_slices
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._backend._spd import is_spd
from ..utils._parallel import threaded_map
from ._validation import _as_real_array


def delay_embed(X, order, lag):
    """Time-delay embedding of multichannel signals (augmented signals).

    Block ``k`` (``k = 0 .. order - 1``) of the output holds the signal
    delayed by ``k * lag`` samples, so the covariance of the output is the
    augmented covariance (the lagged auto-covariances of a multichannel AR
    model of order ``order``, Carrara & Papadopoulo 2023).

    Parameters
    ----------
    X : ndarray of shape (..., n_channels, n_times)
    order : int
        Embedding dimension (1 returns ``X``).
    lag : int
        Delay in samples between blocks.

    Returns
    -------
    Xa : ndarray of shape (..., order * n_channels, n_times - (order - 1) * lag)
    """
    T = X.shape[-1]
    span = (order - 1) * lag
    blocks = [X[..., k * lag: T - span + k * lag] for k in range(order)]
    return np.concatenate(blocks, axis=-2)


_ESTIMATORS = {"empirical", "ledoit_wolf", "oas"}


def signal_covariances(X, estimator="empirical", *, order=1, lag=1, assume_centered=False,
                       reg=0.0, n_jobs=None):
    """Covariance matrices of trials of multichannel signals (no validation).

    Parameters
    ----------
    X : ndarray of shape (n_trials, n_channels, n_times)
    estimator : {"empirical", "ledoit_wolf", "oas"}
        Estimator of :mod:`sklearn.covariance`.
    order, lag : int
        Time-delay embedding, see :func:`delay_embed`.
    assume_centered : bool
    reg : float
        Adds ``reg * trace(C) / d`` to the diagonal.
    n_jobs : int, optional
        Threads over blocks of trials (each trial's matrix is independent);
        None or 1: serial.

    Returns
    -------
    C : ndarray of shape (n_trials, order * n_channels, order * n_channels)
    """
    if n_jobs not in (None, 1) and X.shape[0] > 1:
        blocks = gen_even_slices(X.shape[0], min(X.shape[0], effective_n_jobs(n_jobs)))
        parts = threaded_map(
            lambda sl: signal_covariances(X[sl], estimator, order=order, lag=lag,
                                          assume_centered=assume_centered, reg=reg),
            [(sl,) for sl in blocks], n_jobs)
        return np.concatenate(parts)
    Xa = delay_embed(X, order, lag)
    n, d, T = Xa.shape
    if estimator == "empirical":
        # batched equivalent of sklearn.covariance.empirical_covariance per trial
        Xc = Xa if assume_centered else Xa - Xa.mean(axis=-1, keepdims=True)
        C = Xc @ np.swapaxes(Xc, -1, -2) / T
    else:
        fn = ledoit_wolf if estimator == "ledoit_wolf" else oas
        C = np.stack([fn(x.T, assume_centered=assume_centered)[0] for x in Xa])
    C = 0.5 * (C + np.swapaxes(C, -1, -2))
    if reg > 0:
        mu = np.trace(C, axis1=-2, axis2=-1) / d
        C = C + reg * mu[:, None, None] * np.eye(d)
    return C


class Covariances(TransformerMixin, BaseEstimator):
    """Covariance (or augmented covariance) matrices of multichannel trials.

    Turns raw signals into SPD matrices, the input of :class:`SPDSWEmbedding`
    and :class:`SPDSWKernel`. With ``order > 1`` each trial is first
    time-delay embedded (``order`` copies of the channels, each delayed by
    ``lag`` more samples), which gives the augmented covariance matrix of
    size ``order * n_channels``: it carries the temporal (autoregressive)
    structure that the spatial covariance alone misses. Every output matrix
    is checked to be SPD.

    Parameters
    ----------
    estimator : {"empirical", "ledoit_wolf", "oas"}, default="ledoit_wolf"
        Covariance estimator (:func:`sklearn.covariance.empirical_covariance`,
        :func:`~sklearn.covariance.ledoit_wolf`, :func:`~sklearn.covariance.oas`).
        The shrinkage ones stay positive definite with few time samples.
    order : int, default=1
        Embedding dimension; 1 gives the spatial covariance.
    lag : int, default=1
        Delay, in samples, between embedded copies.
    assume_centered : bool, default=False
        Skip removing each channel's mean.
    reg : float, default=0.0
        Ridge: adds ``reg * trace(C) / d`` to the diagonal.
    n_jobs : int, default=None
        Threads over blocks of trials (joblib, one BLAS thread each). None or
        1: serial.

    Attributes
    ----------
    n_channels_ : int
        Number of channels seen in ``fit``.
    n_outputs_ : int
        Size ``order * n_channels_`` of the output matrices.

    Notes
    -----
    Input: a 3-D array ``(n_trials, n_channels, n_times)`` gives a 3-D array
    ``(n_trials, d, d)``; a 4-D array ``(n_sets, n_trials, n_channels,
    n_times)`` gives ``(n_sets, n_trials, d, d)``; a list of 3-D arrays (e.g.
    subjects with different numbers of trials) gives a list of 3-D arrays,
    which :class:`SPDSWEmbedding` accepts as ragged sets.

    Examples
    --------
    >>> import numpy as np
    >>> from skstruct.spd import Covariances
    >>> X = np.random.RandomState(0).randn(4, 3, 100)
    >>> Covariances(order=2, lag=3).fit_transform(X).shape
    (4, 6, 6)
    """

    _parameter_constraints = {
        "estimator": [StrOptions(_ESTIMATORS)],
        "order": [Interval(Integral, 1, None, closed="left")],
        "lag": [Interval(Integral, 1, None, closed="left")],
        "assume_centered": ["boolean"],
        "reg": [Interval(Real, 0, None, closed="left")],
        "n_jobs": [Integral, None],
    }

    def __init__(self, estimator="ledoit_wolf", order=1, lag=1, assume_centered=False, reg=0.0,
                 n_jobs=None):
        self.estimator = estimator
        self.order = order
        self.lag = lag
        self.assume_centered = assume_centered
        self.reg = reg
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags

    def _check_trials(self, X, name):
        arr = _as_real_array(X, name)
        if arr.ndim != 3:
            raise ValueError(
                f"{name}: expected signals of shape (n_trials, n_channels, n_times), got a "
                f"{arr.ndim}-D array with shape {arr.shape}."
            )
        n, c, T = arr.shape
        if n == 0 or c == 0:
            raise ValueError(f"{name}: empty input of shape {arr.shape}.")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: contains NaN or infinity.")
        needed = (self.order - 1) * self.lag + 2
        if T < needed:
            raise ValueError(
                f"{name}: {T} time samples; order={self.order} and lag={self.lag} need at "
                f"least {needed}."
            )
        if hasattr(self, "n_channels_") and c != self.n_channels_:
            raise ValueError(f"{name}: {c} channels, but Covariances was fitted on "
                             f"{self.n_channels_}.")
        return arr

    def _split(self, X):
        """(list of 3-D arrays, how to reassemble)."""
        if sp.issparse(X):
            raise TypeError("X: sparse input is not supported; pass dense arrays.")
        if isinstance(X, np.ndarray) and X.dtype.kind != "O":
            if X.ndim == 4:
                return list(X), "4d"
            return [X], "3d"
        if isinstance(X, (list, tuple)) or (isinstance(X, np.ndarray) and X.dtype.kind == "O"):
            items = list(X)
            if len(items) and all(np.ndim(x) == 3 for x in items):
                return items, "list"
        return [X], "3d"

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the number of channels.

        Parameters
        ----------
        X : array of shape (n_trials, n_channels, n_times), 4-D array or list of 3-D arrays
        y : ignored

        Returns
        -------
        self : Covariances
        """
        for attr in ("n_channels_", "n_outputs_"):
            self.__dict__.pop(attr, None)
        items, _ = self._split(X)
        arrs = [self._check_trials(x, "X") for x in items]
        chans = {a.shape[1] for a in arrs}
        if len(chans) > 1:
            raise ValueError(f"X: trials have different numbers of channels {sorted(chans)}.")
        self.n_channels_ = chans.pop()
        self.n_outputs_ = self.order * self.n_channels_
        return self

    def transform(self, X):
        """Covariance matrices of the trials.

        Parameters
        ----------
        X : array of shape (n_trials, n_channels, n_times), 4-D array or list of 3-D arrays

        Returns
        -------
        C : ndarray of shape (n_trials, d, d), (n_sets, n_trials, d, d) or list
            ``d = order * n_channels``; float32 for float32 input.
        """
        check_is_fitted(self)
        items, kind = self._split(X)
        out = []
        for i, x in enumerate(items):
            arr = self._check_trials(x, "X" if kind == "3d" else f"X[{i}]")
            C = signal_covariances(arr.astype(np.float64), self.estimator, order=self.order,
                                   lag=self.lag, assume_centered=self.assume_centered,
                                   reg=self.reg, n_jobs=self.n_jobs)
            ok, _ = is_spd(C)
            if not np.all(ok):
                raise ValueError(
                    f"{int(np.sum(~ok))} of {C.shape[0]} covariance matrices are not positive "
                    f"definite (size {C.shape[1]} from {arr.shape[2]} time samples, estimator="
                    f"{self.estimator!r}). Use estimator='ledoit_wolf' or 'oas', or reg > 0."
                )
            out.append(C.astype(np.float32) if arr.dtype == np.float32 else C)
        if kind == "3d":
            return out[0]
        if kind == "4d":
            return np.stack(out)
        return out
