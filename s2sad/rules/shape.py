"""Functions that move, copy or regroup elements: their adjoints move the gradient back.

Most return a view of their argument (declared ``returns="view"``: flip, rot90, moveaxis, swapaxes,
rollaxis, atleast_2d/3d, diagonal, ...), which s2sad's memory analysis follows through updates in
place. Conversions (np.asarray, np.ascontiguousarray, ``x.astype``) take floating types only: the
gradient comes back in the argument's type.
"""

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


# x.item(...): one element as a Python float, as indexing picks it (a flat position, or one per axis).
@adjoint(
    "s2sad.runtime.item",
    method=Method("item", packed=True),
    returns="new",
    linear=True,
    examples=(
        Example("a.item()", {"a": ()}),
        Example("a.item() * 2.0", {"a": (1, 1)}),
        Example("a.item(4) * a.item(-1)", {"a": (2, 3)}),
        Example("a.item(1, 2) ** 2", {"a": (2, 3)}),
        Example("a.item((0, -1)) + a.item(np.argmax(a))", {"a": (2, 3)}),
        Example("a.T.item(1)", {"a": (2, 3)}),
        Example("np.sum(a).item() * a", {"a": (3,)}),
    ),
)
def item_adjoint_rule(d_out, out, a, index=None):
    return _rt.item_adjoint(d_out, a, index)


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


# x.mT (numpy 2) is np.matrix_transpose(x): the last two axes swapped, a view.
@adjoint(
    "numpy.matrix_transpose",
    returns="view",
    linear=True,
    examples=(
        Example("np.matrix_transpose(x)", {"x": (2, 3)}),
        Example("x.mT", {"x": (2, 3, 4)}),
        Example("x.mT @ x", {"x": (3, 2)}),
    ),
)
def matrix_transpose_adjoint_rule(d_out, out, x):
    return np.matrix_transpose(d_out)


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
    whole=("arrays",),
    linear=True,
    examples=(
        Example("np.stack(a, axis=1)", {"a": (2, 3)}),
        Example("np.stack(a * 2.0)", {"a": (3, 2, 2)}),
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
    whole=("object",),
    returns="new",
    linear=True,
    examples=(
        Example("np.array([a, b, a])", {"a": None, "b": None}),
        Example("np.array([a, b])", {"a": (3,), "b": (3,)}),
        Example("np.array(a, dtype=float) * 2.0", {"a": (2, 3)}),
        Example("np.array(a, np.float64)", {"a": None}),
    ),
)
def array_adjoint_rule(d_out, out, object, dtype=None):
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


# ---------------------------------------------------------------------------
# views that reorder axes or elements: their adjoint undoes the reordering


@adjoint(
    "numpy.flip",
    returns="view",
    linear=True,
    examples=(
        Example("np.flip(m)", {"m": (4,)}),
        Example("np.flip(m)", {"m": (2, 3)}),
        Example("np.flip(m, 1)", {"m": (2, 3)}),
        Example("np.flip(m, axis=(0, -1))", {"m": (2, 3, 2)}),
    ),
)
def flip_adjoint_rule(d_out, out, m, axis=None):
    return np.flip(d_out, axis)


@adjoint(
    "numpy.fliplr",
    returns="view",
    linear=True,
    examples=(Example("np.fliplr(m)", {"m": (2, 3)}), Example("np.fliplr(m)", {"m": (2, 3, 2)})),
)
def fliplr_adjoint_rule(d_out, out, m):
    return np.fliplr(d_out)


@adjoint(
    "numpy.flipud",
    returns="view",
    linear=True,
    examples=(Example("np.flipud(m)", {"m": (3,)}), Example("np.flipud(m)", {"m": (3, 2)})),
)
def flipud_adjoint_rule(d_out, out, m):
    return np.flipud(d_out)


@adjoint(
    "numpy.rot90",
    returns="view",
    linear=True,
    examples=(
        Example("np.rot90(m)", {"m": (2, 3)}),
        Example("np.rot90(m, 2)", {"m": (2, 3)}),
        Example("np.rot90(m, k=-1, axes=(1, 2))", {"m": (2, 3, 4)}),
        Example("np.rot90(m, 3, (2, 0))", {"m": (2, 3, 4)}),
    ),
)
def rot90_adjoint_rule(d_out, out, m, k=1, axes=(0, 1)):
    return np.rot90(d_out, -k, axes)


@adjoint(
    "numpy.moveaxis",
    inactive=("source", "destination"),
    returns="view",
    linear=True,
    examples=(
        Example("np.moveaxis(a, 0, -1)", {"a": (2, 3, 4)}),
        Example("np.moveaxis(a, (0, 1), (2, 0))", {"a": (2, 3, 4)}),
        Example("np.moveaxis(a, -1, 0)", {"a": (2, 3)}),
    ),
)
def moveaxis_adjoint_rule(d_out, out, a, source, destination):
    return np.moveaxis(d_out, destination, source), None, None


