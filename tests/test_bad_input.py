"""Bad input, and the exact outcome of each: a correct derivative or a located refusal, never a crash.

Each entry is something a user may write or pass, with what s2sad must do with it:

- refuse it with an ``S2SADError`` that names file:line:col, shows the line with a
  caret under the construct, and says what to do (``tests.support.assert_located``);
- or differentiate it, checked against central finite differences (``tests.support``).

An exception from inside the compiler (KeyError, RecursionError, IndentationError, a
libcst ParserSyntaxError...) fails the entry. tests/test_errors.py holds the first
refusals; this corpus extends them without repeating them. The CLI entries run
``s2sad.cli.main`` in this process (a subprocess costs a second each; tests/test_cli.py
runs the command as users do).

Entries marked ``xfail(strict=True)`` expose a bug in a part of s2sad under change
elsewhere; the reason is a one-line diagnosis.
"""

from __future__ import annotations

import dataclasses
import linecache
import sys
import textwrap

import numpy as np
import pytest

import s2sad
from s2sad import errors
from tests.support import assert_located, numeric_vjp, write_module

HEADER = "import functools\nimport math\n\nimport numpy as np\n\n"


@pytest.fixture(autouse=True)
def no_cache(monkeypatch):
    """Generate afresh every time: a cached module must not hide what the compiler does now."""
    monkeypatch.setenv("S2SAD_CACHE", "0")


# -- refused when the derivative is generated ---------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Refusal:
    id: str
    source: str  # a module (HEADER is put before it)
    marker: str  # the text the caret points at: its first occurrence outside import lines
    kind: type
    words: str  # the message holds these
    target: str = "f"  # an expression in the module: what is given to s2sad.grad
    bug: str | None = None  # diagnosis of an s2sad bug it exposes (xfail, strict)


def refusal(id, source, marker, kind, words, **options):
    return Refusal(id, textwrap.dedent(source), marker, kind, words, **options)


U = errors.UnsupportedSyntax
HELPER_RETURNS_ITS_ARGUMENT = """
def g(a, c):
    if c > 0.0:
        return a
    return a * 2.0


"""

