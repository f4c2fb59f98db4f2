"""Inlining: a temporary read once, later in the same block, goes back into the expression reading it.

    _n1 = x @ w          ->    z = x @ w + b
    z = _n1 + b

In the forward sweep this applies to temporaries (and, in forward mode, their
tangents); in the reverse sweep to the adjoint of a temporary the forward sweep
no longer shows. Values are kept: the value moves only while nothing it reads
is written (or updated in place, which a view would see), and never across a
block, which may run any number of times.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter, defaultdict

import libcst as cst

from s2sad.core.naming import Names
from s2sad.optimize.facts import (
    assignment_counts,
    map_blocks,
    reads,
    replace_in,
    target_of,
    updates_in_place,
    use_counts,
    writes,
)
from s2sad.core.target import Compound, Generated


def inline_forward(generated: Generated, names: Names):
    # Temporaries, and (forward mode) their tangents.
    temporary = re.compile("(" + re.escape(names.prefix) + "d_)?" + re.escape(names.prefix) + r"n\d+$")
    counts = use_counts(generated)
    forward = map_blocks(generated.forward, lambda block: _inline(block, counts, temporary.match))
    if forward is None:
        return generated, False
    return dataclasses.replace(generated, forward=forward), True


def inline_reverse(generated: Generated, names: Names):
    """Inline the adjoint of a temporary that the forward sweep no longer shows (it was inlined)."""
    adjoint_of_temporary = re.compile(re.escape(names.prefix) + r"d_(" + re.escape(names.prefix) + r"n\d+)$")
    counts = use_counts(generated)
    shown = set(counts) | set(assignment_counts(generated))
    assigned = assignment_counts(generated)

    def vanished(name: str) -> bool:
        match = adjoint_of_temporary.match(name)
        return bool(match) and match.group(1) not in shown and assigned[name] == 1

    reverse = map_blocks(generated.reverse, lambda block: _inline(block, counts, vanished))
    if reverse is None:
        return generated, False
    return dataclasses.replace(generated, reverse=reverse), True


def _inline(lines: list, counts: Counter, inlinable) -> list | None:
    """Move every inlinable single-use value into the later line of the block that reads it.

    One pass: a definition stays available until a line writes something its
    value reads (or a block, which may run any number of times, intervenes).
    None if nothing moved.
    """
    available: dict[str, tuple[int, cst.BaseExpression, set[str]]] = {}
    readers: dict[str, set[str]] = defaultdict(set)  # name -> the available values that read it
    moved: set[int] = set()
    result = list(lines)

    def drop(name: str) -> None:
        _, _, read = available.pop(name)
        for read_name in read:
            readers[read_name].discard(name)

    for position, line in enumerate(lines):
        if isinstance(line, Compound):
            available.clear()
            readers.clear()
            continue
        wanted = {name: available[name] for name in reads(result[position]) if name in available}
        if wanted:
            values = {name: value for name, (_, value, _) in wanted.items()}
            result[position] = replace_in(result[position], values, moved=True)  # (read once: counts)
            moved |= {index for index, _, _ in wanted.values()}
            for name in wanted:
                drop(name)
        if updates_in_place(result[position]):
            available.clear()  # a value read before may be a view of the updated array
            readers.clear()
        for written in writes(result[position]):
            for name in [*readers.get(written, ()), *([written] if written in available else [])]:
                if name in available:
                    drop(name)
        name = target_of(result[position])
        if name is not None and inlinable(name) and counts[name] == 1:
            read = reads(result[position])
            available[name] = (position, result[position].node.value, read)
            for read_name in read:
                readers[read_name].add(name)
    if not moved:
        return None
    return [line for position, line in enumerate(result) if position not in moved]
