"""Analyse: which statements get adjoints, which overwritten values the reverse sweep needs, shapes.

Requires: the normalized program. Finds, keyed by statement id:

- active statements: the target depends on a ``wrt`` parameter (varied) and
  reaches the returned value (useful). Only these get adjoint code, and only
  for their active operands.
- recorded statements: those that overwrite a value the reverse sweep reads
  later; the forward sweep saves the old value on the tape before them.
- operands known to have the output's shape, so their adjoint needs no
  ``unbroadcast`` (elementwise operations on names of one shape class).

Refuses, at the statement, a value that depends on ``wrt`` flowing somewhere
that carries no derivative (``np.arange(x)``, a tuple of active values).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping

import libcst as cst

from s2sad import ir, rules
from s2sad.errors import UnsupportedSyntax
from s2sad.options import Options
from s2sad.unit import Unit


@dataclasses.dataclass(frozen=True)
class Activity:
    active_operands: Mapping[int, tuple[str, ...]]  # active statement id -> its active parameters
    active_names: Mapping[int, frozenset[str]]  # active statement id -> its operand names that are varied
    recorded: frozenset[int]  # ids of statements whose overwritten value must be saved
    same_shape: Mapping[int, frozenset[str]]  # statement id -> parameters shaped like the output

    def is_active(self, statement: ir.Statement) -> bool:
        return statement.id in self.active_operands


def run(unit: Unit, options: Options) -> Unit:
    function = unit.ir
    varied_operands, varied_names = _varied(function, set(options.wrt))
    active = _useful(function, varied_operands)
    same_shape = _same_shape(function)
    recorded = _recorded(function, active, same_shape, options.wrt)
    names = {id_: varied_names[id_] for id_ in active}
    return dataclasses.replace(unit, activity=Activity(active, names, recorded, same_shape))


def _varied(function: ir.Function, wrt: set[str]):
    """Statement id -> its parameters whose operand depends on ``wrt``, and -> those operand names."""
    varied = set(wrt)
    found: dict[int, tuple[str, ...]] = {}
    found_names: dict[int, frozenset[str]] = {}
    for statement in function.body:
        if not isinstance(statement, ir.Assign):
            continue
        if statement.rule is None:
            depends = statement.reads() & varied
            if statement.inactive_only and depends:
                raise UnsupportedSyntax(
                    f"this value depends on {_names(depends)}, which is differentiated, "
                    "but goes where s2sad carries no derivative",
                    statement.origin,
                    hint="build arrays with np.array([...]) or np.stack, and keep sizes and ranges "
                    "independent of the differentiated arguments",
                )
            varied.discard(statement.target)
            continue
        rule = rules.RULES[statement.rule]
        parameters = []
        names: set[str] = set()
        for index, parameter in enumerate(rule.differentiable):
            depends = statement.operand_names(parameter) & varied
            if not depends:
                continue
            operand = statement.operands.get(parameter)
            if isinstance(operand, (cst.Tuple, cst.List)) and parameter not in rule.sequences:
                raise UnsupportedSyntax(
                    f"a tuple or list holding {_names(depends)} (differentiated) is passed as "
                    f"'{parameter}' of {rules.spelling(rule.name)}",
                    statement.origin,
                    hint="pass an array: np.array([...]) or np.stack([...])",
                )
            if rule.adjoint.results[index] is not None:
                parameters.append(parameter)
                names |= depends
        if parameters:
            found[statement.id] = tuple(parameters)
            found_names[statement.id] = frozenset(names)
            varied.add(statement.target)
        else:
            varied.discard(statement.target)
    return found, found_names


def _useful(function: ir.Function, varied_operands: dict[int, tuple[str, ...]]) -> dict[int, tuple[str, ...]]:
    """Keep the varied statements whose target reaches the returned value."""
    useful: set[str] = set()
    active: dict[int, tuple[str, ...]] = {}
    for statement in reversed(function.body):
        if isinstance(statement, ir.Return):
            useful = ir.names_read(statement.value)
            continue
        if isinstance(statement, ir.Guard):
            continue
        if statement.target not in useful:
            continue
        useful.discard(statement.target)
        parameters = varied_operands.get(statement.id)
        if parameters:
            active[statement.id] = parameters
            for parameter in parameters:
                useful |= statement.operand_names(parameter)
    return dict(sorted(active.items()))


def _same_shape(function: ir.Function) -> dict[int, frozenset[str]]:
    """Per elementwise statement, the parameters whose operand has the output's shape for sure.

    Each assignment makes a new version of its name; versions fall into shape
    classes: an elementwise operation whose name operands share one class
    (literals broadcast without changing shape) gives an output of that class.
    """
    versions: Counter = Counter()
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def root(key: tuple[str, int]) -> tuple[str, int]:
        while parent.get(key, key) != key:
            key = parent[key]
        return key

    found: dict[int, frozenset[str]] = {}
    for statement in function.body:
        if not isinstance(statement, ir.Assign):
            continue
        rule = rules.RULES.get(statement.rule) if statement.rule else None
        operands = {p: statement.operands.get(p) for p in rule.differentiable} if rule else {}
        names = {p: o.value for p, o in operands.items() if isinstance(o, cst.Name)}
        others = [o for p, o in operands.items() if p not in names]
        classes = {root((name, versions[name])) for name in names.values()}
        versions[statement.target] += 1
        if rule and rule.elementwise and len(classes) == 1 and all(_is_number(o) for o in others):
            parent[(statement.target, versions[statement.target])] = classes.pop()
            found[statement.id] = frozenset(names)
    return found


def _is_number(node) -> bool:
    if isinstance(node, cst.UnaryOperation):
        node = node.expression
    return isinstance(node, (cst.Integer, cst.Float))


def reverse_reads(statement: ir.Assign, parameters: tuple[str, ...], same_shape: frozenset[str]) -> set[str]:
    """Names the adjoint of ``statement`` reads, for contributions to ``parameters``."""
    rule = rules.RULES[statement.rule]
    read: set[str] = set()
    for parameter in parameters:
        index = rule.differentiable.index(parameter)
        for used in rule.adjoint.reads(index):
            if used == "out":
                read.add(statement.target)
            else:
                read |= statement.operand_names(used)
        if rule.elementwise and len(rule.differentiable) > 1 and parameter not in same_shape:
            read |= statement.operand_names(parameter)  # unbroadcast reads its shape
    return read


def _recorded(function: ir.Function, active, same_shape, wrt) -> frozenset[int]:
    """Assignments that overwrite a value an earlier statement's adjoint reads.

    The gradients are returned in their arguments' types, so the reverse sweep
    reads each ``wrt`` argument's original value at the end: reassigning one
    records it too.
    """
    pending: set[str] = set(wrt)
    recorded = set()
    for statement in function.body:
        if not isinstance(statement, ir.Assign):
            continue
        if statement.target in pending:
            recorded.add(statement.id)
            pending.discard(statement.target)
        if statement.id in active:
            pending |= reverse_reads(statement, active[statement.id], same_shape.get(statement.id, frozenset()))
    return frozenset(recorded)


def _names(names: set[str]) -> str:
    return ", ".join(f"'{n}'" for n in sorted(names))
