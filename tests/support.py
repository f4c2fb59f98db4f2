"""Shared test machinery: random inputs, user modules written to disk, gradients against finite differences
(s2sad.finite_differences: its step and tolerances are the ones ``s2sad grad --check`` uses)."""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import sys
import textwrap
from pathlib import Path

import numpy as np

from s2sad import finite_differences
from s2sad.finite_differences import ATOL, RTOL, STEP

_counter = itertools.count()


def write_module(folder: Path, source: str, stem: str | None = None):
    """Write ``source`` as a module file and import it (so its functions have real source)."""
    stem = stem or f"user_module_{next(_counter)}"
    path = folder / f"{stem}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[stem] = module
    spec.loader.exec_module(module)
    return module


def random_value(shape, domain: str, rng: np.random.Generator):
    """A float input of ``shape`` (None: a Python float) drawn from ``domain``."""
    size = () if shape is None else shape
    if domain == "spd":
        n = size[-1]
        m = rng.normal(size=size)
        value = m @ np.swapaxes(m, -1, -2) / n + np.eye(n)
    elif domain == "bool":
        value = rng.random(size) > 0.5
    else:
        low, high = {
            "real": (-2.0, 2.0),
            "positive": (0.2, 2.0),
            "negative": (-2.0, -0.2),
            "unit": (-0.9, 0.9),
            "nonzero": (0.2, 2.0),
            "above1": (1.2, 3.0),
        }[domain]
        value = rng.uniform(low, high, size)
        if domain == "nonzero":
            value = value * rng.choice([-1.0, 1.0], size)
    if shape is None:
        return bool(value) if domain == "bool" else float(value)
    return value


def numeric_vjp(function, args, wrt: tuple[int, ...], d_out):
    """Central-difference gradient of <function(*args), d_out> with respect to each ``wrt`` argument."""

    def projected(*values):
        return float(np.sum(np.asarray(function(*values)) * d_out))

    def moving(index):
        def evaluate(trial):
            values = list(args)
            values[index] = trial
            return projected(*values)

        return evaluate

    return tuple(finite_differences.gradient(moving(index), args[index]) for index in wrt)


def numeric_hvp(gradient, args, positions, v):
    """Central differences of ``gradient`` (a tuple of gradients, one per position) along the direction
    ``v`` (one part per position): the Hessian-vector product H v, given a gradient checked on its own."""
    shifted = []
    for sign in (1.0, -1.0):
        trial = list(args)
        for p, d in zip(positions, v, strict=True):
            moved = np.asarray(args[p], dtype=float) + sign * STEP * np.asarray(d)
            trial[p] = float(moved) if isinstance(args[p], float) else moved
        shifted.append(gradient(*trial))
    return tuple((np.asarray(a) - np.asarray(b)) / (2 * STEP) for a, b in zip(*shifted, strict=True))


def assert_gradients_close(actual, expected, args, wrt):
    for index, got, want in zip(wrt, actual, expected, strict=True):
        assert np.shape(got) == np.shape(args[index]), f"gradient of argument {index} has shape {np.shape(got)}"
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=f"gradient of argument {index}")


def positions(function, wrt) -> tuple[int, ...]:
    """The positions of ``wrt`` (names, positions, or a tuple of them) among ``function``'s parameters."""
    names = list(inspect.signature(function).parameters)
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    return tuple(names.index(item) if isinstance(item, str) else item % len(names) for item in items)


def as_tuple(result, wrt):
    """Gradients as a tuple, whether ``wrt`` asked for one or not."""
    return result if isinstance(wrt, tuple) else (result,)


def copies(values):
    """Copies of the arrays among ``values`` (to check a function leaves its inputs alone)."""
    return [np.copy(v) if isinstance(v, np.ndarray) else v for v in values]


def control_path(function, args) -> list[int]:
    """The sequence of lines ``function`` executes in its own file (loops and branches as they went)."""
    filename = function.__code__.co_filename
    path = []

    def tracer(frame, event, arg):
        if frame.f_code.co_filename != filename:
            return None
        if event == "line":
            path.append(frame.f_lineno)
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        function(*copies(args))
    finally:
        sys.settrace(previous)
    return path


def assert_located(message: str, path: str, source: str, marker: str) -> None:
    """``message`` is a located refusal: ``path:line:col: error: ...``, the line, a caret under the
    first ``marker`` in ``source`` (outside import lines), and a hint."""
    lines = source.splitlines()
    line_number = next(i for i, line in enumerate(lines, 1) if marker in line and not line.startswith("import"))
    text = lines[line_number - 1]
    column = text.index(marker)
    first, shown, caret, *rest = message.splitlines()
    assert first.startswith(f"{path}:{line_number}:{column + 1}: error: "), first
    assert shown == "    " + text.strip()
    indent = len(text) - len(text.lstrip())
    assert caret == "    " + " " * (column - indent) + "^"
    assert rest and rest[-1].startswith("hint: "), "every refusal says what to do"
