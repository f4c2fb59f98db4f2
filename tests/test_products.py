"""Matrix-product adjoints done in fewer, larger products: stacked over a loop's trips
(s2sad/optimize/stacking.py) and fused with a gather (s2sad/optimize/fusion.py). Each case checks
that the faster form is used and that the gradient equals central differences."""

import numpy as np
import pytest

import s2sad
from s2sad import runtime
from tests.support import assert_gradients_close, numeric_vjp, write_module

HEADER = "import numpy as np\n\n"

# (id, source of f, argument shapes, wrt, text the generated gradient must hold or "" for none)
CASES = [
    (
        "matrix-times-vector-every-trip",
        """
def f(W, U, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)
""",
        [(4, 4), (4, 3), (5, 3), (4,)],
        (0, 1, 3),
        "matmul_adjoint_left_stacked",
    ),
    (
        "vector-times-matrix-every-trip",
        """
def f(W, h):
    for t in range(4):
        h = np.sin(h @ W)
    return np.sum(h)
""",
        [(3, 3), (3,)],
        (0, 1),
        "matmul_adjoint_right_stacked",
    ),
    (
        "batch-times-matrix-every-trip",
        """
def f(W, H):
    for t in range(3):
        H = np.tanh(H @ W)
    return np.sum(H ** 2)
""",
        [(4, 4), (5, 4)],
        (0, 1),
        "matmul_adjoint_right_stacked",
    ),
    (
        "matrix-times-batch-every-trip",
        """
def f(W, H):
    for t in range(3):
        H = np.tanh(W @ H)
    return np.sum(H ** 2)
""",
        [(4, 4), (4, 2)],
        (0, 1),
        "matmul_adjoint_left_stacked",
    ),
    (
        "stacked-inside-an-outer-loop-and-a-branch",
        """
def f(W, h):
    total = 0.0
    for epoch in range(2):
        if np.sum(h) > 100.0:
            h = h * 0.5
        for t in range(3):
            h = np.tanh(W @ h)
            total = total + np.sum(h)
    return total
""",
        [(3, 3), (3,)],
        (0, 1),
        "matmul_adjoint_left_stacked",
    ),
    (
        "no-trips-at-all",
        """
def f(W, h, n):
    for t in range(n):
        h = np.tanh(W @ h)
    return np.sum(h)
""",
        [(3, 3), (3,), "zero"],
        (0, 1),
        "matmul_adjoint_left_stacked",
    ),
    # The loop updates an array in place: a saved factor could change under the list, so no stacking.
    (
        "in-place-update-in-the-loop-keeps-per-trip-products",
        """
def f(W, h):
    hs = np.zeros((3, 3))
    for t in range(3):
        h = np.tanh(W @ h)
        hs[t] = h
    return np.sum(hs * hs)
""",
        [(3, 3), (3,)],
        (0, 1),
        "",
    ),
    # The matrix changes in the loop: each trip's product is with a different matrix.
    (
        "matrix-rebound-in-the-loop",
        """
def f(W, h):
    for t in range(3):
        h = np.tanh(W @ h)
        W = W * 0.9
    return np.sum(h)
""",
        [(3, 3), (3,)],
        (0, 1),
        "",
    ),
    (
        "gathered-rows-times-vector",
        """
def f(E, v, idx):
    return np.sum(np.tanh(E[idx] @ v))
""",
        [(5, 3), (3,), "index"],
        (0, 1),
        "getitem_matmul_adjoint",
    ),
    (
        "gathered-rows-times-matrix",
        """
def f(E, M, idx):
    return np.sum(np.tanh(E[idx] @ M) ** 2)
""",
        [(5, 3), (3, 2), "index"],
        (0, 1),
        "getitem_matmul_adjoint",
    ),
    (
        "gathered-rows-with-negative-indices",
        """
def f(E, v):
    idx = np.array([-1, 0, -1, 2, 4, 4, -5])
    return np.sum(np.tanh(E[idx] @ v))
""",
        [(5, 3), (3,)],
        (0, 1),
        "getitem_matmul_adjoint",
    ),
    (
        "more-rows-than-gathered-falls-back",
        """
def f(E, v):
    idx = np.array([3, 1])
    return np.sum(np.tanh(E[idx] @ v))
""",
        [(6, 3), (3,)],
        (0, 1),
        "getitem_matmul_adjoint",
    ),
]


def _argument(shape, rng):
    if shape == "index":
        return np.array([0, 4, 4, 1, 0, 4, 2, 3, 3, 3])
    if shape == "zero":
        return 0
    return rng.uniform(-1.0, 1.0, shape)


@pytest.mark.parametrize("source, shapes, wrt, marker", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_gradient_matches_finite_differences(source, shapes, wrt, marker, tmp_path):
    module = write_module(tmp_path, HEADER + source)
    rng = np.random.default_rng(7)
    args = [_argument(shape, rng) for shape in shapes]
    gradient = s2sad.grad(module.f, wrt=wrt)
    generated = s2sad.source(gradient)
    if marker:
        assert marker in generated
    else:
        assert "_stacked" not in generated and "getitem_matmul_adjoint" not in generated
    assert_gradients_close(gradient(*args), numeric_vjp(module.f, args, wrt, 1.0), args, wrt)


def test_float32_gradients_stay_float32(tmp_path):
    module = write_module(tmp_path, HEADER + CASES[0][1])
    rng = np.random.default_rng(3)
    args = [rng.uniform(-1.0, 1.0, shape).astype(np.float32) for shape in CASES[0][2]]
    gradients = s2sad.grad(module.f, wrt=(0, 1, 3))(*args)
    assert [g.dtype for g in gradients] == [np.float32] * 3


# The helpers against the per-trip sums they replace, including mixed shapes (the fallback).
def test_stacked_helpers_equal_the_sum_of_their_parts():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(4, 3))
    pairs = [(rng.normal(size=4), rng.normal(size=3)), (rng.normal(size=(4, 2)), rng.normal(size=(3, 2)))]
    for chosen in (pairs[:1] * 3, pairs[1:] * 2, pairs):
        gs, bs = [g for g, _ in chosen], [b for _, b in chosen]
        expected = sum(runtime.matmul_adjoint_left(g, W, b) for g, b in chosen)
        np.testing.assert_allclose(runtime.matmul_adjoint_left_stacked(gs, W, bs), expected, rtol=1e-12)
    pairs = [(rng.normal(size=3), rng.normal(size=4)), (rng.normal(size=(2, 3)), rng.normal(size=(2, 4)))]
    for chosen in (pairs[:1] * 3, pairs[1:] * 2, pairs):
        gs, items = [g for g, _ in chosen], [a for _, a in chosen]
        expected = sum(runtime.matmul_adjoint_right(g, a, W) for g, a in chosen)
        np.testing.assert_allclose(runtime.matmul_adjoint_right_stacked(gs, items, W), expected, rtol=1e-12)
    assert runtime.matmul_adjoint_left_stacked([], W, []) == 0.0


def test_fused_gather_equals_the_unfused_pair():
    rng = np.random.default_rng(1)
    E = rng.normal(size=(4, 3))
    for index in (np.array([0, 3, 3, 1, 0, 2]), np.array([1, 1]), np.array([[0, 1], [2, 3]])):
        rows = E[index]
        for b in (rng.normal(size=3), rng.normal(size=(3, 2))):
            g = rng.normal(size=(rows @ b).shape)
            expected = runtime.getitem_adjoint(runtime.matmul_adjoint_left(g, rows, b), E, index)
            np.testing.assert_allclose(runtime.getitem_matmul_adjoint(g, rows, b, E, index), expected, rtol=1e-12)
