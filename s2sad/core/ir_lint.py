"""The invariants of the normalized program (``ir``) that the passes rely on, checked on demand.

Requires: an ``ir.Function``. Provides ``lint(function, after)``, which raises
``Invalid`` naming the statement (kind, id, origin) that breaks one. The
pipeline lints after each pass that makes new IR (normalize, memory) when
``S2SAD_LINT=1``; tests/test_ir.py lints the fixtures and generated programs.
"""

from __future__ import annotations

from typing import NoReturn

import libcst as cst

from s2sad.core import ir
from s2sad.errors import Origin
from s2sad.rules.templates import names_read


class Invalid(Exception):
    """The program breaks an invariant the passes rely on: a bug in the pass that produced it."""


def lint(function: ir.Function, after: str = "") -> None:
    """Check what holds after normalize and after memory, which the passes rely on; raise ``Invalid``
    naming the first statement (kind, id, origin) that breaks it, and the pass ``after`` which it ran.

    - the body and every branch and loop block are tuples of statements of ``ir.Statement``'s kinds, each with
      an origin and an id no other statement has; the body ends with the one ``Return``;
    - A-normal form: an ``Assign`` value is data (atoms, tuples and lists of them, an index
      ``np.s_[...]`` of them) or one operation (an operator, a call, an index) on data, which a
      passive condition may negate (``not``); it does not read its target, and its operands (by rule
      parameter: data, or tuples of atoms) read no local name it does not;
    - ``Return``, ``Append`` and ``SetItem`` values are atoms, a ``Guard`` is a call on data, a
      ``SetItem`` index is made of atoms; a test is an atom, a comparison of atoms, or ``and``/``or``
      of atoms, perhaps negated;
    - a for loop has a target and a range held in a name, and no test; a while loop the other way;
    - a name the function binds is read only where some path may have bound it (loops go round);
      a name it never binds is a global, which is not decided here.
    """
    _Linter(function, after).function()


class _Linter:
    def __init__(self, function: ir.Function, after: str):
        self.subject = function
        self.after = f" (after {after})" if after else ""
        self.ids: set[int] = set()
        self.local: set[str] = set()  # the names the function binds

    def fail(self, statement, problem: str) -> NoReturn:
        if isinstance(statement, ir.Function):
            where = f"{statement.origin}: function {statement.name}"
        else:
            where = f"{statement.origin}: {type(statement).__name__} {statement.id}"
        raise Invalid(f"{where}{self.after}: {problem}")

    def function(self) -> None:
        function = self.subject
        self.structure(function.body, function)
        self.local = ir.assigned(function.body) | set(function.parameters)
        self.block(function.body, set(function.parameters))
        returns = [s for s in ir.walk(function.body) if isinstance(s, ir.Return)]
        if not function.body or returns != [function.body[-1]]:
            self.fail(function, "the body does not end with its one return")

    def structure(self, statements, owner) -> None:
        """``statements`` (a block of ``owner``) is a tuple of statements of the kinds above, each with
        an origin and its own id, and so are the blocks they hold."""
        if not isinstance(statements, tuple):
            self.fail(owner, f"holds a block that is a {type(statements).__name__}, not a tuple")
        for statement in statements:
            if not isinstance(statement, ir.Statement):
                self.fail(owner, f"holds a {type(statement).__name__}, which is no statement kind")
            if not isinstance(statement.origin, Origin):
                self.fail(owner, f"holds statement {statement.id}, which has no origin")
            if statement.id in self.ids:
                self.fail(statement, "its id is another statement's too")
            self.ids.add(statement.id)
            match statement:
                case ir.If():
                    self.structure(statement.body, statement)
                    self.structure(statement.orelse, statement)
                case ir.Loop():
                    self.structure(statement.test_block, statement)
                    self.structure(statement.body, statement)
                case ir.Assign() | ir.Return() | ir.Guard() | ir.Append() | ir.SetItem():
                    pass
                case _:
                    ir.unknown(statement)

    def block(self, statements, bound: set[str]) -> None:
        """Check ``statements`` given the names some path has bound before them; ``bound`` gains those
        they bind."""
        for statement in statements:
            self.statement(statement, bound)

    def statement(self, statement: ir.Statement, bound: set[str]) -> None:
        match statement:
            case ir.Assign():
                self.require(statement, _operation(statement.value), "its value is not one operation on atoms")
                for parameter, operand in statement.operands.items():
                    data = all(map(_atom, operand)) if isinstance(operand, tuple) else _data(operand)
                    self.require(statement, data, f"its operand '{parameter}' is not data")
                    extra = (statement.operand_names(parameter) & self.local) - statement.reads()
                    self.require(statement, not extra, f"its operand '{parameter}' reads a name its value does not")
                self.require(statement, statement.target not in statement.reads(), "it reads the name it assigns")
                self.reads(statement, bound, statement.value)
                self.binds(statement, bound, statement.target)
            case ir.Return():
                self.require(statement, _atom(statement.value), "its value is not an atom")
                self.reads(statement, bound, statement.value)
            case ir.Append():
                self.require(statement, _atom(statement.value), "its value is not an atom")
                self.reads(statement, bound, cst.Name(statement.target), statement.value)
            case ir.Guard():
                self.require(statement, isinstance(statement.value, cst.Call), "it is not a call")
                self.require(statement, _operation(statement.value), "its call is not on atoms")
                self.reads(statement, bound, statement.value)
            case ir.SetItem():
                self.require(statement, _atom(statement.value), "its value is not an atom")
                self.require(statement, all(map(_index_item, statement.index)), "its index is not made of atoms")
                index_value = statement.index_value
                self.require(statement, _index(index_value) or isinstance(index_value, cst.Name), "bad index value")
                self.reads(statement, bound, cst.Name(statement.target), statement.value, index_value)
            case ir.If():
                self.require(statement, _condition(statement.test), "its test is not a condition on atoms")
                self.reads(statement, bound, statement.test)
                body, orelse = set(bound), set(bound)
                self.block(statement.body, body)
                self.block(statement.orelse, orelse)
                bound |= body | orelse
            case ir.Loop():
                self.loop(statement, bound)
            case _:
                ir.unknown(statement)

    def loop(self, loop: ir.Loop, bound: set[str]) -> None:
        if loop.target is not None:
            self.require(loop, isinstance(loop.iterable, cst.Name), "a for loop not over a name")
            self.require(loop, loop.test is None and not loop.test_block, "a for loop with a test")
            self.reads(loop, bound, loop.iterable)
            self.binds(loop, bound, loop.target)
        else:
            self.require(loop, loop.iterable is None and loop.test is not None, "a while loop without a test")
        # Each iteration may see what earlier ones bound.
        bound |= ir.assigned([loop])
        self.block(loop.test_block, bound)
        self.block(loop.body, bound)
        for test in (loop.test, loop.exit_test):
            if test is not None:
                self.require(loop, _condition(test), "its test is not a condition on atoms")
                self.reads(loop, bound, test)

    def require(self, statement, holds: bool, problem: str) -> None:
        if not holds:
            self.fail(statement, problem)

    def binds(self, statement, bound: set[str], name: str) -> None:
        self.require(statement, isinstance(name, str) and name.isidentifier(), f"it binds {name!r}, no name")
        bound.add(name)

    def reads(self, statement, bound: set[str], *expressions) -> None:
        for expression in expressions:
            for name in sorted((names_read(expression) & self.local) - bound):
                self.fail(statement, f"it reads '{name}' where no path has bound it")


