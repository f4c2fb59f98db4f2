"""Reverse transform: the normalized program -> a forward sweep and a reverse sweep.

Requires: the program and its activity. The forward sweep is the program
itself, plus what the reverse sweep needs on the tape (tape.py). The reverse
sweep walks the statements backwards; for an active statement it inlines the
rule's adjoint for the active operands only, restores saved values, and
accumulates into ``d_<name>``:

    z = x @ w        ...reverse...   d_w = _rt.matmul_adjoint_right(d_z, x, w)

    if c:            ...reverse...   if tape.pop():
        ...                              ...
        tape.append(True)            else:
    else:                                ...
        ...
        tape.append(False)

    for t in r:      ...reverse...   for t in reversed(tape.pop()):
        ...                              ...
    tape.append(r)

Adjoints are symbolic until their first contribution (the first one is
assigned, later ones added); across a branch or loop they live in variables,
started at zero where a path gives them no contribution. The engine knows no
numpy function; everything mathematical comes from the rule table.
"""

from __future__ import annotations

import dataclasses
import itertools

import libcst as cst

from s2sad.core import ir
from s2sad import rules
from s2sad.analysis.recording import reads_output
from s2sad.analysis.shapes import integer_names
from s2sad.core.naming import Names
from s2sad.options import Options
from s2sad.core.target import Compound, Generated, Line, assign, attribute, call, is_new_array
from s2sad.transform import checkpoint
from s2sad.transform.replay import runtime, with_keyword_only
from s2sad.transform.rule_instances import RuleInstances
from s2sad.transform.tape import ForwardSweep, tape_call
from s2sad.core.unit import Unit

_KINDS = {"grad": "Gradient", "value_and_grad": "Value and gradient", "vjp": "Vector-Jacobian product"}


def run(unit: Unit, options: Options) -> Unit:
    function = unit.ir
    returned = function.body[-1]
    assert isinstance(returned, ir.Return)
    body = function.body[:-1]
    counters = itertools.count(1)  # loop counters, numbered across both sweeps
    forward_sweep = ForwardSweep(unit, options, counters)
    forward = forward_sweep.block(body)
    if forward_sweep.uses_tape(body):
        forward[:0] = forward_sweep.start(body)
    guards = forward_sweep.argument_guards()
    value = forward_sweep.returned_value(returned, forward)
    reverse_sweep = _ReverseSweep(unit, counters, forward_sweep)
    reverse_sweep.seed(returned, options)
    reverse = reverse_sweep.block(body)
    generated = Generated(
        name=f"{options.kind}_{function.name}",
        parameters=_parameters(function.signature, unit.names, options),
        docstring=f"{_KINDS[options.kind]} of {function.name} with respect to {', '.join(options.wrt)}."
        + options.assumed()
        + _taped_whole(function, unit.activity),
        guards=guards,
        forward=tuple(forward),
        reverse=tuple(reverse),
        result=_result(value, reverse_sweep.final(options.wrt), options),
    )
    return dataclasses.replace(unit, generated=generated, foreign={**unit.foreign, **reverse_sweep.instances.foreign})


def _taped_whole(function: ir.Function, activity) -> str:
    """For the docstring: the loops checkpointing was asked for that are taped whole, and why."""
    loops = [s for s in ir.walk(function.body) if s.id in activity.taped_whole and s.id in activity.reversed]
    if not loops:
        return ""
    reasons = "; ".join(f"{loop.origin}: {activity.taped_whole[loop.id]}" for loop in loops)
    return f"\n\n    Not checkpointed, taped whole: {reasons}.\n    "


def _parameters(signature: cst.Parameters, names: Names, options: Options) -> cst.Parameters:
    """The function's own parameters; a vjp takes the output's seed as well."""
    if options.kind != "vjp":
        return signature
    return with_keyword_only(signature, [names.role("seed")])


def _result(value: cst.BaseExpression, gradients: list, options: Options) -> cst.BaseExpression:
    if options.wrt_tuple:
        gradient: cst.BaseExpression = cst.Tuple(elements=[cst.Element(value=g) for g in gradients])
    else:
        (gradient,) = gradients
    if options.kind == "value_and_grad":
        gradient = cst.Tuple(elements=[cst.Element(value=value), cst.Element(value=gradient)])
    if isinstance(gradient, cst.Tuple):
        return gradient.with_changes(lpar=[], rpar=[])  # `return a, b`
    return gradient


