"""Working-set helpers of the coordinate-descent drivers (:mod:`._cd`, :mod:`._bcd`).

:func:`top_k` is numba, written as plain loops (``np.argsort`` inside numba compiles
numba's sort, seconds of a first call; issue 19) for the self-expression batch;
:func:`top_indices` is its numpy counterpart for the drivers' Python outer loops (same
selection and tie rule); :func:`anderson_weights` is numpy, called between the drivers'
compiled epochs.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def top_k(scores, k, vals, out):
    """Indices of the ``k`` largest scores, in increasing index order (ties: lowest index),
    written to ``out[:k]``; ``vals`` (as ``scores``) is work space.

    Quickselect of the k-th largest value, then one pass; O(len) expected. Written
    out because ``np.argsort`` + ``sort`` cost ~15 s of numba compilation; nothing is
    allocated (each allocation signature is a compile of its own).
    """
    n = scores.shape[0]
    for j in range(n):
        vals[j] = scores[j]
    lo = 0
    hi = n - 1
    target = k - 1
    while lo < hi:
        pivot = vals[(lo + hi) // 2]
        i = lo
        j = hi
        while i <= j:
            while vals[i] > pivot:
                i += 1
            while vals[j] < pivot:
                j -= 1
            if i <= j:
                v = vals[i]
                vals[i] = vals[j]
                vals[j] = v
                i += 1
                j -= 1
        if target <= j:
            hi = j
        elif target >= i:
            lo = i
        else:
            break
    thr = vals[target]
    n_eq = k
    for j in range(n):
        if scores[j] > thr:
            n_eq -= 1
    m = 0
    for j in range(n):
        if scores[j] > thr or (scores[j] == thr and n_eq > 0):
            if scores[j] == thr:
                n_eq -= 1
            out[m] = j
            m += 1


def top_indices(scores, k):
    """Indices of the ``k`` largest scores in increasing order, ties to the lowest index
    (as :func:`top_k`: the storages of one problem, whose scores differ by rounding
    only, must pick the same features among the many zero scores)."""
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
