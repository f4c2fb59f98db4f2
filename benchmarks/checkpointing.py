"""Binomial checkpointing of a long loop: the gradient's memory and time, against taping every iteration.

    python benchmarks/checkpointing.py [--steps 200000] [--snapshots 20] [--rounds 3] [--long 1000000]

The explicit ODE of the ``ode`` case (benchmarks/cases_loops.py), ``steps`` iterations long,
differentiated with respect to ``theta`` and ``y0``: by ``s2sad.grad`` (the tape keeps what every
iteration's reverse reads) and by ``s2sad.grad(..., checkpoints=K)`` (at most K snapshots of the
loop's state; iterations run again, as few times as revolve's schedule allows). For each: the
tracemalloc peak of one gradient call (its memory beyond the arguments: tape, snapshots,
temporaries), the median time of ``rounds`` calls, and the iterations the reverse sweep runs
again to advance (revolve's ``forward_steps`` but those to the last iteration, which the forward
sweep ran). Then the same ODE integrated ``while t < t_end`` (as many steps): its number of
iterations is unknown when the loop starts, and the online schedule (``OnlineCheckpoints``)
reverses it. The gradients must agree to 1e-12. ``--long`` runs the checkpointed gradient alone
on a ``for`` loop that long, once.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import textwrap
import time
import tracemalloc
from pathlib import Path

import numpy as np

import s2sad
from s2sad.runtime import forward_steps, online_forward_steps

MODEL = """
import numpy as np


def ode(theta, y0, n):
    y = y0
    total = 0.0
    for i in range(n):
        dy = -theta[0] * y + theta[1] * np.sin(y)
        y = y + 0.01 * dy
        total = total + (y - 1.0) ** 2
    return total / n


def ode_until(theta, y0, t_end):
    y = y0
    t = 0.0
    total = 0.0
    while t < t_end:
        dy = -theta[0] * y + theta[1] * np.sin(y)
        y = y + 0.01 * dy
        total = total + (y - 1.0) ** 2
        t = t + 0.01
    return total / t_end
"""


def run_again(steps: int, snapshots: int, online: bool = False) -> int:
    if online:
        return online_forward_steps(steps, snapshots)
    return forward_steps(steps, snapshots) - (steps - 1)


def peak_bytes(call) -> tuple[int, object]:
    tracemalloc.start()
    try:
        result = call()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def median_seconds(call, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(gradient, args, rounds: int) -> dict:
    for _ in range(2):  # the second call makes the derivative specialized to the arguments' forms
        gradient(*args[:-1], 10 if isinstance(args[-1], int) else 0.1)
    peak, result = peak_bytes(lambda: gradient(*args))
    return {"peak": peak, "result": result, "seconds": median_seconds(lambda: gradient(*args), rounds)}


def compare(function, args, online: bool, options) -> None:
    """Print the gradient of ``function`` taped whole and checkpointed (``online``: a while loop): their
    rows and ratios."""
    kind = " (while)" if online else ""
    plain = measure(s2sad.grad(function, wrt=(0, 1)), args, options.rounds)
    checkpointed = measure(s2sad.grad(function, wrt=(0, 1), checkpoints=options.snapshots), args, options.rounds)
    error = max(
        float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-300)))
        for a, b in zip(plain["result"], checkpointed["result"], strict=True)
    )
    again = run_again(options.steps, options.snapshots, online)
    for name, found, snapshots, extra in (
        ("taped whole" + kind, plain, "-", 0),
        ("checkpointed" + kind, checkpointed, options.snapshots, again),
    ):
        print(
            f"{name:<20} {options.steps:>9} {snapshots:>9} {found['peak'] / 1e6:>9.2f} "
            f"{found['seconds']:>8.2f} {extra:>10}"
        )
    print(
        f"memory ratio {checkpointed['peak'] / plain['peak']:.4f} (1/{plain['peak'] / checkpointed['peak']:.0f}), "
        f"time ratio {checkpointed['seconds'] / plain['seconds']:.2f}, "
        f"largest relative difference of the gradients {error:.1e}"
    )
    if error > 1e-12:
        raise SystemExit("the checkpointed gradient differs from the taped one")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--snapshots", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--long", type=int, default=0, help="also run the checkpointed gradient on this many steps")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "checkpointing_model.py").write_text(textwrap.dedent(MODEL))
        sys.path.insert(0, folder)
        import checkpointing_model

        theta, y0 = np.array([0.8, 0.3]), 0.4
        print(f"{'gradient':<20} {'steps':>9} {'snapshots':>9} {'peak MB':>9} {'seconds':>8} {'run again':>10}")
        # The while loop runs until t reaches t_end: as many steps as the for loop (t's rounding is far below 0.005).
        compare(checkpointing_model.ode, (theta, y0, options.steps), False, options)
        compare(checkpointing_model.ode_until, (theta, y0, (options.steps - 0.5) * 0.01), True, options)
        if options.long:
            long_args = (theta, y0, options.long)
            gradient = s2sad.grad(checkpointing_model.ode, wrt=(0, 1), checkpoints=options.snapshots)
            found = measure(gradient, long_args, 1)
            print(
                f"{'checkpointed':<20} {options.long:>9} {options.snapshots:>9} {found['peak'] / 1e6:>9.2f} "
                f"{found['seconds']:>8.2f} {run_again(options.long, options.snapshots):>10}"
            )


if __name__ == "__main__":
    main()
