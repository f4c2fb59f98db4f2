"""Checkpointing: which loops reverse mode reverses from snapshots instead of a whole tape, and what a snapshot holds.

Requires: the normalized program, which names may share memory, the options and the file's tree.
Asked for by ``checkpoints=K`` (every loop of the function) or by a comment on a loop's line,
which overrides the option for that loop (``checkpoints=0``: taped whole)::

    for i in range(n):  # s2sad: checkpoints=20

A ``for`` loop (over ``range(...)``, or over an array, ``zip`` or ``enumerate``, which normalize
turns into a loop over the positions of what they iterate) knows its number of iterations when it
starts: the binomial schedule (runtime/checkpointing.py) reverses it. A ``while`` loop, or a loop
left by ``break`` or ``return``, learns it only when it ends: the online schedule (``OnlineCheckpoints``
there) reverses it, with as many snapshots. A loop that appends to a list, or whose state may
share memory it updates in place, is not checkpointed: a comment on it is refused, located; the
option leaves it taped whole, and the generated docstring says which and why. Forward mode needs
no tape, so it needs none of this (and reads no comment but to check it).

A snapshot holds the state the loop carries: the names the body assigns or updates in place
whose value at the start of an iteration is read later: by the iteration (live at the loop's
head, or after the loop), by the reverse sweep before the loop (``needed`` by recording), or as
the shape of an adjoint started at zero there. Arrays updated in place are copied; their
copies go back into the same arrays (views of them see it), or, for a name the body also
rebinds, as a new copy, when no other name can see that array.
"""

from __future__ import annotations

import dataclasses
import re

import libcst as cst

from s2sad.analysis.dataflow import Shared, live_after
from s2sad.core import ir
from s2sad.core.facts import Checkpointed
from s2sad.errors import UnsupportedSyntax
from s2sad.options import Options

_DIRECTIVE = re.compile(r"#\s*s2sad\s*:(.*)$")
_SETTING = re.compile(r"\s*checkpoints\s*=\s*(\d+)\s*")
_HINT = "remove the comment: the loop is then taped whole"


@dataclasses.dataclass(frozen=True)
class Plan:
    """The loops to checkpoint: loop id -> snapshots asked for; what each reads at its head; and, for
    loops the option asked for but that are taped whole, why (loop id -> reason)."""

    snapshots: dict[int, int]
    live_at_head: dict[int, frozenset[str]]
    taped_whole: dict[int, str]


def plan(unit, options: Options, shares: Shared) -> Plan:
    loops = [s for s in ir.walk(unit.ir.body) if isinstance(s, ir.Loop)]
    written = directives(unit, loops)
    if options.mode == "forward" or not (options.checkpoints or any(written.values())):
        return Plan({}, {}, {})
    live = live_after(unit.ir.body, frozenset(), keep={loop.body[-1].id for loop in loops if loop.body})
    snapshots, heads, whole = {}, {}, {}
    for loop in loops:
        asked = written.get(loop.id)
        chosen = options.checkpoints if asked is None else asked
        if not chosen:
            continue
        head = live.get(loop.body[-1].id, frozenset()) if loop.body else frozenset()
        reason = _why_not(loop, head, shares)
        if reason is not None and asked is not None:
            raise UnsupportedSyntax(f"cannot checkpoint this loop: {reason}", loop.origin, hint=_HINT)
        if reason is None and options.target != "numpy":
            raise UnsupportedSyntax(
                f"the {options.target} target does not checkpoint loops", loop.origin, hint="use target='numpy'"
            )
        if reason is not None:
            whole[loop.id] = reason
        else:
            snapshots[loop.id], heads[loop.id] = chosen, head
    return Plan(snapshots, heads, whole)


