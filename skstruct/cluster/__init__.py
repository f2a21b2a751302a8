"""Clustering: subspace clustering by self-expression, and KDE mode clustering."""

from ._mode_clustering import ModeClustering

__all__ = ["ModeClustering"]
