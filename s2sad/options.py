"""What a caller asks the compiler for, as one frozen object passed to every stage."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

Kind = Literal["grad", "value_and_grad", "vjp", "jvp"]


@dataclasses.dataclass(frozen=True)
class Options:
    """``wrt`` holds parameter names; ``wrt_tuple`` says whether gradients come back as a tuple;
    ``structures`` the form of each differentiated argument that is a container of arrays (by name,
    as runtime.structures.structure_of gives it), known from a call; ``shapes`` the number of axes of
    arguments known from a call (0: a number), which the generated code then relies on."""

    kind: Kind = "grad"
    wrt: tuple[str, ...] = ()
    wrt_tuple: bool = False
    mode: Literal["reverse", "forward"] = "reverse"
    structures: tuple[tuple[str, Any], ...] = ()
    shapes: tuple[tuple[str, int], ...] = ()
