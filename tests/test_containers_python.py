"""Dicts and functions as people pass them around (issue 17): a dict parameter's methods (.get, .items,
.values, .keys, len, in), dict and set comprehensions, functools.partial, and functions defined inside
passed to the user's helpers; each in both modes against central finite differences, and what stays
refused, located at its line.
"""

import re
import textwrap

import numpy as np
import pytest

import s2sad
from tests.support import numeric_vjp, write_module

HEADER = """
import functools
from functools import partial

import numpy as np


def act(v, slope=0.5):
    return np.where(v > 0.0, v, slope * v)


def apply(fn, h, scale=2.0):
    return fn(h) * scale
"""

# Each case is f(p, x): p a dict {"w": array, "b": array, "c": float}, x an array.
CASES = {
    "get-with-and-without-a-default": """
        def f(p, x):
            return np.sum(x * p.get("w")) + np.sum(p.get("missing", x) * x) + p.get("c", 2.0) * np.sum(x)
    """,
    "a-loop-over-items-accumulating": """
        def f(p, x):
            s = 0.0
            for k, v in p.items():
                if k == "c":
                    continue
                s = s + np.sum(np.sin(v) * x)
            return s
    """,
    "values-keys-len-and-in": """
        def f(p, x):
            s = sum(np.sum(v * x) for v in p.values()) * len(p)
            for k in p:
                s = s + np.sum(p[k] ** 2)
            for k in p.keys():
                if k in p and k != "b":
                    s = s + np.sum(p[k] * x)
            return s + np.sum(sum(p.values()) * x)
    """,
    "a-dict-comprehension-feeding-a-later-loop": """
        def f(p, x):
            q = {k: np.tanh(v) * x for k, v in p.items() if k != "c"}
            total = 0.0
            for name in q:
                total = total + np.sum(q[name]) * 0.5
            for name, w in q.items():
                total = total + np.sum(w ** 2)
            return total + np.sum(q["w"]) * len(q) + np.sum(q.get("b", x)) + np.sum(q.get("zz", x))
    """,
    "a-dict-comprehension-over-zip-with-repeated-keys-passed-to-a-helper": """
        def layer(d, h):
            return np.tanh(h * d["a"] + d["b"])

        def f(p, x):
            names = ("a", "b")
            q = {name: w * 2.0 for name, w in zip(names, [p["w"], p["b"]])}
            r = {i % 2: x[i] * p["c"] for i in range(3)}  # r[0] is x[2]'s: the last value of a key
            return np.sum(layer(q, x)) + r[0] * r[1] + sum(r.values())
    """,
    "a-dict-written-out-read-with-get-len-values-keys": """
        def f(p, x):
            d = {"a": x * p["c"], "b": np.sin(x)}
            return np.sum(d.get("a") * d.get("z", 3.0)) + len(d) + np.sum(sum(d.values())) + len(d.keys())
    """,
    "a-dict-parameter-read-in-a-helper-only": """
        def norm(d):
            return sum(np.sum(v ** 2) for v in d.values())

        def linear(d, h):
            return np.sum(d["w"] * h)

        def f(p, x):
            return norm(p) * 2.0 + linear(p, x)  # p itself is read in the helpers only
    """,
    "a-set-comprehension-of-keys": """
        def f(p, x):
            kept = {k for k in p.keys() if k != "c"}
            return sum(np.sum(p[k] * x) for k in sorted(kept))
    """,
    "partial-of-a-function-of-the-users-and-of-numpy": """
        def f(p, x):
            leaky = functools.partial(act, slope=p["c"])
            clip = partial(np.clip, a_min=0.3)
            low = partial(clip, a_max=1.5)
            return np.sum(leaky(x - 1.0) * p["w"]) + np.sum(clip(p["b"], a_max=1.0) * x) + np.sum(low(x * p["w"]))
    """,
    "partial-of-a-local-lambda-passed-to-a-helper": """
        def f(p, x):
            w = p["w"] * 2.0
            scale = 3.0
            act2 = lambda v, s: np.tanh(v * w) * s * scale
            g = partial(act2, s=p["c"])
            w = w + 1.0  # read when g is called, as Python's closures read it
            return np.sum(apply(g, x)) + np.sum(apply(partial(act, slope=p["c"]), x, scale=x[1]))
    """,
    "a-local-function-passed-to-a-helper": """
        def f(p, x):
            def shifted(v):
                return v * p["w"] + p["c"]
            return np.sum(apply(shifted, x)) + np.sum(apply(act, p["b"]))
    """,
}


