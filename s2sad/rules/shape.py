"""Functions that move, copy or regroup elements: their adjoints move the gradient back."""

import numpy as np

from s2sad import runtime as _rt
from s2sad.rules import Example, Method, adjoint, tangent


@adjoint(
    "operator.getitem",
    inactive=("index",),
    returns="view",
    linear=True,
    examples=(
        Example("a[1]", {"a": (4, 3)}),
        Example("a[-1]", {"a": (4,)}),
        Example("a[1:5:2]", {"a": (6,)}),
        Example("a[::-1, 1:]", {"a": (3, 4)}),
        Example("a[:, 0]", {"a": (3, 4)}),
        Example("a[..., 1]", {"a": (2, 3, 4)}),
        Example("a[None, 1]", {"a": (3, 2)}),
        Example("a[np.array([0, 2, 2, 1])]", {"a": (3, 2)}),
        Example("a[np.array([-1, 0, -1, 2])]", {"a": (3, 2, 2)}),
        Example("a[:, np.array([1, 1, 0])]", {"a": (3, 2)}),
        Example("a[a > 0.0]", {"a": (3, 4)}),
    ),
)
def getitem_adjoint_rule(d_out, out, a, index):
    return _rt.getitem_adjoint(d_out, a, index), None


@adjoint(
    "numpy.dot",
    method="dot",
    bilinear=True,
    examples=(
        Example("np.dot(a, b)", {"a": (3, 4), "b": (4, 2)}),
        Example("np.dot(a, b)", {"a": (4,), "b": (4,)}),
        Example("np.dot(a, b)", {"a": (3, 4), "b": (4,)}),
        Example("np.dot(a, b)", {"a": None, "b": (3,)}),
        Example("a.dot(b)", {"a": (4,), "b": (4, 3)}),
    ),
)
def dot_adjoint_rule(d_out, out, a, b):
    return _rt.dot_adjoint_left(d_out, a, b), _rt.dot_adjoint_right(d_out, a, b)


@adjoint(
    "numpy.matmul",
    operator="@",
    examples=(
        Example("x1 @ x2", {"x1": (3, 4), "x2": (4, 2)}),
        Example("x1 @ x2", {"x1": (4,), "x2": (4, 2)}),
        Example("x1 @ x2", {"x1": (3, 4), "x2": (4,)}),
        Example("x1 @ x2", {"x1": (4,), "x2": (4,)}),
        Example("np.matmul(x1, x2)", {"x1": (2, 3, 4), "x2": (4, 2)}),
        Example("x1 @ x2", {"x1": (3, 4), "x2": (2, 4, 2)}),
    ),
)
def matmul_adjoint_rule(d_out, out, x1, x2):
    return _rt.matmul_adjoint_left(d_out, x1, x2), _rt.matmul_adjoint_right(d_out, x1, x2)


@tangent("numpy.matmul")
def matmul_tangent_rule(d_x1, d_x2, out, x1, x2):
    return np.matmul(d_x1, x2), np.matmul(x1, d_x2)


@adjoint("numpy.outer", returns="new", bilinear=True, examples=(Example("np.outer(a, b)", {"a": (3,), "b": (2, 2)}),))
def outer_adjoint_rule(d_out, out, a, b):
    return (
        np.reshape(d_out @ np.ravel(b), np.shape(a)),
        np.reshape(np.ravel(a) @ d_out, np.shape(b)),
    )


@adjoint(
    "numpy.inner",
    bilinear=True,
    examples=(
        Example("np.inner(a, b)", {"a": (4,), "b": (4,)}),
        Example("np.inner(a, b)", {"a": (2, 4), "b": (3, 4)}),
        Example("np.inner(a, b)", {"a": (2, 3, 4), "b": (4,)}),
    ),
)
def inner_adjoint_rule(d_out, out, a, b):
    return _rt.inner_adjoint_left(d_out, a, b), _rt.inner_adjoint_right(d_out, a, b)


