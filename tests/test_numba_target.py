"""The numba target: gradients numba compiles, checked against the numpy target and finite differences.

numba's first compile of a kernel takes seconds: each kernel here is made once per module
(fixtures) and the tests share them; ``cache=True`` keeps them on disk within the session's cache.
"""

import subprocess
import sys

import numpy as np
import pytest

import s2sad
from s2sad import finite_differences
from s2sad.errors import UnsupportedSyntax
from tests.support import assert_gradients_close, assert_located, write_module

pytest.importorskip("numba")

SOURCE = """
import math
import numpy as np

K = 2.0


def ode(theta, y0, n):
    y = y0
    total = 0.0
    for i in range(n):
        dy = -theta[0] * y + theta[1] * np.sin(y)
        y = y + 0.01 * dy
        total = total + (y - 1.0) ** 2
    return total / n


def rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def newton(a, c):
    x = 1.0
    total = 0.0
    while abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
        if x > 1.7:
            total = total + c * x
        else:
            total = total + math.sin(x) * c
    return total + x


def sorted_sum(x):
    y = np.sort(x)
    return np.sum(y * y)


def with_global(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + K * x[i]
    return s


def of_dict(p):
    return p["a"][0] * p["b"]
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return write_module(tmp_path_factory.mktemp("numba_models"), SOURCE, "numba_models")


def numeric(function, args, wrt):
    def moving(index):
        def evaluate(trial):
            values = list(args)
            values[index] = trial
            return float(function(*values))

        return evaluate

    return tuple(finite_differences.gradient(moving(index), args[index]) for index in wrt)


def check(model, name, args, wrt):
    function = getattr(model, name)
    compiled = s2sad.grad(function, wrt=wrt, target="numba")
    got = compiled(*args)
    assert_gradients_close(got, numeric(function, args, wrt), args, wrt)
    want = s2sad.grad(function, wrt=wrt)(*args)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    return compiled, got


def test_scalar_loop_over_array_entries(model):
    args = (np.array([0.8, 0.3]), 0.3, 200)
    compiled, got = check(model, "ode", args, (0, 1))
    assert type(got[1]) is float and got[0].dtype == np.float64
    source = s2sad.source(compiled, *args)
    assert "@numba.njit(cache=True)" in source and "tape_y[top_y] = y" in source
    assert "numba_runtime.reserve(tape_y, top_y + len(" in source  # room for the loop's iterations at once
    # float32 in, float32 out, computed in float64 by the same kernel
    single = compiled(args[0].astype(np.float32), np.float32(0.3), 200)
    assert single[0].dtype == np.float32 and type(single[1]) is np.float32
    np.testing.assert_allclose(single[0], got[0], rtol=1e-5)


def test_array_argument_updated_in_place(model):
    args = (np.random.default_rng(1).uniform(-1.0, 1.0, 30),)
    compiled, _ = check(model, "rosenbrock", args, (0,))
    assert "d_x[i] += " in s2sad.source(compiled, *args)


def test_while_loop_with_a_branch_inside(model):
    for a in (2.0, 5.0):  # different trip counts, one kernel
        compiled, _ = check(model, "newton", (a, 1.5), (0, 1))
    source = s2sad.source(compiled, 2.0, 1.5)
    assert "tape_branches[top_branches]" in source and "tape_counts" in source


def test_value_and_grad_and_decorator(model):
    value, (d_theta, d_y0) = s2sad.value_and_grad(model.ode, wrt=(0, 1), target="numba")(np.array([0.8, 0.3]), 0.3, 50)
    assert value == pytest.approx(model.ode(np.array([0.8, 0.3]), 0.3, 50))
    decorated = s2sad.differentiable(model.ode, wrt=(0, 1), target="numba")
    np.testing.assert_allclose(decorated.grad(np.array([0.8, 0.3]), 0.3, 50)[0], d_theta)


@pytest.mark.parametrize(
    "name, args, marker, says",
    [
        ("sorted_sum", (np.arange(3.0),), "y = np.sort(x)", "runtime helper 'sort_adjoint'"),
        ("with_global", (np.arange(3.0),), "s = s + K", "the global 'K'"),
        ("of_dict", ({"a": np.ones(2), "b": 2.0},), "p):", "'p' is a container of arrays"),
    ],
)
def test_refusals_are_located(model, name, args, marker, says):
    with pytest.raises(UnsupportedSyntax) as raised:
        s2sad.grad(getattr(model, name), target="numba")(*args)
    message = str(raised.value)
    assert says in message and "use target='numpy' (the default)" in message
    assert_located(message, model.__file__, SOURCE, marker)


def test_unknown_target_and_forward_mode(model):
    with pytest.raises(s2sad.S2SADError, match="target must be 'numpy' or 'numba'"):
        s2sad.grad(model.rosenbrock, target="cuda")
    with pytest.raises(s2sad.S2SADError, match="reverse-mode derivatives only"):
        s2sad.api._generate(model.rosenbrock, 0, "jvp", "numba")


def test_cli_target_numba_compiles_and_runs(model, tmp_path):
    command = [sys.executable, "-m", "s2sad", "grad", f"{model.__file__}:ode", "--wrt", "theta,y0", "--target", "numba"]
    shapes = ["--shapes", "theta=(2,),y0=float,n=20"]
    refused = subprocess.run(command, capture_output=True, text=True)
    assert refused.returncode == 2 and "--shapes" in refused.stderr
    made = subprocess.run(command + shapes + ["-o", str(tmp_path / "ode_grad.py")], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    generated = write_module(tmp_path, (tmp_path / "ode_grad.py").read_text(), "ode_grad")
    args = (np.array([0.8, 0.3]), 0.3, 20)
    assert_gradients_close(
        generated.grad_f(*args) if hasattr(generated, "grad_f") else generated.grad_ode(*args),
        numeric(model.ode, args, (0, 1)),
        args,
        (0, 1),
    )
