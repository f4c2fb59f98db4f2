"""The derivatives of s2sad's own derivatives, for a differentiated function that calls one
(``s2sad.grad(f)(x)``, a decorated function's ``.grad``, a gradient made above it).

Such a call is a primitive of the outer derivative (``_rt.call_derivative``, one call per part of
what it returns). Each part is the value or a gradient of a scalar function ``F`` of the call's
arguments: ``F`` is ``f`` for grad and value_and_grad; for ``vjp(f)(x, w)`` it is
``sum(f(x) * w)``. For the gradient part ``dF/dW`` (W one wrt argument) and a float argument
``a``:

- its adjoint for the cotangent ``u`` is ``d/da <dF/dW, u>``: the gradient in every float argument
  of the slope of ``F`` along ``u`` in ``W``;
- its tangent along ``t`` is ``d/dW <dF/da, t>``: the gradient in ``W`` of the slope of ``F`` along
  ``t`` in the float arguments.

Both are reverse over forward, as ``s2sad.hvp`` (s2sad.compose): each derivative has its own
generated function and its own names, so an inner and an outer derivative never share a
perturbation. The value part's adjoint is ``u`` times the gradient of ``F``, its tangent the jvp.
Derivatives of these (a Hessian of a function that calls s2sad.grad) are not made: their rules'
helpers have no rules of their own, and s2sad refuses them where they are needed.
"""

from __future__ import annotations

import inspect
import weakref

import numpy as np

from s2sad import api, compose
from s2sad.backend import emit
from s2sad.errors import BadArgument
from s2sad.frontend import load
from s2sad.runtime.derivatives import call_derivative


def parts(kind: str, wrt_count: int, wrt_tuple: bool) -> list[tuple[int, ...]]:
    """The paths of the arrays a derivative of ``kind`` returns: ``()`` for a single array."""
    gradients = [(k,) for k in range(wrt_count)] if wrt_tuple else [()]
    if kind == "value_and_grad":
        return [(0,)] + [(1, *path) for path in gradients]
    return gradients


def adjoint(d_out, derivative, part: tuple[int, ...], arguments: tuple) -> list:
    """The contributions to ``arguments`` of the part ``part`` of ``derivative(*arguments)`` for its
    adjoint ``d_out`` (None for an argument that is not a float)."""
    scalar, wrt, is_value = _meaning(derivative, part)
    floats = _floats(arguments)
    if not floats:
        return [None] * len(arguments)
    if is_value:
        gradients = _gradient(scalar, floats)(*arguments)
        return _spread(arguments, floats, [d_out * g for g in gradients])
    (direction,) = compose.direction_names(scalar, (wrt,))
    gradients = _slope_gradient(scalar, (wrt,), floats)(*arguments, **{direction: d_out})
    return _spread(arguments, floats, gradients)


def tangent(derivative, part: tuple[int, ...], tangents, arguments: tuple):
    """The tangent of the part ``part`` of ``derivative(*arguments)`` along ``tangents``, one per argument
    (zeros, or None, for an argument without one)."""
    scalar, wrt, is_value = _meaning(derivative, part)
    moving = tuple(
        position for position in _floats(arguments) if tangents[position] is not None and np.any(tangents[position])
    )
    if not moving:
        return np.zeros_like(call_derivative(derivative, part, *arguments))
    names = _names(scalar, moving)
    directions = compose.direction_names(scalar, names)
    along = {d: tangents[p] for d, p in zip(directions, moving, strict=True)}
    if is_value:
        return _slope(scalar, names)(*arguments, **along)
    (gradient,) = _slope_gradient(scalar, names, (_position(scalar, wrt),))(*arguments, **along)
    return gradient


def _meaning(derivative, part: tuple[int, ...]):
    """(F, the wrt name of a gradient part or None, whether the part is F's value)."""
    kind, function, names, _ = derivative.__s2sad_call__
    scalar = _contracted(function) if kind == "vjp" else function
    if kind == "value_and_grad":
        if part == (0,):
            return scalar, None, True
        part = part[1:]
    return scalar, names[part[0]] if part else names[0], False


def _floats(arguments: tuple) -> tuple[int, ...]:
    """Positions of the arguments a derivative can be taken in: floats and float arrays."""
    for value in arguments:
        if isinstance(value, (list, tuple, dict)):
            raise BadArgument(
                f"the derivative of a derivative called with a {type(value).__name__} argument is not supported",
                hint="pass arrays and numbers to the derivative you call inside the differentiated function",
            )
    return tuple(
        position
        for position, value in enumerate(arguments)
        if isinstance(value, float) or np.issubdtype(getattr(value, "dtype", np.dtype(object)), np.floating)
    )


def _spread(arguments: tuple, positions: tuple[int, ...], values) -> list:
    contributions = [None] * len(arguments)
    for position, value in zip(positions, values, strict=True):
        contributions[position] = value
    return contributions


def _names(function, positions: tuple[int, ...]) -> tuple[str, ...]:
    parameters = list(inspect.signature(function).parameters)
    return tuple(parameters[p] for p in positions)


def _position(function, name: str) -> int:
    return list(inspect.signature(function).parameters).index(name)


def _gradient(function, positions: tuple[int, ...]):
    """``function``'s gradient in the arguments at ``positions``, as a tuple."""
    return _made(function, ("grad", positions), lambda: api.grad(function, wrt=positions))


def _slope_gradient(function, along: tuple[str, ...], positions: tuple[int, ...]):
    """The gradient, in the arguments at ``positions`` (a tuple), of the slope of ``function`` along
    directions in ``along``, given as keyword arguments named by compose.direction_names."""

    slope = _slope(function, along)
    return _made(function, ("slope gradient", along, positions), lambda: api.grad(slope, wrt=positions))


def _slope(function, along: tuple[str, ...]):
    """The slope of ``function`` along directions in ``along`` (keyword arguments, compose.direction_names)."""

    def make():
        jvp_function = api._generate(function, along, "jvp")
        return compose.slope(function, jvp_function, along, compose.direction_names(function, along))

    return _made(function, ("slope", along), make)


_MADE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _made(function, key: tuple, make):
    """Each derivative made once per function (a gradient called in a loop is generated once)."""
    made = _MADE.setdefault(function, {})
    if key not in made:
        made[key] = make()
    return made[key]


def _contracted(function):
    """``F(*args, w) = sum(function(*args) * w)``, whose gradient is vjp(function)(*args, w); made once."""
    return _made(function, ("contracted",), lambda: _contraction(function))


def _contraction(function):
    parameters = list(inspect.signature(function).parameters)
    (seed,) = compose.direction_names(function, ("w",))
    name = f"contracted_{function.__name__}"
    text = (
        f"def {name}({', '.join([*parameters, seed])}):\n"
        f'    """{function.__name__} contracted with {seed}: its gradient is the vjp of {function.__name__}."""\n'
        f"    return _np.sum({function.__name__}({', '.join(parameters)}) * {seed})\n"
    )
    namespace = load.live_namespace(function).new_namespace()
    namespace.update({function.__name__: function, "_np": np})
    return emit.compile_source(text, name, namespace)
