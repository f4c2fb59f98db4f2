"""Adjoints of matrix products (matmul, dot, inner) for 1-D, 2-D and batched operands, summed over
several products at once, and fused with the row gather of an embedding lookup."""

from __future__ import annotations

import numpy as np

from s2sad.errors import BadArgument
from s2sad.runtime.facts import allocates
from s2sad.runtime.indexing import _gathers_rows, _scatter_rows, getitem_adjoint
from s2sad.runtime.values import Shape, _dtype, _ndim, unbroadcast


def _expand_matrix_vector(g, a, b):
    """Promote 1-D operands of a matrix product as numpy does, returning the matrix forms."""
    a2 = a[None, :] if _ndim(a) == 1 else a
    b2 = b[:, None] if _ndim(b) == 1 else b
    g2 = g
    if _ndim(b) == 1:
        g2 = np.expand_dims(g2, -1)
    if _ndim(a) == 1:
        g2 = np.expand_dims(g2, -2)
    return g2, a2, b2


@allocates
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
    if _ndim(a) == 1:
        d_a = np.squeeze(d_a, -2)
    return unbroadcast(d_a, a)


@allocates
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
    if _ndim(b) == 1:
        d_b = np.squeeze(d_b, -1)
    return unbroadcast(d_b, b)


def matmul_adjoint_left_stacked(gs, a, bs):
    """The sum of ``matmul_adjoint_left(g, a, b)`` over pairs of ``gs`` and ``bs``, as one matrix product."""
    if _ndim(a) == 2 and gs:
        ranks = _ranks(gs, bs)
        if ranks == {1}:
            return np.stack(gs, axis=1) @ np.stack(bs)
        if ranks == {2}:
            return np.concatenate(gs, axis=1) @ np.concatenate(bs, axis=1).T
    return sum((matmul_adjoint_left(g, a, b) for g, b in zip(gs, bs, strict=True)), 0.0)


def matmul_adjoint_right_stacked(gs, a_items, b):
    """The sum of ``matmul_adjoint_right(g, a, b)`` over pairs of ``gs`` and ``a_items``, as one matrix product."""
    if _ndim(b) == 2 and gs:
        ranks = _ranks(gs, a_items)
        if ranks == {1}:
            return np.stack(a_items, axis=1) @ np.stack(gs)
        if ranks == {2}:
            return np.concatenate(a_items, axis=0).T @ np.concatenate(gs, axis=0)
    return sum((matmul_adjoint_right(g, a, b) for g, a in zip(gs, a_items, strict=True)), 0.0)


def _ranks(*sequences) -> set:
    """The numbers of axes of the items of ``sequences`` (None for an item that is not an array)."""
    return {getattr(item, "ndim", None) for sequence in sequences for item in sequence}


def _check_dot(a, b):
    if _ndim(a) > 2 or _ndim(b) > 2:
        raise BadArgument(
            "np.dot of arrays with more than 2 dimensions has no derivative rule in s2sad",
            hint="use np.matmul (@) or np.tensordot-free formulations",
        )


@allocates
def dot_adjoint_left(g, a, b):
    _check_dot(a, b)
    if _ndim(a) == 0 or _ndim(b) == 0:
        return unbroadcast(g * b, a)
    return matmul_adjoint_left(g, a, b)


@allocates
def dot_adjoint_right(g, a, b):
    _check_dot(a, b)
    if _ndim(a) == 0 or _ndim(b) == 0:
        return unbroadcast(g * a, b)
    return matmul_adjoint_right(g, a, b)


@allocates
def inner_adjoint_left(g, a, b):
    """``np.inner`` sums over the last axes: d_a[i..., k] = sum_j g[i..., j...] b[j..., k]."""
    if _ndim(a) == 0 or _ndim(b) == 0:
        return unbroadcast(g * b, a)
    lead = _ndim(a) - 1
    return np.tensordot(g, b, axes=(list(range(lead, _ndim(g))), list(range(_ndim(b) - 1))))


@allocates
def inner_adjoint_right(g, a, b):
    """d_b[j..., k] = sum_i g[i..., j...] a[i..., k]."""
    if _ndim(a) == 0 or _ndim(b) == 0:
        return unbroadcast(g * a, b)
    lead = _ndim(a) - 1
    return np.tensordot(g, a, axes=(list(range(lead)), list(range(lead))))


@allocates
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
