"""The helpers of the rules in s2sad/rules/statistics.py: counts over reduced axes, spreads of a
reduction's adjoint (weighted averages, traces, differences, gradients), cumulative products and
logsumexp's weights."""

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


def _weights_along(weights, shape, axis):
    """np.average's ``weights`` shaped to broadcast against an array of ``shape``, as numpy lays them:
    as given where their shape is the array's, else one dimension per axis of ``axis``, in its order."""
    weights = np.asarray(weights)
    if weights.shape == tuple(shape):
        return weights
    axes = _reduced_axes(axis, len(shape))
    laid = np.transpose(weights, np.argsort(axes))
    return np.reshape(laid, [n if a in axes else 1 for a, n in enumerate(shape)])


def _weights_back(spread, weights, axis):
    """A contribution ``spread`` of the array's shape summed back to the weights' (undoing _weights_along)."""
    if np.shape(spread) == np.shape(weights):
        return spread
    axes = _reduced_axes(axis, np.ndim(spread))
    summed = np.sum(spread, axis=tuple(a for a in range(np.ndim(spread)) if a not in axes))
    return np.transpose(summed, np.argsort(np.argsort(axes)))


@allocates
@shape_only("x")
def average_adjoint(g, x, axis, weights, keepdims):
    """Adjoint of ``np.average(x, axis, weights)`` in x: g times each element's share of the weights."""
    shape = _shape(x)
    weights = np.ones(shape) if weights is None else np.broadcast_to(_weights_along(weights, shape, axis), shape)
    share = weights / np.sum(weights, axis=axis, keepdims=True)
    return _in_dtype(share * expand_reduced(g, x, axis, keepdims), x)


@allocates
def average_weights_adjoint(g, out, x, axis, weights, keepdims):
    """Adjoint of ``np.average(x, axis, weights)`` in the weights: (x - average) g / (sum of the weights),
    summed back to the weights' shape."""
    x = np.asarray(x)
    along = _weights_along(weights, x.shape, axis)
    total = np.sum(along, axis=axis, keepdims=True)
    spread = (x - expand_reduced(out, x, axis, keepdims)) * expand_reduced(g, x, axis, keepdims) / total
    return _in_dtype(_weights_back(np.broadcast_to(spread, x.shape), weights, axis), weights)


def average_weights_tangent(d_weights, out, x, axis, weights, keepdims):
    """Tangent of ``np.average(x, axis, weights)`` in the weights: sum((x - average) d) / (sum of the weights)."""
    shape = np.shape(x)
    centered = x - expand_reduced(out, x, axis, keepdims)
    moved = np.sum(centered * _weights_along(d_weights, shape, axis), axis=axis, keepdims=keepdims)
    return moved / np.sum(_weights_along(weights, shape, axis), axis=axis, keepdims=keepdims)


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
def gradient_adjoint(g, x, spacing, axis, edge_order):
    """Adjoint of ``np.gradient(x, spacing, axis=axis, edge_order=edge_order)`` along one axis (spacing
    None: numpy's unit spacing).

    Along that axis numpy's gradient is a matrix M (the same on every line) whose row i reads x at
    i-2..i+2 at most. Its entries come from numpy itself: np.gradient of the probe that is 1 at the
    columns j = r (mod 5) gives, at row i, M[i, j] for the one such j within 2 of i. The adjoint is
    then M^T g, five columns at a time: exact for any spacing (a number or coordinates) numpy takes."""
    axis = gradient_axis(x, axis)
    g = np.moveaxis(np.asarray(g, dtype=np.result_type(g, 1.0)), axis, -1)
    spread = np.zeros_like(g)
    columns = np.arange(g.shape[-1])
    for residue in range(min(5, g.shape[-1])):
        probe = np.where(columns % 5 == residue, 1.0, 0.0)
        weighted = np.gradient(probe, *_spacings(spacing), edge_order=edge_order) * g
        for offset in range(-2, 3):
            read = (columns % 5 == residue) & (columns + offset >= 0) & (columns + offset < g.shape[-1])
            spread[..., columns[read]] += weighted[..., columns[read] + offset]
    return _in_dtype(np.moveaxis(spread, -1, axis), x)


def gradient_tangent(d, x, spacing, axis, edge_order):
    """Tangent of ``np.gradient(x, spacing, axis=axis, edge_order=edge_order)``: linear in x, so the same
    gradient of the tangent (the one axis checked: numpy gives a tuple of arrays for several)."""
    return np.gradient(d, *_spacings(spacing), axis=gradient_axis(x, axis), edge_order=edge_order)


def _spacings(spacing):
    """np.gradient's *varargs for ``spacing``: none for None (unit spacing), else that one."""
    return () if spacing is None else (spacing,)


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


def _logsumexp_terms(a, axis, b):
    """exp(a - shift) over a and b broadcast together, and the sum of b exp(a - shift) over ``axis``
    (kept): NaN where that sum is negative, where scipy's logsumexp (log of a negative) is NaN too."""
    a = np.asarray(a)
    if b is not None:
        a, b = np.broadcast_arrays(a, b)
    shift = np.max(a, axis=axis, keepdims=True) if a.size else 0.0
    exps = np.exp(a - np.where(np.isfinite(shift), shift, 0.0))
    total = np.sum(exps if b is None else exps * b, axis=axis, keepdims=True)
    return exps, np.where(total < 0, np.nan, total)


def logsumexp_weights(a, axis, b):
    """The derivative of ``scipy.special.logsumexp(a, axis, b)`` in a: b exp(a - logsumexp), shaped like
    a and b broadcast together."""
    exps, total = _logsumexp_terms(a, axis, b)
    return (exps if b is None else exps * b) / total


def logsumexp_scale(a, axis, b):
    """The derivative of ``scipy.special.logsumexp(a, axis, b)`` in b: exp(a - logsumexp), shaped like
    a and b broadcast together (finite where b is 0)."""
    exps, total = _logsumexp_terms(a, axis, b)
    return exps / total
