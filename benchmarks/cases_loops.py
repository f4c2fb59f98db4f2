"""Loop cases, where the differentiated code runs Python control flow, and two loop-free models.

``scalar_loop`` is thousands of iterations of float arithmetic (the overhead per
operation), ``rnn`` saves array states on the tape at every step, and
``while_loop`` iterates until a data-dependent convergence test holds;
``logistic`` and ``mlp`` are loop-free array code, the baselines for the
generated code's overhead against hand-written numpy. Each ``hand`` gradient
runs a forward pass that stores what its backward pass reads.
"""

import math

import numpy as np

from benchmarks.cases import Case

# scalar_loop ---------------------------------------------------------------

SCALAR_LOOP = """
def f(x0, a, n):
    x = x0
    total = 0.0
    for _ in range(n):
        x = x * a + 0.1 * math.sin(x) + 0.5
        total = total + math.cos(x)
    return total / n
"""

# autograd and JAX cannot pass their traced floats through math.sin: np.sin instead
SCALAR_LOOP_PEER = SCALAR_LOOP.replace("math.", "np.")

SCALAR_LOOP_TORCH = """
def f(x0, a, n):
    x = x0
    total = 0.0
    for _ in range(n):
        x = x * a + 0.1 * torch.sin(x) + 0.5
        total = total + torch.cos(x)
    return total / n
"""


def scalar_loop_inputs(size, rng):
    n = {"small": 1_000, "large": 20_000}[size]
    return float(rng.uniform(-1.0, 1.0)), float(rng.uniform(0.85, 0.9)), n


def scalar_loop_hand(x0, a, n):
    xs = [x0]  # xs[i] is x before step i
    for _ in range(n):
        x = xs[-1]
        xs.append(x * a + 0.1 * math.sin(x) + 0.5)
    dx = 0.0
    da = 0.0
    for i in range(n, 0, -1):
        x, prev = xs[i], xs[i - 1]
        dx -= math.sin(x) / n
        da += dx * prev
        dx *= a + 0.1 * math.cos(prev)
    return dx, da


# ode and rosenbrock: scalar loops over the entries of numpy arrays -----------

ODE = """
def f(theta, y0, n):
    y = y0
    total = 0.0
    for i in range(n):
        dy = -theta[0] * y + theta[1] * np.sin(y)
        y = y + 0.01 * dy
        total = total + (y - 1.0) ** 2
    return total / n
"""

ODE_TORCH = ODE.replace("np.", "torch.")


def ode_inputs(size, rng):
    n = {"small": 1_000, "large": 20_000}[size]
    return np.array([0.8, 0.3]) + rng.uniform(-0.1, 0.1, 2), float(rng.uniform(0.2, 0.5)), n


def ode_hand(theta, y0, n):
    a, b = theta
    ys = [y0]  # ys[i] is y before step i
    for _ in range(n):
        y = ys[-1]
        ys.append(y + 0.01 * (-a * y + b * np.sin(y)))
    d_theta = np.zeros(2)
    dy = 0.0
    for i in range(n, 0, -1):
        y, prev = ys[i], ys[i - 1]
        dy += 2.0 * (y - 1.0) / n
        d_theta[0] -= dy * 0.01 * prev
        d_theta[1] += dy * 0.01 * np.sin(prev)
        dy *= 1.0 + 0.01 * (-a + b * np.cos(prev))
    return d_theta, dy


ROSENBROCK = """
def f(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s
"""


def rosenbrock_inputs(size, rng):
    return (rng.uniform(-1.0, 1.0, {"small": 1_000, "large": 20_000}[size]),)


def rosenbrock_hand(x):
    g = np.zeros_like(x)
    for i in range(x.shape[0] - 1):
        t = x[i + 1] - x[i] ** 2
        g[i + 1] += 200.0 * t
        g[i] += -400.0 * t * x[i] - 2.0 * (1.0 - x[i])
    return (g,)


# logistic ------------------------------------------------------------------

LOGISTIC = """
def f(w, b, x, y):
    z = x @ w + b
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
"""

LOGISTIC_TORCH = """
def f(w, b, x, y):
    z = x @ w + b
    p = 1.0 / (1.0 + torch.exp(-z))
    return -torch.mean(y * torch.log(p) + (1.0 - y) * torch.log(1.0 - p))
"""


def logistic_inputs(size, rng):
    samples, features = {"small": (100, 10), "large": (10_000, 100)}[size]
    x = rng.normal(size=(samples, features))
    w = rng.normal(size=features) / math.sqrt(features)
    y = (rng.uniform(size=samples) < 0.5).astype(np.float64)
    return w, float(rng.normal() * 0.1), x, y


def logistic_hand(w, b, x, y):
    p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
    dz = (p - y) / y.shape[0]
    return x.T @ dz, float(np.sum(dz))


# mlp -----------------------------------------------------------------------

MLP = """
def f(W1, b1, W2, b2, x, labels):
    hidden = np.tanh(x @ W1 + b1)
    logits = hidden @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(labels * log_probs) / x.shape[0]
"""

MLP_TORCH = """
def f(W1, b1, W2, b2, x, labels):
    hidden = torch.tanh(x @ W1 + b1)
    logits = hidden @ W2 + b2
    shifted = logits - torch.max(logits, dim=1, keepdim=True).values
    log_probs = shifted - torch.log(torch.sum(torch.exp(shifted), dim=1, keepdim=True))
    return -torch.sum(labels * log_probs) / x.shape[0]
"""


