"""Reductions over an axis (int, tuple or None), with keepdims.

max and min send the gradient to the extreme elements, split equally among ties.
The signatures follow numpy's: sum, mean and prod take ``dtype`` third (a floating
type, which the derivative ignores); ``out`` is not supported, so ``keepdims``,
which numpy puts after it, is keyword-only.
"""

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent

_CUBE = {"a": (2, 3, 4)}
_REDUCTION_EXAMPLES = (
    Example("{f}(a)", _CUBE),
    Example("{f}(a, axis=1)", _CUBE),
    Example("{f}(a, axis=(0, 2))", _CUBE),
    Example("{f}(a, axis=-1, keepdims=True)", _CUBE),
    Example("{f}(a, 0)", {"a": (5,)}),
    Example("a.{method}(axis=0)", {"a": (3, 2)}),
    Example("a.{method}()", {"a": (3, 2)}),
    Example("{f}(a, 1, keepdims=True)", {"a": (3, 2)}),
)


def _examples(function: str, method: str) -> tuple[Example, ...]:
    return tuple(Example(e.call.format(f=function, method=method), e.shapes, e.domain) for e in _REDUCTION_EXAMPLES)


_DTYPE_EXAMPLES = (
    Example("{f}(a, 1, np.float64)", {"a": (3, 2)}),
    Example("{f}(a, dtype='f8', axis=0)", {"a": (3, 2)}),
    Example("a.{method}(0, float)", {"a": (3, 2)}),
)


def _dtype_examples(function: str, method: str) -> tuple[Example, ...]:
    return tuple(Example(e.call.format(f=function, method=method), e.shapes) for e in _DTYPE_EXAMPLES)


@adjoint(
    "numpy.sum",
    keyword_only=("keepdims",),
    method="sum",
    full_reduction=True,
    linear=True,
    examples=_examples("np.sum", "sum") + _dtype_examples("np.sum", "sum"),
)
def sum_adjoint_rule(d_out, out, a, axis=None, dtype=None, keepdims=False):
    return _rt.unreduce(d_out, a, axis, keepdims)


@adjoint(
    "numpy.mean",
    keyword_only=("keepdims",),
    method="mean",
    full_reduction=True,
    linear=True,
    examples=_examples("np.mean", "mean") + _dtype_examples("np.mean", "mean"),
)
def mean_adjoint_rule(d_out, out, a, axis=None, dtype=None, keepdims=False):
    return _rt.mean_adjoint(d_out, a, axis, keepdims)


@adjoint(
    "numpy.prod",
    keyword_only=("keepdims",),
    method="prod",
    full_reduction=True,
    examples=_examples("np.prod", "prod")
    + _dtype_examples("np.prod", "prod")
    + (Example("np.prod(a * (a > 0.5))", {"a": (6,)}),),
)
def prod_adjoint_rule(d_out, out, a, axis=None, dtype=None, keepdims=False):
    return _rt.prod_adjoint(d_out, a, axis, keepdims)


@tangent("numpy.prod")
def prod_tangent_rule(d_a, out, a, axis=None, dtype=None, keepdims=False):
    return _rt.prod_tangent(d_a, a, axis, keepdims)


@adjoint(
    "numpy.max",
    aliases=("numpy.amax",),
    keyword_only=("keepdims",),
    method="max",
    full_reduction=True,
    examples=_examples("np.max", "max"),
)
def max_adjoint_rule(d_out, out, a, axis=None, keepdims=False):
    return _rt.extremum_adjoint(d_out, out, a, axis, keepdims)


@tangent("numpy.max")
def max_tangent_rule(d_a, out, a, axis=None, keepdims=False):
    return _rt.extremum_tangent(d_a, out, a, axis, keepdims)


@adjoint(
    "numpy.min",
    aliases=("numpy.amin",),
    keyword_only=("keepdims",),
    method="min",
    full_reduction=True,
    examples=_examples("np.min", "min"),
)
def min_adjoint_rule(d_out, out, a, axis=None, keepdims=False):
    return _rt.extremum_adjoint(d_out, out, a, axis, keepdims)


@tangent("numpy.min")
def min_tangent_rule(d_a, out, a, axis=None, keepdims=False):
    return _rt.extremum_tangent(d_a, out, a, axis, keepdims)


@adjoint(
    "numpy.cumsum",
    method="cumsum",
    returns="new",
    linear=True,
    examples=(
        Example("np.cumsum(a)", {"a": (5,)}),
        Example("np.cumsum(a)", {"a": (2, 3)}),
        Example("np.cumsum(a, axis=1)", {"a": (2, 3, 4)}),
        Example("np.cumsum(a, -1, np.float64)", {"a": (3, 2)}),
        Example("a.cumsum(0)", {"a": (3, 2)}),
        Example("a.cumsum()", {"a": ()}),
        Example("np.cumsum(a)", {"a": None}),
    ),
)
def cumsum_adjoint_rule(d_out, out, a, axis=None, dtype=None):
    return _rt.cumsum_adjoint(d_out, a, axis)
