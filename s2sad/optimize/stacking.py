"""Stack a reversed loop's matrix-product adjoints into one product after the loop.

A loop that multiplies by the same matrix on every trip (``h = np.tanh(W @ h)``)
adds one outer product to ``d_W`` per reversed trip. Summed, those products
are one matrix product of the stacked factors, which BLAS does many times
faster:

    for t in reversed(tape.pop()):         W_adjoints, W_factors = [], []
        ...                          ->    for t in reversed(tape.pop()):
        d_W = d_W + _rt.matmul_adjoint_left(d_t3, W, h)       ...
                                               W_adjoints.append(d_t3)
                                               W_factors.append(h)
                                           d_W = d_W + _rt.matmul_adjoint_left_stacked(W_adjoints, W, W_factors)

Only when the loop body changes no array in place (the saved factors must
keep their values until the loop ends), the matrix is the same on every trip
and the loop reads and writes its adjoint nowhere else.
"""

from __future__ import annotations

import dataclasses

import libcst as cst
import libcst.matchers as m

from s2sad.core.naming import Names, names_in
from s2sad.core.target import Compound, Generated, Line, assign, attribute, call, expressions_in, lines_in

# The adjoint helpers with a stacked form, and which argument is the loop-invariant matrix.
STACKED = {"matmul_adjoint_left": 1, "matmul_adjoint_right": 2}


def run(generated: Generated, names: Names) -> Generated:
    return dataclasses.replace(generated, reverse=_block(generated.reverse, names))


def _block(block, names: Names) -> tuple:
    out = []
    for item in block:
        if isinstance(item, Compound):
            item = dataclasses.replace(item, body=_block(item.body, names), orelse=_block(item.orelse, names))
            if isinstance(item.header, cst.For):
                out.extend(_stack_loop(item, names))
                continue
        out.append(item)
    return tuple(out)


def _stack_loop(loop: Compound, names: Names) -> list:
    lines = lines_in(loop.body)
    if any(_changes_in_place(line.node) for line in lines):
        return [loop]
    written = set(names_in(loop.header.target)) | {name for line in lines for name in _bound(line.node)}
    read = [name for expression in expressions_in(loop.body) for name in names_in(expression)]
    before, after, body = [], [], []
    for item in loop.body:
        found = _accumulation(item, names) if isinstance(item, Line) else None
        if found is None or found[2].value in written:
            body.append(item)
            continue
        adjoint, helper, matrix, operands = found
        if read.count(adjoint) != 1 or sum(adjoint in _bound(line.node) for line in lines) != 1:
            body.append(item)
            continue
        stem = matrix.value if not names.is_placeholder(matrix.value) else "matrix"
        lists = [names.role(f"v_{stem}_{role}_{len(after)}") for role in ("adjoints", "factors")]
        for name in lists:
            line = assign(name, cst.List(elements=[]), loop.origin)
            before.append(dataclasses.replace(line, note=f"for one product with {stem} after the loop"))
        for name, value in zip(lists, operands, strict=True):
            body.append(Line(cst.Expr(call(attribute(name, "append"), value)), item.origin))
        arguments: list[cst.BaseExpression] = [cst.Name(lists[0]), cst.Name(lists[1])]
        arguments.insert(STACKED[helper], matrix)  # in the helper's own order: g, a, b
        stacked = call(attribute(names.module("_rt"), f"{helper}_stacked"), *arguments)
        total = cst.BinaryOperation(left=cst.Name(adjoint), operator=cst.Add(), right=stacked)
        after.append(assign(adjoint, total, loop.origin))
    if not after:
        return [loop]
    return [*before, dataclasses.replace(loop, body=tuple(body)), *after]


def _accumulation(line: Line, names: Names):
    """``d_W = d_W + _rt.<helper>(g, ...)`` with a stacked form: (d_W, helper, the matrix, the other operands)."""
    node = line.node
    if not m.matches(
        node, m.Assign(targets=[m.AssignTarget(target=m.Name())], value=m.BinaryOperation(operator=m.Add()))
    ):
        return None
    adjoint = node.targets[0].target.value
    total = node.value
    helper = total.right
    if not (
        m.matches(total.left, m.Name(adjoint))
        and m.matches(helper, m.Call(func=m.Attribute(value=m.Name(names.module("_rt")))))
        and helper.func.attr.value in STACKED
        and len(helper.args) == 3
        and all(arg.keyword is None and arg.star == "" for arg in helper.args)
    ):
        return None
    values = [arg.value for arg in helper.args]
    matrix = values.pop(STACKED[helper.func.attr.value])
    if not isinstance(matrix, cst.Name):
        return None
    return adjoint, helper.func.attr.value, matrix, values


def _bound(node: cst.CSTNode) -> list[str]:
    if isinstance(node, cst.Assign):
        return [name for target in node.targets for name in names_in(target.target)]
    return []


def _changes_in_place(node: cst.CSTNode) -> bool:
    """An augmented or subscript assignment, or ``_rt.add_at``: an array may change under a saved factor."""
    if isinstance(node, cst.AugAssign):
        return True
    if isinstance(node, cst.Assign) and any(isinstance(t.target, cst.Subscript) for t in node.targets):
        return True
    return any(m.findall(node, m.Call(func=m.Attribute(attr=m.Name("add_at")))))
