"""threaded_map: same results as a loop, BLAS on one thread inside the workers."""

import threading

import numpy as np
from threadpoolctl import threadpool_info

from skstruct.utils._parallel import threaded_map


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_results_in_order_and_equal_to_a_loop():
    rng = np.random.default_rng(0)
    mats = [(rng.normal(size=(50, 50)),) for _ in range(7)]
    serial = [np.linalg.svd(m, compute_uv=False) for (m,) in mats]
    for n_jobs in (None, 1, 2, -1):
        out = threaded_map(lambda m: np.linalg.svd(m, compute_uv=False), mats, n_jobs)
        assert len(out) == len(serial)
        for a, b in zip(out, serial):
            np.testing.assert_array_equal(a, b)


def test_workers_are_threads_with_one_blas_thread():
    assert _blas_threads(), "numpy's BLAS is not visible to threadpoolctl"
    seen = threaded_map(lambda i: _blas_threads(), [(i,) for i in range(4)], n_jobs=2)
    assert all(blas and all(t == 1 for t in blas) for blas in seen)


def test_none_and_one_run_in_the_calling_thread():
    me = threading.get_ident()
    for n_jobs in (None, 1):
        idents = threaded_map(lambda i: threading.get_ident(), [(i,) for i in range(3)], n_jobs)
        assert set(idents) == {me}