def _weights(rng):
    return {"w": rng.uniform(0.2, 2.0, 3), "b": rng.uniform(0.2, 2.0, 3), "c": float(rng.uniform(0.2, 2.0))}


@pytest.mark.parametrize("name", sorted(CASES))
def test_both_modes_match_finite_differences(name, tmp_path):
    module = write_module(tmp_path, HEADER + textwrap.dedent(CASES[name]))
    rng = np.random.default_rng(sum(map(ord, name)))
    p, x = _weights(rng), rng.uniform(0.2, 2.0, 3)
    keys = list(p)

    def flat(*values):
        return module.f(dict(zip(keys, values, strict=True)), x)

    expected = numeric_vjp(flat, list(p.values()), tuple(range(len(keys))), 1.0)
    d_p, d_x = s2sad.grad(module.f, wrt=(0, 1))(p, x)
    assert list(d_p) == keys and isinstance(d_p["c"], float)
    for key, want in zip(keys, expected, strict=True):
        np.testing.assert_allclose(d_p[key], want, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(d_x, numeric_vjp(lambda v: module.f(p, v), [x], (0,), 1.0)[0], rtol=1e-6, atol=1e-8)
    directions = {key: rng.normal(size=np.shape(value)) for key, value in p.items()}
    directions["c"] = float(directions["c"])
    value, tangent = s2sad.jvp(module.f)(p, x, directions)
    assert value == pytest.approx(module.f(p, x), rel=1e-12)
    want = sum(float(np.sum(e * directions[k])) for e, k in zip(expected, keys, strict=True))
    assert tangent == pytest.approx(want, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize(
    "body, line, message",
    [
        ("s = 0.0\n    if p['c'] > 0:\n        g = partial(act, slope=0.1)\n    return g(x)", 3, "inside a branch"),
        ("g = partial(p['f'], 0.1)\n    return g(x)", 1, "functools.partial of a function not known"),
        ("items = p.items()\n    return np.sum(x)", 1, "'.items()' other than in a for loop"),
        ("q = {k: v for k, v in p.items()}\n    q['z'] = x\n    return q['w']", 2, "an item of a dict built"),
        ("q = {k: v for k, v in p.items()}\n    return np.sum(q)", 2, "using the dict 'q' other than by its items"),
        ("return np.sum(x) + len({k: 1 for k in p})", 1, "dict comprehensions are not supported"),
        ("s = {np.sum(v) for v in p.values()}\n    return sum(s)", 1, "carries no derivative"),
        (
            "def g(v):\n        return v * 2.0\n    h = lambda v: g(v)\n    return np.sum(apply(h, x))",
            4,
            "passing 'h', which calls 'g' (also defined inside), to a function",
        ),
    ],
)
def test_what_stays_refused_is_located(body, line, message, tmp_path):
    module = write_module(tmp_path, HEADER + f"\n\ndef f(p, x):\n    {body}\n")
    first = HEADER.count("\n") + 3  # the line of `def f`; `line` counts from it
    with pytest.raises(s2sad.S2SADError, match=re.escape(message)) as raised:
        s2sad.grad(module.f)(_weights(np.random.default_rng(0)), np.ones(3))
    assert f"{module.__file__}:{first + line}:" in str(raised.value)


ITEMS_OF_A_TUPLE = """
import numpy as np


def f(x, params):
    A, b, w = params
    c = np.tanh(np.sum(x) * w)
    return np.mean(np.sin(A) + c) + np.sum(np.full((3, 1), np.mean(c))) + np.sum(b * x)
"""


def test_items_of_a_tuple_argument_need_not_share_a_shape(tmp_path):
    """``params[0]`` and ``params[2]`` of a tuple (not differentiated, no form known) are not rows of one
    array: ``np.sin(A) + c`` broadcasts c (3,) to A's (3, 3), and c's adjoint is summed back (a random
    program found it adjoined unsummed)."""
    module = write_module(tmp_path, ITEMS_OF_A_TUPLE)
    rng = np.random.default_rng(1)
    x, params = rng.normal(size=3), (rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=3))
    expected = numeric_vjp(lambda v: module.f(v, params), [x], (0,), 1.0)[0]
    gradient = s2sad.grad(module.f)
    for _ in range(3):  # the code for any arguments, then the one specialized to their forms
        np.testing.assert_allclose(gradient(x, params), expected, rtol=1e-6, atol=1e-8)
