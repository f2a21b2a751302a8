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


def hard_threshold(x, tau):
    """Hard thresholding: keep ``x`` where ``|x| > tau``, else 0, elementwise.

    The proximal operator of ``tau^2 / 2 * ||x||_0`` (with unit step).

    Parameters
    ----------
    x : ndarray of any shape
    tau : float or ndarray broadcastable to ``x.shape``

    Returns
    -------
    ndarray of the shape of ``x``
    """
    return np.where(np.abs(x) > tau, x, 0.0)


def mcp_threshold(x, alpha, gamma, step=1.0):
    """Firm thresholding: prox of ``step * MCP(.; alpha, gamma)``, elementwise.

    ``MCP(t) = alpha |t| - t^2 / (2 gamma)`` for ``|t| <= gamma alpha``, else
    ``gamma alpha^2 / 2``. Requires ``gamma > step`` (then the 1-D problem is
    convex): 0 for ``|x| <= step alpha``, ``sign(x) (|x| - step alpha) / (1 -
    step / gamma)`` up to ``gamma alpha``, ``x`` beyond. For ``gamma <= step``
    use :func:`skstruct._backend._penalties.prox_1d`, exact in every case.

    Parameters
    ----------
    x : ndarray of any shape
    alpha, gamma, step : float
        ``alpha >= 0``, ``gamma > step > 0``.

    Returns
    -------
    ndarray of the shape of ``x``
    """
    if not gamma > step:
        raise ValueError(f"mcp_threshold needs gamma > step; got gamma={gamma}, step={step}.")
    ax = np.abs(x)
    mid = np.sign(x) * np.maximum(ax - step * alpha, 0.0) / (1.0 - step / gamma)
    return np.where(ax > gamma * alpha, x, mid)


def scad_threshold(x, alpha, gamma, step=1.0):
    """Prox of ``step * SCAD(.; alpha, gamma)``, elementwise (requires ``gamma > 1 + step``).

    Soft thresholding at ``step alpha`` for ``|x| <= alpha (1 + step)``, then
    ``sign(x) ((gamma - 1)|x| - step gamma alpha) / (gamma - 1 - step)`` up to
    ``gamma alpha``, ``x`` beyond.

    Parameters
    ----------
    x : ndarray of any shape
    alpha, gamma, step : float
        ``alpha >= 0``, ``gamma > 1 + step``, ``step > 0``.

    Returns
    -------
    ndarray of the shape of ``x``
    """
    if not gamma > 1.0 + step:
        raise ValueError(f"scad_threshold needs gamma > 1 + step; got gamma={gamma}, "
                         f"step={step}.")
    ax = np.abs(x)
    s = np.sign(x)
    low = s * np.maximum(ax - step * alpha, 0.0)
    mid = s * ((gamma - 1.0) * ax - step * gamma * alpha) / (gamma - 1.0 - step)
    return np.where(ax <= alpha * (1.0 + step), low, np.where(ax <= gamma * alpha, mid, x))


def group_soft_threshold(x, tau, axis=-1):
    """Block soft thresholding ``max(0, 1 - tau / ||x||_2) x`` along ``axis``.

    The proximal operator of ``tau * ||x||_2`` (group lasso).

    Parameters
    ----------
    x : ndarray of any shape
        Groups along ``axis`` (e.g. shape (n_groups, group_size) with ``axis=-1``).
    tau : float or ndarray broadcastable to the other axes
        Non-negative threshold.
    axis : int, default=-1

    Returns
    -------
    ndarray of the shape of ``x``
    """
    nrm = np.linalg.norm(x, axis=axis, keepdims=True)
    tau = np.expand_dims(np.asarray(tau, dtype=float), axis) if np.ndim(tau) else tau
    scale = np.where(nrm > tau, 1.0 - tau / np.where(nrm > 0, nrm, 1.0), 0.0)
    return x * scale
