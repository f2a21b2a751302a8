"""A real EEG recording that ships inside a pip package (no download at run time).

The spkit package (MIT licence, ``pip install spkit``) bundles two 16-second
segments of 14-channel Emotiv EEG at 128 Hz from the PhyAAt data set
(auditory attention; https://phyaat.github.io/). They are read from the
installed package's files; spkit itself is not imported.
"""

import importlib.util
import pickle
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

_FILES = {0: "EEG16SecData.pkl", 1: "EEG16sec_artifact.pkl"}
# recording 1 ships with processed versions of the same samples
_SIGNALS = {"raw": "X_raw", "highpass": "X_fil", "ica": "X_ica", "atar_soft": "X_atar_soft",
            "atar_elim": "X_atar_elim"}
_SFREQ = 128.0


_ALLOWED = frozenset({
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
})


class _ArraysOnly(pickle.Unpickler):
    """Unpickler that rebuilds numpy arrays and builtins, nothing else."""

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"unexpected object {module}.{name} in the data file")
        return super().find_class(module, name)


def _spkit_data_dir():
    """Folder of spkit's bundled data files, or None when spkit is not installed."""
    spec = importlib.util.find_spec("spkit")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "files"


@validate_params(
    {
        "recording": [Interval(Integral, 0, 1, closed="both")],
        "signal": [StrOptions(set(_SIGNALS))],
    },
    prefer_skip_nested_validation=True,
)
def load_phyaat_eeg(recording=0, *, signal="raw"):
    """Load a 16-second, 14-channel real EEG recording bundled with spkit.

    Two segments of Emotiv EPOC recordings (128 Hz, channels AF3 ... AF4)
    from the PhyAAt auditory-attention data set ship inside the spkit wheel
    (``pip install spkit``, or ``pip install skstruct[eeg]``); nothing is
    downloaded. They are different segments (different amplitudes and
    spectra), usable as two sessions for domain adaptation. The recordings
    carry no labels.

    Parameters
    ----------
    recording : {0, 1}, default=0
        Which segment.
    signal : {"raw", "highpass", "ica", "atar_soft", "atar_elim"}, default="raw"
        For ``recording=1``: the raw samples or spkit's processed versions
        (0.5 Hz high-pass, ICA artifact removal, ATAR artifact removal in
        soft or elimination mode). ``recording=0`` ships raw only.

    Returns
    -------
    data : Bunch
        ``data``: ndarray of shape (14, 2048), microvolts (channels first,
        as :class:`~skstruct.spd.Covariances` expects per trial);
        ``sfreq``: 128.0; ``ch_names``: list of 14 str; ``recording``,
        ``signal``; ``DESCR``.

    Raises
    ------
    ImportError
        When spkit is not installed.
    ValueError
        When ``recording=0`` and ``signal`` is not "raw".

    Examples
    --------
    >>> from skstruct.datasets import load_phyaat_eeg
    >>> eeg = load_phyaat_eeg()  # doctest: +SKIP
    >>> eeg.data.shape  # doctest: +SKIP
    (14, 2048)
    """
    if recording == 0 and signal != "raw":
        raise ValueError(f"recording 0 ships raw samples only, got signal={signal!r}; "
                         "processed versions exist for recording=1.")
    folder = _spkit_data_dir()
    if folder is None:
        raise ImportError("load_phyaat_eeg reads the EEG files bundled with spkit, which is not "
                          "installed: pip install spkit (or skstruct[eeg]).")
    path = folder / _FILES[recording]
    with open(path, "rb") as f:
        content = _ArraysOnly(f).load()
    if recording == 0:
        X, ch_names = content
    else:
        X, ch_names = content[_SIGNALS[signal]], content["ch_names"]
    X = np.ascontiguousarray(np.asarray(X, dtype=np.float64).T)
    ch_names = [str(c) for c in ch_names]
    if X.shape[0] != len(ch_names) or not np.all(np.isfinite(X)):
        raise ValueError(f"{path}: unexpected content (shape {X.shape}, {len(ch_names)} names).")
    descr = (f"PhyAAt EEG segment {recording} ({signal}) bundled with spkit: "
             f"{X.shape[0]} channels, {X.shape[1] / _SFREQ:g} s at {_SFREQ:g} Hz (Emotiv EPOC).")
    return Bunch(data=X, sfreq=_SFREQ, ch_names=ch_names, recording=recording, signal=signal,
                 DESCR=descr)
