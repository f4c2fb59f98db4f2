"""Fuse an adjoint helper into the helper that consumes its result, where the pair has a cheaper form.

An embedding lookup followed by a linear map, ``np.tanh(E[idx] @ v)``, has
a gathered-rows adjoint as large as the gathered rows, and scattering it
back into ``E`` touches every one of its entries. Summing the factor per row
of ``E`` first, then multiplying, never builds it:

    d_t1 = _rt.matmul_adjoint_left(d_t3, _t1, v)
    d_v = _rt.matmul_adjoint_right(d_t3, _t1, v)     ->   d_v = _rt.matmul_adjoint_right(d_t3, _t1, v)
    d_E = _rt.getitem_adjoint(d_t1, E, np.s_[idx])        d_E = _rt.getitem_matmul_adjoint(d_t3, _t1, v, E, np.s_[idx])

The fused helper falls back to the two calls whenever its shortcut does not apply.
Only a value read once, by the next line of the same block that reads it,
moves; and only if no line between changes what it reads.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import libcst as cst
import libcst.matchers as m

from s2sad.core.naming import Names, names_in
from s2sad.core.target import Compound, Generated, Line, expressions_in

# (consumer, producer) -> the runtime helper doing both.
FUSED = {("getitem_adjoint", "matmul_adjoint_left"): "getitem_matmul_adjoint"}
_PRODUCERS = {producer for _, producer in FUSED}


def run(generated: Generated, names: Names) -> Generated:
    counts = Counter(names_in(generated.result))
    for section in (generated.guards, generated.forward, generated.reverse):
        for expression in expressions_in(section):
            counts.update(names_in(expression))
    return dataclasses.replace(generated, reverse=_block(generated.reverse, counts, names))


def _block(block, counts: Counter, names: Names) -> tuple:
    items = [
        (
            dataclasses.replace(item, body=_block(item.body, counts, names), orelse=_block(item.orelse, counts, names))
            if isinstance(item, Compound)
            else item
        )
        for item in block
    ]
    for position, item in enumerate(items):
        produced = _helper_call(item, names)
        if produced is None or produced[1] not in _PRODUCERS or counts[produced[0]] != 1:
            continue
        target, producer, producer_call = produced
        reads = set(names_in(producer_call))
        for later_position in range(position + 1, len(items)):
            later = items[later_position]
            if isinstance(later, Compound):
                break
            if target in names_in(later.node):
                consumed = _helper_call(later, names)
                fused = consumed and FUSED.get((consumed[1], producer))
                if fused and m.matches(consumed[2].args[0].value, m.Name(target)):
                    arguments = [*producer_call.args, *consumed[2].args[1:]]
                    call = consumed[2].with_changes(
                        func=consumed[2].func.with_changes(attr=cst.Name(fused)), args=arguments
                    )
                    items[later_position] = dataclasses.replace(later, node=later.node.with_changes(value=call))
                    items[position] = None
                break
            if reads & changed_names(later.node):
                break
    return tuple(item for item in items if item is not None)


def _helper_call(item, names: Names):
    """``name = _rt.helper(...)``: (name, helper, the call), else None."""
    if not isinstance(item, Line):
        return None
    node = item.node  # (by type, not a matcher: asked of every line)
    if not (type(node) is cst.Assign and len(node.targets) == 1 and type(node.targets[0].target) is cst.Name):
        return None
    call = node.value
    if not (type(call) is cst.Call and type(call.func) is cst.Attribute and type(call.func.value) is cst.Name):
        return None
    if call.func.value.value != names.module("_rt"):
        return None
    if any(arg.keyword is not None or arg.star for arg in call.args):
        return None
    return item.node.targets[0].target.value, call.func.attr.value, call


def changed_names(node: cst.CSTNode) -> set[str]:
    """Names a line may rebind or change in place: its targets, and everything a bare call touches."""
    if isinstance(node, cst.Assign):
        return {name for target in node.targets for name in names_in(target.target)}
    if isinstance(node, cst.AugAssign):
        return set(names_in(node.target))
    return set(names_in(node))
