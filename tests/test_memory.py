"""Arrays are memory, not names (DESIGN.md section 7): updates seen through views and aliases.

Every form of issue 13 is either differentiated right in both modes (reverse
against central differences, forward against the same numbers along a random
direction) or refused, located. The functions are plain numpy: each case also
runs as written, so the reference is what numpy itself computes.
"""

import textwrap

import numpy as np
import pytest

import s2sad
from s2sad.finite_differences import ATOL, RTOL
from tests.support import assert_located, numeric_hvp, numeric_vjp, write_module

HEADER = "import numpy as np\n\n\n"

X4 = np.array([1.0, 2.0, 3.0, 4.0])
X6 = np.array([0.3, -1.2, 0.7, 1.9, -0.4, 1.1])

# (id, source of f (and helpers), arguments): all arguments are differentiated.
DIFFERENTIATED = [
    # -- the reproducers: one array seen through two names, updated through the second -------------
    ("alias", "def f(x):\n    y = x * 1.0\n    z = y\n    z[0] = 5.0\n    return np.sum(y * x)\n", (X4,)),
    ("slice", "def f(x):\n    y = x * 1.0\n    z = y[1:]\n    z[0] = 5.0\n    return np.sum(y * x)\n", (X4,)),
    ("full-slice", "def f(x):\n    y = x * 1.0\n    z = y[:]\n    z[0] = 5.0\n    return np.sum(y * x)\n", (X4,)),
    ("ellipsis", "def f(x):\n    y = x * 1.0\n    z = y[...]\n    z[0] = 5.0\n    return np.sum(y * x)\n", (X4,)),
    (
        "transpose",
        "def f(x):\n    y = np.outer(x, x[:3])\n    z = y.T\n    z[0] = x[:4] * 2.0\n" "    return np.sum(y * y)\n",
        (X4,),
    ),
    (
        "row-of-2d",
        "def f(x):\n    y = np.outer(x, x)\n    z = y[0]\n    z[0] = 5.0\n    return np.sum(y * 2.0)\n",
        (X4,),
    ),
    (
        "reshape",
        "def f(x):\n    y = x * 1.0\n    z = y.reshape((2, 2))\n    z[0, 0] = 5.0\n    return np.sum(y * x)\n",
        (X4,),
    ),
    (
        "method-ravel",
        "def f(x):\n    y = np.outer(x, x)\n    z = y.ravel()\n    z[3] = x[0]\n    return np.sum(y * y)\n",
        (X4,),
    ),
    ("np-ravel", "def f(x):\n    y = x * 1.0\n    z = np.ravel(y)\n    z[0] = 5.0\n    return np.sum(y * x)\n", (X4,)),
    (
        "squeeze",
        "def f(x):\n    y = np.reshape(x * 1.0, (1, 4))\n    z = y.squeeze()\n    z[1] = x[0] ** 2\n"
        "    return np.sum(y * y)\n",
        (X4,),
    ),
    (
        "expand-dims",
        "def f(x):\n    y = x * 1.0\n    z = np.expand_dims(y, 0)\n    z[0, 0] = 5.0\n" "    return np.sum(y * x)\n",
        (X4,),
    ),
    (
        "chained-assignment",
        "def f(x):\n    a = b = np.zeros(4)\n    a[0] = x[0]\n    b[1] = x[1]\n" "    return np.sum(a * x)\n",
        (X4,),
    ),
    (
        "list-item",
        "def f(x):\n    y = x * 1.0\n    rows = []\n    rows.append(y)\n    rows[0][0] = 5.0\n"
        "    return np.sum(y * x)\n",
        (X4,),
    ),
    (
        "helper-returns-its-argument",
        "def g(a):\n    return a\n\ndef f(x):\n    y = x * 1.0\n    z = g(y)\n"
        "    z[0] = 5.0\n    return np.sum(y * x)\n",
        (X4,),
    ),
    (
        "helper-returns-a-view",
        "def g(a):\n    return a[1:]\n\ndef f(x):\n    y = x * 1.0\n    z = g(y)\n"
        "    z[0] = x[0] * x[3]\n    return np.sum(y * x)\n",
        (X4,),
    ),
    # -- the view read after the update (it must see it), views of views ----------------------------
    (
        "view-read-after-base-update",
        "def f(x):\n    y = x * 1.0\n    z = y[1:]\n    y[1] = x[0] ** 2\n"
        "    return np.sum(z * x[:3]) + np.sum(y)\n",
        (X4,),
    ),
    (
        "both-read-after",
        "def f(x):\n    y = x * 1.0\n    z = y[1:]\n    w = y[:2]\n    z[0] = 5.0 * x[3]\n"
        "    return np.sum(y * x) + np.sum(w * z[:2])\n",
        (X4,),
    ),
    (
        "view-of-view",
        "def f(x):\n    y = np.outer(x, x)\n    z = y[1:]\n    w = z.T\n    w[0, 1] = x[2]\n"
        "    return np.sum(y * y) + np.sum(z)\n",
        (X4,),
    ),
    (
        "update-through-view-then-base",
        "def f(x):\n    y = x * 1.0\n    z = y[::2]\n    z[1] = x[1] * 3.0\n"
        "    y[0] = z[1] * x[2]\n    return np.sum(y * x) + np.sum(z)\n",
        (X4,),
    ),
    (
        "augmented-whole-view",
        "def f(x):\n    y = x * x\n    z = y[1:3]\n    z += x[:2]\n" "    return np.sum(y * x)\n",
        (X4,),
    ),
    (
        "augmented-alias-then-float",
        "def f(x):\n    y = x * x\n    z = y\n    z *= x\n    t = x[0]\n    s = t\n"
        "    s += 1.0\n    return np.sum(y * x) + s * t\n",
        (X4,),
    ),
    (
        "augmented-part-of-view",
        "def f(x):\n    y = x * x\n    z = y[1:3]\n    z[:] += x[:2]\n" "    return np.sum(y * x)\n",
        (X4,),
    ),
    (
        "nested-target-transpose",
        "def f(x):\n    y = np.outer(x, x)\n    y.T[0] = x * 3.0\n    return np.sum(y * y)\n",
        (X4,),
    ),
    (
        "nested-target-slice",
        "def f(x):\n    y = x * 1.0\n    y[1:][0] = x[0] * x[1]\n    return np.sum(y * x)\n",
        (X4,),
    ),
    # -- the reverse sweep reads a view whose memory an alias later updates: the old values are saved -----
    (
        "sine-of-view-then-alias-updated",
        "def f(x):\n    y = x * 1.0\n    z = y[1:]\n    t = np.sin(z)\n    w = y\n"
        "    w[1] = 5.0\n    return np.sum(t) + np.sum(y * x)\n",
        (X4,),
    ),
    (
        "sine-of-view-then-chained-name-updated",
        "def f(x):\n    a = b = np.zeros(4)\n    b[:] = x\n    z = b[1:]\n"
        "    t = np.sin(z)\n    a[1] = 5.0\n    return np.sum(t) + np.sum(a * x)\n",
        (X4,),
    ),
    # -- one of several arrays, chosen at run time (a branch, a loop's earlier trip) --------------------
    (
        "one-of-two-arrays",
        "def f(x):\n    a = x * 1.0\n    b = x * 2.0\n    z = a if x[0] > 0.0 else b\n"
        "    z[0] = 5.0\n    return np.sum(a * b)\n",
        (X4,),
    ),
    (
        "one-of-two-arrays-other-way",
        "def f(x):\n    a = x * 1.0\n    b = x * 2.0\n    z = a if x[0] > 0.0 else b\n"
        "    z[0] = 5.0\n    return np.sum(a * b)\n",
        (-X4,),
    ),
    (
        "view-of-one-of-two-arrays",
        "def f(x):\n    a = x * 1.0\n    b = x * 2.0\n    c = a if x[0] > 0.0 else b\n"
        "    z = c[1:]\n    z[0] = 5.0\n    return np.sum(a * b) + np.sum(c)\n",
        (X4,),
    ),
    (
        "view-of-one-of-two-arrays-chooser-rebound",
        "def f(x):\n    a = x * 1.0\n    b = x * 2.0\n"
        "    c = a if x[0] > 0.0 else b\n    z = c[1:]\n    c = x * 3.0\n    z[0] = 5.0\n    return np.sum(a * b * c)\n",
        (X4,),
    ),
    (
        "double-buffer-write-through-view",
        "def f(x):\n    prev = x * 1.0\n    total = 0.0\n    for i in range(3):\n"
        "        cur = x * (i + 2.0)\n        v = prev[1:]\n        w = prev[:2]\n        v[0] = x[i]\n"
        "        total = total + np.sum(w * x[:2]) + np.sum(prev)\n        prev = cur\n    return total\n",
        (X4,),
    ),
    (
        "double-buffer-write-through-name",
        "def f(x):\n    prev = x * 1.0\n    total = 0.0\n    for i in range(3):\n"
        "        cur = x * (i + 2.0)\n        w = prev[:2]\n        prev[1] = x[i]\n"
        "        total = total + np.sum(w * x[:2]) + np.sum(cur)\n        prev = cur\n    return total\n",
        (X4,),
    ),
    # -- a op= e on a name: in place on an array (others see it), a new number otherwise --------------
    (
        "chained-names-times-equals",
        "def f(x):\n    v = x * 1.0\n    w1 = w2 = np.negative(np.cos(v))\n"
        "    w3 = w1.reshape(2, 2)\n    w2 *= x\n    return np.sum(w2) + np.sum(w3) + np.sum(w1)\n",
        (X4,),
    ),
    (
        "plus-equals-on-an-unshared-array",
        "def f(x):\n    y = x * 2.0\n    y += x * x\n    y -= 1.0\n" "    return np.sum(y * x)\n",
        (X4,),
    ),
    # -- found by review: swaps, alias chains, copies named twice, flatten --------------------------------
    (
        "views-of-swapped-arrays",
        "def f(x):\n    a = x * 1.0\n    b = x * 3.0\n    for i in range(3):\n"
        "        z = a[i:]\n        z[0] = z[-1] * x[i]\n        a, b = b, a\n    return np.sum(a * x) + np.sum(b * b)\n",
        (X4,),
    ),
    (
        "alias-chain-augmented",
        "def f(x):\n    y = x * 1.0\n    z = y\n    w = z\n    w += x\n    z *= x\n" "    return np.sum(y * x)\n",
        (X4,),
    ),
    (
        "alias-of-a-copy",
        "def f(x):\n    y = x * 1.0\n    idx = np.argsort(x)\n    z = y[idx]\n    z2 = z\n"
        "    z2[0] = x[0] * 5.0\n    return np.sum(z * z) + np.sum(y * y)\n",
        (X4,),
    ),
    (
        "flatten-is-a-copy",
        "def f(x):\n    y = x * 1.0\n    z = y.flatten()\n    z[0] = 5.0\n"
        "    return np.sum(y * x) + np.sum(z * x)\n",
        (X4,),
    ),
    (
        "ravel-of-a-column-of-one-of-two-arrays",
        "def f(x):\n    v = x * 1.0 if x[0, 0] > 0.0 else np.exp(x)\n"
        "    w = v.T\n    c = w[0]\n    r = c.ravel()\n    r[0] -= np.tanh(x[1, 1])\n"
        "    return np.mean(r * x[:, 0]) + np.mean(w * x.T)\n",
        (np.arange(1.0, 7.0).reshape(3, 2) / 4.0,),
    ),
    (
        "augmented-name-of-one-of-two-views",
        "def f(x):\n    a = x * 1.0\n    b = x * 2.0\n"
        "    s = a[1:] if x[0] > 0.0 else b[1:]\n    t = s[:1]\n    a = x * 3.0\n    b = x * 4.0\n    u = t[0]\n"
        "    u -= np.cos(u)\n    return np.sum(a * b) + np.sum(t) + u\n",
        (X4,),
    ),
    (
        "reshape-of-a-copy-method-is-a-view",
        "def f(x):\n    v = x * 1.0\n    t = 0.0\n    for i in range(2):\n"
        "        w1 = w2 = np.broadcast_to(v, (4, 2)).copy()\n        w3 = w1.reshape(-1)\n        w3 += x[i]\n"
        "        t = t + np.sum(np.tanh(w1) * w2)\n    return t\n",
        (np.array([0.3, -0.4]),),
    ),
    (
        "times-equals-through-a-list-item-view",
        "def f(x):\n    v = x * 1.0\n    rows = []\n    rows.append(v)\n"
        "    w = rows[0][::-1]\n    w[::2] *= np.tanh(1.0 + np.tanh(w[:2]) ** 2)\n    return np.sum(v * v)\n",
        (X4,),
    ),
    # -- views numpy may make as copies: the update reaches y only where it made a view -----------------
    (
        "reshape-that-copies",
        "def f(x):\n    y = x * 1.0\n    z = y.T.reshape((-1,))\n    z[0] = 5.0\n"
        "    return np.sum(y * x) + np.sum(z * z)\n",
        (np.arange(6.0).reshape(2, 3),),
    ),
    (
        "reshape-that-is-a-view",
        "def f(x):\n    y = x * 1.0\n    z = y.reshape((-1,))\n    z[0] = 5.0\n"
        "    return np.sum(y * x) + np.sum(z * z)\n",
        (np.arange(6.0).reshape(2, 3),),
    ),
    (
        "index-array-copies",
        "def f(x):\n    y = x * 1.0\n    idx = np.argsort(x)\n    z = y[idx]\n    z[0] = 5.0\n"
        "    return np.sum(y * x) + np.sum(z * x)\n",
        (X4,),
    ),
    (
        "integer-name-index-views",
        "def f(x):\n    y = np.outer(x, x)\n    k = 1\n    z = y[k]\n    z[0] = 5.0\n" "    return np.sum(y * y)\n",
        (X4,),
    ),
    # -- control flow: the view made or updated in a branch or a loop -------------------------------
    (
        "row-updated-in-a-loop",
        "def f(x):\n    y = np.outer(x, x)\n    for i in range(3):\n        row = y[i]\n"
        "        row[i + 1] = row[i] * x[i]\n    return np.sum(y * y)\n",
        (X4,),
    ),
    (
        "view-chosen-by-a-branch",
        "def f(x):\n    y = x * 2.0\n    if x[0] > 0.0:\n        z = y[1:]\n    else:\n"
        "        z = y[:3]\n    z[0] = x[3] ** 2\n    return np.sum(y * x)\n",
        (X4,),
    ),
    (
        "stencil-interior",
        "def f(x):\n    u = x * 1.0\n    inner = u[1:-1]\n    for t in range(3):\n"
        "        inner[:] = 0.5 * inner + 0.25 * (u[:-2] + u[2:])\n        u[0] = u[1] * 0.5\n"
        "    return np.sum(u * u)\n",
        (X6,),
    ),
    # -- *=, /=, **= on parts of arrays and through views -------------------------------------------
    ("times-equals-index", "def f(x):\n    y = x * 1.0\n    y[1] *= x[0]\n    return np.sum(y * y)\n", (X4,)),
    ("divide-equals-slice", "def f(x):\n    y = x * 1.0\n    y[1:] /= x[:3] + 3.0\n    return np.sum(y * x)\n", (X4,)),
    ("power-equals-mask", "def f(x):\n    y = x * x\n    y[x > 1.5] **= 1.5\n    return np.sum(y)\n", (X4,)),
    (
        "times-equals-view",
        "def f(x):\n    y = x * 1.0\n    z = y[::2]\n    z[:] *= x[1::2]\n" "    return np.sum(y * x)\n",
        (X4,),
    ),
    ("times-equals-2d-row", "def f(x):\n    y = np.outer(x, x)\n    y[1, :] *= x\n    return np.sum(y * 0.5)\n", (X4,)),
    # The caller's arrays, updated: differentiated with respect to their values on entry, on copies.
    ("argument-through-a-view", "def f(x):\n    z = x[1:]\n    z[0] = 5.0\n    return np.sum(z) * np.sum(x)\n", (X4,)),
    ("argument-through-transpose", "def f(x):\n    x.T[0] = x[1] ** 2\n    return np.sum(x * x)\n", (X4,)),
]


