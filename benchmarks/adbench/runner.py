"""The standard AD problems: does s2sad take the natural code, how fast is its gradient, is it right.

    python -m benchmarks.adbench [--sizes small,medium] [--problems gmm,ba] [--rounds 5] [--no-peers]

Per problem and size: whether s2sad accepts the natural objective (else its located error, on one line),
the primal's time, s2sad's gradient time and their ratio, and where installed the gradient times of JAX
(jit: warm calls; its compile plus first call apart), autograd and PyTorch. Each peer runs the same module
source with ``np`` (and ``special``, ``s2sad.grad``) bound to its own namespace; a peer that cannot run the
natural code (writes into arrays, say) says so. Correctness: the largest absolute difference of s2sad's
gradient to a peer's (autograd, else JAX in float64) and to central finite differences on a few entries.
Times are medians over rounds (benchmarks/run.py's timing).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import platform
import sys
import time
import types

from benchmarks.run import installed, timed  # sets the BLAS thread count before numpy loads

import numpy as np  # noqa: E402

import s2sad  # noqa: E402
from benchmarks.adbench import PROBLEMS  # noqa: E402
from s2sad import finite_differences  # noqa: E402

FD_ENTRIES = 3  # entries of each differentiated argument checked by central differences


def problem(name: str):
    return importlib.import_module(f"benchmarks.adbench.{name}")


def wrt_tuple(module) -> tuple[int, ...]:
    return module.WRT if isinstance(module.WRT, tuple) else (module.WRT,)


def gradients_tuple(module, gradients) -> list:
    return list(gradients) if isinstance(module.WRT, tuple) else [gradients]


# -- peers: the module's own source, run with the peer's numpy --------------------------------------------


def peer_copy(name: str, numpy_namespace, special_namespace, grad):
    """A fresh copy of the problem's module whose ``np``, ``special`` and ``s2sad.grad`` are the peer's."""
    spec = importlib.util.find_spec(f"benchmarks.adbench.{name}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.np = numpy_namespace
    module.special = special_namespace
    module.s2sad = types.SimpleNamespace(grad=lambda f, wrt=0: grad(f, wrt))
    return module


def peer_calls(name: str, module, args: tuple, available: set[str]) -> tuple[dict, dict]:
    """Each installed peer's gradient call, and the JAX jit compile plus first call in seconds."""
    import scipy.special

    calls, compile_seconds = {}, {}
    wrt = wrt_tuple(module)
    if "jax" in available:
        import jax
        import jax.numpy as jnp
        import jax.scipy.special

        jax.config.update("jax_enable_x64", True)
        special = types.SimpleNamespace(logsumexp=jax.scipy.special.logsumexp, multigammaln=scipy.special.multigammaln)
        copy = peer_copy(name, jnp, special, lambda f, wrt: jax.grad(f, argnums=wrt))
        static = tuple(i for i, a in enumerate(args) if isinstance(a, int))
        jitted = jax.jit(jax.grad(copy.objective, wrt), static_argnums=static)
        device = tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)
        start = time.perf_counter()
        try:
            jax.block_until_ready(jitted(*device))
            compile_seconds["jax jit"] = time.perf_counter() - start
            calls["jax jit"] = lambda: jax.block_until_ready(jitted(*device))
        except Exception as error:  # the natural code does what JAX cannot: reported, not timed
            calls["jax jit"] = error
    if "autograd" in available:
        import autograd
        import autograd.numpy as anp
        import autograd.scipy.special

        special = types.SimpleNamespace(
            logsumexp=autograd.scipy.special.logsumexp, multigammaln=scipy.special.multigammaln
        )
        copy = peer_copy(name, anp, special, autograd.grad)
        autograd_grad = autograd.grad(copy.objective, wrt)
        calls["autograd"] = lambda: autograd_grad(*args)
    return calls, compile_seconds


# -- one problem at one size ----------------------------------------------------------------------------


def finite_difference_error(module, args: tuple, gradients: list) -> tuple[float, float]:
    """The largest |s2sad - central differences| over a few entries of each differentiated argument,
    and the same relative to the argument's largest gradient entry (the problems' scales differ widely)."""
    worst, relative = 0.0, 0.0
    for position, gradient in zip(wrt_tuple(module), gradients, strict=True):

        def evaluate(value, position=position):
            return module.objective(*args[:position], value, *args[position + 1 :])

        size = np.size(args[position])
        indices = np.linspace(0, size - 1, min(FD_ENTRIES, size)).astype(int)
        numeric = finite_differences.partial_derivatives(evaluate, args[position], indices)
        difference = float(np.max(np.abs(np.ravel(gradient)[indices] - numeric)))
        worst = max(worst, difference)
        relative = max(relative, difference / max(float(np.max(np.abs(gradient))), 1e-300))
    return worst, relative


