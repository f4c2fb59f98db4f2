"""Differentiating functions that call s2sad's own derivatives (nested differentiation): each outer
derivative, in both modes, against central finite differences of the outer function as Python runs it."""

import numpy as np
import pytest

import s2sad
from s2sad.errors import S2SADError, UnsupportedSyntax
from tests.support import assert_gradients_close, assert_located, numeric_vjp, write_module

MODELS = """
import numpy as np
import s2sad


def energy(x, y):
    return np.sum(np.sin(x) * y) ** 2 + np.sum(x**3 * y)


def value(x, scale):
    return np.sum(np.tanh(x) * scale)


def field(x, y):
    return np.tanh(x * y) + x**2


def made_in_the_call(x, y):
    g = s2sad.grad(energy, wrt=0)(x, y)
    return np.sum(g * g) + np.sum(g * y)


def made_above_the_call(x, y):
    denergy = s2sad.grad(energy, wrt=0)
    return np.sum(np.cos(denergy(x, y)))


global_gradient = s2sad.grad(energy, wrt=1)


def made_at_import(x, y):
    return np.sum(global_gradient(x, y) * x)


def both_gradients(x, y):
    gx, gy = s2sad.grad(energy, wrt=(0, 1))(x, y)
    return np.sum(gx * gy)


def value_and_gradient(x, y):
    v, g = s2sad.value_and_grad(energy, wrt=0)(x, y)
    return v * np.sum(g)


def value_and_gradients(x, y):
    v, (gx, gy) = s2sad.value_and_grad(energy, wrt=(0, 1))(x, y)
    return v + np.sum(gx * gy)


def pulled_back(x, y):
    return np.sum(s2sad.vjp(field, wrt=0)(x, y, np.cos(x)) ** 2)


def pushed_forward(x, y):
    out, tangent = s2sad.jvp(field, wrt=0)(x, y, y * y)
    return np.sum(out * tangent)


@s2sad.differentiable(wrt=0)
def decorated(x, y):
    return np.sum(np.exp(x) * y)


def through_decorator(x, y):
    return np.sum(decorated.grad(x, y) ** 2)


def gradient_ascent(x, y):
    # A saddle point's inner loop: y follows the gradient of the energy in y, x held.
    for _ in range(4):
        y = y + 0.1 * s2sad.grad(energy, wrt=1)(x, y)
    return energy(x, y)


def with_an_integer(x, y):
    return np.sum(s2sad.grad(power_sum, wrt=0)(x, 3) * y)


def power_sum(x, n):
    return np.sum(x**n)
"""

CASES = [
    "made_in_the_call",
    "made_above_the_call",
    "made_at_import",
    "both_gradients",
    "value_and_gradient",
    "value_and_gradients",
    "pulled_back",
    "pushed_forward",
    "through_decorator",
    "gradient_ascent",
    "with_an_integer",
]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return write_module(tmp_path_factory.mktemp("nested"), MODELS)


def _arguments():
    rng = np.random.default_rng(7)
    return rng.uniform(-1.0, 1.0, size=4), rng.uniform(-1.0, 1.0, size=4)


@pytest.mark.parametrize("name", CASES)
def test_gradient_of_a_function_calling_a_derivative(models, name):
    function = getattr(models, name)
    args = _arguments()
    expected = numeric_vjp(function, args, (0, 1), 1.0)
    assert_gradients_close(s2sad.grad(function, wrt=(0, 1))(*args), expected, args, (0, 1))


@pytest.mark.parametrize("name", CASES)
def test_tangent_of_a_function_calling_a_derivative(models, name):
    function = getattr(models, name)
    x, y = _arguments()
    rng = np.random.default_rng(3)
    v_x, v_y = rng.normal(size=4), rng.normal(size=4)
    value, tangent = s2sad.jvp(function, wrt=(0, 1))(x, y, (v_x, v_y))
    gradient = numeric_vjp(function, (x, y), (0, 1), 1.0)
    np.testing.assert_allclose(value, function(x, y), rtol=1e-12)
    np.testing.assert_allclose(tangent, np.sum(gradient[0] * v_x) + np.sum(gradient[1] * v_y), rtol=1e-6, atol=1e-8)


PERTURBATION = """
import s2sad


def shift(y, x):
    return x + y


def confusable(x):
    # d/dx [x * d/dy (x + y)] = 1: an AD that confuses the two perturbations gives 2
    return x * s2sad.grad(shift, wrt=0)(1.0, x)


def product(y, x):
    return x * y


def closed_over(x):
    # d/dx [x * d/dy (x y)] at y = 2 = d/dx x^2 = 2 x
    return x * s2sad.grad(product, wrt=0)(2.0, x)
"""


@pytest.mark.parametrize(("name", "exact"), [("confusable", lambda x: 1.0), ("closed_over", lambda x: 2.0 * x)])
def test_no_perturbation_confusion(tmp_path, name, exact):
    function = getattr(write_module(tmp_path, PERTURBATION), name)
    for x in (0.5, 3.0):
        assert s2sad.grad(function)(x) == pytest.approx(exact(x), rel=1e-14)
        _, tangent = s2sad.jvp(function)(x, 1.0)
        assert tangent == pytest.approx(exact(x), rel=1e-14)


REFUSED = """
import numpy as np
import s2sad


def energy(x):
    return np.sum(x**4)


def with_hvp(x):
    return np.sum(s2sad.hvp(energy)(x, x))


def with_keywords(x):
    return np.sum(s2sad.grad(energy)(x=x))


def made_from_a_lambda(x):
    return np.sum(s2sad.grad(lambda v: np.sum(v**3))(x))
"""


@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ("with_hvp", "s2sad.hvp(energy)(x, x)"),
        ("with_keywords", "s2sad.grad(energy)(x=x)"),
        ("made_from_a_lambda", "lambda v"),
    ],
)
def test_refused_where_written(tmp_path, name, marker):
    module = write_module(tmp_path, REFUSED)
    with pytest.raises(UnsupportedSyntax) as raised:
        s2sad.grad(getattr(module, name))
    assert_located(str(raised.value), module.__file__, REFUSED, marker)


def test_third_derivative_through_a_nested_gradient_is_refused(models):
    x, y = _arguments()
    with pytest.raises(S2SADError, match="derivative_tangent|derivative_adjoint"):
        s2sad.hvp(models.made_in_the_call, wrt=0)(x, y, x)


def test_generated_code_calls_the_inner_derivative_as_a_primitive(models):
    generated = s2sad.source(s2sad.grad(models.both_gradients, wrt=(0, 1)))
    assert generated.count("_rt.call_derivative(") == 2  # one call per gradient it returns
    assert "_rt.derivative_adjoint(" in generated


def test_a_derivative_made_again_in_a_loop_is_made_once(models, monkeypatch):
    """s2sad.grad(f) called at each step (as gradient_ascent does) generates once per process."""
    s2sad.grad(models.energy, wrt=1)
    monkeypatch.setattr(s2sad.pipeline, "compile_unit", lambda *args: pytest.fail("generated again"))
    x, y = _arguments()
    assert s2sad.grad(models.energy, wrt=1)(x, y) == pytest.approx(s2sad.grad(models.energy, wrt=1)(x, y))
