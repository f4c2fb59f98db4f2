"""Hypothesis strategies that write random numeric functions in s2sad's language (DESIGN.md section 3).

``programs()`` draws a ``Program``: the source of a module defining ``f`` (and
the helpers it calls), the shape of each of f's parameters, which of them to
differentiate, and the shape of f's result. The functions mix s2sad's rules
and its control flow: elementwise math, broadcasting ((n, 1) with (1, m), rows
with matrices, scalars with anything), reductions with and without ``axis``,
matmul and dot, indexing and slicing reads, assignment into local arrays,
augmented assignment, tuple unpacking, if/elif/else and conditional
expressions on data, for loops over ranges, rows, ``enumerate`` and ``zip``
with loop-carried values, while loops (counted, or on data with a bound that
certainly ends them), break and continue, early returns, and helper functions
(keyword arguments, defaults, tuple returns, helpers calling helpers).

Every function is valid where its inputs are drawn (uniform in [-2, 2], as
``tests.support.random_value(..., "real")``) and smooth almost everywhere: the
generator tracks what it knows of each value it writes (``Value``): its shape,
a bound on its magnitude (values beyond ``LARGEST`` are scaled down, and
``exp`` and friends see squashed arguments), and a positive lower bound for
values built to be positive, the only ones ``log``, ``sqrt``, division and
fractional powers are given. Kinks and jumps remain (``abs``, ``max``,
``np.where``, branches and loops on data); the test recognizes the rare input
that lands next to one.

Loops keep their values bounded by construction: a value carried from one
trip to the next (``_Loop.carried``) is either replaced by something squashed
into [-1, 1] or grows by at most 1 per trip.

Arrays are updated in place in two ways. The plain one updates (``+=`` on an
array, ``y[i] = ...``) only an array no other name sees (``Value.fresh``).
The other hunts the bugs of DESIGN.md section 7 ("Arrays are memory, not
names"): an alias group (``_Function.alias``) is an array local to the
function (never the caller's) seen by several names: bound to it (``z = y``,
``a = b = np.zeros(n)``, chained), views of it (basic slices, ``y[:]``,
``y[...]``, ``y.T``, ``np.transpose``, a row or column of a matrix,
``reshape``, ``ravel``, ``np.ravel``, ``squeeze``, ``expand_dims``, views of
views), items of a list that holds it (``[y, ...]`` or ``append``), what a
helper returns of it (its argument, or a view of it), rows a loop takes of
it. It is then updated in place through any of those names
(``name[idx] = v``, ``+=``, ``-=``, ``*=``, ``/=``, ``name[...] += v``,
``name += v``, ``lst[0][j] = v``) with values on the inputs or constants, in
straight-line code, branches and loops, each update followed by reads of the
group's other names. Every name of the group keeps a sound bound (an update
raises all of theirs), and a group made before a loop is updated in its body
only in ways that keep what was declared for it on every trip
(``_Function.loosen``). ``reshape`` and ``ravel`` are written on arrays known
to be C-contiguous, where numpy gives a view; elsewhere the line says it may
be a copy. ``Program.shares`` lists the views written, which the test checks
share memory when the function runs; ``Program.forms`` names the alias forms
a program has (ALIAS_FORMS), the only programs s2sad may refuse.

The Python people write around the maths (issue 17; ``_PythonForms``) is
mixed in, each written form named in ``Program.constructs`` (PYTHON_FORMS):
list comprehensions and generator expressions (over ranges, rows, ``zip``
and ``enumerate``, with conditions on their index, or on data where an empty
one is harmless, two ``for``s, nested) feeding ``np.array``, ``np.stack``,
``sum``, ``max`` and ``min``; functions defined inside (``def`` and lambdas
assigned to a name) reading enclosing names squashed (what a name holds at
the call may differ from what it held at the definition), called once or
several times, in loops and comprehensions; helpers given a function by name
(numpy's, or the user's); ``max``, ``min``, ``abs`` and ``pow`` on numbers;
``assert``, ``raise`` behind a test that never passes, ``logging.debug``,
``with np.errstate(...)``; several targets (``a = b = v``, ``y[i] = y[j] =
v``); a container of weights as f's parameter (``Weights``: a dict read by
keys, ``params1["W1"]``, a tuple or a list read by position, ``params1[0]``,
a tuple unpacked at the top of f, ``W1, W2 = params1``, a named tuple or a
dataclass defined in the program and read by field, ``params1.W1``, or a
dict holding a tuple, ``params1["layer"][0]``; an entry per shape read);
and an update in place of one of f's array arguments
(``x[i] = v``, ``*=``, ``/=``) that keeps it within its bound.
"""

from __future__ import annotations

import ast
import collections
import contextlib
import dataclasses
import itertools
import math

import numpy as np
from hypothesis import strategies as st

INPUT_BOUND = 2.0  # |input| <= 2
HELPER_ARGUMENT_BOUND = 2.0  # helpers are written for arguments within this; callers squash theirs
LARGEST = 30.0  # no value the generator writes exceeds this in magnitude
MAX_PARAMETERS = 4
MAX_NESTING = 2  # branches and loops inside each other
MAX_HELPER_LEVEL = 2  # f calls helpers, which may call helpers
THRESHOLDS = ("0.0", "0.5", "-0.5", "1.0", "-1.0")  # what conditions compare data with

Shape = tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class Program:
    """A module defining ``f``; ``shapes`` maps f's parameters, in order, to shapes (``()`` is a Python float)
    or to a container of weights (``Weights``)."""

    source: str
    shapes: dict[str, Shape | Weights]
    wrt: str | tuple[str, ...]
    output_shape: Shape
    # The alias forms written (ALIAS_FORMS: how a second name came to see an array, how it was updated
    # in place, where); empty for a program that updates in place only arrays no other name sees.
    forms: frozenset[str] = frozenset()
    # (line, a, b): right after that line of ``source`` runs, the arrays a and b (expressions in the
    # names of its function) share memory; the views the generator writes, checked when f runs.
    shares: tuple[tuple[int, str, str], ...] = ()
    # The Python written around the maths (PYTHON_FORMS: comprehensions, functions as values, builtins,
    # guards, a container of weights, an argument updated in place); s2sad supports them all, never refuses.
    constructs: frozenset[str] = frozenset()


AVOIDABLE = frozenset(
    {
        "conditional-expression",
        "return-in-loop",
        "aliases",
        "nested-list-comprehension",  # [[... for j ...] for i ...]: else the inner list is np.array([...])
        "numpy-function-passed-and-called",  # else only numpy functions f calls nowhere else are passed
        "assert-equal-to-a-tuple",  # assert np.shape(x) == (3,): else the shape's length and first size
    }
)

# What Program.forms may hold: how a second name came to see an alias group's array ("view:"), which
# name an update went through ("through:": one of the views, or "base", the array itself), the update
# ("update:": "-part" into name[idx], "-all" into name[...] or name[:], neither: name op= v) and where
# it is ("where:"; "helper": in a helper f calls).
ALIAS_FORMS = frozenset(
    [
        f"{prefix}:{form}"
        for prefix in ("view", "through")
        for form in (
            "same-name",
            "several-targets",
            "slice",
            "whole-slice",
            "transpose",
            "row",
            "column",
            "reshape",
            "ravel",
            "squeeze",
            "expand-dims",
            "list-literal",
            "list-append",
            "helper-returns-argument",
            "helper-returns-view",
        )
    ]
    + ["view:view-of-view", "view:may-copy", "through:base", "through:loop-item"]
    + [
        f"update:{kind}{suffix}"
        for kind in ("set", "add", "subtract", "multiply", "divide")
        for suffix in ("", "-part", "-all")
        if (kind, suffix) != ("set", "")
    ]
    + [f"where:{where}" for where in ("straight-line", "branch", "loop", "helper")]
)


# The containers of weights f may take (Weights.kind, a construct each): how an entry is read, from the
# container's name and the entry's name and position; a form with a type defines it in the program.
WEIGHT_FORMS = {
    "dict-of-weights": '{container}["{key}"]',
    "tuple-of-weights": "{container}[{position}]",
    "unpacked-tuple-of-weights": "{key}",  # f's first line is `W1, W2 = params1`
    "list-of-weights": "{container}[{position}]",
    "namedtuple-of-weights": "{container}.{key}",
    "dataclass-of-weights": "{container}.{key}",
    "nested-weights": '{container}["layer"][{position}]',  # a dict holding a tuple
}
WEIGHT_TYPES = {"namedtuple-of-weights": "Params", "dataclass-of-weights": "Layer"}  # kind -> type name


@dataclasses.dataclass(frozen=True)
class Weights:
    """A container of weights, f's parameter: its kind (WEIGHT_FORMS) and its arrays' shapes by name (a
    dict's keys, the fields of a named tuple or a dataclass, a tuple's or a list's items in order)."""

    kind: str
    shapes: dict[str, Shape]

    def container(self, arrays: dict[str, np.ndarray], namespace: dict):
        """The argument holding ``arrays`` (by name, as ``shapes``); ``namespace``: the program's module's,
        where its type is defined."""
        if self.kind in WEIGHT_TYPES:
            return namespace[WEIGHT_TYPES[self.kind]](**arrays)
        if self.kind == "list-of-weights":
            return list(arrays.values())
        if self.kind == "nested-weights":
            return {"layer": tuple(arrays.values())}
        return dict(arrays) if self.kind == "dict-of-weights" else tuple(arrays.values())

    def definitions(self) -> tuple[str, str]:
        """The module a program with these weights imports for their type ("" if none), and the type's
        definition ("" if none)."""
        fields = list(self.shapes)
        if self.kind == "namedtuple-of-weights":
            return "collections", f'Params = collections.namedtuple("Params", "{" ".join(fields)}")\n'
        if self.kind == "dataclass-of-weights":
            body = "".join(f"    {field}: np.ndarray\n" for field in fields)
            return "dataclasses", f"@dataclasses.dataclass\nclass Layer:\n{body}"
        return "", ""


# What Program.constructs may hold (see _Function.python_expression and _Function.python_statement).
PYTHON_FORMS = frozenset(
    [
        *(f"comprehension:{form}" for form in ("sum", "max-min", "array", "stack", "nested", "two-fors", "condition")),
        *(f"comprehension-over:{over}" for over in ("range", "rows", "zip", "enumerate")),
        *(f"builtin:{name}" for name in ("max", "min", "abs", "pow")),
        "local:lambda",
        "local:def",
        "local:called-in-loop",
        "local:called-again",
        "function-argument:numpy",
        "function-argument:user",
        "statement:assert",
        "statement:log",
        "statement:errstate",
        "statement:several-targets",
        "statement:several-parts",
        *WEIGHT_FORMS,
        "argument-updated-in-place",
    ]
)


@st.composite
def programs(draw, max_statements: int = 12, avoid: frozenset[str] = frozenset()) -> Program:
    """Programs of 1 to ``max_statements`` statements in all (f's and its helpers'; a loop or a branch
    counts one, and so does each statement in its body).

    ``avoid``: constructs (of AVOIDABLE) not to write, while a known bug in s2sad fails them.
    """
    assert avoid <= AVOIDABLE, f"unknown constructs: {sorted(avoid - AVOIDABLE)}"
    return _Module(draw, draw(st.integers(1, max_statements)), avoid).program()


@dataclasses.dataclass(frozen=True)
class Value:
    """An expression as written, with what the generator knows of it; a name in scope is one too."""

    text: str
    shape: Shape
    bound: float  # |value| <= bound everywhere
    low: float | None = None  # value >= low > 0 everywhere: built to be positive
    fresh: bool = True  # a new array no other name sees, so it may be updated in place
    sees: frozenset[str] = frozenset()  # the names whose arrays it may be a view of
    atom: bool = True  # needs no parentheses as an operand
    # Alias groups (see _Function.alias): the local arrays it may be, or be a view of. An update in
    # place through any name of a group changes what every name of it holds.
    memories: frozenset[int] = frozenset()
    handle: bool = False  # certainly one of those arrays or a writable view of one: may be updated in place
    contiguous: bool = False  # C-contiguous for sure, so that reshape and ravel give views of it
    form: str = ""  # how a handle came to see its array (an ALIAS_FORMS "view:" form)

    def __post_init__(self) -> None:
        # A wrong atom binds `.T` or `[i]` to part of the expression: a program unlike the one meant.
        if self.atom:
            assert not isinstance(ast.parse(self.text, mode="eval").body, _COMPOSITE), self.text


_COMPOSITE = (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Lambda)


def operand(value: Value) -> str:
    return value.text if value.atom else f"({value.text})"


def shape_text(shape: Shape) -> str:
    return f"({shape[0]},)" if len(shape) == 1 else str(shape)


def broadcast(*shapes: Shape) -> Shape:
    return tuple(np.broadcast_shapes(*shapes))


def fits(small: Shape, shape: Shape) -> bool:
    """Whether a value of shape ``small`` broadcasts to ``shape``."""
    return len(small) <= len(shape) and all(s in (1, t) for s, t in zip(reversed(small), reversed(shape), strict=False))


def operand_shapes(shape: Shape) -> list[Shape]:
    """The shapes that broadcast to ``shape`` (itself first, then a scalar), none made of 1s only."""
    found = [shape, ()]
    for rank in range(1, len(shape) + 1):
        tail = shape[len(shape) - rank :]
        for ones in itertools.product((False, True), repeat=rank):
            candidate = tuple(1 if one else size for one, size in zip(ones, tail, strict=True))
            if candidate not in found and set(candidate) != {1}:
                found.append(candidate)
    return found


@dataclasses.dataclass(frozen=True)
class _Helper:
    name: str
    parameters: tuple[tuple[str, Shape], ...]
    defaults: dict[str, str]  # parameter -> default, as written
    results: tuple[Shape, ...]  # one shape, or several for a tuple return
    bounds: tuple[float, ...]


