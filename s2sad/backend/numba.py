"""The numba target: the generated derivative as a kernel numba compiles in nopython mode.

Runs instead of emit when ``Options.target == "numba"`` (always for arguments of known forms and
types: specialize.py). The derivative's sweeps become the kernel; a plain Python wrapper checks
the arguments, passes them as the kernel is typed for (numba_runtime.argument) and returns each
gradient in its argument's type (numba_module.py renders, compiles and locates errors).

What changes in the sweeps, so that numba can type them:

- the one tape, a list of anything, becomes a tape per saved name: a numpy array and the index
  of its top for a number, room made for a loop's iterations when it starts (``reserve``), one
  entry at a time in a while loop; a list numba types for anything else. A subsequence of a
  stack is a stack, so each tape pops what it pushed, in the order the one tape did:

      tape.append(y)              ->    tape_y[top_y] = y
                                        top_y += 1
      y = tape.pop()              ->    top_y -= 1
                                        y = tape_y[top_y]
      for i in reversed(tape.pop())  -> for i in _nb.reversed_range(tape_loops.pop())

- ``name = None`` (a name the tape saves before it has a value) becomes a value of its type
  (numba_types.py), ``_rt.`` helpers their numba versions (numba_runtime.py).

Refused here, located: containers of arrays, runtime helpers without a numba version, calls of
anything but numpy, math and builtins (a user's global would be frozen into the compiled kernel),
and a saved name whose type is not known. What numba itself cannot type is refused at the first
call (numba_module.py).
"""

from __future__ import annotations

import builtins
import dataclasses

import libcst as cst

from s2sad.backend import numba_module, numba_types
from s2sad.core import naming
from s2sad.core import target as code
from s2sad.core.naming import Names
from s2sad.core.target import Compound, Generated, Line
from s2sad.core.unit import Unit
from s2sad.errors import Origin, UnsupportedSyntax
from s2sad.options import Options
from s2sad.frontend.scope import dotted

HINT = "use target='numpy' (the default)"
# s2sad.runtime helpers with a numba version in numba_runtime.py
COMPILED_HELPERS = {"zeros_like", "owned", "take", "unreduce", "unbroadcast"}
# runtime checks that stay in the wrapper (plain Python), before the kernel runs
_WRAPPER_HELPERS = {"require_float", "require_scalar"}


def run(unit: Unit, options: Options) -> Unit:
    if options.structures:
        name = options.structures[0][0]
        raise UnsupportedSyntax(
            f"the numba target takes numbers and arrays: '{name}' is a container of arrays",
            _parameter_origin(unit, name),
            hint=HINT,
        )
    names = unit.names
    known = _parameter_types(options)
    generated = unit.generated
    types = numba_types.Types(names, known).infer([generated.forward, generated.reverse])
    lowering = _Lowering(names, types)
    kernel_lines = lowering.lower(generated, _parameter_names(generated.parameters))
    return numba_module.assemble(unit, options, kernel_lines, lowering.channels)


def _parameter_origin(unit: Unit, name: str) -> Origin | None:
    params = unit.function.params
    for parameter in (*params.posonly_params, *params.params, *params.kwonly_params):
        place = unit.positions.get(parameter.name) if parameter.name.value == name else None
        if place is not None:
            return Origin(unit.path, place.start.line, place.start.column)
    return None


def _parameter_names(parameters: cst.Parameters) -> list[str]:
    if isinstance(parameters.star_arg, cst.Param) or parameters.star_kwarg is not None:
        raise UnsupportedSyntax("the numba target takes no *args or **kwargs", None, hint=HINT)
    return [p.name.value for p in (*parameters.posonly_params, *parameters.params, *parameters.kwonly_params)]


def _parameter_types(options: Options) -> dict:
    kinds = dict(options.kinds)
    return {name: (kinds[name], rank) for name, rank, _ in options.shapes if name in kinds}


