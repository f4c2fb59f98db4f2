"""Review of reverse mode through control flow: combinations tests/test_control_flow.py does not cover.

Each case is a small user module defining ``f`` (sometimes helpers) that mixes
branches, loops, break/continue/return, helpers, lists, tuples and updates of
arrays. Each (case, label) is checked, for its fixed inputs, for:

- gradients (or vector-Jacobian products with a fixed ``d_out``, for array
  outputs) matching central finite differences (tests.support tolerances), each
  shaped like its argument, a Python float for a Python float argument and of
  the argument's dtype for an array;
- ``value_and_grad``: the value equal to ``f(...)`` exactly, the gradients
  identical to ``grad``'s;
- inputs left unchanged.

``test_inputs_are_away_from_branch_boundaries`` proves the finite differences
are meaningful: moving every differentiated input by 1e-4 (far more than the
1e-6 step) in several directions leaves the sequence of executed lines intact.

Cases marked ``xfail(strict=True)`` expose an s2sad bug; the reason is a
one-line diagnosis. Where the README says an update is refused (an array or
list another name shares), a refusal with s2sad.S2SADError also counts as
correct.

Also: a 2,000-step loop with a branch in it generates and runs fast, and
float32 inputs keep float32 gradients through branches and loops.
"""

from __future__ import annotations

import dataclasses
import textwrap

import numpy as np
import pytest

import s2sad
from tests.support import assert_gradients_close, numeric_vjp, write_module, positions, as_tuple, copies, control_path

HEADER = "import math\nimport numpy as np\n\n"


@pytest.fixture(autouse=True)
def no_cache(monkeypatch):
    """Generate afresh every time: a cached module must not hide what the compiler does now."""
    monkeypatch.setenv("S2SAD_CACHE", "0")


# -- cases ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    source: str
    wrt: int | str | tuple
    inputs: tuple  # (label, {parameter: value}) pairs; the label says which way the inputs go
    vjp: bool = False
    bug: str | None = None  # one-line diagnosis of the s2sad bug the case exposes (xfail, strict)
    refusal_ok: bool = False  # the README says s2sad refuses this: an S2SADError is a correct answer


def case(id, source, inputs, wrt=0, *, vjp=False, bug=None, refusal_ok=False):
    return Case(id, textwrap.dedent(source), wrt, tuple(inputs.items()), vjp, bug, refusal_ok)


def A(*values):
    return np.array(values, dtype=float)


X3 = A(0.3, 0.6, 0.9)
X4 = A(0.35, -0.6, 0.8, -0.25)
X5 = A(0.5, -0.7, 0.9, -0.3, 1.1)
W33 = A(0.4, -0.3, 0.2, 0.1, 0.5, -0.4, -0.2, 0.3, 0.6).reshape(3, 3)

