"""What generated code imports: broadcasting adjoints, reduction adjoints, and argument checks.

Everything here is called from generated code as ``_rt.<name>``; it depends on
numpy (and on s2sad.errors for located run-time errors) only. Functions are
cheap in the common case: ``unbroadcast`` returns its argument untouched when
shapes already agree.
"""

from __future__ import annotations

import numpy as np

from s2sad.errors import BadArgument, Origin

# Arguments of these helpers whose shape, dtype or type alone is read (never their values),
# by position: analysis needs no saved copy of an array updated in place that only these see.
SHAPE_ONLY = {
    "unbroadcast": slice(1, None),
    "unreduce": slice(1, 2),
    "mean_adjoint": slice(1, 2),
    "getitem_adjoint": slice(1, 2),
    "zeros_like": slice(0, 1),
    "like": slice(1, 2),
    "copy_like": slice(1, 2),
    "split_like": slice(1, 2),
    "sum_adjoint": slice(1, 2),
}


class Shape:
    """What the tape keeps of an array whose old value the reverse sweep reads for its shape alone."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


def shape_of(x):
    """An array's shape and dtype (no copy of its values kept alive); anything else as it is."""
    return Shape(x.shape, x.dtype) if isinstance(x, np.ndarray) and x.ndim else x


def _dtype(x):
    """The dtype of an array, a Shape, or anything numpy makes an array of (a list of arrays)."""
    dtype = getattr(x, "dtype", None)
    return dtype if dtype is not None else np.asarray(x).dtype


def _shape(x):
    """``np.shape(x)`` without its dispatch cost for an array: helpers run once per loop trip."""
    kind = type(x)
    if kind is np.ndarray or kind is Shape:
        return x.shape
    return () if kind is float else np.shape(x)


def _ndim(x):
    return x.ndim if type(x) is np.ndarray else np.ndim(x)


def _zeros(x):
    """Zeros shaped like ``x`` (an array or a Shape), in its dtype."""
    return np.zeros(np.shape(x), dtype=_dtype(x))


# ---------------------------------------------------------------------------
# broadcasting and reductions


def unbroadcast(g, x, *more):
    """Sum the contribution ``g`` down to the shape of ``x`` (undo numpy broadcasting).

    With ``more``, down to the shape ``x`` and ``more`` broadcast to together
    (the shape of a value computed elementwise from them, no longer kept).
    """
    if type(g) is float and type(x) is float and not more:
        return g  # scalar code: nothing to sum
    g_shape = _shape(g)
    if _shape(x) == g_shape or any(_shape(value) == g_shape for value in more):
        return g  # g has the broadcast shape: if one of them has it too, so do they all together
    if not more and type(x) is float:
        return float(np.add.reduce(g, axis=None))  # the common reduction to a Python float: one call
    shape = np.broadcast_shapes(np.shape(x), *map(np.shape, more)) if more else np.shape(x)
    if g_shape == shape:
        return g
    lead = len(g_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1)
    summed = np.add.reduce(g, axis=axes) if axes else g
    if np.shape(summed) != shape:
        summed = np.reshape(summed, shape)
    if all(type(value) is float for value in (x, *more)):
        return float(summed)
    return summed


def _reduced_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(a % ndim for a in axis)
    return (axis % ndim,)


def expand_reduced(g, x, axis, keepdims):
    """Reshape a reduction's adjoint ``g`` so it broadcasts against ``x``."""
    if keepdims:
        return g
    ndim = np.ndim(x)
    return np.expand_dims(g, _reduced_axes(axis, ndim)) if ndim else g


def unreduce(g, x, axis, keepdims):
    """Adjoint of a sum over ``axis``: ``g`` spread back over the shape of ``x``, in x's dtype."""
    if _ndim(x) == 0:
        return g
    if axis is None and _ndim(g) == 0:
        return np.full(_shape(x), g, dtype=_dtype(x))  # the common full reduction: one call
    spread = np.empty(np.shape(x), dtype=_dtype(x))
    spread[...] = expand_reduced(g, x, axis, keepdims)
    return spread


def mean_adjoint(g, x, axis, keepdims):
    """Adjoint of a mean over ``axis``: ``g`` spread back and divided by the count averaged."""
    if np.size(x) == 0:
        return _zeros(x)  # an empty mean: no element to give an adjoint to
    if axis is None and np.ndim(g) == 0 and np.ndim(x) > 0:
        return np.full(np.shape(x), g / np.size(x), dtype=_dtype(x))  # the common full mean: one call
    shape = np.shape(x)
    count = 1
    for a in _reduced_axes(axis, len(shape)):
        count *= shape[a]
    return unreduce(g, x, axis, keepdims) / count


