"""The k-means cost: each point's squared distance to its nearest center, summed."""

import numpy as np

WRT = 0
SIZES = {"small": (20, 3, 2), "medium": (5000, 20, 10)}  # (points, centers, dimension)


def objective(centers, points):
    distances = np.sum((points[:, None, :] - centers[None, :, :]) ** 2, axis=2)
    return np.sum(np.min(distances, axis=1))


def inputs(size, rng):
    n, k, d = SIZES[size]
    points = rng.normal(size=(n, d))
    centers = points[rng.choice(n, size=k, replace=False)] + 0.1 * rng.normal(size=(k, d))
    return centers, points
