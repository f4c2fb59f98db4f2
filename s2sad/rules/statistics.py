"""Statistics over an axis (with axis, keepdims, ddof, weights where numpy has them): var, std, average,
cumulative products, differences, sorting and order statistics, nan-aware sums, scipy.special.logsumexp.

Where a function has a kink, the derivative chosen there:

- std at zero spread (all elements equal): 0 (a subgradient; the one-sided derivatives differ).
- ptp shares like max and min do: the gradient of the maximum is split equally among the elements
  equal to it, and the same for the minimum.
- sort, median, percentile and quantile follow a stable argsort: each position of the sorted array
  takes its gradient from exactly one element, and among equal elements the one first in the array
  takes the first of their positions. Equal elements do not share (unlike max and min): the
  gradient of a median of ``[1, 1, 3]`` goes entirely to the first 1. Away from ties this is the
  derivative; at ties it is the derivative of one branch (a one-sided derivative).

``out`` is not supported anywhere, so the options numpy puts after it (``ddof``, ``keepdims``) are
keyword-only. ``weights`` of average and ``b`` of logsumexp are options: they must not depend on
what is differentiated.
"""

import numpy as np

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent, zero_derivative

zero_derivative("s2sad.runtime.reduced_count", "s2sad.runtime.present_count", "s2sad.runtime.gradient_axis")

_CUBE = {"a": (2, 3, 4)}
_MATRIX = {"a": (3, 2)}


def _axis_examples(call: str, method: str | None = None) -> tuple[Example, ...]:
    """``call`` (with ``{f}`` for the function, ``{o}`` for more options) over every axis form."""
    forms = [
        ("{f}(a{o})", _CUBE),
        ("{f}(a, axis=1{o})", _CUBE),
        ("{f}(a, axis=(0, 2){o})", _CUBE),
        ("{f}(a, axis=-1, keepdims=True{o})", _CUBE),
        ("{f}(a, None, keepdims=True{o})", _MATRIX),
        ("{f}(a, 0{o})", {"a": (5,)}),
    ]
    examples = [Example(form.replace("{f}", call), shapes) for form, shapes in forms]
    if method:
        examples += [
            Example(f"a.{method}(axis=0{{o}})", _MATRIX),
            Example(f"a.{method}({{o}})", _MATRIX),
        ]
    return tuple(examples)


def _with(examples: tuple[Example, ...], options: str) -> tuple[Example, ...]:
    return tuple(Example(e.call.replace("{o}", options).replace("(, ", "("), e.shapes, e.domain) for e in examples)


# ---------------------------------------------------------------------------
# moments


@adjoint(
    "numpy.var",
    keyword_only=("ddof", "keepdims"),
    method="var",
    full_reduction=True,
    examples=_with(_axis_examples("np.var", "var"), "")
    + _with(_axis_examples("np.var", "var"), ", ddof=1")
    + (Example("np.var(a, 0, np.float64, ddof=1)", _MATRIX),),
)
def var_adjoint_rule(d_out, out, a, axis=None, dtype=None, ddof=0, keepdims=False):
    return _rt.variance_adjoint(d_out, a, axis, ddof, keepdims)


@tangent("numpy.var")
def var_tangent_rule(d_a, out, a, axis=None, dtype=None, ddof=0, keepdims=False):
    centered = a - np.mean(a, axis, keepdims=True)
    return 2.0 * np.sum(centered * d_a, axis, keepdims=keepdims) / (_rt.reduced_count(a, axis) - ddof)


@adjoint(
    "numpy.std",
    keyword_only=("ddof", "keepdims"),
    method="std",
    full_reduction=True,
    examples=_with(_axis_examples("np.std", "std"), "")
    + _with(_axis_examples("np.std", "std"), ", ddof=1")
    + (Example("np.std(a * 0.0 + 1.0)", {"a": (3,)}),),
)
def std_adjoint_rule(d_out, out, a, axis=None, dtype=None, ddof=0, keepdims=False):
    # d std = d var / (2 std); 0 where std is 0 (every element equal)
    half_reciprocal = np.where(out == 0, 0.0, 0.5 / np.where(out == 0, 1.0, out))
    return _rt.variance_adjoint(d_out * half_reciprocal, a, axis, ddof, keepdims)


