"""Forward transform: the normalized program with each active statement followed by its tangent.

Requires: the program and its activity. Tangents (``d_<name>``) flow forward
with the values, through the same branches and loops, so nothing is saved:

    h = np.tanh(_t1)        ...        h = np.tanh(_t1)
                                       d_h = d_t1 * (1.0 - h * h)

A tangent is symbolic zero until a statement gives it a value; across a
branch or loop it lives in a variable, zero where a path gives it none. The
tangent of each statement comes from the rule table's tangent rules.
"""

from __future__ import annotations

import dataclasses

import libcst as cst

from s2sad.analysis.dataflow import live_after
from s2sad.core import ir
from s2sad import rules
from s2sad.options import Options
from s2sad.core.target import Compound, Generated, Line, assign, attribute, call, is_new_array
from s2sad.transform.replay import Replay, with_keyword_only, written_branch
from s2sad.transform.rule_instances import RuleInstances
from s2sad.core.unit import Unit


def run(unit: Unit, options: Options) -> Unit:
    transform = _Tangents(unit, options)
    generated = transform.generate()
    return dataclasses.replace(unit, generated=generated, foreign={**unit.foreign, **transform.instances.foreign})


class _Tangents(Replay):
    def __init__(self, unit: Unit, options: Options):
        super().__init__(unit, options)
        self.instances = RuleInstances(unit.names)
        self.tangents: dict[str, cst.BaseExpression] = {}  # name -> its tangent (absent: zero)
        self.owned: set[str] = set()  # names whose tangent variable no other variable refers to

    def generate(self) -> Generated:
        returned = self.function.body[-1]
        for name in self.options.wrt:
            self.tangents[name] = cst.Name(self.names.adjoint(name))
        guards = self.argument_guards()
        body = self.block(self.function.body[:-1])
        body[:0] = self.unbound(self.function.body[:-1])
        body[:0] = [  # a container's tangent, as the caller's type, kept as generated code reads it
            assign(self.names.adjoint(n), call(self.rt("parts"), cst.Name(self.names.adjoint(n)), cst.Name(n)), None)
            for n in self.options.wrt
            if n in self.function.lists
        ]
        value = returned.value
        tangent = self.tangents.get(value.value) if isinstance(value, cst.Name) else None
        if tangent is None:
            tangent = call(self.rt("zeros_like"), value)
        result = cst.Tuple(elements=[cst.Element(value), cst.Element(call(self.rt("like"), tangent, value))])
        return Generated(
            name=f"jvp_{self.function.name}",
            parameters=with_keyword_only(self.function.signature, [self.names.adjoint(n) for n in self.options.wrt]),
            docstring=f"Value and tangent (Jacobian-vector product) of {self.function.name} "
            f"along {', '.join('d_' + n for n in self.options.wrt)}." + self.options.assumed(),
            guards=guards,
            forward=tuple(body),
            reverse=(),
            result=result.with_changes(lpar=[], rpar=[]),
        )

    def unbound(self, body) -> list[Line]:
        """``name = None`` for names first given a value inside a branch or loop whose tangent may
        start at zero there (shaped like the value, which a path may never have assigned)."""
        loop_variables = {s.target for s in ir.walk(body) if isinstance(s, ir.Loop)}  # they have no tangent
        names = [
            n
            for n in ir.first_bound_inside(body, self.function.parameters)
            if not self._temporary(n) and n not in loop_variables
        ]
        if not names:
            return []
        targets = [cst.AssignTarget(target=cst.Name(n)) for n in names]
        return [
            Line(
                cst.Assign(targets=targets, value=cst.Name("None")),
                None,
                heading="zero tangents take their shape; they have no value yet",
            )
        ]

    # -- each kind: the statement, then its tangent -------------------------------------

    def assign(self, statement: ir.Assign) -> list:
        lines = super().assign(statement)
        parameters = self.activity.active_operands.get(statement.id, ())
        rule = rules.lookup(statement.rule) if statement.rule else None
        if rule is None or not parameters:
            self.tangents.pop(statement.target, None)
            return lines
        tangents = {p: self.operand_tangent(statement.operands.get(p)) for p in rule.differentiable}
        present = tuple(p for p in parameters if tangents[p] is not None)
        if not present:
            self.tangents.pop(statement.target, None)
            return lines
        template, wanted = rule.tangent_terms(present, statement.origin)
        derivatives = {
            f"d_{parameter}": tangents[parameter] if parameter in present else cst.Name("None")
            for parameter in rule.differentiable
        }
        setup, results = self.instances.write(statement, template, rule, rule.tangent_function, derivatives, wanted)
        lines += setup
        terms = [results[i] for i in wanted]
        if not terms:
            self.tangents.pop(statement.target, None)
            return lines
        total = terms[0]
        for term in terms[1:]:  # a function of several parts has a list of tangents per term
            total = (
                call(self.rt("add_lists"), total, term)
                if rule.returns_several
                else cst.BinaryOperation(left=total, operator=cst.Add(), right=term)
            )
        if rule.elementwise and self.may_be_smaller(statement, rule, template, tangents, wanted):
            # `x2 + x1` with a tangent for x1 alone: d_x1 may be smaller than the value it belongs to.
            total = call(self.rt("broadcast_like"), total, cst.Name(statement.target))
        if rule.returns == "new" and not isinstance(statement.value, cst.Name) and not is_new_array(total):
            # `b = a[1:].copy()`: d_b is d_a[1:], which a later update of a in place must not reach.
            total = call(self.rt("owned"), total)
        tangent = self.names.adjoint(statement.target)
        lines.append(assign(tangent, total, statement.origin))
        self.tangents[statement.target] = cst.Name(tangent)
        self.track_ownership(statement.target, total)
        return lines

    def may_be_smaller(self, statement: ir.Assign, rule, template, tangents, wanted) -> bool:
        """Whether an elementwise result's tangent may lack axes an operand without a tangent broadcast it to.

        Not if the tangent reads that operand (``x2 * d_x1``) or the value itself, or one
        operand with a tangent is known to have the value's shape.
        """
        read = set().union(*(template.reads(index) for index in wanted))
        without = {
            p
            for p in rule.differentiable
            # a parameter left out (optional) takes its default, a number: it broadcasts nothing
            if tangents[p] is None
            and p not in read
            and p in statement.operands
            and not _is_number(statement.operands[p])
        }
        with_tangents = {p for p in rule.differentiable if tangents[p] is not None}
        shaped_like_value = self.activity.same_shape.get(statement.id, frozenset())
        return bool(without) and "out" not in read and not with_tangents & shaped_like_value

    def append(self, statement: ir.Append) -> list:
        lines = super().append(statement)
        value = self.operand_tangent(statement.value)
        if value is None and statement.target not in self.tangents:
            return lines
        if statement.target not in self.tangents:
            # The items already there have zero tangents.
            lines.insert(0, self.materialized(statement.target, statement.origin))
        piece = value if value is not None else call(self.rt("zeros_like"), statement.value)
        if not is_new_array(piece):  # the list keeps it: a later update in place of its source must not reach it
            piece = call(self.rt("owned"), piece)
        tangent = self.names.adjoint(statement.target)
        lines.append(Line(cst.Expr(call(attribute(tangent, "append"), piece)), statement.origin))
        return lines

    def set_item(self, statement: ir.SetItem) -> list:
        lines = super().set_item(statement)
        value = self.operand_tangent(statement.value)
        if value is None and (statement.target not in self.tangents or statement.augmented):
            return lines
        tangent = self.names.adjoint(statement.target)
        if statement.target not in self.tangents:
            lines.append(self.materialized(statement.target, statement.origin))
        elif statement.target not in self.owned or not self.tangents[statement.target].deep_equals(cst.Name(tangent)):
            # Updated in place below: a copy of its own, as something else may share it.
            copy = cst.Attribute(value=self.tangents[statement.target], attr=cst.Name("copy"))
            lines.append(assign(tangent, call(copy), statement.origin))
            self.owned.add(statement.target)
        self.tangents[statement.target] = cst.Name(tangent)
        slot = cst.Subscript(value=cst.Name(tangent), slice=statement.index)
        if statement.augmented:
            update = cst.AugAssign(target=slot, operator=cst.AddAssign(), value=value)
        else:
            update = cst.Assign(targets=[cst.AssignTarget(target=slot)], value=value or cst.Float("0.0"))
        lines.append(Line(update, statement.origin))
        return lines

    def branch(self, statement: ir.If) -> Compound:
        entering, owned_entering = dict(self.tangents), set(self.owned)
        blocks, ends, owned_ends = [], [], []
        for block in (statement.body, statement.orelse):
            self.tangents, self.owned = dict(entering), set(owned_entering)
            blocks.append(self.block(block))
            ends.append(self.tangents)
            owned_ends.append(self.owned)
        # Where the paths leave different tangents, each path puts its own in the variable;
        # a temporary made in one arm only (perhaps twice: `a if c else b` there) belongs to a
        # statement inside that arm, so it is not used after the branch.
        arms = [ir.assigned(statement.body), ir.assigned(statement.orelse)]
        differing = {
            n
            for n in set(ends[0]) | set(ends[1])
            if not (n in ends[0] and n in ends[1] and ends[0][n].deep_equals(ends[1][n]))
            and not (self._temporary(n) and (n in arms[0]) != (n in arms[1]))
        }
        for end in ends:
            for name in set(end) - differing - (set(ends[0]) & set(ends[1])):
                del end[name]
        for lines, end, owned in zip(blocks, ends, owned_ends, strict=True):
            self.tangents, self.owned = end, owned
            lines.extend(self.carry(differing, statement.origin))
        self.owned = owned_ends[0] & owned_ends[1]
        self.tangents = {n: e for n, e in ends[0].items() if n not in differing}
        self.tangents.update({n: cst.Name(self.names.adjoint(n)) for n in differing})
        return written_branch(statement, *blocks)

    def loop(self, loop: ir.Loop) -> list:
        # Tangents that may change in the loop are carried in variables around it.
        changing = {
            s.target for s in ir.walk(loop.body) if isinstance(s, (ir.Assign, ir.Append, ir.SetItem))
        } & self._may_have_tangent(loop)
        # A temporary is made and used within one iteration: its tangent need not go around, unless
        # the next iteration reads it first (an iterable held in one, re-seen after its base changed).
        carried = live_after((loop,), frozenset(), keep={loop.body[-1].id}).get(loop.body[-1].id, frozenset())
        changing = {n for n in changing if not self._temporary(n) or n in carried}
        lines = self.carry(changing, loop.origin)
        owned_entering = set(self.owned)
        body = self.block(loop.body)
        body.extend(self.carry(changing, loop.origin))
        # The next iteration updates in place what this one did: own those again if the body shared them.
        updated = {s.target for s in ir.walk(loop.body) if isinstance(s, ir.SetItem)}
        for name in sorted((owned_entering - self.owned) & updated & set(self.tangents)):
            adjoint = cst.Name(self.names.adjoint(name))
            body.append(assign(self.names.adjoint(name), call(self.rt("owned"), adjoint), loop.origin))
        self.owned = owned_entering & (self.owned | updated)
        return lines + self.written_loop(loop, body)

    # -- tangents in variables ------------------------------------------------------------

    def operand_tangent(self, operand) -> cst.BaseExpression | None:
        """The tangent of an operand: of a name, or a list of them (zeros for items with none)."""
        if isinstance(operand, tuple):
            items = [self.operand_tangent(item) for item in operand]
            if all(item is None for item in items):
                return None
            return cst.List(
                elements=[
                    cst.Element(t if t is not None else call(self.rt("zeros_like"), a))
                    for a, t in zip(operand, items, strict=True)
                ]
            )
        if isinstance(operand, cst.Name):
            return self.tangents.get(operand.value)
        return None

    def track_ownership(self, name: str, value: cst.BaseExpression) -> None:
        """``d_name = value``: a new array is owned; otherwise it may share whatever it reads.

        A temporary's tangent is read only within its source statement, before
        that statement updates anything in place: it takes no ownership away.
        """
        if is_new_array(value):
            self.owned.add(name)
            return
        self.owned.discard(name)
        if not self._temporary(name):
            read = ir.names_read(value)
            self.owned = {n for n in self.owned if self.names.adjoint(n) not in read}

    def materialized(self, name: str, origin) -> Line:
        """``d_name`` as a variable: its tangent so far, or zeros shaped like the value."""
        current = self.tangents.get(name)
        value = current if current is not None else call(self.rt("zeros_like"), cst.Name(name))
        self.tangents[name] = cst.Name(self.names.adjoint(name))
        if not (isinstance(current, cst.Name) and current.value == self.names.adjoint(name)):
            self.track_ownership(name, value)
        return assign(self.names.adjoint(name), value, origin)

    def carry(self, names, origin) -> list[Line]:
        """Materialize the tangents of ``names`` that are not yet in their variables."""
        lines = []
        for name in sorted(names):
            current = self.tangents.get(name)
            if isinstance(current, cst.Name) and current.value == self.names.adjoint(name):
                continue
            lines.append(self.materialized(name, origin))
        return lines

    def _temporary(self, name: str) -> bool:
        return self.names.is_placeholder(name) and name[len(self.names.prefix) :].startswith("n")

    def _may_have_tangent(self, loop: ir.Loop) -> set[str]:
        found = set(self.tangents)
        for statement in ir.walk(loop.body):
            if statement.id in self.activity.active_operands:
                found.add(statement.target)
        return found


def _is_number(operand) -> bool:
    """A literal number (``2.0``, ``-1``): a scalar, which broadcasts nothing."""
    if isinstance(operand, cst.UnaryOperation):
        operand = operand.expression
    return isinstance(operand, (cst.Integer, cst.Float))
