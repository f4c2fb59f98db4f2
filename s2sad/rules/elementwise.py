"""Elementwise functions and the arithmetic operators (which resolve to their numpy ufuncs).

Broadcasting is the engine's job (``elementwise=True``): each contribution here
has the shape of the output, and is summed down to its argument's shape.
Subgradients at kinks: abs'(0) = fabs'(0) = 0; maximum/minimum (and fmax/fmin) split ties half and
half, and fmax/fmin send it all to the other argument where one is NaN; clip passes the gradient at
the bounds to ``a``; hypot's is 0 at the origin; nan_to_num's is 1 where x is finite, 0 where a
NaN or infinity is replaced.

Quotients by an argument are written ``np.divide``: for a Python float 0.0 it gives inf,
as numpy does for arrays, where ``/`` would raise ZeroDivisionError.
"""

import math

import numpy as np

from s2sad import runtime as _rt
from s2sad.rules import Example, Method, adjoint, tangent

# ---------------------------------------------------------------------------
# arithmetic


@adjoint("numpy.add", elementwise=True, operator="+")
def add_adjoint_rule(d_out, out, x1, x2):
    return d_out, d_out


@tangent("numpy.add")
def add_tangent_rule(d_x1, d_x2, out, x1, x2):
    return d_x1, d_x2


@adjoint("numpy.subtract", elementwise=True, operator="-")
def subtract_adjoint_rule(d_out, out, x1, x2):
    return d_out, -d_out


@tangent("numpy.subtract")
def subtract_tangent_rule(d_x1, d_x2, out, x1, x2):
    return d_x1, -d_x2


@adjoint("numpy.multiply", elementwise=True, operator="*", bilinear=True)
def multiply_adjoint_rule(d_out, out, x1, x2):
    return d_out * x2, d_out * x1


@adjoint("numpy.divide", elementwise=True, operator="/", aliases=("numpy.true_divide",), domain={"x2": "nonzero"})
def divide_adjoint_rule(d_out, out, x1, x2):
    return d_out / x2, -d_out * out / x2


@tangent("numpy.divide")
def divide_tangent_rule(d_x1, d_x2, out, x1, x2):
    return np.divide(d_x1, x2), np.divide(-out * d_x2, x2)


@adjoint("numpy.power", elementwise=True, operator="**", domain={"x1": "positive"})
def power_adjoint_rule(d_out, out, x1, x2):
    return d_out * _rt.power_slope(x1, x2), d_out * out * np.log(np.where(x1 > 0, x1, 1.0))


@tangent("numpy.power")
def power_tangent_rule(d_x1, d_x2, out, x1, x2):
    return _rt.power_slope(x1, x2) * d_x1, _rt.power_log_factor(out, x1) * d_x2


@adjoint("numpy.remainder", elementwise=True, operator="%", aliases=("numpy.mod",), domain={"x2": "above1"})
def remainder_adjoint_rule(d_out, out, x1, x2):
    return d_out, -d_out * np.floor_divide(x1, x2)


@tangent("numpy.remainder")
def remainder_tangent_rule(d_x1, d_x2, out, x1, x2):
    # x1 % x2 = x1 - x2 * floor(x1 / x2), the floor piecewise constant
    return d_x1, -np.floor_divide(x1, x2) * d_x2


@adjoint("numpy.negative", elementwise=True, operator="unary -", linear=True)
def negative_adjoint_rule(d_out, out, x):
    return -d_out


@adjoint("numpy.positive", elementwise=True, operator="unary +")
def positive_adjoint_rule(d_out, out, x):
    return d_out


@tangent("numpy.positive")
def positive_tangent_rule(d_x, out, x):
    return d_x


# The conjugate of a real value is the value: s2sad refuses complex numbers (a literal 1j, a complex
# argument), so only real ones get here. np.conj gives a new array; the method gives the array itself.
@adjoint(
    "numpy.conjugate",
    elementwise=True,
    aliases=("numpy.conj",),
    returns="new",
    linear=True,
    examples=(
        Example("np.conj(x)", {"x": (2, 3)}),
        Example("np.conjugate(x) * x", {"x": (3,)}),
        Example("np.conj(x)", {"x": None}),
        Example("np.conjugate(x)", {"x": ()}),
    ),
)
def conjugate_adjoint_rule(d_out, out, x):
    return d_out