@tangent("numpy.std")
def std_tangent_rule(d_a, out, a, axis=None, dtype=None, ddof=0, keepdims=False):
    centered = a - np.mean(a, axis, keepdims=True)
    reciprocal = np.where(out == 0, 0.0, 1.0 / np.where(out == 0, 1.0, out))
    return np.sum(centered * d_a, axis, keepdims=keepdims) * reciprocal / (_rt.reduced_count(a, axis) - ddof)


@adjoint(
    "numpy.nanvar",
    keyword_only=("ddof", "keepdims"),
    full_reduction=True,
    examples=_with(_axis_examples("np.nanvar"), "")
    + _with(_axis_examples("np.nanvar"), ", ddof=1")
    + (Example("np.nanvar(np.where(a > 1.5, np.nan, a), 0)", {"a": (6, 2)}),),
)
def nanvar_adjoint_rule(d_out, out, a, axis=None, dtype=None, ddof=0, keepdims=False):
    return _rt.nan_variance_adjoint(d_out, a, axis, ddof, keepdims)


@tangent("numpy.nanvar")
def nanvar_tangent_rule(d_a, out, a, axis=None, dtype=None, ddof=0, keepdims=False):
    centered = np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis, keepdims=True))
    count = _rt.present_count(a, axis, keepdims)
    return 2.0 * np.sum(centered * d_a, axis, keepdims=keepdims) / (count - ddof)


@adjoint(
    "numpy.nanstd",
    keyword_only=("ddof", "keepdims"),
    full_reduction=True,
    examples=_with(_axis_examples("np.nanstd"), "")
    + _with(_axis_examples("np.nanstd"), ", ddof=1")
    + (Example("np.nanstd(np.where(a > 1.5, np.nan, a), 0)", {"a": (6, 2)}),),
)
def nanstd_adjoint_rule(d_out, out, a, axis=None, dtype=None, ddof=0, keepdims=False):
    # d nanstd = d nanvar / (2 nanstd); 0 where it is 0 (every present element equal)
    half_reciprocal = np.where(out == 0, 0.0, 0.5 / np.where(out == 0, 1.0, out))
    return _rt.nan_variance_adjoint(d_out * half_reciprocal, a, axis, ddof, keepdims)


@tangent("numpy.nanstd")
def nanstd_tangent_rule(d_a, out, a, axis=None, dtype=None, ddof=0, keepdims=False):
    centered = np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis, keepdims=True))
    reciprocal = np.where(out == 0, 0.0, 1.0 / np.where(out == 0, 1.0, out))
    count = _rt.present_count(a, axis, keepdims)
    return np.sum(centered * d_a, axis, keepdims=keepdims) * reciprocal / (count - ddof)


@adjoint(
    "numpy.average",
    keyword_only=("keepdims",),
    full_reduction=True,
    linear=True,
    examples=_with(_axis_examples("np.average"), "")
    + (
        Example("np.average(a, 1, np.array([1.0, 2.0, 0.5]))", _CUBE),
        Example("np.average(a, -1, np.array([1.0, 2.0, 0.5, 3.0]), keepdims=True)", _CUBE),
        Example("np.average(a, weights=np.arange(1.0, 7.0).reshape(3, 2))", _MATRIX),
        Example("np.average(a, (0, 1), np.arange(1.0, 7.0).reshape(3, 2))", _MATRIX),
    ),
)
def average_adjoint_rule(d_out, out, a, axis=None, weights=None, keepdims=False):
    return _rt.average_adjoint(d_out, a, axis, weights, keepdims)


# ---------------------------------------------------------------------------
# sums and means that skip NaNs


@adjoint(
    "numpy.nansum",
    keyword_only=("keepdims",),
    full_reduction=True,
    examples=_with(_axis_examples("np.nansum"), "")
    + (
        Example("np.nansum(np.where(a > 1.0, np.nan, a), 1)", {"a": (3, 5)}),
        Example("np.nansum(a, 0, np.float64)", _MATRIX),
    ),
)
def nansum_adjoint_rule(d_out, out, a, axis=None, dtype=None, keepdims=False):
    return np.where(np.isnan(a), 0.0, _rt.unreduce(d_out, a, axis, keepdims))


