"""@s2sad.rule: a user's function becomes a primitive with the derivative the user gives."""

import numpy as np
import pytest
import scipy.special

import s2sad
from tests.checks import assert_gradients_close, numeric_vjp, write_module

MODEL = """
import math
import numpy as np
import scipy.special
import s2sad

TWO_OVER_ROOT_PI = 2.0 / math.sqrt(math.pi)


@s2sad.rule(elementwise=True)
def erf(x):
    return scipy.special.erf(x)


@erf.adjoint
def erf_adjoint(d_out, out, x):
    return d_out * TWO_OVER_ROOT_PI * np.exp(-x * x)


@s2sad.rule
def scaled_norm(v, scale):
    return scale * float(np.sqrt(np.sum(v * v)))


@scaled_norm.adjoint
def scaled_norm_adjoint(d_out, out, v, scale):
    return d_out * out / np.sum(v * v) * v, d_out * out / scale


def in_loop(x, a):
    total = 0.0
    for i in range(3):
        if i % 2 == 0:
            total = total + np.sum(erf(x * a + i))
        else:
            total = total + scaled_norm(x, a) * i
    return total
"""


@pytest.fixture
def module(tmp_path):
    return write_module(tmp_path, MODEL)


def test_custom_rule_used_inside_a_loop_and_branch(module):
    x, a = np.array([0.1, -0.4, 0.3]), 0.7
    gradient = s2sad.grad(module.in_loop, wrt=(0, 1))
    expected = numeric_vjp(module.in_loop, [x, a], (0, 1), 1.0)
    assert_gradients_close(gradient(x, a), expected, [x, a], (0, 1))
    source = s2sad.source(gradient)
    assert "erf(" in source and "scipy" not in source  # called as a primitive, not inlined


def test_function_with_a_rule_still_runs_as_written(module):
    x = np.array([0.2, -1.0])
    np.testing.assert_array_equal(module.erf(x), scipy.special.erf(x))


def test_malformed_rule_fails_where_it_is_written(tmp_path):
    source = (
        "import s2sad\n\n@s2sad.rule\ndef f(x):\n    return x\n\n@f.adjoint\n"
        "def f_adjoint(g, x):\n    return g\n"
    )
    with pytest.raises(Exception, match="first parameters are d_out, out"):
        write_module(tmp_path, source)


def test_unknown_call_suggests_a_custom_rule(tmp_path):
    module = write_module(tmp_path, "import scipy.special\n\ndef f(x):\n    return scipy.special.gamma(x)\n")
    with pytest.raises(s2sad.S2SADError, match=r"no derivative rule for 'scipy.special.gamma' \(scipy.special.gamma\)(.|\n)*@s2sad.rule"):
        s2sad.grad(module.f)


def test_cli_reads_custom_rules_from_the_file_without_running_it(tmp_path):
    import subprocess
    import sys

    model = tmp_path / "erf_model.py"
    model.write_text(MODEL + "\nopen(__file__ + '.ran', 'w').close()\n")
    completed = subprocess.run(
        [sys.executable, "-m", "s2sad", "grad", f"{model}:in_loop", "--wrt", "x,a"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )
    assert not (tmp_path / "erf_model.py.ran").exists()
    assert "from erf_model import" in completed.stdout and "erf(" in completed.stdout
    sys.path.insert(0, str(tmp_path))  # the printed module imports erf_model
    try:
        generated = write_module(tmp_path, completed.stdout)
    finally:
        sys.path.remove(str(tmp_path))
    module = write_module(tmp_path, MODEL)
    x, a = np.array([0.1, -0.4, 0.3]), 0.7
    expected = numeric_vjp(module.in_loop, [x, a], (0, 1), 1.0)
    assert_gradients_close(generated.grad_in_loop(x, a), expected, [x, a], (0, 1))
