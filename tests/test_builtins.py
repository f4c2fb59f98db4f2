"""Python's builtins on differentiated values, as whole functions in both modes (issue 17).

The rule tests (tests/test_rules.py, tests/test_tangents.py) check every example of max, min, pow,
sum, math.fsum and math.prod against finite differences, one call at a time. Here: programs that
use them (loops, lists built with append, a relu written with max), ties (the gradient goes to
the first extreme item, as Python returns it), round's zero derivative, the types Python's own
results keep, and the refusals.
"""

from __future__ import annotations

import numpy as np
import pytest

import s2sad
from tests.support import assert_gradients_close, assert_located, numeric_vjp, write_module

HEADER = "import math\nimport numpy as np\n\n\n"

# name -> (body of f(x), x): smooth at x, so finite differences are the reference.
PROGRAMS = {
    "relu of a float": ("return max(x, 0.0) + min(x, 2.0) ** 2", 0.7),
    "an int among the arguments": ("return max(0, x) + min(1, x * x)", 0.7),
    "two items of an array": ("return max(x[0], x[1]) * min(x[2], x[0], x[1])", np.array([0.4, -1.3, 2.0])),
    "a running maximum": (
        "best = -1e9\n    for i in range(x.shape[0]):\n        best = max(best, x[i] * x[i])\n    return best",
        np.array([0.3, -2.0, 1.5, 0.7]),
    ),
    "a list built with append": (
        "hs = []\n    for i in range(3):\n        hs.append(np.tanh(x[i] + x[3]))\n"
        "    return max(hs) - min(hs) + sum(hs, x[0])",
        np.array([0.3, -0.8, 1.1, 0.2]),
    ),
    "an array's items": ("return max(x * x) + min(np.sin(x))", np.array([0.3, -1.6, 1.1])),
    "an array's rows": ("return np.sum(sum(x, 1.0) * max(x[0, 1], x[1, 0]))", np.array([[0.5, 0.2], [1.5, -0.4]])),
    "pow with an int exponent": ("return pow(x, 3) + pow(2.0, x) + pow(x, x)", 1.3),
    "math.fsum and math.prod": ("return math.fsum([x, x * x]) * math.prod([x, 3.0, x + 1.0])", 0.6),
    "a 0-d array and a float": ("return max(np.sin(x), 0.2) * np.cos(x)", np.array(0.4)),
}


def _module(tmp_path, body: str):
    return write_module(tmp_path, HEADER + f"def f(x):\n    {body}\n")


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_both_modes_match_finite_differences(name, tmp_path):
    body, x = PROGRAMS[name]
    f = _module(tmp_path, body).f
    (expected,) = numeric_vjp(f, [x], (0,), 1.0)
    gradient = s2sad.grad(f)(x)
    assert_gradients_close([gradient], [expected], [x], (0,))
    assert type(gradient) is type(x)
    direction = np.linspace(-1.0, 1.0, np.size(x)).reshape(np.shape(x)) if isinstance(x, np.ndarray) else 0.5
    value, tangent = s2sad.jvp(f, wrt=0)(x, direction)
    assert value == f(x)
    np.testing.assert_allclose(tangent, np.sum(expected * direction), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "body, expected",
    [
        ("return max(x[0], x[1])", [1.0, 0.0, 0.0]),
        ("return max(x[1], x[0], x[2])", [0.0, 1.0, 0.0]),
        ("return min([x[2], x[0], x[1]])", [0.0, 0.0, 1.0]),
        ("return max(x)", [1.0, 0.0, 0.0]),
        ("return min(x[1:])", [0.0, 1.0, 0.0]),
    ],
)
def test_ties_send_the_gradient_to_the_first_extreme_item_python_returns(body, expected, tmp_path):
    f = _module(tmp_path, body).f
    x = np.array([1.0, 1.0, 1.0])
    np.testing.assert_array_equal(s2sad.grad(f)(x), expected)
    for k in range(3):  # forward mode takes the same item: e_k's tangent is that item's share
        _, tangent = s2sad.jvp(f, wrt=0)(x, np.eye(3)[k])
        assert tangent == expected[k]


def test_a_tie_of_the_same_value_is_its_whole_derivative(tmp_path):
    f = _module(tmp_path, "return max(x, x) * min(x, x, 3.0 * x)").f
    assert s2sad.grad(f)(0.5) == pytest.approx(2 * 0.5)
    assert s2sad.jvp(f, wrt=0)(0.5, 1.0) == pytest.approx((0.25, 1.0))


