"""Lazy public names for the subpackages: importing one costs almost nothing.

A subpackage lists its public names in ordinary ``from .module import name``
statements under ``if TYPE_CHECKING:`` (so readers, IDEs and type checkers see
them) and ends with ``__getattr__, __dir__ = lazy_names(__name__, __file__)``.
The private module holding a name is imported on its first access; until then
neither it nor what it needs (numba, scipy.signal, scikit-learn's model
selection) is loaded (issue 19: each eager import cost 0.3-0.6 s).
"""

import ast
import importlib


def _type_checking_imports(path):
    """``{name: relative module}`` of the ``from .x import name`` lines under
    ``if TYPE_CHECKING:`` in the source file ``path``."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    names = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.level == 1:
                    for alias in stmt.names:
                        names[alias.asname or alias.name] = "." + stmt.module
    return names


def lazy_names(package, path):
    """Module ``__getattr__`` and ``__dir__`` for ``package`` (its ``__name__``)
    whose ``__init__`` is the file ``path``.

    Returns
    -------
    getattr_ : callable
        Imports the module of a public name on first access and returns the
        name (the module then caches it in its globals).
    dir_ : callable
        The public names, as ``dir()`` of an eager package would list them.
    """
    where = _type_checking_imports(path)
    module = importlib.import_module(package)

    def getattr_(name):
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where[name], package), name)
        setattr(module, name, value)
        return value

    def dir_():
        return sorted(set(vars(module)) | set(where))

    return getattr_, dir_
