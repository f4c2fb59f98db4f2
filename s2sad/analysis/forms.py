"""Forms: what a call tells of an array's shape, and how numpy's operations carry it.

A form is an array's number of axes and which of them have length one (Options.shapes, from the
arguments of a call: s2sad/specialize.py); a number has rank 0. Two arrays of one form broadcast
together have one shape (numpy makes lengths other than one agree), so forms decide at generation
what ``_rt.unbroadcast`` finds at run time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import libcst as cst
import libcst.matchers as m

from s2sad.core import ir


@dataclasses.dataclass(frozen=True)
class Form:
    """What a call tells of an array's shape (Options.shapes): its number of axes, those of length one."""

    rank: int
    ones: frozenset[int] = frozenset()


def broadcast_form(forms: list[Form]) -> Form:
    """The form of arrays of ``forms`` broadcast together: an axis has length one if each has it so."""
    rank = max(form.rank for form in forms)
    ones = frozenset(
        axis
        for axis in range(rank)
        if all(axis - (rank - form.rank) < 0 or axis - (rank - form.rank) in form.ones for form in forms)
    )
    return Form(rank, ones)


def matmul_form(a: Form | None, b: Form | None) -> Form | None:
    """The form of ``a @ b`` for vectors and matrices (a's rows, then b's columns); None otherwise."""
    if a is None or b is None or not (1 <= a.rank <= 2 and 1 <= b.rank <= 2):
        return None
    ones = set()
    if a.rank == 2 and 0 in a.ones:
        ones.add(0)
    if b.rank == 2 and 1 in b.ones:
        ones.add(1 if a.rank == 2 else 0)
    return Form((a.rank == 2) + (b.rank == 2), frozenset(ones))


def summed_axes(output: Form, operand: Form) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The axes summing an elementwise output's adjoint down to an operand broadcast to it: the
    leading axes it lacks (dropped), then its axes of length one the output stretched (kept)."""
    lead = output.rank - operand.rank
    kept = tuple(axis for axis in sorted(operand.ones) if lead + axis not in output.ones)
    return tuple(range(lead)), kept


def indexed_form(form: Form | None, index, integers: Callable[[cst.BaseExpression], bool]) -> Form | None:
    """The form of ``x[index]`` for an ``x`` of ``form``: integers (literal, or ints the function
    computes: ``integers`` says which names hold them) drop their axes, a bare ``:`` keeps one; None
    for any other index."""
    if form is None or not m.matches(index, m.Subscript(value=m.Attribute(attr=m.Name("s_")))):
        return None
    if len(index.slice) > form.rank:
        return None
    kept = []
    for axis, element in enumerate(index.slice):
        item = element.slice
        if isinstance(item, cst.Slice):
            if item.lower is not None or item.upper is not None or item.step is not None:
                return None  # a part of the axis may have any length, one too
            kept.append(axis)
            continue
        value = item.value
        integer = literal_int(value) is not None or (isinstance(value, cst.Name) and integers(value))
        if not integer:
            return None
    kept += range(len(index.slice), form.rank)
    return Form(len(kept), frozenset(new for new, axis in enumerate(kept) if axis in form.ones))


def reduced_form(statement: ir.Assign, rule, forms: dict[str, Form | None]) -> Form | None:
    """The form of a reduction over axes written out (``np.sum(x, axis=1, keepdims=True)``) of an
    operand of known form, when it is the only array the reduction reads; else None."""
    first = rule.differentiable[0]
    if forms.get(first) is None or any(
        statement.operands.get(p) is not None for p in rule.differentiable if p != first
    ):
        return None
    form = forms[first]
    axis, keepdims = statement.operands.get("axis"), statement.operands.get("keepdims")
    written = [element.value for element in axis.elements] if isinstance(axis, cst.Tuple) else [axis]
    axes = [literal_int(value) for value in written]
    if not axes or None in axes or any(not -form.rank <= a < form.rank for a in axes):
        return None
    axes = {a % form.rank for a in axes}
    if keepdims is not None and m.matches(keepdims, m.Name("True")):
        return Form(form.rank, form.ones | axes)
    if keepdims is not None and not m.matches(keepdims, m.Name("False")):
        return None
    kept = [a for a in range(form.rank) if a not in axes]
    return Form(len(kept), frozenset(new for new, a in enumerate(kept) if a in form.ones))


def literal_int(node) -> int | None:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        value = literal_int(node.expression)
        return None if value is None else -value
    return int(node.value) if isinstance(node, cst.Integer) else None
