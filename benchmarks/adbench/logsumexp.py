"""Log-sum-exp, row by row, written the stable way (subtract the row's maximum)."""

import numpy as np

WRT = 0
SIZES = {"small": (8, 10), "medium": (1000, 1000)}


def objective(x):
    m = np.max(x, axis=1, keepdims=True)
    rows = m[:, 0] + np.log(np.sum(np.exp(x - m), axis=1))
    return np.sum(rows)


def inputs(size, rng):
    return (rng.normal(size=SIZES[size]),)