def extremum_adjoint(g, out, x, axis, keepdims):
    """Adjoint of max/min: ``g`` goes to the extreme elements, split equally among ties."""
    hits = (x == expand_reduced(out, x, axis, keepdims)).astype(np.result_type(x, 1.0))
    share = hits / np.sum(hits, axis=axis, keepdims=True)
    return share * expand_reduced(g, x, axis, keepdims)


def prod_adjoint(g, x, axis, keepdims):
    """Adjoint of a product: each element gets ``g`` times the product of the others.

    Exclusive products from both sides, so zeros in ``x`` are handled exactly.
    """
    x = np.asanyarray(x)
    axes = _reduced_axes(axis, x.ndim)
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, kept + list(axes))
    flat = moved.reshape(moved.shape[: len(kept)] + (-1,))
    ones = np.ones_like(flat[..., :1])
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat, -1)[..., :-1]], axis=-1), axis=-1), -1)
    others = (left * right).reshape(moved.shape)
    others = np.transpose(others, np.argsort(kept + list(axes)))
    return others * expand_reduced(g, x, axis, keepdims)


# ---------------------------------------------------------------------------
# indexing and sequences


def _is_basic_index(index) -> bool:
    """Integers, slices, None and Ellipsis select each element at most once."""
    if type(index) is slice:  # the common case, first
        return True
    items = index if isinstance(index, tuple) else (index,)
    return all(item is None or item is Ellipsis or isinstance(item, (int, np.integer, slice)) for item in items)


def getitem_adjoint(g, x, index):
    """Adjoint of ``x[index]``: ``g`` placed (summed, for repeated integer indices) into zeros."""
    if isinstance(x, list):
        d_x = zeros_like(x)
        d_x[index] = g
        return d_x
    if _gathers_rows(x, index):
        return _scatter_rows(g, x, index)
    d_x = _zeros(x)
    if _is_basic_index(index):
        d_x[index] = g
    else:
        np.add.at(d_x, index, g)
    return d_x


def _gathers_rows(x, index) -> bool:
    """``x[index]`` with one integer array: rows of x, some perhaps many times."""
    return (
        isinstance(index, np.ndarray)
        and index.ndim == 1
        and index.dtype.kind in "iu"
        and isinstance(x, (np.ndarray, Shape))
        and x.ndim >= 1
    )


def _scatter_rows(g, x, index):
    """The rows of ``g`` summed into rows ``index`` of zeros like x: one bincount (np.add.at is slower)."""
    rows, width = x.shape[0], int(np.prod(x.shape[1:], dtype=np.int64))
    flat = ((index % rows)[:, None] * width + np.arange(width)).ravel()
    weights = np.broadcast_to(g, (len(index),) + x.shape[1:]).ravel()
    return np.bincount(flat, weights=weights, minlength=rows * width).reshape(x.shape).astype(x.dtype, copy=False)


def getitem_matmul_adjoint(g, a, b, x, index):
    """``getitem_adjoint(matmul_adjoint_left(g, a, b), x, index)``, for ``a = x[index]``.

    When ``a`` gathers rows of a matrix ``x`` (an embedding lookup), ``g`` is
    summed per row of ``x`` before the product, so the adjoint of ``a`` (as
    large as ``a``) is never built.
    """
    if _gathers_rows(x, index) and _ndim(x) == 2 and _ndim(a) == 2 and x.shape[0] <= len(index):
        if _ndim(b) == 1 and _ndim(g) == 1:
            per_row = np.bincount(index % x.shape[0], weights=g, minlength=x.shape[0])
            return np.outer(per_row, b).astype(_dtype(x), copy=False)
        if _ndim(b) == 2 and _ndim(g) == 2:
            return (_scatter_rows(g, Shape((x.shape[0], g.shape[1]), g.dtype), index) @ b.T).astype(
                _dtype(x), copy=False
            )
    return getitem_adjoint(matmul_adjoint_left(g, a, b), x, index)


def add_at(d_x, index, g):
    """``d_x[index] += g`` in place, repeated integer indices summed: the adjoint of ``x[index]``, accumulated."""
    if _is_basic_index(index):
        d_x[index] += g
    elif _gathers_rows(d_x, index):
        d_x += _scatter_rows(g, d_x, index)
    else:
        np.add.at(d_x, index, g)


