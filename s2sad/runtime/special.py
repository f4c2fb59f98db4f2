"""The helpers of the rules in s2sad/rules/special.py (and numpy.sinc's): derivatives that are special
functions themselves. scipy is optional: each helper imports it when called, never at import time."""

from __future__ import annotations

import numpy as np

from s2sad.runtime.facts import allocates

# Below this |x| the closed forms cancel (cos(pi x) - sinc(x) ~ x^2): their Taylor series instead,
# exact to rounding there (the next terms are below 1e-15).
_SINC_SERIES = 1e-3


@allocates
def sinc_slope(x):
    """d sinc(x)/dx = (cos(pi x) - sinc(x)) / x; near 0, -pi^2 x / 3 + pi^4 x^3 / 30 - pi^6 x^5 / 840."""
    near = np.less(np.abs(x), _SINC_SERIES)
    safe = np.where(near, 1.0, x)
    square = np.square(np.pi * x)
    series = -np.pi**2 * x / 3.0 * (1.0 - square / 10.0 + square**2 / 280.0)
    return np.where(near, series, (np.cos(np.pi * safe) - np.sinc(safe)) / safe)[()]


@allocates
def sinc_curvature(x):
    """d sinc_slope(x)/dx = -pi^2 sinc(x) - 2 sinc_slope(x) / x; near 0, -pi^2 / 3 + pi^4 x^2 / 10 - ..."""
    near = np.less(np.abs(x), _SINC_SERIES)
    safe = np.where(near, 1.0, x)
    square = np.square(np.pi * x)
    series = -np.pi**2 / 3.0 * (1.0 - 0.3 * square + square**2 / 56.0)
    return np.where(near, series, -np.pi**2 * np.sinc(safe) - 2.0 * sinc_slope(safe) / safe)[()]


@allocates
def polygamma(n, x):
    """scipy.special.polygamma(n, x): the n-th derivative of digamma (n = 0: digamma itself)."""
    import scipy.special

    return _in_dtype_of(scipy.special.polygamma(n, x), x)


@allocates
def modified_bessel_i(x, order=0, derivative=0):
    """The ``derivative``-th derivative of the modified Bessel function I_order at x (scipy.special.ivp)."""
    import scipy.special

    return _in_dtype_of(scipy.special.ivp(order, x, derivative), x)


def _in_dtype_of(value, x):
    """``value`` in x's floating dtype (scipy computes these in float64): float32 stays float32, and a
    Python number gives a Python float (weak, as numpy takes it: it does not make float32 float64)."""
    if type(x) in (float, int) and np.ndim(value) == 0:
        return float(value)
    dtype = getattr(x, "dtype", None)
    if dtype is not None and dtype.kind == "f":
        return np.asarray(value, dtype=dtype)[()]
    return np.asarray(value)[()]