CASES = [
    # -- branches ---------------------------------------------------------------------------------------
    case(
        "reassigned-in-one-branch-read-after",
        """
        def f(x, a):
            y = x * a
            if a > 0.5:
                y = np.sin(y) * x
            z = y * a + x
            return np.sum(z * y)
        """,
        {"then:a>0.5": dict(x=X3, a=0.8), "skipped:a<0.5": dict(x=X3, a=0.3)},
        (0, 1),
    ),
    case(
        "helpers-with-loops-called-in-both-branches",
        """
        def h(z, a):
            out = z
            for k in range(2):
                out = np.sin(out) * a
            return out

        def f(x, a):
            if np.sum(x) > 0:
                y = h(x, a) + h(x * 2.0, a)
            else:
                y = h(a * x, 1.5)
            return np.sum(y * x)
        """,
        {"then:sum>0": dict(x=X3, a=0.8), "else:sum<0": dict(x=-X3, a=0.8)},
        (0, 1),
    ),
    case(
        "same-array-updated-in-if-read-in-else",
        """
        def f(x):
            y = x.copy()
            for i in range(x.shape[0]):
                if x[i] > 0:
                    y[i] = y[i] * y[i - 1]
                else:
                    y[i - 1] = y[i] + np.sin(y[i - 1])
            return np.sum(y)
        """,
        {"both-arms:mixed-signs": dict(x=X5)},
    ),
    # -- loops: reassignment, trip counts, nesting ------------------------------------------------------
    case(
        "name-reassigned-on-some-iterations",
        """
        def f(x, a):
            y = x
            z = a
            for i in range(6):
                if i % 3 == 1:
                    z = y * z
                y = np.sin(y) + z * 0.1
            return y * z
        """,
        {"six-trips": dict(x=0.3, a=0.8)},
        (0, 1),
    ),
    case(
        "inner-trip-count-from-outer-index",
        """
        def f(x, a):
            total = 0.0
            for i in range(x.shape[0]):
                for j in range(i):
                    total = total + x[i] * x[j] * (j + 1)
                k = 0
                while k < i:
                    total = total * a + x[k]
                    k += 1
            return total
        """,
        {"len=4:inner-trips-0..3": dict(x=X4, a=0.9)},
        (0, 1),
    ),
    case(
        "while-with-break-inside-for",
        """
        def f(x, a):
            total = 0.0
            for i in range(3):
                y = x * (i + 1)
                k = 0
                while True:
                    y = y * a
                    k += 1
                    if y > 3.0 or k > 10:
                        break
                total = total + y
            return total
        """,
        {"breaks-on-data": dict(x=0.5, a=1.7)},
        (0, 1),
    ),
    case(
        "continue-as-first-statement",
        """
        def f(x, a):
            total = a * 1.0
            for v in x:
                continue
                total = total + v
            for i in range(x.shape[0]):
                if i % 2 == 1:
                    continue
                total = total * x[i] + a
            return total
        """,
        {"len=4": dict(x=X4, a=0.7)},
        (0, 1),
    ),
    case(
        "while-continue-on-counter",
        """
        def f(x, a):
            k = 0
            total = 0.0
            while k < 6:
                k += 1
                if k % 2 == 0:
                    continue
                total = total + x * a * k
                x = np.sin(x)
            return total
        """,
        {"six-trips": dict(x=0.5, a=1.3)},
        (0, 1),
    ),
    case(
        "counter-and-data-conditions-mixed",
        """
        def f(x, a):
            y = x
            for i in range(6):
                if i % 2 == 0 and np.sum(y) > 0:
                    y = y * a
                elif i > 3 or np.max(y) < 0.1:
                    y = np.sin(y) + a
                else:
                    y = y - a * 0.1
            return np.sum(y)
        """,
        {"all-arms": dict(x=X3, a=0.9), "negative-start": dict(x=-X3, a=0.9)},
        (0, 1),
    ),
    case(
        "break-on-first-iteration",
        """
        def f(x, a):
            for i in range(5):
                x = x * a
                break
            for j in range(5):
                break
                x = x * 3.0
            return x * x
        """,
        {"breaks-at-once": dict(x=0.4, a=0.9)},
        (0, 1),
    ),
    case(
        "zero-trip-loops-carry-the-argument",
        """
        def f(x, a, n):
            for i in range(n):
                x = np.sin(x) * a
            while np.sum(x) > 50.0:
                x = x * a
            return np.sum(x * a)
        """,
        {"zero-trips:n=0": dict(x=X3, a=0.9, n=0), "two-trips:n=2": dict(x=X3, a=0.9, n=2)},
        (0, 1),
    ),
    case(
        "zero-trip-float-argument",
        """
        def f(x, a):
            for i in range(0):
                x = x * a
            k = 0
            while x > 5.0:
                x = x * a
            return x
        """,
        {"zero-trips": dict(x=0.4, a=0.9)},
        (0, 1),
    ),
    case(
        "deep-nesting-five-levels",
        """
        def f(x, a):
            total = 0.0
            for i in range(2):
                if x[i] > 0:
                    for j in range(i + 2):
                        k = 0
                        while k < j:
                            if (k + j) % 2 == 0:
                                total = total + a * x[j] * x[i]
                            else:
                                total = total * 0.9 + np.sin(x[k])
                            k += 1
                else:
                    total = total - x[i] * a
            return total
        """,
        {"x1<0": dict(x=A(0.5, -0.3, 0.8, 0.2), a=0.7), "x1>0": dict(x=A(0.5, 0.3, 0.8, 0.2), a=0.7)},
        (0, 1),
    ),
    case(
        "first-assigned-in-a-branch-inside-loop",
        """
        def f(x, a):
            for i in range(4):
                if i > 0:
                    z = np.sin(z) * a
                else:
                    z = x
            return z
        """,
        {"four-trips": dict(x=0.5, a=0.8)},
        (0, 1),
    ),
    case(
        "loop-variable-restored-for-earlier-reader",
        """
        def f(x):
            i = 2.0
            y = x * i
            for i in range(3):
                y = y + x * i
            return np.sum(y * y)
        """,
        {"three-trips": dict(x=X3)},
    ),
    case(
        "concatenate-growth-changes-shape",
        """
        def f(x, a):
            v = x[:1]
            for i in range(1, x.shape[0]):
                if x[i] > 0:
                    v = np.concatenate([v, v[-1:] * a + x[i:i + 1]])
                else:
                    v = np.concatenate([v * a, np.sin(v[:1])])
            return np.sum(v * v)
        """,
        {"both-arms": dict(x=X4, a=0.7)},
        (0, 1),
    ),
    # -- returns and helpers ----------------------------------------------------------------------------
    case(
        "return-inside-while-in-helper-called-twice",
        """
        def h(z, a):
            while True:
                z = z * a
                if z > 2.0:
                    return z * 0.5
            return z

        def f(x, a):
            return h(x, a) + h(x * 1.3, a) * x
        """,
        {"returns-in-both-calls": dict(x=0.4, a=1.6)},
        (0, 1),
    ),
    case(
        "return-in-for-inside-while",
        """
        def f(x, a):
            n = 0
            while n < 5:
                for i in range(3):
                    x = x * a
                    if x > 4.0:
                        return x * n
                n += 1
            return -x
        """,
        {"returns:a>1": dict(x=0.5, a=1.3), "falls-through:a<1": dict(x=0.5, a=0.9)},
        (0, 1),
    ),
    case(
        "helper-with-early-return-in-loop-with-break",
        """
        def clip_step(z, a):
            if z > 1.0:
                return 1.0 + 0.1 * z
            w = z * a
            return w

        def f(x, a):
            for i in range(8):
                x = clip_step(x, a) + 0.1
                if x > 2.0:
                    break
            return x * a
        """,
        {"both-arms,no-break": dict(x=0.3, a=1.6)},
        (0, 1),
    ),
    case(
        "tuple-returning-helper-unpacked-in-loop",
        """
        def h(a, b):
            return a * b, a + b

        def f(x, y):
            for i in range(3):
                x, y = h(np.sin(x), y * 0.5)
            return x * y
        """,
        {"three-trips": dict(x=0.4, y=0.9)},
        (0, 1),
    ),
    case(
        "while-condition-calls-helpers-with-loops-and-returns",
        """
        def norm1(v):
            s = 0.0
            for t in v:
                s = s + abs(t)
            return s

        def first_big(v, lim):
            for t in v:
                if t > lim:
                    return t
            return lim

        def f(x, a):
            k = 0
            while norm1(x) < 5.0 and first_big(x, 3.0) <= 3.0:
                x = x * a + 0.1
                k += 1
            return np.sum(x * x) * k
        """,
        {"several-trips": dict(x=X3, a=1.5)},
        (0, 1),
    ),
    case(
        "and-in-while-test-reads-data",
        """
        def f(x, a):
            i = 0
            total = 0.0
            while i < x.shape[0] and x[i] * a < 1.0:
                total = total + np.sin(x[i] * a)
                i += 1
            return total
        """,
        {"stops-at-x3": dict(x=A(0.3, 0.6, 0.9, 2.0, 0.1), a=0.9)},
        (0, 1),
    ),
    # -- lists --------------------------------------------------------------------------------------------
    case(
        "list-appends-in-nested-loops-and-branches-stack-and-index",
        """
        def f(x, W):
            hs = []
            h = x
            for i in range(3):
                for j in range(2):
                    if (i + j) % 2 == 0:
                        h = np.tanh(W @ h)
                        hs.append(h)
                    else:
                        hs.append(h * 0.5)
            H = np.stack(hs)
            return np.sum(H * H) + np.sum(hs[-1]) + np.sum(hs[2] * hs[0])
        """,
        {"six-items": dict(x=X3, W=W33)},
        (0, 1),
    ),
    case(
        "for-over-a-list-that-was-appended-to",
        """
        def f(x, a):
            hs = []
            for i in range(3):
                x = np.sin(x) * a
                hs.append(x)
            total = 0.0
            for h in hs:
                total = total + np.sum(h * h)
            for i, h in enumerate(hs):
                total = total + np.sum(hs[i] * h) * (i + 1)
            return total
        """,
        {"three-items": dict(x=X3, a=1.3)},
        (0, 1),
    ),
    case(
        "list-read-at-previous-index-while-appending",
        """
        def f(x, a):
            hs = [x]
            total = 0.0
            for i in range(1, 4):
                hs.append(hs[i - 1] * a + np.sin(hs[-1]))
                total = total + np.sum(hs[i] * hs[0])
            return total + np.sum(hs[-1])
        """,
        {"three-trips": dict(x=X3, a=0.7)},
        (0, 1),
    ),
    case(
        "list-appended-in-while-with-break",
        """
        def f(x, a):
            hs = []
            while True:
                x = x * a
                hs.append(x)
                if np.sum(x) > 3.0:
                    break
            return np.sum(np.stack(hs)) + np.sum(hs[-1] ** 2)
        """,
        {"breaks-after-several": dict(x=X3, a=1.5)},
        (0, 1),
    ),
    case(
        "list-appended-in-one-arm-read-in-other",
        """
        def f(x, a):
            hs = [x]
            total = 0.0
            for i in range(5):
                if i % 2 == 0:
                    hs.append(np.sin(hs[-1]) * a)
                else:
                    total = total + np.sum(hs[-1] * hs[0])
            return total + np.sum(np.concatenate(hs))
        """,
        {"both-arms": dict(x=X3, a=0.8)},
        (0, 1),
    ),
    case(
        "list-of-pieces-of-varying-size",
        """
        def f(x, a):
            parts = []
            for i in range(x.shape[0]):
                if x[i] > 0.5:
                    parts.append(x[:i + 1] * a)
                else:
                    parts.append(np.sin(x[i:]))
            v = np.concatenate(parts)
            return np.sum(v * v) + np.sum(parts[0]) * a
        """,
        {"both-arms": dict(x=X3, a=0.8)},
        (0, 1),
    ),
    case(
        "list-of-python-floats-with-branches",
        """
        def f(a, b):
            vals = [a]
            for i in range(3):
                if vals[-1] > 1.0:
                    vals.append(vals[-1] * 0.5)
                else:
                    vals.append(vals[-1] * b + a)
            return sum(vals) * vals[1]
        """,
        {"both-arms": dict(a=0.8, b=1.7)},
        (0, 1),
    ),
    # -- updates of arrays ------------------------------------------------------------------------------
    case(
        "setitem-reads-previous-slot-same-iteration",
        """
        def f(x, a):
            y = np.zeros_like(x)
            y[0] = x[0]
            for i in range(1, x.shape[0]):
                y[i] = y[i - 1] * a + np.sin(y[i - 1]) * x[i]
                y[i - 1] = y[i - 1] * y[i]
            return np.sum(y * y)
        """,
        {"len=4": dict(x=X4, a=0.7)},
        (0, 1),
    ),
    case(
        "augmented-setitem-in-loop-array-used-after",
        """
        def f(x, a):
            y = np.ones(3)
            for i in range(x.shape[0]):
                y[i % 3] += x[i] * a * y[(i + 1) % 3]
            z = y * y
            y[1] = 0.0
            return np.sum(z) + np.sum(y * a)
        """,
        {"len=4": dict(x=X4, a=0.7)},
        (0, 1),
    ),
    case(
        "row-view-read-by-the-reverse-sweep-then-overwritten",
        """
        def f(w, y):
            y = y * 1.0
            z = np.sum(w * y[0])
            y[0] = 7.0
            t = np.sum(np.tanh(y.T[1]) * w[1])
            y[1] = y[1] * 0.5
            return z + t + np.sum(y * w)
        """,
        {"2x3": dict(w=np.array([0.3, -1.1, 0.8]), y=np.array([[1.0, 2.0, 3.0], [-0.5, 0.4, 1.5]]))},
        (0, 1),
    ),
    case(
        "row-of-a-matrix-updated-from-itself-every-trip",
        """
        def f(w, y):
            y = y * w
            for k in range(3):
                y[0] = y[0] * w + np.sin(y[1])
                y[1] = y[1] * y[0]
            return np.sum(y * y)
        """,
        {"2x3": dict(w=0.7, y=np.array([[0.5, -1.0, 0.3], [0.2, 0.9, -0.4]]))},
        (0, 1),
    ),
    # -- shape classes: a math.* call proves a scalar only where it runs -------------------------------
    case(
        "math-call-in-an-arm-never-taken-on-an-array",
        """
        def f(x, s):
            y = s * x
            for i in range(3):
                if i == 5:
                    y = math.sin(y)
                y = y * s + 0.5
            return np.sum(y * y)
        """,
        {"len=4": dict(x=X4, s=0.7)},
        (0, 1),
    ),
    case(
        "math-call-in-a-loop-that-runs-zero-times",
        """
        def f(x, s, n):
            y = s * x
            z = 0.0
            for i in range(n):
                z = z + math.sin(y)
            return np.sum(y * s) + z
        """,
        {"zero-trips": dict(x=X4, s=0.7, n=0)},
        (0, 1),
    ),
    case(
        "scalar-loop-with-array-parameter-broadcast-after",
        """
        def f(a, x):
            t = a
            for i in range(4):
                t = t * a + math.sin(t)
            return np.sum(t * x)
        """,
        {"scalar-a": dict(a=0.6, x=X4)},
        (0, 1),
    ),
    case(
        "stencil-slice-updated-in-place-its-old-values-unread",
        """
        def f(u0, kappa):
            u = u0 * 1.0
            for step in range(4):
                u[1:-1] = u[1:-1] + kappa * (u[2:] - 2.0 * u[1:-1] + u[:-2])
            return np.sum(u * u)
        """,
        {"len=6": dict(u0=np.array([0.3, -1.2, 0.8, 1.5, -0.4, 0.9]), kappa=0.2)},
        (0, 1),
    ),
    case(
        "setitem-zeroes-slots-in-branch",
        """
        def f(x, w):
            y = x * w
            for i in range(y.shape[0]):
                if y[i] < 0:
                    y[i] = 0.0
            return np.sum(y * y) + np.sum(y)
        """,
        {"mixed-signs": dict(x=X4, w=1.3)},
        (0, 1),
    ),
    case(
        "setitem-minus-and-row-update-in-nested-branches",
        """
        def f(x, w):
            y = np.zeros((2, 3))
            for i in range(2):
                for j in range(3):
                    if (i + j) % 2 == 0:
                        y[i, j] -= x[j] * w
                    else:
                        y[i, :] += x * y[i, j]
            return np.sum(y * y)
        """,
        {"2x3": dict(x=X3, w=1.3)},
        (0, 1),
    ),
    case(
        "setitem-in-branches-array-output",
        """
        def f(x, a):
            y = np.zeros(4)
            for i in range(3):
                if x[i] > 0.5:
                    y[i] = x[i] * a
                else:
                    y[i + 1] += np.sin(x[i])
            return y
        """,
        {"both-arms": dict(x=X3, a=0.7)},
        (0, 1),
        vjp=True,
    ),
    # -- bugs ---------------------------------------------------------------------------------------------
    case(
        "accumulator-reset-to-a-constant-on-one-iteration",
        """
        def f(x, a):
            s = 0.0
            for i in range(5):
                if i == 2:
                    s = 0.0
                s = s + a * x[i]
            return s * s
        """,
        {"reset-at-i=2": dict(x=X5, a=0.7)},
        (0, 1),
    ),
    case(
        "constant-overwrite-in-taken-branch",
        """
        def f(x, a):
            y = x * a
            if a > 0.5:
                y = np.ones(3)
            return np.sum(y * y)
        """,
        {"then:a>0.5": dict(x=X3, a=0.7)},
        (0, 1),
    ),
    case(
        "constant-overwrite-in-one-arm-drops-other-arm",
        """
        def f(x, a):
            y = x * a
            z = x
            if a > 0.5:
                y = np.ones(3)
                z = x * x
            return np.sum(y * y + z)
        """,
        {"skipped:a<0.5": dict(x=X3, a=0.3)},
        (0, 1),
    ),
    case(
        "loop-overwrites-with-constant",
        """
        def f(x, a):
            y = x * a
            k = 0
            while k < 2:
                y = np.ones(3) * k
                k += 1
            return np.sum(y * y) + a
        """,
        {"two-trips": dict(x=X3, a=0.7)},
        (0, 1),
    ),
    case(
        "name-defined-in-one-arm-used-under-same-test",
        """
        def f(x, a):
            if a > 0:
                z = x * 2.0
                w = z * z
            total = np.sum(x) * a
            if a > 0:
                total = total + np.sum(w * z)
            return total
        """,
        {"both-skipped:a<0": dict(x=X3, a=-0.7)},
        (0, 1),
    ),
    case(
        "shape-classes-leak-from-then-arm-into-else-arm",
        """
        def f(x, s):
            y = s * 1.0
            if s > 0:
                y = x * 2.0
            else:
                z = y * x
                y = z + 1.0
            return np.sum(y * y)
        """,
        {"else:s<0": dict(x=X3, s=-0.5)},
        (0, 1),
    ),
    case(
        "tuple-bound-differently-in-each-arm",
        """
        def f(x, y):
            if x > 0:
                p = (x, y)
            else:
                p = (y, x)
            return p[0] * 2.0 + p[1] * p[1] * 3.0
        """,
        {"then:x>0": dict(x=0.7, y=0.4)},
        (0, 1),
        refusal_ok=True,  # rebinding a tuple in a branch or loop is refused
    ),
    case(
        "tuple-carried-around-loop",
        """
        def f(a, b):
            t = (a, b)
            for i in range(3):
                t = (t[1], t[0] + t[1] * 0.5)
            return t[0] * t[1]
        """,
        {"three-trips": dict(a=0.7, b=0.4)},
        (0, 1),
        refusal_ok=True,  # rebinding a tuple in a branch or loop is refused
    ),
    case(
        "helper-tuple-result-fed-back-in-loop",
        """
        def h(a, b):
            return b, a * b

        def f(x, y):
            p = h(x, y)
            for i in range(3):
                p = h(p[0], p[1])
            return p[0] + p[1]
        """,
        {"three-trips": dict(x=0.5, y=0.7)},
        (0, 1),
        refusal_ok=True,  # rebinding a tuple in a branch or loop is refused
    ),
    case(
        "tuple-item-name-reassigned-after-packing",
        """
        def f(a, b):
            total = 0.0
            for w in (a, b):
                b = b * 2.0
                total = total + w * a
            return total
        """,
        {"two-items": dict(a=0.5, b=0.7)},
        (0, 1),
    ),
    case(
        "for-over-array-reassigned-in-body",
        """
        def f(x):
            total = 0.0
            for v in x:
                x = x * 2.0
                total = total + v * np.sum(x)
            return total
        """,
        {"three-rows": dict(x=X3)},
    ),
    case(
        "two-setitems-after-a-read",
        """
        def f(x, a):
            y = np.ones(3)
            total = 0.0
            for i in range(2):
                total = total + np.sum(y * x)
                y[0] = x[0] * a
                y[1] = x[1] * a
            return total
        """,
        {"two-trips": dict(x=X3, a=0.7)},
        (0, 1),
    ),
    case(
        "two-appends-after-a-read",
        """
        def f(x, a):
            hs = [x]
            for i in range(3):
                h = np.tanh(hs[-1] * a)
                hs.append(h)
                hs.append(h * h)
            return np.sum(np.stack(hs))
        """,
        {"three-trips": dict(x=X3, a=0.7)},
        (0, 1),
    ),
    case(
        "setitem-on-array-another-name-aliases",
        """
        def f(x, a):
            y = np.zeros(3)
            for i in range(3):
                prev = y
                y[i] = x[i] * a
                y = y * 1.0
            return np.sum(prev * y)
        """,
        {"three-trips": dict(x=X3, a=0.7)},
        (0, 1),
        refusal_ok=True,
    ),
    case(
        "setitem-on-array-a-view-sees",
        """
        def f(x):
            y = np.zeros(3)
            v = y.reshape(3)
            for i in range(3):
                if x[i] > 0:
                    y[i] = x[i] * 2.0
            return np.sum(v * x)
        """,
        {"all-positive": dict(x=X3)},
        refusal_ok=True,
    ),
    case(
        "augmented-assignment-on-array-another-name-aliases",
        """
        def f(x):
            y = x * 2.0
            z = y
            for i in range(2):
                y += x
            return np.sum(z * x)
        """,
        {"two-trips": dict(x=X3)},
        refusal_ok=True,
    ),
    case(
        "append-to-list-another-name-aliases",
        """
        def f(x):
            hs = []
            seen = hs
            for i in range(2):
                hs.append(x * (i + 2.0))
            return np.sum(np.stack(seen) * x)
        """,
        {"two-items": dict(x=X3)},
        refusal_ok=True,
    ),
    case(
        "loop-over-tuple-with-break-in-inner-loop",
        """
        def f(w1, w2, x):
            total = 0.0
            for w in (w1, w2):
                for i in range(3):
                    if x[i] * w > 1.0:
                        break
                    total = total + x[i] * w
            return total
        """,
        {"inner-breaks": dict(w1=0.8, w2=1.9, x=X3)},
        (0, 1),
    ),
]

