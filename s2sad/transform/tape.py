"""Reverse mode's forward sweep: the program, plus what the reverse sweep will read back from the tape.

The tape is one list. Before a recorded assignment overwrites a value the
reverse sweep needs, the old value is pushed (its shape alone, if that is all
it needs); a branch pushes which way it went; a loop pushes the iterations it
ran (a counted loop counts them):

    z = np.tanh(z)       ->    tape.append(z)
                               z = np.tanh(z)

    for t in r:          ->    v_steps = 0
        if c:                  for t in r:
            break                  v_steps = v_steps + 1
                                   if c:
                                       break
                               tape.append(r[:v_steps])

The reverse sweep pops in reverse order (``tape_call(names, "pop")``).
"""

from __future__ import annotations

import itertools

import libcst as cst

from s2sad.core import ir
from s2sad.core.naming import Names
from s2sad.options import Options
from s2sad.core.target import Compound, Line, assign, attribute, call, string
from s2sad.transform import checkpoint
from s2sad.transform.replay import Replay, written_branch
from s2sad.core.unit import Unit


def tape_call(names: Names, method: str, *args: cst.BaseExpression) -> cst.Call:
    """``tape.<method>(args)``: ``append`` in the forward sweep, ``pop`` in the reverse sweep."""
    return call(attribute(names.role("tape"), method), *args)


