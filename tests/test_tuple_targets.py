"""Tuples unpacked into parts of arrays made in the function (issue 21): ``a[i], a[j] = f(x)``, swaps
``a[i], a[j] = a[j], a[i]``, mixed and nested targets. Python computes the whole right side, then assigns
the targets left to right; with views on the right (``a[0], a[1] = a[1], a[0]`` on rows) that is not a
swap, and the derivative must be the derivative of what Python computes. Each case is checked against
central finite differences of the plain function, in both modes, on the derivative for any arguments and
on the one specialized to them (made at the second call).
"""

import re
import textwrap

import numpy as np
import pytest

import s2sad
from tests.support import numeric_vjp, write_module

CASES = {
    "a-helper's-tuple-into-two-items": """
        def helper(v):
            return np.sin(v), v * 2.0

        def f(x):
            a = np.zeros_like(x)
            a[0], a[1] = helper(x[0])
            return np.sum(a * x)
    """,
    "numpy's-tuple-into-two-items": """
        def f(x):
            m = np.outer(x, x) + np.eye(4) * 3.0
            a = np.zeros_like(x)
            a[0], a[1] = np.linalg.slogdet(m)
            return np.sum(a * x)
    """,
    "numpy's-tuple-into-a-row-and-a-block": """
        def f(x):
            m = np.outer(x, x) + np.diag(x)
            out = np.zeros((5, 4))
            out[0], out[1:] = np.linalg.eigh(m)
            return np.sum(out * np.arange(20.0).reshape(5, 4))
    """,
    "the-lstm's-two-states-in-a-loop": """
        def cell(h, c, w):
            g = np.tanh(h * w + c)
            return g * 0.5, c + g

        def f(x):
            s = np.zeros((6, 4))
            s[0] = x
            s[1] = x * 0.3
            for i in range(0, 4, 2):
                s[i + 2], s[i + 3] = cell(s[i], s[i + 1], x[i // 2])
            return np.sum(s * s)
    """,
    "items-of-two-arrays": """
        def f(x):
            a = np.zeros_like(x)
            b = np.ones_like(x)
            i, j = 1, 2
            a[i], b[j] = x[0] ** 2, np.sin(x[1])
            return np.sum(a * b * x)
    """,
    "an-item-and-a-name": """
        def f(x):
            a = x * 1.0
            a[1], s = x[0] ** 2, np.sin(x[1])
            return np.sum(a * x) * s
    """,
    "nested-targets": """
        def f(x):
            a = x * 1.0
            (a[1], b), c = (x[0] ** 2, x[2]), np.sin(x[1])
            return np.sum(a * x) * b + c
    """,
    "the-index-bound-first-is-the-one-used": """
        def f(x):
            a = x * 1.0
            i = 0
            i, a[i] = 2, x[1] ** 2
            return np.sum(a * x) + i
    """,
    "a-swap-of-two-items": """
        def f(x):
            a = x * 2.0
            i, j = 0, 2
            a[i], a[j] = a[j], a[i]
            return np.sum(a * np.arange(1.0, 5.0) * x)
    """,
    "a-swap-with-i-equal-to-j": """
        def f(x):
            a = x * 2.0
            i = j = 1
            a[i], a[j] = a[j] * x[0], a[i]
            return np.sum(a * np.arange(1.0, 5.0) * x)
    """,
    "the-same-item-twice-keeps-the-last": """
        def f(x):
            a = x * 2.0
            a[0], a[0] = x[1], x[2]
            return np.sum(a * np.arange(1.0, 5.0) * x)
    """,
    "rows-through-views-are-not-swapped": """
        def f(x):
            a = np.outer(x[:3], x) * 1.0
            a[0], a[1] = a[1], a[0]
            return np.sum(a * np.arange(12.0).reshape(3, 4)) + np.sum(a[0] * x)
    """,
    "rows-of-the-same-index-through-views": """
        def f(x):
            a = np.outer(x[:3], x) * 1.0
            i = j = 1
            a[i], a[j] = a[j] * x[0], a[i]
            return np.sum(a * np.arange(12.0).reshape(3, 4))
    """,
    "rows-copied-are-swapped": """
        def f(x):
            a = np.outer(x[:3], x) * 1.0
            a[0], a[1] = a[1].copy(), a[0].copy()
            return np.sum(a * np.arange(12.0).reshape(3, 4))
    """,
    "columns-through-the-transpose": """
        def f(x):
            a = np.outer(x, x[:3]) * 1.0
            a.T[0], a.T[2] = a.T[2], a.T[0]
            return np.sum(a * np.arange(12.0).reshape(4, 3))
    """,
    "a-row-seen-by-another-name": """
        def f(x):
            a = np.outer(x[:2], x) * 1.0
            r = a[0]
            a[0], a[1] = a[1] * 2.0, a[0]
            return np.sum(r * x) + np.sum(a * a)
    """,
    "the-rows-of-an-array-unpacked": """
        def f(x):
            a = np.zeros((2, 4))
            m = np.outer(x[:2], x)
            a[1], a[0] = m
            return np.sum(a * np.arange(8.0).reshape(2, 4))
    """,
    "items-of-a-dict": """
        def f(x):
            d = {"a": x[0], "b": x[1]}
            d["a"], d["b"] = d["b"] * 2.0, d["a"]
            return d["a"] * x[2] + d["b"]
    """,
    "a-copy-updated-after-its-source-is": """
        def f(x):
            a = x * 1.0
            b = a[1:].copy()
            a[1] = 0.0
            return np.sum(b * x[1:]) + np.sum(a)
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_both_modes_match_finite_differences(name, tmp_path):
    module = write_module(tmp_path, "import numpy as np\n" + textwrap.dedent(CASES[name]))
    rng = np.random.default_rng(sum(map(ord, name)))
    x = rng.uniform(0.2, 2.0, size=4)
    expected = numeric_vjp(lambda v: module.f(v.copy()), [x], (0,), 1.0)[0]
    direction = rng.normal(size=4)
    gradient, tangent = s2sad.grad(module.f), s2sad.jvp(module.f)
    for _ in range(3):  # the derivative for any arguments, then the one specialized to these
        np.testing.assert_allclose(gradient(x.copy()), expected, rtol=1e-6, atol=1e-8)
        value, along = tangent(x.copy(), direction)
        assert value == pytest.approx(module.f(x.copy()), rel=1e-12)
        assert along == pytest.approx(float(expected @ direction), rel=1e-6, abs=1e-8)


def test_the_same_item_assigned_twice_keeps_the_last_value(tmp_path):
    module = write_module(
        tmp_path,
        """
        import numpy as np


        def g(x):
            a = x * 1.0
            a[0], a[0] = 1.0, 2.0
            return a
        """,
    )
    x = np.array([0.5, 1.5, -0.7, 2.0])
    value, tangent = s2sad.jvp(module.g)(x, np.ones(4))
    np.testing.assert_array_equal(value, [2.0, 1.5, -0.7, 2.0])
    np.testing.assert_array_equal(tangent, [0.0, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(s2sad.vjp(module.g)(x, np.ones(4)), [0.0, 1.0, 1.0, 1.0])


@pytest.mark.parametrize(
    "body, message, column",
    [
        ("a = x * 1.0\n    a[0], *rest = x[1], x[2], x[3]\n    return a", "starred assignment targets", 11),
        ("a = x * 1.0\n    a[0], a.real = x[1], x\n    return a", "assignment into an attribute", 11),
        ("a = [x[0], x[1]]\n    a[0], a[1] = a[1], a[0]\n    return a[0]", "assigning into 'a'", 5),
        ("a = x * 1.0\n    for a[0], b in zip(x, x):\n        pass\n    return a", "a subscript as a loop target", 9),
    ],
)
def test_what_stays_refused_is_located(body, message, column, tmp_path):
    module = write_module(tmp_path, f"import numpy as np\n\n\ndef f(x):\n    {body}\n")
    with pytest.raises(s2sad.S2SADError, match=message) as raised:
        s2sad.grad(module.f)
    assert re.match(rf"{re.escape(str(module.__file__))}:6:{column}: error: ", str(raised.value))