@adjoint(
    "s2sad.runtime.conj",
    method=("conj", "conjugate"),
    returns="view",
    linear=True,
    examples=(
        Example("x.conj()", {"x": (2, 3)}),
        Example("x.T.conjugate() * 2.0", {"x": (2, 3)}),
        Example("np.sum(x).conj()", {"x": (3,)}),
    ),
)
def conj_adjoint_rule(d_out, out, x):
    return d_out


# x.real of a real array is the array itself; x.imag is zeros (read-only, new). Their derivatives
# refuse a complex x at run time (s2sad.runtime.methods): only what no derivative reaches may be complex.
@adjoint(
    "s2sad.runtime.real",
    aliases=("numpy.real",),
    returns="view",
    examples=(
        Example("x.real", {"x": (2, 3)}),
        Example("x.T.real * x", {"x": (3, 3)}),
        Example("np.real(x)", {"x": None}),
        Example("np.sum(x).real ** 2", {"x": (3,)}),
    ),
)
def real_adjoint_rule(d_out, out, val):
    return _rt.real_derivative(d_out, val)


@tangent("s2sad.runtime.real")
def real_tangent_rule(d_val, out, val):
    return _rt.real_derivative(d_val, val)


@adjoint(
    "s2sad.runtime.imag",
    aliases=("numpy.imag",),
    examples=(
        Example("x.imag + x", {"x": (2, 3)}),
        Example("np.imag(x) * x", {"x": None}),
        Example("np.sum(x.T.imag) + np.sum(x)", {"x": (2, 3)}),
    ),
)
def imag_adjoint_rule(d_out, out, val):
    return _rt.imag_derivative(d_out, val)


@tangent("s2sad.runtime.imag")
def imag_tangent_rule(d_val, out, val):
    return _rt.imag_derivative(d_val, val)


# ---------------------------------------------------------------------------
# exponentials and logarithms


@adjoint("numpy.exp", elementwise=True)
def exp_adjoint_rule(d_out, out, x):
    return d_out * out


@tangent("numpy.exp")
def exp_tangent_rule(d_x, out, x):
    return out * d_x


@adjoint("numpy.expm1", elementwise=True)
def expm1_adjoint_rule(d_out, out, x):
    return d_out * (out + 1.0)


@tangent("numpy.expm1")
def expm1_tangent_rule(d_x, out, x):
    return np.exp(x) * d_x


@adjoint("numpy.log", elementwise=True, domain={"x": "positive"})
def log_adjoint_rule(d_out, out, x):
    return np.divide(d_out, x)


@tangent("numpy.log")
def log_tangent_rule(d_x, out, x):
    return np.divide(d_x, x)


@adjoint("numpy.log1p", elementwise=True, domain={"x": "unit"})
def log1p_adjoint_rule(d_out, out, x):
    return np.divide(d_out, 1.0 + x)


@tangent("numpy.log1p")
def log1p_tangent_rule(d_x, out, x):
    return np.divide(d_x, x + 1.0)


@adjoint("numpy.log2", elementwise=True, domain={"x": "positive"})
def log2_adjoint_rule(d_out, out, x):
    return np.divide(d_out, x * math.log(2.0))


@tangent("numpy.log2")
def log2_tangent_rule(d_x, out, x):
    return np.divide(d_x, x) / math.log(2.0)


@adjoint("numpy.log10", elementwise=True, domain={"x": "positive"})
def log10_adjoint_rule(d_out, out, x):
    return np.divide(d_out, x * math.log(10.0))


@tangent("numpy.log10")
def log10_tangent_rule(d_x, out, x):
    return np.divide(d_x, x) / math.log(10.0)


@adjoint("numpy.logaddexp", elementwise=True)
def logaddexp_adjoint_rule(d_out, out, x1, x2):
    return d_out * np.exp(x1 - out), d_out * np.exp(x2 - out)


@tangent("numpy.logaddexp")
def logaddexp_tangent_rule(d_x1, d_x2, out, x1, x2):
    # weights softmax(x1, x2), summing to 1
    return np.exp(x1 - out) * d_x1, np.exp(x2 - out) * d_x2


@adjoint("numpy.exp2", elementwise=True)
def exp2_adjoint_rule(d_out, out, x):
    return d_out * out * math.log(2.0)


