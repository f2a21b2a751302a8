"""Fixtures shared by the test modules."""

import os

import pytest

# the compiled kernels are the ones pip built (skstruct._backend._aot): a missing or stale
# build, or a call whose arguments do not match a kernel's signature, is an error here.
# SKSTRUCT_AOT=1 runs the suite on numba's JIT where that build is missing.
os.environ.setdefault("SKSTRUCT_AOT", "strict")


@pytest.fixture(scope="module")
def dask_client():
    """A dask Client on an in-process LocalCluster (inproc transport, no sockets), closed after
    the module; skips the test when the dask extra is missing."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    assert cluster.scheduler_address.startswith("inproc://")
    yield client
    client.close()
    cluster.close()
