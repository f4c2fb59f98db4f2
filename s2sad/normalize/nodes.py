"""Helpers over libcst nodes that the lowering's modules share: pure functions, no lowering state."""

from __future__ import annotations

import json
from collections import Counter

import libcst as cst

from s2sad import rules
from s2sad.rules import templates
from s2sad.core.naming import Names, names_in

# `keyword=value` as generated calls spell it.
EQUALS = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def module_name(names: Names, dotted_name: str) -> cst.BaseExpression:
    """The canonical spelling of a library name in generated code: ``np.linalg.solve``."""
    spelled = rules.spelling(dotted_name).split(".")
    if spelled[0] in templates.MODULE_NAMES:
        spelled[0] = names.module(spelled[0])
    expression: cst.BaseExpression = cst.Name(spelled[0])
    for attribute in spelled[1:]:
        expression = cst.Attribute(value=expression, attr=cst.Name(attribute))
    return expression


def statements_of(body) -> list:
    """The statements of a block, simple statements taken one by one."""
    lines = [cst.SimpleStatementLine(body=body.body)] if isinstance(body, cst.SimpleStatementSuite) else body.body
    found = []
    for line in lines:
        if isinstance(line, cst.SimpleStatementLine):
            found.extend(line.body)
        else:
            found.append(line)
    return found


def nested_smalls(node: cst.CSTNode, stop_at_loops: bool = False) -> list[cst.BaseSmallStatement]:
    """Small statements anywhere in ``node`` (not inside loops nested in it, if asked), never those of a
    function defined inside it (its returns are its own)."""
    found = []

    class Finder(cst.CSTVisitor):
        def on_visit(self, inner: cst.CSTNode) -> bool:
            if inner is not node and isinstance(inner, cst.FunctionDef):
                return False
            if inner is not node and stop_at_loops and isinstance(inner, (cst.For, cst.While)):
                return False
            if isinstance(inner, cst.BaseSmallStatement):
                found.append(inner)
            return True

    node.visit(Finder())
    return found


def bindings(function: cst.FunctionDef) -> Counter:
    """How many assignments bind each name in ``function``."""
    counts: Counter = Counter()

    class Counting(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            counts.update(names_in(node.target) if not isinstance(node.target, cst.Subscript) else [])

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            if isinstance(node.target, cst.Name):
                counts[node.target.value] += 1

        def visit_For(self, node: cst.For) -> None:
            counts.update(names_in(node.target))

    function.body.visit(Counting())
    return counts


def call_arguments(call: cst.Call) -> tuple[list[cst.BaseExpression], dict[str, cst.BaseExpression]]:
    """A call's positional arguments and its keyword arguments by name."""
    positional = [arg.value for arg in call.args if arg.keyword is None]
    keywords = {arg.keyword.value: arg.value for arg in call.args if arg.keyword is not None}
    return positional, keywords


def is_append(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "append"


def any_of(names) -> cst.BaseExpression:
    """``a or b or ...`` of the names."""
    expression: cst.BaseExpression = cst.Name(names[0])
    for name in names[1:]:
        expression = cst.BooleanOperation(left=expression, operator=cst.Or(), right=cst.Name(name))
    return expression


def item_at(held: cst.BaseExpression, index: str) -> cst.Subscript:
    """``held[index]``."""
    return cst.Subscript(value=held, slice=[cst.SubscriptElement(cst.Index(cst.Name(index)))])


def binary(node: cst.AugAssign) -> cst.BinaryOperation:
    """``a op= e`` as ``a op e``."""
    operator = type(node.operator).__name__.removesuffix("Assign")
    return cst.BinaryOperation(left=node.target, operator=getattr(cst, operator)(), right=node.value)


def string(text: str) -> cst.SimpleString:
    return cst.SimpleString(json.dumps(text))


def bare(node: cst.BaseExpression) -> cst.BaseExpression:
    """The expression without the parentheses written around it (an empty tuple keeps its own)."""
    if isinstance(node, cst.Tuple) and not node.elements:
        return node
    if getattr(node, "lpar", None):
        return node.with_changes(lpar=[], rpar=[])
    return node


def sequence(node: cst.Tuple | cst.List, items) -> cst.Tuple | cst.List:
    """A tuple or list, as ``node`` is, of ``items``."""
    elements = [cst.Element(value=item) for item in items]
    if isinstance(node, cst.Tuple):
        return cst.Tuple(elements=elements)
    return cst.List(elements=elements)
