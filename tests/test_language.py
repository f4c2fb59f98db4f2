"""Reverse mode on the straight-line language, against central finite differences in float64.

Each case is a small user module defining ``f``: assignments of every form,
parameters, globals and imports, array methods and attributes, indexing reads,
constants, and the usual small models. Every case is compiled once, then run
on a few random inputs of each of its shapes, and checked for:

- gradients (or, for array outputs, vector-Jacobian products with a random
  ``d_out``) that match finite differences, each shaped like its argument, a
  float for a Python float;
- no gradient that is one of the caller's arrays, and inputs left unchanged;
- the same result when the generated function is called again;
- ``value_and_grad``'s value equal to what the function returns.

Each case once exposed a bug or guards a construct worth keeping (they were
found by writing these tests; all are fixed).
"""

from __future__ import annotations

import dataclasses
import inspect
import textwrap

import numpy as np
import pytest

import s2sad
from tests.support import assert_gradients_close, numeric_vjp, random_value, write_module, positions, as_tuple

SEEDS = 2  # random inputs per shape

HEADER = "import math\nimport numpy as np\n\n"


@dataclasses.dataclass(frozen=True)
class Fixed:
    """An argument passed as is and never differentiated (an index, a mask, data)."""

    value: object


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    source: str  # a module defining f (math and numpy as np are imported already)
    shapes: tuple  # dicts, each parameter -> shape (None: a Python float) or Fixed
    wrt: int | str | tuple
    domain: dict = dataclasses.field(default_factory=dict)  # parameter -> domain of tests.support.random_value
    vjp: bool = False  # the output is an array: check the vjp with a random d_out


def case(id, source, shapes, wrt=0, **options):
    return Case(id, textwrap.dedent(source), tuple(shapes), wrt, **options)