def split_like(g, arrays, axis):
    """Adjoint of ``np.concatenate(arrays, axis)``: ``g`` cut into pieces shaped like ``arrays``.

    With ``axis=None`` numpy concatenates the flattened arrays: the pieces are reshaped back.
    """
    if axis is None:
        pieces = np.split(g, np.cumsum([np.size(a) for a in arrays])[:-1])
        return [np.reshape(piece, np.shape(a)) for piece, a in zip(pieces, arrays, strict=True)]
    sizes = [np.shape(a)[axis] for a in arrays]
    return np.split(g, np.cumsum(sizes)[:-1], axis=axis)


def column(a):
    """``a`` as one piece of ``np.c_[...]``: a number as a 1x1 array, a 1-D array as a column,
    an array of two or more dimensions as it is (np.c_ joins the pieces along the last axis)."""
    if np.ndim(a) >= 2:
        return a
    return np.reshape(a, (-1, 1))


def broadcast_like(tangent, value):
    """A tangent spread to the shape of its value: an operand with no tangent may have broadcast the value."""
    shape = _shape(value)
    return tangent if _shape(tangent) == shape else np.broadcast_to(tangent, shape)


def like(g, x):
    """The gradient ``g`` in its argument's type: a float for a Python float, a numpy scalar of
    the same type for a numpy scalar (np.float32 stays np.float32), else an array of x's dtype."""
    if type(x) is float:
        return float(g)
    if isinstance(x, np.generic):
        return g if type(g) is type(x) else type(x)(g)
    dtype = getattr(x, "dtype", None)
    kind = np.ndarray if isinstance(x, Shape) else type(x)
    if dtype is None or (getattr(g, "dtype", None) == dtype and type(g) is kind):
        return g
    return np.full_like(x, g) if np.ndim(g) == 0 and np.ndim(x) == 0 else g.astype(dtype)


def copy_like(g, x):
    """Like ``like``, and never an array anything else refers to (a gradient the caller may update)."""
    converted = like(g, x)
    if converted is g and isinstance(g, np.ndarray):
        return g.copy()
    return converted


def owned(value):
    """``value`` as an array nothing else refers to, before an update in place; a number (a zero
    adjoint or tangent of a path that never assigned the name) is returned as it is."""
    return value if isinstance(value, (int, float)) else value.copy()


def zeros_like(x):
    """A zero gradient for ``x``: 0.0 for a Python float, a list of them for a list, else zeros."""
    if x is None or (isinstance(x, float) and not isinstance(x, np.generic)):
        return 0.0  # None: a name this path never assigned, so nothing reads its adjoint
    if isinstance(x, list):
        return [zeros_like(item) for item in x]
    if isinstance(x, Shape):
        return _zeros(x)
    return np.zeros_like(x)


# ---------------------------------------------------------------------------
# lists and in-place updates


def add_lists(a: list, b) -> list:
    """Two adjoints of one list, added item by item."""
    return [add_lists(x, y) if isinstance(x, list) else x + y for x, y in zip(a, b, strict=True)]


def as_list(items) -> list:
    """A sequence parameter's adjoint (an array's rows, pieces) as the adjoint of a list."""
    return list(items)


def sum_adjoint(g, items):
    """Adjoint of the builtin ``sum(items)``: ``g`` for each item, summed down to its shape."""
    return [unbroadcast(g, item) for item in items]


def take(d_y, index):
    """``d_y[index]`` as a copy: the reverse sweep then zeroes or updates that part of ``d_y``."""
    part = d_y[index]
    return part.copy() if isinstance(part, np.ndarray) else part


def require_distinct(array, index, where: str):
    """``y[index] = v`` with an integer array: a position named twice (``[3, -1]`` of 4 items too) keeps
    one write, which s2sad cannot tell."""
    positions = np.arange(np.size(array)).reshape(np.shape(array))[index]
    if np.unique(positions).size != np.size(positions):
        raise BadArgument(
            "assigning into an array through an index with repeated entries",
            _origin(where),
            hint="use distinct indices, or np.add.at for accumulation",
        )


# ---------------------------------------------------------------------------
# elementwise


def power_slope(x1, x2):
    """d(x1 ** x2)/dx1 = x2 * x1 ** (x2 - 1); 0 where x2 == 0, also at x1 = 0 (where 0 * inf is nan).

    numpy's power, so a Python float 0.0 gives inf (x2 < 1) instead of raising ZeroDivisionError.
    """
    return np.where(np.equal(x2, 0), 0.0, x2 * np.power(x1, x2 - 1))[()]


# ---------------------------------------------------------------------------
# products and linear algebra