REFUSALS = [
    # -- an array seen through a helper's result, then updated in place ---------------------------
    # -- a tuple holding a differentiated value, joined under its own name (was a silent zero) ---------
    refusal(
        "tuple-joined-under-its-own-name",
        "def f(x):\n    t = (x, 2.0)\n    u = t\n    u += (3.0,)\n" "    return u[0] * u[2]\n",
        "u +=",
        U,
        "goes where s2sad carries no derivative",
    ),
    # -- constructs outside the language (check.py) ------------------------------------------------
    refusal("yield", "def f(x):\n    yield x\n    return x\n", "yield x", U, "yield is not supported"),
    refusal("yield-from", "def f(x):\n    y = yield from x\n    return y\n", "yield from", U, "yield is"),
    refusal(
        "dict-comprehension",
        "def f(x):\n    return x * len({i: v for i, v in enumerate(x)})\n",
        "{i: v",
        U,
        "dict comprehensions are not supported",
    ),
    refusal(
        "global-write",
        "TOTAL = 0.0\n\ndef f(x):\n    global TOTAL\n    TOTAL = x\n    return x * 2.0\n",
        "global TOTAL",
        U,
        "global statements",
    ),
    refusal(
        "nonlocal-write",
        """
        def outer():
            count = 0.0

            def f(x):
                nonlocal count
                count = x
                return x * 2.0

            return f
        """,
        "nonlocal",
        U,
        "nonlocal statements",
        target="outer()",
    ),
    refusal("eval", "def f(x):\n    return eval('x * 2.0')\n", "eval", errors.NoRule, "no derivative rule for 'eval'"),
    refusal(
        "exec", "def f(x):\n    exec('y = x')\n    return x\n", "exec", errors.NoRule, "reads the names of the function"
    ),
    refusal(
        "async-def-await",
        "async def f(x):\n    y = await x\n    return y\n",
        "async def",
        U,
        "async functions are not supported",
    ),
    refusal("star-args-parameter", "def f(x, *rest):\n    return x\n", "*rest", U, "*args parameters"),
    refusal("kwargs-parameter", "def f(x, **options):\n    return x\n", "**options", U, "**kwargs parameters"),
    refusal(
        "walrus-in-if",
        "def f(x):\n    if (y := x * 2.0) > 0:\n        return y\n    return x\n",
        "y := x",
        U,
        "assignment expressions (:=)",
    ),
    refusal(
        "walrus-in-while",
        "def f(x):\n    while (x := x * 0.5) > 1.0:\n        pass\n    return x\n",
        "x := x",
        U,
        "assignment expressions (:=)",
    ),
    refusal("walrus-in-index", "def f(x):\n    return x[(i := 0)] * x\n", "i := 0", U, "assignment expressions"),
    refusal(
        "walrus-in-default", "def f(x, k=(n := 2.0)):\n    return x * k\n", "n := 2.0", U, "assignment expressions"
    ),
    refusal(
        "def-in-a-loop",
        "def f(x):\n    for i in range(2):\n        def inner(v):\n            return v\n    return x\n",
        "def inner",
        U,
        "a function defined inside a branch or loop",
    ),
    refusal(
        "class-in-body", "def f(x):\n    class Box:\n        pass\n    return x\n", "class Box", U, "class definitions"
    ),
    refusal("del", "def f(x):\n    y = x * 2.0\n    del y\n    return x\n", "del y", U, "del statements"),
    refusal("bare-raise", "def f(x):\n    if x > 0:\n        raise\n    return x\n", "raise", U, "a bare raise"),
    refusal(
        "import-inside", "def f(x):\n    import cmath\n    return x\n", "import cmath", U, "imports inside the function"
    ),
    refusal(
        "import-of-a-missing-module-inside",
        "def f(x):\n    import no_such_module_s2sad\n    return x\n",
        "import no_such",
        U,
        "imports inside the function",
    ),
    refusal(
        "starred-list", "def f(x):\n    y = [*x]\n    return np.sum(np.stack(y))\n", "*x]", U, "starred expressions"
    ),
    refusal("starred-target", "def f(x):\n    a, *rest = x\n    return a\n", "*rest", U, "starred assignment targets"),
    refusal(
        "star-call",
        "def f(x):\n    parts = (x,)\n    return np.sum(*parts)\n",
        "*parts",
        U,
        "star arguments (*args, **kwargs) in calls",
    ),
    refusal("starred-index", "def f(x, idx):\n    return np.sum(x[*idx])\n", "*idx", U, "starred indices"),
    refusal("set-comprehension", "def f(x):\n    return x * len({v for v in x})\n", "{v for", U, "set comprehensions"),
    refusal(
        "dict-comprehension", "def f(x):\n    return x * len({v: v for v in x})\n", "{v: v", U, "dict comprehensions"
    ),
    refusal(
        "whole-dict", "def f(x):\n    s = {'a': x}\n    return s + 1.0\n", "s + 1.0", U, "using the dict 's' other"
    ),
    refusal("set-literal", "def f(x):\n    s = {x}\n    return x\n", "{x}", U, "set literals"),
    refusal(
        "match",
        "def f(x):\n    match x:\n        case 0.0:\n            return x\n    return x\n",
        "match x",
        U,
        "match statements",
    ),
    refusal(
        "while-else",
        "def f(x):\n    while x > 1.0:\n        x = x / 2.0\n    else:\n        x = x + 1.0\n" "    return x\n",
        "else",
        U,
        "while ... else",
    ),
    refusal(
        "attribute-assignment",
        "def f(x):\n    y = x * 1.0\n    y.shape = (3,)\n    return y\n",
        "y.shape",
        U,
        "assignment into an attribute",
    ),
    refusal(
        "complex-constructor",
        "def f(x):\n    return complex(x, 1.0)\n",
        "complex",
        errors.NoRule,
        "no derivative rule for 'complex'",
    ),
    # -- what is called -----------------------------------------------------------------------------
    refusal(
        "unknown-name-called",
        "def f(x):\n    return mystery(x)\n",
        "mystery",
        errors.NoRule,
        "name 'mystery' is not defined",
    ),
    refusal(
        "unknown-array-method",
        "def f(x):\n    return x.frobnicate()\n",
        "frobnicate",
        U,
        "the array method '.frobnicate()'",
    ),
    refusal(
        "class-called",
        "class Model:\n    pass\n\ndef f(x):\n    return Model() * x\n",
        "Model()",
        errors.NoRule,
        "no derivative rule for 'Model'",
    ),
    refusal("call-of-a-subscript", "def f(x, fs):\n    return fs[0](x)\n", "fs[0]", U, "calling this is"),
    refusal(
        "helper-without-source",
        "exec('def helper(v):\\n    return v * 2.0\\n')\n\n" "def f(x):\n    return helper(x) * x\n",
        "helper(x)",
        errors.NotFound,
        "cannot read the source of helper",
    ),
    refusal(
        "recursion",
        "def f(x):\n    if x > 1.0:\n        return f(x / 2.0)\n    return x * x\n",
        "f(x / 2.0)",
        U,
        "a recursive call of 'f'",
    ),
    refusal(
        "mutual-recursion",
        "def ping(x):\n    return pong(x) * 2.0\n\ndef pong(x):\n"
        "    if x > 1.0:\n        return ping(x * 0.5)\n    return x\n",
        "ping(x * 0.5)",
        U,
        "a recursive call of 'ping'",
        target="ping",
    ),
    refusal(
        "random-number-of-a-differentiated-value",
        "def f(x):\n    return np.random.normal(x)\n",
        "np.random.normal",
        errors.NoRule,
        "no derivative rule for 'np.random.normal'",
    ),
    # -- what is given to s2sad.grad (load.py) --------------------------------------------------------
    refusal(
        "method",
        "class Model:\n    def scale(self, x):\n        return x * 2.0\n",
        "def scale",
        errors.NotFound,
        "got the method Model.scale",
        target="Model().scale",
    ),
    refusal(
        "class",
        "class Model:\n    def __call__(self, x):\n        return x * 2.0\n",
        "class Model",
        errors.NotFound,
        "got the class Model",
        target="Model",
    ),
    refusal(
        "lambda",
        "square = lambda x: x * x\n",
        "square = lambda",
        U,
        "a lambda cannot be differentiated",
        target="square",
    ),
    refusal(
        "wrapped-by-a-decorator",
        "@functools.lru_cache\ndef f(x):\n    return x * 2.0\n",
        "@functools",
        errors.NotFound,
        "got _lru_cache_wrapper",
    ),
    # -- results, tuples and lists -------------------------------------------------------------------
    refusal("several-results", "def f(x):\n    return x, 2.0 * x\n", "x, 2.0", U, "returns several values"),
    refusal("returns-none", "def f(x):\n    y = x * 2.0\n    return None\n", "None", U, "returning None or a string"),
    refusal("returns-a-string", "def f(x):\n    return 'done'\n", "'done'", U, "returning None or a string"),
    refusal(
        "tuple-chosen-by-a-condition",
        "def f(x):\n    t = (x, 1.0) if x > 0 else (1.0, x)\n" "    return t[0] * t[1]\n",
        "x, 1.0) if",
        U,
        "a tuple chosen by a conditional expression",
    ),
    refusal(
        "tuple-index-out-of-range",
        "def f(x):\n    t = (x, 2.0)\n    return t[2]\n",
        "t[2]",
        U,
        "tuple index 2 is out of range",
    ),
    refusal(
        "tuple-indexed-by-a-variable",
        "def f(x, i):\n    t = (x, 2.0 * x)\n    return t[i]\n",
        "t[i]",
        U,
        "indexing a tuple other than with a number",
    ),
    refusal(
        "tuple-joined",
        "def f(x):\n    t = (x,)\n    t = t + (2.0 * x,)\n    return t[0] * t[1]\n",
        "t = t +",
        U,
        "goes where s2sad carries no derivative",
    ),
    refusal(
        "tuple-repeated",
        "def f(x):\n    t = (x,) * 2\n    return t[0] * t[1]\n",
        "t = (x,)",
        U,
        "goes where s2sad carries no derivative",
    ),
    refusal(
        "list-joined",
        "def f(x):\n    a = [x]\n    b = a + [2.0 * x]\n    return b[0] * b[1]\n",
        "b = a",
        U,
        "goes where s2sad carries no derivative",
    ),
    refusal(
        "list-extended-by-plus-equals",
        "def f(x):\n    a = [x]\n    a += [x]\n    return a[1]\n",
        "a +=",
        U,
        "goes where s2sad carries no derivative",
    ),
    refusal(
        "list-repeated",
        "def f(x):\n    a = [x] * 2\n    return a[0] * a[1]\n",
        "a = [x]",
        U,
        "goes where s2sad carries no derivative",
    ),
    refusal(
        "list-of-tuples",
        "def f(x):\n    pairs = [(x, 2.0)]\n    p = pairs[0]\n    return p[0] * p[1]\n",
        "pairs = [",
        U,
        "goes where s2sad carries no derivative",
    ),
    refusal(
        "tuple-appended",
        "def f(x):\n    pairs = []\n    pairs.append((x, x))\n    p = pairs[0]\n" "    return p[0] * p[1]\n",
        "pairs.append",
        U,
        "goes where s2sad carries no derivative",
    ),
    refusal(
        "zip-of-a-tuple-and-an-array",
        "def f(x):\n    t = 0.0\n    for a, b in zip((x, x), x):\n" "        t = t + a * b\n    return t\n",
        "x, x), x",
        U,
        "zip() over a tuple together with arrays",
    ),
    # -- too deep for Python itself (emit.py) -------------------------------------------------------
    refusal(
        "elif-chain-deeper-than-python-allows",
        "def f(x):\n    if x > 1000.0:\n        return x\n"
        + "".join(f"    elif x > {999 - i}.0:\n        return x * {i}.0\n" for i in range(98))
        + "    return x * x\n",
        "if x > 1000.0",
        U,
        "more than Python allows",
    ),
]


