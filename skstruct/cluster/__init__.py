"""Clustering: subspace clustering by self-expression, and KDE mode clustering."""

__all__ = []
