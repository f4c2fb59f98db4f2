"""README.md's "Supported language" and its "Rules" move with the tests.

Each bullet of "Supported language" has an example here (keyed by the bullet's first words) that s2sad
differentiates, checked against central finite differences; each item of its "Refused with a located error"
list has one that s2sad refuses, pointing at the example's file and line (``# refused here`` marks the line
where that is the user's line). A bullet or an item without an entry, or an entry whose words are no longer
in the README, fails: the list and the tests change together. (The Rules section: tests/test_readme.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import s2sad
from s2sad import finite_differences
from tests.support import write_module

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
LANGUAGE = README[README.index("## Supported language") : README.index("## Rules")]
SUPPORTED_TEXT, REFUSED_TEXT = LANGUAGE.split("Refused with a located error:")
RULES_TEXT = README[README.index("## Rules") : README.index("\n## ", README.index("## Rules") + 1)]

HEADER = """\
import dataclasses
import functools
import logging
import math
import os
import types
from functools import partial

import numpy as np
import numpy.linalg as la
from numpy import exp

SCALE = 3.0


def apply(fn, h):
    return fn(h)

"""
X = np.array([0.3, -0.7, 1.2, 0.5])  # away from every kink and branch boundary below

# The first words of a bullet -> an example of it: the module's `f`, differentiated in its first argument.
SUPPORTED = {
    "parameters": """
def f(x, scale=2.0, *, shift=0.5):
    return np.sum(np.sin(x) * scale + shift * x)
""",
    "assignment, tuple unpacking": """
def f(x):
    a, b = x[0], x[1:]
    a, b = b, a
    (n,) = x.shape
    c = d = a * 2.0
    c += x[1:] ** 2  # d is c: it sees the update
    t = 0.0
    t += np.sum(c) * n
    return t + np.sum(d)
""",
    "`if`/`elif`/`else`": """
def f(x):
    total = 0.0
    for v in x:
        if v > 1.0 and v < 2.0:
            total = total + v**2
        elif not v > 0.0:
            total = total - v * 3.0
        else:
            total = total + (np.sin(v) if v > 0.4 else np.cos(v))
    i = 0
    while i < 3:
        i += 1
        if i == 2:
            continue
        total = total * 1.1
    for k, v in enumerate(x):
        if k > 1:
            break
        for r in range(2):
            total = total + v * r
    for a, b in zip(x[:-1], x[1:]):
        total = total + a * b
    for t in (x[0], x[1]):
        total = total + t
    return total
""",
    "calls to your own functions": """
def helper(a, b=1.0, *args, **kwargs):
    return a * b + sum(args), kwargs["c"] * a


def f(x):
    u, v = helper(x, 2.0, x[0], c=3.0)
    return np.sum(u * v)
""",
    "functions defined inside the function, and lambdas": """
def f(x, w=0.5):
    act = lambda v: np.tanh(v) * w
    def layer(h):
        return act(h) + h * w
    return np.sum(layer(x) + (lambda v: v * v)(x) + apply(lambda v: np.sin(v) * x[0], x))
""",
    "functions passed to your functions": """
def f(x):
    def act(v):
        return v * x[0]
    return np.sum(apply(np.tanh, x) + apply(act, x))
""",
    "`functools.partial`": """
def act(v, slope):
    return np.where(v > 0, v, slope * v)


def f(x):
    g = partial(act, slope=0.1)
    return np.sum(g(x) + apply(partial(np.clip, a_min=0.0, a_max=1.0), x))
""",
    "comprehensions and generator expressions": """
def f(x):
    s = np.stack([np.sin(v) for v in x if v > 0])
    return np.sum(s) + sum(x[i] ** 2 for i in range(len(x))) + sum([a * b for a in x for b in x[:2]])
""",
    "Python's builtins": """
def f(x):
    a, b = x[0], x[1]
    hs = [x[2], x[3]]
    return max(a, b) + min(x[0], 2.0) + max(hs) + abs(b) + pow(a, 3) + round(2.4) + sum([a, b], 1.0)
""",
    "statements around the maths": """