def _marks(item):
    return [pytest.mark.xfail(strict=True, reason=item.bug)] if item.bug else []


def _module(tmp_path, source: str):
    return write_module(tmp_path, HEADER + textwrap.dedent(source))


@pytest.mark.parametrize("case", [pytest.param(r, id=r.id, marks=_marks(r)) for r in REFUSALS])
def test_refused_with_its_location(case, tmp_path):
    module = _module(tmp_path, case.source)
    target = eval(case.target, vars(module))
    with pytest.raises(case.kind) as caught:
        s2sad.grad(target)
    message = str(caught.value)
    assert case.words in message, message
    assert caught.value.origin.path.endswith(f"{module.__name__}.py")
    assert_located(message, caught.value.origin.path, HEADER + case.source, case.marker)


def test_syntax_error_in_the_file_of_a_live_function(tmp_path):
    """The file changed since it was imported, and no longer parses: located at the error."""
    module = _module(tmp_path, "def f(x):\n    return x * 2.0\n")
    broken = HEADER + "def f(x):\n    return x *\n"
    (tmp_path / f"{module.__name__}.py").write_text(broken)
    linecache.checkcache()
    with pytest.raises(errors.UnsupportedSyntax) as caught:
        s2sad.grad(module.f)
    assert "cannot parse the file" in str(caught.value)
    assert caught.value.origin.line == broken.count("\n")  # the line of `return x *`


