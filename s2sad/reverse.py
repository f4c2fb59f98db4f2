"""Reverse transform: the normalized program -> a forward sweep and a reverse sweep.

Requires: the program and its activity. The forward sweep is the program
itself, saving on the tape each value an assignment overwrites that the
reverse sweep reads. The reverse sweep walks the statements backwards; for an
active statement it inlines the rule's adjoint for the active operands only,
restores saved values, and accumulates into ``d_<name>``:

    z = x @ w        ...reverse...   d_w = _rt.matmul_adjoint_right(d_z, x, w)

Adjoints are symbolic until their first contribution: the first one is
assigned, later ones added, and a zero adjoint costs nothing. The engine knows
no numpy function; everything mathematical comes from the rule table.
"""

from __future__ import annotations

import dataclasses
import itertools

import libcst as cst

from s2sad import ir, rules, templates
from s2sad.naming import Names
from s2sad.options import Options
from s2sad.target import Generated, Line, assign, attribute, call, string
from s2sad.unit import Unit


def run(unit: Unit, options: Options) -> Unit:
    return dataclasses.replace(unit, generated=_Transform(unit, options).generate())


class _Transform:
    def __init__(self, unit: Unit, options: Options):
        self.unit = unit
        self.options = options
        self.function = unit.ir
        self.activity = unit.activity
        self.names: Names = unit.names
        self.temps = itertools.count(1)
        self.adjoints: dict[str, cst.BaseExpression] = {}  # name -> its adjoint so far (absent: zero)
        self.reverse: list[Line] = []

    def rt(self, *attributes: str) -> cst.BaseExpression:
        return attribute(self.names.module("_rt"), *attributes)

    def generate(self) -> Generated:
        returned = self.function.body[-1]
        assert isinstance(returned, ir.Return)
        forward = self.forward_sweep()
        checks = tuple(
            Line(
                cst.Expr(
                    call(self.rt("require_float"), cst.Name(name), string(name),
                         string(str(self.function.parameter_origins[name])))
                ),
                None,
            )
            for name in self.options.wrt
        )
        value = self.returned_value(returned, forward)
        self.seed(returned)
        for statement in reversed(self.function.body[:-1]):
            self.adjoint(statement)
        return Generated(
            name=f"{self.options.kind}_{self.function.name}",
            parameters=self.parameters(),
            docstring=self.docstring(),
            checks=checks,
            forward=tuple(forward),
            reverse=tuple(self.reverse),
            result=self.result(value),
        )

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

    def forward_sweep(self) -> list[Line]:
        lines = []
        if self.activity.recorded:
            lines.append(assign(self.names.role("tape"), cst.List(elements=[]), None))
        for statement in self.function.body[:-1]:
            if isinstance(statement, ir.Guard):
                lines.append(Line(cst.Expr(statement.value), statement.origin))
                continue
            if statement.id in self.activity.recorded:
                push = call(attribute(self.names.role("tape"), "append"), cst.Name(statement.target))
                lines.append(Line(cst.Expr(push), statement.origin))
            lines.append(assign(statement.target, statement.value, statement.origin))
        return lines

    def returned_value(self, returned: ir.Return, forward: list[Line]) -> cst.BaseExpression:
        """The primal result, checked scalar for grad, and kept safe from the reverse sweep's restores."""
        value = returned.value
        if self.options.kind != "vjp":
            where = string(str(returned.origin))
            forward.append(Line(cst.Expr(call(self.rt("require_scalar"), value, where)), returned.origin))
        restored = {s.target for s in self.function.body if s.id in self.activity.recorded}  # type: ignore[union-attr]
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

    def adjoint(self, statement: ir.Statement) -> None:
        if isinstance(statement, ir.Guard):
            return
        d_out = self.adjoints.pop(statement.target, None)
        if d_out is not None and self.activity.is_active(statement):
            self.contribute(statement, d_out)
        if statement.id in self.activity.recorded:
            pop = call(attribute(self.names.role("tape"), "pop"))
            self.reverse.append(assign(statement.target, pop, statement.origin))

    def contribute(self, statement: ir.Assign, d_out: cst.BaseExpression) -> None:
        rule = rules.RULES[statement.rule]
        parameters = self.activity.active_operands[statement.id]
        same_shape = self.activity.same_shape.get(statement.id, frozenset())
        bindings: dict[str, cst.BaseExpression] = {"d_out": d_out, "out": cst.Name(statement.target)}
        for parameter, operand in statement.operands.items():
            bindings[parameter] = cst.List(elements=[cst.Element(a) for a in operand]) if isinstance(operand, tuple) else operand
        for alias in templates.MODULE_NAMES:
            bindings[alias] = cst.Name(self.names.module(alias))
        wanted = tuple(rule.differentiable.index(p) for p in parameters)
        setup, results = templates.instantiate(rule.adjoint, bindings, wanted, self.fresh)
        for name, value in setup:
            self.reverse.append(assign(name, value, statement.origin))
        for parameter, index in zip(parameters, wanted):
            contribution = results[index]
            operand = statement.operands[parameter]
            if parameter in rule.sequences:
                self.contribute_items(statement, operand, contribution)
                continue
            # A one-argument elementwise function keeps its argument's shape.
            if rule.elementwise and len(rule.differentiable) > 1 and parameter not in same_shape:
                contribution = call(self.rt("unbroadcast"), contribution, operand)
            self.accumulate(operand.value, contribution, statement)

    def contribute_items(self, statement: ir.Assign, items, contribution) -> None:
        """A sequence parameter's contribution holds one adjoint per item, in order."""
        active = self.activity.active_names[statement.id]
        held = self.fresh()
        self.reverse.append(assign(held, contribution, statement.origin))
        for position, item in enumerate(items):
            if isinstance(item, cst.Name) and item.value in active:
                piece = cst.Subscript(
                    value=cst.Name(held), slice=[cst.SubscriptElement(slice=cst.Index(value=cst.Integer(str(position))))]
                )
                self.accumulate(item.value, piece, statement)

    def accumulate(self, name: str, contribution: cst.BaseExpression, statement: ir.Assign) -> None:
        adjoint = self.names.adjoint(name)
        current = self.adjoints.get(name)
        if current is not None:
            contribution = cst.BinaryOperation(left=current, operator=cst.Add(), right=contribution)
        self.reverse.append(assign(adjoint, contribution, statement.origin))
        self.adjoints[name] = cst.Name(adjoint)

    def fresh(self) -> str:
        return self.names.temp("r", next(self.temps))
