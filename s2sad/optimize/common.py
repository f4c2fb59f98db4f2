"""Common subexpressions: a helper call the reverse sweep writes twice with the same arguments is
computed once, before the first line that needs it.

The adjoint of ``y * np.log(p) + (1.0 - y) * np.log(1.0 - p)`` hands ``d_out``, summed down to the
shape ``y`` and ``p`` broadcast to, to both products; each rule writes that sum:

    d_t5 = np.divide(_rt.unbroadcast(_rt.unbroadcast(d_t6, y, p) * _t4, p), _t5)
    d_p = d_p + np.divide(_rt.unbroadcast(_rt.unbroadcast(d_t6, y, p) * y, p), p)
->
    _t7 = _rt.unbroadcast(d_t6, y, p)
    d_t5 = np.divide(_rt.unbroadcast(_t7 * _t4, p), _t5)
    d_p = d_p + np.divide(_rt.unbroadcast(_t7 * y, p), p)

Only calls of helpers that read their arguments and return a value (``PURE``), only within one
block, only while no line between changes a name they read, and only where the call is an operand
of arithmetic: a shared value that some name held would be one array under two names, which an
update in place of one of them would change in the other.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import defaultdict

import libcst as cst

from s2sad.core.naming import Names, children, names_in
from s2sad.core.target import Compound, Generated, Line, assign
from s2sad.optimize.fusion import changed_names

PURE = frozenset({"unbroadcast", "unreduce", "mean_adjoint", "matmul_adjoint_left", "matmul_adjoint_right"})
_ARITHMETIC = (cst.BinaryOperation, cst.UnaryOperation)


def run(generated: Generated, names: Names) -> Generated:
    temporaries = (names.temp("c", number) for number in itertools.count(1))
    return dataclasses.replace(generated, reverse=_block(generated.reverse, names, temporaries))


def _block(block, names: Names, temporaries) -> tuple:
    items = [
        (
            dataclasses.replace(
                item,
                body=_block(item.body, names, temporaries),
                orelse=_block(item.orelse, names, temporaries),
            )
            if isinstance(item, Compound)
            else item
        )
        for item in block
    ]
    runtime = names.module("_rt")
    shared: dict[str, tuple[cst.Call, list[int]]] = {}  # code of a call still valid -> (it, the lines holding it)
    readers: dict[str, set[str]] = defaultdict(set)  # name -> the codes of the shared calls that read it
    repeated: list[tuple[str, cst.Call, list[int]]] = []

    def close(code: str) -> None:
        found, positions = shared.pop(code)
        if len(positions) > 1:
            repeated.append((code, found, positions))

    for position, item in enumerate(items):
        if isinstance(item, Compound):
            for code in list(shared):
                close(code)  # what the compound changes is not tracked: start again after it
            readers.clear()
            continue
        for code, found in _operand_calls(item.node, runtime).items():
            if code in shared:
                shared[code][1].append(position)
            else:
                shared[code] = (found, [position])
                for name in names_in(found):
                    readers[name].add(code)
        for name in changed_names(item.node):
            for code in readers.pop(name, ()):
                if code in shared:
                    close(code)
    for code in list(shared):
        close(code)
    if not repeated:
        return tuple(items)
    codes = {code for code, _, _ in repeated}
    inserted: dict[int, list[Line]] = {}
    for code, found, positions in sorted(repeated, key=lambda entry: entry[2]):
        if any(other != code and other in code for other in codes):
            continue  # holds a call shared too: that one, written once, is enough
        name = next(temporaries)
        inserted.setdefault(positions[0], []).append(assign(name, found, items[positions[0]].origin))
        replace = _Replace(code, cst.Name(name), runtime)
        for position in positions:
            items[position] = dataclasses.replace(items[position], node=items[position].node.visit(replace))
    return tuple(line for position, item in enumerate(items) for line in (*inserted.get(position, ()), item))


def _is_pure_call(node: cst.CSTNode, runtime: str) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and isinstance(node.func.value, cst.Name)
        and node.func.value.value == runtime
        and node.func.attr.value in PURE
    )


def _operands(node: cst.CSTNode) -> list[cst.CSTNode]:
    if isinstance(node, cst.BinaryOperation):
        return [node.left, node.right]
    return [node.expression]


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _operand_calls(node: cst.CSTNode, runtime: str) -> dict[str, cst.Call]:
    """The pure helper calls that are operands of arithmetic in ``node``, by their code."""
    found: dict[str, cst.Call] = {}
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, _ARITHMETIC):
            for operand in _operands(current):
                if _is_pure_call(operand, runtime):
                    found.setdefault(_code(operand), operand)
        pending.extend(children(current))
    return dict(sorted(found.items()))


class _Replace(cst.CSTTransformer):
    """Writes ``name`` for the operands of arithmetic whose code is ``code``."""

    def __init__(self, code: str, name: cst.Name, runtime: str):
        super().__init__()
        self.code, self.name, self.runtime = code, name, runtime

    def leave_BinaryOperation(self, original, updated: cst.BinaryOperation) -> cst.BinaryOperation:
        return updated.with_changes(left=self.replaced(updated.left), right=self.replaced(updated.right))

    def leave_UnaryOperation(self, original, updated: cst.UnaryOperation) -> cst.UnaryOperation:
        return updated.with_changes(expression=self.replaced(updated.expression))

    def replaced(self, operand: cst.BaseExpression) -> cst.BaseExpression:
        if _is_pure_call(operand, self.runtime) and _code(operand) == self.code:
            return self.name
        return operand
