"""Folding: arithmetic on literals computed, and derivative helpers with a number written out.

    2 - 1                          ->    1
    _rt.power_slope(x, 2)          ->    2 * x
    _rt.add_at(d_x, np.s_[i], g)   ->    _rt.add_at(d_x, i, g)    (np.s_[i] is i, np.s_[i, j] (i, j))
    f(1.0 * 2.0 * x)               ->    f(2.0 * x)        (reverse sweep only)

Values are kept: Python computes the literal the same way the line would
(results with no literal, inf and nan, stay as written), and a factor of one
goes only inside a larger expression, never at the top of a value, which must
stay a new array rather than the operand itself.
"""

from __future__ import annotations

import ast
import dataclasses
import math

import libcst as cst
import libcst.matchers as m

from s2sad.core.naming import Names
from s2sad.core.target import Compound, Generated, expressions_in


def fold_lines(generated: Generated, names: Names):
    """Fold literal arithmetic everywhere; factors of one only in the reverse sweep.

    The user's own ``mask * 1.0`` turns booleans into numbers, so the forward
    sweep keeps it; in adjoint code such factors come from the seed 1.0.
    """

    def folded(block, identities):
        items = []
        for item in block:
            if isinstance(item, Compound):
                items.append(
                    dataclasses.replace(
                        item, body=folded(item.body, identities), orelse=folded(item.orelse, identities)
                    )
                )
            elif hasattr(item.node, "value"):
                value = fold(item.node.value, identities=identities, numpy=names.module("np"))
                if value is not item.node.value:
                    item = dataclasses.replace(item, node=item.node.with_changes(value=value))
                items.append(item)
            else:
                items.append(item)
        return tuple(items)

    forward, reverse = folded(generated.forward, False), folded(generated.reverse, True)
    before = expressions_in(generated.forward) + expressions_in(generated.reverse)
    after = expressions_in(forward) + expressions_in(reverse)
    changed = any(a is not b and not a.deep_equals(b) for a, b in zip(before, after, strict=False))
    return dataclasses.replace(generated, forward=forward, reverse=reverse), changed


def number(node: cst.BaseExpression):
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and not node.lpar:
        inner = number(node.expression)
        return None if inner is None else -inner
    if isinstance(node, (cst.Integer, cst.Float)):
        return ast.literal_eval(node.value)  # 0x2, 1_000, 1e-3
    return None