@tangent("numpy.exp2")
def exp2_tangent_rule(d_x, out, x):
    return out * math.log(2.0) * d_x


@adjoint("numpy.logaddexp2", elementwise=True)
def logaddexp2_adjoint_rule(d_out, out, x1, x2):
    return d_out * np.exp2(x1 - out), d_out * np.exp2(x2 - out)


@tangent("numpy.logaddexp2")
def logaddexp2_tangent_rule(d_x1, d_x2, out, x1, x2):
    # weights 2**x / (2**x1 + 2**x2), summing to 1
    return np.exp2(x1 - out) * d_x1, np.exp2(x2 - out) * d_x2


@adjoint("numpy.float_power", elementwise=True, domain={"x1": "positive"})
def float_power_adjoint_rule(d_out, out, x1, x2):
    # numpy's power computed in float64: the same slopes as power's
    return d_out * _rt.power_slope(x1, x2), d_out * _rt.power_log_factor(out, x1)


@tangent("numpy.float_power")
def float_power_tangent_rule(d_x1, d_x2, out, x1, x2):
    return _rt.power_slope(x1, x2) * d_x1, _rt.power_log_factor(out, x1) * d_x2


@adjoint("numpy.hypot", elementwise=True)
def hypot_adjoint_rule(d_out, out, x1, x2):
    # 0 at the origin, where out is 0 (the subgradient of the smallest norm)
    scale = np.divide(d_out, np.where(out == 0.0, 1.0, out))
    return scale * x1, scale * x2


@tangent("numpy.hypot")
def hypot_tangent_rule(d_x1, d_x2, out, x1, x2):
    radius = np.where(out == 0.0, 1.0, out)
    return np.divide(x1 * d_x1, radius), np.divide(x2 * d_x2, radius)


@adjoint("numpy.sqrt", elementwise=True, domain={"x": "positive"})
def sqrt_adjoint_rule(d_out, out, x):
    return d_out * 0.5 / out


@tangent("numpy.sqrt")
def sqrt_tangent_rule(d_x, out, x):
    return np.divide(d_x, 2.0 * out)


@adjoint("numpy.cbrt", elementwise=True, domain={"x": "nonzero"})
def cbrt_adjoint_rule(d_out, out, x):
    return np.divide(d_out, 3.0 * out * out)


@tangent("numpy.cbrt")
def cbrt_tangent_rule(d_x, out, x):
    return np.divide(d_x, 3.0 * np.square(out))


@adjoint("numpy.square", elementwise=True)
def square_adjoint_rule(d_out, out, x):
    return d_out * 2.0 * x


@tangent("numpy.square")
def square_tangent_rule(d_x, out, x):
    return 2.0 * x * d_x


@adjoint("numpy.reciprocal", elementwise=True, domain={"x": "nonzero"})
def reciprocal_adjoint_rule(d_out, out, x):
    return -d_out * out * out


@tangent("numpy.reciprocal")
def reciprocal_tangent_rule(d_x, out, x):
    return -np.square(out) * d_x


# ---------------------------------------------------------------------------
# trigonometric and hyperbolic


@adjoint("numpy.sin", elementwise=True)
def sin_adjoint_rule(d_out, out, x):
    return d_out * np.cos(x)


@tangent("numpy.sin")
def sin_tangent_rule(d_x, out, x):
    return np.cos(x) * d_x


@adjoint("numpy.cos", elementwise=True)
def cos_adjoint_rule(d_out, out, x):
    return -d_out * np.sin(x)


@tangent("numpy.cos")
def cos_tangent_rule(d_x, out, x):
    return -np.sin(x) * d_x


@adjoint("numpy.tan", elementwise=True, domain={"x": "unit"})
def tan_adjoint_rule(d_out, out, x):
    return d_out * (1.0 + out * out)


@tangent("numpy.tan")
def tan_tangent_rule(d_x, out, x):
    return np.divide(d_x, np.square(np.cos(x)))


@adjoint("numpy.arcsin", elementwise=True, domain={"x": "unit"})
def arcsin_adjoint_rule(d_out, out, x):
    return d_out / np.sqrt(1.0 - x * x)


@tangent("numpy.arcsin")
def arcsin_tangent_rule(d_x, out, x):
    return np.divide(d_x, np.sqrt(1.0 - np.square(x)))


