"""Library functions with no rule: called as written where no differentiated value reaches them, refused
(located at the call, naming the function) where one does, never read and inlined from the library's
source; near-miss suggestions for names with no rule. Both modes, through the API and the CLI."""

import importlib
import subprocess
import sys

import numpy as np
import pytest

import s2sad
from s2sad import errors, rules
from s2sad.frontend import resolve
from tests.support import assert_located, numeric_vjp, write_module

PASSIVE = """
import math

import numpy as np
import scipy.special
from scipy.special import comb
import scipy.special as sp


def masked(x):
    n = x.shape[0]
    mask = np.tril(np.ones((n, n)))  # a mask: np.tril gets nothing differentiated
    return np.sum(mask * x * x)


def counted(x):
    n = x.shape[0]
    weight = comb(n, 2) + sp.comb(n, 3, exact=True) + scipy.special.comb(4, 2) + math.comb(5, 2)
    return weight * np.sum(np.sin(x))


def seeded(x):
    rng = np.random.default_rng(0)  # made, never differentiated
    window = np.hanning(x.shape[0])
    return np.sum(window * x**2) + 0.0 * len(str(rng))
"""

FUNCTIONS = ["masked", "counted", "seeded"]


@pytest.fixture(scope="module")
def passive(tmp_path_factory):
    return write_module(tmp_path_factory.mktemp("passive"), PASSIVE)


