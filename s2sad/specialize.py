"""Specialization: the derivative generated for what a call tells about its arguments.

``s2sad.grad(f)`` generates a derivative that works for any arguments (the one the CLI prints and
``s2sad.source`` shows). Its result is a thin function that looks, at each call, at what decides
the code: which differentiated arguments are containers of arrays, of which form
(runtime.structures.structure_of), and how many axes each argument has (a number has none) and
which of them have length one. It
calls the derivative generated for those facts: for a container, made at the first call with it;
for ranks, at the second (a derivative called once is not worth generating twice); cached on disk
like any other. Knowing that ``theta`` is a vector makes ``theta[0]`` a number: the generated
code then needs no unbroadcasting, no shapes on the tape.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect

import numpy as np

from s2sad.options import Options
from s2sad.runtime import structures


def specializing(function, generated, options: Options, compiled):
    """``generated`` (for any arguments), and for each call the derivative ``compiled(function,
    options)`` makes for that call's facts, made once per set of facts (see the module's text)."""
    parameters = [
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    differentiated = set(options.wrt)
    typed = options.target != "numpy"  # a compiled target: every call's derivative is made for its types
    exact = hasattr(generated, "__s2sad_undecided__")  # ... or for its arguments' shapes (undecided)
    # Ranks matter only where the code for any arguments unbroadcasts, keeps shapes or multiplies matrices.
    ranked = typed or exact or any(helper in generated.__s2sad_source__ for helper in _RANKED_HELPERS)
    made = {} if typed or exact else {((), (), (), ()): generated}
    once: set = set()  # ranks called with once: the code for any arguments served them

    def key_of(args, keywords) -> tuple:
        forms, ranks, kinds = [], [], []
        for name, value in zip(parameters, args, strict=False):
            _facts(name, value, name in differentiated, forms, ranks, kinds)
        for name, value in keywords.items():
            _facts(name, value, name in differentiated, forms, ranks, kinds)
        named = [*zip(parameters, args, strict=False), *keywords.items()]
        lengths = tuple((name, value.shape) for name, value in named if type(value) is np.ndarray) if exact else ()
        return tuple(forms), tuple(ranks) if ranked else (), tuple(kinds) if typed else (), lengths

    def specialized(key: tuple):
        if key not in made:
            facts = {"structures": key[0], "shapes": key[1], "kinds": key[2], "lengths": key[3]}
            made[key] = compiled(function, dataclasses.replace(options, **facts))
        return made[key]

    # Positional arguments' shapes and dtypes, or types -> the derivative they get, once it is chosen
    # for good: the next calls with such arguments look no further (a call costs microseconds).
    chosen: dict[tuple, object] = {}

    @functools.wraps(generated)
    def derivative(*args, **keywords):
        if not keywords:
            seen = tuple([(a.shape, a.dtype.char) if type(a) is np.ndarray else type(a) for a in args])
            found = chosen.get(seen)
            if found is not None:
                return found(*args)
        key = key_of(args, keywords)
        found = made.get(key)
        if found is None and not key[0] and key not in once and not typed and not exact:
            once.add(key)  # a derivative called once is not worth generating twice
            return generated(*args, **keywords)
        found = found or specialized(key)
        if not keywords and not key[0]:  # (a container's form is more than its type)
            chosen[seen] = found
        return found(*args, **keywords)

    # What s2sad.source(derivative, *args) shows: the derivative these arguments get from the second call.
    derivative.__s2sad_specialized__ = lambda *args, **keywords: specialized(key_of(args, keywords))
    return derivative


_RANKED_HELPERS = ("unbroadcast(", "shape_of(", "matmul_adjoint_")


def undecided(function, options: Options):
    """What stands for the derivative for any arguments where there is none: ``function`` recurses
    until a test on its arguments' shapes, so each call's derivative is made for their shapes."""
    name = f"{options.kind}_{function.__name__}"

    def derivative(*args, **keywords):
        raise AssertionError("never called: specializing makes the derivative for each call's shapes")

    derivative.__name__ = derivative.__qualname__ = name
    derivative.__signature__ = inspect.signature(function)
    derivative.__s2sad_undecided__ = True
    derivative.__s2sad_source__ = (
        f"# No {name} for any arguments: {function.__name__} recurses until a test on its arguments' shapes,\n"
        f"# so s2sad makes one for the shapes of each call. s2sad.source({name}, *args) shows the one for args.\n"
    )
    return derivative


def _facts(name: str, value, differentiated: bool, forms: list, ranks: list, kinds: list) -> None:
    kind = type(value)
    if kind is np.ndarray:
        if value.dtype.kind in "biuf":  # an array of objects may hold arrays: x[i] is no number then
            ranks.append((name, value.ndim, tuple(axis for axis, n in enumerate(value.shape) if n == 1)))
            kinds.append((name, "i" if value.dtype.kind == "u" else value.dtype.kind))
    elif kind is float or kind is int or (isinstance(value, np.number) and not isinstance(value, np.complexfloating)):
        ranks.append((name, 0, ()))
        kinds.append((name, "f" if kind is float or isinstance(value, np.floating) else "i"))
    elif differentiated and structures.is_container(value):
        forms.append((name, structures.structure_of(value)))