@adjoint("numpy.arccos", elementwise=True, domain={"x": "unit"})
def arccos_adjoint_rule(d_out, out, x):
    return -d_out / np.sqrt(1.0 - x * x)


@tangent("numpy.arccos")
def arccos_tangent_rule(d_x, out, x):
    return np.divide(-d_x, np.sqrt(1.0 - np.square(x)))


@adjoint("numpy.arctan", elementwise=True)
def arctan_adjoint_rule(d_out, out, x):
    return d_out / (1.0 + x * x)


@tangent("numpy.arctan")
def arctan_tangent_rule(d_x, out, x):
    return np.divide(d_x, 1.0 + np.square(x))


@adjoint("numpy.arctan2", elementwise=True, domain={"x2": "positive"})
def arctan2_adjoint_rule(d_out, out, x1, x2):
    scale = np.divide(d_out, x1 * x1 + x2 * x2)
    return scale * x2, -scale * x1


@tangent("numpy.arctan2")
def arctan2_tangent_rule(d_x1, d_x2, out, x1, x2):
    # d atan2(y, x) = (x dy - y dx) / (x^2 + y^2)
    radius2 = x1 * x1 + x2 * x2
    return np.divide(x2 * d_x1, radius2), np.divide(-x1 * d_x2, radius2)


@adjoint("numpy.sinh", elementwise=True)
def sinh_adjoint_rule(d_out, out, x):
    return d_out * np.cosh(x)


@tangent("numpy.sinh")
def sinh_tangent_rule(d_x, out, x):
    return np.cosh(x) * d_x


@adjoint("numpy.cosh", elementwise=True)
def cosh_adjoint_rule(d_out, out, x):
    return d_out * np.sinh(x)


@tangent("numpy.cosh")
def cosh_tangent_rule(d_x, out, x):
    return np.sinh(x) * d_x


@adjoint("numpy.tanh", elementwise=True)
def tanh_adjoint_rule(d_out, out, x):
    return d_out * (1.0 - out * out)


@tangent("numpy.tanh")
def tanh_tangent_rule(d_x, out, x):
    return (1.0 - np.square(out)) * d_x


@adjoint("numpy.arcsinh", elementwise=True)
def arcsinh_adjoint_rule(d_out, out, x):
    return d_out / np.sqrt(x * x + 1.0)


@tangent("numpy.arcsinh")
def arcsinh_tangent_rule(d_x, out, x):
    return np.divide(d_x, np.sqrt(np.square(x) + 1.0))


@adjoint("numpy.arccosh", elementwise=True, domain={"x": "above1"})
def arccosh_adjoint_rule(d_out, out, x):
    return np.divide(d_out, np.sqrt(x * x - 1.0))


@tangent("numpy.arccosh")
def arccosh_tangent_rule(d_x, out, x):
    return np.divide(d_x, np.sqrt(np.square(x) - 1.0))


@adjoint("numpy.arctanh", elementwise=True, domain={"x": "unit"})
def arctanh_adjoint_rule(d_out, out, x):
    return np.divide(d_out, 1.0 - x * x)


@tangent("numpy.arctanh")
def arctanh_tangent_rule(d_x, out, x):
    return np.divide(d_x, 1.0 - np.square(x))


@adjoint(
    "numpy.sinc",
    elementwise=True,
    examples=(
        Example("np.sinc(x)", {"x": (5,)}),
        Example("np.sinc(x)", {"x": (2, 3)}),
        Example("np.sinc(x)", {"x": None}),
        Example("np.sinc(x * np.array([1.0, 0.0, 1.0]))", {"x": (2, 3)}),
    ),
)
def sinc_adjoint_rule(d_out, out, x):
    return d_out * _rt.sinc_slope(x)


@tangent("numpy.sinc")
def sinc_tangent_rule(d_x, out, x):
    return _rt.sinc_slope(x) * d_x


# sinc's slope, for second derivatives; sinc(0) is smooth, so the examples include 0 exactly
@adjoint(
    "s2sad.runtime.sinc_slope",
    elementwise=True,
    examples=(
        Example("_rt.sinc_slope(x)", {"x": (5,)}),
        Example("_rt.sinc_slope(x)", {"x": None}),
        Example("_rt.sinc_slope(x * np.array([1.0, 0.0, 1.0]))", {"x": (2, 3)}),
    ),
)
def sinc_slope_adjoint_rule(d_out, out, x):
    return d_out * _rt.sinc_curvature(x)


