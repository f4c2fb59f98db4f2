"""Sorting and order statistics: sort, partition, median, percentile and quantile (also skipping NaNs).

Their results are elements of the input, permuted (sort, partition) or interpolated between two
sorted positions (numpy's default 'linear' method); the derivative goes back to the elements there.

- sort, median, percentile and quantile follow a stable argsort: each position of the sorted array
  takes its gradient from exactly one element, and among equal elements the one first in the array
  takes the first of their positions. Equal elements do not share (unlike max and min): the
  gradient of a median of ``[1, 1, 3]`` goes entirely to the first 1. Away from ties this is the
  derivative; at ties it is the derivative of one branch (a one-sided derivative).
- partition: each position of the result takes its gradient from the element numpy put there (equal
  elements are interchangeable: which one gets it does not change the result). ``kth`` carries no
  derivative. ``x.partition(k)`` sorts x in place and returns None: it is not supported.
"""

import numpy as np

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent, zero_derivative

zero_derivative("numpy.argpartition", method="argpartition")

_CUBE = {"a": (2, 3, 4)}
_MATRIX = {"a": (3, 2)}

# ---------------------------------------------------------------------------
# sorting and partitioning (see the module docstring)


@adjoint(
    "numpy.sort",
    returns="new",
    examples=(
        Example("np.sort(a)", {"a": (5,)}),
        Example("np.sort(a)", _CUBE),
        Example("np.sort(a, 0)", _MATRIX),
        Example("np.sort(a, axis=1)", _CUBE),
        Example("np.sort(a, axis=None)", _MATRIX),
    ),
)
def sort_adjoint_rule(d_out, out, a, axis=-1):
    return _rt.sort_adjoint(d_out, a, axis)


@tangent("numpy.sort")
def sort_tangent_rule(d_a, out, a, axis=-1):
    return _rt.sort_tangent(d_a, a, axis)


@adjoint(
    "numpy.partition",
    inactive=("kth",),
    returns="new",
    examples=(
        Example("np.partition(a, 2)", {"a": (5,)}),
        Example("np.partition(a, [1, 3])", {"a": (6,)}),
        Example("np.partition(a, (0, -1), axis=0)", _MATRIX),
        Example("np.partition(a, 1, 1)", _CUBE),
        Example("np.partition(a, -1, axis=-1)", _CUBE),
        Example("np.partition(a, 3, axis=None)", _MATRIX),
        Example("np.partition(a, 2)[:2]", {"a": (5,)}),
    ),
)
def partition_adjoint_rule(d_out, out, a, kth, axis=-1):
    return _rt.partition_adjoint(d_out, out, a, axis), None


@tangent("numpy.partition")
def partition_tangent_rule(d_a, d_kth, out, a, kth, axis=-1):
    return _rt.partition_tangent(d_a, out, a, axis), None


def _order_examples(call: str) -> tuple[Example, ...]:
    """``call`` (``{f}(a{q}``, with ``{q}`` the quantiles) over every axis form and several q."""
    return (
        Example(call.format(q="") + ")", {"a": (5,)}),
        Example(call.format(q="") + ")", {"a": (6,)}),
        Example(call.format(q="") + ", axis=1)", _CUBE),
        Example(call.format(q="") + ", axis=(0, 2))", _CUBE),
        Example(call.format(q="") + ", -1, keepdims=True)", _CUBE),
        Example(call.format(q="") + ", None, keepdims=True)", _MATRIX),
    )


_MEDIANS = _order_examples("np.median(a{q}") + (Example("a[0] + np.median(a)", {"a": (4,)}),)


@adjoint("numpy.median", keyword_only=("keepdims",), full_reduction=True, examples=_MEDIANS)
def median_adjoint_rule(d_out, out, a, axis=None, keepdims=False):
    return _rt.quantile_adjoint(d_out, a, 0.5, axis, keepdims)


@tangent("numpy.median")
def median_tangent_rule(d_a, out, a, axis=None, keepdims=False):
    return _rt.quantile_tangent(d_a, a, 0.5, axis, keepdims)


