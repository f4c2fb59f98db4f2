"""`s2sad grad`: compile each target, assemble one module, then --check it, print it or write it (-o)."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import sys

from s2sad.backend import emit, standalone
from s2sad.frontend import load
from s2sad import pipeline
from s2sad.api import wrt_names
from s2sad.cli import gradient_check, output
from s2sad.cli.failures import UsageError
from s2sad.cli.inputs import Value, parse_shapes
from s2sad.cli.targets import Target, parse_targets, parse_wrt
from s2sad.errors import BadArgument, S2SADError
from s2sad.options import Options


def run(arguments: argparse.Namespace) -> int:
    if arguments.mode == "forward" and arguments.check:
        raise UsageError("--check compares gradients (reverse mode); run it without --mode forward")
    if arguments.checkpoints and (arguments.mode == "forward" or arguments.target == "numba"):
        raise UsageError("--checkpoints checkpoints reverse-mode numpy gradients; forward mode keeps no tape")
    if arguments.target == "numba" and (arguments.mode == "forward" or arguments.shapes is None):
        raise UsageError("--target numba makes reverse-mode gradients for the types --shapes gives; add --shapes")
    if arguments.standalone and arguments.target == "numba":
        raise UsageError("--standalone copies numpy's runtime helpers; the numba target's kernels need s2sad's")
    targets = parse_targets(arguments.targets)
    wrt = parse_wrt(arguments.wrt)
    shapes = parse_shapes(arguments.shapes) if arguments.shapes is not None else None
    if arguments.force and arguments.output is None:
        raise UsageError("--force lets -o replace a read-only FILE; add -o FILE")
    if arguments.output is not None:
        output.check_output(arguments.output, targets, arguments.force)

    status = _compile(targets, wrt, arguments, _ranks(shapes or {}))
    if status:
        return status

    units = [target.unit for target in targets]
    source = units[0].source if len(units) == 1 else emit.render_module(units)
    _refuse_clashes(source, targets)
    if arguments.check:
        status = gradient_check.check(source, targets, shapes, arguments.output)
        if status:
            return status
    if arguments.standalone:
        try:
            source = standalone.standalone(source)
        except standalone.NotStandalone as error:
            raise UsageError(f"--standalone: {error}; generate it without --standalone") from None
    if arguments.output is None:
        sys.stdout.write(source)
    else:
        try:
            output.write_atomically(arguments.output, source)
        except OSError as error:
            print(f"s2sad grad: error: cannot write {arguments.output}: {error.strerror or error}", file=sys.stderr)
            return 1
    return 0


def _ranks(shapes: dict) -> dict[str, tuple[int, tuple[int, ...]]]:
    """--shapes as each argument's number of axes and those of length one: what the gradient printed
    is specialized to."""
    return {
        name: (len(spec), tuple(axis for axis, n in enumerate(spec) if n == 1)) if isinstance(spec, tuple) else (0, ())
        for name, spec in shapes.items()
    }


def _kinds(shapes: dict) -> tuple[tuple[str, str], ...]:
    """--shapes as the numba kernel's types: arrays and `float` are floats, a number its own type."""
    return tuple(
        (name, "i" if isinstance(spec, Value) and isinstance(spec.value, int) else "f") for name, spec in shapes.items()
    )


def _compile(
    targets: list[Target], wrt: tuple[int | str, ...], arguments: argparse.Namespace, ranks: dict[str, tuple]
) -> int:
    """Compile every target (into ``target.unit``), reporting each that fails; the exit status so far."""
    status = 0
    for target in targets:
        try:
            unit = load.from_file(target.filename, target.name)
        except S2SADError as error:
            print(error, file=sys.stderr)
            status = max(status, 1)
            continue
        try:
            target.wrt = wrt_names(wrt, unit)
        except BadArgument as error:
            message = error.message.removeprefix("wrt=")
            print(f"s2sad grad: error: --wrt {arguments.wrt}: {message}", file=sys.stderr)
            status = 2
            continue
        try:
            kind = "jvp" if arguments.mode == "forward" else "grad"
            params = unit.function.params
            known = tuple(
                (p.name.value, *ranks[p.name.value])
                for p in (*params.posonly_params, *params.params, *params.kwonly_params)
                if p.name.value in ranks
            )
            options = Options(
                kind=kind,
                wrt=target.wrt,
                wrt_tuple=len(wrt) > 1,
                mode=arguments.mode,
                shapes=known,
                checkpoints=arguments.checkpoints,
            )
            if arguments.target == "numba":
                options = dataclasses.replace(options, target="numba", kinds=_kinds(parse_shapes(arguments.shapes)))
            target.unit = pipeline.compile_unit(unit, options, verbose=arguments.verbose, show_progress=True)
        except S2SADError as error:
            print(error, file=sys.stderr)
            status = max(status, 1)
    return status


def _refuse_clashes(source: str, targets: list[Target]) -> None:
    """Several functions in one module must not need one name for two things (``from a import K``, ``from b import K``)."""
    meanings: dict[str, set[str]] = {}
    for statement in ast.parse(source).body:
        if isinstance(statement, ast.FunctionDef):
            meanings.setdefault(statement.name, set()).add(f"def {statement.name}")
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                bound = alias.asname or alias.name.split(".")[0]
                if isinstance(statement, ast.Import):
                    meaning = f"import {alias.name}"
                else:
                    meaning = f"from {'.' * statement.level}{statement.module or ''} import {alias.name}"
                meanings.setdefault(bound, set()).add(meaning)
    clashes = {name: sorted(found) for name, found in meanings.items() if len(found) > 1}
    if clashes:
        name, found = sorted(clashes.items())[0]
        functions = ", ".join(f"{t.filename}:{t.name}" for t in targets)
        raise UsageError(
            f"{functions} cannot share one module: the name {name!r} would mean both "
            f"'{found[0]}' and '{found[1]}'; generate them separately"
        )
