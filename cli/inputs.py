"""The inputs of --check: --shapes, or example_inputs() in the model file."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import sys

from s2sad.cli.failures import Failure, UsageError, print_traceback
from s2sad.cli.targets import Target


@dataclasses.dataclass(frozen=True)
class Value:
    """A fixed argument value given in --shapes (``steps=5``)."""

    value: int | float


def parse_shapes(text: str) -> dict[str, object]:
    """--shapes "w=(3,),x=(10,3),b=float,n=5" -> {name: shape tuple | float (the type) | Value}."""
    hint = 'expected NAME=SHAPE,..., e.g. "w=(3,),x=(10,3),b=float"'
    try:
        call = ast.parse(f"_({text})", mode="eval").body
    except SyntaxError:
        raise UsageError(f"--shapes {text!r}: {hint}") from None
    if not isinstance(call, ast.Call) or call.args or any(k.arg is None for k in call.keywords):
        raise UsageError(f"--shapes {text!r}: {hint}")
    shapes: dict[str, object] = {}
    for keyword in call.keywords:
        value = keyword.value
        if isinstance(value, ast.Name) and value.id == "float":
            shapes[keyword.arg] = float
            continue
        try:
            literal = ast.literal_eval(value)
        except Exception:  # not a literal
            literal = None
        if isinstance(literal, tuple) and all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in literal
        ):
            shapes[keyword.arg] = literal
        elif isinstance(literal, (int, float)) and not isinstance(literal, bool):
            shapes[keyword.arg] = Value(literal)
        else:
            raise UsageError(
                f"--shapes: {keyword.arg}={ast.unparse(value)} is not a shape; use a tuple such as (3,) "
                "or (10, 3), `float` for a Python float, or a number for that value"
            )
    return shapes


def refuse_unused_shapes(shapes: dict, targets: list[Target], models: dict) -> None:
    parameters = set()
    for target in targets:
        function = getattr(models[target.filename], target.name, None)
        if callable(function):
            parameters |= set(inspect.signature(function).parameters)
    unknown = sorted(set(shapes) - parameters)
    if unknown:
        raise UsageError(
            f"--shapes names {', '.join(unknown)}, not an argument of {', '.join(t.name for t in targets)}"
        )


def from_shapes(shapes: dict, target: Target, signature: inspect.Signature, rng) -> dict:
    values = {}
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        spec = shapes.get(parameter.name)
        if spec is None:
            if parameter.default is parameter.empty:
                example = ",".join(f"{p}=(3,)" for p in signature.parameters)
                raise UsageError(
                    f"--shapes gives no shape for {parameter.name}, an argument of {target.name} "
                    f'without a default; e.g. --shapes "{example}"'
                )
            continue
        if spec is float:
            values[parameter.name] = float(rng.normal())
        elif isinstance(spec, Value):
            if parameter.name in target.wrt and isinstance(spec.value, int):
                n = parameter.name
                raise UsageError(
                    f"--shapes {n}={spec.value} would pass the integer {spec.value} to {n}, which is "
                    f"differentiated; write {n}=({spec.value},) for a random array of {spec.value} entries, "
                    f"{n}={float(spec.value)} for that value, or {n}=float for a random Python float"
                )
            values[parameter.name] = spec.value
        else:
            values[parameter.name] = rng.normal(size=spec)
    return values


def from_example(model, target: Target, signature: inspect.Signature) -> dict:
    make = getattr(model, "example_inputs", None)
    if not callable(make):
        example = ",".join(f"{p}=(3,)" for p in signature.parameters)
        raise UsageError(
            f'--check needs inputs for {target.name}: give --shapes (e.g. --shapes "{example}") or '
            f"define example_inputs() in {target.filename}, returning a dict of its arguments"
        )
    try:
        takes_name = "name" in inspect.signature(make).parameters
    except (TypeError, ValueError):
        takes_name = False
    try:
        values = make(name=target.name) if takes_name else make()
    except Exception as error:
        print(f"s2sad grad: --check: example_inputs() in {target.filename} raised:", file=sys.stderr)
        print_traceback(error)
        raise Failure(1) from None
    if not isinstance(values, dict):
        raise UsageError(
            f"example_inputs() in {target.filename} returned {type(values).__name__}; "
            f"it must return a dict of the arguments of {target.name}"
        )
    try:
        signature.bind(**{k: v for k, v in values.items()})
    except TypeError as error:
        raise UsageError(f"example_inputs() in {target.filename} does not fit {target.name}: {error}") from None
    return dict(values)
