"""Matrix decompositions robust to gross errors and outliers."""

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:  # imported on first access, see skstruct/_lazy.py
    from ._outlier_robust_pca import OutlierRobustPCA
    from ._robust_pca import RobustPCA, online_pcp, pcp

__all__ = ["OutlierRobustPCA", "RobustPCA", "online_pcp", "pcp"]

__getattr__, __dir__ = lazy_names(__name__, __file__)
