"""Statistics over an axis (with axis, keepdims, ddof, weights where numpy has them): var, std, average,
cumulative products, differences, gradients, nan-aware sums and means, scipy.special.logsumexp.
Sorting and order statistics are in s2sad/rules/order.py.

Where a function has a kink, the derivative chosen there:

- std at zero spread (all elements equal): 0 (a subgradient; the one-sided derivatives differ).
- ptp shares like max and min do: the gradient of the maximum is split equally among the elements
  equal to it, and the same for the minimum.

Where a function is undefined: logsumexp with a ``b`` whose weighted sum is negative is NaN (scipy
takes the log of a negative number), and so are its derivatives; a zero sum gives -inf, and
derivatives that are infinite or NaN.

``out`` is not supported anywhere, so the options numpy puts after it (``ddof``, ``keepdims``) are
keyword-only. ``weights`` of average and ``b`` of logsumexp are differentiable (``optional``: left
out, numpy's None); average's ``returned=True`` and logsumexp's ``return_sign=True`` (tuples) are
refused. np.gradient's spacing (numpy's ``*varargs``, one of them: a number, or coordinates along the
axis) is an option: it gets no derivative."""

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


_WEIGHTED = {"w": "positive"}  # weights summing well away from zero


@adjoint(
    "numpy.average",
    keyword_only=("keepdims",),
    full_reduction=True,
    optional=("weights",),
    examples=_with(_axis_examples("np.average"), "")
    + (
        Example("np.average(a, 1, np.array([1.0, 2.0, 0.5]))", _CUBE),
        Example("np.average(a, weights=np.arange(1.0, 7.0).reshape(3, 2))", _MATRIX),
        Example("np.average(a, weights=w)", {"a": (3, 2), "w": (3, 2)}, _WEIGHTED),
        Example("np.average(a, 1, w)", {"a": (2, 3, 4), "w": (3,)}, _WEIGHTED),
        Example("np.average(a, -1, w, keepdims=True)", {"a": (2, 3, 4), "w": (4,)}, _WEIGHTED),
        Example("np.average(a, (2, 0), w)", {"a": (2, 3, 4), "w": (4, 2)}, _WEIGHTED),
        Example("np.average(a, (0, 1), w, keepdims=True)", {"a": (3, 2), "w": (3, 2)}, _WEIGHTED),
        Example("np.average(a, 0, weights=w)", {"a": (5,), "w": (5,)}, _WEIGHTED),
        Example("np.average(a, weights=w)", {"a": None, "w": None}, _WEIGHTED),
        Example("np.average(np.array([1.0, -2.0, 0.5]), weights=w)", {"w": (3,)}, _WEIGHTED),
    ),
)
def average_adjoint_rule(d_out, out, a, axis=None, weights=None, keepdims=False):
    return _rt.average_adjoint(d_out, a, axis, weights, keepdims), _rt.average_weights_adjoint(
        d_out, out, a, axis, weights, keepdims
    )


@tangent("numpy.average")
def average_tangent_rule(d_a, d_weights, out, a, axis=None, weights=None, keepdims=False):
    # linear in a; in the weights, a quotient of two sums
    return np.average(d_a, axis, weights, keepdims=keepdims), _rt.average_weights_tangent(
        d_weights, out, a, axis, weights, keepdims
    )


# ---------------------------------------------------------------------------
# sums, means and extremes that skip NaNs


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


@adjoint(
    "numpy.nanmax",
    keyword_only=("keepdims",),
    full_reduction=True,
    examples=_with(_axis_examples("np.nanmax"), "")
    + (
        Example("np.nanmax(np.where(np.eye(4, 3) > 0, np.nan, a), 0)", {"a": (4, 3)}),
        Example("np.nanmax(np.where(np.eye(2, 5) > 0, np.nan, a), axis=1, keepdims=True)", {"a": (2, 5)}),
    ),
)
def nanmax_adjoint_rule(d_out, out, a, axis=None, keepdims=False):
    # a NaN is never equal to the maximum: the gradient goes to the largest numbers, shared among ties
    return _rt.extremum_adjoint(d_out, out, a, axis, keepdims)


@tangent("numpy.nanmax")
def nanmax_tangent_rule(d_a, out, a, axis=None, keepdims=False):
    return _rt.extremum_tangent(d_a, out, a, axis, keepdims)


@adjoint(
    "numpy.nanmin",
    keyword_only=("keepdims",),
    full_reduction=True,
    examples=_with(_axis_examples("np.nanmin"), "")
    + (
        Example("np.nanmin(np.where(np.eye(4, 3) > 0, np.nan, a), 0)", {"a": (4, 3)}),
        Example("np.nanmin(np.where(np.eye(2, 5, 1) > 0, np.nan, a), None, keepdims=True)", {"a": (2, 5)}),
    ),
)
def nanmin_adjoint_rule(d_out, out, a, axis=None, keepdims=False):
    return _rt.extremum_adjoint(d_out, out, a, axis, keepdims)


@tangent("numpy.nanmin")
def nanmin_tangent_rule(d_a, out, a, axis=None, keepdims=False):
    return _rt.extremum_tangent(d_a, out, a, axis, keepdims)


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


_CURVED = "np.linspace(0.0, 2.0, {n}) ** 2 + np.arange({n})"  # coordinates unevenly spaced