@dataclasses.dataclass
class Channel:
    """One tape: the pushes and pops of one saved name (or of branches, loops' counts, loops)."""

    key: str  # the saved name, or "branches", "counts", "loops"
    kind: str | None  # the dtype kind of a tape kept in an array; None: a list
    tape: str  # placeholder names
    top: str


class _Lowering:
    def __init__(self, names: Names, types: numba_types.Types):
        self.names = names
        self.types = types
        self.channels: dict[str, Channel] = {}
        self.tape = names.role("tape")
        self.np = names.module("np")
        self.runtime = names.role("v_numba_runtime")

    def lower(self, generated: Generated, parameters: list[str]) -> tuple[list, list, list]:
        self.local = set(parameters) | _assigned(generated.forward) | _assigned(generated.reverse)
        self.assignments = _first_assignments(generated.forward)
        every = code.lines_in(generated.forward) + code.lines_in(generated.reverse)
        for line in every:  # globals first, then helpers: they say why more plainly than what follows
            self.check_names(line.node, line.origin)
        for line in every:
            self.check(line.node, line.origin)
        forward = self.block(generated.forward, forward=True, counted=False)
        reverse = self.block(generated.reverse, forward=False, counted=False)
        declarations = []
        for channel in self.channels.values():
            if channel.kind is None:
                declarations.append(code.assign(channel.tape, cst.List(elements=[]), None))
            else:
                empty = cst.parse_expression(f"{self.np}.empty(0, {self.np}.{numba_types.dtype(channel.kind)})")
                declarations.append(code.assign(channel.tape, empty, None))
                declarations.append(code.assign(channel.top, cst.Integer("0"), None))
        if declarations:
            declarations[0] = dataclasses.replace(
                declarations[0], heading="a tape for each value the reverse sweep reads"
            )
        return declarations + forward, reverse, list(generated.guards)

    # -- channels --------------------------------------------------------------------------------

    def channel(self, key: str, kind: str | None) -> Channel:
        found = self.channels.get(key)
        if found is None:
            number = len(self.channels) + 1
            found = Channel(
                key, kind, self.names.role(f"v_numba_tape_{number}"), self.names.role(f"v_numba_top_{number}")
            )
            self.channels[key] = found
        return found

    def value_channel(self, name: str) -> Channel:
        found = self.types.of(name)
        kind = found[0] if found is not None and found[1] == 0 and found != numba_types.RANGE else None
        return self.channel(name, kind)

    # -- blocks ------------------------------------------------------------------------------------

    def block(self, block, forward: bool, counted: bool) -> list:
        """``block`` lowered; ``counted``: it runs once per iteration of a loop whose tapes have room."""
        lowered: list = []
        for item in block:
            if isinstance(item, Compound):
                lowered.extend(self.compound(item, forward, counted))
            else:
                lowered.extend(self.line(item, forward, counted))
        return lowered

    def compound(self, item: Compound, forward: bool, counted: bool) -> list:
        header, before = item.header, []
        self.check(header, item.origin, header_only=True)
        if isinstance(header, cst.For):
            if forward:
                before = self.room_for(item)
                body = self.block(item.body, forward, True)
            else:
                header, before = self.reversed_loop(header, item.origin)
                body = self.block(item.body, forward, False)
        elif isinstance(header, cst.While):
            body = self.block(item.body, forward, False)
        else:
            if not forward and _pops(header.test, self.tape):
                header, before = self.popped_branch(header, item.origin)
            body = self.block(item.body, forward, counted)
        orelse = self.block(item.orelse, forward, counted if isinstance(header, cst.If) else False)
        return [*before, dataclasses.replace(item, header=header, body=tuple(body), orelse=tuple(orelse))]

    def line(self, item: Line, forward: bool, counted: bool) -> list:
        node = item.node
        if isinstance(node, cst.Assign) and _names(node.targets) == [self.tape]:
            return []  # the one tape: a tape per value instead (declared at the start)
        if isinstance(node, cst.Del):
            return []  # numba frees what is no longer used itself (and has no del)
        if isinstance(node, cst.Assign) and _is_none(node.value):
            return self.typed_first_values(item)
        pushed = self.pushed(node)
        if pushed is not None:
            return self.push(item, pushed, counted)
        if _pops(node, self.tape):
            return self.pop(item)
        self.check(node, item.origin)
        return [dataclasses.replace(item, node=self.compiled_helpers(node))]

    # -- the forward sweep: pushes -----------------------------------------------------------------

    def pushed(self, node) -> cst.BaseExpression | None:
        if isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
            func = node.value.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == self.tape:
                return node.value.args[0].value
        return None

    def push(self, item: Line, value: cst.BaseExpression, counted: bool) -> list:
        note = item.note or ""
        if note == "branch taken":
            channel = self.channel("branches", "b")
        elif note == "iterations run":
            channel = self.channel("counts", "i")
        elif note == "the iterations run":
            channel = self.channel("loops", None)
            if isinstance(value, cst.Subscript):  # r[:count], a loop left by break
                count = value.slice[0].slice.upper
                value = code.call(code.attribute(self.runtime, "first"), value.value, count)
        elif isinstance(value, cst.Name):
            channel = self.value_channel(value.value)
        else:
            raise UnsupportedSyntax(
                "the numba target saves values for the reverse sweep, not what this line's derivative saves "
                "(a shape, or part of an array)",
                item.origin,
                hint=HINT,
            )
        if channel.kind is None:
            return [dataclasses.replace(item, node=cst.Expr(code.call(code.attribute(channel.tape, "append"), value)))]
        slot = cst.Subscript(
            value=cst.Name(channel.tape), slice=[cst.SubscriptElement(cst.Index(cst.Name(channel.top)))]
        )
        lines = [
            dataclasses.replace(item, node=cst.Assign(targets=[cst.AssignTarget(slot)], value=value)),
            Line(cst.AugAssign(cst.Name(channel.top), cst.AddAssign(), cst.Integer("1")), item.origin),
        ]
        if not counted:
            lines.insert(0, self.reserve(channel, cst.Integer("1"), item.origin))
        return lines

    def reserve(self, channel: Channel, more: cst.BaseExpression, origin) -> Line:
        needed = cst.BinaryOperation(cst.Name(channel.top), cst.Add(), more)
        grown = code.call(code.attribute(self.runtime, "reserve"), cst.Name(channel.tape), needed)
        return code.assign(channel.tape, grown, origin)

    def room_for(self, loop: Compound) -> list:
        """Room on the array tapes for every push in the loop's body (not in a nested loop) each iteration."""
        pushes: dict[str, int] = {}
        for item in _direct_lines(loop.body):
            pushed = self.pushed(item.node)
            if pushed is None:
                continue
            note = item.note or ""
            key = {"branch taken": "branches", "iterations run": "counts"}.get(note)
            if key is None and isinstance(pushed, cst.Name) and note != "the iterations run":
                key = pushed.value
            if key is not None and self.kind_of(key) is not None:
                pushes[key] = pushes.get(key, 0) + 1
        lines = []
        for key, count in pushes.items():
            channel = self.channel(key, self.kind_of(key))
            trips = code.call(cst.Name(self.names.builtin("len")), loop.header.iter)
            more = trips if count == 1 else cst.BinaryOperation(cst.Integer(str(count)), cst.Multiply(), trips)
            lines.append(self.reserve(channel, more, loop.origin))
        return lines

    def kind_of(self, key: str) -> str | None:
        if key in ("branches", "counts"):
            return "b" if key == "branches" else "i"
        found = self.types.of(key)
        return found[0] if found is not None and found[1] == 0 and found != numba_types.RANGE else None

    def typed_first_values(self, item: Line) -> list[Line]:
        """``a = b = None`` -> a first value of each one's type (never read: only its type counts)."""
        lines = []
        for name in _names(item.node.targets):
            value = numba_types.placeholder(self.types.of(name), self.np)
            if value is None:
                raise UnsupportedSyntax(
                    f"the numba target needs the type of '{_readable(name, self.names)}', which the tape saves "
                    "before it is first assigned, and cannot tell it",
                    self.assignments.get(name, item.origin),
                    hint=HINT,
                )
            lines.append(Line(code.assign(name, value, None).node, item.origin, heading=None))
        return [dataclasses.replace(lines[0], heading=item.heading), *lines[1:]]

    # -- the reverse sweep: pops ---------------------------------------------------------------

    def pop(self, item: Line) -> list:
        node = item.node
        if isinstance(node, cst.Expr):  # a branch both of whose ways have no adjoint: its flag dropped
            channel = self.channel("branches", "b")
            return [Line(cst.AugAssign(cst.Name(channel.top), cst.SubtractAssign(), cst.Integer("1")), item.origin)]
        if not (isinstance(node, cst.Assign) and _is_pop(node.value, self.tape) and len(node.targets) == 1):
            raise UnsupportedSyntax("the numba target cannot restore this value", item.origin, hint=HINT)
        target = node.targets[0].target
        if isinstance(target, cst.Name):
            channel = self.value_channel(target.value)
        else:
            raise UnsupportedSyntax(
                "the numba target does not restore parts of arrays written in a loop", item.origin, hint=HINT
            )
        return self.popped(item, channel, lambda value: dataclasses.replace(item, node=node.with_changes(value=value)))

    def popped(self, item: Line, channel: Channel, using) -> list:
        if channel.kind is None:
            return [using(code.call(code.attribute(channel.tape, "pop")))]
        lowered = Line(cst.AugAssign(cst.Name(channel.top), cst.SubtractAssign(), cst.Integer("1")), item.origin)
        top = cst.Subscript(cst.Name(channel.tape), [cst.SubscriptElement(cst.Index(cst.Name(channel.top)))])
        return [lowered, using(top)]

    def popped_branch(self, header: cst.If, origin) -> tuple[cst.If, list]:
        channel = self.channel("branches", "b")
        taken = cst.Subscript(cst.Name(channel.tape), [cst.SubscriptElement(cst.Index(cst.Name(channel.top)))])
        test = header.test
        test = cst.UnaryOperation(cst.Not(), taken) if isinstance(test, cst.UnaryOperation) else taken
        drop = Line(cst.AugAssign(cst.Name(channel.top), cst.SubtractAssign(), cst.Integer("1")), origin)
        return header.with_changes(test=test), [drop]

    def reversed_loop(self, header: cst.For, origin) -> tuple[cst.For, list]:
        iterations = header.iter
        if not (isinstance(iterations, cst.Call) and iterations.args and _is_pop(iterations.args[0].value, self.tape)):
            return header, []
        if dotted(iterations.func) == self.names.builtin("range"):  # a while loop's count
            channel = self.channel("counts", "i")
            drop = Line(cst.AugAssign(cst.Name(channel.top), cst.SubtractAssign(), cst.Integer("1")), origin)
            count = cst.Subscript(cst.Name(channel.tape), [cst.SubscriptElement(cst.Index(cst.Name(channel.top)))])
            return header.with_changes(iter=iterations.with_changes(args=[cst.Arg(count)])), [drop]
        channel = self.channel("loops", None)
        popped = code.call(code.attribute(channel.tape, "pop"))
        return header.with_changes(iter=code.call(code.attribute(self.runtime, "reversed_range"), popped)), []

    # -- what the kernel may call --------------------------------------------------------------------

    def compiled_helpers(self, node):
        """``_rt.<helper>`` -> its numba version."""
        runtime, numba_runtime = self.names.module("_rt"), self.runtime

        class Swap(cst.CSTTransformer):
            def leave_Attribute(self, original, updated):
                if isinstance(updated.value, cst.Name) and updated.value.value == runtime:
                    return updated.with_changes(value=cst.Name(numba_runtime))
                return updated

        return node.visit(Swap())

    def check(self, node, origin: Origin | None, header_only: bool = False) -> None:
        """Refuse what the kernel cannot do: call a runtime helper without a numba version, or read a
        global (numba would freeze its value into the kernel cached on disk)."""
        runtime = self.names.module("_rt")
        for call in _calls(node, header_only):
            function = dotted(call.func) or ""
            root, _, rest = function.partition(".")
            if root == runtime and rest not in COMPILED_HELPERS | _WRAPPER_HELPERS:
                raise UnsupportedSyntax(
                    f"the numba target has no compiled version of s2sad's runtime helper '{rest}', which the "
                    "derivative of this line calls",
                    origin,
                    hint=HINT,
                )
        self.check_names(node.with_changes(body=cst.IndentedBlock([])) if header_only else node, origin)

    def check_names(self, node, origin: Origin | None) -> None:
        modules = {self.names.module("np"), self.names.module("math"), self.names.module("_rt"), self.runtime}
        for name in naming.names_in(node):
            if name in modules | {self.tape} or name in self.local or name in ("True", "False", "None"):
                continue
            if name.startswith(self.names.builtin("")) or name in vars(builtins):
                continue
            raise UnsupportedSyntax(
                f"the numba target reads numpy, math, Python's builtins and the function's own values only, "
                f"not the global '{name}' (numba would freeze its value into the compiled kernel)",
                origin,
                hint=HINT + ", or pass it as an argument",
            )