def _function(tmp_path, source):
    module = write_module(tmp_path, HEADER + textwrap.dedent(source))
    return module.f


@pytest.mark.parametrize("case_id, source, args", DIFFERENTIATED, ids=[c[0] for c in DIFFERENTIATED])
def test_update_seen_through_another_name_is_differentiated(case_id, source, args, tmp_path):
    f = _function(tmp_path, source)
    wrt = tuple(range(len(args)))
    expected = numeric_vjp(f, [a.copy() for a in args], wrt, 1.0)
    gradients = s2sad.grad(f, wrt=wrt)(*[a.copy() for a in args])
    for got, want in zip(gradients, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    rng = np.random.default_rng(13)
    for position, arg in enumerate(args):
        direction = rng.normal(size=np.shape(arg))
        others = [a.copy() for a in args]
        value, tangent = s2sad.jvp(f, wrt=position)(*others, direction)
        assert value == pytest.approx(f(*[a.copy() for a in args]), rel=1e-12)
        assert tangent == pytest.approx(float(np.sum(expected[position] * direction)), rel=RTOL, abs=ATOL)


REFUSED = [
    (
        "module-array-through-a-view",
        "W = np.zeros(4)\n\n\ndef f(x):\n    z = W[1:]\n    z[0] = x[0]\n" "    return np.sum(W * x)\n",
        "z[0]",
        "an array of the module",
    ),
    (
        "module-array-through-an-alias",
        "W = np.zeros(4)\n\n\ndef f(x):\n    z = W\n    z[0] = x[0]\n" "    return np.sum(W * x)\n",
        "z[0]",
        "an array of the module",
    ),
    (
        "out-of-a-zero-derivative-function",
        "def f(x):\n    y = x * 1.5\n    t = np.floor(y, out=y)\n" "    return np.sum(y * x)\n",
        "np.floor",
        "into an array given as out",
    ),
    (
        "positional-out",
        "def f(x):\n    y = x * 1.5\n    t = np.floor(y, y)\n    return np.sum(y * x)\n",
        "np.floor",
        "into an array given as out",
    ),
    (
        "out-of-a-method",
        "def f(x):\n    y = x * 1.5\n    t = y.round(1, y)\n    return np.sum(y * x)\n",
        "y.round",
        "into an array given as out",
    ),
    (
        "list-read-after",
        "def f(x):\n    y = x * 1.0\n    rows = [y]\n    y[0] = 5.0\n    return np.sum(rows[0] * x)\n",
        "y[0]",
        "while the list or tuple 'rows', which holds it, is read afterwards",
    ),
    (
        "part-of-one-of-two-arrays-no-holder",
        "def f(x):\n    a = x * 1.0\n    b = x * 2.0\n"
        "    z = a[1:] if x[0] > 0.0 else b[1:]\n    w = z[1:]\n    a = x * 3.0\n    b = x * 4.0\n    z[0] = 5.0\n"
        "    return np.sum(a * b) + np.sum(w)\n",
        "z[0]",
        "may see the same array",
    ),
    (
        "no-name-holds-it-whole",
        "def f(x):\n    y = x * 1.0\n    z = y[1:]\n    w = y[:2]\n    y = x * 3.0\n"
        "    z[0] = 5.0\n    return np.sum(w * y[:2])\n",
        "z[0]",
        "no name holds that whole array",
    ),
]


@pytest.mark.parametrize("case_id, source, marker, words", REFUSED, ids=[c[0] for c in REFUSED])
def test_unprovable_sharing_is_refused_located(case_id, source, marker, words, tmp_path):
    f = _function(tmp_path, source)
    for make in (s2sad.grad, s2sad.jvp):
        with pytest.raises(s2sad.S2SADError) as caught:
            make(f)
        assert words in str(caught.value)
        assert_located(str(caught.value), caught.value.origin.path, HEADER + source, marker)


SECOND_ORDER = [
    "slice",
    "transpose",
    "both-read-after",
    "reshape-that-copies",
    "times-equals-view",
    "augmented-whole-view",
    "row-updated-in-a-loop",
    "views-of-swapped-arrays",
    "alias-chain-augmented",
    "chained-names-times-equals",
]


@pytest.mark.parametrize("case_id", SECOND_ORDER)
def test_hessian_vector_products_through_updated_views(case_id, tmp_path):
    """hvp differentiates the generated tangent code again: region, reseen and their rules included."""
    _, source, args = next(case for case in DIFFERENTIATED if case[0] == case_id)
    f = _function(tmp_path, source)
    direction = np.random.default_rng(5).normal(size=np.shape(args[0]))
    product = s2sad.hvp(f)(args[0].copy(), direction)
    gradient = s2sad.grad(f)
    (expected,) = numeric_hvp(lambda x: (gradient(x),), [args[0].copy()], [0], [direction])
    np.testing.assert_allclose(product, expected, rtol=1e-5, atol=1e-5)


def test_an_array_of_another_module_is_never_updated(tmp_path):
    write_module(tmp_path, "import numpy as np\n\nBUF = np.zeros(4)\n", stem="memory_settings")
    source = "import memory_settings as cfg\n\n\ndef f(x):\n    b = cfg.BUF\n    b[0] = x[0]\n    return np.sum(cfg.BUF * x)\n"
    f = _function(tmp_path, source)
    with pytest.raises(s2sad.S2SADError, match="an array of the module") as caught:
        s2sad.grad(f)
    assert_located(str(caught.value), caught.value.origin.path, HEADER + source, "b[0]")


def test_repeated_positions_through_a_view_are_refused_at_run_time(tmp_path):
    """One write of the two is kept, which the reverse sweep cannot tell: as for y[[0, 0]] = v itself."""
    f = _function(
        tmp_path, "def f(x):\n    y = x * 1.0\n    z = y[1:]\n    z[[0, 0]] = x[:2]\n    return np.sum(y * x)\n"
    )
    with pytest.raises(s2sad.S2SADError, match="repeated entries") as caught:
        s2sad.grad(f)(X4.copy())
    assert str(caught.value).startswith(f"{caught.value.origin.path}:7:5: error:")


def test_a_position_named_twice_with_a_negative_index_is_refused_at_run_time(tmp_path):
    """[3, -1] of four items names one position twice: only the last write counts (was a wrong gradient)."""
    f = _function(
        tmp_path, "def f(x):\n    y = np.zeros(4)\n    y[np.array([3, -1])] = x[:2]\n    return np.sum(y * x)\n"
    )
    with pytest.raises(s2sad.S2SADError, match="repeated entries"):
        s2sad.grad(f)(X4.copy())
    g = _function(
        tmp_path,
        "def f(x):\n    y = np.zeros((2, 2))\n    y[np.array([0, 1]), np.array([0, 0])] = x[:2]\n"
        "    return np.sum(y * x.reshape(2, 2))\n",
    )
    expected = numeric_vjp(g, [X4.copy()], (0,), 1.0)[0]
    np.testing.assert_allclose(s2sad.grad(g)(X4.copy()), expected, rtol=RTOL, atol=ATOL)
