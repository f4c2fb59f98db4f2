"""Joining, repeating, padding, rolling, placing on a diagonal and selecting: functions that copy
elements of their arguments into a new array. Each is linear in its arrays, so its tangent is the
function applied to the tangents; its adjoint sends the gradient of each output element back to
the element it was copied from, summed where an element was copied several times.

Integer arguments (repeats, shifts, indices, conditions) carry no derivative: they are options or
``inactive``. np.pad and np.select put constants (``constant_values``, ``default``) where no element
was copied: those places get no gradient, and the tangent is zero there.
"""

import numpy as np

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent, zero_derivative

zero_derivative("s2sad.runtime.pad_mode")

# ---------------------------------------------------------------------------
# joining: hstack, vstack, dstack, column_stack


@adjoint(
    "numpy.hstack",
    sequences=("tup",),
    returns="new",
    linear=True,
    examples=(
        Example("np.hstack([a, b])", {"a": (2,), "b": (3,)}),
        Example("np.hstack((a, b, a))", {"a": (2, 1), "b": (2, 3)}),
        Example("np.hstack([a, b])", {"a": None, "b": (3,)}),
        Example("np.hstack([a, b])", {"a": (2, 2, 1), "b": (2, 1, 1)}),
    ),
)
def hstack_adjoint_rule(d_out, out, tup):
    return _rt.unjoin(d_out, tup, "h")


@adjoint(
    "numpy.vstack",
    aliases=("numpy.row_stack",),
    sequences=("tup",),
    returns="new",
    linear=True,
    examples=(
        Example("np.vstack([a, b])", {"a": (3,), "b": (3,)}),
        Example("np.vstack((a, b, a))", {"a": (1, 3), "b": (2, 3)}),
        Example("np.vstack([a, b])", {"a": (3,), "b": (2, 3)}),
        Example("np.vstack([a, b])", {"a": None, "b": ()}),
        Example("np.vstack([a, b])", {"a": (1, 2, 2), "b": (2, 2, 2)}),
    ),
)
def vstack_adjoint_rule(d_out, out, tup):
    return _rt.unjoin(d_out, tup, "v")


@adjoint(
    "numpy.dstack",
    sequences=("tup",),
    returns="new",
    linear=True,
    examples=(
        Example("np.dstack([a, b])", {"a": (3,), "b": (3,)}),
        Example("np.dstack((a, b, a))", {"a": (2, 3), "b": (2, 3)}),
        Example("np.dstack([a, b])", {"a": (2, 3, 2), "b": (2, 3)}),
        Example("np.dstack([a, b])", {"a": None, "b": ()}),
    ),
)
def dstack_adjoint_rule(d_out, out, tup):
    return _rt.unjoin(d_out, tup, "d")


@adjoint(
    "numpy.column_stack",
    sequences=("tup",),
    returns="new",
    linear=True,
    examples=(
        Example("np.column_stack([a, b])", {"a": (3,), "b": (3,)}),
        Example("np.column_stack((a, b, a))", {"a": (3,), "b": (3, 2)}),
        Example("np.column_stack([a, b])", {"a": (), "b": (1, 2)}),
    ),
)
def column_stack_adjoint_rule(d_out, out, tup):
    return _rt.unjoin(d_out, tup, "column")


# ---------------------------------------------------------------------------
# repeating and rolling: tile, repeat, roll


@adjoint(
    "numpy.tile",
    inactive=("reps",),
    returns="new",
    linear=True,
    examples=(
        Example("np.tile(A, 3)", {"A": (2,)}),
        Example("np.tile(A, (2, 1))", {"A": (3,)}),
        Example("np.tile(A, (2, 3))", {"A": (2, 2)}),
        Example("np.tile(A, 2)", {"A": (2, 3)}),
        Example("np.tile(A, (2, 1, 2))", {"A": (3, 1)}),
        Example("np.tile(A, (3, 2))", {"A": None}),
    ),
)
def tile_adjoint_rule(d_out, out, A, reps):
    return _rt.tile_adjoint(d_out, A, reps), None