CASES = [
    # -- assignment forms --------------------------------------------------------------------
    case(
        "tuple-unpacking",
        """
        def f(x, y):
            a, b = x * 2.0, y + 1.0
            return np.sum(a * b)
        """,
        [dict(x=(3,), y=(3,)), dict(x=(2, 3), y=(3,))],
        (0, 1),
    ),
    case(
        "list-unpacking",
        """
        def f(x, y):
            [a, b] = [np.sin(x), y * y]
            return np.sum(a * b)
        """,
        [dict(x=(4,), y=(4,))],
        (0, 1),
    ),
    case(
        # A list's items need not share a shape: each item's adjoint is unbroadcast to its own.
        "list-items-of-different-shapes",
        """
        def f(x, y):
            hs = [x, y]
            grown = []
            grown.append(y)
            grown.append(x)
            return np.sum(hs[0] * hs[1]) + np.sum(grown[1] * grown[0])
        """,
        [dict(x=(3,), y=(2, 3)), dict(x=None, y=(2,))],
        (0, 1),
    ),
    case(
        # The tuples eigh and qr return: their parts by name and by position, and parts updated in
        # place once nothing reads the tuple (refused before that: tests/test_errors.py).
        "parts-of-factorizations-by-name-and-updated-in-place",
        """
        def f(a):
            res = np.linalg.eigh(a)
            total = np.sum(res.eigenvalues * res.eigenvectors[1] ** 2) + np.sum(res[1][0])
            w, v = res
            v[0] = 0.0
            w *= 2.0
            q, r = np.linalg.qr(a)
            r[0, 0] = 1.0
            return total + np.sum(v[1] ** 2 * w) + np.sum(q * r[0])
        """,
        [dict(a=(3, 3)), dict(a=(4, 4))],
        domain={"a": "spd"},
    ),
    case(
        # np.split's pieces are views: updates through a piece, or through the array, reach the other.
        "updates-through-split-pieces-and-their-array",
        """
        def f(x):
            y = x * 1.0
            a, b = np.split(y, 2)
            a[0] = np.sin(b[1])
            pieces = np.array_split(y, 3)
            head = np.sum(pieces[0] ** 3)
            pieces[2][0] = 5.0
            y[1] = 3.0 * b[0]
            return np.sum(y ** 2) + np.sum(a * b) + head
        """,
        [dict(x=(4,)), dict(x=(6,))],
    ),
    case(
        # np.array of an array is a new array: updating it leaves x alone; np.stack of an array stacks its rows.
        "np-array-and-np-stack-of-an-array",
        """
        def f(x):
            b = np.array(x, dtype=float)
            b[0] = 1.0
            rows = np.stack(np.outer(x, b), axis=1)
            return np.sum(b * x) + np.sum(rows * np.arange(rows.size).reshape(rows.shape))
        """,
        [dict(x=(3,)), dict(x=(1,))],
    ),
    case(
        # np.put_along_axis into an array the function made: an update through numpy's own index.
        "put-along-axis-into-an-array-made-here",
        """
        def f(x):
            y = np.ones((3, 4))
            np.put_along_axis(y, np.array([[0], [3], [1]]), x[:, None] ** 2, axis=1)
            z = np.zeros(5)
            np.put_along_axis(z, np.array([4, 0]), np.sin(x[:2]), None)
            return np.sum(y * np.arange(12.0).reshape(3, 4)) + np.sum(z * z)
        """,
        [dict(x=(3,))],
    ),
    case(
        "swap-locals",
        """
        def f(x, y):
            a = x * 1.5
            b = np.cos(y)
            a, b = b, a
            return np.sum(a * 3.0 + b * b)
        """,
        [dict(x=(3,), y=(3,))],
        (0, 1),
    ),
    case(
        "swap-parameters",
        """
        def f(x, y):
            x, y = y, x
            return np.sum(x * 2.0 - y ** 2)
        """,
        [dict(x=(3,), y=(3,)), dict(x=None, y=None)],
        (0, 1),
    ),
    case(
        "chained-assignment",
        """
        def f(x):
            a = b = x * 2.0
            return np.sum(a * b + b)
        """,
        [dict(x=(3,)), dict(x=None)],
    ),
    case(
        "chained-assignment-three",
        """
        def f(x):
            a = b = c = np.sin(x)
            return np.sum(a + 2.0 * b + 3.0 * c)
        """,
        [dict(x=(2, 2))],
    ),
    case(
        "augmented-floats",
        """
        def f(x, y):
            s = x
            s += y
            s -= 0.5 * x
            s *= y
            s /= 1.0 + x * x
            s **= 2
            return s
        """,
        [dict(x=None, y=None)],
        (0, 1),
    ),
    case(
        "augmented-arrays",
        """
        def f(x, y):
            s = x * 1.0
            s += y
            s -= 0.5 * x
            s *= y
            s /= 1.0 + x * x
            s **= 2
            return np.sum(s)
        """,
        [dict(x=(4,), y=(4,)), dict(x=(2, 3), y=(3,)), dict(x=(3,), y=None)],
        (0, 1),
    ),
    case(
        "augmented-parameter",
        """
        def f(x, w):
            x += w
            x *= x
            x /= 2.0
            x -= w
            x **= 3
            return x
        """,
        [dict(x=None, w=None)],
        (0, 1),
    ),
    case(
        "augmented-matmul",
        """
        def f(x, w):
            h = x @ w
            h @= w
            h @= w.T
            return np.sum(np.tanh(h))
        """,
        [dict(x=(2, 3), w=(3, 3))],
        (0, 1),
    ),
    case(
        "reassigned-parameter",
        """
        def f(x, w):
            x = x * w
            x = np.sin(x)
            x = x + w
            x = x * x
            return np.sum(x)
        """,
        [dict(x=(3,), w=(3,)), dict(x=(2, 3), w=(3,)), dict(x=None, w=None)],
        (0, 1),
    ),
    case(
        "reassigned-local",
        """
        def f(x, w):
            h = x * w
            h = np.tanh(h)
            h = h * w + x
            h = np.exp(-h)
            h = h / (1.0 + h)
            return np.sum(h)
        """,
        [dict(x=(5,), w=(5,)), dict(x=(2, 2), w=None)],
        (0, 1),
    ),
    case(
        "value-used-many-times",
        """
        def f(x):
            return np.sum(x * x * x + x + x - x / (1.0 + x * x))
        """,
        [dict(x=(4,)), dict(x=None)],
    ),
    case(
        "shared-intermediate",
        """
        def f(x):
            y = np.exp(x)
            z = y * y + y / (1.0 + y)
            return np.sum(z * y + y)
        """,
        [dict(x=(3,)), dict(x=(2, 2))],
    ),
    case(
        "copies",
        """
        def f(x, w):
            y = x
            x = y
            z = x * w
            return np.sum(x * y * z)
        """,
        [dict(x=(3,), w=(3,))],
        (0, 1),
    ),
    case(
        "docstring-annotation-semicolons-pass",
        """
        def f(x, y):
            \"\"\"A docstring.\"\"\"
            a: float = x * y; b = a + x
            pass
            return np.sum(a * b)
        """,
        [dict(x=(3,), y=(3,))],
        (0, 1),
    ),
    case(
        "parameter-overwritten-unused",
        """
        def f(x, y):
            x = y * 2.0
            return np.sum(x * x)
        """,
        [dict(x=(2,), y=(3,)), dict(x=None, y=(3,))],
        (0, 1),
    ),
    case(
        "parameter-overwritten-after-use",
        """
        def f(x, y):
            z = x * 2.0
            x = y * 1.0
            return np.sum(z * x)
        """,
        [dict(x=None, y=(3,))],
        (0, 1),
    ),
    case(
        "parameter-overwritten-after-use-by-same-shape",
        """
        def f(x, w):
            y = x * w
            x = np.cos(y)
            return np.sum(x * y)
        """,
        [dict(x=(3,), w=(3,)), dict(x=None, w=None)],
        (0, 1),
    ),
    case(
        "no-dependence",
        """
        def f(x, y, a):
            return np.sum(y) * x.shape[0] + len(x)
        """,
        [dict(x=(3,), y=(2,), a=None)],
        (0, 1, 2),
    ),
    case(
        "user-names-like-generated-ones",
        """
        def f(x, d_x):
            _t1 = x * d_x
            tape = np.sin(_t1)
            result = tape * x
            np_1 = result + d_x
            _rt = np_1 * 2.0
            _s2sad_n1 = _rt - x
            d_result = _s2sad_n1 * _s2sad_n1
            return np.sum(d_result)
        """,
        [dict(x=(3,), d_x=(3,))],
        (0, 1),
    ),
    case(
        "returned-parameter-reassigned",
        """
        def f(a, b):
            a = a * b
            a = a + math.sin(a)
            return a
        """,
        [dict(a=None, b=None)],
        (0, 1),
    ),
    case(
        "returned-parameter",
        """
        def f(a, b):
            return a
        """,
        [dict(a=None, b=None), dict(a=(), b=None)],
        (0, 1),
    ),
    # -- parameters ----------------------------------------------------------------------------
    case(
        "defaults-given",
        """
        EPS = 1e-3

        def f(x, w=2.0, b=EPS, c=np.pi):
            return np.sum(np.sin(w * x) + b * x * x) * c
        """,
        [dict(x=(3,), w=None, b=None, c=None)],
        ("x", "w", "b", "c"),
    ),
    case(
        "float-parameters",
        """
        def f(a, b, x):
            return np.sum(np.sin(a * x) + b * x ** 2) * a + a * b
        """,
        [dict(a=None, b=None, x=(3,)), dict(a=None, b=None, x=None)],
        (0, 1, 2),
    ),
    case(
        "zero-d-arrays",
        """
        def f(a, x):
            return a * np.sum(x * a) + np.exp(a)
        """,
        [dict(a=(), x=(3,))],
        (0, 1),
    ),
    # -- globals, closures, imports --------------------------------------------------------------
    case(
        "module-constants",
        """
        EPS = 1e-3
        SCALE = np.array([1.0, 2.0, 3.0])

        def f(x):
            return np.sum(np.log(x * x + EPS) * SCALE)
        """,
        [dict(x=(3,)), dict(x=(2, 3))],
    ),
    case(
        "closure",
        """
        def make(scale, offset):
            def f(x):
                return np.sum(np.sin(x) * scale + offset * x * x)
            return f

        f = make(np.array([0.5, -1.0, 2.0]), 0.25)
        """,
        [dict(x=(3,)), dict(x=(2, 3))],
    ),
    case(
        "closure-over-imported-function",
        """
        def make():
            from numpy import tanh as act
            def f(x, w):
                return np.sum(act(x @ w))
            return f

        f = make()
        """,
        [dict(x=(2, 3), w=(3, 2))],
        (0, 1),
    ),
    case(
        "from-numpy-import-as",
        """
        from numpy import exp, sqrt, sum as npsum

        def f(x, y):
            return npsum(exp(-x) * sqrt(y))
        """,
        [dict(x=(3,), y=(3,))],
        (0, 1),
        domain=dict(y="positive"),
    ),
    case(
        "import-numpy-linalg-as",
        """
        import numpy.linalg as la

        def f(x, w):
            return la.norm(x) + la.norm(x @ w)
        """,
        [dict(x=(3,), w=(3, 2)), dict(x=(2, 3), w=(3, 3))],
        (0, 1),
    ),
    case(
        "import-numpy-unaliased",
        """
        import numpy

        def f(x):
            return numpy.sum(numpy.exp(x) * numpy.pi)
        """,
        [dict(x=(3,))],
    ),
    case(
        "math-on-python-floats",
        """
        def f(a, b):
            s = math.exp(a) * math.sin(b) + math.sqrt(a * a + 1.0) - math.log(b)
            return s + math.tanh(a * b) + math.pow(a, 2.0) + math.cos(a) / (2.0 + math.pi)
        """,
        [dict(a=None, b=None)],
        (0, 1),
        domain=dict(b="positive"),
    ),
    case(
        "from-math-import",
        """
        from math import exp as mexp, pi, sin

        def f(a):
            return mexp(a) * pi + sin(a) * a
        """,
        [dict(a=None)],
    ),
    # -- array methods and attributes ---------------------------------------------------------------
    case(
        "method-sum-axis",
        """
        def f(x):
            return np.sum(x.sum(axis=1) ** 2) + x.sum()
        """,
        [dict(x=(2, 3)), dict(x=(4, 2))],
    ),
    case(
        "method-mean",
        """
        def f(x):
            return x.mean() + np.sum(x.mean(axis=0) ** 2)
        """,
        [dict(x=(2, 3)), dict(x=(5,))],
    ),
    case(
        "method-on-parenthesized-expression",
        """
        def f(x):
            return (x * x).mean()
        """,
        [dict(x=(2, 3))],
    ),
    case(
        "attribute-T",
        """
        def f(x, y):
            return np.sum(np.sin(x.T @ y)) + np.sum(x.T.T * x)
        """,
        [dict(x=(3, 2), y=(3, 4))],
        (0, 1),
    ),
    case(
        "method-reshape",
        """
        def f(x, w):
            a = x.reshape(2, 3) * w
            b = x.reshape((3, 2)).sum(axis=0)
            return np.sum(a ** 2) + np.sum(b * b) + np.sum(x.reshape(-1) ** 3)
        """,
        [dict(x=(6,), w=(3,)), dict(x=(3, 2), w=(2, 1))],
        (0, 1),
    ),
    case(
        "method-dot",
        """
        def f(x, y):
            return x.dot(y) + x.dot(x)
        """,
        [dict(x=(4,), y=(4,))],
        (0, 1),
    ),
    case(
        "method-dot-matrix",
        """
        def f(x, y):
            return np.sum(np.tanh(x.dot(y)))
        """,
        [dict(x=(2, 3), y=(3,)), dict(x=(2, 3), y=(3, 2))],
        (0, 1),
    ),
    case(
        "method-max-axis",
        """
        def f(x, w):
            return np.sum(x.max(axis=0) * w) + x.max()
        """,
        [dict(x=(3, 4), w=(4,))],
        (0, 1),
    ),
    case(
        "more-methods",
        """
        def f(x):
            a = x.min(axis=1, keepdims=True) * x.prod()
            c = x.clip(-0.5, 0.5)
            d = x.copy()
            b = c.ravel() + d.ravel() + x.flatten()
            return np.sum(a) + np.sum(b * b) + np.sum(x.transpose() ** 2) + np.sum(x.transpose(1, 0)[0])
        """,
        [dict(x=(2, 3))],
    ),
    case(
        "method-on-expression",
        """
        def f(x, w):
            return (x * w).sum(axis=0).mean() + (x - w).T.dot(w).sum()
        """,
        [dict(x=(3, 3), w=(3,))],
        (0, 1),
    ),
    case(
        "method-on-call-result",
        """
        def f(x):
            return np.sum(x.clip(-0.5, 0.5).ravel() ** 2) + np.sum(x.reshape(3, 2).T ** 3)
        """,
        [dict(x=(2, 3))],
    ),
    case(
        "builtin-named-method-on-call-result",
        """
        def f(x, w):
            return (x * w).sum(axis=0).max() + x.sum(axis=1).min() + (x - w).round().sum()
        """,
        [dict(x=(2, 3), w=(3,))],
        (0, 1),
    ),
    case(
        "shape-in-arithmetic",
        """
        def f(x):
            return np.sum(x) / x.shape[0] + np.sum(x * x) / (x.shape[0] * x.shape[-1]) + x.size * x.ndim * np.mean(x)
        """,
        [dict(x=(2, 3)), dict(x=(4,))],
    ),
    case(
        "len",
        """
        def f(x):
            n = len(x)
            return np.sum(x * x) / len(x) + np.sum(x) * (n - 1)
        """,
        [dict(x=(5,)), dict(x=(3, 2))],
    ),
    case(
        "squeeze-and-abs",
        """
        def f(x):
            return np.sum(abs(x.squeeze()) * 2.0)
        """,
        [dict(x=(1, 3))],
        domain=dict(x="nonzero"),
    ),
    case(
        "float-and-np-copy",
        """
        def f(x):
            y = np.copy(x)
            return float(np.sum(x * y)) * 2.0
        """,
        [dict(x=(3,))],
    ),
    case(
        "np-full-with-int-shape",
        """
        def f(a, x):
            return np.sum(np.full(3, a) * x)
        """,
        [dict(a=None, x=(3,)), dict(a=(), x=(3,))],
        (0, 1),
    ),
    # -- indexing reads ------------------------------------------------------------------------
    case(
        "index-first-last",
        """
        def f(x):
            return np.sum(x[0] * x[-1])
        """,
        [dict(x=(4,)), dict(x=(3, 2))],
    ),
    case(
        "index-slice-step",
        """
        def f(x):
            return np.sum(x[1:4:2] ** 2) + np.sum(x[::-1] * x) + np.sum(x[-2:])
        """,
        [dict(x=(6,)), dict(x=(5, 2))],
    ),
    case(
        "index-column",
        """
        def f(x):
            return np.sum(x[:, 0] * x[:, -1]) + x[0, 1] * x[1, 2]
        """,
        [dict(x=(3, 4))],
    ),
    case(
        "index-ellipsis",
        """
        def f(x):
            return np.sum(x[..., 1] ** 2)
        """,
        [dict(x=(2, 3, 4)), dict(x=(3, 2))],
    ),
    case(
        "index-repeated-integers",
        """
        def f(x, idx):
            return np.sum(x[idx] ** 2) + np.sum(x[[0, 2, 2]] * 3.0)
        """,
        [dict(x=(4,), idx=Fixed(np.array([0, 2, 2, 1, 0]))), dict(x=(3, 2), idx=Fixed(np.array([1, 1, 2])))],
    ),
    case(
        "index-mask",
        """
        def f(x):
            return np.sum(x[x > 0] ** 2) + np.sum(x[x < 0])
        """,
        [dict(x=(6,)), dict(x=(3, 3))],
    ),
    case(
        "index-int-parameter",
        """
        def f(x, i):
            return x[i] * 2.0 + x[i - 1] * x[i] + np.sum(x[i:i + 2])
        """,
        [dict(x=(5,), i=Fixed(2)), dict(x=(4,), i=Fixed(-1))],
    ),
    case(
        "index-nested",
        """
        def f(x):
            return x[1:][0] * x[1:][-1] + np.sum(x[1:][::2])
        """,
        [dict(x=(5,))],
    ),
    case(
        "index-newaxis",
        """
        def f(x, y):
            return np.sum((x[:, np.newaxis] - y[np.newaxis, :]) ** 2) + np.sum(x[None, 1] * x[:, None])
        """,
        [dict(x=(3,), y=(4,))],
        (0, 1),
    ),
    case(
        "index-argmax",
        """
        def f(x):
            return x[np.argmax(x)] * 2.0 + x[np.argmin(x)]
        """,
        [dict(x=(5,))],
    ),
    case(
        "index-with-shape-and-masks",
        """
        def f(x):
            r = x.reshape(x.shape[0], -1)
            inside = (r > -0.5) & (r < 0.5)
            return np.sum(r * inside) + np.sum(r[~inside] ** 2) + r[len(r) - 1, 0] + np.sum(x[:, np.newaxis, :] * 2.0)
        """,
        [dict(x=(2, 3)), dict(x=(3, 2))],
    ),
    # -- constants and literals ------------------------------------------------------------------
    case(
        "numpy-and-math-constants",
        """
        def f(x):
            return np.sum(np.sin(np.pi * x) + np.e * x - math.pi) + math.tau * np.sum(x)
        """,
        [dict(x=(3,)), dict(x=None)],
    ),
    case(
        "literals",
        """
        def f(x):
            return np.sum(-1 * x + 2**3 * x ** 2 - x ** -1 + 1e-3 / x + 1_000.0 * x - -2 * x + 7 // 2 * x)
        """,
        [dict(x=(3,)), dict(x=None)],
        domain=dict(x="positive"),
    ),
    case(
        "hex-literal",
        """
        def f(x):
            return np.sum(x * 0x2 + x * 0b11)
        """,
        [dict(x=(3,))],
    ),
    case(
        "precedence",
        """
        def f(a, b, c):
            s = a - (b - c) + a / (b * c) - a / b / c + (a + b) * (a - b) - (a - b) ** 2
            t = -a ** 2 + (-a) ** 2 + 2.0 ** -a + b ** c ** 2 - (-(a - b)) + (a + 1.0) ** -1
            return np.sum(s * t)
        """,
        [dict(a=(3,), b=(3,), c=(3,)), dict(a=None, b=None, c=None)],
        (0, 1, 2),
        domain=dict(a="positive", b="positive", c="positive"),
    ),
    case(
        "powers-with-parameter-exponents",
        """
        def f(x, p):
            return np.sum(x ** p + p ** x + np.power(x, 2.5) + +x * (+2.0))
        """,
        [dict(x=(3,), p=None), dict(x=(3,), p=(3,))],
        (0, 1),
        domain=dict(x="positive", p="positive"),
    ),
    case(
        "global-array-and-int-arithmetic",
        """
        W = np.array([[1.0, -2.0], [0.5, 3.0], [2.0, 0.0]])

        def f(x, n):
            return np.sum(np.tanh(W @ x) * (n + 1)) / (2 * n) + np.sum(x ** n)
        """,
        [dict(x=(2,), n=Fixed(3))],
    ),
    # -- models and compositions ----------------------------------------------------------------
    case(
        "softmax",
        """
        def f(x):
            e = np.exp(x - np.max(x, axis=-1, keepdims=True))
            return e / np.sum(e, axis=-1, keepdims=True)
        """,
        [dict(x=(5,)), dict(x=(2, 4))],
        vjp=True,
    ),
    case(
        "logsumexp",
        """
        def f(x):
            m = np.max(x)
            return m + np.log(np.sum(np.exp(x - m)))
        """,
        [dict(x=(5,)), dict(x=(2, 3))],
    ),
    case(
        "layer-norm-np-mean",
        """
        EPS = 1e-5

        def f(x, g, b):
            mu = np.mean(x, axis=-1, keepdims=True)
            c = x - mu
            var = np.mean(c * c, axis=-1, keepdims=True)
            return c / np.sqrt(var + EPS) * g + b
        """,
        [dict(x=(2, 5), g=(5,), b=(5,)), dict(x=(4,), g=None, b=None)],
        (0, 1, 2),
        vjp=True,
    ),
    case(
        "layer-norm",
        """
        EPS = 1e-5

        def f(x, g, b):
            mu = x.mean(axis=-1, keepdims=True)
            var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
            return (x - mu) / np.sqrt(var + EPS) * g + b
        """,
        [dict(x=(2, 5), g=(5,), b=(5,)), dict(x=(4,), g=None, b=None)],
        (0, 1, 2),
        vjp=True,
    ),
    case(
        "cosine-similarity",
        """
        def f(x, y):
            return np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y))
        """,
        [dict(x=(4,), y=(4,))],
        (0, 1),
    ),
    case(
        "gaussian-kernel",
        """
        def f(x):
            return np.exp(-((x[:, None] - x[None, :]) ** 2))
        """,
        [dict(x=(4,))],
        vjp=True,
    ),
    case(
        "gaussian-kernel-2d",
        """
        def f(x, s):
            d = x[:, None, :] - x[None, :, :]
            return np.exp(-np.sum(d ** 2, axis=-1) / (2.0 * s ** 2))
        """,
        [dict(x=(3, 2), s=None)],
        (0, 1),
        domain=dict(s="positive"),
        vjp=True,
    ),
    case(
        "polynomial",
        """
        def f(c, x):
            return np.sum(c[0] + c[1] * x + c[2] * x ** 2 + c[3] * x ** 3)
        """,
        [dict(c=(4,), x=(5,)), dict(c=(4,), x=None)],
        (0, 1),
    ),
    case(
        "horner",
        """
        def f(c, x):
            p = c[3]
            p = p * x + c[2]
            p = p * x + c[1]
            p = p * x + c[0]
            return p
        """,
        [dict(c=(4,), x=(5,))],
        (0, 1),
        vjp=True,
    ),
    case(
        "logistic-regression",
        """
        def f(w, b, X, y):
            z = X @ w + b
            p = 1.0 / (1.0 + np.exp(-z))
            return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        """,
        [
            dict(
                w=(3,),
                b=None,
                X=Fixed(np.linspace(-1.0, 1.0, 12).reshape(4, 3)),
                y=Fixed(np.array([0.0, 1.0, 1.0, 0.0])),
            )
        ],
        ("w", "b"),
    ),
    case(
        "mlp",
        """
        def f(W1, b1, W2, x, t):
            h = np.tanh(x @ W1 + b1)
            return np.sum((h @ W2 - t) ** 2)
        """,
        [dict(W1=(3, 4), b1=(4,), W2=(4, 2), x=(5, 3), t=(5, 2))],
        (0, 1, 2, 3, 4),
    ),
    case(
        "stack-concatenate-where",
        """
        def f(x, y):
            s = np.stack([x, y * 2.0])
            c = np.concatenate([x, s[1]])
            return np.sum(np.where(c > 0, c, 0.1 * c) ** 2) + np.sum(np.maximum(x, y))
        """,
        [dict(x=(3,), y=(3,))],
        (0, 1),
    ),
    # -- vector outputs ----------------------------------------------------------------------------
    case(
        "vjp-elementwise-broadcast",
        """
        def f(x, y):
            return np.sin(x) * y + x[:, None] * y[None, :]
        """,
        [dict(x=(3,), y=(3,))],
        (0, 1),
        vjp=True,
    ),
    case(
        "vjp-reshape-transpose",
        """
        def f(x, w):
            r = x.reshape(3, 2)
            return r.T @ w * 2.0
        """,
        [dict(x=(6,), w=(3,))],
        (0, 1),
        vjp=True,
    ),
    case(
        "vjp-index",
        """
        def f(x, idx):
            return x[idx] * 3.0
        """,
        [dict(x=(4,), idx=Fixed(np.array([3, 0, 0, 2])))],
        vjp=True,
    ),
    case(
        "vjp-sum",
        """
        def f(x, y):
            return x + y
        """,
        [dict(x=(3,), y=(3,))],
        (0, 1),
        vjp=True,
    ),
    # -- rewrites that change what a value is --------------------------------------------------
    case(
        "bool-times-one-subtracted",
        """
        def f(x):
            return np.sum(x * ((x > 0) * 1.0 - (x < 0) * 1.0))
        """,
        [dict(x=(4,))],
    ),
    case(
        "bool-times-one-added",
        """
        def f(x, m):
            return np.sum(x * (m * 1.0 + m * 1.0))
        """,
        [dict(x=(4,), m=Fixed(np.array([True, False, True, True])))],
    ),
]