def test_nesting_past_the_recursion_limit_is_refused_not_a_recursion_error(tmp_path, monkeypatch):
    """However deep the code, the compiler's own recursion ends in a located error."""
    module = _module(tmp_path, "def f(x):\n    return x" + " * x" * 150 + "\n")
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    monkeypatch.setattr(errors, "RECURSION_LIMIT", depth + 150)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 150)  # room to start, not for 150 levels of nesting; restored below
    try:
        with pytest.raises(errors.UnsupportedSyntax) as caught:
            s2sad.grad(module.f)
    finally:
        sys.setrecursionlimit(limit)
    assert "nested too deeply" in str(caught.value)
    assert caught.value.origin.path.endswith(f"{module.__name__}.py")


# -- refused when the derivative is called -------------------------------------------------------

LOSS = "def f(x, y):\n    return np.sum(np.tanh(x) * y)\n"

# (id, the value given as x, words) -- integers and booleans: tests/test_errors.py; lists and tuples
# (containers, or passed whole to np.tanh): tests/test_structures.py
RUN_TIME_REFUSALS = [
    ("complex-array", np.array([1.0 + 2.0j, 0.5]), "holds ndarray with dtype complex128, not floats"),
    ("complex-number", 1.0 + 2.0j, "holds complex, not floats"),
    ("none", None, "holds NoneType, not floats"),
    ("string", "1.5", "holds str, not floats"),
    ("numpy-integer", np.int32(3), "with dtype int32, not floats"),
    ("object-array", np.array([1.0, None]), "with dtype object, not floats"),
]


