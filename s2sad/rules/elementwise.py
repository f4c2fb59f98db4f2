"""Elementwise functions and the arithmetic operators (which resolve to their numpy ufuncs).

Broadcasting is the engine's job (``elementwise=True``): each contribution here
has the shape of the output, and is summed down to its argument's shape.
Subgradients at kinks: abs'(0) = 0; maximum/minimum split ties half and half;
clip passes the gradient at the bounds to ``a``.

Quotients by an argument are written ``np.divide``: for a Python float 0.0 it gives inf,
as numpy does for arrays, where ``/`` would raise ZeroDivisionError.
"""

import math

import numpy as np

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint

# ---------------------------------------------------------------------------
# arithmetic


@adjoint("numpy.add", elementwise=True)
def add_adjoint(d_out, out, x1, x2):
    return d_out, d_out


@adjoint("numpy.subtract", elementwise=True)
def subtract_adjoint(d_out, out, x1, x2):
    return d_out, -d_out


@adjoint("numpy.multiply", elementwise=True)
def multiply_adjoint(d_out, out, x1, x2):
    return d_out * x2, d_out * x1


@adjoint("numpy.divide", elementwise=True, aliases=("numpy.true_divide",), domain={"x2": "nonzero"})
def divide_adjoint(d_out, out, x1, x2):
    return d_out / x2, -d_out * out / x2


@adjoint("numpy.power", elementwise=True, domain={"x1": "positive"})
def power_adjoint(d_out, out, x1, x2):
    return d_out * _rt.power_slope(x1, x2), d_out * out * np.log(np.where(x1 > 0, x1, 1.0))


@adjoint("numpy.remainder", elementwise=True, aliases=("numpy.mod",), domain={"x2": "above1"})
def remainder_adjoint(d_out, out, x1, x2):
    return d_out, -d_out * np.floor_divide(x1, x2)


@adjoint("numpy.negative", elementwise=True)
def negative_adjoint(d_out, out, x):
    return -d_out


@adjoint("numpy.positive", elementwise=True)
def positive_adjoint(d_out, out, x):
    return d_out


# ---------------------------------------------------------------------------
# exponentials and logarithms


@adjoint("numpy.exp", elementwise=True)
def exp_adjoint(d_out, out, x):
    return d_out * out


@adjoint("numpy.expm1", elementwise=True)
def expm1_adjoint(d_out, out, x):
    return d_out * (out + 1.0)


@adjoint("numpy.log", elementwise=True, domain={"x": "positive"})
def log_adjoint(d_out, out, x):
    return np.divide(d_out, x)


@adjoint("numpy.log1p", elementwise=True, domain={"x": "unit"})
def log1p_adjoint(d_out, out, x):
    return np.divide(d_out, 1.0 + x)


@adjoint("numpy.log2", elementwise=True, domain={"x": "positive"})
def log2_adjoint(d_out, out, x):
    return np.divide(d_out, x * math.log(2.0))


@adjoint("numpy.log10", elementwise=True, domain={"x": "positive"})
def log10_adjoint(d_out, out, x):
    return np.divide(d_out, x * math.log(10.0))


@adjoint("numpy.logaddexp", elementwise=True)
def logaddexp_adjoint(d_out, out, x1, x2):
    return d_out * np.exp(x1 - out), d_out * np.exp(x2 - out)


@adjoint("numpy.sqrt", elementwise=True, domain={"x": "positive"})
def sqrt_adjoint(d_out, out, x):
    return d_out * 0.5 / out


@adjoint("numpy.square", elementwise=True)
def square_adjoint(d_out, out, x):
    return d_out * 2.0 * x


@adjoint("numpy.reciprocal", elementwise=True, domain={"x": "nonzero"})
def reciprocal_adjoint(d_out, out, x):
    return -d_out * out * out


# ---------------------------------------------------------------------------
# trigonometric and hyperbolic


@adjoint("numpy.sin", elementwise=True)
def sin_adjoint(d_out, out, x):
    return d_out * np.cos(x)


@adjoint("numpy.cos", elementwise=True)
def cos_adjoint(d_out, out, x):
    return -d_out * np.sin(x)


@adjoint("numpy.tan", elementwise=True, domain={"x": "unit"})
def tan_adjoint(d_out, out, x):
    return d_out * (1.0 + out * out)


@adjoint("numpy.arcsin", elementwise=True, domain={"x": "unit"})
def arcsin_adjoint(d_out, out, x):
    return d_out / np.sqrt(1.0 - x * x)


@adjoint("numpy.arccos", elementwise=True, domain={"x": "unit"})
def arccos_adjoint(d_out, out, x):
    return -d_out / np.sqrt(1.0 - x * x)


@adjoint("numpy.arctan", elementwise=True)
def arctan_adjoint(d_out, out, x):
    return d_out / (1.0 + x * x)


@adjoint("numpy.arctan2", elementwise=True, domain={"x2": "positive"})
def arctan2_adjoint(d_out, out, x1, x2):
    scale = np.divide(d_out, x1 * x1 + x2 * x2)
    return scale * x2, -scale * x1


@adjoint("numpy.sinh", elementwise=True)
def sinh_adjoint(d_out, out, x):
    return d_out * np.cosh(x)


@adjoint("numpy.cosh", elementwise=True)
def cosh_adjoint(d_out, out, x):
    return d_out * np.sinh(x)


@adjoint("numpy.tanh", elementwise=True)
def tanh_adjoint(d_out, out, x):
    return d_out * (1.0 - out * out)


# ---------------------------------------------------------------------------
# piecewise


@adjoint("numpy.absolute", elementwise=True, aliases=("numpy.abs", "builtins.abs"), domain={"x": "nonzero"})
def absolute_adjoint(d_out, out, x):
    return d_out * np.sign(x)


@adjoint("numpy.maximum", elementwise=True)
def maximum_adjoint(d_out, out, x1, x2):
    tie = np.where(x1 == x2, 0.5 * d_out, 0.0)
    return np.where(x1 > x2, d_out, tie), np.where(x1 < x2, d_out, tie)


@adjoint("numpy.minimum", elementwise=True)
def minimum_adjoint(d_out, out, x1, x2):
    tie = np.where(x1 == x2, 0.5 * d_out, 0.0)
    return np.where(x1 < x2, d_out, tie), np.where(x1 > x2, d_out, tie)


@adjoint("numpy.clip", elementwise=True, domain={"a_min": "negative", "a_max": "positive"})
def clip_adjoint(d_out, out, a, a_min, a_max):
    # numpy clips to a_min, then to a_max: where a_min > a_max, every element is a_max
    clipped = out != a
    return (
        np.where(out == a, d_out, 0.0),
        np.where(clipped & (out == a_min) & (out != a_max), d_out, 0.0),
        np.where(clipped & (out == a_max), d_out, 0.0),
    )


@adjoint("numpy.where", elementwise=True, domain={"condition": "bool"})
def where_adjoint(d_out, out, condition, x, y):
    return None, np.where(condition, d_out, 0.0), np.where(condition, 0.0, d_out)


# ---------------------------------------------------------------------------
# copies: `y = x`, float(x), x.copy()


@adjoint(
    "s2sad.copy",
    elementwise=True,
    aliases=("numpy.copy", "builtins.float"),
    examples=(
        Example("float(x)", {"x": None}),
        Example("float(np.sum(x))", {"x": (3,)}),
        Example("np.copy(x)", {"x": (2, 3)}),
        Example("x.copy()", {"x": (3,)}),
    ),
)
def copy_adjoint(d_out, out, x):
    return d_out
