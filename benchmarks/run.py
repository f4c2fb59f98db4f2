"""The benchmark suite: s2sad's generated gradients against the hand-written ones and the peers.

    python -m benchmarks [--quick] [--cases logistic,rnn] [--sizes small,large] [--rounds 7]

For each case and size, in one process: the primal, the hand-written numpy
gradient (the practical limit), s2sad's generated gradient and, where they
are installed, autograd, JAX (eager, and jit: warm calls, and compile plus
first call on its own), and PyTorch eager on the CPU. Every gradient is
checked against the hand-written one before anything is timed. Timing runs in
rounds; each round times every implementation once, in a rotating order, so
machine drift hits all of them alike; the table shows medians over rounds and
the ratios to the primal and to the hand-written gradient. Loop cases also
report tape memory: the tracemalloc peak of one gradient call against the
primal's. ``--quick`` runs the small sizes with few rounds (under a minute).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("S2SAD_CACHE", "0")  # generation is timed: never read it from the cache
# One BLAS thread: on a small shared machine, threads fighting for cores make matmul times erratic.
# The peers get one thread too (torch reads OMP_NUM_THREADS; XLA its own flags), so all run the same race.
for _variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import numpy as np  # noqa: E402  (after the thread count is set)

import s2sad  # noqa: E402  (after the cache is turned off)
from benchmarks import numba_column  # noqa: E402
from benchmarks.cases import SIZES, Case, all_cases  # noqa: E402

TARGET_SECONDS = 0.02  # each timing repeats a call until it takes about this long


def load_module(folder: Path, case: Case):
    path = folder / f"bench_{case.name}.py"
    path.write_text("import math\nimport numpy as np\n\n" + case.source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def defined(source: str, names: dict):
    namespace = {"math": math, **names}
    exec(compile(source, "<benchmark case>", "exec"), namespace)
    return namespace["f"]


# -- the implementations of one case: name -> a call returning the gradients as numpy arrays --------


def peers(case: Case, args: tuple, available: set[str]) -> dict:
    """Each installed peer's gradient call, and (for JAX jit) the seconds of compile plus first call."""
    found, compile_seconds = {}, {}
    wrt = case.wrt
    if "autograd" in available:
        import autograd
        import autograd.numpy as anp

        autograd_grad = autograd.grad(defined(case.peer_source or case.source, {"np": anp}), wrt)
        found["autograd"] = lambda: autograd_grad(*args)
    if "jax" in available:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        jax_f = defined(case.peer_source or case.source, {"np": jnp})
        device = tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)
        eager = jax.grad(jax_f, wrt)
        found["jax eager"] = lambda: _ready(eager(*device))
        if case.jit:
            static = tuple(i for i, a in enumerate(args) if isinstance(a, int) and not isinstance(a, bool))
            jitted = jax.jit(jax.grad(jax_f, wrt), static_argnums=static)
            start = time.perf_counter()
            _ready(jitted(*device))
            compile_seconds["jax jit"] = time.perf_counter() - start
            found["jax jit"] = lambda: _ready(jitted(*device))
    if "torch" in available and case.torch_source:
        import torch

        torch_f = defined(case.torch_source, {"torch": torch})

        def torch_grad():
            inputs = [
                (
                    torch.tensor(a, dtype=torch.float64 if isinstance(a, float) else None, requires_grad=i in wrt)
                    if isinstance(a, (np.ndarray, float))
                    else a
                )
                for i, a in enumerate(args)
            ]
            return torch.autograd.grad(torch_f(*inputs), [inputs[i] for i in wrt])

        found["torch eager"] = torch_grad
    return found, compile_seconds


def _ready(values):
    for value in values:
        value.block_until_ready()
    return values


def as_numpy(gradients) -> list[np.ndarray]:
    converted = []
    for g in gradients:
        if hasattr(g, "detach"):
            g = g.detach().numpy()
        converted.append(np.asarray(g, dtype=float))
    return converted


def agrees(got, want) -> bool:
    return all(
        np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-6, atol=1e-9 * (1.0 + np.max(np.abs(b))))
        for a, b in zip(as_numpy(got), as_numpy(want), strict=True)
    )


def _checked(name: str, call, expected) -> bool:
    """Whether ``call``'s gradients agree with the hand-written ones (a peer that fails to run does not)."""
    try:
        return agrees(call(), expected)
    except Exception as error:  # a peer that cannot run this case: reported, not timed
        if name == "s2sad":
            raise
        print(f"  {name} failed: {type(error).__name__}: {str(error)[:120]}", file=sys.stderr)
        return False


# -- timing ------------------------------------------------------------------------------------------


def repetitions(call) -> int:
    start = time.perf_counter()
    call()
    once = time.perf_counter() - start
    return max(1, min(1000, int(TARGET_SECONDS / max(once, 1e-7))))


def per_call(call, reps: int) -> float:
    start = time.perf_counter()
    for _ in range(reps):
        call()
    return (time.perf_counter() - start) / reps


SLOW_SECONDS = 2.0  # an implementation this slow per call is timed once, not in rounds


def timed(calls: dict, rounds: int) -> dict[str, float]:
    """Median seconds per call of each implementation; each round times all of them, order rotating."""
    samples: dict[str, list[float]] = {}
    for name, call in calls.items():
        once = per_call(call, 1)
        if once > SLOW_SECONDS:
            samples[name] = [once]
    reps = {name: repetitions(call) for name, call in calls.items() if name not in samples}
    names = list(reps)
    samples.update({name: [] for name in names})
    for round_number in range(rounds if names else 0):  # (every call slow: timed once, above)
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(per_call(calls[name], reps[name]))
    return {name: statistics.median(values) for name, values in samples.items()}