def directives(unit, loops) -> dict[int, int]:
    """``# s2sad: checkpoints=K`` ending the first line of each of ``loops`` written in the unit's file:
    loop id -> K (loops of functions inlined from other files are not read)."""
    comments = {}
    for node in _loops_in(unit.module):
        comment = _header_comment(node)
        if comment is not None and _DIRECTIVE.match(comment):
            comments[unit.positions[node].start.line] = comment
    found = {}
    for loop in loops:
        comment = comments.get(loop.origin.line) if loop.origin and loop.origin.path == unit.path else None
        if comment is None:
            continue
        setting = _SETTING.fullmatch(_DIRECTIVE.match(comment).group(1))
        if setting is None:
            raise UnsupportedSyntax(
                f"unknown s2sad comment '{comment}'",
                loop.origin,
                hint="s2sad reads '# s2sad: checkpoints=K' ending a loop's first line (K snapshots; 0: taped whole)",
            )
        found[loop.id] = int(setting.group(1))
    return found


def snapshot(loop: ir.Loop, snapshots: int, needed: set[str], shares: Shared) -> Checkpointed:
    """What a snapshot of ``loop`` holds, of the names whose value at its head is ``needed``."""
    updated = _updated_in_place(loop, shares)
    state = (ir.assigned(loop.body) | updated) & needed
    state.discard(loop.target)
    rebound = ir.rebound(loop.body)
    kept = sorted(state - updated)
    in_place = sorted(state & updated - rebound)
    copied = sorted(state & updated & rebound)
    for name in copied:
        seen_by = shares.group(name) & (needed | state) - {name}
        if seen_by:
            raise UnsupportedSyntax(
                f"cannot checkpoint this loop: '{name}' and {', '.join(repr(n) for n in sorted(seen_by))} may share "
                "memory the loop updates in place, and their values at an iteration's start are read later",
                loop.origin,
                hint=f"give '{name}' an array of its own before the loop ({name} = {name}.copy()), or update it "
                "in place without rebinding it",
            )
    return Checkpointed(snapshots, tuple(kept), tuple(copied), tuple(in_place))


def _why_not(loop: ir.Loop, head: frozenset[str], shares: Shared) -> str | None:
    """Why ``loop`` cannot be checkpointed (None: it can)."""
    if any(isinstance(s, ir.Append) for s in ir.walk(loop.body)):
        return "it appends to a list, which keeps every iteration's value anyway"
    if loop.test_block:  # the reverse sweep runs the iterations again, not the while test
        last_test = loop.test_block[-1].id
        entry = live_after((*loop.test_block, *loop.body), head, keep={last_test})[last_test]
        from_test = sorted(entry & ir.assigned(loop.test_block))
        if from_test:
            return f"its body reads '{from_test[0]}', which its while test computes"
    updated = _updated_in_place(loop, shares)
    for name in sorted(updated & ir.rebound(loop.body) & head):
        others = sorted(shares.group(name) & head - {name})
        if others:
            return (
                f"'{name}' and '{others[0]}' may share memory the loop updates in place, and each iteration "
                "reads them as the one before left them"
            )
    return None


def _updated_in_place(loop: ir.Loop, shares: Shared) -> set[str]:
    """Names whose memory the body of ``loop`` may update in place."""
    targets = {s.target for s in ir.walk(loop.body) if isinstance(s, ir.SetItem)}
    return set().union(*(shares.group(target) for target in targets)) if targets else set()


def _loops_in(module: cst.Module) -> list[cst.For | cst.While]:
    found: list = []

    class Finder(cst.CSTVisitor):
        def visit_For(self, node: cst.For) -> None:
            found.append(node)

        def visit_While(self, node: cst.While) -> None:
            found.append(node)

    module.visit(Finder())
    return found


def _header_comment(node: cst.For | cst.While) -> str | None:
    """The comment ending a loop's first line."""
    body = node.body
    whitespace = body.header if isinstance(body, cst.IndentedBlock) else body.trailing_whitespace
    return whitespace.comment.value if whitespace.comment else None
