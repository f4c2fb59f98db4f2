"""The helpers of the rules in s2sad/rules/order.py: sort, partition and the quantiles, whose derivatives
follow a permutation of the input (a stable argsort)."""

from __future__ import annotations

import numpy as np

from s2sad.runtime.facts import allocates
from s2sad.runtime.reductions import _reduced_axes
from s2sad.runtime.statistics import _in_dtype, _last_axis
from s2sad.runtime.values import _dtype


@allocates
def sort_adjoint(g, x, axis):
    """Adjoint of ``np.sort(x, axis)``: each sorted position's gradient back to the element there
    (a stable argsort: among equal elements the first takes the first position)."""
    moved, back = _last_axis(x, axis)
    g, _ = _last_axis(np.broadcast_to(g, np.shape(np.sort(x, axis))), axis)
    spread = np.empty(moved.shape, dtype=np.result_type(_dtype(x), g, 1.0))
    np.put_along_axis(spread, np.argsort(moved, -1, kind="stable"), g, -1)
    return _in_dtype(back(spread), x)


def sort_tangent(d, x, axis):
    """Tangent of ``np.sort(x, axis)``: the tangents in the order of a stable argsort of ``x``."""
    moved, back = _last_axis(x, axis)
    d, _ = _last_axis(np.broadcast_to(d, np.shape(x)), axis)
    tangent = np.take_along_axis(d, np.argsort(moved, -1, kind="stable"), -1)
    return tangent if axis is None else back(tangent)  # numpy flattens x when axis is None


def _reduced_last(x, axis):
    """``x`` with the reduced axes moved last and flattened into one, and how to put a result back."""
    x = np.asarray(x)
    axes = _reduced_axes(axis, x.ndim)
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, kept + list(axes))
    flat = moved.reshape(moved.shape[: len(kept)] + (-1,))
    return flat, lambda y: np.transpose(np.reshape(y, moved.shape), np.argsort(kept + list(axes)))


def _interpolation(q, n):
    """The weights (one row per quantile in ``q``, one column per sorted position) of numpy's
    default 'linear' method: position q (n - 1), between its floor and the next position."""
    q = np.ravel(np.asarray(q, dtype=float))
    position = q * (n - 1)
    below = np.clip(np.floor(position).astype(int), 0, n - 1)
    above = np.minimum(below + 1, n - 1)
    weights = np.zeros((q.size, n))
    np.add.at(weights, (np.arange(q.size), below), 1.0 - (position - below))
    np.add.at(weights, (np.arange(q.size), above), position - below)
    return weights


@allocates
def quantile_adjoint(g, x, q, axis, keepdims):
    """Adjoint of ``np.quantile(x, q, axis, keepdims=keepdims)``: each quantile's gradient to the two
    sorted positions it interpolates (a stable argsort of x says which elements are there)."""
    flat, back = _reduced_last(x, axis)
    weights = _interpolation(q, flat.shape[-1])
    g = np.reshape(g, (len(weights),) + flat.shape[:-1])  # keepdims' 1s dropped, the order kept
    spread = np.empty(flat.shape, dtype=np.result_type(_dtype(x), g, 1.0))
    np.put_along_axis(spread, np.argsort(flat, -1, kind="stable"), np.moveaxis(g, 0, -1) @ weights, -1)
    return _in_dtype(back(spread), x)


def quantile_tangent(d, x, q, axis, keepdims):
    """Tangent of ``np.quantile(x, q, axis, keepdims=keepdims)``: the tangents at the sorted
    positions each quantile interpolates, interpolated alike."""
    flat, _ = _reduced_last(x, axis)
    d_flat, _ = _reduced_last(np.broadcast_to(d, np.shape(x)), axis)
    weights = _interpolation(q, flat.shape[-1]).astype(np.result_type(d_flat, 1.0))
    picked = np.take_along_axis(d_flat, np.argsort(flat, -1, kind="stable"), -1)
    tangent = np.moveaxis(picked @ weights.T, -1, 0)
    shape = np.shape(np.quantile(x, q, axis, keepdims=keepdims))
    return np.reshape(tangent, shape)


def _matching_order(out, x, axis):
    """The permutation ``order`` along ``axis`` (x moved last) with out = take_along_axis(x, order): the
    k-th smallest of out is the k-th smallest of x (a stable argsort of each; equal values are alike)."""
    moved, _ = _last_axis(x, axis)
    result, _ = _last_axis(out, axis)
    order = np.empty(moved.shape, dtype=np.intp)
    np.put_along_axis(order, np.argsort(result, -1, kind="stable"), np.argsort(moved, -1, kind="stable"), -1)
    return order


@allocates
def partition_adjoint(g, out, x, axis):
    """Adjoint of ``out = np.partition(x, kth, axis)``: each position's gradient back to the element of x
    that numpy put there (out is a permutation of x along axis)."""
    moved, back = _last_axis(x, axis)
    g, _ = _last_axis(np.broadcast_to(g, np.shape(out)), axis)
    spread = np.empty(moved.shape, dtype=np.result_type(_dtype(x), g, 1.0))
    np.put_along_axis(spread, _matching_order(out, x, axis), g, -1)
    return _in_dtype(back(spread), x)


def partition_tangent(d, out, x, axis):
    """Tangent of ``out = np.partition(x, kth, axis)``: the tangents permuted as x was."""
    _, back = _last_axis(x, axis)
    d, _ = _last_axis(np.broadcast_to(d, np.shape(x)), axis)
    tangent = np.take_along_axis(d, _matching_order(out, x, axis), -1)
    return tangent if axis is None else back(tangent)  # numpy flattens x when axis is None