def f(x):
    \"\"\"A docstring.\"\"\"
    assert x.ndim == 1, f"a vector, not {x.ndim} axes"
    if x.size == 0:
        raise ValueError("empty")
    logging.debug("f")
    n: int = x.size
    with np.errstate(divide="ignore"):
        y = np.log(np.abs(x))
    pass
    return np.sum(y) / n
""",
    "several targets": """
def f(x):
    u = x * 2.0
    u[0] = u[-1] = 0.0
    a = b = x * 2
    return np.sum(u * a) + np.sum(b)
""",
    "dicts written in the function": """
def f(x):
    p = {"W": x * 2.0, "b": x[0]}
    p["c"] = x**2
    total = p.get("b", 0.0) * len(p) + p.get("missing", 1.0)
    for k, v in p.items():
        total = total + np.sum(v)
    return total + sum(np.sum(v) for v in p.values())
""",
    "containers of arrays as differentiated arguments": """
Layer = __import__("collections").namedtuple("Layer", "w b")


def f(p):
    total = 0.0
    for w, b in p["layers"]:
        total = total + np.sum(np.tanh(w * p["first"].w + b))
    return total + np.sum(p["first"].b) * len(p["layers"])
""",
    "a dict of weights as an argument": """
def f(params):
    total = np.sum(params.get("b", 0.0)) * len(params) + np.sum(params["W"] ** 2)
    for k, v in params.items():
        total = total + np.sum(v)
    if "W" in params:
        total = total + sum(np.sum(v**2) for v in params.values())
    return total + sum(np.sum(params[k]) for k in params.keys())
""",
    "dict comprehensions assigned to a name": """
def f(x):
    params = {"a": x, "b": x[1:]}
    q = {k: np.tanh(v) for k, v in params.items()}
    r = {name: w * 2 for name, w in zip(["u", "v"], [x[0], x[1]])}
    kept = {k for k in params.keys() if k != "b"}
    return np.sum(q["a"]) + np.sum(q.get("b")) + len(q) + r["u"] * len(kept)
""",
    "updating an argument in place": """
def f(x):
    x[0] = x[1] * 3.0
    x += 1.0
    v = x[1:]
    v *= 2.0
    x.sort()
    return np.sum(x * np.arange(4.0))
""",
    "lists built in the function": """
def f(x):
    hs = []
    for v in x:
        hs.append(v * 2.0)
    total = 0.0
    for h in hs:
        total = total + h**2
    return np.sum(np.stack(hs)) + np.sum(np.array(hs)) + sum(hs) + hs[1] + total
""",
    "updating arrays made in the function": """
def f(x):
    y = np.zeros((2, 4))
    y[0] = x
    y[:, 1] = x[:2]
    y[y > 0.4] *= 2.0
    y[0, 1:3] /= x[2]
    y[1, 2] **= 2
    z = y
    z[1, 3] = x[3]
    v = y.T
    v[0] += x[0]
    w = y.reshape(8)
    w[-1] -= x[1]
    rows = [y[0], y[1]]
    rows[0][2] = x[1] * 5
    return np.sum(y**2)
""",
    "arithmetic": """
def f(x):
    m = (x > 0) & (x < 1) | ~(x > 2)
    n = x.size // 2
    return np.sum(-x + x * x / 2.0 - x**3 % 1.5 + (x[:2] @ x[2:]) * n + np.where(m, x, 0.0))
""",
    "calls of numpy and `math` functions": """
def f(x):
    return np.sum(exp(x)) + la.norm(x) + math.sin(float(x[0]))
""",
    "array methods and attributes": """
def f(x):
    m = x.reshape(2, 2)
    return (
        m.sum(axis=0, keepdims=True).mean() + m.prod() + m.max() + m.min() + m.cumsum().sum() + m.dot(m).sum()
        + m.transpose().T.ravel()[1] + m.flatten()[2] + x[None].squeeze()[3] + m.clip(-0.5, 1.0).copy().sum()
        + m.shape[0] + m.ndim + m.size + (m.dtype == np.float64)
    )
""",
    "indexing reads": """
