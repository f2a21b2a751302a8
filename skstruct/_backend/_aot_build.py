"""Build of the extension module of compiled kernels (``skstruct._backend._aot``).

``setup.py`` calls :func:`extension` at install: it imports every backend module (so
every :class:`~skstruct._backend._compiled.Kernel` is registered) and hands numba's
ahead-of-time compiler (``numba.pycc``) each kernel's Python function with its
signature, plus ``source_stamp()``, the hash of the sources it was built from. The
target is a generic CPU of the platform (no instruction set beyond the baseline), so
results do not depend on which CPU built the module. Each kernel keeps its own
numba options: ``nogil`` releases the GIL in its wrapper (threaded callers run in
parallel), ``error_model`` as given (``"python"`` otherwise).
"""

import atexit
import importlib
import os
import pkgutil
import shutil
import tempfile
import warnings
from pathlib import Path

_SKIP = {"_aot", "_aot_build"}


def _register_all():
    from . import _compiled

    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name not in _SKIP:
            importlib.import_module(f"{__package__}.{info.name}")
    return _compiled


def _keep_kernel_options(options_of):
    """Make numba.pycc compile each exported function with its dispatcher's options."""
    import numba.pycc.compiler as pycc_compiler

    plain = pycc_compiler.compile_extra

    def compile_extra(typingctx, targetctx, func, args, return_type, flags, locals, **kw):
        opts = options_of.get(func, {})
        flags = flags.copy()
        flags.release_gil = bool(opts.get("nogil", False))
        flags.error_model = opts.get("error_model", "python")
        return plain(typingctx, targetctx, func, args, return_type, flags, locals, **kw)

    pycc_compiler.compile_extra = compile_extra


def _stamp_function(stamp):
    def source_stamp():
        return stamp

    return source_stamp


def compiler():
    """The ``numba.pycc.CC`` of every registered kernel and the source stamp."""
    # callees are compiled afresh (not loaded from numba's cache as object code, which
    # an ahead-of-time module cannot link), their cache files removed when the build ends
    import numba

    numba.config.CACHE_DIR = tempfile.mkdtemp(prefix="skstruct-aot-")
    atexit.register(shutil.rmtree, numba.config.CACHE_DIR, True)
    from numba.pycc import CC

    compiled = _register_all()
    cc = CC("_aot", __name__)  # written beside this module
    cc.verbose = bool(os.environ.get("SKSTRUCT_AOT_VERBOSE"))
    options = {}
    for name, kernel in compiled.REGISTRY.items():
        cc.export(name, kernel.signature)(kernel.jit.py_func)
        options[kernel.jit.py_func] = kernel.jit.targetoptions
    cc.export("source_stamp", "i8()")(_stamp_function(compiled.source_stamp()))
    _keep_kernel_options(options)
    return cc


def extension():
    """The setuptools extension, optional: without a C compiler the install goes on and
    the kernels are compiled by numba's JIT on first use. None (no extension, the same
    fallback) when this numba has no ahead-of-time compiler."""
    try:
        import numba.pycc  # noqa: F401
    except ImportError as exc:
        warnings.warn(f"skstruct: no ahead-of-time build of the kernels ({exc}); numba will "
                      "compile each on its first call")
        return None
    return compiler().distutils_extension(optional=True)


if __name__ == "__main__":  # an in-place build: python -m skstruct._backend._aot_build
    compiler().compile()
