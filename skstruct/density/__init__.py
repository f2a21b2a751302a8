"""Density estimation: modes of kernel density estimates."""

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:  # imported on first access, see skstruct/_lazy.py
    from ._kde_modes import KDEModeFinder

__all__ = ["KDEModeFinder"]

__getattr__, __dir__ = lazy_names(__name__, __file__)
