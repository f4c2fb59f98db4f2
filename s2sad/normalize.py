"""Normalize: the user's function -> A-normal form (``ir.Function``), refusing what it cannot lower.

Requires: resolutions from resolve. Guarantees: every statement applies one
operation to atoms (names and literals); calls are spelled canonically
(``np.exp``, whatever the user imported them as); methods become functions
(``x.sum(axis=1)`` -> ``np.sum(x, axis=1)``, ``x.T`` -> ``np.transpose(x)``);
``x += e`` becomes ``x = x + e``; no statement assigns a name it reads.

    z = x @ w + b                  _n1 = x @ w
    p = 1.0 / (1.0 + np.exp(-z))   z = _n1 + b
                                   _n2 = -z
                                   ...

check.py has already refused what is outside the language's syntax; what
remains to refuse here (an unknown array method, a call that does not match
its rule's signature) raises UnsupportedSyntax at its own line and column.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Iterator

import libcst as cst
import libcst.matchers as m

from s2sad import check, ir, load, resolve, rules, templates
from s2sad.errors import NotFound, Origin, UnsupportedSyntax
from s2sad.naming import Names, names_in
from s2sad.options import Options
from s2sad.resolve import dotted
from s2sad.rules import syntax
from s2sad.templates import substitute
from s2sad.unit import Unit

# Python's operators, as rules.syntax.OPERATORS spells them.
_OPERATOR_TOKENS = {
    cst.Add: "+",
    cst.Subtract: "-",
    cst.Multiply: "*",
    cst.Divide: "/",
    cst.Power: "**",
    cst.MatrixMultiply: "@",
    cst.Modulo: "%",
}
# Piecewise constant (floor division) or defined on booleans and integers only.
_PASSIVE_BINARY = (cst.FloorDivide, cst.BitAnd, cst.BitOr, cst.BitXor, cst.LeftShift, cst.RightShift)


def run(unit: Unit, options: Options) -> Unit:
    context = _Context(Names.avoiding(names_in(unit.function)), stack=[(unit.path, unit.name)])
    function = _Lowering(unit, context).function()
    return dataclasses.replace(
        unit,
        ir=function,
        names=context.names,
        foreign=dict(context.foreign),
        dependencies=frozenset({(unit.filename, unit.module_name), *context.files}),
    )


@dataclasses.dataclass
class _Context:
    """What the lowering of a function and of the functions it inlines share."""

    names: Names
    stack: list[tuple[str, str]]  # the functions being inlined, outermost first (to refuse recursion)
    ids: Iterator[int] = dataclasses.field(default_factory=itertools.count)
    temps: Iterator[int] = dataclasses.field(default_factory=lambda: itertools.count(1))
    serials: Iterator[int] = dataclasses.field(default_factory=lambda: itertools.count(1))
    lists: set[str] = dataclasses.field(default_factory=set)  # inlined functions' list names, renamed
    # (file, module) of every inlined function and custom rule: their text is in the generated code
    files: set[tuple[str, str | None]] = dataclasses.field(default_factory=set)
    # placeholder -> (where the name lives: live globals or module name, the name there)
    foreign: dict[str, tuple[object, str]] = dataclasses.field(default_factory=dict)


def module_name(names: Names, dotted_name: str) -> cst.BaseExpression:
    """The canonical spelling of a library name in generated code: ``np.linalg.solve``."""
    spelled = rules.spelling(dotted_name).split(".")
    if spelled[0] in templates.MODULE_NAMES:
        spelled[0] = names.module(spelled[0])
    expression: cst.BaseExpression = cst.Name(spelled[0])
    for attribute in spelled[1:]:
        expression = cst.Attribute(value=expression, attr=cst.Name(attribute))
    return expression


def _is_append(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "append"


class _Inlined(Exception):
    """static_tuple inlined a call that returns one value, not a tuple: here is the value."""

    def __init__(self, value):
        self.value = value


@dataclasses.dataclass
class _LoopFlags:
    broke: str
    skipped: str
    used: set[str] = dataclasses.field(default_factory=set)


def _items(body) -> list:
    """The statements of a block, simple statements taken one by one."""
    lines = [cst.SimpleStatementLine(body=body.body)] if isinstance(body, cst.SimpleStatementSuite) else body.body
    items = []
    for line in lines:
        if isinstance(line, cst.SimpleStatementLine):
            items.extend(line.body)
        else:
            items.append(line)
    return items


def _bindings(function: cst.FunctionDef):
    """How many assignments bind each name in ``function``."""
    from collections import Counter

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


def _nested_smalls(node: cst.CSTNode, stop_at_loops: bool = False):
    """Small statements anywhere in ``node`` (not inside loops nested in it, if asked)."""
    found = []

    class Finder(cst.CSTVisitor):
        def on_visit(self, inner: cst.CSTNode) -> bool:
            if inner is not node and stop_at_loops and isinstance(inner, (cst.For, cst.While)):
                return False
            if isinstance(inner, cst.BaseSmallStatement):
                found.append(inner)
            return True

    node.visit(Finder())
    return found


def _any_of(names) -> cst.BaseExpression:
    expression: cst.BaseExpression = cst.Name(names[0])
    for name in names[1:]:
        expression = cst.BooleanOperation(left=expression, operator=cst.Or(), right=cst.Name(name))
    return expression


def _index(held: cst.BaseExpression, index: str) -> cst.Subscript:
    return cst.Subscript(value=held, slice=[cst.SubscriptElement(cst.Index(cst.Name(index)))])


class _Lowering:
    def __init__(self, unit: Unit, context: _Context):
        self.unit = unit
        self.context = context
        self.names = context.names
        self.statements: list[ir.Statement] = []
        self.ids = context.ids
        self.temps = context.temps
        self.serial = next(context.serials)
        self.origin: Origin | None = None
        self.loops: list[_LoopFlags] = []
        self.lists: set[str] = set()  # names holding a list the function built, here
        self.tuples: dict[str, list[cst.BaseExpression]] = {}  # names holding a tuple, and its items
        self.depth = 0  # how many branches and loops enclose the statement being lowered
        self.bindings = _bindings(unit.function)  # name -> how many places bind it
        self.ever_lists: set[str] = set()  # names that hold one anywhere

    # -- helpers -------------------------------------------------------------

    def where(self, node: cst.CSTNode) -> Origin:
        position = self.unit.positions.get(node)
        if position is None:  # a node made here (a loop's item, an unpacked value): the statement's place
            return self.origin
        return Origin(self.unit.path, position.start.line, position.start.column)

    def refuse(self, node: cst.CSTNode, what: str, hint: str | None = None):
        raise UnsupportedSyntax(f"{what} not supported", self.where(node), hint=hint or _DEFAULT_HINT)

    def temp(self) -> str:
        return self.names.temp("n", next(self.temps))

    def emit_assign(self, target, value, rule, operands, inactive_only, origin):
        self.statements.append(ir.Assign(next(self.ids), target, value, rule, operands, origin, inactive_only))
        if rule == "s2sad.list" or (isinstance(value, cst.Name) and value.value in self.lists) or self.zero_list(value):
            self.lists.add(target)
            self.ever_lists.add(target)
        else:
            self.lists.discard(target)

    # -- function and statements -----------------------------------------------

    def function(self) -> ir.Function:
        definition = self.unit.function
        self.origin = self.where(definition.name)
        params = definition.params
        declared = (*params.posonly_params, *params.params, *params.kwonly_params)
        parameters = tuple(p.name.value for p in declared)
        parameter_origins = {p.name.value: self.where(p.name) for p in declared}
        signature = params.visit(_StripAnnotations(self))
        body, value = self.body(parameters)
        if isinstance(value, list):
            raise UnsupportedSyntax(
                f"'{definition.name.value}' returns several values; s2sad differentiates one result",
                self.returned_at,
                hint="return one array or number (a vjp of several outputs: stack them into one array)",
            )
        body.append(ir.Return(next(self.ids), value, self.returned_at))
        return ir.Function(
            definition.name.value,
            parameters,
            signature,
            tuple(body),
            self.where(definition.name),
            parameter_origins,
            frozenset(self.ever_lists | self.context.lists),
        )

    def body(self, parameters) -> tuple[list[ir.Statement], cst.BaseExpression | list[cst.BaseExpression]]:
        """The function's body lowered, and what it returns: an atom, or atoms for a tuple."""
        definition = self.unit.function
        items = _items(definition.body)
        returns = [s for s in _nested_smalls(definition.body) if isinstance(s, cst.Return)]
        sizes = {len(r.value.elements) if isinstance(r.value, cst.Tuple) else None for r in returns}
        self.arity = sizes.pop() if len(sizes) == 1 else None
        if len(sizes) > 0:
            self.refuse(
                returns[0],
                "returning tuples of different lengths, or a tuple here and a value there, is",
                "return the same kind of value everywhere",
            )
        # A return inside a branch or loop is lowered to `result = ...; returned = True`,
        # with what follows guarded by `if not returned`; the function then returns `result`.
        self.nested_returns = any(
            isinstance(small, cst.Return)
            for item in items
            if not isinstance(item, cst.BaseSmallStatement)
            for small in _nested_smalls(item)
        )
        self.returned = self.names.role(f"v_returned_{self.serial}")
        self.results = [self.names.role(f"v_result_{self.serial}_{i}") for i in range(self.arity or 1)]
        self.value = None
        self.returned_at = self.origin
        body = self.block(items)
        if self.nested_returns:
            self.flag(self.returned, False)
            body.insert(0, self.statements.pop())
            self.value = [cst.Name(r) for r in self.results] if self.arity else cst.Name(self.results[0])
        return body, self.value

    def flag(self, name: str, value: bool) -> None:
        self.emit_assign(name, cst.Name(str(value)), None, {}, False, self.origin)

    def block(self, items) -> list[ir.Statement]:
        """Lower a block; after a statement that may break, continue or return, guard the rest."""
        saved, self.statements = self.statements, []
        for index, node in enumerate(items):
            jumps = self.statement(node)
            if jumps is None:  # a plain return: nothing after it runs
                break
            rest = items[index + 1 :]
            if jumps and rest:
                origin = self.where(rest[0])
                test = cst.UnaryOperation(operator=cst.Not(), expression=_any_of(sorted(jumps)))
                guarded = self.block(rest)
                self.statements.append(ir.If(next(self.ids), test, tuple(guarded), (), origin))
                break
        lowered, self.statements = self.statements, saved
        return lowered

    def statement(self, node) -> set[str] | None:
        """Lower one statement: the flags it may set (break, continue, return), None after a return."""
        self.origin = self.where(node)
        if isinstance(node, cst.Return):
            self.origin = self.returned_at = self.where(node.value)
            values = [e.value for e in node.value.elements] if self.arity else [node.value]
            for value in values:
                if m.matches(self.literal(value), m.Name("None") | m.SimpleString() | m.ConcatenatedString()):
                    self.refuse(
                        value,
                        "returning None or a string from a function to differentiate is",
                        "return the number or array to differentiate",
                    )
            if not self.nested_returns:
                atoms = [self.atom(v) for v in values]
                self.value = atoms if self.arity else atoms[0]
                return None
            for result, value in zip(self.results, values, strict=True):
                self.assign_name(result, value)
            self.flag(self.returned, True)
            return {self.returned}
        if isinstance(node, (cst.Break, cst.Continue)):
            loop = self.loops[-1]
            name = loop.broke if isinstance(node, cst.Break) else loop.skipped
            loop.used.add(name)
            self.flag(name, True)
            return {name}
        if isinstance(node, cst.If):
            return self.if_statement(node)
        if isinstance(node, cst.For):
            return self.for_loop(node)
        if isinstance(node, cst.While):
            return self.while_loop(node)
        if isinstance(node, cst.Assign) and isinstance(node.targets[0].target, cst.Subscript):
            self.set_item(node.targets[0].target, node.value)
        elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Subscript):
            self.set_item(node.target, node.value, node.operator)
        elif isinstance(node, cst.Expr) and _is_append(node.value):
            self.append(node.value)
        elif isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
            self.check_call(node)
        elif isinstance(node, cst.Assign):
            self.assign(node.targets, node.value)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.assign([cst.AssignTarget(target=node.target)], node.value)
        elif isinstance(node, cst.AugAssign):
            name = node.target.value
            if name not in self.lists and name not in self.tuples:
                self.update_if_array(node)
            else:
                self.assign([cst.AssignTarget(target=node.target)], _binary(node))
        return set()

    # -- control flow --------------------------------------------------------------

    def if_statement(self, node: cst.If) -> set[str]:
        self.depth += 1
        try:
            return self._if_statement(node)
        finally:
            self.depth -= 1

    def _if_statement(self, node: cst.If) -> set[str]:
        test = self.condition(node.test)
        origin = self.where(node)
        body = self.block(_items(node.body))
        orelse: list[ir.Statement] = []
        jumps = set(self.jumps_in(node.body))
        if isinstance(node.orelse, cst.If):  # elif
            saved, self.statements = self.statements, []
            jumps |= self._if_statement(node.orelse)
            orelse, self.statements = self.statements, saved
        elif isinstance(node.orelse, cst.Else):
            orelse = self.block(_items(node.orelse.body))
            jumps |= self.jumps_in(node.orelse.body)
        self.statements.append(ir.If(next(self.ids), test, tuple(body), tuple(orelse), origin))
        return jumps

    def jumps_in(self, node: cst.CSTNode) -> set[str]:
        """Flags a block may set that matter outside it: return, and this loop's break/continue."""
        found: set[str] = set()
        for small in _nested_smalls(node, stop_at_loops=True):
            if isinstance(small, cst.Break):
                found.add(self.loops[-1].broke)
            elif isinstance(small, cst.Continue):
                found.add(self.loops[-1].skipped)
        if self.nested_returns and any(isinstance(s, cst.Return) for s in _nested_smalls(node)):
            found.add(self.returned)
        return found

    def for_loop(self, node: cst.For) -> set[str]:
        if node.orelse is not None:
            self.refuse(node.orelse, "for ... else is", "move the else part after the loop, behind a flag")
        origin = self.where(node)
        iterable = _bare(node.iter)
        if self.is_static_tuple(iterable):
            return self.unrolled_loop(node, lambda: self.static_tuple(iterable))
        text = dotted(iterable.func) if isinstance(iterable, cst.Call) else None
        called = self.unit.resolutions.get(text) if text else None
        called = called.name if called is not None and text.split(".")[0] not in self.unit.local_names else None
        if called in ("builtins.zip", "builtins.enumerate"):
            args = [arg.value for arg in iterable.args if arg.keyword is None]
            sequences = args if called == "builtins.zip" else args[:1]
            tuples = [arg for arg in sequences if self.is_static_tuple(arg)]
            if tuples and len(tuples) == len(sequences):
                return self.unrolled_loop(node, lambda: self.zipped(called, iterable))
            if tuples:
                self.refuse(
                    tuples[0],
                    f"{called.split('.')[1]}() over a tuple together with arrays or lists is",
                    "make them all tuples (the loop is then unrolled), or all arrays or lists",
                )
        index_name = self.temp()
        prologue: list[tuple[cst.BaseExpression, cst.BaseExpression]] = []  # (target, value) per iteration
        if called == "builtins.range":
            if not isinstance(node.target, cst.Name):
                self.refuse(node.target, "unpacking a range's numbers is")
            loop_range = iterable
            index_name = node.target.value
        elif called in ("builtins.zip", "builtins.enumerate"):
            args = [arg.value for arg in iterable.args if arg.keyword is None]
            start = next((arg.value for arg in iterable.args if arg.keyword and arg.keyword.value == "start"), None)
            if called == "builtins.enumerate" and len(args) == 2:
                args, start = args[:1], args[1]
            held = [self.snapshot(arg) for arg in args]
            targets = node.target
            if not isinstance(targets, (cst.Tuple, cst.List)):
                self.refuse(
                    targets,
                    f"iterating over {called.split('.')[1]}() into one name is",
                    "unpack the items: for a, b in ...",
                )
            if called == "builtins.zip":
                lengths = [self.helper_call("builtins.len", h) for h in held]
                count = lengths[0]
                if len(lengths) > 1:
                    count = cst.Name(self.temp())
                    shortest = cst.Call(func=cst.Name(self.names.builtin("min")), args=[cst.Arg(n) for n in lengths])
                    self.emit_assign(count.value, shortest, None, {}, False, self.origin)
                items = [_index(h, index_name) for h in held]
                prologue = list(zip([e.value for e in targets.elements], items, strict=True))
            else:
                count = self.helper_call("builtins.len", held[0])
                number = (
                    cst.Name(index_name)
                    if start is None
                    else cst.BinaryOperation(left=cst.Name(index_name), operator=cst.Add(), right=start)
                )
                first, second = [e.value for e in targets.elements]
                prologue = [(first, number), (second, _index(held[0], index_name))]
            loop_range = self.helper_call("builtins.range", count)
        else:
            held = self.snapshot(iterable)  # Python iterates the object, even if the name is rebound
            loop_range = self.helper_call("builtins.range", self.helper_call("builtins.len", held))
            prologue = [(node.target, _index(held, index_name))]
        if called == "builtins.range":
            range_name = self.temp()
            self.assign_name(range_name, loop_range)
            loop_range = cst.Name(range_name)
        return self._loop(node, origin, index_name, loop_range, None, (), prologue)

    def unrolled_loop(self, node: cst.For, make_items) -> set[str]:
        """``for w in (w1, w2)``: the items are known here, so the body is repeated for each."""
        jumps = _nested_smalls(node.body, stop_at_loops=True) + [
            s for s in _nested_smalls(node.body) if isinstance(s, cst.Return)
        ]
        if any(isinstance(s, (cst.Break, cst.Continue, cst.Return)) for s in jumps):
            self.refuse(
                node,
                "break, continue or return in a loop over a tuple is",
                "loop over an array, or over range(len(...)), instead",
            )
        items = make_items()
        origin = self.origin
        for item in items:
            self.origin = origin
            self.assign_targets(node.target, item)
            self.statements.extend(self.block(_items(node.body)))
        return set()

    def zipped(self, called: str, iterable: cst.Call) -> list[cst.BaseExpression]:
        """The items of ``zip(t1, t2)`` or ``enumerate(t, start)`` over tuples: tuples of atoms."""
        args = [arg.value for arg in iterable.args if arg.keyword is None]
        if called == "builtins.zip":
            columns = [self.static_tuple(arg) for arg in args]
            return [cst.Tuple(elements=[cst.Element(value=v) for v in row]) for row in zip(*columns, strict=True)]
        columns = [self.static_tuple(args[0])]
        start = args[1] if len(args) > 1 else next((a.value for a in iterable.args if a.keyword is not None), None)
        start = None if start is None else self.atom(start)
        numbers = [cst.Integer(str(i)) for i in range(len(columns[0]))]
        if start is not None:
            numbers = [cst.BinaryOperation(left=start, operator=cst.Add(), right=n) for n in numbers]
        return [
            cst.Tuple(elements=[cst.Element(value=n), cst.Element(value=v)])
            for n, v in zip(numbers, columns[0], strict=True)
        ]

    def while_loop(self, node: cst.While) -> set[str]:
        if node.orelse is not None:
            self.refuse(node.orelse, "while ... else is", "move the else part after the loop, behind a flag")
        origin = self.where(node)
        saved, self.statements = self.statements, []
        test = self.condition(node.test)
        test_block, self.statements = self.statements, saved
        return self._loop(node, origin, None, None, test, tuple(test_block), [])

    def _loop(self, node, origin, target, iterable, test, test_block, prologue) -> set[str]:
        self.depth += 1
        try:
            return self._lower_loop(node, origin, target, iterable, test, test_block, prologue)
        finally:
            self.depth -= 1

    def _lower_loop(self, node, origin, target, iterable, test, test_block, prologue) -> set[str]:
        number = next(self.context.serials)
        flags = _LoopFlags(self.names.role(f"v_broke_{number}"), self.names.role(f"v_skipped_{number}"))
        self.loops.append(flags)
        uses_continue = any(isinstance(s, cst.Continue) for s in _nested_smalls(node.body, stop_at_loops=True))
        uses_break = any(isinstance(s, cst.Break) for s in _nested_smalls(node.body, stop_at_loops=True))
        if uses_break:
            self.flag(flags.broke, False)
        saved, self.statements = self.statements, []
        self.origin = origin
        if uses_continue:
            self.flag(flags.skipped, False)
        for item_target, value in prologue:
            self.assign_targets(item_target, value)
        prefix = self.statements
        self.statements = []
        body = prefix + self.block(_items(node.body))
        self.statements = saved
        self.loops.pop()
        returns = self.nested_returns and any(isinstance(s, cst.Return) for s in _nested_smalls(node.body))
        exits = ([flags.broke] if uses_break else []) + ([self.returned] if returns else [])
        exit_test = _any_of(exits) if exits else None
        self.statements.append(
            ir.Loop(next(self.ids), target, iterable, test_block, test, tuple(body), exit_test, origin)
        )
        return {self.returned} if returns else set()

    def condition(self, node: cst.BaseExpression) -> cst.BaseExpression:
        """A branch or loop test: passive, evaluated with Python's short-circuit rules."""
        node = _bare(node)
        if isinstance(node, cst.BooleanOperation):
            # `a and b` computes b only when a holds: held = a; if held: held = b
            held = self.temp()
            self.emit_assign(held, self.condition(node.left), None, {}, False, self.origin)
            saved, self.statements = self.statements, []
            self.emit_assign(held, self.condition(node.right), None, {}, False, self.origin)
            right, self.statements = self.statements, saved
            test: cst.BaseExpression = cst.Name(held)
            if isinstance(node.operator, cst.Or):
                test = cst.UnaryOperation(operator=cst.Not(), expression=test)
            self.statements.append(ir.If(next(self.ids), test, tuple(right), (), self.origin))
            return cst.Name(held)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            return node.with_changes(expression=self.condition(node.expression))
        if isinstance(node, cst.Comparison):
            value, _, _, _ = self.operation(node)
            return value
        return self.atom(node)

    # -- functions of the user's ------------------------------------------------------

    def inline(self, node: cst.Call, resolution, positional, keywords):
        """Inline a call of the user's function: its body, renamed, in place of the call.

        Inlining (rather than a forward/reverse pair per function) gives each
        call site its own activity and lets the callee's loops and branches use
        the one tape; recursion cannot be inlined and is refused.
        """
        source = resolution.source
        try:
            callee = load.from_function(source) if callable(source) else load.from_file(*source)
        except NotFound as error:
            if error.origin is not None:
                raise
            raise NotFound(f"{error.message}, which is called here", self.where(node), error.hint) from None
        key = (callee.path, callee.name)
        if key in self.context.stack:
            self.refuse(
                node,
                f"a recursive call of '{callee.name}' is",
                "s2sad inlines the functions it calls: write the recursion as a loop",
            )
        callee = resolve.run(check.run(callee, None), None)
        self.context.files.add((callee.filename, callee.module_name))
        lowering = _Lowering(callee, self.context)
        lowering.origin = self.origin
        params = callee.function.params
        declared = [*params.posonly_params, *params.params, *params.kwonly_params]
        parameters = [p.name.value for p in declared]
        arguments = self.bind(node, callee, declared, positional, keywords)
        for name, argument in arguments.items():
            items = self.static_tuple(argument) if self.is_static_tuple(argument) else None
            if items is not None:  # a tuple: the callee uses its items, as the caller would
                lowering.tuples[name] = items
                arguments[name] = cst.Tuple(elements=[cst.Element(value=i) for i in items])
        self.context.stack.append(key)
        defaults = []
        for param in declared:
            if param.name.value not in arguments:
                lowering.assign_name(param.name.value, param.default)
        defaults, lowering.statements = lowering.statements, []
        body, value = lowering.body(parameters)
        self.context.stack.pop()
        renames = {name: self.names.role(f"v_{name}_{lowering.serial}") for name in sorted(callee.local_names)}
        if callee.module_name != self.unit.module_name or callee.path != self.unit.path:
            for text, found in sorted(callee.resolutions.items()):
                root = text.split(".")[0]
                if found.kind == "global" and root not in renames:
                    renames[root] = self.names.role(f"v_{root}_{lowering.serial}")
                    where = (
                        callee.live_globals if callee.live_globals is not None else callee.module_name
                    )  # an empty dict reads live
                    self.context.foreign[renames[root]] = (where, root)
        for name, argument in arguments.items():
            self.assign_name(renames[name], argument)
        self.statements.extend(ir.rename(defaults, renames))
        self.statements.extend(ir.rename(body, renames))
        self.context.lists.update(renames.get(n, n) for n in lowering.ever_lists)
        replacements = {old: cst.Name(new) for old, new in renames.items()}
        if isinstance(value, list):
            return [substitute(v, replacements) for v in value]
        return substitute(value, replacements)

    def bind(self, node, callee, declared, positional, keywords) -> dict[str, cst.BaseExpression]:
        """The call's arguments (atoms, in the caller's names) by the callee's parameter names."""
        positional = [self.operand(value) for value in positional]
        keywords = {key: self.operand(value) for key, value in keywords.items()}
        names = [p.name.value for p in declared]
        by_position = [p.name.value for p in declared if p not in callee.function.params.kwonly_params]
        if len(positional) > len(by_position):
            self.refuse(
                node,
                f"calling '{callee.name}' with {len(positional)} positional arguments is",
                f"it takes {len(by_position)}",
            )
        bound = dict(zip(by_position, positional, strict=False))
        for key, value in keywords.items():
            if key not in names or key in bound:
                self.refuse(
                    node, f"the keyword argument '{key}' of '{callee.name}' is", f"its parameters: {', '.join(names)}"
                )
            bound[key] = value
        missing = [p.name.value for p in declared if p.name.value not in bound and p.default is None]
        if missing:
            self.refuse(node, f"calling '{callee.name}' without {', '.join(missing)} is")
        return bound

    def helper_call(self, name: str, *args: cst.BaseExpression) -> cst.Name:
        """A temporary holding ``name(*args)`` for a helper s2sad itself calls (len, range)."""
        value, _, _, inactive_only = self.apply(name, None, list(args), {}, kind=rules.kind(name))
        value = value.with_changes(func=cst.Name(self.names.builtin(name.rpartition(".")[2])))
        held = self.temp()
        self.emit_assign(held, value, None, {}, inactive_only, self.origin)
        return cst.Name(held)

    def append(self, call: cst.Call) -> None:
        name = call.func.value.value
        if name not in self.lists:
            self.refuse(
                call.func,
                f"appending to '{name}', which is not a list built in this function, is",
                f"start it here: {name} = []",
            )
        value = self.plain(self.atom(call.args[0].value))  # a tuple appended carries no derivative
        self.statements.append(ir.Append(next(self.ids), name, value, self.origin))

    def zero_list(self, value: cst.BaseExpression) -> bool:
        """``_rt.zeros_like(hs)`` of a list (generated code's zero tangent of a list) is a list."""
        return (
            m.matches(
                value, m.Call(func=m.Attribute(value=m.Name(self.names.module("_rt")), attr=m.Name("zeros_like")))
            )
            and isinstance(value.args[0].value, cst.Name)
            and value.args[0].value.value in self.lists
        )

    def check_call(self, node: cst.Expr) -> None:
        """A call made for its check alone (``_rt.require_float(...)`` in generated code): kept as it is."""
        text = dotted(node.value.func)
        if text is None or self.resolution(text) != "check":
            self.refuse(
                node,
                "expression statements (a value computed and dropped) are",
                "assign the value to a name, or remove the line",
            )
        positional = [arg.value for arg in node.value.args if arg.keyword is None]
        keywords = {arg.keyword.value: arg.value for arg in node.value.args if arg.keyword is not None}
        value, *_ = self.apply(self.unit.resolutions[text].name, node.value, positional, keywords, kind="check")
        self.statements.append(ir.Guard(next(self.ids), value, self.origin))

    def set_item(self, target: cst.Subscript, value: cst.BaseExpression, operator=None, whole_name=False) -> None:
        """``y[index] = value``, or ``y[index] op= value``: ``+=`` (and ``-=``) add into y in place;
        other operators are ``y[index] = y[index] op value``, as numpy computes them."""
        name = self.updated_array(target)
        elements = self.index_elements(target)
        index_value = cst.Subscript(
            value=cst.Attribute(value=cst.Name(self.names.module("np")), attr=cst.Name("s_")), slice=elements
        )
        if isinstance(operator, cst.SubtractAssign):
            value = cst.UnaryOperation(operator=cst.Minus(), expression=value)
        elif operator is not None and not isinstance(operator, cst.AddAssign):
            part = cst.Name(self.temp())
            getitem = cst.Subscript(value=cst.Name(name), slice=elements)
            self.emit_assign(
                part.value, getitem, "operator.getitem", {"a": cst.Name(name), "index": index_value}, False, self.origin
            )
            binary = type(operator).__name__.removesuffix("Assign")
            value = cst.BinaryOperation(left=part, operator=getattr(cst, binary)(), right=value)
            operator = None
        atom = self.atom(value)
        self.statements.append(
            ir.SetItem(
                next(self.ids), name, tuple(elements), index_value, atom, operator is not None, self.origin, whole_name
            )
        )

    def updated_array(self, target: cst.Subscript) -> str:
        """The name of the array ``target`` updates: a local array, or a temporary holding
        the view written (``y.T[0] = ...``, ``rows[0][1] = ...``), which s2sad.memory follows."""
        held = _bare(target.value)
        if not isinstance(held, cst.Name):
            atom = self.atom(held)
            if not isinstance(atom, cst.Name):
                self.refuse(target, "assigning into a value that is not an array is")
            return atom.value
        name = held.value
        if name in self.lists or name not in self.unit.local_names:
            self.refuse(
                target,
                f"assigning into '{name}' (not an array made in this function) is",
                "make a new array first, for example y = np.zeros_like(x)",
            )
        return name

    def update_if_array(self, node: cst.AugAssign) -> None:
        """``a op= e``: numpy updates an array in place (every name that sees it sees the update) but
        rebinds a number. Which one ``a`` holds is known at run time (s2sad.memory keeps the
        rebinding alone where no other name sees the array):

            _n1 = _rt.is_array(a)
            if _n1:
                a[...] op= e
            else:
                a = a op e
        """
        name = node.target.value
        flag = self.temp()
        test = cst.Call(
            func=cst.Attribute(value=cst.Name(self.names.module("_rt")), attr=cst.Name("is_array")),
            args=[cst.Arg(cst.Name(name))],
        )
        self.emit_assign(flag, test, None, {}, False, self.origin)
        self.depth += 1
        saved, self.statements = self.statements, []
        whole = cst.Subscript(value=cst.Name(name), slice=[cst.SubscriptElement(cst.Index(cst.Ellipsis()))])
        self.set_item(whole, node.value, node.operator, whole_name=True)
        body, self.statements = self.statements, []
        self.assign([cst.AssignTarget(target=node.target)], _binary(node))
        orelse, self.statements = self.statements, saved
        self.depth -= 1
        self.statements.append(ir.If(next(self.ids), cst.Name(flag), tuple(body), tuple(orelse), self.origin))

    def assign(self, targets, value: cst.BaseExpression) -> None:
        if len(targets) == 1 and isinstance(targets[0].target, cst.Name):
            self.assign_name(targets[0].target.value, value)
            return
        if len(targets) == 1 and isinstance(targets[0].target, (cst.Tuple, cst.List)):
            self.unpack(targets[0].target, value)
            return
        first = self.temp()
        self.assign_name(first, value)
        for target in targets:
            self.assign_targets(target.target, cst.Name(first))

    def assign_targets(self, target, value):
        if isinstance(target, cst.Name):
            self.assign_name(target.value, value)
        else:
            self.unpack(target, value)

    def unpack(self, target: cst.Tuple | cst.List, value: cst.BaseExpression) -> None:
        """``a, b = ...``: all values are computed before any name is bound (so swaps work)."""
        elements = target.elements
        returned = self.tuples.get(value.value) if isinstance(value, cst.Name) else None
        if returned is None:
            returned = self.returned_tuple(value)
        if returned is not None and not isinstance(returned, list):
            value = returned  # a function of the user's returned one value (an array): unpack its rows
        if isinstance(returned, list):
            if len(returned) != len(elements):
                self.refuse(value, f"unpacking {len(returned)} returned values into {len(elements)} names is")
            held = returned
        elif isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(elements):
            held = []
            for element in value.elements:
                name = self.temp()
                self.assign_name(name, element.value)
                held.append(cst.Name(name))
        else:
            # Unpacking an array (its rows) or a shape: index it, after checking its length as Python would.
            whole = cst.Name(self.temp())
            self.assign_name(whole.value, value)
            self.statements.append(ir.Guard(next(self.ids), self._require_length(whole, len(elements)), self.origin))
            held = [
                cst.Subscript(value=whole, slice=[cst.SubscriptElement(cst.Index(cst.Integer(str(i))))])
                for i in range(len(elements))
            ]
        for element, item in zip(elements, held, strict=True):
            self.assign_targets(element.value, item)

    def returned_tuple(self, value: cst.BaseExpression):
        """What a call of the user's function returns, inlined: atoms for a tuple, else one atom.

        None when ``value`` is not such a call.
        """
        value = _bare(value)
        if not isinstance(value, cst.Call):
            return None
        text = dotted(value.func)
        if text is None or self.resolution(text) != "function":
            return None
        positional = [arg.value for arg in value.args if arg.keyword is None]
        keywords = {arg.keyword.value: arg.value for arg in value.args if arg.keyword is not None}
        return self.inline(value, self.unit.resolutions[text], positional, keywords)

    def _require_length(self, value: cst.Name, length: int) -> cst.Call:
        return cst.Call(
            func=cst.Attribute(value=cst.Name(self.names.module("_rt")), attr=cst.Name("require_length")),
            args=[cst.Arg(value), cst.Arg(cst.Integer(str(length))), cst.Arg(_string(str(self.origin)))],
        )

    def assign_name(self, target: str, value: cst.BaseExpression, origin: Origin | None = None) -> None:
        """Lower ``target = value``; ``origin`` is where ``value`` is written (default: the statement)."""
        origin = origin or self.origin
        try:
            items = self.static_tuple(value)
        except _Inlined as inlined:  # a call of the user's function, already inlined: its one value
            items, value = None, inlined.value
        if items is not None and self.depth and self.bindings[target] > 1:
            self.refuse(
                value,
                f"rebinding the tuple '{target}' inside a branch or loop is",
                "use one name per item, or an array",
            )
        if items is not None:
            # A tuple of values: its items are known here, so `t[0]`, `a, b = t` and
            # `for v in t` use them directly; the tuple itself is kept for other reads.
            self.emit_assign(target, cst.Tuple(elements=[cst.Element(i) for i in items]), None, {}, False, origin)
            self.tuples[target] = items
            return
        expression, rule, operands, inactive_only = self.operation(value)  # may read the tuple target held
        self.tuples.pop(target, None)
        if target in names_in(expression):
            # `x = x * w`: compute into a temporary first, so no statement reads what it assigns.
            held = self.temp()
            self.emit_assign(held, expression, rule, operands, inactive_only, origin)
            expression, rule, operands, inactive_only = cst.Name(held), "s2sad.copy", {"x": cst.Name(held)}, False
        self.emit_assign(target, expression, rule, operands, inactive_only, origin)

    def snapshot(self, value: cst.BaseExpression) -> cst.BaseExpression:
        """An atom holding ``value`` as it is now: a name the code may rebind later is copied."""
        atom = self.atom(value)
        if isinstance(atom, cst.Name) and not self.names.is_placeholder(atom.value):
            held = self.temp()
            self.assign_name(held, atom)
            return cst.Name(held)
        return atom

    def is_static_tuple(self, value: cst.BaseExpression) -> bool:
        """Whether ``value`` is a tuple whose items are known here (a name holding one, or one written out)."""
        value = _bare(value)
        return (isinstance(value, cst.Name) and value.value in self.tuples) or (
            isinstance(value, cst.Tuple) and self.literal(value) is None
        )

    def static_tuple(self, value: cst.BaseExpression) -> list[cst.BaseExpression] | None:
        """The items of a tuple written out, of a name holding one, or returned by a function of the user's."""
        value = _bare(value)
        if isinstance(value, cst.Name) and value.value in self.tuples:
            return self.tuples[value.value]
        if isinstance(value, cst.Subscript):
            item = self.tuple_item(value)  # `t[0]` of a tuple of tuples
            return self.tuples[item.value] if isinstance(item, cst.Name) and item.value in self.tuples else None
        if isinstance(value, cst.Tuple) and self.literal(value) is None:
            return [self.snapshot(element.value) for element in value.elements]
        returned = self.returned_tuple(value)
        if isinstance(returned, list):
            return returned
        if returned is not None:
            raise _Inlined(returned)
        return None

    # -- expressions -------------------------------------------------------------

    def atom(self, node: cst.BaseExpression) -> cst.BaseExpression:
        """``node`` if it is a name or literal (canonically spelled), else a temporary holding it."""
        written = node
        node = _bare(node)
        literal = self.literal(node)
        if literal is not None:
            return literal
        if isinstance(node, cst.Name):
            return node
        text = dotted(node)
        if text is not None and self.resolution(text) == "global":
            return node
        name = self.temp()
        self.assign_name(name, node, self.where(written) if written in self.unit.positions else None)
        return cst.Name(name)

    def resolution(self, text: str) -> str | None:
        if text.split(".")[0] in self.unit.local_names:
            return None
        found = self.unit.resolutions.get(text)
        return found.kind if found else None

    def literal(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        """The canonical form of a literal (numbers, strings, True/None, np.pi, tuples of those)."""
        node = _bare(node)
        if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)):
            return node
        if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
            return node
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
            if isinstance(_bare(node.expression), (cst.Integer, cst.Float)):
                return node.with_changes(expression=_bare(node.expression))
        if isinstance(node, cst.Tuple):  # a list is a value the function may append to
            items = [self.literal(e.value) for e in node.elements]
            if all(item is not None for item in items):
                return _sequence(node, items)
            return None
        text = dotted(node)
        if text is not None:
            found = self.unit.resolutions.get(text)
            if found is not None and found.kind == "constant" and text.split(".")[0] not in self.unit.local_names:
                return module_name(self.names, found.name)
        return None

    def plain(self, atom: cst.BaseExpression) -> cst.BaseExpression:
        """``atom``; for a tuple whose items are known here, that tuple made as a value of its own.

        Such a value carries no derivative: analyse refuses it if anything differentiated is in it.
        """
        if not (isinstance(atom, cst.Name) and atom.value in self.tuples):
            return atom
        held = self.temp()
        items = cst.Tuple(elements=[cst.Element(value=self.plain(i)) for i in self.tuples[atom.value]])
        self.emit_assign(held, items, None, {}, True, self.origin)
        return cst.Name(held)

    def operand(self, node: cst.BaseExpression) -> cst.BaseExpression:
        """An operand: an atom, or a tuple/list of atoms written out (a shape, a list of arrays)."""
        node = _bare(node)
        if isinstance(node, (cst.Tuple, cst.List)) and self.literal(node) is None:
            return _sequence(node, [self.atom(element.value) for element in node.elements])
        return self.atom(node)

    def operation(self, node: cst.BaseExpression):
        """(value, rule, operands, inactive_only) for one operation whose operands are atoms."""
        node = _bare(node)
        literal = self.literal(node)
        if literal is not None:
            return literal, None, {}, False
        if isinstance(node, cst.Name):
            if node.value in self.unit.local_names or self.names.is_placeholder(node.value):
                return node, "s2sad.copy", {"x": node}, False
            return node, None, {}, False
        if isinstance(node, cst.List):
            # A list the function builds (and may append to): its adjoint is a list too.
            items = tuple(self.atom(element.value) for element in node.elements)
            value = cst.List(elements=[cst.Element(value=i) for i in items])
            if any(self.is_static_tuple(item) for item in items):
                # A list of tuples carries no derivative: nothing differentiated may go into it.
                return value.with_changes(elements=[cst.Element(self.plain(i)) for i in items]), None, {}, True
            return value, "s2sad.list", {"items": items}, False
        if isinstance(node, cst.Tuple):
            # A tuple built from values (a shape): it carries no derivative, so
            # nothing that depends on what is differentiated may go into it.
            return self.operand(node), None, {}, True
        if isinstance(node, cst.BinaryOperation):
            left, right = self.atom(node.left), self.atom(node.right)
            value = cst.BinaryOperation(left=left, operator=node.operator, right=right)
            if isinstance(node.operator, _PASSIVE_BINARY):
                return value, None, {}, False
            if any(self.is_static_tuple(a) or isinstance(a, cst.Name) and a.value in self.lists for a in (left, right)):
                # `t + (y,)`, `hs * 2`: joining or repeating tuples and lists, which carries no
                # derivative, so nothing differentiated may go into it (analyse refuses that).
                return value.with_changes(left=self.plain(left), right=self.plain(right)), None, {}, True
            return value, syntax.OPERATORS[_OPERATOR_TOKENS[type(node.operator)]], {"x1": left, "x2": right}, False
        if isinstance(node, cst.UnaryOperation):
            operand = self.atom(node.expression)
            value = node.with_changes(expression=operand)
            if isinstance(node.operator, cst.Minus):
                return value, syntax.OPERATORS["unary -"], {"x": operand}, False
            if isinstance(node.operator, cst.Plus):
                return value, syntax.OPERATORS["unary +"], {"x": operand}, False
            return value, None, {}, False
        if isinstance(node, cst.Comparison):
            left = self.atom(node.left)
            targets = [c.with_changes(comparator=self.atom(c.comparator)) for c in node.comparisons]
            return cst.Comparison(left=left, comparisons=targets), None, {}, False
        if isinstance(node, cst.IfExp):
            # `a if c else b` is a branch: held = a, or held = b
            held = self.temp()
            test = self.condition(node.test)
            branches = []
            for value in (node.body, node.orelse):
                saved, self.statements = self.statements, []
                self.assign_name(held, value)
                if self.tuples.pop(held, None) is not None:
                    self.refuse(
                        value,
                        "a tuple chosen by a conditional expression is",
                        "choose each item: a = x if c else y, or use arrays",
                    )
                branches.append(tuple(self.statements))
                self.statements = saved
            self.statements.append(ir.If(next(self.ids), test, branches[0], branches[1], self.origin))
            return cst.Name(held), "s2sad.copy", {"x": cst.Name(held)}, False
        if isinstance(node, cst.BooleanOperation):
            self.refuse(node, "'and' / 'or' outside a condition are", "use them in if and while tests")
        if isinstance(node, cst.Subscript):
            return self.subscript(node)
        if isinstance(node, cst.Attribute):
            return self.attribute(node)
        if isinstance(node, cst.Call):
            return self.call(node)
        self.refuse(node, f"{type(node).__name__} expressions are")

    def tuple_item(self, node: cst.Subscript) -> cst.BaseExpression | None:
        """The item ``t[i]`` of a tuple whose items are known here; None if ``node`` indexes something else."""
        value = _bare(node.value)
        items = self.tuples.get(value.value) if isinstance(value, cst.Name) else None
        if items is None:
            return None
        index = node.slice[0].slice if len(node.slice) == 1 else None
        number = self.literal(index.value) if isinstance(index, cst.Index) else None
        if not isinstance(number, (cst.Integer, cst.UnaryOperation)):
            self.refuse(
                node, "indexing a tuple other than with a number written out is", "index it with a number, or unpack it"
            )
        position = int(cst.Module([]).code_for_node(number))
        if not -len(items) <= position < len(items):
            raise UnsupportedSyntax(
                f"tuple index {position} is out of range: the tuple has {len(items)} items",
                self.where(node),
                hint="index within the tuple",
            )
        return items[position]

    def subscript(self, node: cst.Subscript):
        item = self.tuple_item(node)
        if item is not None:
            return (item, "s2sad.copy", {"x": item}, False) if isinstance(item, cst.Name) else (item, None, {}, False)
        helper = self.index_helper(node.value)
        if helper in syntax.CONCATENATORS:
            return self.concatenation(node, helper)
        if helper in syntax.INDEX_BUILDERS:
            # np.s_[1:n], np.mgrid[0:n, 0:m]: a new index or grid. It carries no derivative, so
            # analyse refuses it if it depends on what is differentiated (issue 13).
            value = node.with_changes(value=self.literal(node.value), slice=self.index_elements(node), lpar=[], rpar=[])
            return value, None, {}, True
        # Any other base (an array, a list, a global): the index carries no derivative, and the
        # operator.getitem rule declares it inactive, so analyse refuses a differentiated value there.
        base = self.atom(node.value)
        elements = self.index_elements(node)
        value = node.with_changes(value=base, slice=elements, lpar=[], rpar=[])
        index_value = cst.Subscript(
            value=cst.Attribute(value=cst.Name(self.names.module("np")), attr=cst.Name("s_")), slice=elements
        )
        return value, "operator.getitem", {"a": base, "index": index_value}, False

    def index_helper(self, base: cst.BaseExpression) -> str | None:
        """The qualified name of numpy's index helper (``numpy.r_``) that ``base`` names, else None."""
        text = dotted(_bare(base))
        if text is None or self.resolution(text) != "constant":
            return None
        name = self.unit.resolutions[text].name
        return name if name in syntax.CONCATENATORS or name in syntax.INDEX_BUILDERS else None

    def concatenation(self, node: cst.Subscript, helper: str):
        """``np.r_[...]`` / ``np.c_[...]`` as numpy builds them, from rules (issue 13)::

            np.r_[a, 0:3, 2.0]    np.concatenate([np.atleast_1d(a), np.arange(0, 3), np.atleast_1d(2.0)])
            np.c_[a, b]           np.concatenate([_rt.column(a), _rt.column(b)], axis=-1)

        A slice is a range (np.arange), a list or tuple an array; directive strings (``'r'``,
        ``'0,2'``) are refused (check.py refuses complex steps such as ``0:1:5j``).
        """
        piece_rule, axis = syntax.CONCATENATORS[helper]
        spelled = rules.spelling(helper)
        items = [element.slice for element in node.slice]
        if len(items) == 1 and isinstance(items[0], cst.Index) and isinstance(_bare(items[0].value), cst.Tuple):
            items = [element.value for element in _bare(items[0].value).elements]  # np.r_[(a, b)] is np.r_[a, b]
        pieces = []
        for item in items:
            if isinstance(item, cst.Index):
                if item.star is not None:
                    self.refuse(item, f"unpacking into {spelled}[...] is", syntax.JOIN_HINTS[helper])
                item = item.value
            if isinstance(item, cst.Slice):  # a range: 1-D already, made a column for np.c_
                made = self.helper_range(item)
                pieces.append(made if axis is None else self.held(item, *self.apply(piece_rule, item, [made], {})))
                continue
            bare = _bare(item)
            if isinstance(bare, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
                self.refuse(item, f"a directive string in {spelled}[...] is", syntax.JOIN_HINTS[helper])
            if isinstance(bare, (cst.List, cst.Tuple)) or (
                isinstance(bare, cst.Name) and (bare.value in self.lists or bare.value in self.tuples)
            ):
                made = self.held(item, *self.apply(syntax.ARRAY, item, [item], {}))  # numpy makes it an array
            else:
                made = self.atom(item)
            pieces.append(self.held(item, *self.apply(piece_rule, item, [made], {})))
        keywords = {} if axis is None else {"axis": cst.parse_expression(axis)}
        return self.apply(syntax.CONCATENATE, node, [cst.List(elements=[cst.Element(p) for p in pieces])], keywords)

    def helper_range(self, item: cst.Slice) -> cst.Name:
        """A slice in ``np.r_[...]``: ``np.arange(start, stop, step)`` as numpy reads it (no start: 0).
        Its bounds must stay inactive."""
        start = item.lower if item.lower is not None else cst.Integer("0")
        stop = item.upper if item.upper is not None else cst.Name("None")
        arguments = [start, stop] + ([item.step] if item.step is not None else [])
        return self.held(item, *self.apply(syntax.RANGE, item, arguments, {}, kind="inactive_only"))

    def held(self, node: cst.CSTNode, value, rule, operands, inactive_only) -> cst.Name:
        """A temporary holding one operation made here (``apply``'s result), placed where ``node`` is written."""
        name = self.temp()
        self.emit_assign(name, value, rule, operands, inactive_only, self.where(node))
        return cst.Name(name)

    def index_elements(self, node: cst.Subscript) -> list[cst.SubscriptElement]:
        """The subscript's index, its parts made atoms."""
        elements = []
        for element in node.slice:
            index = element.slice
            if isinstance(index, cst.Index):
                index = index.with_changes(value=self.operand(index.value))
            else:
                index = index.with_changes(
                    lower=self._bound(index.lower), upper=self._bound(index.upper), step=self._bound(index.step)
                )
            elements.append(element.with_changes(slice=index))
        return elements

    def _bound(self, bound):
        return None if bound is None else self.atom(bound)

    def attribute(self, node: cst.Attribute):
        text = dotted(node)
        if text is not None and self.resolution(text) == "global":
            return node, None, {}, False
        name = node.attr.value
        if name == "T":
            base = self.atom(node.value)
            return self.apply(syntax.TRANSPOSE, node, [base], {})
        if name in syntax.PASSIVE_ATTRIBUTES:
            return node.with_changes(value=self.atom(node.value)), None, {}, False
        self.refuse(
            node.attr,
            f"the attribute '.{name}' is",
            f"supported array attributes: .T, {', '.join('.' + a for a in sorted(syntax.PASSIVE_ATTRIBUTES))}",
        )

    def call(self, node: cst.Call):
        positional = [arg.value for arg in node.args if arg.keyword is None]
        keywords = {arg.keyword.value: arg.value for arg in node.args if arg.keyword is not None}
        function = node.func
        text = dotted(function)
        if text is not None and self.resolution(text) == "function":
            value = self.inline(node, self.unit.resolutions[text], positional, keywords)
            if isinstance(value, list):
                self.refuse(
                    node,
                    f"using the {len(value)} values '{text}' returns as one value is",
                    "unpack them: a, b = f(...)",
                )
            if isinstance(value, cst.Name):
                return value, "s2sad.copy", {"x": value}, False
            return value, None, {}, False
        if text is not None and self.resolution(text) not in (None, "global"):
            found = self.unit.resolutions[text]
            return self.apply(found.name, node, positional, keywords, kind=found.kind)
        if isinstance(function, cst.Attribute):
            method = function.attr.value
            numpy_name = syntax.METHODS.get(method)
            if numpy_name is None:
                self.refuse(
                    function.attr,
                    f"the array method '.{method}()' is",
                    f"supported methods: {', '.join(sorted(syntax.METHODS))}",
                )
            receiver = function.value
            if method in syntax.COPYING_METHODS:  # always a copy, of what the function gives (maybe a view)
                function_name = numpy_name.rpartition(".")[2]
                viewed = self.atom(node.with_changes(func=function.with_changes(attr=cst.Name(function_name))))
                return self.apply(syntax.COPY, node, [viewed], {}, kind=rules.kind(syntax.COPY))
            if numpy_name == syntax.COPY and not positional and "order" not in keywords:
                keywords = {"order": cst.SimpleString('"C"')}  # x.copy() is C-ordered, np.copy(x) keeps x's order
            if method in syntax.PACKED_METHODS and len(positional) > 1:
                positional = [cst.Tuple(elements=[cst.Element(value=p) for p in positional])]
            return self.apply(numpy_name, node, [receiver, *positional], keywords, kind=rules.kind(numpy_name))
        self.refuse(function, "calling this is")

    def apply(self, name: str, node: cst.CSTNode, positional, keywords, kind: str = "rule"):
        """A call of the library function ``name``, operands made atoms, bound to its rule."""
        if kind == "constant":
            self.refuse(node, f"calling {rules.spelling(name)} is", "use float(...) to convert a value")
        if kind == "iteration":
            self.refuse(node, f"{rules.spelling(name)}() other than in a for loop's header is")
        rule = rules.lookup(name) if kind == "rule" else None  # `name` as called: np.copy, float
        if rule is None and rules.writes_out(name, positional, keywords):
            self.refuse(
                node,
                f"writing the result of {rules.spelling(name)} into an array given as out is",
                f"assign it instead: y = {rules.spelling(name)}(...)",
            )
        sequences = rule.sequences if rule else ()
        positional = [self._argument(rule, index, None, value, sequences) for index, value in enumerate(positional)]
        keywords = {key: self._argument(rule, None, key, value, sequences) for key, value in keywords.items()}
        if rule is not None and rule.custom:
            # A user's function with a user's rule: called as written, found among the user's names.
            function = node.func
            for written in (rule.function, rule.tangent_function):
                if written is not None:
                    self.context.files.add((written.__code__.co_filename, written.__module__))
        else:
            function = module_name(self.names, name)
        value = cst.Call(
            func=function,
            args=[cst.Arg(value=v) for v in positional]
            + [cst.Arg(value=v, keyword=cst.Name(k), equal=_EQUALS) for k, v in keywords.items()],
        )
        if rule is None:
            return value, None, {}, kind == "inactive_only"
        try:
            bound = rule.signature.bind(*positional, **keywords)
        except TypeError as error:
            self.refuse(
                node,
                f"this call of {rules.spelling(name)} ({error}) is",
                f"s2sad differentiates {rules.spelling(name)}{rule.signature}",
            )
        operands = {
            parameter: (
                tuple(e.value for e in operand.elements)
                if parameter in sequences and isinstance(operand, (cst.Tuple, cst.List))
                else operand
            )
            for parameter, operand in bound.arguments.items()
        }
        return value, rule.name, operands, False

    def _argument(self, rule, index, keyword, value, sequences):
        if rule is not None:
            names = list(rule.signature.parameters)
            parameter = keyword if keyword is not None else (names[index] if index < len(names) else None)
            bare = _bare(value)
            if (
                parameter in rule.differentiable
                and parameter not in sequences
                and (isinstance(bare, cst.Name) and bare.value in self.tuples)
            ):
                self.refuse(
                    value,
                    f"passing the tuple '{bare.value}' as '{parameter}' of " f"{rules.spelling(rule.name)} is",
                    "pass an array: np.array(t) or np.stack(t)",
                )
            if parameter in sequences:
                value = _bare(value)
                if isinstance(value, cst.Name) and value.value in self.lists:
                    return value
                if isinstance(value, cst.Name) and value.value in self.tuples:
                    return cst.Tuple(elements=[cst.Element(i) for i in self.tuples[value.value]])
                if not isinstance(value, (cst.Tuple, cst.List)):
                    self.refuse(
                        value,
                        f"passing {parameter} of {rules.spelling(rule.name)} other than as a " "list written out is",
                        "write the list out, like np.stack([a, b])",
                    )
                return self.operand(value)
        return self.operand(value)


# Functions whose result may be a view of their argument (basic indexing, reshapes).
_EQUALS = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
_DEFAULT_HINT = "rewrite it with the supported constructs (see the README's 'Supported language')"


def _binary(node: cst.AugAssign) -> cst.BinaryOperation:
    """``a op= e`` as ``a op e``."""
    operator = type(node.operator).__name__.removesuffix("Assign")
    return cst.BinaryOperation(left=node.target, operator=getattr(cst, operator)(), right=node.value)


def _string(text: str) -> cst.SimpleString:
    return cst.SimpleString(json.dumps(text))


def _bare(node: cst.BaseExpression) -> cst.BaseExpression:
    """The expression without the parentheses written around it (an empty tuple keeps its own)."""
    if isinstance(node, cst.Tuple) and not node.elements:
        return node
    if getattr(node, "lpar", None):
        return node.with_changes(lpar=[], rpar=[])
    return node


def _sequence(node: cst.Tuple | cst.List, items) -> cst.Tuple | cst.List:
    elements = [cst.Element(value=item) for item in items]
    if isinstance(node, cst.Tuple):
        return cst.Tuple(elements=elements)
    return cst.List(elements=elements)


class _StripAnnotations(cst.CSTTransformer):
    """Parameters as the generated function declares them: no annotations, defaults canonical."""

    def __init__(self, lowering: _Lowering):
        self.lowering = lowering

    def leave_Param(self, original: cst.Param, updated: cst.Param) -> cst.Param:
        default = updated.default
        if default is not None:
            literal = self.lowering.literal(original.default)
            default = literal if literal is not None else original.default
        return updated.with_changes(annotation=None, default=default)
