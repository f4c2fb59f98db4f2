"""Optimize: make the generated function smaller and closer to what a person would write.

Requires: a Generated function. Each rewrite keeps the values computed; they
run until none applies:

- inline: a forward temporary read once, later in the same block, goes back
  into the expression that reads it (``_n1 = x @ w; z = _n1 + b`` -> ``z = x @ w + b``),
  and so does the adjoint of such a temporary in the reverse sweep;
- copies: ``d_a = d_b`` (or ``d_a = -1.0``) is dropped and ``d_a`` read as ``d_b``
  when ``d_b`` does not change while ``d_a`` is read; ``d_b = d_a`` after
  ``d_a = d_b``, neither changed between, is dropped;
- folding: arithmetic on literals (``2 - 1`` -> ``1``), the slope of a power
  with a number written out (``_rt.power_slope(x, 2)`` -> ``2 * x``) and, in
  the reverse sweep inside a larger expression, multiplying by one
  (``1.0 * 2.0 * x`` -> ``2.0 * x``); never at the top of a value;
- dead code: generated names assigned and never read.

Then, in reverse mode, two adjoint helpers fuse where the pair has a cheaper
form (s2sad/fusion.py), and a loop's per-trip products with one matrix become
one product after the loop (s2sad/stacking.py).

Last, the gradients returned are made safe to update in place: one that may
share memory with the caller's arrays or with another gradient is copied.
"""

from __future__ import annotations

import ast
import bisect
import dataclasses
import math
import re
from collections import Counter

import libcst as cst
import libcst.matchers as m

from s2sad.naming import NameCollector, Names, names_in
from s2sad import fusion, stacking
from s2sad.reverse import fresh
from s2sad.options import Options
from s2sad.target import Compound, Generated, Line, expressions_in, lines_in
from s2sad.templates import names_read, substitute
from s2sad.unit import Unit


def run(unit: Unit, options: Options) -> Unit:
    generated = unit.generated
    names = unit.names
    changed = True
    try:
        while changed:
            changed = False
            for rewrite in (
                _inline_forward,
                _inline_reverse,
                _propagate_copies,
                _drop_round_trips,
                _fold_lines,
                _remove_dead,
            ):
                generated, did = rewrite(generated, names)
                changed = changed or did
        if options.mode == "reverse":
            generated = stacking.run(fusion.run(generated, names), names)
        generated = _detach_results(generated, names)
        if options.mode == "reverse":
            generated = _release_dead(generated)
    finally:
        _FACTS.clear()
    return dataclasses.replace(unit, generated=generated)


# What the rewrites ask again and again about the same (immutable) expressions, by node;
# held with the node, so an id is not reused while its entry lives.
_FACTS: dict[int, tuple[cst.CSTNode, "_Facts"]] = {}


@dataclasses.dataclass(frozen=True)
class _Facts:
    names: list[str]  # every name, in order (naming.names_in)
    updated: set[str]  # names updated in place: their append or pop methods called, or _rt.add_at on them
    indexed: set[str]  # names subscripted or with an attribute read (``name[i]``, ``name.T``)


class _FactCollector(NameCollector):
    def __init__(self) -> None:
        super().__init__()
        self.updated: set[str] = set()
        self.indexed: set[str] = set()

    def visit_Call(self, call: cst.Call) -> None:
        func = call.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.attr.value in ("append", "pop")
        ):
            self.updated.add(func.value.value)
        elif (
            isinstance(func, cst.Attribute) and func.attr.value == "add_at" and isinstance(call.args[0].value, cst.Name)
        ):
            self.updated.add(call.args[0].value.value)  # _rt.add_at(d_x, index, g) updates d_x

    def visit_Subscript(self, subscript: cst.Subscript) -> None:
        if isinstance(subscript.value, cst.Name):
            self.indexed.add(subscript.value.value)

    def visit_Attribute(self, attribute: cst.Attribute) -> bool:
        if isinstance(attribute.value, cst.Name):
            self.indexed.add(attribute.value.value)
        return super().visit_Attribute(attribute)


def _facts(node: cst.CSTNode) -> _Facts:
    entry = _FACTS.get(id(node))
    if entry is None:
        collector = _FactCollector()
        node.visit(collector)
        entry = _FACTS[id(node)] = (node, _Facts(collector.found, collector.updated, collector.indexed))
    return entry[1]


def _names_of(node: cst.CSTNode) -> list[str]:
    return _facts(node).names