def peak_bytes(call) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# -- one case ------------------------------------------------------------------------------------------


def run_case(case: Case, size: str, folder: Path, rounds: int, available: set[str]) -> dict:
    module = load_module(folder, case)
    args = case.inputs(size, np.random.default_rng(0))
    start = time.perf_counter()
    gradient = s2sad.grad(module.f, wrt=case.wrt)
    generation = time.perf_counter() - start
    expected = case.hand(*args)
    calls = {"primal": lambda: module.f(*args), "hand": lambda: case.hand(*args), "s2sad": lambda: gradient(*args)}
    found, compile_seconds = peers(case, args, available)
    calls.update(found)
    compiled = numba_column.calls(module.f, case, args) if numba_column.available() else None
    if compiled:
        calls.update(compiled[0])
    primals = ("primal", "hand", "numba primal")
    wrong = [name for name in calls if name not in primals and not _checked(name, calls[name], expected)]
    for name in wrong:
        del calls[name]
    row = {"case": case.name, "size": size, "generation": generation, "wrong": wrong, "compile": compile_seconds}
    if compiled:
        row["numba"] = compiled[1]
    row["times"] = timed(calls, rounds)
    if case.loop:
        row["memory"] = (peak_bytes(calls["s2sad"]), peak_bytes(calls["primal"]))
    return row


# -- report ----------------------------------------------------------------------------------------------

PEERS = ("autograd", "jax eager", "jax jit", "torch eager")


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.3g}"


def report(rows: list[dict]) -> str:
    with_numba = any("numba" in row for row in rows)
    notes = numba_column.footnotes(rows) if with_numba else ""
    header = (
        ["case", "size", "primal ms", "hand ms", "s2sad ms", "s2sad/hand", "s2sad/primal"]
        + [f"{p} ms" for p in PEERS]
        + ["jit compile+1st s", "generation s", "tape peak / primal peak"]
        + list(numba_column.COLUMNS if with_numba else ())
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        t = row["times"]
        memory = row.get("memory")
        cells = [
            row["case"],
            row["size"],
            _ms(t["primal"]),
            _ms(t["hand"]),
            _ms(t.get("s2sad")),
            f"{t['s2sad'] / t['hand']:.2f}" if "s2sad" in t else "WRONG",
            f"{t['s2sad'] / t['primal']:.2f}" if "s2sad" in t else "-",
            *(_ms(t.get(p)) if p not in row["wrong"] else "failed" for p in PEERS),
            f"{row['compile']['jax jit']:.2f}" if "jax jit" in row["compile"] else "-",
            f"{row['generation']:.2f}",
            f"{memory[0] / 2**20:.1f} MiB / {memory[1] / 2**20:.1f} MiB" if memory else "-",
        ]
        if with_numba:
            cells += numba_column.cells(row, _ms)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + (f"\n\n{notes}" if notes else "")


def summary(rows: list[dict]) -> str:
    timed_rows = [r for r in rows if "s2sad" in r["times"]]
    to_hand = [r["times"]["s2sad"] / r["times"]["hand"] for r in timed_rows]
    to_primal = [r["times"]["s2sad"] / r["times"]["primal"] for r in timed_rows]
    worst = max(timed_rows, key=lambda r: r["times"]["s2sad"] / r["times"]["hand"])
    lines = [
        f"s2sad / hand-written: median {statistics.median(to_hand):.2f}, "
        f"max {max(to_hand):.2f} ({worst['case']} {worst['size']})",
        f"s2sad / primal: median {statistics.median(to_primal):.2f}",
    ]
    for peer in PEERS:
        both = [r for r in timed_rows if peer in r["times"]]
        if both:
            ratios = [r["times"][peer] / r["times"]["s2sad"] for r in both]
            faster = sum(ratio > 1 for ratio in ratios)
            lines.append(
                f"{peer} / s2sad: median {statistics.median(ratios):.2f}, " f"s2sad faster on {faster} of {len(both)}"
            )
    wrong = [(r["case"], r["size"], name) for r in rows for name in r["wrong"]]
    if wrong:
        lines.append("failed, or disagree with the hand-written gradient (not timed): " + ", ".join(map(str, wrong)))
    return "\n".join(lines)


def installed() -> set[str]:
    found = set()
    for name in ("autograd", "jax", "torch"):
        if importlib.util.find_spec(name) is not None:
            found.add(name)
    return found


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, 3 rounds")
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--sizes", help="comma-separated sizes: small, large")
    parser.add_argument("--rounds", type=int, help="rounds of timing (default 7; 3 with --quick)")
    parser.add_argument("--no-peers", action="store_true", help="time s2sad against the hand-written gradient only")
    options = parser.parse_args(argv)
    sizes = options.sizes.split(",") if options.sizes else (["small"] if options.quick else list(SIZES))
    rounds = options.rounds or (3 if options.quick else 7)
    cases = all_cases()
    if options.cases:
        wanted = options.cases.split(",")
        cases = [c for c in cases if c.name in wanted]
    available = set() if options.no_peers else installed()
    print(
        f"Run: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}; peers: {', '.join(sorted(available)) or 'none installed'}; "
        f"median of {rounds} rounds; BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}\n",
        flush=True,
    )
    rows = []
    with tempfile.TemporaryDirectory() as name:
        sys.path.insert(0, name)
        for case in cases:
            for size in sizes:
                rows.append(run_case(case, size, Path(name), rounds, available))
                print(f"  done: {case.name} {size}", file=sys.stderr, flush=True)
    print(report(rows))
    print()
    print(summary(rows))


if __name__ == "__main__":
    main()
