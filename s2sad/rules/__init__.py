"""The rule table: every function s2sad can differentiate, keyed by qualified name, and every fact
the compiler knows about it, declared once, with its rule.

A rule is registered beside its derivative, as a plain function::

    @adjoint("numpy.multiply", elementwise=True, operator="*", bilinear=True)
    def multiply_adjoint_rule(d_out, out, x1, x2):
        return d_out * x2, d_out * x1

- Parameters: the adjoint of the output first, then the output, then numpy's
  own parameter names. Parameters without a default are the differentiable
  ones: the rule returns one contribution for each (``None`` when the output
  does not depend on it smoothly); parameters with a default are options
  (``axis``, ``keepdims``) and the supported keywords.
- ``keyword_only``: options a call may give only by keyword, where numpy has a
  parameter s2sad does not support before them (``out`` before ``keepdims``:
  ``np.sum(a, 0, None, out)`` must not bind ``keepdims``).
- An option named ``dtype`` is a placeholder the rule ignores: a call may pass
  a floating type written out (``np.float64``, ``float``, ``"float32"``), which
  the derivative does not depend on (the gradient comes back in the argument's
  dtype); any other dtype is refused when the call is bound.
- ``elementwise=True``: the engine sums each contribution down to its
  argument's shape (broadcasting), so the rule need not.
- ``sequences``: parameters that take a literal list of arrays
  (``np.concatenate([a, b])``); their contribution is a sequence, one per item.
  ``whole``: those of them a call may give one array instead, as the sequence
  of its rows, where the contribution is then that array's adjoint
  (``np.array(x, dtype=float)``, ``np.stack(x)``).
- ``variadic``: the sequence parameter a call gives as its remaining positional
  arguments (``np.einsum(subscripts, a, b)``: numpy's ``*operands``); the
  parameters after it are keyword-only.
- ``optional``: differentiable parameters with a default, which a call may
  leave out (``scipy.stats.norm.logpdf(x)``: ``loc=0.0, scale=1.0``); left
  out, the default is a constant. A default of ``None`` means "not given" to
  the function (``np.average``'s weights): the rule tests it, as numpy does.
- ``inactive``: differentiable-position parameters the output depends on but
  no derivative flows through (an index, a shape): their contribution is
  ``None``, and analyse refuses a value that depends on what is differentiated
  there, as it does for every option (a parameter with a default).
- ``examples``: calls the rule tests differentiate against finite differences;
  elementwise rules are also tested over broadcasting shapes automatically.

What the compiler reads about the function, declared in the same decorator:

- ``method``: its ndarray method spellings (``"sum"``, or a ``Method`` for one
  that packs its arguments or copies); ``operator``: the Python operator that
  applies it (``"+"``, ``"unary -"``). Normalize lowers both to the function.
- ``returns``: ``"view"`` (its result shares memory with its first argument),
  ``"view or copy"`` (where the memory layout allows), or ``"new"`` (always a
  new array, which the reverse sweep may update in place).
- ``parts``: the function returns a tuple of several arrays, named as numpy
  names its fields (``("eigenvalues", "eigenvectors")``); with ``named=True``
  (numpy returns a named tuple) normalize lowers ``res.eigenvectors`` to
  ``res[1]``. Its adjoint rule gets ``d_out`` as a
  list, one adjoint per part (zeros for a part nothing reads), and its tangent
  rule returns each term as such a list. ``pieces=True``: it returns a list of
  arrays, as many as the call asks for (``np.split``), treated alike.
- A function may have a second rule for calls that write an option at one
  value (``np.linalg.svd(a, compute_uv=False)`` returns the singular values
  alone): it is registered as a variant, named ``function(option=value)``,
  with that option ``fixed``; a call binds to a variant it matches, else to
  the function's own rule.
- ``fixed``: options supported at one value only, which a call must write out
  (``{"compute_uv": "False"}``: numpy's default would return a tuple).
- ``view_of``: the parameter whose arrays a view lies in, where it is not the
  first (``np.einsum("ii->i", a)`` is a view of an operand, not of the subscripts).
- ``full_reduction=True``: with no axis and no keepdims it reduces to a scalar.
- ``linear``: the function is linear in the parameters named (``True``: all
  its differentiable parameters but the ``inactive`` ones) taken together, and
  does not depend smoothly on its other differentiable parameters. Its tangent
  is derived, not written: the term of a linear parameter ``p`` is the function
  itself applied to ``d_p``, with the other linear parameters ``0.0`` and every
  other argument as given (options passed on by position, keyword-only ones by
  keyword, ``dtype`` left out); the other terms are None. For a function of
  one differentiable parameter that is ``f(d_x, options...)``.
- ``bilinear=True``: linear in each differentiable parameter on its own, the
  others fixed (a product): the term of ``p`` is the function applied to
  ``d_p``, every other argument as given (``d_x1 * x2``, ``np.dot(a, d_b)``).

A rule that declares neither writes its tangent by hand, with ``@tangent``.
Runtime helpers declare their own facts in s2sad.runtime; ``ALLOCATING`` below
joins theirs and the rules'.

Helpers without a derivative are listed with ``zero_derivative`` (piecewise
constant: ``np.floor``, ``len``) or ``inactive_only`` (their arguments must not
depend on what is differentiated: ``np.arange``); either may give a method
spelling too (``x.argmax()``).
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
import sys
from collections.abc import Callable, Mapping


from s2sad import runtime
from s2sad.rules import templates
from s2sad.rules.library import identity, library_object, writes_into_arguments, writes_out
from s2sad.rules.linear import derived_tangent
from s2sad.rules.rule import RETURNS, Binding, Example, Method, Rule, declared_rule, spelling
from s2sad.rules.user import (
    CUSTOM,
    CUSTOM_OBJECTS,
    custom,
    custom_from_source,
    custom_tangent,
    custom_tangent_from_source,
)

__all__ = [
    "ALIASES",
    "ALLOCATING",
    "CONSTANTS",
    "CUSTOM",
    "CUSTOM_OBJECTS",
    "FULL_REDUCTIONS",
    "GUARDS",
    "INACTIVE_ONLY",
    "ITERATION",
    "MAY_COPY",
    "METHOD_SPELLINGS",
    "RULES",
    "TANGENTS",
    "UPDATES",
    "VARIANTS",
    "VIEWS",
    "ZERO_DERIVATIVE",
    "Binding",
    "Example",
    "Method",
    "Rule",
    "adjoint",
    "binding",
    "canonical",
    "constant",
    "custom",
    "custom_from_source",
    "custom_tangent",
    "custom_tangent_from_source",
    "guards",
    "identity",
    "inactive_only",
    "kind",
    "known_names",
    "library_object",
    "lookup",
    "near_misses",
    "objects_by_identity",
    "spelling",
    "tangent",
    "writes_into_arguments",
    "writes_out",
    "zero_derivative",
]

RULES: dict[str, Rule] = {}
VARIANTS: dict[str, list[str]] = {}  # function -> the names of its variant rules, ``svd(compute_uv=False)``
ALIASES: dict[str, str] = {}
ZERO_DERIVATIVE: set[str] = set()
INACTIVE_ONLY: set[str] = set()
GUARDS: set[str] = set()  # run-time checks: a statement of their own, kept as written
# Functions that update an array in place, written as a statement: normalize lowers each to an
# update through an index its runtime helper builds (np.put_along_axis(a, i, v, axis): a[index] = v).
UPDATES: dict[str, str] = {"numpy.put_along_axis": "along_axis_index"}
CONSTANTS: set[str] = set()
# Read only as a for loop's iterable, which normalize turns into indexing.
ITERATION = {"builtins.zip", "builtins.enumerate"}
# ndarray method name -> its spelling, naming the function it calls (rules.syntax reads it).
METHOD_SPELLINGS: dict[str, Method] = {}
# Python's operators ("unary -" for the prefix ones) -> the function each applies.
_OPERATORS = ("+", "-", "*", "/", "**", "@", "%", "unary -", "unary +")


def adjoint(
    name: str,
    *,
    elementwise: bool = False,
    aliases: tuple[str, ...] = (),
    sequences: tuple[str, ...] = (),
    whole: tuple[str, ...] = (),
    keyword_only: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    inactive: tuple[str, ...] = (),
    domain: Mapping[str, str] | None = None,
    examples: tuple[Example, ...] = (),
    method: str | Method | tuple[str | Method, ...] = (),
    operator: str | None = None,
    returns: str | None = None,
    full_reduction: bool = False,
    linear: bool | tuple[str, ...] = False,
    bilinear: bool = False,
    variadic: str | None = None,
    view_of: str | None = None,
    fixed: Mapping[str, str] | None = None,
    parts: tuple[str, ...] = (),
    named: bool = False,
    pieces: bool = False,
) -> Callable[[Callable], Callable]:
    """Register the decorated function as the adjoint rule of ``name``, with what it declares (see above)."""
    declared = {k: v for k, v in locals().items() if k not in ("name", "aliases", "method")}

    def register(function: Callable) -> Callable:
        if name in RULES or name in ALIASES:
            raise ValueError(f"rule for {name} registered twice")
        rule = declared_rule(name, function, **declared)
        _check_declarations(rule)
        _register(rule, aliases, method)
        return function

    return register


def _register(rule: Rule, aliases: tuple[str, ...], method) -> None:
    """Put ``rule`` in the tables, with its derived tangent (``linear``), aliases and method spellings."""
    if "(" in rule.name:
        _register_variant(rule)
    if rule.linear:
        source, derived = derived_tangent(rule)
        rule = dataclasses.replace(rule, tangent_source=source, tangent_function=derived)
    RULES[rule.name] = rule
    ALIASES.update(dict.fromkeys(aliases, rule.name))
    _declare_methods(rule.name, (rule.name, *aliases), method)


def _register_variant(rule: Rule) -> None:
    function, _, written = rule.name.partition("(")
    expected = ", ".join(f"{option}={value}" for option, value in rule.signature.fixed.items())
    if function not in RULES or written != expected + ")":
        raise ValueError(f"{rule.name}: a variant is named function(option=value) after its fixed options")
    VARIANTS.setdefault(function, []).append(rule.name)


def binding(rule: Rule, positional, keywords) -> tuple[Rule, inspect.BoundArguments]:
    """The rule a call binds to (a variant it matches, else ``rule``) and its bound arguments; the
    TypeError of ``rule``'s own binding if it binds to none."""
    for variant in VARIANTS.get(rule.name, ()):
        try:
            return RULES[variant], RULES[variant].signature.bind(*positional, **keywords)
        except TypeError:
            continue
    return rule, rule.signature.bind(*positional, **keywords)


