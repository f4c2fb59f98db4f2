"""Import time of a module with 20 @s2sad.differentiable functions: first (empty cache) vs cached.

    python benchmarks/decorator_import.py [--rounds 3]

Each import runs in a fresh process; the median of the rounds is reported.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

FUNCTION = """
@s2sad.differentiable(wrt=(0, 1))
def loss_{i}(w, b, x, y):
    z = x @ w + b * {i}.0
    p = 1.0 / (1.0 + np.exp(-z))
    for k in range(2):
        p = p * 0.9 + 0.05
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
"""

TIMER = "import time; t = time.perf_counter(); import many_losses; print(time.perf_counter() - t)"


def import_seconds(folder: Path, cache: Path) -> float:
    env = {"PYTHONPATH": str(folder), "S2SAD_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"}
    output = subprocess.run([sys.executable, "-c", TIMER], env=env, capture_output=True, text=True, check=True)
    return float(output.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        source = "import numpy as np\nimport s2sad\n" + "".join(FUNCTION.format(i=i + 1) for i in range(20))
        (folder / "many_losses.py").write_text(textwrap.dedent(source))
        first, cached = [], []
        for round_number in range(rounds):
            cache = folder / f"cache{round_number}"
            first.append(import_seconds(folder, cache))
            cached.append(import_seconds(folder, cache))
        print(
            f"20 decorated functions: first import {statistics.median(first):.2f} s, "
            f"cached import {statistics.median(cached):.2f} s (median of {rounds} rounds)"
        )


if __name__ == "__main__":
    main()