@tangent("numpy.nansum")
def nansum_tangent_rule(d_a, out, a, axis=None, dtype=None, keepdims=False):
    return np.sum(np.where(np.isnan(a), 0.0, d_a), axis, keepdims=keepdims)


@adjoint(
    "numpy.nanmean",
    keyword_only=("keepdims",),
    full_reduction=True,
    examples=_with(_axis_examples("np.nanmean"), "")
    + (Example("np.nanmean(np.where(a > 1.0, np.nan, a), 1)", {"a": (3, 5)}),),
)
def nanmean_adjoint_rule(d_out, out, a, axis=None, dtype=None, keepdims=False):
    spread = _rt.unreduce(d_out, a, axis, keepdims) / _rt.present_count(a, axis)
    return np.where(np.isnan(a), 0.0, spread)


@tangent("numpy.nanmean")
def nanmean_tangent_rule(d_a, out, a, axis=None, dtype=None, keepdims=False):
    # the mean of the tangents where a is not NaN
    return np.nanmean(np.where(np.isnan(a), np.nan, d_a), axis, keepdims=keepdims)


# ---------------------------------------------------------------------------
# ranges, traces, differences


@adjoint(
    "numpy.ptp",
    keyword_only=("keepdims",),
    full_reduction=True,
    examples=_with(_axis_examples("np.ptp"), ""),
)
def ptp_adjoint_rule(d_out, out, a, axis=None, keepdims=False):
    largest = np.max(a, axis, keepdims=keepdims)
    smallest = np.min(a, axis, keepdims=keepdims)
    return _rt.extremum_adjoint(d_out, largest, a, axis, keepdims) - _rt.extremum_adjoint(
        d_out, smallest, a, axis, keepdims
    )


@tangent("numpy.ptp")
def ptp_tangent_rule(d_a, out, a, axis=None, keepdims=False):
    largest = np.max(a, axis, keepdims=keepdims)
    smallest = np.min(a, axis, keepdims=keepdims)
    return _rt.extremum_tangent(d_a, largest, a, axis, keepdims) - _rt.extremum_tangent(
        d_a, smallest, a, axis, keepdims
    )


@adjoint(
    "numpy.trace",
    method="trace",
    linear=True,
    examples=(
        Example("np.trace(a)", {"a": (3, 3)}),
        Example("np.trace(a)", {"a": (3, 4)}),
        Example("np.trace(a, 1)", {"a": (3, 4)}),
        Example("np.trace(a, -1)", {"a": (4, 3)}),
        Example("np.trace(a, 0, 1, 2)", _CUBE),
        Example("np.trace(a, offset=1, axis1=2, axis2=0)", _CUBE),
        Example("np.trace(a, axis1=-1, axis2=-2)", _CUBE),
        Example("np.trace(a, 0, 0, 1, np.float64)", {"a": (2, 2)}),
        Example("a.trace()", {"a": (3, 3)}),
        Example("a.trace(1, 1, 2)", _CUBE),
    ),
)
def trace_adjoint_rule(d_out, out, a, offset=0, axis1=0, axis2=1, dtype=None):
    return _rt.trace_adjoint(d_out, a, offset, axis1, axis2)


# np.diff(a, 0) is a itself: declared "view or copy" so an update of the result is seen as one of a.
@adjoint(
    "numpy.diff",
    returns="view or copy",
    linear=True,
    examples=(
        Example("np.diff(a)", {"a": (5,)}),
        Example("np.diff(a, 2)", {"a": (5,)}),
        Example("np.diff(a, 3, 0)", {"a": (5, 2)}),
        Example("np.diff(a, axis=1)", _CUBE),
        Example("np.diff(a, n=2, axis=-1)", _CUBE),
        Example("np.diff(a, 0)", _MATRIX),
    ),
)
def diff_adjoint_rule(d_out, out, a, n=1, axis=-1):
    return _rt.diff_adjoint(d_out, a, n, axis)