class ForwardSweep(Replay):
    def __init__(self, unit: Unit, options: Options, counters: itertools.count):
        super().__init__(unit, options)
        self.counters = counters  # numbers the loop counters, of both sweeps
        self.plain = Replay(unit, options)  # a checkpointed loop's forward sweep: the iterations as written
        self.fresh: itertools.count | None = None  # numbers for its temporaries

    def push(self, value: cst.BaseExpression, origin, note: str | None = None) -> Line:
        return Line(cst.Expr(tape_call(self.names, "append", value)), origin, note)

    def uses_tape(self, body) -> bool:
        return any(s.id in self.activity.recorded or s.id in self.activity.reversed for s in ir.walk(body))

    def start(self, body) -> list[Line]:
        """The empty tape, and ``None`` for the names it may save before they have a value."""
        return [assign(self.names.role("tape"), cst.List(elements=[]), None), *self.unbound_saved(body)]

    def unbound_saved(self, body) -> list[Line]:
        """``name = None`` for each name first assigned inside a branch or loop that the tape
        saves or a zero adjoint is shaped like: on a path that never assigned it, it has no value.
        Likewise for a name whose first assignment saves its old value (which views may make the
        activity analysis ask for: it tells views apart by name, not by the point in the code).
        """
        first_inside = ir.first_bound_inside(body, self.function.parameters)
        saved = {getattr(s, "target", None) for s in ir.walk(body) if s.id in self.activity.recorded}
        saved |= set().union(*map(checkpoint.state_names, self.activity.checkpointed.values()))
        zeroed = set().union(*self.activity.zeros_before.values(), *self.activity.zeros_after.values())
        names = [name for name in first_inside if name in saved | zeroed]
        bound = set(self.function.parameters)
        for statement in body:
            if (
                isinstance(statement, ir.Assign)
                and statement.target not in bound
                and statement.id in self.activity.recorded
            ):
                names.append(statement.target)
            bound |= ir.assigned([statement])
        if not names:
            return []
        targets = [cst.AssignTarget(target=cst.Name(name)) for name in names]
        heading = "the tape saves these, or zero adjoints take their shape; they have no value yet"
        return [Line(cst.Assign(targets=targets, value=cst.Name("None")), None, heading=heading)]

    def returned_value(self, returned: ir.Return, forward: list) -> cst.BaseExpression:
        """The primal result, checked scalar for grad, and kept safe from the reverse sweep's restores."""
        value = returned.value
        if self.options.kind != "vjp" and not self.activity.scalar_result:
            where = string(str(returned.origin))
            forward.append(Line(cst.Expr(call(self.rt("require_scalar"), value, where)), returned.origin))
        restored = {getattr(s, "target", None) for s in ir.walk(self.function.body) if s.id in self.activity.recorded}
        for loop in self.checkpointed(self.function.body):  # their iterations run again in the reverse sweep
            restored |= ir.assigned(loop.body)
        if self.options.kind == "value_and_grad" and ir.names_read(value) & restored:
            held = self.names.role("result")
            forward.append(assign(held, value, returned.origin))
            value = cst.Name(held)
        return value

    # -- what each kind records ---------------------------------------------------------

    def assign(self, statement: ir.Assign) -> list:
        lines = []
        if statement.id in self.activity.shape_only:
            shape = call(self.rt("shape_of"), cst.Name(statement.target))
            lines.append(self.push(shape, statement.origin, "the reverse sweep reads the old shape"))
        elif statement.id in self.activity.recorded:
            lines.append(
                self.push(cst.Name(statement.target), statement.origin, "the reverse sweep reads the old value")
            )
        return lines + super().assign(statement)

    def set_item(self, statement: ir.SetItem) -> list:
        lines = []
        if statement.id in self.activity.recorded:
            saved = call(self.rt("take"), cst.Name(statement.target), statement.index_value)
            lines.append(self.push(saved, statement.origin))
        if statement.id in self.activity.active_operands and not (statement.distinct or _slices_only(statement.index)):
            # A repeated position keeps the last value written there; the reverse sweep would credit every one.
            check = call(
                self.rt("require_distinct"),
                cst.Name(statement.target),
                statement.index_value,
                string(str(statement.origin)),
            )
            lines.append(Line(cst.Expr(check), statement.origin))
        return lines + super().set_item(statement)

    def branch(self, statement: ir.If) -> Compound:
        body, orelse = self.block(statement.body), self.block(statement.orelse)
        if statement.id in self.activity.reversed:
            # Which way it went, for the reverse sweep to go back the same way.
            body.append(self.push(cst.Name("True"), statement.origin, "branch taken"))
            orelse.append(self.push(cst.Name("False"), statement.origin, "branch taken"))
        return written_branch(statement, body, orelse)

    def checkpointed(self, body) -> list[ir.Loop]:
        """The loops in ``body`` reversed from snapshots."""
        checkpointed = self.activity.checkpointed
        return [s for s in ir.walk(body) if s.id in checkpointed and s.id in self.activity.reversed]

    def loop(self, loop: ir.Loop) -> list:
        lines: list = []
        reversed_ = loop.id in self.activity.reversed
        if reversed_ and loop.id in self.activity.checkpointed:
            if loop.id in self.activity.recorded:
                lines.append(self.push(cst.Name(loop.target), loop.origin, "the reverse sweep reads the old value"))
            if self.fresh is None:
                self.fresh = itertools.count(checkpoint.first_unused_temporary(self.function, self.names))
            return lines + checkpoint.forward(self, loop, self.fresh)
        counter = self.names.role(f"v_steps_{next(self.counters)}") if reversed_ and loop.counted else None
        if loop.id in self.activity.recorded:
            lines.append(self.push(cst.Name(loop.target), loop.origin, "the reverse sweep reads the old value"))
        body = []
        if counter:
            lines.append(assign(counter, cst.Integer("0"), loop.origin))
            body.append(assign(counter, _plus_one(counter), loop.origin))
        lines.extend(self.written_loop(loop, body + self.block(loop.body)))
        if not reversed_:
            return lines
        if loop.target is None:
            lines.append(self.push(cst.Name(counter), loop.origin, "iterations run"))
            return lines
        iterations = loop.iterable
        if counter:
            iterations = cst.Subscript(
                value=loop.iterable,
                slice=[cst.SubscriptElement(cst.Slice(lower=None, upper=cst.Name(counter)))],
            )
        lines.append(self.push(iterations, loop.origin, "the iterations run"))
        return lines


def _slices_only(index) -> bool:
    """An index of slices and integer literals: it cannot repeat a position (an array index might)."""
    return all(
        isinstance(element.slice, cst.Slice)
        or (isinstance(element.slice, cst.Index) and isinstance(element.slice.value, cst.Integer))
        for element in index
    )


def _plus_one(name: str) -> cst.BinaryOperation:
    return cst.BinaryOperation(left=cst.Name(name), operator=cst.Add(), right=cst.Integer("1"))
