"""Forward mode (jvp) against reverse mode (vjp): the dot-product test <J v, w> == <v, J^T w>.

Over every fixture and every control-flow case of the reverse-mode suites, with
random v (one per differentiated argument) and w (shaped like the output).
"""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

import s2sad
from tests import test_control_flow, test_control_review
from tests.support import write_module

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

MODELS = [
    ("logistic", "loss", ("w", "b")),
    ("mlp", "loss", ("W1", "b1", "W2", "b2")),
    ("gaussian", "nll", ("mu", "log_sigma")),
    ("least_squares", "validation_loss", ("lam", "x_train")),
    ("rnn", "loss", ("W", "U", "b", "h0")),
    ("rnn", "loss_with_states", ("W", "U", "b", "xs")),
    ("heat", "final_energy", ("u0", "kappa")),
    ("heat", "final_energy_inplace", ("u0", "kappa")),
    ("newton", "sqrt_newton", ("a",)),
    ("newton", "fixed_point", ("theta", "x0")),
    ("piecewise", "loss", ("w",)),
    ("helpers_model", "loss", ("W1", "b1", "W2", "b2")),
]


def dot_product_gap(function, args, wrt_names, rng) -> tuple[float, float]:
    """(<J v, w>, <v, J^T w>) for random v and w."""
    names = list(__import__("inspect").signature(function).parameters)
    positions = [names.index(n) for n in wrt_names]
    v = tuple(
        float(rng.normal()) if isinstance(args[i], float) else rng.normal(size=np.shape(args[i])) for i in positions
    )
    value, tangent = s2sad.jvp(function, wrt=tuple(wrt_names))(*args, v)
    w = float(rng.normal()) if np.ndim(value) == 0 else rng.normal(size=np.shape(value))
    cotangents = s2sad.vjp(function, wrt=tuple(wrt_names))(*args, w)
    forward = float(np.sum(np.asarray(tangent) * w))
    backward = float(sum(np.sum(np.asarray(a) * b) for a, b in zip(v, cotangents, strict=True)))
    np.testing.assert_allclose(value, function(*args), rtol=1e-12, atol=0)
    return forward, backward


@pytest.fixture(scope="module", autouse=True)
def fixtures_on_path():
    sys.path.insert(0, str(FIXTURES))
    yield
    sys.path.remove(str(FIXTURES))


@pytest.mark.parametrize("stem, name, wrt", MODELS, ids=[f"{m[0]}.{m[1]}" for m in MODELS])
def test_fixture_dot_product(stem, name, wrt):
    module = importlib.import_module(stem)
    try:
        inputs = module.example_inputs(name)
    except TypeError:
        inputs = module.example_inputs()
    function = getattr(module, name)
    args = [inputs[n] for n in list(__import__("inspect").signature(function).parameters) if n in inputs]
    forward, backward = dot_product_gap(function, args, wrt, np.random.default_rng(1))
    assert forward == pytest.approx(backward, rel=1e-10, abs=1e-12)


def control_flow_cases(scalar_only: bool = False):
    """Every case (and input label) of the reverse-mode control-flow suites; ``scalar_only``: grad cases."""
    for module in (test_control_flow, test_control_review):
        for item in module.CASES:
            if scalar_only and item.vjp:
                continue
            for label, _ in item.inputs:
                yield pytest.param(module, item, label, id=f"{module.__name__.split('.')[-1]}:{item.id}:{label}")


def control_flow_case(module, item, label, folder):
    """The case's function, its arguments for ``label``, and its wrt as names."""
    f = write_module(folder, module.HEADER + item.source).f
    if module is test_control_flow:
        args = module.make_args(item, label, np.random.default_rng(0))
    else:
        args = module.make_args(item, label)
    names = list(__import__("inspect").signature(f).parameters)
    wrt = item.wrt if isinstance(item.wrt, tuple) else (item.wrt,)
    return f, args, tuple(names[w] if isinstance(w, int) else w for w in wrt)


@pytest.mark.parametrize("module, item, label", list(control_flow_cases()))
def test_control_flow_dot_product(module, item, label, tmp_path):
    f, args, wrt = control_flow_case(module, item, label, tmp_path)
    try:
        forward, backward = dot_product_gap(f, args, wrt, np.random.default_rng(2))
    except s2sad.S2SADError:
        if getattr(item, "refusal_ok", False):
            return
        raise
    assert forward == pytest.approx(backward, rel=1e-10, abs=1e-12)


