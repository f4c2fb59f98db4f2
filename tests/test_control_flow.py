"""Reverse mode through control flow, against central finite differences in float64.

Each case is a small user module defining ``f`` (and sometimes helpers):
branches on data and on constants, conditional expressions, boolean
operators, for loops over ranges, rows, zip and enumerate, while loops,
break/continue/return inside loops, loop-carried values, calls to helpers in
the same module, lists built with ``append``, and assignment into arrays.

Every case lists its inputs by branch: each label says which side of which
branch (or how many trips) the inputs take, and ``test_inputs_take_every_branch``
proves, by tracing the plain Python function line by line, that together the
labels execute every statement and both arms of every multi-line conditional
expression. Each (case, label) is checked on a few random inputs for:

- gradients (or, for array outputs, vector-Jacobian products with a random
  ``d_out``) matching finite differences, each shaped like its argument;
- inputs left unchanged by the generated function.

Also: ``value_and_grad``'s value equals the function's, recursion and
assignment into an argument are refused with s2sad.S2SADError, and the tape
of a 10,000-step loop holds one entry per step for the value that needs it and
nothing for a value that does not.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import textwrap

import numpy as np
import pytest

import s2sad
from tests.support import (
    assert_gradients_close,
    numeric_vjp,
    random_value,
    write_module,
    positions,
    as_tuple,
    copies,
    control_path,
)

SEEDS = 2  # random inputs per (case, label)

HEADER = "import math\nimport numpy as np\n\n"


# -- inputs -----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class U:
    """Uniform in [low, high); shape None gives a Python float."""

    low: float
    high: float
    shape: tuple | None = None

    def __call__(self, rng):
        value = rng.uniform(self.low, self.high, () if self.shape is None else self.shape)
        return float(value) if self.shape is None else value


@dataclasses.dataclass(frozen=True)
class R:
    """A value from one of tests.support.random_value's domains."""

    shape: tuple | None
    domain: str = "real"

    def __call__(self, rng):
        return random_value(self.shape, self.domain, rng)


def draw(spec, rng):
    """A spec is U, R, any callable of the generator, or a fixed value (arrays are copied)."""
    if callable(spec):
        return spec(rng)
    return spec.copy() if isinstance(spec, np.ndarray) else spec


def mixed_signs(size, low=0.2, high=2.0):
    """Magnitudes in [low, high), both signs present, shuffled."""

    def make(rng):
        values = rng.uniform(low, high, size) * np.where(np.arange(size) % 2 == 0, 1.0, -1.0)
        return rng.permutation(values)

    return make


# -- cases ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    source: str  # a module defining f (math and numpy as np are imported already)
    wrt: int | str | tuple
    inputs: tuple  # (label, {parameter: spec}) pairs; the label says which branches the inputs take
    vjp: bool = False  # f returns an array: check the vjp with a random d_out
    group: str = ""  # cases whose inputs together must cover the group's (shared) source


def case(id, source, inputs, wrt=0, *, vjp=False, group=""):
    return Case(id, textwrap.dedent(source), wrt, tuple(inputs.items()), vjp, group or id)


MODULE_CONSTANT_SOURCE = """
MODE = {mode!r}
SCALE = 2.0


def f(x):
    if MODE == "square":
        y = x * x
    elif MODE == "sine":
        y = np.sin(x) * SCALE
    else:
        y = np.exp(x)
    if SCALE > 1.0:
        y = y * SCALE
    return np.sum(y)
"""

LOCAL_CONSTANT_SOURCE = """
def f(x):
    order = {order}
    if order == 1:
        y = x
    elif order == 2:
        if order > 1:
            y = x * np.sin(x)
    else:
        y = x ** order
    return np.sum(y)
"""

