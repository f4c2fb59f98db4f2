"""What one rule is: the adjoint (and tangent) of a function, how a call binds to it, and what it
declares about the function (its method and operator spellings, the memory its result shares).

See s2sad.rules for how a rule is written and registered.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping

import libcst as cst
import libcst.matchers as m
import numpy as np

from s2sad.rules import templates
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
    """How a call binds to a rule (its arguments are expressions): refuses a dtype that is not floating,
    and an option the rule supports at one value only (``fixed``) given otherwise or left to its default."""

    __slots__ = ("fixed",)

    def bind(self, *args, **kwargs):
        bound = super().bind(*args, **kwargs)
        for parameter in self.parameters.values():
            if parameter.kind is parameter.VAR_POSITIONAL:  # none given: bound to no items (max([a, b]))
                bound.arguments.setdefault(parameter.name, ())
        dtype = bound.arguments.get("dtype")
        if dtype is not None and not _floating_dtype(dtype):
            raise TypeError("a dtype other than a floating type written out, like np.float64 or 'float32'")
        for option, value in getattr(self, "fixed", {}).items():
            given = bound.arguments.get(option)
            if given is None or cst.Module([]).code_for_node(given) != value:
                raise TypeError(f"only with {option}={value} written out")
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


# What a rule's function returns, as declared: "view" shares memory with its first argument (numpy
# returns a view), "view or copy" does where the memory layout allows, "new" is always a new array.
RETURNS = ("view", "view or copy", "new")


@dataclasses.dataclass(frozen=True)
class Method:
    """An ndarray method that is a function of the table: ``x.name(...)`` is ``function(x, ...)``."""

    name: str
    packed: bool = False  # x.reshape(2, 3) means np.reshape(x, (2, 3)): the arguments after x are one tuple
    copies: bool = False  # x.flatten() is a copy of what the function gives (np.ravel's result may be a view)
    calls: str | None = None  # the name the method calls, where not the function's own (one of its aliases)


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
    # The tangent rule: s2sad's own (``@tangent``, or derived from ``linear``/``bilinear``, then with its
    # source) or a user's (``@f.tangent``, or read from a file: source only; see ``tangent_terms``).
    tangent_function: Callable | None = dataclasses.field(default=None, repr=False)
    tangent_source: str | None = dataclasses.field(default=None, repr=False)
    # What s2sad's own rules declare about their function (see s2sad.rules).
    operator: str | None = None
    returns: str | None = None  # one of RETURNS, or None: not declared
    full_reduction: bool = False
    linear: tuple[str, ...] = ()
    # The sequence parameter a call gives as its remaining positional arguments (numpy's *operands).
    variadic: str | None = None
    # The parameter whose arrays a view (``returns``) lies in: the first one unless declared.
    view_of: str | None = None
    bilinear: bool = False
    # The names of the arrays of the tuple it returns, in order; empty: it returns one array.
    parts: tuple[str, ...] = ()
    whole: tuple[str, ...] = ()  # sequence parameters that may be given one array instead (np.array(x))
    named: bool = False  # the tuple is a named tuple whose fields are the parts (res.eigenvectors)
    pieces: bool = False  # it returns a list of arrays, as many as the call asks for (np.split)

    @property
    def returns_several(self) -> bool:
        """Whether it returns several arrays (a tuple or a list): its adjoint is a list of theirs."""
        return bool(self.parts) or self.pieces

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
        if self.tangent_source is not None:
            template = templates.parse_source(
                self.tangent_source, f"derived tangent of {self.name}", len(self.differentiable)
            )
        elif self.tangent_function is not None:
            template = templates.parse(self.tangent_function, len(self.differentiable))
        else:
            return None
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
    def scalar_arguments(self) -> bool:
        """Whether its arguments are numbers, whatever the call: the math module's raise on an array."""
        return self.name.startswith("math.")

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


def declared_rule(
    name: str,
    function: Callable,
    *,
    keyword_only: tuple[str, ...],
    optional: tuple[str, ...],
    inactive: tuple[str, ...],
    sequences: tuple[str, ...],
    variadic: str | None,
    fixed: Mapping[str, str] | None,
    domain: Mapping[str, str] | None,
    linear: bool | tuple[str, ...],
    bilinear: bool,
    view_of: str | None,
    elementwise: bool,
    examples: tuple[Example, ...],
    **declared,
) -> Rule:
    """The rule ``function`` (an adjoint rule: ``d_out, out``, then numpy's parameters) is, with what
    ``rules.adjoint`` declares of it (see s2sad.rules)."""
    parameters = list(inspect.signature(function).parameters.values())
    if [p.name for p in parameters[:2]] != ["d_out", "out"]:
        raise templates.RuleShapeError(f"{function.__name__}: first parameters must be d_out, out")
    primal = _binding(parameters[2:], keyword_only, variadic, fixed)
    differentiable = _differentiable(function.__name__, parameters[2:], optional, inactive)
    return Rule(
        name,
        primal,
        differentiable,
        function,
        elementwise,
        tuple(dict.fromkeys((*sequences, variadic) if variadic else sequences)),
        dict(domain or {}),
        examples,
        inactive=tuple(inactive),
        linear=_linear_parameters(name, linear or bilinear, differentiable, inactive),
        bilinear=bilinear,
        variadic=variadic,
        view_of=view_of or next(iter(primal.parameters), None),
        **declared,
    )


def _differentiable(rule: str, parameters: list[inspect.Parameter], optional, inactive) -> tuple[str, ...]:
    """The parameters a rule returns a contribution for: those without a default, and the ``optional`` ones."""
    with_default = {p.name for p in parameters if p.default is not inspect.Parameter.empty}
    if not set(optional) <= with_default:
        raise templates.RuleShapeError(f"{rule}: optional parameters must be ones with a default")
    if set(inactive) & with_default:
        raise templates.RuleShapeError(f"{rule}: inactive parameters must be ones without a default")
    return tuple(p.name for p in parameters if p.name not in with_default or p.name in optional)


def _binding(parameters: list[inspect.Parameter], keyword_only, variadic: str | None, fixed) -> Binding:
    """How a call binds: ``keyword_only`` parameters by keyword; ``variadic`` takes the remaining
    positional arguments (numpy's ``*operands``), so the parameters after it are keyword-only;
    ``fixed`` options must be written out at their one supported value."""
    if variadic is not None and variadic not in [p.name for p in parameters]:
        raise templates.RuleShapeError(f"variadic names {variadic!r}, which is not a parameter of the rule")
    bound, after_variadic = [], False
    for parameter in parameters:
        if parameter.name == variadic:
            bound.append(parameter.replace(kind=parameter.VAR_POSITIONAL))
            after_variadic = True
        elif after_variadic or parameter.name in keyword_only:
            bound.append(parameter.replace(kind=parameter.KEYWORD_ONLY))
        else:
            bound.append(parameter)
    binding = Binding(bound)
    binding.fixed = dict(fixed or {})
    return binding


def _linear_parameters(name: str, linear, differentiable: tuple[str, ...], inactive) -> tuple[str, ...]:
    """The parameters a rule declares it is linear in: True means all its differentiable, active ones."""
    if linear is True:
        return tuple(p for p in differentiable if p not in inactive)
    if not set(linear or ()) <= set(differentiable) - set(inactive):
        raise ValueError(f"{name}: linear names differentiable parameters that are not inactive")
    return tuple(linear or ())
