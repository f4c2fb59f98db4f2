"""Analyse: which statements get adjoints, which overwritten values the reverse sweep needs, shapes.

Requires: the normalized program, after memory. Provides ``Unit.activity``
(``facts.Activity``), found by dataflow over the program's structure
(branches join, loops iterate to a fixed point), keyed by statement id:

- active statements: the target depends on a ``wrt`` parameter (varied) and
  reaches the returned value (useful). Only these get adjoint code, and only
  for their active operands.
- live names at each branch and loop boundary (varied and useful there): the
  adjoints the reverse sweep keeps in variables across it; ``zeros`` says
  which of them it may have to start at zero there.
- recorded statements: those that overwrite a value the reverse sweep reads
  later (an operand of an adjoint, or the shape of a zero adjoint); the forward
  sweep saves the old value on the tape before them. A loop is recorded when
  its loop variable overwrites such a value (``recording``).
- operands known to have the output's shape, so their adjoint needs no
  ``unbroadcast`` (elementwise operations on names of one shape class: ``shapes``).

Refuses, at the statement, a value that depends on ``wrt`` flowing somewhere
that carries no derivative (``np.arange(x)``, a tuple of active values, an
index, a shape, an option such as ``axis``, the items of ``np.s_[...]``):
nothing differentiated is ever taken for a constant.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import libcst as cst

from s2sad.core import ir
from s2sad import rules
from s2sad.analysis.dataflow import loop_body, loop_head, views
from s2sad.analysis import checkpoints
from s2sad.analysis.recording import Recorder, updated_bases
from s2sad.analysis.forms import Form
from s2sad.analysis.shapes import ShapeClasses, shaped_by_sources
from s2sad.errors import NoRule, UnsupportedSyntax
from s2sad.core.facts import Activity, Resolution
from s2sad.frontend import own_helpers
from s2sad.frontend.resolve import is_library_call, no_rule_hint
from s2sad.frontend.scope import dotted
from s2sad.options import Options
from s2sad.core.unit import Unit


def run(unit: Unit, options: Options) -> Unit:
    function = unit.ir
    varied = _Varied(_mentioned(function.body), unit)
    varied.block(function.body, set(options.wrt))
    useful = _Useful(varied)
    useful.block(function.body, set())
    active = dict(sorted(useful.active.items()))
    names = {id_: frozenset(varied.names.get(id_, ())) for id_ in active}
    zeros_before, zeros_after = _zeros(function.body, active, names, varied.at, useful.at)
    forms = {name: Form(rank, frozenset(ones)) for name, rank, ones in options.shapes}
    shapes = ShapeClasses(function.lists, forms, arrays=frozenset(options.wrt) - function.lists)
    shapes.block(function.body, depth=0)
    same_shape = shapes.same_shape()
    shaped_by = shaped_by_sources(function, unit.names.temp("n", 0)[:-1])
    shares = views(function.body, rules.VIEWS | set(rules.CUSTOM))  # a user's rule may return a view
    _refuse_library_results_updated(function.body, shares, unit)
    plan = checkpoints.plan(unit, options, shares)
    recorder = Recorder(
        active, same_shape, zeros_before, zeros_after, shaped_by, updated_bases(shares, function), shares, plan
    )
    recorder.block(function.body, set(options.wrt))
    reverse = _with_reverse(function.body, active, recorder.recorded, zeros_before, zeros_after)
    return dataclasses.replace(
        unit,
        activity=Activity(
            active,
            names,
            frozenset(recorder.recorded),
            same_shape,
            zeros_before,
            zeros_after,
            reverse,
            shaped_by,
            shapes.returns_scalar(function.body[-1]),
            frozenset(recorder.shape_only),
            shapes.sums(),
            shapes.ranks(function.parameters),
            recorder.checkpointed,
            plan.taped_whole,
        ),
    )


class _Varied:
    """Forward: the names that depend on ``wrt`` after each statement."""

    def __init__(self, mentioned: Mapping[int, frozenset[str]], unit: Unit):
        # To name a library function a differentiated value must not reach.
        self.resolutions, self.placeholders, self.foreign = unit.resolutions, unit.names, unit.foreign
        self.operands: dict[int, set[str]] = {}  # statement id -> varied differentiable parameters
        self.names: dict[int, set[str]] = {}  # statement id -> varied operand names
        # (branch or loop id, "entry" or "exit") -> the names varied there, of those it mentions (_zeros
        # asks for no others; all of them, at every branch of a long function, take memory as the square).
        self.at: dict[tuple[int, str], set[str]] = {}
        self.mentioned = mentioned

    def block(self, statements, varied: set[str]) -> set[str]:
        for statement in statements:
            match statement:
                case ir.Assign():
                    self.assign(statement, varied)
                case ir.Append() | ir.SetItem():
                    self.update(statement, varied)
                case ir.If():
                    self.at[(statement.id, "entry")] = varied & self.mentioned[statement.id]
                    varied = self.block(statement.body, set(varied)) | self.block(statement.orelse, set(varied))
                    self.at[(statement.id, "exit")] = varied & self.mentioned[statement.id]
                case ir.Loop():
                    if statement.target:
                        varied.discard(statement.target)
                    head = loop_head(varied, lambda head: self.block(loop_body(statement), head))
                    self.at[(statement.id, "entry")] = self.at[(statement.id, "exit")] = (
                        head & self.mentioned[statement.id]
                    )
                    varied = head
                case ir.Return() | ir.Guard():
                    pass  # no value that later statements read
                case _:
                    ir.unknown(statement)
        return varied

    def update(self, statement: ir.Append | ir.SetItem, varied: set[str]) -> None:
        if isinstance(statement, ir.SetItem):
            self.refuse_inactive(ir.names_read(statement.index_value) & varied, "the index", self.INDEX_HINT, statement)
        # The updated object keeps its other items: it stays varied if it was.
        depends = ir.names_read(statement.value) & varied
        if depends or statement.target in varied:
            self.operands.setdefault(statement.id, set()).update({"value"} if depends else set())
            self.names.setdefault(statement.id, set()).update(depends)
            varied.add(statement.target)

    def assign(self, statement: ir.Assign, varied: set[str]) -> None:
        if statement.rule is None:
            self.refuse_passive(statement, statement.reads() & varied)
            varied.discard(statement.target)
            return
        rule = rules.lookup(statement.rule)
        self.refuse_inactive_operands(statement, rule, varied)
        parameters = set()
        names: set[str] = set()
        for index, parameter in enumerate(rule.differentiable):
            depends = statement.operand_names(parameter) & varied
            if not depends:
                continue
            operand = statement.operands.get(parameter)
            if isinstance(operand, (cst.Tuple, cst.List)) and parameter not in rule.sequences:
                raise UnsupportedSyntax(
                    f"a tuple or list holding {_names(depends)} (differentiated) is passed as "
                    f"'{parameter}' of {rules.spelling(rule.name)}",
                    statement.origin,
                    hint="pass an array: np.array([...]) or np.stack([...])",
                )
            if rule.adjoint.results[index] is not None:
                parameters.add(parameter)
                names |= depends
        if parameters:
            self.operands.setdefault(statement.id, set()).update(parameters)
            self.names.setdefault(statement.id, set()).update(names)
            varied.add(statement.target)
        else:
            varied.discard(statement.target)

    def refuse_passive(self, statement: ir.Assign, depends: set[str]) -> None:
        """Refuse a differentiated value (``depends``) in a value that must not depend on one."""
        if not (statement.inactive_only and depends):
            return
        self.refuse_library_call(statement, depends)
        if isinstance(statement.value, cst.Attribute):  # cfg.lr of a differentiated object
            raise UnsupportedSyntax(
                f"a field of {_names(depends)}, which is differentiated, is read here; s2sad differentiates "
                "arrays, numbers and dicts of them, not other objects' fields",
                statement.origin,
                hint="pass the field's array as an argument of its own, or a dict of arrays",
            )
        if isinstance(statement.value, cst.Subscript):  # np.s_[...], np.mgrid[...] (issue 13)
            raise UnsupportedSyntax(
                f"this index or grid depends on {_names(depends)}, which is differentiated, "
                "but s2sad carries no derivative through it",
                statement.origin,
                hint="keep the items of np.s_[...], np.index_exp[...], np.ogrid[...] and np.mgrid[...] "
                "independent of the differentiated arguments (index the array directly: x[i:j])",
            )
        raise UnsupportedSyntax(
            f"this value depends on {_names(depends)}, which is differentiated, "
            "but goes where s2sad carries no derivative",
            statement.origin,
            hint="build arrays with np.array([...]) or np.stack, and keep sizes and ranges "
            "independent of the differentiated arguments",
        )

    def refuse_library_call(self, statement: ir.Assign, depends: set[str]) -> None:
        """A library function with no rule (resolve.LIBRARY), given a differentiated value: refused,
        naming it (as the user wrote it, if this is the user's function, not one inlined from
        another module, whose names are renamed)."""
        text, found = library_called(statement, self.resolutions, self.placeholders)
        called = dotted(statement.value.func) if isinstance(statement.value, cst.Call) else None
        helper = own_helpers.called_helper(called, found and found.name, self.foreign)
        if helper is not None:  # generated code differentiated again (a second derivative)
            raise own_helpers.refusal(helper, statement.origin)
        if found is None:
            return
        raise NoRule(
            f"no derivative rule for '{text}' ({found.name}), and it is given {_names(depends)}, "
            "which is differentiated",
            statement.origin,
            hint=no_rule_hint(found.name),
        )

    def refuse_inactive_operands(self, statement: ir.Assign, rule, varied: set[str]) -> None:
        """An index, a shape or an option (axis, ord, a custom rule's parameter with a default) gets no
        derivative: a differentiated value there would be taken for a constant (issue 13)."""
        for parameter in statement.operands:
            if parameter in rule.inactive or parameter not in rule.differentiable:
                depends = statement.operand_names(parameter) & varied
                if rule.name == "operator.getitem":
                    self.refuse_inactive(depends, "the index", self.INDEX_HINT, statement)
                elif rule.custom:
                    self.refuse_inactive(
                        depends,
                        f"'{parameter}' of {rules.spelling(rule.name)}",
                        f"in the rule of {rules.spelling(rule.name)}, a parameter without a "
                        "default gets a derivative; or keep this one independent of the "
                        "differentiated arguments",
                        statement,
                    )
                else:
                    self.refuse_inactive(
                        depends,
                        f"'{parameter}' of {rules.spelling(rule.name)}",
                        "keep indices, shapes and options independent of the differentiated " "arguments",
                        statement,
                    )

    INDEX_HINT = (
        "index with integers, slices or masks that do not depend on the differentiated arguments "
        "(to join arrays, use np.concatenate([a, b]))"
    )

    @staticmethod
    def refuse_inactive(depends: set[str], what: str, hint: str, statement) -> None:
        """Refuse a differentiated value (``depends``) reaching ``what``, an operand that carries no derivative."""
        if depends:
            raise UnsupportedSyntax(
                f"{what} depends on {_names(depends)}, which is differentiated, but s2sad carries no derivative "
                "through it",
                statement.origin,
                hint=hint,
            )


class _Useful:
    """Backward: the names that reach the result before each statement; marks active statements."""

    def __init__(self, varied: _Varied):
        self.varied = varied
        self.active: dict[int, tuple[str, ...]] = {}
        self.at: dict[tuple[int, str], set[str]] = {}  # like _Varied.at: the names it mentions only

    def block(self, statements, useful: set[str]) -> set[str]:
        for statement in reversed(statements):
            match statement:
                case ir.Return():
                    useful = ir.names_read(statement.value)
                case ir.Assign():
                    self.assign(statement, useful)
                case ir.Append() | ir.SetItem():
                    if statement.target in useful and statement.id in self.varied.operands:
                        parameters = self.varied.operands[statement.id]
                        self.active[statement.id] = tuple(sorted(parameters))
                        if parameters:
                            useful |= ir.names_read(statement.value)
                case ir.If():
                    self.at[(statement.id, "exit")] = useful & self.varied.mentioned[statement.id]
                    useful = self.block(statement.body, set(useful)) | self.block(statement.orelse, set(useful))
                    self.at[(statement.id, "entry")] = useful & self.varied.mentioned[statement.id]
                case ir.Loop():
                    self.at[(statement.id, "exit")] = useful & self.varied.mentioned[statement.id]
                    useful = loop_head(useful, lambda head: self.block(loop_body(statement), head))
                    self.at[(statement.id, "entry")] = useful & self.varied.mentioned[statement.id]
                case ir.Guard():
                    pass  # it binds nothing
                case _:
                    ir.unknown(statement)
        return useful

    def assign(self, statement: ir.Assign, useful: set[str]) -> None:
        if statement.target not in useful:
            return
        useful.discard(statement.target)
        parameters = self.varied.operands.get(statement.id)
        if not parameters:
            return
        rule = rules.lookup(statement.rule)
        self.active[statement.id] = tuple(p for p in rule.differentiable if p in parameters)
        for parameter in parameters:
            useful |= statement.operand_names(parameter)


def _refuse_library_results_updated(body, shares, unit: Unit) -> None:
    """A library function with no rule may return its argument, or a view of it (s2sad cannot tell):
    refuse, at the call, an update in place that may run after it (later, or in a loop around both)
    to an array that may share memory with its arguments or its value."""
    order: dict[int, tuple[int, frozenset[int]]] = {}  # statement id -> (place in order, loops around it)

    def visit(statements, loops: frozenset[int]) -> None:
        for statement in statements:
            order[statement.id] = (len(order), loops)
            if isinstance(statement, ir.If):
                visit(statement.body + statement.orelse, loops)
            elif isinstance(statement, ir.Loop):
                visit(loop_body(statement), loops | {statement.id})

    visit(body, frozenset())
    updates = [s for s in ir.walk(body) if isinstance(s, (ir.SetItem, ir.Append))]
    for statement in ir.walk(body):
        if not isinstance(statement, ir.Assign):
            continue
        text, found = library_called(statement, unit.resolutions, unit.names)
        if found is None:
            continue
        arrays = {statement.target}.union(*(ir.names_read(a.value) for a in statement.value.args))
        place, loops = order[statement.id]
        for update in updates:
            later = order[update.id][0] > place or loops & order[update.id][1]
            shared = set().union(*(shares.group(name) for name in arrays)) & shares.group(update.target)
            if later and shared:
                raise UnsupportedSyntax(
                    f"{text} has no derivative rule, and s2sad cannot tell whether its value shares memory "
                    f"with {_names(arrays & shared)}, which is updated in place after the call",
                    statement.origin,
                    hint=f"give {text} a copy (x.copy()) or copy its value: y = {text}(...).copy()",
                )


def library_called(statement: ir.Assign, resolutions: Mapping[str, Resolution], names) -> tuple:
    """(the name as the user wrote it, its resolution) if ``statement`` calls a library function with
    no rule, else (None, None). Normalize spells one through generated code's own numpy, math or
    builtins (``_s2sad_np.tril``); a name of an inlined function from another module is renamed
    (no resolution here: None, None)."""
    if not (statement.inactive_only and isinstance(statement.value, cst.Call)):
        return None, None
    text = dotted(statement.value.func)
    if text is None:
        return None, None
    found = resolutions.get(text)
    if found is not None:
        return (text, found) if is_library_call(found) else (None, None)
    root, _, rest = text.partition(".")
    modules = {names.module("np"): "numpy", names.module("math"): "math"}
    if root in modules:
        name = f"{modules[root]}.{rest}"
    elif root.startswith(names.builtin("")):
        name = "builtins." + root.removeprefix(names.builtin(""))
    else:
        return None, None
    written = [(t, r) for t, r in resolutions.items() if r.name == name and is_library_call(r)]
    return written[0] if written else (None, None)


def _mentioned(body) -> dict[int, frozenset[str]]:
    """Per branch or loop id, the names it assigns or updates and the operands of its statements:
    all those whose adjoint its reverse may write (``_touched``), whatever turns out active."""
    found: dict[int, frozenset[str]] = {}

    def block(statements) -> set[str]:
        names: set[str] = set()
        for statement in statements:
            match statement:
                case ir.Assign():
                    names.add(statement.target)
                    names.update(*map(statement.operand_names, statement.operands))
                case ir.Append() | ir.SetItem():
                    names.add(statement.target)
                    names |= ir.names_read(statement.value)
                case ir.If():
                    inner = block(statement.body + statement.orelse)
                    found[statement.id] = frozenset(inner)
                    names |= inner
                case ir.Loop():
                    inner = block(loop_body(statement))
                    if statement.target:
                        inner.add(statement.target)
                    found[statement.id] = frozenset(inner)
                    names |= inner
                case ir.Return() | ir.Guard():
                    pass  # no adjoint to write
                case _:
                    ir.unknown(statement)
        return names

    block(body)
    return found


def _touched(statements, active, names) -> set[str]:
    """Names whose adjoint the reverse of ``statements`` writes: active targets and operands,
    and every name they rebind (the reverse sweep drops the adjoint of an overwritten value)."""
    found: set[str] = ir.rebound(statements)
    for statement in ir.walk(statements):
        if statement.id in active:
            found.add(statement.target)
            found |= names[statement.id]
    return found


def _zeros(body, active, names, varied_at, useful_at):
    """Per branch or loop id, the adjoints live at its exit (before) and at its entry or loop head
    (after) that the reverse sweep may have to start at zero there (``Activity.zeros_before/after``)."""
    before: dict[int, frozenset[str]] = {}
    after: dict[int, frozenset[str]] = {}

    def boundary(statement):
        """The adjoints the reverse of ``statement`` touches, and the names live at its exit and entry."""
        touched = _touched([statement], active, names)
        key = statement.id
        return (
            touched,
            varied_at[(key, "exit")] & useful_at[(key, "exit")],
            varied_at[(key, "entry")] & useful_at[(key, "entry")],
        )

    for statement in ir.walk(body):
        key = statement.id
        match statement:
            case ir.Loop():
                touched, exit_live, entry_live = boundary(statement)
                # The adjoints carried around a reversed loop: the same set at every iteration,
                # at zero again at its end only where the iteration consumed one and gave none back.
                carried = frozenset(touched & (entry_live | exit_live))
                before[key] = carried
                after[key] = frozenset(
                    n for n in carried & ir.rebound(statement.body) if not _reproduced(n, statement.body, active, names)
                )
            case ir.If():
                touched, exit_live, entry_live = boundary(statement)
                before[key] = frozenset(touched & exit_live)
                branches_assign = ir.rebound(statement.body + statement.orelse)
                after[key] = frozenset(n for n in touched & entry_live if n not in before[key] or n in branches_assign)
            case ir.Assign() | ir.Return() | ir.Guard() | ir.Append() | ir.SetItem():
                pass  # no boundary of its own
            case _:
                ir.unknown(statement)
    return before, after


def _reproduced(name: str, body, active, names) -> bool:
    """Whether reversing ``body`` always gives ``name`` an adjoint again after consuming it.

    True when an unconditional active statement reads ``name`` before the body
    first assigns it (the reverse sweep meets that read after the assignment).
    """
    for statement in body:
        match statement:
            case ir.Assign() if statement.target == name:
                return False
            case ir.If() | ir.Loop() if name in ir.assigned([statement]):
                return False
            case ir.Assign() if statement.id in active and name in names[statement.id]:
                return True
            case ir.Assign() | ir.If() | ir.Loop() | ir.Return() | ir.Guard() | ir.Append() | ir.SetItem():
                pass  # neither assigns it nor reads it for an adjoint
            case _:
                ir.unknown(statement)
    return False


def _with_reverse(body, active, recorded, zeros_before, zeros_after) -> frozenset[int]:
    """Branches and loops that contain something the reverse sweep must do (an adjoint, a
    restore, or an overwrite that drops an adjoint)."""
    found = set()
    for statement in ir.walk(body):
        match statement:
            case ir.If():
                inner = list(ir.walk(statement.body + statement.orelse))
            case ir.Loop():
                inner = list(ir.walk(statement.body))
            case ir.Assign() | ir.Return() | ir.Guard() | ir.Append() | ir.SetItem():
                continue  # not a branch or loop
            case _:
                ir.unknown(statement)
        if any(s.id in active or s.id in recorded for s in inner):
            found.add(statement.id)
        elif (zeros_before[statement.id] | zeros_after[statement.id]) & ir.rebound([statement]):
            found.add(statement.id)
    return frozenset(found)


def _names(names: set[str]) -> str:
    """The user's names among ``names``, for a message (s2sad's own temporaries mean nothing to a user)."""
    shown = sorted(n for n in names if not n.startswith("_s2sad_"))
    return ", ".join(f"'{n}'" for n in shown) if shown else "an intermediate value"
