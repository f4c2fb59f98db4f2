"""Values as generated code holds them: an array's shape kept instead of the array, gradients in
their argument's type, zeros, and sums down to a broadcast argument's shape.

Helpers are cheap in the common case: ``unbroadcast`` returns its argument untouched when shapes
already agree (they run once per loop trip).
"""

from __future__ import annotations

import numpy as np

from s2sad.errors import BadArgument
from s2sad.runtime import structures
from s2sad.runtime.facts import allocates, shape_only
from s2sad.runtime.foreign import is_foreign


class Shape:
    """What the tape keeps of an array whose old value the reverse sweep reads for its shape alone."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


def shape_of(x):
    """An array's shape and dtype (no copy of its values kept alive); anything else as it is."""
    if type(x) is np.ndarray:  # the common case, first: it runs once per loop trip
        return Shape(x.shape, x.dtype) if x.ndim else x
    return Shape(x.shape, x.dtype) if isinstance(x, np.ndarray) and x.ndim else x


def _dtype(x):
    """The dtype of an array, a Shape, or anything numpy makes an array of (a list of arrays)."""
    dtype = getattr(x, "dtype", None)
    return dtype if dtype is not None else np.asarray(x).dtype


def _shape(x):
    """``np.shape(x)`` without its dispatch cost for an array: helpers run once per loop trip."""
    kind = type(x)
    if kind is np.ndarray or kind is Shape:
        return x.shape
    return () if kind is float or kind is np.float64 else np.shape(x)


def _ndim(x):
    kind = type(x)
    if kind is np.ndarray:
        return x.ndim
    return 0 if kind is float else np.ndim(x)  # np.ndim costs a microsecond


def filled(shape, value, dtype):
    """``np.full(shape, value, dtype)`` at half its cost (np.full is Python code around these two calls)."""
    spread = np.empty(shape, dtype)
    spread.fill(value)
    return spread


def _zeros(x):
    """Zeros shaped like ``x`` (an array or a Shape), in its dtype; of x's own type for another
    library's array (dask: in its chunks)."""
    if type(x) is not np.ndarray and is_foreign(x):
        return np.zeros_like(x)
    return np.zeros(_shape(x), dtype=_dtype(x))


def zeros_in(x, g):
    """Zeros shaped like ``x`` (an array or a Shape), in its dtype, to place ``g`` into: of g's own type
    where g is another library's array and x is not (numpy would convert g, computing a dask array)."""
    zeros = _zeros(x)
    if type(g) is np.ndarray or type(zeros) is not np.ndarray or not is_foreign(g):
        return zeros
    return np.asarray(zeros, like=g)


def spread_like(x, value):
    """``value`` broadcast to the shape of ``x`` (an array or a Shape), in its dtype, as a new array:
    of x's or value's own type for another library's array (dask: in x's chunks)."""
    return (_zeros(x) + value).astype(_dtype(x), copy=False)


def _summed(g, axes):
    """``g`` summed over ``axes``: np.add.reduce for numpy (half np.sum's cost), np.sum (which
    dispatches) for the arrays of other libraries."""
    if type(g) is np.ndarray or not is_foreign(g):
        return np.add.reduce(g, axis=axes)
    return np.sum(g, axis=axes)


@shape_only("x", "more")
def unbroadcast(g, x, *more):
    """Sum the contribution ``g`` down to the shape of ``x`` (undo numpy broadcasting).

    With ``more``, down to the shape ``x`` and ``more`` broadcast to together
    (the shape of a value computed elementwise from them, no longer kept).
    """
    if not more and type(g) is type(x) and (type(g) is float or (type(g) is np.ndarray and g.shape == x.shape)):
        return g  # the common cases, first: nothing to sum (this runs once per operand and loop trip)
    g_shape, x_shape = _shape(g), _shape(x)
    if x_shape == g_shape:
        return g
    for value in more:
        if _shape(value) == g_shape:
            return g  # g has the broadcast shape: if one of them has it too, so do they all together
    if not more and not x_shape and type(g) is np.ndarray:  # the common reduction to a number: one call
        total = np.add.reduce(g, axis=None)
        return float(total) if type(x) is float else total
    if not more and type(x) is float:
        return _as_float(_summed(g, None))
    shape = _broadcast_shape(x_shape, *map(_shape, more)) if more else x_shape
    if g_shape == shape:
        return g
    lead = len(g_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1)
    summed = _summed(g, axes) if axes else g
    if _shape(summed) != shape:
        summed = np.reshape(summed, shape)
    if all(type(value) is float for value in (x, *more)):
        return _as_float(summed)
    return summed


def _broadcast_shape(*shapes) -> tuple:
    """``np.broadcast_shapes`` of shapes the forward sweep broadcast together (so they agree), at a
    fraction of its cost: each axis the length other than one, if any."""
    lengths = [1] * max(map(len, shapes))
    for shape in shapes:
        for axis, length in enumerate(shape, len(lengths) - len(shape)):
            if length != 1:
                lengths[axis] = length
    return tuple(lengths)


def _as_float(value):
    """A 0-d sum as a Python float; another library's stays a 0-d array of that library (a dask
    array is not computed here: the caller computes the gradient it is part of)."""
    return value if is_foreign(value) else float(value)


