"""Generators of synthetic structured data and a bundled real recording (no download needed)."""

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:  # imported on first access, see skstruct/_lazy.py
    from ._low_rank import make_background_video, make_low_rank_sparse
    from ._real_eeg import load_phyaat_eeg
    from ._spd import make_meeg_signals, make_spd_distributions
    from ._subspaces import make_subspaces

__all__ = [
    "load_phyaat_eeg",
    "make_background_video",
    "make_low_rank_sparse",
    "make_meeg_signals",
    "make_spd_distributions",
    "make_subspaces",
]

__getattr__, __dir__ = lazy_names(__name__, __file__)