CASES_BY_ID = {item.id: item for item in CASES}
assert len(CASES_BY_ID) == len(CASES), "case ids must be unique"


# -- machinery --------------------------------------------------------------------------------------


def _params():
    for item in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=item.bug)] if item.bug else []
        for label, _ in item.inputs:
            yield pytest.param(item, label, id=f"{item.id}:{label}", marks=marks)


_MODULES: dict[str, object] = {}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("control_review")


def module_of(item: Case, folder):
    if item.id not in _MODULES:
        _MODULES[item.id] = write_module(folder, HEADER + item.source)
    return _MODULES[item.id]


def make_args(item: Case, label: str) -> list:
    return copies(dict(item.inputs)[label].values())


def assert_types(gradients, args, wrt):
    for index, gradient in zip(wrt, gradients, strict=True):
        value = args[index]
        if isinstance(value, float):
            assert type(gradient) is float, f"gradient of argument {index} is {type(gradient).__name__}"
        else:
            assert isinstance(gradient, np.ndarray), f"gradient of argument {index} is {type(gradient).__name__}"
            assert gradient.dtype == value.dtype, f"gradient of argument {index} has dtype {gradient.dtype}"


@pytest.mark.parametrize("item, label", list(_params()))
def test_matches_finite_differences(item, label, folder):
    f = module_of(item, folder).f
    wrt = positions(f, item.wrt)
    args = make_args(item, label)
    saved = copies(args)

    def pure(*values):
        return f(*copies(values))

    try:
        if item.vjp:
            d_out = np.linspace(-1.0, 1.5, np.size(pure(*args))).reshape(np.shape(pure(*args)))
            actual = as_tuple(s2sad.vjp(f, wrt=item.wrt)(*args, d_out), item.wrt)
        else:
            d_out = 1.0
            derivative = s2sad.grad(f, wrt=item.wrt)
            actual = as_tuple(derivative(*args), item.wrt)
    except s2sad.S2SADError:
        if item.refusal_ok:
            return
        raise
    for before, after in zip(saved, args, strict=True):
        np.testing.assert_array_equal(before, after, err_msg="an input was modified")
    expected = numeric_vjp(pure, args, wrt, d_out)
    assert len(actual) == len(wrt)
    assert_gradients_close(actual, expected, args, wrt)
    assert_types(actual, args, wrt)
    if item.vjp:
        return
    value, gradients = s2sad.value_and_grad(f, wrt=item.wrt)(*args)
    assert value == pure(*args), "value_and_grad's value is not f's"
    assert type(value) is type(pure(*args))
    for first, second in zip(actual, as_tuple(gradients, item.wrt), strict=True):
        np.testing.assert_array_equal(first, second, err_msg="value_and_grad's gradient is not grad's")


