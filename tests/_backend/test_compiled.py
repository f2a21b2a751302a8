"""The kernels compiled at install (skstruct._backend._aot) against numba's JIT of the same
source, and the dispatch between the two."""

import numpy as np
import pytest
from numba import njit
from sklearn.datasets import load_diabetes

from skstruct._backend import _cd, _compiled
from skstruct._backend._aot_build import _register_all
from skstruct._backend._cd import KERNELS, cd_solve, prepare_design
from skstruct._backend._compiled import F1, REGISTRY, register, void
from skstruct._backend._l1_regression import l1_regression_rows
from skstruct._backend._penalties import ENET, L1, MCP

_register_all()  # every backend module imported: REGISTRY holds every kernel
aot_only = pytest.mark.skipif(_compiled._mode() != "strict",
                              reason="the suite runs on numba's JIT (SKSTRUCT_AOT is set)")


@aot_only
def test_extension_is_built_from_these_sources_and_exports_every_kernel():
    ext = _compiled.extension()
    assert ext is not None
    assert ext.source_stamp() == _compiled.source_stamp()
    assert [name for name in REGISTRY if not hasattr(ext, name)] == []


def test_every_kernel_has_one_signature():
    assert len(REGISTRY) >= 30
    for kernel in REGISTRY.values():
        assert kernel.jit._compile_for_args == kernel.function_for
        assert len(kernel.args) == kernel.py_func.__code__.co_argcount


def _fits():
    X, y = load_diabetes(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    y = y - y.mean()
    out = []
    for gram in (False, True):
        d = prepare_design(X, y, gram=gram)
        for pen in (L1(0.5), MCP(0.5, 3.0)):
            res = cd_solve(d, pen.spec(X.shape[1]), tol=1e-10)
            out.append((res.coef, (res.n_epochs, res.n_outer, res.kkt, res.dual_gap)))
    return out


def _jit_copy(dispatcher):
    return njit(**dispatcher.targetoptions)(dispatcher.py_func)


@aot_only
def test_aot_and_jit_give_the_same_bits(monkeypatch):
    # the same LLVM code for another CPU target, no fast-math: IEEE operations in the same
    # order, so the same bits (the quadratic CD uses no transcendental function)
    aot = _fits()
    jit_kernels = tuple(
        ks._replace(epochs_dense=tuple(map(_jit_copy, ks.epochs_dense)),
                    epochs_gram=_jit_copy(ks.epochs_gram),
                    outer_terms=_jit_copy(ks.outer_terms), pen_sum=_jit_copy(ks.pen_sum))
        for ks in KERNELS)
    monkeypatch.setattr(_cd, "KERNELS", jit_kernels)
    jit = _fits()
    assert jit_kernels[ENET].epochs_dense[0].signatures  # (it did run the JIT copies)
    for (cj, oj), (ca, oa) in zip(jit, aot):
        np.testing.assert_array_equal(ca, cj)
        np.testing.assert_array_equal(oa, oj)


@aot_only
def test_a_call_with_other_types_is_refused_under_strict():
    pen_sum = KERNELS[ENET].pen_sum
    w = np.ones(3)
    # Python ints for floats: converted by the extension's function
    assert pen_sum(1, 1, w, w, w, w)[0] == pytest.approx(3.0)
    for bad in (w.astype(np.float32), np.ones(6)[::2]):
        with pytest.raises(TypeError, match="cd_pen_sum_0 takes"):
            pen_sum(1.0, 1.0, bad, w, w, w)
    ro = w.copy()
    ro.flags.writeable = False  # (not declared read-only: the kernel could write it)
    with pytest.raises(TypeError, match="cd_pen_sum_0 takes"):
        pen_sum(1.0, 1.0, ro, w, w, w)
    assert pen_sum.signatures == []  # nothing compiled by the JIT


def test_read_only_where_declared():
    rng = np.random.default_rng(0)
    V = np.linalg.qr(rng.normal(size=(12, 3)))[0]
    X = rng.normal(size=(5, 3)) @ V.T
    ref = l1_regression_rows(X, V)
    V.flags.writeable = False
    np.testing.assert_array_equal(l1_regression_rows(X, V), ref)


def test_other_types_fall_back_to_the_jit_outside_strict(monkeypatch):
    monkeypatch.setenv("SKSTRUCT_AOT", "1")
    pen_sum = KERNELS[ENET].pen_sum
    w = np.ones(3)
    # (a strided view is a new signature for the JIT: it compiles and runs it)
    strided = np.ones(6)[::2]
    assert pen_sum(1.0, 1.0, strided, w, w, w)[0] == pytest.approx(3.0)
    assert any(sig[2].layout == "A" for sig in pen_sum.signatures)


def test_names_are_unique():
    @njit
    def f(x):
        x[0] = 1.0

    with pytest.raises(ValueError, match="registered twice"):
        register(next(iter(REGISTRY)), f, void(F1))


def test_a_nogil_kernel_lets_other_threads_run():
    # the exact l1 walk (nogil=True) run in a thread on ~0.1-1 s of rows: the main thread must
    # run Python code while the kernel runs, which it cannot if the kernel holds the GIL
    import threading
    import time

    from skstruct._backend import _l1_regression as L

    rng = np.random.default_rng(0)
    n, p, r = 400, 200, 20
    V = np.linalg.qr(rng.normal(size=(p, r)))[0]
    X = rng.normal(size=(n, r)) @ V.T + (rng.random((n, p)) < 0.1) * 5.0

    def args(rows):
        return (X[:rows], np.ascontiguousarray(V.T), V, np.ones((1, 1), dtype=bool), True,
                X[:rows] @ np.linalg.pinv(V).T, 10 * p, L._perturbation(p),
                np.einsum("jk,jk->j", V, V), np.zeros(rows, dtype=bool), np.empty((r, r)))

    L._vertex_descent(*args(2))  # (the JIT path compiles here, outside the window)
    full = args(n)
    span = {}

    def work():
        span["start"] = time.perf_counter()
        L._vertex_descent(*full)
        span["end"] = time.perf_counter()

    thread = threading.Thread(target=work)
    seen = []
    thread.start()
    while thread.is_alive():
        seen.append(time.perf_counter())
    thread.join()
    start, end = span["start"], span["end"]
    assert end - start > 0.05  # (long enough for the window below to mean something)
    inside = [t for t in seen if start + 0.2 * (end - start) < t < end - 0.2 * (end - start)]
    assert full[9].sum() > n // 2 and inside  # (the walk certified most rows)