def _check_declarations(rule: Rule) -> None:
    """Refuse what a rule declares about its function that cannot hold, where it is declared."""
    if rule.returns is not None and rule.returns not in RETURNS:
        raise ValueError(f"{rule.name}: returns is one of {', '.join(map(repr, RETURNS))}, not {rule.returns!r}")
    if rule.operator is not None:
        arity = 1 if rule.operator.startswith("unary ") else 2
        if rule.operator not in _OPERATORS or len(rule.differentiable) != arity:
            raise ValueError(f"{rule.name}: operator is one of {', '.join(_OPERATORS)}, on as many operands")
        taken = [other.name for other in RULES.values() if other.operator == rule.operator]
        if taken:
            raise ValueError(f"{rule.name}: the {rule.operator} operator already applies {taken[0]}")
    if rule.full_reduction and not {"axis", "keepdims"} <= set(rule.signature.parameters):
        raise ValueError(f"{rule.name}: a full reduction has the options axis and keepdims")
    if not set(rule.whole) <= set(rule.sequences):
        raise ValueError(f"{rule.name}: whole names sequence parameters")
    if rule.named and not rule.parts:
        raise ValueError(f"{rule.name}: named says its parts are the fields of a named tuple: declare parts")
    if rule.parts and (rule.returns is not None or rule.linear or rule.elementwise or rule.pieces):
        raise ValueError(f"{rule.name}: a function of several parts declares no returns, linear, elementwise, pieces")
    if rule.bilinear and len(rule.linear) != len(rule.differentiable):
        raise ValueError(f"{rule.name}: bilinear in every differentiable parameter, none inactive")


