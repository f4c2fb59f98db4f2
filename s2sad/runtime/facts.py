"""What a runtime helper declares about itself, beside its definition, for the compiler to read.

    @allocates
    @shape_only("x")
    def unreduce(g, x, axis, keepdims): ...

``shape_only``: the parameters whose shape, dtype or type alone the helper reads (never their
values): analysis then needs no saved copy of an array updated in place that only they see.
``allocates``: the helper always returns a new array (or a number) nothing else refers to, so the
reverse sweep may update it in place.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

# Helper name -> the positions, as a slice of the call's arguments, of the parameters read for their shape only.
SHAPE_ONLY: dict[str, slice] = {}
# Names of the helpers that always return a new array.
ALLOCATING: set[str] = set()


def shape_only(*parameters: str) -> Callable[[Callable], Callable]:
    """Declare the parameters (consecutive ones, maybe ending with ``*more``) the helper reads for their shape only."""

    def declare(helper: Callable) -> Callable:
        names = list(inspect.signature(helper).parameters.values())
        positions = [index for index, parameter in enumerate(names) if parameter.name in parameters]
        if len(positions) != len(parameters) or positions != list(range(positions[0], positions[-1] + 1)):
            raise ValueError(f"shape_only of {helper.__name__}: {parameters} must be consecutive parameters of it")
        last = names[positions[-1]]
        SHAPE_ONLY[helper.__name__] = slice(
            positions[0], None if last.kind is last.VAR_POSITIONAL else positions[-1] + 1
        )
        return helper

    return declare


def allocates(helper: Callable) -> Callable:
    """Declare that the helper always returns a new array (or a number)."""
    ALLOCATING.add(helper.__name__)
    return helper
