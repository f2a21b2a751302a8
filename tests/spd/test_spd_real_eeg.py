"""load_phyaat_eeg: the EEG recording bundled with spkit, read without importing spkit."""

import importlib.util
import pickle

import numpy as np
import pytest

from skstruct.datasets import _real_eeg, load_phyaat_eeg
from skstruct.spd import Covariances, spd_sliced_wasserstein

NAMES = ["AF3", "F7", "F3", "FC5", "T7", "P7", "O1", "O2", "P8", "T8", "FC6", "F4", "F8", "AF4"]
needs_spkit = pytest.mark.skipif(importlib.util.find_spec("spkit") is None,
                                 reason="spkit (which ships the recording) is not installed")


@pytest.fixture
def fake_spkit(tmp_path, monkeypatch):
    """Files laid out as spkit ships them: (X, names) and a dict of versions, samples first."""
    rng = np.random.RandomState(0)
    X0 = rng.randn(2048, 14)
    versions = {k: rng.randn(2048, 14) for k in _real_eeg._SIGNALS.values()}
    with open(tmp_path / "EEG16SecData.pkl", "wb") as f:
        pickle.dump((X0, NAMES), f)
    with open(tmp_path / "EEG16sec_artifact.pkl", "wb") as f:
        pickle.dump({**versions, "fs": 128, "ch_names": NAMES, "info": "x"}, f)
    monkeypatch.setattr(_real_eeg, "_spkit_data_dir", lambda: tmp_path)
    return tmp_path, X0, versions


def test_reads_files_channels_first(fake_spkit):
    _, X0, versions = fake_spkit
    b = load_phyaat_eeg()
    np.testing.assert_array_equal(b.data, X0.T)
    assert b.data.flags.c_contiguous and b.sfreq == 128.0 and b.ch_names == NAMES
    for signal, key in _real_eeg._SIGNALS.items():
        np.testing.assert_array_equal(load_phyaat_eeg(1, signal=signal).data, versions[key].T)


def test_refuses_other_objects_in_the_file(fake_spkit):
    folder = fake_spkit[0]
    with open(folder / "EEG16SecData.pkl", "wb") as f:
        pickle.dump((np.zeros((3, 14)), NAMES, np.random.RandomState), f)  # a class: not data
    with pytest.raises(pickle.UnpicklingError, match="unexpected object"):
        load_phyaat_eeg()


def test_errors(monkeypatch, fake_spkit):
    with pytest.raises(ValueError, match="raw samples only"):
        load_phyaat_eeg(0, signal="ica")
    with pytest.raises(ValueError, match="recording"):
        load_phyaat_eeg(2)
    monkeypatch.setattr(_real_eeg, "_spkit_data_dir", lambda: None)
    with pytest.raises(ImportError, match="pip install spkit"):
        load_phyaat_eeg()


@needs_spkit
def test_bundled_recording():
    a, b = load_phyaat_eeg(0), load_phyaat_eeg(1)
    for rec in (a, b):
        assert rec.data.shape == (14, 2048) and rec.ch_names == NAMES
        assert np.all(np.isfinite(rec.data)) and np.all(rec.data.std(axis=1) > 0.1)  # no flat channel
    assert not np.allclose(a.data, b.data)  # two different segments
    for signal in ("highpass", "ica", "atar_soft", "atar_elim"):
        assert load_phyaat_eeg(1, signal=signal).data.shape == (14, 2048)
    # 1-s windows give SPD covariances; the two segments are farther apart than two
    # halves of segment 1
    def windows(x):
        return np.stack([x[:, i:i + 128] for i in range(0, 2048 - 127, 64)])

    Ca, Cb = (Covariances(estimator="oas").fit_transform(windows(r.data)) for r in (a, b))
    half = Cb.shape[0] // 2
    d_between = spd_sliced_wasserstein(Ca, Cb, random_state=0)
    d_within = spd_sliced_wasserstein(Cb[:half], Cb[half:], random_state=0)
    assert d_between > d_within
