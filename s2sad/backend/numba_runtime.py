"""What the numba target's generated modules import (``from s2sad.backend import numba_runtime as _nb``).

The kernel (compiled by numba in nopython mode) calls the few helpers below; each is written for
numba, dispatching on the types numba infers (``numba.extending.overload``), and works in plain
Python too. The wrapper around the kernel (plain Python) calls ``argument``. Only generated code
of the numba target imports this module: it imports numba, which ``s2sad.runtime`` never does.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import overload

# -- tapes: a numpy array and the index of its top ----------------------------------------------


@njit(cache=True)
def reserve(tape, needed):
    """``tape``, or a copy with room for ``needed`` entries (at least twice as many as it had)."""
    if needed <= tape.shape[0]:
        return tape
    grown = np.empty(max(needed, 2 * tape.shape[0]), tape.dtype)
    grown[: tape.shape[0]] = tape
    return grown


# -- loops run backwards: what ``reversed`` and ``r[:k]`` do in Python ---------------------------


def reversed_range(iterations):
    """``reversed(iterations)`` as something numba iterates over: a range, or an array's view."""
    return iterations[::-1]


@overload(reversed_range)
def _reversed_range(iterations):
    if isinstance(iterations, types.RangeType):

        def backwards(iterations):
            step = iterations.step
            return range(iterations.start + (len(iterations) - 1) * step, iterations.start - step, -step)

        return backwards
    if isinstance(iterations, types.Array):
        return lambda iterations: iterations[::-1]
    return None


def first(iterations, count):
    """``iterations[:count]``: the iterations a loop left by ``break`` ran."""
    return iterations[:count]


@overload(first)
def _first(iterations, count):
    if isinstance(iterations, types.RangeType):
        return lambda iterations, count: range(
            iterations.start, iterations.start + count * iterations.step, iterations.step
        )
    if isinstance(iterations, types.Array):
        return lambda iterations, count: iterations[:count]
    return None


# -- the runtime helpers (s2sad.runtime) generated code calls, for numba's types -------------------


def zeros_like(x):
    """A zero adjoint: 0.0 for a number, zeros for an array (``s2sad.runtime.zeros_like``)."""
    return np.zeros_like(x) if isinstance(x, np.ndarray) else 0.0


@overload(zeros_like)
def _zeros_like(x):
    if isinstance(x, types.Array):
        return lambda x: np.zeros_like(x)
    if isinstance(x, types.Number):
        return lambda x: 0.0
    return None


def owned(value):
    """``value`` as an array nothing else refers to (``s2sad.runtime.owned``)."""
    return value.copy() if isinstance(value, np.ndarray) else value


@overload(owned)
def _owned(value):
    if isinstance(value, types.Array):
        return lambda value: value.copy()
    if isinstance(value, types.Number):
        return lambda value: value
    return None


def take(d_y, index):
    """``d_y[index]`` (``s2sad.runtime.take``), for a number the index picks out of an array."""
    return d_y[index]


@overload(take)
def _take(d_y, index):
    whole = isinstance(index, types.Integer) and getattr(d_y, "ndim", None) == 1
    whole = whole or isinstance(index, types.UniTuple) and index.count == getattr(d_y, "ndim", None)
    if isinstance(d_y, types.Array) and whole:
        return lambda d_y, index: d_y[index]
    return None  # an array part: not for the numba target


def unbroadcast(g, x, *more):
    """``g`` summed down to the shape of ``x`` (``s2sad.runtime.unbroadcast``): ``g`` itself where the
    shapes agree; otherwise for a number ``x``, or an ``x`` of ``g``'s number of axes (up to two)."""
    from s2sad import runtime

    return runtime.unbroadcast(g, x, *more)


@overload(unbroadcast)
def _unbroadcast(g, x, *more):
    if isinstance(x, types.Number) and not more:
        if isinstance(g, types.Number):
            return lambda g, x, *more: g
        if isinstance(g, types.Array):
            return lambda g, x, *more: g.sum()
    if not (isinstance(g, types.Array) and isinstance(x, types.Array) and g.ndim == x.ndim <= 2):
        return None
    if more and not all(isinstance(m, types.Array) and m.ndim == g.ndim for m in more):
        return None
    if more:

        def agreeing(g, x, *more):
            for value in (x, *more):
                if value.shape == g.shape:
                    return g
            raise ValueError("s2sad's numba target cannot sum this adjoint down to its shape: use target='numpy'")

        return agreeing

    if g.ndim == 1:

        def summed(g, x, *more):
            if x.shape[0] == g.shape[0]:
                return g
            if x.shape[0] != 1:
                raise ValueError("an adjoint that does not broadcast to its argument's shape")
            return np.full(1, g.sum(), g.dtype)

        return summed

    def summed_matrix(g, x, *more):
        total = np.ascontiguousarray(g)
        if x.shape[0] == 1 and g.shape[0] != 1:
            total = total.sum(axis=0).reshape(1, g.shape[1])
        if x.shape[1] == 1 and g.shape[1] != 1:
            total = total.sum(axis=1).reshape(total.shape[0], 1)
        if total.shape != x.shape:
            raise ValueError("an adjoint that does not broadcast to its argument's shape")
        return total

    return summed_matrix


def unreduce(g, x, axis, keepdims):
    """``g`` spread over the shape of ``x`` (``s2sad.runtime.unreduce``, for a full reduction)."""
    return np.full(np.shape(x), g) if np.ndim(x) else g


@overload(unreduce)
def _unreduce(g, x, axis, keepdims):
    if not isinstance(axis, (types.NoneType, types.Omitted)) or not isinstance(g, types.Number):
        return None  # a reduction along an axis: numba gets no helper, the kernel does not compile
    if isinstance(x, types.Array):
        return lambda g, x, axis, keepdims: np.full(x.shape, g, x.dtype)
    if isinstance(x, types.Number):
        return lambda g, x, axis, keepdims: g
    return None


# -- the wrapper: the kernel's arguments and results -----------------------------------------------------------------


def argument(value):
    """``value`` as the kernel is typed for it: numbers as Python numbers, floating arrays as float64
    (computing in double precision; the wrapper returns each gradient in its argument's dtype)."""
    if isinstance(value, np.ndarray):
        wanted = {"f": np.float64, "i": np.int64, "u": np.int64}.get(value.dtype.kind, value.dtype)
        return value if value.dtype == wanted else value.astype(wanted)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value


def like(g, x):
    """The gradient ``g`` the kernel returned in its argument's type (``s2sad.runtime.like``), at once
    where they agree: the kernel computes in float64 and returns no containers or complex numbers."""
    if type(x) is float:
        return float(g)
    if type(x) is np.ndarray and type(g) is np.ndarray and x.dtype == g.dtype:
        return g
    from s2sad import runtime

    return runtime.like(g, x)
