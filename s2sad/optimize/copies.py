"""Copies: a name that only holds another name's value (or a number) is read as that value.

    d_a = d_b            ->    f(d_b)
    f(d_a)

and a copy straight back (``a = b`` then ``b = a``, neither changed between)
is dropped. Values are kept: a generated name assigned once is replaced only
where its source does not change while it is read, and only by a name, or by
a number where it is used as a value (``1.0[i]`` would not parse).
"""

from __future__ import annotations

import bisect
import dataclasses
from collections import Counter

import libcst as cst
import libcst.matchers as m

from s2sad.core.naming import Names, names_in, substitute
from s2sad.optimize.facts import (
    assigned,
    assignment_counts,
    facts,
    map_blocks,
    map_nested,
    names_of,
    replace_in,
    target_of,
    use_counts,
    writes,
)
from s2sad.optimize.folding import number
from s2sad.core.target import Compound, Generated, Line, expressions_in


def propagate_copies(generated: Generated, names: Names):
    assignments = assignment_counts(generated)
    uses = use_counts(generated)
    in_result = Counter(names_in(generated.result))
    replaced: dict[str, cst.BaseExpression] = {}  # every name dropped, by what is read instead
    sources: set[str] = set()  # names read in place of a dropped one: their uses are no longer counted right

    def rewrite(block: list, result_follows: bool):
        reads, first_read, last_write, indexed = _block_table(block)
        dropped: dict[int, str] = {}
        for position, line in enumerate(block):
            name = target_of(line)
            if not (name and names.is_placeholder(name)) or assignments[name] != 1 or name in sources:
                continue
            if in_result[name] and not result_follows:
                continue
            if first_read.get(name, position + 1) <= position or reads[name] + in_result[name] != uses[name]:
                continue  # read somewhere else (before, or in an enclosing block)
            value = line.node.value
            if isinstance(value, cst.Name):
                if value.value in replaced or last_write.get(value.value, -1) > position:
                    continue
                sources.add(value.value)
            elif number(value) is None or name in indexed:
                continue  # `1.0[i]` would not parse: a number only replaces a name used as a value
            replaced[name] = value
            dropped[position] = name
        if not dropped:
            return None
        replacements = {name: replaced[name] for name in dropped.values()}
        return [replace_in(item, replacements) for position, item in enumerate(block) if position not in dropped]

    changed = {}
    for section in ("forward", "reverse"):
        top = rewrite(list(getattr(generated, section)), result_follows=section == "reverse")
        nested = map_nested(top or getattr(generated, section), lambda block: rewrite(block, False))
        if top is not None or nested is not None:
            changed[section] = nested if nested is not None else tuple(top)
    if not changed:
        return generated, False
    return dataclasses.replace(generated, **changed, result=substitute(generated.result, replaced)), True


def _block_table(block: list):
    """For the rewrites: per name, its reads in ``block`` (nested blocks too), the position of the first,
    the position of the last line that writes it, and the names subscripted or with an attribute read.
    """
    reads: Counter = Counter()
    first_read: dict[str, int] = {}
    last_write: dict[str, int] = {}
    indexed: set[str] = set()
    for position, item in enumerate(block):
        for expression in expressions_in([item]):
            found = names_of(expression)
            reads.update(found)
            for name in found:
                first_read.setdefault(name, position)
            indexed |= facts(expression).indexed
        for name in assigned([item]):
            last_write[name] = position
    return reads, first_read, last_write, indexed


def drop_round_trips(generated: Generated, names: Names):
    """``a = b`` then ``b = a``, neither changed between: the second line changes nothing."""

    def rewrite(block: list):
        # The line after ``a = b`` to look at: the first block, or line writing a or b (``b = a`` writes b).
        # Found by bisection in the positions of each, not by reading on (a long block has many copies).
        compounds = [position for position, item in enumerate(block) if isinstance(item, Compound)]
        written_at: dict[str, list[int]] = {}
        for position, item in enumerate(block):
            if not isinstance(item, Compound):
                for name in writes(item):
                    written_at.setdefault(name, []).append(position)

        def next_of(positions: list[int], position: int) -> int:
            found = bisect.bisect_right(positions, position)
            return positions[found] if found < len(positions) else len(block)

        dropped: set[int] = set()
        for position, line in enumerate(block):
            copied = target_of(line)
            if position in dropped or copied is None or not isinstance(line.node.value, cst.Name):
                continue
            source = line.node.value.value
            later = min(
                next_of(compounds, position),
                next_of(written_at.get(copied, []), position),
                next_of(written_at.get(source, []), position),
            )
            item = block[later] if later < len(block) else None
            if isinstance(item, Line) and target_of(item) == source and m.matches(item.node.value, m.Name(copied)):
                dropped.add(later)
        return [item for position, item in enumerate(block) if position not in dropped] if dropped else None

    changed = {}
    for section in ("forward", "reverse"):
        new = map_blocks(getattr(generated, section), rewrite)
        if new is not None:
            changed[section] = new
    return (dataclasses.replace(generated, **changed), True) if changed else (generated, False)
