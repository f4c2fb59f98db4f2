"""Calls of s2sad's own derivatives in a differentiated function: ``s2sad.grad(f, wrt=0)(x)``, a
gradient made above the function or in it (``df = s2sad.grad(f)``), a decorated function's ``.grad``.

The derivative is made while lowering (its refusals are found now, at the user's line) and, in the
generated code, called through ``_rt.call_derivative(derivative, part, *arguments)``: one call per
array it returns (``part``: the path to it in the tuple), a primitive whose own derivatives
s2sad.nested makes. A jvp is plain forward code: it is inlined and differentiated like the user's
own functions. Derivatives made by composition (hvp, hessp, hessian, jacobian) are refused.
"""

from __future__ import annotations

import ast
import inspect

import libcst as cst

from s2sad.core.facts import FunctionValue, Resolution
from s2sad.frontend.scope import dotted
from s2sad.normalize import expressions, inlining
from s2sad.normalize.nodes import bare, call_arguments
from s2sad.normalize.state import State

_CALLED = "s2sad.runtime.call_derivative"


def is_made_here(state: State, value: cst.BaseExpression) -> bool:
    """Whether ``value`` is a call of s2sad's API making a derivative: ``s2sad.grad(f, wrt=0)``."""
    value = bare(value)
    text = dotted(value.func) if isinstance(value, cst.Call) else None
    return text is not None and state.resolution(text) == "maker"


def bind(state: State, target: str, value: cst.Call) -> None:
    """``df = s2sad.grad(f)``: the derivative is made now; ``df`` holds it in the generated code too."""
    if state.depth and state.bindings[target] > 1:
        state.refuse(value, f"rebinding the derivative '{target}' inside a branch or loop is", "use one name for it")
    state.derivatives[target] = _made(state, bare(value))
    state.emit_assign(target, bare(value), None, {}, True, state.origin)  # made again: a cache hit


def called(state: State, node: cst.Call):
    """The derivative ``node`` calls, or None when it calls something else."""
    function = bare(node.func)
    if is_made_here(state, function):
        return _made(state, function)
    text = dotted(function)
    if text is None:
        return None
    if text in state.derivatives:
        return state.derivatives[text]
    found = state.unit.resolutions.get(text) if state.resolution(text) is not None else None
    if isinstance(found, Resolution) and found.kind == "derivative":
        return found.source
    held = found.source if isinstance(found, Resolution) else None
    return held.source if isinstance(held, FunctionValue) and held.kind == "derivative" else None


def lower(state: State, node: cst.Call, derivative):
    """The value of the call ``node`` of ``derivative``: an atom, or a list of atoms for a tuple
    (one ``_rt.call_derivative`` per array), or the inlined jvp's value."""
    kind, function, names, wrt_tuple = derivative.__s2sad_call__
    if kind not in ("grad", "value_and_grad", "vjp", "jvp"):
        state.refuse(
            node,
            f"calling s2sad.{kind}(...) inside a differentiated function is",
            "call s2sad.grad, value_and_grad, vjp or jvp there (an hvp is the grad of a jvp's slope)",
        )
    positional, keywords = call_arguments(node)
    if keywords:
        state.refuse(
            node,
            "keyword arguments in a call of a derivative inside a differentiated function are",
            "pass its arguments by position",
        )
    if kind == "jvp":
        return _inlined_jvp(state, node, derivative, positional)
    callee = bare(node.func)
    if is_made_here(state, callee):
        held = state.temp()
        state.emit_assign(held, callee, None, {}, True, state.origin)
        callee = cst.Name(held)
    from s2sad import nested  # makes derivatives: imported when a function calls one

    arguments = [expressions.atom(state, value) for value in positional]
    values = []
    for part in nested.parts(kind, len(names), wrt_tuple):
        path = cst.parse_expression(repr(part))
        held = state.temp()
        state.emit_assign(held, *_call(state, node, [callee, path, *arguments]), state.origin)
        values.append(cst.Name(held))
    return _nest(state, values, kind, wrt_tuple)


def _call(state: State, node: cst.Call, operands):
    from s2sad.normalize.calls import apply

    return apply(state, _CALLED, node, operands, {})


def _nest(state: State, values: list[cst.Name], kind: str, wrt_tuple: bool):
    """The atoms as the derivative returns them: value_and_grad's gradients are a tuple of their own."""
    if kind != "value_and_grad":
        return values if wrt_tuple else values[0]
    if not wrt_tuple:
        return values
    gradients = state.temp()
    state.emit_assign(gradients, cst.Tuple([cst.Element(v) for v in values[1:]]), None, {}, False, state.origin)
    state.tuples[gradients] = values[1:]
    return [values[0], cst.Name(gradients)]


def _inlined_jvp(state: State, node: cst.Call, derivative, positional):
    """A jvp's generated code, inlined: its tangents given as the keywords it takes them by."""
    generated = inspect.unwrap(derivative)
    _, _, names, wrt_tuple = derivative.__s2sad_call__
    *primal, tangent = positional
    seeds = list(inspect.signature(generated).parameters)[-len(names) :]
    tangents = [e.value for e in bare(tangent).elements] if wrt_tuple and isinstance(bare(tangent), cst.Tuple) else None
    if wrt_tuple and tangents is None:
        state.refuse(tangent, "a jvp's tangents given other than as a tuple written out are", "write them (t_x, t_y)")
    keywords = dict(zip(seeds, tangents if wrt_tuple else [tangent], strict=True))
    resolution = Resolution("function", generated.__name__, generated)
    return inlining.inline(state, node, resolution, primal, keywords)


def _made(state: State, call: cst.Call):
    """The derivative ``s2sad.grad(f, ...)`` makes, made now: ``f`` a function, the rest written out."""
    maker = state.unit.resolutions[dotted(call.func)].source
    positional, keywords = call_arguments(call)
    values = [_value(state, argument) for argument in positional]
    options = {key: _value(state, argument) for key, argument in keywords.items()}
    return maker(*values, **options)


def _value(state: State, argument: cst.BaseExpression):
    argument = bare(argument)
    text = dotted(argument)
    found = state.unit.resolutions.get(text) if text is not None else None
    if found is not None and found.kind == "function":
        return found.source
    if found is not None and isinstance(found.source, FunctionValue) and found.source.kind == "function":
        return found.source.source
    try:
        return ast.literal_eval(cst.Module([]).code_for_node(argument))
    except ValueError:
        state.refuse(
            argument,
            "making a derivative inside a differentiated function from other than a function and values written out is",
            "name the function and write wrt as a number, a name or a tuple of them",
        )
