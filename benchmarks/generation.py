"""Where the time of ``s2sad.grad`` goes, pass by pass, on a 30-line function.

    python benchmarks/generation.py [--rounds 7]

Parsing the file, each compiler pass (prepare, normalize, memory, analyse,
transform, optimize, emit), and within emit black's formatting (of the
statements that need it) and Python's compile. Medians over rounds; the disk
cache is not involved.
"""

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

from s2sad.backend import emit, layout
from s2sad.frontend import load
from s2sad import pipeline
from s2sad.options import Options

MODEL = """
import math
import numpy as np


def loss(W1, b1, W2, b2, x, labels, steps):
    hidden = np.tanh(x @ W1 + b1)
    for step in range(steps):
        gate = 1.0 / (1.0 + np.exp(-hidden))
        if np.mean(gate) > 0.5:
            hidden = hidden * gate + 0.1 * np.sin(hidden)
        else:
            hidden = hidden - 0.1 * gate
    logits = hidden @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    data = -np.sum(labels * log_probs) / x.shape[0]
    penalty = 0.0
    for weights in (W1, W2):
        penalty = penalty + np.sum(weights * weights)
    scale = math.exp(-0.5 * steps)
    total = data + 1e-4 * penalty * scale
    norms = np.sqrt(np.sum(hidden * hidden, axis=1))
    spread = np.max(norms) - np.min(norms)
    if spread > 10.0:
        total = total + 0.01 * (spread - 10.0) ** 2
    centered = hidden - np.mean(hidden, axis=0)
    covariance = centered.T @ centered / x.shape[0]
    decorrelation = np.sum(covariance * covariance) - np.sum(centered**4) / x.shape[0]
    total = total + 1e-3 * decorrelation
    return total
"""


def _timing(module, name: str) -> list[float]:
    """Wrap ``module.name`` to add the seconds of its calls to the list returned (one number)."""
    seconds = [0.0]
    function = getattr(module, name)

    def timed(*args, **keywords):
        start = time.perf_counter()
        try:
            return function(*args, **keywords)
        finally:
            seconds[0] += time.perf_counter() - start

    setattr(module, name, timed)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generation_model.py"
        path.write_text(MODEL)
        spec = importlib.util.spec_from_file_location("generation_model", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["generation_model"] = module
        spec.loader.exec_module(module)
        options = Options(kind="grad", wrt=("W1", "b1", "W2", "b2"), wrt_tuple=True)
        samples: dict[str, list[float]] = {}
        black = _timing(layout, "black_formatted")
        compiling = _timing(emit, "compile_source")
        for _ in range(rounds + 1):  # the first round warms up imports (black, libcst matchers)
            load._PARSED.clear()
            start = time.perf_counter()
            unit = load.from_function(module.loss)
            times = {"parse": time.perf_counter() - start}
            black[:] = compiling[:] = [0.0]
            for stage in pipeline.PIPELINE:
                start = time.perf_counter()
                unit = stage.run(unit, options)
                times[stage.name] = time.perf_counter() - start
            times["  of which black"] = black[0]
            times["  of which compile"] = compiling[0]
            times["total"] = sum(v for k, v in times.items() if not k.startswith(" "))
            for name, seconds in times.items():
                samples.setdefault(name, []).append(seconds)
        lines = len(MODEL.strip().splitlines()) - 3
        print(f"s2sad.grad of a {lines}-line function (4 arguments, loops and branches), median of {rounds} rounds:")
        for name, values in samples.items():
            print(f"  {name:<20} {statistics.median(values[1:]) * 1e3:7.1f} ms")


if __name__ == "__main__":
    main()
