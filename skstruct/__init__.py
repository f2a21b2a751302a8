"""skstruct: scikit-learn-compatible estimators for data with structure.

Subpackages are imported lazily, so ``import skstruct`` stays cheap::

    >>> import skstruct
    >>> skstruct.decomposition.RobustPCA  # doctest: +SKIP
"""

import importlib

__version__ = "0.1.0.dev0"

_SUBPACKAGES = [
    "cluster",
    "datasets",
    "decomposition",
    "density",
    "linear_model",
    "mixture",
    "spd",
    "utils",
]

__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"skstruct.{name}")
    raise AttributeError(f"module 'skstruct' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
