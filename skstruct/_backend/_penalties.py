"""Separable penalties for coordinate descent, behind one small interface.

Every penalty is ``sum_j pen(w_j; a_j)`` with a per-feature level
``a_j = alpha * weights[j]`` (``weights[j] == 0`` leaves feature ``j``
unpenalised) and one shape parameter ``gamma``. The coordinate-descent solver
of :mod:`skstruct._backend._cd` never asks which penalty it has: it calls the
1-D functions below (value, prox, subdifferential distance) of its integer
code (the sum over a vector is :func:`~._cd.penalty_sum`). Each penalty's
functions are compiled for its code alone (:func:`_functions_for`), and the
kernels of :mod:`._cd`, compiled per code too, call that code's functions
only: a Lasso fit compiles no MCP or SCAD code (issue 19). numba jitclasses
(skglm's design) cannot be cached on disk, which is why the penalty is a
``(kind, alpha, gamma, weights, positive)`` tuple here and not an object inside
the kernel.

The Python classes (:class:`L1`, :class:`ElasticNetPenalty`, :class:`MCP`,
:class:`SCAD`) carry those five fields, give their ``value`` on arrays, and
hand the solver their :class:`Spec`: the five fields and
the capabilities the driver acts on (``has_gap`` = ``is_convex``: the
elastic-net duality gap is the stopping rule; ``safe_screen``: gap-safe
screening is valid, the l1 norm only).

Codes and meaning of ``gamma``
------------------------------
====== ====== ============================================================
code   name   ``pen(x; a)``
====== ====== ============================================================
0      ENET   ``a * (gamma |x| + (1 - gamma) x^2 / 2)``; ``gamma`` is the
              l1 ratio (``gamma = 1`` is the l1 norm, the Lasso)
1      MCP    ``a|x| - x^2 / (2 gamma)`` if ``|x| <= a gamma``, else
              ``gamma a^2 / 2`` (Zhang 2010); ``gamma > 0``
2      SCAD   ``a|x|`` if ``|x| <= a``; ``(2 gamma a|x| - x^2 - a^2) /
              (2 (gamma - 1))`` if ``a < |x| <= a gamma``; else
              ``a^2 (gamma + 1) / 2`` (Fan & Li 2001); ``gamma > 1``
====== ====== ============================================================

``positive=True`` adds the constraint ``x >= 0`` to every penalised feature.
"""

from typing import NamedTuple

import numpy as np
from numba import njit

ENET = 0
MCP_CODE = 1
SCAD_CODE = 2


def _functions_for(kind):
    """The 1-D functions of penalty code ``kind``, compiled for that code alone.

    ``kind`` is a constant of these closures: numba drops the other penalties'
    branches before typing (a Lasso fit compiles no MCP or SCAD code; issue 19).
    """

    @njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
    def value(a, gamma, x):
        """Value of the 1-D penalty ``pen(x; a)`` (see the module table)."""
        ax = abs(x)
        if kind == 0:
            return a * (gamma * ax + 0.5 * (1.0 - gamma) * x * x)
        if kind == 1:
            if ax <= a * gamma:
                return a * ax - x * x / (2.0 * gamma)
            return 0.5 * gamma * a * a
        # SCAD
        if ax <= a:
            return a * ax
        if ax <= a * gamma:
            return (2.0 * gamma * a * ax - x * x - a * a) / (2.0 * (gamma - 1.0))
        return 0.5 * a * a * (gamma + 1.0)

    @njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
    def prox(a, gamma, z, step, positive):
        """``argmin_x (x - z)^2 / (2 step) + pen(x; a)`` (and ``x >= 0`` if positive).

        For MCP and SCAD the 1-D problem may be nonconvex (``gamma <= step`` for
        MCP, ``gamma <= 1 + step`` for SCAD): the candidates of every region
        (stationary points clipped to the region, region edges, 0) are compared
        and the best is returned, so the result is the exact global minimiser in
        every case. Cost O(1).
        """
        if positive and z <= 0.0:
            return 0.0
        if a == 0.0:
            return z
        s = 1.0 if z > 0 else -1.0
        az = abs(z)
        if kind == 0:
            m = az - step * a * gamma
            if m <= 0.0:
                return 0.0
            return s * m / (1.0 + step * a * (1.0 - gamma))
        # candidates: 0, then per region its stationary point clipped to the region
        # (region edges when the 1-D problem is concave there); keep the best.
        best = 0.0
        best_obj = z * z / (2.0 * step)
        edge = a * gamma
        # (clips written out: numba's min / max overloads are a compile of their own)
        m = az - step * a
        m = 0.0 if m < 0.0 else m
        if kind == 1:
            c1 = edge if m > edge else m
            den = 1.0 - step / gamma
            c2 = edge
            if den > 0.0:
                c2 = m / den
                c2 = edge if c2 > edge else c2
            c3 = az if az > edge else edge
            c4 = c3
        else:
            c1 = a if m > a else m
            den = gamma - 1.0 - step
            c2 = a
            if den > 0.0:
                c2 = ((gamma - 1.0) * az - step * gamma * a) / den
                c2 = a if c2 < a else (edge if c2 > edge else c2)
            c3 = edge
            c4 = az if az > edge else edge
        for c in (c1, c2, c3, c4):
            x = s * c
            d = x - z
            o = d * d / (2.0 * step) + value(a, gamma, x)
            if o < best_obj:
                best_obj = o
                best = x
        if positive and best < 0.0:
            return 0.0
        return best

    @njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
    def subdiff(a, gamma, w, g, positive):
        """Violation of the first-order condition of a coordinate.

        ``dist(-g, ∂pen(w))`` (the limiting subdifferential for MCP and SCAD), with
        ``g`` the datafit gradient at ``w``; zero iff the coordinate is stationary.
        With ``positive`` a negative ``w`` scores ``inf``. Cost O(1).
        """
        if positive and w < 0.0:
            return np.inf
        if a == 0.0:
            return abs(g) if not (positive and w == 0.0) else (-g if g < 0.0 else 0.0)
        a1 = a * gamma if kind == 0 else a
        if w == 0.0:
            v = -g - a1 if positive else abs(g) - a1
            return v if v > 0.0 else 0.0
        s = 1.0 if w > 0 else -1.0
        aw = abs(w)
        if kind == 0:
            return abs(g + a1 * s + a * (1.0 - gamma) * w)
        if kind == 1:
            if aw < a * gamma:
                return abs(g + a * s - w / gamma)
            return abs(g)
        # SCAD
        if aw <= a:
            return abs(g + a * s)
        if aw <= a * gamma:
            return abs(g + (a * gamma * s - w) / (gamma - 1.0))
        return abs(g)

    return value, prox, subdiff


