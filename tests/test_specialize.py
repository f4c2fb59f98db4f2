"""Derivatives specialized to what a call tells (s2sad/specialize.py): the ranks of the arguments
make theta[0] and x[i] numbers, so scalar loops over numpy entries lose their unbroadcasting and the
shapes on their tape. Each specialized derivative is compared with the one for any arguments and with
central finite differences, in both modes."""

import numpy as np
import pytest

import s2sad
from s2sad.errors import BadArgument
from s2sad.finite_differences import gradient
from tests.support import write_module

LOOPS = """
import numpy as np


def ode(theta, y0, n):
    y = y0
    total = 0.0
    for i in range(n):
        dy = -theta[0] * y + theta[1] * np.sin(y)
        y = y + 0.01 * dy
        total = total + (y - 1.0) ** 2
    return total


def rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def rows(m, v):
    s = 0.0
    for i in range(m.shape[0]):
        s = s + np.sum(np.tanh(m[i] * v) * m[i, 0])
    return s
"""


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    return write_module(tmp_path_factory.mktemp("specialize"), LOOPS)


def _arguments(name, rng):
    if name == "ode":
        return (np.array([0.8, 0.3]), 0.4, 30), (lambda f, t: lambda v: f(v, 0.4, 30))
    if name == "rosenbrock":
        return (rng.uniform(-1.0, 1.0, 6),), (lambda f, t: f)
    return (rng.normal(size=(3, 4)), rng.normal(size=4)), (lambda f, t: lambda v: f(v, t[1]))


@pytest.mark.parametrize("name", ["ode", "rosenbrock", "rows"])
def test_specialized_to_ranks_matches_the_general_derivative_and_finite_differences(module, name):
    f = getattr(module, name)
    args, of_first = _arguments(name, np.random.default_rng(3))
    dloss, tangent = s2sad.grad(f), s2sad.jvp(f)
    expected = gradient(of_first(f, args), args[0])
    direction = np.ones_like(args[0])
    for _ in range(2):  # the first call runs the derivative for any arguments, the second the specialized one
        np.testing.assert_allclose(dloss(*args), expected, rtol=1e-6, atol=1e-8)
        assert tangent(*args, direction)[1] == pytest.approx(float(np.sum(expected)), rel=1e-6, abs=1e-8)
    specialized = s2sad.source(dloss, *args)
    assert "Only for arguments where" in specialized
    if name != "rows":  # m[i] of a matrix is a row: it still broadcasts against v
        assert "unbroadcast" not in specialized and "shape_of" not in specialized
    assert "unbroadcast" in s2sad.source(dloss)


def test_a_call_with_other_ranks_gets_its_own_derivative(module):
    dloss = s2sad.grad(module.rows)
    rng = np.random.default_rng(4)
    for m, v in [(rng.normal(size=(3, 4)), rng.normal(size=4)), (rng.normal(size=(3, 4)), 0.7)] * 2:
        expected = gradient(lambda w, v=v: module.rows(w, v), m)
        np.testing.assert_allclose(dloss(m, v), expected, rtol=1e-6, atol=1e-8)
    assert "v is a number" in " ".join(s2sad.source(dloss, m, 0.7).split())
    assert "v has 1 axis (none of length 1)" in " ".join(s2sad.source(dloss, m, np.ones(4)).split())


def test_an_array_of_objects_says_nothing_of_its_items(tmp_path):
    module = write_module(
        tmp_path,
        """
import numpy as np

def f(w, data):
    s = 0.0
    for i in range(data.shape[0]):
        s = s + np.sum(w * data[i])
    return s
""",
    )
    data = np.empty(2, dtype=object)
    data[0], data[1] = np.ones((3, 2)), np.full((4, 2), 2.0)  # rows of different lengths
    w = np.array([0.5, -1.0])
    dloss = s2sad.grad(module.f)
    expected = gradient(lambda v: module.f(v, data), w)
    for _ in range(2):
        np.testing.assert_allclose(dloss(w, data), expected, rtol=1e-6)


BROADCASTS = """
import numpy as np

def f(a, b, w):
    h = np.tanh(a * b + a) @ w
    return np.sum(h * h) + np.sum(a[0] * b)
"""