class _ReverseSweep:
    def __init__(self, unit: Unit, counters: itertools.count, forward_sweep: ForwardSweep):
        self.forward_sweep = forward_sweep  # writes a checkpointed loop's iterations, taped, in this sweep
        self.function = unit.ir
        self.activity = unit.activity
        self.names: Names = unit.names
        self.counters = counters
        self.instances = RuleInstances(unit.names)
        self.adjoints: dict[str, cst.BaseExpression] = {}  # name -> its adjoint so far (absent: zero)
        self.owned: set[str] = set()  # names whose adjoint variable nothing else shares (may be updated in place)
        self.updated_in_place: set[str] = set()  # names whose adjoint variable some line updates in place
        self.out: list = []  # where reverse lines go
        self.integers = integer_names(self.function)  # loop counters, i + 1: ints as indices

    def rt(self, *attributes: str) -> cst.BaseExpression:
        return runtime(self.names, *attributes)

    def pop(self) -> cst.Call:
        return tape_call(self.names, "pop")

    def seed(self, returned: ir.Return, options: Options) -> None:
        if not isinstance(returned.value, cst.Name):
            return
        if options.kind == "vjp":
            self.adjoints[returned.value.value] = cst.Name(self.names.role("seed"))
        else:
            self.adjoints[returned.value.value] = cst.Float("1.0")

    def final(self, wrt) -> list[cst.BaseExpression]:
        """The gradient of each wrt argument, in the argument's type (float32 stays float32)."""
        gradients = []
        for name in wrt:
            found = self.adjoints.get(name)
            if found is None and name not in self.function.lists:
                gradients.append(call(self.rt("zeros_like"), cst.Name(name)))
            else:  # a container's zeros are a list or a dict: given back in its type
                found = found or call(self.rt("zeros_like"), cst.Name(name))
                gradients.append(call(self.rt("like"), found, cst.Name(name)))
        return gradients

    def block(self, statements) -> list:
        saved, self.out = self.out, []
        for statement in reversed(statements):
            match statement:
                case ir.Assign():
                    self.assign(statement)
                case ir.Append():
                    self.append(statement)
                case ir.SetItem():
                    self.set_item(statement)
                case ir.If():
                    self.branch(statement)
                case ir.Loop():
                    self.loop(statement)
                case ir.Guard():
                    pass  # a check: no value, no adjoint
                case _:
                    ir.unknown(statement)
        lines, self.out = self.out, saved
        return lines

    def materialize(self, names, origin) -> None:
        """Give each of ``names`` an adjoint variable: its symbolic value, or zeros shaped like it."""
        for name in sorted(names):
            current = self.adjoints.get(name)
            if isinstance(current, cst.Name) and current.value == self.names.adjoint(name):
                continue
            value = current if current is not None else call(self.rt("zeros_like"), cst.Name(name))
            self.out.append(assign(self.names.adjoint(name), value, origin))
            self.adjoints[name] = cst.Name(self.names.adjoint(name))
            if current is None:
                self.owned.add(name)

    def materialized_in(self, lines: list, names, origin) -> None:
        """``materialize``, writing to ``lines`` (a block already swept) instead of the current block."""
        saved, self.out = self.out, lines
        self.materialize(names, origin)
        self.out = saved

    # -- control flow -------------------------------------------------------------------

    def branch(self, statement: ir.If) -> None:
        if statement.id not in self.activity.reversed:
            return
        self.materialize(self.activity.zeros_before[statement.id], statement.origin)
        entering, owned_entering = dict(self.adjoints), set(self.owned)
        branches, ends, owned_ends = [], [], []
        for block in (statement.body, statement.orelse):
            self.adjoints, self.owned = dict(entering), set(owned_entering)
            lines = self.block(block)
            self.materialized_in(lines, self.activity.zeros_after[statement.id], statement.origin)
            branches.append(tuple(lines))
            ends.append(self.adjoints)
            owned_ends.append(self.owned)
        self.owned = owned_ends[0] & owned_ends[1]
        # After the branch: the adjoints both paths left in the same variable (or the same value).
        self.adjoints = {n: e for n, e in ends[0].items() if n in ends[1] and ends[1][n].deep_equals(e)}
        body, orelse = branches
        test: cst.BaseExpression = self.pop()
        if not body and not orelse:
            self.out.append(Line(cst.Expr(test), statement.origin))
            return
        if not body:
            test, body, orelse = cst.UnaryOperation(operator=cst.Not(), expression=test), orelse, ()
        header = cst.If(test=test, body=cst.IndentedBlock(body=[]))
        self.out.append(Compound(header, body, orelse, statement.origin))

    def loop(self, loop: ir.Loop) -> None:
        if loop.id not in self.activity.reversed:
            return
        self.materialize(self.activity.zeros_before[loop.id], loop.origin)
        outside = dict(self.adjoints)
        # Each reversed iteration starts with what the one before left: owned if the body keeps it so.
        owned_start = set(self.owned)
        updated_outside, self.updated_in_place = self.updated_in_place, set()
        lines = self.block(loop.body)
        # For the iteration before: zero where this one consumed an adjoint and gave none back.
        self.materialized_in(lines, self.activity.zeros_after[loop.id], loop.origin)
        for name in sorted((owned_start - self.owned) & self.updated_in_place):
            # The next iteration updates it in place again; on a path that never assigned the name
            # its adjoint is the number 0.0, which _rt.owned passes on.
            adjoint = self.names.adjoint(name)
            lines.append(assign(adjoint, call(self.rt("owned"), cst.Name(adjoint)), loop.origin))
            self.owned.add(name)
        self.adjoints = outside
        self.owned &= owned_start
        self.updated_in_place |= updated_outside
        facts = self.activity.checkpointed.get(loop.id)
        if facts is not None:
            taped = self.forward_sweep.block(loop.body)
            self.out.extend(checkpoint.reverse(self.names, loop, facts, taped, lines, self.pop()))
        elif loop.target is not None:
            iterations = call(cst.Name(self.names.builtin("reversed")), self.pop())
            target = cst.Name(loop.target)
        else:
            iterations = call(cst.Name(self.names.builtin("range")), self.pop())
            target = cst.Name(self.names.role(f"v_step_{next(self.counters)}"))
        if facts is None:
            header = cst.For(target=target, iter=iterations, body=cst.IndentedBlock(body=[]))
            self.out.append(Compound(header, tuple(lines) or (Line(cst.Pass()),), (), loop.origin))
        if loop.id in self.activity.recorded:
            self.out.append(assign(loop.target, self.pop(), loop.origin))

    # -- lists and arrays updated in place ----------------------------------------------

    def append(self, statement: ir.Append) -> None:
        d_list = self.adjoints.get(statement.target)
        if d_list is not None:
            # The list's adjoint has one item per item of the list: the last one is this value's.
            piece = call(attribute(self.names.adjoint(statement.target), "pop"))
            parameters = self.activity.active_operands.get(statement.id, ())
            if "value" in parameters and isinstance(statement.value, cst.Name):
                self.accumulate(statement.value.value, piece, statement)
            else:
                self.out.append(Line(cst.Expr(piece), statement.origin))
        if statement.id in self.activity.recorded:
            self.out.append(Line(cst.Expr(call(attribute(statement.target, "pop"))), statement.origin))

    def set_item(self, statement: ir.SetItem) -> None:
        d_target = self.adjoints.get(statement.target)
        if d_target is not None and self.activity.is_active(statement):
            self.materialize([statement.target], statement.origin)
            adjoint = self.names.adjoint(statement.target)
            contribution = None
            if "value" in self.activity.active_operands[statement.id] and isinstance(statement.value, cst.Name):
                part = call(self.rt("take"), cst.Name(adjoint), statement.index_value)
                contribution = call(self.rt("unbroadcast"), part, statement.value)
                if statement.value.value == statement.target:  # w[:] = w: added after the zeroing below
                    held = self.instances.fresh()
                    self.out.append(assign(held, contribution, statement.origin))
                    contribution = cst.Name(held)
                else:
                    self.accumulate(statement.value.value, contribution, statement)
                    contribution = None
            if not statement.augmented:
                # The old values there no longer reach the result: their adjoint is zero.
                self.own(statement.target, statement.origin)
                slot = cst.Subscript(value=cst.Name(adjoint), slice=statement.index)
                self.out.append(
                    Line(cst.Assign(targets=[cst.AssignTarget(target=slot)], value=cst.Float("0.0")), statement.origin)
                )
            if contribution is not None:
                self.accumulate(statement.value.value, contribution, statement)
        if statement.id in self.activity.recorded:
            slot = cst.Subscript(value=cst.Name(statement.target), slice=statement.index)
            self.out.append(
                Line(cst.Assign(targets=[cst.AssignTarget(target=slot)], value=self.pop()), statement.origin)
            )

    def own(self, name: str, origin) -> None:
        """Make the adjoint of ``name`` an array no other variable shares, before updating it in place."""
        self.updated_in_place.add(name)
        if name in self.owned:
            return
        adjoint = self.names.adjoint(name)
        self.out.append(assign(adjoint, call(attribute(adjoint, "copy")), origin))
        self.owned.add(name)

    # -- assignments: the rule's adjoint --------------------------------------------------

    def assign(self, statement: ir.Assign) -> None:
        d_out = self.adjoints.pop(statement.target, None)
        active = d_out is not None and self.activity.is_active(statement)
        restore = statement.id in self.activity.recorded
        # Restore the old value first, unless the adjoint reads the new one (activity counts on this order).
        if restore and not (
            self.activity.is_active(statement) and reads_output(statement, self.activity.active_operands[statement.id])
        ):
            self.out.append(self.restore(statement))
            restore = False
        if active:
            self.contribute(statement, d_out)
        if restore:
            self.out.append(self.restore(statement))

    def restore(self, statement: ir.Assign) -> Line:
        return dataclasses.replace(assign(statement.target, self.pop(), statement.origin), note="restored")

    def contribute(self, statement: ir.Assign, d_out: cst.BaseExpression) -> None:
        rule = rules.lookup(statement.rule)
        parameters = self.activity.active_operands[statement.id]
        same_shape = self.activity.same_shape.get(statement.id, frozenset())
        wanted = tuple(rule.differentiable.index(p) for p in parameters)
        setup, results = self.instances.write(statement, rule.adjoint, rule, rule.function, {"d_out": d_out}, wanted)
        self.out.extend(setup)
        for parameter, index in zip(parameters, wanted, strict=True):
            contribution = results[index]
            operand = statement.operands[parameter]
            if parameter in rule.sequences:
                if isinstance(operand, cst.Name):  # a list the function built
                    self.accumulate(operand.value, contribution, statement)
                else:
                    self.contribute_items(statement, operand, contribution)
                continue
            # A one-argument elementwise function keeps its argument's shape.
            if rule.elementwise and len(rule.differentiable) > 1 and parameter not in same_shape:
                summed = self.activity.sums.get((statement.id, parameter))
                if summed is not None:
                    contribution = _summed(self.names.module("np"), contribution, *summed)
                else:
                    shaped_by = self.activity.shaped_by.get((statement.id, operand.value), (operand.value,))
                    contribution = call(self.rt("unbroadcast"), contribution, *map(cst.Name, shaped_by))
            self.accumulate(operand.value, contribution, statement)

    def contribute_items(self, statement: ir.Assign, items, contribution) -> None:
        """A sequence parameter's contribution holds one adjoint per item, in order."""
        active = self.activity.active_names[statement.id]
        held = self.instances.fresh()
        self.out.append(assign(held, contribution, statement.origin))
        for position, item in enumerate(items):
            if isinstance(item, cst.Name) and item.value in active:
                piece = cst.Subscript(
                    value=cst.Name(held),
                    slice=[cst.SubscriptElement(slice=cst.Index(value=cst.Integer(str(position))))],
                )
                self.accumulate(item.value, piece, statement)

    def accumulate(self, name: str, contribution: cst.BaseExpression, statement) -> None:
        adjoint = self.names.adjoint(name)
        current = self.adjoints.get(name)
        if name in self.function.lists:
            held = current is not None and current.deep_equals(cst.Name(adjoint)) and name in self.owned
            if held and _reads_item(contribution, self.rt("getitem_adjoint")):
                # An item's adjoint added into that item of the list's own adjoint: no list of zeros.
                g, x, index = (arg.value for arg in contribution.args)
                contribution = call(self.rt("add_to_part"), current, x, index, g)
                self.updated_in_place.add(name)
            elif current is not None:
                contribution = call(self.rt("add_lists"), current, contribution)
            else:
                contribution = call(self.rt("as_list"), contribution)
            owned = True
        elif current is not None:
            if (
                name in self.owned
                and current.deep_equals(cst.Name(adjoint))
                and isinstance(contribution, cst.Call)
                and contribution.func.deep_equals(self.rt("getitem_adjoint"))
            ):
                # The adjoint of x[index] added into x's own adjoint in place: no array of zeros.
                g, _, index = (arg.value for arg in contribution.args)
                self.updated_in_place.add(name)
                if _selects_once(index, self.integers):  # what add_at does, written out
                    target = cst.Subscript(value=cst.Name(adjoint), slice=index.slice)
                    self.out.append(Line(cst.AugAssign(target, cst.AddAssign(), g), statement.origin))
                else:
                    update = call(self.rt("add_at"), cst.Name(adjoint), index, g)
                    self.out.append(Line(cst.Expr(update), statement.origin))
                return
            contribution = cst.BinaryOperation(left=current, operator=cst.Add(), right=contribution)
            owned = True
        else:
            owned = is_new_array(contribution)
        self.out.append(assign(adjoint, contribution, statement.origin))
        self.adjoints[name] = cst.Name(adjoint)
        if owned:
            self.owned.add(name)
        else:
            self.owned.discard(name)


