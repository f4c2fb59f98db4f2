"""The slopes of ``x1 ** x2``, and their own slopes (for second derivatives), defined where numpy's
power is: 0 where the exponent makes the term vanish, no log of a non-positive base."""

from __future__ import annotations

import numpy as np


def power_slope(x1, x2):
    """d(x1 ** x2)/dx1 = x2 * x1 ** (x2 - 1); 0 where x2 == 0, also at x1 = 0 (where 0 * inf is nan).

    numpy's power, so a Python float 0.0 gives inf (x2 < 1) instead of raising ZeroDivisionError.
    """
    return np.where(np.equal(x2, 0), 0.0, x2 * np.power(x1, x2 - 1))[()]


def power_log_factor(value, x1):
    """d(x1 ** x2)/dx2 = x1 ** x2 * log(x1), given ``value = x1 ** x2``; 0 where x1 <= 0 (no real log).

    numpy operations throughout, so a Python float never raises (``log`` of 1.0 where x1 <= 0).
    """
    if type(x1) is float:  # a Python float factor: float32 arrays stay float32
        return value * (float(np.log(x1)) if x1 > 0 else 0.0)
    return (value * np.log(np.where(np.greater(x1, 0), x1, 1.0)))[()]


def power_curvature(x1, x2):
    """d(power_slope(x1, x2))/dx1 = x2 * (x2 - 1) * x1 ** (x2 - 2); 0 where x2 is 0 or 1 (also at x1 = 0)."""
    flat = np.logical_or(np.equal(x2, 0), np.equal(x2, 1))
    return np.where(flat, 0.0, x2 * (x2 - 1) * np.power(x1, x2 - 2))[()]


def power_log_slope(value, x1):
    """d(power_log_factor(value, x1))/dx1 = value / x1; 0 where x1 <= 0 (where the factor is 0).

    A Python float ``x1`` stays a Python number, so float32 arrays stay float32.
    """
    if type(x1) is float:
        return value / x1 if x1 > 0 else value * 0.0
    positive = np.greater(x1, 0)
    return np.where(positive, value / np.where(positive, x1, 1.0), 0.0)[()]
