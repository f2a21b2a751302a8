from threadpoolctl import threadpool_info

from skstruct._backend._threads import blas_limit


def _blas_threads():
    return [m["num_threads"] for m in threadpool_info() if m["user_api"] == "blas"]


def test_blas_limit_holds_one_thread_and_restores():
    before = _blas_threads()
    with blas_limit(1):
        assert all(t == 1 for t in _blas_threads())
    assert _blas_threads() == before


def test_blas_limit_none_changes_nothing():
    before = _blas_threads()
    with blas_limit(None):
        assert _blas_threads() == before