def _expand_matrix_vector(g, a, b):
    """Promote 1-D operands of a matrix product as numpy does, returning the matrix forms."""
    a2 = a[None, :] if np.ndim(a) == 1 else a
    b2 = b[:, None] if np.ndim(b) == 1 else b
    g2 = g
    if np.ndim(b) == 1:
        g2 = np.expand_dims(g2, -1)
    if np.ndim(a) == 1:
        g2 = np.expand_dims(g2, -2)
    return g2, a2, b2


def matmul_adjoint_left(g, a, b):
    """Contribution of ``a @ b``'s adjoint ``g`` to ``a`` (1-D and batched operands included)."""
    a_ndim, b_ndim = _ndim(a), _ndim(b)
    if a_ndim == 2 and b_ndim == 2:
        return g @ b.T
    if a_ndim == 2 and b_ndim == 1:
        return np.outer(g, b)
    if a_ndim == 1 and b_ndim == 1:
        return g * b
    g2, _, b2 = _expand_matrix_vector(g, a, b)
    d_a = g2 @ np.swapaxes(b2, -1, -2)
    if np.ndim(a) == 1:
        d_a = np.squeeze(d_a, -2)
    return unbroadcast(d_a, a)


def matmul_adjoint_right(g, a, b):
    """Contribution of ``a @ b``'s adjoint ``g`` to ``b``."""
    a_ndim, b_ndim = _ndim(a), _ndim(b)
    if a_ndim == 2 and b_ndim == 2:
        return a.T @ g
    if a_ndim == 2 and b_ndim == 1:
        return g @ a
    if a_ndim == 1 and b_ndim == 1:
        return g * a
    g2, a2, _ = _expand_matrix_vector(g, a, b)
    d_b = np.swapaxes(a2, -1, -2) @ g2
    if np.ndim(b) == 1:
        d_b = np.squeeze(d_b, -1)
    return unbroadcast(d_b, b)


def matmul_adjoint_left_stacked(gs, a, bs):
    """The sum of ``matmul_adjoint_left(g, a, b)`` over pairs of ``gs`` and ``bs``, as one matrix product."""
    if np.ndim(a) == 2 and gs:
        if all(np.ndim(g) == 1 for g in gs) and all(np.ndim(b) == 1 for b in bs):
            return np.stack(gs, axis=1) @ np.stack(bs)
        if all(np.ndim(g) == 2 for g in gs) and all(np.ndim(b) == 2 for b in bs):
            return np.concatenate(gs, axis=1) @ np.concatenate(bs, axis=1).T
    return sum((matmul_adjoint_left(g, a, b) for g, b in zip(gs, bs, strict=True)), 0.0)


def matmul_adjoint_right_stacked(gs, a_items, b):
    """The sum of ``matmul_adjoint_right(g, a, b)`` over pairs of ``gs`` and ``a_items``, as one matrix product."""
    if np.ndim(b) == 2 and gs:
        if all(np.ndim(g) == 1 for g in gs) and all(np.ndim(a) == 1 for a in a_items):
            return np.stack(a_items, axis=1) @ np.stack(gs)
        if all(np.ndim(g) == 2 for g in gs) and all(np.ndim(a) == 2 for a in a_items):
            return np.concatenate(a_items, axis=0).T @ np.concatenate(gs, axis=0)
    return sum((matmul_adjoint_right(g, a, b) for g, a in zip(gs, a_items, strict=True)), 0.0)


def _check_dot(a, b):
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        raise BadArgument(
            "np.dot of arrays with more than 2 dimensions has no derivative rule in s2sad",
            hint="use np.matmul (@) or np.tensordot-free formulations",
        )


def dot_adjoint_left(g, a, b):
    _check_dot(a, b)
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    return matmul_adjoint_left(g, a, b)


def dot_adjoint_right(g, a, b):
    _check_dot(a, b)
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    return matmul_adjoint_right(g, a, b)


def inner_adjoint_left(g, a, b):
    """``np.inner`` sums over the last axes: d_a[i..., k] = sum_j g[i..., j...] b[j..., k]."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    lead = np.ndim(a) - 1
    return np.tensordot(g, b, axes=(list(range(lead, np.ndim(g))), list(range(np.ndim(b) - 1))))


def inner_adjoint_right(g, a, b):
    """d_b[j..., k] = sum_i g[i..., j...] a[i..., k]."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    lead = np.ndim(a) - 1
    return np.tensordot(g, a, axes=(list(range(lead)), list(range(lead))))