@adjoint(
    "numpy.transpose",
    method=Method("transpose", packed=True),
    returns="view",
    linear=True,
    examples=(
        Example("np.transpose(a)", {"a": (3, 2)}),
        Example("np.transpose(a, (1, 2, 0))", {"a": (2, 3, 4)}),
        Example("a.T", {"a": (3, 2)}),
        Example("a.transpose(2, 0, 1)", {"a": (2, 3, 4)}),
    ),
)
def transpose_adjoint_rule(d_out, out, a, axes=None):
    return _rt.transpose_adjoint(d_out, axes)


@adjoint(
    "numpy.reshape",
    inactive=("shape",),
    method=Method("reshape", packed=True),
    returns="view or copy",
    linear=True,
    examples=(
        Example("np.reshape(a, (3, 2))", {"a": (6,)}),
        Example("np.reshape(a, -1)", {"a": (2, 3)}),
        Example("a.reshape(2, 3)", {"a": (3, 2)}),
        Example("a.reshape((-1, 2))", {"a": (2, 3, 2)}),
    ),
)
def reshape_adjoint_rule(d_out, out, a, shape):
    return np.reshape(d_out, np.shape(a)), None


@adjoint(
    "numpy.ravel",
    method=("ravel", Method("flatten", copies=True)),
    returns="view or copy",
    linear=True,
    examples=(Example("np.ravel(a)", {"a": (2, 3)}), Example("a.ravel()", {"a": (3, 2)})),
)
def ravel_adjoint_rule(d_out, out, a):
    return np.reshape(d_out, np.shape(a))


@adjoint(
    "numpy.expand_dims",
    inactive=("axis",),
    returns="view",
    linear=True,
    examples=(Example("np.expand_dims(a, 1)", {"a": (2, 3)}), Example("np.expand_dims(a, (0, 2))", {"a": (3,)})),
)
def expand_dims_adjoint_rule(d_out, out, a, axis):
    return np.reshape(d_out, np.shape(a)), None


@adjoint(
    "numpy.squeeze",
    method="squeeze",
    returns="view",
    linear=True,
    examples=(
        Example("np.squeeze(a)", {"a": (2, 1, 3, 1)}),
        Example("np.squeeze(a, axis=1)", {"a": (2, 1, 3)}),
        Example("a.squeeze()", {"a": (1, 3)}),
    ),
)
def squeeze_adjoint_rule(d_out, out, a, axis=None):
    return np.reshape(d_out, np.shape(a))


@adjoint(
    "numpy.broadcast_to",
    inactive=("shape",),
    returns="view",
    linear=True,
    examples=(
        Example("np.broadcast_to(array, (4, 3))", {"array": (3,)}),
        Example("np.broadcast_to(array, (2, 3, 4))", {"array": (3, 1)}),
    ),
)
def broadcast_to_adjoint_rule(d_out, out, array, shape):
    return _rt.unbroadcast(d_out, array), None


@adjoint(
    "numpy.concatenate",
    sequences=("arrays",),
    linear=True,
    examples=(
        Example("np.concatenate([a, b])", {"a": (2,), "b": (3,)}),
        Example("np.concatenate((a, b, a), axis=1)", {"a": (2, 1), "b": (2, 3)}),
        Example("np.concatenate([a, b], axis=-1)", {"a": (2, 2), "b": (2, 1)}),
        # np.r_[...] and np.c_[...] are lowered to np.concatenate (normalize.py).
        Example("np.r_[a, b, 2.0, a]", {"a": None, "b": (3,)}),
        Example("np.r_[a, 0:3, b]", {"a": (2,), "b": ()}),
        Example("np.r_[a, b]", {"a": (2, 3), "b": (1, 3)}),
        Example("np.c_[a, b, a]", {"a": (3,), "b": (3, 2)}),
        Example("np.c_[a, b]", {"a": None, "b": (1, 2)}),
    ),
)
def concatenate_adjoint_rule(d_out, out, arrays, axis=0):
    return _rt.split_like(d_out, arrays, axis)


