"""Python's builtin ``max`` and ``min``: which item they return, and the derivatives through that item.

``max(iterable)`` compares the items of a list (or the rows of an array), ``max(a, b, *args)``
its arguments. Python keeps the first extreme item: a later one replaces it only when strictly
greater (``max``) or smaller (``min``), so on ties the first gets the whole gradient (numpy's
``np.max`` shares it instead), and a NaN wins only where it comes first. The position below
counts the candidates Python compares: the items of ``iterable`` when no ``args`` are given,
else ``iterable`` itself (position 0) then each of ``args``.
"""

from __future__ import annotations

import operator

import numpy as np

from s2sad.runtime.facts import allocates
from s2sad.runtime.values import zeros_like


def _position(candidates, replaces) -> int:
    """The position of the item Python keeps: the first, replaced by each later one that ``replaces`` it."""
    kept = 0
    for position in range(1, len(candidates)):
        if replaces(candidates[position], candidates[kept]):
            kept = position
    return kept


def position_of_max(iterable, args) -> int:
    """Which candidate ``max(iterable, *args)`` returns (see the module's docstring)."""
    return _position([iterable, *args] if args else iterable, operator.gt)


def position_of_min(iterable, args) -> int:
    """Which candidate ``min(iterable, *args)`` returns (see the module's docstring)."""
    return _position([iterable, *args] if args else iterable, operator.lt)


@allocates
def chosen_adjoint(g, iterable, args, position):
    """The adjoint of ``iterable`` in ``max(iterable, *args)``: ``g`` for the candidate returned.

    With ``args``, ``iterable`` is a candidate; without, its items are: a list gets one adjoint
    per item, an array the adjoint of its rows (``g`` in the row returned)."""
    if args:
        return g if position == 0 else zeros_like(iterable)
    if isinstance(iterable, (list, tuple)):
        return [g if index == position else zeros_like(item) for index, item in enumerate(iterable)]
    adjoint = np.zeros_like(iterable)
    adjoint[position] = g
    return adjoint


@allocates
def chosen_args_adjoint(g, args, position):
    """The adjoints of ``args`` in ``max(iterable, *args)``, one per argument: ``g`` for the one returned."""
    return [g if index + 1 == position else zeros_like(arg) for index, arg in enumerate(args)]


def _zero_tangent(value):
    """A zero tangent for ``value``: 0.0 for a Python number (``max(0, x)`` may return the int 0)."""
    return 0.0 if isinstance(value, int) else zeros_like(value)


def chosen_tangent(d_iterable, args, position, value):
    """The term of ``iterable``'s tangent in the tangent of ``value = max(iterable, *args)``."""
    if args:
        return d_iterable if position == 0 else _zero_tangent(value)
    return d_iterable[position]


def chosen_args_tangent(d_args, position, value):
    """The term of the tangents of ``args`` (a list, one per argument) in that of ``value = max(iterable, *args)``."""
    return d_args[position - 1] if d_args and position > 0 else _zero_tangent(value)