def test_jvp_api(tmp_path):
    source = "import numpy as np\n\ndef f(x, s, k=2.0):\n    return np.sin(x) * s * k\n"
    f = write_module(tmp_path, source).f
    x, s = np.array([0.1, 0.7]), 1.5
    value, tangent = s2sad.jvp(f, wrt="x")(x, s, np.array([1.0, 0.0]))
    np.testing.assert_allclose(value, f(x, s))
    np.testing.assert_allclose(tangent, [np.cos(0.1) * s * 2.0, 0.0])
    value, tangent = s2sad.jvp(f, wrt=(0, 1))(x, s, (np.zeros(2), 1.0), k=3.0)
    np.testing.assert_allclose(tangent, np.sin(x) * 3.0)
    assert "def jvp_f(x, s, k=2.0, *, d_x, d_s):" in s2sad.source(s2sad.jvp(f, wrt=(0, 1)))


JACOBIAN_SOURCE = """
import numpy as np


def f(x, s):
    y = np.zeros(4)
    for i in range(4):
        y[i] = np.sin(x[i % 3]) * s + x[(i + 1) % 3] ** 2
    if s > 0:
        y = y * np.exp(-s)
    return y
"""


@pytest.mark.parametrize("s", [0.7, -0.4], ids=["then", "else"])
def test_jacobians_agree_in_both_modes_and_with_finite_differences(s, tmp_path):
    f = write_module(tmp_path, JACOBIAN_SOURCE).f
    x = np.array([0.3, -0.5, 1.1])
    reverse_x, reverse_s = s2sad.jacobian(f, wrt=(0, 1), mode="reverse")(x, s)
    forward_x, forward_s = s2sad.jacobian(f, wrt=(0, 1), mode="forward")(x, s)
    assert reverse_x.shape == (4, 3) and reverse_s.shape == (4,)
    np.testing.assert_allclose(forward_x, reverse_x, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(forward_s, reverse_s, rtol=1e-12, atol=1e-14)
    step = 1e-6
    numeric = np.stack([(f(x + step * e, s) - f(x - step * e, s)) / (2 * step) for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(reverse_x, numeric, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(reverse_s, (f(x, s + step) - f(x, s - step)) / (2 * step), rtol=1e-5, atol=1e-6)


# An operand with no tangent can broadcast the value: the tangent must still have the value's shape.
BROADCAST_BY_INACTIVE = [
    ("sum-after-adding-a-larger-inactive-array", "y = c + x\n    return np.sum(y)"),
    ("subtracted-from-a-larger-array-then-augmented", "x = c - x\n    x *= np.tanh(x)\n    return x"),
    ("where-with-a-larger-inactive-branch", "return np.sum(np.where(c > 0.0, x, c) ** 2)"),
    ("maximum-with-a-larger-inactive-array", "return np.sum(np.maximum(x, c))"),
    ("returned-as-it-is", "return c + x"),
    # the spread is dropped where the tangent multiplies the value (2 * t * d_x): the product spreads it
    ("squared-after-subtracting-from-a-larger-array", "return np.sum((c - x) ** 2)"),
]


@pytest.mark.parametrize("body", [c[1] for c in BROADCAST_BY_INACTIVE], ids=[c[0] for c in BROADCAST_BY_INACTIVE])
@pytest.mark.parametrize("x", [0.3, np.array([0.3]), np.array([[0.2], [-0.4]])], ids=["float", "(1,)", "(2,1)"])
def test_tangent_spreads_over_an_inactive_operands_axes(body, x, tmp_path):
    module = write_module(tmp_path, f"import numpy as np\n\ndef f(x, c):\n    {body}\n")
    c = np.array([[0.5, -1.5, 2.0], [1.0, 0.25, -0.75]])
    v = 0.7 if isinstance(x, float) else np.full(np.shape(x), 0.7)
    value, tangent = s2sad.jvp(module.f, wrt="x")(x, c, v)
    step = 1e-6
    expected = (module.f(x + step * v, c) - module.f(x - step * v, c)) / (2 * step)
    assert np.shape(tangent) == np.shape(value)
    np.testing.assert_allclose(tangent, expected, rtol=1e-6, atol=1e-8)
