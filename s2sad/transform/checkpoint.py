"""Reverse mode of a checkpointed loop: snapshots in the forward sweep, a schedule-driven loop in the reverse sweep.

Requires: the loop's ``Checkpointed`` facts (analysis.checkpoints). The forward sweep runs the
iterations once, as the program wrote them (no tape), and saves the loop's state where the
binomial schedule (runtime/checkpointing.py) says; the reverse sweep runs each iteration again
from the nearest snapshot, recording it on the tape, and reverses it when its turn comes. So the
body appears once plain (forward sweep), once taped and once reversed (reverse sweep); an
iteration run only to advance is taped too, and its tape dropped::

    for i in r:            ->    checkpoints = _rt.Checkpoints(r, 20)
        y = f(y)                 for i in r:
                                     (y,) = checkpoints.state(y)
                                     y = f(y)
                                 tape.append(checkpoints)
                                 ...reverse sweep...
                                 checkpoints = tape.pop()
                                 for i, turn in checkpoints.steps(tape):
                                     if checkpoints.at_snapshot:
                                         (y,) = checkpoints.state(y)
                                     tape.append(y)
                                     y = f(y)
                                     if turn:
                                         ...adjoint of y = f(y)...

A while loop, or a loop left by ``break`` or ``return``, gets ``_rt.OnlineCheckpoints(20)`` (with
``iterations=r`` for a ``for`` loop) and the same two loops: the forward sweep's loop tests the
condition as written, the reverse sweep's runs the iterations counted (``for step, turn in ...``).

Forward mode needs none of this: it keeps no tape.
"""

from __future__ import annotations

import dataclasses
import re

import libcst as cst

from s2sad.core import ir
from s2sad.core.facts import Checkpointed
from s2sad.core.naming import Names
from s2sad.core.target import Compound, Line, assign, attribute, call
from s2sad.transform.replay import runtime

_TEMPORARY = re.compile(r"n\d+")  # a temporary's name, after the placeholders' prefix


def forward(sweep, loop: ir.Loop, fresh) -> list:
    """The forward sweep's lines for ``loop``: its iterations as written, saving snapshots. The temporaries
    an iteration makes and uses get names of their own here (from ``fresh``, numbers of unused ones):
    used once, the optimizer writes them back into the expressions that read them."""
    facts: Checkpointed = sweep.activity.checkpointed[loop.id]
    local = sorted(
        n for n in ir.assigned(loop.body) - state_names(facts) if _TEMPORARY.fullmatch(n, len(sweep.names.prefix))
    )
    renamed = {name: sweep.names.temp("n", next(fresh)) for name in local}
    body = sweep.plain.block(ir.rename(loop.body, renamed))
    name = _name(sweep.names, loop)
    snapshots = cst.Integer(str(facts.snapshots))
    if loop.counted:  # the number of iterations known when the loop ends
        arguments = [cst.Arg(snapshots)]
        if loop.iterable is not None:
            arguments.append(cst.Arg(loop.iterable, keyword=cst.Name("iterations")))
        made = cst.Call(func=runtime(sweep.names, "OnlineCheckpoints"), args=arguments)
        heading = f"online checkpointing: at most {facts.snapshots} snapshots of the loop's state"
    else:
        made = call(runtime(sweep.names, "Checkpoints"), loop.iterable, snapshots)
        heading = f"binomial checkpointing: at most {facts.snapshots} snapshots of the loop's state"
    lines: list = [Line(_assign(name, made), loop.origin, heading=heading)]
    saved = _state(name, facts, loop.origin, "saved when the schedule says")
    # The while test, run only here: the reverse sweep runs the iterations the forward sweep counted.
    lines += sweep.plain.written_loop(loop, [saved, *body] if saved else body)
    lines.append(sweep.push(cst.Name(name), loop.origin, "the snapshots"))
    return lines


def reverse(names: Names, loop: ir.Loop, facts: Checkpointed, taped: list, reversed_body: list, pop) -> list:
    """The reverse sweep's lines for ``loop``: each iteration run again from a snapshot (``taped``), and
    reversed (``reversed_body``) at its turn. A while loop's iterations are numbered (``step``)."""
    name = _name(names, loop)
    turn = names.role("v_turn")
    restored = _state(name, facts, loop.origin, "restored or saved")
    if restored is not None:
        at_snapshot = cst.If(test=attribute(name, "at_snapshot"), body=cst.IndentedBlock(body=[]))
        restored = Compound(at_snapshot, (restored,))
    turned = Compound(
        cst.If(test=cst.Name(turn), body=cst.IndentedBlock(body=[])), tuple(reversed_body) or (Line(cst.Pass()),)
    )
    variable = loop.target or names.role(f"v_step_{loop.id}")
    target = cst.Tuple([cst.Element(cst.Name(variable)), cst.Element(cst.Name(turn))], lpar=[], rpar=[])
    header = cst.For(
        target=target,
        iter=call(attribute(name, "steps"), cst.Name(names.role("tape"))),
        body=cst.IndentedBlock(body=[]),
    )
    # The iteration taped is the forward sweep's: its lines are not tied to the user's lines as adjoints.
    body = ([restored] if restored else []) + _without_origins(taped) + [turned]
    heading = "each iteration run again from the nearest snapshot, taped, and reversed at its turn"
    return [
        dataclasses.replace(assign(name, pop, loop.origin), heading=heading),
        Compound(header, tuple(body), (), loop.origin),
    ]


def _without_origins(items: list) -> list:
    return [
        (
            dataclasses.replace(
                item, origin=None, body=tuple(_without_origins(item.body)), orelse=tuple(_without_origins(item.orelse))
            )
            if isinstance(item, Compound)
            else dataclasses.replace(item, origin=None)
        )
        for item in items
    ]


def first_unused_temporary(function: ir.Function, names: Names) -> int:
    """A number above every temporary's in ``function``."""
    numbers = re.findall(re.escape(names.prefix) + r"n(\d+)", function.code())
    return max(map(int, numbers), default=0) + 1


def state_names(facts: Checkpointed) -> set[str]:
    return {*facts.kept, *facts.copied, *facts.in_place}


def _name(names: Names, loop: ir.Loop) -> str:
    return names.role(f"v_checkpoints_{loop.id}")


def _assign(name: str, value: cst.BaseExpression) -> cst.Assign:
    return cst.Assign(targets=[cst.AssignTarget(target=cst.Name(name))], value=value)


def _state(name: str, facts: Checkpointed, origin, note: str) -> Line | None:
    """``y, u = checkpoints.state(y, copied=(u,), in_place=(v,))``: the loop's state at an iteration's start."""
    arguments = [cst.Arg(cst.Name(n)) for n in facts.kept]
    for keyword, group in (("copied", facts.copied), ("in_place", facts.in_place)):
        if group:
            items = cst.Tuple([cst.Element(cst.Name(n)) for n in group])
            arguments.append(cst.Arg(items, keyword=cst.Name(keyword)))
    if not arguments:
        return None
    value = cst.Call(func=attribute(name, "state"), args=arguments)
    returned = [*facts.kept, *facts.copied]
    if not returned:
        return Line(cst.Expr(value), origin, note)
    targets = cst.Tuple([cst.Element(cst.Name(n)) for n in returned])
    if len(returned) > 1:
        targets = targets.with_changes(lpar=[], rpar=[])
    return Line(cst.Assign(targets=[cst.AssignTarget(target=targets)], value=value), origin, note)
