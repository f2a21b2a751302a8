"""``verbose`` on the iterative estimators of skstruct.linear_model: quiet by default,
progress lines on stdout with verbose=1 (per fit, stage, support size or fold)."""

import numpy as np
import pytest

from skstruct.linear_model import (
    AdaptiveLasso,
    AdaptiveLassoCV,
    ElasticNet,
    ElasticNetCV,
    GroupLasso,
    GroupLassoCV,
    L0Regressor,
    Lasso,
    LassoCV,
    MCPRegressor,
    MCPRegressorCV,
    SCADRegressor,
    SCADRegressorCV,
)

ESTIMATORS = [
    (Lasso, {"alpha": 0.1}, "epochs"),
    (ElasticNet, {"alpha": 0.1}, "epochs"),
    (MCPRegressor, {"alpha": 0.1}, "epochs"),
    (SCADRegressor, {"alpha": 0.1}, "epochs"),
    (AdaptiveLasso, {"alpha": 0.1}, "stage 1"),
    (GroupLasso, {"alpha": 0.1, "groups": 2}, "epochs"),
    (L0Regressor, {}, "size   1"),
    (LassoCV, {"alphas": 5, "cv": 3}, "fold 3/3"),
    (ElasticNetCV, {"alphas": 5, "cv": 3}, "fold 3/3"),
    (MCPRegressorCV, {"alphas": 5, "cv": 3}, "fold 3/3"),
    (SCADRegressorCV, {"alphas": 5, "cv": 3}, "fold 3/3"),
    (AdaptiveLassoCV, {"alphas": 5, "cv": 3}, "fold 3/3"),
    (GroupLassoCV, {"alphas": 5, "cv": 3}, "fold 3/3"),
]


@pytest.mark.parametrize("cls, params, marker", ESTIMATORS,
                         ids=[c[0].__name__ for c in ESTIMATORS])
def test_verbose_prints_only_when_asked(cls, params, marker, capsys):
    rng = np.random.RandomState(0)
    X = rng.randn(60, 8)
    y = X[:, 0] - 2 * X[:, 3] + 0.1 * rng.randn(60)
    assert cls().get_params()["verbose"] == 0
    cls(**params).fit(X, y)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    cls(verbose=1, **params).fit(X, y)
    out = capsys.readouterr().out
    assert marker in out and cls.__name__ in out
    if "cv" in params:  # one line per fold and the refit; per alpha only from verbose=2
        assert "refit at alpha=" in out and "path: alpha" not in out
        cls(verbose=2, **params).fit(X, y)
        assert "path: alpha   5/5" in capsys.readouterr().out
