"""Reductions and cumulative sums over an axis (int, tuple or None): a reduction's adjoint spreads a
gradient back over the reduced axes, its tangent reduces the input's tangent."""

from __future__ import annotations

import math

import numpy as np

from s2sad.runtime.facts import allocates, shape_only
from s2sad.runtime.foreign import NATIVE, is_foreign, numpy_only
from s2sad.runtime.values import _dtype, _ndim, _shape, _zeros, filled, spread_like, unbroadcast, zeros_like


def _array(x):
    """``x`` as an array: numpy's for a number or a list, another library's array as it is."""
    return x if is_foreign(x) else np.asanyarray(x)


def _reduced_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(a % ndim for a in axis)
    return (axis % ndim,)


def expand_reduced(g, x, axis, keepdims):
    """Reshape a reduction's adjoint ``g`` so it broadcasts against ``x``."""
    if keepdims:
        return g
    ndim = _ndim(x)
    if type(axis) is int and type(g) is np.ndarray and ndim:  # one axis: a view, without expand_dims' checks
        return g[(slice(None),) * (axis % ndim) + (None,)]
    return np.expand_dims(g, _reduced_axes(axis, ndim)) if ndim else g


@allocates
@shape_only("x")
def unreduce(g, x, axis, keepdims):
    """Adjoint of a sum over ``axis``: ``g`` spread back over the shape of ``x``, in x's dtype."""
    if _ndim(x) == 0:
        return g
    if (type(x) is not np.ndarray and is_foreign(x)) or (type(g) not in NATIVE and is_foreign(g)):
        return spread_like(x, expand_reduced(g, x, axis, keepdims))
    if axis is None and _ndim(g) == 0:
        return filled(_shape(x), g, _dtype(x))  # the common full reduction: one call
    spread = np.empty(_shape(x), dtype=_dtype(x))
    spread[...] = expand_reduced(g, x, axis, keepdims)
    return spread


@allocates
@shape_only("x")
def mean_adjoint(g, x, axis, keepdims):
    """Adjoint of a mean over ``axis``: ``g`` spread back and divided by the count averaged."""
    shape = _shape(x)
    size = math.prod(shape)
    if size == 0:
        return _zeros(x)  # an empty mean: no element to give an adjoint to
    foreign = (type(x) is not np.ndarray and is_foreign(x)) or (type(g) not in NATIVE and is_foreign(g))
    if axis is None and shape and _ndim(g) == 0 and not foreign:
        return filled(shape, g / size, _dtype(x))  # the common full mean: one call
    count = 1
    for a in _reduced_axes(axis, len(shape)):
        count *= shape[a]
    return unreduce(g, x, axis, keepdims) / count


@allocates
def extremum_adjoint(g, out, x, axis, keepdims):
    """Adjoint of max/min: ``g`` goes to the extreme elements, split equally among ties."""
    hits = (x == expand_reduced(out, x, axis, keepdims)).astype(np.result_type(x, 1.0))
    share = hits / np.sum(hits, axis=axis, keepdims=True)
    return share * expand_reduced(g, x, axis, keepdims)


@allocates
def prod_adjoint(g, x, axis, keepdims):
    """Adjoint of a product: each element gets ``g`` times the product of the others.

    Exclusive products from both sides, so zeros in ``x`` are handled exactly.
    """
    x = _array(x)
    axes = _reduced_axes(axis, x.ndim)
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, kept + list(axes))
    flat = moved.reshape(moved.shape[: len(kept)] + (-1,))
    ones = np.ones_like(flat[..., :1])
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat, -1)[..., :-1]], axis=-1), axis=-1), -1)
    others = (left * right).reshape(moved.shape)
    others = np.transpose(others, np.argsort(kept + list(axes)))
    return others * expand_reduced(g, x, axis, keepdims)


def _reduced_last(x, axis):
    """``x`` with the reduced axes moved last and flattened into one, and the kept shape."""
    x = _array(x)
    axes = _reduced_axes(axis, x.ndim)
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, kept + list(axes))
    return moved.reshape(moved.shape[: len(kept)] + (-1,)), axes


def _keep_reduced(value, x, axes, keepdims):
    """A reduction's result (the kept axes only) with the reduced axes put back as 1s if ``keepdims``."""
    if keepdims and _ndim(x):
        return np.expand_dims(value, axes)
    return value


def prod_tangent(d_x, x, axis, keepdims):
    """Tangent of ``np.prod(x, axis)``: sum over the reduced elements of d_x times the product of
    the others (exclusive prefix and suffix products, so zeros in ``x`` are exact)."""
    if _ndim(x) == 0:
        return d_x
    flat, axes = _reduced_last(x, axis)
    d_flat, _ = _reduced_last(np.broadcast_to(d_x, _shape(x)), axis)
    before = np.cumprod(flat, axis=-1)
    after = np.flip(np.cumprod(np.flip(flat, -1), axis=-1), -1)
    ones = np.ones_like(flat[..., :1])
    others = np.concatenate([ones, before[..., :-1]], axis=-1) * np.concatenate([after[..., 1:], ones], axis=-1)
    return _keep_reduced(np.sum(others * d_flat, axis=-1), x, axes, keepdims)