def _reads_item(contribution: cst.BaseExpression, getitem_adjoint: cst.BaseExpression) -> bool:
    """Whether ``contribution`` is ``_rt.getitem_adjoint(g, x, index)``, its arguments as written."""
    return (
        isinstance(contribution, cst.Call)
        and contribution.func.deep_equals(getitem_adjoint)
        and len(contribution.args) == 3
        and all(arg.keyword is None and not arg.star for arg in contribution.args)
    )


def _summed(numpy: str, contribution, dropped: tuple[int, ...], kept: tuple[int, ...]) -> cst.Call:
    """``contribution`` summed over the leading axes ``dropped``, then over ``kept`` keeping them:
    numpy's ``np.sum``, where the forms tell at generation what ``_rt.unbroadcast`` finds at run time."""
    if dropped:
        contribution = cst.Call(attribute(numpy, "sum"), [cst.Arg(contribution), *_axis_arguments(dropped)])
    if kept:
        keepdims = cst.Arg(cst.Name("True"), keyword=cst.Name("keepdims"))
        contribution = cst.Call(attribute(numpy, "sum"), [cst.Arg(contribution), *_axis_arguments(kept), keepdims])
    return contribution


def _axis_arguments(axes: tuple[int, ...]) -> list[cst.Arg]:
    value = (
        cst.Integer(str(axes[0]))
        if len(axes) == 1
        else cst.Tuple([cst.Element(cst.Integer(str(axis))) for axis in axes])
    )
    return [cst.Arg(value, keyword=cst.Name("axis"))]


def _selects_once(index: cst.BaseExpression, integers: frozenset[str]) -> bool:
    """Whether ``np.s_[...]`` surely selects each element once: slices, whole numbers written out,
    ``integers`` (ints the function computes), None and ``...`` (never an array of integers or a mask)."""
    if not isinstance(index, cst.Subscript):
        return False
    for element in index.slice:
        item = element.slice
        if isinstance(item, cst.Slice):
            continue
        value = item.value
        if not (
            isinstance(value, (cst.Integer, cst.Ellipsis))
            or (isinstance(value, cst.Name) and (value.value in integers or value.value == "None"))
            or (isinstance(value, cst.UnaryOperation) and isinstance(value.expression, cst.Integer))
        ):
            return False
    return True