# (module globals: a compiled kernel refers to them by name; a closure holding a
# compiled function could not be cached on disk)
_enet_value, _enet_prox, _enet_subdiff = _functions_for(ENET)
_mcp_value, _mcp_prox, _mcp_subdiff = _functions_for(MCP_CODE)
_scad_value, _scad_prox, _scad_subdiff = _functions_for(SCAD_CODE)


# The switches on the code, for Python (the prox tests compare every code against
# brute force). The compiled kernels of :mod:`._cd` and :mod:`._self_expression`
# call their code's functions by name instead: inlining these cost them ~0.2-0.3 s
# of compile each (issue 19).
@njit(cache=True, inline="always")
def pen_value_1d(kind, a, gamma, x):
    """Value of the 1-D penalty ``pen(x; a)`` of code ``kind`` (see the module table)."""
    if kind == 0:
        return _enet_value(a, gamma, x)
    if kind == 1:
        return _mcp_value(a, gamma, x)
    return _scad_value(a, gamma, x)


@njit(cache=True, inline="always")
def prox_1d(kind, a, gamma, z, step, positive):
    """``argmin_x (x - z)^2 / (2 step) + pen(x; a)`` (and ``x >= 0`` if positive),
    the exact global minimiser also where MCP / SCAD make it nonconvex."""
    if kind == 0:
        return _enet_prox(a, gamma, z, step, positive)
    if kind == 1:
        return _mcp_prox(a, gamma, z, step, positive)
    return _scad_prox(a, gamma, z, step, positive)


class Spec(NamedTuple):
    """What the solver gets: the 1-D penalty and its capabilities.

    ``has_gap``: convex, the elastic-net duality gap is the stopping rule;
    ``safe_screen``: gap-safe screening is valid (the l1 norm).
    """

    kind: int
    alpha: float
    gamma: float
    weights: np.ndarray
    positive: bool
    has_gap: bool
    safe_screen: bool


class _Penalty:
    """Common Python face of the penalties (arrays in, arrays out)."""

    code = -1
    is_convex = False
    safe_screening = False

    def __init__(self, alpha, gamma, weights=None, positive=False):
        self.alpha = float(alpha)
        self.gamma = float(gamma)
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        self.positive = bool(positive)

    def spec(self, n_features):
        """The :class:`Spec` of this penalty for ``n_features`` coefficients."""
        w = np.ones(n_features) if self.weights is None else self.weights
        return Spec(self.code, self.alpha, self.gamma, np.ascontiguousarray(w, np.float64),
                    self.positive, self.is_convex, self.safe_screening)

    def value(self, w):
        """Penalty value ``sum_j pen(w_j; a_j)`` of ``w`` of shape (p,)."""
        from ._cd import penalty_sum  # (the kernels live there; they import this module)
        return penalty_sum(self.code, self.alpha, self.gamma, self.spec(w.shape[0]).weights,
                           np.ascontiguousarray(w, dtype=np.float64))


class L1(_Penalty):
    """``alpha * sum_j weights_j |w_j|`` (the Lasso; weighted for the adaptive Lasso)."""

    code = ENET
    is_convex = True
    safe_screening = True

    def __init__(self, alpha, weights=None, positive=False):
        super().__init__(alpha, 1.0, weights, positive)


class ElasticNetPenalty(_Penalty):
    """``alpha * sum_j weights_j (l1_ratio |w_j| + (1 - l1_ratio) w_j^2 / 2)``."""

    code = ENET
    is_convex = True

    def __init__(self, alpha, l1_ratio=0.5, weights=None, positive=False):
        super().__init__(alpha, l1_ratio, weights, positive)
        self.safe_screening = self.gamma == 1.0


class MCP(_Penalty):
    """Minimax concave penalty with concavity ``gamma`` (> 0; > 1 for unit-variance columns)."""

    code = MCP_CODE

    def __init__(self, alpha, gamma=3.0, weights=None, positive=False):
        super().__init__(alpha, gamma, weights, positive)


class SCAD(_Penalty):
    """Smoothly clipped absolute deviation with shape ``gamma`` (> 2 for unit-variance columns)."""

    code = SCAD_CODE

    def __init__(self, alpha, gamma=3.7, weights=None, positive=False):
        super().__init__(alpha, gamma, weights, positive)