@pytest.mark.parametrize(
    "a, b, w",
    [
        ((3, 4), (3, 4), (4,)),
        ((3, 1), (1, 4), (4, 2)),
        ((3, 4), (4,), (4, 1)),
        ((1, 4), (3, 4), (4,)),
        ((3, 4), (), (4,)),
    ],
)
def test_arrays_of_one_form_have_one_shape_and_length_one_axes_broadcast(a, b, w, tmp_path):
    module = write_module(tmp_path, BROADCASTS)
    rng = np.random.default_rng(len(a) + len(b))
    args = [rng.normal(size=s) if s else float(rng.normal()) for s in (a, b, w)]
    dloss = s2sad.grad(module.f, wrt=(0, 1, 2))
    expected = [gradient(lambda v, i=i: module.f(*args[:i], v, *args[i + 1 :]), args[i]) for i in range(3)]
    for _ in range(2):
        for got, want in zip(dloss(*args), expected, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    if a == b:  # one form: only a[0] * b (a row times a matrix) is summed, over the rows, written out
        specialized = s2sad.source(dloss, *args)
        assert "_rt.unbroadcast(" not in specialized and specialized.count(", axis=0)") == 1
        assert s2sad.source(dloss).count("_rt.unbroadcast(") > 1


REDUCTIONS = """
import numpy as np

def f(x, w, b):
    z = x @ w + b
    shifted = z - np.max(z, axis=1, keepdims=True)
    centered = shifted - np.mean(shifted, axis=-1, keepdims=True)
    scale = np.sum(centered * centered, axis=(0, 1), keepdims=True)
    column = np.sum(np.tanh(centered), axis=0)
    return np.sum(centered / scale) + np.sum(column * b) + np.sum(z, axis=1)[0] / x.shape[0]
"""


@pytest.mark.parametrize(
    "x, w, b",
    [((5, 3), (3, 4), (4,)), ((5, 3), (3, 4), (1,)), ((1, 3), (3, 4), (1, 4)), ((5, 3), (3, 4), ())],
)
def test_reductions_over_axes_written_out_keep_their_forms(x, w, b, tmp_path):
    """Forms through reductions over axes (keepdims or not, negative axes, tuples) and ``x.shape[0]``:
    the specialized derivative sums contributions with ``np.sum`` over the axes they tell."""
    module = write_module(tmp_path, REDUCTIONS)
    rng = np.random.default_rng(len(x) + len(w) + len(b))
    args = [rng.normal(size=s) if s else float(rng.normal()) for s in (x, w, b)]
    dloss, tangent = s2sad.grad(module.f, wrt=(1, 2)), s2sad.jvp(module.f, wrt=(1, 2))
    expected = [gradient(lambda v, i=i: module.f(*args[:i], v, *args[i + 1 :]), args[i]) for i in (1, 2)]
    directions = [np.ones_like(args[1]), 1.0 if not b else np.ones(b)]
    for _ in range(2):
        for got, want in zip(dloss(*args), expected, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
        want = sum(float(np.sum(e * d)) for e, d in zip(expected, directions, strict=True))
        assert tangent(*args, tuple(directions))[1] == pytest.approx(want, rel=1e-6, abs=1e-8)
    if x == (5, 3) and w == (3, 4):
        assert "_rt.unbroadcast(" not in s2sad.source(dloss, *args)


PRODUCTS = """
import numpy as np

def f(a, b):
    return np.sum(np.tanh(a @ b))
"""


@pytest.mark.parametrize("a, b", [((3, 4), (4, 2)), ((3, 4), (4,)), ((4,), (4, 2)), ((4,), (4,))])
def test_matrix_products_of_known_ranks_are_written_out(a, b, tmp_path):
    module = write_module(tmp_path, PRODUCTS)
    rng = np.random.default_rng(len(a) * 3 + len(b))
    args = [rng.normal(size=a), rng.normal(size=b)]
    dloss = s2sad.grad(module.f, wrt=(0, 1))
    expected = [gradient(lambda v: module.f(v, args[1]), args[0]), gradient(lambda v: module.f(args[0], v), args[1])]
    for _ in range(2):
        for got, want in zip(dloss(*args), expected, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    specialized = s2sad.source(dloss, *args)
    assert "matmul_adjoint" not in specialized and "matmul_adjoint" in s2sad.source(dloss)


def test_a_specialized_derivative_refuses_arguments_of_other_forms(module):
    """Called on its own (as the CLI prints it, or from s2sad.source), a specialized derivative checks
    the forms it relies on first: a Python loop's sums would otherwise come out of the wrong shape."""
    dloss = s2sad.grad(module.rows)
    rng = np.random.default_rng(5)
    m, v = rng.normal(size=(3, 4)), rng.normal(size=4)
    specialized = dloss.__s2sad_specialized__(m, v)
    np.testing.assert_allclose(specialized(m, v), gradient(lambda w: module.rows(w, v), m), rtol=1e-6, atol=1e-8)
    for other in (0.5, np.ones((1, 4)), rng.normal(size=(3, 1))):
        with pytest.raises(BadArgument, match=r"argument 'v' has shape .* specialized to 1 axis") as error:
            specialized(m, other)
        assert error.value.origin.line == LOOPS.splitlines().index("def rows(m, v):") + 1
    np.testing.assert_allclose(dloss(m, 0.5), gradient(lambda w: module.rows(w, 0.5), m), rtol=1e-6, atol=1e-8)
