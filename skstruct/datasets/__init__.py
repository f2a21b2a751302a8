"""Generators of synthetic structured data (no download needed)."""

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:  # imported on first access, see skstruct/_lazy.py
    from ._low_rank import make_low_rank_sparse
    from ._spd import make_meeg_signals, make_spd_distributions
    from ._subspaces import make_subspaces

__all__ = ["make_low_rank_sparse", "make_meeg_signals", "make_spd_distributions", "make_subspaces"]

__getattr__, __dir__ = lazy_names(__name__, __file__)