def f(x):
    m = x.reshape(2, 2)
    idx = np.array([0, 3, 3])
    return x[-1] + np.sum(x[::2]) + np.sum(m[:, 0]) + np.sum(m[..., 1]) + np.sum(x[None]) + np.sum(x[idx]) + np.sum(
        x[x > 0]
    )
""",
    "numpy's index helpers": """
def f(x):
    j = np.r_[x[:2], x[3], 2.0, 0:2]
    c = np.c_[x[:2], x[2:]]
    gx, gy = np.mgrid[0:2, 0:2]
    oi = np.ogrid[0:4]
    return np.sum(j**2) + np.sum(c[:, 1] * c[:, 0]) + np.sum(x[np.s_[1:3]]) + np.sum(x[np.index_exp[:2]]) + np.sum(
        gx * c
    ) + np.sum(oi * x)
""",
    "module-level constants and closure variables": """
def make(c):
    def g(x):
        return np.sum(x * c * SCALE)
    return g


f = make(2.0)
""",
    "recursion that stops on integers written out": """
def power(x, n):
    return 1.0 if n == 0 else x * power(x, n - 1)


def f(x):
    return np.sum(power(x, 3))
""",
    "calls of s2sad's own derivatives": """
import s2sad


def inner(x, y):
    return np.sum(np.sin(x) * y) ** 2


def f(x):
    g = s2sad.grad(inner, wrt=0)(x, x * x)
    return np.sum(g * x)
""",
}


def leaves(value) -> list:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


def rebuilt(like, flat: np.ndarray, at: list[int]):
    """``like`` with its arrays' entries taken from ``flat``, in the order of ``leaves``."""
    if isinstance(like, dict):
        return {key: rebuilt(item, flat, at) for key, item in like.items()}
    if isinstance(like, tuple) and hasattr(like, "_fields"):
        return type(like)(*(rebuilt(item, flat, at) for item in like))
    if isinstance(like, (tuple, list)):
        return type(like)(rebuilt(item, flat, at) for item in like)
    size = np.size(like)
    at[0] += size
    return flat[at[0] - size : at[0]].reshape(np.shape(like)).copy()


def argument_for(module, key):
    if key == "containers of arrays as differentiated arguments":
        layers = [(X[:2].copy(), 0.1 * X[2:]), (X[1:3] * 2.0, X[:2] + 1.0)]
        return {"layers": layers, "first": module.Layer(w=X[:2] * 0.5, b=X[1:])}
    if key == "a dict of weights as an argument":
        return {"W": X.copy(), "b": X[1:] * 2.0}
    return X.copy()


def bullets(text: str) -> list[str]:
    return [" ".join(item.split()) for item in re.findall(r"^- (.*?)(?=^- |\Z)", text, re.MULTILINE | re.DOTALL)]


def test_every_bullet_has_an_example_and_every_example_a_bullet():
    listed = bullets(SUPPORTED_TEXT)
    assert len(listed) >= 20, "the parser found the bullets"
    assert [b for b in listed if not any(b.startswith(key) for key in SUPPORTED)] == []
    assert [key for key in SUPPORTED if not any(b.startswith(key) for b in listed)] == []


@pytest.mark.parametrize("key", SUPPORTED)
def test_supported_construct_is_differentiated(key, tmp_path):
    module = write_module(tmp_path, HEADER + SUPPORTED[key])
    argument = argument_for(module, key)
    before = [leaf.copy() for leaf in leaves(argument)]
    gradient = s2sad.grad(module.f)(argument)
    assert all(
        np.array_equal(a, b) for a, b in zip(leaves(argument), before, strict=True)
    ), "the caller's arrays are untouched"
    flat = np.concatenate([np.ravel(leaf) for leaf in before])
    numeric = finite_differences.gradient(lambda v: module.f(rebuilt(argument, v, [0])), flat)
    analytic = np.concatenate([np.ravel(leaf) for leaf in leaves(gradient)])
    np.testing.assert_allclose(analytic, numeric, rtol=finite_differences.RTOL, atol=finite_differences.ATOL)


ELIF_CHAIN = (
    "def f(x):\n    if x[0] > 100.0:\n        return np.sum(x)\n"
    + "".join(f"    elif x[0] > {99.0 - k}:\n        return np.sum(x) * {k}\n" for k in range(120))
    + "    return np.sum(x * 2.0)\n"
)

