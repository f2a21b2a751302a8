"""Incremental Gaussian mixtures: one-pass density, regression and classification."""

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:  # imported on first access, see skstruct/_lazy.py
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

__getattr__, __dir__ = lazy_names(__name__, __file__)