CASES = [
    # -- if / elif / else on data ------------------------------------------------------------------
    case(
        "if-else-on-data",
        """
        def f(x):
            if np.sum(x) > 0:
                y = np.sin(x) * 2.0
            else:
                y = x ** 3
            return np.sum(y * x)
        """,
        {"then:sum>0": dict(x=U(0.2, 2.0, (3,))), "else:sum<0": dict(x=U(-2.0, -0.2, (3,)))},
    ),
    case(
        "if-without-else",
        """
        def f(x, a):
            y = x * a
            if x > 1.0:
                y = y * y
            return y
        """,
        {"then:x>1": dict(x=U(1.2, 3.0), a=R(None)), "skipped:x<1": dict(x=U(-2.0, 0.8), a=R(None))},
        (0, 1),
    ),
    case(
        "if-elif-else-on-data",
        """
        def f(x, a):
            if x > 1.0:
                y = a * x ** 2
            elif x > -1.0:
                y = a * np.sin(x)
            else:
                y = a * a * x
            return y
        """,
        {
            "if:x>1": dict(x=U(1.2, 2.5), a=R(None)),
            "elif:-1<x<1": dict(x=U(-0.8, 0.8), a=R(None)),
            "else:x<-1": dict(x=U(-2.5, -1.2), a=R(None)),
        },
        (0, 1),
    ),
    case(
        "if-nested",
        """
        def f(x, y):
            if x > 0:
                if y > 0:
                    z = x * y
                else:
                    z = x - y * y
            else:
                if y > x:
                    z = np.exp(x) * y
                else:
                    z = x * x * y
            return z
        """,
        {
            "outer-then,inner-then:x>0,y>0": dict(x=U(0.2, 2.0), y=U(0.2, 2.0)),
            "outer-then,inner-else:x>0,y<0": dict(x=U(0.2, 2.0), y=U(-2.0, -0.2)),
            "outer-else,inner-then:x<0,y>x": dict(x=U(-2.0, -1.2), y=U(-1.0, 2.0)),
            "outer-else,inner-else:x<0,y<x": dict(x=U(-1.0, -0.5), y=U(-2.0, -1.2)),
        },
        (0, 1),
    ),
    case(
        "if-chained-comparison",
        """
        def f(x, y):
            if -1.0 < x < 1.0:
                z = x * y
            else:
                z = np.tanh(x) + y * x
            return z
        """,
        {
            "then:-1<x<1": dict(x=U(-0.8, 0.8), y=R(None)),
            "else:x>1": dict(x=U(1.2, 2.0), y=R(None)),
            "else:x<-1": dict(x=U(-2.0, -1.2), y=R(None)),
        },
        (0, 1),
    ),
    case(
        "if-on-array-elements",
        """
        def f(x):
            if x[0] > x[1]:
                return np.sum(x * x[0])
            return np.sum(x * x[1]) + x[2]
        """,
        {
            "then:x0>x1(return-in-branch)": dict(x=lambda rng: np.array([1.0, -1.0, 0.0]) + rng.uniform(-0.5, 0.5, 3)),
            "else:x0<x1": dict(x=lambda rng: np.array([-1.0, 1.0, 0.0]) + rng.uniform(-0.5, 0.5, 3)),
        },
    ),
    # -- branches on constants ------------------------------------------------------------------------
    *[
        case(
            f"if-on-module-constant-{mode}",
            MODULE_CONSTANT_SOURCE.format(mode=mode),
            {f"{arm}:MODE={mode!r},SCALE>1": dict(x=R((3,)))},
            group="if-on-module-constant",
        )
        for mode, arm in (("square", "if"), ("sine", "elif"), ("other", "else"))
    ],
    *[
        case(
            f"if-on-local-constant-{order}",
            LOCAL_CONSTANT_SOURCE.format(order=order),
            {f"{arm}:order={order}": dict(x=R((3,)))},
            group="if-on-local-constant",
        )
        for order, arm in ((1, "if"), (2, "elif,nested-then"), (3, "else"))
    ],
    case(
        "if-on-string-argument",
        """
        def f(x, kind):
            if kind == "l2":
                return np.sum(x * x)
            elif kind == "l1":
                return np.sum(np.abs(x))
            return np.max(x) * np.sum(x)
        """,
        {
            "if:kind='l2'(return-in-branch)": dict(x=R((4,)), kind="l2"),
            "elif:kind='l1'(return-in-branch)": dict(x=R((4,), "nonzero"), kind="l1"),
            "fallthrough:kind='max'": dict(x=R((4,)), kind="max"),
        },
    ),
    case(
        "if-on-loop-index",
        """
        def f(x, n):
            y = x
            for i in range(n):
                if i % 2 == 0:
                    y = np.sin(y)
                else:
                    y = y * x
            return np.sum(y)
        """,
        {"both:n=5,even-and-odd-i": dict(x=R((3,)), n=5), "then-only:n=1,even-i": dict(x=R((3,)), n=1)},
    ),
    case(
        "if-not-on-bool-argument",
        """
        def f(x, flag):
            if not flag:
                return np.sum(x ** 2)
            return np.sum(np.abs(x) ** 1.5)
        """,
        {
            "then:flag=False": dict(x=R((3,), "nonzero"), flag=False),
            "fallthrough:flag=True": dict(x=R((3,), "nonzero"), flag=True),
        },
    ),
    # -- conditional expressions and boolean operators ------------------------------------------------
    case(
        "conditional-expression",
        """
        def f(x, a):
            y = (np.sin(x) * a
                 if x > 0
                 else np.cos(x) * a * a)
            return y * x
        """,
        {"body:x>0": dict(x=U(0.2, 2.0), a=R(None)), "orelse:x<0": dict(x=U(-2.0, -0.2), a=R(None))},
        (0, 1),
    ),
    case(
        "conditional-expression-inside-expression",
        """
        def f(x, s):
            return np.sum((x * 2.0
                           if s > 0
                           else -np.exp(x)) * x)
        """,
        {"body:s=1": dict(x=R((3,)), s=1.0), "orelse:s=-1": dict(x=R((3,)), s=-1.0)},
    ),
    case(
        "and-or-not",
        """
        def f(x, y):
            if x > 0 and y > 0:
                z = x * y
            elif x > 0 or y > 1.0:
                z = x + y * y
            elif not (x < -1.0):
                z = np.sin(x * y)
            else:
                z = x * x * y
            return z
        """,
        {
            "if:x>0-and-y>0": dict(x=U(0.2, 2.0), y=U(0.2, 2.0)),
            "elif-or:x>0,y<0": dict(x=U(0.2, 2.0), y=U(-2.0, -0.2)),
            "elif-or:x<0,y>1": dict(x=U(-2.0, -0.2), y=U(1.2, 2.0)),
            "elif-not:-1<x<0,y<1": dict(x=U(-0.9, -0.1), y=U(-1.0, 0.8)),
            "else:x<-1,y<1": dict(x=U(-2.0, -1.2), y=U(-1.0, 0.8)),
        },
        (0, 1),
    ),
    case(
        "and-or-on-arrays-and-flags",
        """
        def f(x, w, use_bias):
            y = x * w
            if use_bias and np.max(x) > 0.0:
                y = y + np.max(x) * w
            if not use_bias or np.min(x) < -5.0:
                y = y * y
            return np.sum(y)
        """,
        {
            "first-then,second-skipped:use_bias,max>0": dict(x=R((3,), "positive"), w=R((3,)), use_bias=True),
            "first-skipped,second-skipped:use_bias,max<0": dict(x=R((3,), "negative"), w=R((3,)), use_bias=True),
            "first-skipped,second-then:not-use_bias": dict(x=R((3,)), w=R((3,)), use_bias=False),
        },
        (0, 1),
    ),
    # -- for loops --------------------------------------------------------------------------------------
    case(
        "for-range-stop",
        """
        def f(x, a, n):
            for i in range(n):
                x = x * a + i
            return x
        """,
        {"five-trips:n=5": dict(x=R(None), a=U(0.5, 1.2), n=5), "zero-trips:n=0": dict(x=R(None), a=U(0.5, 1.2), n=0)},
        (0, 1),
    ),
    case(
        "for-range-start-stop-step",
        """
        def f(x):
            total = 0.0
            for i in range(1, 8, 3):
                total = total + x[i] * i * x[i - 1]
            return total
        """,
        {"three-trips:i=1,4,7": dict(x=R((9,)))},
    ),
    case(
        "for-range-from-shape",
        """
        def f(x):
            total = 0.0
            for i in range(x.shape[0] - 1):
                total = total + (x[i + 1] - x[i]) ** 2
            for j in range(len(x) // 2, len(x)):
                total = total + np.sin(x[j]) * j
            return total
        """,
        {"len=5": dict(x=R((5,))), "len=6": dict(x=R((6,)))},
    ),
    case(
        "for-range-negative-step-horner",
        """
        def f(c, t):
            acc = 0.0
            for i in range(c.shape[0] - 1, -1, -1):
                acc = acc * t + c[i]
            return acc
        """,
        {"len=4": dict(c=R((4,)), t=R(None)), "len=1": dict(c=R((1,)), t=R(None))},
        (0, 1),
    ),
    case(
        "for-range-negative-step-two",
        """
        def f(x):
            total = 1.0
            for i in range(x.shape[0] - 1, 0, -2):
                total = total * x[i] + x[i - 1]
            return total
        """,
        {"len=5:i=4,2": dict(x=R((5,))), "len=6:i=5,3,1": dict(x=R((6,)))},
    ),
    case(
        "for-over-rows",
        """
        def f(X, w):
            total = 0.0
            for row in X:
                total = total + np.tanh(row @ w)
            return total
        """,
        {"four-rows": dict(X=R((4, 3)), w=R((3,)))},
        (0, 1),
    ),
    case(
        "for-over-rows-array-output",
        """
        def f(X):
            out = np.zeros(X.shape[1])
            for row in X:
                out = out + row * row
            return out
        """,
        {"three-rows": dict(X=R((3, 2)))},
        vjp=True,
    ),
    case(
        "for-zip",
        """
        def f(a, b):
            total = 0.0
            for a_i, b_i in zip(a, b):
                total = total + a_i * np.sin(b_i)
            return total
        """,
        {"four-pairs": dict(a=R((4,)), b=R((4,)))},
        (0, 1),
    ),
    case(
        "for-enumerate",
        """
        def f(x, w):
            total = 0.0
            for i, x_i in enumerate(x):
                total = total + w[i] * x_i ** 2 + i * x_i
            return total
        """,
        {"four-items": dict(x=R((4,)), w=R((4,)))},
        (0, 1),
    ),
    case(
        "for-enumerate-rows",
        """
        def f(X, w):
            total = 0.0
            for i, row in enumerate(X):
                total = total + np.sum(row * w[i]) ** 2
            return total
        """,
        {"three-rows": dict(X=R((3, 2)), w=R((3,)))},
        (0, 1),
    ),
    case(
        "for-over-tuple-of-parameters",
        """
        def f(w1, w2, x):
            h = x
            for w in (w1, w2):
                h = np.tanh(h @ w)
            return np.sum(h)
        """,
        {"two-layers": dict(w1=R((3, 3)), w2=R((3, 3)), x=R((3,)))},
        (0, 1),
    ),
    case(
        "for-nested",
        """
        def f(A, x):
            y = 0.0
            for i in range(A.shape[0]):
                for j in range(A.shape[1]):
                    y = y + A[i, j] * x[j] * x[i]
            return y
        """,
        {"3x3": dict(A=R((3, 3)), x=R((3,)))},
        (0, 1),
    ),
    case(
        "loop-variable-used-after-loop",
        """
        def f(x):
            for i in range(4):
                y = x * (i + 1.0)
            return np.sum(y * x) * i
        """,
        {"four-trips": dict(x=R((3,)))},
    ),
    # -- while loops --------------------------------------------------------------------------------------
    case(
        "while-data-dependent",
        """
        def f(x, a):
            n = 0
            while x < 10.0:
                x = x * a + 0.5
                n += 1
            return x * n + x
        """,
        {
            "several-trips:x<10": dict(x=U(0.2, 1.0), a=U(1.5, 2.0)),
            "zero-trips:x>10": dict(x=U(10.5, 12.0), a=U(1.5, 2.0)),
        },
        (0, 1),
    ),
    case(
        "while-counter",
        """
        def f(x, n):
            i = 0
            y = x
            while i < n:
                y = np.sin(y) + x
                i += 1
            return np.sum(y)
        """,
        {"three-trips:n=3": dict(x=R((3,)), n=3), "zero-trips:n=0": dict(x=R((3,)), n=0)},
    ),
    case(
        "while-array-norm",
        """
        def f(v, a):
            while np.linalg.norm(v) > 1.0:
                v = v * a
            return np.sum(v ** 2)
        """,
        {
            "shrinks:|v|>1": dict(v=U(1.0, 3.0, (3,)), a=U(0.4, 0.8)),
            "zero-trips:|v|<1": dict(v=U(-0.5, 0.5, (3,)), a=U(0.4, 0.8)),
        },
        (0, 1),
    ),
    case(
        "while-true-break",
        """
        def f(x, a):
            while True:
                x = x * a + 0.1
                if x > 5.0:
                    break
            return x * x
        """,
        {"breaks-after-several-trips": dict(x=U(0.5, 1.0), a=U(1.5, 2.5))},
        (0, 1),
    ),
    # -- break and continue ------------------------------------------------------------------------------
    case(
        "for-break-on-data",
        """
        def f(x, a):
            for i in range(10):
                if x > 5.0:
                    break
                x = x * a
            return x
        """,
        {"breaks:a>1.5": dict(x=U(1.0, 2.0), a=U(1.5, 2.0)), "never-breaks:a<1": dict(x=U(0.5, 1.0), a=U(0.5, 0.9))},
        (0, 1),
    ),
    case(
        "for-continue",
        """
        def f(x, w):
            total = 0.0
            for x_i in x:
                if x_i < 0:
                    continue
                total = total + w * x_i ** 3
            return total
        """,
        {"continue-on-negatives": dict(x=mixed_signs(6), w=R(None))},
        (0, 1),
    ),
    case(
        "break-and-continue",
        """
        def f(x):
            total = 0.0
            for i in range(x.shape[0]):
                if x[i] < 0:
                    continue
                if x[i] > 1.5:
                    break
                total = total + np.sin(x[i]) * (i + 1)
            return total
        """,
        {
            "continue-then-break": dict(
                x=lambda rng: np.array([-0.5, 0.4, 0.9, -1.0, 1.8, 0.3]) + rng.uniform(-0.05, 0.05, 6)
            ),
            "continue-no-break": dict(x=mixed_signs(6, 0.2, 1.2)),
        },
    ),
    case(
        "break-in-inner-loop",
        """
        def f(X, a):
            total = 0.0
            for i in range(X.shape[0]):
                for j in range(X.shape[1]):
                    if X[i, j] > a:
                        break
                    total = total + X[i, j] * a
                total = total * 0.9
            return total
        """,
        {
            "inner-breaks-in-rows-0-and-2": dict(
                X=lambda rng: rng.uniform(-2.0, 0.2, (3, 4)) + np.array([[0, 1.6, 0, 0], [0, 0, 0, 0], [0, 0, 1.8, 0]]),
                a=U(0.4, 0.8),
            ),
            "no-breaks:a>max": dict(X=R((3, 4)), a=U(2.5, 3.0)),
        },
        (0, 1),
    ),
    case(
        "break-out-of-both-loops-with-flag",
        """
        def f(x, a):
            done = False
            total = 0.0
            for i in range(4):
                for j in range(4):
                    total = total + a * x[i] * x[j]
                    if total > 3.0:
                        done = True
                        break
                if done:
                    break
            return total
        """,
        {
            "stops-early:total>3": dict(x=U(1.0, 2.0, (4,)), a=U(0.5, 1.0)),
            "runs-to-end:total<3": dict(x=U(0.0, 0.3, (4,)), a=U(0.1, 0.3)),
        },
        (0, 1),
    ),
    # -- return inside branches and loops ------------------------------------------------------------------
    case(
        "return-in-branch",
        """
        def f(x, a):
            y = x * a
            if y > 1.0:
                return y * y
            z = np.exp(y)
            return z + x
        """,
        {
            "early-return:xa>1": dict(x=U(1.2, 2.0), a=U(1.0, 2.0)),
            "falls-through:xa<1": dict(x=U(0.1, 0.5), a=U(0.1, 1.5)),
        },
        (0, 1),
    ),
    case(
        "return-in-loop",
        """
        def f(x, a):
            for i in range(20):
                x = x * a
                if x > 4.0:
                    return x + i
            return -x
        """,
        {
            "returns-inside-loop:a>1": dict(x=U(0.5, 1.0), a=U(1.5, 2.0)),
            "falls-through:a<1": dict(x=U(0.5, 1.0), a=U(0.5, 0.9)),
        },
        (0, 1),
    ),
    case(
        "return-in-nested-loop",
        """
        def f(X, a):
            total = 0.0
            for row in X:
                for v in row:
                    total = total + a * v
                    if total > 2.0:
                        return total * total
            return -total
        """,
        {
            "returns-inside:positive": dict(X=U(0.5, 1.0, (3, 3)), a=U(0.5, 1.0)),
            "falls-through:negative": dict(X=U(-1.0, -0.2, (3, 3)), a=U(0.5, 1.0)),
        },
        (0, 1),
    ),
    # -- loop-carried values and augmented assignment -------------------------------------------------------
    case(
        "loop-carried-pair",
        """
        def f(x, a, b):
            for i in range(6):
                a, b = b, a + b * x
            return a * b
        """,
        {"six-trips": dict(x=U(-1.0, 1.0), a=U(-1.0, 1.0), b=U(-1.0, 1.0))},
        (0, 1, 2),
    ),
    case(
        "augmented-assignment-in-loop",
        """
        def f(x, w):
            total = 0.0
            prod = 1.0
            for i in range(x.shape[0]):
                total += x[i] * w[i]
                prod *= 1.0 + 0.1 * x[i]
                total -= 0.5 * prod
            total /= x.shape[0]
            return total
        """,
        {"four-trips": dict(x=R((4,)), w=R((4,)))},
        (0, 1),
    ),
    case(
        "loop-carried-array-output",
        """
        def f(M, v):
            for i in range(3):
                v = np.tanh(M @ v) + 0.5 * v
            return v
        """,
        {"three-trips": dict(M=R((3, 3)), v=R((3,)))},
        (0, 1),
        vjp=True,
    ),
    # -- helpers in the same module -------------------------------------------------------------------------
    case(
        "helper-keywords-and-defaults",
        """
        def scale(x, factor=2.0, *, shift=0.0):
            return x * factor + shift

        def f(x, a):
            return np.sum(scale(x) + scale(x, a) + scale(x, factor=a, shift=a) + scale(factor=x, x=a))
        """,
        {"all-call-forms": dict(x=R((3,)), a=R(None))},
        (0, 1),
    ),
    case(
        "helper-tuple-return-unpacked",
        """
        def polar(x, y):
            r = np.sqrt(x * x + y * y)
            return r, np.arctan2(y, x)

        def f(x, y):
            r, theta = polar(x, y)
            pair = polar(y, x)
            return np.sum(r * np.cos(2.0 * theta) + pair[0] * pair[1])
        """,
        {"nonzero": dict(x=R((3,), "nonzero"), y=R((3,), "nonzero"))},
        (0, 1),
    ),
    case(
        "helper-in-loop",
        """
        def layer(h, W, b=0.0):
            return np.tanh(h @ W + b)

        def f(W, x):
            h = x
            for i in range(3):
                h = layer(h, W, b=0.1 * i)
            return np.sum(h)
        """,
        {"three-layers": dict(W=R((3, 3)), x=R((3,)))},
        (0, 1),
    ),
    case(
        "helper-from-several-places",
        """
        def sq(z):
            return z * z

        def f(x, a):
            y = sq(x) * a
            if a > 0:
                y = y + sq(a)
            for i in range(2):
                y = y + sq(y) * 0.1
            return np.sum(y)
        """,
        {"then:a>0": dict(x=R((3,), "unit"), a=U(0.2, 1.0)), "skipped:a<0": dict(x=R((3,), "unit"), a=U(-1.0, -0.2))},
        (0, 1),
    ),
    case(
        "helper-calling-helper",
        """
        def sq(z):
            return z * z

        def norm2(z, weight=1.0):
            return np.sum(sq(z)) * weight

        def f(x, w):
            return norm2(x, weight=w) + sq(x[0]) + norm2(sq(x))
        """,
        {"vector": dict(x=R((3,)), w=R(None))},
        (0, 1),
    ),
    case(
        "helper-with-branch-called-in-loop",
        """
        def leaky(z):
            if z > 0:
                return z
            return 0.1 * z

        def f(x, w):
            total = 0.0
            for x_i in x:
                total = total + leaky(w * x_i) * x_i
            return total
        """,
        {"both-arms:mixed-signs": dict(x=mixed_signs(5), w=U(0.5, 2.0))},
        (0, 1),
    ),
    case(
        "helper-with-loop",
        """
        def power(z, n):
            out = 1.0
            for i in range(n):
                out = out * z
            return out

        def f(x):
            return np.sum(power(x, 3) + power(x, n=2) + power(x, 0))
        """,
        {"n=3,2,0": dict(x=R((3,)))},
    ),
    # -- lists ----------------------------------------------------------------------------------------------
    case(
        "list-append-stack",
        """
        def f(h, w):
            hs = []
            for i in range(4):
                h = np.tanh(h * w + i * 0.1)
                hs.append(h)
            return np.sum(np.stack(hs) * np.arange(1.0, 5.0)[:, None])
        """,
        {"four-states": dict(h=R((3,)), w=R((3,)))},
        (0, 1),
    ),
    case(
        "list-append-stack-axis-array-output",
        """
        def f(x):
            cols = []
            for k in range(3):
                cols.append(np.sin(x * (k + 1.0)))
            return np.stack(cols, axis=1)
        """,
        {"three-columns": dict(x=R((2,)))},
        vjp=True,
    ),
    case(
        "list-append-np-array",
        """
        def f(x, a):
            values = []
            for i in range(x.shape[0]):
                values.append(x[i] * a + i)
            v = np.array(values)
            return np.sum(v * v)
        """,
        {"four-scalars": dict(x=R((4,)), a=R(None))},
        (0, 1),
    ),
    case(
        "list-append-sum",
        """
        def f(x):
            parts = []
            for row in x:
                parts.append(np.exp(row))
            return np.sum(sum(parts) ** 2)
        """,
        {"three-rows": dict(x=R((3, 2)))},
    ),
    case(
        "list-append-in-branch",
        """
        def f(x):
            kept = []
            for x_i in x:
                if x_i > 0:
                    kept.append(x_i * x_i)
                else:
                    kept.append(np.sin(x_i))
            return sum(kept) * np.array(kept)[0]
        """,
        {"both-arms:mixed-signs": dict(x=mixed_signs(5))},
    ),
    # -- assignment into arrays -----------------------------------------------------------------------------
    case(
        "setitem-outside-loop",
        """
        def f(x):
            y = np.zeros_like(x)
            y[0] = x[1] * 2.0
            y[1] = np.sin(x[0])
            y[2] += x[2] ** 2
            y[1:] += x[:-1] * 0.5
            return np.sum(y * y)
        """,
        {"len=4": dict(x=R((4,)))},
    ),
    case(
        "setitem-in-loop",
        """
        def f(x, a):
            y = np.zeros_like(x)
            y[0] = x[0]
            for i in range(1, x.shape[0]):
                y[i] = a * y[i - 1] + x[i]
            return np.sum(y ** 2)
        """,
        {"len=5": dict(x=R((5,)), a=R(None))},
        (0, 1),
    ),
    case(
        "setitem-augmented-in-loop",
        """
        def f(x, w):
            y = np.zeros_like(x)
            for i in range(x.shape[0]):
                y[i] += w * x[i]
                y[i] += np.sin(x[i]) * y[i]
            return np.sum(y * x)
        """,
        {"len=4": dict(x=R((4,)), w=R(None))},
        (0, 1),
    ),
    case(
        "setitem-column-in-loop-array-output",
        """
        def f(X, w):
            Y = np.zeros_like(X)
            for j in range(X.shape[1]):
                Y[:, j] = np.tanh(X[:, j] * w[j])
            return Y
        """,
        {"3x2": dict(X=R((3, 2)), w=R((2,)))},
        (0, 1),
        vjp=True,
    ),
    case(
        "setitem-rows-and-elements",
        """
        def f(X, w):
            Y = np.zeros_like(X)
            for i in range(X.shape[0]):
                Y[i] = X[i] * w
                Y[i, 0] += X[i, 1] ** 2
            return np.sum(Y * Y)
        """,
        {"3x2": dict(X=R((3, 2)), w=R((2,)))},
        (0, 1),
    ),
    case(
        "setitem-slot-overwritten-twice",
        """
        def f(x):
            y = np.zeros_like(x)
            y[1] = x[0] * 3.0
            z = y * x
            y[1] = np.sin(x[1])
            return np.sum(y * z) + np.sum(y)
        """,
        {"len=3": dict(x=R((3,)))},
    ),
    case(
        "setitem-same-slot-every-trip",
        """
        def f(x):
            y = np.zeros(2)
            for i in range(x.shape[0]):
                y[0] = y[0] * x[i] + x[i]
                y[1] = y[0] * y[1] + 1.0
            return np.sum(y * y)
        """,
        {"four-trips": dict(x=R((4,), "unit"))},
    ),
    case(
        "setitem-in-branch",
        """
        def f(x):
            y = np.ones_like(x)
            for i in range(x.shape[0]):
                if x[i] > 0:
                    y[i] = x[i] ** 2
                else:
                    y[i] = -x[i] * 3.0
            return np.sum(y * x)
        """,
        {"both-arms:mixed-signs": dict(x=mixed_signs(5))},
    ),
    case(
        "setitem-on-a-copy-of-an-argument",
        """
        def f(x):
            y = x.copy()
            y[0] = 1.0
            y[1:3] = y[1:3] * 2.0
            return np.sum(y * x)
        """,
        {"len=4": dict(x=R((4,)))},
    ),
]