@tangent("s2sad.runtime.sinc_slope")
def sinc_slope_tangent_rule(d_x, out, x):
    return _rt.sinc_curvature(x) * d_x


# degrees and radians: constant factors


@adjoint("numpy.deg2rad", elementwise=True, aliases=("numpy.radians",), linear=True)
def deg2rad_adjoint_rule(d_out, out, x):
    return d_out * (math.pi / 180.0)


@adjoint("numpy.rad2deg", elementwise=True, aliases=("numpy.degrees",), linear=True)
def rad2deg_adjoint_rule(d_out, out, x):
    return d_out * (180.0 / math.pi)


# ---------------------------------------------------------------------------
# piecewise


@adjoint("numpy.absolute", elementwise=True, aliases=("numpy.abs", "builtins.abs"), domain={"x": "nonzero"})
def absolute_adjoint_rule(d_out, out, x):
    return d_out * np.sign(x)


@tangent("numpy.absolute")
def absolute_tangent_rule(d_x, out, x):
    # abs'(0) = 0: np.sign(0) is 0
    return np.sign(x) * d_x


@adjoint("numpy.maximum", elementwise=True)
def maximum_adjoint_rule(d_out, out, x1, x2):
    tie = np.where(x1 == x2, 0.5 * d_out, 0.0)
    return np.where(x1 > x2, d_out, tie), np.where(x1 < x2, d_out, tie)


@tangent("numpy.maximum")
def maximum_tangent_rule(d_x1, d_x2, out, x1, x2):
    # ties: half of each tangent; zeros in the output's dtype (a Python float beside float32)
    return (
        np.where(x1 > x2, d_x1, np.where(x1 == x2, 0.5 * d_x1, np.zeros_like(out))),
        np.where(x2 > x1, d_x2, np.where(x1 == x2, 0.5 * d_x2, np.zeros_like(out))),
    )


@adjoint("numpy.minimum", elementwise=True)
def minimum_adjoint_rule(d_out, out, x1, x2):
    tie = np.where(x1 == x2, 0.5 * d_out, 0.0)
    return np.where(x1 < x2, d_out, tie), np.where(x1 > x2, d_out, tie)


@tangent("numpy.minimum")
def minimum_tangent_rule(d_x1, d_x2, out, x1, x2):
    # ties: half of each tangent; zeros in the output's dtype (a Python float beside float32)
    return (
        np.where(x1 < x2, d_x1, np.where(x1 == x2, 0.5 * d_x1, np.zeros_like(out))),
        np.where(x2 < x1, d_x2, np.where(x1 == x2, 0.5 * d_x2, np.zeros_like(out))),
    )


@adjoint("numpy.fabs", elementwise=True, domain={"x": "nonzero"})
def fabs_adjoint_rule(d_out, out, x):
    return d_out * np.sign(x)


@tangent("numpy.fabs")
def fabs_tangent_rule(d_x, out, x):
    return np.sign(x) * d_x


@adjoint("numpy.fmax", elementwise=True)
def fmax_adjoint_rule(d_out, out, x1, x2):
    # as maximum, but a NaN loses: the other argument is the output
    tie = np.where(x1 == x2, 0.5 * d_out, 0.0)
    return np.where((x1 > x2) | np.isnan(x2), d_out, tie), np.where((x1 < x2) | np.isnan(x1), d_out, tie)


@tangent("numpy.fmax")
def fmax_tangent_rule(d_x1, d_x2, out, x1, x2):
    zero = np.zeros_like(out)
    return (
        np.where((x1 > x2) | np.isnan(x2), d_x1, np.where(x1 == x2, 0.5 * d_x1, zero)),
        np.where((x2 > x1) | np.isnan(x1), d_x2, np.where(x1 == x2, 0.5 * d_x2, zero)),
    )


@adjoint("numpy.fmin", elementwise=True)
def fmin_adjoint_rule(d_out, out, x1, x2):
    # as minimum, but a NaN loses: the other argument is the output
    tie = np.where(x1 == x2, 0.5 * d_out, 0.0)
    return np.where((x1 < x2) | np.isnan(x2), d_out, tie), np.where((x1 > x2) | np.isnan(x1), d_out, tie)