def _target(item) -> str | None:
    if isinstance(item, Compound):
        return None
    node = item.node
    if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
        return node.targets[0].target.value
    return None  # `a = b = None` binds two names: no rewrite may treat it as a's alone


def _writes(item) -> set[str]:
    """Names a line binds or updates in place (``y[i] = ...``, ``hs.append(...)``, ``d.pop()``)."""
    if isinstance(item, Compound):
        return _assigned([item])
    node = item.node
    found = {_target(item)} - {None}
    targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else []
    if isinstance(node, cst.AugAssign):
        targets.append(node.target)
    for target in targets:
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            found.add(target.value.value)
        elif isinstance(target, cst.Name):
            found.add(target.value)
    for inner in expressions_in([item]):
        for called in _facts(inner).updated:
            found.add(called)
    return found


def _updates_in_place(item) -> bool:
    """``y[i] = ...``, ``y[i] += ...`` or ``_rt.add_at(y, ...)``: a view of y read before changes too."""
    node = item.node
    targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else []
    if isinstance(node, cst.AugAssign):
        targets.append(node.target)
    if isinstance(node, cst.Expr) and m.matches(node.value, m.Call(func=m.Attribute(attr=m.Name("add_at")))):
        return True
    return any(isinstance(target, cst.Subscript) for target in targets)


def _reads(item) -> set[str]:
    expressions = expressions_in([item])
    return set().union(*(_names_of(e) for e in expressions)) if expressions else set()


def _assigned(block) -> set[str]:
    found = set().union(*(_writes(line) for line in lines_in(block))) if block else set()
    for item in block:
        if isinstance(item, Compound) and isinstance(item.header, cst.For):
            found |= names_read(item.header.target)
            found |= _assigned(item.body)
    return found


def _sections(generated: Generated):
    return (generated.checks, generated.forward, generated.reverse)


def _use_counts(generated: Generated) -> Counter:
    counts: Counter = Counter()
    for section in _sections(generated):
        for expression in expressions_in(section):
            counts.update(_names_of(expression))
    counts.update(_names_of(generated.result))
    return counts


def _assignment_counts(generated: Generated) -> Counter:
    return Counter(_target(line) for section in _sections(generated) for line in lines_in(section))


def _replace_in(item, replacements):
    if replacements.keys().isdisjoint(_reads(item)):
        return item  # (substitute would give the same code in new nodes, which _FACTS knows nothing about)
    if isinstance(item, Compound):
        header = item.header
        if isinstance(header, cst.For):
            header = header.with_changes(iter=substitute(header.iter, replacements))
        else:
            header = header.with_changes(test=substitute(header.test, replacements))
        return dataclasses.replace(
            item,
            header=header,
            body=tuple(_replace_in(i, replacements) for i in item.body),
            orelse=tuple(_replace_in(i, replacements) for i in item.orelse),
        )
    node = item.node
    if not hasattr(node, "value"):
        return item
    node = node.with_changes(value=substitute(node.value, replacements))
    if isinstance(node, cst.Assign):
        node = node.with_changes(
            targets=[
                t.with_changes(target=substitute(t.target, replacements)) if isinstance(t.target, cst.Subscript) else t
                for t in node.targets
            ]
        )
    elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Subscript):
        node = node.with_changes(target=substitute(node.target, replacements))
    return dataclasses.replace(item, node=node)


def _map_blocks(block, rewrite):
    """Apply ``rewrite`` (a list of items -> a new list, or None) to ``block`` and to every block nested
    in it; None if it changed none. One call makes every change a rewrite finds, not just the first:
    the optimizer's rounds then number about the depth of the chains of changes, not their count.
    """
    changed = rewrite(list(block))
    items = block if changed is None else changed
    nested = _map_nested(items, rewrite)
    if nested is not None:
        return nested
    return None if changed is None else tuple(changed)


def _map_nested(block, rewrite):
    """``_map_blocks`` on the blocks nested in ``block``'s items, not on ``block`` itself."""
    items = list(block)
    changed = False
    for position, item in enumerate(items):
        if isinstance(item, Compound):
            inner = {field: _map_blocks(getattr(item, field), rewrite) for field in ("body", "orelse")}
            inner = {field: value for field, value in inner.items() if value is not None}
            if inner:
                items[position] = dataclasses.replace(item, **inner)
                changed = True
    return tuple(items) if changed else None


