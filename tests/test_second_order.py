"""Second derivatives: hvp, hessian and grad(grad(f)), each against an independent reference.

H v is compared with central differences of s2sad's own (reverse-mode)
gradient along v, and with the symmetry <H v, w> == <v, H w>, over every
fixture and every scalar control-flow case of the reverse-mode suites; the
Hessian with central differences of the gradient, column by column.
"""

import importlib
import inspect

import numpy as np
import pytest

import s2sad
from s2sad.errors import NoRule
from s2sad.finite_differences import ATOL, RTOL, STEP
from tests.support import numeric_hvp, write_module
from tests.test_forward import MODELS, control_flow_case, control_flow_cases
from tests.test_forward import fixtures_on_path  # noqa: F401  (an autouse fixture: fixtures/ on sys.path)


def random_direction(args, positions, rng):
    return tuple(
        float(rng.normal()) if isinstance(args[p], float) else rng.normal(size=np.shape(args[p])) for p in positions
    )


def check_hvp(function, args, wrt_names, rng):
    """H v against differences of the gradient, and <H v, w> == <v, H w>."""
    names = list(inspect.signature(function).parameters)
    positions = [names.index(n) for n in wrt_names]
    product = s2sad.hvp(function, wrt=tuple(wrt_names))
    v, w = random_direction(args, positions, rng), random_direction(args, positions, rng)
    hv, hw = product(*args, v), product(*args, w)
    expected = numeric_hvp(s2sad.grad(function, wrt=tuple(wrt_names)), args, positions, v)
    for got, want, p in zip(hv, expected, positions, strict=True):
        assert np.shape(got) == np.shape(args[p])
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    forward = sum(float(np.sum(a * b)) for a, b in zip(hv, w, strict=True))
    backward = sum(float(np.sum(a * b)) for a, b in zip(v, hw, strict=True))
    assert forward == pytest.approx(backward, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("stem, name, wrt", MODELS, ids=[f"{m[0]}.{m[1]}" for m in MODELS])
def test_fixture_hvp(stem, name, wrt):
    module = importlib.import_module(stem)
    function = getattr(module, name)
    try:
        inputs = module.example_inputs(name)
    except TypeError:
        inputs = module.example_inputs()
    args = [inputs[n] for n in inspect.signature(function).parameters if n in inputs]
    if np.ndim(function(*args)) != 0:
        pytest.skip(f"{name} returns an array: a Hessian needs a scalar function")  # loss_with_states
    check_hvp(function, args, wrt, np.random.default_rng(3))


@pytest.mark.parametrize("module, item, label", list(control_flow_cases(scalar_only=True)))
def test_control_flow_hvp(module, item, label, tmp_path):
    f, args, wrt = control_flow_case(module, item, label, tmp_path)
    try:
        check_hvp(f, args, wrt, np.random.default_rng(4))
    except s2sad.S2SADError:
        if getattr(item, "refusal_ok", False):
            return
        raise


ROSENBROCK = """
import numpy as np


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def mixed(a, b, scale):
    total = 0.0
    for i in range(b.shape[0]):
        if b[i] > 0.0:
            total = total + scale * np.sin(a * b[i]) * b[i] ** 2
        else:
            total = total + np.exp(a) * b[i]
    return total
"""


def numeric_hessian(gradient, x):
    """Central differences of the gradient, one input direction at a time: shape x.shape + x.shape."""
    columns = []
    for index in np.ndindex(np.shape(x)):
        step = np.zeros(np.shape(x))
        step[index] = STEP
        columns.append((gradient(x + step) - gradient(x - step)) / (2 * STEP))
    return np.moveaxis(
        np.array(columns).reshape(np.shape(x) * 2), tuple(range(np.ndim(x))), tuple(range(np.ndim(x), 2 * np.ndim(x)))
    )


def test_hessian_is_symmetric_and_matches_differences_of_the_gradient(tmp_path):
    module = write_module(tmp_path, ROSENBROCK)
    x = np.array([1.2, 0.9, -0.4, 1.1, 0.5])
    hessian = s2sad.hessian(module.rosenbrock)(x)
    assert hessian.shape == (5, 5)
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hessian, numeric_hessian(s2sad.grad(module.rosenbrock), x), rtol=RTOL, atol=ATOL)


def test_hessian_of_a_matrix_argument_has_shape_x_by_x(tmp_path):
    module = write_module(tmp_path, "import numpy as np\n\ndef f(w, x):\n    return np.sum(np.tanh(x @ w) ** 2)\n")
    rng = np.random.default_rng(5)
    w, x = rng.normal(size=(3, 2)), rng.normal(size=(4, 3))
    hessian = s2sad.hessian(module.f)(w, x)
    assert hessian.shape == (3, 2, 3, 2)
    expected = numeric_hessian(lambda w: s2sad.grad(module.f)(w, x), w)
    np.testing.assert_allclose(hessian, expected, rtol=RTOL, atol=ATOL)
    flat = hessian.reshape(6, 6)
    np.testing.assert_allclose(flat, flat.T, rtol=1e-12, atol=1e-12)


