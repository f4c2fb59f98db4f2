"""Every rule in the table against central finite differences, generated from the table itself.

Each rule's own examples, plus, for elementwise rules, every broadcasting
combination of shapes: scalars (Python floats and 0-d arrays) with arrays,
rows with columns. The function is compiled by the whole pipeline and its
vector-Jacobian product compared with finite differences of <f(x), d_out>.
"""

import re
from pathlib import Path

import numpy as np
import pytest

import s2sad
from s2sad import rules
from tests.support import assert_gradients_close, numeric_vjp, random_value, write_module
from tests.passes import run_until

_UNARY_SHAPES = [(None,), ((),), ((5,),), ((2, 3),)]
_BINARY_SHAPES = [
    ((4,), (4,)),
    ((2, 3), (3,)),
    ((2, 1), (1, 3)),
    (None, (2, 3)),
    ((3, 1), None),
    ((), (2,)),
    (None, None),
]
_TERNARY_SHAPES = [((4,), (4,), (4,)), ((2, 3), (), (3,)), ((2, 3), (2, 1), None)]


# What an example's module imports: the names rule examples may use (scipy for its rules' examples).
EXAMPLE_HEADER = (
    "import math\nimport numpy as np\nimport scipy.linalg\nimport scipy.special\nfrom s2sad import runtime as _rt\n\n"
)


def broadcast_examples(rule: rules.Rule):
    names = rule.differentiable
    shape_sets = {1: _UNARY_SHAPES, 2: _BINARY_SHAPES, 3: _TERNARY_SHAPES}[len(names)]
    call = f"{rules.spelling(rule.name)}({', '.join(names)})"
    for shapes in shape_sets:
        yield rules.Example(call, dict(zip(names, shapes, strict=True)), rule.domain)


def body(call: str) -> str:
    """The function body for an example: its statements, then the return of its last part."""
    *statements, returned = call.split("; ")
    return "".join(f"    {line}\n" for line in statements) + f"    return {returned}\n"


# Rules whose examples cannot be one line of code here, and the test file that checks them.
TESTED_ELSEWHERE = {"s2sad.runtime.call_derivative": "tests/test_nested.py"}  # needs a derivative made of a def


def examples(rule: rules.Rule):
    if rule.name in TESTED_ELSEWHERE:
        return []
    if rule.examples:
        return list(rule.examples)
    assert rule.elementwise, f"{rule.name} has no examples: add some to its @adjoint"
    return list(broadcast_examples(rule))


CASES = [
    pytest.param(rule, example, id=f"{name}-{index}")
    for name, rule in sorted(rules.RULES.items())
    for index, example in enumerate(examples(rule))
]


def test_every_rule_has_cases():
    tested = {case.values[0].name for case in CASES}
    assert tested | set(TESTED_ELSEWHERE) == set(rules.RULES)
    for name, path in TESTED_ELSEWHERE.items():
        assert rules.spelling(name).removeprefix("_rt.") in (Path(__file__).parent.parent / path).read_text()


@pytest.mark.parametrize("name", sorted(set(rules.RULES) - set(TESTED_ELSEWHERE)))
def test_every_differentiable_parameter_is_exercised(name, tmp_path):
    """Some example differentiates through each parameter that has a derivative."""
    rule = rules.RULES[name]
    exercised = set()
    for index, example in enumerate(examples(rule)):
        names = [n for n in example.shapes if example.domain.get(n, rule.domain.get(n)) != "bool"]
        source = EXAMPLE_HEADER + f"def f({', '.join(example.shapes)}):\n" + body(example.call)
        unit = run_until(tmp_path / str(index), source, "analyse", wrt=names, kind="vjp")
        for statement in unit.ir.body:
            if getattr(statement, "rule", None) == rule.name and unit.activity.is_active(statement):
                exercised |= set(unit.activity.active_operands[statement.id])
    expected = {p for i, p in enumerate(rule.differentiable) if rule.adjoint.results[i] is not None}
    assert exercised == expected


@pytest.mark.parametrize("rule, example", CASES)
def test_rule_matches_finite_differences(rule, example, tmp_path):
    rng = np.random.default_rng(sum(map(ord, example.call)))
    names = list(example.shapes)
    source = EXAMPLE_HEADER + f"def f({', '.join(names)}):\n" + body(example.call)
    module = write_module(tmp_path, source)
    args = [random_value(example.shapes[n], example.domain.get(n, rule.domain.get(n, "real")), rng) for n in names]
    wrt = tuple(i for i, a in enumerate(args) if not isinstance(a, bool) and np.asarray(a).dtype.kind == "f")
    out = module.f(*args)
    d_out = random_value(None if isinstance(out, float) else np.shape(out), "real", rng)
    pullback = s2sad.vjp(module.f, wrt=wrt)
    actual = pullback(*args, d_out)
    expected = numeric_vjp(module.f, args, wrt, d_out)
    assert_gradients_close(actual, expected, args, wrt)


