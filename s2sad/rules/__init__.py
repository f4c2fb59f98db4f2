"""The rule table: every function s2sad can differentiate, keyed by qualified name.

A rule is registered beside its derivative, as a plain function::

    @adjoint("numpy.multiply", elementwise=True)
    def multiply_adjoint(d_out, out, x1, x2):
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
- ``inactive``: differentiable-position parameters the output depends on but
  no derivative flows through (an index, a shape): their contribution is
  ``None``, and analyse refuses a value that depends on what is differentiated
  there, as it does for every option (a parameter with a default).
- ``examples``: calls the rule tests differentiate against finite differences;
  elementwise rules are also tested over broadcasting shapes automatically.

Helpers without a derivative are listed with ``zero_derivative`` (piecewise
constant: ``np.floor``, ``len``) or ``inactive_only`` (their arguments must not
depend on what is differentiated: ``np.arange``).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
from collections.abc import Callable, Mapping

import libcst as cst
import libcst.matchers as m
import numpy as np

from s2sad import templates
from s2sad.errors import BadRule, NoRule, Origin


@dataclasses.dataclass(frozen=True)
class Example:
    """A call for the rule tests: ``call`` uses ``np``/``math`` and the argument names in ``shapes``.

    ``call`` may start with statements, separated by "; ": the last part is returned.

    ``domain`` gives, per argument, where inputs are drawn: "real" (-2, 2),
    "positive" (0.2, 2), "negative" (-2, -0.2), "unit" (-0.9, 0.9), "nonzero"
    (magnitude 0.2..2), "above1" (1.2, 3), "bool" (True/False), or "spd"
    (symmetric positive definite, well conditioned). A shape of ``None`` means
    a Python float.
    """

    call: str
    shapes: Mapping[str, tuple[int, ...] | None]
    domain: Mapping[str, str] = dataclasses.field(default_factory=dict)


class Binding(inspect.Signature):
    """How a call binds to a rule (its arguments are expressions): refuses a dtype that is not floating."""

    __slots__ = ()

    def bind(self, *args, **kwargs):
        bound = super().bind(*args, **kwargs)
        dtype = bound.arguments.get("dtype")
        if dtype is not None and not _floating_dtype(dtype):
            raise TypeError("a dtype other than a floating type written out, like np.float64 or 'float32'")
        return bound


def _floating_dtype(node: cst.BaseExpression) -> bool:
    """Whether a dtype argument, as written, names a floating type: None, float, np.float32, 'f8'."""
    if isinstance(node, cst.Name):
        return node.value in ("None", "float")
    if isinstance(node, cst.Attribute):
        spelled = node.attr.value
    elif isinstance(node, cst.SimpleString):
        spelled = node.evaluated_value
    else:
        return False
    try:
        return np.issubdtype(np.dtype(getattr(np, spelled, spelled)), np.floating)
    except (TypeError, ValueError):
        return False


@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    signature: inspect.Signature
    differentiable: tuple[str, ...]
    function: Callable = dataclasses.field(repr=False)  # the adjoint rule as written
    elementwise: bool
    sequences: tuple[str, ...]
    domain: Mapping[str, str]
    examples: tuple[Example, ...]

    custom: bool = False  # a user's rule: its body may read its module's globals
    source: str | None = None  # a user's rule read from a file (function is None then)
    module: str | None = None  # ... and the module it is in, for its globals
    # Parameters without a derivative that must not depend on what is differentiated (an index, a shape).
    inactive: tuple[str, ...] = ()
    # A user's tangent rule (``@f.tangent``), as written or as read from a file (see ``tangent_terms``).
    tangent_function: Callable | None = dataclasses.field(default=None, repr=False)
    tangent_source: str | None = dataclasses.field(default=None, repr=False)

    @functools.cached_property
    def adjoint(self) -> templates.Template:
        """The rule parsed into a template (on first use: importing s2sad stays quick)."""
        if self.function is None:
            return templates.parse_source(self.source, f"rule {self.name}", len(self.differentiable), True)
        return templates.parse(self.function, len(self.differentiable), free_globals=self.custom)

    @functools.cached_property
    def tangent(self) -> templates.Template | None:
        """The forward-mode rule parsed into a template; None if the rule has none yet."""
        if self.custom:
            return self._custom_tangent()
        function = TANGENTS.get(self.name)
        if function is None:
            return None
        template = templates.parse(function, len(self.differentiable))
        for index, parameter in enumerate(self.differentiable):
            # The engine binds the tangents of the other parameters to None (see tangent_terms).
            others = template.reads(index) & {f"d_{p}" for p in self.differentiable if p != parameter}
            if others:
                raise templates.RuleShapeError(
                    f"{template.name}: the term for {parameter} reads {', '.join(sorted(others))}; "
                    "each term reads no tangent but its own"
                )
        return template

    def _custom_tangent(self) -> templates.Template | None:
        returns = "the output's tangent"
        if self.tangent_function is not None:
            template = templates.parse(self.tangent_function, 1, free_globals=True, returns=returns)
        elif self.tangent_source is not None:
            template = templates.parse_source(self.tangent_source, f"tangent rule of {self.name}", 1, True, returns)
        else:
            return None
        expected = self.tangent_parameters()
        if list(template.params) != expected:
            raise templates.RuleShapeError(
                f"{template.name}: a tangent rule's parameters are {', '.join(expected)}: the tangents of "
                f"the parameters without a default, the output, then the adjoint rule's parameters"
            )
        with_defaults = [p for p in self.signature.parameters if p in template.defaults]
        if with_defaults != [p.name for p in self.signature.parameters.values() if p.default is not p.empty]:
            raise templates.RuleShapeError(
                f"{template.name}: give the same parameters defaults as the adjoint rule does"
            )
        if template.results[0] is None:
            raise templates.RuleShapeError(
                f"{template.name}: returns None; a tangent rule returns the output's tangent"
            )
        return template

    def tangent_parameters(self) -> list[str]:
        """A tangent rule's parameters: ``d_<p>`` for each differentiable ``p``, ``out``, then the rule's own."""
        return [f"d_{p}" for p in self.differentiable] + ["out", *self.signature.parameters]

    def tangent_terms(
        self, present: tuple[str, ...], origin: Origin | None
    ) -> tuple[templates.Template, tuple[int, ...]]:
        """The tangent rule for a call in which the parameters ``present`` have tangents, and which of
        its results add up to the output's tangent.

        s2sad's own rules return one term per parameter, reading only its own tangent, so the terms
        of ``present`` are wanted. A user's rule returns the output's whole tangent, given ``None``
        for a parameter with no tangent; its tests against None are decided here, and reading a
        tangent that is None is refused (at ``origin``, the call).
        """
        template = self.tangent
        short = self.name.rpartition(".")[2]
        if template is None:  # s2sad's own rules all have one (tests/test_tangents.py)
            raise NoRule(
                f"no tangent rule for '{short}' ({self.name}): forward-mode derivatives "
                "(jvp, hvp, hessian, --mode forward) need one",
                origin,
                hint=f"give it one beside its adjoint: @{short}.tangent on "
                f"def {short}_tangent({', '.join(self.tangent_parameters())}), returning the output's tangent",
            )
        if not self.custom:
            return template, tuple(self.differentiable.index(p) for p in present)
        none = frozenset(f"d_{p}" for p in self.differentiable if p not in present)
        template = templates.decide_none_tests(template, none, frozenset(f"d_{p}" for p in present))
        unknown = sorted(template.reads(0) & none)
        if unknown:
            raise BadRule(
                f"the tangent rule of '{short}' reads {', '.join(unknown)}, which is None in this call "
                f"({', '.join(u.removeprefix('d_') for u in unknown)} has no tangent here)",
                origin,
                hint=f"test it in the rule: 0.0 if {unknown[0]} is None else ... (s2sad decides such tests "
                "when it writes the code)",
            )
        if m.matches(template.results[0], m.Name("None")):
            raise BadRule(
                f"the tangent rule of '{short}' returns None in this call, where {', '.join(present)} "
                f"{'has a tangent' if len(present) == 1 else 'have tangents'}",
                origin,
                hint="return the output's tangent; 0.0 stands for the term of a parameter whose tangent is None",
            )
        return template, (0,)

    @property
    def spelling(self) -> str:
        """How generated code calls it: ``np.exp``, ``math.exp``, ``float``."""
        return spelling(self.name)


def spelling(name: str) -> str:
    module, _, rest = name.partition(".")
    if module == "numpy":
        return "np." + rest
    if module == "builtins":
        return rest
    if name.startswith("s2sad.runtime."):
        return "_rt." + name.removeprefix("s2sad.runtime.")
    return name


RULES: dict[str, Rule] = {}
CUSTOM: dict[str, Rule] = {}  # rules users give for their own functions (s2sad.rule)
ALIASES: dict[str, str] = {}
ZERO_DERIVATIVE: set[str] = set()
INACTIVE_ONLY: set[str] = set()
CHECKS: set[str] = set()  # run-time checks: a statement of their own, kept as written
CONSTANTS: set[str] = set()
# Their result may share memory with their first argument (numpy returns a view).
VIEWS = {
    "operator.getitem",
    "numpy.atleast_1d",
    "s2sad.runtime.column",
    "numpy.transpose",
    "numpy.reshape",
    "numpy.ravel",
    "numpy.squeeze",
    "numpy.expand_dims",
    "numpy.broadcast_to",
    "s2sad.runtime.reseen",
}
# Views where the memory layout allows, copies elsewhere.
MAY_COPY = {"numpy.reshape", "numpy.ravel"}
# Functions and runtime helpers, by their last name, that always return a new array (the rest, like
# np.reshape, may return a view).
ALLOCATING = {
    "where",
    "outer",
    "solve",
    "inv",
    "zeros_like",
    "copy",
    "take",
    "unreduce",
    "mean_adjoint",
    "extremum_adjoint",
    "prod_adjoint",
    "getitem_adjoint",
    "matmul_adjoint_left",
    "matmul_adjoint_right",
    "dot_adjoint_left",
    "dot_adjoint_right",
    "inner_adjoint_left",
    "inner_adjoint_right",
    "norm_adjoint",
    "solve_adjoint_matrix",
    "add_lists",
    "as_list",
    "sum_adjoint",
    "getitem_matmul_adjoint",
}
# With no axis (or axis=None) and no keepdims, they reduce an array to a scalar.
FULL_REDUCTIONS = {"numpy.sum", "numpy.mean", "numpy.max", "numpy.min", "numpy.prod"}
# Read only as a for loop's iterable, which normalize turns into indexing.
ITERATION = {"builtins.zip", "builtins.enumerate"}


def adjoint(
    name: str,
    *,
    elementwise: bool = False,
    aliases: tuple[str, ...] = (),
    sequences: tuple[str, ...] = (),
    keyword_only: tuple[str, ...] = (),
    inactive: tuple[str, ...] = (),
    domain: Mapping[str, str] | None = None,
    examples: tuple[Example, ...] = (),
) -> Callable[[Callable], Callable]:
    """Register the decorated function as the adjoint rule of ``name``."""

    def register(function: Callable) -> Callable:
        if name in RULES or name in ALIASES:
            raise ValueError(f"rule for {name} registered twice")
        parameters = list(inspect.signature(function).parameters.values())
        if [p.name for p in parameters[:2]] != ["d_out", "out"]:
            raise templates.RuleShapeError(f"{function.__name__}: first parameters must be d_out, out")
        primal = Binding([p.replace(kind=p.KEYWORD_ONLY) if p.name in keyword_only else p for p in parameters[2:]])
        differentiable = tuple(p.name for p in parameters[2:] if p.default is inspect.Parameter.empty)
        if not set(inactive) <= set(differentiable):
            raise templates.RuleShapeError(f"{function.__name__}: inactive parameters must be ones without a default")
        RULES[name] = Rule(
            name,
            primal,
            differentiable,
            function,
            elementwise,
            sequences,
            dict(domain or {}),
            examples,
            inactive=tuple(inactive),
        )
        for alias in aliases:
            ALIASES[alias] = name
        return function

    return register


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


CUSTOM_OBJECTS: dict[int, tuple[Callable, str]] = {}  # id -> (function, rule name), for live resolution


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


TANGENTS: dict[str, Callable] = {}


def tangent(name: str) -> Callable[[Callable], Callable]:
    """Register the decorated function as the tangent (forward-mode) rule of ``name``.

    Written beside the adjoint rule, after it. Its parameters: the tangent
    ``d_<p>`` of each differentiable parameter ``p`` (in the adjoint rule's
    order), then ``out``, then the adjoint rule's own parameters (numpy's). It
    returns one term per differentiable parameter (``None`` where there is
    none); the term for ``p`` reads no tangent but ``d_p``. The engine adds the
    terms of the active parameters::

        @tangent("numpy.multiply")
        def multiply_tangent(d_x1, d_x2, out, x1, x2):
            return d_x1 * x2, x1 * d_x2
    """

    def register(function: Callable) -> Callable:
        rule = RULES.get(name)
        if rule is None:
            raise ValueError(f"tangent for {name}: register its adjoint rule first")
        if name in TANGENTS:
            raise ValueError(f"tangent for {name} registered twice")
        expected = [f"d_{p}" for p in rule.differentiable] + ["out"] + list(rule.signature.parameters)
        actual = list(inspect.signature(function).parameters)
        if actual != expected:
            raise templates.RuleShapeError(f"{function.__name__}: parameters must be {', '.join(expected)}")
        TANGENTS[name] = function
        return function

    return register


def zero_derivative(*names: str) -> None:
    ZERO_DERIVATIVE.update(names)


def inactive_only(*names: str) -> None:
    INACTIVE_ONLY.update(names)


def checks(*names: str) -> None:
    CHECKS.update(names)


def constant(*names: str) -> None:
    CONSTANTS.update(names)


def canonical(name: str) -> str:
    return ALIASES.get(name, name)


def lookup(name: str) -> Rule | None:
    return RULES.get(canonical(name)) or CUSTOM.get(name)


def kind(name: str) -> str | None:
    """'rule', 'zero_derivative', 'inactive_only', 'check', 'constant', 'iteration', or None if unknown."""
    name = canonical(name)
    if name in RULES or name in CUSTOM:
        return "rule"
    for label, names in (
        ("zero_derivative", ZERO_DERIVATIVE),
        ("inactive_only", INACTIVE_ONLY),
        ("check", CHECKS),
        ("constant", CONSTANTS),
        ("iteration", ITERATION),
    ):
        if name in names:
            return label
    return None


def known_names() -> list[str]:
    return sorted(set(RULES) | set(ALIASES) | ZERO_DERIVATIVE | INACTIVE_ONLY | CHECKS | CONSTANTS | ITERATION)


def library_object(name: str):
    """The library function (or constant) a qualified name in the table names, or None."""
    module_name, _, attribute = name.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError):
        return None


def writes_out(name: str, positional, keywords) -> bool:
    """Whether this call of ``name`` writes its result into an array given as ``out`` (by keyword, or
    by position: ``np.floor(y, y)``), which s2sad would not see as an update."""
    if "out" in keywords:
        return True
    function = library_object(name)
    if isinstance(function, np.ufunc):
        return len(positional) > function.nin
    try:
        return "out" in inspect.signature(function).bind_partial(*positional).arguments
    except (TypeError, ValueError):
        return False


def objects_by_identity() -> dict[int, str]:
    """id(object) -> qualified name, for every name in the table that can be imported."""
    table: dict[int, str] = {}
    for name in known_names():
        value = library_object(name)
        if value is not None:
            table.setdefault(id(value), name)
    return table


# The rule families register themselves when imported.
for _family in ("elementwise", "linalg", "reductions", "scalar_math", "shape", "passive", "generated"):
    importlib.import_module(f"s2sad.rules.{_family}")