def peer_error(module, calls: dict, gradients: list) -> tuple[str, float] | None:
    for peer in ("autograd", "jax jit"):
        if callable(calls.get(peer)):
            try:
                theirs = gradients_tuple(module, calls[peer]())
            except Exception as error:
                calls[peer] = error
                continue
            differences = [
                np.max(np.abs(np.asarray(a) - np.asarray(b))) for a, b in zip(gradients, theirs, strict=True)
            ]
            return peer, float(max(differences))
    return None


def run_problem(name: str, size: str, rounds: int, available: set[str]) -> dict:
    module = problem(name)
    args = module.inputs(size, np.random.default_rng(0))
    row = {"problem": name, "size": size}
    try:
        gradient = s2sad.grad(module.objective, wrt=module.WRT)
        gradients = gradients_tuple(module, gradient(*args))
    except s2sad.S2SADError as error:
        row["refused"] = " ".join(str(error).split())
        row["times"] = timed({"primal": lambda: module.objective(*args)}, rounds)
        return row
    calls, row["compile"] = peer_calls(name, module, args, available)
    row["fd"] = finite_difference_error(module, args, gradients)
    row["peer"] = peer_error(module, calls, gradients)
    row["failed"] = {peer: call for peer, call in calls.items() if not callable(call)}
    working = {peer: call for peer, call in calls.items() if callable(call)}
    row["times"] = timed(
        {"primal": lambda: module.objective(*args), "s2sad": lambda: gradient(*args), **working}, rounds
    )
    return row


# -- report -----------------------------------------------------------------------------------------------

PEERS = ("jax jit", "autograd", "torch")


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.3g}"


def peer_cell(row: dict, peer: str, available: set[str]) -> str:
    if peer not in available and peer.split()[0] not in available:
        return "not run"  # not installed, or --no-peers
    if peer in row.get("failed", {}):
        return f"failed: {type(row['failed'][peer]).__name__}"
    return _ms(row["times"].get(peer))


def report(rows: list[dict], available: set[str]) -> str:
    header = ["problem", "size", "s2sad", "primal ms", "s2sad grad ms", "grad/primal"]
    header += [f"{p} ms" for p in PEERS] + ["jit compile+1st s", "max abs diff to peer", "max abs diff to FD"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    refusals = []
    for row in rows:
        t = row["times"]
        if "refused" in row:
            refusals.append(f"- {row['problem']} {row['size']}: {row['refused']}")
            cells = [row["problem"], row["size"], "refused (below)", _ms(t["primal"])] + ["-"] * (len(header) - 4)
        else:
            peer = row["peer"]
            cells = [row["problem"], row["size"], "yes", _ms(t["primal"]), _ms(t["s2sad"])]
            cells.append(f"{t['s2sad'] / t['primal']:.2f}")
            cells += [peer_cell(row, p, available) for p in PEERS]
            cells.append(f"{row['compile']['jax jit']:.2f}" if "jax jit" in row["compile"] else "-")
            cells.append(f"{peer[1]:.1e} ({peer[0]})" if peer else "-")
            cells.append(f"{row['fd'][0]:.1e} (rel {row['fd'][1]:.0e})")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines + ([""] + refusals if refusals else []))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="small,medium", help="comma-separated sizes: small, medium")
    parser.add_argument("--problems", help=f"comma-separated problems (default: all of {', '.join(PROBLEMS)})")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of timing (default 5)")
    parser.add_argument("--no-peers", action="store_true", help="time s2sad against the primal only")
    options = parser.parse_args(argv)
    names = options.problems.split(",") if options.problems else list(PROBLEMS)
    available = set() if options.no_peers else installed()
    print(
        f"Run: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}; peers: {', '.join(sorted(available)) or 'none'}; median of {options.rounds} rounds\n",
        flush=True,
    )
    rows = []
    for name in names:
        for size in options.sizes.split(","):
            rows.append(run_problem(name, size, options.rounds, available))
            print(f"  done: {name} {size}", file=sys.stderr, flush=True)
    print(report(rows, available))
