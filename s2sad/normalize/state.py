"""The lowering's state: what one function's lowering holds, and what it shares with the functions it inlines."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import itertools
from collections.abc import Iterator
from typing import Any

import libcst as cst
import libcst.matchers as m

from s2sad import rules
from s2sad.core import ir
from s2sad.errors import Origin, UnsupportedSyntax
from s2sad.core.naming import Names
from s2sad.normalize.nodes import bindings
from s2sad.options import Options
from s2sad.core.unit import Unit

DEFAULT_HINT = "rewrite it with the supported constructs (see the README's 'Supported language')"


@dataclasses.dataclass
class Shared:
    """What the lowering of a function and of the functions it inlines share."""

    names: Names
    options: Options
    stack: list[tuple[str, str]]  # the functions being inlined, outermost first (to refuse recursion)
    # What each call on the stack knew of its arguments (State.known), by function: a recursion must change it.
    known_at: dict[tuple[str, str], list[dict]] = dataclasses.field(
        default_factory=lambda: collections.defaultdict(lambda: [{}])
    )
    ids: Iterator[int] = dataclasses.field(default_factory=itertools.count)
    temps: Iterator[int] = dataclasses.field(default_factory=lambda: itertools.count(1))
    serials: Iterator[int] = dataclasses.field(default_factory=lambda: itertools.count(1))
    lists: set[str] = dataclasses.field(default_factory=set)  # inlined functions' list names, renamed
    # (file, module) of every inlined function and custom rule: their text is in the generated code
    files: set[tuple[str, str | None]] = dataclasses.field(default_factory=set)
    # placeholder -> (where the name lives: live globals or module name, the name there)
    foreign: dict[str, tuple[object, str]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class LoopFlags:
    """The flags a loop's ``break`` and ``continue`` set."""

    broke: str
    skipped: str


class State:
    """One function's lowering in progress: the statements lowered so far and what is known of its names."""

    def __init__(self, unit: Unit, shared: Shared):
        self.unit = unit
        self.shared = shared
        self.names = shared.names
        self.serial = next(shared.serials)  # numbers this function's flags and renamed names
        self.statements: list[ir.Statement] = []  # where lowered statements go (see buffer)
        self.origin: Origin | None = None  # where the statement being lowered is written
        self.loops: list[LoopFlags] = []  # the loops enclosing the statement, innermost last
        self.lists: set[str] = set()  # names holding a list the function built, here
        self.ever_lists: set[str] = set()  # names that hold one anywhere
        self.tuples: dict[str, list[cst.BaseExpression]] = {}  # names holding a tuple, and its items
        # Functions defined inside (def, or a lambda assigned to a name), as FunctionDefs: inlined where called.
        self.local_functions: dict[str, cst.FunctionDef] = {}
        self.derivatives: dict[str, object] = {}  # names holding a derivative made here (normalize.derivatives)
        self.dicts: dict[str, dict] = {}  # names holding a dict written here: key -> (key as written, atom)
        # Names holding a dict at run time (a parameter read with keys or dict methods): its adjoint is a dict.
        self.mappings: set[str] = _dict_parameters(unit.function)
        self.lists |= self.mappings
        self.ever_lists |= self.mappings
        self.parts: dict[str, tuple[str, ...]] = {}  # names holding a named tuple of parts, and its fields
        # Names holding a container of arrays whose form a call gave (options.structures), and that form.
        self.structures: dict[str, Any] = {}
        self.depth = 0  # how many branches and loops enclose the statement being lowered
        # Parameters whose value the call knows at generation (an int written out, an array's shape):
        # tests reading them decide their branch there (control.known_value), so recursion unrolls.
        self.known: dict[str, object] = {}
        self.bindings = bindings(unit.function)  # name -> how many places bind it
        # What the function returns, found by statements.body before its body is lowered:
        self.arity: int | None = None  # how many values a returned tuple holds; None: one value
        self.nested_returns = False  # whether a return sits inside a branch or loop
        self.returned = ""  # the flag such a return sets
        self.results: list[str] = []  # the names such a return assigns
        self.value: cst.BaseExpression | list[cst.BaseExpression] | None = None  # what the function returns
        self.returned_at: Origin | None = None  # where it returns it

    @contextlib.contextmanager
    def buffer(self) -> Iterator[list[ir.Statement]]:
        """Lower into a new list of statements (a block's, a branch's), yielded; then back to the current one."""
        saved, self.statements = self.statements, []
        try:
            yield self.statements
        finally:
            self.statements = saved

    @contextlib.contextmanager
    def enclosed(self) -> Iterator[None]:
        """Lower statements inside a branch or loop."""
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def where(self, node: cst.CSTNode) -> Origin:
        position = self.unit.positions.get(node)
        if position is None:  # a node made here (a loop's item, an unpacked value): the statement's place
            return self.origin
        return Origin(self.unit.path, position.start.line, position.start.column)

    def refuse(self, node: cst.CSTNode, what: str, hint: str | None = None):
        raise UnsupportedSyntax(f"{what} not supported", self.where(node), hint=hint or DEFAULT_HINT)

    def resolution(self, text: str) -> str | None:
        """What the dotted name ``text`` refers to (a resolution kind); None for the function's own names."""
        if text.split(".")[0] in self.unit.local_names:
            return None
        found = self.unit.resolutions.get(text)
        return found.kind if found else None

    def temp(self) -> str:
        return self.names.temp("n", next(self.shared.temps))

    def next_id(self) -> int:
        return next(self.shared.ids)

    def emit_assign(self, target, value, rule, operands, inactive_only, origin) -> None:
        self.statements.append(ir.Assign(self.next_id(), target, value, rule, operands, origin, inactive_only))
        self.local_functions.pop(target, None)  # the name now holds a value
        self.dicts.pop(target, None)
        if isinstance(value, cst.Name) and value.value in self.mappings:
            self.mappings.add(target)  # the same dict under another name
        else:
            self.mappings.discard(target)
        parts = _parts(rule) or (self.parts.get(value.value, ()) if isinstance(value, cst.Name) else ())
        if parts:
            self.parts[target] = parts
        else:
            self.parts.pop(target, None)
        structure = self._structure(value, rule, operands)
        if structure is not None:
            self.structures[target] = structure
        else:
            self.structures.pop(target, None)
        if structure is not None and structure[0] == "keys":
            self.mappings.add(target)  # a dict inside a container: iterated by its keys
        if (
            rule == "s2sad.list"
            or structure is not None
            or (isinstance(value, cst.Name) and value.value in self.lists)
            or self.zero_list(value)
            or parts
            or _returns_several(rule)  # a tuple or list of arrays: its adjoint is a list, one per array
        ):
            self.lists.add(target)
            self.ever_lists.add(target)
        else:
            self.lists.discard(target)

    def _structure(self, value, rule, operands):
        """The container form ``value`` holds: a copy's, or a part's of a container of known form."""
        if isinstance(value, cst.Name):
            return self.structures.get(value.value)
        base = operands.get("a")
        if rule != "operator.getitem" or not isinstance(base, cst.Name) or base.value not in self.structures:
            return None
        form = part_structure(self.structures[base.value], _constant_key(operands["index"]))
        if form is _MIXED:
            raise UnsupportedSyntax(
                f"the items of '{base.value}' are not all of one form (arrays beside containers, or containers "
                "of different keys), and this reads one by a computed index or a slice: it is",
                self.origin,
                hint="read such items with indices written out, or make them of one form",
            )
        return form

    def flag(self, name: str, value: bool) -> None:
        self.emit_assign(name, cst.Name(str(value)), None, {}, False, self.origin)

    def zero_list(self, value: cst.BaseExpression) -> bool:
        """``_rt.zeros_like(hs)`` of a list (generated code's zero tangent of a list) is a list."""
        return (
            m.matches(
                value, m.Call(func=m.Attribute(value=m.Name(self.names.module("_rt")), attr=m.Name("zeros_like")))
            )
            and isinstance(value.args[0].value, cst.Name)
            and value.args[0].value.value in self.lists
        )


