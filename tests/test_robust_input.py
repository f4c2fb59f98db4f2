"""Input that once crashed s2sad, or was read otherwise than Python reads it: each now ends in a
right derivative or in a located refusal, never a traceback or a killed process.

- Syntax errors Python locates (a NUL byte, tabs mixed with spaces, nesting Python's own parser
  gives up on) are refused where Python puts them, not at 1:1, and before libcst sees them.
- A file too large for libcst is refused before it is read.
- Identifiers are NFKC-normalized as Python does (``ﬁ`` is ``fi``, the micro sign ``µ`` is ``μ``).
- Constants that fold to inf or nan (``x * -1e400``) stay as written instead of crashing libcst.

The CLI cases run ``s2sad.cli.main`` in this process, as tests/test_bad_input.py does.
"""

from __future__ import annotations

import threading
import time

import libcst as cst
import numpy as np
import pytest

import s2sad
from s2sad import errors
from s2sad.frontend import load
from tests.support import assert_located, numeric_vjp, write_module


@pytest.fixture(autouse=True)
def no_cache(monkeypatch):
    """Generate afresh every time: a cached module must not hide what the compiler does now."""
    monkeypatch.setenv("S2SAD_CACHE", "0")


def _main(arguments: list[str]) -> int:
    from s2sad.cli import main

    try:
        return main(["grad", *arguments])
    except SystemExit as exit:  # argparse
        return exit.code