@tangent("numpy.fmin")
def fmin_tangent_rule(d_x1, d_x2, out, x1, x2):
    zero = np.zeros_like(out)
    return (
        np.where((x1 < x2) | np.isnan(x2), d_x1, np.where(x1 == x2, 0.5 * d_x1, zero)),
        np.where((x2 < x1) | np.isnan(x1), d_x2, np.where(x1 == x2, 0.5 * d_x2, zero)),
    )


@adjoint(
    "numpy.nan_to_num",
    elementwise=True,
    returns="new",
    keyword_only=("nan", "posinf", "neginf"),
    examples=(
        Example("np.nan_to_num(x)", {"x": (5,)}),
        Example("np.nan_to_num(x)", {"x": None}),
        Example("np.nan_to_num(np.where(x > 0.5, np.inf, x), posinf=3.0)", {"x": (2, 4)}),
        Example("np.nan_to_num(np.where(x < -0.5, -np.inf, x), neginf=-2.0)", {"x": (6,)}),
        Example("np.nan_to_num(np.where(x > 1.0, np.nan, x), nan=1.5)", {"x": (3, 3)}),
        Example("np.nan_to_num(np.where(x > 1.0, np.nan, x), nan=0.5, posinf=1.0, neginf=-1.0)", {"x": (7,)}),
    ),
)
def nan_to_num_adjoint_rule(d_out, out, x, nan=0.0, posinf=None, neginf=None):
    # 1 where x is finite (kept), 0 where it is replaced; copy=False (in place) is not supported
    return np.where(np.isfinite(x), d_out, 0.0)


@tangent("numpy.nan_to_num")
def nan_to_num_tangent_rule(d_x, out, x, nan=0.0, posinf=None, neginf=None):
    return np.where(np.isfinite(x), d_x, np.zeros_like(out))


@adjoint("numpy.clip", elementwise=True, method="clip", domain={"a_min": "negative", "a_max": "positive"})
def clip_adjoint_rule(d_out, out, a, a_min, a_max):
    # numpy clips to a_min, then to a_max: where a_min > a_max, every element is a_max
    clipped = out != a
    return (
        np.where(out == a, d_out, 0.0),
        np.where(clipped & (out == a_min) & (out != a_max), d_out, 0.0),
        np.where(clipped & (out == a_max), d_out, 0.0),
    )


@tangent("numpy.clip")
def clip_tangent_rule(d_a, d_a_min, d_a_max, out, a, a_min, a_max):
    # a where it is kept (also at a bound); a_max wins over a_min where a_min > a_max
    kept = out == a
    at_max = (out == a_max) & ~kept
    at_min = (out == a_min) & ~kept & (out != a_max)
    zero = np.zeros_like(out)
    return np.where(kept, d_a, zero), np.where(at_min, d_a_min, zero), np.where(at_max, d_a_max, zero)


@adjoint("numpy.where", elementwise=True, returns="new", domain={"condition": "bool"})
def where_adjoint_rule(d_out, out, condition, x, y):
    return None, np.where(condition, d_out, 0.0), np.where(condition, 0.0, d_out)


@tangent("numpy.where")
def where_tangent_rule(d_condition, d_x, d_y, out, condition, x, y):
    zero = np.zeros_like(out)  # in the output's dtype: a Python float's tangent beside float32 stays float32
    return None, np.where(condition, d_x, zero), np.where(condition, zero, d_y)


# ---------------------------------------------------------------------------
# copies: `y = x`, float(x), x.copy()


@adjoint(
    "s2sad.copy",
    elementwise=True,
    aliases=("numpy.copy", "builtins.float"),
    method=Method("copy", calls="numpy.copy"),
    returns="new",
    examples=(
        Example("float(x)", {"x": None}),
        Example("float(np.sum(x))", {"x": (3,)}),
        Example("np.copy(x)", {"x": (2, 3)}),
        Example("x.copy()", {"x": (3,)}),
        Example("x.T.copy()", {"x": (2, 3)}),
    ),
)
def copy_adjoint_rule(d_out, out, x, order="K"):
    return d_out


@tangent("s2sad.copy")
def copy_tangent_rule(d_x, out, x, order="K"):
    return d_x
