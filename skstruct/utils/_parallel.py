"""Independent pieces of work on joblib threads."""

from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits


def threaded_map(fn, args, n_jobs):
    """``[fn(*a) for a in args]``, on joblib threads when ``n_jobs`` asks for several.

    The pieces run the compiled or BLAS kernels that release the GIL, so
    threads share the data without copies; BLAS is held to one thread per
    worker so that the workers do not oversubscribe the cores.

    Parameters
    ----------
    fn : callable
    args : list of tuple
        Positional arguments of each call.
    n_jobs : int or None
        Workers, as :class:`joblib.Parallel` counts them; None or 1 runs
        serially in the calling thread.

    Returns
    -------
    results : list
        In the order of ``args``.
    """
    if len(args) <= 1 or n_jobs in (None, 1):
        return [fn(*a) for a in args]
    with threadpool_limits(limits=1, user_api="blas"):
        return Parallel(n_jobs=n_jobs, prefer="threads")(delayed(fn)(*a) for a in args)
