"""Sparse regression: l1, elastic net, MCP, SCAD, group lasso, multi-task, best subset (l0),
adaptive l1; sparse logistic regression (l1, elastic net, MCP, SCAD).

Every estimator solves penalised least squares with the working-set
coordinate-descent solver of :mod:`skstruct._backend._cd` (block penalties:
:mod:`skstruct._backend._bcd`; l0: its own search), shares scikit-learn's
parametrisation and conventions, and comes with a path function and
cross-validation where they make sense.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:  # imported on first access, see skstruct/_lazy.py
    from ._coordinate_descent import (
        ElasticNet,
        ElasticNetCV,
        Lasso,
        LassoCV,
        enet_path,
        lasso_path,
        nonconvex_path,
    )
    from ._group import GroupLasso, GroupLassoCV
    from ._l0 import L0Regressor, l0_path
    from ._logistic import (
        SparseLogisticRegression,
        SparseLogisticRegressionCV,
        sparse_logistic_path,
    )
    from ._multitask import (
        MultiTaskElasticNet,
        MultiTaskElasticNetCV,
        MultiTaskLasso,
        MultiTaskLassoCV,
    )
    from ._nonconvex import (
        AdaptiveLasso,
        AdaptiveLassoCV,
        MCPRegressor,
        MCPRegressorCV,
        SCADRegressor,
        SCADRegressorCV,
    )

__all__ = [
    "AdaptiveLasso",
    "AdaptiveLassoCV",
    "ElasticNet",
    "ElasticNetCV",
    "GroupLasso",
    "GroupLassoCV",
    "L0Regressor",
    "Lasso",
    "LassoCV",
    "MCPRegressor",
    "MCPRegressorCV",
    "MultiTaskElasticNet",
    "MultiTaskElasticNetCV",
    "MultiTaskLasso",
    "MultiTaskLassoCV",
    "SCADRegressor",
    "SCADRegressorCV",
    "SparseLogisticRegression",
    "SparseLogisticRegressionCV",
    "enet_path",
    "l0_path",
    "lasso_path",
    "nonconvex_path",
    "sparse_logistic_path",
]

__getattr__, __dir__ = lazy_names(__name__, __file__)
