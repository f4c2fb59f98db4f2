"""Nonlinear least squares: fitting a sum of decaying exponentials to noisy samples.

The residuals of y(t) = sum_j a_j exp(-b_j t), half their sum of squares as the objective.
"""

import numpy as np

WRT = 0
SIZES = {"small": (3, 50), "medium": (10, 5000)}  # (exponentials, samples)


def model(params, t):
    amplitudes, rates = params[0], params[1]
    return np.sum(amplitudes[:, None] * np.exp(-rates[:, None] * t[None, :]), axis=0)


def objective(params, t, y):
    residuals = y - model(params, t)
    return 0.5 * np.sum(residuals**2)


def inputs(size, rng):
    terms, samples = SIZES[size]
    t = np.linspace(0.0, 5.0, samples)
    truth = np.stack([rng.uniform(0.5, 2.0, terms), rng.uniform(0.1, 3.0, terms)])
    y = model(truth, t) + 0.01 * rng.normal(size=samples)
    params = truth * (1.0 + 0.2 * rng.normal(size=truth.shape))
    return params, t, y