def transpose_adjoint(g, axes):
    """Adjoint of ``np.transpose(x, axes)``: the inverse permutation (negative axes counted from the end)."""
    if axes is None:
        return np.transpose(g)
    return np.transpose(g, np.argsort([axis % np.ndim(g) for axis in axes]))


def _solves_vectors(x, a) -> bool:
    """Whether ``x = solve(a, b)`` solved for vectors (numpy 2: b 1-D; numpy 1: b one dimension
    less than a), rather than for the columns of matrices: x then has one dimension less than a."""
    return np.ndim(x) == np.ndim(a) - 1


def solve_adjoint_rhs(g, x, a):
    """b's adjoint for ``x = solve(a, b)`` with adjoint ``g``: solve(a^T, g), in x's (broadcast) shape."""
    a_t = np.swapaxes(a, -1, -2)
    if _solves_vectors(x, a):
        return np.linalg.solve(a_t, g[..., None])[..., 0]
    return np.linalg.solve(a_t, g)


def solve_adjoint_matrix(d_b, x, a):
    """Contribution to ``a`` of ``x = solve(a, b)``, given b's adjoint ``d_b``: -d_b x^T, summed
    over the batch dimensions a was broadcast along."""
    if _solves_vectors(x, a):
        d_a = -(d_b[..., :, None] * x[..., None, :])
    else:
        d_a = -(d_b @ np.swapaxes(x, -1, -2))
    return unbroadcast(d_a, a)


def det_cofactor(a):
    """The cofactor matrix of ``a`` (the gradient of det(a)), exact also where ``a`` is singular.

    From the SVD a = U diag(s) V^T: cofactor(a) = det(U) det(V) U diag(product of the other s) V^T,
    with no inverse (det(a) inv(a)^T where a is invertible).
    """
    u, s, vh = np.linalg.svd(a)
    others = prod_adjoint(np.ones_like(s[..., 0]), s, -1, False)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * ((u * others[..., None, :]) @ vh)


def norm_adjoint(g, out, x, ord, axis, keepdims):
    """Adjoint of np.linalg.norm for the 2-norm of vectors and the Frobenius norm of matrices.

    At x = 0 the subgradient 0 is used.
    """
    vector = len(_reduced_axes(axis, np.ndim(x))) == 1  # axis=k, axis=(k,), or a 1-D x
    euclidean = ord is None or (ord == 2 and vector) or (ord == "fro" and not vector)
    if not euclidean:
        raise BadArgument(
            f"np.linalg.norm with ord={ord!r} has no derivative rule in s2sad "
            "(the 2-norm of vectors and the Frobenius norm of matrices have one)",
            hint="write that norm with np.abs, np.max or np.sum, or give it a rule with @s2sad.rule",
        )
    expanded = expand_reduced(out, x, axis, keepdims)
    safe = np.where(expanded == 0, 1.0, expanded)
    return expand_reduced(g, x, axis, keepdims) * np.where(expanded == 0, 0.0, x / safe)


# ---------------------------------------------------------------------------
# tangents (forward mode)


def power_log_factor(value, x1):
    """d(x1 ** x2)/dx2 = x1 ** x2 * log(x1), given ``value = x1 ** x2``; 0 where x1 <= 0 (no real log).

    numpy operations throughout, so a Python float never raises (``log`` of 1.0 where x1 <= 0).
    """
    if type(x1) is float:  # a Python float factor: float32 arrays stay float32
        return value * (float(np.log(x1)) if x1 > 0 else 0.0)
    return (value * np.log(np.where(np.greater(x1, 0), x1, 1.0)))[()]


def _reduced_last(x, axis):
    """``x`` with the reduced axes moved last and flattened into one, and the kept shape."""
    x = np.asanyarray(x)
    axes = _reduced_axes(axis, x.ndim)
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, kept + list(axes))
    return moved.reshape(moved.shape[: len(kept)] + (-1,)), axes


def _keep_reduced(value, x, axes, keepdims):
    """A reduction's result (the kept axes only) with the reduced axes put back as 1s if ``keepdims``."""
    if keepdims and np.ndim(x):
        return np.expand_dims(value, axes)
    return value


def prod_tangent(d_x, x, axis, keepdims):
    """Tangent of ``np.prod(x, axis)``: sum over the reduced elements of d_x times the product of
    the others (exclusive prefix and suffix products, so zeros in ``x`` are exact)."""
    if np.ndim(x) == 0:
        return d_x
    flat, axes = _reduced_last(x, axis)
    d_flat, _ = _reduced_last(np.broadcast_to(d_x, np.shape(x)), axis)
    before = np.cumprod(flat, axis=-1)
    after = np.flip(np.cumprod(np.flip(flat, -1), axis=-1), -1)
    ones = np.ones_like(flat[..., :1])
    others = np.concatenate([ones, before[..., :-1]], axis=-1) * np.concatenate([after[..., 1:], ones], axis=-1)
    return _keep_reduced(np.sum(others * d_flat, axis=-1), x, axes, keepdims)


