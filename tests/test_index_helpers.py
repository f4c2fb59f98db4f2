"""numpy's index helpers (issue 13), and every other place a differentiated value could be taken for a constant.

``np.r_[x, x]`` gave a zero gradient: the base ``np.r_`` is a global, so ``x``
appeared only in the index, which carries no derivative. Now np.r_[...] and
np.c_[...] are lowered to np.concatenate (checked here in both modes against
central differences); np.s_, np.index_exp, np.ogrid and np.mgrid work when
inactive and are refused, located, when a differentiated value is in them; and
a differentiated value reaching any index, shape or option is refused.
"""

import subprocess
import sys

import numpy as np
import pytest

import s2sad
from s2sad import errors
from tests.support import assert_gradients_close, assert_located, numeric_vjp, random_value, write_module

MODEL = """
import numpy as np
from numpy import c_, r_

W = np.linspace(-1.0, 1.0, 6)


def r_pair(x):
    return np.sum(np.r_[x, x])


def r_mixed(a, s):
    return np.r_[a, s, 2.0, 0:3, [s, 1.0], (a * s)]


def r_scalars(s, t):
    return np.r_[s, t, s * t]


def r_rows(m, b):
    return np.r_[m, b] * np.r_[(m, b)]


def r_in_loss(x):
    v = np.r_[x, x ** 2]
    return np.sum(v * W)


def c_pair(x):
    return np.sum(np.c_[x, x] ** 2)


def c_columns(a, b):
    return np.c_[a, b, a * b]


def c_matrix(m, a):
    return np.c_[m, a, 1:4]


def c_scalars(s, t):
    return np.c_[s, t, 3.0]


def imported(a, s):
    return c_[r_[a, s], r_[s * s, a]]


def inactive_helpers(x):
    i = np.s_[1:-1]
    j = np.index_exp[::2]
    g = np.mgrid[0:3, 0:2]
    o, p = np.ogrid[0:2, 0:3]
    k = np.r_[0:2, 3]
    cols = np.c_[0:2, 2:4]
    return (np.sum(x[i]) + np.sum(x[j] ** 2) + np.sum(g) * np.sum(x) + np.sum(o * p) * x[0]
            + np.sum(x[k] ** 3) + np.sum(x[cols]))
"""

# (function, shapes of its arguments (None: a Python float), the arguments differentiated)
CASES = [
    ("r_pair", [(3,)], (0,)),
    ("r_pair", [None], (0,)),
    ("r_pair", [()], (0,)),
    ("r_mixed", [(3,), None], (0, 1)),
    ("r_mixed", [(), None], (0, 1)),
    ("r_scalars", [None, None], (0, 1)),
    ("r_scalars", [(), None], (0, 1)),
    ("r_rows", [(2, 3), (1, 3)], (0, 1)),
    ("r_in_loss", [(3,)], (0,)),
    ("c_pair", [(3,)], (0,)),
    ("c_columns", [(3,), (3,)], (0, 1)),
    ("c_matrix", [(3, 2), (3,)], (0, 1)),
    ("c_scalars", [None, ()], (0, 1)),
    ("imported", [(2,), None], (0, 1)),
    ("inactive_helpers", [(5,)], (0,)),
]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return write_module(tmp_path_factory.mktemp("index_helpers"), MODEL)


def _inputs(shapes, seed):
    rng = np.random.default_rng(seed)
    return [random_value(shape, "real", rng) for shape in shapes], rng


def _numeric_jacobian(function, args, index):
    """Rows of <f, e_k> gradients (central differences, one per output element): d f / d args[index]."""
    out = np.asarray(function(*args))
    rows = []
    for position in np.ndindex(out.shape):
        d_out = np.zeros(out.shape)
        d_out[position] = 1.0
        (row,) = numeric_vjp(function, args, (index,), d_out)
        rows.append(np.asarray(row, dtype=float))
    return out.shape, rows