def test_results_keep_python_types(tmp_path):
    f = _module(tmp_path, "return pow(x, 2) + max(x, 1.0) + sum([x, x]) + math.fsum([x])").f
    assert s2sad.grad(f)(3.0) == pytest.approx(2 * 3.0 + 1.0 + 2.0 + 1.0)
    assert type(s2sad.grad(f)(3.0)) is float
    value, tangent = s2sad.jvp(f, wrt=0)(3.0, 1.0)
    assert type(value) is float and value == f(3.0)
    assert "pow(x, 2)" in s2sad.source(s2sad.grad(f))
    relu = _module(tmp_path, "return max(0, x)").f
    assert s2sad.jvp(relu, wrt=0)(-1.5, 1.0) == (0, 0.0)  # Python returns the int 0; its tangent is 0.0
    assert s2sad.grad(relu)(-1.5) == 0.0 and type(s2sad.grad(relu)(-1.5)) is float


def test_float32_gradients_stay_float32(tmp_path):
    f = _module(tmp_path, "return max(x) * min(x[0], x[1]) + pow(x[2], 2.0)").f
    x = np.array([0.5, -1.5, 2.0], dtype=np.float32)
    assert s2sad.grad(f)(x).dtype == np.float32


def test_round_has_zero_derivative_and_returns_what_python_does(tmp_path):
    f = _module(tmp_path, "n = round(x)\n    return n * x + round(x, 1) + round(x * x, 2)").f
    assert s2sad.grad(f)(2.34) == 2
    assert s2sad.jvp(f, wrt=0)(2.34, 1.0) == (f(2.34), 2.0)
    assert type(round(2.34)) is int and type(round(2.34, 1)) is float  # what generated code calls


def test_arrays_of_several_elements_raise_as_python_does(tmp_path):
    f = _module(tmp_path, "return np.sum(max(x, 2.0 * x))").f
    x = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match="truth value of an array"):
        f(x)
    with pytest.raises(ValueError, match="truth value of an array"):
        s2sad.grad(f)(x)
    with pytest.raises(ValueError, match="truth value of an array"):
        s2sad.jvp(f, wrt=0)(x, x)


@pytest.mark.parametrize(
    "body, marker, message",
    [
        ("return max(x, 2.0, key=abs)", "max(", "unexpected keyword argument 'key'"),
        ("return min([x, 1.0], default=0.0)", "min(", "unexpected keyword argument 'default'"),
        ("return pow(x, 3, 5)", "pow(", "this call of pow (too many positional arguments)"),
        ("q, r = divmod(x, 2.0)\n    return r", "divmod(", "no derivative rule for 'divmod'"),
        ("return math.prod([x, 2.0], start=x)", "math.prod(", "depends on"),
    ],
)
def test_what_is_not_supported_is_refused_where_written(body, marker, message, tmp_path):
    module = _module(tmp_path, body)
    for derivative in (lambda: s2sad.grad(module.f), lambda: s2sad.jvp(module.f, wrt=0)):
        with pytest.raises(s2sad.S2SADError) as error:
            derivative()
        assert message in str(error.value)
        assert_located(str(error.value), module.__file__, open(module.__file__).read(), marker)


@pytest.mark.parametrize(
    "body",
    [
        "return max(x[0] * x[1], x[2] ** 2) + min([x[0] ** 3, x[1]])",
        "return max(x * x) + min(x[0], x[2] * x[1], 3.0)",
        "return np.sum(sum(np.outer(x, x), x[0] ** 2)) + math.fsum([x[1] ** 3, x[0]]) + pow(x[2], 3)",
    ],
)
def test_hessians_match_finite_differences_of_the_gradient(body, tmp_path):
    f = _module(tmp_path, body).f
    x = np.array([0.5, 1.5, 0.6])
    gradient = s2sad.grad(f)
    step = 1e-5
    expected = [(gradient(x + step * e) - gradient(x - step * e)) / (2 * step) for e in np.eye(3)]
    np.testing.assert_allclose(s2sad.hessian(f)(x), expected, rtol=1e-5, atol=1e-6)


def test_a_hessian_through_math_prod_is_refused_at_the_users_line(tmp_path):
    module = _module(tmp_path, "return math.prod([x[0], x[1], x[2]])")
    with pytest.raises(s2sad.S2SADError, match="second derivatives through math.prod are not supported") as error:
        s2sad.hessian(module.f)
    assert_located(str(error.value), module.__file__, open(module.__file__).read(), "return")
