"""Indexing, joining and regrouping: an index's adjoint placed back into zeros (summed where an
integer index repeats a position), a join's adjoint cut into its pieces."""

from __future__ import annotations

import math

import numpy as np

from s2sad.runtime import structures
from s2sad.runtime.facts import allocates, shape_only
from s2sad.runtime.foreign import NATIVE, is_foreign, refuse
from s2sad.runtime.values import Shape, _added, _ndim, _shape, _zeros, add_lists, zeros_in, zeros_like

_PLAIN = (slice, int, type(None), type(Ellipsis), np.int64)  # index items that select each element once


def _is_plain_index(index) -> bool:
    """``_is_basic_index`` for the index types generated code passes most, at a fraction of its cost."""
    kind = type(index)
    if kind in _PLAIN:
        return True
    return kind is tuple and all(type(item) in _PLAIN for item in index)


def _is_basic_index(index) -> bool:
    """Integers, slices, None and Ellipsis select each element at most once."""
    if type(index) is slice:  # the common case, first
        return True
    items = index if isinstance(index, tuple) else (index,)
    return all(item is None or item is Ellipsis or isinstance(item, (int, np.integer, slice)) for item in items)


@allocates
@shape_only("x")
def getitem_adjoint(g, x, index):
    """Adjoint of ``x[index]``: ``g`` placed (summed, for repeated integer indices) into zeros."""
    if (type(x) is np.ndarray or type(x) is Shape) and _is_plain_index(index) and type(g) in NATIVE:
        d_x = np.zeros(x.shape, x.dtype)  # the common case, first: a slice or an item of a numpy array
        d_x[index] = g
        return d_x
    if structures.is_container(x):  # a list, the parts a function returns, a dict, fields: one adjoint each
        d_x = zeros_like(x)
        d_x[structures.part_key(x, index)] = g
        return d_x
    foreign = type(g) not in NATIVE and is_foreign(g)
    if _gathers_rows(x, index) and not foreign:
        return _scatter_rows(g, x, index)
    d_x = zeros_in(x, g) if foreign else _zeros(x)
    if foreign and 0 in np.shape(g):
        return d_x  # nothing to place (dask refuses to assign an empty selection)
    if _is_basic_index(index):
        d_x[index] = g
    else:
        _scatter_added(d_x, index, g)
    return d_x


@shape_only("x")
def add_to_part(d_x, x, index, g):
    """``add_lists(d_x, getitem_adjoint(g, x, index))`` for a list's (or dict's) adjoint ``d_x`` that
    nothing else shares: ``g`` added to the one item of ``x[index]`` in place, not to a list of zeros."""
    if type(index) is slice:
        return add_lists(d_x, getitem_adjoint(g, x, index))
    key = structures.part_key(x, index)
    d_x[key] = _added(d_x[key], g)  # a new item: the old one may be shared
    return d_x


def _gathers_rows(x, index) -> bool:
    """``x[index]`` with one integer array: rows of x, some perhaps many times."""
    return (
        isinstance(index, np.ndarray)
        and index.ndim == 1
        and index.dtype.kind in "iu"
        and isinstance(x, (np.ndarray, Shape))
        and x.ndim >= 1
    )


def _scatter_rows(g, x, index):
    """The rows of ``g`` summed into rows ``index`` of zeros like x: one bincount (np.add.at is slower)."""
    rows, width = x.shape[0], int(np.prod(x.shape[1:], dtype=np.int64))
    flat = ((index % rows)[:, None] * width + np.arange(width)).ravel()
    weights = np.broadcast_to(g, (len(index),) + x.shape[1:]).ravel()
    return np.bincount(flat, weights=weights, minlength=rows * width).reshape(x.shape).astype(x.dtype, copy=False)


def add_at(d_x, index, g):
    """``d_x[index] += g`` in place, repeated integer indices summed: the adjoint of ``x[index]``, accumulated."""
    if type(index) is int or _is_basic_index(index):  # an int first: a loop over x[i] calls this each trip
        d_x[index] += g
    elif _gathers_rows(d_x, index) and not is_foreign(g):
        d_x += _scatter_rows(g, d_x, index)
    else:
        _scatter_added(d_x, index, g)


def _scatter_added(d_x, index, g):
    """``np.add.at(d_x, index, g)``, or a BadArgument naming the array type that has no such update
    (dask has no scatter: its arrays cannot sum into repeated positions)."""
    try:
        np.add.at(d_x, index, g)
    except TypeError:
        if not (is_foreign(d_x) or is_foreign(g)):
            raise
        operation = "summing the adjoint of indexing by an integer array or a mask into place (np.add.at)"
        why = "they have no scatter that sums into repeated positions"
        refuse(d_x if is_foreign(d_x) else g, operation, why)


@shape_only("arrays")
def split_like(g, arrays, axis):
    """Adjoint of ``np.concatenate(arrays, axis)``: ``g`` cut into pieces shaped like ``arrays``.

    With ``axis=None`` numpy concatenates the flattened arrays: the pieces are reshaped back.
    """
    if axis is None:
        pieces = _cut(np.ravel(g), [math.prod(np.shape(a)) for a in arrays], 0)
        return [np.reshape(piece, np.shape(a)) for piece, a in zip(pieces, arrays, strict=True)]
    return _cut(g, [_shape(a)[axis] for a in arrays], axis)


def _cut(g, lengths, axis):
    """``g`` cut along ``axis`` into consecutive pieces of these lengths (as np.split, which dask lacks)."""
    before = (slice(None),) * (axis % _ndim(g))
    pieces, start = [], 0
    for length in lengths:
        pieces.append(g[before + (slice(start, start + length),)])
        start += length
    return pieces


def column(a):
    """``a`` as one piece of ``np.c_[...]``: a number as a 1x1 array, a 1-D array as a column,
    an array of two or more dimensions as it is (np.c_ joins the pieces along the last axis)."""
    if np.ndim(a) >= 2:
        return a
    return np.reshape(a, (-1, 1))


def transpose_adjoint(g, axes):
    """Adjoint of ``np.transpose(x, axes)``: the inverse permutation (negative axes counted from the end)."""
    if axes is None:
        return np.transpose(g)
    return np.transpose(g, np.argsort([axis % np.ndim(g) for axis in axes]))


def along_axis_index(shape, indices, axis):
    """The index ``np.put_along_axis(a, indices, values, axis)`` writes through (``a[index] = values``),
    built as numpy builds it; ``axis=None``: the positions of a's flat view."""
    indices = np.asarray(indices)
    if axis is None:
        return np.unravel_index(indices, shape)
    axis = axis % len(shape)
    index = []
    for dimension, length in enumerate(shape):
        if dimension == axis:
            index.append(indices)
        else:
            ones = [1] * len(shape)
            ones[dimension] = length
            index.append(np.arange(length).reshape(ones))
    return tuple(index)