def _declare_methods(name: str, names: tuple[str, ...], method: str | Method | tuple[str | Method, ...]) -> None:
    """Record the method spellings of ``name`` (known also as ``names``): each method names one function."""
    for spelled in method if isinstance(method, tuple) else (method,):
        spelled = Method(spelled) if isinstance(spelled, str) else spelled
        if spelled.name in METHOD_SPELLINGS:
            raise ValueError(f"method .{spelled.name}() declared twice: {METHOD_SPELLINGS[spelled.name].calls}, {name}")
        if spelled.calls is not None and spelled.calls not in names:
            raise ValueError(f"method .{spelled.name}() of {name} calls {spelled.calls}, not one of its names")
        METHOD_SPELLINGS[spelled.name] = dataclasses.replace(spelled, calls=spelled.calls or name)


def tangent(name: str) -> Callable[[Callable], Callable]:
    """Register the decorated function as the tangent (forward-mode) rule of ``name``.

    Written beside the adjoint rule, after it, where the rule declares neither
    ``linear`` nor ``bilinear``. Its parameters: the tangent ``d_<p>`` of each
    differentiable parameter ``p`` (in the adjoint rule's order), then ``out``,
    then the adjoint rule's own parameters (numpy's). It returns one term per
    differentiable parameter (``None`` where there is none); the term for ``p``
    reads no tangent but ``d_p``. The engine adds the terms of the active
    parameters::

        @tangent("numpy.divide")
        def divide_tangent_rule(d_x1, d_x2, out, x1, x2):
            return np.divide(d_x1, x2), np.divide(-out * d_x2, x2)
    """

    def register(function: Callable) -> Callable:
        rule = RULES.get(name)
        if rule is None:
            raise ValueError(f"tangent for {name}: register its adjoint rule first")
        if rule.linear:
            raise ValueError(f"tangent for {name}: derived from what its adjoint declares (linear or bilinear)")
        if rule.tangent_function is not None:
            raise ValueError(f"tangent for {name} registered twice")
        expected = [f"d_{p}" for p in rule.differentiable] + ["out"] + list(rule.signature.parameters)
        actual = list(inspect.signature(function).parameters)
        if actual != expected:
            raise templates.RuleShapeError(f"{function.__name__}: parameters must be {', '.join(expected)}")
        RULES[name] = dataclasses.replace(rule, tangent_function=function)
        return function

    return register


