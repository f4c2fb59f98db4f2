"""Functions that move, copy or regroup elements: their adjoints move the gradient back."""

import numpy as np

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent


@adjoint(
    "operator.getitem",
    inactive=("index",),
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
def getitem_adjoint(d_out, out, a, index):
    return _rt.getitem_adjoint(d_out, a, index), None


@tangent("operator.getitem")
def getitem_tangent(d_a, d_index, out, a, index):
    return d_a[index], None


@adjoint(
    "numpy.dot",
    examples=(
        Example("np.dot(a, b)", {"a": (3, 4), "b": (4, 2)}),
        Example("np.dot(a, b)", {"a": (4,), "b": (4,)}),
        Example("np.dot(a, b)", {"a": (3, 4), "b": (4,)}),
        Example("np.dot(a, b)", {"a": None, "b": (3,)}),
        Example("a.dot(b)", {"a": (4,), "b": (4, 3)}),
    ),
)
def dot_adjoint(d_out, out, a, b):
    return _rt.dot_adjoint_left(d_out, a, b), _rt.dot_adjoint_right(d_out, a, b)


@tangent("numpy.dot")
def dot_tangent(d_a, d_b, out, a, b):
    return np.dot(d_a, b), np.dot(a, d_b)


@adjoint(
    "numpy.matmul",
    examples=(
        Example("x1 @ x2", {"x1": (3, 4), "x2": (4, 2)}),
        Example("x1 @ x2", {"x1": (4,), "x2": (4, 2)}),
        Example("x1 @ x2", {"x1": (3, 4), "x2": (4,)}),
        Example("x1 @ x2", {"x1": (4,), "x2": (4,)}),
        Example("np.matmul(x1, x2)", {"x1": (2, 3, 4), "x2": (4, 2)}),
        Example("x1 @ x2", {"x1": (3, 4), "x2": (2, 4, 2)}),
    ),
)
def matmul_adjoint(d_out, out, x1, x2):
    return _rt.matmul_adjoint_left(d_out, x1, x2), _rt.matmul_adjoint_right(d_out, x1, x2)


@tangent("numpy.matmul")
def matmul_tangent(d_x1, d_x2, out, x1, x2):
    return np.matmul(d_x1, x2), np.matmul(x1, d_x2)


@adjoint("numpy.outer", examples=(Example("np.outer(a, b)", {"a": (3,), "b": (2, 2)}),))
def outer_adjoint(d_out, out, a, b):
    return (
        np.reshape(d_out @ np.ravel(b), np.shape(a)),
        np.reshape(np.ravel(a) @ d_out, np.shape(b)),
    )


@tangent("numpy.outer")
def outer_tangent(d_a, d_b, out, a, b):
    return np.outer(d_a, b), np.outer(a, d_b)


@adjoint(
    "numpy.inner",
    examples=(
        Example("np.inner(a, b)", {"a": (4,), "b": (4,)}),
        Example("np.inner(a, b)", {"a": (2, 4), "b": (3, 4)}),
        Example("np.inner(a, b)", {"a": (2, 3, 4), "b": (4,)}),
    ),
)
def inner_adjoint(d_out, out, a, b):
    return _rt.inner_adjoint_left(d_out, a, b), _rt.inner_adjoint_right(d_out, a, b)


@tangent("numpy.inner")
def inner_tangent(d_a, d_b, out, a, b):
    return np.inner(d_a, b), np.inner(a, d_b)


@adjoint(
    "numpy.transpose",
    examples=(
        Example("np.transpose(a)", {"a": (3, 2)}),
        Example("np.transpose(a, (1, 2, 0))", {"a": (2, 3, 4)}),
        Example("a.T", {"a": (3, 2)}),
        Example("a.transpose(2, 0, 1)", {"a": (2, 3, 4)}),
    ),
)
def transpose_adjoint(d_out, out, a, axes=None):
    return _rt.transpose_adjoint(d_out, axes)


@tangent("numpy.transpose")
def transpose_tangent(d_a, out, a, axes=None):
    return np.transpose(d_a, axes)


@adjoint(
    "numpy.reshape",
    inactive=("shape",),
    examples=(
        Example("np.reshape(a, (3, 2))", {"a": (6,)}),
        Example("np.reshape(a, -1)", {"a": (2, 3)}),
        Example("a.reshape(2, 3)", {"a": (3, 2)}),
        Example("a.reshape((-1, 2))", {"a": (2, 3, 2)}),
    ),
)
def reshape_adjoint(d_out, out, a, shape):
    return np.reshape(d_out, np.shape(a)), None


@tangent("numpy.reshape")
def reshape_tangent(d_a, d_shape, out, a, shape):
    return np.reshape(d_a, shape), None


@adjoint("numpy.ravel", examples=(Example("np.ravel(a)", {"a": (2, 3)}), Example("a.ravel()", {"a": (3, 2)})))
def ravel_adjoint(d_out, out, a):
    return np.reshape(d_out, np.shape(a))


@tangent("numpy.ravel")
def ravel_tangent(d_a, out, a):
    return np.ravel(d_a)


@adjoint(
    "numpy.expand_dims",
    inactive=("axis",),
    examples=(Example("np.expand_dims(a, 1)", {"a": (2, 3)}), Example("np.expand_dims(a, (0, 2))", {"a": (3,)})),
)
def expand_dims_adjoint(d_out, out, a, axis):
    return np.reshape(d_out, np.shape(a)), None


@tangent("numpy.expand_dims")
def expand_dims_tangent(d_a, d_axis, out, a, axis):
    return np.expand_dims(d_a, axis), None


@adjoint(
    "numpy.squeeze",
    examples=(
        Example("np.squeeze(a)", {"a": (2, 1, 3, 1)}),
        Example("np.squeeze(a, axis=1)", {"a": (2, 1, 3)}),
        Example("a.squeeze()", {"a": (1, 3)}),
    ),
)
def squeeze_adjoint(d_out, out, a, axis=None):
    return np.reshape(d_out, np.shape(a))


@tangent("numpy.squeeze")
def squeeze_tangent(d_a, out, a, axis=None):
    return np.squeeze(d_a, axis)


@adjoint(
    "numpy.broadcast_to",
    inactive=("shape",),
    examples=(
        Example("np.broadcast_to(array, (4, 3))", {"array": (3,)}),
        Example("np.broadcast_to(array, (2, 3, 4))", {"array": (3, 1)}),
    ),
)
def broadcast_to_adjoint(d_out, out, array, shape):
    return _rt.unbroadcast(d_out, array), None


@tangent("numpy.broadcast_to")
def broadcast_to_tangent(d_array, d_shape, out, array, shape):
    return np.broadcast_to(d_array, shape), None


@adjoint(
    "numpy.concatenate",
    sequences=("arrays",),
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
def concatenate_adjoint(d_out, out, arrays, axis=0):
    return _rt.split_like(d_out, arrays, axis)


@tangent("numpy.concatenate")
def concatenate_tangent(d_arrays, out, arrays, axis=0):
    return np.concatenate(d_arrays, axis)


@adjoint(
    "numpy.atleast_1d",
    examples=(
        Example("np.atleast_1d(ary)", {"ary": None}),
        Example("np.atleast_1d(ary)", {"ary": ()}),
        Example("np.atleast_1d(ary)", {"ary": (3,)}),
        Example("np.atleast_1d(ary)", {"ary": (2, 3)}),
    ),
)
def atleast_1d_adjoint(d_out, out, ary):
    return np.reshape(d_out, np.shape(ary))


@tangent("numpy.atleast_1d")
def atleast_1d_tangent(d_ary, out, ary):
    return np.atleast_1d(d_ary)


@adjoint(
    "s2sad.runtime.column",
    examples=(
        Example("_rt.column(a)", {"a": None}),
        Example("_rt.column(a)", {"a": ()}),
        Example("_rt.column(a)", {"a": (3,)}),
        Example("_rt.column(a)", {"a": (3, 2)}),
        Example("_rt.column(a)", {"a": (2, 3, 2)}),
    ),
)
def column_adjoint(d_out, out, a):
    return np.reshape(d_out, np.shape(a))


@tangent("s2sad.runtime.column")
def column_tangent(d_a, out, a):
    return _rt.column(d_a)


@adjoint(
    "numpy.stack",
    sequences=("arrays",),
    examples=(
        Example("np.stack([a, b])", {"a": (3,), "b": (3,)}),
        Example("np.stack((a, b, a), axis=1)", {"a": (2, 2), "b": (2, 2)}),
        Example("np.stack([a, b], axis=-1)", {"a": None, "b": None}),
    ),
)
def stack_adjoint(d_out, out, arrays, axis=0):
    return np.moveaxis(d_out, axis, 0)


@tangent("numpy.stack")
def stack_tangent(d_arrays, out, arrays, axis=0):
    return np.stack(d_arrays, axis)


@adjoint(
    "numpy.array",
    sequences=("object",),
    examples=(
        Example("np.array([a, b, a])", {"a": None, "b": None}),
        Example("np.array([a, b])", {"a": (3,), "b": (3,)}),
    ),
)
def array_adjoint(d_out, out, object):
    return d_out


@tangent("numpy.array")
def array_tangent(d_object, out, object):
    return np.array(d_object)


@adjoint(
    "numpy.full",
    inactive=("shape",),
    examples=(
        Example("np.full((2, 3), fill_value)", {"fill_value": None}),
        Example("np.full(3, fill_value)", {"fill_value": ()}),
        Example("np.full((2, 3), fill_value)", {"fill_value": (3,)}),
    ),
)
def full_adjoint(d_out, out, shape, fill_value):
    return None, _rt.unbroadcast(d_out, fill_value)


@tangent("numpy.full")
def full_tangent(d_shape, d_fill_value, out, shape, fill_value):
    return None, np.full(shape, d_fill_value)


@adjoint(
    "numpy.full_like",
    examples=(
        Example("np.full_like(a, fill_value)", {"a": (2, 3), "fill_value": (3,)}),
        Example("np.full_like(a, fill_value)", {"a": (4,), "fill_value": None}),
    ),
)
def full_like_adjoint(d_out, out, a, fill_value):
    return None, _rt.unbroadcast(d_out, fill_value)


@tangent("numpy.full_like")
def full_like_tangent(d_a, d_fill_value, out, a, fill_value):
    return None, np.full_like(out, d_fill_value)


@adjoint(
    "s2sad.list",
    sequences=("items",),
    examples=(
        Example("hs = [a, b]; hs.append(a * b); np.stack(hs)", {"a": (2,), "b": (2,)}),
        Example("hs = []; hs.append(a); sum(hs)", {"a": None}),
    ),
)
def list_adjoint(d_out, out, items):
    return d_out


@tangent("s2sad.list")
def list_tangent(d_items, out, items):
    return d_items  # the list of the items' tangents, written out


@adjoint(
    "builtins.sum",
    sequences=("iterable",),
    examples=(Example("sum([a, b, a])", {"a": (3,), "b": (2, 3)}), Example("sum((a, b))", {"a": None, "b": None})),
)
def builtin_sum_adjoint(d_out, out, iterable, start=0):
    return _rt.sum_adjoint(d_out, iterable)


@tangent("builtins.sum")
def builtin_sum_tangent(d_iterable, out, iterable, start=0):
    return _rt.sum_tangent(d_iterable)