def _refused_by_the_cli(folder, monkeypatch, capsys, source: str, name: str = "model.py") -> str:
    """What ``s2sad grad name:f`` says of ``source``; it must fail with status 1 and print nothing."""
    (folder / name).write_bytes(source.encode())
    monkeypatch.chdir(folder)
    assert _main([f"{name}:f"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


def _generated_by_the_cli(folder, monkeypatch, capsys, stem: str, name: str):
    """The gradient function ``s2sad grad stem.py:name`` prints, run."""
    monkeypatch.chdir(folder)
    assert _main([f"{stem}.py:{name}"]) == 0, capsys.readouterr().err
    source = capsys.readouterr().out
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    return namespace[f"grad_{name}"], source


def _code(source: str) -> str:
    """Generated source without its comments (they quote the user's lines as written)."""
    return "\n".join(line.split("#")[0] for line in source.splitlines())


# -- syntax errors where Python puts them ---------------------------------------------------------

HEADER = "import numpy as np\n\n\n"


def test_a_nul_byte_is_located_at_the_byte(tmp_path, monkeypatch, capsys):
    source = HEADER + "def f(x):\n    y = x\0 * 2.0\n    return np.sum(y)\n"
    message = _refused_by_the_cli(tmp_path, monkeypatch, capsys, source)
    assert "model.py:5:10: error: cannot parse the file: it contains a NUL byte" in message
    assert_located(message, "model.py", source, "\0")


def test_tabs_mixed_with_spaces_are_located_at_the_line(tmp_path, monkeypatch, capsys):
    source = HEADER + "def f(x):\n    if x > 0:\n\ty = x\n        return y\n    return x\n"
    message = _refused_by_the_cli(tmp_path, monkeypatch, capsys, source)
    assert "model.py:6:1: error: cannot parse the file: inconsistent use of tabs and spaces" in message
    assert_located(message, "model.py", source, "\ty = x")


# (id, the function, where Python puts the error: line:column, its words)
SYNTAX_ERRORS = [
    ("missing-colon", "def f(x)\n    return x\n", "4:9", "expected ':'"),  # just past `def f(x)`
    ("unclosed-bracket", "def f(x):\n    return np.sum(x * [1.0\n", "5:23", "'[' was never closed"),
    ("indentation", "def f(x):\n    y = x\n      return y\n", "6:6", "unexpected indent"),
    (
        "nesting-past-python-s-bracket-limit",
        "def f(x):\n    return " + "(" * 100_000 + "x" + ")" * 100_000 + "\n",
        "5:212",
        "too many nested parentheses",
    ),  # the 201st bracket: Python allows 200
]


@pytest.mark.parametrize("function, where, words", [pytest.param(*c[1:], id=c[0]) for c in SYNTAX_ERRORS])
def test_a_syntax_error_is_located_where_python_locates_it(function, where, words, tmp_path, monkeypatch, capsys):
    message = _refused_by_the_cli(tmp_path, monkeypatch, capsys, HEADER + function)
    assert message.startswith(f"model.py:{where}: error: cannot parse the file: {words}\n"), message
    assert message.splitlines()[-1] == "hint: fix the syntax error; s2sad reads the file as Python source"


# Python's parser runs out of stack on these (MemoryError or RecursionError, with no position);
# libcst's killed the process (SIGSEGV) or ran for minutes.
TOO_DEEP = [
    ("unary-minus", "-" * 20_000 + "x"),
    ("not", "not " * 20_000 + "x"),
    ("power", "x" + " ** x" * 20_000),
    ("a-product-of-100000-factors", "x" + " * x" * 100_000),
]


@pytest.mark.parametrize("expression", [pytest.param(e, id=i) for i, e in TOO_DEEP])
def test_nesting_python_cannot_parse_is_located_at_its_statement(expression, tmp_path, monkeypatch, capsys):
    source = HEADER + f"def f(x):\n    y = x * 2.0\n    return np.sum({expression})\n"
    message = _refused_by_the_cli(tmp_path, monkeypatch, capsys, source)
    assert "nested too deeply or is too long for Python's parser" in message
    assert_located(message, "model.py", source, "return np.sum(")


def test_libcst_parses_on_a_thread_with_a_large_stack_and_its_errors_are_located(tmp_path, monkeypatch):
    """libcst's parser recurses on the C stack, which a main thread's 8 MB cannot hold for the
    nesting Python accepts: it runs on a thread of its own, and what it raises is raised here."""
    real_parse, threads = cst.parse_module, []

    def parse(text):
        threads.append(threading.current_thread())
        return real_parse("def f(x):\n    return (x\n")  # refused by libcst, as if the file said so

    monkeypatch.setattr(cst, "parse_module", parse)
    stack_size = threading.stack_size()
    path = tmp_path / "model.py"
    path.write_text(HEADER + "def f(x):\n    return np.sum(x * x)\n")
    with pytest.raises(errors.UnsupportedSyntax, match="cannot parse the file") as caught:
        load.from_file(str(path), "f")
    assert caught.value.origin.path == str(path) and caught.value.origin.line == 2  # where libcst put it
    assert threads and threads[0] is not threading.main_thread()
    assert threading.stack_size() == stack_size  # the large stack is for that thread only


# -- files too large for libcst ------------------------------------------------------------------

SMALL = HEADER + "def f(x):\n    return np.sum(x * x)\n"


def _over_the_limit() -> bytes:
    """SMALL and comment lines: one byte more than s2sad reads."""
    padding = load.MAX_SOURCE_BYTES + 1 - len(SMALL)
    line = b"# " + b"x" * 97 + b"\n"
    lines, rest = divmod(padding, len(line))
    return SMALL.encode() + line * lines + b"#" * (rest - 1) + b"\n"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch, capsys):
    data = _over_the_limit()
    assert len(data) == load.MAX_SOURCE_BYTES + 1
    (tmp_path / "huge.py").write_bytes(data)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(load, "_parse_text", lambda *_: pytest.fail("parsed"))
    monkeypatch.setattr(load.Path, "read_bytes", lambda *_: pytest.fail("read"))
    started = time.perf_counter()
    assert _main(["huge.py:f"]) == 1
    assert time.perf_counter() - started < 2.0
    message = capsys.readouterr().err
    limit = f"{load.MAX_SOURCE_BYTES:,}"
    assert f"huge.py:1:1: error: huge.py is too large for s2sad: {len(data):,} bytes, more than the {limit}" in message
    assert "hint: move the function to differentiate, and the functions it calls, into a smaller file" in message


def test_the_size_limit_is_on_the_bytes_and_includes_the_limit(tmp_path, monkeypatch):
    path = tmp_path / "model.py"
    path.write_text(SMALL + "# µ\n")  # two bytes in UTF-8, one character
    size = path.stat().st_size
    monkeypatch.setattr(load, "MAX_SOURCE_BYTES", size)
    assert load.read_source(str(path)) == SMALL + "# µ\n"
    monkeypatch.setattr(load, "MAX_SOURCE_BYTES", size - 1)
    with pytest.raises(errors.UnsupportedSyntax, match=f"{size:,} bytes, more than the {size - 1:,}"):
        load.read_source(str(path))


def test_a_live_function_in_a_file_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    (tmp_path / "huge_live.py").write_bytes(_over_the_limit())
    module = write_module(tmp_path, (tmp_path / "huge_live.py").read_text(), stem="huge_live")
    monkeypatch.setattr(load.cst, "parse_module", lambda *_: pytest.fail("parsed"))
    with pytest.raises(errors.UnsupportedSyntax, match="huge_live.py is too large for s2sad") as caught:
        s2sad.grad(module.f)
    assert caught.value.origin.path.endswith("huge_live.py") and caught.value.origin.line == 1


# -- identifiers as Python reads them (NFKC) ----------------------------------------------------------

NAMES = HEADER + """\
def ligature(x):
    ﬁ = x * 2.0
    return np.sum(fi * x)


def rebound(x):
    fi = x
    ﬁ = 2.0 * x
    return np.sum(fi * x)


def micro(x):
    µ = x * 3.0
    return np.sum(μ * np.sin(x))


def ﬁrst(x):
    return np.sum(x * x * 1.5)


def parameter(ﬁ):
    return np.sum(ﬁ * fi * np.cos(ﬁ))
"""

# (function, its name as Python spells it, the gradient at X worked out by hand)
X = np.array([0.5, -1.25, 2.0])
BY_HAND = [
    ("ligature", 4.0 * X),  # fi = 2x: d/dx sum(2x * x)
    ("rebound", 4.0 * X),  # fi is rebound to 2x
    ("micro", 3.0 * np.sin(X) + 3.0 * X * np.cos(X)),
    ("first", 3.0 * X),
    ("parameter", 2.0 * X * np.cos(X) - X * X * np.sin(X)),
]


@pytest.mark.parametrize("name, expected", [pytest.param(n, e, id=n) for n, e in BY_HAND])
def test_names_python_reads_as_one_are_one_variable(name, expected, tmp_path):
    module = write_module(tmp_path, NAMES)
    function = getattr(module, name)  # Python named it `first` and `fi`, not `ﬁrst`
    gradient = s2sad.grad(function)(X)
    np.testing.assert_allclose(gradient, expected, rtol=1e-12)
    (numeric,) = numeric_vjp(function, (X,), (0,), 1.0)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, expected", [pytest.param(n, e, id=n) for n, e in BY_HAND])
def test_names_python_reads_as_one_from_the_command_line(name, expected, tmp_path, monkeypatch, capsys):
    module = write_module(tmp_path, NAMES)
    gradient, source = _generated_by_the_cli(tmp_path, monkeypatch, capsys, module.__name__, name)
    np.testing.assert_allclose(gradient(X), expected, rtol=1e-12)
    assert "ﬁ" not in _code(source) and "µ" not in _code(source)  # named as Python names them


def test_a_refusal_shows_the_line_as_the_user_wrote_it(tmp_path):
    source = HEADER + "def f(x):\n    ﬁ = x * 2.0\n    del ﬁ\n    return np.sum(x)\n"
    module = write_module(tmp_path, source)
    with pytest.raises(errors.UnsupportedSyntax, match="del statements") as caught:
        s2sad.grad(module.f)
    assert_located(str(caught.value), caught.value.origin.path, source, "del ﬁ")


def test_a_name_python_reads_as_a_keyword_is_refused_where_it_is(tmp_path):
    source = HEADER + "ｉｆ = 2.0\n\n\ndef f(x):\n    return np.sum(x * x)\n"
    module = write_module(tmp_path, source)  # Python binds the global `if`
    with pytest.raises(errors.UnsupportedSyntax, match="reads as the keyword 'if'") as caught:
        s2sad.grad(module.f)
    assert_located(str(caught.value), caught.value.origin.path, source, "ｉｆ")


# -- constants that are inf or nan, and -0.0 -----------------------------------------------------

# (the function's body, its gradient at CONSTANT_X worked out by hand, text the generated code keeps)
CONSTANT_X = np.array([1.5, -2.0, 0.25])
CONSTANTS = [
    ("times-minus-infinity", "return np.sum(x * -1e400)", np.full(3, -np.inf), "-1e400"),
    ("times-infinity", "return np.sum(x * 1e400)", np.full(3, np.inf), "1e400"),
    ("folds-to-infinity", "return np.sum(x * (2.0 * 1e308))", np.full(3, np.inf), "2.0 * 1e308"),
    ("plus-and-minus-infinity", "return np.sum(x + 1e400 - 1e400)", np.ones(3), "1e400"),  # the value is nan
    ("times-nan", "return np.sum(x * (1e400 - 1e400))", np.full(3, np.nan), "1e400 - 1e400"),
    ("maximum-with-minus-zero", "return np.sum(np.maximum(-0.0, x))", np.array([1.0, 0.0, 1.0]), "-0.0"),
    ("times-minus-zero", "return np.sum(x * -0.0)", np.full(3, -0.0), "-0.0"),
]


@pytest.mark.parametrize("body, expected, kept", [pytest.param(*c[1:], id=c[0]) for c in CONSTANTS])
def test_inf_nan_and_minus_zero_constants(body, expected, kept, tmp_path, monkeypatch, capsys):
    module = write_module(tmp_path, HEADER + f"def f(x):\n    {body}\n")
    with np.errstate(invalid="ignore", over="ignore"):
        gradient = s2sad.grad(module.f)(CONSTANT_X)
        from_the_cli, source = _generated_by_the_cli(tmp_path, monkeypatch, capsys, module.__name__, "f")
        printed = from_the_cli(CONSTANT_X)
    for result in (gradient, printed):
        np.testing.assert_array_equal(result, expected)
        zero = expected == 0.0
        assert np.array_equal(np.signbit(result[zero]), np.signbit(expected[zero]))  # -0.0 is not 0.0
    assert kept in _code(source)  # as the user wrote it
