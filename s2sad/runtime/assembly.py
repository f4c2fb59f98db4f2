"""The helpers of the rules in s2sad/rules/assembly.py: adjoints of functions that join, repeat,
pad, place on a diagonal or select elements. Each sends the gradient of every output element back
to the element it was copied from, summing where one element was copied several times.

They read their array arguments for shape and dtype only (a Shape the tape kept will do), except
where the index data (``indices``, ``condlist``) decides where an element came from.
"""

from __future__ import annotations

import numpy as np

from s2sad.errors import BadArgument
from s2sad.runtime.facts import allocates, shape_only
from s2sad.runtime.foreign import calling_line
from s2sad.runtime.values import _dtype, _shape, _zeros, unbroadcast

# np.pad's modes that copy elements of the array (or put a constant): linear in the array.
PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def _joined_shape(shape: tuple, how: str) -> tuple:
    """The shape an item takes in np.hstack ("h"), vstack ("v"), dstack ("d") or column_stack."""
    ndim = len(shape)
    if how == "h":
        return shape if ndim else (1,)
    if how == "v":
        return shape if ndim >= 2 else (1,) * (2 - ndim) + shape
    if how == "d":
        return {0: (1, 1, 1), 1: (1, *shape, 1), 2: (*shape, 1)}.get(ndim, shape)
    return shape if ndim >= 2 else (-1, 1)  # column_stack: a number or a vector is a column


@shape_only("arrays")
def unjoin(g, arrays, how: str):
    """Adjoint of np.hstack/vstack/dstack/column_stack (``how``: "h", "v", "d", "column"):
    ``g`` cut into one piece per item, each shaped like it."""
    shapes = [_joined_shape(np.shape(a), how) for a in arrays]
    axis = {"h": 0 if len(shapes[0]) == 1 else 1, "v": 0, "d": 2, "column": 1}[how]
    pieces = np.split(g, np.cumsum([shape[axis] for shape in shapes])[:-1], axis=axis)
    return [np.reshape(piece, np.shape(a)) for piece, a in zip(pieces, arrays, strict=True)]


@allocates
@shape_only("A")
def tile_adjoint(g, A, reps):
    """Adjoint of ``np.tile(A, reps)``: the sum of ``g`` over the copies of A."""
    shape = np.shape(A)
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    ndim = max(len(shape), len(reps))
    padded = (1,) * (ndim - len(shape)) + tuple(shape)
    reps = (1,) * (ndim - len(reps)) + reps
    copies_then_elements = [n for pair in zip(reps, padded, strict=True) for n in pair]
    summed = np.sum(np.reshape(g, copies_then_elements), axis=tuple(range(0, 2 * ndim, 2)))
    return np.reshape(summed, shape).astype(_dtype(A), copy=False)


def _sum_rows(g, source, length: int, dtype):
    """Rows of ``g`` summed into ``length`` rows: row i of g goes to row source[i]."""
    total = np.zeros((length,) + np.shape(g)[1:], dtype=dtype)
    np.add.at(total, source, g)
    return total


@allocates
@shape_only("a")
def repeat_adjoint(g, a, repeats, axis):
    """Adjoint of ``np.repeat(a, repeats, axis)``: each element gets the sum of ``g`` over its copies."""
    shape, dtype = np.shape(a), _dtype(a)
    if axis is None:
        source = np.repeat(np.arange(np.prod(shape, dtype=int)), repeats)
        return np.reshape(_sum_rows(g, source, int(np.prod(shape, dtype=int)), dtype), shape)
    axis = axis % len(shape)
    source = np.repeat(np.arange(shape[axis]), repeats)
    return np.moveaxis(_sum_rows(np.moveaxis(g, axis, 0), source, shape[axis], dtype), 0, axis)


def pad_mode(mode):
    """``mode`` if np.pad's derivative is supported in it (it copies elements), else an error."""
    if not (isinstance(mode, str) and mode in PAD_MODES):
        raise ValueError(f"s2sad differentiates np.pad in the modes {', '.join(PAD_MODES)}, not {mode!r}")
    return mode


@allocates
@shape_only("array")
def pad_adjoint(g, array, pad_width, mode):
    """Adjoint of ``np.pad(array, pad_width, mode)``: each element gets ``g`` summed over the places
    np.pad copied it to (found by padding the elements' positions); constants get nothing."""
    shape = np.shape(array)
    size = int(np.prod(shape, dtype=int))
    positions = np.reshape(np.arange(size), shape)
    if pad_mode(mode) == "constant":
        source = np.pad(positions, pad_width, mode, constant_values=-1)
    else:
        source = np.pad(positions, pad_width, mode)
    copied = source >= 0
    summed = np.bincount(source[copied], weights=np.asarray(g)[copied], minlength=size)
    return np.reshape(summed, shape).astype(_dtype(array), copy=False)