@pytest.mark.parametrize("rule, example", CASES)
def test_rule_keeps_float32_and_python_floats(rule, example, tmp_path):
    """Gradients come back in their argument's type: float32 stays float32, a Python float stays a float."""
    rng = np.random.default_rng(sum(map(ord, example.call)) + 1)
    names = list(example.shapes)
    module = write_module(
        tmp_path,
        EXAMPLE_HEADER + f"def f({', '.join(names)}):\n" + body(example.call),
    )
    args = []
    for n in names:
        value = random_value(example.shapes[n], example.domain.get(n, rule.domain.get(n, "real")), rng)
        args.append(value.astype(np.float32) if isinstance(value, np.ndarray) and value.dtype.kind == "f" else value)
    wrt = tuple(i for i, a in enumerate(args) if isinstance(a, float) or getattr(a, "dtype", None) == np.float32)
    out = module.f(*args)
    d_out = np.ones_like(out) if isinstance(out, np.ndarray) else 1.0
    for index, gradient in zip(wrt, s2sad.vjp(module.f, wrt=wrt)(*args, d_out), strict=True):
        if isinstance(args[index], float):
            assert isinstance(gradient, float), f"gradient of Python float argument {index} is {type(gradient)}"
        else:
            assert gradient.dtype == np.float32, f"gradient of float32 argument {index} is {gradient.dtype}"


@pytest.mark.parametrize("name", sorted(rules.RULES))
def test_rule_has_the_shape_the_engine_inlines(name):
    """Parsing happens on first use; here every rule is parsed, so a malformed one fails in CI."""
    rule = rules.RULES[name]
    assert len(rule.adjoint.results) == len(rule.differentiable)


def _declared(**declarations):
    """Register a throwaway rule with ``declarations``, and remove what it registered (even if refused)."""
    name = "tests.declared"
    before = dict(rules.METHOD_SPELLINGS)
    try:

        @rules.adjoint(name, examples=(rules.Example("x", {"x": None}),), **declarations)
        def declared_adjoint_rule(d_out, out, x, axis=None):
            return d_out

        return rules.RULES[name]
    finally:
        rules.RULES.pop(name, None)
        rules.METHOD_SPELLINGS.clear()
        rules.METHOD_SPELLINGS.update(before)


@pytest.mark.parametrize(
    "declarations, message",
    [
        ({"method": "sum"}, "method .sum() declared twice"),
        ({"method": rules.Method("clone", calls="numpy.copy")}, "calls numpy.copy, not one of its names"),
        ({"returns": "a view"}, "returns is one of"),
        ({"operator": "unary -"}, "the unary - operator already applies numpy.negative"),
        ({"operator": "**"}, "operator is one of"),
        ({"full_reduction": True}, "a full reduction has the options axis and keepdims"),
        ({"linear": ("axis",)}, "linear names differentiable parameters"),
    ],
)
def test_declarations_that_cannot_hold_are_refused_where_made(declarations, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        _declared(**declarations)


def test_a_linear_rule_gets_its_tangent_from_the_declaration_not_by_hand():
    rule = _declared(linear=True)
    assert (
        rule.tangent_source
        == "def declared_tangent_rule(d_x, out, x, axis=None):\n    return tests.declared(d_x, axis)\n"
    )
    rules.RULES[rule.name] = rule
    try:
        with pytest.raises(ValueError, match="derived from what its adjoint declares"):
            rules.tangent(rule.name)(lambda d_x, out, x, axis=None: d_x)
    finally:
        rules.RULES.pop(rule.name)


def test_method_spellings_on_helpers_without_a_derivative():
    from s2sad.rules import syntax

    assert syntax.METHODS["argmax"] == "numpy.argmax" and rules.kind("numpy.argmax") == "zero_derivative"
    with pytest.raises(ValueError, match="one function at a time"):
        rules.zero_derivative("numpy.a", "numpy.b", method="ab")


def test_derived_tables_agree_with_the_declarations():
    assert rules.MAY_COPY <= rules.VIEWS
    assert not {name.rpartition(".")[2] for name in rules.VIEWS} & rules.ALLOCATING
    assert set(rules.TANGENTS) == set(rules.RULES)


def test_a_real_arrays_conj_method_is_the_array_itself_in_both_modes(tmp_path):
    """``y.conj()`` is ``y`` (numpy returns the array itself), so a write through it is a write to y;
    ``np.conj(y)`` is a copy, which the write leaves alone."""
    module = write_module(
        tmp_path,
        "import numpy as np\n\n\ndef f(x):\n    y = x * x\n    z = y.conj()\n    z[0] = 5.0 * x[1]\n    return y * x\n\n\n"
        "def g(x):\n    y = x * x\n    z = np.conj(y)\n    z[0] = 5.0 * x[1]\n    return y * x + z\n",
    )
    x = np.array([0.5, -1.5, 2.0])
    v = np.array([1.0, -2.0, 0.5])
    for function in (module.f, module.g):
        expected = numeric_vjp(function, [x], (0,), v)
        assert_gradients_close((s2sad.vjp(function)(x, v),), expected, [x], (0,))
        value, tangent = s2sad.jvp(function)(x, v)
        np.testing.assert_allclose(value, function(x))
        np.testing.assert_allclose(tangent, (function(x + 1e-6 * v) - function(x - 1e-6 * v)) / 2e-6, rtol=1e-6)
