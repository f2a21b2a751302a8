"""Matrix decompositions robust to gross errors and outliers."""

from ._robust_pca import RobustPCA, pcp

__all__ = ["RobustPCA", "pcp"]
