"""Working-set helpers of the coordinate-descent drivers (:mod:`._cd`, :mod:`._bcd`).

The numba ones are written as plain loops: ``np.argsort`` / ``np.sort`` and
``np.linalg.solve`` inside numba compile numba's sort and LAPACK wrappers, seconds of a
first call (issue 19).
"""

import numpy as np
from numba import njit


@njit(cache=True)
def top_k(scores, k):
    """Indices of the ``k`` largest scores, in increasing index order (ties: lowest index).

    Quickselect of the k-th largest value, then one pass; O(len) expected. Written
    out because ``np.argsort`` + ``sort`` cost ~15 s of numba compilation.
    """
    n = scores.shape[0]
    vals = scores.copy()
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
    out = np.empty(k, dtype=np.int64)
    m = 0
    for j in range(n):
        if scores[j] > thr or (scores[j] == thr and n_eq > 0):
            if scores[j] == thr:
                n_eq -= 1
            out[m] = j
            m += 1
    return out



@njit(cache=True)
def anderson_coefs(wbuf):
    """Anderson mixing weights (K,) of the last K iterates from K+1 stored rows.

    ``c = z / sum(z)``, ``(U U^T + eps I) z = 1``, ``U`` the K successive differences,
    by a K x K Cholesky written out (np.linalg in numba costs ~20 s of compilation);
    an empty array when the system is degenerate.
    """
    K = wbuf.shape[0] - 1
    m = wbuf.shape[1]
    M = np.zeros((K, K))
    for k in range(K):
        for l in range(k + 1):
            acc = 0.0
            for i in range(m):
                acc += (wbuf[k + 1, i] - wbuf[k, i]) * (wbuf[l + 1, i] - wbuf[l, i])
            M[k, l] = acc
    tr = 0.0
    for k in range(K):
        tr += M[k, k]
    if not tr > 0.0:
        return np.zeros(0)
    for k in range(K):
        M[k, k] += 1e-10 * tr
    # M = L L^T in place (lower triangle), then L L^T z = 1
    for k in range(K):
        for l in range(k):
            M[k, k] -= M[k, l] * M[k, l]
        if not M[k, k] > 0.0:
            return np.zeros(0)
        M[k, k] = np.sqrt(M[k, k])
        for r in range(k + 1, K):
            for l in range(k):
                M[r, k] -= M[r, l] * M[k, l]
            M[r, k] /= M[k, k]
    z = np.ones(K)
    for k in range(K):
        for l in range(k):
            z[k] -= M[k, l] * z[l]
        z[k] /= M[k, k]
    for k in range(K - 1, -1, -1):
        for l in range(k + 1, K):
            z[k] -= M[l, k] * z[l]
        z[k] /= M[k, k]
    sz = 0.0
    for k in range(K):
        sz += z[k]
    if not np.isfinite(sz) or sz == 0.0:
        return np.zeros(0)
    for k in range(K):
        z[k] /= sz
    return z

