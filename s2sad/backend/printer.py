"""The generated function's statements as text, in one walk over its nodes (no libcst visitors).

emit used to build a libcst module of the whole function and walk it three times (names,
renaming with parentheses, printing); on a long function those walks were most of the
compiler's time. This prints each statement's tokens as libcst would print them after
emit's renaming and ``precedence.Parentheses`` (so black formats the text the same way),
with black's spacing, and notes on the way:

- the names in order of appearance (``naming.names_in`` of the function), to choose the
  readable names; a name is printed as a ``Name`` part, renamed when the text is joined;
- the dotted names read (``scipy.special.expit``), for the module's imports;
- whether black would print the statement exactly so when it fits on a line
  (``Statement.canonical``): only forms whose layout by black is certain; anything else
  is left to black;
- whether the statement must be formatted within the whole module (``whole``): black
  formats ``*`` arguments by the Python versions it detects in the whole file, and takes a
  bare string for a docstring.

A node kind the printer does not know is printed by libcst (renamed and parenthesized by
its own walk, on that node only).
"""

from __future__ import annotations

import dataclasses
import re

import libcst as cst

from s2sad.backend.precedence import ATOM, BINARY, POWER, UNARY, binding
from s2sad.core.naming import names_in


class Name(str):
    """A name in the printed text: replaced by its readable name when the text is joined."""


@dataclasses.dataclass(frozen=True)
class Fallback:
    """A node libcst prints (renamed and parenthesized first)."""

    node: cst.CSTNode


@dataclasses.dataclass
class Statement:
    depth: int  # 1 in the function's body
    comments: list[str]  # comment lines above it, without their "# "
    parts: list  # str, Name and Fallback
    note: str | None = None  # its trailing comment
    canonical: bool = True  # black prints it as printed, if it fits on a line
    whole: bool = False  # black must format it within the whole module
    block: bool = False  # the header of a block (black formats it with a body)


_BINARY = {
    cst.Add: "+",
    cst.Subtract: "-",
    cst.Multiply: "*",
    cst.MatrixMultiply: "@",
    cst.Divide: "/",
    cst.FloorDivide: "//",
    cst.Modulo: "%",
    cst.Power: "**",
    cst.BitOr: "|",
    cst.BitAnd: "&",
    cst.BitXor: "^",
    cst.LeftShift: "<<",
    cst.RightShift: ">>",
}
_AUGMENTED = {getattr(cst, kind.__name__ + "Assign"): token + "=" for kind, token in _BINARY.items()}
_COMPARISON = {
    cst.LessThan: "<",
    cst.GreaterThan: ">",
    cst.LessThanEqual: "<=",
    cst.GreaterThanEqual: ">=",
    cst.Equal: "==",
    cst.NotEqual: "!=",
    cst.In: "in",
    cst.NotIn: "not in",
    cst.Is: "is",
    cst.IsNot: "is not",
}
_UNARY = {cst.Minus: "-", cst.Plus: "+", cst.BitInvert: "~", cst.Not: "not "}
_BOOLEAN = {cst.And: " and ", cst.Or: " or "}
_KEYWORDS = {cst.Pass: "pass", cst.Break: "break", cst.Continue: "continue"}
# Literals black leaves as they are: lower-case decimal numbers, double-quoted strings without escapes.
_PLAIN_NUMBER = re.compile(r"[0-9][0-9_]*(\.[0-9][0-9_]*)?(e-?[0-9][0-9_]*)?")
_PLAIN_STRING = re.compile(r'"[^"\\\n]*"')
_SIMPLE = (cst.Name, cst.Integer, cst.Float)  # operands black hugs ``**`` with, and plain slice bounds


