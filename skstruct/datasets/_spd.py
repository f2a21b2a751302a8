"""Generators of distributions of SPD matrices and of M/EEG-like signals."""

from numbers import Integral, Real

import numpy as np
from scipy.signal import lfilter
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params


@validate_params(
    {
        "n_distributions": [Interval(Integral, 1, None, closed="left")],
        "n_matrices": [Interval(Integral, 1, None, closed="left")],
        "n_channels": [Interval(Integral, 1, None, closed="left")],
        "mean_drift": [Interval(Real, 0, None, closed="left")],
        "spread_drift": [Interval(Real, 0, None, closed="left")],
        "spread": [Interval(Real, 0, None, closed="left")],
        "subject_noise": [Interval(Real, 0, None, closed="left")],
        "target_range": [tuple],
        "n_bands": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_spd_distributions(n_distributions=100, n_matrices=50, n_channels=8, *, mean_drift=0.3,
                           spread_drift=0.6, spread=0.5, subject_noise=0.2,
                           target_range=(20.0, 80.0), n_bands=None, random_state=None):
    """Make sets of SPD matrices whose distribution drifts with a target (brain-age style).

    Each distribution (a "subject" with target ``y``, e.g. an age) holds
    ``n_matrices`` covariance-like matrices (e.g. epochs)
    ``C = M diag(exp(s)) M^T + 0.01 I`` with a fixed mixing matrix ``M``
    (sensors from sources) and source log-powers

    ``s = mean_drift * t * u + b + spread * exp(spread_drift * t) * e``

    where ``t`` in ``[-1, 1]`` is the rescaled target, ``u`` a fixed spectral
    profile (``linspace(-1, 1)``: power moves from the first to the last
    sources as the target grows), ``b ~ N(0, subject_noise^2)`` a
    subject-level nuisance and ``e ~ N(0, I)`` per matrix. So the target
    shifts the centre of each distribution (``mean_drift``) and its spread
    (``spread_drift``): the second is invisible to methods that keep only a
    mean covariance per subject.

    Parameters
    ----------
    n_distributions : int, default=100
    n_matrices : int, default=50
        Matrices per distribution.
    n_channels : int, default=8
        Size of the matrices (sources = channels).
    mean_drift : float, default=0.3
    spread_drift : float, default=0.6
    spread : float, default=0.5
    subject_noise : float, default=0.2
    target_range : tuple of two floats, default=(20.0, 80.0)
        ``y`` is uniform on this interval.
    n_bands : int, default=None
        None: one set per distribution. An integer: that many sets per
        distribution (e.g. frequency bands), each with its own mixing
        matrix, spectral profile (``u`` permuted), subject nuisance and
        per-matrix noise, all driven by the same target; no single band then
        holds all the information about ``y``.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_distributions, n_matrices, n_channels, n_channels)
        SPD matrices; shape ``(n_distributions, n_bands, n_matrices,
        n_channels, n_channels)`` when ``n_bands`` is an integer.
    y : ndarray of shape (n_distributions,)
        Targets.

    Examples
    --------
    >>> from skstruct.datasets import make_spd_distributions
    >>> X, y = make_spd_distributions(n_distributions=4, n_matrices=3, n_channels=2,
    ...                               random_state=0)
    >>> X.shape, y.shape
    ((4, 3, 2, 2), (4,))
    """
    rng = check_random_state(random_state)
    lo, hi = (float(v) for v in target_range)
    if not hi > lo:
        raise ValueError(f"target_range must be (low, high) with low < high, got {target_range}.")
    c = n_channels
    M = rng.standard_normal((c, c)) / np.sqrt(c) + np.eye(c)
    u = np.linspace(-1.0, 1.0, c)
    y = rng.uniform(lo, hi, size=n_distributions)
    t = 2.0 * (y - lo) / (hi - lo) - 1.0

    def band(M, u):
        b = subject_noise * rng.standard_normal((n_distributions, 1, c))
        e = rng.standard_normal((n_distributions, n_matrices, c))
        s = (mean_drift * t[:, None, None] * u + b
             + spread * np.exp(spread_drift * t)[:, None, None] * e)
        X = (M * np.exp(s)[..., None, :]) @ M.T + 0.01 * np.eye(c)
        return 0.5 * (X + np.swapaxes(X, -1, -2))

    if n_bands is None:
        return band(M, u), y
    bands = [band(M, u)]
    for _ in range(n_bands - 1):
        Mb = rng.standard_normal((c, c)) / np.sqrt(c) + np.eye(c)
        bands.append(band(Mb, rng.permutation(u)))
    return np.stack(bands, axis=1), y


@validate_params(
    {
        "n_trials": [Interval(Integral, 1, None, closed="left")],
        "n_channels": [Interval(Integral, 1, None, closed="left")],
        "n_times": [Interval(Integral, 3, None, closed="left")],
        "n_classes": [Interval(Integral, 1, None, closed="left")],
        "freq_shift": [Interval(Real, 0, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "session_shift": [Interval(Real, 0, None, closed="left")],
        "mixing_random_state": ["random_state"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_meeg_signals(n_trials=200, n_channels=8, n_times=256, *, n_classes=2, freq_shift=0.15,
                      noise=0.3, session_shift=0.0, mixing_random_state=None, random_state=None):
    """Make multichannel M/EEG-like trials whose classes differ only in rhythm.

    Each of ``n_channels`` sources is a resonant AR(2) process (a
    band-limited oscillation), rescaled to unit variance in every trial, and
    the sensors see ``M @ sources + noise``. In class ``k >= 1`` the frequency
    of source ``(k - 1) mod n_channels`` is raised by ``freq_shift`` (radians per
    sample). Since every source keeps unit power, the spatial covariance is
    the same in every class up to sampling noise; the classes differ in the
    lagged (auto)covariances, which the augmented covariance of
    :class:`skstruct.spd.Covariances` (``order > 1``) captures.

    Parameters
    ----------
    n_trials : int, default=200
    n_channels : int, default=8
    n_times : int, default=256
    n_classes : int, default=2
    freq_shift : float, default=0.15
        Frequency change in radians per sample.
    noise : float, default=0.3
        Standard deviation of white sensor noise.
    session_shift : float, default=0.0
        Size of a session effect: the sensors see ``(I + session_shift E) M``
        with ``E`` Gaussian (entries of variance ``1 / n_channels``) drawn
        from ``random_state``, as if the electrodes had moved. A domain shift
        that a congruence of the covariances undoes.
    mixing_random_state : int, RandomState instance or None, default=None
        Seeds the mixing matrix ``M`` (the "subject"). None draws it from
        ``random_state``. Same ``mixing_random_state`` with different
        ``random_state`` and ``session_shift > 0``: two sessions of one
        subject; different ``mixing_random_state``: two subjects.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_trials, n_channels, n_times)
    y : ndarray of shape (n_trials,)
        Class labels in ``0 .. n_classes - 1`` (balanced, shuffled).

    Examples
    --------
    >>> from skstruct.datasets import make_meeg_signals
    >>> X, y = make_meeg_signals(n_trials=6, n_channels=3, n_times=50, random_state=0)
    >>> X.shape
    (6, 3, 50)
    """
    rng = check_random_state(random_state)
    c = n_channels
    mix_rng = rng if mixing_random_state is None else check_random_state(mixing_random_state)
    M = mix_rng.standard_normal((c, c)) / np.sqrt(c) + np.eye(c)
    base = np.linspace(0.15, 0.6, c) * np.pi
    y = rng.permutation(np.arange(n_trials) % n_classes)
    burn = 50
    S = np.empty((n_trials, c, n_times))
    r = 0.95
    for k in range(n_classes):
        idx = np.flatnonzero(y == k)
        if idx.size == 0:
            continue
        freqs = base.copy()
        if k > 0:
            freqs[(k - 1) % c] += freq_shift
        for j in range(c):
            e = rng.standard_normal((idx.size, n_times + burn))
            x = lfilter([1.0], [1.0, -2 * r * np.cos(freqs[j]), r * r], e, axis=-1)[:, burn:]
            x -= x.mean(axis=-1, keepdims=True)
            S[idx, j] = x / x.std(axis=-1, keepdims=True)
    N = noise * rng.standard_normal((n_trials, c, n_times))
    if session_shift > 0:
        M = (np.eye(c) + session_shift * rng.standard_normal((c, c)) / np.sqrt(c)) @ M
    X = np.einsum("ij,njt->nit", M, S) + N
    return X, y