def broadcast_like(tangent, value):
    """A tangent spread to the shape of its value: an operand with no tangent may have broadcast the value."""
    shape = _shape(value)
    return tangent if _shape(tangent) == shape else np.broadcast_to(tangent, shape)


@shape_only("x")
def like(g, x):
    """The gradient ``g`` in its argument's type: a float for a Python float, a numpy scalar of
    the same type for a numpy scalar (np.float32 stays np.float32), else an array of x's dtype;
    for a container of arrays (a dict of weights, a tuple, a dataclass), the same container of them."""
    kind = type(x)
    if kind is type(g) and (kind is float or (kind is np.ndarray and g.dtype == x.dtype and x.dtype.kind == "f")):
        return g  # the common case, first: gradients of small arrays pay for every check
    if structures.is_container(x):
        return structures.gradient_like(g, x, like)
    if np.iscomplexobj(g) and not np.iscomplexobj(x):
        raise BadArgument(
            "a complex value reached the derivative of a real argument: s2sad differentiates real arithmetic "
            "only (its rules are not those of complex functions), so this derivative would be wrong",
            hint="keep complex numbers out of the differentiated computation (np.real/np.abs of a complex "
            "product is complex arithmetic), or compute the real and imaginary parts as real arrays",
        )
    if type(x) is float:
        return _float_like(g)
    if isinstance(x, np.generic):
        if is_foreign(g):  # a 0-d array of its library in x's dtype, as for a Python float (_float_like)
            return g.astype(x.dtype, copy=False)
        return g if type(g) is type(x) else type(x)(g)
    dtype = getattr(x, "dtype", None)
    kind = np.ndarray if isinstance(x, Shape) else type(x)
    if dtype is None or (getattr(g, "dtype", None) == dtype and type(g) is kind):
        return g
    if is_foreign(g) or is_foreign(x):
        return g.astype(dtype, copy=False) if is_foreign(g) else spread_like(x, g)
    return np.full_like(x, g) if np.ndim(g) == 0 and np.ndim(x) == 0 else g.astype(dtype)


def _float_like(g):
    """The gradient of a Python float: a float; a 0-d float64 array of its own library where it
    came from another library's arrays (a lazy dask array stays lazy: see README, dask arrays)."""
    if not is_foreign(g):
        return float(g)
    return g if g.dtype == np.float64 else g.astype(np.float64)


@shape_only("x")
def copy_like(g, x):
    """Like ``like``, and never an array anything else refers to (a gradient the caller may update)."""
    if type(x) is float and type(g) is float:
        return g
    if structures.is_container(x):
        return structures.gradient_like(g, x, copy_like)
    converted = like(g, x)
    if converted is g and (isinstance(g, np.ndarray) or is_foreign(g)):
        return g.copy()
    return converted


def owned(value):
    """``value`` as an array nothing else refers to, before an update in place; a number (a zero
    adjoint or tangent of a path that never assigned the name) is returned as it is."""
    return value if isinstance(value, (int, float)) else value.copy()


@allocates
@shape_only("x")
def zeros_like(x):
    """A zero gradient for ``x``: 0.0 for a Python float, zeros for an array, a list of them for a
    list or a tuple, a dict for a dict or an object with fields (see structures)."""
    kind = type(x)
    if kind is np.ndarray or kind is Shape:  # the common case, first: it runs once per loop trip
        return np.zeros(x.shape, x.dtype)
    if x is None or (isinstance(x, float) and not isinstance(x, np.generic)):
        return 0.0  # None: a name this path never assigned, so nothing reads its adjoint
    if structures.is_container(x):
        return structures.zero_parts(x, zeros_like)
    return np.zeros_like(x)


@allocates
def add_lists(a: list, b) -> list:
    """Two adjoints of one list (or dict), added item by item (None: a setting's, which has none)."""
    if isinstance(a, dict):
        return {key: _added(value, b[key]) for key, value in a.items()}
    return [_added(x, y) for x, y in zip(a, b, strict=True)]


def _added(a, b):
    if a is None or b is None:
        return b if a is None else a
    return add_lists(a, b) if isinstance(a, (list, dict)) else a + b


@allocates
def as_list(items) -> list:
    """A sequence parameter's adjoint (an array's rows, pieces) as the adjoint of a list; a dict's as it is."""
    return dict(items) if isinstance(items, dict) else list(items)  # a new one: the reverse sweep updates it


@allocates
def take(d_y, index):
    """``d_y[index]`` as a copy: the reverse sweep then zeroes or updates that part of ``d_y``."""
    part = d_y[index]
    return part.copy() if isinstance(part, np.ndarray) or is_foreign(part) else part


def key_positions(keys: list) -> list:
    """Where a dict comprehension's items are in the lists it appended them to: one position per
    distinct key, in the order the keys first came, at the key's last value (as a dict keeps them)."""
    last = {key: position for position, key in enumerate(keys)}
    return list(last.values())


def key_position(keys: list, key) -> int:
    """The position of ``key``'s value (its last) in a dict comprehension's lists; KeyError if absent."""
    for position in range(len(keys) - 1, -1, -1):
        if keys[position] == key:
            return position
    raise KeyError(key)
