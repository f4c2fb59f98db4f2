"""Optimize: make the generated function smaller and closer to what a person would write.

Requires: a Generated function. Each rewrite keeps the values computed; they
run until none applies:

- inline: a forward temporary read once, later in the forward sweep, goes back
  into the expression that reads it (``_n1 = x @ w; z = _n1 + b`` -> ``z = x @ w + b``),
  and so does the adjoint of such a temporary in the reverse sweep;
- copies: ``d_a = d_b`` (or ``d_a = -1.0``) is dropped and ``d_a`` read as ``d_b``
  when ``d_b`` does not change;
- folding: arithmetic on literals (``2 - 1`` -> ``1``) and, in the reverse
  sweep inside a larger expression, multiplying by one (``1.0 * 2.0 * x`` ->
  ``2.0 * x``); never at the top of a value;
- dead code: generated names assigned and never read.

Last, the gradients returned are made safe to update in place: one that may
share memory with the caller's arrays or with another gradient is copied.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections import Counter

import libcst as cst

from s2sad.naming import Names, names_in
from s2sad.options import Options
from s2sad.target import Generated, Line
from s2sad.templates import names_read, substitute
from s2sad.unit import Unit


def run(unit: Unit, options: Options) -> Unit:
    generated = unit.generated
    names = unit.names
    changed = True
    while changed:
        changed = False
        for rewrite in (_inline_forward, _inline_reverse, _propagate_copies, _fold_lines, _remove_dead):
            generated, did = rewrite(generated, names)
            changed = changed or did
    return dataclasses.replace(unit, generated=_detach_results(generated, names))


def _target(line: Line) -> str | None:
    node = line.node
    if isinstance(node, cst.Assign) and isinstance(node.targets[0].target, cst.Name):
        return node.targets[0].target.value
    return None


def _reads(line: Line) -> set[str]:
    return names_read(line.node.value)


def _all_lines(generated: Generated) -> list[Line]:
    return [*generated.checks, *generated.forward, *generated.reverse]


def _use_counts(generated: Generated) -> Counter:
    counts: Counter = Counter()
    for line in _all_lines(generated):
        counts.update(names_in(line.node.value))
    counts.update(names_in(generated.result))
    return counts


def _replace_in(line: Line, replacements) -> Line:
    node = line.node
    return dataclasses.replace(line, node=node.with_changes(value=substitute(node.value, replacements)))


def _inline_forward(generated: Generated, names: Names):
    temporary = re.compile(re.escape(names.prefix) + r"n\d+$")
    forward = _inline(list(generated.forward), _use_counts(generated), temporary.match)
    if forward is None:
        return generated, False
    return dataclasses.replace(generated, forward=tuple(forward)), True


def _inline_reverse(generated: Generated, names: Names):
    """Inline the adjoint of a temporary that the forward sweep no longer shows (it was inlined)."""
    adjoint_of_temporary = re.compile(re.escape(names.prefix) + r"d_(" + re.escape(names.prefix) + r"n\d+)$")
    shown = set(_use_counts(generated)) | {_target(line) for line in _all_lines(generated)}
    assigned = Counter(_target(line) for line in generated.reverse)

    def vanished(name: str) -> bool:
        match = adjoint_of_temporary.match(name)
        return bool(match) and match.group(1) not in shown and assigned[name] == 1

    reverse = _inline(list(generated.reverse), _use_counts(generated), vanished)
    if reverse is None:
        return generated, False
    return dataclasses.replace(generated, reverse=tuple(reverse)), True


def _inline(lines: list[Line], counts: Counter, inlinable) -> list[Line] | None:
    """Move the first inlinable single-use value into the later line that reads it; None if none."""
    for position, line in enumerate(lines):
        name = _target(line)
        if name is None or not inlinable(name) or counts[name] != 1:
            continue
        value_reads = _reads(line)
        for later in range(position + 1, len(lines)):
            candidate = lines[later]
            if name in _reads(candidate):
                lines[later] = _replace_in(candidate, {name: line.node.value})
                del lines[position]
                return lines
            if _target(candidate) in value_reads | {name}:
                break
    return None


def _propagate_copies(generated: Generated, names: Names):
    lines = _all_lines(generated)
    assigned = Counter(_target(line) for line in lines)
    for position, line in enumerate(lines):
        name = _target(line)
        value = line.node.value if name else None
        if not (name and names.is_placeholder(name)) or assigned[name] != 1:
            continue
        if isinstance(value, cst.Name):
            if any(_target(later) == value.value for later in lines[position + 1 :]):
                continue
        elif _number(value) is None:
            continue
        replacement = {name: value}
        rewritten = [_replace_in(other, replacement) for other in lines[position + 1 :]]
        new_lines = lines[:position] + rewritten
        return _regroup(generated, new_lines, removed_at=position, result=substitute(generated.result, replacement)), True
    return generated, False


def _regroup(generated: Generated, lines: list[Line], removed_at: int | None, result) -> Generated:
    """Split a flat list of lines back into sections, one line having been removed at ``removed_at``."""
    sizes = [len(generated.checks), len(generated.forward), len(generated.reverse)]
    if removed_at is not None:
        boundary = 0
        for index, size in enumerate(sizes):
            if removed_at < boundary + size:
                sizes[index] -= 1
                break
            boundary += size
    checks = tuple(lines[: sizes[0]])
    forward = tuple(lines[sizes[0] : sizes[0] + sizes[1]])
    reverse = tuple(lines[sizes[0] + sizes[1] :])
    return dataclasses.replace(generated, checks=checks, forward=forward, reverse=reverse, result=result)


def _remove_dead(generated: Generated, names: Names):
    counts = _use_counts(generated)
    lines = _all_lines(generated)
    for position, line in enumerate(lines):
        name = _target(line)
        if name and names.is_placeholder(name) and counts[name] == 0:
            return _regroup(generated, lines[:position] + lines[position + 1 :], position, generated.result), True
    return generated, False


# -- folding ------------------------------------------------------------------------


def _fold_lines(generated: Generated, names: Names):
    """Fold literal arithmetic everywhere; factors of one only in the reverse sweep.

    The user's own ``mask * 1.0`` turns booleans into numbers, so the forward
    sweep keeps it; in adjoint code such factors come from the seed 1.0.
    """

    def folded(lines, identities):
        return tuple(
            dataclasses.replace(line, node=line.node.with_changes(value=fold(line.node.value, identities=identities)))
            for line in lines
        )

    forward, reverse = folded(generated.forward, False), folded(generated.reverse, True)
    changed = any(
        not a.node.value.deep_equals(b.node.value)
        for a, b in zip(generated.forward + generated.reverse, forward + reverse)
    )
    return dataclasses.replace(generated, forward=forward, reverse=reverse), changed


def _number(node: cst.BaseExpression):
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and not node.lpar:
        inner = _number(node.expression)
        return None if inner is None else -inner
    if isinstance(node, (cst.Integer, cst.Float)):
        return ast.literal_eval(node.value)  # 0x2, 1_000, 1e-3
    return None


def _literal(value) -> cst.BaseExpression:
    text = repr(value)
    if value < 0:
        return cst.UnaryOperation(operator=cst.Minus(), expression=_literal(-value))
    return cst.Integer(text) if isinstance(value, int) else cst.Float(text)


_ARITHMETIC = {
    cst.Add: lambda a, b: a + b,
    cst.Subtract: lambda a, b: a - b,
    cst.Multiply: lambda a, b: a * b,
}


def fold(node: cst.BaseExpression, operand: bool = False, identities: bool = True) -> cst.BaseExpression:
    """Fold literal arithmetic; with ``identities``, drop factors of one where ``node`` is an operand."""
    if isinstance(node, cst.BinaryOperation):
        left, right = fold(node.left, True, identities), fold(node.right, True, identities)
        node = node.with_changes(left=left, right=right)
        a, b = _number(left), _number(right)
        operation = _ARITHMETIC.get(type(node.operator))
        if operation and a is not None and b is not None:
            return _literal(operation(a, b))
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
        if number is not None and not isinstance(inner, cst.UnaryOperation):
            return _literal(-number)
        return node.with_changes(expression=inner)
    if isinstance(node, cst.Call):
        return node.with_changes(args=[arg.with_changes(value=fold(arg.value, False, identities)) for arg in node.args])
    return node


# -- results ------------------------------------------------------------------------

# Calls that always return a new array (the rest, like np.reshape, may return a view).
_ALLOCATING = {
    "where", "outer", "solve", "inv", "unreduce", "mean_adjoint", "extremum_adjoint", "prod_adjoint",
    "getitem_adjoint", "matmul_adjoint_left", "matmul_adjoint_right", "dot_adjoint_left",
    "dot_adjoint_right", "inner_adjoint_left", "inner_adjoint_right", "norm_adjoint", "solve_adjoint_matrix",
}


def _fresh(value: cst.BaseExpression) -> bool:
    """Whether ``value`` is certainly a new array (or number) that nothing else refers to."""
    if isinstance(value, (cst.BinaryOperation, cst.UnaryOperation, cst.Integer, cst.Float)):
        return True
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
        name = value.func.attr.value
        if name == "unbroadcast":
            return _fresh(value.args[0].value)  # returns its argument when shapes agree
        return name in _ALLOCATING
    return False


def _detach_results(generated: Generated, names: Names) -> Generated:
    """Copy each returned gradient that may be the caller's array, a view of one, or another gradient."""
    last_value = {}
    for line in generated.reverse:
        name = _target(line)
        if name is not None:
            last_value[name] = line.node.value
    seen: set[str] = set()

    def detached(call: cst.BaseExpression) -> cst.BaseExpression:
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "like"):
            return call
        gradient = call.args[0].value
        key = gradient.value if isinstance(gradient, cst.Name) else None
        safe = key not in seen and (_fresh(gradient) or (key in last_value and _fresh(last_value[key])))
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