def extremum_tangent(d_x, out, x, axis, keepdims):
    """Tangent of max/min over ``axis``: the mean of d_x over the elements equal to the extreme (ties shared)."""
    if np.ndim(x) == 0:
        return d_x
    axes = _reduced_axes(axis, np.ndim(x))
    extreme = out if keepdims else np.expand_dims(out, axes)
    hits = np.equal(x, extreme)
    total = np.sum(np.where(hits, d_x, 0.0), axis=axes, keepdims=keepdims)
    return total / np.sum(hits, axis=axes, keepdims=keepdims).astype(np.result_type(total))


def norm_tangent(d_x, out, x, ord, axis, keepdims):
    """Tangent of the vector 2-norm / Frobenius norm: <x, d_x> / norm (0 where the norm is 0)."""
    vector = len(_reduced_axes(axis, np.ndim(x))) == 1
    if not (ord is None or (ord == 2 and vector) or (ord == "fro" and not vector)):
        raise BadArgument(
            f"np.linalg.norm with ord={ord!r} has no derivative rule in s2sad "
            "(the 2-norm of vectors and the Frobenius norm of matrices have one)",
            hint="write that norm with np.abs, np.max or np.sum, or give it a rule with @s2sad.rule",
        )
    axes = None if axis is None else _reduced_axes(axis, np.ndim(x))
    inner = np.sum(x * d_x, axis=axes, keepdims=keepdims)
    return np.where(out == 0, 0.0, inner / np.where(out == 0, 1.0, out))[()]


def sum_tangent(items):
    """Tangent of the builtin ``sum(items)``: the items' tangents added (broadcasting), starting from 0."""
    total = 0
    for item in items:
        total = total + item
    return total


def solve_tangent_matrix(d_a, x, a):
    """The part of the tangent of ``x = solve(a, b)`` from ``a``: -solve(a, d_a x)."""
    if _solves_vectors(x, a):
        return -np.linalg.solve(a, d_a @ x[..., None])[..., 0]
    return -np.linalg.solve(a, d_a @ x)


# ---------------------------------------------------------------------------
# second derivatives: what the rules for the helpers above call (s2sad.rules.generated)


def power_curvature(x1, x2):
    """d(power_slope(x1, x2))/dx1 = x2 * (x2 - 1) * x1 ** (x2 - 2); 0 where x2 is 0 or 1 (also at x1 = 0)."""
    flat = np.logical_or(np.equal(x2, 0), np.equal(x2, 1))
    return np.where(flat, 0.0, x2 * (x2 - 1) * np.power(x1, x2 - 2))[()]


def power_log_slope(value, x1):
    """d(power_log_factor(value, x1))/dx1 = value / x1; 0 where x1 <= 0 (where the factor is 0).

    A Python float ``x1`` stays a Python number, so float32 arrays stay float32.
    """
    if type(x1) is float:
        return value / x1 if x1 > 0 else value * 0.0
    positive = np.greater(x1, 0)
    return np.where(positive, value / np.where(positive, x1, 1.0), 0.0)[()]


def prod_curvature(d_x, x, axis):
    """For each element j of ``x``: the sum over reduced i != j of d_x[i] times the product of the
    x[k], k not in {i, j} (shaped like x): the derivative of ``prod_tangent(d_x, x, ...)`` in x.

    Exclusive prefix and suffix products and their tangents, so zeros in ``x`` are exact (no
    division); O(n) in the reduced length n, as a Python loop of n steps over the kept axes.
    """
    x = np.asanyarray(x)
    flat, axes = _reduced_last(x, axis)
    d_flat, _ = _reduced_last(np.broadcast_to(d_x, x.shape), axis)
    dtype = np.result_type(flat, d_flat)
    left, right = np.ones(flat.shape, dtype), np.ones(flat.shape, dtype)  # products of x[k], k < j / k > j
    d_left, d_right = np.zeros(flat.shape, dtype), np.zeros(flat.shape, dtype)  # ... and their tangents
    n = flat.shape[-1]
    for j in range(1, n):
        d_left[..., j] = d_left[..., j - 1] * flat[..., j - 1] + left[..., j - 1] * d_flat[..., j - 1]
        left[..., j] = left[..., j - 1] * flat[..., j - 1]
        i = n - 1 - j
        d_right[..., i] = d_right[..., i + 1] * flat[..., i + 1] + right[..., i + 1] * d_flat[..., i + 1]
        right[..., i] = right[..., i + 1] * flat[..., i + 1]
    kept = [a for a in range(x.ndim) if a not in axes]
    curvature = (d_left * right + left * d_right).reshape(tuple(x.shape[a] for a in kept + list(axes)))
    return np.transpose(curvature, np.argsort(kept + list(axes)))


