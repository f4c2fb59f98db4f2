"""Review of the rule table and runtime helpers on inputs tests/test_rules.py does not cover.

Every case compiles ``f`` with the whole pipeline and compares its
vector-Jacobian product with central finite differences (or, where finite
differences are meaningless, checks a stated property). Cases that currently
failed when the review found them; each is fixed and kept as a regression test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import s2sad
from tests.support import assert_gradients_close, numeric_vjp, random_value, write_module

HEADER = "import math\nimport numpy as np\n\n"

_rng = np.random.default_rng(20240601)


def _n(*shape):
    return _rng.normal(size=shape)


def _pos(*shape):
    return random_value(shape, "positive", _rng)


def _spd(*shape):
    return random_value(shape, "spd", _rng)


def _cube3():
    return _n(3, 3, 3)


def _check_vjp(tmp_path, body, args, wrt=None):
    names = [f"a{i}" for i in range(len(args))]
    module = write_module(tmp_path, HEADER + f"def f({', '.join(names)}):\n    return {body}\n")
    if wrt is None:
        wrt = tuple(
            i for i, a in enumerate(args) if isinstance(a, float) or getattr(a, "dtype", np.dtype(int)).kind == "f"
        )
    out = module.f(*args)
    d_out = 1.0 if isinstance(out, float) else random_value(np.shape(out), "real", np.random.default_rng(7))
    actual = s2sad.vjp(module.f, wrt=wrt)(*args, d_out)
    expected = numeric_vjp(module.f, args, wrt, d_out)
    assert_gradients_close(actual, expected, args, wrt)


X234 = _n(2, 3, 4)
ZEROS = np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 0.0, 3.0, 2.0], [1.0, 2.0, 3.0, 4.0]])

FD_CASES = [
    # --- broadcasting corners (pass) ---
    ("0d+float", "a0 + a1", [np.array(1.5), 2.0]),
    ("(1,)*(3,)", "a0 * a1", [_n(1), _n(3)]),
    ("(1,)*0d", "a0 * a1", [_n(1), np.array(2.0)]),
    ("(1,3)*(3,1)", "a0 * a1", [_n(1, 3), _n(3, 1)]),
    ("(3,)*(1,1)", "a0 * a1", [_n(3), _n(1, 1)]),
    ("(1,3)**(3,1)", "a0 ** a1", [_pos(1, 3), _n(3, 1)]),
    ("where-bc-cond", "np.where(a0 > 0.0, a1, a2)", [_n(3, 1), _n(1, 4), _n(3, 4)]),
    ("clip-array-bounds", "np.clip(a0, a1, a2)", [_n(3, 4), -_pos(4), _pos(3, 1)]),
    ("clip-None-max", "np.clip(a0, a1, None)", [_n(3, 4), -_pos(4) * 0.5]),
    ("clip-None-min", "np.clip(a0, None, a1)", [_n(3, 4), _pos(4) * 0.5]),
    (
        "arctan2-quadrants",
        "np.arctan2(a0, a1)",
        [np.array([1.0, -1.0, -1.0, 1.0, 0.3]), np.array([1.0, 1.0, -1.0, -1.0, -2.0])],
    ),
    (
        "logaddexp-large",
        "np.logaddexp(a0, a1)",
        [np.array([1000.0, -1000.0, 800.0]), np.array([999.0, -1001.0, -800.0])],
    ),
    ("pow-neg-base-int", "a0 ** 3", [-_pos(4)]),
    ("pow-neg-base-int-neg", "a0 ** -2", [-_pos(4)]),
    ("math.pow-neg-base", "math.pow(a0, 3.0)", [-1.5]),
    ("math.pow-both", "math.pow(a0, a1)", [1.5, 2.5]),
    # --- reductions (pass) ---
    ("sum-tuple-neg", "np.sum(a0, axis=(0, -1))", [X234]),
    ("mean-neg-keepdims", "np.mean(a0, axis=-2, keepdims=True)", [X234]),
    ("max-None-keepdims", "np.max(a0, keepdims=True)", [X234]),
    ("prod-zeros-axis1", "np.prod(a0, axis=1)", [ZEROS]),
    ("prod-zeros-all-keepdims", "np.prod(a0, axis=None, keepdims=True)", [ZEROS]),
    ("prod-tuple-reversed", "np.prod(a0, axis=(2, 0))", [X234]),
    # --- products (pass) ---
    ("matmul-batch-bcast", "a0 @ a1", [_n(2, 1, 3, 4), _n(5, 4, 2)]),
    ("matmul-1d-batched", "a0 @ a1", [_n(4), _n(2, 4, 3)]),
    ("matmul-batched-1d", "a0 @ a1", [_n(2, 1, 3, 4), _n(4)]),
    ("inner-3d-3d", "np.inner(a0, a1)", [_n(2, 3, 4), _n(5, 4)]),
    ("dot-0d", "np.dot(a0, a1)", [np.array(2.0), _n(3)]),
    # --- linalg ---
    ("inv-batch2", "np.linalg.inv(a0)", [_spd(2, 2, 3, 3)]),
    ("det-batch2", "np.linalg.det(a0)", [_spd(2, 2, 3, 3)]),
    ("norm-axis-tuple-kd", "np.linalg.norm(a0, axis=(-2, -1), keepdims=True)", [X234]),
    ("norm-3d-frob", "np.linalg.norm(a0)", [X234]),
    ("solve-batched-a-vector-b", "np.linalg.solve(a0, a1)", [_spd(2, 3, 3), _n(3)]),
    ("solve-batched-a-matrix-b", "np.linalg.solve(a0, a1)", [_spd(2, 3, 3), _n(3, 2)]),
    ("solve-matrix-a-batched-b", "np.linalg.solve(a0, a1)", [_spd(3, 3), _n(2, 3, 2)]),
    ("solve-bcast-batch", "np.linalg.solve(a0, a1)", [_spd(2, 1, 3, 3), _n(4, 3, 2)]),
    ("det-singular", "np.linalg.det(a0)", [np.array([[1.0, 2.0], [2.0, 4.0]])]),
    ("norm-ord2-axis-1tuple", "np.linalg.norm(a0, 2, (1,))", [_n(2, 3)]),
    # --- shape rules ---
    ("concat-3-neg", "np.concatenate([a0, a1, a2], axis=-1)", [_n(2, 1), _n(2, 3), _n(2, 2)]),
    ("stack-3-neg", "np.stack([a0, a1, a2], axis=-2)", [_n(2, 3), _n(2, 3), _n(2, 3)]),
    ("concat-axis-None", "np.concatenate([a0, a1], axis=None)", [_n(2, 2), _n(3)]),
    ("transpose-neg-axes", "np.transpose(a0, (-1, 0, 1))", [_cube3()]),
    ("transpose-method-neg-axes", "a0.transpose(1, -1, 0)", [X234]),
    # --- getitem (pass) ---
    ("getitem-neg-step", "a0[4:0:-2]", [_n(6)]),
    ("getitem-ellipsis-None", "a0[..., None, 1]", [X234]),
    ("getitem-mask-rows-slice", "a0[a0[:, 0] > 0.0, 1:]", [_n(3, 4)]),
    ("getitem-intarr-slice", "a0[np.array([2, 0, 2]), 1:3]", [_n(3, 4)]),
    ("getitem-two-intarr-repeat", "a0[np.array([0, 0, 2]), np.array([1, 1, 3])]", [_n(3, 4)]),
    ("getitem-empty-tuple", "a0[()]", [np.array(2.0)]),
    ("sum-axis-empty-tuple", "np.sum(a0, axis=())", [_n(3)]),
    # --- signatures: numpy's 3rd positional of sum/mean/prod is dtype ---
    ("sum-positional-dtype", "np.sum(a0, 1, np.float64)", [_n(3, 3)]),
    ("mean-positional-dtype", "np.mean(a0, 1, np.float64)", [_n(3, 3)]),
    ("prod-positional-dtype", "np.prod(a0, 1, np.float64)", [_pos(2, 3)]),
    # --- power at 0 with a zero exponent ---
    ("pow-zero-exponent-at-zero", "a0 ** 0.0", [np.array([0.0, 1.5])]),
    (
        "polynomial-at-zero",
        "np.sum(a1 * a0 ** np.arange(4.0))",
        [np.array(0.0), np.array([1.0, 2.0, 3.0, 4.0])],
    ),
    ("pow-zero-exponent-at-zero-float", "a0 ** 0.0", [0.0]),
    ("math.pow-zero-exponent-at-zero", "math.pow(a0, 0.0)", [0.0]),
    # --- clip with a_min > a_max (numpy returns a_max everywhere) ---
    (
        "clip-min-above-max",
        "np.clip(a0, a1, a2)",
        [np.array([0.5, 3.0, -3.0]), np.array(1.0), np.array(0.0)],
    ),
]


@pytest.mark.parametrize("body, args", [pytest.param(body, args, id=name) for name, body, args in FD_CASES])
def test_vjp_matches_finite_differences(body, args, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _check_vjp(tmp_path, body, [a.copy() if isinstance(a, np.ndarray) else a for a in args])


@pytest.mark.parametrize("function", ["max", "min"])
@pytest.mark.parametrize("keywords", ["", ", axis=1", ", axis=-1, keepdims=True", ", axis=(0, 1)"])
def test_extremum_ties_share_the_adjoint(function, keywords, tmp_path):
    """Finite differences are meaningless at ties; the shares must sum to d_out over each reduced group."""
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]) * (1 if function == "max" else -1)
    module = write_module(tmp_path, HEADER + f"def f(a):\n    return np.{function}(a{keywords})\n")
    out = module.f(x)
    d_out = np.arange(1.0, np.size(out) + 1).reshape(np.shape(out))
    (gradient,) = s2sad.vjp(module.f, wrt=(0,))(x, d_out)
    kw = eval(f"dict({keywords.lstrip(', ')})")
    np.testing.assert_allclose(np.sum(gradient, axis=kw.get("axis"), keepdims=kw.get("keepdims", False)), d_out)
    hits = x == np.__dict__[function](x, axis=kw.get("axis"), keepdims=True)
    assert np.all(gradient[~hits] == 0)


def _grad_no_exception(tmp_path, body, x):
    module = write_module(tmp_path, HEADER + f"def f(a):\n    return {body}\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return s2sad.grad(module.f)(x)


@pytest.mark.parametrize(
    "body, x, expected",
    [
        pytest.param("np.sqrt(a)", 0.0, np.inf, id="np.sqrt-float-0"),
        pytest.param("np.linalg.norm(a)", 0.0, 0.0, id="norm-float-0"),
        pytest.param("np.log(a)", 0.0, np.inf, id="np.log-float-0"),
        pytest.param("math.sqrt(a)", 0.0, np.inf, id="math.sqrt-0"),
        pytest.param("np.power(a, 0.5)", 0.0, np.inf, id="np.power-float-0"),
        pytest.param("math.pow(a, 0.5)", 0.0, np.inf, id="math.pow-0"),
    ],
)
def test_singular_points_do_not_crash(body, x, expected, tmp_path):
    gradient = _grad_no_exception(tmp_path, body, x)
    assert gradient == expected


def test_nan_inputs_propagate_without_crashing(tmp_path):
    x = np.array([1.0, np.nan, np.inf, -np.inf, 0.0])
    for body in [
        "np.max(a)",
        "np.prod(a)",
        "np.linalg.norm(a)",
        "np.sum(np.clip(a, -1.0, 1.0))",
        "np.sum(np.logaddexp(a, 0.0))",
        "np.sum(a[a > 0])",
        "np.sum(np.maximum(a, 0.0))",
    ]:
        gradient = _grad_no_exception(tmp_path, body, x.copy())
        assert np.shape(gradient) == x.shape


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("np.sum(a0)", id="sum"),
        pytest.param("float(a0)", id="float"),
    ],
)
def test_numpy_scalar_argument_keeps_its_type(body, tmp_path):
    module = write_module(tmp_path, HEADER + f"def f(a0):\n    return {body}\n")
    gradient = s2sad.grad(module.f)(np.float32(1.5))
    assert type(gradient) is np.float32


def test_gradient_of_an_array_of_several_axes_without_one_is_refused(tmp_path):
    """np.gradient gives one array per axis there, which s2sad does not differentiate: its error, not numpy's."""
    module = write_module(tmp_path, HEADER + "def f(x):\n    return np.sum(np.gradient(x))\n")
    with pytest.raises(s2sad.S2SADError, match="give one axis"):
        s2sad.grad(module.f)(np.ones((3, 3)))
