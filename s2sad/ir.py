"""The normalized program (A-normal form) that analysis and the transforms read.

Every statement does one operation on atoms (names and literals)::

    p = 1.0 / (1.0 + np.exp(-z))      becomes    _t1 = -z
                                                  _t2 = np.exp(_t1)
                                                  _t3 = 1.0 + _t2
                                                  p = 1.0 / _t3

Statements are plain frozen data with a unique ``id`` (facts found about them
are keyed by it) and the ``Origin`` of the source line they come from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import libcst as cst

from s2sad.errors import Origin
from s2sad.templates import names_read

# A rule argument: one atom, or a tuple of atoms for a sequence parameter.
Operand = cst.BaseExpression | tuple[cst.BaseExpression, ...]


@dataclasses.dataclass(frozen=True)
class Assign:
    """``target = value``, where ``value`` applies ``rule`` to ``operands`` (by rule parameter).

    ``rule`` is None for a value with no derivative (a literal, ``x.shape[0]``,
    ``np.floor(x)``): nothing flows back through it.
    """

    id: int
    target: str
    value: cst.BaseExpression = dataclasses.field(repr=False)
    rule: str | None
    operands: Mapping[str, Operand] = dataclasses.field(repr=False)
    origin: Origin
    # The value carries no derivative, so it must not depend on what is differentiated
    # (np.arange(n), a tuple of sizes).
    inactive_only: bool = False

    def reads(self) -> set[str]:
        return names_read(self.value)

    def operand_names(self, parameter: str) -> set[str]:
        operand = self.operands.get(parameter)
        if operand is None:
            return set()
        atoms = operand if isinstance(operand, tuple) else (operand,)
        return set().union(*(names_read(atom) for atom in atoms))


@dataclasses.dataclass(frozen=True)
class Return:
    id: int
    value: cst.BaseExpression = dataclasses.field(repr=False)
    origin: Origin


@dataclasses.dataclass(frozen=True)
class Guard:
    """A run-time check in the forward sweep (``_rt.require_...``); no value, no derivative."""

    id: int
    value: cst.Call = dataclasses.field(repr=False)
    origin: Origin


Statement = Assign | Return | Guard


@dataclasses.dataclass(frozen=True)
class Function:
    name: str
    parameters: tuple[str, ...]
    signature: cst.Parameters = dataclasses.field(repr=False)
    body: tuple[Statement, ...]
    origin: Origin
    parameter_origins: Mapping[str, Origin] = dataclasses.field(repr=False)

    def code(self) -> str:
        """The program as Python source, for dumps and pass tests."""
        lines = [f"def {self.name}({', '.join(self.parameters)}):"]
        empty = cst.Module(body=[])
        for statement in self.body:
            value = empty.code_for_node(statement.value)
            if isinstance(statement, Assign):
                lines.append(f"    {statement.target} = {value}")
            elif isinstance(statement, Guard):
                lines.append(f"    {value}")
            else:
                lines.append(f"    return {value}")
        return "\n".join(lines) + "\n"
