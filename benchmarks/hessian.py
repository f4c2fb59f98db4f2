"""How long ``s2sad.hessian`` takes against ``n`` gradient evaluations, for n = 10 and 100.

    python benchmarks/hessian.py [--rounds 7]

Two functions of x with n entries: the Rosenbrock function (vectorised) and a
small tanh model with a Python loop over its layers. In each round the
Hessian (n Hessian-vector products) and n calls of the gradient are timed
back to back, so machine drift hits both; medians over the rounds are reported
with their ratio. Generation (the first call of s2sad.hessian / grad) is
timed separately.
"""

import argparse
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

import s2sad

MODELS = """
import numpy as np


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def layered(x):
    h = x
    for layer in range(3):
        h = np.tanh(0.5 * h + 0.1 * h[::-1])
    return np.sum(h * h)
"""


def seconds(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "hessian_models.py").write_text(textwrap.dedent(MODELS))
        sys.path.insert(0, folder)
        import hessian_models

        print(f"{'function':<12} {'n':>4} {'hessian':>10} {'n grads':>10} {'ratio':>6}   generation (hessian, grad)")
        for name in ("rosenbrock", "layered"):
            function = getattr(hessian_models, name)
            made = time.perf_counter()
            hessian = s2sad.hessian(function)
            hessian_generation = time.perf_counter() - made
            made = time.perf_counter()
            gradient = s2sad.grad(function)
            grad_generation = time.perf_counter() - made
            for n in (10, 100):
                x = np.random.default_rng(n).uniform(-1.0, 1.0, n)
                hessian(x), gradient(x)  # warm up
                hessian_times, grad_times = [], []
                for _ in range(rounds):
                    hessian_times.append(seconds(lambda: hessian(x)))
                    grad_times.append(seconds(lambda: [gradient(x) for _ in range(n)]))
                h, g = statistics.median(hessian_times), statistics.median(grad_times)
                print(
                    f"{name:<12} {n:>4} {h * 1e3:>8.2f}ms {g * 1e3:>8.2f}ms {h / g:>6.2f}   "
                    f"{hessian_generation:.2f} s, {grad_generation:.2f} s"
                )


if __name__ == "__main__":
    main()
