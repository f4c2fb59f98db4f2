"""ADBench's Gaussian mixture model objective: the log-likelihood with a Wishart prior.

Formulas after ADBench (tools/Autograd/gmm_objective.py); inputs after data/gmm/gmm-data-gen.py:
alphas and the icf entries standard normal, means uniform on [0, 1), points standard normal,
wishart gamma 1 and m 0.
"""

import numpy as np
from scipy import special

WRT = (0, 1, 2)
SIZES = {"small": (10, 4, 3), "medium": (1000, 10, 5)}  # (points, dimension, components)


def construct_l(d, icf):
    """The lower-triangular factor, column by column from the entries after the diagonal ones."""
    start = d
    columns = []
    for i in range(d):
        count = d - i - 1
        columns.append(np.concatenate((np.zeros(i + 1), icf[start : start + count])))
        start = start + count
    return np.column_stack(columns)


def log_wishart_prior(p, wishart_gamma, wishart_m, sum_qs, qdiags, icf):
    n = p + wishart_m + 1
    k = icf.shape[0]
    frobenius = np.sum(qdiags**2, axis=1) + np.sum(icf[:, p:] ** 2, axis=1)
    out = np.sum(0.5 * wishart_gamma * wishart_gamma * frobenius - wishart_m * sum_qs)
    c = n * p * (np.log(wishart_gamma) - 0.5 * np.log(2)) - special.multigammaln(0.5 * n, p)
    return out - k * c


def objective(alphas, means, icf, x, wishart_gamma, wishart_m):
    n, d = x.shape
    k = alphas.shape[0]
    qdiags = np.exp(icf[:, :d])
    sum_qs = np.sum(icf[:, :d], axis=1)
    ls = np.stack([construct_l(d, icf[ik]) for ik in range(k)])
    xcentered = x[:, None, :] - means[None, :, :]
    lxcentered = qdiags * xcentered + np.einsum("kij,nkj->nki", ls, xcentered)
    inner = alphas + sum_qs - 0.5 * np.sum(lxcentered**2, axis=2)
    slse = np.sum(special.logsumexp(inner, axis=1))
    constant = -n * d * 0.5 * np.log(2 * np.pi)
    return (
        constant
        + slse
        - n * special.logsumexp(alphas)
        + log_wishart_prior(d, wishart_gamma, wishart_m, sum_qs, qdiags, icf)
    )


def inputs(size, rng):
    n, d, k = SIZES[size]
    alphas = rng.normal(size=k)
    means = rng.uniform(0.0, 1.0, size=(k, d))
    icf = rng.normal(size=(k, d + d * (d - 1) // 2))
    x = rng.normal(size=(n, d))
    return alphas, means, icf, x, 1.0, 0