CASES_BY_ID = {item.id: item for item in CASES}
assert len(CASES_BY_ID) == len(CASES), "case ids must be unique"


# -- machinery --------------------------------------------------------------------------------------


def _params():
    for item in CASES:
        for label, _ in item.inputs:
            yield pytest.param(item, label, id=f"{item.id}:{label}")


_COMPILED: dict[str, object] = {}
_MODULES: dict[str, object] = {}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("control_flow")


def module_of(item: Case, folder):
    if item.id not in _MODULES:
        _MODULES[item.id] = write_module(folder, HEADER + item.source)
    return _MODULES[item.id]


def derivative_of(item: Case, folder):
    """Compiled once per case; a refusal is re-raised for each of the case's labels."""
    if item.id not in _COMPILED:
        f = module_of(item, folder).f
        try:
            _COMPILED[item.id] = (s2sad.vjp if item.vjp else s2sad.grad)(f, wrt=item.wrt)
        except Exception as error:  # noqa: BLE001 - kept to re-raise
            _COMPILED[item.id] = error
    found = _COMPILED[item.id]
    if isinstance(found, Exception):
        raise found
    return found


def make_args(item: Case, label: str, rng) -> list:
    specs = dict(item.inputs)[label]
    return [draw(spec, rng) for spec in specs.values()]