@adjoint(
    "numpy.repeat",
    inactive=("repeats",),
    method="repeat",
    returns="new",
    linear=True,
    examples=(
        Example("np.repeat(a, 3)", {"a": (2, 2)}),
        Example("np.repeat(a, 2, axis=0)", {"a": (2, 3)}),
        Example("np.repeat(a, np.array([1, 0, 3]), 1)", {"a": (2, 3)}),
        Example("np.repeat(a, np.array([2, 1, 1, 3]))", {"a": (2, 2)}),
        Example("np.repeat(a, 3)", {"a": None}),
        Example("a.repeat(2, -1)", {"a": (2, 2, 2)}),
        Example("a.repeat(2)", {"a": (3,)}),
    ),
)
def repeat_adjoint_rule(d_out, out, a, repeats, axis=None):
    return _rt.repeat_adjoint(d_out, a, repeats, axis), None


@adjoint(
    "numpy.roll",
    inactive=("shift",),
    returns="new",
    linear=True,
    examples=(
        Example("np.roll(a, 2)", {"a": (5,)}),
        Example("np.roll(a, -1)", {"a": (2, 3)}),
        Example("np.roll(a, 1, axis=1)", {"a": (2, 3)}),
        Example("np.roll(a, (1, -2), axis=(0, 2))", {"a": (2, 3, 4)}),
        Example("np.roll(a, (1, 2), (1, 1))", {"a": (2, 3)}),
    ),
)
def roll_adjoint_rule(d_out, out, a, shift, axis=None):
    return np.roll(d_out, np.negative(shift), axis), None


# ---------------------------------------------------------------------------
# padding


@adjoint(
    "numpy.pad",
    inactive=("pad_width",),
    keyword_only=("constant_values",),
    returns="new",
    examples=(
        Example("np.pad(array, 1)", {"array": (3,)}),
        Example("np.pad(array, ((1, 2), (0, 1)))", {"array": (2, 3)}),
        Example("np.pad(array, 2, constant_values=1.5)", {"array": (2, 2)}),
        Example("np.pad(array, ((1, 0), (2, 3)), 'constant', constant_values=((1, 2), (3, 4)))", {"array": (2, 3)}),
        Example("np.pad(array, (2, 3), mode='edge')", {"array": (3, 2)}),
        Example("np.pad(array, 3, 'reflect')", {"array": (4,)}),
        Example("np.pad(array, ((2, 1), (1, 2)), 'reflect')", {"array": (3, 3)}),
        Example("np.pad(array, 4, 'symmetric')", {"array": (3,)}),
        Example("np.pad(array, (1, 2), 'symmetric')", {"array": (2, 3)}),
        Example("np.pad(array, 5, mode='wrap')", {"array": (3,)}),
        Example("np.pad(array, ((1, 1), (2, 0)), 'wrap')", {"array": (2, 3)}),
    ),
)
def pad_adjoint_rule(d_out, out, array, pad_width, mode="constant", constant_values=0):
    return _rt.pad_adjoint(d_out, array, pad_width, mode), None


@tangent("numpy.pad")
def pad_tangent_rule(d_array, d_pad_width, out, array, pad_width, mode="constant", constant_values=0):
    # The constants have no tangent: the tangent is padded with zeros in constant mode.
    return np.pad(d_array, pad_width, _rt.pad_mode(mode)), None


# ---------------------------------------------------------------------------
# diagonals and triangles: diag, diagflat, tril, triu


@adjoint(
    "numpy.diag",
    returns="view or copy",  # a matrix's diagonal is a view of it; a vector's matrix is new
    linear=True,
    examples=(
        Example("np.diag(v)", {"v": (3,)}),
        Example("np.diag(v, 1)", {"v": (3,)}),
        Example("np.diag(v, k=-2)", {"v": (2,)}),
        Example("np.diag(v)", {"v": (3, 3)}),
        Example("np.diag(v, 1)", {"v": (3, 4)}),
        Example("np.diag(v, k=-1)", {"v": (4, 2)}),
    ),
)
def diag_adjoint_rule(d_out, out, v, k=0):
    return _rt.diag_adjoint(d_out, v, k)


