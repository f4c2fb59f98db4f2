"""Finite differences: the reference a gradient is checked against, by ``s2sad grad --check`` and the tests.

The partial derivative along an entry x of an argument is the central difference
(f(x + h) - f(x - h)) / ((x + h) - (x - h)) in float64, with h = STEP * max(1, |x|):
relative to x beyond 1, so the step moves f in any scale, and divided by the step
actually taken. Its truncation error is about h**2 |f'''|, its rounding error about
1e-16 |f| / h: some 1e-10 of |f| either way.

Two comparisons read them. ``--check`` reports one number per function, the
largest error relative to each argument's largest gradient entry (``Comparison``),
because a user's function may have any scale. The tests compare entry by entry
with RTOL and ATOL, on inputs of order one.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

STEP = 1e-6  # h = STEP * max(1, |x|): both error terms near 1e-10 relative
RTOL = 1e-5  # the largest relative error a gradient may have: --check's threshold and the tests' rtol
ATOL = 1e-6  # entry by entry (the tests), a difference this small agrees whatever the entry's size
SCALE_FLOOR = 1e-4  # --check divides by at least 1e-4 |f|: the rounding error (1e-10 |f|) never counts
SAMPLE_LIMIT = 1000  # --check: the entries of one argument it moves at most (a fixed sample of larger ones)

Evaluate = Callable[[object], float]  # f with the argument replaced by a trial value


def partial_derivatives(evaluate: Evaluate, value, indices) -> np.ndarray:
    """Central differences of ``evaluate`` at ``value`` along its entries ``indices`` (flat, C order).

    A Python float is moved as a float; anything else as a float64 array, a fresh copy per
    evaluation, so a function that changes its argument in place cannot skew the next one.
    """
    array = np.array(value, dtype=np.float64)
    numeric = np.empty(len(indices))
    for k, index in enumerate(indices):
        position = np.unravel_index(index, array.shape) if array.ndim else ()
        x = array[position]
        step = STEP * max(1.0, abs(float(x)))
        up, down = x + step, x - step
        numeric[k] = (evaluate(_moved(value, array, position, up)) - evaluate(_moved(value, array, position, down))) / (
            up - down
        )
    return numeric


def _moved(value, array: np.ndarray, position: tuple, entry):
    if isinstance(value, float):
        return float(entry)
    trial = array.copy()
    trial[position] = entry
    return trial


def gradient(evaluate: Evaluate, value):
    """The central-difference gradient of ``evaluate`` at ``value``, every entry: shaped like ``value``
    (a float for a Python float)."""
    shape = np.shape(value)
    numeric = partial_derivatives(evaluate, value, np.arange(int(np.prod(shape)))).reshape(shape)
    return float(numeric) if isinstance(value, float) else numeric


def sample(size: int, at_most: int = SAMPLE_LIMIT) -> np.ndarray:
    """The entries to check of an argument of ``size`` entries: all, or a fixed random sample of ``at_most``."""
    if size > at_most:
        return np.sort(np.random.default_rng(1).choice(size, at_most, replace=False))
    return np.arange(size)


@dataclasses.dataclass
class Comparison:
    """A gradient against central differences, argument by argument: the largest relative error and
    where it is. An argument's errors are relative to its largest entry (of either), at least SCALE_FLOOR |f|."""

    value: float  # f at the point compared
    error: float = 0.0
    worst: str | None = None  # "w[1, 2]: gradient ..., central difference ..."
    entries: int = 0  # compared
    total: int = 0  # in the arguments compared

    def add(self, name: str, gradient: np.ndarray, numeric: np.ndarray, indices: np.ndarray) -> None:
        """Compare ``gradient`` (float64, the argument's shape) with the differences ``numeric`` at ``indices``."""
        self.total += gradient.size
        self.entries += len(indices)
        if not len(indices):
            return
        analytic = gradient.reshape(-1)[indices]
        scale = max(np.max(np.abs(numeric)), np.max(np.abs(analytic)), SCALE_FLOOR * abs(self.value))
        differences = np.abs(analytic - numeric)
        if scale == 0.0:
            return
        k = int(np.argmax(np.where(np.isnan(differences), np.inf, differences)))
        error = differences[k] / scale
        if not error <= self.error and not np.isnan(self.error):  # a NaN is the worst, and stays so
            position = np.unravel_index(indices[k], gradient.shape) if gradient.ndim else ()
            where = name + (f"[{', '.join(str(int(i)) for i in position)}]" if position else "")
            self.error = error
            self.worst = f"{where}: gradient {analytic[k]:.6g}, central difference {numeric[k]:.6g}"

    @property
    def ok(self) -> bool:
        return bool(self.error <= RTOL)

    def report(self, function: str) -> list[str]:
        """What ``--check`` prints of ``function``: the largest error, and where it is if above RTOL."""
        over = f"{self.entries} of {self.total}" if self.entries < self.total else f"{self.total}"
        plural = "entry" if self.total == 1 else "entries"
        verdict = "ok" if self.ok else f"FAILED: above {RTOL:g}"
        lines = [f"check {function}: largest relative error {self.error:.1e} over {over} gradient {plural} ({verdict})"]
        if not self.ok:
            lines.append(f"  worst at {self.worst}")
            lines.append(
                "  (differences across a jump or a kink disagree with any gradient: if one is there, try other inputs)"
            )
        return lines
