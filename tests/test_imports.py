"""Imports stay cheap: subpackages load their modules on first access, and
nothing is compiled at import (issue 19)."""

import importlib
import subprocess
import sys

import pytest

SUBPACKAGES = ["cluster", "datasets", "decomposition", "density", "linear_model", "mixture",
               "spd"]


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_public_names_resolve(sub):
    module = importlib.import_module(f"skstruct.{sub}")
    assert set(module.__all__) <= set(dir(module))
    for name in module.__all__:
        obj = getattr(module, name)
        assert getattr(obj, "__name__", name) == name
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        module.not_a_name


def _run(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def test_subpackage_import_loads_no_numba():
    mods = ", ".join(f"skstruct.{sub}" for sub in SUBPACKAGES)
    assert _run(f"import sys, skstruct, {mods}; print('numba' in sys.modules)") == "False"


def test_nothing_compiles_at_import():
    code = (
        "import sys\n"
        + "".join(f"from skstruct.{sub} import *\n" for sub in SUBPACKAGES)
        + "from numba.core.registry import CPUDispatcher\n"
        "found = [v for m in list(sys.modules.values()) if m and m.__name__.startswith('skstruct')\n"
        "         for v in vars(m).values() if isinstance(v, CPUDispatcher)]\n"
        "print(len(found) > 0, sum(len(d.overloads) for d in found))\n"
    )
    assert _run(code) == "True 0"
