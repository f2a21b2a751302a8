"""Clustering: subspace clustering by self-expression, and KDE mode clustering."""

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:  # imported on first access, see skstruct/_lazy.py
    from ._mode_clustering import ModeClustering
    from ._spectral import affinity_from_coefficients, spectral_clustering_from_affinity
    from ._subspace_clustering import (
        ElasticNetSubspaceClustering,
        LeastSquaresSubspaceClustering,
        LowRankRepresentation,
        OMPSubspaceClustering,
        SparseSubspaceClustering,
        ThresholdingSubspaceClustering,
    )

__all__ = [
    "ModeClustering",
    "ElasticNetSubspaceClustering",
    "LeastSquaresSubspaceClustering",
    "LowRankRepresentation",
    "OMPSubspaceClustering",
    "SparseSubspaceClustering",
    "ThresholdingSubspaceClustering",
    "affinity_from_coefficients",
    "spectral_clustering_from_affinity",
]

__getattr__, __dir__ = lazy_names(__name__, __file__)
