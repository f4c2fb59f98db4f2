"""The same logistic-regression loss on a chunked dask array and on numpy: s2sad's gradients agree.

    python examples/dask_loss.py            # on a local dask.distributed cluster of 2 workers
    python examples/dask_loss.py --quick    # smaller, on dask's threaded scheduler (no cluster)

``s2sad.grad`` writes numpy code; numpy hands dask arrays to dask, so the same gradient runs
chunk by chunk and comes back lazy (a dask graph) until ``dask.compute``. Writes a small plot of
the loss during gradient descent on both, to examples/images/dask_loss.png.
"""

import argparse
import contextlib
import pathlib

import matplotlib

matplotlib.use("Agg")  # no display: the figure goes to a file
import dask  # noqa: E402
import dask.array as da  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import s2sad  # noqa: E402
from s2sad import finite_differences  # noqa: E402

IMAGE = pathlib.Path(__file__).parent / "images" / "dask_loss.png"


def loss(w, b, x, y):
    """Logistic regression: the mean cross-entropy over the whole dataset."""
    p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def dataset(rows, features, chunk_rows):
    """Labels from a noisy linear rule; on dask, chunks of chunk_rows rows (as if read from disk)."""
    generator = da.random.default_rng(0)
    x = generator.normal(size=(rows, features), chunks=(chunk_rows, features))
    true_w = np.linspace(-1.0, 1.0, features)
    y = (x @ true_w + 0.5 * generator.normal(size=rows, chunks=chunk_rows) > 0).astype(float)
    return x, y


def descend(dloss, w, b, x, y, steps, learning_rate):
    """Gradient descent; the losses on the way. On dask, each step computes the loss and gradients together."""
    losses = []
    for _ in range(steps):
        value = loss(w, b, x, y)
        d_w, d_b = dloss(w, b, x, y)  # on dask arrays: lazy graphs, nothing computed yet
        value, d_w, d_b = dask.compute(value, d_w, d_b)  # one pass over the chunks (numpy values pass through)
        w, b = w - learning_rate * d_w, b - learning_rate * float(d_b)
        losses.append(float(value))
    return w, b, losses


def plot(dask_losses, numpy_losses, rows, chunks, out):
    figure, axes = plt.subplots(figsize=(6, 3.6))
    axes.plot(numpy_losses, "o-", color="tab:blue", linewidth=3, alpha=0.5, label="numpy arrays")
    axes.plot(dask_losses, "x--", color="tab:orange", label=f"dask array ({chunks} chunks)")
    axes.set(title=f"Logistic regression on {rows:,} rows: same gradient", xlabel="gradient step", ylabel="loss")
    axes.legend()
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=80)
    plt.close(figure)


@contextlib.contextmanager
def scheduler(cluster):
    """A local dask.distributed cluster of two one-thread workers, or dask's default threaded scheduler."""
    if not cluster:
        yield
        return
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local,
        Client(local),
    ):
        yield


def main(size="full", out=IMAGE, cluster=None):
    """Gradients on dask against numpy, checked once against finite differences; returns the differences."""
    rows, chunk_rows, steps = (100_000, 12_500, 10) if size == "full" else (4_000, 1_000, 4)
    cluster = size == "full" if cluster is None else cluster
    features = 8
    dloss = s2sad.grad(loss, wrt=("w", "b"))
    with scheduler(cluster):
        x, y = dask.persist(*dataset(rows, features, chunk_rows))  # held by the workers, chunk by chunk
        x_numpy, y_numpy = dask.compute(x, y)
        w, b = np.zeros(features), 0.0
        d_w, d_b = dloss(w, b, x, y)
        tasks = len(d_w.__dask_graph__())
        print(f"gradient on dask arrays: lazy dask arrays, d_w a graph of {tasks} tasks over {x.npartitions} chunks")
        d_w, d_b = dask.compute(d_w, d_b)
        n_w, n_b = dloss(w, b, x_numpy, y_numpy)
        difference = max(float(np.max(np.abs(d_w - n_w))), abs(float(d_b) - n_b))
        print(f"dask vs numpy gradient: largest difference {difference:.1e}")
        numeric = finite_differences.gradient(lambda trial: loss(trial, b, x_numpy, y_numpy), w)
        error = float(np.max(np.abs(n_w - numeric)) / np.max(np.abs(numeric)))
        print(f"numpy gradient vs central finite differences: largest relative difference {error:.1e}")
        _, _, dask_losses = descend(dloss, w, b, x, y, steps, learning_rate=2.0)
    _, _, numpy_losses = descend(dloss, w, b, x_numpy, y_numpy, steps, learning_rate=2.0)
    apart = float(np.max(np.abs(np.subtract(dask_losses, numpy_losses))))
    print(
        f"loss {numpy_losses[0]:.4f} -> {numpy_losses[-1]:.4f} in {steps} steps; dask's and numpy's {apart:.1e} apart"
    )
    plot(dask_losses, numpy_losses, rows, rows // chunk_rows, pathlib.Path(out))
    print(f"wrote {out}")
    return {
        "difference": difference,
        "losses_apart": apart,
        "gradient_error": error,
        "dask_losses": np.array(dask_losses),
        "numpy_losses": np.array(numpy_losses),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller, no cluster (what the tests use)")
    parser.add_argument("--out", default=IMAGE, type=pathlib.Path, help="where to write the PNG")
    arguments = parser.parse_args()
    main("quick" if arguments.quick else "full", arguments.out)
