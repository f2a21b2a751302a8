"""Incremental Gaussian mixtures: one-pass density, regression and classification."""

from ._incremental_gmm import IncrementalGaussianMixture
from ._supervised import (
    IncrementalGaussianMixtureClassifier,
    IncrementalGaussianMixtureRegressor,
)

__all__ = [
    "IncrementalGaussianMixture",
    "IncrementalGaussianMixtureClassifier",
    "IncrementalGaussianMixtureRegressor",
]
