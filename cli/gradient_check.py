"""--check: import the model, run the generated gradient on inputs, compare it with finite differences.

Only here is the model file executed; without --check it is read as text.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import linecache
import os
import sys
import tempfile
import types
from pathlib import Path

import numpy as np

from s2sad import finite_differences
from s2sad.cli import inputs
from s2sad.cli.failures import Failure, UsageError, print_traceback
from s2sad.cli.targets import Target
from s2sad.errors import S2SADError


def check(source: str, targets: list[Target], shapes: dict | None, output: str | None) -> int:
    """Run the generated module on inputs and compare with central finite differences; 0 or 1."""
    folders = []
    for target in targets:
        folder = os.path.dirname(os.path.abspath(target.filename))
        if folder not in folders:
            folders.append(folder)
    sys.dont_write_bytecode = True  # importing the model leaves no __pycache__ beside it
    sys.path[:0] = folders  # the model's folder first: the generated code imports the model module

    models = {target.filename: _import_model(target.filename) for target in targets}
    generated = _run_generated(source, output)
    # (not the numba target's kernels, which the gradients call)
    functions = [s.name for s in ast.parse(source).body if isinstance(s, ast.FunctionDef) and not s.decorator_list]
    if shapes is not None:
        inputs.refuse_unused_shapes(shapes, targets, models)

    failed = []
    rng = np.random.default_rng(0)
    for target, gradient_name in zip(targets, functions, strict=True):
        model = models[target.filename]
        function = getattr(model, target.name, None)
        if not callable(function):
            print(
                f"check {target.name}: {target.filename} defines no function {target.name} when imported",
                file=sys.stderr,
            )
            raise Failure(1)
        signature = inspect.signature(function)
        if shapes is not None:
            values = inputs.from_shapes(shapes, target, signature, rng)
        else:
            values = inputs.from_example(model, target, signature)
        if not _check_function(target, function, signature, generated[gradient_name], values):
            failed.append(target.name)
    if failed:
        result = f"{output} was not written" if output else "the module was not printed"
        print(f"s2sad grad: --check failed for {', '.join(failed)}; {result}", file=sys.stderr)
        return 1
    return 0


def _import_model(filename: str):
    stem = os.path.splitext(os.path.basename(filename))[0]
    try:
        module = importlib.import_module(stem)
    except BaseException as error:  # the user's top-level code: report whatever it raises
        if isinstance(error, KeyboardInterrupt):
            raise
        print(f"s2sad grad: --check could not import {filename}:", file=sys.stderr)
        print_traceback(error)
        raise Failure(1) from None
    found = getattr(module, "__file__", None)
    if not found or not os.path.exists(found) or not os.path.samefile(found, filename):
        raise UsageError(
            f"--check: importing {stem!r} finds {found or 'a built-in module'}, not {filename}; "
            "rename the model file"
        )
    return module


def _run_generated(source: str, output: str | None) -> dict:
    """Execute the generated module in a fresh namespace (registered with linecache for tracebacks)."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    filename = output or f"<s2sad generated module {digest}>"
    if output is None and "@numba.njit(" in source:  # numba compiles (and caches) from a file only
        filename = os.path.join(tempfile.mkdtemp(prefix="s2sad-check-"), f"s2sad_check_{digest}.py")
        Path(filename).write_text(source, encoding="utf-8")
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module = types.ModuleType("s2sad_generated")
    try:
        exec(compile(source, filename, "exec"), module.__dict__)
    except Exception as error:
        print("s2sad grad: --check: the generated module failed to run:", file=sys.stderr)
        print_traceback(error)
        raise Failure(1) from None
    return module.__dict__


def _call(function, signature: inspect.Signature, values: dict):
    positional, keywords = [], {}
    for parameter in signature.parameters.values():
        if parameter.name in values:
            if parameter.kind is parameter.POSITIONAL_ONLY:
                positional.append(values[parameter.name])
            else:
                keywords[parameter.name] = values[parameter.name]
    return function(*positional, **keywords)


def _in_float64(values: dict, target: Target, signature: inspect.Signature) -> dict:
    """``values`` with every differentiated argument given (a default if left out), floats in float64."""
    values = dict(values)
    for name in target.wrt:
        if name not in values:  # left out: its default
            values[name] = signature.parameters[name].default
        value = values.get(name)
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            values[name] = value.astype(np.float64)
        elif isinstance(value, (float, np.floating)):
            values[name] = float(value)
    return values


def _check_function(target: Target, function, signature, gradient_function, values: dict) -> bool:
    """Print the largest relative error of ``target``'s gradient; whether it is within RTOL."""
    values = _in_float64(values, target, signature)
    try:
        gradients = _call(gradient_function, signature, values)
        value = float(_call(function, signature, values))
    except Exception as error:
        print(f"check {target.name}: running the gradient raised:", file=sys.stderr)
        if isinstance(error, S2SADError):
            print(error, file=sys.stderr)
        else:
            print_traceback(error)
        return False
    if len(target.wrt) == 1:
        gradients = (gradients,)

    comparison = finite_differences.Comparison(value)
    for name, gradient in zip(target.wrt, gradients, strict=True):
        original = values[name]
        if np.shape(gradient) != np.shape(original):
            print(
                f"check {target.name}: the gradient of {name} has shape {np.shape(gradient)}, "
                f"the argument {np.shape(original)} (FAILED)",
                file=sys.stderr,
            )
            return False
        gradient = np.asarray(gradient, dtype=np.float64)
        indices = finite_differences.sample(gradient.size)

        def evaluate(trial, name=name):
            return float(_call(function, signature, {**values, name: trial}))

        try:
            numeric = finite_differences.partial_derivatives(evaluate, original, indices)
        except Exception as error:
            print(f"check {target.name}: running {target.name} with {name} moved raised:", file=sys.stderr)
            print_traceback(error)
            return False
        comparison.add(name, gradient, numeric, indices)
    for line in comparison.report(target.name):
        print(line, file=sys.stderr)
    return comparison.ok