# -- the inputs are away from branch boundaries (checks the table itself; needs no s2sad) -------------------


@pytest.mark.parametrize("item, label", [pytest.param(i, l, id=f"{i.id}:{l}") for i in CASES for l, _ in i.inputs])
def test_inputs_are_away_from_branch_boundaries(item, label, folder):
    f = module_of(item, folder).f
    args = make_args(item, label)
    path = control_path(f, args)
    rng = np.random.default_rng(0)
    for _ in range(4):
        moved = list(args)
        for index in positions(f, item.wrt):
            value = args[index]
            shift = rng.choice([-1e-4, 1e-4], np.shape(value))
            moved[index] = float(value + shift) if isinstance(value, float) else value + shift
        assert control_path(f, moved) == path, "a 1e-4 move of the inputs changes the way the program goes"


# -- a long loop ------------------------------------------------------------------------------------------

LONG_LOOP = """
def f(x, a):
    h = x
    total = 0.0
    for i in range(2000):
        if i % 7 == 3:
            h = np.tanh(h * a + 0.01)
        else:
            h = h + 0.0001 * np.sin(h)
        total = total + np.sum(h) * 0.001
    return total
"""


def test_two_thousand_step_loop(tmp_path):
    """A long loop with a branch in it: generated and differentiated correctly (its speed is a benchmark's job)."""
    f = write_module(tmp_path, HEADER + LONG_LOOP).f
    derivative = s2sad.grad(f, wrt=(0, 1))
    args = [X3.copy(), 0.8]
    actual = derivative(*args)
    expected = numeric_vjp(f, args, (0, 1), 1.0)
    assert_gradients_close(actual, expected, args, (0, 1))


