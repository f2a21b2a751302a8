"""Distributions of SPD matrices: covariances, sliced-Wasserstein distances, kernels.

* :class:`Covariances` turns multichannel signals into (augmented) covariance matrices.
* :func:`spd_sliced_wasserstein` and :func:`spd_sliced_wasserstein_pairwise` compute the
  sliced-Wasserstein distance on the SPD cone (Bonet et al., 2023), with an optional
  control-variate estimator (Nguyen & Ho, 2024).
* :class:`SPDSWAlignment` moves the SPD matrices of a source domain (session,
  subject) onto a target domain by minimizing SPDSW (domain adaptation).
* :class:`SPDSWEmbedding` and :class:`SPDSWKernel` turn each set of SPD matrices (one
  sample) into features or kernel values for any scikit-learn model.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:  # imported on first access, see skstruct/_lazy.py
    from ._alignment import SPDSWAlignment, spdsw_align
    from ._covariance import Covariances, delay_embed
    from ._embedding import SPDSWEmbedding, SPDSWKernel
    from ._sliced import SPDProjections, spd_sliced_wasserstein, spd_sliced_wasserstein_pairwise

__all__ = [
    "Covariances",
    "SPDProjections",
    "SPDSWAlignment",
    "SPDSWEmbedding",
    "SPDSWKernel",
    "delay_embed",
    "spd_sliced_wasserstein",
    "spd_sliced_wasserstein_pairwise",
    "spdsw_align",
]

__getattr__, __dir__ = lazy_names(__name__, __file__)
