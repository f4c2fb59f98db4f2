"""Reverse transform: the normalized program -> a forward sweep and a reverse sweep.

Requires: the program and its activity. The forward sweep is the program
itself, plus what the reverse sweep needs: the old value of each recorded
assignment, which way each branch went, how many times each loop ran, all on
one tape (a list). The reverse sweep walks the statements backwards; for an
active statement it inlines the rule's adjoint for the active operands only,
restores saved values, and accumulates into ``d_<name>``:

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

from s2sad import ir, load, rules, templates
from s2sad.activity import reads_output
from s2sad.naming import Names
from s2sad.options import Options
from s2sad.target import Compound, Generated, Line, assign, attribute, call, string
from s2sad.unit import Unit


def run(unit: Unit, options: Options) -> Unit:
    transform = _Transform(unit, options)
    generated = transform.generate()
    return dataclasses.replace(unit, generated=generated, foreign={**unit.foreign, **transform.foreign})


class _Transform:
    def __init__(self, unit: Unit, options: Options):
        self.unit = unit
        self.options = options
        self.function = unit.ir
        self.activity = unit.activity
        self.names: Names = unit.names
        self.temps = itertools.count(1)
        self.counters = itertools.count(1)
        self.adjoints: dict[str, cst.BaseExpression] = {}  # name -> its adjoint so far (absent: zero)
        self.owned: set[str] = set()  # names whose adjoint variable nothing else shares (may be updated in place)
        self.updated_in_place: set[str] = set()  # names whose adjoint variable some line updates in place
        self.foreign: dict[str, tuple[object, str]] = {}  # globals users' rules read (see Unit.foreign)
        self.out: list = []  # where reverse lines go

    def rt(self, *attributes: str) -> cst.BaseExpression:
        return attribute(self.names.module("_rt"), *attributes)

    def tape(self, method: str, *args: cst.BaseExpression) -> cst.Call:
        return call(attribute(self.names.role("tape"), method), *args)

    def generate(self) -> Generated:
        returned = self.function.body[-1]
        assert isinstance(returned, ir.Return)
        body = self.function.body[:-1]
        forward = self.forward_block(body)
        if self.uses_tape(body):
            forward[:0] = [assign(self.names.role("tape"), cst.List(elements=[]), None), *self.unbound_saved(body)]
        checks = tuple(
            Line(
                cst.Expr(
                    call(
                        self.rt("require_float"),
                        cst.Name(name),
                        string(name),
                        string(str(self.function.parameter_origins[name])),
                    )
                ),
                None,
            )
            for name in self.options.wrt
        )
        value = self.returned_value(returned, forward)
        self.seed(returned)
        reverse = self.reverse_block(body)
        return Generated(
            name=f"{self.options.kind}_{self.function.name}",
            parameters=self.parameters(),
            docstring=self.docstring(),
            checks=checks,
            forward=tuple(forward),
            reverse=tuple(reverse),
            result=self.result(value),
        )

    def unbound_saved(self, body) -> list[Line]:
        """``name = None`` for each name first assigned inside a branch or loop that the tape
        saves or a zero adjoint is shaped like: on a path that never assigned it, it has no value.
        Likewise for a name whose first assignment saves its old value (which views may make the
        activity analysis ask for: it tells views apart by name, not by the point in the code).
        """
        first_inside = ir.first_bound_inside(body, self.function.parameters)
        saved = {getattr(s, "target", None) for s in ir.walk(body) if s.id in self.activity.recorded}
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

    def uses_tape(self, body) -> bool:
        return any(s.id in self.activity.recorded or s.id in self.activity.reversed for s in ir.walk(body))

    # -- signature and result --------------------------------------------------

    def parameters(self) -> cst.Parameters:
        signature = self.function.signature
        if self.options.kind != "vjp":
            return signature
        seed = cst.Param(name=cst.Name(self.names.role("seed")))
        return signature.with_changes(
            star_arg=cst.ParamStar() if not signature.kwonly_params else signature.star_arg,
            kwonly_params=[*signature.kwonly_params, seed],
        )

    def docstring(self) -> str:
        what = {"grad": "Gradient", "value_and_grad": "Value and gradient", "vjp": "Vector-Jacobian product"}
        wrt = ", ".join(self.options.wrt)
        return f"{what[self.options.kind]} of {self.function.name} with respect to {wrt}."

    def result(self, value: cst.BaseExpression) -> cst.BaseExpression:
        gradients = [self.final_adjoint(name) for name in self.options.wrt]
        if self.options.wrt_tuple:
            gradient: cst.BaseExpression = cst.Tuple(elements=[cst.Element(value=g) for g in gradients])
        else:
            (gradient,) = gradients
        if self.options.kind == "value_and_grad":
            gradient = cst.Tuple(elements=[cst.Element(value=value), cst.Element(value=gradient)])
        if isinstance(gradient, cst.Tuple):
            return gradient.with_changes(lpar=[], rpar=[])  # `return a, b`
        return gradient

    def final_adjoint(self, name: str) -> cst.BaseExpression:
        """The gradient of a wrt argument, in the argument's type (float32 stays float32)."""
        found = self.adjoints.get(name)
        if found is None:
            return call(self.rt("zeros_like"), cst.Name(name))
        return call(self.rt("like"), found, cst.Name(name))

    # -- forward sweep -----------------------------------------------------------

    def forward_block(self, statements) -> list:
        lines: list = []
        for statement in statements:
            if isinstance(statement, ir.Guard):
                lines.append(Line(cst.Expr(statement.value), statement.origin))
            elif isinstance(statement, ir.Assign):
                if statement.id in self.activity.shape_only:
                    push = self.tape("append", call(self.rt("shape_of"), cst.Name(statement.target)))
                    lines.append(Line(cst.Expr(push), statement.origin, "the reverse sweep reads the old shape"))
                elif statement.id in self.activity.recorded:
                    push = self.tape("append", cst.Name(statement.target))
                    lines.append(Line(cst.Expr(push), statement.origin, "the reverse sweep reads the old value"))
                lines.append(assign(statement.target, statement.value, statement.origin))
            elif isinstance(statement, ir.Append):
                lines.append(
                    Line(cst.Expr(call(attribute(statement.target, "append"), statement.value)), statement.origin)
                )
            elif isinstance(statement, ir.SetItem):
                part = cst.Subscript(value=cst.Name(statement.target), slice=statement.index)
                if statement.id in self.activity.recorded:
                    saved = call(self.rt("take"), cst.Name(statement.target), statement.index_value)
                    lines.append(Line(cst.Expr(self.tape("append", saved)), statement.origin))
                if statement.id in self.activity.active_operands and not (
                    statement.distinct or _slices_only(statement.index)
                ):
                    check = call(
                        self.rt("require_distinct"),
                        cst.Name(statement.target),
                        statement.index_value,
                        string(str(statement.origin)),
                    )
                    lines.append(Line(cst.Expr(check), statement.origin))
                operator = cst.AddAssign() if statement.augmented else None
                node = (
                    cst.AugAssign(target=part, operator=operator, value=statement.value)
                    if operator
                    else cst.Assign(targets=[cst.AssignTarget(target=part)], value=statement.value)
                )
                lines.append(Line(node, statement.origin))
            elif isinstance(statement, ir.If):
                lines.append(self.forward_if(statement))
            else:
                lines.extend(self.forward_loop(statement))
        return lines

    def forward_if(self, statement: ir.If) -> Compound:
        body, orelse = self.forward_block(statement.body), self.forward_block(statement.orelse)
        if statement.id in self.activity.reversed:
            # Which way it went, for the reverse sweep to go back the same way.
            body.append(Line(cst.Expr(self.tape("append", cst.Name("True"))), statement.origin, "branch taken"))
            orelse.append(Line(cst.Expr(self.tape("append", cst.Name("False"))), statement.origin, "branch taken"))
        header = cst.If(test=statement.test, body=cst.IndentedBlock(body=[]))
        return Compound(header, tuple(body) or (Line(cst.Pass()),), tuple(orelse), statement.origin)

    def forward_loop(self, loop: ir.Loop) -> list:
        lines: list = []
        reversed_ = loop.id in self.activity.reversed
        counter = self.names.role(f"v_steps_{next(self.counters)}") if reversed_ and loop.counted else None
        if loop.id in self.activity.recorded:
            push = self.tape("append", cst.Name(loop.target))
            lines.append(Line(cst.Expr(push), loop.origin, "the reverse sweep reads the old value"))
        if counter:
            lines.append(assign(counter, cst.Integer("0"), loop.origin))
        body = []
        if counter:
            body.append(assign(counter, _plus_one(counter), loop.origin))
        body.extend(self.forward_block(loop.body))
        if loop.exit_test is not None:
            header = cst.If(test=loop.exit_test, body=cst.IndentedBlock(body=[]))
            body.append(Compound(header, (Line(cst.Break()),), (), loop.origin))
        if loop.target is not None:
            header = cst.For(target=cst.Name(loop.target), iter=loop.iterable, body=cst.IndentedBlock(body=[]))
            lines.append(Compound(header, tuple(body), (), loop.origin))
            if reversed_:
                iterations = loop.iterable
                if counter:
                    iterations = cst.Subscript(
                        value=loop.iterable,
                        slice=[cst.SubscriptElement(cst.Slice(lower=None, upper=cst.Name(counter)))],
                    )
                lines.append(Line(cst.Expr(self.tape("append", iterations)), loop.origin, "the iterations run"))
        else:
            test_lines = self.forward_block(loop.test_block)
            lines.extend(test_lines)
            header = cst.While(test=loop.test, body=cst.IndentedBlock(body=[]))
            lines.append(Compound(header, tuple(body + self.forward_block(loop.test_block)), (), loop.origin))
            if reversed_:
                lines.append(Line(cst.Expr(self.tape("append", cst.Name(counter))), loop.origin, "iterations run"))
        return lines

    def returned_value(self, returned: ir.Return, forward: list) -> cst.BaseExpression:
        """The primal result, checked scalar for grad, and kept safe from the reverse sweep's restores."""
        value = returned.value
        if self.options.kind != "vjp" and not self.activity.scalar_result:
            where = string(str(returned.origin))
            forward.append(Line(cst.Expr(call(self.rt("require_scalar"), value, where)), returned.origin))
        restored = {getattr(s, "target", None) for s in ir.walk(self.function.body) if s.id in self.activity.recorded}
        if self.options.kind == "value_and_grad" and ir.names_read(value) & restored:
            held = self.names.role("result")
            forward.append(assign(held, value, returned.origin))
            value = cst.Name(held)
        return value

    # -- reverse sweep -------------------------------------------------------------

    def seed(self, returned: ir.Return) -> None:
        if not isinstance(returned.value, cst.Name):
            return
        if self.options.kind == "vjp":
            self.adjoints[returned.value.value] = cst.Name(self.names.role("seed"))
        else:
            self.adjoints[returned.value.value] = cst.Float("1.0")

    def reverse_block(self, statements) -> list:
        saved, self.out = self.out, []
        for statement in reversed(statements):
            if isinstance(statement, ir.Assign):
                self.adjoint(statement)
            elif isinstance(statement, ir.Append):
                self.reverse_append(statement)
            elif isinstance(statement, ir.SetItem):
                self.reverse_set_item(statement)
            elif isinstance(statement, ir.If):
                self.reverse_if(statement)
            elif isinstance(statement, ir.Loop):
                self.reverse_loop(statement)
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

    def reverse_if(self, statement: ir.If) -> None:
        if statement.id not in self.activity.reversed:
            return
        self.materialize(self.activity.zeros_before[statement.id], statement.origin)
        entering, owned_entering = dict(self.adjoints), set(self.owned)
        branches, ends, owned_ends = [], [], []
        for block in (statement.body, statement.orelse):
            self.adjoints, self.owned = dict(entering), set(owned_entering)
            lines = self.reverse_block(block)
            saved, self.out = self.out, lines
            self.materialize(self.activity.zeros_after[statement.id], statement.origin)
            self.out = saved
            branches.append(tuple(lines))
            ends.append(self.adjoints)
            owned_ends.append(self.owned)
        self.owned = owned_ends[0] & owned_ends[1]
        # After the branch: the adjoints both paths left in the same variable (or the same value).
        self.adjoints = {n: e for n, e in ends[0].items() if n in ends[1] and ends[1][n].deep_equals(e)}
        body, orelse = branches
        test: cst.BaseExpression = self.tape("pop")
        if not body and not orelse:
            self.out.append(Line(cst.Expr(test), statement.origin))
            return
        if not body:
            test, body, orelse = cst.UnaryOperation(operator=cst.Not(), expression=test), orelse, ()
        header = cst.If(test=test, body=cst.IndentedBlock(body=[]))
        self.out.append(Compound(header, body, orelse, statement.origin))

    def reverse_loop(self, loop: ir.Loop) -> None:
        if loop.id not in self.activity.reversed:
            return
        carried = self.activity.zeros_before[loop.id]
        self.materialize(carried, loop.origin)
        outside = dict(self.adjoints)
        # Each reversed iteration starts with what the one before left: owned if the body keeps it so.
        owned_start = set(self.owned)
        updated_outside, self.updated_in_place = self.updated_in_place, set()
        lines = self.reverse_block(loop.body)
        saved, self.out = self.out, lines
        # For the iteration before: zero where this one consumed an adjoint and gave none back.
        self.materialize(self.activity.zeros_after[loop.id], loop.origin)
        for name in sorted((owned_start - self.owned) & self.updated_in_place):
            # The next iteration updates it in place again; on a path that never assigned the name
            # its adjoint is the number 0.0, which _rt.owned passes on.
            adjoint = self.names.adjoint(name)
            self.out.append(assign(adjoint, call(self.rt("owned"), cst.Name(adjoint)), loop.origin))
            self.owned.add(name)
        self.out = saved
        self.adjoints = outside
        self.owned &= owned_start
        self.updated_in_place |= updated_outside
        if loop.target is not None:
            iterations = call(cst.Name(self.names.builtin("reversed")), self.tape("pop"))
            target = cst.Name(loop.target)
        else:
            iterations = call(cst.Name(self.names.builtin("range")), self.tape("pop"))
            target = cst.Name(self.names.role(f"v_step_{next(self.counters)}"))
        header = cst.For(target=target, iter=iterations, body=cst.IndentedBlock(body=[]))
        self.out.append(Compound(header, tuple(lines) or (Line(cst.Pass()),), (), loop.origin))
        if loop.id in self.activity.recorded:
            self.out.append(assign(loop.target, self.tape("pop"), loop.origin))

    def reverse_append(self, statement: ir.Append) -> None:
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

    def reverse_set_item(self, statement: ir.SetItem) -> None:
        d_target = self.adjoints.get(statement.target)
        if d_target is not None and self.activity.is_active(statement):
            self.materialize([statement.target], statement.origin)
            adjoint = self.names.adjoint(statement.target)
            contribution = None
            if "value" in self.activity.active_operands[statement.id] and isinstance(statement.value, cst.Name):
                part = call(self.rt("take"), cst.Name(adjoint), statement.index_value)
                contribution = call(self.rt("unbroadcast"), part, statement.value)
                if statement.value.value == statement.target:  # w[:] = w: added after the zeroing below
                    held = self.fresh()
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
                Line(cst.Assign(targets=[cst.AssignTarget(target=slot)], value=self.tape("pop")), statement.origin)
            )

    def own(self, name: str, origin) -> None:
        """Make the adjoint of ``name`` an array no other variable shares, before updating it in place."""
        self.updated_in_place.add(name)
        if name in self.owned:
            return
        adjoint = self.names.adjoint(name)
        self.out.append(assign(adjoint, call(attribute(adjoint, "copy")), origin))
        self.owned.add(name)

    def adjoint(self, statement: ir.Assign) -> None:
        d_out = self.adjoints.pop(statement.target, None)
        active = d_out is not None and self.activity.is_active(statement)
        restore = statement.id in self.activity.recorded
        # Restore the old value first, unless the adjoint reads the new one (activity counts on this order).
        if restore and not (self.activity.is_active(statement) and self.reads_output(statement)):
            self.out.append(self.restore(statement))
            restore = False
        if active:
            self.contribute(statement, d_out)
        if restore:
            self.out.append(self.restore(statement))

    def restore(self, statement: ir.Assign) -> Line:
        return dataclasses.replace(assign(statement.target, self.tape("pop"), statement.origin), note="restored")

    def reads_output(self, statement: ir.Assign) -> bool:
        return reads_output(statement, self.activity.active_operands[statement.id])

    def contribute(self, statement: ir.Assign, d_out: cst.BaseExpression) -> None:
        rule = rules.lookup(statement.rule)
        parameters = self.activity.active_operands[statement.id]
        same_shape = self.activity.same_shape.get(statement.id, frozenset())
        bindings: dict[str, cst.BaseExpression] = {"d_out": d_out, "out": cst.Name(statement.target)}
        for parameter, operand in statement.operands.items():
            bindings[parameter] = (
                cst.List(elements=[cst.Element(a) for a in operand]) if isinstance(operand, tuple) else operand
            )
        for alias in templates.MODULE_NAMES:
            bindings[alias] = cst.Name(self.names.module(alias))
        for name in sorted(rule.adjoint.globals):
            placeholder = self.names.role(f"v_{name}_{len(self.foreign) + 1}")
            where = load.live_namespace(rule.function) if rule.function else rule.module
            self.foreign.setdefault(placeholder, (where, name))
            bindings[name] = cst.Name(placeholder)
        wanted = tuple(rule.differentiable.index(p) for p in parameters)
        setup, results = templates.instantiate(rule.adjoint, bindings, wanted, self.fresh)
        for name, value in setup:
            self.out.append(assign(name, value, statement.origin))
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
                shaped_by = self.activity.shaped_by.get((statement.id, operand.value), (operand.value,))
                contribution = call(self.rt("unbroadcast"), contribution, *map(cst.Name, shaped_by))
            self.accumulate(operand.value, contribution, statement)

    def contribute_items(self, statement: ir.Assign, items, contribution) -> None:
        """A sequence parameter's contribution holds one adjoint per item, in order."""
        active = self.activity.active_names[statement.id]
        held = self.fresh()
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
            if current is not None:
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
                self.out.append(Line(cst.Expr(call(self.rt("add_at"), cst.Name(adjoint), index, g)), statement.origin))
                return
            contribution = cst.BinaryOperation(left=current, operator=cst.Add(), right=contribution)
            owned = True
        else:
            owned = fresh(contribution)
        self.out.append(assign(adjoint, contribution, statement.origin))
        self.adjoints[name] = cst.Name(adjoint)
        if owned:
            self.owned.add(name)
        else:
            self.owned.discard(name)

    def fresh(self) -> str:
        return self.names.temp("r", next(self.temps))


def fresh(value: cst.BaseExpression) -> bool:
    """Whether ``value`` is certainly a new array (or number) that nothing else refers to."""
    if isinstance(value, (cst.BinaryOperation, cst.UnaryOperation, cst.Integer, cst.Float)):
        return True
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
        name = value.func.attr.value
        if name == "unbroadcast":
            return fresh(value.args[0].value)  # returns its argument when shapes agree
        return name in rules.ALLOCATING
    return False


def _slices_only(index) -> bool:
    """An index of slices and integer literals: it cannot repeat a position (an array index might)."""
    return all(
        isinstance(element.slice, cst.Slice)
        or (isinstance(element.slice, cst.Index) and isinstance(element.slice.value, cst.Integer))
        for element in index
    )


def _plus_one(name: str) -> cst.BinaryOperation:
    return cst.BinaryOperation(left=cst.Name(name), operator=cst.Add(), right=cst.Integer("1"))