def solve_tangent_adjoint_x(d_c, d_a, x, a):
    """Contribution to ``x`` of ``solve_tangent_matrix(d_a, x, a) = -solve(a, d_a x)``, given
    ``d_c = solve(a^T, g)`` for its adjoint ``g``: -d_a^T d_c, summed down to x's shape."""
    d_a_t = np.swapaxes(d_a, -1, -2)
    if _solves_vectors(x, a):
        return unbroadcast(-(d_a_t @ d_c[..., None])[..., 0], x)
    return unbroadcast(-(d_a_t @ d_c), x)


def det_cofactor_tangent(d_a, cofactor, a):
    """Tangent of ``cofactor = det_cofactor(a)``: tr(a^-1 d_a) cofactor - cofactor d_a^T a^-T.

    From cofactor = det(a) a^-T, so exact only where ``a`` is invertible: at a singular ``a``
    (where the cofactor itself is still exact) this inverse formula is used all the same, and
    fails (np.linalg.LinAlgError) or loses accuracy.
    """
    inverse_t = np.swapaxes(np.linalg.inv(a), -1, -2)
    trace = np.sum(inverse_t * d_a, axis=(-2, -1))
    return trace[..., None, None] * cofactor - cofactor @ np.swapaxes(d_a, -1, -2) @ inverse_t


def det_cofactor_adjoint(g, cofactor, a):
    """Adjoint of ``cofactor = det_cofactor(a)``: <g, cofactor> a^-T - a^-T g^T cofactor.

    The inverse formula, exact only where ``a`` is invertible, as in ``det_cofactor_tangent``.
    """
    inverse_t = np.swapaxes(np.linalg.inv(a), -1, -2)
    inner = np.sum(g * cofactor, axis=(-2, -1))
    return inner[..., None, None] * inverse_t - inverse_t @ np.swapaxes(g, -1, -2) @ cofactor


# ---------------------------------------------------------------------------
# run-time checks of how a derivative is called


def _origin(where: str) -> Origin:
    path, line, column = where.rsplit(":", 2)
    return Origin(path, int(line), int(column) - 1)


def require_float(value, name: str, where: str):
    """Refuse to differentiate with respect to integers, booleans and non-numbers."""
    if type(value) is float:
        return
    dtype = getattr(value, "dtype", None)
    if getattr(dtype, "kind", None) == "f":  # np.issubdtype(dtype, np.floating), without its cost per call
        return
    kind = f"{type(value).__name__} with dtype {dtype}" if dtype is not None else type(value).__name__
    raise BadArgument(
        f"argument '{name}' is differentiated but holds {kind}, not floats",
        _origin(where),
        hint=f"pass floats (for example {name}.astype(float) or float({name})), " "or leave it out of wrt",
    )


def require_scalar(value, where: str):
    """grad needs a scalar output; a vector output needs vjp or jacobian."""
    numeric = isinstance(value, (float, int, np.number, np.ndarray)) and np.asarray(value).dtype.kind in "biuf"
    if numeric and np.ndim(value) == 0:
        return
    returned = f"shape {np.shape(value)}" if numeric else type(value).__name__
    raise BadArgument(
        f"grad needs a scalar output, but this returns {returned}",
        _origin(where),
        hint="reduce it to a scalar (np.sum, np.mean), or use s2sad.vjp for a vector output",
    )


def require_unshared(value, name: str, where: str):
    """``name += ...`` on a number rebinds it; on an array it would update, in place, one another name sees."""
    if isinstance(value, (int, float, np.generic)):
        return
    raise BadArgument(
        f"'{name} op= ...' would update in place an array that another name (or the caller) "
        "also refers to; s2sad does not differentiate in-place updates of shared arrays",
        _origin(where),
        hint=f"write {name} = {name} + ... (or -, *, /) to make a new array",
    )


def is_array(value) -> bool:
    """Whether ``a op= e`` updates ``value`` in place (an array) rather than rebinding a number."""
    return isinstance(value, np.ndarray)