@dataclasses.dataclass
class _Loop:
    """What a loop body may do to the names it did not create."""

    trips: int  # at most this many
    carried: dict[str, str]  # name -> "squash" (replaced by values in [-1, 1]) or "accumulate" (grows <= 1 a trip)
    can_continue: bool
    accumulated: set[str] = dataclasses.field(default_factory=set)  # grown already in this body
    updated: set[str] = dataclasses.field(default_factory=set)
    local: set[str] = dataclasses.field(default_factory=set)  # names first assigned in this body
    shared: set[str] = dataclasses.field(default_factory=set)  # names another name came to see
    entry: dict[str, Value] = dataclasses.field(default_factory=dict)  # the scope before the loop
    declared: dict[str, Value] = dataclasses.field(default_factory=dict)  # what holds for carried names on every trip
    # Alias groups made before the loop (see _Function.loosen): "stable" or "accumulate" each, what holds
    # on every trip for the names that see them, and the groups grown already in this body.
    modes: dict[int, str] = dataclasses.field(default_factory=dict)
    loosened: dict[str, Value] = dataclasses.field(default_factory=dict)
    accumulated_memories: set[int] = dataclasses.field(default_factory=set)


@dataclasses.dataclass(frozen=True)
class _Unary:
    template: str  # "{}" is the operand
    limit: float | None  # the operand is squashed into [-limit, limit] first
    bound: object  # the result's bound from the operand's
    low: object = None  # the result's positive lower bound from the operand's bound
    scalar_only: bool = False  # math functions: Python scalars


_UNARY = (
    _Unary("np.sin({})", None, lambda b: min(b, 1.0)),
    _Unary("np.tanh({})", None, lambda b: min(b, 1.0)),
    _Unary("np.cos({})", None, lambda b: 1.0),
    _Unary("np.exp({})", 2.0, math.exp, lambda b: math.exp(-b)),
    _Unary("{} ** 2", 5.0, lambda b: b * b),
    _Unary("-{}", None, lambda b: b),
    _Unary("np.square({})", 5.0, lambda b: b * b),
    _Unary("{} ** 3", 3.0, lambda b: b**3),
    _Unary("np.arctan({})", None, lambda b: min(b, math.pi / 2)),
    _Unary("np.sinh({})", 2.0, math.sinh),
    _Unary("np.cosh({})", 2.0, math.cosh, lambda b: 1.0),
    _Unary("np.expm1({})", 2.0, math.expm1),
    _Unary("np.tan({})", 1.0, math.tan),
    _Unary("np.arcsin({})", 0.5, math.asin),
    _Unary("np.arccos({})", 0.5, lambda b: math.pi, lambda b: math.acos(b)),
    _Unary("np.negative({})", None, lambda b: b),
    _Unary("math.sin({})", None, lambda b: min(b, 1.0), scalar_only=True),
    _Unary("math.cos({})", None, lambda b: 1.0, scalar_only=True),
    _Unary("math.tanh({})", None, lambda b: min(b, 1.0), scalar_only=True),
    _Unary("math.exp({})", 2.0, math.exp, lambda b: math.exp(-b), scalar_only=True),
    _Unary("math.tan({})", 1.0, math.tan, scalar_only=True),
)


class _Module:
    """The module being written: its sizes, its helpers so far, and fresh names."""

    def __init__(self, draw, budget: int, avoid: frozenset[str]):
        self.draw = draw
        self.budget = budget  # statements left to write
        self.avoid = avoid
        self.weighted = draw(st.integers(0, 2)) == 2  # f reads weights often: it likely has a container of them
        self.sizes = (draw(st.integers(2, 4)), draw(st.integers(2, 4)))
        n, m = self.sizes
        self.shapes = list(dict.fromkeys([(), (n,), (m,), (n, m), (m, n), (n, 1), (1, m)]))
        self.helpers: list[_Helper] = []
        self.definitions: list[str] = []
        self.counts = collections.Counter()
        self.forms: set[str] = set()  # the alias forms written (ALIAS_FORMS)
        self.memories = 0  # alias groups made so far
        self.alias_helpers: dict[str, str] = {}  # what a helper returns, as a template of its argument -> its name
        self.constructs: set[str] = set()  # the Python forms written (PYTHON_FORMS)
        self.appliers: dict[str, tuple[str, float]] = {}  # helpers calling a function argument: template -> name, gain
        self.unaries: dict[Shape, str] = {}  # the user's functions of one array, passed to those: shape -> name

    def memory(self) -> int:
        """A new alias group's id."""
        self.memories += 1
        return self.memories

    def name(self, prefix: str) -> str:
        self.counts[prefix] += 1
        return f"{prefix}{self.counts[prefix]}"

    def program(self) -> Program:
        output_shape = self.draw(st.sampled_from([(), (), (), *self.shapes[1:]]))
        main = _Function(self, (), results=(output_shape,), level=0)
        for _ in range(self.draw(st.integers(1, 2))):
            main.add_parameter(self.draw(st.sampled_from(self.shapes)))
        main.statements(self.budget)
        main.write_return()
        main.unpack_weights()
        names = list(main.parameters)
        chosen = set(self.draw(st.lists(st.sampled_from(names), min_size=1, unique=True)))
        wrt = tuple(name for name in names if name in chosen)
        if len(wrt) == 1 and self.draw(st.booleans()):
            wrt = wrt[0]
        imports = {"math", "logging" if "statement:log" in self.constructs else ""}
        definitions = [*self.definitions, main.definition("f")]
        if main.weights is not None:
            weights = main.parameters[main.weights]
            imported, definition = weights.definitions()
            imports.add(imported)
            definitions.insert(0, definition)
        imports = "".join(f"import {name}\n" for name in sorted(imports - {""}))
        source = imports + "\nimport numpy as np\n\n\n" + "\n\n".join(d for d in definitions if d)
        lines, shares = [], []
        for number, line in enumerate(source.split("\n"), 1):  # lines carry the views written as marks
            code, *marks = line.split(_MARK)
            lines.append(code)
            shares += [(number, *mark.split(_PAIR)) for mark in marks]
        assert self.forms <= ALIAS_FORMS, sorted(self.forms - ALIAS_FORMS)
        assert self.constructs <= PYTHON_FORMS, sorted(self.constructs - PYTHON_FORMS)
        return Program(
            "\n".join(lines),
            dict(main.parameters),
            wrt,
            output_shape,
            frozenset(self.forms),
            tuple(shares),
            frozenset(self.constructs),
        )

    def applier(self, template: str) -> str:
        """A helper that calls the function it is given (APPLIERS' ``template``): its name."""
        if template not in self.appliers:
            name = self.name("g")
            self.definitions.append(f"def {name}{APPLIERS[template]}")
            self.appliers[template] = name
        return self.appliers[template]

    def unary(self, shape: Shape) -> str:
        """A function of one array of ``shape`` into [-1, 1], to pass to an applier: its name."""
        if shape not in self.unaries:
            writer = _Function(self, (("a", shape),), results=(shape,), level=MAX_HELPER_LEVEL)
            body = writer.squash(writer.expression(shape, self.draw(st.integers(1, 2))))
            name = self.name("g")
            self.definitions.append(f"def {name}(a):\n    return {body.text}\n")
            self.unaries[shape] = name
        return self.unaries[shape]

    def alias_helper(self, template: str) -> str:
        """A helper that returns its argument, or a view of it (``template`` of ``a``): its name."""
        if template not in self.alias_helpers:
            name = self.name("g")
            returned = template.format("a")
            if self.draw(st.booleans()):
                body = f"    return {returned}\n"
            else:
                body = f"    b = {returned}\n    return b\n"
            self.definitions.append(f"def {name}(a):\n{body}")
            self.alias_helpers[template] = name
        return self.alias_helpers[template]

    def helper(self, results: tuple[Shape, ...], level: int) -> _Helper:
        """A new helper function returning values of ``results``' shapes (defined before its first caller)."""
        count = self.draw(st.integers(1, 3))
        shapes = [results[0], *(self.draw(st.sampled_from(self.shapes)) for _ in range(count - 1))]
        parameters = tuple(zip("abc", shapes, strict=False))
        defaults = {}
        if count > 1 and shapes[-1] == () and self.draw(st.booleans()):
            defaults[parameters[-1][0]] = self.draw(st.sampled_from(["0.5", "1.5", "-1.0"]))
        writer = _Function(self, parameters, results=results, level=level, argument_bound=HELPER_ARGUMENT_BOUND)
        writer.statements(self.draw(st.integers(0, 3)))
        writer.write_return()
        name = self.name("g")
        signature = ", ".join(f"{p}={defaults[p]}" if p in defaults else p for p, _ in parameters)
        self.definitions.append(writer.definition(name, signature))
        bounds = tuple(max(bounds) for bounds in zip(*writer.returned, strict=True))
        helper = _Helper(name, parameters, defaults, results, bounds)
        self.helpers.append(helper)
        return helper


_MARK, _PAIR = "\x00", "\x01"  # a line's mark that two arrays share memory right after it: <MARK>a<PAIR>b


# Helpers that call the function they are given, for any array within HELPER_ARGUMENT_BOUND and a function
# into [-pi/2, pi/2]: the signature and body after ``def <name>``. What they return is within 2 + pi/2.
APPLIERS = {
    "scale": "(fn, a):\n    return fn(a) * 0.5\n",
    "twice": "(fn, a):\n    return fn(fn(a))\n",
    "residual": "(fn, a, scale=0.5):\n    return a + scale * fn(a)\n",
    "blend": "(fn, a, steps=2):\n    b = a\n    for i in range(steps):\n        b = 0.5 * b + 0.5 * fn(b)\n    return b\n",
}
APPLIED_BOUND = 2.0 + math.pi / 2
PASSED_NUMPY = ("np.tanh", "np.sin", "np.arctan", "np.cos")  # elementwise, into [-pi/2, pi/2] (on [-2, 2] for the last)
PASSED_NUMPY_ONLY = ("np.arcsinh", "np.sinc")  # the same, and called nowhere else by the generator


@dataclasses.dataclass
class _Local:
    """A function defined inside the function being written (``def`` or a lambda assigned to a name)."""

    name: str
    parameters: tuple[Shape, ...]
    defaults: int  # how many of the last parameters have a default
    result: Shape
    bound: float
    calls: int = 0


