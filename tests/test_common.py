"""scikit-learn's common checks over every public skstruct estimator."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skstruct.utils import all_estimators
from skstruct.utils._test_common import expected_failed_checks, make_instance

ESTIMATORS = [make_instance(cls) for _, cls in all_estimators()]


def test_estimators_discovered():
    names = {name for name, _ in all_estimators()}
    assert "RobustPCA" in names


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_all_estimators_type_filter():
    transformers = {n for n, _ in all_estimators(type_filter="transformer")}
    assert "RobustPCA" in transformers
    with pytest.raises(ValueError, match="type_filter"):
        all_estimators(type_filter="nonsense")
