"""The tour behind ``python -m skstruct``.

Each family contributes one module here, named after the family, defining
``TITLE`` (a short description) and ``run()`` that fits the family's main
estimator on data needing no download and returns one line: what it found
and a quality figure. The tour adds the time.
"""

import importlib
import pkgutil

# Display order; modules present but not listed come after, alphabetically.
ORDER = [
    "robust_pca",
    "outlier_robust_pca",
    "subspace_clustering",
    "spd_sliced_wasserstein",
    "incremental_gmm",
    "sparse_regression",
    "kde_modes",
]


def available_families():
    """Names of the families that have a tour module, in display order."""
    found = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}
    listed = [name for name in ORDER if name in found]
    return listed + sorted(found - set(listed))


def load(family):
    """The tour module of ``family``."""
    return importlib.import_module(f"{__name__}.{family}")