@pytest.mark.parametrize("value, words", [pytest.param(v, w, id=i) for i, v, w in RUN_TIME_REFUSALS])
def test_refused_when_called(value, words, tmp_path):
    module = _module(tmp_path, LOSS)
    with pytest.raises(errors.BadArgument) as caught:
        s2sad.grad(module.f)(value, 1.0)
    assert "argument 'x' is differentiated but holds" in str(caught.value)
    assert words in str(caught.value)
    assert_located(str(caught.value), caught.value.origin.path, HEADER + LOSS, "x, y")


def test_complex_tangent_for_forward_mode_is_refused(tmp_path):
    module = _module(tmp_path, LOSS)
    with pytest.raises(errors.BadArgument, match="complex128, not floats"):
        s2sad.jvp(module.f)(np.ones(2, complex), 1.0, np.ones(2))


# -- derivatives of odd but valid input ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Valid:
    id: str
    source: str  # a module defining f (HEADER is put before it)
    args: tuple
    wrt: int | tuple = 0
    bug: str | None = None


def valid(id, source, *args, wrt=0, bug=None):
    return Valid(id, textwrap.dedent(source), args, wrt, bug)


X3 = np.array([0.3, -0.7, 1.1])
VALID = [
    # -- tuples and lists, as the language allows them ---------------------------------------------
    valid(
        "tuple-of-tuples-indexed",
        "def f(x):\n    t = ((x, 2.0 * x), x)\n    u = t[0]\n" "    return u[0] * u[1] * t[1]\n",
        1.3,
    ),
    valid(
        "tuple-given-to-a-helper", "def g(t):\n    return t[0] * t[1]\n\ndef f(x):\n    return g((x, 2.0 * x))\n", 1.3
    ),
    valid(
        "zip-over-tuples",
        "def f(x):\n    t = 0.0\n    for a, b in zip((x, x), (x, 2.0)):\n" "        t = t + a * b\n    return t\n",
        1.3,
    ),
    valid(
        "enumerate-over-a-tuple",
        "def f(x):\n    t = 0.0\n    for i, a in enumerate((x, x * x), 1):\n" "        t = t + a * i\n    return t\n",
        1.3,
    ),
    valid(
        "loop-over-a-tuple-of-tuples",
        "def f(x):\n    t = 0.0\n    for a, b in ((x, x), (x, 2.0)):\n" "        t = t + a * b\n    return t\n",
        1.3,
    ),
    valid(
        "shape-tuple-joined",
        "def f(x):\n    shape = x.shape + (1,)\n    return np.sum(np.reshape(x, shape) ** 2)\n",
        X3,
    ),
    valid("list-of-ints-joined", "def f(x):\n    idx = [0] + [2]\n    return np.sum(x[idx] ** 2)\n", X3),
    valid("list-of-lists", "def f(x):\n    rows = [[x, 2.0 * x]]\n    return rows[0][0] * rows[0][1]\n", 1.3),
    # -- an array seen through a helper's result (which may be the argument), updated in place --------
    valid(
        "update-of-an-array-a-helper-returned",
        HELPER_RETURNS_ITS_ARGUMENT
        + "def f(x1, x2):\n    v1 = np.full((3,), x1)\n    t = g(v1, x2)\n    v1[0] = 5.0\n    return np.sum(t)\n",
        1.3,
        0.5,
        wrt=(0, 1),
    ),
    valid(
        "update-of-an-array-a-helper-returned-doubled",
        HELPER_RETURNS_ITS_ARGUMENT
        + "def f(x1, x2):\n    v1 = np.full((3,), x1)\n    t = g(v1, x2)\n    v1[0] = 5.0\n    return np.sum(t)\n",
        1.3,
        -0.5,
        wrt=(0, 1),
    ),
    # -- names that are legal but unusual ------------------------------------------------------------
    valid(
        "annotated-assignments",
        "def f(x: float) -> float:\n    y: float = x * 2.0\n    z: float\n" "    z = y * x\n    return z\n",
        1.3,
    ),
    valid("keyword-only-and-positional-only", "def f(x, /, k=2.0, *, m=3.0):\n    return x * k * m\n", 1.3),
    valid("function-defined-twice", "def f(x):\n    return x * 2.0\n\ndef f(x):\n    return x * x * 3.0\n", 1.3),
    valid(
        "staticmethod-function",
        "class Model:\n    @staticmethod\n    def f(x):\n        return x * x\n\n" "f = Model.f\n",
        1.3,
    ),
    # -- values -------------------------------------------------------------------------------------------
    valid(
        "zero-d-arrays",
        "def f(x, y):\n    return np.sum(np.tanh(x) * y) + np.mean(x * x) + x * y\n",
        np.array(0.4),
        np.array(2.0),
        wrt=(0, 1),
    ),
    valid(
        "zero-size-array",
        "def f(x):\n    t = 0.0\n    for v in x:\n        t = t + v * v\n"
        "    return np.sum(np.tanh(x) * x) + t + np.sum(x.T @ x)\n",
        np.zeros((0, 3)),
    ),
    valid("zero-size-array-mean", "def f(x):\n    return np.mean(x * x) + 1.0\n", np.zeros(0)),
    valid("float16-array", "def f(x):\n    return np.sum(x * x)\n", np.array([0.5, 1.5], np.float16)),
]