@adjoint(
    "numpy.diagflat",
    returns="new",
    linear=True,
    examples=(
        Example("np.diagflat(v)", {"v": (3,)}),
        Example("np.diagflat(v, 2)", {"v": (2, 2)}),
        Example("np.diagflat(v, k=-1)", {"v": (3,)}),
        Example("np.diagflat(v)", {"v": None}),
    ),
)
def diagflat_adjoint_rule(d_out, out, v, k=0):
    return np.reshape(np.diagonal(d_out, k), np.shape(v))


_TRIANGLES = (
    Example("{f}(m)", {"m": (3, 3)}),
    Example("{f}(m, 1)", {"m": (3, 4)}),
    Example("{f}(m, k=-1)", {"m": (4, 3)}),
    Example("{f}(m)", {"m": (2, 3, 3)}),
    Example("{f}(m, -1)", {"m": (3,)}),  # a vector is the rows of a square matrix
)


def _triangle_examples(function: str) -> tuple[Example, ...]:
    return tuple(Example(e.call.format(f=function), e.shapes) for e in _TRIANGLES)


@adjoint("numpy.tril", returns="new", linear=True, examples=_triangle_examples("np.tril"))
def tril_adjoint_rule(d_out, out, m, k=0):
    return _rt.unbroadcast(np.tril(d_out, k), m)


@adjoint("numpy.triu", returns="new", linear=True, examples=_triangle_examples("np.triu"))
def triu_adjoint_rule(d_out, out, m, k=0):
    return _rt.unbroadcast(np.triu(d_out, k), m)


# ---------------------------------------------------------------------------
# selecting elements: take, take_along_axis, select, choose, compress


@adjoint(
    "numpy.take",
    inactive=("indices",),
    keyword_only=("mode",),
    method="take",
    returns="new",
    linear=True,
    examples=(
        Example("np.take(a, np.array([0, 3, 3, 1]))", {"a": (2, 3)}),
        Example("np.take(a, 2)", {"a": (4,)}),
        Example("np.take(a, np.array([[0, 2], [2, 2]]), axis=1)", {"a": (2, 3, 2)}),
        Example("np.take(a, np.array([-1, 0, -1]), 0)", {"a": (3, 2)}),
        Example("np.take(a, np.array([4, -1, 1]), -1, mode='wrap')", {"a": (2, 3)}),
        Example("np.take(a, np.array([5, -2, 1]), mode='clip')", {"a": (3,)}),
        Example("a.take(np.array([1, 1]), 0)", {"a": (2, 2)}),
        Example("a.take(np.array([2, 0]))", {"a": (3,)}),
    ),
)
def take_adjoint_rule(d_out, out, a, indices, axis=None, mode="raise"):
    return _rt.take_adjoint(d_out, a, indices, axis, mode), None


@adjoint(
    "numpy.take_along_axis",
    inactive=("indices",),
    returns="new",
    linear=True,
    examples=(
        Example("np.take_along_axis(arr, np.array([[0, 2, 2], [1, 0, 1]]), 1)", {"arr": (2, 3)}),
        Example("np.take_along_axis(arr, np.argsort(arr, axis=0), axis=0)", {"arr": (3, 2)}),
        Example("np.take_along_axis(arr, np.array([[1], [0]]), -1)", {"arr": (2, 3)}),
        Example("np.take_along_axis(arr, np.array([[[1, 0]]]), axis=2)", {"arr": (2, 3, 2)}),
        Example("np.take_along_axis(arr, np.array([3, 0, 3, -1]), None)", {"arr": (2, 2)}),
        Example("np.take_along_axis(arr, np.array([2, 0]))", {"arr": (3,)}),
    ),
)
def take_along_axis_adjoint_rule(d_out, out, arr, indices, axis=-1):
    return _rt.take_along_axis_adjoint(d_out, arr, indices, axis), None