def _inline_forward(generated: Generated, names: Names):
    # Temporaries, and (forward mode) their tangents.
    temporary = re.compile("(" + re.escape(names.prefix) + "d_)?" + re.escape(names.prefix) + r"n\d+$")
    counts = _use_counts(generated)
    forward = _map_blocks(generated.forward, lambda block: _inline(block, counts, temporary.match))
    if forward is None:
        return generated, False
    return dataclasses.replace(generated, forward=forward), True


def _inline_reverse(generated: Generated, names: Names):
    """Inline the adjoint of a temporary that the forward sweep no longer shows (it was inlined)."""
    adjoint_of_temporary = re.compile(re.escape(names.prefix) + r"d_(" + re.escape(names.prefix) + r"n\d+)$")
    counts = _use_counts(generated)
    shown = set(counts) | set(_assignment_counts(generated))
    assigned = _assignment_counts(generated)

    def vanished(name: str) -> bool:
        match = adjoint_of_temporary.match(name)
        return bool(match) and match.group(1) not in shown and assigned[name] == 1

    reverse = _map_blocks(generated.reverse, lambda block: _inline(block, counts, vanished))
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
    moved: set[int] = set()
    result = list(lines)
    for position, line in enumerate(lines):
        if isinstance(line, Compound):
            available.clear()
            continue
        wanted = {name: entry for name, entry in available.items() if name in _reads(result[position])}
        if wanted:
            result[position] = _replace_in(result[position], {name: value for name, (_, value, _) in wanted.items()})
            moved |= {index for index, _, _ in wanted.values()}
            for name in wanted:
                del available[name]
        written = _writes(result[position])
        if _updates_in_place(result[position]):
            available.clear()  # a value read before may be a view of the updated array
        available = {n: e for n, e in available.items() if not written & (e[2] | {n})}
        name = _target(result[position])
        if name is not None and inlinable(name) and counts[name] == 1:
            available[name] = (position, result[position].node.value, _reads(result[position]))
    if not moved:
        return None
    return [line for position, line in enumerate(result) if position not in moved]


def _propagate_copies(generated: Generated, names: Names):
    assignments = _assignment_counts(generated)
    uses = _use_counts(generated)
    in_result = Counter(names_in(generated.result))
    replaced: dict[str, cst.BaseExpression] = {}  # every name dropped, by what is read instead
    sources: set[str] = set()  # names read in place of a dropped one: their uses are no longer counted right

    def rewrite(block: list, result_follows: bool):
        reads, first_read, last_write, indexed = _block_table(block)
        dropped: dict[int, str] = {}
        for position, line in enumerate(block):
            name = _target(line)
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
            elif _number(value) is None or name in indexed:
                continue  # `1.0[i]` would not parse: a number only replaces a name used as a value
            replaced[name] = value
            dropped[position] = name
        if not dropped:
            return None
        replacements = {name: replaced[name] for name in dropped.values()}
        return [_replace_in(item, replacements) for position, item in enumerate(block) if position not in dropped]

    changed = {}
    for section in ("forward", "reverse"):
        top = rewrite(list(getattr(generated, section)), result_follows=section == "reverse")
        nested = _map_nested(top or getattr(generated, section), lambda block: rewrite(block, False))
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
            found = _names_of(expression)
            reads.update(found)
            for name in found:
                first_read.setdefault(name, position)
            indexed |= _facts(expression).indexed
        for name in _assigned([item]):
            last_write[name] = position
    return reads, first_read, last_write, indexed


def _drop_round_trips(generated: Generated, names: Names):
    """``a = b`` then ``b = a``, neither changed between: the second line changes nothing."""

    def rewrite(block: list):
        # The line after ``a = b`` to look at: the first block, or line writing a or b (``b = a`` writes b).
        # Found by bisection in the positions of each, not by reading on (a long block has many copies).
        compounds = [position for position, item in enumerate(block) if isinstance(item, Compound)]
        writes: dict[str, list[int]] = {}
        for position, item in enumerate(block):
            if not isinstance(item, Compound):
                for name in _writes(item):
                    writes.setdefault(name, []).append(position)

        def next_of(positions: list[int], position: int) -> int:
            found = bisect.bisect_right(positions, position)
            return positions[found] if found < len(positions) else len(block)

        dropped: set[int] = set()
        for position, line in enumerate(block):
            copied = _target(line)
            if position in dropped or copied is None or not isinstance(line.node.value, cst.Name):
                continue
            source = line.node.value.value
            later = min(
                next_of(compounds, position),
                next_of(writes.get(copied, []), position),
                next_of(writes.get(source, []), position),
            )
            item = block[later] if later < len(block) else None
            if isinstance(item, Line) and _target(item) == source and m.matches(item.node.value, m.Name(copied)):
                dropped.add(later)
        return [item for position, item in enumerate(block) if position not in dropped] if dropped else None

    changed = {}
    for section in ("forward", "reverse"):
        new = _map_blocks(getattr(generated, section), rewrite)
        if new is not None:
            changed[section] = new
    return (dataclasses.replace(generated, **changed), True) if changed else (generated, False)