@adjoint(
    "numpy.gradient",
    keyword_only=("axis", "edge_order"),  # numpy's spacings are *varargs: one of them is supported
    returns="new",
    examples=(
        Example("np.gradient(f)", {"f": (5,)}),
        Example("np.gradient(f, edge_order=2)", {"f": (5,)}),
        Example("np.gradient(f, axis=1)", {"f": (3, 4)}),
        Example("np.gradient(f, axis=-1, edge_order=2)", {"f": (2, 3, 4)}),
        Example("np.gradient(f, axis=0)", {"f": (2, 3)}),
        Example("np.gradient(f, axis=(1,))", {"f": (2, 3)}),
        Example("np.gradient(f, 0.5)", {"f": (6,)}),
        Example("np.gradient(f, 2.0, edge_order=2)", {"f": (7,)}),
        Example("np.gradient(f, 0.25, axis=1, edge_order=2)", {"f": (2, 5)}),
        Example("np.gradient(f, " + _CURVED.format(n=6) + ")", {"f": (6,)}),
        Example("np.gradient(f, " + _CURVED.format(n=7) + ", edge_order=2)", {"f": (7,)}),
        Example("np.gradient(f, " + _CURVED.format(n=4) + ", axis=-1, edge_order=2)", {"f": (2, 3, 4)}),
        Example("np.gradient(f, " + _CURVED.format(n=3) + ", axis=0)", {"f": (3, 2)}),
        Example("np.gradient(f, np.array([0.0, 1.0, 3.0]), edge_order=2)", {"f": (3,)}),
    ),
)
def gradient_adjoint_rule(d_out, out, f, spacing=None, axis=None, edge_order=1):
    return _rt.gradient_adjoint(d_out, f, spacing, axis, edge_order)


@tangent("numpy.gradient")
def gradient_tangent_rule(d_f, out, f, spacing=None, axis=None, edge_order=1):
    return _rt.gradient_tangent(d_f, f, spacing, axis, edge_order)


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
# scipy.special.logsumexp (scipy is imported by the user's module, never here)


_SCALED = {"b": "positive"}


@adjoint(
    "scipy.special.logsumexp",
    keyword_only=("keepdims",),
    full_reduction=True,
    optional=("b",),
    examples=(
        Example("scipy.special.logsumexp(a)", {"a": (5,)}),
        Example("scipy.special.logsumexp(a, axis=1)", _CUBE),
        Example("scipy.special.logsumexp(a, axis=(0, 2))", _CUBE),
        Example("scipy.special.logsumexp(a, -1, keepdims=True)", _CUBE),
        Example("scipy.special.logsumexp(a, 0, np.array([1.0, 2.0]))", _MATRIX),
        Example("scipy.special.logsumexp(a, None, np.arange(1.0, 7.0).reshape(3, 2), keepdims=True)", _MATRIX),
        Example("scipy.special.logsumexp(a, b=b)", {"a": (4,), "b": (4,)}, _SCALED),
        Example("scipy.special.logsumexp(a, 1, b)", {"a": (2, 3, 4), "b": (3, 1)}, _SCALED),
        Example("scipy.special.logsumexp(a, (0, 2), b, keepdims=True)", {"a": (2, 3, 4), "b": (4,)}, _SCALED),
        Example("scipy.special.logsumexp(a, 1, b)", {"a": (3,), "b": (2, 3)}, _SCALED),
        Example("scipy.special.logsumexp(a, b=b)", {"a": None, "b": None}, _SCALED),
        # b with zeros and negative entries (a sum still positive): log of the sum, smooth in a and b
        Example("scipy.special.logsumexp(a, 1, np.array([1.0, 0.0, -0.1]))", {"a": (2, 3)}),
        Example("scipy.special.logsumexp(a * 0.1, b=b * np.array([1.0, 1.0, -0.05]))", {"a": (3,), "b": (3,)}, _SCALED),
        # a negative sum: scipy gives NaN (the log of a negative number), and so do its derivatives
        Example("scipy.special.logsumexp(a, 1, -b)", {"a": (2, 3), "b": (2, 3)}, _SCALED),
    ),
)
def logsumexp_adjoint_rule(d_out, out, a, axis=None, b=None, keepdims=False):
    weights = _rt.logsumexp_weights(a, axis, b)
    spread = _rt.expand_reduced(d_out, weights, axis, keepdims)
    return _rt.unbroadcast(weights * spread, a), _rt.unbroadcast(_rt.logsumexp_scale(a, axis, b) * spread, b)


@tangent("scipy.special.logsumexp")
def logsumexp_tangent_rule(d_a, d_b, out, a, axis=None, b=None, keepdims=False):
    return np.sum(_rt.logsumexp_weights(a, axis, b) * d_a, axis, keepdims=keepdims), np.sum(
        _rt.logsumexp_scale(a, axis, b) * d_b, axis, keepdims=keepdims
    )


@adjoint(
    "s2sad.runtime.logsumexp_weights",
    examples=(
        Example("_rt.logsumexp_weights(a, None, None)", {"a": (5,)}),
        Example("_rt.logsumexp_weights(a, 1, None)", {"a": (3, 4)}),
        Example("_rt.logsumexp_weights(a, (0, 2), None)", _CUBE),
        Example("_rt.logsumexp_weights(a, 0, np.array([[1.0], [2.0], [0.5]]))", _MATRIX),
        Example("_rt.logsumexp_weights(a, 1, np.array([[1.0, 2.0], [0.5, 1.5]]))", {"a": (2,)}),
    ),
)
def logsumexp_weights_adjoint_rule(d_out, out, a, axis=None, b=None):
    # out = b exp(a - logsumexp(a)): d out = out (d a - sum(out d a)), a symmetric Jacobian; out has the
    # shape of a and b broadcast together
    return _rt.unbroadcast(out * (d_out - np.sum(out * d_out, axis, keepdims=True)), a)


@tangent("s2sad.runtime.logsumexp_weights")
def logsumexp_weights_tangent_rule(d_a, out, a, axis=None, b=None):
    return out * (d_a - np.sum(out * d_a, axis, keepdims=True))