def zero_derivative(*names: str, method: str | Method | tuple[str | Method, ...] = ()) -> None:
    """Helpers piecewise constant in every argument; ``method``: the method spellings of the one named."""
    _declare_helpers(ZERO_DERIVATIVE, names, method)


def inactive_only(*names: str, method: str | Method | tuple[str | Method, ...] = ()) -> None:
    """Helpers whose arguments must not depend on what is differentiated; ``method`` as for zero_derivative."""
    _declare_helpers(INACTIVE_ONLY, names, method)


def _declare_helpers(table: set[str], names: tuple[str, ...], method) -> None:
    if method and len(names) != 1:
        raise ValueError(f"method spellings are declared for one function at a time, not {', '.join(names)}")
    for name in names:
        if kind(name) is not None:
            raise ValueError(f"{name} is in the table twice")
        table.add(name)
        _declare_methods(name, (name,), method)


def guards(*names: str) -> None:
    GUARDS.update(names)


def constant(*names: str) -> None:
    CONSTANTS.update(names)


def canonical(name: str) -> str:
    return ALIASES.get(name, name)


def lookup(name: str) -> Rule | None:
    return RULES.get(canonical(name)) or CUSTOM.get(name)


def kind(name: str) -> str | None:
    """'rule', 'zero_derivative', 'inactive_only', 'guard', 'update', 'constant', 'iteration', or None if unknown."""
    name = canonical(name)
    if name in RULES or name in CUSTOM:
        return "rule"
    for label, names in (
        ("zero_derivative", ZERO_DERIVATIVE),
        ("inactive_only", INACTIVE_ONLY),
        ("guard", GUARDS),
        ("update", UPDATES),
        ("constant", CONSTANTS),
        ("iteration", ITERATION),
    ):
        if name in names:
            return label
    return None


