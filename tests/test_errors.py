"""Every refusal names file:line:col, shows the line with a caret under the construct, and says what to do."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import s2sad
from s2sad import errors
from tests.support import assert_located, write_module

# (body of `f(x, y)`, the text the caret must point at, error kind, words the message must hold)
GENERATION_ERRORS = [
    ("z = np.fft.fft(x)\n    return np.sum(z)", "np.fft.fft", errors.NoRule, "no derivative rule for 'np.fft.fft'"),
    ("return np.sum(np.expp(x))", "np.expp", errors.NoRule, "did you mean np.exp"),
    ("return np.sum(print(x))", "print", errors.NoRule, "no derivative rule for 'print'"),
    (
        "w, v = res = np.linalg.eigh(x)\n    v[0] = 0.0\n    return np.sum(res.eigenvalues * v)",
        "v[0] = 0.0",
        errors.UnsupportedSyntax,
        "updating part of 'v' in place while the list or tuple 'res', which holds it, is read afterwards",
    ),
    (
        "res = np.linalg.eigh(x)\n    return np.sum(res.values)",
        "values",
        errors.UnsupportedSyntax,
        "'.values' is not a field of this result (eigenvalues, eigenvectors)",
    ),
    ("with open(y) as h:\n        x = x - 1\n    return x", "h:", errors.UnsupportedSyntax, "with ... as ... is not"),
    (
        "try:\n        x = x * 2\n    except ValueError:\n        pass\n    return x",
        "try",
        errors.UnsupportedSyntax,
        "try statements",
    ),
    (
        "for v in x:\n        break\n    else:\n        x = 2.0 * x\n    return x",
        "else",
        errors.UnsupportedSyntax,
        "for ... else",
    ),
    ("if x > 0:\n        return x\n    y = 2.0", "f(x", errors.UnsupportedSyntax, "may end without returning"),
    ("return sum({v * 2 for v in x})", "{v * 2", errors.UnsupportedSyntax, "set comprehensions"),
    ("y = [lambda v: v]\n    return x", "lambda", errors.UnsupportedSyntax, "a lambda other than assigned"),
    ("y.shape = (2, 2)\n    return y", "y.shape", errors.UnsupportedSyntax, "assignment into an attribute"),
    ("z = x or y\n    return z", "x or y", errors.UnsupportedSyntax, "'and' / 'or' outside a condition"),
    ("return x + 1j", "1j", errors.UnsupportedSyntax, "complex numbers"),
    ("return x.tolist()", "tolist", errors.UnsupportedSyntax, "'.tolist()'"),
    (
        "u, s, vh = np.linalg.svd(x, hermitian=True)\n    return np.sum(s)",
        "np.linalg.svd",
        errors.UnsupportedSyntax,
        "unexpected keyword argument 'hermitian'",
    ),
    ("return np.sum(x.flat)", "flat", errors.UnsupportedSyntax, "'.flat'"),
    ("return np.sum(x, dtype=int)", "np.sum(x, dtype", errors.UnsupportedSyntax, "np.sum"),
    ("return np.sum(np.arange(x))", "np.arange", errors.UnsupportedSyntax, "depends on 'x'"),
    ("x + 1.0\n    return x", "x + 1.0", errors.UnsupportedSyntax, "expression statements"),
    ("y = x", "f(x", errors.UnsupportedSyntax, "may end without returning"),
]


def _source_of(body: str) -> str:
    return f"import numpy as np\n\n\ndef f(x, y):\n    {body}\n"


@pytest.mark.parametrize("body, marker, kind, words", GENERATION_ERRORS, ids=[c[3] for c in GENERATION_ERRORS])
def test_generation_error_is_located(body, marker, kind, words, tmp_path):
    source = _source_of(body)
    module = write_module(tmp_path, source)
    with pytest.raises(kind) as caught:
        s2sad.grad(module.f)
    message = str(caught.value)
    assert words in message
    assert_located(message, caught.value.origin.path, source, marker)
    assert caught.value.origin.path.endswith(f"{module.__name__}.py")


def test_non_scalar_output_for_grad(tmp_path):
    source = _source_of("return x * 2.0")
    module = write_module(tmp_path, source)
    gradient = s2sad.grad(module.f)
    with pytest.raises(errors.BadArgument) as caught:
        gradient(np.ones(3), 1.0)
    assert "grad needs a scalar output, but this returns shape (3,)" in str(caught.value)
    assert_located(str(caught.value), caught.value.origin.path, source, "x * 2.0")


@pytest.mark.parametrize(
    "value", [np.arange(3), 3, True, np.array([True, False])], ids=["int array", "int", "bool", "bool array"]
)
def test_integer_wrt_argument(value, tmp_path):
    source = _source_of("return np.sum(x * y)")
    module = write_module(tmp_path, source)
    gradient = s2sad.grad(module.f, wrt="x")
    with pytest.raises(errors.BadArgument) as caught:
        gradient(value, 1.0)
    assert "argument 'x' is differentiated but holds" in str(caught.value)
    assert_located(str(caught.value), caught.value.origin.path, source, "x, y")


@pytest.mark.parametrize(
    "wrt, words",
    [(5, "out of range"), ("z", "not a parameter"), (True, "positions or names"), ((), "empty"), ((0, "x"), "twice")],
)
def test_bad_wrt(wrt, words, tmp_path):
    module = write_module(tmp_path, _source_of("return np.sum(x * y)"))
    with pytest.raises(s2sad.S2SADError, match=words):
        s2sad.grad(module.f, wrt=wrt)


def test_cli_error_exit_code_and_location(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(_source_of("return np.sum(np.fft.fft(x))"))
    completed = subprocess.run([sys.executable, "-m", "s2sad", "grad", f"{path}:f"], capture_output=True, text=True)
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert f"{path}:5:19: error: no derivative rule for 'np.fft.fft'" in completed.stderr


@pytest.mark.parametrize(
    "target, words",
    [("missing.py:f", "no such file"), ("{model}:g", "no function 'g'"), ("{model}:CONSTANT", "is not a function")],
)
def test_cli_target_errors(target, words, tmp_path):
    model = tmp_path / "model.py"
    model.write_text(_source_of("return x") + "\nCONSTANT = 3\n")
    completed = subprocess.run(
        [sys.executable, "-m", "s2sad", "grad", target.format(model=model)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert completed.returncode == 1
    assert words in completed.stderr


def test_cli_usage_error_exit_code():
    completed = subprocess.run([sys.executable, "-m", "s2sad", "grad", "no-colon"], capture_output=True, text=True)
    assert completed.returncode == 2
    assert "FILE.py:NAME" in completed.stderr


def test_syntax_error_in_cli_file(tmp_path):
    model = tmp_path / "model.py"
    model.write_text(textwrap.dedent("def f(x):\n    return x +\n"))
    completed = subprocess.run([sys.executable, "-m", "s2sad", "grad", f"{model}:f"], capture_output=True, text=True)
    assert completed.returncode == 1
    assert f"{model}:2:" in completed.stderr and "cannot parse" in completed.stderr
