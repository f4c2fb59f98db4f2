"""Array cases: vectorised numpy where the time goes into kernels, not into Python.

- ``elementwise_chain``: a long elementwise chain on one vector (memory-bound);
- ``matmul_loss``: a two-layer tanh network's squared error (BLAS-bound);
- ``stencil``: a 1-D diffusion step repeated in a loop, updating the interior
  of the array in place (autograd and JAX get the same step built with
  ``np.concatenate``);
- ``gather``: an embedding lookup with an integer index array with repeats,
  whose adjoint is a scatter-add.
"""

from __future__ import annotations

import numpy as np

from benchmarks.cases import Case

ELEMENTWISE_CHAIN = """
def f(x):
    y = np.sin(x) * np.exp(-x * x) + np.tanh(x) ** 2 - np.log1p(x * x) * 0.5 + np.sqrt(1.0 + x * x)
    z = y * np.cos(0.5 * x) + np.arctan(y)
    return np.sum(z / (1.0 + z * z))
"""

ELEMENTWISE_CHAIN_TORCH = """
def f(x):
    y = torch.sin(x) * torch.exp(-x * x) + torch.tanh(x) ** 2 - torch.log1p(x * x) * 0.5 + torch.sqrt(1.0 + x * x)
    z = y * torch.cos(0.5 * x) + torch.arctan(y)
    return torch.sum(z / (1.0 + z * z))
"""


def elementwise_chain_inputs(size, rng):
    n = {"small": 1_000, "large": 1_000_000}[size]
    return (rng.uniform(-2.0, 2.0, n),)


def elementwise_chain_hand(x):
    xx = x * x
    s, e, t = np.sin(x), np.exp(-xx), np.tanh(x)
    root = np.sqrt(1.0 + xx)
    y = s * e + t * t - np.log1p(xx) * 0.5 + root
    dy = (np.cos(x) - 2.0 * x * s) * e + 2.0 * t * (1.0 - t * t) - x / (1.0 + xx) + x / root
    c = np.cos(0.5 * x)
    z = y * c + np.arctan(y)
    dz = dy * (c + 1.0 / (1.0 + y * y)) - 0.5 * y * np.sin(0.5 * x)
    zz = z * z
    return ((1.0 - zz) / (1.0 + zz) ** 2 * dz,)


MATMUL_LOSS = """
def f(W1, W2, X, Y):
    H = np.tanh(X @ W1)
    return np.sum((H @ W2 - Y) ** 2)
"""

MATMUL_LOSS_TORCH = """
def f(W1, W2, X, Y):
    H = torch.tanh(X @ W1)
    return torch.sum((H @ W2 - Y) ** 2)
"""


def matmul_loss_inputs(size, rng):
    n = {"small": 32, "large": 1000}[size]
    scale = 1.0 / np.sqrt(n)  # keeps X @ W1 and H @ W2 of order one
    return (
        rng.standard_normal((n, n)) * scale,
        rng.standard_normal((n, n)) * scale,
        rng.standard_normal((n, n)),
        rng.standard_normal((n, n)),
    )


def matmul_loss_hand(W1, W2, X, Y):
    H = np.tanh(X @ W1)
    R = 2.0 * (H @ W2 - Y)
    return X.T @ ((R @ W2.T) * (1.0 - H * H)), H.T @ R


STENCIL = """
def f(u0, kappa, steps):
    u = u0 * 1.0
    for step in range(steps):
        u[1:-1] = u[1:-1] + kappa * (u[2:] - 2.0 * u[1:-1] + u[:-2])
    return np.sum(u * u)
"""

STENCIL_PEER = """
def f(u0, kappa, steps):
    u = u0
    for step in range(steps):
        u = np.concatenate((u[:1], u[1:-1] + kappa * (u[2:] - 2.0 * u[1:-1] + u[:-2]), u[-1:]))
    return np.sum(u * u)
"""

STENCIL_TORCH = """
def f(u0, kappa, steps):
    u = u0 * 1.0
    for step in range(steps):
        u[1:-1] = u[1:-1] + kappa * (u[2:] - 2.0 * u[1:-1] + u[:-2])
    return torch.sum(u * u)
"""


def stencil_inputs(size, rng):
    n, steps = {"small": (100, 10), "large": (10_000, 100)}[size]
    return rng.standard_normal(n), 0.2, steps  # kappa <= 0.5 keeps the explicit scheme stable


def stencil_hand(u0, kappa, steps):
    u = u0.copy()
    laplacians = []
    for _ in range(steps):
        laplacian = u[2:] - 2.0 * u[1:-1] + u[:-2]
        laplacians.append(laplacian)
        u[1:-1] += kappa * laplacian
    d_u = 2.0 * u
    d_kappa = 0.0
    for laplacian in reversed(laplacians):
        d_kappa += float(d_u[1:-1] @ laplacian)
        spread = kappa * d_u[1:-1]
        d_u[1:-1] -= 2.0 * spread
        d_u[:-2] += spread
        d_u[2:] += spread
    return d_u, d_kappa


GATHER = """
def f(E, v, idx):
    return np.sum(np.tanh(E[idx] @ v))
"""

GATHER_TORCH = """
def f(E, v, idx):
    return torch.sum(torch.tanh(E[idx] @ v))
"""


def gather_inputs(size, rng):
    rows, width, count = {"small": (100, 16, 500), "large": (50_000, 64, 200_000)}[size]
    return (
        rng.standard_normal((rows, width)),
        rng.standard_normal(width) / np.sqrt(width),
        rng.integers(0, rows, count),  # more indices than rows: repeats
    )


def gather_hand(E, v, idx):
    rows = E[idx]
    t = np.tanh(rows @ v)
    g = 1.0 - t * t
    # every gathered row contributes g[k] * v to row idx[k]: sum the weights per row, then one outer product
    return np.outer(np.bincount(idx, weights=g, minlength=E.shape[0]), v), g @ rows


CASES: list[Case] = [
    Case(
        "elementwise_chain",
        ELEMENTWISE_CHAIN,
        (0,),
        elementwise_chain_inputs,
        elementwise_chain_hand,
        torch_source=ELEMENTWISE_CHAIN_TORCH,
    ),
    Case("matmul_loss", MATMUL_LOSS, (0, 1), matmul_loss_inputs, matmul_loss_hand, torch_source=MATMUL_LOSS_TORCH),
    Case(
        "stencil",
        STENCIL,
        (0, 1),
        stencil_inputs,
        stencil_hand,
        peer_source=STENCIL_PEER,
        torch_source=STENCIL_TORCH,
        loop=True,
    ),
    Case("gather", GATHER, (0, 1), gather_inputs, gather_hand, torch_source=GATHER_TORCH),
]
