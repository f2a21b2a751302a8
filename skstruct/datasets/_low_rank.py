"""Generator of low-rank plus sparse matrices."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "rank": [Interval(Integral, 0, None, closed="left")],
        "sparsity": [Interval(Real, 0, 1, closed="both")],
        "amplitude": [Interval(Real, 0, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_low_rank_sparse(n_samples, n_features, rank, sparsity=0.05, *, amplitude=10.0,
                         noise=0.0, random_state=None):
    """Make a matrix that is low-rank plus sparse (plus optional dense noise).

    ``L = A @ B.T / sqrt(rank)`` with standard Gaussian ``A`` (n_samples, rank)
    and ``B`` (n_features, rank), so entries of ``L`` have unit variance.
    ``S`` has a uniformly random support of ``round(sparsity * size)`` entries
    with values uniform in ``[-amplitude, amplitude]``.

    Parameters
    ----------
    n_samples : int
    n_features : int
    rank : int
        Rank of the low-rank part, ``<= min(n_samples, n_features)``.
    sparsity : float in [0, 1], default=0.05
        Fraction of entries that are grossly corrupted.
    amplitude : float, default=10.0
        Corruptions are uniform in ``[-amplitude, amplitude]``.
    noise : float, default=0.0
        Standard deviation of dense Gaussian noise added to ``X`` (not to
        ``L`` or ``S``).
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        ``L + S`` (+ noise).
    L : ndarray of shape (n_samples, n_features)
        The low-rank part.
    S : ndarray of shape (n_samples, n_features)
        The sparse part.

    Examples
    --------
    >>> from skstruct.datasets import make_low_rank_sparse
    >>> X, L, S = make_low_rank_sparse(50, 30, rank=2, sparsity=0.1, random_state=0)
    >>> int(np.linalg.matrix_rank(L)), int((S != 0).sum())
    (2, 150)
    """
    if rank > min(n_samples, n_features):
        raise ValueError(
            f"rank={rank} cannot exceed min(n_samples, n_features)="
            f"{min(n_samples, n_features)}."
        )
    rng = check_random_state(random_state)
    if rank > 0:
        A = rng.standard_normal((n_samples, rank))
        B = rng.standard_normal((n_features, rank))
        L = A @ B.T / np.sqrt(rank)
    else:
        L = np.zeros((n_samples, n_features))
    size = n_samples * n_features
    n_corrupt = int(round(sparsity * size))
    S = np.zeros(size)
    support = rng.choice(size, n_corrupt, replace=False)
    S[support] = rng.uniform(-amplitude, amplitude, n_corrupt)
    S = S.reshape(n_samples, n_features)
    X = L + S
    if noise > 0:
        X = X + noise * rng.standard_normal((n_samples, n_features))
    return X, L, S


@validate_params(
    {
        "n_frames": [Interval(Integral, 1, None, closed="left")],
        "height": [Interval(Integral, 16, None, closed="left")],
        "width": [Interval(Integral, 8, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_background_video(n_frames=300, height=48, width=64, *, noise=0.01, random_state=None):
    """Make a synthetic surveillance video: a static scene under slowly drifting light,
    crossed by two moving bright objects.

    The background of frame ``t`` is ``light_t * texture`` (a smooth textured
    image times an illumination that drifts by +-15% over the video), so the
    background frames span a rank-one space. A disc moves along a wave and a
    box slides along the top; their pixels are replaced by bright values in
    ``[0.95, 1]``. Dense Gaussian noise is added to every pixel.

    Parameters
    ----------
    n_frames : int, default=300
    height, width : int, default=48, 64
        Frame size in pixels (height >= 16 and width >= 8 so both objects fit).
    noise : float, default=0.01
        Standard deviation of the dense noise.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_frames, height * width)
        The frames, one flattened image (row-major) per row.
    background : ndarray of shape (n_frames, height * width)
        The noise-free background of each frame (rank one).
    masks : ndarray of bool, shape (n_frames, height * width)
        The foreground pixels of each frame.

    Examples
    --------
    >>> from skstruct.datasets import make_background_video
    >>> X, background, masks = make_background_video(50, random_state=0)
    >>> X.shape, int(np.linalg.matrix_rank(background))
    ((50, 3072), 1)
    """
    rng = check_random_state(random_state)
    yy, xx = np.mgrid[0:height, 0:width]
    texture = 0.4 + 0.3 * np.sin(xx / 7.0) * np.cos(yy / 9.0) + 0.1 * rng.random_sample(
        (height, width))
    t = np.arange(n_frames)
    light = 1.0 + 0.15 * np.sin(2 * np.pi * t / n_frames)
    background = light[:, None, None] * texture
    frames = background + noise * rng.standard_normal((n_frames, height, width))
    cx = (5 + 0.8 * t) % width
    cy = height / 2 + 12 * np.sin(t / 15)
    disc = (xx - cx[:, None, None]) ** 2 + (yy - cy[:, None, None]) ** 2 < 36
    bx = width - 1 - (0.6 * t) % width
    box = (np.abs(xx - bx[:, None, None]) < 4) & (np.abs(yy - 8) < 5)
    masks = disc | box
    frames[masks] = 0.95 + 0.05 * rng.random_sample(int(masks.sum()))
    n = height * width
    return frames.reshape(n_frames, n), background.reshape(n_frames, n), masks.reshape(n_frames, n)
