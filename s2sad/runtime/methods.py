"""ndarray methods whose result differs from the numpy function they otherwise are: generated code
calls them as ``_rt.<name>(x)`` to keep the method's own result (and the memory it shares)."""

from __future__ import annotations


def conj(x):
    """``x.conj()`` (and ``x.conjugate()``): for a real array, the array itself, where ``np.conj(x)``
    is a copy (complex values are refused before they get here)."""
    return x.conj()