@pytest.mark.parametrize("name, shapes, wrt", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_reverse_mode_matches_finite_differences(model, name, shapes, wrt):
    function = getattr(model, name)
    args, rng = _inputs(shapes, 13)
    out = function(*args)
    d_out = random_value(None if np.ndim(out) == 0 else np.shape(out), "real", rng)
    actual = s2sad.vjp(function, wrt=wrt)(*args, d_out)
    expected = numeric_vjp(function, args, wrt, d_out)
    assert_gradients_close(actual, expected, args, wrt)
    assert any(np.any(np.asarray(g) != 0) for g in actual), "the gradient is not all zeros"


@pytest.mark.parametrize("name, shapes, wrt", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_forward_mode_matches_finite_differences(model, name, shapes, wrt):
    function = getattr(model, name)
    args, rng = _inputs(shapes, 14)
    tangents = tuple(random_value(shapes[i], "real", rng) for i in wrt)
    value, d_value = s2sad.jvp(function, wrt=wrt)(*args, tangents)
    np.testing.assert_allclose(value, function(*args), rtol=1e-12)
    expected = 0.0
    for index, tangent in zip(wrt, tangents, strict=True):
        shape, rows = _numeric_jacobian(function, args, index)
        expected = expected + np.reshape([np.sum(row * tangent) for row in rows], shape)
    assert np.shape(d_value) == np.shape(expected)
    np.testing.assert_allclose(d_value, expected, rtol=1e-5, atol=1e-6)


def test_r_pair_gradient_is_two(model):
    """The issue's own example: every element of x appears twice in the sum."""
    assert np.array_equal(s2sad.grad(model.r_pair)(np.arange(3.0)), [2.0, 2.0, 2.0])
    assert s2sad.grad(model.r_pair)(1.5) == 2.0


def test_lowering_reads_as_numpy_builds_it(model):
    code = s2sad.source(s2sad.grad(model.r_pair))
    assert "np.concatenate([_t1, _t2])" in code and "np.atleast_1d(x)" in code
    forward = s2sad.source(s2sad.jvp(model.c_pair))
    assert "np.concatenate([_rt.column(x), _rt.column(x)], axis=-1)" in forward


# -- refusals ---------------------------------------------------------------------------------

REFUSALS_HEAD = """
import numpy as np


class Squares:
    def __getitem__(self, t):
        return t * t


SQUARES = Squares()
W = np.linspace(-1.0, 1.0, 6)


def f(x, n):
"""

# (body of f(x, n), the text the caret points at, words the message holds): x and n are differentiated.
REFUSALS = [
    # np.r_ / np.c_ directive strings (numpy reads them as options, or builds a matrix)
    ("return np.sum(np.r_['0,2', x, x])", "'0,2'", "a directive string in np.r_[...]"),
    ("return np.sum(np.c_['r', x, x])", "'r'", "a directive string in np.c_[...]"),
    ("return np.sum(np.r_['1 2; 3 4'] * x)", "'1 2", "a directive string in np.r_[...]"),
    # a range in np.r_ is np.arange: its bounds carry no derivative
    ("return np.sum(np.r_[x, 0:n])", "0:n", "depends on 'n'"),
    # index objects and grids carry no derivative
    ("return np.sum(x[np.s_[:n]])", "np.s_", "this index or grid depends on 'n'"),
    ("return np.sum(W[np.index_exp[n]])", "np.index_exp", "this index or grid depends on 'n'"),
    ("return np.sum(np.mgrid[0:n]) * x[0]", "np.mgrid", "this index or grid depends on 'n'"),
    ("o = np.ogrid[0:3, 0:n]\n    return np.sum(o[1]) * x[0]", "o = np.ogrid", "this index or grid depends on 'n'"),
    # a subscript of a global (or of a local holding np.r_) whose index is differentiated
    ("return SQUARES[n] * x[0]", "SQUARES[n]", "the index depends on 'n'"),
    ("join = np.r_\n    return np.sum(join[x, x])", "join[x, x]", "the index depends on 'x'"),
    ("return np.sum(W[x])", "W[x]", "the index depends on 'x'"),
    # an update whose index is differentiated
    ("y = np.zeros(3)\n    y[n] = 1.0\n    return np.sum(y * x)", "y[n] =", "the index depends on 'n'"),
    # shapes and options take no derivative
    ("return np.sum(np.reshape(x, n))", "np.reshape", "'shape' of np.reshape depends on 'n'"),
    ("return np.sum(np.cumsum(x, axis=n))", "np.cumsum", "'axis' of np.cumsum depends on 'n'"),
    ("return np.linalg.norm(x, ord=n)", "np.linalg.norm", "'ord' of np.linalg.norm depends on 'n'"),
    ("return np.sum(np.sum(x, axis=n))", "np.sum(x", "'axis' of np.sum depends on 'n'"),
]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("body, marker, words", REFUSALS, ids=[r[0].split("\n")[0] for r in REFUSALS])
def test_refusal_is_located(body, marker, words, mode, tmp_path):
    source = REFUSALS_HEAD + f"    {body}\n"
    module = write_module(tmp_path, source)
    make = s2sad.grad if mode == "reverse" else s2sad.jvp
    with pytest.raises(errors.S2SADError) as caught:
        make(module.f, wrt=(0, 1))
    message = str(caught.value)
    assert words in message, message
    assert_located(message, caught.value.origin.path, source, marker)


def test_refused_only_when_differentiated(tmp_path):
    """The same constructs are fine when nothing differentiated reaches them."""
    source = REFUSALS_HEAD + (
        "    k = int(n)\n"
        "    y = np.zeros(3)\n"
        "    y[k] = 1.0\n"
        "    return (np.sum(x[np.s_[:k]]) + np.sum(np.mgrid[0:k]) * x[0] + SQUARES[n] + np.sum(np.r_[x, 0:k])\n"
        "            + np.sum(np.reshape(x, k + 1)) + np.sum(y * x))\n"
    )
    module = write_module(tmp_path, source)
    x, n = np.array([0.5, -1.0, 2.0]), 2.0
    gradient = s2sad.grad(module.f, wrt=0)(x, n)
    (expected,) = numeric_vjp(module.f, [x, n], (0,), 1.0)
    np.testing.assert_allclose(gradient, expected, rtol=1e-5, atol=1e-6)


def test_custom_rule_option_is_refused_with_its_hint(tmp_path):
    source = """
import numpy as np
import s2sad


@s2sad.rule
def scaled(v, scale=2.0):
    return scale * v


@scaled.adjoint
def scaled_adjoint(d_out, out, v, scale=2.0):
    return d_out * scale


def f(x, s):
    return np.sum(scaled(x, scale=s))
"""
    module = write_module(tmp_path, source)
    with pytest.raises(errors.S2SADError) as caught:
        s2sad.grad(module.f, wrt=(0, 1))
    message = str(caught.value)
    assert "'scale' of" in message and "a parameter without a default gets a derivative" in message
    assert_located(message, caught.value.origin.path, source, "scaled(x, scale")
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(s2sad.grad(module.f, wrt=0)(x, 3.0), [3.0, 3.0])


CLI_MODEL = """
import numpy as np
from numpy import c_, r_


def joined_loss(a, s):
    return np.sum(r_[a, s, s * s, 2.0] * np.r_[s, 0:2, a]) + np.sum(c_[a, a] * np.c_[a, 1.0 - a])
"""


def test_cli_reads_r_and_c_from_the_file_s_imports(tmp_path):
    """The static resolver (the file is never run) finds np.r_, np.c_ and r_, c_ imported from numpy."""
    model = tmp_path / "joined.py"
    model.write_text(CLI_MODEL)
    out = tmp_path / "grad_joined.py"
    completed = subprocess.run(
        [sys.executable, "-m", "s2sad", "grad", f"{model}:joined_loss", "--wrt", "a,s", "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    generated = write_module(tmp_path, out.read_text(), stem="grad_joined")
    user = write_module(tmp_path, CLI_MODEL, stem="joined_user")
    args = [np.array([0.3, -1.2, 0.5]), 0.7]
    actual = generated.grad_joined_loss(*args)
    expected = numeric_vjp(user.joined_loss, args, (0, 1), 1.0)
    assert_gradients_close(actual, expected, args, (0, 1))


def test_cli_refuses_a_differentiated_index_of_a_global(tmp_path):
    model = tmp_path / "indexed.py"
    model.write_text(REFUSALS_HEAD + "    return SQUARES[n] * x[0]\n")
    completed = subprocess.run(
        [sys.executable, "-m", "s2sad", "grad", f"{model}:f", "--wrt", "x,n"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert completed.returncode == 1
    assert "indexed.py:15:12: error: the index depends on 'n'" in completed.stderr
