"""A saddle point: the outer player's loss after the inner player's gradient ascent (nested AD).

After Siskind and Pearlmutter's "saddle" benchmark: f(x, y) = |x|^2 - |y|^2 plus a coupling, the inner
maximization over y by fixed-step gradient ascent using ``s2sad.grad`` inside the function; the gradient
is taken for x, through the ascent.
"""

import numpy as np

import s2sad

WRT = 0
SIZES = {"small": (2, 10), "medium": (20, 100)}  # (dimension, ascent steps)


def payoff(x, y):
    return np.sum(x**2) - np.sum(y**2) + np.sum(np.sin(x) * np.cos(y))


def objective(x, y0, steps, rate):
    y = y0
    for _ in range(steps):
        y = y + rate * s2sad.grad(payoff, wrt=1)(x, y)
    return payoff(x, y)


def inputs(size, rng):
    d, steps = SIZES[size]
    return rng.normal(size=d), rng.normal(size=d), steps, 0.1
