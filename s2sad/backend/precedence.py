"""Parentheses where Python's operator precedence needs them, and nowhere else.

Stages build expressions by substituting one tree into another (rule
templates, inlined temporaries) without thinking about precedence; this pass
makes the printed code mean what the tree means::

    Multiply(Add(a, b), c)   prints as   (a + b) * c
"""

from __future__ import annotations

import libcst as cst

ATOM = 16
POWER = 14
UNARY = 13

BINARY = {
    cst.BitOr: 6,
    cst.BitXor: 7,
    cst.BitAnd: 8,
    cst.LeftShift: 9,
    cst.RightShift: 9,
    cst.Add: 10,
    cst.Subtract: 10,
    cst.Multiply: 11,
    cst.MatrixMultiply: 11,
    cst.Divide: 11,
    cst.FloorDivide: 11,
    cst.Modulo: 11,
    cst.Power: POWER,
}


def binding(node: cst.BaseExpression) -> int:
    """How tightly ``node`` binds as an operand; higher binds tighter."""
    if getattr(node, "lpar", None):
        return ATOM
    kind = type(node)  # (not isinstance: libcst's abstract classes make that slow, and emit asks often)
    if kind is cst.BinaryOperation:
        return BINARY[type(node.operator)]
    if kind is cst.UnaryOperation:
        return 4 if type(node.operator) is cst.Not else UNARY
    if kind is cst.BooleanOperation:
        return 3 if type(node.operator) is cst.And else 2
    if (kind is cst.Integer or kind is cst.Float) and node.value.startswith("-"):
        return UNARY
    return _BINDING.get(kind, ATOM)


_BINDING = {cst.Comparison: 5, cst.IfExp: 1, cst.Lambda: 0, cst.NamedExpr: 0}


def _wrapped(node: cst.BaseExpression, needed: bool) -> cst.BaseExpression:
    if needed and not node.lpar:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


class Parentheses(cst.CSTTransformer):
    """``parenthesize``'s transformer (its hooks, all on leaving a node, combine with others')."""

    def leave_BinaryOperation(self, original, updated: cst.BinaryOperation) -> cst.BinaryOperation:
        own = BINARY[type(updated.operator)]
        left, right = binding(updated.left), binding(updated.right)
        if own == POWER:
            # Right-associative, and binds tighter than a unary operator on its left.
            left_needs, right_needs = left <= own, right < UNARY
        else:
            # Equal precedence on the right keeps its parentheses: a - (b - c).
            left_needs, right_needs = left < own, right <= own
        return updated.with_changes(left=_wrapped(updated.left, left_needs), right=_wrapped(updated.right, right_needs))

    def leave_UnaryOperation(self, original, updated: cst.UnaryOperation) -> cst.UnaryOperation:
        own = binding(updated.with_changes(lpar=[], rpar=[]))
        return updated.with_changes(expression=_wrapped(updated.expression, binding(updated.expression) < own))

    def leave_Comparison(self, original, updated: cst.Comparison) -> cst.Comparison:
        return updated.with_changes(
            left=_wrapped(updated.left, binding(updated.left) <= 5),
            comparisons=[
                c.with_changes(comparator=_wrapped(c.comparator, binding(c.comparator) <= 5))
                for c in updated.comparisons
            ],
        )

    def leave_Attribute(self, original, updated: cst.Attribute) -> cst.Attribute:
        return updated.with_changes(value=_wrapped(updated.value, binding(updated.value) < ATOM))

    def leave_Subscript(self, original, updated: cst.Subscript) -> cst.Subscript:
        return updated.with_changes(value=_wrapped(updated.value, binding(updated.value) < ATOM))

    def leave_Call(self, original, updated: cst.Call) -> cst.Call:
        return updated.with_changes(func=_wrapped(updated.func, binding(updated.func) < ATOM))


def parenthesize(node: cst.CSTNode) -> cst.CSTNode:
    return node.visit(Parentheses())