def _dotted(node) -> bool:
    """``np``, ``np.newaxis``, ``x.shape``: a name and its attributes."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


def _atom(node) -> bool:
    """A name (with its attributes) or a literal: a number (signed), a string."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        return isinstance(node.expression, (cst.Integer, cst.Float, cst.Imaginary))
    return _dotted(node) or isinstance(
        node, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)
    )


def _data(node) -> bool:
    """An atom, a tuple or list of data (``(4, 1)``, ``[a, b]``), or an index of atoms (``np.s_[1:-1]``)."""
    if isinstance(node, (cst.Tuple, cst.List)):
        return all(isinstance(e, cst.Element) and _data(e.value) for e in node.elements)
    return _atom(node) or _index(node)


def _index(node) -> bool:
    """``np.s_[...]`` (or ``x[...]``) with items made of atoms."""
    return isinstance(node, cst.Subscript) and _dotted(node.value) and all(map(_index_item, node.slice))


def _index_item(element: cst.SubscriptElement) -> bool:
    item = element.slice
    if isinstance(item, cst.Slice):
        return all(part is None or _atom(part) for part in (item.lower, item.upper, item.step))
    return isinstance(item.value, cst.Ellipsis) or _data(item.value)


def _operation(node) -> bool:
    """Data, or one operator, call or index on data; a passive condition may negate it."""
    while isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        node = node.expression
    match node:
        case cst.BinaryOperation():
            return _data(node.left) and _data(node.right)
        case cst.UnaryOperation():
            return _data(node.expression)
        case cst.Comparison():
            return _data(node.left) and all(_data(c.comparator) for c in node.comparisons)
        case cst.Call():
            return _dotted(node.func) and all(not arg.star and _data(arg.value) for arg in node.args)
        case cst.FormattedString():  # a message: its replacement fields are atoms
            return all(_atom(p.expression) for p in node.parts if isinstance(p, cst.FormattedStringExpression))
        case _:
            return _data(node)


def _condition(node) -> bool:
    """A test: an atom, a comparison of data, or ``and`` / ``or`` of atoms, perhaps negated."""
    while isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        node = node.expression
    match node:
        case cst.BooleanOperation():
            return _condition(node.left) and _condition(node.right)
        case cst.Comparison():  # of atoms, or of a tuple written out: np.shape(x) == (2,)
            return _data(node.left) and all(_data(c.comparator) for c in node.comparisons)
        case _:
            return _atom(node)
