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