def test_hvp_is_the_hessian_times_v(tmp_path):
    module = write_module(tmp_path, ROSENBROCK)
    rng = np.random.default_rng(6)
    x, v = rng.normal(size=6), rng.normal(size=6)
    np.testing.assert_allclose(s2sad.hvp(module.rosenbrock)(x, v), s2sad.hessian(module.rosenbrock)(x) @ v, rtol=1e-12)


def test_hessian_blocks_for_several_arguments(tmp_path):
    module = write_module(tmp_path, ROSENBROCK)
    a, b, scale = 0.7, np.array([0.5, -1.2, 2.0]), 1.5
    blocks = s2sad.hessian(module.mixed, wrt=("a", "b"))(a, b, scale)
    (h_aa, h_ab), (h_ba, h_bb) = blocks
    assert type(h_aa) is np.ndarray and h_aa.shape == () and h_ab.shape == (3,) and h_bb.shape == (3, 3)
    np.testing.assert_allclose(h_ab, h_ba, rtol=1e-12)
    gradient = s2sad.grad(module.mixed, wrt=("a", "b"))
    for j, (da, db) in enumerate([(STEP, np.zeros(3))] + [(0.0, STEP * np.eye(3)[k]) for k in range(3)]):
        plus, minus = gradient(a + da, b + db, scale), gradient(a - da, b - db, scale)
        column_a, column_b = ((p - m) / (2 * STEP) for p, m in zip(plus, minus, strict=True))
        got_a = h_aa if j == 0 else h_ab[j - 1]
        got_b = h_ba if j == 0 else h_bb[:, j - 1]
        np.testing.assert_allclose(got_a, column_a, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(got_b, column_b, rtol=RTOL, atol=ATOL)


def test_hessian_of_a_float_argument_is_a_float(tmp_path):
    module = write_module(tmp_path, ROSENBROCK)
    h = s2sad.hessian(module.mixed)(0.3, np.array([0.5, -1.0]), 2.0)
    assert type(h) is float
    gradient = s2sad.grad(module.mixed)
    b = np.array([0.5, -1.0])
    assert h == pytest.approx((gradient(0.3 + STEP, b, 2.0) - gradient(0.3 - STEP, b, 2.0)) / (2 * STEP), rel=RTOL)


SCALAR = """
import math


def looped(x, n):
    y = x
    for i in range(n):
        if y > 1.0:
            y = math.sqrt(y) + x * 0.5
        else:
            y = math.sin(y) * x + y * y
    return y


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-14 * a:
        x = 0.5 * (x + a / x)
    return x


def two(x, y):
    return math.exp(x * y) + x ** 3 * y
"""


@pytest.mark.parametrize("x", [0.4, 0.9, 1.7])
def test_grad_of_grad_through_a_loop_and_a_branch(x, tmp_path):
    module = write_module(tmp_path, SCALAR)
    first = s2sad.grad(module.looped)
    second = s2sad.grad(first)
    assert second(x, 4) == pytest.approx((first(x + STEP, 4) - first(x - STEP, 4)) / (2 * STEP), rel=RTOL, abs=ATOL)
    third = s2sad.grad(second)
    assert third(x, 4) == pytest.approx((second(x + STEP, 4) - second(x - STEP, 4)) / (2 * STEP), rel=RTOL, abs=ATOL)


def test_grad_of_grad_through_a_while_loop(tmp_path):
    module = write_module(tmp_path, SCALAR)
    second = s2sad.grad(s2sad.grad(module.newton_sqrt))
    for a in (0.5, 2.0, 9.0):
        assert second(a) == pytest.approx(-0.25 * a**-1.5, rel=1e-9)


def test_mixed_partial_from_grad_of_grad(tmp_path):
    module = write_module(tmp_path, SCALAR)
    d2 = s2sad.grad(s2sad.grad(module.two, wrt="x"), wrt="y")
    x, y = 0.3, -0.8
    # d/dy (y exp(xy) + 3 x^2 y) = exp(xy) (1 + x y) + 3 x^2
    assert d2(x, y) == pytest.approx(np.exp(x * y) * (1 + x * y) + 3 * x**2, rel=1e-12)
    value, slope = s2sad.value_and_grad(s2sad.grad(module.two, wrt="x"), wrt="y")(x, y)
    assert value == pytest.approx(s2sad.grad(module.two, wrt="x")(x, y), rel=1e-12)


def test_grad_of_grad_of_an_array_argument_is_refused_at_run_time(tmp_path):
    module = write_module(tmp_path, ROSENBROCK)
    second = s2sad.grad(s2sad.grad(module.rosenbrock))
    with pytest.raises(s2sad.S2SADError, match="scalar"):
        second(np.array([1.0, 2.0]))


@pytest.mark.parametrize("outer", ["jvp", "vjp"])
def test_other_derivatives_of_a_gradient_point_to_hvp(outer, tmp_path):
    module = write_module(tmp_path, SCALAR)
    with pytest.raises(s2sad.S2SADError, match="s2sad.hvp"):
        getattr(s2sad, outer)(s2sad.grad(module.two))


def test_grad_of_a_tuple_gradient_is_refused(tmp_path):
    module = write_module(tmp_path, SCALAR)
    with pytest.raises(s2sad.S2SADError, match="s2sad.hessian"):
        s2sad.grad(s2sad.grad(module.two, wrt=("x", "y")))


def test_second_derivatives_keep_float32(tmp_path):
    module = write_module(tmp_path, ROSENBROCK)
    x = np.array([1.2, 0.9, 0.3], dtype=np.float32)
    assert s2sad.hvp(module.rosenbrock)(x, np.ones(3, dtype=np.float32)).dtype == np.float32
    assert s2sad.hessian(module.rosenbrock)(x).dtype == np.float32


@pytest.mark.parametrize("method", ["trust-exact", "Newton-CG"])
def test_scipy_minimize_with_s2sad_derivatives(method, tmp_path):
    optimize = pytest.importorskip("scipy.optimize")
    module = write_module(tmp_path, ROSENBROCK)
    fun = module.rosenbrock
    x0 = np.array([1.3, 0.7, 0.8, 1.9, 1.2])  # scipy's own example
    # scipy's hand-written Rosenbrock derivatives are an independent reference
    np.testing.assert_allclose(s2sad.grad(fun)(x0), optimize.rosen_der(x0), rtol=1e-12)
    np.testing.assert_allclose(s2sad.hessian(fun)(x0), optimize.rosen_hess(x0), rtol=1e-12)
    if method == "trust-exact":
        result = optimize.minimize(
            fun, x0, jac=s2sad.grad(fun), hess=s2sad.hessian(fun), method=method, options={"gtol": 1e-10}
        )
    else:
        result = optimize.minimize(
            fun, x0, jac=s2sad.grad(fun), hessp=s2sad.hvp(fun), method=method, options={"xtol": 1e-10}
        )
    assert result.success, result.message
    np.testing.assert_allclose(result.x, np.ones(5), atol=1e-7)


# ---------------------------------------------------------------------------
# through the rules' own runtime helpers (rules in s2sad/rules/generated.py)

THROUGH_HELPERS = """
import numpy as np
import scipy.special


def products(x, w):
    return np.sum(w * np.cumprod(x)) + np.sum(np.cumprod(x.reshape(2, 3) ** 2, axis=1))


def scaled(a, b):
    return scipy.special.logsumexp(a, 1, b) @ np.array([1.0, -0.5])


def spectrum(a, w):
    return w @ np.linalg.eigvalsh(a @ a.T + np.eye(3)) ** 2


def factor(a):
    return np.sum(np.linalg.cholesky(a @ a.T + np.eye(3)))
"""

_RNG = np.random.default_rng(11)
HELPER_CASES = [
    ("products", (_RNG.normal(size=6), _RNG.normal(size=6)), ("x",)),
    ("products", (np.array([0.5, 0.0, -1.2, 2.0, 0.0, 0.7]), _RNG.normal(size=6)), ("x", "w")),
    ("scaled", (_RNG.normal(size=(2, 3)), _RNG.uniform(0.2, 2.0, size=(2, 3))), ("b",)),
    ("spectrum", (_RNG.normal(size=(3, 3)), np.array([1.0, -2.0, 0.5])), ("a",)),
    ("spectrum", (_RNG.normal(size=(3, 3)), np.array([1.0, -2.0, 0.5])), ("a", "w")),
]


@pytest.mark.parametrize("name, args, wrt", HELPER_CASES, ids=[f"{c[0]}-{'-'.join(c[2])}" for c in HELPER_CASES])
def test_hvp_through_runtime_helpers(name, args, wrt, tmp_path):
    """np.cumprod, logsumexp's b and np.linalg.eigvalsh: their tangent helpers have rules of their own."""
    module = write_module(tmp_path, THROUGH_HELPERS)
    check_hvp(getattr(module, name), list(args), wrt, np.random.default_rng(12))


def test_hessian_of_cumprod_against_differences_of_the_gradient(tmp_path):
    module = write_module(tmp_path, THROUGH_HELPERS)
    x, w = np.array([0.5, 0.0, -1.2, 2.0, 0.3, 0.7]), np.linspace(-1.0, 1.0, 6)
    hessian = s2sad.hessian(module.products)(x, w)
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-10, atol=1e-12)
    expected = numeric_hessian(lambda x: s2sad.grad(module.products)(x, w), x)
    np.testing.assert_allclose(hessian, expected, rtol=RTOL, atol=ATOL)


def test_second_derivative_through_a_helper_without_a_rule_is_refused_at_the_users_line(tmp_path):
    module = write_module(tmp_path, THROUGH_HELPERS)
    with pytest.raises(NoRule) as refused:
        s2sad.hessian(module.factor)(np.eye(3))
    error = refused.value
    assert error.message.startswith("second derivatives through np.linalg.cholesky or scipy.linalg.cholesky are not")
    assert "_rt.cholesky_tangent" in error.message
    assert error.origin.path == str(tmp_path / f"{module.__name__}.py")
    assert error.origin.source_line().strip() == "return np.sum(np.linalg.cholesky(a @ a.T + np.eye(3)))"
    assert s2sad.grad(module.factor)(np.eye(3)).shape == (3, 3)  # first derivatives still work
