"""Density estimation: modes of kernel density estimates."""

from ._kde_modes import KDEModeFinder

__all__ = ["KDEModeFinder"]