def _input():
    return np.random.default_rng(1).normal(size=(4, 4))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_passive_calls_in_reverse_mode(passive, name):
    function = getattr(passive, name)
    x = _input()
    (expected,) = numeric_vjp(function, (x,), (0,), 1.0)
    np.testing.assert_allclose(s2sad.grad(function)(x), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_passive_calls_in_forward_mode(passive, name):
    function = getattr(passive, name)
    x, direction = _input(), np.random.default_rng(2).normal(size=(4, 4))
    value, tangent = s2sad.jvp(function)(x, direction)
    (gradient,) = numeric_vjp(function, (x,), (0,), 1.0)
    assert value == pytest.approx(function(x), rel=1e-12)
    assert tangent == pytest.approx(float(np.sum(gradient * direction)), rel=1e-6)


def _cli(path, name, *options):
    return subprocess.run(
        [sys.executable, "-m", "s2sad", "grad", f"{path}:{name}", *options], capture_output=True, text=True
    )


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_passive_calls_through_the_cli(tmp_path, mode):
    path = tmp_path / "passive_model.py"
    path.write_text(PASSIVE)
    output = tmp_path / f"generated_{mode}.py"
    completed = _cli(path, ",".join(FUNCTIONS), "--mode", mode, "-o", str(output))
    assert completed.returncode == 0, completed.stderr
    text = output.read_text()
    assert "np.tril(" in text and "comb(n, 2)" in text and "sp.comb(n, 3, exact=True)" in text  # as written
    assert "import comb, scipy, sp" in text  # the user's names, from the user's module
    sys.path.insert(0, str(tmp_path))
    try:
        model, generated = importlib.import_module("passive_model"), importlib.import_module(output.stem)
        x, direction = _input(), np.ones((4, 4))
        for name in FUNCTIONS:
            (expected,) = numeric_vjp(getattr(model, name), (x,), (0,), 1.0)
            if mode == "reverse":
                np.testing.assert_allclose(getattr(generated, f"grad_{name}")(x), expected, rtol=1e-6, atol=1e-8)
            else:
                _, tangent = getattr(generated, f"jvp_{name}")(x, d_x=direction)
                assert tangent == pytest.approx(float(np.sum(expected)), rel=1e-6)
    finally:
        sys.path.remove(str(tmp_path))


# (body of f(x), text the caret points at, error kind, words the message holds)
REFUSED = [
    ("return np.sum(np.unwrap(x))", "np.unwrap", errors.NoRule, "no derivative rule for 'np.unwrap' (numpy.unwrap)"),
    ("y = np.unwrap(x * 2.0)\n    return np.sum(y)", "np.unwrap", errors.NoRule, "it is given"),
    ("return comb(x, 2.0)", "comb(x", errors.NoRule, "no derivative rule for 'comb' (scipy.special"),
    ("return eval('x * 2.0')", "eval", errors.NoRule, "reads the names of the function that calls it"),
    (
        "m = np.ones((3, 3))\n    k = np.fill_diagonal(m, 0.0)\n    return np.sum(x * m)",
        "np.fill_diagonal",
        errors.UnsupportedSyntax,
        "writes into an array it is given",
    ),
    (
        "m = np.ones((3, 3))\n    k = np.add.at(m, 0, 1.0)\n    return np.sum(x * m)",
        "at(",
        errors.UnsupportedSyntax,
        "'.at()'",
    ),
    (
        "m = np.ones(3)\n    k = np.tri(3, out=m)\n    return np.sum(x * m)",
        "np.tri",
        errors.UnsupportedSyntax,
        "into an array given as out",
    ),
    (
        "m = np.ones(3)\n    v = np.asfortranarray(m)\n    y = x * v\n    m[0] = 5.0\n    return np.sum(y)",
        "np.asfortranarray",
        errors.UnsupportedSyntax,
        "shares memory with 'm', which is updated in place after the call",
    ),
    ("return np.sum(np.sine(x))", "np.sine", errors.NoRule, "did you mean np.sin"),
]


def _source(body):
    return f"import numpy as np\nfrom scipy.special import comb\n\n\ndef f(x):\n    {body}\n"


@pytest.mark.parametrize("kind", ["grad", "jvp"])
@pytest.mark.parametrize("body, marker, error, words", REFUSED, ids=[c[1] + "-" + c[3][:20] for c in REFUSED])
def test_refused_at_the_call_naming_it(tmp_path, kind, body, marker, error, words):
    source = _source(body)
    module = write_module(tmp_path, source)
    with pytest.raises(error) as caught:
        getattr(s2sad, kind)(module.f)
    assert words in str(caught.value)
    assert_located(str(caught.value), caught.value.origin.path, source, marker)


def test_refused_through_the_cli(tmp_path):
    path = tmp_path / "refused_model.py"
    source = _source("return np.sum(np.unwrap(x))")
    path.write_text(source)
    completed = _cli(path, "f")
    assert completed.returncode == 1 and completed.stdout == ""
    assert f"{path}:6:19: error: no derivative rule for 'np.unwrap' (numpy.unwrap)" in completed.stderr


def test_a_library_function_is_never_inlined(tmp_path):
    """scipy.special.comb is Python code in scipy: refused at the user's line, not inside scipy's file."""
    source = "import scipy.special\n\n\ndef f(x, n):\n    return x * scipy.special.comb(n + x, 2.0)\n"
    module = write_module(tmp_path, source)
    with pytest.raises(errors.NoRule) as caught:
        s2sad.grad(module.f)(2.0, 5.0)
    assert caught.value.origin.path == module.__file__
    assert "scipy.special.comb" in str(caught.value)
    path = tmp_path / "static_model.py"
    path.write_text(source)
    completed = _cli(path, "f")
    assert f"{path}:5:16: error: no derivative rule for 'scipy.special.comb'" in completed.stderr
    assert "site-packages" not in completed.stderr


def test_library_files_and_user_files_are_told_apart(tmp_path):
    assert resolve.is_library_file(np.__file__) and resolve.is_library_file(importlib.__file__)
    assert not resolve.is_library_file(__file__) and not resolve.is_library_file(str(tmp_path / "model.py"))
    assert resolve.is_library_module("scipy.special") and resolve.is_library_module("math")
    assert not resolve.is_library_module("tests") and not resolve.is_library_module("no_such_module_s2sad")


@pytest.mark.parametrize(
    "name, first",
    [("numpy.expp", "numpy.exp"), ("numpy.sine", "numpy.sin"), ("numpy.linalg.solv", "numpy.linalg.solve")],
)
def test_near_misses_are_alike_in_their_last_part_same_module_first(name, first):
    assert rules.near_misses(name)[0] == first


@pytest.mark.parametrize("name", ["numpy.diag", "builtins.print", "numpy.fft.fft", "math.exx"])
def test_no_far_fetched_suggestion(name):
    suggestions = rules.near_misses(name)
    assert "numpy.sign" not in suggestions and "builtins.int" not in suggestions, suggestions
    if name != "numpy.diag":  # (a rule may give np.diag, np.diagonal or np.diagflat)
        assert suggestions == []
