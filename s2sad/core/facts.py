"""The facts passes find about a unit, as plain data: what a ``Unit`` holds besides code.

Kept apart from the passes that produce them (resolve, analysis.activity) so
that unit.py, and the passes that read the facts, import no other pass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from s2sad.core import ir

Kind = Literal[
    "rule",
    "zero_derivative",
    "inactive_only",
    "guard",
    "update",
    "constant",
    "iteration",
    "global",
    "function",
    "derivative",  # one of s2sad's derivatives (s2sad.grad(f)), called inside: normalize.derivatives
    "maker",  # s2sad's API making one (s2sad.grad)
]


@dataclasses.dataclass(frozen=True)
class Resolution:
    """What a name as written resolves to (resolve)."""

    kind: Kind
    name: str  # qualified name for library names; the name as written for globals
    # For a function of the user's, what load needs: the live function, or (file path, name).
    source: object = dataclasses.field(default=None, compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class FunctionValue:
    """The ``source`` of a global name used as a value that is a function: what a call of it through a
    parameter of the user's function calls (``apply(np.tanh, h)``, ``integrate(rhs, y0)``)."""

    kind: Kind  # "function" (the user's, inlined) or a kind of the rule table ("rule", ...)
    name: str
    source: object = dataclasses.field(default=None, compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class Checkpointed:
    """A loop reversed from snapshots (analysis.checkpoints): how many, and the names they hold: kept
    as they are, or copied (rebound in the loop too: restored as a new copy; else restored in place)."""

    snapshots: int
    kept: tuple[str, ...]
    copied: tuple[str, ...]
    in_place: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Activity:
    """Which statements get adjoints and which overwritten values are saved (analysis.activity)."""

    active_operands: Mapping[int, tuple[str, ...]]  # active statement id -> its active parameters
    active_names: Mapping[int, frozenset[str]]  # active statement id -> its operand names that are varied
    recorded: frozenset[int]  # ids of statements (and loops) whose overwritten value must be saved
    same_shape: Mapping[int, frozenset[str]]  # statement id -> parameters shaped like the output
    # Branch or loop id -> names whose adjoint it reads or writes and that are live at its exit
    # (zeros_before: the reverse sweep starts them at zero there if it has none) and at its
    # entry or loop head (zeros_after: likewise at the end of each branch or reversed iteration).
    zeros_before: Mapping[int, frozenset[str]]
    zeros_after: Mapping[int, frozenset[str]]
    reversed: frozenset[int]  # branch and loop ids with reverse code (they push their direction or count)
    # (statement id, operand) -> the names whose shapes broadcast to the operand's shape (it came
    # from an elementwise operation on them), so unbroadcasting to it reads them, not it.
    shaped_by: Mapping[tuple[int, str], tuple[str, ...]] = dataclasses.field(default_factory=dict)
    scalar_result: bool = False  # the function certainly returns a scalar (np.sum(...), math.*, a number)
    shape_only: frozenset[int] = frozenset()  # recorded assignments whose old value is read for its shape alone
    # (elementwise statement id, operand) -> the axes its contribution is summed over, known from the
    # arguments' forms (Options.shapes): leading axes dropped, then axes kept (analysis.shapes.sums).
    sums: Mapping[tuple[int, str], tuple[tuple[int, ...], tuple[int, ...]]] = dataclasses.field(default_factory=dict)
    ranks: Mapping[str, int] = dataclasses.field(default_factory=dict)  # names of one known number of axes
    checkpointed: Mapping[int, Checkpointed] = dataclasses.field(default_factory=dict)  # loop id -> its snapshots
    taped_whole: Mapping[int, str] = dataclasses.field(default_factory=dict)  # loop id -> why not checkpointed

    def is_active(self, statement: ir.Statement) -> bool:
        return statement.id in self.active_operands
