"""The math module, on Python floats.

Where a derivative is infinite (math.sqrt at 0) numpy's operations give inf instead of raising.
"""

import math

import numpy as np

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent


def _scalar(call: str, domain: str = "real") -> tuple[Example, ...]:
    return (Example(call, {"x": None}, {"x": domain}),)


@adjoint("math.exp", elementwise=True, examples=_scalar("math.exp(x)"))
def exp_adjoint_rule(d_out, out, x):
    return d_out * out


@tangent("math.exp")
def exp_tangent_rule(d_x, out, x):
    return out * d_x


@adjoint("math.log", elementwise=True, examples=_scalar("math.log(x)", "positive"))
def log_adjoint_rule(d_out, out, x):
    return d_out / x


@tangent("math.log")
def log_tangent_rule(d_x, out, x):
    return np.divide(d_x, x)


@adjoint("math.sqrt", elementwise=True, examples=_scalar("math.sqrt(x)", "positive"))
def sqrt_adjoint_rule(d_out, out, x):
    return np.divide(d_out * 0.5, out)


@tangent("math.sqrt")
def sqrt_tangent_rule(d_x, out, x):
    return np.divide(d_x, 2.0 * out)


@adjoint("math.sin", elementwise=True, examples=_scalar("math.sin(x)"))
def sin_adjoint_rule(d_out, out, x):
    return d_out * math.cos(x)


@tangent("math.sin")
def sin_tangent_rule(d_x, out, x):
    return math.cos(x) * d_x


@adjoint("math.cos", elementwise=True, examples=_scalar("math.cos(x)"))
def cos_adjoint_rule(d_out, out, x):
    return -d_out * math.sin(x)


@tangent("math.cos")
def cos_tangent_rule(d_x, out, x):
    return -math.sin(x) * d_x


@adjoint("math.tan", elementwise=True, examples=_scalar("math.tan(x)", "unit"))
def tan_adjoint_rule(d_out, out, x):
    return d_out * (1.0 + out * out)


@tangent("math.tan")
def tan_tangent_rule(d_x, out, x):
    return np.divide(d_x, math.cos(x) ** 2)


@adjoint("math.tanh", elementwise=True, examples=_scalar("math.tanh(x)"))
def tanh_adjoint_rule(d_out, out, x):
    return d_out * (1.0 - out * out)


@tangent("math.tanh")
def tanh_tangent_rule(d_x, out, x):
    return (1.0 - out * out) * d_x


@adjoint(
    "math.pow",
    elementwise=True,
    examples=(
        Example("math.pow(x, y)", {"x": None, "y": None}, {"x": "positive"}),
        Example("math.pow(x, 3.0)", {"x": None}),
    ),
)
def pow_adjoint_rule(d_out, out, x, y):
    return d_out * _rt.power_slope(x, y), d_out * out * (math.log(x) if x > 0 else 0.0)


@tangent("math.pow")
def pow_tangent_rule(d_x, d_y, out, x, y):
    return _rt.power_slope(x, y) * d_x, _rt.power_log_factor(out, x) * d_y


# ---------------------------------------------------------------------------
# inverse trigonometric and hyperbolic functions, logarithms and exponentials near 1 and 0


@adjoint("math.asin", elementwise=True, examples=_scalar("math.asin(x)", "unit"))
def asin_adjoint_rule(d_out, out, x):
    return np.divide(d_out, math.sqrt(1.0 - x * x))


@tangent("math.asin")
def asin_tangent_rule(d_x, out, x):
    return np.divide(d_x, math.sqrt(1.0 - x * x))


@adjoint("math.acos", elementwise=True, examples=_scalar("math.acos(x)", "unit"))
def acos_adjoint_rule(d_out, out, x):
    return np.divide(-d_out, math.sqrt(1.0 - x * x))


@tangent("math.acos")
def acos_tangent_rule(d_x, out, x):
    return np.divide(-d_x, math.sqrt(1.0 - x * x))


@adjoint("math.atan", elementwise=True, examples=_scalar("math.atan(x)"))
def atan_adjoint_rule(d_out, out, x):
    return d_out / (1.0 + x * x)


@tangent("math.atan")
def atan_tangent_rule(d_x, out, x):
    return d_x / (1.0 + x * x)


@adjoint(
    "math.atan2",
    elementwise=True,
    examples=(
        Example("math.atan2(y, x)", {"y": None, "x": None}, {"x": "nonzero"}),
        Example("math.atan2(y, 2.0)", {"y": None}),
    ),
)
def atan2_adjoint_rule(d_out, out, y, x):
    norm = x * x + y * y
    return np.divide(d_out * x, norm), np.divide(-d_out * y, norm)


@tangent("math.atan2")
def atan2_tangent_rule(d_y, d_x, out, y, x):
    norm = x * x + y * y
    return np.divide(x * d_y, norm), np.divide(-y * d_x, norm)


@adjoint("math.sinh", elementwise=True, examples=_scalar("math.sinh(x)"))
def sinh_adjoint_rule(d_out, out, x):
    return d_out * math.cosh(x)


@tangent("math.sinh")
def sinh_tangent_rule(d_x, out, x):
    return math.cosh(x) * d_x


