"""The helpers of the rules in s2sad/rules/statistics.py: counts over reduced axes, spreads of a
reduction's adjoint (weighted averages, traces, differences), and the order statistics (sort,
quantiles), whose derivatives follow a stable argsort."""

from __future__ import annotations

import numpy as np

from s2sad.errors import BadArgument
from s2sad.runtime.facts import allocates, shape_only
from s2sad.runtime.reductions import _reduced_axes, expand_reduced
from s2sad.runtime.values import _dtype, _shape


def _in_dtype(value, x):
    """``value`` as an array in the floating dtype of ``x`` (float64 for integers)."""
    return np.asarray(value, dtype=np.result_type(_dtype(x), 1.0))


@shape_only("x")
def reduced_count(x, axis):
    """How many elements of ``x`` each result of a reduction over ``axis`` gathers."""
    shape = _shape(x)
    count = 1
    for a in _reduced_axes(axis, len(shape)):
        count *= shape[a]
    return count


def present_count(x, axis, keepdims=True):
    """How many elements that are not NaN each result of a reduction over ``axis`` gathers, in x's
    floating dtype (so dividing by it keeps float32)."""
    return np.sum(~np.isnan(x), axis=axis, keepdims=keepdims, dtype=np.result_type(_dtype(x), 1.0))


@allocates
def variance_adjoint(g, x, axis, ddof, keepdims):
    """Adjoint of ``np.var(x, axis, ddof=ddof)``: 2 (x - mean) g / (count - ddof)."""
    centered = x - np.mean(x, axis=axis, keepdims=True)
    scale = 2.0 / (reduced_count(x, axis) - ddof)
    return _in_dtype(centered * expand_reduced(g, x, axis, keepdims) * scale, x)


@allocates
def nan_variance_adjoint(g, x, axis, ddof, keepdims):
    """Adjoint of ``np.nanvar``: as ``variance_adjoint`` over the elements that are not NaN, 0 at NaNs."""
    centered = np.where(np.isnan(x), 0.0, x - np.nanmean(x, axis=axis, keepdims=True))
    scale = 2.0 / (present_count(x, axis) - ddof)
    return _in_dtype(centered * expand_reduced(g, x, axis, keepdims) * scale, x)


def _along(values, ndim, axis):
    """A 1-D ``values`` shaped to broadcast along ``axis`` of an array of ``ndim`` dimensions."""
    shape = [1] * ndim
    shape[axis] = -1
    return np.reshape(values, shape)


@allocates
@shape_only("x")
def average_adjoint(g, x, axis, weights, keepdims):
    """Adjoint of ``np.average(x, axis, weights)``: g times each element's share of the weights
    (numpy's 1-D weights lie along the one ``axis``)."""
    shape = _shape(x)
    if weights is None:
        weights = np.ones(shape)
    weights = np.asarray(weights)
    if weights.shape != tuple(shape):
        weights = _along(weights, len(shape), axis)
    weights = np.broadcast_to(weights, shape)
    share = weights / np.sum(weights, axis=axis, keepdims=True)
    return _in_dtype(share * expand_reduced(g, x, axis, keepdims), x)


@allocates
@shape_only("x")
def trace_adjoint(g, x, offset, axis1, axis2):
    """Adjoint of ``np.trace(x, offset, axis1, axis2)``: g on the diagonal, 0 elsewhere."""
    shape = _shape(x)
    axis1, axis2 = axis1 % len(shape), axis2 % len(shape)
    diagonal = np.eye(shape[axis1], shape[axis2], offset)
    if axis1 > axis2:
        diagonal = diagonal.T
    mask_shape = [1] * len(shape)
    mask_shape[axis1], mask_shape[axis2] = shape[axis1], shape[axis2]
    spread = np.expand_dims(g, tuple(sorted((axis1, axis2))))
    return _in_dtype(np.reshape(diagonal, mask_shape) * spread, x)


@allocates
@shape_only("x")
def diff_adjoint(g, x, n, axis):
    """Adjoint of ``np.diff(x, n, axis)``: the adjoint of one difference, applied n times."""
    for _ in range(n):
        g = np.moveaxis(g, axis, -1)
        pad = np.zeros(g.shape[:-1] + (1,), dtype=g.dtype)
        g = np.moveaxis(np.concatenate([pad, g], -1) - np.concatenate([g, pad], -1), -1, axis)
    return _in_dtype(np.reshape(g, _shape(x)), x)


