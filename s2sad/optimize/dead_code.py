"""Dead code: generated names assigned and never read are dropped; arrays nothing reads again are released.

Dropping keeps values: only the generator's own names go, and nothing reads
what they held. Releasing (``del``) computes nothing: it frees an array after
the last line that reads it, at the top level of the sweeps only, where the
name is certainly bound.
"""

from __future__ import annotations

import dataclasses

import libcst as cst
import libcst.matchers as m

from s2sad.core.naming import Names, names_in
from s2sad.optimize.facts import map_blocks, names_of, target_of, use_counts, writes
from s2sad.optimize.folding import number
from s2sad.core.target import Generated, Line, expressions_in


def remove_dead(generated: Generated, names: Names):
    counts = use_counts(generated)

    def rewrite(block: list):
        kept = [
            item
            for item in block
            if not ((name := target_of(item)) and names.is_placeholder(name) and counts[name] == 0)
        ]
        return kept if len(kept) < len(block) else None

    changed = {}
    for section in ("guards", "forward", "reverse"):
        new = map_blocks(getattr(generated, section), rewrite)
        if new is not None:
            changed[section] = new
    return (dataclasses.replace(generated, **changed), True) if changed else (generated, False)


def release_dead(generated: Generated) -> Generated:
    """``del`` each array once nothing later reads it, at the top level of the sweeps.

    Otherwise every temporary lives until the function returns: more memory at
    once, and (glibc returning the heap's top to the system at each return)
    fresh pages to fault in on every call, which costs more than the arithmetic
    on arrays of some thousand entries. Only names the top level has certainly
    bound are released (a name bound in one branch may be unbound), never a
    parameter, and not numbers.
    """
    items = [("forward", item) for item in generated.forward] + [("reverse", item) for item in generated.reverse]
    reads = [set(_names_of_block([item])) for _, item in items]
    last_read = {name: index for index, read in enumerate(reads) for name in read}
    last_read.update((name, len(items)) for name in names_in(generated.result))
    cheap = {
        target_of(item) for _, item in items if isinstance(item, Line) and target_of(item) and _cheap(item.node.value)
    }
    bound: set[str] = set()
    released: set[str] = set()
    sections: dict[str, list] = {"forward": [], "reverse": []}
    for index, (section, item) in enumerate(items):
        sections[section].append(item)
        written = writes(item)
        if isinstance(item, Line):
            bound |= written
        touched = (reads[index] | written) & bound
        dead = sorted(n for n in touched - released - cheap if last_read.get(n, -1) <= index)
        if dead and index + 1 < len(items):
            released |= set(dead)
            node = cst.Del(
                target=(
                    cst.Tuple(elements=[cst.Element(cst.Name(n)) for n in dead], lpar=[], rpar=[])
                    if len(dead) > 1
                    else cst.Name(dead[0])
                )
            )
            sections[section].append(Line(node, item.origin))
    return dataclasses.replace(generated, forward=tuple(sections["forward"]), reverse=tuple(sections["reverse"]))


def _cheap(value: cst.BaseExpression) -> bool:
    """A number, None, or a list (the tape, empty by the end): nothing worth releasing."""
    return number(value) is not None or isinstance(value, cst.List) or m.matches(value, m.Name("None"))


def _names_of_block(block) -> list[str]:
    return [name for expression in expressions_in(block) for name in names_of(expression)]