@adjoint(
    "numpy.select",
    sequences=("choicelist",),
    inactive=("condlist",),
    returns="new",
    examples=(
        Example("np.select([a < -0.5, a > 0.5], [a, b])", {"a": (5,), "b": (5,)}),
        Example("np.select([a > 0.0, b > 0.0], [a * b, b], 1.5)", {"a": (2, 3), "b": (2, 3)}),
        Example("np.select([a > 0.0, a < 1.0], [b, a], default=-1.0)", {"a": (2, 3), "b": (3,)}),
        Example("np.select([a > 0.0], [b])", {"a": (4,), "b": None}),
    ),
)
def select_adjoint_rule(d_out, out, condlist, choicelist, default=0):
    return None, _rt.select_adjoint(d_out, condlist, choicelist)


@tangent("numpy.select")
def select_tangent_rule(d_condlist, d_choicelist, out, condlist, choicelist, default=0):
    # The default is a constant: the tangent is zero where no condition holds.
    return None, np.select(condlist, d_choicelist)


@adjoint(
    "numpy.choose",
    sequences=("choices",),
    inactive=("a",),
    keyword_only=("mode",),
    method="choose",
    returns="new",
    linear=True,
    examples=(
        Example("np.choose(np.array([0, 1, 1, 0]), [x, y])", {"x": (4,), "y": (4,)}),
        Example("np.choose(np.array([[2, 0, 1]]), (x, y, x * y))", {"x": (2, 3), "y": (3,)}),
        Example("np.choose(np.array([0, 3, -1]), [x, y], mode='wrap')", {"x": (3,), "y": None}),
        Example("np.choose(np.array([5, -1, 0]), [x, y, x], mode='clip')", {"x": (3,), "y": (3,)}),
        Example("np.array([1, 0, 1]).choose([x, y])", {"x": (3,), "y": (2, 3)}),
    ),
)
def choose_adjoint_rule(d_out, out, a, choices, mode="raise"):
    return None, _rt.choose_adjoint(d_out, a, choices, mode)


# np.compress is np.take of the positions where the condition holds; x.compress(condition) takes
# the receiver first, so it is a helper of its own (np.compress's first parameter is the condition).
@adjoint(
    "numpy.compress",
    inactive=("condition",),
    returns="new",
    linear=True,
    examples=(
        Example("np.compress(np.array([True, False, True]), a, axis=0)", {"a": (3, 2)}),
        Example("np.compress(a > 0.0, a)", {"a": (5,)}),
        Example("np.compress(np.array([False, True]), a, 1)", {"a": (2, 3)}),  # shorter: the rest is cut
        Example("np.compress(np.array([True, False, True, True]), a)", {"a": (2, 3)}),
        Example("np.compress(np.array([1, 0, 2]), a, axis=-1)", {"a": (2, 2, 3)}),
        Example("np.compress(np.array([True]), a)", {"a": None}),
    ),
)
def compress_adjoint_rule(d_out, out, condition, a, axis=None):
    return None, _rt.compress_adjoint(d_out, condition, a, axis)


@adjoint(
    "s2sad.runtime.compress",
    inactive=("condition",),
    method="compress",
    returns="new",
    linear=True,
    examples=(
        Example("a.compress(np.array([True, False, True]), axis=1)", {"a": (2, 3)}),
        Example("a.compress(np.ravel(a) > 0.0)", {"a": (2, 3)}),
        Example("a.T.compress(np.array([False, True]), 0) * 2.0", {"a": (3, 2)}),
    ),
)
def compress_method_adjoint_rule(d_out, out, a, condition, axis=None):
    return _rt.compress_adjoint(d_out, condition, a, axis), None


@adjoint(
    "numpy.append",
    returns="new",
    examples=(
        Example("np.append(arr, values)", {"arr": (3,), "values": (2,)}),
        Example("np.append(arr, values)", {"arr": (2, 3), "values": None}),
        Example("np.append(arr, values)", {"arr": (), "values": (2, 2)}),
        Example("np.append(arr, values, axis=0)", {"arr": (2, 3), "values": (1, 3)}),
        Example("np.append(arr, values, 1)", {"arr": (2, 3), "values": (2, 2)}),
        Example("np.append(arr, values, axis=-1)", {"arr": (2, 2, 1), "values": (2, 2, 3)}),
    ),
)
def append_adjoint_rule(d_out, out, arr, values, axis=None):
    pieces = _rt.append_pieces(d_out, arr, values, axis)
    return pieces[0], pieces[1]


