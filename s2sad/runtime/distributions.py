"""The helpers of the scipy.stats rules (s2sad/rules/distributions.py and its sibling modules):
densities scipy computes best itself, and the adjoints and tangents of the multivariate
distributions. scipy is imported where a helper needs it, never when s2sad is imported."""

from __future__ import annotations

import numpy as np

from s2sad.runtime.facts import allocates
from s2sad.runtime.special import _in_dtype_of


@allocates
def standard_log_density(distribution: str, z, *shapes):
    """scipy.stats.<distribution>.logpdf(z, *shapes) at loc 0, scale 1, in z's floating dtype."""
    import scipy.stats

    return _in_dtype_of(getattr(scipy.stats, distribution).logpdf(z, *shapes), z)


def _as_argument(value, argument):
    """``value`` in the shape and floating dtype of ``argument`` (the gradient of that argument)."""
    value = np.reshape(value, np.shape(argument))
    dtype = getattr(argument, "dtype", None)
    return value.astype(dtype) if dtype is not None and dtype.kind == "f" else value


def _dimension(mean, cov) -> int:
    """The dimension scipy's multivariate_normal gives (mean, cov): mean's size, else cov's (1 for a
    number or a vector: scipy wants a mean with a vector)."""
    if mean is not None:
        return np.size(mean)
    return np.shape(cov)[0] if np.ndim(cov) == 2 else 1


def _covariance_as_seen(cov, dim: int):
    """The (dim, dim) symmetric covariance scipy sees: cov's lower triangle (scipy's eigh reads that
    one), the diagonal matrix of a vector, or a number times I."""
    if np.ndim(cov) == 2:
        lower = np.tril(cov)
        return lower + lower.T - np.diag(np.diagonal(cov))
    if np.ndim(cov) == 1:
        return np.diag(cov)
    return cov * np.eye(dim, dtype=np.result_type(cov, 1.0))


def _normal_as_seen(x, mean, cov):
    """The residuals x - mean as scipy sees them, one point a row (x's last axis; all of x for
    dimension 1), and the covariance it sees."""
    dim = _dimension(mean, cov)
    points = np.reshape(x, (-1, dim))
    residuals = points if mean is None else points - np.reshape(mean, (dim,))
    return residuals, _covariance_as_seen(cov, dim)


def _onto_covariance(symmetric, cov):
    """A gradient for the symmetric covariance scipy sees, onto cov as given: its lower triangle (the
    triangle scipy reads; the other gets 0), its diagonal, or the number that scales I."""
    if np.ndim(cov) == 2:
        return np.tril(2.0 * symmetric) - np.diag(np.diagonal(symmetric))
    return np.diagonal(symmetric) if np.ndim(cov) == 1 else np.trace(symmetric)


@allocates
def multivariate_normal_adjoint(d_out, x, mean, cov):
    """Gradients of <scipy.stats.multivariate_normal.logpdf(x, mean, cov), d_out> for x, mean, cov.

    With w = S^-1 (x - mean) per point: -w for x, w for mean, (w w^T - S^-1) / 2 for the symmetric S."""
    residuals, covariance = _normal_as_seen(x, mean, cov)
    weights = np.reshape(d_out, (-1, 1))
    whitened = np.linalg.solve(covariance, residuals.T).T
    inverse = np.linalg.inv(covariance)
    symmetric = 0.5 * (whitened.T @ (weights * whitened) - np.sum(weights) * inverse)
    d_mean = None if mean is None else _as_argument(np.sum(weights * whitened, axis=0), mean)
    return _as_argument(-weights * whitened, x), d_mean, _as_argument(_onto_covariance(symmetric, cov), cov)


@allocates
def multivariate_normal_tangent(out, x, mean, cov, tangent, of):
    """The tangent of scipy.stats.multivariate_normal.logpdf(x, mean, cov) (``out``) along ``tangent``,
    the tangent of the argument named ``of`` ("x", "mean" or "cov")."""
    residuals, covariance = _normal_as_seen(x, mean, cov)
    whitened = np.linalg.solve(covariance, residuals.T).T
    if of == "x":
        term = -np.sum(whitened * np.reshape(tangent, np.shape(residuals)), axis=-1)
    elif of == "mean":
        term = whitened @ np.reshape(tangent, (-1,))
    else:
        moved = _covariance_as_seen(tangent, _dimension(mean, cov))
        inverse_trace = np.sum(np.linalg.inv(covariance) * moved)
        term = 0.5 * (np.sum((whitened @ moved) * whitened, axis=-1) - inverse_trace)
    return _in_dtype_of(np.reshape(term, np.shape(out)), out)