@pytest.mark.parametrize("item, label", list(_params()))
def test_matches_finite_differences(item, label, folder):
    f = module_of(item, folder).f
    derivative = derivative_of(item, folder)

    def pure(*values):
        return f(*copies(values))

    wrt = positions(f, item.wrt)
    specs = dict(item.inputs)[label]
    assert list(inspect.signature(f).parameters)[: len(specs)] == list(specs)
    for seed in range(SEEDS):
        rng = np.random.default_rng([seed, *map(ord, item.id + label)])
        args = make_args(item, label, rng)
        saved = copies(args)
        if item.vjp:
            d_out = rng.normal(size=np.shape(pure(*args)))
            actual = as_tuple(derivative(*args, d_out), item.wrt)
        else:
            d_out = 1.0
            actual = as_tuple(derivative(*args), item.wrt)
        expected = numeric_vjp(pure, args, wrt, d_out)
        assert len(actual) == len(wrt)
        assert_gradients_close(actual, expected, args, wrt)
        for before, after in zip(saved, args, strict=True):
            np.testing.assert_array_equal(before, after, err_msg="an input was modified")


# -- the inputs take every branch (checks the table itself; needs no s2sad) ------------------------------


def lines_to_cover(source: str) -> set[int]:
    """Lines of every statement inside the module's functions, and of both arms of conditional expressions."""
    lines = set()
    for function in ast.parse(source).body:
        if not isinstance(function, ast.FunctionDef):
            continue
        for node in ast.walk(function):
            if node is function or isinstance(node, ast.FunctionDef):
                continue
            if isinstance(node, ast.stmt):
                lines.add(node.lineno)
            elif isinstance(node, ast.IfExp):
                lines.update((node.body.lineno, node.orelse.lineno))
    return lines