@adjoint(
    "numpy.atleast_1d",
    returns="view",
    linear=True,
    examples=(
        Example("np.atleast_1d(ary)", {"ary": None}),
        Example("np.atleast_1d(ary)", {"ary": ()}),
        Example("np.atleast_1d(ary)", {"ary": (3,)}),
        Example("np.atleast_1d(ary)", {"ary": (2, 3)}),
    ),
)
def atleast_1d_adjoint_rule(d_out, out, ary):
    return np.reshape(d_out, np.shape(ary))


@adjoint(
    "s2sad.runtime.column",
    returns="view",
    linear=True,
    examples=(
        Example("_rt.column(a)", {"a": None}),
        Example("_rt.column(a)", {"a": ()}),
        Example("_rt.column(a)", {"a": (3,)}),
        Example("_rt.column(a)", {"a": (3, 2)}),
        Example("_rt.column(a)", {"a": (2, 3, 2)}),
    ),
)
def column_adjoint_rule(d_out, out, a):
    return np.reshape(d_out, np.shape(a))


@adjoint(
    "numpy.stack",
    sequences=("arrays",),
    linear=True,
    examples=(
        Example("np.stack([a, b])", {"a": (3,), "b": (3,)}),
        Example("np.stack((a, b, a), axis=1)", {"a": (2, 2), "b": (2, 2)}),
        Example("np.stack([a, b], axis=-1)", {"a": None, "b": None}),
    ),
)
def stack_adjoint_rule(d_out, out, arrays, axis=0):
    return np.moveaxis(d_out, axis, 0)


@adjoint(
    "numpy.array",
    sequences=("object",),
    linear=True,
    examples=(
        Example("np.array([a, b, a])", {"a": None, "b": None}),
        Example("np.array([a, b])", {"a": (3,), "b": (3,)}),
    ),
)
def array_adjoint_rule(d_out, out, object):
    return d_out


@adjoint(
    "numpy.full",
    inactive=("shape",),
    linear=True,
    examples=(
        Example("np.full((2, 3), fill_value)", {"fill_value": None}),
        Example("np.full(3, fill_value)", {"fill_value": ()}),
        Example("np.full((2, 3), fill_value)", {"fill_value": (3,)}),
    ),
)
def full_adjoint_rule(d_out, out, shape, fill_value):
    return None, _rt.unbroadcast(d_out, fill_value)


@adjoint(
    "numpy.full_like",
    examples=(
        Example("np.full_like(a, fill_value)", {"a": (2, 3), "fill_value": (3,)}),
        Example("np.full_like(a, fill_value)", {"a": (4,), "fill_value": None}),
    ),
)
def full_like_adjoint_rule(d_out, out, a, fill_value):
    return None, _rt.unbroadcast(d_out, fill_value)


@tangent("numpy.full_like")
def full_like_tangent_rule(d_a, d_fill_value, out, a, fill_value):
    return None, np.full_like(out, d_fill_value)


@adjoint(
    "s2sad.list",
    sequences=("items",),
    examples=(
        Example("hs = [a, b]; hs.append(a * b); np.stack(hs)", {"a": (2,), "b": (2,)}),
        Example("hs = []; hs.append(a); sum(hs)", {"a": None}),
    ),
)
def list_adjoint_rule(d_out, out, items):
    return d_out


@tangent("s2sad.list")
def list_tangent_rule(d_items, out, items):
    return d_items  # the list of the items' tangents, written out


@adjoint(
    "builtins.sum",
    sequences=("iterable",),
    examples=(Example("sum([a, b, a])", {"a": (3,), "b": (2, 3)}), Example("sum((a, b))", {"a": None, "b": None})),
)
def builtin_sum_adjoint_rule(d_out, out, iterable, start=0):
    return _rt.sum_adjoint(d_out, iterable)


@tangent("builtins.sum")
def builtin_sum_tangent_rule(d_iterable, out, iterable, start=0):
    return _rt.sum_tangent(d_iterable)