@tangent("numpy.append")
def append_tangent_rule(d_arr, d_values, out, arr, values, axis=None):
    no_values = np.zeros_like(values)  # the other argument's place, with no tangent
    no_arr = np.zeros_like(arr)
    return np.append(d_arr, no_values, axis), np.append(no_arr, d_values, axis)


# ---------------------------------------------------------------------------
# deleting and inserting: np.delete, np.insert (obj, whatever numpy takes, is an index: inactive)


@adjoint(
    "numpy.delete",
    inactive=("obj",),
    returns="new",
    linear=True,
    examples=(
        Example("np.delete(arr, 1)", {"arr": (4,)}),
        Example("np.delete(arr, -1)", {"arr": (2, 3)}),  # axis None: of the flattened array
        Example("np.delete(arr, [0, 2], axis=0)", {"arr": (3, 2)}),
        Example("np.delete(arr, 0, 1)", {"arr": (2, 3)}),
        Example("np.delete(arr, np.array([-1, 0, -1]), axis=-1)", {"arr": (2, 2, 3)}),
        Example("np.delete(arr, np.s_[::2], 1)", {"arr": (2, 5)}),
        Example("np.delete(arr, np.s_[1:3], axis=0)", {"arr": (4, 2)}),
        Example("np.delete(arr, np.array([True, False, True]), axis=1)", {"arr": (2, 3)}),
        Example("np.delete(arr, arr > 0.0)", {"arr": (5,)}),
        Example("np.delete(arr, np.s_[1:])", {"arr": None}),
    ),
)
def delete_adjoint_rule(d_out, out, arr, obj, axis=None):
    return _rt.delete_adjoint(d_out, arr, obj, axis), None


@adjoint(
    "numpy.insert",
    inactive=("obj",),
    returns="new",
    examples=(
        Example("np.insert(arr, 1, values)", {"arr": (4,), "values": None}),
        Example("np.insert(arr, [0, 2, 2], values)", {"arr": (3,), "values": (3,)}),
        Example("np.insert(arr, -1, values)", {"arr": (2, 2), "values": (2,)}),  # axis None: into the flattened array
        Example("np.insert(arr, 1, values, axis=0)", {"arr": (2, 3), "values": (3,)}),
        Example("np.insert(arr, 1, values, axis=1)", {"arr": (2, 3), "values": (3, 2)}),  # values[j] is column 1 + j
        Example("np.insert(arr, [1], values, axis=1)", {"arr": (2, 3), "values": (2, 1)}),
        Example("np.insert(arr, [1], values, -1)", {"arr": (2, 3), "values": (2,)}),  # two new columns
        Example("np.insert(arr, np.array([0, 3]), values, axis=1)", {"arr": (2, 3), "values": ()}),
        Example("np.insert(arr, np.s_[:2], values, 0)", {"arr": (3, 2), "values": (2, 2)}),
        Example("np.insert(arr, np.array([True, False, True]), values)", {"arr": (3,), "values": (2,)}),
        Example("np.insert(arr, 2, 1.5, axis=0)", {"arr": (3, 2)}),
    ),
)
def insert_adjoint_rule(d_out, out, arr, obj, values, axis=None):
    pieces = _rt.insert_adjoint(d_out, arr, values, obj, axis)
    return pieces[0], None, pieces[1]


# Linear in arr and values together, but not declared so: the derived tangent would insert into 0.0,
# not into zeros of arr's shape.
@tangent("numpy.insert")
def insert_tangent_rule(d_arr, d_obj, d_values, out, arr, obj, values, axis=None):
    no_values = np.zeros_like(values)  # the other argument's place, with no tangent
    return np.insert(d_arr, obj, no_values, axis), None, np.insert(_rt.insert_zeros(arr), obj, d_values, axis)


# ---------------------------------------------------------------------------
# pieces: np.split and its kin return a list of views of the array