def _literal(value) -> cst.BaseExpression | None:
    """``value`` written as a literal; None for inf and nan, which no literal spells (``1e400``
    is inf): the expression that gave them stays as the user wrote it."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    text = repr(value)
    if value < 0 or math.copysign(1.0, value) < 0:  # -0.0 too: a literal has no sign
        return cst.UnaryOperation(operator=cst.Minus(), expression=_literal(-value))
    return cst.Integer(text) if isinstance(value, int) else cst.Float(text)


_ARITHMETIC = {
    cst.Add: lambda a, b: a + b,
    cst.Subtract: lambda a, b: a - b,
    cst.Multiply: lambda a, b: a * b,
}


def _changed(node: cst.CSTNode, **fields) -> cst.CSTNode:
    """``node.with_changes(**fields)``, or ``node`` itself when no field changes: an unchanged line keeps
    its nodes, so what the rewrites found out about them (``_FACTS``) still holds in the next round."""
    if all(getattr(node, name) is value for name, value in fields.items()):
        return node
    return node.with_changes(**fields)


def fold(
    node: cst.BaseExpression, operand: bool = False, identities: bool = True, numpy: str = "np"
) -> cst.BaseExpression:
    """Fold literal arithmetic; with ``identities``, drop factors of one where ``node`` is an operand;
    ``numpy`` is the name numpy is imported as."""
    kind = type(node)
    if kind is cst.Name or kind is cst.Integer or kind is cst.Float or kind is cst.Attribute:
        return node  # (the common leaves, asked round after round)
    if isinstance(node, cst.BinaryOperation):
        left, right = fold(node.left, True, identities, numpy), fold(node.right, True, identities, numpy)
        node = _changed(node, left=left, right=right)
        a, b = number(left), number(right)
        operation = _ARITHMETIC.get(type(node.operator))
        folded = _computed(operation, a, b) if operation and a is not None and b is not None else None
        if folded is not None:
            return folded
        if isinstance(node.operator, cst.Multiply):
            left, right = _unspread(left, right), _unspread(right, left)
            node = _changed(node, left=left, right=right)
        if operand and identities and isinstance(node.operator, cst.Multiply):
            if a == 1:
                return right
            if b == 1:
                return left
        if operand and identities and isinstance(node.operator, (cst.Power, cst.Divide)) and b == 1:
            return left
        return node
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = fold(node.expression, True, identities, numpy)
        value = number(inner)
        folded = _literal(-value) if value is not None and not isinstance(inner, cst.UnaryOperation) else None
        return folded if folded is not None else _changed(node, expression=inner)
    if isinstance(node, cst.Call):
        args = [_changed(arg, value=_index_key(fold(arg.value, False, identities, numpy), numpy)) for arg in node.args]
        node = (
            node if all(new is old for new, old in zip(args, node.args, strict=True)) else node.with_changes(args=args)
        )
        exponent = number(node.args[1].value) if len(node.args) == 2 else None
        if _called(node, "power_slope") and exponent is not None and 1 <= exponent < math.inf:
            # d/dx x**n for a number n >= 1 written out, as a person writes it: 2 * x, 3 * x ** 2
            # (smaller n keep the helper: x ** (n - 1) would divide by a Python 0.0).
            base = node.args[0].value
            slope = cst.BinaryOperation(
                left=_literal(exponent),
                operator=cst.Multiply(),
                right=cst.BinaryOperation(left=base, operator=cst.Power(), right=_literal(exponent - 1)),
            )
            return fold(slope, operand, True, numpy)
        return node
    return node


def _index_key(node: cst.BaseExpression, numpy: str) -> cst.BaseExpression:
    """``np.s_[i]`` as what it is, ``i`` (``np.s_[i, j]``: ``(i, j)``), for names, whole numbers and
    strings: the index helpers' key is then built without a call of numpy's (once per loop trip)."""
    if type(node) is not cst.Subscript:  # (the common case, asked of every argument: no matcher)
        return node
    if not (
        m.matches(node, m.Subscript(value=m.Attribute(value=m.Name(numpy), attr=m.Name("s_"))))
        and all(isinstance(e.slice, cst.Index) and _plain_key(e.slice.value) for e in node.slice)
    ):
        return node
    items = [e.slice.value for e in node.slice]
    if len(items) == 1:
        return items[0]
    return cst.Tuple(elements=[cst.Element(value=item) for item in items])


def _plain_key(node: cst.BaseExpression) -> bool:
    """A name, a whole number or a string: as an index, the very object np.s_ would give."""
    return isinstance(node, (cst.Name, cst.Integer, cst.SimpleString)) or m.matches(
        node, m.UnaryOperation(operator=m.Minus(), expression=m.Integer())
    )


def _computed(operation, a, b) -> cst.BaseExpression | None:
    """The literal of ``a <operation> b``; None when it has none (inf, nan)."""
    try:
        return _literal(operation(a, b))
    except OverflowError:  # an integer literal too large to multiply with a float: kept as written
        return None


def _unspread(spread: cst.BaseExpression, other: cst.BaseExpression) -> cst.BaseExpression:
    """``_rt.broadcast_like(d, x)`` times a product with the factor ``x``: ``d`` alone spreads the same."""
    if isinstance(spread, cst.Call) and _called(spread, "broadcast_like") and len(spread.args) == 2:
        value = spread.args[1].value
        if any(value.deep_equals(factor) for factor in _factors(other)):
            return spread.args[0].value
    return spread


def _factors(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        return _factors(node.left) + _factors(node.right)
    return [node]


def _called(node: cst.Call, name: str) -> bool:
    return isinstance(node.func, cst.Attribute) and node.func.attr.value == name
