"""User names never collide with generated ones, whatever the user calls things."""

import numpy as np

import s2sad
from tests.support import assert_gradients_close, numeric_vjp, write_module

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


# Module globals named like what generated code uses (np, _rt, tape, math, d_x, _t1, result)
# and, as functions, like the builtins it calls (len, range, reversed, min): the generated
# code reads the user's globals, so it must call the real builtins under other names.
GLOBALS = """
import math as m

import numpy as onp

np = 3.0
_rt = 2.0
tape = 0.5
math = 4.0
result = 1.5
d_x = 0.25
_t1 = 2.0


def len(v):
    return 1


def range(n):
    return [0]


def reversed(v):
    return v


def min(*values):
    return 1


def f(x, y):
    total = 0.0
    for v in x:
        if v > 0.0:
            total = total + onp.tanh(v) * np * _rt * y
        else:
            total = total - m.sin(tape) * v * math * result
    for a, b in zip(x, x):
        total = total + a * b * d_x * _t1
    k = 0
    while total > 1.0 and k < 5:
        total = total * 0.5
        k = k + 1
    return total
"""


def test_globals_named_like_generated_names_and_builtins(tmp_path):
    module = write_module(tmp_path, GLOBALS)
    args = [np.array([0.3, -0.5, 0.8, 1.2]), 0.7]
    gradient = s2sad.grad(module.f, wrt=(0, 1))
    assert_gradients_close(gradient(*args), numeric_vjp(module.f, args, (0, 1), 1.0), args, (0, 1))
    source = s2sad.source(gradient)
    assert "from builtins import len as len_1" in source and "from builtins import min as min_1" in source


def test_globals_named_like_generated_names_from_the_command_line(tmp_path, monkeypatch, capsys):
    from s2sad.cli import main

    module = write_module(tmp_path, GLOBALS, stem="hygiene_globals")
    monkeypatch.chdir(tmp_path)
    assert main(["grad", "hygiene_globals.py:f", "--wrt", "x,y"]) == 0
    source = capsys.readouterr().out
    assert "from hygiene_globals import _rt, _t1, d_x, math, np, result, tape\n" in source  # not len, range...
    generated = write_module(tmp_path, source)
    args = [np.array([0.3, -0.5, 0.8, 1.2]), 0.7]
    assert_gradients_close(generated.grad_f(*args), numeric_vjp(module.f, args, (0, 1), 1.0), args, (0, 1))


def test_a_global_named_like_the_generated_function_is_refused_by_the_command_line(tmp_path, monkeypatch, capsys):
    """One module cannot hold the user's grad_f and s2sad's: the refusal says which name."""
    from s2sad.cli import main

    (tmp_path / "clash.py").write_text("grad_f = 2.0\n\n\ndef f(x):\n    return x * grad_f\n")
    monkeypatch.chdir(tmp_path)
    assert main(["grad", "clash.py:f"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "the name 'grad_f' would mean both 'def grad_f' and 'from clash import grad_f'" in captured.err


# Locals named like generated names, and shadowing builtins; an inlined helper whose
# locals are named like the flags s2sad adds for break, continue and return.
LOCALS = """
import numpy as np


def helper(v, result):
    broke = v * result
    if broke > 0.0:
        return broke * v
    returned = broke + 1.0
    return returned * v


def f(x, d_x, _t1):
    len = x.shape[0]
    float = 2.0
    sum = 0.0
    abs = np.abs(x)
    tape = 0.0
    grad_f = 1.0
    d_result = 0.5
    result_1 = 3.0
    skipped = 0.0
    for i in range(len):
        if abs[i] > 1.0:
            skipped = skipped + x[i]
            continue
        sum = sum + helper(x[i], d_x) * float
        tape = tape + x[i] * _t1
    for v in x[::-1]:
        if v < -0.6:
            break
        grad_f = grad_f * 0.5 + v
    return sum + tape * d_result + grad_f * result_1 + skipped * skipped
"""


def test_locals_named_like_generated_names_and_shadowing_builtins(tmp_path):
    module = write_module(tmp_path, LOCALS)
    args = [np.array([0.3, -0.5, 1.4, 0.8, -0.7, 0.2]), 0.7, 1.3]
    gradient = s2sad.grad(module.f, wrt=(0, 1, 2))
    assert_gradients_close(gradient(*args), numeric_vjp(module.f, args, (0, 1, 2), 1.0), args, (0, 1, 2))
    source = s2sad.source(gradient)
    assert "from builtins import len as len_1" in source
    assert "def grad_f(x, d_x, _t1):" in source
