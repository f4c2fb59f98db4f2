"""What the optimizer's rewrites ask about generated lines and blocks, and how they rewrite blocks.

Which names a line reads, binds or updates in place, how often a name is read
or assigned in the whole function, and a walk that applies one rewrite to a
block and to every block nested in it. The answers about an expression are
cached by node: lines the rewrites leave alone keep their nodes, so the next
round asks nothing twice. ``forget()`` empties the cache when the optimizer ends.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import libcst as cst
import libcst.matchers as m

from s2sad.core.naming import is_node, substitute, variable_fields
from s2sad.core.target import Compound, Generated, expressions_in, lines_in
from s2sad.rules.templates import names_read

# What the rewrites ask again and again about the same (immutable) expressions, by node;
# held with the node, so an id is not reused while its entry lives.
_FACTS: dict[int, tuple[cst.CSTNode, "_Facts"]] = {}


def forget() -> None:
    """Empty the cache (the nodes it holds belong to one optimizer run)."""
    _FACTS.clear()


@dataclasses.dataclass(frozen=True)
class _Facts:
    names: list[str]  # every name, in order (naming.names_in)
    updated: set[str]  # names updated in place: their append or pop methods called, or _rt.add_at on them
    indexed: set[str]  # names subscripted or with an attribute read (``name[i]``, ``name.T``)


def _collect(node: cst.CSTNode, found: _Facts) -> None:
    """naming.names_in's walk, noting on the way the names updated in place and those indexed."""
    kind = type(node)
    if kind is cst.Name:
        found.names.append(node.value)
        return
    if kind is cst.Call:
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and _list_update(func, node):
            found.updated.add(func.value.value)
        elif (
            isinstance(func, cst.Attribute) and func.attr.value == "add_at" and isinstance(node.args[0].value, cst.Name)
        ):
            found.updated.add(node.args[0].value.value)  # _rt.add_at(d_x, index, g) updates d_x
    elif (kind is cst.Subscript or kind is cst.Attribute) and type(node.value) is cst.Name:
        found.indexed.add(node.value.value)
    for field in variable_fields(kind):
        value = getattr(node, field)
        if type(value) is tuple or type(value) is list:
            for item in value:
                _collect(item, found)
        elif is_node(value):
            _collect(value, found)


def _list_update(func: cst.Attribute, call: cst.Call) -> bool:
    """``hs.append(h)`` or ``hs.pop()``: a list's methods take one argument at most (``np.append`` two or more)."""
    return (func.attr.value, len(call.args)) in (("append", 1), ("pop", 0), ("pop", 1))


def facts(node: cst.CSTNode) -> _Facts:
    entry = _FACTS.get(id(node))
    if entry is None:
        found = _Facts([], set(), set())
        _collect(node, found)
        entry = _FACTS[id(node)] = (node, found)
    return entry[1]


def names_of(node: cst.CSTNode) -> list[str]:
    return facts(node).names


def target_of(item) -> str | None:
    """The one name a plain assignment binds; None for any other line or block."""
    if type(item) is Compound:
        return None
    node = item.node
    if type(node) is cst.Assign and len(node.targets) == 1 and type(node.targets[0].target) is cst.Name:
        return node.targets[0].target.value
    return None  # `a = b = None` binds two names: no rewrite may treat it as a's alone


def writes(item) -> set[str]:
    """Names a line binds or updates in place (``y[i] = ...``, ``hs.append(...)``, ``d.pop()``)."""
    if type(item) is Compound:
        return assigned([item])
    node = item.node
    found = set()
    targets = [t.target for t in node.targets] if type(node) is cst.Assign else []
    if type(node) is cst.AugAssign:
        targets.append(node.target)
    for target in targets:
        if type(target) is cst.Subscript and type(target.value) is cst.Name:
            found.add(target.value.value)
        elif type(target) is cst.Name:
            found.add(target.value)
    for inner in expressions_in([item]):
        for called in facts(inner).updated:
            found.add(called)
    return found


def updates_in_place(item) -> bool:
    """``y[i] = ...``, ``y[i] += ...`` or ``_rt.add_at(y, ...)``: a view of y read before changes too."""
    node = item.node
    targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else []
    if isinstance(node, cst.AugAssign):
        targets.append(node.target)
    if isinstance(node, cst.Expr) and m.matches(node.value, m.Call(func=m.Attribute(attr=m.Name("add_at")))):
        return True
    return any(isinstance(target, cst.Subscript) for target in targets)


def reads(item) -> set[str]:
    expressions = expressions_in([item])
    return set().union(*(names_of(e) for e in expressions)) if expressions else set()


def assigned(block) -> set[str]:
    found = set().union(*(writes(line) for line in lines_in(block))) if block else set()
    for item in block:
        if isinstance(item, Compound) and isinstance(item.header, cst.For):
            found |= names_read(item.header.target)
            found |= assigned(item.body)
    return found


def _sections(generated: Generated):
    return (generated.guards, generated.forward, generated.reverse)


def use_counts(generated: Generated) -> Counter:
    counts: Counter = Counter()
    for section in _sections(generated):
        for expression in expressions_in(section):
            counts.update(names_of(expression))
    counts.update(names_of(generated.result))
    return counts


def assignment_counts(generated: Generated) -> Counter:
    return Counter(target_of(line) for section in _sections(generated) for line in lines_in(section))


def replace_in(item, replacements, moved: bool = False):
    """``item`` with the names in ``replacements`` replaced by their values (``moved``: values that
    are read nowhere else, so not copied: naming.substitute)."""
    if replacements.keys().isdisjoint(reads(item)):
        return item  # (substitute would give the same code in new nodes, which _FACTS knows nothing about)
    if isinstance(item, Compound):
        header = item.header
        if isinstance(header, cst.For):
            header = header.with_changes(iter=substitute(header.iter, replacements, moved))
        else:
            header = header.with_changes(test=substitute(header.test, replacements, moved))
        return dataclasses.replace(
            item,
            header=header,
            body=tuple(replace_in(i, replacements, moved) for i in item.body),
            orelse=tuple(replace_in(i, replacements, moved) for i in item.orelse),
        )
    node = item.node
    if not hasattr(node, "value"):
        return item
    node = node.with_changes(value=substitute(node.value, replacements, moved))
    if isinstance(node, cst.Assign):
        node = node.with_changes(
            targets=[
                (
                    t.with_changes(target=substitute(t.target, replacements, moved))
                    if isinstance(t.target, cst.Subscript)
                    else t
                )
                for t in node.targets
            ]
        )
    elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Subscript):
        node = node.with_changes(target=substitute(node.target, replacements, moved))
    return dataclasses.replace(item, node=node)


def map_blocks(block, rewrite):
    """Apply ``rewrite`` (a list of items -> a new list, or None) to ``block`` and to every block nested
    in it; None if it changed none. One call makes every change a rewrite finds, not just the first:
    the optimizer's rounds then number about the depth of the chains of changes, not their count.
    """
    changed = rewrite(list(block))
    items = block if changed is None else changed
    nested = map_nested(items, rewrite)
    if nested is not None:
        return nested
    return None if changed is None else tuple(changed)


def map_nested(block, rewrite):
    """``map_blocks`` on the blocks nested in ``block``'s items, not on ``block`` itself."""
    items = list(block)
    changed = False
    for position, item in enumerate(items):
        if isinstance(item, Compound):
            inner = {field: map_blocks(getattr(item, field), rewrite) for field in ("body", "orelse")}
            inner = {field: value for field, value in inner.items() if value is not None}
            if inner:
                items[position] = dataclasses.replace(item, **inner)
                changed = True
    return tuple(items) if changed else None
