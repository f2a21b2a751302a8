"""Working-set helpers of the coordinate-descent drivers (:mod:`._cd`, :mod:`._bcd`).

:func:`top_indices` picks the working set of the drivers' Python outer loops;
:func:`anderson_weights` is numpy, called between the drivers' compiled epochs.
"""

import numpy as np


def top_indices(scores, k):
    """Indices of the ``k`` largest scores in increasing order, ties to the lowest index
    (the storages of one problem, whose scores differ by rounding only, must pick the
    same features among the many zero scores)."""
    thr = np.partition(scores, scores.shape[0] - k)[scores.shape[0] - k]
    pick = scores > thr
    pick[np.flatnonzero(scores == thr)[:k - np.count_nonzero(pick)]] = True
    return np.flatnonzero(pick)


def anderson_weights(wbuf):
    """Anderson mixing weights (K,) of the last K iterates from K+1 stored rows (numpy).

    ``c = z / sum(z)``, ``(U U^T + eps I) z = 1``, ``U`` the K successive differences
    divided by their largest entry (the weights do not depend on their scale; unit scale
    keeps ``U U^T`` from under- or overflowing, e.g. at X ~ 1e150). ``None`` when the
    system is degenerate.
    """
    U = wbuf[1:] - wbuf[:-1]
    big = np.abs(U).max(initial=0.0)
    if not big > 0.0:
        return None
    U /= big
    M = U @ U.T
    M.flat[::M.shape[0] + 1] += 1e-10 * np.trace(M)
    try:
        z = np.linalg.solve(M, np.ones(M.shape[0]))
    except np.linalg.LinAlgError:
        return None
    sz = z.sum()
    return z / sz if np.isfinite(sz) and sz != 0.0 else None
