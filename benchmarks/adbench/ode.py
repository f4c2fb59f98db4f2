"""An ODE solved by a fixed-step integrator loop (classic Runge-Kutta) and a loss on the final state.

dy/dt = tanh(W y) - 0.1 y, a small continuous-time recurrent network; the gradient is taken for W.
"""

import numpy as np

WRT = 0
SIZES = {"small": (4, 20), "medium": (50, 100)}  # (state size, steps)


def rhs(y, weights):
    return np.tanh(weights @ y) - 0.1 * y


def objective(weights, y0, target, dt, steps):
    y = y0
    for _ in range(steps):
        k1 = rhs(y, weights)
        k2 = rhs(y + 0.5 * dt * k1, weights)
        k3 = rhs(y + 0.5 * dt * k2, weights)
        k4 = rhs(y + dt * k3, weights)
        y = y + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return np.sum((y - target) ** 2)


def inputs(size, rng):
    n, steps = SIZES[size]
    weights = rng.normal(size=(n, n)) / np.sqrt(n)
    return weights, rng.normal(size=n), rng.normal(size=n), 1.0 / steps, steps
