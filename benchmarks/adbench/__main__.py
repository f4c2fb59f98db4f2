"""``python -m benchmarks.adbench``: the standard AD problems (see runner.py)."""

from benchmarks.adbench.runner import main

main()
