"""How ``s2sad.grad``'s time grows with the length of the function: it should grow linearly.

    python benchmarks/long_functions.py [--lengths 250,1000,4000]

Each length is a straight-line function of that many statements (four kinds,
repeated), generated in a fresh process with the disk cache off; the table gives
the seconds, the milliseconds per statement and the peak memory of that process.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

STATEMENTS = [
    "a = a * 0.999 + b * 0.001",
    "b = np.tanh(a) * 0.5 + b * 0.5",
    "c = a * b",
    "a = a + c * 0.0001",
]

MEASURE = """
import importlib.util, resource, sys, time
import s2sad
spec = importlib.util.spec_from_file_location("long_function", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
start = time.perf_counter()
s2sad.grad(module.f, wrt=(0, 1))
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def source(length: int) -> str:
    body = "\n".join(f"    {STATEMENTS[i % len(STATEMENTS)]}" for i in range(length))
    return f"import numpy as np\n\n\ndef f(x, w):\n    a = x * w\n    b = np.sin(x)\n{body}\n    return np.sum(a * b)\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", default="250,1000,4000", help="statement counts, comma-separated")
    lengths = [int(n) for n in parser.parse_args().lengths.split(",")]
    print("| statements | generation s | ms per statement | peak memory MiB |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for length in lengths:
            path = Path(folder) / f"long_{length}.py"
            path.write_text(source(length))
            result = subprocess.run(
                [sys.executable, "-c", MEASURE, str(path)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "S2SAD_CACHE": "0"},
            )
            seconds, peak_kib = result.stdout.split()
            print(
                f"| {length} | {float(seconds):.1f} | {1000 * float(seconds) / length:.1f} | {int(peak_kib) / 1024:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
