"""How generation time and memory grow with the length of a realistic numeric function.

    python benchmarks/long_function.py [--lengths 500,1000,2000,5000] [--variants straight,control]
                                       [--passes] [--profile N] [--keep DIR]

Writes a model of N statements to a temporary folder (numpy code mixing
operations and reusing earlier variables: ``v123 = np.sin(v120) * w[3] + v45 * 0.5``,
``np.sum``, ``x[i]`` indexing, in-place updates ``acc[1] += v7``), and in the
``control`` variant also if-branches and a few loops. For each N it generates
the gradient with respect to ``x`` and ``w`` in a fresh process the way the CLI
does (``load.from_file`` then ``pipeline.compile_unit``), and prints the
seconds (wall clock and CPU time of the process: on a shared machine the CPU time is
the steadier measure), the peak resident memory of that process (``ru_maxrss``), and the
ratio time(5000)/time(1000) (linear growth: about 5).

``--passes`` adds the CPU seconds of each pass, and of black's formatting within emit;
``--profile N[,M]`` runs cProfile at those lengths instead and prints the top
functions by cumulative and by own time.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

MEASURE = """
import json, resource, sys, time
from s2sad import pipeline
from s2sad.backend import layout
from s2sad.frontend import load
from s2sad.options import Options
path = sys.argv[1]
times = {"black": 0.0}
formatted = layout.black_formatted

def black(code):
    begin = time.process_time()
    text = formatted(code)
    times["black"] += time.process_time() - begin
    return text

layout.black_formatted = black

def timed(stage):
    def run(unit, options):
        begin = time.process_time()
        unit = stage.run(unit, options)
        times[stage.name] = time.process_time() - begin
        return unit
    return pipeline.Pass(stage.name, run)

pipeline.PIPELINE = tuple(map(timed, pipeline.PIPELINE))  # compile_unit runs them
start, cpu = time.perf_counter(), time.process_time()
unit = load.from_file(path, "f")
times["parse"] = time.process_time() - cpu
unit = pipeline.compile_unit(unit, Options(kind="grad", wrt=("x", "w"), wrt_tuple=True))
total, cpu = time.perf_counter() - start, time.process_time() - cpu
black, parse = times.pop("black"), times.pop("parse")
print(json.dumps({"seconds": total, "cpu": cpu, "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "passes": {"parse": parse, **times, "(of emit: black)": black},
                  "lines": unit.source.count(chr(10))}))