class _PythonForms:
    """The Python around the maths (issue 17, PYTHON_FORMS): comprehensions, functions defined inside and
    functions passed to helpers, builtins on numbers, guards and effects, several targets, a dict of
    weights read by keys written out, an argument updated in place. Mixed into _Function."""

    # -- expressions ---------------------------------------------------------------------------------

    def python_expression(self, shape: Shape, depth: int) -> Value | None:
        kinds = [(4, self.comprehension), (2, self.function_argument)]
        if shape == ():
            kinds.append((3, self.builtin))
        if any(local.result == shape for local in self.locals):
            kinds.append((6, self.local_call))
        return self.pick(kinds)(shape, depth)

    def comprehension(self, shape: Shape, depth: int) -> Value | None:
        """A list comprehension or generator expression over ranges, rows, zip or enumerate."""
        depth = min(depth, 2)
        if shape == ():
            kind = self.pick([(3, "sum"), (2, "max-min"), (1, "two-fors")])
        elif len(shape) == 1:
            kind = self.pick([(3, "array"), (1, "sum")])
        else:
            kind = self.pick([(3, "stack"), (1 if math.prod(shape) <= 12 else 0, "nested"), (1, "sum")])
        self.module.constructs.add(f"comprehension:{kind}")
        if kind == "nested":
            a, b = shape
            with self.comprehended(a) as (outer, _), self.comprehended(b) as (inner, _):
                item = self.expression((), depth)
            row = f"[{item.text} {inner}]"
            if "nested-list-comprehension" in self.module.avoid:
                row = f"np.array({row})"
            return Value(f"np.array([{row} {outer}])", shape, item.bound)
        if kind in ("array", "stack"):
            columns = kind == "stack" and self.chance(30)
            count, item_shape = (shape[1], (shape[0],)) if columns else (shape[0], shape[1:])
            with self.comprehended(count) as (clause, _):
                item = self.expression(item_shape, depth)
            if kind == "array" or (not columns and self.chance(30)):
                return Value(f"np.array([{item.text} {clause}])", shape, item.bound, item.low)
            axis = ", axis=1" if columns else ""
            return Value(f"np.stack([{item.text} {clause}]{axis})", shape, item.bound, item.low)
        own = len(self.indices)  # the indices of enclosing loops and comprehensions come first
        with contextlib.ExitStack() as stack:
            clauses, trips = [], 1
            for _ in range(2 if kind == "two-fors" else 1):
                clause, count = stack.enter_context(self.comprehended(None))
                clauses.append(clause)
                trips *= count
            item = self.expression(shape, depth)
            # An empty sum is 0, fine for a number only; max and min of nothing raise.
            condition = self.comprehension_condition(self.indices[own:], data=shape == () and kind != "max-min")
        generated = f"{item.text} {' '.join(clauses)}{condition}"
        spelled = f"({generated})" if self.chance(60) else f"([{generated}])"
        if kind == "max-min":
            return Value(f"{self.choose(['max', 'min'])}{spelled}", shape, item.bound, item.low)
        return self.limited(Value(f"sum{spelled}", shape, item.bound * trips))

    def comprehension_condition(self, indices: list[tuple[str, int]], data: bool) -> str:
        """`` if ...`` on one of the comprehension's ``indices`` (never leaving it empty), or on data; or nothing."""
        indices = [(index, stop) for index, stop in indices if stop >= 2]
        if self.chance(50) or not (indices or data):
            return ""
        self.module.constructs.add("comprehension:condition")
        if indices and (not data or self.chance(50)):
            index, stop = self.choose(indices)
            return self.choose([f" if {index} != {self.number(0, stop - 1)}", f" if {index} % 2 == 0"])
        return f" if {operand(self.expression((), self.number(0, 1)))} > {self.choose(THRESHOLDS)}"

    @contextlib.contextmanager
    def comprehended(self, count: int | None):
        """A ``for`` clause of ``count`` trips (any number if None): its text and trips, its variables in
        scope inside (rows as names, indices in ``indices``)."""
        arrays = [name for name, value in self.scope.items() if value.shape and count in (None, value.shape[0])]
        form = self.choose(["range", "range", *(["rows", "zip", "enumerate"] if arrays else [])])
        rows, indices = [], []
        if form == "range":
            trips = count or self.choose(self.module.sizes)
            indices.append((self.module.name("k"), trips))
            clause = f"for {indices[0][0]} in range({trips})"
        else:
            iterated = self.read(self.choose(arrays))
            trips = iterated.shape[0]
            rows.append((self.module.name("e"), iterated))
            if form == "zip":
                partner = self.read(self.choose([n for n in arrays if self.scope[n].shape[0] == trips]))
                rows.append((self.module.name("e"), partner))
                clause = f"for {rows[0][0]}, {rows[1][0]} in zip({iterated.text}, {partner.text})"
            elif form == "enumerate":
                indices.append((self.module.name("k"), trips))
                clause = f"for {indices[0][0]}, {rows[0][0]} in enumerate({iterated.text})"
            else:
                clause = f"for {rows[0][0]} in {iterated.text}"
        self.module.constructs.add(f"comprehension-over:{form}")
        for name, array in rows:
            self.scope[name] = Value(name, array.shape[1:], array.bound, array.low, fresh=False)
        self.indices += indices
        try:
            yield clause, trips
        finally:
            for name, _ in rows:
                del self.scope[name]
            del self.indices[len(self.indices) - len(indices) :]

    def builtin(self, shape: Shape, depth: int) -> Value | None:
        """Python's max, min, abs and pow on numbers."""
        name = self.choose(["max", "min", "abs", "pow"])
        self.module.constructs.add(f"builtin:{name}")
        if name in ("max", "min"):
            items = [self.expression((), depth) for _ in range(self.choose([2, 2, 3]))]
            lows = [item.low for item in items]
            low = min(lows) if all(lows) else None
            return Value(f"{name}({', '.join(i.text for i in items)})", (), max(i.bound for i in items), low)
        if name == "abs":
            inner = self.expression((), depth)
            return Value(f"abs({inner.text})", (), inner.bound, inner.low)
        form = self.choose(["square", "cube", "positive"])
        if form == "positive":
            base, exponent = self.positive((), depth), self.squash(self.expression((), depth))
            bound = max(base.bound, 1.0 / base.low) ** exponent.bound
            return self.limited(Value(f"pow({base.text}, {exponent.text})", (), bound))
        power, limit = (2, 5.0) if form == "square" else (3, 3.0)
        inner = self.squash(self.expression((), depth), limit)
        low = inner.low**power if inner.low else None
        return self.limited(Value(f"pow({inner.text}, {power})", (), inner.bound**power, low))

    def local_call(self, shape: Shape, depth: int) -> Value | None:
        """A call of a function defined inside (once, again, in a loop)."""
        local = self.choose([local for local in self.locals if local.result == shape])
        count = len(local.parameters) - (self.number(0, local.defaults) if local.defaults else 0)
        arguments = [self.squash(self.expression(s, depth), HELPER_ARGUMENT_BOUND) for s in local.parameters[:count]]
        local.calls += 1
        if local.calls > 1:
            self.module.constructs.add("local:called-again")
        if self.loops:
            self.module.constructs.add("local:called-in-loop")
        sees = frozenset().union(*(argument.sees for argument in arguments))
        text = f"{local.name}({', '.join(argument.text for argument in arguments)})"
        return Value(text, shape, local.bound, fresh=False, sees=sees)

    def function_argument(self, shape: Shape, depth: int) -> Value | None:
        """A helper given a function by name: numpy's, or one of the user's."""
        applier = self.module.applier(self.choose(list(APPLIERS)))
        if self.chance(60):
            avoid = "numpy-function-passed-and-called" in self.module.avoid
            passed = self.choose(PASSED_NUMPY_ONLY if avoid else PASSED_NUMPY)
            self.module.constructs.add("function-argument:numpy")
        else:
            passed = self.module.unary(shape)
            self.module.constructs.add("function-argument:user")
        argument = self.squash(self.expression(shape, depth), HELPER_ARGUMENT_BOUND)
        if self.chance(30):
            text = f"{applier}(fn={passed}, a={argument.text})"
        else:
            text = f"{applier}({passed}, {argument.text})"
        return Value(text, shape, APPLIED_BOUND, fresh=False, sees=argument.sees)

    # -- statements ----------------------------------------------------------------------------------

    def python_statement(self) -> bool:
        kinds = [(2, self.guard), (1, self.log_line), (2, self.several_targets), (1, self.errstate)]
        if not (self.nesting or self.loops or self.sealed) and len(self.locals) < 3:
            kinds.append((4, self.define_local))
        if any(name in self.scope for name in self.pristine):
            kinds.append((3, self.update_argument))
        return self.pick(kinds)()

    def define_local(self) -> bool:
        """``def h(z, ...)`` or ``h = lambda z: ...`` reading some enclosing names (as they are at the call)."""
        parameters = tuple((self.module.name("z"), self.some_shape()) for _ in range(self.choose([1, 1, 2])))
        result = self.some_shape()
        writer = _Function(
            self.module, parameters, results=(result,), level=self.level, argument_bound=HELPER_ARGUMENT_BOUND
        )
        writer.sealed = True
        for name, value in self.scope.items():
            if self.chance(50):  # squashed: what the name holds at the call may differ from what it holds here
                writer.scope[name] = Value(f"np.tanh({name})", value.shape, 1.0, fresh=False)
        name = self.module.name("h")
        defaults = 1 if len(parameters) > 1 and parameters[-1][1] == () and self.chance(50) else 0
        signature = ", ".join(
            p if i < len(parameters) - defaults else f"{p}=0.5" for i, (p, _) in enumerate(parameters)
        )
        if self.chance(50):
            body = writer.expression(result, self.number(1, 2))
            self.write(f"{name} = lambda {signature}: {body.text}")
            bound = body.bound
            self.module.constructs.add("local:lambda")
        else:
            for _ in range(self.number(0, 2)):
                self.module.budget -= 1
                writer.assign()
            writer.write_return()
            self.write(f"def {name}({signature}):")
            for line in writer.lines:
                self.write(line)
            bound = writer.returned[0][0]
            self.module.constructs.add("local:def")
        self.locals.append(_Local(name, tuple(shape for _, shape in parameters), defaults, result, bound))
        return True

    def guard(self) -> bool:
        """``assert`` on a value's shape or finiteness, or ``raise`` behind a test that never passes."""
        name = self.choose(list(self.scope))
        shape = self.scope[name].shape
        self.module.constructs.add("statement:assert")
        if self.chance(25):
            with self.block(f"if np.any(np.isnan({name})):"):
                self.write(f"raise ValueError(f'nan in {{np.shape({name})}}')")
            return True
        if "assert-equal-to-a-tuple" not in self.module.avoid:
            shaped = f"assert np.shape({name}) == {shape_text(shape) if shape else '()'}"
        elif shape:
            shaped = f"assert np.shape({name})[0] == {shape[0]}"
        else:
            shaped = f"assert np.size({name}) == 1"
        self.write(
            self.choose(
                [
                    shaped,
                    f"assert np.ndim({name}) == {len(shape)}, f'{{np.ndim({name})}} axes'",
                    f"assert np.all(np.isfinite({name})), 'not finite'",
                ]
            )
        )
        return True

    def log_line(self) -> bool:
        """A call made for its effect (in the forward sweep only)."""
        name = self.choose(list(self.scope))
        self.write(f'logging.debug("%s", np.sum({name}))')
        self.module.constructs.add("statement:log")
        return True

    def several_targets(self) -> bool:
        """``a = b = <number>``, or ``y[i] = y[j] = v`` into an array no other name sees."""
        arrays = [n for n, value in self.scope.items() if self.writable(n) and value.fresh and value.shape]
        if not arrays or self.chance(40):
            names = [self.module.name("v"), self.module.name("v")]
            value = self.expression((), self.number(1, 2))
            self.write(f"{names[0]} = {names[1]} = {value.text}")
            for name in names:
                self.bind(name, value)
            self.module.constructs.add("statement:several-targets")
            return True
        name = self.choose(arrays)
        target = self.scope[name]
        (first, part), (second, other) = self.part(target.shape), self.part(target.shape)
        value = self.limited(self.expression(part if part == other else (), self.number(1, 2)))
        self.write(f"{name}[{first}] = {name}[{second}] = {value.text}")
        self.scope[name] = dataclasses.replace(target, bound=max(target.bound, value.bound), low=None)
        self.module.constructs.add("statement:several-parts")
        return True

    def errstate(self) -> bool:
        """Straight-line statements inside ``with np.errstate(...)``."""
        context = self.choose(['divide="ignore"', 'invalid="ignore", over="ignore"', 'all="warn"'])
        with self.block(f"with np.errstate({context}):"):
            for _ in range(self.number(1, 2)):
                self.module.budget -= 1
                self.pick([(3, self.assign), (1, self.reassign), (1, self.augment), (1, self.write_part)])()
        self.module.constructs.add("statement:errstate")
        return True

    def update_argument(self) -> bool:
        """An update in place of one of f's array arguments, keeping it within max(its bound, 1)."""
        name = self.choose([name for name in self.pristine if name in self.scope])
        target = self.scope[name]
        index, part = (None, target.shape) if self.chance(30) else self.part(target.shape)
        operator = self.choose(["*=", "/="] if index is None else ["=", "*=", "/="])
        shape = self.pick([(3 if s == part else 1, s) for s in operand_shapes(part)])
        if operator == "/=":
            value = self.positive(shape, self.number(0, 1), at_least=1.0)
        else:
            value = self.squash(self.expression(shape, self.number(1, 2)))
        self.write(f"{name if index is None else f'{name}[{index}]'} {operator} {value.text}")
        self.scope[name] = dataclasses.replace(target, bound=max(target.bound, 1.0), low=None)
        self.module.constructs.add("argument-updated-in-place")
        return True

    def add_weight(self, shape: Shape) -> Value:
        """An entry of f's container of weights (made on first use, of a kind drawn), read as its kind is:
        by its key or field written out, or its position (see WEIGHT_FORMS)."""
        if self.weights is None:
            self.weights = self.module.name("params")
            kind = self.pick([(2 if kind == "dict-of-weights" else 1, kind) for kind in WEIGHT_FORMS])
            self.parameters[self.weights] = Weights(kind, {})
        weights = self.parameters[self.weights]
        position = len(weights.shapes)
        key = f"W{position + 1}"
        weights.shapes[key] = shape
        entry = WEIGHT_FORMS[weights.kind].format(container=self.weights, key=key, position=position)
        self.scope[entry] = Value(entry, shape, self.argument_bound, fresh=False)
        self.module.constructs.add(weights.kind)
        return self.read(entry)

    def unpack_weights(self) -> None:
        """A tuple of weights unpacked: ``W1, W2 = params1`` as f's first line."""
        weights = self.parameters.get(self.weights)
        if weights is not None and weights.kind == "unpacked-tuple-of-weights":
            targets = ", ".join(weights.shapes) if len(weights.shapes) > 1 else f"({next(iter(weights.shapes))},)"
            self.lines.insert(0, f"    {targets} = {self.weights}")