def _params():
    for item in CASES:
        for index, shapes in enumerate(item.shapes):
            yield pytest.param(item, shapes, id=f"{item.id}-{index}")


_COMPILED: dict[str, tuple] = {}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("language")

    def get(item: Case):
        if item.id not in _COMPILED:
            f = write_module(folder, HEADER + item.source).f
            derivative = (s2sad.vjp if item.vjp else s2sad.grad)(f, wrt=item.wrt)
            value_and_grad = None if item.vjp else s2sad.value_and_grad(f, wrt=item.wrt)
            _COMPILED[item.id] = (f, derivative, value_and_grad)
        return _COMPILED[item.id]

    return get


def make_args(item: Case, shapes: dict, rng) -> list:
    args = []
    for name, spec in shapes.items():
        if isinstance(spec, Fixed):
            args.append(spec.value.copy() if isinstance(spec.value, np.ndarray) else spec.value)
        else:
            args.append(random_value(spec, item.domain.get(name, "real"), rng))
    return args


def assert_fresh(gradients, inputs):
    """No gradient is one of the caller's arrays."""
    for gradient in gradients:
        for value in inputs:
            if isinstance(value, np.ndarray):
                assert gradient is not value, "a gradient is the caller's own array"


def assert_float_types(gradients, args, wrt):
    for index, gradient in zip(wrt, gradients, strict=True):
        if isinstance(args[index], float):
            assert isinstance(gradient, float), f"gradient of float argument {index} is {type(gradient).__name__}"
        else:
            assert isinstance(gradient, np.ndarray) or np.ndim(args[index]) == 0


