"""scipy.special's functions of real arguments (expit, logit, erf, gamma, digamma, xlogy, softmax, ...): scipy is
optional, so these rules name it only; the runtime imports it when a derivative is computed.

Rules are keyed by qualified name, so ``from scipy.special import expit``, ``import scipy.special as sp``
and ``scipy.special.expit(x)`` all find them. Derivatives that are special functions themselves go
through runtime helpers (``_rt.polygamma``, ``_rt.modified_bessel_i``), whose own rules here give
second derivatives. ``polygamma``'s order ``n`` is an integer: no derivative flows through it.
numpy.i0 shares scipy's rule (its derivative, I1, needs scipy).
"""

import math

import numpy as np

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent


def _examples(call: str, domain: str = "real") -> tuple[Example, ...]:
    """``call`` (of ``x``) over a Python float, a 0-d array, a vector and a matrix."""
    return tuple(Example(call, {"x": shape}, {"x": domain}) for shape in (None, (), (5,), (2, 3)))


# inputs in (0, 1), for logit and ndtri
_PROBABILITIES = _examples("{f}(0.5 + 0.45 * x)", "unit")


def _in_unit_interval(function: str) -> tuple[Example, ...]:
    return tuple(Example(e.call.format(f=function), e.shapes, e.domain) for e in _PROBABILITIES)


# ---------------------------------------------------------------------------
# logistic and normal distribution functions


@adjoint("scipy.special.expit", elementwise=True)
def expit_adjoint_rule(d_out, out, x):
    return d_out * out * (1.0 - out)


@tangent("scipy.special.expit")
def expit_tangent_rule(d_x, out, x):
    return out * (1.0 - out) * d_x


@adjoint("scipy.special.logit", elementwise=True, examples=_in_unit_interval("scipy.special.logit"))
def logit_adjoint_rule(d_out, out, x):
    return np.divide(d_out, x * (1.0 - x))


@tangent("scipy.special.logit")
def logit_tangent_rule(d_x, out, x):
    return np.divide(d_x, x * (1.0 - x))


@adjoint("scipy.special.ndtr", elementwise=True)
def ndtr_adjoint_rule(d_out, out, x):
    return d_out * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


@tangent("scipy.special.ndtr")
def ndtr_tangent_rule(d_x, out, x):
    return np.exp(-0.5 * np.square(x)) / math.sqrt(2.0 * math.pi) * d_x


@adjoint("scipy.special.log_ndtr", elementwise=True, examples=_examples("scipy.special.log_ndtr(4.0 * x)"))
def log_ndtr_adjoint_rule(d_out, out, x):
    # pdf / cdf, as exp(log pdf - log cdf): no overflow far in the lower tail
    return d_out * np.exp(-0.5 * x * x - out) / math.sqrt(2.0 * math.pi)


@tangent("scipy.special.log_ndtr")
def log_ndtr_tangent_rule(d_x, out, x):
    return np.exp(-0.5 * np.square(x) - out) / math.sqrt(2.0 * math.pi) * d_x


@adjoint("scipy.special.ndtri", elementwise=True, examples=_in_unit_interval("scipy.special.ndtri"))
def ndtri_adjoint_rule(d_out, out, x):
    return d_out * math.sqrt(2.0 * math.pi) * np.exp(0.5 * out * out)


@tangent("scipy.special.ndtri")
def ndtri_tangent_rule(d_x, out, x):
    return math.sqrt(2.0 * math.pi) * np.exp(0.5 * np.square(out)) * d_x


# ---------------------------------------------------------------------------
# error functions


@adjoint("scipy.special.erf", elementwise=True)
def erf_adjoint_rule(d_out, out, x):
    return d_out * (2.0 / math.sqrt(math.pi)) * np.exp(-x * x)


@tangent("scipy.special.erf")
def erf_tangent_rule(d_x, out, x):
    return (2.0 / math.sqrt(math.pi)) * np.exp(-np.square(x)) * d_x


@adjoint("scipy.special.erfc", elementwise=True)
def erfc_adjoint_rule(d_out, out, x):
    return d_out * (-2.0 / math.sqrt(math.pi)) * np.exp(-x * x)


@tangent("scipy.special.erfc")
def erfc_tangent_rule(d_x, out, x):
    return (-2.0 / math.sqrt(math.pi)) * np.exp(-np.square(x)) * d_x


@adjoint("scipy.special.erfinv", elementwise=True, domain={"x": "unit"})
def erfinv_adjoint_rule(d_out, out, x):
    return d_out * (math.sqrt(math.pi) / 2.0) * np.exp(out * out)