@allocates
@shape_only("a")
def diagonal_adjoint(g, a, offset, axis1, axis2):
    """Adjoint of ``np.diagonal(a, offset, axis1, axis2)``: ``g`` put on that diagonal of zeros like a."""
    placed = _zeros(a)
    planes = np.moveaxis(placed, (axis1, axis2), (-2, -1))  # a view: writing it writes placed
    steps = np.arange(np.shape(g)[-1])
    planes[..., steps + max(-offset, 0), steps + max(offset, 0)] = g
    return placed


@allocates
@shape_only("v")
def diag_adjoint(g, v, k):
    """Adjoint of ``np.diag(v, k)``: the k-th diagonal of ``g`` for a vector, ``g`` placed on it for a matrix."""
    if np.ndim(v) == 1:
        return np.diagonal(g, k).copy()
    return diagonal_adjoint(g, v, k, 0, 1)


def _wrapped(indices, length: int, mode: str):
    """Indices as numpy's take reads them in ``mode``, each within 0..length-1."""
    indices = np.asarray(indices)
    return np.clip(indices, 0, length - 1) if mode == "clip" else indices % length


@allocates
@shape_only("a")
def take_adjoint(g, a, indices, axis, mode):
    """Adjoint of ``np.take(a, indices, axis, mode=mode)``: ``g`` summed into the elements taken."""
    shape, dtype = np.shape(a), _dtype(a)
    if axis is None:
        size = int(np.prod(shape, dtype=int))
        return np.reshape(_sum_rows(np.ravel(g), np.ravel(_wrapped(indices, size, mode)), size, dtype), shape)
    axis = axis % len(shape)
    indices = _wrapped(indices, shape[axis], mode)
    taken = range(axis, axis + indices.ndim)
    moved = np.moveaxis(g, taken, range(indices.ndim))  # the index dimensions first
    rows = np.reshape(moved, (indices.size,) + np.shape(moved)[indices.ndim :])
    summed = _sum_rows(rows, np.ravel(indices), shape[axis], dtype)
    return np.moveaxis(summed, 0, axis)


@allocates
@shape_only("a")
def compress_adjoint(g, condition, a, axis):
    """Adjoint of ``np.compress(condition, a, axis)``: np.take's, at the positions where ``condition`` holds."""
    return take_adjoint(g, a, np.flatnonzero(condition), axis, "raise")


@allocates
@shape_only("arr")
def take_along_axis_adjoint(g, arr, indices, axis):
    """Adjoint of ``np.take_along_axis(arr, indices, axis)``: ``g`` summed into the elements taken."""
    shape = np.shape(arr)
    if axis is None:
        size = int(np.prod(shape, dtype=int))
        return np.reshape(_sum_rows(g, np.asarray(indices) % size, size, _dtype(arr)), shape)
    axis = axis % len(shape)
    where = [np.reshape(np.arange(n), [-1 if d == i else 1 for d in range(len(shape))]) for i, n in enumerate(shape)]
    where[axis] = np.asarray(indices) % shape[axis]
    summed = _zeros(arr)
    np.add.at(summed, tuple(where), g)
    return summed


@shape_only("choicelist")
def select_adjoint(g, condlist, choicelist):
    """Adjoint of ``np.select(condlist, choicelist, default)``: each choice gets ``g`` where its
    condition is the first one true (summed down to the choice's shape); the default gets nothing."""
    taken = np.zeros(np.shape(g), dtype=bool)
    pieces = []
    for condition, choice in zip(condlist, choicelist, strict=True):
        chosen = np.logical_and(condition, np.logical_not(taken))
        pieces.append(unbroadcast(np.where(chosen, g, 0), choice))
        taken = np.logical_or(taken, condition)
    return pieces


@shape_only("choices")
def choose_adjoint(g, a, choices, mode):
    """Adjoint of ``np.choose(a, choices, mode=mode)``: choice j gets ``g`` where ``a`` picks j."""
    picked = _wrapped(a, len(choices), mode)
    return [unbroadcast(np.where(picked == j, g, 0), choice) for j, choice in enumerate(choices)]


def rollaxis_adjoint(g, axis, start):
    """Adjoint of ``np.rollaxis(a, axis, start)``: the axis moved back to where it was."""
    ndim = np.ndim(g)
    axis, start = axis % ndim, start + ndim if start < 0 else start
    moved_to = start - 1 if axis < start else start
    return np.moveaxis(g, moved_to, axis)


@allocates
def astype(x, dtype=None):
    """``x.astype(dtype)``, the method np.astype is (s2sad differentiates it to floating types only)."""
    return x.astype(dtype)


@shape_only("arr", "values")
def append_pieces(g, arr, values, axis):
    """Adjoint of ``np.append(arr, values, axis)``: the part of ``g`` from each (flattened if axis is None)."""
    if axis is None:
        size = int(np.size(arr))
        return np.reshape(g[:size], np.shape(arr)), np.reshape(g[size:], np.shape(values))
    cut = np.shape(arr)[axis]
    return np.split(g, [cut], axis=axis)