class _Function(_PythonForms):
    """Writes one function's body, knowing what each name in scope holds."""

    def __init__(
        self, module: _Module, parameters, results: tuple[Shape, ...], level: int, argument_bound: float = INPUT_BOUND
    ):
        self.module = module
        self.draw = module.draw
        self.results = results
        self.level = level  # 0: f, which may grow new parameters; 1, 2: helpers
        self.argument_bound = argument_bound
        self.parameters: dict[str, Shape] = {}
        self.scope: dict[str, Value] = {}
        self.unused: list[str] = []  # assigned and not read since: what the result should read
        self.lines: list[str] = []
        self.indent = 1
        self.nesting = 0
        self.loops: list[_Loop] = []
        self.indices: list[tuple[str, int]] = []  # loop variables in scope: name, stop (0 <= name < stop)
        self.returned: list[tuple[float, ...]] = []  # bounds of each return statement's values
        self.owners: dict[int, _Loop | None] = {}  # alias group -> the loop whose body made its array (None: none)
        self.sealed = False  # the body of a function defined inside: grows no parameter of f
        self.locals: list[_Local] = []  # functions defined inside, in scope from their definition on
        self.weights: str | None = None  # f's container of weights, once it has one
        self.pristine: set[str] = set()  # f's array parameters never rebound: still the caller's arrays
        for name, shape in parameters:
            self.declare_parameter(name, shape)

    # -- drawing ---------------------------------------------------------------------------------

    def choose(self, options):
        return self.draw(st.sampled_from(list(options)))

    def pick(self, weighted):
        """One of ``(weight, option)`` pairs; shrinking goes to the first."""
        return self.choose([option for weight, option in weighted for _ in range(weight)])

    def chance(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) >= 100 - percent

    def number(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))

    # -- names and lines ---------------------------------------------------------------------------

    def definition(self, name: str, signature: str | None = None) -> str:
        signature = ", ".join(self.parameters) if signature is None else signature
        return f"def {name}({signature}):\n" + "\n".join(self.lines) + "\n"

    def write(self, line: str, shares: tuple[tuple[str, str], ...] = ()) -> None:
        """A line; ``shares``: pairs of arrays that share memory right after it runs."""
        marks = "".join(f"{_MARK}{a}{_PAIR}{b}" for a, b in shares)
        self.lines.append("    " * self.indent + line + marks)

    @contextlib.contextmanager
    def block(self, header: str):
        self.write(header)
        self.indent += 1
        self.nesting += 1
        written = len(self.lines)
        try:
            yield
        finally:
            if len(self.lines) == written:
                self.write("pass")
            self.indent -= 1
            self.nesting -= 1

    def declare_parameter(self, name: str, shape: Shape) -> None:
        self.parameters[name] = shape
        self.scope[name] = Value(name, shape, self.argument_bound, fresh=False)
        if shape and self.level == 0:
            self.pristine.add(name)

    def add_parameter(self, shape: Shape) -> Value:
        name = self.module.name("x")
        self.declare_parameter(name, shape)
        return self.read(name)

    def read(self, name: str) -> Value:
        if name in self.unused:
            self.unused.remove(name)
        return dataclasses.replace(self.scope[name], fresh=False, sees=frozenset({name}))

    def bind(self, name: str, value: Value) -> None:
        """``name = value``: what the scope knows afterwards."""
        memories = value.memories.union(*(self.scope[seen].memories for seen in value.sees if seen in self.scope))
        self.pristine.discard(name)
        for seen in value.sees:
            self.share(seen)
        if name not in self.scope and self.loops:
            self.loops[-1].local.add(name)
        fresh = value.fresh and not value.sees
        contiguous = value.contiguous or (fresh and (len(value.shape) == 1 or 1 in value.shape))  # a new array
        self.scope[name] = Value(
            name,
            value.shape,
            value.bound,
            value.low,
            fresh,
            memories=memories,
            handle=value.handle,
            contiguous=contiguous,
            form=value.form,
        )
        if name in self.unused:
            self.unused.remove(name)
        self.unused.append(name)

    def share(self, name: str) -> None:
        """Another name now sees ``name``'s array: neither may be updated in place any more."""
        if name in self.scope:
            self.scope[name] = dataclasses.replace(self.scope[name], fresh=False)
        for loop in self.loops:
            loop.shared.add(name)

    def writable(self, name: str) -> bool:
        """Whether statements may assign ``name``: in a loop body, only names the body made; never a list's
        item, nor a container's."""
        return "[" not in name and "." not in name and (not self.loops or name in self.loops[-1].local)

    def some_shape(self) -> Shape:
        return self.choose(dict.fromkeys([*self.module.shapes, *(v.shape for v in self.scope.values())]))

    def array_shapes(self) -> list[Shape]:
        return [
            shape for shape in dict.fromkeys([*self.module.shapes, *(v.shape for v in self.scope.values())]) if shape
        ]

    # -- values ------------------------------------------------------------------------------------

    def limited(self, value: Value) -> Value:
        """``value``, scaled down by a power of ten if it could exceed LARGEST."""
        if value.bound <= LARGEST:
            return value
        scale = 10.0 ** -math.ceil(math.log10(value.bound / LARGEST))
        low = value.low * scale if value.low else None
        return Value(
            f"{scale!r} * {operand(value)}", value.shape, value.bound * scale, low, value.fresh, value.sees, atom=False
        )

    def squash(self, value: Value, limit: float = 1.0) -> Value:
        """``value`` if it stays within [-limit, limit], else a squashed version of it that does."""
        if value.bound <= limit:
            return value
        if limit < 1.0:
            return Value(f"0.5 * np.tanh({value.text})", value.shape, 0.5, atom=False)
        if value.low:  # keeps it positive
            return Value(f"np.tanh({value.text})", value.shape, 1.0, math.tanh(value.low))
        template = self.choose(["np.tanh({})", "np.sin({})", "np.cos({})"])
        return Value(template.format(value.text), value.shape, 1.0)

    def expression(self, shape: Shape, depth: int) -> Value:
        """An expression of exactly ``shape``, nested about ``depth`` deep."""
        if depth <= 0:
            return self.leaf(shape)
        build = self.pick(
            [
                (4, self.leaf),
                (4, self.elementwise),
                (6, self.arithmetic),
                (2, self.through_positive),
                (2, self.reduction),
                (2, self.product),
                (2, self.indexing),
                (1, self.reshaping),
                (1, self.joining),
                (1, self.kink),
                (1, self.linear_algebra),
                (0 if "conditional-expression" in self.module.avoid else 1, self.conditional),
                (1, self.helper_call),
                (1, self.python_expression),
            ]
        )
        value = build(shape, depth - 1)
        return self.leaf(shape) if value is None else value

    def leaf(self, shape: Shape, depth: int = 0) -> Value:
        names = [name for name, value in self.scope.items() if value.shape == shape]
        bridges = self.bridges(shape)
        options = [(6, "name")] if names else []
        if self.level == 0 and not self.sealed and len(self.parameters) < MAX_PARAMETERS:
            options.append((1 if names else 3, "parameter"))
        weights = self.parameters[self.weights].shapes if self.weights else {}
        weighted = self.module.weighted
        if shape and self.level == 0 and not self.sealed and len(weights) < 4 and self.chance(50 if weighted else 8):
            options.append((6 if weighted else 1, "weight"))
        if bridges:
            options.append((1 if names else 6, "bridge"))
        options.append((1, "constant"))
        kind = self.pick(options)
        if kind == "name":
            return self.read(self.choose(names))
        if kind == "weight" and (self.weights or len(self.parameters) < MAX_PARAMETERS):
            return self.add_weight(shape)
        if kind == "weight":
            return self.constant(shape)
        if kind == "parameter":
            return self.add_parameter(shape)
        if kind == "bridge":
            name, template = self.choose(bridges)
            value = self.read(name)
            copied = template.startswith(("np.full", "np.mean", "np.sum"))
            bound = value.bound * math.prod(value.shape) if template.startswith("np.sum") else value.bound
            low = None if template.startswith("np.sum") else value.low
            return Value(template.format(value.text), shape, bound, low, copied, frozenset() if copied else value.sees)
        return self.constant(shape)

    def bridges(self, shape: Shape) -> list[tuple[str, str]]:
        """Ways to get a value of ``shape`` from one name in scope: (name, template)."""
        found = []
        for name, value in self.scope.items():
            have = value.shape
            if have == shape:
                continue
            if have == ():
                found.append((name, f"np.full({shape_text(shape)}, {{}})"))
            elif shape == ():
                found += [(name, "np.mean({})"), (name, "np.sum({})")]
            elif fits(have, shape):
                found.append((name, f"np.broadcast_to({{}}, {shape_text(shape)})"))
            elif len(have) == 2 and have[::-1] == shape:
                found.append((name, "{}.T"))
            elif len(shape) == 1 and len(have) == 2 and shape[0] in have:
                axis = 1 if have[0] == shape[0] else 0
                found.append((name, f"np.mean({{}}, axis={axis})"))
            elif len(shape) == 1 and math.prod(have) == shape[0]:
                found.append((name, "{}.ravel()"))
        return found

    def constant(self, shape: Shape) -> Value:
        if shape == ():
            arrays = [name for name, value in self.scope.items() if value.shape]
            options = ["literal", *(["size"] if arrays else []), *(["index"] if self.indices else [])]
            kind = self.choose(options)
            if kind == "size":
                name = self.choose(arrays)
                size = self.scope[name].shape[0]
                # a float: an int would make np.full(..., v) an int array, which `v /= 2.0` cannot update
                text = self.choose([f"float({name}.shape[0])", f"float(len({name}))"])
                return Value(text, (), float(size), float(size))
            if kind == "index":
                index, stop = self.choose(self.indices)
                return Value(self.choose([f"{index} + 1.0", f"0.5 * {index}"]), (), float(stop), atom=False)
            literal = self.choose([0.5, 1.5, -0.7, 2.0])
            return Value(repr(literal), (), abs(literal), literal if literal > 0 else None, atom=literal > 0)
        size = math.prod(shape)
        kind = self.choose(["linspace", "ones", "full"])
        if kind == "ones":
            return Value(f"np.ones({shape_text(shape)})", shape, 1.0, 1.0)
        if kind == "full":
            return Value(f"np.full({shape_text(shape)}, 0.5)", shape, 0.5, 0.5)
        text = f"np.linspace(-1.0, 1.0, {size})"
        return Value(text if len(shape) == 1 else f"{text}.reshape{shape}", shape, 1.0)

    def positive(self, shape: Shape, depth: int, at_least: float = 0.1) -> Value:
        """An expression of ``shape`` whose value is at least ``at_least`` (0.1 or 1) everywhere."""
        names = [
            name
            for name, value in self.scope.items()
            if value.shape == shape and value.low is not None and value.low >= at_least
        ]
        forms = [(3, "name")] if names else []
        forms += [(3, "1.0 + {} ** 2"), (2, "np.cosh({})"), (1, "np.sqrt({} ** 2 + 1.0)"), (1, "2.0 + np.sin({})")]
        if at_least < 1.0:
            forms += [(3, "np.exp({})"), (1, "np.square({}) + 0.5")]
        form = self.pick(forms)
        if form == "name":
            return self.read(self.choose(names))
        inner = self.expression(shape, depth)
        if form in ("np.exp({})", "np.cosh({})"):
            inner = self.squash(inner, 2.0)
            bound = math.exp(inner.bound) if form == "np.exp({})" else math.cosh(inner.bound)
            low = math.exp(-inner.bound) if form == "np.exp({})" else 1.0
            return Value(form.format(inner.text), shape, bound, low, sees=frozenset())
        if form == "2.0 + np.sin({})":
            return Value(form.format(inner.text), shape, 3.0, 1.0, atom=False)
        inner = self.squash(inner, 5.0)
        if form == "np.sqrt({} ** 2 + 1.0)":
            return Value(form.format(operand(inner)), shape, math.sqrt(inner.bound**2 + 1.0), 1.0)
        offset, low = (1.0, 1.0) if form == "1.0 + {} ** 2" else (0.5, 0.5)
        text = form.format(operand(inner) if "**" in form else inner.text)
        return Value(text, shape, inner.bound**2 + offset, low, atom=False)

    def split(self, shape: Shape) -> tuple[Shape, Shape]:
        """Two operand shapes that broadcast together to ``shape``."""
        shapes = operand_shapes(shape)
        left = self.pick([(4 if s == shape else 1, s) for s in shapes])
        right = self.pick([(4 if s == shape else 1, s) for s in shapes if broadcast(left, s) == shape])
        return left, right

    # -- expression kinds (each returns None when it has nothing of this shape) ---------------------

    def elementwise(self, shape: Shape, depth: int) -> Value | None:
        unary = self.choose([u for u in _UNARY if shape == () or not u.scalar_only])
        inner = self.expression(shape, depth)
        if unary.limit is not None:
            inner = self.squash(inner, unary.limit)
        low = unary.low(inner.bound) if unary.low else None
        if unary.template.startswith(("np.", "math.")):
            return Value(unary.template.format(inner.text), shape, unary.bound(inner.bound), low)
        return self.limited(
            Value(unary.template.format(operand(inner)), shape, unary.bound(inner.bound), low, atom=False)
        )

    def arithmetic(self, shape: Shape, depth: int) -> Value | None:
        left_shape, right_shape = self.split(shape)
        left, right = self.expression(left_shape, depth), self.expression(right_shape, depth)
        operator = self.pick([(3, "+"), (2, "-"), (3, "*"), (1, "np.add"), (1, "np.subtract"), (1, "np.multiply")])
        product = operator in ("*", "np.multiply")
        bound = left.bound * right.bound if product else left.bound + right.bound
        low = None
        if left.low and right.low and operator in ("+", "np.add", "*", "np.multiply"):
            low = left.low * right.low if product else left.low + right.low
        if operator.startswith("np."):
            return self.limited(Value(f"{operator}({left.text}, {right.text})", shape, bound, low))
        return self.limited(Value(f"{operand(left)} {operator} {operand(right)}", shape, bound, low, atom=False))

    def through_positive(self, shape: Shape, depth: int) -> Value | None:
        """log, sqrt, division and powers, of values built to be positive."""
        forms = [
            "np.log",
            "np.sqrt",
            "power",
            "reciprocal",
            "divide",
            "divide",
            "exponent",
            "np.arctan2",
            "np.log1p",
            "np.log2",
            "np.log10",
            "np.logaddexp",
        ]
        if shape == ():
            forms += ["math.log", "math.sqrt", "math.pow"]
        form = self.choose(forms)
        if form == "np.logaddexp":  # needs no positive argument, but is a log all the same
            left_shape, right_shape = self.split(shape)
            left, right = self.expression(left_shape, depth), self.expression(right_shape, depth)
            bound = max(left.bound, right.bound) + math.log(2.0)
            return Value(f"np.logaddexp({left.text}, {right.text})", shape, bound)
        if form in ("divide", "exponent", "np.arctan2"):
            left_shape, right_shape = self.split(shape)
            if form == "exponent":
                base = self.positive(left_shape, depth)
                exponent = self.squash(self.expression(right_shape, depth))
                bound = max(base.bound, 1.0 / base.low) ** exponent.bound
                text, call = self.choose(
                    [
                        (f"{operand(base)} ** {operand(exponent)}", False),
                        (f"np.power({base.text}, {exponent.text})", True),
                    ]
                )
                return self.limited(Value(text, shape, bound, atom=call))
            numerator = self.expression(left_shape, depth)
            denominator = self.positive(right_shape, depth)
            if form == "np.arctan2":
                return Value(f"np.arctan2({numerator.text}, {denominator.text})", shape, math.pi / 2)
            text, call = self.choose(
                [
                    (f"{operand(numerator)} / {operand(denominator)}", False),
                    (f"np.divide({numerator.text}, {denominator.text})", True),
                ]
            )
            return self.limited(Value(text, shape, numerator.bound / denominator.low, atom=call))
        argument = self.positive(shape, depth)
        low, high = argument.low, argument.bound
        if form in ("np.log", "math.log", "np.log2", "np.log10"):
            scale = {"np.log2": math.log(2.0), "np.log10": math.log(10.0)}.get(form, 1.0)
            bound = max(abs(math.log(low)), abs(math.log(high))) / scale
            return Value(f"{form}({argument.text})", shape, bound, math.log(low) / scale if low > 1.0 else None)
        if form == "np.log1p":
            return Value(f"np.log1p({argument.text})", shape, math.log1p(high), math.log1p(low))
        if form in ("np.sqrt", "math.sqrt"):
            return Value(f"{form}({argument.text})", shape, math.sqrt(high), math.sqrt(low))
        if form == "reciprocal":
            text, call = self.choose([(f"1.0 / {operand(argument)}", False), (f"np.reciprocal({argument.text})", True)])
            return self.limited(Value(text, shape, 1.0 / low, 1.0 / high, atom=call))
        power = self.choose([0.5, 1.5, -0.5, 0.7])
        bound, low = max(low**power, high**power), min(low**power, high**power)
        if form == "math.pow":
            return self.limited(Value(f"math.pow({argument.text}, {power})", shape, bound, low))
        if self.chance(50):
            return self.limited(Value(f"np.power({argument.text}, {power})", shape, bound, low))
        return self.limited(Value(f"{operand(argument)} ** {power}", shape, bound, low, atom=False))

    def reduction(self, shape: Shape, depth: int) -> Value | None:
        sizes = self.module.sizes
        if shape == ():
            options = [(source, None, False) for source in self.array_shapes()]
            options += [((size,), 0, False) for size in sizes]
        elif len(shape) == 1:
            options = [((size, *shape), 0, False) for size in sizes] + [((*shape, size), 1, False) for size in sizes]
        elif shape[1] == 1:
            options = [((shape[0], size), 1, True) for size in sizes]
        elif shape[0] == 1:
            options = [((size, shape[1]), 0, True) for size in sizes]
        else:
            return None
        source, axis, keepdims = self.choose(options)
        function = self.pick([(4, "sum"), (3, "mean"), (1, "max"), (1, "min"), (1, "prod"), (1, "norm"), (1, "mask")])
        if function == "mask":
            if axis is None:
                values = self.leaf(source)
                bound = values.bound * math.prod(source)
                return Value(f"np.sum({operand(values)}[{operand(values)} > {self.choose(THRESHOLDS)}])", (), bound)
            function = "sum"
        if function == "norm":
            inner = self.positive(source, depth)  # the norm has a kink at 0
        elif function == "prod":
            inner = self.squash(self.expression(source, depth))
        else:
            inner = self.expression(source, depth)
        count = math.prod(source) if axis is None else source[axis]
        arguments = []
        if axis is not None:
            spelled = self.choose([str(axis), str(axis - len(source))])
            positional = function != "norm" and not keepdims and self.chance(30)  # norm's second parameter is ord
            arguments.append(spelled if positional else f"axis={spelled}")
        if keepdims:
            arguments.append("keepdims=True")
        bound = {"sum": inner.bound * count, "norm": inner.bound * math.sqrt(count), "prod": 1.0}.get(
            function, inner.bound
        )
        low = inner.low if function in ("mean", "max", "min") else None
        if function == "norm":
            text = f"np.linalg.norm({', '.join([inner.text, *arguments])})"
            return self.limited(Value(text, shape, bound, inner.low * math.sqrt(count)))
        if self.chance(30):
            text = f"{operand(inner)}.{function}({', '.join(arguments)})"
        else:
            text = f"np.{function}({', '.join([inner.text, *arguments])})"
        return self.limited(Value(text, shape, bound, low))

    def product(self, shape: Shape, depth: int) -> Value | None:
        k = self.choose(self.module.sizes)
        if shape == ():
            forms = [
                ("{} @ {}", (k,), (k,)),
                ("np.dot({}, {})", (k,), (k,)),
                ("{}.dot({})", (k,), (k,)),
                ("np.inner({}, {})", (k,), (k,)),
            ]
        elif len(shape) == 1:
            (a,) = shape
            forms = [
                ("{} @ {}", (a, k), (k,)),
                ("{} @ {}", (k,), (k, a)),
                ("np.dot({}, {})", (a, k), (k,)),
                ("{}.T @ {}", (k, a), (k,)),
                ("np.matmul({}, {})", (k,), (k, a)),
            ]
        else:
            a, b = shape
            forms = [
                ("{} @ {}", (a, k), (k, b)),
                ("np.outer({}, {})", (a,), (b,)),
                ("np.matmul({}, {})", (a, k), (k, b)),
                ("{}.T @ {}", (k, a), (k, b)),
                ("{} @ {}.T", (a, k), (b, k)),
            ]
        template, left_shape, right_shape = self.choose(forms)
        left, right = self.expression(left_shape, depth), self.expression(right_shape, depth)
        call = template.startswith("np.")
        text = template.format(left.text if call else operand(left), right.text if call else operand(right))
        bound = left.bound * right.bound * (1 if template.startswith("np.outer") else k)
        return self.limited(Value(text, shape, bound, atom=call))

    def indexing(self, shape: Shape, depth: int) -> Value | None:
        """A read of part of a bigger array: ``shape`` is what the subscript gives."""
        sizes = self.module.sizes
        options = []  # (the array's shape, the index, whether the result is a copy)
        if shape == ():
            for size in sizes:
                options.append(((size,), str(self.number(-size, size - 1)), True))
            n, m = sizes
            options.append(((n, m), f"{self.number(0, n - 1)}, {self.number(-m, m - 1)}", True))
            options += [((stop,), index, True) for index, stop in self.indices]
        elif len(shape) == 1:
            (a,) = shape
            k = self.choose(sizes)
            options += [
                ((k, a), str(self.number(-k, k - 1)), False),
                ((a, k), f":, {self.number(0, k - 1)}", False),
                ((a + 1,), "1:", False),
                ((a + 1,), ":-1", False),
                ((a + 2,), "1:-1", False),
                ((2 * a,), "::2", False),
                ((a,), "::-1", False),
            ]
            positions = [str(self.number(0, k - 1)) for _ in range(a)]
            options.append(((k,), f"[{', '.join(positions)}]", True))  # integer-array read, may repeat
            for index, stop in self.indices:
                options += [((stop, a), index, False), ((a, stop), f":, {index}", False)]
        else:
            a, b = shape
            options += [((a + 1, b), "1:", False), ((a, b + 1), ":, :-1", False), ((a, b), "::-1", False)]
            if b == 1:
                options += [((a,), ":, None", False), ((a,), ":, np.newaxis", False)]
            if a == 1:
                options += [((b,), "None, :", False), ((b,), "None", False)]
        source, index, copied = self.choose(options)
        array = self.expression(source, depth)
        sees = frozenset() if copied else array.sees
        return Value(f"{operand(array)}[{index}]", shape, array.bound, array.low, copied, sees)

    def reshaping(self, shape: Shape, depth: int) -> Value | None:
        options = []  # (the argument's shape, template, whether the result is a copy)
        if shape == ():
            options.append(((), "float({})", True))
        elif len(shape) == 1:
            (size,) = shape
            for a in range(1, size + 1):
                if size % a == 0 and 1 < a < size:
                    options += [
                        ((a, size // a), "{}.reshape(-1)", False),
                        ((a, size // a), "{}.ravel()", False),
                        ((a, size // a), "np.ravel({})", False),
                        ((a, size // a), "{}.flatten()", True),
                        ((a, size // a), f"np.reshape({{}}, ({size},))", False),
                    ]
            if size > 1:  # squeezing (1, 1) leaves no axis
                options += [((size, 1), "np.squeeze({})", False), ((1, size), "{}.squeeze()", False)]
            options += [
                ((1, size), "np.squeeze({}, axis=0)", False),
                ((size,), "{}.copy()", True),
                ((size,), "np.copy({})", True),
            ]
        else:
            a, b = shape
            options += [
                ((b, a), "{}.T", False),
                ((b, a), "np.transpose({})", False),
                ((b, a), "{}.transpose()", False),
                ((a * b,), f"{{}}.reshape({a}, {b})", False),
                ((a * b,), f"np.reshape({{}}, ({a}, {b}))", False),
                ((b,), f"np.broadcast_to({{}}, ({a}, {b}))", False),
                ((a, b), "{}.copy()", True),
            ]
            if b == 1:
                options += [((a,), "np.expand_dims({}, 1)", False), ((a,), f"{{}}.reshape({a}, 1)", False)]
            if a == 1:
                options += [((b,), "np.expand_dims({}, 0)", False)]
        source, template, copied = self.choose(options)
        inner = self.expression(source, depth)
        text = template.format(inner.text if template.startswith(("np.", "float")) else operand(inner))
        return Value(text, shape, inner.bound, inner.low, copied, frozenset() if copied else inner.sees)

    def joining(self, shape: Shape, depth: int) -> Value | None:
        depth = min(depth, 1)
        options = []
        if len(shape) == 1:
            (size,) = shape
            if size >= 2:
                options.append("concatenate")
            if size <= 4:
                options.append("array")
        elif len(shape) == 2:
            a, b = shape
            options += ["stack"] if a <= 4 else []
            options += ["stack-columns"] if b <= 4 else []
            options += ["concatenate"] if a >= 2 else []
        if not options:
            return None
        kind = self.choose(options)
        if kind == "array":
            items = [self.expression((), depth) for _ in range(shape[0])]
            return Value(f"np.array([{', '.join(i.text for i in items)}])", shape, max(i.bound for i in items))
        if kind.startswith("stack"):
            columns = kind == "stack-columns"
            count, item_shape = (shape[1], (shape[0],)) if columns else (shape[0], shape[1:])
            items = [self.expression(item_shape, depth) for _ in range(count)]
            axis = ", axis=1" if columns else ""
            return Value(f"np.stack([{', '.join(i.text for i in items)}]{axis})", shape, max(i.bound for i in items))
        first = self.number(1, shape[0] - 1)
        items = [self.expression((first, *shape[1:]), depth), self.expression((shape[0] - first, *shape[1:]), depth)]
        return Value(f"np.concatenate([{', '.join(i.text for i in items)}])", shape, max(i.bound for i in items))

    def kink(self, shape: Shape, depth: int) -> Value | None:
        forms = ["abs", "np.abs", "relu", "np.clip", "np.maximum", "np.minimum", "remainder"]
        if shape:  # a Python float has no methods; np.where of scalars gives a 0-d array, which is mutable
            forms += ["clip-method", "np.where"]
        form = self.choose(forms)
        if form in ("np.maximum", "np.minimum", "np.where"):
            left_shape, right_shape = self.split(shape)
            left, right = self.expression(left_shape, depth), self.expression(right_shape, depth)
            bound = max(left.bound, right.bound)
            if form == "np.where":
                test = self.expression(self.choose(operand_shapes(shape)), depth)
                text = f"np.where({operand(test)} > {self.choose(THRESHOLDS)}, {left.text}, {right.text})"
                return Value(text, shape, bound)
            return Value(f"{form}({left.text}, {right.text})", shape, bound)
        inner = self.expression(shape, depth)
        if form == "remainder":
            return Value(f"{operand(inner)} % 1.5", shape, 1.5, atom=False)
        if form == "relu":
            return Value(f"np.maximum({inner.text}, 0.0)", shape, inner.bound)
        if form == "np.clip":
            return Value(f"np.clip({inner.text}, -0.5, 0.5)", shape, min(inner.bound, 0.5))
        if form == "clip-method":
            return Value(f"{operand(inner)}.clip(-0.5, 0.5)", shape, min(inner.bound, 0.5))
        return Value(f"{form}({inner.text})", shape, inner.bound, inner.low)

    def linear_algebra(self, shape: Shape, depth: int) -> Value | None:
        """solve, inv and det of matrices built to be well conditioned."""
        forms = [("det", size) for size in self.module.sizes] if shape == () else []
        if len(shape) >= 1 and shape[0] <= 4:
            forms.append(("solve", shape[0]))
        if len(shape) == 2 and shape[0] == shape[1]:
            forms.append(("inv", shape[0]))
        if not forms:
            return None
        form, size = self.choose(forms)
        # 2 on the diagonal, at most 0.25 elsewhere: its eigenvalues are within 1.25 of 2 (Gershgorin).
        entries = self.expression((size, size), depth)
        matrix = f"2.0 * np.eye({size}) + 0.25 * np.tanh({entries.text})"
        if form == "det":
            return Value(f"np.linalg.det({matrix})", (), 3.25**size, 0.75**size)
        if form == "inv":
            return Value(f"np.linalg.inv({matrix})", shape, size / 0.75)
        right = self.expression(shape, depth)
        return self.limited(Value(f"np.linalg.solve({matrix}, {right.text})", shape, right.bound * size / 0.75))

    def conditional(self, shape: Shape, depth: int) -> Value | None:
        chosen, other = self.expression(shape, depth), self.expression(shape, depth)
        low = min(chosen.low, other.low) if chosen.low and other.low else None
        text = f"{operand(chosen)} if {self.condition()} else {operand(other)}"
        return Value(
            text,
            shape,
            max(chosen.bound, other.bound),
            low,
            chosen.fresh and other.fresh,
            chosen.sees | other.sees,
            atom=False,
        )

    def helper_call(self, shape: Shape, depth: int) -> Value | None:
        helper = self.helper((shape,))
        if helper is None:
            return None
        text, sees = self.call(helper, depth)
        return Value(text, shape, helper.bounds[0], fresh=False, sees=sees)

    def helper(self, results: tuple[Shape, ...]) -> _Helper | None:
        """A helper returning ``results``: an existing one, or a new one if helpers may go this deep."""
        existing = [h for h in self.module.helpers if h.results == results]
        if existing and self.chance(50):
            return self.choose(existing)
        if self.level >= MAX_HELPER_LEVEL:
            return None
        return self.module.helper(results, self.level + 1)

    def call(self, helper: _Helper, depth: int) -> tuple[str, frozenset[str]]:
        """A call of ``helper`` on arguments within its bound: its text, and the names the result may see."""
        arguments, sees, by_keyword = [], frozenset(), False
        for position, (name, shape) in enumerate(helper.parameters):
            if name in helper.defaults and self.chance(50):
                by_keyword = True  # left out: later arguments must be given by keyword
                continue
            value = self.squash(self.expression(shape, depth), HELPER_ARGUMENT_BOUND)
            sees |= value.sees
            by_keyword = by_keyword or (position > 0 and self.chance(25))
            arguments.append(f"{name}={value.text}" if by_keyword else value.text)
        return f"{helper.name}({', '.join(arguments)})", sees

    def condition(self) -> str:
        """A test for if, while and conditional expressions: mostly on data."""
        form = self.pick(
            [
                (3, "sum"),
                (2, "scalar"),
                (1, "mean"),
                (1, "max"),
                (1, "any"),
                (1, "compare"),
                (1, "static"),
                (1, "not"),
                (1, "and"),
                (1, "or"),
            ]
        )
        threshold = self.choose(THRESHOLDS)
        if form in ("not", "and", "or"):
            first = self.simple_condition()
            return f"not {first}" if form == "not" else f"{first} {form} {self.simple_condition()}"
        if form == "static":
            arrays = [name for name, value in self.scope.items() if value.shape]
            if arrays:
                name = self.choose(arrays)
                return f"{name}.shape[0] > {self.choose([1, 2, 3])}"
            form = "scalar"
        if form == "compare":
            return f"{operand(self.expression((), 1))} < {operand(self.expression((), 1))}"
        if form == "scalar":
            return f"{operand(self.expression((), self.number(0, 1)))} > {threshold}"
        values = self.expression(self.choose(self.array_shapes()), self.number(0, 1))
        if form == "any":
            return f"np.any({operand(values)} > {threshold})"
        return f"np.{form}({values.text}) > {threshold}"

    @staticmethod
    def grouped(condition: str) -> str:
        """``condition`` as an operand of ``and``: parenthesized if it is an ``or``."""
        return f"({condition})" if " or " in condition else condition

    def simple_condition(self) -> str:
        return f"np.sum({self.expression(self.some_shape(), 0).text}) > {self.choose(THRESHOLDS)}"

    # -- statements ---------------------------------------------------------------------------------

    def statements(self, count: int) -> None:
        """Up to ``count`` statements, as the module's budget allows."""
        for _ in range(count):
            if self.module.budget <= 0:
                return
            self.statement()

    def statement(self) -> None:
        self.module.budget -= 1
        returns = 0 if self.loops and "return-in-loop" in self.module.avoid else 1
        kinds = [
            (6, self.assign),
            (2, self.reassign),
            (2, self.augment),
            (1, self.unpack),
            (2, self.build_array),
            (1, self.write_part),
            (1, self.call_statement),
            (returns, self.early_return),
            (2, self.python_statement),
        ]
        if "aliases" not in self.module.avoid:
            kinds.append((2, self.alias))
            if any(value.handle for value in self.scope.values()):
                kinds.append((3, self.update_alias))
        if self.nesting < MAX_NESTING:
            kinds += [(2, self.branch), (2, self.for_loop), (1, self.while_loop)]
        if self.loops:
            kinds += [(4, self.update_carried), (1, self.leave_loop)]
        if not self.pick(kinds)():
            self.assign()

    def assign(self) -> bool:
        shape = self.some_shape()
        value = self.expression(shape, self.number(1, 3))
        name = self.module.name("v")
        self.write(f"{name} = {value.text}")
        self.bind(name, value)
        return True

    def reassign(self) -> bool:
        names = [name for name in self.scope if self.writable(name)]
        if not names:
            return False
        name = self.choose(names)
        value = self.expression(self.scope[name].shape, self.number(1, 3))
        self.write(f"{name} = {value.text}")
        self.bind(name, value)
        return True

    def augment(self) -> bool:
        names = [
            name for name, value in self.scope.items() if self.writable(name) and (value.shape == () or value.fresh)
        ]
        if not names:
            return False
        name = self.choose(names)
        target = self.scope[name]
        operator = self.choose(["+=", "-=", "*=", "/=", "**="])
        shape = self.pick([(3 if s == target.shape else 1, s) for s in operand_shapes(target.shape)])
        low = None
        if operator in ("+=", "-=") and target.bound <= LARGEST - 1.0:
            value = self.squash(self.expression(shape, self.number(1, 2)), LARGEST - target.bound)
            bound = target.bound + value.bound
            if operator == "+=" and target.low and value.low:
                low = target.low + value.low
        elif operator == "/=":
            value = self.positive(shape, self.number(0, 2), at_least=1.0)
            bound = target.bound
            low = target.low / value.bound if target.low else None
        elif operator == "**=" and target.bound <= 5.0:
            value = Value("2", (), 2.0)
            bound = target.bound**2
            low = target.low**2 if target.low else None
        else:
            operator = "*="
            value = self.squash(self.expression(shape, self.number(1, 2)))
            bound = target.bound
        self.write(f"{name} {operator} {value.text}")
        self.scope[name] = dataclasses.replace(target, bound=bound, low=low)
        return True

    def unpack(self) -> bool:
        names = [name for name in self.scope if self.writable(name)]
        same_shape = [(a, b) for a, b in itertools.combinations(names, 2) if self.scope[a].shape == self.scope[b].shape]
        form = self.choose(
            ["new", "new-list", *(["swap"] if same_shape else []), *(["both"] if len(names) > 1 else [])]
        )
        if form == "swap":
            first, second = self.choose(same_shape)
            targets, values = [first, second], [self.read(second), self.read(first)]
        elif form == "both":
            targets = [self.choose(names)]
            targets.append(self.choose([n for n in names if n != targets[0]]))
            values = [self.expression(self.scope[t].shape, self.number(0, 2)) for t in targets]
        else:
            targets = [self.module.name("v"), self.module.name("v")]
            values = [self.expression(self.some_shape(), self.number(0, 2)) for _ in targets]
        left, right = ", ".join(targets), ", ".join(v.text for v in values)
        self.write(f"[{left}] = [{right}]" if form == "new-list" else f"{left} = {right}")
        for target, value in zip(targets, values, strict=True):
            self.bind(target, value)
        return True

    def build_array(self) -> bool:
        """A new local array, then assignments into parts of it."""
        shape = self.choose(self.array_shapes())
        like = [name for name, value in self.scope.items() if value.shape == shape]
        forms = [(2, "np.zeros({})"), (1, "np.ones({})")]
        if like:
            forms += [
                (2, "np.zeros_like({})"),
                (1, "np.ones_like({})"),
                (1, "{}.copy()"),
                (1, "np.copy({})"),
                (1, "np.full_like({}, 0.5)"),
            ]
        form = self.pick(forms)
        if form in ("np.zeros({})", "np.ones({})"):
            text, bound = form.format(shape_text(shape)), float("ones" in form)
        else:
            source = self.read(self.choose(like))
            text = form.format(source.text)
            bound = {"np.zeros_like({})": 0.0, "np.ones_like({})": 1.0, "np.full_like({}, 0.5)": 0.5}.get(
                form, source.bound
            )
        name = self.module.name("v")
        self.write(f"{name} = {text}")
        self.bind(name, Value(name, shape, bound, contiguous=form in ("np.zeros({})", "np.ones({})", "{}.copy()")))
        for _ in range(self.number(1, 2)):
            self.write_part(name)
        return True

    def write_part(self, name: str | None = None) -> bool:
        """``y[...] = ...``, ``+=`` or ``-=`` into a local array no other name sees."""
        names = [n for n, value in self.scope.items() if self.writable(n) and value.fresh and value.shape]
        if name is None:
            if not names:
                return False
            name = self.choose(names)
        target = self.scope[name]
        index, part = self.part(target.shape)
        operator = self.choose(["=", "+=", "-="])
        shape = self.pick([(3 if s == part else 1, s) for s in operand_shapes(part)])
        value = self.expression(shape, self.number(1, 2))
        if operator == "=":
            value = self.limited(value)
            bound = max(target.bound, value.bound)
        else:
            value = self.squash(value, max(LARGEST - target.bound, 1.0))
            bound = target.bound + value.bound
        self.write(f"{name}[{index}] {operator} {value.text}")
        self.scope[name] = dataclasses.replace(target, bound=bound, low=None)
        return True

    def part(self, shape: Shape) -> tuple[str, Shape]:
        """An index into an array of ``shape`` for assignment, and the shape of the part it selects."""
        options = []
        if len(shape) == 1:
            (k,) = shape
            options += [
                (str(self.number(-k, k - 1)), ()),
                ("1:", (k - 1,)),
                (":-1", (k - 1,)),
                ("::2", ((k + 1) // 2,)),
                (":", (k,)),
            ]
            options += [(index, ()) for index, stop in self.indices if stop <= k]
        else:
            a, b = shape
            options += [
                (str(self.number(0, a - 1)), (b,)),
                (f":, {self.number(-b, b - 1)}", (a,)),
                (f"{self.number(0, a - 1)}, {self.number(0, b - 1)}", ()),
                ("1:", (a - 1, b)),
                (":, 1:", (a, b - 1)),
            ]
            options += [(index, (b,)) for index, stop in self.indices if stop <= a]
            options += [(f":, {index}", (a,)) for index, stop in self.indices if stop <= b]
        return self.choose([(index, part) for index, part in options if 0 not in part])

    def call_statement(self) -> bool:
        """``v = g(...)`` or ``a, b = g(...)`` with a helper."""
        results = tuple(self.some_shape() for _ in range(self.choose([1, 1, 2])))
        helper = self.helper(results)
        if helper is None:
            return False
        text, sees = self.call(helper, self.number(0, 2))
        targets = [self.module.name("v") for _ in results]
        self.write(f"{', '.join(targets)} = {text}")
        for target, shape, bound in zip(targets, helper.results, helper.bounds, strict=True):
            self.bind(target, Value(target, shape, bound, fresh=False, sees=sees))
        return True

    def result(self, shape: Shape) -> Value:
        """What to return: reads the values written and not read since, brought to ``shape``."""
        names = [name for name in self.unused if name in self.scope][-3:]
        if not names:  # return something that depends on the arguments, not a constant
            names = [self.choose(list(self.scope))]
        terms = []
        if shape and not any(self.scope[name].shape == shape for name in names):
            terms.append(self.expression(shape, 1))
        for name in names:
            value = self.read(name)
            if fits(value.shape, shape):
                terms.append(value)
            else:
                reduce = self.choose(["np.sum", "np.mean"])
                bound = value.bound * (math.prod(value.shape) if reduce == "np.sum" else 1)
                terms.append(Value(f"{reduce}({value.text})", (), bound))
        if not terms:
            terms.append(self.expression(shape, 2))
        if len(terms) == 1:
            return terms[0]
        return self.limited(
            Value(" + ".join(operand(t) for t in terms), shape, sum(t.bound for t in terms), atom=False)
        )

    def write_return(self) -> None:
        values = [self.result(shape) for shape in self.results]
        self.write(f"return {', '.join(v.text for v in values)}")
        self.returned.append(tuple(v.bound for v in values))

    def early_return(self) -> bool:
        entry, unused = dict(self.scope), list(self.unused)
        with self.block(f"if {self.condition()}:"):
            if self.chance(30):
                self.statement()
            self.write_return()
        self.scope, self.unused = entry, unused  # that arm never comes back
        return True

    def branch(self, inside=None) -> bool:
        """if / elif / else; each arm assigns the same new names when there is an else.

        ``inside``: writes statements the first arm begins with.
        """
        arms = self.choose([1, 2, 2, 3])
        with_else = arms > 1 and self.chance(80)
        targets = [(self.module.name("v"), self.some_shape()) for _ in range(self.number(0, 2) if with_else else 0)]
        entry, ends = dict(self.scope), []
        for arm in range(arms):
            self.scope = dict(entry)
            if arm == 0:
                header = f"if {self.condition()}:"
            elif arm == arms - 1 and with_else:
                header = "else:"
            else:
                header = f"elif {self.condition()}:"
            with self.block(header):
                if inside and arm == 0:
                    inside()
                self.statements(self.number(0 if targets or (inside and arm == 0) else 1, 2))
                for name, shape in targets:
                    value = self.expression(shape, self.number(1, 2))
                    self.write(f"{name} = {value.text}")
                    self.bind(name, value)
            ends.append(self.scope)
        self.scope = self.merge(ends if with_else else [*ends, entry])
        return True

    def merge(self, scopes: list[dict[str, Value]]) -> dict[str, Value]:
        """What is known after paths that end in ``scopes`` join."""
        merged = {}
        for name, value in scopes[0].items():
            values = [scope.get(name) for scope in scopes]
            if any(v is None or v.shape != value.shape for v in values):
                continue
            lows = [v.low for v in values]
            merged[name] = Value(
                name,
                value.shape,
                max(v.bound for v in values),
                min(lows) if all(lows) else None,
                all(v.fresh for v in values),
                memories=frozenset().union(*(v.memories for v in values)),
                handle=all(v.handle for v in values),
                contiguous=all(v.contiguous for v in values),
                form=value.form,
            )
        self.unused = [name for name in self.unused if name in merged]
        return merged

    # -- loops ----------------------------------------------------------------------------------------

    def for_loop(self, inside=None) -> bool:
        """A for loop; ``inside``: writes statements its body begins with."""
        arrays = [name for name, value in self.scope.items() if value.shape]
        forms = ["range", "range", "range-from-one"] + (["rows", "enumerate", "zip"] if arrays else [])
        form = self.choose(forms)
        index = items = None
        if form.startswith("range"):
            stop = self.choose(self.module.sizes)
            sized = [name for name in arrays if self.scope[name].shape[0] == stop]
            spelled = str(stop)
            if sized and self.chance(50):
                name = self.choose(sized)
                spelled = self.choose([f"{name}.shape[0]", f"len({name})"])
            index = self.module.name("i")
            start = 1 if form == "range-from-one" else 0
            header = f"for {index} in range({spelled}):" if start == 0 else f"for {index} in range(1, {spelled}):"
            trips = stop - start
        else:
            iterated = self.read(self.choose(arrays))
            self.share(iterated.text)  # each item is a view of it
            trips = iterated.shape[0]
            items = [(self.module.name("r"), iterated)]
            if form == "zip":
                partners = [n for n in arrays if self.scope[n].shape[0] == trips]
                items.append((self.module.name("r"), self.read(self.choose(partners))))
                header = f"for {items[0][0]}, {items[1][0]} in zip({items[0][1].text}, {items[1][1].text}):"
            elif form == "enumerate":
                index = self.module.name("i")
                header = f"for {index}, {items[0][0]} in enumerate({iterated.text}):"
            else:
                header = f"for {items[0][0]} in {iterated.text}:"
        collected = self.module.name("hs") if self.chance(25) else None
        if collected:
            self.write(f"{collected} = []")
        loop = self.enter_loop(trips, can_continue=True)
        if index is not None:
            self.indices.append((index, trips + (1 if form == "range-from-one" else 0)))
        with self.block(header):
            for name, array in items or []:
                array = self.scope.get(array.text, array)  # as loosened for the loop
                row = len(array.shape) > 1  # a row is a view; an item of a vector, a copy
                self.scope[name] = Value(
                    name,
                    array.shape[1:],
                    array.bound,
                    array.low,
                    fresh=False,
                    memories=array.memories if row else frozenset(),
                    handle=array.handle and row,
                    contiguous=array.contiguous,
                    form="loop-item",
                )
                loop.local.add(name)
            if collected:  # first, so that every trip appends one item (break and continue come later)
                item = self.owned(self.expression(self.some_shape(), self.number(1, 2)))
                self.write(f"{collected}.append({item.text})")
            if inside:
                inside()
            self.loop_body(loop)
        if index is not None:
            self.indices.pop()
        self.leave(loop)
        if collected:
            self.gather(collected, item, trips)
        return True

    def gather(self, collected: str, item: Value, trips: int) -> None:
        """A value from the list a loop appended to (some trips may have been cut by a break)."""
        form = self.choose(["sum({})", "np.mean(np.stack({}), axis=0)", "np.sum(np.array({}), axis=0)"])
        bound = item.bound if form.startswith("np.mean") else item.bound * trips
        value = self.limited(Value(form.format(collected), item.shape, bound))
        name = self.module.name("v")
        self.write(f"{name} = {value.text}")
        self.bind(name, value)

    def owned(self, value: Value) -> Value:
        """``value``, copied if it may be an array a name sees (a list keeps what it is given)."""
        if value.shape == () or (value.fresh and not value.sees):
            return value
        return Value(f"{operand(value)}.copy()", value.shape, value.bound, value.low)

    def while_loop(self) -> bool:
        form = self.choose(["counter", "counter-and-data", "until-break", "rising"])
        if form == "rising":
            return self.rising_loop()
        counter = self.module.name("n")
        trips = self.choose(self.module.sizes)
        self.write(f"{counter} = 0")
        loosened = self.loosen(trips)  # before the test, which reads data on every trip
        header = {
            "counter": f"while {counter} < {trips}:",
            "counter-and-data": f"while {counter} < {trips} and {self.grouped(self.condition())}:",
            "until-break": "while True:",
        }[form]
        # In `while True`, a continue would skip the test that ends the loop.
        loop = self.enter_loop(trips, can_continue=form != "until-break", loosened=loosened)
        with self.block(header):
            self.write(f"{counter} += 1")  # first, so that continue cannot skip it
            self.loop_body(loop)
            if form == "until-break":
                stop = f"{counter} >= {trips}" + (f" or {self.simple_condition()}" if self.chance(60) else "")
                with self.block(f"if {stop}:"):
                    self.write("break")
        self.leave(loop)
        return True

    def rising_loop(self) -> bool:
        """``while s < c:`` where every trip adds at least 0.5 to s (which starts in [-1, 1])."""
        rising = self.module.name("s")
        start = self.squash(self.expression((), self.number(0, 2)))
        self.write(f"{rising} = {start.text}")
        self.bind(rising, start)
        ceiling = self.choose([1.0, 2.0])
        trips = math.ceil((ceiling + 1.0) / 0.5)
        loop = self.enter_loop(trips, can_continue=True, fixed={rising})
        with self.block(f"while {rising} < {ceiling}:"):
            step = self.squash(self.positive((), self.number(0, 1)))
            self.write(f"{rising} = {rising} + 0.5 + {operand(step)}")  # first, so that continue cannot skip it
            self.scope[rising] = Value(rising, (), ceiling + 1.5, fresh=False)
            self.loop_body(loop)
        self.leave(loop)
        self.scope[rising] = Value(rising, (), ceiling + 1.5)
        return True

    def enter_loop(
        self,
        trips: int,
        can_continue: bool,
        fixed: frozenset[str] = frozenset(),
        loosened: tuple[dict[int, str], dict[str, Value]] | None = None,
    ) -> _Loop:
        """Chooses the values the loop carries from trip to trip, declaring what holds for them on every trip.

        ``fixed``: names the loop updates in its own way (a while loop's rising value). ``loosened``: what
        ``loosen`` declared already for the alias groups.
        """
        modes, loosened = self.loosen(trips) if loosened is None else loosened
        enclosing = self.loops[-1] if self.loops else None
        candidates = [
            name
            for name in self.scope
            if name not in fixed
            and not self.scope[name].memories
            and (self.writable(name) or (enclosing and name in enclosing.carried))
        ]
        carried = {}
        for _ in range(self.number(1, 2)):
            if candidates and self.chance(60):
                name = self.choose(candidates)
            else:
                name = self.module.name("v")
                start = self.choose(["zero", "expression"])
                shape = self.some_shape()
                if start == "zero":
                    value = (
                        Value("0.0", (), 0.0) if shape == () else Value(f"np.zeros({shape_text(shape)})", shape, 0.0)
                    )
                else:
                    value = self.expression(shape, self.number(0, 2))
                    if any(self.scope[seen].memories for seen in value.sees if seen in self.scope):
                        value = self.owned(value)  # a carried name sees no alias group
                self.write(f"{name} = {value.text}")
                self.bind(name, value)
            accumulating = self.writable(name) and self.scope[name].bound + trips <= LARGEST
            carried[name] = self.choose(["squash", "accumulate"] if accumulating else ["squash"])
        loop = _Loop(trips, carried, can_continue, entry=dict(self.scope), modes=modes, loosened=loosened)
        for name, mode in carried.items():
            value = self.scope[name]
            bound = max(value.bound, 1.0) + (trips if mode == "accumulate" else 0.0)
            self.scope[name] = dataclasses.replace(value, bound=bound, low=None)
        loop.declared = {name: self.scope[name] for name in carried}
        self.loops.append(loop)
        return loop

    def loop_body(self, loop: _Loop) -> None:
        self.statements(self.number(0, 2))
        if self.module.budget > 0 and any(value.handle for value in self.scope.values()) and self.chance(50):
            self.module.budget -= 1
            self.update_alias()  # an array seen by several names, updated on every trip
        for name in loop.carried:
            if name not in loop.updated:
                self.update_carried(name)

    def leave(self, loop: _Loop) -> None:
        """After the loop: its body's names are gone; what it carried keeps the bounds declared for it."""
        self.loops.pop()
        after = {}
        for name, value in loop.entry.items():
            if name in loop.carried:
                value = dataclasses.replace(loop.declared[name], fresh=value.fresh)
            elif name in loop.loosened:
                value = loop.loosened[name]
            if name in loop.shared:
                value = dataclasses.replace(value, fresh=False)
            after[name] = value
        for name in loop.shared:
            for enclosing in self.loops:
                enclosing.shared.add(name)
        self.scope = after
        self.unused = [name for name in self.unused if name in after]

    def update_carried(self, name: str | None = None) -> bool:
        """An update of a value the innermost loop carries that keeps what is declared for it."""
        loop = self.loops[-1]
        if name is None:
            name = self.choose(list(loop.carried))
        if name not in self.scope:  # dropped after a branch that assigned it on one side only: cannot be
            return False
        target = self.scope[name]
        forms = ["replace", "blend"]
        if target.shape and target.fresh:
            forms.append("replace-part")
        if loop.carried[name] == "accumulate" and name not in loop.accumulated:
            forms += ["add", "add"]
            if target.shape == () or target.fresh:
                forms.append("add-in-place")
            if target.shape and target.fresh:
                forms.append("add-part")
        form = self.choose(forms)
        if form.endswith("part"):
            index, part = self.part(target.shape)
            value = self.squash(self.expression(self.choose(operand_shapes(part)), self.number(1, 2)))
            self.write(f"{name}[{index}] {'=' if form == 'replace-part' else '+='} {value.text}")
        else:
            shape = target.shape if form in ("replace", "blend") else self.choose(operand_shapes(target.shape))
            value = self.squash(self.expression(shape, self.number(1, 3)))
            if form == "replace" and (value.sees or not value.fresh):
                # A view would make the name share an array it updates in place on the next trip.
                value = Value(f"np.sin({value.text})", shape, 1.0)
            line = {
                "replace": f"{name} = {value.text}",
                "blend": f"{name} = 0.5 * {name} + 0.5 * {operand(value)}",
                "add": f"{name} = {name} + {operand(value)}",
                "add-in-place": f"{name} {self.choose(['+=', '-='])} {value.text}",
            }[form]
            self.write(line)
        if form.startswith("add"):
            loop.accumulated.add(name)
        loop.updated.add(name)
        fresh = target.fresh or form in ("replace", "blend", "add")  # those make a new array
        self.scope[name] = dataclasses.replace(loop.declared[name], fresh=fresh)
        return True

    def leave_loop(self) -> bool:
        loop = self.loops[-1]
        jump = self.choose(["break", "continue"] if loop.can_continue else ["break"])
        with self.block(f"if {self.condition()}:"):
            self.write(jump)
        return True

    # -- aliases ----------------------------------------------------------------------------------------
    #
    # An alias group is an array local to the function being written (never an argument's) with all the
    # names that may see it: names bound to it, views of it (slices, transposes, rows, reshapes, views of
    # views), items of lists that hold it, what helpers return of it, rows a loop takes of it. Its
    # handles (``Value.handle``) are the names that are certainly it or a writable view of it: updates in
    # place go through them, and each raises the bound of every name of the group and forgets its sign.
    # In a loop's body, a group made before the loop is updated only as ``loosen`` declared it may be.

    def alias(self) -> bool:
        """Names that see one local array, then in-place updates through them, each followed by reads."""
        handles = [name for name, value in self.scope.items() if value.handle]
        written = len(self.lines)
        source = self.choose(handles) if handles and self.chance(40) else self.alias_base()
        group = self.scope[source].memories
        kind = self.pick([(6, "view"), (2, "list"), (2, "helper")])
        for step in range(self.choose([1, 1, 2])):
            if step == 0 and kind == "list":
                source = self.list_of(source)
            else:
                source = self.view(source, through_helper=step == 0 and kind == "helper")
        updates = self.choose([1, 1, 2])
        self.module.budget -= len(self.lines) - written  # each line counts, as if written one by one

        def update() -> None:
            for _ in range(updates):
                self.update_alias(self.choose([n for n, v in self.scope.items() if v.handle and v.memories & group]))

        self.module.budget -= updates
        where = self.pick([(5, "here"), (3, "loop"), (2, "branch")]) if self.nesting < MAX_NESTING else "here"
        if where == "loop":
            self.for_loop(inside=update)
        elif where == "branch":
            self.branch(inside=update)
        else:
            update()
        return True

    def alias_base(self) -> str:
        """An array to alias, no other name sees: one in scope, or a new one (``a = b = ...`` sometimes)."""
        memory = self.module.memory()
        self.owners[memory] = self.loops[-1] if self.loops else None
        existing = [name for name, value in self.scope.items() if value.fresh and value.shape and self.writable(name)]
        if existing and self.chance(25):
            name = self.choose(existing)
            self.scope[name] = dataclasses.replace(
                self.scope[name], fresh=False, memories=frozenset({memory}), handle=True, form="base"
            )
            return name
        shape = self.choose(self.array_shapes())
        form = self.pick([(3, "expression"), (2, "allocate"), (1, "copy")])
        like = [name for name, value in self.scope.items() if value.shape == shape]
        contiguous = True
        if form == "copy" and like:
            copied = self.read(self.choose(like))
            text, bound, low = f"{copied.text}.copy()", copied.bound, copied.low
        elif form == "expression":
            value = self.limited(self.expression(shape, self.number(1, 2)))
            owned = self.owned(value)
            contiguous = owned is not value or len(shape) == 1 or 1 in shape  # a copy is C-ordered
            text, bound, low = owned.text, owned.bound, owned.low
        else:
            text, bound, low = self.choose(
                [
                    (f"np.zeros({shape_text(shape)})", 0.0, None),
                    (f"np.ones({shape_text(shape)})", 1.0, 1.0),
                    (f"np.full({shape_text(shape)}, 0.5)", 0.5, 0.5),
                ]
            )
        names = [self.module.name("w") for _ in range(2 if self.chance(15) else 1)]
        self.write(f"{' = '.join(names)} = {text}", shares=((names[0], names[-1]),) if len(names) > 1 else ())
        for position, name in enumerate(names):
            form = "base" if position == 0 else "several-targets"
            self.bind(
                name,
                Value(
                    text,
                    shape,
                    bound,
                    low,
                    fresh=False,
                    memories=frozenset({memory}),
                    handle=True,
                    contiguous=contiguous,
                    form=form,
                    atom=False,
                ),
            )
        if len(names) > 1:
            self.module.forms.add("view:several-targets")
        return names[0]

    def views(self, shape: Shape, helper: bool) -> list[tuple[str, str, Shape, object]]:
        """Ways to see an array of ``shape`` under another name: (form, template, shape seen, layout).

        layout: whether the view of a C-contiguous array is C-contiguous too, or "reshape" (reshape and
        ravel: a contiguous view of a contiguous array, else possibly a copy). ``helper``: in a helper's
        return, where no loop variable is in scope.
        """
        found = [
            ("same-name", "{}", shape, True),
            ("whole-slice", "{}[:]", shape, True),
            ("whole-slice", "{}[...]", shape, True),
        ]
        if len(shape) == 1:
            (k,) = shape
            found += [
                ("transpose", "{}.T", shape, True),
                ("ravel", "{}.ravel()", shape, "reshape"),
                ("ravel", "np.ravel({})", shape, "reshape"),
                ("reshape", "{}.reshape(-1)", shape, "reshape"),
                ("expand-dims", "np.expand_dims({}, 0)", (1, k), True),
                ("expand-dims", "{}[None]", (1, k), True),
                ("expand-dims", "np.expand_dims({}, 1)", (k, 1), True),
                ("expand-dims", "{}[:, np.newaxis]", (k, 1), True),
                ("reshape", f"{{}}.reshape(1, {k})", (1, k), "reshape"),
                ("reshape", f"np.reshape({{}}, ({k}, 1))", (k, 1), "reshape"),
            ]
            found += [
                ("reshape", f"{{}}.reshape({a}, {k // a})", (a, k // a), "reshape") for a in range(2, k) if k % a == 0
            ]
            if k > 1:
                found += [
                    ("slice", "{}[1:]", (k - 1,), True),
                    ("slice", "{}[:-1]", (k - 1,), True),
                    ("slice", "{}[::2]", ((k + 1) // 2,), False),
                    ("slice", "{}[::-1]", shape, False),
                    ("squeeze", "{}.squeeze()", shape, True),
                ]
            if k > 2:
                found.append(("slice", "{}[1:-1]", (k - 2,), True))
            if not helper:
                found += [
                    ("slice", f"{{}}[{index}:{index} + 1]", (1,), True) for index, stop in self.indices if stop <= k
                ]
            return found
        a, b = shape
        transposed = 1 in shape  # the transpose of a contiguous row or column is contiguous
        found += [
            ("whole-slice", "{}[:, :]", shape, True),
            ("transpose", "{}.T", (b, a), transposed),
            ("transpose", "np.transpose({})", (b, a), transposed),
            ("transpose", "{}.transpose()", (b, a), transposed),
            ("row", f"{{}}[{self.number(0, a - 1)}]", (b,), True),
            ("row", f"{{}}[{self.number(-a, -1)}, :]", (b,), True),
            ("column", f"{{}}[:, {self.number(0, b - 1)}]", (a,), b == 1),
            ("ravel", "{}.ravel()", (a * b,), "reshape"),
            ("ravel", "np.ravel({})", (a * b,), "reshape"),
            ("reshape", "{}.reshape(-1)", (a * b,), "reshape"),
            ("reshape", f"np.reshape({{}}, ({a * b},))", (a * b,), "reshape"),
            ("reshape", f"{{}}.reshape({b}, {a})", (b, a), "reshape"),
        ]
        if a > 1:
            found += [
                ("slice", "{}[1:]", (a - 1, b), True),
                ("slice", "{}[:-1, :]", (a - 1, b), True),
                ("slice", "{}[::-1]", shape, False),
            ]
        if b > 1:
            found.append(("slice", "{}[:, 1:]", (a, b - 1), a == 1))
        if a == 1 and b > 1:
            found += [("squeeze", "{}.squeeze()", (b,), True), ("squeeze", "np.squeeze({}, axis=0)", (b,), True)]
        if b == 1 and a > 1:
            found += [("squeeze", "np.squeeze({})", (a,), True), ("squeeze", "np.squeeze({}, axis=1)", (a,), True)]
        if a > 1 and b > 1:
            found.append(("squeeze", "{}.squeeze()", shape, True))  # nothing to squeeze: the same array
        if not helper:
            found += [("row", f"{{}}[{index}]", (b,), True) for index, stop in self.indices if stop <= a]
        return found

    def view(self, source: str, through_helper: bool = False) -> str:
        """A new name that sees ``source``'s array: bound to it, a view of it, or what a helper returns of it."""
        value = self.read(source)
        views = self.views(value.shape, helper=through_helper)
        form, template, shape, layout = views[0] if through_helper and self.chance(30) else self.choose(views)
        may_copy = layout == "reshape" and not value.contiguous
        contiguous = value.contiguous and layout in (True, "reshape")
        if through_helper:
            text = f"{self.module.alias_helper(template)}({value.text})"
            form = "helper-returns-argument" if form == "same-name" else "helper-returns-view"
        else:
            text = template.format(value.text)
        name = self.module.name("w")
        comment = f"  # may be a copy: {value.text} is not known to be contiguous" if may_copy else ""
        self.write(f"{name} = {text}{comment}", shares=() if may_copy else ((name, value.text),))
        self.module.forms.add(f"view:{form}")
        if may_copy:
            self.module.forms.add("view:may-copy")
        if value.form != "base":
            self.module.forms.add("view:view-of-view")
        self.bind(
            name,
            Value(
                text,
                shape,
                value.bound,
                value.low,
                fresh=False,
                sees=frozenset({source}),
                handle=True,
                contiguous=contiguous,
                form=form,
            ),
        )
        return name

    def list_of(self, source: str) -> str:
        """A list that holds ``source``'s array, and maybe another one: the item that is ``source``'s array."""
        value = self.read(source)
        items = [value]
        if self.chance(50):
            shape = self.choose(self.array_shapes())
            other = self.limited(self.expression(shape, self.number(0, 2)))
            owned = self.owned(other)
            contiguous = owned is not other or len(shape) == 1 or 1 in shape
            memory = self.module.memory()
            self.owners[memory] = self.loops[-1] if self.loops else None
            items.insert(
                self.number(0, 1), dataclasses.replace(owned, memories=frozenset({memory}), contiguous=contiguous)
            )
        listed = self.module.name("lst")
        form = self.choose(["list-literal", "list-append"])
        position = items.index(value)
        item = f"{listed}[{position}]"
        if form == "list-literal":
            self.write(f"{listed} = [{', '.join(i.text for i in items)}]", shares=((item, value.text),))
        else:
            self.write(f"{listed} = []")
            for i in items:
                self.write(f"{listed}.append({i.text})", shares=((item, value.text),) if i is value else ())
        for index, i in enumerate(items):
            seen = frozenset({source}) if i is value else frozenset()
            self.bind(
                f"{listed}[{index}]",
                Value(
                    i.text,
                    i.shape,
                    i.bound,
                    i.low,
                    fresh=False,
                    sees=seen,
                    atom=i.atom,
                    memories=i.memories,
                    handle=True,
                    contiguous=i.contiguous,
                    form=form,
                ),
            )
        self.module.forms.add(f"view:{form}")
        return item

    def update_alias(self, name: str | None = None) -> bool:
        """``w[i] = ...``, ``+=``, ``-=``, ``*=``, ``/=`` (or ``w += ...`` and the like) through a name of an
        alias group, then reads of the group's other names."""
        if name is None:
            handles = [n for n, value in self.scope.items() if value.handle]
            if not handles:
                return False
            name = self.choose(handles)
        target = self.scope[name]
        allowance = self.allowance(target)
        if self.chance(25):
            index, part = None, target.shape
        elif self.chance(15):
            index, part = self.choose(["...", ":"]), target.shape
        else:
            index, part = self.part(target.shape)
        operators = ["+=", "-=", "*=", "/="] if index is None else ["=", "=", "+=", "-=", "*=", "/="]
        if not (allowance == "accumulate" or (allowance == "free" and target.bound <= LARGEST - 1.0)):
            operators = [o for o in operators if o not in ("+=", "-=")]
        operator = self.choose(operators)
        shape = self.pick([(3 if s == part else 1, s) for s in operand_shapes(part)])
        if operator == "/=":
            value = (
                Value("2.0", (), 2.0, 2.0)
                if shape == () and self.chance(40)
                else self.positive(shape, self.number(0, 1), 1.0)
            )
            bound = target.bound
        elif operator == "*=":
            value = self.written(shape, 1.0)
            bound = target.bound
        elif operator == "=":
            value = self.written(shape, LARGEST if allowance == "free" else 1.0)
            bound = value.bound
        else:
            value = self.written(shape, LARGEST - target.bound if allowance == "free" else 1.0)
            bound = target.bound + value.bound
            if allowance == "accumulate":
                self.loops[-1].accumulated_memories |= target.memories
        self.write(f"{name if index is None else f'{name}[{index}]'} {operator} {value.text}")
        for other, seen in list(self.scope.items()):
            if seen.memories & target.memories:
                self.scope[other] = dataclasses.replace(seen, bound=max(seen.bound, bound), low=None)
        kind = {"=": "set", "+=": "add", "-=": "subtract", "*=": "multiply", "/=": "divide"}[operator]
        suffix = "" if index is None else "-all" if part == target.shape and index in ("...", ":") else "-part"
        where = "loop" if self.loops else "branch" if self.nesting else "straight-line"
        self.module.forms |= {f"update:{kind}{suffix}", f"through:{target.form}", f"where:{where}"}
        if self.level:
            self.module.forms.add("where:helper")
        self.read_after(name)
        return True

    def allowance(self, target: Value) -> str:
        """How an update through ``target`` may change its group: "free" (in straight-line code, or a group
        the innermost loop's body made), "accumulate" (grow by at most 1, once a trip) or "stable"."""
        if not self.loops:
            return "free"
        loop = self.loops[-1]
        outer = [memory for memory in target.memories if self.owners.get(memory) is not loop]
        if not outer:
            return "free"
        if all(loop.modes.get(memory) == "accumulate" and memory not in loop.accumulated_memories for memory in outer):
            return "accumulate"
        return "stable"

    def loosen(self, trips: int) -> tuple[dict[int, str], dict[str, Value]]:
        """Before a loop of at most ``trips`` trips: what holds on every trip for the names of alias groups.

        A group made before the loop is updated in its body only with values in [-1, 1] (``=``, ``*=``)
        or by ``/=`` with at least 1 ("stable"): each of its names stays within the largest bound of the
        group's names, and 1. A group made where the loop is (not in an enclosing loop's body) may instead
        "accumulate": grow by at most 1 a trip. The names' signs are unknown on every trip.
        """
        enclosing = self.loops[-1] if self.loops else None
        largest: dict[int, float] = {}
        for value in self.scope.values():
            for memory in value.memories:
                largest[memory] = max(largest.get(memory, 1.0), value.bound)
        modes = {}
        for memory, bound in largest.items():
            grows = self.owners.get(memory, False) is enclosing and bound + trips <= LARGEST
            modes[memory] = self.choose(["stable", "accumulate"]) if grows else "stable"
        loosened = {}
        for name, value in list(self.scope.items()):
            if value.memories:
                bound = max(largest[memory] for memory in value.memories)
                if any(modes[memory] == "accumulate" for memory in value.memories):
                    bound += trips
                loosened[name] = self.scope[name] = dataclasses.replace(value, bound=bound, low=None)
        return modes, loosened

    def written(self, shape: Shape, limit: float) -> Value:
        """What an update writes: a constant, or an expression (mostly on the inputs) within ``limit`` (>= 1)."""
        if self.chance(30):
            if shape:
                return self.constant(shape)  # within [-1, 1]
            literal = self.choose([x for x in (0.0, 0.5, -0.7, 1.0, 2.0, 5.0) if abs(x) <= limit])
            return Value(repr(literal), (), abs(literal), literal if literal > 0 else None, atom=literal >= 0)
        value = self.expression(shape, self.number(1, 2))
        return self.limited(value) if limit >= LARGEST else self.squash(value, limit)

    def read_after(self, name: str) -> None:
        """After an update through ``name``: reads of the other names of its group (the base among them)."""
        target = self.scope[name]
        others = [other for other, value in self.scope.items() if other != name and value.memories & target.memories]
        for seen in self.draw(st.lists(st.sampled_from(others or [name]), min_size=1, max_size=2, unique=True)):
            if self.chance(40):  # read by the result
                if seen in self.unused:
                    self.unused.remove(seen)
                self.unused.append(seen)
                continue
            value = self.read(seen)
            form = self.choose(["sum", "tanh", "product", "copy"])
            if form == "sum":
                read = Value(f"np.sum({value.text})", (), value.bound * math.prod(value.shape))
            elif form == "tanh":
                read = Value(f"np.tanh({value.text})", value.shape, 1.0)
            elif form == "copy":
                read = Value(f"{value.text}.copy()", value.shape, value.bound, contiguous=True)
            else:
                factor = self.squash(self.expression(self.choose(operand_shapes(value.shape)), self.number(0, 1)))
                read = Value(f"{value.text} * {operand(factor)}", value.shape, value.bound * factor.bound, atom=False)
            result = self.module.name("v")
            self.write(f"{result} = {self.limited(read).text}")
            self.bind(result, self.limited(read))
            self.module.budget -= 1