def extremum_tangent(d_x, out, x, axis, keepdims):
    """Tangent of max/min over ``axis``: the mean of d_x over the elements equal to the extreme (ties shared)."""
    if _ndim(x) == 0:
        return d_x
    axes = _reduced_axes(axis, _ndim(x))
    extreme = out if keepdims else np.expand_dims(out, axes)
    hits = np.equal(x, extreme)
    total = np.sum(np.where(hits, d_x, 0.0), axis=axes, keepdims=keepdims)
    return total / np.sum(hits, axis=axes, keepdims=keepdims).astype(np.result_type(total))


@numpy_only
def prod_curvature(d_x, x, axis):
    """For each element j of ``x``: the sum over reduced i != j of d_x[i] times the product of the
    x[k], k not in {i, j} (shaped like x): the derivative of ``prod_tangent(d_x, x, ...)`` in x.

    Exclusive prefix and suffix products and their tangents, so zeros in ``x`` are exact (no
    division); O(n) in the reduced length n, as a Python loop of n steps over the kept axes.
    """
    x = _array(x)
    flat, axes = _reduced_last(x, axis)
    d_flat, _ = _reduced_last(np.broadcast_to(d_x, x.shape), axis)
    dtype = np.result_type(flat, d_flat)
    left, right = np.ones(flat.shape, dtype), np.ones(flat.shape, dtype)  # products of x[k], k < j / k > j
    d_left, d_right = np.zeros(flat.shape, dtype), np.zeros(flat.shape, dtype)  # ... and their tangents
    n = flat.shape[-1]
    for j in range(1, n):
        d_left[..., j] = d_left[..., j - 1] * flat[..., j - 1] + left[..., j - 1] * d_flat[..., j - 1]
        left[..., j] = left[..., j - 1] * flat[..., j - 1]
        i = n - 1 - j
        d_right[..., i] = d_right[..., i + 1] * flat[..., i + 1] + right[..., i + 1] * d_flat[..., i + 1]
        right[..., i] = right[..., i + 1] * flat[..., i + 1]
    kept = [a for a in range(x.ndim) if a not in axes]
    curvature = (d_left * right + left * d_right).reshape(tuple(x.shape[a] for a in kept + list(axes)))
    return np.transpose(curvature, np.argsort(kept + list(axes)))


@allocates
@shape_only("items")
def sum_adjoint(g, items):
    """Adjoint of the builtin ``sum(items)``: ``g`` for each item of a list, summed down to its shape;
    for an array (summed over its rows), ``g`` in every row."""
    if isinstance(items, (list, tuple)):
        return [unbroadcast(g, item) for item in items]
    return zeros_like(items) + g


def sum_tangent(items):
    """Tangent of the builtin ``sum(items)``: the items' tangents added (broadcasting), starting from 0."""
    total = 0
    for item in items:
        total = total + item
    return total


def _products_of_the_others(items, start):
    """For each item, ``start`` times the product of the other items: products from both ends, so
    exact where an item is zero."""
    count = len(items)
    before, after = [start] * count, [1] * count
    for k in range(1, count):
        before[k] = before[k - 1] * items[k - 1]
        after[count - 1 - k] = after[count - k] * items[count - k]
    return [b * a for b, a in zip(before, after, strict=True)]


@allocates
def product_adjoint(g, items, start):
    """Adjoint of ``math.prod(items, start=start)``: ``g`` times the product of the others, for each
    item of a list (summed down to its shape) or each row of an array."""
    others = _products_of_the_others(items, start)
    if isinstance(items, (list, tuple)):
        return [unbroadcast(g * other, item) for other, item in zip(others, items, strict=True)]
    adjoint = np.zeros_like(items)
    for k, other in enumerate(others):
        adjoint[k] = g * other
    return adjoint


def product_tangent(d_items, items, start):
    """Tangent of ``math.prod(items, start=start)``: each item's tangent times the product of the others."""
    total = 0
    for other, d_item in zip(_products_of_the_others(items, start), d_items, strict=True):
        total = total + other * d_item
    return total


def sum_start_tangent(d_start, value):
    """The term of ``start`` in the tangent of ``value = sum(items, start)``: ``d_start`` spread to
    the sum's shape (items may broadcast it), in its dtype."""
    return d_start if _shape(d_start) == _shape(value) else np.zeros_like(value) + d_start


@allocates
@shape_only("x")
def cumsum_adjoint(g, x, axis):
    """Adjoint of ``np.cumsum(x, axis)``: each element gets the sum of ``g`` from its position to the
    end of the axis. With ``axis=None`` numpy sums ``x`` flattened: the adjoint is shaped back like x."""
    if axis is None:
        return np.reshape(np.flip(np.cumsum(np.flip(np.ravel(g)))), _shape(x))
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)