# Words of an item of the refused list -> an example (the module's `f`) and its arguments (x is X).
REFUSED = {
    "dict and set comprehensions other than assigned to a name": """
def f(x):
    return len({i: x[i] for i in range(2)}) * np.sum(x)  # refused here
""",
    "a set comprehension holding a differentiated value": """
def f(x):
    s = {v * 2.0 for v in x}  # refused here
    return sum(s)
""",
    "set literals": """
def f(x):
    s = {x[0], x[1]}  # refused here
    return sum(s)
""",
    "a dict used whole or given an item inside a branch or loop": """
def f(x):
    p = {"a": x}
    for i in range(2):
        p["b"] = x * i  # refused here
    return np.sum(p["a"])
""",
    "`.items()` other than in a loop or comprehension": """
def f(x):
    p = {"a": x}
    pairs = p.items()  # refused here
    return np.sum(x) + len(pairs)
""",
    "updating a dict argument's arrays in place": (
        """
def f(p):
    p["a"][0] = 1.0  # refused here
    return np.sum(p["a"])
""",
        "({'a': x},)",
    ),
    "a lambda neither assigned to a name nor called nor passed to a function": """
def f(x):
    scales = [lambda v: v * 2.0]  # refused here
    return np.sum(scales[0](x))
""",
    "a function defined inside that calls another defined inside passed to a function": """
def f(x):
    def inner(v):
        return v * 2.0
    def outer(v):
        return inner(v) + 1.0
    return np.sum(apply(outer, x))
""",
    "`functools.partial` of a function not known where it is made or made inside a branch or loop": """
def f(x):
    total = 0.0
    for i in range(2):
        g = partial(np.multiply, 2.0)  # refused here
        total = total + np.sum(g(x))
    return total
""",
    "a function defined inside a branch or loop": """
def f(x):
    if x.size > 1:
        def g(v):  # refused here
            return v * 2.0
        return np.sum(g(x))
    return np.sum(x)
""",
    "`*args`/`**kwargs` of the differentiated function itself": """
def f(x, *rest):
    return np.sum(x)
""",
    "`with` other than `np.errstate`": """
def f(x):
    with open(os.devnull) as stream:  # refused here
        y = x * 2.0
    return np.sum(y)
""",
    "`try`": """
def f(x):
    try:  # refused here
        y = x * 2.0
    except ValueError:
        y = x
    return np.sum(y)
""",
    "bare `raise`": """
def f(x):
    if x.size == 0:
        raise  # refused here
    return np.sum(x)
""",
    "`for`/`while ... else`": """
def f(x):
    total = 0.0
    for v in x:
        total = total + v
    else:  # refused here
        total = total * 2.0
    return total
""",
    "recursion other than the kinds above": """
def f(x, n=2):
    return np.sum(x) if n == 0 else f(x * 2.0, n - 1)  # refused here
""",
    "attributes as targets": """
def f(x):
    box = types.SimpleNamespace()
    box.a = x  # refused here
    return np.sum(box.a)
""",
    "complex numbers": """
def f(x):
    return np.sum(np.abs(x * 1j))  # refused here
""",
    "items of a container argument read by a computed index when they differ in form": (
        """
def f(p, i):
    return np.sum(p[i])  # refused here
""",
        "((x, (x, x)), 0)",
    ),
    "iterating a dict held inside a container argument": (
        """
def f(p):
    total = 0.0
    for k in p["d"]:
        total = total + np.sum(p["d"][k])  # refused here: "the index depends on 'k'"
    return total
""",
        "({'d': {'a': x}},)",
    ),
    "a property of a differentiated object": (
        """
@dataclasses.dataclass
class Model:
    w: np.ndarray

    @property
    def double(self):
        return self.w * 2.0


def f(m):
    return np.sum(m.double)  # refused here
""",
        "(Model(x),)",
    ),
    "objects other than the containers above as differentiated arguments": (
        """
class Box:
    def __init__(self, w):
        self.w = w


def f(b):
    return np.sum(b.w)
""",
        "(Box(x),)",
    ),
    "`yield`": """
def f(x):
    yield np.sum(x)  # refused here
""",
    "`global`": """
def f(x):
    global SCALE  # refused here
    return np.sum(x) * SCALE
""",
    "`del`": """
def f(x):
    y = x * 2.0
    del y  # refused here
    return np.sum(x)
""",
    "imports inside the function": """
def f(x):
    import math  # refused here
    return np.sum(x) * math.pi
""",
    "joining or repeating tuples and lists": """
def f(x):
    t = (x,)
    t = t + (x * 2.0,)  # refused here
    return np.sum(t[1])
""",
    "a differentiated value in an index": """
def f(x):
    return x[x[0]]  # refused here
""",
    "a shape": """
def f(x):
    return np.sum(x.reshape((x[1], 2)))  # refused here
""",
    "an option (`axis`, `ord`, `sum`'s `start`)": """
def f(x):
    return np.sum(np.sum(x, axis=x[0]))  # refused here
""",
    "the ranges of `np.s_`": """
def f(x):
    return np.sum(x[np.s_[: x[2]]])  # refused here
""",
    "`np.index_exp`": """
def f(x):
    return np.sum(x[np.index_exp[: x[2]]])  # refused here
""",
    "`np.ogrid`": """
def f(x):
    return np.sum(np.ogrid[0 : x[2]] * x[0])  # refused here
""",
    "`np.mgrid`": """
def f(x):
    return np.sum(np.mgrid[0 : x[2]] * x[0])  # refused here
""",
    "and `np.r_` (no derivative flows through them)": """
def f(x):
    return np.sum(np.r_[0 : x[2]] * x[0])  # refused here
""",
    "directive strings in `np.r_`/`np.c_`": """
def f(x):
    return np.sum(np.r_["0,2", x, x])  # refused here
""",
    "returning `None` or a string": """
def f(x):
    y = np.sum(x)
    return None  # refused here
""",
    "code whose derivative would nest blocks deeper than Python allows": ELIF_CHAIN,
    "anything a rule does not cover": """
def f(x):
    return np.sum(np.fft.fft(x).real)  # refused here
""",
    "refused as targets at the line that defines them": (
        """
class Model:
    def energy(self, x):  # refused here
        return np.sum(x)


f = Model().energy
""",
        "(x,)",
    ),
}


