"""Recursion unrolled at generation: while the tests that stop it are decided there (integers written
out at the call, shapes the call gives), each recursive call is inlined, up to RECURSION_LIMIT levels;
any other recursion is refused at the recursive call. Derivatives are checked against central finite
differences in float64, in both modes."""

import numpy as np
import pytest

import s2sad
from s2sad import pipeline
from s2sad.errors import BadArgument
from s2sad.frontend import load
from s2sad.normalize.inlining import RECURSION_LIMIT
from s2sad.options import Options
from tests.support import write_module

SOURCE = """
import numpy as np


def power(x, n):
    return 1.0 if n == 0 else x * power(x, n - 1)


def power_by_statements(x, n):
    if n == 0:
        return 1.0
    elif n % 2 == 1:
        return x * power_by_statements(x, n - 1)
    half = power_by_statements(x, n // 2)
    return half * half


def even(x, n):
    return 1.0 if n == 0 else np.sin(x) * odd(x, n - 1)


def odd(x, n):
    return np.cos(x) * even(x, n - 1)


def fifth(x):
    return np.sum(power(x, 5))


def sixth(x):
    return np.sum(power_by_statements(x, 6) + power_by_statements(x, 0))


def mutual(x):
    return np.sum(even(x, 4))


def runtime_power(x, n):
    return np.sum(power(x, n))


def too_deep(x):
    return np.sum(power(x, 40))


def horner(c, x, k):
    return c[0] if k == 1 else c[k - 1] + x * horner(c, x, k - 1)


def polynomial(c, x):
    n = c.shape[0]
    return horner(c, x, n)


def pick(a):
    # the second test depends on a's values: never decided at generation, though a's shape is known
    if a.shape[0] == 1:
        return a[0]
    if np.count_nonzero(a) == a.shape[0]:
        return np.sin(a[0]) + pick(np.delete(a, 0))
    return a[-1] * pick(np.delete(a, -1))


def det(a):
    n = a.shape[0]
    if n == 1:
        return a[0, 0]
    total = 0.0
    for j in range(n):
        minor = np.delete(np.delete(a, 0, axis=0), j, axis=1)
        total = total + (-1) ** j * a[0, j] * det(minor)
    return total
"""

EXPECTED = {
    "fifth": lambda x: 5.0 * x**4,
    "sixth": lambda x: 6.0 * x**5,
    "mutual": None,  # finite differences only
}


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    return write_module(tmp_path_factory.mktemp("recursion"), SOURCE)


def central_differences(f, x, step=1e-6):
    slopes = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = step
        slopes.flat[i] = (f(x + e) - f(x - e)) / (2 * step)
    return slopes


@pytest.mark.parametrize("name", list(EXPECTED))
def test_recursion_on_integers_written_out_both_modes(module, name):
    f = getattr(module, name)
    x = np.array([1.3, -0.6, 0.9])
    reference = central_differences(f, x)
    if EXPECTED[name] is not None:
        np.testing.assert_allclose(EXPECTED[name](x), reference, rtol=1e-6)
    np.testing.assert_allclose(s2sad.grad(f)(x), reference, rtol=1e-6, atol=1e-8)
    direction = np.array([0.2, -1.0, 0.5])
    value, slope = s2sad.jvp(f)(x, direction)
    assert value == pytest.approx(f(x))
    assert slope == pytest.approx(reference @ direction, rel=1e-6)


def test_recursion_unrolled_reads_as_straight_line_code(module):
    source = s2sad.source(s2sad.grad(module.fifth))
    code = [line.split("#")[0] for line in source.splitlines()]
    assert not any("power" in line for line in code)  # no call left: five levels inlined
    assert "return 1.0 if n == 0 else x * power(x, n - 1)" in source  # the levels tied to the user's line


def _location(module, text: str) -> str:
    lines = open(module.__file__).read().splitlines()
    line = next(i for i, written in enumerate(lines, 1) if text in written)
    return f"{module.__file__}:{line}:{lines[line - 1].index(text) + 1}"


def test_recursion_whose_stopping_test_is_unknown_is_refused_at_the_call(module):
    with pytest.raises(s2sad.S2SADError) as caught:
        s2sad.grad(module.runtime_power)(np.ones(2), 3)
    message = str(caught.value)
    assert _location(module, "power(x, n - 1)") in message
    assert "a recursive call of 'power'" in message and "integers written out" in message


def test_recursion_beyond_the_limit_is_refused_at_the_call(module):
    with pytest.raises(s2sad.S2SADError) as caught:
        s2sad.grad(module.too_deep)(np.ones(2))
    message = str(caught.value)
    assert _location(module, "power(x, n - 1)") in message
    assert f"more than {RECURSION_LIMIT} levels deep" in message


@pytest.mark.parametrize("size", [1, 2, 4])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_recursion_on_shapes_known_at_generation(module, size, mode):
    """The recursion stops on ``c.shape[0]``: with the argument's shape given (Options.lengths, which
    s2sad.grad's dispatcher gives: test_determinant_by_minors), generation decides each level's test."""
    c, x = np.random.default_rng(size).normal(size=size), 0.7
    kind = "grad" if mode == "reverse" else "jvp"
    options = Options(kind=kind, wrt=("c",), mode=mode, lengths=(("c", (size,)),))
    derivative = pipeline.compile_unit(load.from_function(module.polynomial), options).compiled
    reference = central_differences(lambda c: module.polynomial(c, x), c)
    np.testing.assert_allclose(reference, x ** np.arange(size)[::-1], rtol=1e-6, atol=1e-9)
    if mode == "reverse":
        np.testing.assert_allclose(derivative(c, x), reference, rtol=1e-6, atol=1e-9)
    else:
        direction = np.linspace(-1.0, 1.0, size)
        assert derivative(c, x, d_c=direction)[1] == pytest.approx(reference @ direction, rel=1e-6, abs=1e-9)


def test_determinant_by_minors(module):
    """ADBench's det: the recursion stops on the minors' shapes, so each call's derivative is made for
    its matrix's shape, against the closed form det(A) inv(A)^T and central differences."""
    gradient = s2sad.grad(module.det)
    assert "makes one for the shapes of each call" in s2sad.source(gradient).replace("\n# ", " ")
    for size in (1, 2, 3, 4, 3):
        a = np.random.default_rng(size).normal(size=(size, size)) + 2.0 * np.eye(size)
        closed_form = np.linalg.det(a) * np.linalg.inv(a).T
        np.testing.assert_allclose(gradient(a), closed_form, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gradient(a), central_differences(module.det, a), rtol=1e-6, atol=1e-8)


def test_derivative_made_for_a_shape_refuses_another(module):
    a = np.random.default_rng(0).normal(size=(3, 3))
    text = s2sad.source(s2sad.grad(module.det), a)
    assert "_rt.require_shapes(" in text
    namespace = {}
    exec(compile(text, "<det for 3x3>", "exec"), namespace)
    with pytest.raises(BadArgument, match=r"made for shape \(3, 3\)"):
        namespace["grad_det"](np.ones((4, 4)))


@pytest.mark.parametrize("values", [[3.0, 1.0, 2.0], [0.5, -0.7, 0.9, 0.2]])
def test_a_branch_on_values_is_not_decided_by_a_known_shape(module, values):
    """Shapes are found by calling numpy on arrays of the known shape; a result that depends on the
    values (how many are not zero) differs between the values tried, so the branch stays a branch."""
    a = np.array(values)
    np.testing.assert_allclose(s2sad.grad(module.pick)(a), central_differences(module.pick, a), rtol=1e-6, atol=1e-8)
