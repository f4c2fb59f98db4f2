"""The Python entry points: grad, value_and_grad, vjp, jvp, jacobian, hvp, hessp, hessian, source.

Each validates its arguments, builds Options, runs the pipeline on the live
function, and returns the generated function itself (so ``inspect.getsource``
shows generated code), or for ``vjp`` a thin adapter to JAX's calling order.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.util
import inspect
import types
import weakref

import numpy as np

from s2sad.backend import cache, emit
from s2sad import compose, pipeline, rules, specialize
from s2sad.rules import templates
from s2sad.runtime import structures
from s2sad.frontend import load
from s2sad.errors import BadArgument, BadRule, Origin, UndecidedRecursion
from s2sad.frontend.source import display_path
from s2sad.options import Kind, Options

Wrt = int | str | tuple[int | str, ...]


def grad(function, wrt: Wrt = 0, target: str = "numpy", checkpoints: int | None = None):
    """The gradient of a scalar-valued ``function`` with respect to the argument(s) ``wrt``.

    ``wrt`` is a position, a parameter name, or a tuple of them (then a tuple of
    gradients is returned). Each gradient has its argument's shape. ``target="numba"``
    compiles it with numba (for loops over numbers; made at the first call for its
    arguments' forms and types: s2sad/backend/numba.py). ``checkpoints=K`` reverses
    every ``for`` loop from at most K snapshots of its state instead of
    taping every iteration (binomial checkpointing: memory for K states, some
    iterations run again); a ``# s2sad: checkpoints=K`` comment on a loop's line
    overrides it for that loop (s2sad/analysis/checkpoints.py).
    """
    return _generate(function, wrt, "grad", target, checkpoints)


def value_and_grad(function, wrt: Wrt = 0, target: str = "numpy", checkpoints: int | None = None):
    """Like ``grad``, but the generated function returns ``(value, gradient)``."""
    return _generate(function, wrt, "value_and_grad", target, checkpoints)


def vjp(function, wrt: Wrt = 0, target: str = "numpy", checkpoints: int | None = None):
    """Vector-Jacobian product: ``vjp(f)(*args, d_out)`` is the adjoint ``d_out`` pulled back to ``wrt``.

    ``d_out`` has the shape of ``f``'s output; ``f`` may return any array. ``checkpoints``: as for ``grad``.
    """
    generated = _generate(function, wrt, "vjp", target, checkpoints)
    seed = list(inspect.signature(generated).parameters)[-1]

    @functools.wraps(generated)
    def pullback(*args, **keywords):
        *primal, d_out = args
        return generated(*primal, **keywords, **{seed: d_out})

    pullback.__s2sad_source__ = generated.__s2sad_source__
    pullback.__s2sad_specialized__ = lambda *args, **keywords: generated.__s2sad_specialized__(
        *args[:-1], **keywords, **{seed: args[-1]}
    )
    return pullback


def jvp(function, wrt: Wrt = 0):
    """Forward mode: ``jvp(f, wrt)(*args, tangent) -> (value, d_value)``, the Jacobian-vector product.

    ``tangent`` has the shape of the ``wrt`` argument (a tuple of them when
    ``wrt`` is a tuple); ``d_value`` has the shape of ``f``'s output.
    """
    generated = _generate(function, wrt, "jvp")
    seeds = list(inspect.signature(generated).parameters)[-(len(wrt) if isinstance(wrt, tuple) else 1) :]

    @functools.wraps(generated)
    def pushforward(*args, **keywords):
        *primal, tangent = args
        tangents = tangent if isinstance(wrt, tuple) else (tangent,)
        return generated(*primal, **keywords, **dict(zip(seeds, tangents, strict=True)))

    pushforward.__s2sad_source__ = generated.__s2sad_source__
    return pushforward


def jacobian(function, wrt: Wrt = 0, mode: str = "reverse"):
    """The Jacobian of ``function`` with respect to ``wrt``: shape ``output.shape + argument.shape``.

    ``mode="reverse"`` pulls back one output component at a time (few outputs),
    ``mode="forward"`` pushes forward one input direction at a time (few
    inputs); both give the same matrix. A tuple ``wrt`` gives a tuple.
    """
    if mode not in ("reverse", "forward"):
        raise BadArgument(f"mode must be 'reverse' or 'forward', not {mode!r}")
    derivative = vjp(function, wrt) if mode == "reverse" else jvp(function, wrt)
    several = isinstance(wrt, tuple)

    def jacobian_of(*args, **keywords):
        names = _parameters(function)
        positions = [names.index(n) for n in _wrt(wrt, names, function.__name__, _where(function))]
        inputs = [args[p] for p in positions]
        for position, x in zip(positions, inputs, strict=True):
            if structures.is_container(x):
                raise BadArgument(
                    f"jacobian of {function.__name__} with respect to '{names[position]}', a {type(x).__name__} of "
                    "arrays, "
                    "is not supported",
                    _where(function),
                    hint="pass its arrays as arguments of their own, or use s2sad.vjp / s2sad.jvp, which take it",
                )
        output = function(*args, **keywords)
        blocks = [np.zeros(np.shape(output) + np.shape(x), dtype=np.result_type(output, x)) for x in inputs]
        if mode == "reverse":
            for index in np.ndindex(np.shape(output)):
                seed = np.zeros_like(output, dtype=blocks[0].dtype)
                seed[index] = 1.0
                rows = derivative(*args, seed, **keywords)
                for block, row in zip(blocks, rows if several else (rows,), strict=True):
                    block[index] = row
        else:
            for argument, (block, x) in enumerate(zip(blocks, inputs, strict=True)):
                for index in np.ndindex(np.shape(x)):
                    directions = [np.zeros(np.shape(y), dtype=block.dtype) for y in inputs]
                    directions[argument][index] = 1.0
                    tangents = [d if np.ndim(y) else float(d) for d, y in zip(directions, inputs, strict=True)]
                    _, column = derivative(*args, tuple(tangents) if several else tangents[0], **keywords)
                    block[(Ellipsis, *index)] = column
        return tuple(blocks) if several else blocks[0]

    jacobian_of.__s2sad_call__ = ("jacobian", function, (), several)
    return jacobian_of


def hvp(function, wrt: Wrt = 0):
    """Hessian-vector product of a scalar ``function``: ``hvp(f, wrt)(*args, v) -> H v``, never forming H.

    ``v`` has the shape of the ``wrt`` argument (a tuple of them when ``wrt`` is
    a tuple; then the result is a tuple too). Generated as the gradient of the
    generated jvp's tangent output (reverse over forward; see s2sad.compose).
    """
    names = _wrt(wrt, _parameters(function), function.__name__, _where(function))
    jvp_function = _generate(function, names if isinstance(wrt, tuple) else names[0], "jvp")
    directions = compose.direction_names(function, names)
    slope = compose.slope(function, jvp_function, names, directions)
    generated = _generate(slope, names if isinstance(wrt, tuple) else names[0], "grad")

    @functools.wraps(generated)
    def product(*args, **keywords):
        *primal, v = args
        return generated(
            *primal, **keywords, **dict(zip(directions, v if isinstance(wrt, tuple) else (v,), strict=True))
        )

    product.__s2sad_call__ = ("hvp", function, names, isinstance(wrt, tuple))
    return product


def hessp(function, wrt: int | str = 0):
    """The Hessian-vector product in scipy's order: ``hessp(f)(x, p, *args) -> H p``, never forming H.

    ``p`` comes right after the ``wrt`` argument: ``hessp(x, p, *args)`` is how
    ``scipy.optimize.minimize`` calls its ``hessp=`` (``hvp`` takes the vector
    last, so with ``args=`` it would take an extra argument for the vector);
    ``hessp(f, wrt=1)(a, x, p, *rest)``. The arguments up to ``p`` are passed by
    position. ``wrt`` is one argument (scipy differentiates one array): for
    several, use ``hvp``.
    """
    names = _parameters(function)
    hint = "hessp differentiates one positional argument, as scipy does; for several use s2sad.hvp(f, wrt=(...))"
    if isinstance(wrt, tuple):
        raise BadArgument(f"hessp takes one wrt argument, not {wrt!r}", _where(function), hint=hint)
    (name,) = _wrt(wrt, names, function.__name__, _where(function))
    parameter = inspect.signature(function).parameters[name]
    if parameter.kind not in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
        raise BadArgument(f"hessp: {name} is keyword-only, so p cannot follow it", _where(function), hint=hint)
    position = names.index(name)
    product = hvp(function, name)

    @functools.wraps(product)
    def product_in_scipy_order(*args, **keywords):
        if len(args) < position + 2:
            raise BadArgument(
                f"hessp of {function.__name__} takes its arguments up to {name}, then p, by position "
                f"({', '.join([*names[: position + 1], 'p', *names[position + 1 :]])}); got {len(args)} positional",
                _where(function),
            )
        return product(*args[: position + 1], *args[position + 2 :], args[position + 1], **keywords)

    product_in_scipy_order.__s2sad_call__ = ("hessp", function, (name,), False)
    return product_in_scipy_order


def hessian(function, wrt: Wrt = 0):
    """The Hessian of a scalar ``function``: ``hessian(f, wrt)(*args)``, shape ``x.shape + x.shape``.

    One Hessian-vector product per input direction (``hvp``). A tuple ``wrt``
    gives a tuple of rows of blocks: ``H[i][j]`` has shape ``x_i.shape + x_j.shape``.
    """
    product = hvp(function, wrt)
    names = _wrt(wrt, _parameters(function), function.__name__, _where(function))
    positions = [_parameters(function).index(name) for name in names]
    hessian_of = compose.hessian_from_products(product, positions, isinstance(wrt, tuple))
    hessian_of.__s2sad_call__ = ("hessian", function, names, isinstance(wrt, tuple))
    return hessian_of


def source(function, *args, **keywords) -> str:
    """The source of the module s2sad generated for ``function`` (a result of grad, vjp, ...): the
    derivative for any arguments, or, given arguments, the one specialized to them (s2sad/specialize.py)."""
    text = getattr(function, "__s2sad_source__", None)
    if text is None:
        raise BadArgument(
            f"{getattr(function, '__name__', function)!r} was not generated by s2sad",
            hint="pass a function s2sad.grad, value_and_grad or vjp returned (or a decorated function's .grad)",
        )
    if args or keywords:
        return function.__s2sad_specialized__(*args, **keywords).__s2sad_source__
    return text


def differentiable(function=None, *, wrt: Wrt = 0, target: str = "numpy", checkpoints: int | None = None):
    """Decorator: generate the derivatives of ``function`` when it is defined, and attach them.

    The function itself is returned unchanged, carrying ``.grad``,
    ``.value_and_grad``, ``.vjp`` and ``.jvp`` (as ``s2sad.grad(function, wrt)``
    and so on; all but ``.grad`` are generated on first use) and ``.source``
    (the gradient's generated module). An unsupported construct fails here, at
    import, with its location. Generated modules are
    cached on disk (see s2sad.backend.cache), so the next import is fast. Functions it
    calls must be defined before it.

        @s2sad.differentiable(wrt=("w", "b"))
        def loss(w, b, x, y): ...

        dw, db = loss.grad(w, b, x, y)

    ``target="numba"`` compiles ``.grad``, ``.value_and_grad`` and ``.vjp`` with numba (``.jvp``
    stays numpy code); ``.source`` is then the numpy gradient for any arguments. ``checkpoints=K``
    checkpoints the loops of ``.grad``, ``.value_and_grad`` and ``.vjp`` (see ``grad``).
    """
    if function is None:
        return functools.partial(differentiable, wrt=wrt, target=target, checkpoints=checkpoints)
    function.grad = grad(function, wrt, target, checkpoints)
    reverse = {"target": target, "checkpoints": checkpoints}
    function.value_and_grad = _OnFirstUse(functools.partial(value_and_grad, **reverse), function, wrt)
    function.vjp = _OnFirstUse(functools.partial(vjp, **reverse), function, wrt)
    function.jvp = _OnFirstUse(jvp, function, wrt)
    function.source = source(function.grad)
    return function


class _OnFirstUse:
    """A derivative generated when first called (or looked at): the decorator makes ``.grad`` at
    once, which finds any construct s2sad refuses, and leaves the others to the code that uses them."""

    def __init__(self, make, function, wrt: Wrt):
        self._make, self._function, self._wrt = make, function, wrt
        self._made = None

    def _generated(self):
        if self._made is None:
            self._made = self._make(self._function, self._wrt)
        return self._made

    def __call__(self, *args, **keywords):
        return self._generated()(*args, **keywords)

    def __getattr__(self, name: str):
        return getattr(self._generated(), name)  # __s2sad_source__, __name__, __doc__ ...


def rule(function=None, *, elementwise: bool = False):
    """Decorator: give the derivative of your own function, which s2sad then treats as a primitive.

    The function stays as it is; its ``.adjoint`` decorator takes the adjoint
    rule, written as s2sad's own rules are (s2sad/rules/): the output's adjoint
    ``d_out``, the output ``out``, then the function's parameters; it returns
    one contribution per parameter without a default (``None`` where there is
    none). Its ``.tangent`` decorator, after it, takes the tangent rule that
    forward mode (``jvp``, ``hvp``, ``hessian``) needs: the tangent ``d_<p>`` of
    each parameter without a default (``None`` when that argument has none in
    a call; test it with ``is None``, decided when the code is generated), the
    output, then the adjoint rule's parameters; it returns the output's tangent.
    Both may use numpy as ``np``, ``math``, and their module's globals.
    ``elementwise=True`` broadcasts contributions and tangents like numpy does
    (an adjoint is summed down to its argument's shape).

        @s2sad.rule(elementwise=True)
        def erf(x):
            return scipy.special.erf(x)

        @erf.adjoint
        def erf_adjoint(d_out, out, x):
            return d_out * (2.0 / math.sqrt(math.pi)) * np.exp(-x * x)

        @erf.tangent
        def erf_tangent(d_x, out, x):
            return d_x * (2.0 / math.sqrt(math.pi)) * np.exp(-x * x)
    """
    if function is None:
        return functools.partial(rule, elementwise=elementwise)

    def adjoint(adjoint_function):
        with _located(adjoint_function):
            rules.custom(function, adjoint_function, elementwise)
        return adjoint_function

    def tangent(tangent_function):
        with _located(tangent_function):
            rules.custom_tangent(function, tangent_function)
        return tangent_function

    function.adjoint = adjoint
    function.tangent = tangent
    return function


@contextlib.contextmanager
def _located(rule_function):
    """A rule s2sad cannot use is refused where it is written."""
    try:
        yield
    except templates.RuleShapeError as error:
        raise BadRule(
            str(error), _where(rule_function), hint="write it as s2sad.rule's docstring and README.md show"
        ) from None


def _generate(function, wrt: Wrt, kind: Kind, target: str = "numpy", checkpoints: int | None = None):
    if not isinstance(function, types.FunctionType):
        return pipeline.compile_unit(load.from_function(function), Options(kind=kind)).compiled  # raises
    if hasattr(function, "__s2sad_derivative__"):
        # A generated gradient g = grad(f, x): its gradient is that of the slope of f along 1.0.
        compose.refuse_derivative_of(function, kind)
        _, original, (name,), _ = function.__s2sad_derivative__
        function = compose.slope(original, _generate(original, name, "jvp"), (name,), None)
    names = _wrt(wrt, _parameters(function), function.__name__, _where(function))
    options = Options(
        kind=kind,
        wrt=names,
        wrt_tuple=isinstance(wrt, tuple),
        mode="forward" if kind == "jvp" else "reverse",
        checkpoints=_checkpoints(checkpoints, target, function),
    )
    # For numba, too: the derivative for any arguments finds what s2sad refuses, now, located.
    try:
        generic = _compiled(function, options)
    except UndecidedRecursion:
        if kind not in ("grad", "value_and_grad"):
            raise
        generic = specialize.undecided(function, options)  # each call's shapes may decide where it stops
    options = dataclasses.replace(options, target=_target(target, kind, function))
    generated = specialize.specializing(function, generic, options, _compiled)
    generated.__s2sad_derivative__ = (kind, function, names, isinstance(wrt, tuple))
    generated.__s2sad_call__ = generated.__s2sad_derivative__  # what a call of it computes (s2sad.nested)
    return generated


def _checkpoints(checkpoints, target: str, function) -> int | None:
    if checkpoints is None:
        return None
    if isinstance(checkpoints, bool) or not isinstance(checkpoints, int) or checkpoints < 0:
        raise BadArgument(
            f"checkpoints must be a whole number of snapshots (0: loops taped whole), not {checkpoints!r}",
            _where(function),
        )
    if checkpoints and target != "numpy":
        raise BadArgument(f"the {target} target does not checkpoint loops", _where(function), hint="use target='numpy'")
    return checkpoints


def _target(target: str, kind: Kind, function) -> str:
    if target not in ("numpy", "numba"):
        raise BadArgument(f"target must be 'numpy' or 'numba', not {target!r}", _where(function))
    if target == "numba":
        if kind == "jvp":
            raise BadArgument("the numba target makes reverse-mode derivatives only", _where(function))
        if importlib.util.find_spec("numba") is None:
            raise BadArgument(
                "target='numba' needs numba, which is not installed",
                _where(function),
                hint="pip install 's2sad[numba]', or use target='numpy' (the default)",
            )
    return target


# Derivatives made in this process, by function and options: s2sad.grad(f) called again (in a loop, or
# inside a differentiated function) reuses one while the disk cache would: same key, same files inlined.
_MADE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled(function, options: Options):
    key = cache.key(function, options)
    made = _MADE.get(function, {}).get(options)
    if made is not None and key is not None and made[0] == key and cache.unchanged(made[1]):
        return made[2]
    generated, records = _from_cache(function, options)
    if generated is None:
        unit = pipeline.compile_unit(load.from_function(function), options)
        records = None if unit.foreign else cache.dependency_records(unit.dependencies)
        if records is not None:  # (globals of other modules are found through their live functions)
            cache.store(function, options, unit.source, unit.dependencies)
        generated = unit.compiled
    if key is not None and records is not None:
        _MADE.setdefault(function, {})[options] = (key, records, generated)
    return generated


def _from_cache(function, options: Options):
    """The derivative from the on-disk cache and the files its entry records, or (None, None). An entry
    that does not compile (damaged on disk, edited) is not trusted: the derivative is generated again
    and the entry replaced."""
    cached = cache.load(function, options)
    if cached is None:
        return None, None
    source, records = cached
    name = f"{options.kind}_{function.__name__}"
    try:
        if options.target == "numba":
            from s2sad.backend import numba_module

            return numba_module.load(source, name, display_path(function.__code__.co_filename)), records
        return emit.compile_source(source, name, load.live_namespace(function)), records
    except Exception:
        return None, None


def _where(function) -> Origin:
    return Origin(display_path(function.__code__.co_filename), function.__code__.co_firstlineno, 0)


def _parameters(function) -> list[str]:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in inspect.signature(function).parameters.values() if p.kind in kinds]


def wrt_names(wrt: Wrt, unit) -> tuple[str, ...]:
    """Parameter names of the unit's function for ``wrt`` given as positions and/or names."""
    params = unit.function.params
    parameters = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    start = unit.positions[unit.function.name].start
    return _wrt(wrt, parameters, unit.name, Origin(unit.path, start.line, start.column))


def _wrt(wrt: Wrt, parameters: list[str], name: str, where: Origin | None = None) -> tuple[str, ...]:
    hint = f"wrt takes positions or names of {name}'s parameters ({', '.join(parameters)}), or a tuple of them"
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    if not items:
        raise BadArgument("wrt is empty: name at least one argument to differentiate with respect to", where, hint=hint)
    names = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise BadArgument(f"wrt must hold argument positions or names, not {item!r}", where, hint=hint)
        if isinstance(item, int):
            if not -len(parameters) <= item < len(parameters):
                raise BadArgument(
                    f"wrt={item} is out of range: {name} takes {len(parameters)} arguments", where, hint=hint
                )
            item = parameters[item]
        elif item not in parameters:
            raise BadArgument(f"wrt={item!r} is not a parameter of {name} ({', '.join(parameters)})", where, hint=hint)
        if item in names:
            raise BadArgument(f"wrt names '{item}' twice", where, hint=hint)
        names.append(item)
    return tuple(names)
