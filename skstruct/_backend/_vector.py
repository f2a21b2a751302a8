"""Small vector loops shared by the compiled kernels.

A kernel calls these instead of writing the loop out: numba's compile cost
grows with every loop that indexes arrays (about 40-60 ms of typing, lowering
and LLVM per loop site), while a call to one of these costs about 10 ms at
the call site, each of them is compiled once per process and cached once, and
the kernel runs as fast (LLVM inlines them when the kernel is finalised).
Measured in issue 19: 40 axpy loops written out compiled in 2.4 s, 40 calls
to :func:`axpy` in 0.5 s, same run time from n = 3 to n = 1000 on whole
arrays. Not free in a hot inner loop over short vectors: a call on a row view
(``A[b]``) adds a reference-count update and LLVM does not always inline the
call, which made the IGMN stream and the self-expression kernel up to 2-3x
slower; there, a loop written out (or a helper indexing the 2-D array) is
the faster choice.

Each function has one signature in use: float64 arrays of C layout (a row of
a C-contiguous 2-D array qualifies), int64 lengths, float64 scalars. Passing
an int where a float is expected or a literal constant makes numba compile
another signature; pass typed values.
They are callable from numba code only (no Python wrapper, no cfunc).

Lengths are explicit so a kernel can work on the first ``n`` entries of a
preallocated buffer.
"""

from numba import njit

#: the decorator of small functions called from compiled code only (no Python
#: wrapper, no cfunc); the kernels' own helpers use it too
inner_jit = njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)


@inner_jit
def axpy(y, a, x, n):
    """``y[:n] += a x[:n]`` in place."""
    for i in range(n):
        y[i] += a * x[i]


@inner_jit
def fill(x, v, n):
    """``x[:n] = v``."""
    for i in range(n):
        x[i] = v


@inner_jit
def assign(dst, src, n):
    """``dst[:n] = src[:n]``."""
    for i in range(n):
        dst[i] = src[i]


@inner_jit
def argmax_abs(x, n):
    """Index of the largest ``|x[i]|``, ``i < n`` (the first on ties; 0 if n == 0)."""
    k = 0
    best = -1.0
    for i in range(n):
        t = abs(x[i])
        if t > best:
            best = t
            k = i
    return k

