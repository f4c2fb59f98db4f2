"""User names never collide with generated ones, whatever the user calls things."""

import numpy as np

import s2sad
from tests.checks import assert_gradients_close, numeric_vjp, write_module

SOURCE = """
import numpy as onp

LIMIT = 2.0


def f(x, d_x, _t1, tape):
    np = onp.sin(x)
    _rt = np * d_x
    result = _rt * _t1
    _s2sad_n1 = result + x
    d_result = _s2sad_n1 / LIMIT
    x = x * 2.0
    x = x * d_result
    math = x * tape
    return onp.sum(math)
"""


def test_generated_names_avoid_user_names(tmp_path):
    module = write_module(tmp_path, SOURCE)
    args = [np.array([0.3, 0.5]), np.array([1.0, 2.0]), 0.7, np.array([1.5, -1.0])]
    wrt = (0, 1, 2, 3)
    gradient = s2sad.grad(module.f, wrt=wrt)
    assert_gradients_close(gradient(*args), numeric_vjp(module.f, args, wrt, 1.0), args, wrt)
    source = s2sad.source(gradient)
    assert "import numpy as np_1" in source  # the user's local `np` keeps its name
    assert "def grad_f(x, d_x, _t1, tape):" in source


def test_vjp_seed_avoids_user_names(tmp_path):
    module = write_module(tmp_path, "import numpy as np\n\ndef f(x, d_result):\n    return x * d_result\n")
    x, scale, d_out = np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array([0.5, 2.0])
    pullback = s2sad.vjp(module.f, wrt=(0, 1))
    d_x, d_scale = pullback(x, scale, d_out)
    np.testing.assert_allclose(d_x, d_out * scale)
    np.testing.assert_allclose(d_scale, d_out * x)


def test_user_names_shadowing_builtins_the_generated_code_calls(tmp_path):
    """A variable called range or min does not break the loops s2sad writes (range, len, min, reversed)."""
    source = """
import numpy as np


def f(x, y):
    range = np.max(x) - np.min(x)
    min = 0.0
    total = 0.0
    for a, b in zip(x, y):
        total = total + a * b * range + min
    v = total
    while v > 1.0:
        v = v * 0.5
    for row in x[::-1]:
        total = total + row * v
    return total
"""
    module = write_module(tmp_path, source)
    args = [np.array([0.5, 2.0, 1.5]), np.array([1.0, -0.5, 2.0])]
    gradient = s2sad.grad(module.f, wrt=(0, 1))
    assert_gradients_close(gradient(*args), numeric_vjp(module.f, args, (0, 1), 1.0), args, (0, 1))
    assert "from builtins import range as range_1" in s2sad.source(gradient)
