"""Emit formats with black only the statements that need it (backend/layout.py): the text must be
byte for byte what black makes of the whole module, for every form the printer writes itself."""

import textwrap
from pathlib import Path

import pytest

from s2sad import pipeline
from s2sad.backend import emit, layout
from s2sad.frontend import load
from s2sad.options import Options

ROOT = Path(__file__).resolve().parent.parent

FORMS = """
import numpy as np


def powers(x, y):
    a = x**2 + (-x) ** 3 + x ** -1.0 + 2.0**x
    b = np.sum(a[1:-1] * y[:, 0]) if np.sum(x) > 0 else np.sum(a[::2])
    c = -(x**2) + np.sum(x[np.argmax(y) :]) * (x ** y[0]) + x**y if np.sum(y) else 0.0
    d = np.sum(c * c, axis=0, keepdims=True) + np.sum(x ** y[0] if not np.any(x > 1) else y**2)
    return np.sum(d) + np.sum(c * c) + np.sum((x, y)[0]) + np.sum([x][0])


def long_lines(x, y, very_long_parameter_name_to_make_lines_long=1.0, another_long_parameter_name=2.0):
    total = np.sum(np.tanh(x * very_long_parameter_name_to_make_lines_long + y * another_long_parameter_name))
    for step in range(3):
        if total > 0.0:
            total = total + np.sum(np.sin(x * very_long_parameter_name_to_make_lines_long) * np.cos(y * 2.0))
        else:
            total = total - np.sum(np.exp(-x * another_long_parameter_name) * np.sqrt(np.abs(y) + 1.0))
    return total


def starred(x, *, scale=1.0):
    return np.sum(x * x) * scale


def strings(x, y):
    z = np.einsum('ij,ij->i', x, y)
    w = np.einsum("ij,ij->i", x, y)
    return np.sum(z * w) + np.sum(np.pad(x, 1, mode='edge'))
"""

CASES = [
    ("fixtures/logistic.py", "loss", ("w", "b")),
    ("fixtures/mlp.py", "loss", ("W1", "b1", "W2", "b2")),
    ("fixtures/rnn.py", "loss", ("W", "U", "b", "h0")),
    ("fixtures/newton.py", "sqrt_newton", ("a",)),
    ("fixtures/heat.py", "final_energy_inplace", ("u0", "kappa")),
    ("fixtures/piecewise.py", "loss", ("w",)),
    ("fixtures/gaussian.py", "nll", ("mu", "log_sigma")),
    ("forms", "powers", ("x", "y")),
    ("forms", "long_lines", ("x", "y")),
    ("forms", "starred", ("x",)),
    ("forms", "strings", ("x", "y")),
]


def _unit(path: str, name: str, wrt, mode: str):
    unit = load.from_file(path, name)
    options = Options(kind="grad" if mode == "reverse" else "jvp", wrt=wrt, wrt_tuple=True, mode=mode)
    for stage in pipeline.PIPELINE[:-1]:
        unit = stage.run(unit, options)
    return unit


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("path, name, wrt", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_formatting_statements_apart_gives_the_whole_modules_text(path, name, wrt, mode, tmp_path):
    if path == "forms":
        path = tmp_path / "forms.py"
        path.write_text(textwrap.dedent(FORMS))
    else:
        path = ROOT / path
    unit = _unit(str(path), name, wrt, mode)
    fast = emit._render(unit)[0]
    assert fast == emit._render(unit, whole=True)[0]
    assert fast == emit._formatted(emit._finalized(unit)[0].code)  # (as the numba target formats)


def test_a_long_function_is_formatted_in_parts(tmp_path, monkeypatch):
    """More statements than a part holds: black runs on each part, and the text is the same."""
    monkeypatch.setattr(layout, "PART_STATEMENTS", 3)
    path = tmp_path / "forms.py"
    path.write_text(textwrap.dedent(FORMS))
    unit = _unit(str(path), "long_lines", ("x", "y"), "reverse")
    calls = []
    black = layout.black_formatted
    monkeypatch.setattr(layout, "black_formatted", lambda code: calls.append(code) or black(code))
    fast = emit._render(unit)[0]
    assert len(calls) > 1
    assert fast == emit._render(unit, whole=True)[0]