@adjoint(
    "numpy.gradient",
    keyword_only=("axis", "edge_order"),  # a spacing (numpy's *varargs) is refused: unit spacing only
    returns="new",
    examples=(
        Example("np.gradient(f)", {"f": (5,)}),
        Example("np.gradient(f, edge_order=2)", {"f": (5,)}),
        Example("np.gradient(f, axis=1)", {"f": (3, 4)}),
        Example("np.gradient(f, axis=-1, edge_order=2)", {"f": (2, 3, 4)}),
        Example("np.gradient(f, axis=0)", {"f": (2, 3)}),
        Example("np.gradient(f, axis=(1,))", {"f": (2, 3)}),
    ),
)
def gradient_adjoint_rule(d_out, out, f, axis=None, edge_order=1):
    return _rt.gradient_adjoint(d_out, f, axis, edge_order)


@tangent("numpy.gradient")
def gradient_tangent_rule(d_f, out, f, axis=None, edge_order=1):
    # linear in f; the one axis checked (numpy gives a tuple of arrays for several)
    return np.gradient(d_f, axis=_rt.gradient_axis(f, axis), edge_order=edge_order)


# ---------------------------------------------------------------------------
# cumulative products


@adjoint(
    "numpy.cumprod",
    method="cumprod",
    returns="new",
    examples=(
        Example("np.cumprod(a)", {"a": (5,)}),
        Example("np.cumprod(a)", {"a": (2, 3)}),
        Example("np.cumprod(a, axis=1)", _CUBE),
        Example("np.cumprod(a, -1, np.float64)", _MATRIX),
        Example("np.cumprod(a * (a > 0.5), 0)", {"a": (6, 2)}),
        Example("a.cumprod(0)", _MATRIX),
        Example("a.cumprod()", {"a": (4,)}),
    ),
)
def cumprod_adjoint_rule(d_out, out, a, axis=None, dtype=None):
    return _rt.cumprod_adjoint(d_out, a, axis)


@tangent("numpy.cumprod")
def cumprod_tangent_rule(d_a, out, a, axis=None, dtype=None):
    return _rt.cumprod_tangent(d_a, a, axis)


# ---------------------------------------------------------------------------
# sorting and order statistics (a stable argsort: see the module docstring)


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
# scipy.special.logsumexp (scipy is imported by the user's module, never here)


@adjoint(
    "scipy.special.logsumexp",
    keyword_only=("keepdims",),
    full_reduction=True,
    examples=(
        Example("scipy.special.logsumexp(a)", {"a": (5,)}),
        Example("scipy.special.logsumexp(a, axis=1)", _CUBE),
        Example("scipy.special.logsumexp(a, axis=(0, 2))", _CUBE),
        Example("scipy.special.logsumexp(a, -1, keepdims=True)", _CUBE),
        Example("scipy.special.logsumexp(a, 0, np.array([1.0, 2.0]))", _MATRIX),
        Example("scipy.special.logsumexp(a, None, np.arange(1.0, 7.0).reshape(3, 2), keepdims=True)", _MATRIX),
    ),
)
def logsumexp_adjoint_rule(d_out, out, a, axis=None, b=None, keepdims=False):
    weights = _rt.logsumexp_weights(a, axis, b)
    return _rt.unbroadcast(weights * _rt.expand_reduced(d_out, a, axis, keepdims), a)


@tangent("scipy.special.logsumexp")
def logsumexp_tangent_rule(d_a, out, a, axis=None, b=None, keepdims=False):
    return np.sum(_rt.logsumexp_weights(a, axis, b) * d_a, axis, keepdims=keepdims)


@adjoint(
    "s2sad.runtime.logsumexp_weights",
    examples=(
        Example("_rt.logsumexp_weights(a, None, None)", {"a": (5,)}),
        Example("_rt.logsumexp_weights(a, 1, None)", {"a": (3, 4)}),
        Example("_rt.logsumexp_weights(a, (0, 2), None)", _CUBE),
        Example("_rt.logsumexp_weights(a, 0, np.array([[1.0], [2.0], [0.5]]))", _MATRIX),
    ),
)
def logsumexp_weights_adjoint_rule(d_out, out, a, axis=None, b=None):
    # out = b exp(a - logsumexp(a)): d out = out (d a - sum(out d a)), a symmetric Jacobian
    return out * (d_out - np.sum(out * d_out, axis, keepdims=True))


@tangent("s2sad.runtime.logsumexp_weights")
def logsumexp_weights_tangent_rule(d_a, out, a, axis=None, b=None):
    return out * (d_a - np.sum(out * d_a, axis, keepdims=True))


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
