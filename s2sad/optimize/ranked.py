"""Adjoint helpers written out where the arguments' forms (Options.shapes) tell the case they take.

``_rt.matmul_adjoint_left(g, a, b)`` looks at its operands' numbers of axes at each call to choose
among ``g @ b.T``, ``np.outer(g, b)`` and ``g * b``. With a derivative specialized to its
arguments' forms, the analysis knows these numbers for most names (analysis.shapes.ranks); the
generated code then calls numpy directly, which small arrays in loops feel:

    d_h = _rt.matmul_adjoint_right(d_t6, W, h)    ->    d_h = d_t6 @ W
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import libcst as cst

from s2sad.core.naming import Names
from s2sad.core.target import Compound, Generated

# numpy's placeholder name, and the call's (g, a, b) -> the product written out
_Write = Callable[[str, cst.BaseExpression, cst.BaseExpression, cst.BaseExpression], cst.BaseExpression]


def _matmul(left, right) -> cst.BinaryOperation:
    return cst.BinaryOperation(left, cst.MatrixMultiply(), right)


def _times(left, right) -> cst.BinaryOperation:
    return cst.BinaryOperation(left, cst.Multiply(), right)


def _transposed(value) -> cst.Attribute:
    return cst.Attribute(value, cst.Name("T"))


def _outer(numpy: str, left, right) -> cst.Call:
    return cst.Call(cst.Attribute(cst.Name(numpy), cst.Name("outer")), [cst.Arg(left), cst.Arg(right)])


# helper -> (number of axes of a, of b) -> how to write it
WRITTEN: Mapping[str, Mapping[tuple[int, int], _Write]] = {
    # a @ b's adjoint g, to a
    "matmul_adjoint_left": {
        (2, 2): lambda np_, g, a, b: _matmul(g, _transposed(b)),
        (2, 1): lambda np_, g, a, b: _outer(np_, g, b),
        (1, 2): lambda np_, g, a, b: _matmul(b, g),
        (1, 1): lambda np_, g, a, b: _times(g, b),
    },
    # ... to b
    "matmul_adjoint_right": {
        (2, 2): lambda np_, g, a, b: _matmul(_transposed(a), g),
        (2, 1): lambda np_, g, a, b: _matmul(g, a),
        (1, 2): lambda np_, g, a, b: _outer(np_, a, g),
        (1, 1): lambda np_, g, a, b: _times(g, a),
    },
}


def run(generated: Generated, names: Names, ranks: Mapping[str, int]) -> Generated:
    if not any(ranks.values()):  # numbers only: no matrix product to write out
        return generated
    writer = _Writer(names, ranks)
    return dataclasses.replace(generated, reverse=_block(generated.reverse, writer))


def _block(block, writer: "_Writer") -> tuple:
    return tuple(
        (
            dataclasses.replace(item, body=_block(item.body, writer), orelse=_block(item.orelse, writer))
            if isinstance(item, Compound)
            else dataclasses.replace(item, node=item.node.visit(writer))
        )
        for item in block
    )


class _Writer(cst.CSTTransformer):
    def __init__(self, names: Names, ranks: Mapping[str, int]):
        super().__init__()
        self.runtime, self.numpy = names.module("_rt"), names.module("np")
        self.adjoint_prefix = names.adjoint("")
        self.ranks = ranks

    def rank(self, node: cst.BaseExpression) -> int | None:
        if not isinstance(node, cst.Name):
            return None
        name = node.value
        if name.startswith(self.adjoint_prefix):
            name = name[len(self.adjoint_prefix) :]  # an adjoint has its value's form
        return self.ranks.get(name)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = updated.func
        if not (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value == self.runtime
            and func.attr.value in WRITTEN
            and len(updated.args) == 3
            and all(arg.keyword is None and not arg.star for arg in updated.args)
        ):
            return updated
        g, a, b = (arg.value for arg in updated.args)
        write = WRITTEN[func.attr.value].get((self.rank(a), self.rank(b)))
        return updated if write is None else write(self.numpy, g, a, b)