# -- float32 stays float32 ---------------------------------------------------------------------------------

FLOAT32_CASES = [
    "counter-and-data-conditions-mixed",
    "zero-trip-loops-carry-the-argument",
    "list-appends-in-nested-loops-and-branches-stack-and-index",
    "setitem-zeroes-slots-in-branch",
]


@pytest.mark.parametrize("case_id", FLOAT32_CASES)
def test_float32_inputs_keep_float32(case_id, folder):
    """Gradients of float32 arrays (and numpy float32 scalars) come back in float32, close to float64's."""
    item = CASES_BY_ID[case_id]
    f = module_of(item, folder).f
    wrt = positions(f, item.wrt)
    derivative = s2sad.grad(f, wrt=item.wrt)
    for label, _ in item.inputs:
        args = make_args(item, label)
        narrow = list(args)
        for index in wrt:
            value = args[index]
            narrow[index] = np.float32(value) if isinstance(value, float) else value.astype(np.float32)
        wide = as_tuple(derivative(*args), item.wrt)
        got = as_tuple(derivative(*narrow), item.wrt)
        for index, g32, g64 in zip(wrt, got, wide, strict=True):
            assert type(g32) is type(narrow[index]), f"{label}: argument {index} gave {type(g32).__name__}"
            assert g32.dtype == np.float32, f"{label}: argument {index} gave dtype {g32.dtype}"
            np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-5, err_msg="float32 rounding only")
