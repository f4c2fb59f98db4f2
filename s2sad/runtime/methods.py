"""ndarray methods and attributes whose result differs from the numpy function they otherwise are,
or that numpy spells only as a method: generated code calls them as ``_rt.<name>(x)`` to keep the
method's own result (and the memory it shares), and their rules call the derivatives below.

s2sad differentiates real numbers only: the derivatives of ``x.real`` and ``x.imag`` refuse, at run
time, a complex array that a differentiated value flows into (where the real part would drop the
imaginary part's derivative silently). A complex array nothing differentiated reaches is fine.
"""

from __future__ import annotations

import numpy as np

from s2sad.errors import BadArgument
from s2sad.runtime.facts import allocates, shape_only
from s2sad.runtime.values import _zeros, zeros_like


def conj(x):
    """``x.conj()`` (and ``x.conjugate()``): for a real array, the array itself, where ``np.conj(x)``
    is a copy (complex values are refused before they get here)."""
    return x.conj()


def compress(a, condition, axis=None):
    """``a.compress(condition, axis)``: ``np.compress(condition, a, axis)``, the receiver first."""
    return a.compress(condition, axis)


def item(a, index=None):
    """``a.item()``, ``a.item(i)``, ``a.item((i, j))``: one element as a Python number."""
    return a.item() if index is None else a.item(index)


@allocates
@shape_only("a")
def item_adjoint(g, a, index=None):
    """Adjoint of ``a.item(index)``: ``g`` at that element (a flat position, or one per axis) of zeros like a."""
    d_a = _zeros(a)
    if index is None or isinstance(index, tuple):
        d_a[() if index is None else index] = g  # a.item() of one element: that element
    else:
        d_a.reshape(-1)[index] = g  # zeros made C-contiguous: reshape is a view, in numpy's flat order
    return d_a


def real(x):
    """``x.real``: for a real array, the array itself (numpy returns it, not a copy)."""
    return x.real


def imag(x):
    """``x.imag``: for a real array, zeros numpy makes read-only."""
    return x.imag


def _require_real(x, attribute: str) -> None:
    if np.iscomplexobj(x):
        raise BadArgument(
            f"differentiating x.{attribute} of a complex array: s2sad differentiates real numbers only",
            hint=f"keep complex values out of what is differentiated, or write x.{attribute} "
            "of a value nothing differentiated flows into",
        )


@shape_only("x")
def real_derivative(d, x):
    """Adjoint (and tangent) of ``x.real`` for a real ``x``: ``d`` itself; refused for a complex ``x``."""
    _require_real(x, "real")
    return d


@allocates
@shape_only("x")
def imag_derivative(d, x):
    """Adjoint (and tangent) of ``x.imag`` for a real ``x``: zeros like ``x``; refused for a complex ``x``."""
    _require_real(x, "imag")
    return zeros_like(x)
