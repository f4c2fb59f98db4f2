"""The statement replay both transforms share: the normalized program written out again, in order.

Forward mode and reverse mode's forward sweep both walk the statements from
the first and write each one as it was: the primal statement, a branch with
its two arms, a loop with its exit test and its while test computed before
each iteration. ``Replay`` does that walk, with one case per statement kind;
a mode extends the case of a kind with what it adds around the statement
(tangents in forward mode, tape pushes in reverse mode):

    class Tangents(Replay):
        def assign(self, statement):
            return super().assign(statement) + self.tangent(statement)
"""

from __future__ import annotations

import libcst as cst

from s2sad.core import ir
from s2sad.core.naming import Names
from s2sad.options import Options
from s2sad.core.target import Compound, Line, assign, attribute, call, string
from s2sad.core.unit import Unit


class Replay:
    def __init__(self, unit: Unit, options: Options):
        self.options = options
        self.function = unit.ir
        self.activity = unit.activity
        self.names: Names = unit.names

    def rt(self, *attributes: str) -> cst.BaseExpression:
        return runtime(self.names, *attributes)

    def argument_guards(self) -> tuple[Line, ...]:
        """A run-time check that each differentiated argument holds floating-point numbers (a container
        of them, of the form it was generated for), and that the arguments have the forms a specialized
        derivative relies on."""
        structures = dict(self.options.structures)
        guards = []
        for name in self.options.wrt:
            where = [cst.Name(name), string(name), string(str(self.function.parameter_origins[name]))]
            if name in structures:
                check = call(self.rt("require_structure"), *where, cst.parse_expression(repr(structures[name])))
            else:
                check = call(self.rt("require_container" if name in self.function.lists else "require_float"), *where)
            guards.append(Line(cst.Expr(check)))
        # (a vjp's seed, passed by keyword, has a form too: the analysis reads only the parameters')
        relied_on = [shape for shape in self.options.shapes if shape[0] in self.function.parameter_origins]
        if relied_on:
            guards.append(Line(cst.Expr(call(self.rt("require_forms"), *map(self.form_expected, relied_on)))))
        exact = [(name, shape) for name, shape in self.options.lengths if name in self.function.parameter_origins]
        if exact:  # a recursion unrolled for these shapes
            guards.append(Line(cst.Expr(call(self.rt("require_shapes"), *map(self.shape_expected, exact)))))
        return tuple(guards)

    def shape_expected(self, exact: tuple[str, tuple[int, ...]]) -> cst.Tuple:
        """``(value, name, where, shape)``: what ``_rt.require_shapes`` checks of one argument."""
        name, shape = exact
        where = str(self.function.parameter_origins[name])
        items = [cst.Name(name), string(name), string(where), cst.parse_expression(repr(shape))]
        return cst.Tuple([cst.Element(item) for item in items])

    def form_expected(self, shape: tuple[str, int, tuple[int, ...]]) -> cst.Tuple:
        """``(value, name, where, rank, ones)``: what ``_rt.require_forms`` checks of one argument."""
        name, rank, ones = shape
        where = str(self.function.parameter_origins[name])
        items = [cst.Name(name), string(name), string(where), cst.Integer(str(rank)), cst.parse_expression(repr(ones))]
        return cst.Tuple([cst.Element(item) for item in items])

    def block(self, statements) -> list:
        lines: list = []
        for statement in statements:
            match statement:
                case ir.Guard():
                    lines.append(Line(cst.Expr(statement.value), statement.origin))
                case ir.Assign():
                    lines.extend(self.assign(statement))
                case ir.Append():
                    lines.extend(self.append(statement))
                case ir.SetItem():
                    lines.extend(self.set_item(statement))
                case ir.If():
                    lines.append(self.branch(statement))
                case ir.Loop():
                    lines.extend(self.loop(statement))
                case _:
                    ir.unknown(statement)
        return lines

    # -- one case per kind: the primal statement, which a mode extends ------------------

    def assign(self, statement: ir.Assign) -> list:
        return [assign(statement.target, statement.value, statement.origin)]

    def append(self, statement: ir.Append) -> list:
        return [Line(cst.Expr(call(attribute(statement.target, "append"), statement.value)), statement.origin)]

    def set_item(self, statement: ir.SetItem) -> list:
        part = cst.Subscript(value=cst.Name(statement.target), slice=statement.index)
        primal = (
            cst.AugAssign(target=part, operator=cst.AddAssign(), value=statement.value)
            if statement.augmented
            else cst.Assign(targets=[cst.AssignTarget(target=part)], value=statement.value)
        )
        return [Line(primal, statement.origin)]

    def branch(self, statement: ir.If) -> Compound:
        return written_branch(statement, self.block(statement.body), self.block(statement.orelse))

    def loop(self, loop: ir.Loop) -> list:
        return self.written_loop(loop, self.block(loop.body))

    def written_loop(self, loop: ir.Loop, body: list) -> list:
        """``loop`` with ``body`` (its exit test added); a while loop's test computed before each iteration."""
        body = [*body]
        if loop.exit_test is not None:
            header = cst.If(test=loop.exit_test, body=cst.IndentedBlock(body=[]))
            body.append(Compound(header, (Line(cst.Break()),), (), loop.origin))
        if loop.target is not None:
            header = cst.For(target=cst.Name(loop.target), iter=loop.iterable, body=cst.IndentedBlock(body=[]))
            return [Compound(header, tuple(body), (), loop.origin)]
        before = self.block(loop.test_block)
        header = cst.While(test=loop.test, body=cst.IndentedBlock(body=[]))
        return [*before, Compound(header, tuple(body + self.block(loop.test_block)), (), loop.origin)]


def written_branch(statement: ir.If, body: list, orelse: list) -> Compound:
    header = cst.If(test=statement.test, body=cst.IndentedBlock(body=[]))
    return Compound(header, tuple(body) or (Line(cst.Pass()),), tuple(orelse), statement.origin)


def runtime(names: Names, *attributes: str) -> cst.BaseExpression:
    """``_rt.<attributes>``: what generated code calls in s2sad's runtime."""
    return attribute(names.module("_rt"), *attributes)


def with_keyword_only(signature: cst.Parameters, names: list[str]) -> cst.Parameters:
    """``signature`` with keyword-only parameters ``names`` added (the seeds of a derivative)."""
    added = [cst.Param(name=cst.Name(name)) for name in names]
    return signature.with_changes(
        star_arg=cst.ParamStar() if not signature.kwonly_params else signature.star_arg,
        kwonly_params=[*signature.kwonly_params, *added],
    )
