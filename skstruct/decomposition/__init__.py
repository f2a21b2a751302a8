"""Matrix decompositions robust to gross errors and outliers."""

from ._outlier_robust_pca import OutlierRobustPCA
from ._robust_pca import RobustPCA, pcp

__all__ = ["OutlierRobustPCA", "RobustPCA", "pcp"]