GROUPS = sorted({item.group for item in CASES})


@pytest.mark.parametrize("group", GROUPS)
def test_inputs_take_every_branch(group, folder):
    members = [item for item in CASES if item.group == group]
    seen: set[int] = set()
    for item in members:
        f = module_of(item, folder).f
        for label, _ in item.inputs:
            for seed in range(SEEDS):
                rng = np.random.default_rng([seed, *map(ord, item.id + label)])
                seen |= set(control_path(f, make_args(item, label, rng)))
    source = HEADER + members[0].source
    missing = sorted(lines_to_cover(source) - seen)
    text = source.splitlines()
    assert not missing, "never executed: " + "; ".join(f"line {n}: {text[n - 1].strip()}" for n in missing)


# -- value_and_grad -------------------------------------------------------------------------------------

VALUE_CASES = [
    "if-elif-else-on-data",
    "if-on-string-argument",
    "while-data-dependent",
    "for-break-on-data",
    "return-in-loop",
    "helper-tuple-return-unpacked",
    "list-append-stack",
    "setitem-in-loop",
    "setitem-slot-overwritten-twice",
]


@pytest.mark.parametrize("case_id", VALUE_CASES)
def test_value_and_grad_value_is_the_functions_value(case_id, folder):
    item = CASES_BY_ID[case_id]
    f = module_of(item, folder).f
    value_and_grad = s2sad.value_and_grad(f, wrt=item.wrt)
    for label, _ in item.inputs:
        rng = np.random.default_rng([7, *map(ord, item.id + label)])
        args = make_args(item, label, rng)
        expected = f(*copies(args))
        value, gradients = value_and_grad(*args)
        assert value == expected, label
        assert np.shape(value) == np.shape(expected)
        wanted = positions(f, item.wrt)
        numeric = numeric_vjp(lambda *v: f(*copies(v)), args, wanted, 1.0)
        assert_gradients_close(as_tuple(gradients, item.wrt), numeric, args, wanted)


