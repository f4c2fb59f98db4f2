"""Dataflow over the normalized program that both analyses (memory, activity) read.

Requires: an ``ir`` statement tuple. Provides: which names may share memory
(``views``: copies, views and container items join names), which names are
live after each statement (``live_after``), what a loop runs each iteration
(``loop_body``) and the fixed point of a set of names at a loop's head
(``loop_head``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import libcst as cst

from s2sad.core import ir
from s2sad.rules.templates import names_read


def loop_body(loop: ir.Loop) -> tuple[ir.Statement, ...]:
    """What a loop runs each iteration, test included."""
    return loop.test_block + loop.body


def loop_head(start: set[str], through_body: Callable[[set[str]], set[str]]) -> set[str]:
    """The names at a loop's head: ``start`` and what ``through_body`` (one more trip, given a copy of
    the names at the head) adds to them, until a trip adds none."""
    head = set(start)
    while True:
        after = head | through_body(set(head))
        if after == head:
            return head
        head = after


def may_be_view(rule: str | None, operands, rules_sharing_memory) -> bool:
    """Whether ``rule`` applied to ``operands`` may return a view: indexing with a list literal copies."""
    if rule not in rules_sharing_memory:
        return False
    index = operands.get("index") if rule == "operator.getitem" else None
    if not isinstance(index, cst.Subscript):
        return True
    return not any(isinstance(e.slice, cst.Index) and isinstance(e.slice.value, cst.List) for e in index.slice)


_NOT_MEMORY = {"index", "shape", "axis", "axes"}  # operands of the view rules that are not arrays


class Shared(Mapping):
    """Per name, every other name whose memory it may share (``views``), held as one set per group
    of names joined together: a set per name would take memory growing as the square of the group
    (in a long function, every ``x[i]`` read joins the group of ``x``)."""

    def __init__(self, groups: dict[str, frozenset[str]]):
        self._groups = groups  # name -> its group, itself included

    def __getitem__(self, name: str) -> frozenset[str]:
        return self._groups[name] - {name}

    def __iter__(self):
        return iter(self._groups)

    def __len__(self) -> int:
        return len(self._groups)

    def group(self, name: str) -> frozenset[str]:
        """``name`` and every name whose memory it may share."""
        return self._groups.get(name) or frozenset({name})

    def groups(self) -> list[frozenset[str]]:
        """Each group once, in the order of their first names."""
        return list({id(group): group for group in self._groups.values()}.values())


def views(statements, rules_sharing_memory) -> Shared:
    """Per name, every other name whose memory it may share anywhere in ``statements``: the names
    joined by plain copies, views and list or tuple items, either way (an update through ``w = y``
    changes ``z = y[1:]``; one through ``hs[0]`` changes the ``y`` appended to ``hs``)."""
    linked: dict[str, set[str]] = {}
    for statement in ir.walk(statements):
        match statement:
            case ir.Assign(value=cst.Name()):
                bases = {statement.value.value}
            case ir.Append() | ir.Assign(value=cst.List() | cst.Tuple()):
                bases = names_read(statement.value)
            case ir.Assign() if may_be_view(statement.rule, statement.operands, rules_sharing_memory):
                # The arrays it may lie in: not the module a call names (np in np.transpose(x)), nor an
                # index, a shape or axes (a name in y[i] or in np.reshape(y, n) links nothing).
                bases = set().union(*(statement.operand_names(p) for p in statement.operands if p not in _NOT_MEMORY))
            case ir.Assign() | ir.SetItem() | ir.If() | ir.Loop() | ir.Return() | ir.Guard():
                continue
            case _:
                ir.unknown(statement)
        for base in bases:
            linked.setdefault(statement.target, set()).add(base)
            linked.setdefault(base, set()).add(statement.target)
    groups: dict[str, frozenset[str]] = {}
    for name in linked:
        if name in groups:
            continue
        component, frontier = {name}, [name]
        while frontier:
            for other in linked[frontier.pop()] - component:
                component.add(other)
                frontier.append(other)
        group = frozenset(component)
        for member in component:
            groups[member] = group
    return Shared(groups)


def live_after(statements, at_end: frozenset[str], keep=None) -> dict[int, frozenset[str]]:
    """Per statement id, the names some later statement reads before binding them again (loops go round).

    ``keep``: the ids to report (all when None). A long function has many names live at once:
    keeping a set for every statement would take memory growing as the square of its length.
    """
    found: dict[int, frozenset[str]] = {}

    def block(body, live: frozenset[str]) -> frozenset[str]:
        current = set(live)  # updated in place, statement by statement, backwards
        for statement in reversed(body):
            if keep is None or statement.id in keep:
                found[statement.id] = found.get(statement.id, frozenset()) | current
            match statement:
                case ir.Assign():
                    current.discard(statement.target)
                    current |= names_read(statement.value)
                case ir.Append():
                    current.add(statement.target)
                    current |= names_read(statement.value)
                case ir.SetItem():
                    current.add(statement.target)
                    current |= names_read(statement.value) | names_read(statement.index_value)
                case ir.Guard() | ir.Return():
                    current |= names_read(statement.value)
                case ir.If():
                    after = frozenset(current)
                    current = set(
                        block(statement.body, after) | block(statement.orelse, after) | names_read(statement.test)
                    )
                case ir.Loop():
                    current = set(before_loop(statement, frozenset(current)))
                case _:
                    ir.unknown(statement)
        return frozenset(current)

    def before_loop(statement: ir.Loop, live: frozenset[str]) -> frozenset[str]:
        head = live  # where each iteration starts: live after the loop, or in the next iteration
        while True:
            if statement.target is not None:
                exit_reads = names_read(statement.exit_test) if statement.exit_test is not None else frozenset()
                entry = block(statement.body, head | exit_reads) - {statement.target}
            else:
                entry = block(statement.test_block, block(statement.body, head) | names_read(statement.test) | live)
            if entry <= head:
                break
            head = head | entry
        if statement.target is None:
            return block(statement.test_block, head | names_read(statement.test))
        return head | names_read(statement.iterable)

    block(statements, frozenset(at_end))
    return found