def assert_identical(first, second):
    for a, b in zip(first, second, strict=True):
        assert type(a) is type(b)
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("item, shapes", list(_params()))
def test_matches_finite_differences(item, shapes, compiled):
    f, derivative, value_and_grad = compiled(item)

    def pure(*values):  # f on copies: Python's `x += y` on an array changes the caller's array
        return f(*[np.copy(v) if isinstance(v, np.ndarray) else v for v in values])

    wrt = positions(f, item.wrt)
    assert list(inspect.signature(f).parameters)[: len(shapes)] == list(shapes)
    for seed in range(SEEDS):
        rng = np.random.default_rng([seed, *map(ord, item.id)])
        args = make_args(item, shapes, rng)
        saved = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
        out = pure(*args)
        if item.vjp:
            d_out = rng.normal(size=np.shape(out))
            inputs = [*args, d_out]
            call = lambda: as_tuple(derivative(*args, d_out), item.wrt)  # noqa: E731
        else:
            d_out = 1.0
            inputs = args
            call = lambda: as_tuple(derivative(*args), item.wrt)  # noqa: E731
        expected = numeric_vjp(pure, args, wrt, d_out)
        actual = call()
        assert len(actual) == len(wrt)
        assert_gradients_close(actual, expected, args, wrt)
        assert_float_types(actual, args, wrt)
        assert_fresh(actual, inputs)
        assert_identical(actual, call())
        for before, after in zip(saved, args, strict=True):
            np.testing.assert_array_equal(before, after, err_msg="an input was modified")
        if value_and_grad is not None:
            value, gradients = value_and_grad(*args)
            assert value == out
            assert type(value) is type(out)
            assert_identical(as_tuple(gradients, item.wrt), actual)


