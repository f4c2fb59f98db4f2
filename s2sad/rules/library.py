"""Library functions as Python objects: finding the one a qualified name names, a stable key for it,
and whether a call of it writes into an array it is given (which s2sad would not see)."""

from __future__ import annotations

import importlib
import inspect

import numpy as np


def library_object(name: str):
    """The library function (or constant) a qualified name names, or None: the longest importable
    module, then attributes (``scipy.stats.norm.logpdf`` is the method of the object ``norm``)."""
    parts = name.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:split]))
        except (ImportError, ValueError):
            continue
        try:
            for attribute in parts[split:]:
                value = getattr(value, attribute)
        except AttributeError:
            return None
        return value
    return None


def identity(value) -> object:
    """A key that is the same for the same function every time: its id, or for a bound method (made
    anew at each attribute access: ``scipy.stats.norm.logpdf``) the ids of its object and function."""
    if inspect.ismethod(value):
        return (id(value.__self__), id(value.__func__))
    return id(value)


def writes_out(name: str, positional, keywords) -> bool:
    """Whether this call of ``name`` writes its result into an array given as ``out`` (by keyword, or
    by position: ``np.floor(y, y)``), which s2sad would not see as an update."""
    if "out" in keywords:
        return True
    function = library_object(name)
    if isinstance(function, np.ufunc):
        return len(positional) > function.nin
    try:
        return "out" in inspect.signature(function).bind_partial(*positional).arguments
    except (TypeError, ValueError):
        return False


# Library functions that write into an array they are given: s2sad would not see the update, so a
# call of one is refused even where nothing differentiated reaches it.
WRITES_INTO_ARGUMENTS = frozenset(
    "numpy.copyto numpy.fill_diagonal numpy.place numpy.put numpy.putmask "
    "numpy.random.shuffle random.shuffle heapq.heapify heapq.heappush heapq.heappop heapq.heappushpop "
    "heapq.heapreplace bisect.insort bisect.insort_left bisect.insort_right".split()
)


def writes_into_arguments(name: str) -> bool:
    """Whether the library function ``name`` (with no rule) updates an array it is given (a ufunc's
    ``.at`` too: ``np.add.at``)."""
    return name in WRITES_INTO_ARGUMENTS or name.endswith(".at")