"""

PROFILE = """
import cProfile, pstats, sys
from s2sad import pipeline
from s2sad.frontend import load
from s2sad.options import Options
unit = load.from_file(sys.argv[1], "f")
options = Options(kind="grad", wrt=("x", "w"), wrt_tuple=True)
profile = cProfile.Profile()
profile.enable()
pipeline.compile_unit(unit, options)
profile.disable()
stats = pstats.Stats(profile)
stats.sort_stats("cumulative").print_stats(45)
stats.sort_stats("tottime").print_stats(30)
"""


class _Model:
    """Random but reproducible statements; ``v{k}`` are arrays of shape (8,) or numbers."""

    def __init__(self, length: int, control: bool, seed: int = 0):
        self.random = random.Random(seed)
        self.length = length
        self.control = control
        self.lines: list[str] = []
        self.count = 0

    def earlier(self) -> str:
        """A variable defined earlier: mostly recent ones, sometimes one far back."""
        if self.random.random() < 0.8:
            k = max(0, self.count - 1 - int(self.random.expovariate(1 / 6)))
        else:
            k = self.random.randrange(self.count)
        return f"v{k}"

    def expression(self) -> str:
        r, e = self.random, self.earlier
        j, i = r.randrange(16), r.randrange(8)
        forms = [
            lambda: f"np.sin({e()}) * w[{j}] + {e()} * 0.5",
            lambda: f"np.tanh({e()} + {e()}) - x[{i}] * {e()}",
            lambda: f"np.sum({e()} * {e()}) * 0.01 + {e()}",
            lambda: f"{e()} * {e()} / (1.0 + {e()} * {e()})",
            lambda: f"np.exp(-{e()} * {e()}) + x[{i}]",
            lambda: f"0.5 * ({e()} + acc[{r.randrange(4)}]) - np.cos({e()}) * 0.1",
            lambda: f"np.tanh({e()} * w[{j}] + x * 0.1)",
            lambda: f"{e()} - 0.1 * np.mean({e()}) + w[{j}] * x[{i}]",
        ]
        return r.choice(forms)()

    def add(self, line: str, indent: int = 1) -> None:
        self.lines.append("    " * indent + line)

    def statement(self) -> None:
        r, k = self.random, self.count
        roll = r.random()
        if roll < 0.04:
            self.add(f"acc[{r.randrange(4)}] += np.sum({self.earlier()}) * 0.01")
            return
        if roll < 0.06:
            self.add(f"v{k} = {self.earlier()} * 1.0")
            self.add(f"v{k}[{r.randrange(8)}] += {self.earlier()}[{r.randrange(8)}] * 0.5")
        elif self.control and roll < 0.09:
            self.add(f"if np.sum({self.earlier()}) > 0.0:")
            self.add(f"v{k} = {self.expression()}", 2)
            self.add("else:")
            self.add(f"v{k} = {self.expression()}", 2)
        elif self.control and roll < 0.095:
            start = self.earlier()
            self.add(f"v{k} = {start} * 1.0")
            self.add("for i in range(3):")
            self.add(f"v{k} = v{k} * 0.9 + np.sin({self.earlier()}) * x[i]", 2)
        else:
            self.add(f"v{k} = {self.expression()}")
        self.count += 1

    def source(self) -> str:
        self.add("acc = np.zeros(4)")
        self.add("v0 = np.sin(x) * w[:8]")
        self.add("v1 = np.cos(x) + w[8:]")
        self.count = 2
        while len(self.lines) < self.length - 1:
            self.statement()
        last = [f"v{self.count - 1 - d}" for d in range(4)]
        self.add(f"return np.sum({last[0]} * {last[1]}) + np.sum({last[2]}) + np.sum({last[3]}) + np.sum(acc)")
        return "import numpy as np\n\n\ndef f(x, w):\n" + "\n".join(self.lines) + "\n"


def source(length: int, variant: str) -> str:
    return _Model(length, variant == "control").source()


def _run(code: str, path: Path, *arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code, str(path), *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, "S2SAD_CACHE": "0"},
    )
    if result.returncode:
        raise SystemExit(f"generation failed for {path}:\n{result.stderr[-3000:]}")
    return result.stdout


def main() -> None:
    import json

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", default="500,1000,2000,5000", help="statement counts, comma-separated")
    parser.add_argument("--variants", default="straight,control", help="straight and/or control")
    parser.add_argument("--passes", action="store_true", help="also print the seconds of each pass")
    parser.add_argument("--profile", help="profile generation at these lengths (comma-separated) instead")
    parser.add_argument("--keep", help="write the models to this folder (default: a temporary one)")
    arguments = parser.parse_args()
    lengths = [int(n) for n in arguments.lengths.split(",")]
    variants = arguments.variants.split(",")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(arguments.keep or temporary)
        folder.mkdir(parents=True, exist_ok=True)
        if arguments.profile:
            for length in map(int, arguments.profile.split(",")):
                for variant in variants:
                    path = folder / f"long_{variant}_{length}.py"
                    path.write_text(source(length, variant))
                    print(f"# {variant}, {length} lines")
                    print(_run(PROFILE, path))
            return
        for variant in variants:
            print(f"\n{variant}:")
            header = "| lines | generation s | cpu s | ms (cpu) per line | peak MiB | generated lines |"
            print(header + (" cpu s by pass |" if arguments.passes else ""))
            print("|---" * (header.count("|") - 1 + arguments.passes) + "|")
            seconds, cpu = {}, {}
            for length in lengths:
                path = folder / f"long_{variant}_{length}.py"
                path.write_text(source(length, variant))
                result = json.loads(_run(MEASURE, path, "1" if arguments.passes else "0"))
                seconds[length], cpu[length] = result["seconds"], result["cpu"]
                row = (
                    f"| {length} | {result['seconds']:.2f} | {result['cpu']:.2f} | {1000 * result['cpu'] / length:.2f} "
                    f"| {result['peak_kib'] / 1024:.0f} | {result['lines']} |"
                )
                if arguments.passes:
                    row += " " + ", ".join(f"{k} {v:.2f}" for k, v in result["passes"].items()) + " |"
                print(row, flush=True)
            if 1000 in seconds and 5000 in seconds:
                print(
                    f"time(5000)/time(1000) = {seconds[5000] / seconds[1000]:.2f}, "
                    f"cpu(5000)/cpu(1000) = {cpu[5000] / cpu[1000]:.2f} (linear: 5)"
                )


if __name__ == "__main__":
    main()