def require_length(value, length: int, where: str):
    """Unpacking ``a, b = value`` needs exactly ``length`` items, as in Python."""
    if len(value) != length:
        raise BadArgument(
            f"cannot unpack {len(value)} values into {length} names",
            _origin(where),
            hint="unpack a value with as many items as names",
        )


# ---------------------------------------------------------------------------
# memory seen through several names: an update through a view, made on the array it is part of


def _element_offsets(a: np.ndarray):
    """Byte address of every element of ``a``, in its shape."""
    offsets = np.full(a.shape, a.__array_interface__["data"][0], dtype=np.int64)
    for axis, (length, stride) in enumerate(zip(a.shape, a.strides, strict=True)):
        offsets += (np.arange(length, dtype=np.int64) * stride).reshape((-1,) + (1,) * (a.ndim - axis - 1))
    return offsets


def _positions_in(base, view):
    """The flat (C-order) index into ``base`` of each element of ``view``, or None if ``view``
    does not lie in ``base``'s memory (it is a copy, or another array)."""
    if not (isinstance(base, np.ndarray) and isinstance(view, np.ndarray)):
        return None
    if base.dtype.itemsize != view.dtype.itemsize:
        return None
    if view.size == 0:
        return np.zeros(view.shape, dtype=np.int64)  # nothing to place
    if not np.may_share_memory(base, view):
        return None
    itemsize = base.dtype.itemsize
    held = _element_offsets(base).ravel()
    lowest = held.min() if held.size else 0
    slots = (held - lowest) // itemsize
    image = np.full(int(slots.max(initial=-1)) + 1, -1, dtype=np.int64)
    image[slots] = np.arange(base.size)
    if np.count_nonzero(image >= 0) != base.size:
        return None  # base sees some element twice (broadcast): no one place per element
    wanted = _element_offsets(view) - lowest
    if wanted.size and ((wanted % itemsize).any() or wanted.min() < 0 or wanted.max() // itemsize >= image.size):
        return None
    positions = image[wanted // itemsize]
    return None if (positions < 0).any() else positions


def region(base, view, index, view_name: str, base_name: str, where: str):
    """The index into ``base`` of the elements ``view[index]`` occupies (``view`` lies in ``base``)."""
    positions = _positions_in(base, view)
    if positions is None:
        raise BadArgument(
            f"'{view_name}' is updated in place as part of '{base_name}', but here it is not part of it "
            "(numpy made a copy, or it is an array of another loop trip)",
            _origin(where),
            hint=f"update '{base_name}' directly, or make the copy explicit: {view_name} = {view_name}.copy()",
        )
    return np.unravel_index(positions[index], np.shape(base))


def lies_in(view, base) -> bool:
    """Whether ``view`` is a view of ``base`` (numpy made it so) rather than a copy."""
    return _positions_in(base, view) is not None


def require_inside_or_apart(view, array, view_name: str, array_name: str, where: str):
    """``array`` (a copy numpy made) is updated in place: ``view`` must lie in it, or apart from it."""
    if lies_in(view, array) or not np.shares_memory(view, array):
        return
    raise BadArgument(
        f"'{array_name}' is updated in place, but here it lies in a copy numpy made (for some indices and "
        f"memory layouts), and '{view_name}', read later, shares part of that copy: s2sad cannot follow the update",
        _origin(where),
        hint="make the copy explicit (c = y[idx].copy()) and update c itself",
    )


def reseen(base, view):
    """``view`` again, after ``base`` was updated in place (same object, so it still sees base)."""
    return view


def reseen_base_adjoint(d_out, base, view):
    """Adjoint of ``reseen`` for ``base``: d_out placed where ``view`` lies in base (zero if it does not)."""
    positions = _positions_in(base, view)
    if positions is None:
        return _zeros(base)
    spread = np.broadcast_to(d_out, positions.shape).ravel()
    return np.bincount(positions.ravel(), weights=spread, minlength=base.size).reshape(base.shape)


def reseen_view_adjoint(d_out, base, view):
    """Adjoint of ``reseen`` for the old ``view``: none if it lies in base (its values are base's)."""
    return _zeros(view) if _positions_in(base, view) is not None else d_out


def reseen_tangent(d_base, d_view, base, view):
    """Tangent of ``reseen``: base's tangent where ``view`` lies in base, else the view's own."""
    positions = _positions_in(base, view)
    if positions is None:
        return d_view
    return np.ravel(np.broadcast_to(d_base, np.shape(base)))[positions]