def mlp_inputs(size, rng):
    samples, inputs, hidden, classes = {
        "small": (64, 10, 32, 5),
        "large": (2048, 100, 256, 10),
    }[size]
    x = rng.normal(size=(samples, inputs))
    labels = np.eye(classes)[rng.integers(0, classes, size=samples)]
    W1 = rng.normal(size=(inputs, hidden)) / math.sqrt(inputs)
    b1 = rng.normal(size=hidden) * 0.1
    W2 = rng.normal(size=(hidden, classes)) / math.sqrt(hidden)
    b2 = rng.normal(size=classes) * 0.1
    return W1, b1, W2, b2, x, labels


def mlp_hand(W1, b1, W2, b2, x, labels):
    hidden = np.tanh(x @ W1 + b1)
    logits = hidden @ W2 + b2
    probs = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    d_logits = (probs - labels) / x.shape[0]
    d_pre = (d_logits @ W2.T) * (1.0 - hidden * hidden)
    return (
        x.T @ d_pre,
        np.sum(d_pre, axis=0),
        hidden.T @ d_logits,
        np.sum(d_logits, axis=0),
    )


# rnn -----------------------------------------------------------------------

RNN = """
def f(W, U, b, xs, h0, target):
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
        total = total + 0.5 * np.sum((h - target[t]) ** 2)
    return total / xs.shape[0]
"""

RNN_TORCH = """
def f(W, U, b, xs, h0, target):
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        h = torch.tanh(W @ h + U @ xs[t] + b)
        total = total + 0.5 * torch.sum((h - target[t]) ** 2)
    return total / xs.shape[0]
"""


def rnn_inputs(size, rng):
    steps, hidden, features = {"small": (20, 16, 8), "large": (200, 128, 64)}[size]
    W = rng.normal(size=(hidden, hidden)) * (0.9 / math.sqrt(hidden))
    U = rng.normal(size=(hidden, features)) / math.sqrt(features)
    b = rng.normal(size=hidden) * 0.1
    xs = rng.normal(size=(steps, features))
    h0 = rng.normal(size=hidden) * 0.1
    target = rng.uniform(-0.5, 0.5, size=(steps, hidden))
    return W, U, b, xs, h0, target


def rnn_hand(W, U, b, xs, h0, target):
    steps = xs.shape[0]
    hs = np.empty((steps + 1, h0.shape[0]))  # hs[t] is h before step t
    hs[0] = h0
    inputs = xs @ U.T + b
    for t in range(steps):
        hs[t + 1] = np.tanh(W @ hs[t] + inputs[t])
    d_out = (hs[1:] - target) / steps
    d_pre = np.empty_like(d_out)  # the adjoints of the tanh arguments
    dh = np.zeros_like(h0)
    for t in range(steps - 1, -1, -1):
        d_pre[t] = (dh + d_out[t]) * (1.0 - hs[t + 1] * hs[t + 1])
        dh = W.T @ d_pre[t]
    return d_pre.T @ hs[:-1], d_pre.T @ xs, np.sum(d_pre, axis=0)


# while_loop ----------------------------------------------------------------

WHILE_LOOP = """
def f(a, w):
    x = np.ones_like(a)
    while np.max(np.abs(x * x - a)) > 1e-10:
        x = 0.5 * (x + a / x)
    return np.sum(w * x)
"""

WHILE_LOOP_TORCH = """
def f(a, w):
    x = torch.ones_like(a)
    while torch.max(torch.abs(x * x - a)) > 1e-10:
        x = 0.5 * (x + a / x)
    return torch.sum(w * x)
"""


def while_loop_inputs(size, rng):
    n = {"small": 10, "large": 100_000}[size]
    return rng.uniform(0.1, 10.0, size=n), rng.normal(size=n)


def while_loop_hand(a, w):
    xs = [np.ones_like(a)]  # the iterates, each read by the next step's adjoint
    while np.max(np.abs(xs[-1] * xs[-1] - a)) > 1e-10:
        x = xs[-1]
        xs.append(0.5 * (x + a / x))
    dx = w
    da = np.zeros_like(a)
    for x in reversed(xs[:-1]):
        dx_over_x = 0.5 * dx / x
        da += dx_over_x
        dx = 0.5 * dx - dx_over_x * (a / x)
    return (da,)


CASES = [
    Case(
        "scalar_loop",
        SCALAR_LOOP,
        (0, 1),
        scalar_loop_inputs,
        scalar_loop_hand,
        peer_source=SCALAR_LOOP_PEER,
        torch_source=SCALAR_LOOP_TORCH,
        jit=False,
        loop=True,
    ),
    Case("ode", ODE, (0, 1), ode_inputs, ode_hand, torch_source=ODE_TORCH, jit=False, loop=True),
    Case("rosenbrock", ROSENBROCK, (0,), rosenbrock_inputs, rosenbrock_hand, jit=False, loop=True),
    Case(
        "logistic",
        LOGISTIC,
        (0, 1),
        logistic_inputs,
        logistic_hand,
        torch_source=LOGISTIC_TORCH,
    ),
    Case("mlp", MLP, (0, 1, 2, 3), mlp_inputs, mlp_hand, torch_source=MLP_TORCH),
    Case(
        "rnn",
        RNN,
        (0, 1, 2),
        rnn_inputs,
        rnn_hand,
        torch_source=RNN_TORCH,
        jit=False,
        loop=True,
    ),
    Case(
        "while_loop",
        WHILE_LOOP,
        (0,),
        while_loop_inputs,
        while_loop_hand,
        torch_source=WHILE_LOOP_TORCH,
        jit=False,
        loop=True,
    ),
]
