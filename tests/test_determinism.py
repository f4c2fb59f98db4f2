"""The same input gives byte-identical generated code: twice in one process, and across processes
with different hash seeds (set and dict iteration order must never reach the output).

The fixtures cover loops, while loops, branches and early returns; CONTROL adds helpers,
break/continue, tuples, lists and in-place updates. The subprocesses run at once (each costs about a
second to start).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import s2sad
from tests.support import write_module

ROOT = Path(__file__).resolve().parent.parent

# `s2sad grad` targets: one module, functions with loops, while loops, branches and plain code.
CLI_TARGETS = ["fixtures/rnn.py:loss", "fixtures/newton.py:fixed_point", "fixtures/piecewise.py:huber,stable_sigmoid"]

CONTROL = textwrap.dedent("""
    import numpy as np


    def scale(v, factor=2.0):
        if v > 0.0:
            return v * factor
        return -v


    def f(x, w):
        total = 0.0
        hs = []
        y = np.zeros_like(x)
        for i, v in enumerate(x):
            if v > 1.5:
                break
            if v < -1.5:
                continue
            a, b = scale(v), (v * w, w)
            y[i] = a * b[0] + b[1]
            hs.append(np.tanh(y[i]))
            total = total + a
        k = 0
        while total > 1.0 and k < 4:
            total = total * 0.5
            k = k + 1
        return total + np.sum(np.stack(hs)) + np.sum(y * y)
""")

# The API in a fresh process: the generated sources of several functions, in both modes.
API_SCRIPT = textwrap.dedent("""
    import importlib.util, sys
    sys.path.insert(0, sys.argv[1] + "/fixtures")
    import s2sad, heat, rnn
    spec = importlib.util.spec_from_file_location("control", sys.argv[2])
    control = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(control)
    for function, wrt in [(rnn.loss, (0, 1)), (heat.final_energy, 0), (control.f, (0, 1))]:
        sys.stdout.write(s2sad.source(s2sad.grad(function, wrt)))
        sys.stdout.write(s2sad.source(s2sad.jvp(function, wrt)))
""")


@pytest.fixture(autouse=True)
def no_cache(monkeypatch):
    """Generate afresh every time: the second source must not be the first one read back."""
    monkeypatch.setenv("S2SAD_CACHE", "0")


def _sources(control) -> list[str]:
    sys.path.insert(0, str(ROOT / "fixtures"))
    try:
        import rnn

        functions = [(rnn.loss, (0, 1)), (control.f, (0, 1))]
        return [s2sad.source(make(f, wrt)) for f, wrt in functions for make in (s2sad.grad, s2sad.jvp)]
    finally:
        sys.path.remove(str(ROOT / "fixtures"))


def test_generating_twice_in_one_process_gives_the_same_bytes(tmp_path):
    """(The command line is compared across processes below.)"""
    control = write_module(tmp_path, CONTROL)
    assert _sources(control) == _sources(control)


def test_different_hash_seeds_give_the_same_bytes(tmp_path):
    control = tmp_path / "control.py"
    control.write_text(CONTROL)
    runs = {}
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "S2SAD_CACHE": "0"}
        env.pop("S2SAD_DUMP_AFTER", None)
        commands = {
            "cli": [sys.executable, "-m", "s2sad", "grad", *CLI_TARGETS],
            "api": [sys.executable, "-c", API_SCRIPT, str(ROOT), str(control)],
        }
        for name, command in commands.items():
            runs[name, seed] = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
    outputs = {}
    for key, process in runs.items():
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr.decode()
        outputs[key] = stdout
    assert outputs["cli", "0"] == outputs["cli", "4242"]
    assert outputs["api", "0"] == outputs["api", "4242"]
    assert outputs["cli", "0"].count(b"\ndef grad_") == 4
    assert outputs["api", "0"].count(b"\ndef grad_") == outputs["api", "0"].count(b"\ndef jvp_") == 3
