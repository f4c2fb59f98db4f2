"""Train a small MLP classifier on the two-moons data by plain gradient descent, with s2sad's gradient.

    python examples/mlp_classifier.py            # writes examples/images/mlp_classifier.png
    python examples/mlp_classifier.py --quick    # a smaller, faster run

The loss is ordinary numpy; ``s2sad.value_and_grad`` writes the Python function that returns it
with its gradient with respect to every array of the ``params`` dict (the gradient is a dict too).
"""

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")  # no display: the figure goes to a file
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import s2sad  # noqa: E402
from s2sad import finite_differences  # noqa: E402

IMAGE = pathlib.Path(__file__).parent / "images" / "mlp_classifier.png"


def loss(params, x, y):
    """Mean binary cross-entropy of a one-hidden-layer tanh network (logits, computed stably)."""
    hidden = np.tanh(x @ params["W1"] + params["b1"])
    logits = hidden @ params["W2"] + params["b2"]
    return np.mean(np.logaddexp(0.0, logits) - y * logits)


def predict(params, x):
    hidden = np.tanh(x @ params["W1"] + params["b1"])
    return 1.0 / (1.0 + np.exp(-(hidden @ params["W2"] + params["b2"])))


def two_moons(n, noise, rng):
    """Two interleaved half circles, labels 0 and 1."""
    angle = rng.uniform(0.0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(upper, np.sin(angle), 0.5 - np.sin(angle))
    points = np.stack([x, y], axis=1) + noise * rng.normal(size=(n, 2))
    return points - points.mean(axis=0), upper.astype(float)


def initial_params(hidden, rng):
    return {
        "W1": rng.normal(scale=1.0, size=(2, hidden)),
        "b1": np.zeros(hidden),
        "W2": rng.normal(scale=1.0 / np.sqrt(hidden), size=hidden),
        "b2": 0.0,
    }


def check_gradient(value_and_grad, params, x, y):
    """The largest relative difference between s2sad's gradient and central finite differences."""
    _, gradient = value_and_grad(params, x, y)
    worst = 0.0
    for name, value in params.items():

        def moved(trial, name=name):
            return loss({**params, name: trial}, x, y)

        numeric = finite_differences.gradient(moved, value)
        scale = max(np.max(np.abs(numeric)), 1e-12)
        worst = max(worst, float(np.max(np.abs(np.asarray(gradient[name]) - numeric)) / scale))
    return worst


def train(params, x, y, steps, learning_rate):
    value_and_grad = s2sad.value_and_grad(loss)  # the gradient w.r.t. params, a dict like it
    losses = []
    for _ in range(steps):
        value, gradient = value_and_grad(params, x, y)
        params = {name: params[name] - learning_rate * gradient[name] for name in params}
        losses.append(value)
    return params, np.array(losses)


def plot(params, x, y, losses, out):
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    left.semilogy(losses, color="tab:blue")
    left.set(title="Training loss (gradient descent)", xlabel="step", ylabel="mean cross-entropy")
    left.grid(True, which="both", alpha=0.3)
    grid_x, grid_y = np.meshgrid(np.linspace(-2.2, 2.2, 200), np.linspace(-1.6, 1.6, 160))
    probability = predict(params, np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)).reshape(grid_x.shape)
    shading = right.contourf(grid_x, grid_y, probability, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    right.contour(grid_x, grid_y, probability, levels=[0.5], colors="black", linewidths=1.5)
    for label, color in ((0, "tab:blue"), (1, "tab:red")):
        chosen = y == label
        right.scatter(x[chosen, 0], x[chosen, 1], color=color, edgecolors="black", linewidths=0.4, s=16)
    right.set(title="Decision boundary (p = 0.5)", xlabel="$x_1$", ylabel="$x_2$")
    figure.colorbar(shading, ax=right, label="P(class 1)")
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=80)
    plt.close(figure)


def main(size="full", out=IMAGE):
    """Train, check the gradient once, plot; returns the losses, the final accuracy and the gradient check."""
    n, hidden, steps = (400, 16, 3000) if size == "full" else (120, 8, 400)
    rng = np.random.default_rng(0)
    x, y = two_moons(n, noise=0.12, rng=rng)
    params = initial_params(hidden, rng)
    error = check_gradient(s2sad.value_and_grad(loss), params, x, y)
    print(f"gradient vs central finite differences: largest relative difference {error:.1e}")
    params, losses = train(params, x, y, steps, learning_rate=0.5)
    accuracy = float(np.mean((predict(params, x) > 0.5) == y))
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f} in {steps} steps; training accuracy {accuracy:.1%}")
    plot(params, x, y, losses, pathlib.Path(out))
    print(f"wrote {out}")
    return {"losses": losses, "accuracy": accuracy, "gradient_error": error}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run (what the tests use)")
    parser.add_argument("--out", default=IMAGE, type=pathlib.Path, help="where to write the PNG")
    arguments = parser.parse_args()
    main("quick" if arguments.quick else "full", arguments.out)