class Printer:
    """Prints statements; collects their names (``names``) and dotted names (``dotted``)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.dotted: set[str] = set()
        self.statements: list[Statement] = []
        self._statement: Statement | None = None
        self._parts: list = []

    # ---- statements

    def line(self, node: cst.BaseSmallStatement, depth: int, comments: list[str], note: str | None) -> None:
        statement = self._start(depth, comments)
        statement.note = note
        kind = type(node)
        if kind is cst.Assign:
            for target in node.targets:
                self._top(target.target)
                self._parts.append(" = ")
            self._top(node.value)
        elif kind is cst.AugAssign:
            self._top(node.target)
            self._parts.append(f" {_AUGMENTED[type(node.operator)]} ")
            self._top(node.value)
        elif kind is cst.Expr:
            if isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Ellipsis)):
                statement.whole = True  # black may take it for a docstring, or put `...` on the line above
            self._top(node.value)
        elif kind is cst.Return:
            self._parts.append("return")
            if node.value is not None:
                self._parts.append(" ")
                self._top(node.value)
        elif kind is cst.Del:
            self._parts.append("del ")
            self._top(node.target)
        elif kind in _KEYWORDS:
            self._parts.append(_KEYWORDS[kind])
        else:
            self._fallback(node)
        self._end()

    def block(self, header: cst.If | cst.For | cst.While, depth: int, comments: list[str]) -> None:
        """A block's first line: ``if test:``, ``for target in iterable:``, ``while test:``."""
        statement = self._start(depth, comments)
        statement.block = True
        if isinstance(header, cst.For) and header.asynchronous is None:
            self._parts.append("for ")
            self._top(header.target)
            self._parts.append(" in ")
            self._top(header.iter)
        elif isinstance(header, (cst.If, cst.While)):
            self._parts.append("if " if isinstance(header, cst.If) else "while ")
            self._top(header.test)
        else:
            raise TypeError(f"no block header {type(header).__name__}")
        self._parts.append(":")
        self._end()

    def text(self, text: str, depth: int) -> None:
        """A line of fixed text (``else:``, ``pass``)."""
        self._start(depth, [])
        self._parts.append(text)
        self._end()

    def _start(self, depth: int, comments: list[str]) -> Statement:
        self._statement = Statement(depth, comments, [])
        self._parts = self._statement.parts
        return self._statement

    def _end(self) -> None:
        self.statements.append(self._statement)

    def _top(self, node: cst.BaseExpression) -> None:
        """An expression a statement holds: black drops parentheses around it where they are redundant."""
        if getattr(node, "lpar", None):
            self._statement.canonical = False
        self.expression(node)

    def _fallback(self, node: cst.CSTNode) -> None:
        self._statement.canonical = False
        self.names.extend(names_in(node))
        self._parts.append(Fallback(node))
        self.dotted.update(dotted_names(node))

    # ---- expressions

    def expression(self, node: cst.BaseExpression) -> None:
        print_node = _EXPRESSIONS.get(type(node))
        if print_node is None:
            self._fallback(node)
            return
        lpar = node.lpar
        if lpar:
            if len(lpar) > 1:
                self._statement.canonical = False
            self._parts.append("(" * len(lpar))
        print_node(self, node)
        if lpar:
            self._parts.append(")" * len(node.rpar))

    def _operand(self, node: cst.BaseExpression, parenthesized: bool) -> None:
        """An operand, in parentheses where precedence needs them (``precedence.Parentheses``)."""
        if parenthesized and not node.lpar:
            self._parts.append("(")
            self.expression(node)
            self._parts.append(")")
        else:
            self.expression(node)

    def _name(self, node: cst.Name) -> None:
        self.names.append(node.value)
        self._parts.append(Name(node.value))

    def _attribute(self, node: cst.Attribute) -> None:
        value = node.value
        if isinstance(value, (cst.Integer, cst.Float, cst.Imaginary)):
            self._statement.canonical = False  # black writes (1).real
        self._operand(value, binding(value) < ATOM)
        self._parts.append(".")
        self._parts.append(Name(node.attr.value))
        dotted = _dotted(node)
        if dotted is not None:
            self.dotted.add(dotted)

    def _call(self, node: cst.Call) -> None:
        self._operand(node.func, binding(node.func) < ATOM)
        self._parts.append("(")
        self._sequence(node.args, self._argument)
        self._parts.append(")")

    def _argument(self, node: cst.Arg) -> None:
        if node.value.lpar and not isinstance(node.value, cst.Tuple):
            self._statement.canonical = False
        if node.star:
            self._statement.whole = True  # black's commas after * arguments depend on the file's Python versions
            self._parts.append(node.star)
        if node.keyword is not None:
            self._parts.append(Name(node.keyword.value))
            self._parts.append("=")
        self.expression(node.value)

    def _sequence(self, items, print_item, one_tuple: bool = False) -> None:
        """Items with their commas: libcst's where given, else between items (and after a tuple's only one)."""
        last = len(items) - 1
        for index, item in enumerate(items):
            print_item(item)
            comma = type(item.comma) is cst.Comma
            if index < last:
                self._parts.append(", ")
            elif comma or (one_tuple and index == 0):
                self._parts.append(",")
                if comma and not one_tuple:
                    self._statement.canonical = False  # a magic trailing comma: black splits the line

    def _subscript(self, node: cst.Subscript) -> None:
        self._operand(node.value, binding(node.value) < ATOM)
        self._parts.append("[")
        self._sequence(node.slice, self._subscript_element)
        self._parts.append("]")

    def _subscript_element(self, element: cst.SubscriptElement) -> None:
        index = element.slice
        if isinstance(index, cst.Index):
            if index.star is not None:
                self._statement.whole = True
                self._parts.append(index.star)
            if index.value.lpar:
                self._statement.canonical = False
            self.expression(index.value)
            return
        bounds = (index.lower, index.upper, index.step)
        if not all(bound is None or _simple_bound(bound) for bound in bounds):
            self._statement.canonical = False  # black spaces the colons of a slice of expressions
        for position, bound in enumerate(bounds):
            if position == 1 or (position == 2 and (bound is not None or isinstance(index.second_colon, cst.Colon))):
                self._parts.append(":")
            if bound is not None:
                self.expression(bound)

    def _binary(self, node: cst.BinaryOperation) -> None:
        operator = type(node.operator)
        own = BINARY[operator]
        left, right = binding(node.left), binding(node.right)
        if own == POWER:
            # Right-associative, and binds tighter than a unary operator on its left.
            left_needs, right_needs = left <= own, right < UNARY
            hugged = _simple_power_operand(node.left, left_needs) and _simple_power_operand(node.right, right_needs)
            if not hugged and not (
                _spaced_power_operand(node.left, left_needs) or _spaced_power_operand(node.right, right_needs)
            ):
                self._statement.canonical = False
        else:
            # Equal precedence on the right keeps its parentheses: a - (b - c).
            left_needs, right_needs = left < own, right <= own
            hugged = False
        self._operand(node.left, left_needs)
        self._parts.append("**" if hugged else f" {_BINARY[operator]} ")
        self._operand(node.right, right_needs)

    def _unary(self, node: cst.UnaryOperation) -> None:
        own = 4 if isinstance(node.operator, cst.Not) else UNARY  # (precedence.binding without parentheses)
        operand = node.expression
        needs = binding(operand) < own
        if not needs and not operand.lpar and isinstance(operand, cst.BinaryOperation):
            self._statement.canonical = False  # black writes -(x**2)
        self._parts.append(_UNARY[type(node.operator)])
        self._operand(operand, needs)

    def _boolean(self, node: cst.BooleanOperation) -> None:
        self.expression(node.left)
        self._parts.append(_BOOLEAN[type(node.operator)])
        self.expression(node.right)

    def _comparison(self, node: cst.Comparison) -> None:
        self._operand(node.left, binding(node.left) <= 5)
        for target in node.comparisons:
            self._parts.append(f" {_COMPARISON[type(target.operator)]} ")
            self._operand(target.comparator, binding(target.comparator) <= 5)

    def _if_expression(self, node: cst.IfExp) -> None:
        self.expression(node.body)
        self._parts.append(" if ")
        self.expression(node.test)
        self._parts.append(" else ")
        self.expression(node.orelse)

    def _number(self, node: cst.Integer | cst.Float) -> None:
        if not _PLAIN_NUMBER.fullmatch(node.value):
            self._statement.canonical = False
        self._parts.append(node.value)

    def _string(self, node: cst.SimpleString) -> None:
        if not _PLAIN_STRING.fullmatch(node.value):
            self._statement.canonical = False
        self._parts.append(node.value)

    def _tuple(self, node: cst.Tuple) -> None:
        if len(node.elements) == 1 and not node.lpar:
            self._statement.canonical = False  # black writes (x,)
        self._sequence(node.elements, self._element, one_tuple=len(node.elements) == 1)

    def _list(self, node: cst.List | cst.Set) -> None:
        elements = node.elements
        if len(elements) == 1 and getattr(elements[0].value, "lpar", None):
            self._statement.canonical = False  # black drops parentheses around a list's only item
        self._parts.append("[" if isinstance(node, cst.List) else "{")
        self._sequence(elements, self._element)
        self._parts.append("]" if isinstance(node, cst.List) else "}")

    def _element(self, element: cst.BaseElement) -> None:
        if isinstance(element, cst.StarredElement):
            self._statement.whole = True
            self._parts.append("*")
        self.expression(element.value)

    def _dict(self, node: cst.Dict) -> None:
        self._parts.append("{")
        self._sequence(node.elements, self._dict_element)
        self._parts.append("}")

    def _dict_element(self, element: cst.BaseDictElement) -> None:
        if isinstance(element, cst.StarredDictElement):
            self._statement.whole = True
            self._parts.append("**")
        else:
            self.expression(element.key)
            self._parts.append(": ")
        self.expression(element.value)

    def _ellipsis(self, node: cst.Ellipsis) -> None:
        self._parts.append("...")


