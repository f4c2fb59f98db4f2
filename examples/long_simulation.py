"""The gradient of a long heat-equation simulation, with and without checkpointing: memory against time.

    python examples/long_simulation.py            # writes examples/images/long_simulation.png
    python examples/long_simulation.py --quick    # fewer steps and cells, faster

An explicit finite-difference heat equation runs thousands of steps; its final temperature is
compared with a target. The gradient of that misfit with respect to the initial temperature and
the diffusion number needs, in the reverse sweep, every step's state: the whole tape. With
``s2sad.grad(..., checkpoints=K)`` it keeps K snapshots instead and runs steps again from them
(binomial checkpointing), so memory stays flat while the time grows by a small factor; the
gradient is the same.
"""

import argparse
import pathlib
import time
import tracemalloc

import matplotlib

matplotlib.use("Agg")  # no display: the figure goes to a file
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import s2sad  # noqa: E402
from s2sad import finite_differences  # noqa: E402

IMAGE = pathlib.Path(__file__).parent / "images" / "long_simulation.png"


def simulate(u0, diffusion, steps):
    """Explicit heat equation, u fixed at both ends; diffusion = kappa dt / dx**2 (stable up to 0.5)."""
    u = u0.copy()
    for step in range(steps):
        u[1:-1] = u[1:-1] + diffusion * (u[2:] - 2.0 * u[1:-1] + u[:-2])
    return u


def final_misfit(u0, diffusion, target, steps):
    u = simulate(u0, diffusion, steps)
    return 0.5 * np.sum((u - target) ** 2)


def measured(gradient, *args):
    """The gradient, its time and its tracemalloc peak (after two warm-up calls: the second specializes it)."""
    gradient(*args[:-1], 10)
    gradient(*args[:-1], 10)
    tracemalloc.start()
    start = time.perf_counter()
    result = gradient(*args)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


def check_gradient(d_u0, d_diffusion, u0, diffusion, target, steps):
    """The largest relative difference from central finite differences: the diffusion number and 10 entries of u0."""
    entries = np.linspace(1, u0.size - 2, 10).astype(int)
    numeric_u0 = finite_differences.partial_derivatives(
        lambda trial: final_misfit(trial, diffusion, target, steps), u0, entries
    )
    numeric_diffusion = finite_differences.gradient(lambda trial: final_misfit(u0, trial, target, steps), diffusion)
    return max(
        float(np.max(np.abs(d_u0[entries] - numeric_u0)) / np.max(np.abs(numeric_u0))),
        abs(d_diffusion - numeric_diffusion) / abs(numeric_diffusion),
    )


def plot(x, u0, target, snapshots, steps, measurements, out):
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8))
    colors = plt.cm.viridis(np.linspace(0.0, 0.9, len(snapshots)))
    for (step, u), color in zip(snapshots, colors, strict=True):
        left.plot(x, u, color=color, label=f"step {step}")
    left.plot(x, target, "k--", label="target")
    left.set(title=f"Heat equation, {steps} explicit steps", xlabel="position", ylabel="temperature")
    left.legend(fontsize=8)
    left.grid(True, alpha=0.3)

    (taped_seconds, taped_peak), checkpointed = measurements[None], sorted(
        (k, value) for k, value in measurements.items() if k is not None
    )
    ks = [k for k, _ in checkpointed]
    right.loglog(ks, [peak / 1e6 for _, (_, peak) in checkpointed], "o-", color="tab:blue")
    right.axhline(taped_peak / 1e6, color="tab:blue", linestyle="--")
    right.set(title="Its gradient: memory and time against snapshots K", xlabel="snapshots K (checkpoints=K)")
    right.set_ylabel("tracemalloc peak (MB)", color="tab:blue")
    seconds_axis = right.twinx()
    seconds_axis.semilogx(ks, [seconds for _, (seconds, _) in checkpointed], "s-", color="tab:red")
    seconds_axis.axhline(taped_seconds, color="tab:red", linestyle="--")
    seconds_axis.set_ylabel("time (s)", color="tab:red")
    seconds_axis.set_ylim(0.0, None)
    legend = [
        plt.Line2D([], [], color="tab:blue", marker="o", label="memory, checkpointed"),
        plt.Line2D([], [], color="tab:blue", linestyle="--", label="memory, whole tape"),
        plt.Line2D([], [], color="tab:red", marker="s", label="time, checkpointed"),
        plt.Line2D([], [], color="tab:red", linestyle="--", label="time, whole tape"),
    ]
    right.legend(handles=legend, fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    right.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=80)
    plt.close(figure)


def main(size="full", out=IMAGE):
    """Measure the gradient taped whole and checkpointed, check it, plot; returns the measurements."""
    cells, steps, snapshot_counts = (200, 4000, (5, 10, 20, 50, 100)) if size == "full" else (60, 800, (10,))
    x = np.linspace(0.0, 1.0, cells)
    u0 = np.exp(-200.0 * (x - 0.3) ** 2)
    target = 0.3 * np.exp(-50.0 * (x - 0.6) ** 2)
    diffusion = 0.2
    args = (u0, diffusion, target, steps)

    (d_u0, d_diffusion), taped_seconds, taped_peak = measured(s2sad.grad(final_misfit, wrt=(0, 1)), *args)
    measurements = {None: (taped_seconds, taped_peak)}
    print(f"whole tape:     peak {taped_peak / 1e6:7.3f} MB, {taped_seconds:.2f} s")
    agree = True
    for k in snapshot_counts:
        gradient = s2sad.grad(final_misfit, wrt=(0, 1), checkpoints=k)
        (c_u0, c_diffusion), seconds, peak = measured(gradient, *args)
        agree = agree and np.array_equal(c_u0, d_u0) and c_diffusion == d_diffusion
        measurements[k] = (seconds, peak)
        print(f"checkpoints={k:<3} peak {peak / 1e6:7.3f} MB, {seconds:.2f} s")
    print(f"checkpointed gradients equal the whole tape's, to the last bit: {agree}")
    error = check_gradient(d_u0, d_diffusion, *args)
    print(f"gradient vs central finite differences: largest relative difference {error:.1e}")

    snapshots = [(s, simulate(u0, diffusion, s)) for s in np.linspace(0, steps, 5).astype(int)]
    plot(x, u0, target, snapshots, steps, measurements, pathlib.Path(out))
    print(f"wrote {out}")
    return {"measurements": measurements, "agree": agree, "gradient_error": error}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer steps and cells, faster (what the tests use)")
    parser.add_argument("--out", default=IMAGE, type=pathlib.Path, help="where to write the PNG")
    arguments = parser.parse_args()
    main("quick" if arguments.quick else "full", arguments.out)
