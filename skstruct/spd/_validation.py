"""Validation of SPD matrices, sets of SPD matrices and collections of sets."""

import numbers

import numpy as np
import scipy.sparse as sp

from .._backend._spd import is_spd


def _as_real_array(X, name):
    if sp.issparse(X) or hasattr(X, "toarray") and not isinstance(X, np.ndarray):
        raise TypeError(f"{name}: sparse input is not supported; pass dense arrays.")
    try:
        arr = np.asarray(X)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{name}: could not be converted to an array ({exc}).") from None
    if arr.dtype.kind == "c":
        raise ValueError(f"{name}: complex data is not supported.")
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name}: object array could not be converted to float; pass numeric arrays."
            ) from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected numeric data, got dtype {arr.dtype}.")
    return arr


def check_spd_set(X, name="X", *, dtype=np.float64, check_spd=True, symmetrize=True,
                  return_eigh=False):
    """Validate a set of SPD matrices.

    Parameters
    ----------
    X : array-like of shape (n_matrices, n, n)
    name : str
        Used in error messages.
    dtype : numpy dtype, default=float64
    check_spd : bool, default=True
    symmetrize : bool, default=True
    return_eigh : bool, default=False
        Also return the eigendecomposition ``(w, V)`` of the symmetrized
        matrices (used for the SPD check, reusable for logarithms).

    Returns
    -------
    X : ndarray of shape (n_matrices, n, n)
        Copy in ``dtype`` (symmetrized unless ``symmetrize=False``).
    eigh : tuple (w, V)
        Only with ``return_eigh``.
    """
    arr = _as_real_array(X, name)
    if arr.ndim != 3:
        raise ValueError(
            f"{name}: expected a 3-D array of shape (n_matrices, n, n), got {arr.ndim}-D "
            f"with shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name}: empty set (0 matrices); at least one is required.")
    if arr.shape[1] != arr.shape[2] or arr.shape[1] == 0:
        raise ValueError(f"{name}: matrices must be square and non-empty, got {arr.shape[1:]}.")
    arr = arr.astype(dtype, copy=True)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinity.")
    eig = np.linalg.eigh(0.5 * (arr + np.swapaxes(arr, 1, 2))) if return_eigh else None
    if check_spd:
        ok, symmetric = is_spd(arr, eigvals=None if eig is None else eig[0])
        if not np.all(ok):
            i = int(np.flatnonzero(~ok)[0])
            what = "not symmetric" if not symmetric[i] else "not positive definite"
            raise ValueError(
                f"{name}: {int(np.sum(~ok))} of {arr.shape[0]} matrices are not SPD "
                f"(matrix {i} is {what}). Use a shrinkage covariance (e.g. Ledoit-Wolf) or "
                "add a ridge to make them positive definite."
            )
    out = 0.5 * (arr + np.swapaxes(arr, 1, 2)) if symmetrize else arr
    return (out, eig) if return_eigh else out


def check_weights(w, n, name="weights"):
    """Validate nonnegative weights of length ``n``; return them normalized (or None)."""
    if w is None:
        return None
    w = _as_real_array(w, name).astype(np.float64)
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"{name}: expected shape ({n},), got {w.shape}.")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"{name}: must be finite, nonnegative and sum to a positive value.")
    return w / w.sum()


def check_spd_collection(X, name="X", *, n_channels=None, return_eigh=False):
    """Validate a collection of sets of SPD matrices (one set per sample).

    Accepted forms: a 4-D array ``(n_sets, n_matrices, n, n)``; a list (or
    1-D object array) of arrays ``(n_matrices_i, n, n)`` with possibly
    different ``n_matrices_i`` (a ``(n, n)`` item is a set of one matrix); a
    3-D array ``(n_sets, n, n)``, read as sets of one matrix each.

    Returns
    -------
    sets : list of ndarray of shape (n_matrices_i, n, n)
        float64, symmetrized, SPD-checked.
    float32 : bool
        Whether every input set was float32 (so outputs can be cast back).
    eigh : tuple (w, V) of ndarrays of shapes (N, n) and (N, n, n), or None
        None unless ``return_eigh``: eigendecomposition of all ``N`` matrices,
        stacked in order (computed once for the SPD check and reusable for
        matrix logarithms).
    """
    if sp.issparse(X):
        raise TypeError(f"{name}: sparse input is not supported; pass dense arrays.")
    if isinstance(X, (str, bytes, numbers.Number)) or X is None:
        raise ValueError(f"{name}: expected a collection of sets of SPD matrices, got {X!r}.")
    if isinstance(X, np.ndarray) and X.dtype.kind != "O":
        arr = _as_real_array(X, name)
        if arr.ndim == 4:
            items = list(arr)
        elif arr.ndim == 3:
            items = list(arr[:, None])
        else:
            raise ValueError(
                f"{name}: expected a 4-D array (n_sets, n_matrices, n, n), a 3-D array "
                f"(n_sets, n, n) or a list of 3-D arrays; got a {arr.ndim}-D array with "
                f"shape {arr.shape}."
            )
    else:
        try:
            items = list(X)
        except TypeError:
            raise TypeError(f"{name}: expected an array or a list of arrays, got "
                            f"{type(X).__name__}.") from None
    if len(items) == 0:
        raise ValueError(f"{name}: empty collection (0 sets); at least one is required.")
    sets, f32 = [], True
    for i, item in enumerate(items):
        arr = _as_real_array(item, f"{name}[{i}]")
        if arr.ndim == 2:
            arr = arr[None]
        f32 &= arr.dtype == np.float32
        sets.append(check_spd_set(arr, f"{name}[{i}]", check_spd=False, symmetrize=False))
    sizes = {s.shape[1] for s in sets}
    if len(sizes) > 1:
        raise ValueError(
            f"{name}: all matrices must have the same size, got sizes {sorted(sizes)}."
        )
    if n_channels is not None and sizes != {n_channels}:
        raise ValueError(
            f"{name}: matrices are {sets[0].shape[1]}x{sets[0].shape[1]} but the estimator was "
            f"fitted on {n_channels}x{n_channels} matrices."
        )
    allm = np.concatenate(sets, axis=0)
    eig = np.linalg.eigh(0.5 * (allm + np.swapaxes(allm, 1, 2))) if return_eigh else None
    ok, symmetric = is_spd(allm, eigvals=None if eig is None else eig[0])
    if not np.all(ok):
        j = int(np.flatnonzero(~ok)[0])
        bounds = np.cumsum([s.shape[0] for s in sets])
        i = int(np.searchsorted(bounds, j, side="right"))
        what = "not symmetric" if not symmetric[j] else "not positive definite"
        raise ValueError(
            f"{name}: {int(np.sum(~ok))} matrices are not SPD (first in set {i}, which is "
            f"{what}). Use a shrinkage covariance (e.g. Ledoit-Wolf) or add a ridge."
        )
    sets = [0.5 * (s + np.swapaxes(s, 1, 2)) for s in sets]
    return sets, bool(f32), eig