# -- wrt, defaults and keyword-only parameters ----------------------------------------------------

WRT_SOURCE = HEADER + textwrap.dedent("""
    def f(x, y, a):
        return np.sum(np.sin(x) * y) * a + a ** 2
    """)


@pytest.mark.parametrize(
    "wrt, expected_positions",
    [
        (0, (0,)),
        ("y", (1,)),
        (-1, (2,)),
        (-3, (0,)),
        ((0, "y"), (0, 1)),
        (("a", 0), (2, 0)),
        ((-2, -1), (1, 2)),
        (("x", "y", "a"), (0, 1, 2)),
    ],
    ids=str,
)
def test_wrt_by_position_name_and_negative_index(wrt, expected_positions, tmp_path):
    f = write_module(tmp_path, WRT_SOURCE).f
    rng = np.random.default_rng(7)
    args = [rng.normal(size=3), rng.normal(size=3), 0.7]
    actual = as_tuple(s2sad.grad(f, wrt=wrt)(*args), wrt)
    expected = numeric_vjp(f, args, expected_positions, 1.0)
    assert_gradients_close(actual, expected, args, expected_positions)
    assert_float_types(actual, args, expected_positions)


DEFAULTS_SOURCE = HEADER + textwrap.dedent("""
    EPS = 1e-3

    def f(x, w=2.0, b=EPS, *, scale=1.5, shift=np.pi):
        return np.sum(np.sin(w * x) + b * x * x) * scale + shift * w
    """)


