"""What a caller asks the compiler for, as one frozen object passed to every stage."""

from __future__ import annotations

import dataclasses
from typing import Literal

Kind = Literal["grad", "value_and_grad", "vjp", "jvp"]


@dataclasses.dataclass(frozen=True)
class Options:
    """``wrt`` holds parameter names; ``wrt_tuple`` says whether gradients come back as a tuple."""

    kind: Kind = "grad"
    wrt: tuple[str, ...] = ()
    wrt_tuple: bool = False
    mode: Literal["reverse", "forward"] = "reverse"
