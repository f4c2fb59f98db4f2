"""The control-flow fixture models end to end: through the API and through the CLI, against finite differences.

Like tests/test_fixtures.py, for the models with loops, branches, lists,
assignment into arrays and helpers (fixtures/rnn.py, heat.py, newton.py,
piecewise.py, helpers_model.py with helpers_layers.py). A fixture module with
several functions taking different arguments has ``example_inputs(name)``.
helpers_model.py imports helpers_layers.py, so fixtures/ is on sys.path for
the API tests, and the CLI runs with fixtures/ as its working directory and
on PYTHONPATH.
"""

import importlib
import inspect
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import s2sad
from tests.support import assert_gradients_close, numeric_vjp, write_module

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# (file stem, function, differentiated arguments)
MODELS = [
    ("rnn", "loss", ("W", "U", "b", "h0")),
    ("rnn", "loss_with_states", ("W", "U", "b", "xs", "h0")),
    ("heat", "final_energy", ("u0", "kappa")),
    ("heat", "final_energy_inplace", ("u0", "kappa")),
    ("newton", "sqrt_newton", ("a",)),
    ("newton", "fixed_point", ("theta", "x0")),
    ("piecewise", "huber", ("r", "delta")),
    ("piecewise", "huber_vectorized", ("r", "delta")),
    ("piecewise", "stable_sigmoid", ("z",)),
    ("piecewise", "loss", ("w",)),
    ("helpers_model", "loss", ("W1", "b1", "W2", "b2")),
]
IDS = [f"{stem}.{name}" for stem, name, _ in MODELS]


@pytest.fixture(scope="module", autouse=True)
def fixtures_on_path():
    sys.path.insert(0, str(FIXTURES))
    yield
    sys.path.remove(str(FIXTURES))


def inputs_for(module, name) -> dict:
    make = module.example_inputs
    return make(name) if inspect.signature(make).parameters else make()


def load_model(stem, name):
    module = importlib.import_module(stem)
    inputs = inputs_for(module, name)
    return getattr(module, name), list(inputs.values()), list(inputs)


def reference(function, args, names, wrt):
    positions = tuple(names.index(n) for n in wrt)
    return numeric_vjp(function, args, positions, 1.0), positions


def as_tuple(result, wrt):
    return result if len(wrt) > 1 or isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("stem, name, wrt", MODELS, ids=IDS)
def test_api_gradient(stem, name, wrt):
    function, args, names = load_model(stem, name)
    expected, positions = reference(function, args, names, wrt)
    actual = s2sad.grad(function, wrt=wrt)(*args)
    assert_gradients_close(actual, expected, args, positions)
    value, again = s2sad.value_and_grad(function, wrt=wrt)(*args)
    assert value == pytest.approx(function(*args), rel=1e-12)
    for first, second in zip(actual, again, strict=True):
        np.testing.assert_array_equal(first, second)


def cli_command(stem, name, wrt):
    return [sys.executable, "-m", "s2sad", "grad", str(FIXTURES / f"{stem}.py:{name}"), "--wrt", ",".join(wrt)]


@pytest.fixture(scope="module")
def cli_runs():
    """Every model through the CLI, the processes started all at once (each spends ~1 s importing)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(FIXTURES), env.get("PYTHONPATH")) if p)
    processes = {
        (stem, name): subprocess.Popen(
            cli_command(stem, name, wrt),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=FIXTURES,
            env=env,
        )
        for stem, name, wrt in MODELS
    }
    runs = {}
    for key, process in processes.items():
        stdout, stderr = process.communicate(timeout=120)
        runs[key] = (process.returncode, stdout, stderr)
    return runs


@pytest.mark.parametrize("stem, name, wrt", MODELS, ids=IDS)
def test_cli_gradient(stem, name, wrt, cli_runs, tmp_path):
    returncode, stdout, stderr = cli_runs[stem, name]
    assert returncode == 0, stderr
    generated = write_module(tmp_path, stdout)
    function, args, names = load_model(stem, name)
    expected, positions = reference(function, args, names, wrt)
    actual = as_tuple(getattr(generated, f"grad_{name}")(*args), wrt)
    assert_gradients_close(actual, expected, args, positions)


# -- the example inputs exercise what the fixtures are about (these need no s2sad) ----------------


def test_piecewise_examples_take_both_pieces():
    import piecewise

    for name in ("huber", "huber_vectorized"):
        r, delta = piecewise.example_inputs(name).values()
        assert np.any(np.abs(r) < delta) and np.any(np.abs(r) > delta)
    w, x, y = piecewise.example_inputs().values()
    residuals = np.abs(x @ w - y)
    assert np.any(residuals < piecewise.DELTA) and np.any(residuals > piecewise.DELTA)
    assert np.min(np.abs(residuals - piecewise.DELTA)) > 1e-3  # finite differences stay on one piece


def test_heat_variants_agree_and_steps_is_an_int():
    import heat

    inputs = heat.example_inputs()
    assert isinstance(inputs["steps"], int) and inputs["steps"] > 1
    assert heat.final_energy(**inputs) == pytest.approx(heat.final_energy_inplace(**inputs), rel=1e-12)


# -- closed forms and the other branch sides ------------------------------------------------------


@pytest.mark.parametrize("a", [0.3, 2.0, 9.0])
def test_sqrt_newton_gradient_is_that_of_the_square_root(a):
    import newton

    d_a = s2sad.grad(newton.sqrt_newton)(a)
    assert isinstance(d_a, float)
    assert d_a == pytest.approx(0.5 / math.sqrt(a), rel=1e-9)


def test_fixed_point_gradient_matches_the_implicit_function_theorem():
    import newton

    theta, x0 = newton.example_inputs("fixed_point").values()
    d_theta, d_x0 = s2sad.grad(newton.fixed_point, wrt=(0, 1))(theta, x0)
    x = x0
    for _ in range(200):
        x = np.cos(theta * x)
    s = np.sin(theta * x)  # x = cos(theta x)  =>  dx/dtheta = -s x / (1 + s theta)
    np.testing.assert_allclose(d_theta, -s * x / (1.0 + s * theta), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(d_x0, 0.0, atol=1e-10)


@pytest.mark.parametrize("max_iter", [1, 3, 7])
def test_fixed_point_stopped_by_max_iterations(max_iter):
    """The `break` ends the loop before convergence: the gradient still matches its function."""
    import newton

    theta, x0 = newton.example_inputs("fixed_point").values()
    args = [theta, x0, 1e-13, max_iter]
    actual = s2sad.grad(newton.fixed_point, wrt=(0, 1))(*args)
    assert np.max(np.abs(actual[1])) > 1e-3  # x0 still matters: the loop did stop early
    assert_gradients_close(actual, numeric_vjp(newton.fixed_point, args, (0, 1), 1.0), args, (0, 1))


@pytest.mark.parametrize("z", [-30.0, -1.3, 0.0, 0.7, 30.0], ids=str)
def test_stable_sigmoid_on_both_branches(z):
    import piecewise

    value, d_z = s2sad.value_and_grad(piecewise.stable_sigmoid)(z)
    assert value == piecewise.stable_sigmoid(z)
    assert isinstance(d_z, float)
    assert d_z == pytest.approx(value * (1.0 - value), rel=1e-9, abs=1e-15)