def _split_examples(call: str) -> tuple[Example, ...]:
    return (
        Example(f"a, b = {call}(x, 2); a * b[::-1]", {"x": (6,)}),
        Example(f"p = {call}(x, [1, 3]); p[0].sum() + p[1] * p[2][:2] ** 2", {"x": (5,)}),
        Example(f"p = {call}(x, [3, 1, 9]); p[0] * 2.0 + p[2] ** 2", {"x": (4,)}),
    )


@adjoint(
    "numpy.split",
    pieces=True,
    returns="view",
    inactive=("indices_or_sections",),
    linear=("ary",),
    examples=_split_examples("np.split")
    + (
        Example("a, b = np.split(x, 2, axis=1); a * np.sin(b)", {"x": (3, 4)}),
        Example("a, b, c = np.split(x, [1, 2], -1); a * b + c", {"x": (2, 2, 3)}),
    ),
)
def split_adjoint_rule(d_out, out, ary, indices_or_sections, axis=0):
    return _rt.split_adjoint(d_out, ary, indices_or_sections, axis), None


@adjoint(
    "numpy.array_split",
    pieces=True,
    returns="view",
    inactive=("indices_or_sections",),
    linear=("ary",),
    examples=_split_examples("np.array_split")
    + (
        Example("a, b, c = np.array_split(x, 3); np.sum(a) * b[0] + c", {"x": (7,)}),
        Example("a, b = np.array_split(x, 2, axis=0); a[0] * b", {"x": (3, 2)}),
    ),
)
def array_split_adjoint_rule(d_out, out, ary, indices_or_sections, axis=0):
    return _rt.split_adjoint(d_out, ary, indices_or_sections, axis), None


@adjoint(
    "numpy.hsplit",
    pieces=True,
    returns="view",
    inactive=("indices_or_sections",),
    linear=("ary",),
    examples=_split_examples("np.hsplit") + (Example("a, b = np.hsplit(x, 2); a * b.T", {"x": (2, 2)}),),
)
def hsplit_adjoint_rule(d_out, out, ary, indices_or_sections):
    return _rt.split_adjoint(d_out, ary, indices_or_sections, "h"), None


@adjoint(
    "numpy.vsplit",
    pieces=True,
    returns="view",
    inactive=("indices_or_sections",),
    linear=("ary",),
    examples=(
        Example("a, b = np.vsplit(x, 2); a * b ** 2", {"x": (4, 3)}),
        Example("p = np.vsplit(x, [1]); p[0] + p[1]", {"x": (3, 2, 2)}),
    ),
)
def vsplit_adjoint_rule(d_out, out, ary, indices_or_sections):
    return _rt.split_adjoint(d_out, ary, indices_or_sections, "v"), None


@adjoint(
    "numpy.dsplit",
    pieces=True,
    returns="view",
    inactive=("indices_or_sections",),
    linear=("ary",),
    examples=(
        Example("a, b = np.dsplit(x, 2); a * np.exp(b)", {"x": (2, 3, 4)}),
        Example("p = np.dsplit(x, [1, 2]); p[0] + p[2] * p[1]", {"x": (1, 2, 3)}),
    ),
)
def dsplit_adjoint_rule(d_out, out, ary, indices_or_sections):
    return _rt.split_adjoint(d_out, ary, indices_or_sections, "d"), None


@adjoint(
    "numpy.broadcast_arrays",
    pieces=True,
    returns="view",
    variadic="args",
    examples=(
        Example("a, b = np.broadcast_arrays(x, y); a * b ** 2", {"x": (3,), "y": (2, 1)}),
        # (a Python float becomes a float64 array there, whatever the others' dtype: no float32 example)
        Example("a, b, c = np.broadcast_arrays(x, y, z); a + b * c", {"x": (2, 3), "y": (), "z": (3,)}),
        Example("p = np.broadcast_arrays(x, y); p[0] + p[1]", {"x": (), "y": (2,)}),
    ),
)
def broadcast_arrays_adjoint_rule(d_out, out, args):
    return _rt.unbroadcast_each(d_out, args)


@tangent("numpy.broadcast_arrays")
def broadcast_arrays_tangent_rule(d_args, out, args):
    return _rt.broadcast_tangents(d_args, args)