def items(text: str) -> list[str]:
    """The refused list's items: split at the commas outside parentheses and brackets."""
    found, depth, item = [], 0, ""
    for character in " ".join(text.split()):
        depth += (character in "([") - (character in ")]")
        if character == "," and depth == 0:
            found.append(item.strip())
            item = ""
        else:
            item += character
    return found + [item.strip()]


def test_every_refusal_has_an_example_and_every_example_a_refusal():
    listed = items(REFUSED_TEXT)
    assert len(listed) >= 30, "the parser found the list"
    assert [item for item in listed if not any(key in item for key in REFUSED)] == []
    assert [key for key in REFUSED if key not in " ".join(REFUSED_TEXT.split())] == []


NOT_LOCATED: set[str] = set()  # refused, but the message names no line yet


@pytest.mark.parametrize(
    "key",
    [
        (
            pytest.param(key, marks=pytest.mark.xfail(strict=True, reason="refused without a place"))
            if key in NOT_LOCATED
            else key
        )
        for key in REFUSED
    ],
)
def test_refused_construct_is_refused_where_it_is(key, tmp_path):
    source, arguments = REFUSED[key] if isinstance(REFUSED[key], tuple) else (REFUSED[key], "(x,)")
    module = write_module(tmp_path, HEADER + source)
    with pytest.raises(s2sad.S2SADError) as refusal:
        s2sad.grad(module.f)(*eval(arguments, vars(module), {"x": X.copy()}))
    origin = refusal.value.origin
    assert origin is not None and Path(origin.path).name == Path(module.__file__).name, str(refusal.value)
    lines = (HEADER + source).splitlines()
    marked = [number for number, line in enumerate(lines, 1) if "# refused here" in line]
    assert origin.line in marked or not marked, str(refusal.value)