@shape_only("x")
def gradient_axis(x, axis):
    """The one axis ``np.gradient(x, axis=axis)`` differentiates along; refused (s2sad's BadArgument) where
    numpy gives one array per axis (``x`` of several dimensions and no single axis), which s2sad
    cannot differentiate."""
    ndim = len(_shape(x))
    if isinstance(axis, (tuple, list)) and len(axis) == 1:
        axis = axis[0]
    if axis is None and ndim == 1:
        axis = 0
    if not isinstance(axis, (int, np.integer)):
        raise BadArgument(
            f"np.gradient of a {ndim}-d array gives one array per axis, which s2sad does not differentiate: "
            "give one axis (axis=k)"
        )
    return int(axis) % ndim


@allocates
@shape_only("x")
def gradient_adjoint(g, x, axis, edge_order):
    """Adjoint of ``np.gradient(x, axis=axis, edge_order=edge_order)`` (unit spacing) along one axis:
    central differences inside, one-sided ones of ``edge_order`` at both ends."""
    axis = gradient_axis(x, axis)
    g = np.moveaxis(np.asarray(g, dtype=np.result_type(g, 1.0)), axis, -1)
    spread = np.zeros_like(g)
    spread[..., 2:] += g[..., 1:-1] / 2
    spread[..., :-2] -= g[..., 1:-1] / 2
    if edge_order == 1:
        spread[..., 1] += g[..., 0]
        spread[..., 0] -= g[..., 0]
        spread[..., -1] += g[..., -1]
        spread[..., -2] -= g[..., -1]
    else:
        spread[..., :3] += g[..., :1] * np.array([-1.5, 2.0, -0.5])
        spread[..., -3:] += g[..., -1:] * np.array([0.5, -2.0, 1.5])
    return _in_dtype(np.moveaxis(spread, -1, axis), x)


def _last_axis(x, axis):
    """``x`` with ``axis`` moved last (flattened when ``axis`` is None), and how to put it back."""
    x = np.asarray(x)
    if axis is None:
        return np.ravel(x), lambda y: np.reshape(y, x.shape)
    return np.moveaxis(x, axis, -1), lambda y: np.moveaxis(y, -1, axis)


@allocates
def cumprod_adjoint(g, x, axis):
    """Adjoint of ``np.cumprod(x, axis)``: element j gets (x_0 ... x_{j-1}) S_j, where
    S_j = g_j + x_{j+1} S_{j+1}. Products only, no division: exact where elements are zero."""
    moved, back = _last_axis(x, axis)
    g, _ = _last_axis(np.broadcast_to(g, np.shape(np.cumprod(x, axis))), axis)
    ones = np.ones_like(moved[..., :1])
    before = np.cumprod(np.concatenate([ones, moved[..., :-1]], -1), -1)
    later = np.array(g, dtype=np.result_type(moved, g, 1.0))
    for j in range(moved.shape[-1] - 2, -1, -1):
        later[..., j] += moved[..., j + 1] * later[..., j + 1]
    return _in_dtype(back(before * later), x)


def cumprod_tangent(d, x, axis):
    """Tangent of ``np.cumprod(x, axis)``: t_j = t_{j-1} x_j + y_{j-1} d_j (exact where x is zero)."""
    moved, back = _last_axis(x, axis)
    d, _ = _last_axis(np.broadcast_to(d, np.shape(x)), axis)
    products = np.cumprod(moved, -1)
    tangent = np.array(d, dtype=np.result_type(moved, d, 1.0))
    for j in range(1, moved.shape[-1]):
        tangent[..., j] = tangent[..., j - 1] * moved[..., j] + products[..., j - 1] * d[..., j]
    return tangent if axis is None else back(tangent)  # numpy flattens x when axis is None


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


def logsumexp_weights(a, axis, b):
    """The derivative of ``scipy.special.logsumexp(a, axis, b)`` in a: b exp(a - logsumexp), shaped like a."""
    a = np.asarray(a)
    shift = np.max(a, axis=axis, keepdims=True) if a.size else 0.0
    terms = np.exp(a - np.where(np.isfinite(shift), shift, 0.0))
    if b is not None:
        terms = terms * b
    return terms / np.sum(terms, axis=axis, keepdims=True)
