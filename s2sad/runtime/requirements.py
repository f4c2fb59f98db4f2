"""Run-time checks of how a derivative is called (float arguments, a scalar output, arrays not
shared where they are updated in place), each raising a located BadArgument."""

from __future__ import annotations

import math

import numpy as np

from s2sad.errors import BadArgument, Origin
from s2sad.options import axes_text
from s2sad.runtime import structures
from s2sad.runtime.foreign import is_foreign


def _origin(where: str) -> Origin:
    path, line, column = where.rsplit(":", 2)
    return Origin(path, int(line), int(column) - 1)


def require_float(value, name: str, where: str):
    """Refuse to differentiate with respect to integers, booleans and non-numbers."""
    if type(value) is float:
        return
    dtype = getattr(value, "dtype", None)
    if getattr(dtype, "kind", None) == "f":  # np.issubdtype(dtype, np.floating), without its cost per call
        return
    kind = f"{type(value).__name__} with dtype {dtype}" if dtype is not None else type(value).__name__
    hint = f"pass floats (for example {name}.astype(float) or float({name})), or leave it out of wrt"
    if structures.is_container(value):
        hint = (
            "containers of arrays are differentiated through what s2sad.grad, value_and_grad, vjp and jvp "
            "return (not yet by hvp, hessian, jacobian): call one of those, or pass the arrays one by one"
        )
    raise BadArgument(f"argument '{name}' is differentiated but holds {kind}, not floats", _origin(where), hint=hint)


def require_container(value, name: str, where: str):
    """An argument the function reads as a container of arrays (``p["w"]``, ``p.w``): its arrays must
    hold floats (a setting beside them, an int or a string, gets None for a gradient)."""
    if not structures.is_container(value):
        raise BadArgument(
            f"argument '{name}' is differentiated and read as a container of arrays, but holds "
            f"{type(value).__name__}",
            _origin(where),
            hint=f"pass one of the {structures.CONTAINERS} the function reads",
        )
    structures.require_floats(value, name, lambda path, leaf: require_float(leaf, path, where))


def require_structure(value, name: str, where: str, expected):
    """An argument whose container form (see structures.structure_of) this derivative was generated for."""
    if structures.structure_of(value) != expected:
        raise BadArgument(
            f"argument '{name}' is a container of another form (other items, keys or fields, or arrays where "
            "there were containers) than this derivative was generated for",
            _origin(where),
            hint="call the derivative s2sad.grad (or jvp, vjp...) returned: it generates one for each form",
        )
    require_container(value, name, where)


def require_forms(*arguments):
    """A derivative specialized to its arguments' forms (Options.shapes), called with other forms:
    each argument is (value, name, where, number of axes, the axes of length one)."""
    for value, name, where, rank, ones in arguments:
        shape = value.shape if type(value) is np.ndarray else () if type(value) is float else np.shape(value)
        if len(shape) == rank and (1 not in shape and not ones or _length_one(shape) == ones):
            continue
        expected = axes_text(rank, ones) if rank else "a number"
        raise BadArgument(
            f"argument '{name}' has shape {shape}, but this derivative was specialized to {expected} for it",
            _origin(where),
            hint="call the derivative s2sad.grad returned (it generates one for each form of the arguments), "
            "or generate this one for these shapes (s2sad grad --shapes)",
        )


def require_shapes(*arguments):
    """A derivative made for its arguments' exact shapes (a recursion unrolled for them), called with
    other shapes: each argument is (value, name, where, shape)."""
    for value, name, where, shape in arguments:
        if np.shape(value) != shape:
            raise BadArgument(
                f"argument '{name}' has shape {np.shape(value)}, but this derivative was made for shape {shape} "
                "(its recursion is unrolled for it)",
                _origin(where),
                hint="call the derivative s2sad.grad returned: it makes one for each call's shapes",
            )


def _length_one(shape: tuple) -> tuple[int, ...]:
    return tuple(axis for axis, length in enumerate(shape) if length == 1)


def require_scalar(value, where: str):
    """grad needs a scalar output; a vector output needs vjp or jacobian. A 0-d array of another
    library (a lazy dask array) is one, read for its dtype and shape only (never computed here)."""
    if isinstance(value, (float, int, np.number, np.ndarray)):
        numeric = np.asarray(value).dtype.kind in "biuf"
    else:
        numeric = is_foreign(value) and getattr(value.dtype, "kind", None) in "biuf"
    if numeric and np.ndim(value) == 0:
        return
    returned = f"shape {np.shape(value)}" if numeric else type(value).__name__
    raise BadArgument(
        f"grad needs a scalar output, but this returns {returned}",
        _origin(where),
        hint="reduce it to a scalar (np.sum, np.mean), or use s2sad.vjp for a vector output",
    )


def require_unshared(value, name: str, where: str):
    """``name += ...`` on a number rebinds it; on an array it would update, in place, one another name sees."""
    if isinstance(value, (int, float, np.generic)):
        return
    raise BadArgument(
        f"'{name} op= ...' would update in place an array that another name (or the caller) "
        "also refers to; s2sad does not differentiate in-place updates of shared arrays",
        _origin(where),
        hint=f"write {name} = {name} + ... (or -, *, /) to make a new array",
    )


def is_array(value) -> bool:
    """Whether ``a op= e`` updates ``value`` in place (an array) rather than rebinding a number, or
    an array of a library without in-place operators (dask's: ``a += e`` is ``a = a + e`` there)."""
    return isinstance(value, np.ndarray) or (is_foreign(value) and hasattr(type(value), "__iadd__"))


def require_length(value, length: int, where: str):
    """Unpacking ``a, b = value`` needs exactly ``length`` items, as in Python."""
    if len(value) != length:
        raise BadArgument(
            f"cannot unpack {len(value)} values into {length} names",
            _origin(where),
            hint="unpack a value with as many items as names",
        )


_ONCE = (int, slice, type(None), type(Ellipsis), np.int64)  # index items that never name a position twice


def _selects_once(index) -> bool:
    if type(index) in _ONCE:
        return True
    return type(index) is tuple and all(type(item) in _ONCE for item in index)


def require_distinct(array, index, where: str):
    """``y[index] = v`` with an integer array: a position named twice (``[3, -1]`` of 4 items too) keeps
    one write, which s2sad cannot tell."""
    if _selects_once(index):
        return  # the common case, first: this runs once per loop trip
    shape = np.shape(array)  # numpy's positions, for any array: the index alone decides
    positions = np.arange(math.prod(shape)).reshape(shape)[index]
    if np.unique(positions).size != np.size(positions):
        raise BadArgument(
            "assigning into an array through an index with repeated entries",
            _origin(where),
            hint="use distinct indices, or np.add.at for accumulation",
        )


def fail(error: BaseException):
    """``raise error``, for a raise or a failed assert of the user's function (in the forward sweep)."""
    raise error


def enter(context):
    """Enter ``with context:`` (np.errstate) around statements of the forward sweep; ``leave`` leaves it."""
    context.__enter__()


def leave(context):
    context.__exit__(None, None, None)