@tangent("scipy.special.erfinv")
def erfinv_tangent_rule(d_x, out, x):
    return (math.sqrt(math.pi) / 2.0) * np.exp(np.square(out)) * d_x


@adjoint("scipy.special.erfcinv", elementwise=True, examples=_examples("scipy.special.erfcinv(1.0 + x)", "unit"))
def erfcinv_adjoint_rule(d_out, out, x):
    return d_out * (-math.sqrt(math.pi) / 2.0) * np.exp(out * out)


@tangent("scipy.special.erfcinv")
def erfcinv_tangent_rule(d_x, out, x):
    return (-math.sqrt(math.pi) / 2.0) * np.exp(np.square(out)) * d_x


# ---------------------------------------------------------------------------
# gamma and beta functions: their derivatives are digamma and its derivatives (_rt.polygamma)


@adjoint("scipy.special.gamma", elementwise=True, domain={"x": "positive"})
def gamma_adjoint_rule(d_out, out, x):
    return d_out * out * _rt.polygamma(0, x)


@tangent("scipy.special.gamma")
def gamma_tangent_rule(d_x, out, x):
    return out * _rt.polygamma(0, x) * d_x


@adjoint("scipy.special.gammaln", elementwise=True, domain={"x": "positive"})
def gammaln_adjoint_rule(d_out, out, x):
    return d_out * _rt.polygamma(0, x)


@tangent("scipy.special.gammaln")
def gammaln_tangent_rule(d_x, out, x):
    return _rt.polygamma(0, x) * d_x


@adjoint("scipy.special.digamma", elementwise=True, aliases=("scipy.special.psi",), domain={"x": "positive"})
def digamma_adjoint_rule(d_out, out, x):
    return d_out * _rt.polygamma(1, x)


@tangent("scipy.special.digamma")
def digamma_tangent_rule(d_x, out, x):
    return _rt.polygamma(1, x) * d_x


_POLYGAMMA = (
    Example("scipy.special.polygamma(0, x)", {"x": (4,)}, {"x": "positive"}),
    Example("scipy.special.polygamma(1, x)", {"x": (2, 3)}, {"x": "positive"}),
    Example("scipy.special.polygamma(2, x)", {"x": None}, {"x": "positive"}),
    Example("scipy.special.polygamma(np.array([0, 1, 3]), x)", {"x": (2, 3)}, {"x": "above1"}),
)


@adjoint("scipy.special.polygamma", elementwise=True, inactive=("n",), examples=_POLYGAMMA)
def polygamma_adjoint_rule(d_out, out, n, x):
    return None, d_out * _rt.polygamma(n + 1, x)


@tangent("scipy.special.polygamma")
def polygamma_tangent_rule(d_n, d_x, out, n, x):
    return None, _rt.polygamma(n + 1, x) * d_x


@adjoint(
    "s2sad.runtime.polygamma",
    elementwise=True,
    inactive=("n",),
    examples=tuple(Example(e.call.replace("scipy.special.", "_rt."), e.shapes, e.domain) for e in _POLYGAMMA),
)
def polygamma_helper_adjoint_rule(d_out, out, n, x):
    return None, d_out * _rt.polygamma(n + 1, x)


@tangent("s2sad.runtime.polygamma")
def polygamma_helper_tangent_rule(d_n, d_x, out, n, x):
    return None, _rt.polygamma(n + 1, x) * d_x


@adjoint("scipy.special.beta", elementwise=True, domain={"a": "positive", "b": "positive"})
def beta_adjoint_rule(d_out, out, a, b):
    scale = d_out * out
    total = _rt.polygamma(0, a + b)
    return scale * (_rt.polygamma(0, a) - total), scale * (_rt.polygamma(0, b) - total)


@tangent("scipy.special.beta")
def beta_tangent_rule(d_a, d_b, out, a, b):
    total = _rt.polygamma(0, a + b)
    return out * (_rt.polygamma(0, a) - total) * d_a, out * (_rt.polygamma(0, b) - total) * d_b


@adjoint("scipy.special.betaln", elementwise=True, domain={"a": "positive", "b": "positive"})
def betaln_adjoint_rule(d_out, out, a, b):
    total = _rt.polygamma(0, a + b)
    return d_out * (_rt.polygamma(0, a) - total), d_out * (_rt.polygamma(0, b) - total)


@tangent("scipy.special.betaln")
def betaln_tangent_rule(d_a, d_b, out, a, b):
    total = _rt.polygamma(0, a + b)
    return (_rt.polygamma(0, a) - total) * d_a, (_rt.polygamma(0, b) - total) * d_b


