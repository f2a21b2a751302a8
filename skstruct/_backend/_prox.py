"""Proximal operators (thresholding functions)."""

import numpy as np


def soft_threshold(x, tau, out=None):
    """Soft thresholding ``sign(x) * max(|x| - tau, 0)``, elementwise.

    The proximal operator of ``tau * ||x||_1``.

    Parameters
    ----------
    x : ndarray of any shape
    tau : float or ndarray broadcastable to ``x.shape``
        Non-negative threshold.
    out : ndarray of the shape of ``x``, optional
        Where to write the result (may be ``x`` itself).

    Returns
    -------
    ndarray of the shape of ``x``
    """
    mag = np.abs(x) - tau
    np.maximum(mag, 0, out=mag)
    return np.multiply(np.sign(x), mag, out=out)