def _numeric_in_float64(function, args, wrt):
    wide = [np.asarray(a, np.float64) if isinstance(a, np.ndarray) else a for a in args]
    return numeric_vjp(function, wide, wrt, 1.0)


@pytest.mark.parametrize("case", [pytest.param(v, id=v.id, marks=_marks(v)) for v in VALID])
def test_valid_input_gets_the_right_derivative(case, tmp_path):
    module = _module(tmp_path, case.source)
    wrt = case.wrt if isinstance(case.wrt, tuple) else (case.wrt,)
    with np.errstate(invalid="ignore", divide="ignore"):
        got = s2sad.grad(module.f, wrt=case.wrt)(*case.args)
        got = got if isinstance(case.wrt, tuple) else (got,)
        want = _numeric_in_float64(module.f, case.args, wrt)
    for index, gradient, expected in zip(wrt, got, want, strict=True):
        argument = case.args[index]
        assert np.shape(gradient) == np.shape(argument)
        if isinstance(argument, np.ndarray):
            assert gradient.dtype == argument.dtype
        np.testing.assert_allclose(np.asarray(gradient, np.float64), expected, rtol=1e-3, atol=1e-3)


def test_float32_gradients_are_float32_and_right(tmp_path):
    module = _module(
        tmp_path,
        """
        def f(x, y):
            t = 0.0
            for i in range(x.shape[0]):
                if x[i] > 0:
                    t = t + x[i] * y[i]
                else:
                    t = t - np.sin(x[i])
            return t + np.sum(np.tanh(x) * y) + np.mean(x * x)
        """,
    )
    x, y = np.array([0.3, -0.7, 1.1], np.float32), np.array([2.0, 0.5, -1.0], np.float32)
    d_x, d_y = s2sad.grad(module.f, wrt=(0, 1))(x, y)
    assert d_x.dtype == d_y.dtype == np.float32
    expected = _numeric_in_float64(module.f, (x, y), (0, 1))
    np.testing.assert_allclose(d_x, expected[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(d_y, expected[1], rtol=1e-5, atol=1e-5)
    scalar = s2sad.grad(_module(tmp_path, "def f(x):\n    return x * x * 3.0\n").f)(np.float32(0.5))
    assert type(scalar) is np.float32 and scalar == np.float32(3.0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_inputs_propagate_into_the_gradient(bad, tmp_path):
    """A NaN or infinite entry spoils its own gradient entry (and a reduction's), without an exception."""
    module = _module(
        tmp_path,
        """
        def f(x, y):
            t = 0.0
            for v in x:
                if v > 0.5:
                    t = t + v * v
            return t + np.sum(np.sin(x) * y)
        """,
    )
    clean = np.array([0.2, 0.9, -1.3])
    spoiled = clean.copy()
    spoiled[0] = bad
    gradient = s2sad.grad(module.f, wrt=(0, 1))
    with np.errstate(invalid="ignore"):
        d_x, d_y = gradient(spoiled, 1.0)
    reference_x, _ = gradient(clean, 1.0)
    assert not np.isfinite(d_x[0]) and not np.isfinite(d_y)
    np.testing.assert_allclose(d_x[1:], reference_x[1:], rtol=1e-12)


# -- very deep, very long ------------------------------------------------------------------------------

# Generation time grows faster than linearly with depth (50 ifs take 4 s, 15 whiles 3 s, a chain of 500
# products 20 s: see the report of issue 7); these depths keep the suite fast.
DEPTHS = {"ifs": 20, "loops": 19, "whiles": 10, "parentheses": 199, "products": 60, "calls": 40}


def _deep(kind: str, depth: int) -> str:
    """A function nesting ``kind`` ``depth`` deep (Python allows at most 19 nested loops, 199 parentheses)."""
    if kind == "ifs":
        lines = [
            f"{'    ' * (i + 1)}if x > {-i - 1}.0:\n{'    ' * (i + 2)}x = x * 1.01 + {i}.0 * 0.001\n"
            for i in range(depth)
        ]
        return "def f(x):\n" + "".join(lines) + "    return x * x\n"
    if kind == "loops":
        lines = [f"{'    ' * (i + 1)}for i{i} in range(1):\n" for i in range(depth)]
        return "def f(x):\n" + "".join(lines) + "    " * (depth + 1) + "x = x * 1.01\n    return x * x\n"
    if kind == "whiles":
        lines = [f"{'    ' * (i + 1)}while x < {i + 1}.0:\n{'    ' * (i + 2)}x = x + 1.0\n" for i in range(depth)]
        return "def f(x):\n" + "".join(lines) + "    return x * x\n"
    if kind == "parentheses":
        return "def f(x):\n    return " + "(" * depth + "x" + ")" * depth + " * x\n"
    if kind == "products":
        return "def f(x):\n    return x" + " * x" * depth + "\n"
    return "def f(x):\n    return " + "np.sin(" * depth + "x" + ")" * depth + "\n"


@pytest.mark.parametrize("kind", sorted(DEPTHS))
def test_deep_nesting(kind, tmp_path):
    module = _module(tmp_path, _deep(kind, DEPTHS[kind]))
    x = 0.5 if kind != "products" else 0.99
    got = s2sad.grad(module.f)(x)
    (want,) = numeric_vjp(module.f, [x], (0,), 1.0)
    assert got == pytest.approx(want, rel=1e-5, abs=1e-6)


LONG = 200  # statements; generation takes about 20 ms a statement here (10,000: 200 s, 1.2 GB; see issue 7)


def test_long_function(tmp_path):
    statements = [
        "    a = a * 0.999 + b * 0.001",
        "    b = np.tanh(a) * 0.5 + b * 0.5",
        "    c = a * b",
        "    a = a + c * 0.0001",
    ]
    body = "\n".join(statements[i % 4] for i in range(LONG))
    module = _module(tmp_path, f"def f(x, w):\n    a = x * w\n    b = np.sin(x)\n{body}\n    return np.sum(a * b)\n")
    x, w = np.linspace(-1.0, 1.0, 3), np.linspace(0.5, 1.5, 3)
    got = s2sad.grad(module.f, wrt=(0, 1))(x, w)
    want = numeric_vjp(module.f, [x, w], (0, 1), 1.0)
    for gradient, expected in zip(got, want, strict=True):
        np.testing.assert_allclose(gradient, expected, rtol=1e-5, atol=1e-6)


# -- the command line: file.py:name and what is in the file -----------------------------------------

MODEL = """\
import numpy as np
import no_such_module_s2sad
import helper_with_a_syntax_error

LIMIT = 3.0


class Model:
    def scale(self, x):
        return x * 2.0


def calls_a_missing_module(x):
    return np.sum(no_such_module_s2sad.f(x))


def calls_a_broken_helper(x):
    return helper_with_a_syntax_error.twice(x) * x


def twice(x):
    return x * 2.0


def twice(x):
    return x * x * 3.0
"""

FILES = {
    "model.py": MODEL.encode(),
    "helper_with_a_syntax_error.py": b"def twice(v)\n    return v * 2.0\n",
    "latin1.py": "def f(x):\n    return x * 2.0  # caf\xe9\n".encode("latin-1"),
    "declared.py": "# -*- coding: latin-1 -*-\ndef f(x):\n    return x * 2.0  # caf\xe9\n".encode("latin-1"),
    "bom_crlf.py": b"\xef\xbb\xbfimport numpy as np\r\n\r\n\r\ndef f(x):\r\n    return np.sum(x * x)\r\n",
    "empty.py": b"",
}

# (id, arguments after `s2sad grad`, exit status, words on stderr, (file, marker) the message is located at)
CLI = [
    ("empty-name", ["model.py:"], 2, "expected FILE.py:NAME", None),
    ("empty-file-part", [":twice"], 2, "expected FILE.py:NAME", None),
    (
        "dotted-name",
        ["model.py:Model.scale"],
        2,
        "'Model.scale' in 'model.py:Model.scale' is not a function name",
        None,
    ),
    ("name-not-an-identifier", ["model.py:1st"], 2, "is not a function name", None),
    ("a-class", ["model.py:Model"], 1, "'Model' in model.py is not a function", ("model.py", "class Model")),
    ("a-method-name", ["model.py:scale"], 1, "no function 'scale' in model.py", None),
    ("a-folder", ["folder.py:f"], 1, "cannot read folder.py", None),
    ("an-empty-file", ["empty.py:f"], 1, "it defines no functions", None),
    ("not-utf-8", ["latin1.py:f"], 1, "cannot read the file", None),
    (
        "missing-module",
        ["model.py:calls_a_missing_module"],
        1,
        "no derivative rule for 'no_such_module_s2sad.f'",
        ("model.py", "no_such_module_s2sad.f(x)"),
    ),
    (
        "helper-with-a-syntax-error",
        ["model.py:calls_a_broken_helper"],
        1,
        "helper_with_a_syntax_error.py:1:13: error: cannot parse the file: expected ':'",
        None,
    ),
    ("output-into-a-missing-folder", ["model.py:twice", "-o", "missing/grad.py"], 2, "no such folder", None),
]


@pytest.fixture
def project(tmp_path, monkeypatch):
    for name, data in FILES.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "folder.py").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _main(arguments: list[str]) -> int:
    from s2sad.cli import main

    try:
        return main(["grad", *arguments])
    except SystemExit as exit:  # argparse
        return exit.code


@pytest.mark.parametrize("arguments, status, words, located", [pytest.param(*c[1:], id=c[0]) for c in CLI])
def test_cli_refusals(arguments, status, words, located, project, capsys):
    assert _main(arguments) == status
    captured = capsys.readouterr()
    assert captured.out == ""
    assert words in captured.err
    if located is not None:
        filename, marker = located
        source = (project / filename).read_text()
        message = captured.err[captured.err.index(filename + ":") :]
        assert_located(message, filename, source, marker)
    assert sorted(p.name for p in project.iterdir()) == sorted([*FILES, "folder.py"])  # nothing written


def test_cli_undecodable_file_is_located_at_the_bad_byte(project, capsys):
    assert _main(["latin1.py:f"]) == 1
    assert "latin1.py:2:" in capsys.readouterr().err  # `caf\xe9` is on line 2; Python says the same


@pytest.mark.parametrize("target, value", [("declared.py:f", 2.0), ("bom_crlf.py:f", None), ("model.py:twice", None)])
def test_cli_reads_files_as_python_does(target, value, project, capsys):
    """A coding line, a BOM and CRLF line ends; a function defined twice is the last definition."""
    assert _main([target]) == 0, capsys.readouterr().err
    namespace: dict = {}
    exec(compile(capsys.readouterr().out, "<generated>", "exec"), namespace)
    gradient = namespace[f"grad_{target.split(':')[1]}"]
    if target == "model.py:twice":
        assert gradient(1.5) == pytest.approx(9.0)  # 6 x of `x * x * 3.0`, not the first definition's 2
    elif target == "bom_crlf.py:f":
        np.testing.assert_allclose(gradient(np.array([1.0, -2.0])), [2.0, -4.0])
    else:
        assert gradient(1.5) == value


def test_cli_usage_errors_from_argparse(project, capsys):
    assert _main([]) == 2
    assert _main(["model.py:twice", "--mode", "sideways"]) == 2
    assert "invalid choice: 'sideways'" in capsys.readouterr().err


# -- bugs the corpus found (fixed) ----------------------------------------------------


def test_none_output_at_run_time_is_refused(tmp_path):
    module = _module(tmp_path, "def f(x, y):\n    return y\n")
    with pytest.raises(errors.BadArgument, match="grad needs a scalar output"):
        s2sad.grad(module.f)(1.5, None)


def test_refusals_name_no_placeholder(tmp_path):
    module = _module(tmp_path, "def f(x):\n    t = (x,) * 2\n    return t[0] * t[1]\n")
    with pytest.raises(errors.UnsupportedSyntax) as caught:
        s2sad.grad(module.f)
    assert "_s2sad_" not in str(caught.value)