def _piece_bounds(length, indices_or_sections):
    """Where each piece of np.split / np.array_split of ``length`` items starts and ends, as numpy cuts them."""
    if np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        each, extras = divmod(length, sections)
        sizes = [each + 1] * extras + [each] * (sections - extras)
        ends = np.cumsum(sizes).tolist()
        return list(zip([0] + ends[:-1], ends, strict=True))
    cuts = [0, *np.asarray(indices_or_sections).tolist(), length]
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def _split_axis(shape, axis):
    """The axis np.hsplit (1, or 0 for a vector), np.vsplit (0) and np.dsplit (2) cut, as ``axis`` names it."""
    if axis == "h":
        return 0 if len(shape) == 1 else 1
    return {"v": 0, "d": 2}.get(axis, axis) % len(shape)


@allocates
@shape_only("ary")
def split_adjoint(d_pieces, ary, indices_or_sections, axis=0):
    """Adjoint of the pieces of np.split / np.array_split (and h/v/dsplit: ``axis`` "h", "v", "d"):
    each piece's adjoint added where the piece lies (pieces may overlap when indices go back)."""
    shape = _shape(ary)
    axis = _split_axis(shape, axis)
    d_ary = _zeros(ary)
    length = shape[axis]
    for (start, stop), d_piece in zip(_piece_bounds(length, indices_or_sections), d_pieces, strict=True):
        d_ary[(slice(None),) * axis + (slice(start, stop),)] += d_piece
    return d_ary


@allocates
def broadcast_tangents(tangents, arrays):
    """Tangent of np.broadcast_arrays(*arrays): each tangent broadcast to the common shape."""
    shape = np.broadcast_shapes(*(np.shape(a) for a in arrays))
    return [np.broadcast_to(t, shape) for t in tangents]


@allocates
def unbroadcast_each(d_pieces, arrays):
    """Adjoint of np.broadcast_arrays(*arrays): each adjoint summed back to its array's shape."""
    return [unbroadcast(d, a) for d, a in zip(d_pieces, arrays, strict=True)]


def _positions(x):
    """Each element's position in ``x``'s flat order, shaped like ``x`` (an array, a Shape or a number)."""
    shape = _shape(x)
    return np.reshape(np.arange(int(np.prod(shape, dtype=int))), shape)


def _summed_into(g, sources, x):
    """``g`` summed into an array shaped like ``x``, in its dtype: each element of g goes to the element
    of x whose flat position ``sources`` gives at its place (-1: to none)."""
    taken = sources >= 0
    total = np.zeros(int(np.prod(_shape(x), dtype=int)), dtype=np.result_type(g, _dtype(x)))
    np.add.at(total, sources[taken], np.asarray(g)[taken])
    return np.reshape(total, _shape(x)).astype(_dtype(x), copy=False)


@allocates
@shape_only("arr")
def delete_adjoint(g, arr, obj, axis):
    """Adjoint of ``np.delete(arr, obj, axis)``: ``g`` placed at the elements kept, zeros where they were
    deleted. Which were kept is found by deleting from their indices along the axis (each once), as numpy
    reads ``obj``."""
    shape = _shape(arr)
    if axis is None:  # the flattened array
        shape, axis = (int(np.prod(shape, dtype=int)),), 0
    axis = axis % len(shape)
    total = np.zeros(shape, dtype=np.result_type(g, _dtype(arr)))
    total[(slice(None),) * axis + (np.delete(np.arange(shape[axis]), obj),)] = g
    return np.reshape(total, _shape(arr)).astype(_dtype(arr), copy=False)


@allocates
@shape_only("arr", "values")
def insert_adjoint(g, arr, values, obj, axis):
    """Adjoint of ``np.insert(arr, obj, values, axis)``: arr's elements get ``g`` where they went; each
    value gets ``g`` summed over the places numpy broadcast it to. Both are found by inserting the
    elements' positions, so ``obj`` and ``values`` are read as numpy reads them (a scalar ``obj`` and a
    sequence shape values differently)."""
    _refuse_integers(arr)
    # The values' shape decides how many places obj=[i] makes: -1s shaped like the values take them.
    from_arr = np.insert(_positions(arr), obj, np.full(_shape(values), -1), axis)
    from_values = np.insert(np.full(_shape(arr), -1), obj, _positions(values), axis)
    return _summed_into(g, from_arr, arr), _summed_into(g, from_values, values)


def _refuse_integers(arr):
    """Refuse np.insert into integers: numpy rounds the values inserted, which then have no derivative."""
    if not np.issubdtype(_dtype(arr), np.inexact):
        raise BadArgument(
            f"np.insert into an array of {_dtype(arr)} rounds the values inserted: they have no derivative",
            calling_line(),
            hint="insert into an array of floats (arr.astype(float))",
        )


@allocates
def insert_zeros(arr):
    """Zeros like ``arr`` to insert the values' tangent into (np.insert); an error for an array of integers."""
    _refuse_integers(arr)
    return np.zeros_like(arr)