def _remove_dead(generated: Generated, names: Names):
    counts = _use_counts(generated)

    def rewrite(block: list):
        kept = [
            item for item in block if not ((name := _target(item)) and names.is_placeholder(name) and counts[name] == 0)
        ]
        return kept if len(kept) < len(block) else None

    changed = {}
    for section in ("checks", "forward", "reverse"):
        new = _map_blocks(getattr(generated, section), rewrite)
        if new is not None:
            changed[section] = new
    return (dataclasses.replace(generated, **changed), True) if changed else (generated, False)


# -- folding ------------------------------------------------------------------------


def _fold_lines(generated: Generated, names: Names):
    """Fold literal arithmetic everywhere; factors of one only in the reverse sweep.

    The user's own ``mask * 1.0`` turns booleans into numbers, so the forward
    sweep keeps it; in adjoint code such factors come from the seed 1.0.
    """

    def folded(block, identities):
        items = []
        for item in block:
            if isinstance(item, Compound):
                items.append(
                    dataclasses.replace(
                        item, body=folded(item.body, identities), orelse=folded(item.orelse, identities)
                    )
                )
            elif hasattr(item.node, "value"):
                value = fold(item.node.value, identities=identities)
                if value is not item.node.value:
                    item = dataclasses.replace(item, node=item.node.with_changes(value=value))
                items.append(item)
            else:
                items.append(item)
        return tuple(items)

    forward, reverse = folded(generated.forward, False), folded(generated.reverse, True)
    before = expressions_in(generated.forward) + expressions_in(generated.reverse)
    after = expressions_in(forward) + expressions_in(reverse)
    changed = any(a is not b and not a.deep_equals(b) for a, b in zip(before, after, strict=False))
    return dataclasses.replace(generated, forward=forward, reverse=reverse), changed


def _number(node: cst.BaseExpression):
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and not node.lpar:
        inner = _number(node.expression)
        return None if inner is None else -inner
    if isinstance(node, (cst.Integer, cst.Float)):
        return ast.literal_eval(node.value)  # 0x2, 1_000, 1e-3
    return None