def known_names() -> list[str]:
    """The functions in the table (a variant rule is its function's)."""
    functions = {name for name in RULES if "(" not in name}
    return sorted(
        functions | set(ALIASES) | ZERO_DERIVATIVE | INACTIVE_ONLY | GUARDS | set(UPDATES) | CONSTANTS | ITERATION
    )


def near_misses(name: str) -> list[str]:
    """Up to three names in the table spelled like ``name``, best first: their last parts must be
    alike (``expp``: ``exp``; never ``diag``: ``sign``), and one in another module must be alike as a
    whole or have the same last part (``np.logsumexp``: ``scipy.special.logsumexp``)."""
    module, _, last = name.rpartition(".")
    scored = []
    for candidate in known_names():
        other_module, _, other_last = candidate.rpartition(".")
        alike = difflib.SequenceMatcher(None, last, other_last).ratio()
        if alike < 0.8 or candidate == name:
            continue
        same_module = other_module == module
        if not same_module and alike < 1.0 and difflib.SequenceMatcher(None, name, candidate).ratio() < 0.85:
            continue
        scored.append((alike + (0.1 if same_module else 0.0), candidate))
    return [candidate for _, candidate in sorted(scored, key=lambda pair: (-pair[0], pair[1]))[:3]]


def objects_by_identity(imported_only: bool = False) -> dict[object, str]:
    """identity(object) -> qualified name, for every name in the table that can be imported (whose
    package is imported already, if ``imported_only``: a function a user calls is in a package the
    user's module imported, and scipy stays unimported for those who do not use it)."""
    table: dict[object, str] = {}
    for name in known_names():
        if imported_only and name.partition(".")[0] not in sys.modules:
            continue
        value = library_object(name)
        if value is not None:
            table.setdefault(identity(value), name)
    return table


# The rule families register themselves when imported.
for _family in (
    "elementwise",
    "linalg",
    "reductions",
    "scalar_math",
    "shape",
    "passive",
    "generated",
    "special",
    "statistics",
    "order",
    "assembly",
    "products",
    "decompositions",
    "distributions",
    "location_scale",
    "shaped_distributions",
    "multivariate",
    "factor_solve",
    "builtins",
    "derivatives",
):
    importlib.import_module(f"s2sad.rules.{_family}")

# The tables the engine reads, from what the rules declare (rules.syntax derives the spellings).
TANGENTS: dict[str, Callable] = {name: r.tangent_function for name, r in RULES.items() if r.tangent_function}
# Their result may share memory with their first argument (numpy returns a view)...
VIEWS = {name for name, r in RULES.items() if r.returns in ("view", "view or copy")}
# ... of which these are views where the memory layout allows, copies elsewhere.
MAY_COPY = {name for name, r in RULES.items() if r.returns == "view or copy"}
# Functions and runtime helpers, by their last name, that always return a new array (the rest, like
# np.reshape, may return a view).
ALLOCATING = {name.rpartition(".")[2] for name, r in RULES.items() if r.returns == "new"} | runtime.ALLOCATING
# With no axis (or axis=None) and no keepdims, they reduce an array to a scalar.
FULL_REDUCTIONS = {name for name, r in RULES.items() if r.full_reduction}
