"""Build of skstruct's compiled kernels (the rest of the metadata is in pyproject.toml).

The numba kernels are compiled ahead of time into ``skstruct._backend._aot`` at
install, so a fresh install does not compile on first use (issue 19). The extension
is optional: without a C compiler the install goes on and numba compiles each kernel
on its first call instead.
"""

import os
import sys

from setuptools import setup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from skstruct._backend._aot_build import extension  # noqa: E402

ext = extension()
setup(ext_modules=[] if ext is None else [ext])