# ---------------------------------------------------------------------------
# x log y


@adjoint("scipy.special.xlogy", elementwise=True, domain={"y": "positive"})
def xlogy_adjoint_rule(d_out, out, x, y):
    return d_out * np.log(y), np.divide(d_out * x, y)


@tangent("scipy.special.xlogy")
def xlogy_tangent_rule(d_x, d_y, out, x, y):
    # log of a Python float y is a float64 numpy scalar: in out's dtype, float32 stays float32.
    return np.log(y).astype(np.result_type(out), copy=False) * d_x, np.divide(x * d_y, y)


@adjoint("scipy.special.xlog1py", elementwise=True, domain={"y": "unit"})
def xlog1py_adjoint_rule(d_out, out, x, y):
    return d_out * np.log1p(y), np.divide(d_out * x, 1.0 + y)


@tangent("scipy.special.xlog1py")
def xlog1py_tangent_rule(d_x, d_y, out, x, y):
    return np.log1p(y).astype(np.result_type(out), copy=False) * d_x, np.divide(x * d_y, 1.0 + y)


# ---------------------------------------------------------------------------
# softmax over an axis (None: the whole array)


def _over_axes(function: str) -> tuple[Example, ...]:
    return (
        Example(f"{function}(x)", {"x": (5,)}),
        Example(f"{function}(x)", {"x": (2, 3)}),
        Example(f"{function}(x, 0)", {"x": (2, 3)}),
        Example(f"{function}(x, axis=1)", {"x": (2, 3)}),
        Example(f"{function}(x, axis=-1)", {"x": (2, 3, 4)}),
        Example(f"{function}(x, axis=(0, 2))", {"x": (2, 3, 4)}),
        Example(f"{function}(x, axis=None)", {"x": (3, 2)}),
        Example(f"{function}(x)", {"x": None}),
    )


@adjoint("scipy.special.softmax", returns="new", examples=_over_axes("scipy.special.softmax"))
def softmax_adjoint_rule(d_out, out, x, axis=None):
    return out * (d_out - np.sum(d_out * out, axis=axis, keepdims=True))


@tangent("scipy.special.softmax")
def softmax_tangent_rule(d_x, out, x, axis=None):
    return out * (d_x - np.sum(out * d_x, axis=axis, keepdims=True))


@adjoint("scipy.special.log_softmax", returns="new", examples=_over_axes("scipy.special.log_softmax"))
def log_softmax_adjoint_rule(d_out, out, x, axis=None):
    return d_out - np.exp(out) * np.sum(d_out, axis=axis, keepdims=True)


@tangent("scipy.special.log_softmax")
def log_softmax_tangent_rule(d_x, out, x, axis=None):
    return d_x - np.sum(np.exp(out) * d_x, axis=axis, keepdims=True)


# ---------------------------------------------------------------------------
# modified Bessel functions of the first kind: I0' = I1, and I1' through _rt.modified_bessel_i


@adjoint("scipy.special.i0", elementwise=True, aliases=("numpy.i0",))
def i0_adjoint_rule(d_out, out, x):
    return d_out * _rt.modified_bessel_i(x, 0, 1)


@tangent("scipy.special.i0")
def i0_tangent_rule(d_x, out, x):
    return _rt.modified_bessel_i(x, 0, 1) * d_x


@adjoint("scipy.special.i1", elementwise=True)
def i1_adjoint_rule(d_out, out, x):
    return d_out * _rt.modified_bessel_i(x, 1, 1)


@tangent("scipy.special.i1")
def i1_tangent_rule(d_x, out, x):
    return _rt.modified_bessel_i(x, 1, 1) * d_x


@adjoint(
    "s2sad.runtime.modified_bessel_i",
    elementwise=True,
    examples=(
        Example("_rt.modified_bessel_i(x)", {"x": (4,)}),
        Example("_rt.modified_bessel_i(x, 1, 1)", {"x": (2, 3)}),
        Example("_rt.modified_bessel_i(x, 0, 2)", {"x": None}),
        Example("_rt.modified_bessel_i(x, order=1)", {"x": (3,)}),
    ),
)
def modified_bessel_i_adjoint_rule(d_out, out, x, order=0, derivative=0):
    return d_out * _rt.modified_bessel_i(x, order, derivative + 1)


@tangent("s2sad.runtime.modified_bessel_i")
def modified_bessel_i_tangent_rule(d_x, out, x, order=0, derivative=0):
    return _rt.modified_bessel_i(x, order, derivative + 1) * d_x
