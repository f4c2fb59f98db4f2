"""Rules users give for their own functions (``@s2sad.rule``, or read from a file by the CLI).

Keyed by the function's module and qualified name; a live function is also found by identity.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable

from s2sad.rules import templates
from s2sad.rules.rule import Binding, Rule

CUSTOM: dict[str, Rule] = {}
CUSTOM_OBJECTS: dict[int, tuple[Callable, str]] = {}  # id -> (function, rule name), for live resolution


def custom(function: Callable, adjoint_function: Callable, elementwise: bool) -> Rule:
    """Register a user's rule: ``adjoint_function`` is the adjoint of ``function``.

    Keyed by the function's module and qualified name, and found by identity.
    """
    name = f"{function.__module__}.{function.__qualname__}"
    parameters = list(inspect.signature(adjoint_function).parameters.values())
    if [p.name for p in parameters[:2]] != ["d_out", "out"]:
        raise templates.RuleShapeError(
            f"{adjoint_function.__name__}: an adjoint rule's first parameters are d_out, out, "
            f"then those of {function.__name__}"
        )
    primal = Binding(parameters[2:])
    differentiable = tuple(p.name for p in parameters[2:] if p.default is inspect.Parameter.empty)
    rule = Rule(name, primal, differentiable, adjoint_function, elementwise, (), {}, (), custom=True)
    rule.adjoint  # parse now: a malformed rule fails where it is written
    CUSTOM[name] = rule
    CUSTOM_OBJECTS[id(function)] = (function, name)
    return rule


def custom_tangent(function: Callable, tangent_function: Callable) -> Rule:
    """Give a user's rule its tangent rule: ``tangent_function`` (``@f.tangent``, after ``@f.adjoint``)."""
    name = f"{function.__module__}.{function.__qualname__}"
    if CUSTOM_OBJECTS.get(id(function), (None,))[0] is not function:
        raise templates.RuleShapeError(
            f"{tangent_function.__name__}: give {function.__name__} its adjoint rule (@{function.__name__}.adjoint) "
            "before its tangent rule"
        )
    rule = dataclasses.replace(CUSTOM[name], tangent_function=tangent_function)
    rule.tangent  # parse now: a malformed rule fails where it is written
    CUSTOM[name] = rule
    return rule


def custom_from_source(name: str, module: str, source: str, parameters, elementwise: bool) -> Rule:
    """Register a user's rule read from a file: ``parameters`` are (name, has a default) after d_out, out."""
    primal = Binding(
        [
            inspect.Parameter(
                p, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None if has_default else inspect.Parameter.empty
            )
            for p, has_default in parameters
        ]
    )
    differentiable = tuple(p for p, has_default in parameters if not has_default)
    rule = Rule(name, primal, differentiable, None, elementwise, (), {}, (), custom=True, source=source, module=module)
    rule.adjoint  # parse now: a malformed rule fails where it is read
    CUSTOM[name] = rule
    return rule


def custom_tangent_from_source(name: str, source: str) -> Rule:
    """Give the rule ``custom_from_source`` registered as ``name`` its tangent rule, read from the same file."""
    rule = dataclasses.replace(CUSTOM[name], tangent_source=source)
    rule.tangent  # parse now: a malformed rule fails where it is read
    CUSTOM[name] = rule
    return rule