# -- refusals -------------------------------------------------------------------------------------------

RECURSIVE = {
    "direct": """
        def f(x, n):
            if n == 0:
                return x
            return f(x * x, n - 1)
        """,
    "mutual": """
        def g(x, n):
            if n <= 0:
                return np.sin(x)
            return f(x * 2.0, n - 1)

        def f(x, n):
            return g(x + 1.0, n) * x
        """,
    "helper-calls-itself-in-loop": """
        def h(x, n):
            total = x
            for i in range(n):
                total = total + h(x, 0)
            return total

        def f(x, n):
            return np.sum(h(x, n))
        """,
}


@pytest.mark.parametrize("kind", list(RECURSIVE))
def test_recursion_is_refused(kind, tmp_path):
    f = write_module(tmp_path, HEADER + textwrap.dedent(RECURSIVE[kind])).f
    f(0.5, 2)  # the function itself runs
    with pytest.raises(s2sad.S2SADError) as caught:
        s2sad.grad(f)(0.5, 2)
    assert caught.value.origin is not None, "the refusal should point at the recursive call"


ARGUMENT_UPDATES = {
    "setitem-on-parameter": """
        def f(x):
            x[0] = 1.0
            return np.sum(x * x)
        """,
    "augmented-setitem-on-parameter": """
        def f(x):
            x[1:] += 2.0 * x[:-1]
            return np.sum(x * x)
        """,
    "setitem-on-parameter-in-loop": """
        def f(x):
            for i in range(x.shape[0]):
                x[i] = x[i] * x[i]
            return np.sum(x)
        """,
    "setitem-on-alias-of-parameter": """
        def f(x):
            y = x
            y[0] = 1.0
            return np.sum(y * x)
        """,
}


