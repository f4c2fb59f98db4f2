"""The normalized program (A-normal form) that analysis and the transforms read.

Every statement does one operation on atoms (names and literals)::

    p = 1.0 / (1.0 + np.exp(-z))      becomes    _t1 = -z
                                                  _t2 = np.exp(_t1)
                                                  _t3 = 1.0 + _t2
                                                  p = 1.0 / _t3

Statements are plain frozen data with a unique ``id`` (facts found about them
are keyed by it) and the ``Origin`` of the source line they come from.
ir_lint states exactly what holds, and checks it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import NoReturn

import libcst as cst

from s2sad.errors import Origin
from s2sad.rules.templates import names_read, substitute

# A rule argument: one atom, or a tuple of atoms for a sequence parameter.
Operand = cst.BaseExpression | tuple[cst.BaseExpression, ...]


@dataclasses.dataclass(frozen=True)
class Assign:
    """``target = value``, where ``value`` applies ``rule`` to ``operands`` (by rule parameter).

    ``rule`` is None for a value with no derivative (a literal, ``x.shape[0]``,
    ``np.floor(x)``): nothing flows back through it.
    """

    id: int
    target: str
    value: cst.BaseExpression = dataclasses.field(repr=False)
    rule: str | None
    operands: Mapping[str, Operand] = dataclasses.field(repr=False)
    origin: Origin
    # The value carries no derivative, so it must not depend on what is differentiated
    # (np.arange(n), a tuple of sizes).
    inactive_only: bool = False

    def reads(self) -> set[str]:
        return names_read(self.value)

    def operand_names(self, parameter: str) -> set[str]:
        operand = self.operands.get(parameter)
        if operand is None:
            return set()
        atoms = operand if isinstance(operand, tuple) else (operand,)
        return set().union(*(names_read(atom) for atom in atoms))


@dataclasses.dataclass(frozen=True)
class Return:
    id: int
    value: cst.BaseExpression = dataclasses.field(repr=False)
    origin: Origin


@dataclasses.dataclass(frozen=True)
class Guard:
    """A run-time check in the forward sweep (``_rt.require_...``); no value, no derivative."""

    id: int
    value: cst.Call = dataclasses.field(repr=False)
    origin: Origin


@dataclasses.dataclass(frozen=True)
class If:
    """``if test: body else: orelse``; the test is passive (no derivative flows through a condition)."""

    id: int
    test: cst.BaseExpression = dataclasses.field(repr=False)
    body: tuple["Statement", ...]
    orelse: tuple["Statement", ...]
    origin: Origin


@dataclasses.dataclass(frozen=True)
class Loop:
    """``for target in iterable`` (a range held in a name) or ``while test``.

    ``test_block`` computes the while test before each iteration. After each
    iteration the loop ends if ``exit_test`` holds (the lowered form of
    ``break`` and of ``return`` inside the loop); with an exit test, or for a
    while loop, the number of iterations is known only at run time.
    """

    id: int
    target: str | None
    iterable: cst.BaseExpression | None = dataclasses.field(repr=False)
    test_block: tuple["Statement", ...]
    test: cst.BaseExpression | None = dataclasses.field(repr=False)
    body: tuple["Statement", ...]
    exit_test: cst.BaseExpression | None = dataclasses.field(repr=False)
    origin: Origin

    @property
    def counted(self) -> bool:
        return self.target is None or self.exit_test is not None


@dataclasses.dataclass(frozen=True)
class Append:
    """``target.append(value)`` on a list the function built."""

    id: int
    target: str
    value: cst.BaseExpression = dataclasses.field(repr=False)
    origin: Origin


@dataclasses.dataclass(frozen=True)
class SetItem:
    """``target[index] = value``, or ``target[index] += value`` when ``augmented``.

    ``index`` is the subscript as written (atoms); ``index_value`` the same
    index as a value (``np.s_[...]``), for the reverse sweep.
    """

    id: int
    target: str
    index: tuple = dataclasses.field(repr=False)
    index_value: cst.BaseExpression = dataclasses.field(repr=False)
    value: cst.BaseExpression = dataclasses.field(repr=False)
    augmented: bool
    origin: Origin
    # The user's ``a op= e`` on a name, lowered to ``a[...] op= e`` where ``a`` holds an array
    # (a number is rebound instead): updating the caller's array there is refused at run time.
    whole_name: bool = False
    distinct: bool = False  # the index names each position once (the part a view occupies)


Statement = Assign | Return | Guard | If | Loop | Append | SetItem


def unknown(statement: object) -> NoReturn:
    """The last case of every ``match`` on statement kinds: a kind the pass has no case for is a bug.

    match statement:
        case ir.Assign(): ...
        ...
        case _:
            ir.unknown(statement)
    """
    raise TypeError(f"no case for the IR statement kind {type(statement).__name__}: add one")


def walk(statements):
    """Every statement in ``statements``, nested ones included, in order."""
    for statement in statements:
        yield statement
        match statement:
            case If():
                yield from walk(statement.body)
                yield from walk(statement.orelse)
            case Loop():
                yield from walk(statement.test_block)
                yield from walk(statement.body)
            case Assign() | Return() | Guard() | Append() | SetItem():
                pass
            case _:
                unknown(statement)


def rename(statements, names: Mapping[str, str]) -> tuple[Statement, ...]:
    """``statements`` with the variables in ``names`` renamed (an inlined function's locals)."""
    replacements = {old: cst.Name(new) for old, new in names.items()}

    def expression(node):
        return None if node is None else substitute(node, replacements)

    def operand(value):
        return tuple(expression(v) for v in value) if isinstance(value, tuple) else expression(value)

    def renamed(statement: Statement) -> Statement:
        match statement:
            case Assign():
                return dataclasses.replace(
                    statement,
                    target=names.get(statement.target, statement.target),
                    value=expression(statement.value),
                    operands={p: operand(v) for p, v in statement.operands.items()},
                )
            case Guard() | Return():
                return dataclasses.replace(statement, value=expression(statement.value))
            case Append():
                return dataclasses.replace(
                    statement, target=names.get(statement.target, statement.target), value=expression(statement.value)
                )
            case SetItem():
                index = cst.Subscript(value=cst.Name("_"), slice=statement.index)
                return dataclasses.replace(
                    statement,
                    target=names.get(statement.target, statement.target),
                    index=tuple(expression(index).slice),
                    index_value=expression(statement.index_value),
                    value=expression(statement.value),
                )
            case If():
                return dataclasses.replace(
                    statement,
                    test=expression(statement.test),
                    body=rename(statement.body, names),
                    orelse=rename(statement.orelse, names),
                )
            case Loop():
                return dataclasses.replace(
                    statement,
                    target=names.get(statement.target, statement.target),
                    iterable=expression(statement.iterable),
                    test_block=rename(statement.test_block, names),
                    test=expression(statement.test),
                    body=rename(statement.body, names),
                    exit_test=expression(statement.exit_test),
                )
            case _:
                unknown(statement)

    return tuple(map(renamed, statements))


def first_bound_inside(body, parameters) -> list[str]:
    """Names (loop variables too) whose first assignment is inside a branch or loop: unbound on some paths."""
    found: list[str] = []
    seen = set(parameters)
    for statement in body:
        match statement:
            case If() | Loop():
                found.extend(sorted(assigned([statement]) - seen))
            case Assign() | Return() | Guard() | Append() | SetItem():
                pass
            case _:
                unknown(statement)
        seen |= assigned([statement])
    return found


def rebound(statements) -> set[str]:
    """Names bound to a new value anywhere in ``statements`` (not updated in place)."""
    names = set()
    for statement in walk(statements):
        match statement:
            case Assign():
                names.add(statement.target)
            case Loop() if statement.target:
                names.add(statement.target)
            case Loop() | If() | Return() | Guard() | Append() | SetItem():
                pass
            case _:
                unknown(statement)
    return names


def assigned(statements) -> set[str]:
    """Names assigned or updated anywhere in ``statements`` (loop variables included)."""
    names = set()
    for statement in walk(statements):
        match statement:
            case Assign() | Append() | SetItem():
                names.add(statement.target)
            case Loop() if statement.target:
                names.add(statement.target)
            case Loop() | If() | Return() | Guard():
                pass
            case _:
                unknown(statement)
    return names


@dataclasses.dataclass(frozen=True)
class Function:
    name: str
    parameters: tuple[str, ...]
    signature: cst.Parameters = dataclasses.field(repr=False)
    body: tuple[Statement, ...]
    origin: Origin
    parameter_origins: Mapping[str, Origin] = dataclasses.field(repr=False)
    lists: frozenset[str] = frozenset()  # names that hold lists (their adjoints are lists too)

    def code(self) -> str:
        """The program as Python source, for dumps and pass tests."""
        lines = [f"def {self.name}({', '.join(self.parameters)}):"]
        _code(self.body, "    ", lines)
        return "\n".join(lines) + "\n"


def _code(statements, indent: str, lines: list[str]) -> None:
    show = cst.Module(body=[]).code_for_node
    for statement in statements:
        match statement:
            case Assign():
                lines.append(f"{indent}{statement.target} = {show(statement.value)}")
            case Guard():
                lines.append(f"{indent}{show(statement.value)}")
            case Append():
                lines.append(f"{indent}{statement.target}.append({show(statement.value)})")
            case SetItem():
                index = show(cst.Subscript(value=cst.Name(statement.target), slice=statement.index))
                lines.append(f"{indent}{index} {'+=' if statement.augmented else '='} {show(statement.value)}")
            case Return():
                lines.append(f"{indent}return {show(statement.value)}")
            case If():
                lines.append(f"{indent}if {show(statement.test)}:")
                _code(statement.body, indent + "    ", lines)
                if not statement.body:
                    lines.append(indent + "    pass")
                if statement.orelse:
                    lines.append(f"{indent}else:")
                    _code(statement.orelse, indent + "    ", lines)
            case Loop():
                _loop_code(statement, indent, lines)
            case _:
                unknown(statement)


def _loop_code(statement: Loop, indent: str, lines: list[str]) -> None:
    show = cst.Module(body=[]).code_for_node
    if statement.target is not None:
        lines.append(f"{indent}for {statement.target} in {show(statement.iterable)}:")
    else:
        _code(statement.test_block, indent, lines)
        lines.append(f"{indent}while {show(statement.test)}:")
    _code(statement.body, indent + "    ", lines)
    if statement.target is None:
        _code(statement.test_block, indent + "    ", lines)
    if statement.exit_test is not None:
        lines.append(f"{indent}    if {show(statement.exit_test)}:")
        lines.append(f"{indent}        break")