def _simple_bound(node: cst.BaseExpression) -> bool:
    """A slice bound black writes without spaces around the colons."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    return isinstance(node, (cst.Name, cst.Integer)) and not node.lpar


def _simple_power_operand(node: cst.BaseExpression, parenthesized: bool) -> bool:
    """An operand black hugs ``**`` with: a name or number, with or without a unary sign."""
    if parenthesized or node.lpar:
        return False
    if isinstance(node, cst.UnaryOperation) and not isinstance(node.operator, cst.Not):
        node = node.expression
        return isinstance(node, _SIMPLE) and not node.lpar
    return isinstance(node, _SIMPLE)


def _spaced_power_operand(node: cst.BaseExpression, parenthesized: bool) -> bool:
    """An operand black certainly does not hug ``**`` with (nor the other): in parentheses, a call, an index."""
    return parenthesized or bool(node.lpar) or isinstance(node, (cst.Call, cst.Subscript))


def _dotted(node: cst.Attribute) -> str | None:
    """``a.b.c`` for an attribute of attributes of a name; else None."""
    parts = []
    value: cst.BaseExpression = node
    while isinstance(value, cst.Attribute):
        parts.append(value.attr.value)
        value = value.value
    return ".".join([value.value, *reversed(parts)]) if isinstance(value, cst.Name) else None


def dotted_names(node: cst.CSTNode) -> list[str]:
    """The dotted name of every attribute in ``node`` (its parts too: ``a.b`` in ``a.b.c``)."""
    found = []

    class Finder(cst.CSTVisitor):
        def visit_Attribute(self, attribute: cst.Attribute) -> None:
            dotted = _dotted(attribute)
            if dotted is not None:
                found.append(dotted)

    node.visit(Finder())
    return found


_EXPRESSIONS = {
    cst.Name: Printer._name,
    cst.Attribute: Printer._attribute,
    cst.Call: Printer._call,
    cst.Subscript: Printer._subscript,
    cst.BinaryOperation: Printer._binary,
    cst.UnaryOperation: Printer._unary,
    cst.BooleanOperation: Printer._boolean,
    cst.Comparison: Printer._comparison,
    cst.IfExp: Printer._if_expression,
    cst.Integer: Printer._number,
    cst.Float: Printer._number,
    cst.SimpleString: Printer._string,
    cst.Tuple: Printer._tuple,
    cst.List: Printer._list,
    cst.Set: Printer._list,
    cst.Dict: Printer._dict,
    cst.Ellipsis: Printer._ellipsis,
}