def _assigned(block) -> set[str]:
    found: set[str] = set()
    for item in block:
        if isinstance(item, Compound):
            if isinstance(item.header, cst.For):
                found.update(naming.names_in(item.header.target))
            found |= _assigned(item.body) | _assigned(item.orelse)
        elif isinstance(item.node, cst.Assign):
            for target in item.node.targets:
                found.update(naming.names_in(target.target) if isinstance(target.target, (cst.Name, cst.Tuple)) else ())
        elif isinstance(item.node, cst.AugAssign) and isinstance(item.node.target, cst.Name):
            found.add(item.node.target.value)
    return found


def _first_assignments(block, found: dict | None = None) -> dict[str, Origin]:
    """Where each name is first assigned a value (not None)."""
    found = {} if found is None else found
    for item in block:
        if isinstance(item, Compound):
            _first_assignments(item.body, found)
            _first_assignments(item.orelse, found)
        elif isinstance(item.node, cst.Assign) and not _is_none(item.node.value) and item.origin is not None:
            for name in _names(item.node.targets):
                found.setdefault(name, item.origin)
    return found


def _readable(function: str, names: Names) -> str:
    for alias in ("np", "math", "_rt"):
        function = function.replace(names.module(alias), alias)
    return function


def _direct_lines(block) -> list[Line]:
    """The lines of ``block`` and of the branches in it, not of loops in it."""
    found = []
    for item in block:
        if isinstance(item, Compound):
            if isinstance(item.header, cst.If):
                found.extend(_direct_lines(item.body))
                found.extend(_direct_lines(item.orelse))
        else:
            found.append(item)
    return found


def _calls(node, header_only: bool) -> list[cst.Call]:
    found: list[cst.Call] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            found.append(call)

        def visit_IndentedBlock(self, block) -> bool:
            return not header_only

    node.visit(Finder())
    return found


def _pops(node, tape: str) -> bool:
    found = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "pop":
                found.append(call)

        def visit_IndentedBlock(self, block) -> bool:
            return False

    node.visit(Finder())
    return any(dotted(call.func.value) == tape for call in found)


def _is_pop(node, tape: str) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "pop"
        and isinstance(node.func.value, cst.Name)
        and node.func.value.value == tape
    )


def _names(targets) -> list[str]:
    return [t.target.value for t in targets if isinstance(t.target, cst.Name)]


def _is_none(node) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"