def test_defaults_are_used_when_arguments_are_left_out(tmp_path):
    f = write_module(tmp_path, DEFAULTS_SOURCE).f
    x = np.random.default_rng(1).normal(size=4)
    expected = numeric_vjp(lambda x: f(x), [x], (0,), 1.0)
    assert_gradients_close([s2sad.grad(f)(x)], expected, [x], (0,))
    d_w = s2sad.grad(f, wrt="w")(x)
    assert isinstance(d_w, float)
    assert d_w == pytest.approx(numeric_vjp(lambda w: f(x, w), [2.0], (0,), 1.0)[0], rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("wrt", ["scale", ("x", "scale", "shift"), ("shift", "w")], ids=str)
def test_keyword_only_parameters(wrt, tmp_path):
    f = write_module(tmp_path, DEFAULTS_SOURCE).f
    x = np.random.default_rng(2).normal(size=3)
    values = dict(x=x, w=0.5, b=0.25, scale=-0.8, shift=1.3)
    names = list(values)

    def positional(*args):
        kw = dict(zip(names, args, strict=True))
        return f(kw["x"], kw["w"], kw["b"], scale=kw["scale"], shift=kw["shift"])

    wanted = tuple(names.index(n) for n in (wrt if isinstance(wrt, tuple) else (wrt,)))
    args = list(values.values())
    expected = numeric_vjp(positional, args, wanted, 1.0)
    actual = as_tuple(s2sad.grad(f, wrt=wrt)(x, 0.5, 0.25, scale=-0.8, shift=1.3), wrt)
    assert_gradients_close(actual, expected, args, wanted)
    assert_float_types(actual, args, wanted)
    value, gradients = s2sad.value_and_grad(f, wrt=wrt)(x, 0.5, 0.25, scale=-0.8, shift=1.3)
    assert value == f(x, 0.5, 0.25, scale=-0.8, shift=1.3)


def test_vjp_with_keyword_only_argument(tmp_path):
    source = HEADER + "def f(x, *, scale=1.0):\n    return np.sin(x) * scale\n"
    f = write_module(tmp_path, source).f
    x, d_out = np.array([0.1, 0.2]), np.array([1.0, -1.0])
    d_x, d_scale = s2sad.vjp(f, wrt=("x", "scale"))(x, d_out, scale=2.0)
    np.testing.assert_allclose(d_x, d_out * np.cos(x) * 2.0)
    assert d_scale == pytest.approx(float(np.sum(d_out * np.sin(x))))


# -- what the gradients are --------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, argument",
    [
        ("return a * np.sum(x)", 0.5),
        ("return np.sum(np.exp(a) * x)", 0.5),
        ("return np.sum(np.maximum(a, x) + np.where(x > 0, a, 0.0))", 0.5),
        ("return np.sum(np.full((3,), a) * x + np.broadcast_to(a, (3,)))", 0.5),
        ("return np.sum(np.stack([a, a * 2.0]))", 0.5),
        ("return np.sum(np.reshape(a, (1,)) * x)", 0.5),
        ("return np.sum(np.array([a, 1.0]) * x[:2])", 0.5),
        ("return np.sum(np.full(3, a) * x)", 0.5),
        ("return np.sum(x) * 2.0", 0.5),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_gradient_of_a_python_float_is_a_float(body, argument, tmp_path):
    f = write_module(tmp_path, HEADER + f"def f(a, x):\n    {body}\n").f
    x = np.array([0.3, -0.2, 0.9])
    d_a = s2sad.grad(f, wrt=0)(argument, x)
    assert isinstance(d_a, float), type(d_a)
    assert d_a == pytest.approx(numeric_vjp(f, [argument, x], (0,), 1.0)[0], rel=1e-5, abs=1e-6)


def test_gradients_of_different_arguments_are_different_arrays(tmp_path):
    f = write_module(tmp_path, HEADER + "def f(x, y):\n    return np.sum(x + y)\n").f
    d_x, d_y = s2sad.grad(f, wrt=(0, 1))(np.ones(3), np.ones(3))
    assert d_x is not d_y and not np.shares_memory(d_x, d_y)


def test_vjp_gradient_does_not_share_the_callers_d_out(tmp_path):
    f = write_module(tmp_path, HEADER + "def f(x):\n    return x.reshape(2, 3)\n").f
    d_out = np.arange(6.0).reshape(2, 3)
    d_x = s2sad.vjp(f)(np.ones(6), d_out)
    np.testing.assert_array_equal(d_x, d_out.reshape(6))
    assert not np.shares_memory(d_x, d_out)


def test_math_function_returns_python_float(tmp_path):
    source = HEADER + "def f(a, b):\n    return math.exp(a) * math.cos(b) + math.log(a * a + 1.0)\n"
    f = write_module(tmp_path, source).f
    value, (d_a, d_b) = s2sad.value_and_grad(f, wrt=(0, 1))(0.4, -1.1)
    assert type(value) is float and value == f(0.4, -1.1)
    assert type(d_a) is float and type(d_b) is float
    expected = numeric_vjp(f, [0.4, -1.1], (0, 1), 1.0)
    assert (d_a, d_b) == pytest.approx(expected, rel=1e-5, abs=1e-6)


# -- straight-line code that is refused -------------------------------------------------------------


def test_augmented_assignment_on_the_callers_array_through_another_name(tmp_path):
    """On an array `a += 1.0` changes x too (one object): differentiated so, on a copy of the argument;
    on a float it rebinds a alone."""
    source = HEADER + "def f(x):\n    a = x\n    a += 1.0\n    return np.sum(a * x)\n"
    f = write_module(tmp_path, source).f
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(s2sad.grad(f)(x), numeric_vjp(lambda v: f(v.copy()), [x], (0,), 1.0)[0], rtol=1e-6)
    np.testing.assert_array_equal(x, [0.5, -1.0, 2.0])
    assert s2sad.grad(f)(0.5) == pytest.approx(2.0 * 0.5 + 1.0)


def test_unpacking_a_shape(tmp_path):
    source = HEADER + "def f(x):\n    n, m = x.shape\n    return np.sum(x * x) / (n * m)\n"
    f = write_module(tmp_path, source).f
    x = np.random.default_rng(3).normal(size=(2, 3))
    np.testing.assert_allclose(s2sad.grad(f)(x), 2.0 * x / 6.0, rtol=1e-12)
