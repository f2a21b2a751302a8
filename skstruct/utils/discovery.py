"""Discovery of the public estimators of skstruct."""

import importlib
import inspect

from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClusterMixin,
    RegressorMixin,
    TransformerMixin,
)

_PUBLIC_SUBPACKAGES = [
    "cluster",
    "decomposition",
    "density",
    "linear_model",
    "mixture",
    "spd",
]

_TYPE_MIXINS = {
    "classifier": ClassifierMixin,
    "regressor": RegressorMixin,
    "transformer": TransformerMixin,
    "cluster": ClusterMixin,
}


def all_estimators(type_filter=None):
    """List the public estimators of skstruct.

    An estimator is public when it is a concrete subclass of
    :class:`sklearn.base.BaseEstimator` listed in the ``__all__`` of one of the
    public subpackages. Subpackages that do not exist yet are skipped.

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "transformer", "cluster"} or list of them, default=None
        Keep only estimators of these types (the union over a list).

    Returns
    -------
    estimators : list of (name, class) tuples
        Sorted by name.
    """
    if isinstance(type_filter, str):
        type_filter = [type_filter]
    if type_filter is not None:
        unknown = set(type_filter) - set(_TYPE_MIXINS)
        if unknown:
            raise ValueError(
                f"type_filter must be among {sorted(_TYPE_MIXINS)} or None, got {sorted(unknown)}."
            )
    found = {}
    for sub in _PUBLIC_SUBPACKAGES:
        try:
            module = importlib.import_module(f"skstruct.{sub}")
        except ModuleNotFoundError as exc:
            if exc.name == f"skstruct.{sub}":
                continue
            raise
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and not inspect.isabstract(obj)
                and not name.startswith("_")
            ):
                found[name] = obj
    estimators = sorted(found.items())
    if type_filter is not None:
        mixins = tuple(_TYPE_MIXINS[t] for t in type_filter)
        estimators = [(n, c) for n, c in estimators if issubclass(c, mixins)]
    return estimators
