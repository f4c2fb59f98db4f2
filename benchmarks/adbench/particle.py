"""A charged particle in the field of fixed charges: the force is minus the gradient of the potential.

After Siskind and Pearlmutter's "particle" benchmark: the particle starts at (0, 8) moving right, one charge
sits at (10, 10 - w) (w the control), the others fixed; naive Euler steps, the force from ``s2sad.grad`` of
the potential inside the function; the objective is the squared distance of the end point to the origin,
differentiated for w.
"""

import numpy as np

import s2sad

WRT = 0
SIZES = {"small": (2, 20), "medium": (20, 400)}  # (fixed charges, steps)


def potential(position, charges):
    return np.sum(1.0 / np.sqrt(np.sum((position - charges) ** 2, axis=1)))


def objective(w, fixed_charges, dt, steps):
    charges = np.concatenate([np.array([[10.0, 10.0 - w]]), fixed_charges])
    position = np.array([0.0, 8.0])
    velocity = np.array([0.75, 0.0])
    for _ in range(steps):
        acceleration = -s2sad.grad(potential)(position, charges)
        velocity = velocity + dt * acceleration
        position = position + dt * velocity
    return np.sum(position**2)


def inputs(size, rng):
    count, steps = SIZES[size]
    fixed_charges = np.stack([rng.uniform(5.0, 15.0, count), rng.uniform(-5.0, 0.0, count)], axis=1)
    fixed_charges[0] = [10.0, 0.0]
    return 0.0, fixed_charges, 10.0 / steps, steps
