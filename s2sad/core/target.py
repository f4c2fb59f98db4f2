"""The generated function before it is printed: statements in sections, each with its origin.

The transforms produce it, optimize rewrites it, emit prints it (attaching
the origin comments, so comments survive any rewriting).
"""

from __future__ import annotations

import dataclasses
import json

import libcst as cst

from s2sad import rules
from s2sad.errors import Origin


@dataclasses.dataclass(frozen=True)
class Line:
    node: cst.BaseSmallStatement
    origin: Origin | None = None
    note: str | None = None  # printed as a trailing comment: why the line is there
    heading: str | None = None  # printed as a comment line above it


@dataclasses.dataclass(frozen=True)
class Compound:
    """An ``if``, ``for`` or ``while`` whose blocks are lists of lines; ``header`` has empty blocks."""

    header: cst.If | cst.For | cst.While = dataclasses.field(repr=False)
    body: tuple["Line | Compound", ...]
    orelse: tuple["Line | Compound", ...] = ()
    origin: Origin | None = None

    def blocks(self) -> tuple[tuple["Line | Compound", ...], ...]:
        return (self.body, self.orelse)

    def header_expressions(self) -> list[cst.BaseExpression]:
        header = self.header
        if isinstance(header, cst.For):
            return [header.target, header.iter]
        return [header.test]


Block = tuple["Line | Compound", ...]


def lines_in(block) -> list[Line]:
    """Every line in ``block``, nested ones included, in order."""
    found = []
    for item in block:
        if isinstance(item, Compound):
            found.extend(lines_in(item.body))
            found.extend(lines_in(item.orelse))
        else:
            found.append(item)
    return found


def expressions_in(block) -> list[cst.BaseExpression]:
    """Every expression ``block`` evaluates: line values and compound headers."""
    found = []
    for item in block:
        if type(item) is Compound:
            found.extend(item.header_expressions())
            found.extend(expressions_in(item.body))
            found.extend(expressions_in(item.orelse))
            continue
        node = item.node
        kind = type(node)  # (not isinstance: libcst's abstract classes make that slow, and this is asked often)
        if kind is cst.Assign:
            found.append(node.value)
            found.extend(t.target for t in node.targets if type(t.target) is cst.Subscript)  # `y[i] = v` reads y and i
        elif kind is cst.AugAssign:
            found.append(node.value)
            if type(node.target) is cst.Subscript:
                found.append(node.target)
        elif hasattr(node, "value"):  # not `break` or `pass`
            found.append(node.value)
    return found


@dataclasses.dataclass(frozen=True)
class Generated:
    name: str
    parameters: cst.Parameters = dataclasses.field(repr=False)
    docstring: str
    guards: Block  # run-time checks of the arguments, before any work
    forward: Block  # the primal computation, saving what the reverse sweep needs
    reverse: Block  # adjoints in reverse order
    result: cst.BaseExpression = dataclasses.field(repr=False)  # what the function returns

    def sections(self) -> tuple[tuple[str | None, Block], ...]:
        return ((None, self.guards), ("forward sweep", self.forward), ("reverse sweep", self.reverse))


def assign(name: str, value: cst.BaseExpression, origin: Origin | None) -> Line:
    return Line(cst.Assign(targets=[cst.AssignTarget(target=cst.Name(name))], value=value), origin)


def call(function: cst.BaseExpression, *args: cst.BaseExpression) -> cst.Call:
    return cst.Call(func=function, args=[cst.Arg(value=a) for a in args])


def attribute(name: str, *attributes: str) -> cst.BaseExpression:
    expression: cst.BaseExpression = cst.Name(name)
    for attr in attributes:
        expression = cst.Attribute(value=expression, attr=cst.Name(attr))
    return expression


def string(text: str) -> cst.SimpleString:
    return cst.SimpleString(json.dumps(text))  # a JSON string is a valid Python literal


def is_new_array(value: cst.BaseExpression) -> bool:
    """Whether ``value`` is certainly a new array (or number) that nothing else refers to."""
    if isinstance(value, (cst.BinaryOperation, cst.UnaryOperation, cst.Integer, cst.Float)):
        return True
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
        name = value.func.attr.value
        if name == "unbroadcast":
            return is_new_array(value.args[0].value)  # returns its argument when shapes agree
        return name in rules.ALLOCATING
    return False
