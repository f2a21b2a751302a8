"""Generators of synthetic structured data (no download needed)."""

from ._low_rank import make_low_rank_sparse

__all__ = ["make_low_rank_sparse"]
