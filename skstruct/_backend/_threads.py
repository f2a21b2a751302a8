"""BLAS thread limits from one cached threadpool controller.

A fresh ``threadpool_limits`` rescans the loaded libraries on every call (about 20 ms
on a loaded machine); the solvers enter a limit on every fit, so they share one
controller, made on first use (not at import).
"""

from threadpoolctl import ThreadpoolController

_CONTROLLER = []


def blas_limit(limits):
    """A context manager holding BLAS to ``limits`` threads (None: no limit)."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=limits, user_api="blas")
