"""Compiled kernels: built ahead of time at install, numba's JIT where that build is missing.

Every numba kernel that Python code calls is registered (:func:`register`) with a name
and the one signature it is called with. ``pip install`` compiles all of
them into one extension module, ``skstruct._backend._aot`` (``setup.py`` calls
:func:`skstruct._backend._aot_build.extension`: numba's ahead-of-time compiler, the
same source, generic CPU target), so that the first fit in a fresh install compiles
nothing (issue 19: 2 to 6 s of compilation per estimator otherwise).

A kernel runs its dispatcher instead (compiled on first call and cached on disk, the
same code) when

* the extension is missing (no C compiler at install, a source tree on ``sys.path``);
* it was built from other sources than the ones imported (an edited checkout: the
  extension carries a hash of ``skstruct/_backend/*.py``; rebuild with
  ``pip install -e .``);
* ``SKSTRUCT_AOT=0`` is set;
* a call's arguments do not have the kernel's types (an ahead-of-time function does
  not check them: a wrong dtype would read memory as another type). With
  ``SKSTRUCT_AOT=strict`` (the test suite) a missing or stale extension and such a
  call raise instead, so the tests run the extension and every call site is checked
  against its signature.

The call goes through the numba dispatcher either way: on the first call with new
argument types the dispatcher asks its ``_compile_for_args`` for a function, and the
registered kernel answers with the extension's function when the types are the
signature's (inserting it in the dispatcher's table, so later calls with these types
reach it from numba's C dispatch, as fast as a JIT-compiled overload), or compiles.
"""

import hashlib
import importlib
import inspect
import os
import threading
from pathlib import Path

from numba import typeof, types
from numba.core.sigutils import normalize_signature

# argument types of kernel signatures (arrays C-contiguous)
f8, i8, b1, void = types.float64, types.int64, types.boolean, types.void
F1, F2, F3 = types.float64[::1], types.float64[:, ::1], types.float64[:, :, ::1]
I1, I2 = types.int64[::1], types.int64[:, ::1]
J1 = types.int32[::1]  # scipy.sparse's indices and indptr
B1, B2 = types.boolean[::1], types.boolean[:, ::1]

#: every kernel, by name, in the order of registration (what the extension exports)
REGISTRY = {}

_EXTENSION = "skstruct._backend._aot"
_UNSET = object()
_ext = _UNSET


def _mode():
    return os.environ.get("SKSTRUCT_AOT", "1").strip().lower()


def source_stamp():
    """A 60-bit hash of the backend's sources (``skstruct/_backend/*.py``), the stamp
    the extension is built with; line endings are normalised."""
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes().replace(b"\r\n", b"\n"))
    return int(h.hexdigest()[:15], 16)


def extension():
    """The extension module when it is usable (present, built from these sources, not
    disabled), else None; looked up once per process."""
    global _ext
    if _ext is _UNSET:
        _ext = None
        mode = _mode()
        if mode != "0":
            try:
                mod = importlib.import_module(_EXTENSION)
            except ImportError:
                mod = None
            if mod is not None and mod.source_stamp() == source_stamp():
                _ext = mod
            elif mode == "strict":
                raise RuntimeError(
                    "SKSTRUCT_AOT=strict: the compiled kernels (skstruct._backend._aot) are "
                    + ("missing" if mod is None else "built from other sources")
                    + "; build them with `pip install -e .`")
    return _ext


def _check_type(t):
    """Raise unless :func:`_compatible` can check arguments for numba type ``t``."""
    if not isinstance(t, (types.Array, types.Boolean, types.Integer, types.Float)):
        raise TypeError(f"kernel argument type {t} is not supported ahead of time")


def _compatible(got, want):
    """Whether an argument of numba type ``got`` can be passed for ``want`` to the
    extension's function (same machine representation; a read-only array only where
    the signature declares it read-only, so the kernel cannot write it)."""
    if isinstance(want, types.Array):
        return (isinstance(got, types.Array) and got.dtype == want.dtype
                and got.ndim == want.ndim and got.layout == "C" and got.aligned
                and (not want.mutable or got.mutable))
    if isinstance(want, types.Boolean):
        return isinstance(got, types.Boolean)
    if isinstance(want, types.Integer):
        return isinstance(got, types.Integer)
    if isinstance(want, types.Float):
        return isinstance(got, (types.Integer, types.Float)) and not isinstance(
            got, types.Boolean)
    return False


class Kernel:
    """The record of a registered kernel (see :func:`register`)."""

    def __init__(self, name, jit, signature):
        self.name, self.jit, self.signature = name, jit, signature
        self.args = normalize_signature(signature)[0]
        for t in self.args:
            _check_type(t)
        self._lock = threading.Lock()
        self._inserted = set()

    @property
    def py_func(self):
        return self.jit.py_func

    def function_for(self, *args, **kwargs):
        """The dispatcher's ``_compile_for_args``: the function for these arguments."""
        if kwargs:
            args = inspect.signature(self.jit.py_func).bind(*args, **kwargs).args
        got = tuple(typeof(a) for a in args)
        ext = extension()
        if ext is not None:
            if len(got) == len(self.args) and all(map(_compatible, got, self.args)):
                fn = getattr(ext, self.name)
                with self._lock:
                    # (inserted once per argument types, the dispatcher's C table)
                    if got not in self._inserted:
                        self.jit._insert([t._code for t in got], fn, False)
                        self._inserted.add(got)
                return fn
            if _mode() == "strict":
                raise TypeError(f"kernel {self.name} takes {self.signature}, called with "
                                f"({', '.join(map(str, got))})")
        return type(self.jit)._compile_for_args(self.jit, *args)

    def __repr__(self):
        return f"Kernel({self.name!r}, {self.signature})"


def register(name, jit, signature):
    """Register the numba dispatcher ``jit`` as the kernel ``name`` (unique) with its
    one ``signature`` (e.g. ``void(F2, i8)`` with this module's type names; arrays
    C-contiguous, ``types.Array(..., readonly=True)`` for inputs it may be given
    read-only); returns ``jit``, which callers call as before."""
    if name in REGISTRY:
        raise ValueError(f"kernel {name!r} is registered twice")
    kernel = Kernel(name, jit, signature)
    # (numba's dispatcher calls its _compile_for_args for argument types it has no
    # function for, and _insert adds a function to its C table: both are numba
    # internals, which tests/_backend/test_compiled.py checks)
    jit._compile_for_args = kernel.function_for
    REGISTRY[name] = kernel
    return jit
