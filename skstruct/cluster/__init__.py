"""Clustering: subspace clustering by self-expression, and KDE mode clustering."""

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
