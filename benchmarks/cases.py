"""The benchmark cases: one function each, with its hand-written gradient and its peers' versions.

A case's ``source`` defines ``f`` with plain numpy, written against the names
``np`` and ``math``, which the runner provides: numpy for the primal and for
s2sad (the source is written to a module file with ``import numpy as np`` and
``import math`` in front), ``autograd.numpy`` for autograd and ``jax.numpy``
for JAX (``peer_source`` instead where ``source`` updates arrays in place,
which those cannot differentiate). ``torch_source`` defines ``f`` for torch
tensors (names ``torch`` and ``math`` provided). ``hand`` is the gradient
written by hand with the same numpy kernels: the practical speed limit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

SIZES = ("small", "large")


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    source: str
    wrt: tuple[int, ...]  # positions of the differentiated arguments
    inputs: Callable[[str, np.random.Generator], tuple]  # size ("small" or "large") -> the arguments
    hand: Callable[..., tuple]  # hand(*args) -> one gradient per wrt argument
    peer_source: str | None = None  # for autograd and JAX, when ``source`` updates arrays in place
    torch_source: str | None = None
    jit: bool = True  # jax.jit can compile f (no Python control flow on traced values)
    loop: bool = False  # a loop case: the runner reports tape memory


def all_cases() -> list[Case]:
    from benchmarks import cases_arrays, cases_loops

    return [*cases_loops.CASES, *cases_arrays.CASES]