@adjoint(
    "numpy.swapaxes",
    inactive=("axis1", "axis2"),
    method="swapaxes",
    returns="view",
    linear=True,
    examples=(
        Example("np.swapaxes(a, 0, 1)", {"a": (2, 3)}),
        Example("np.swapaxes(a, 0, -1)", {"a": (2, 3, 4)}),
        Example("a.swapaxes(1, 2)", {"a": (2, 3, 4)}),
    ),
)
def swapaxes_adjoint_rule(d_out, out, a, axis1, axis2):
    return np.swapaxes(d_out, axis1, axis2), None, None


@adjoint(
    "numpy.rollaxis",
    inactive=("axis",),
    returns="view",
    linear=True,
    examples=(
        Example("np.rollaxis(a, 2)", {"a": (2, 3, 4)}),
        Example("np.rollaxis(a, 0, 3)", {"a": (2, 3, 4)}),
        Example("np.rollaxis(a, -1, 1)", {"a": (2, 3, 4)}),
        Example("np.rollaxis(a, 1, start=-3)", {"a": (2, 3, 4)}),
        Example("np.rollaxis(a, 1, 1)", {"a": (2, 3)}),
    ),
)
def rollaxis_adjoint_rule(d_out, out, a, axis, start=0):
    return _rt.rollaxis_adjoint(d_out, axis, start), None


_LIFTED = ((None,), ((),), ((3,),), ((2, 3),), ((2, 3, 2),), ((2, 1, 2, 2),))


@adjoint(
    "numpy.atleast_2d",
    returns="view",
    linear=True,
    examples=tuple(Example("np.atleast_2d(ary)", {"ary": shape}) for (shape,) in _LIFTED),
)
def atleast_2d_adjoint_rule(d_out, out, ary):
    return np.reshape(d_out, np.shape(ary))


@adjoint(
    "numpy.atleast_3d",
    returns="view",
    linear=True,
    examples=tuple(Example("np.atleast_3d(ary)", {"ary": shape}) for (shape,) in _LIFTED),
)
def atleast_3d_adjoint_rule(d_out, out, ary):
    return np.reshape(d_out, np.shape(ary))


@adjoint(
    "numpy.diagonal",
    method="diagonal",
    returns="view",
    linear=True,
    examples=(
        Example("np.diagonal(a)", {"a": (3, 3)}),
        Example("np.diagonal(a, 1)", {"a": (3, 4)}),
        Example("np.diagonal(a, offset=-1)", {"a": (4, 3)}),
        Example("np.diagonal(a, 0, 1, 2)", {"a": (2, 3, 3)}),
        Example("np.diagonal(a, -1, axis1=2, axis2=0)", {"a": (3, 2, 4)}),
        Example("a.diagonal()", {"a": (2, 2)}),
        Example("a.diagonal(1, -2, -1)", {"a": (2, 3, 3)}),
    ),
)
def diagonal_adjoint_rule(d_out, out, a, offset=0, axis1=0, axis2=1):
    return _rt.diagonal_adjoint(d_out, a, offset, axis1, axis2)


# ---------------------------------------------------------------------------
# arrays as they are, or in another floating type: their adjoint is the gradient in the argument's type


@adjoint(
    "numpy.asarray",
    aliases=("numpy.asanyarray",),
    returns="view or copy",  # the array itself when it has the dtype asked for, else a copy
    linear=True,
    examples=(
        Example("np.asarray(a)", {"a": (2, 3)}),
        Example("np.asarray(a)", {"a": None}),
        Example("np.asarray(a, np.float64) * 2.0", {"a": (3,)}),
        Example("np.asarray(a, dtype=float)", {"a": ()}),
        Example("np.asanyarray(a)", {"a": (3,)}),
    ),
)
def asarray_adjoint_rule(d_out, out, a, dtype=None):
    return _rt.like(d_out, a)


@adjoint(
    "numpy.ascontiguousarray",
    returns="view or copy",  # a copy unless already C-contiguous
    linear=True,
    examples=(
        Example("np.ascontiguousarray(a)", {"a": (2, 3)}),
        Example("np.ascontiguousarray(a.T)", {"a": (2, 3)}),
        Example("np.ascontiguousarray(a, dtype='float64')", {"a": (3,)}),
        Example("np.ascontiguousarray(a)", {"a": None}),
    ),
)
def ascontiguousarray_adjoint_rule(d_out, out, a, dtype=None):
    return _rt.like(np.reshape(d_out, np.shape(a)), a)  # a number becomes an array of one element


@adjoint(
    "s2sad.runtime.astype",
    aliases=("numpy.astype",),
    method="astype",
    returns="new",
    examples=(
        Example("a.astype(float)", {"a": (2, 3)}),
        Example("a.astype(np.float64) * 2.0", {"a": (3,)}),
        Example("np.astype(a, 'float64')", {"a": (3,)}),
        Example("a.astype(dtype='f8')", {"a": ()}),
    ),
)
def astype_adjoint_rule(d_out, out, x, dtype=None):
    return _rt.like(d_out, x)


@tangent("s2sad.runtime.astype")
def astype_tangent_rule(d_x, out, x, dtype=None):
    return _rt.astype(d_x, dtype)
