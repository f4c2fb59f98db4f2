"""Reductions over an axis (int, tuple or None), with keepdims.

max and min send the gradient to the extreme elements, split equally among ties.
"""

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint

_CUBE = {"a": (2, 3, 4)}
_REDUCTION_EXAMPLES = (
    Example("{f}(a)", _CUBE),
    Example("{f}(a, axis=1)", _CUBE),
    Example("{f}(a, axis=(0, 2))", _CUBE),
    Example("{f}(a, axis=-1, keepdims=True)", _CUBE),
    Example("{f}(a, 0)", {"a": (5,)}),
    Example("a.{method}(axis=0)", {"a": (3, 2)}),
    Example("a.{method}()", {"a": (3, 2)}),
)


def _examples(function: str, method: str) -> tuple[Example, ...]:
    return tuple(
        Example(e.call.format(f=function, method=method), e.shapes, e.domain) for e in _REDUCTION_EXAMPLES
    )


@adjoint("numpy.sum", examples=_examples("np.sum", "sum"))
def sum_adjoint(d_out, out, a, axis=None, keepdims=False):
    return _rt.unreduce(d_out, a, axis, keepdims)


@adjoint("numpy.mean", examples=_examples("np.mean", "mean"))
def mean_adjoint(d_out, out, a, axis=None, keepdims=False):
    return _rt.mean_adjoint(d_out, a, axis, keepdims)


@adjoint("numpy.prod", examples=_examples("np.prod", "prod") + (Example("np.prod(a * (a > 0.5))", {"a": (6,)}),))
def prod_adjoint(d_out, out, a, axis=None, keepdims=False):
    return _rt.prod_adjoint(d_out, a, axis, keepdims)


@adjoint("numpy.max", aliases=("numpy.amax",), examples=_examples("np.max", "max"))
def max_adjoint(d_out, out, a, axis=None, keepdims=False):
    return _rt.extremum_adjoint(d_out, out, a, axis, keepdims)


@adjoint("numpy.min", aliases=("numpy.amin",), examples=_examples("np.min", "min"))
def min_adjoint(d_out, out, a, axis=None, keepdims=False):
    return _rt.extremum_adjoint(d_out, out, a, axis, keepdims)