@pytest.mark.parametrize("kind", list(ARGUMENT_UPDATES))
def test_inplace_update_of_an_argument_is_differentiated_on_a_copy(kind, tmp_path):
    """Differentiated with respect to the argument's value on entry; the caller's array is never changed."""
    f = write_module(tmp_path, HEADER + textwrap.dedent(ARGUMENT_UPDATES[kind])).f
    x = np.array([0.5, -1.0, 2.0])
    saved = x.copy()
    expected = numeric_vjp(lambda v: f(v.copy()), [x], (0,), 1.0)[0]
    np.testing.assert_allclose(s2sad.grad(f)(x), expected, rtol=1e-6, atol=1e-9)
    direction = np.array([0.3, 1.0, -2.0])
    assert s2sad.jvp(f)(x, direction)[1] == pytest.approx(float(expected @ direction), rel=1e-6)
    np.testing.assert_array_equal(x, saved, err_msg="the caller's array was changed")


# -- the tape grows with the steps that need it, and only with those --------------------------------------

TAPE_SOURCE = """
def f(x, a, n):
    for i in range(n):
        x = x * a + math.sin(x)
        c = i * 2.0 + 0.25  # never needed: nothing reads it, no derivative flows through it
    return x
"""

TAPE_LINE = re.compile(r"^(\s+)(\w+) = \[\]\s*$", re.MULTILINE)