@adjoint("math.cosh", elementwise=True, examples=_scalar("math.cosh(x)"))
def cosh_adjoint_rule(d_out, out, x):
    return d_out * math.sinh(x)


@tangent("math.cosh")
def cosh_tangent_rule(d_x, out, x):
    return math.sinh(x) * d_x


@adjoint("math.asinh", elementwise=True, examples=_scalar("math.asinh(x)"))
def asinh_adjoint_rule(d_out, out, x):
    return d_out / math.sqrt(x * x + 1.0)


@tangent("math.asinh")
def asinh_tangent_rule(d_x, out, x):
    return d_x / math.sqrt(x * x + 1.0)


@adjoint("math.acosh", elementwise=True, examples=_scalar("math.acosh(x)", "above1"))
def acosh_adjoint_rule(d_out, out, x):
    return np.divide(d_out, math.sqrt(x * x - 1.0))


@tangent("math.acosh")
def acosh_tangent_rule(d_x, out, x):
    return np.divide(d_x, math.sqrt(x * x - 1.0))


@adjoint("math.atanh", elementwise=True, examples=_scalar("math.atanh(x)", "unit"))
def atanh_adjoint_rule(d_out, out, x):
    return np.divide(d_out, 1.0 - x * x)


@tangent("math.atanh")
def atanh_tangent_rule(d_x, out, x):
    return np.divide(d_x, 1.0 - x * x)


@adjoint("math.log1p", elementwise=True, examples=_scalar("math.log1p(x)", "unit"))
def log1p_adjoint_rule(d_out, out, x):
    return np.divide(d_out, 1.0 + x)


@tangent("math.log1p")
def log1p_tangent_rule(d_x, out, x):
    return np.divide(d_x, 1.0 + x)


@adjoint("math.expm1", elementwise=True, examples=_scalar("math.expm1(x)"))
def expm1_adjoint_rule(d_out, out, x):
    return d_out * (out + 1.0)


@tangent("math.expm1")
def expm1_tangent_rule(d_x, out, x):
    return (out + 1.0) * d_x


@adjoint("math.log2", elementwise=True, examples=_scalar("math.log2(x)", "positive"))
def log2_adjoint_rule(d_out, out, x):
    return np.divide(d_out, x * math.log(2.0))


@tangent("math.log2")
def log2_tangent_rule(d_x, out, x):
    return np.divide(d_x, x * math.log(2.0))


@adjoint("math.log10", elementwise=True, examples=_scalar("math.log10(x)", "positive"))
def log10_adjoint_rule(d_out, out, x):
    return np.divide(d_out, x * math.log(10.0))


@tangent("math.log10")
def log10_tangent_rule(d_x, out, x):
    return np.divide(d_x, x * math.log(10.0))


# ---------------------------------------------------------------------------
# magnitudes, angles, the error function (kinks: fabs'(0) = 0, hypot's gradient at the origin is 0)


@adjoint("math.fabs", elementwise=True, examples=_scalar("math.fabs(x)", "nonzero"))
def fabs_adjoint_rule(d_out, out, x):
    return d_out * np.sign(x)


@tangent("math.fabs")
def fabs_tangent_rule(d_x, out, x):
    return np.sign(x) * d_x


@adjoint(
    "math.hypot",
    elementwise=True,
    examples=(
        Example("math.hypot(x, y)", {"x": None, "y": None}, {"x": "nonzero"}),
        Example("math.hypot(x, 3.0)", {"x": None}),
    ),
)
def hypot_adjoint_rule(d_out, out, x, y):
    slope = np.divide(d_out, out) if out != 0.0 else 0.0
    return slope * x, slope * y


@tangent("math.hypot")
def hypot_tangent_rule(d_x, d_y, out, x, y):
    inverse = np.divide(1.0, out) if out != 0.0 else 0.0
    return inverse * x * d_x, inverse * y * d_y


@adjoint("math.degrees", elementwise=True, examples=_scalar("math.degrees(x)"))
def degrees_adjoint_rule(d_out, out, x):
    return d_out * (180.0 / math.pi)


@tangent("math.degrees")
def degrees_tangent_rule(d_x, out, x):
    return (180.0 / math.pi) * d_x


@adjoint("math.radians", elementwise=True, examples=_scalar("math.radians(x)"))
def radians_adjoint_rule(d_out, out, x):
    return d_out * (math.pi / 180.0)


@tangent("math.radians")
def radians_tangent_rule(d_x, out, x):
    return (math.pi / 180.0) * d_x


@adjoint("math.erf", elementwise=True, examples=_scalar("math.erf(x)"))
def erf_adjoint_rule(d_out, out, x):
    return d_out * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)


@tangent("math.erf")
def erf_tangent_rule(d_x, out, x):
    return (2.0 / math.sqrt(math.pi)) * math.exp(-x * x) * d_x


@adjoint("math.erfc", elementwise=True, examples=_scalar("math.erfc(x)"))
def erfc_adjoint_rule(d_out, out, x):
    return -d_out * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)


@tangent("math.erfc")
def erfc_tangent_rule(d_x, out, x):
    return -(2.0 / math.sqrt(math.pi)) * math.exp(-x * x) * d_x
