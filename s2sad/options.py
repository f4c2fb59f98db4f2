"""What a caller asks the compiler for, as one frozen object passed to every stage."""

from __future__ import annotations

import dataclasses
import textwrap
from typing import Any, Literal

Kind = Literal["grad", "value_and_grad", "vjp", "jvp"]


@dataclasses.dataclass(frozen=True)
class Options:
    """``wrt`` holds parameter names; ``wrt_tuple`` says whether gradients come back as a tuple;
    ``structures`` the form of each differentiated argument that is a container of arrays (by name,
    as runtime.structures.structure_of gives it), known from a call; ``shapes`` what a call tells of
    arguments' shapes, which the generated code then relies on: (name, number of axes (0: a number),
    the axes of length one); ``target`` the code made: numpy (readable Python) or numba (a kernel
    numba compiles, for arguments whose ``kinds`` are known: name -> "f", "i" or "b", numpy's dtype
    kinds, numbers' too); ``checkpoints`` the snapshots each loop may keep in reverse mode (binomial
    checkpointing, s2sad/analysis/checkpoints.py), unless its ``# s2sad: checkpoints=K`` comment
    says otherwise (None or 0: loops are taped whole)."""

    kind: Kind = "grad"
    wrt: tuple[str, ...] = ()
    wrt_tuple: bool = False
    mode: Literal["reverse", "forward"] = "reverse"
    structures: tuple[tuple[str, Any], ...] = ()
    shapes: tuple[tuple[str, int, tuple[int, ...]], ...] = ()
    target: Literal["numpy", "numba"] = "numpy"
    kinds: tuple[tuple[str, str], ...] = ()
    checkpoints: int | None = None
    # Arguments' exact shapes (name, shape), given when a recursion stops on them (normalize/inlining.py).
    lengths: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def assumed(self) -> str:
        """What a specialized derivative relies on, as its docstring's second paragraph says it ("" for
        any arguments)."""
        numbers = [name for name, rank, _ in self.shapes if rank == 0]
        parts = [f"{', '.join(numbers)} {'is a number' if len(numbers) == 1 else 'are numbers'}"] if numbers else []
        parts += [f"{name} has {axes_text(rank, ones)}" for name, rank, ones in self.shapes if rank > 0]
        parts += [f"{name} is a container of the form {form!r}" for name, form in self.structures]
        if not parts:
            return ""
        sentence = textwrap.fill(f"Only for arguments where {'; '.join(parts)}.", 96, subsequent_indent="    ")
        return f"\n\n    {sentence}\n    "


def axes_text(rank: int, ones: tuple[int, ...]) -> str:
    """'2 axes (none of length 1)', '1 axis (axis 0 of length 1)': a form as docstrings and errors say it."""
    lengths = f"axis {', '.join(map(str, ones))} of length 1" if ones else "none of length 1"
    return f"{rank} ax{'is' if rank == 1 else 'es'} ({lengths})"
