"""The generated function before it is printed: statements in sections, each with its origin.

The transforms produce it, optimize rewrites it, emit prints it (attaching
the origin comments, so comments survive any rewriting).
"""

from __future__ import annotations

import dataclasses
import json

import libcst as cst

from s2sad.errors import Origin


@dataclasses.dataclass(frozen=True)
class Line:
    node: cst.BaseSmallStatement
    origin: Origin | None = None


@dataclasses.dataclass(frozen=True)
class Generated:
    name: str
    parameters: cst.Parameters = dataclasses.field(repr=False)
    docstring: str
    checks: tuple[Line, ...]  # argument checks, before any work
    forward: tuple[Line, ...]  # the primal computation, saving what the reverse sweep needs
    reverse: tuple[Line, ...]  # adjoints in reverse order
    result: cst.BaseExpression = dataclasses.field(repr=False)  # what the function returns

    def sections(self) -> tuple[tuple[str | None, tuple[Line, ...]], ...]:
        return ((None, self.checks), ("forward sweep", self.forward), ("reverse sweep", self.reverse))


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
