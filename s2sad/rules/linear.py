"""Tangent rules derived from what a rule declares: ``linear`` and ``bilinear`` (see s2sad.rules).

The derived rule is written as source, as a hand-written one would be, so the engine parses and
inlines it like any other, and run, for the tests that call tangent rules directly.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping

import numpy as np

from s2sad import runtime
from s2sad.rules.rule import Rule, spelling

# Options rules declare but ignore (s2sad.rules): the tangent comes back in its argument's dtype.
_IGNORED_OPTIONS = ("dtype",)


def derived_tangent(rule: Rule) -> tuple[str, Callable]:
    """The tangent rule of ``rule``, as source and as a function: for each of its ``linear`` parameters,
    the function applied to that parameter's tangent, with the other linear parameters zero or, if
    ``bilinear``, as given; None for the other parameters."""
    terms = []
    for parameter in rule.differentiable:
        if parameter not in rule.linear:
            terms.append("None")
            continue
        arguments = {p: p for p in rule.differentiable}
        if not rule.bilinear:
            arguments.update({p: "0.0" for p in rule.linear})
        arguments[parameter] = f"d_{parameter}"
        terms.append(_applied(rule, arguments))
    options = [_written(p) for p in rule.signature.parameters.values()]
    function_name = f"{rule.name.rpartition('.')[2]}_tangent_rule"
    parameters = ", ".join([f"d_{p}" for p in rule.differentiable] + ["out"] + options)
    source = f"def {function_name}({parameters}):\n    return {', '.join(terms)}\n"
    namespace = {"np": np, "math": math, "_rt": runtime}
    exec(compile(source, f"<{function_name}>", "exec"), namespace)
    return source, namespace[function_name]


def _written(parameter: inspect.Parameter) -> str:
    return parameter.name if parameter.default is parameter.empty else f"{parameter.name}={parameter.default!r}"


def _applied(rule: Rule, arguments: Mapping[str, str]) -> str:
    """The rule's function applied as generated code writes it: the differentiable parameters bound to
    ``arguments``, the options passed on (by position while they can be, keyword-only ones by keyword)."""
    written, by_keyword = [], False
    for parameter in rule.signature.parameters.values():
        if parameter.name in _IGNORED_OPTIONS:
            by_keyword = True  # the options after it can no longer go by position
        elif parameter.name in arguments:
            written.append(arguments[parameter.name])
        elif by_keyword or parameter.kind is parameter.KEYWORD_ONLY:
            written.append(f"{parameter.name}={parameter.name}")
        else:
            written.append(parameter.name)
    if rule.operator is not None and rule.operator.startswith("unary "):
        return f"{rule.operator.removeprefix('unary ')}{written[0]}"
    if rule.operator is not None:
        return f"{written[0]} {rule.operator} {written[1]}"
    if rule.name == "operator.getitem":
        return f"{written[0]}[{written[1]}]"
    return f"{spelling(rule.name)}({', '.join(written)})"