_QUANTILES = (
    Example("np.quantile(a, 0.3)", {"a": (5,)}),
    Example("np.quantile(a, 1.0)", {"a": (5,)}),
    Example("np.quantile(a, 0.0, axis=1)", _CUBE),
    Example("np.quantile(a, [0.1, 0.5, 0.8], axis=(0, 2))", _CUBE),
    Example("np.quantile(a, [0.25, 0.9], -1, keepdims=True)", _CUBE),
    Example("np.quantile(a, [[0.2], [0.7]], None, keepdims=True)", _MATRIX),
    Example("np.quantile(a, q=0.65, axis=0)", _MATRIX),
)


@adjoint("numpy.quantile", keyword_only=("keepdims",), inactive=("q",), examples=_QUANTILES)
def quantile_adjoint_rule(d_out, out, a, q, axis=None, keepdims=False):
    return _rt.quantile_adjoint(d_out, a, q, axis, keepdims), None


@tangent("numpy.quantile")
def quantile_tangent_rule(d_a, d_q, out, a, q, axis=None, keepdims=False):
    return _rt.quantile_tangent(d_a, a, q, axis, keepdims), None


_PERCENTILES = tuple(
    Example(e.call.replace("quantile", "percentile").replace("q=0.65", "q=65.0"), e.shapes) for e in _QUANTILES
) + (
    Example("np.percentile(a, [5, 50, 95], axis=1)", _CUBE),
)


@adjoint("numpy.percentile", keyword_only=("keepdims",), inactive=("q",), examples=_PERCENTILES)
def percentile_adjoint_rule(d_out, out, a, q, axis=None, keepdims=False):
    return _rt.quantile_adjoint(d_out, a, np.divide(q, 100.0), axis, keepdims), None


@tangent("numpy.percentile")
def percentile_tangent_rule(d_a, d_q, out, a, q, axis=None, keepdims=False):
    return _rt.quantile_tangent(d_a, a, np.divide(q, 100.0), axis, keepdims), None


# ---------------------------------------------------------------------------
# the tangents of the order statistics, for second derivatives: linear in the tangent d, piecewise
# constant in x (no derivative flows to x). Integer scores k (ties included) as x: the tests move each
# float argument, and moving x would reorder it.


def _scores(call: str, d_shape: tuple[int, ...]) -> Example:
    return Example("k = x + 2 * y; " + call, {"d": d_shape, "x": (3, 4), "y": (3, 4)}, {"x": "bool", "y": "bool"})


@adjoint(
    "s2sad.runtime.sort_tangent",
    linear=("d",),
    examples=(
        _scores("_rt.sort_tangent(d, k, -1)", (3, 4)),
        _scores("_rt.sort_tangent(d, k, 0)", (3, 4)),
        _scores("_rt.sort_tangent(d, k, None)", (3, 4)),
    ),
)
def sort_tangent_adjoint_rule(d_out, out, d, x, axis=-1):
    return _rt.unbroadcast(_rt.sort_adjoint(d_out, x, axis), d), None


@adjoint(
    "s2sad.runtime.quantile_tangent",
    linear=("d",),
    examples=(
        _scores("_rt.quantile_tangent(d, k, 0.5, None, False)", (3, 4)),
        _scores("_rt.quantile_tangent(d, k, 0.3, 1, True)", (3, 4)),
        _scores("_rt.quantile_tangent(d, k, [0.2, 0.9], 0, False)", (3, 4)),
    ),
)
def quantile_tangent_adjoint_rule(d_out, out, d, x, q=0.5, axis=None, keepdims=False):
    return _rt.unbroadcast(_rt.quantile_adjoint(d_out, x, q, axis, keepdims), d), None


@adjoint(
    "s2sad.runtime.partition_tangent",
    linear=("d",),
    examples=(
        _scores("_rt.partition_tangent(d, np.partition(k, 1), k, -1)", (3, 4)),
        _scores("_rt.partition_tangent(d, np.partition(k, [0, 2], 0), k, 0)", (3, 4)),
        _scores("_rt.partition_tangent(d, np.partition(k, 5, None), k, None)", (3, 4)),
    ),
)
def partition_tangent_adjoint_rule(d_out, out, d, partitioned, x, axis=-1):
    return _rt.unbroadcast(_rt.partition_adjoint(d_out, partitioned, x, axis), d), None, None