_DICT_METHODS = ("get", "items", "values", "keys")


def _dict_parameters(function: cst.FunctionDef) -> set[str]:
    """The parameters the function reads as dicts: with a string key (``p["w"]``) or a dict's method."""
    params = function.params
    names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    keyed = m.Subscript(
        value=m.Name(), slice=[m.SubscriptElement(slice=m.Index(value=m.SimpleString() | m.ConcatenatedString()))]
    )
    method = m.Call(func=m.Attribute(value=m.Name(), attr=m.OneOf(*map(m.Name, _DICT_METHODS))))
    found = {node.value.value for node in m.findall(function.body, keyed)}
    found |= {node.func.value.value for node in m.findall(function.body, method)}
    return found & names


def _returns_several(rule: str | None) -> bool:
    found = rules.lookup(rule) if rule is not None else None
    return found is not None and found.returns_several


def _parts(rule: str | None) -> tuple[str, ...]:
    """The fields of the named tuple the function of ``rule`` returns (np.linalg.eigh's), if it does."""
    found = rules.lookup(rule) if rule is not None else None
    return found.parts if found is not None and found.named else ()


_SLICE, _COMPUTED, _MIXED = object(), object(), object()


def _constant_key(index) -> object:
    """The key of ``np.s_[key]`` written out (a number, a string), else _SLICE or _COMPUTED."""
    if not (isinstance(index, cst.Subscript) and len(index.slice) == 1):
        return _COMPUTED
    element = index.slice[0].slice
    if isinstance(element, cst.Slice):
        return _SLICE
    node = element.value
    if isinstance(node, (cst.SimpleString, cst.Integer)):
        return node.evaluated_value
    if m.matches(node, m.UnaryOperation(operator=m.Minus(), expression=m.Integer())):
        return -node.expression.evaluated_value
    return _COMPUTED


def part_structure(structure, key):
    """The form of the part ``key`` of a container of form ``structure`` (see runtime.structures);
    _MIXED when a computed key or a slice could give parts of different forms."""
    kind, content = structure
    if kind == "items":
        return structure if key is _SLICE else content
    if kind == "positions":
        if isinstance(key, int) and -len(content) <= key < len(content):
            return content[key]
        forms = content
    else:
        found = dict(content)
        if key in found:
            return found[key]
        if kind == "fields" and isinstance(key, int) and -len(content) <= key < len(content):
            return content[key][1]  # a named tuple's field by position
        forms = tuple(found.values())
    if key is not _SLICE and forms and all(form == forms[0] for form in forms):
        return forms[0]
    return _MIXED