def _is_band_list(item):
    """A per-sample list/tuple of bands: its first element is a 3-D array (a set)."""
    if not isinstance(item, (list, tuple)) or len(item) == 0:
        return False
    first = item[0]
    return isinstance(first, np.ndarray) and first.ndim == 3


def check_spd_bands(X, name="X", *, n_channels=None, n_bands=None, return_eigh=False):
    """Validate a collection of samples, each holding one set of SPD matrices per band.

    Accepted forms:

    * multi-band: a 5-D array ``(n_sets, n_bands, n_matrices, n, n)``; or a
      list (one item per sample) of 4-D arrays ``(n_bands, n_matrices_i, n, n)``
      or of lists of ``n_bands`` 3-D arrays ``(n_matrices_ib, n, n)`` (ragged
      sizes allowed);
    * one band: every form of :func:`check_spd_collection`.

    Every sample must have the same number of bands and every matrix the
    same size.

    Parameters
    ----------
    X : see above
    name : str
    n_channels : int, default=None
        Expected matrix size (from ``fit``).
    n_bands : int, default=None
        Expected number of bands (from ``fit``).
    return_eigh : bool, default=False

    Returns
    -------
    bands : list of length n_bands of lists of ndarray of shape (n_matrices, n, n)
        ``bands[b][i]``: set of sample ``i`` in band ``b`` (validated by
        :func:`check_spd_collection`).
    float32 : bool
    eighs : list of length n_bands of (w, V) or None
    """
    multi = None
    if isinstance(X, np.ndarray) and X.dtype.kind != "O":
        if X.ndim == 5:
            multi = [list(X[:, b]) for b in range(X.shape[1])]
    elif not sp.issparse(X) and isinstance(X, (list, tuple, np.ndarray)) and len(X) > 0:
        first = X[0]
        if _is_band_list(first) or (isinstance(first, np.ndarray) and first.ndim == 4):
            items = []
            for i, item in enumerate(X):
                if isinstance(item, np.ndarray) and item.ndim == 4:
                    item = list(item)
                elif not _is_band_list(item):
                    raise ValueError(
                        f"{name}[{i}]: expected the bands of one sample (a 4-D array or a "
                        f"list of 3-D arrays) like {name}[0], got {type(item).__name__}."
                    )
                items.append(item)
            counts = {len(item) for item in items}
            if len(counts) > 1:
                bad = next(i for i, item in enumerate(items) if len(item) != len(items[0]))
                raise ValueError(
                    f"{name}: every sample must have the same number of bands; {name}[0] has "
                    f"{len(items[0])}, {name}[{bad}] has {len(items[bad])}."
                )
            multi = [[item[b] for item in items] for b in range(len(items[0]))]
    if multi is None:
        sets, f32, eig = check_spd_collection(X, name, n_channels=n_channels,
                                              return_eigh=return_eigh)
        bands, f32s, eighs = [sets], [f32], [eig]
    else:
        bands, f32s, eighs = [], [], []
        for b, band in enumerate(multi):
            sets, f32, eig = check_spd_collection(band, f"{name} (band {b})",
                                                  return_eigh=return_eigh)
            bands.append(sets)
            f32s.append(f32)
            eighs.append(eig)
        sizes = [s[0].shape[1] for s in bands]
        if len(set(sizes)) > 1:
            raise ValueError(
                f"{name}: all bands must hold matrices of the same size, got "
                f"{', '.join(f'{k}x{k}' for k in sizes)} for bands 0..{len(sizes) - 1}."
            )
    if n_bands is not None and len(bands) != n_bands:
        raise ValueError(
            f"{name}: {len(bands)} band(s) per sample but the estimator was fitted on {n_bands}."
        )
    if n_channels is not None and bands[0][0].shape[1] != n_channels:
        k = bands[0][0].shape[1]
        raise ValueError(
            f"{name}: matrices are {k}x{k} but the estimator was fitted on "
            f"{n_channels}x{n_channels} matrices."
        )
    return bands, all(f32s), eighs