def _literal(value) -> cst.BaseExpression | None:
    """``value`` written as a literal; None for inf and nan, which no literal spells (``1e400``
    is inf): the expression that gave them stays as the user wrote it."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    text = repr(value)
    if value < 0 or math.copysign(1.0, value) < 0:  # -0.0 too: a literal has no sign
        return cst.UnaryOperation(operator=cst.Minus(), expression=_literal(-value))
    return cst.Integer(text) if isinstance(value, int) else cst.Float(text)


_ARITHMETIC = {
    cst.Add: lambda a, b: a + b,
    cst.Subtract: lambda a, b: a - b,
    cst.Multiply: lambda a, b: a * b,
}


def _changed(node: cst.CSTNode, **fields) -> cst.CSTNode:
    """``node.with_changes(**fields)``, or ``node`` itself when no field changes: an unchanged line keeps
    its nodes, so what the rewrites found out about them (``_FACTS``) still holds in the next round."""
    if all(getattr(node, name) is value for name, value in fields.items()):
        return node
    return node.with_changes(**fields)


def fold(node: cst.BaseExpression, operand: bool = False, identities: bool = True) -> cst.BaseExpression:
    """Fold literal arithmetic; with ``identities``, drop factors of one where ``node`` is an operand."""
    if isinstance(node, cst.BinaryOperation):
        left, right = fold(node.left, True, identities), fold(node.right, True, identities)
        node = _changed(node, left=left, right=right)
        a, b = _number(left), _number(right)
        operation = _ARITHMETIC.get(type(node.operator))
        folded = _computed(operation, a, b) if operation and a is not None and b is not None else None
        if folded is not None:
            return folded
        if isinstance(node.operator, cst.Multiply):
            left, right = _unspread(left, right), _unspread(right, left)
            node = _changed(node, left=left, right=right)
        if operand and identities and isinstance(node.operator, cst.Multiply):
            if a == 1:
                return right
            if b == 1:
                return left
        if operand and identities and isinstance(node.operator, (cst.Power, cst.Divide)) and b == 1:
            return left
        return node
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = fold(node.expression, True, identities)
        number = _number(inner)
        folded = _literal(-number) if number is not None and not isinstance(inner, cst.UnaryOperation) else None
        return folded if folded is not None else _changed(node, expression=inner)
    if isinstance(node, cst.Call):
        args = [_changed(arg, value=fold(arg.value, False, identities)) for arg in node.args]
        node = (
            node if all(new is old for new, old in zip(args, node.args, strict=True)) else node.with_changes(args=args)
        )
        exponent = _number(node.args[1].value) if len(node.args) == 2 else None
        if _called(node, "power_slope") and exponent is not None and 1 <= exponent < math.inf:
            # d/dx x**n for a number n >= 1 written out, as a person writes it: 2 * x, 3 * x ** 2
            # (smaller n keep the helper: x ** (n - 1) would divide by a Python 0.0).
            base = node.args[0].value
            slope = cst.BinaryOperation(
                left=_literal(exponent),
                operator=cst.Multiply(),
                right=cst.BinaryOperation(left=base, operator=cst.Power(), right=_literal(exponent - 1)),
            )
            return fold(slope, operand, identities=True)
        return node
    return node


def _computed(operation, a, b) -> cst.BaseExpression | None:
    """The literal of ``a <operation> b``; None when it has none (inf, nan)."""
    try:
        return _literal(operation(a, b))
    except OverflowError:  # an integer literal too large to multiply with a float: kept as written
        return None


def _unspread(spread: cst.BaseExpression, other: cst.BaseExpression) -> cst.BaseExpression:
    """``_rt.broadcast_like(d, x)`` times a product with the factor ``x``: ``d`` alone spreads the same."""
    if isinstance(spread, cst.Call) and _called(spread, "broadcast_like") and len(spread.args) == 2:
        value = spread.args[1].value
        if any(value.deep_equals(factor) for factor in _factors(other)):
            return spread.args[0].value
    return spread


def _factors(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        return _factors(node.left) + _factors(node.right)
    return [node]


def _called(node: cst.Call, name: str) -> bool:
    return isinstance(node.func, cst.Attribute) and node.func.attr.value == name


# -- results ------------------------------------------------------------------------


def _release_dead(generated: Generated) -> Generated:
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
    cheap = {_target(item) for _, item in items if isinstance(item, Line) and _target(item) and _cheap(item.node.value)}
    bound: set[str] = set()
    released: set[str] = set()
    sections: dict[str, list] = {"forward": [], "reverse": []}
    for index, (section, item) in enumerate(items):
        sections[section].append(item)
        written = _writes(item)
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
    return _number(value) is not None or isinstance(value, cst.List) or m.matches(value, m.Name("None"))


def _names_of_block(block) -> list[str]:
    return [name for expression in expressions_in(block) for name in _names_of(expression)]


def _detach_results(generated: Generated, names: Names) -> Generated:
    """Copy each returned gradient that may be the caller's array, a view of one, or another gradient."""
    values: dict[str, list[cst.BaseExpression]] = {}
    for line in lines_in(generated.reverse):
        name = _target(line)
        if name is not None:
            values.setdefault(name, []).append(line.node.value)
    seen: set[str] = set()

    def detached(call: cst.BaseExpression) -> cst.BaseExpression:
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "like"):
            return call
        gradient = call.args[0].value
        key = gradient.value if isinstance(gradient, cst.Name) else None
        assigned_fresh = key in values and all(fresh(v) for v in values[key])
        safe = key not in seen and (fresh(gradient) or assigned_fresh)
        if key:
            seen.add(key)
        return call if safe else call.with_changes(func=call.func.with_changes(attr=cst.Name("copy_like")))

    result = generated.result
    if isinstance(result, cst.Tuple):
        elements = []
        for element in result.elements:
            value = element.value
            if isinstance(value, cst.Tuple):  # value_and_grad: (value, gradients)
                value = value.with_changes(elements=[e.with_changes(value=detached(e.value)) for e in value.elements])
            else:
                value = detached(value)
            elements.append(element.with_changes(value=value))
        result = result.with_changes(elements=elements)
    else:
        result = detached(result)
    return dataclasses.replace(generated, result=result)