def test_tape_is_linear_in_steps(tmp_path):
    """Run the generated source with its tape list(s) replaced by a counting list.

    The old ``x`` of every step is needed by the reverse sweep (``sin'`` and the
    product with ``a``): the tape must hold O(steps) items, at most two per step.
    ``c = i * 2.0 + 0.25`` is needed by nothing: none of its values may be pushed.
    """
    n = 10_000
    f = write_module(tmp_path, HEADER + textwrap.dedent(TAPE_SOURCE)).f
    gradient = s2sad.grad(f, wrt=(0, 1))
    text = s2sad.source(gradient)
    assert TAPE_LINE.search(text), "no `name = []` line creating a tape in the generated function:\n" + text

    lists = []

    class _CountingList(list):
        """A list that records everything pushed on it and the peak total length of all tapes."""

        peak = 0
        pushed: list = []

        def __init__(self, *args):
            super().__init__(*args)
            lists.append(self)

        def _record(self, items):
            _CountingList.pushed.extend(items)
            _CountingList.peak = max(_CountingList.peak, sum(len(t) for t in lists))

        def append(self, item):
            super().append(item)
            self._record([item])

        def extend(self, items):
            items = list(items)
            super().extend(items)
            self._record(items)

        def insert(self, index, item):
            super().insert(index, item)
            self._record([item])

        def __iadd__(self, items):
            self.extend(items)
            return self

    _CountingList.pushed = []
    counted = TAPE_LINE.sub(lambda m: f"{m.group(1)}{m.group(2)} = _CountingList()", text)
    from s2sad import runtime as _rt

    namespace = {"__name__": "tape_probe", "_CountingList": _CountingList, "np": np, "_rt": _rt}
    exec(compile(counted, "<tape probe>", "exec"), namespace)
    probe = namespace["grad_f"]

    args = [0.3, 0.5, n]
    d_x, d_a = probe(*args)
    assert lists, "the generated function created no tape"

    def flat(items):
        for item in items:
            if isinstance(item, (tuple, list)):
                yield from flat(item)
            else:
                yield item

    c_values = {i * 2.0 + 0.25 for i in range(n)}
    pushed_c = [v for v in flat(_CountingList.pushed) if isinstance(v, float) and v in c_values]
    assert not pushed_c, f"{len(pushed_c)} values of c were pushed on the tape, e.g. {pushed_c[:3]}"
    assert n <= _CountingList.peak <= 2 * n + 10, f"tape peak {_CountingList.peak} for {n} steps"

    expected = numeric_vjp(f, args, (0, 1), 1.0)
    assert_gradients_close((d_x, d_a), expected, args, (0, 1))
    for counted_result, plain_result in zip((d_x, d_a), gradient(*args), strict=True):
        np.testing.assert_array_equal(counted_result, plain_result)
