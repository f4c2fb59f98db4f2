"""The determinant by expansion in minors along the first row: recursive, with ``np.delete``."""

import numpy as np

WRT = 0
SIZES = {"small": 4, "medium": 7}


def det(a):
    n = a.shape[0]
    if n == 1:
        return a[0, 0]
    total = 0.0
    for j in range(n):
        minor = np.delete(np.delete(a, 0, axis=0), j, axis=1)
        total = total + (-1) ** j * a[0, j] * det(minor)
    return total


def objective(a):
    return det(a)


def inputs(size, rng):
    n = SIZES[size]
    return (rng.normal(size=(n, n)),)
