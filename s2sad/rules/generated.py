"""Rules for the runtime helpers s2sad's own generated code calls (``_rt.like``, ``_rt.power_slope``,
``_rt.prod_tangent``, ...), so generated code can be differentiated again (second derivatives, Hessians).

A helper's parameter named like the rule convention's own (``d_x``, ``out``) is renamed in its rule
(``dx``, ``extreme``, ``norm``): generated code passes them positionally. The derivative of the
cofactor (for det's second derivative) uses the inverse, so it is exact where the matrix is
invertible only (see ``_rt.det_cofactor_tangent``).
"""

import numpy as np

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent, zero_derivative

zero_derivative("s2sad.runtime.zeros_like", "s2sad.runtime.region", "s2sad.runtime.is_array", "s2sad.runtime.lies_in")

_SPD = {"a": "spd"}


# ---------------------------------------------------------------------------
# conversions: the value of g in x's type (x gives the type only)


_CONVERSIONS = (
    Example("_rt.like(g, x)", {"g": (3,), "x": (3,)}),
    Example("_rt.like(g, x)", {"g": (2, 3), "x": (2, 3)}),
    Example("_rt.like(g, x)", {"g": None, "x": ()}),
    Example("_rt.like(g, x)", {"g": (), "x": None}),
    Example("_rt.like(g * x, x)", {"g": (4,), "x": (4,)}),
    Example("_rt.copy_like(g * x, x)", {"g": (4,), "x": (4,)}),
)


@adjoint("s2sad.runtime.like", aliases=("s2sad.runtime.copy_like",), linear=("g",), examples=_CONVERSIONS)
def like_adjoint_rule(d_out, out, g, x):
    return _rt.like(d_out, g), None


_SPREADS = (
    Example("_rt.broadcast_like(t, v)", {"t": (), "v": (3,)}),
    Example("_rt.broadcast_like(t, v)", {"t": (3,), "v": (2, 3)}),
    Example("_rt.broadcast_like(t, v)", {"t": (2, 1), "v": (2, 3)}),
    Example("_rt.broadcast_like(t, v)", {"t": (2, 3), "v": (2, 3)}),
    Example("_rt.broadcast_like(t, v)", {"t": None, "v": None}),
)


@adjoint("s2sad.runtime.broadcast_like", linear=("tangent",), examples=_SPREADS)
def broadcast_like_adjoint_rule(d_out, out, tangent, value):
    return _rt.unbroadcast(d_out, tangent), None


# ---------------------------------------------------------------------------
# power: the slope in the base and the log factor of the exponent


_BROADCASTING = (
    ((4,), (4,)),
    ((2, 3), (3,)),
    ((2, 1), (1, 3)),
    (None, (2, 3)),
    ((3, 1), None),
    ((), (2,)),
    (None, None),
)


def _broadcast_examples(call: str, first: str, second: str) -> tuple[Example, ...]:
    """``call`` over the broadcasting shapes the rule tests give elementwise rules without examples."""
    return tuple(Example(call, {first: s1, second: s2}) for s1, s2 in _BROADCASTING)


@adjoint(
    "s2sad.runtime.power_slope",
    elementwise=True,
    domain={"x1": "positive"},
    examples=_broadcast_examples("_rt.power_slope(x1, x2)", "x1", "x2")
    + (
        Example("_rt.power_slope(x1, 3.0)", {"x1": (4,)}, {"x1": "real"}),
        Example("_rt.power_slope(x1, 2.0)", {"x1": (2, 3)}, {"x1": "real"}),
        Example("_rt.power_slope(x1, 1.0)", {"x1": (3,)}),
        Example("_rt.power_slope(x1, -0.5)", {"x1": None}),
    ),
)
def power_slope_adjoint_rule(d_out, out, x1, x2):
    # d/dx2 of x2 * x1 ** (x2 - 1): x1 ** (x2 - 1) + x2 * x1 ** (x2 - 1) * log(x1)
    return d_out * _rt.power_curvature(x1, x2), d_out * (np.power(x1, x2 - 1) + _rt.power_log_factor(out, x1))


@tangent("s2sad.runtime.power_slope")
def power_slope_tangent_rule(d_x1, d_x2, out, x1, x2):
    return _rt.power_curvature(x1, x2) * d_x1, (np.power(x1, x2 - 1) + _rt.power_log_factor(out, x1)) * d_x2


@adjoint(
    "s2sad.runtime.power_log_factor",
    elementwise=True,
    domain={"x1": "positive"},
    examples=_broadcast_examples("_rt.power_log_factor(value, x1)", "value", "x1")
    + (Example("_rt.power_log_factor(x1 ** 2.5, x1)", {"x1": (3,)}),),
)
def power_log_factor_adjoint_rule(d_out, out, value, x1):
    return _rt.power_log_factor(d_out, x1), _rt.power_log_slope(d_out * value, x1)


@tangent("s2sad.runtime.power_log_factor")
def power_log_factor_tangent_rule(d_value, d_x1, out, value, x1):
    return _rt.power_log_factor(d_value, x1), _rt.power_log_slope(value, x1) * d_x1


# ---------------------------------------------------------------------------
# reductions' tangents: linear in the tangent dx


@adjoint(
    "s2sad.runtime.prod_tangent",
    examples=(
        Example("_rt.prod_tangent(d, x, 1, False)", {"d": (3, 4), "x": (3, 4)}),
        Example("_rt.prod_tangent(d, x, -1, True)", {"d": (3, 4), "x": (3, 4)}),
        Example("_rt.prod_tangent(d, x, None, False)", {"d": (2, 3), "x": (2, 3)}),
        Example("_rt.prod_tangent(d, x, None, True)", {"d": (2, 3), "x": (2, 3)}),
        Example("_rt.prod_tangent(d, x, (0, 2), False)", {"d": (2, 3, 4), "x": (2, 3, 4)}),
        Example("_rt.prod_tangent(d, x, 0, False)", {"d": (4,), "x": (3, 4)}),
        Example("_rt.prod_tangent(d, x, 1, True)", {"d": (3, 1), "x": (3, 4)}),
        Example("_rt.prod_tangent(d, x, 0, False)", {"d": (5,), "x": (5,)}),
        Example("_rt.prod_tangent(d, x * (x > 0.5), 0, False)", {"d": (6,), "x": (6,)}),
        Example("_rt.prod_tangent(d, x, None, False)", {"d": (), "x": ()}),
    ),
)
def prod_tangent_adjoint_rule(d_out, out, dx, x, axis=None, keepdims=False):
    return (
        _rt.unbroadcast(_rt.prod_adjoint(d_out, x, axis, keepdims), dx),
        _rt.prod_curvature(dx, x, axis) * _rt.expand_reduced(d_out, x, axis, keepdims),
    )


@tangent("s2sad.runtime.prod_tangent")
def prod_tangent_tangent_rule(d_dx, d_x, out, dx, x, axis=None, keepdims=False):
    curvature = _rt.prod_curvature(dx, x, axis)
    return _rt.prod_tangent(d_dx, x, axis, keepdims), np.sum(curvature * d_x, axis, keepdims=keepdims)


def _scores_example(call: str, d_shape=(3, 4)) -> Example:
    """``call`` on integer scores ``k`` (ties included). Not floats: the tangent tests move each float
    argument on its own, and a moved ``extreme`` would then match no element of a moved ``x``."""
    shapes = {"d": d_shape, "x": (3, 4), "y": (3, 4)}
    return Example("k = x + 2 * y; " + call, shapes, {"x": "bool", "y": "bool"})


@adjoint(
    "s2sad.runtime.extremum_tangent",
    linear=("dx",),
    examples=(
        _scores_example("_rt.extremum_tangent(d, np.max(k, 1), k, 1, False)"),
        _scores_example("_rt.extremum_tangent(d, np.min(k, 0, keepdims=True), k, 0, True)"),
        _scores_example("_rt.extremum_tangent(d, np.max(k), k, None, False)"),
        _scores_example("_rt.extremum_tangent(d, np.max(k, 1), k, 1, False)", (4,)),
        _scores_example("_rt.extremum_tangent(d, np.min(k, 1, keepdims=True), k, 1, True)", (3, 1)),
    ),
)
def extremum_tangent_adjoint_rule(d_out, out, dx, extreme, x, axis=None, keepdims=False):
    return _rt.unbroadcast(_rt.extremum_adjoint(d_out, extreme, x, axis, keepdims), dx), None, None


def _norm_example(norm: str, options: str, shape: tuple[int, ...]) -> Example:
    return Example(f"_rt.norm_tangent(d, np.linalg.norm({norm}), x, {options})", {"d": shape, "x": shape})


# The tangent of the norm, for second derivatives: of the 2-norm and the Frobenius norm only (the helpers
# refuse the others at run time: no second derivative of those norms yet). norm_directional, the
# tangent of every ord, is norm_tangent there.
@adjoint(
    "s2sad.runtime.norm_tangent",
    aliases=("s2sad.runtime.norm_directional",),
    examples=(
        _norm_example("x", "None, None, False", (4,)),
        _norm_example("x", "None, None, False", (3, 2)),
        _norm_example("x, axis=1", "None, 1, False", (3, 4)),
        _norm_example("x, 2, 0, True", "2, 0, True", (3, 4)),
        _norm_example("x, 'fro'", "'fro', None, False", (3, 4)),
        # a norm of its own (not x's): its derivative alone
        Example("_rt.norm_tangent(d, n, x, None, None, False)", {"d": (3,), "n": None, "x": (3,)}, {"n": "positive"}),
    ),
)
def norm_tangent_adjoint_rule(d_out, out, dx, norm, x, ord=None, axis=None, keepdims=False):
    # out = <x, dx> / norm over the reduced axes (0 where norm == 0, where out is 0 too)
    return (
        _rt.unbroadcast(_rt.norm_adjoint(d_out, norm, x, ord, axis, keepdims), dx),
        -d_out * out / np.where(norm == 0, 1.0, norm),
        _rt.unbroadcast(_rt.norm_adjoint(d_out, norm, dx, ord, axis, keepdims), x),
    )


@tangent("s2sad.runtime.norm_tangent")
def norm_tangent_tangent_rule(d_dx, d_norm, d_x, out, dx, norm, x, ord=None, axis=None, keepdims=False):
    return (
        _rt.norm_tangent(d_dx, norm, x, ord, axis, keepdims),
        -d_norm * out / np.where(norm == 0, 1.0, norm),
        _rt.norm_tangent(dx, norm, d_x, ord, axis, keepdims),
    )


@adjoint(
    "s2sad.runtime.sum_tangent",
    sequences=("items",),
    whole=("items",),
    linear=True,
    examples=(
        Example("_rt.sum_tangent([a, b, a])", {"a": (3,), "b": (2, 3)}),
        Example("_rt.sum_tangent([a, b])", {"a": None, "b": None}),
        Example("_rt.sum_tangent([a, b * a])", {"a": (), "b": (2,)}),
        Example("_rt.sum_tangent(a)", {"a": (3, 2)}),
    ),
)
def sum_tangent_adjoint_rule(d_out, out, items):
    return _rt.sum_adjoint(d_out, items)


# ---------------------------------------------------------------------------
# linear algebra


@adjoint(
    "s2sad.runtime.solve_tangent_matrix",
    domain=_SPD,
    examples=(
        Example("_rt.solve_tangent_matrix(d, x, a)", {"d": (3, 3), "x": (3,), "a": (3, 3)}),
        Example("_rt.solve_tangent_matrix(d, x, a)", {"d": (3, 3), "x": (3, 2), "a": (3, 3)}),
        Example("_rt.solve_tangent_matrix(d, x, a)", {"d": (2, 3, 3), "x": (2, 3, 2), "a": (2, 3, 3)}),
        Example("_rt.solve_tangent_matrix(d, x, a)", {"d": (2, 3, 3), "x": (2, 3), "a": (2, 3, 3)}),
        Example("_rt.solve_tangent_matrix(d, np.linalg.solve(a, b), a)", {"d": (3, 3), "a": (3, 3), "b": (3,)}),
    ),
)
def solve_tangent_matrix_adjoint_rule(d_out, out, da, x, a):
    # out = -solve(a, da x): with d_c = solve(a^T, d_out), da gets -d_c x^T, x gets -da^T d_c, a gets -d_c out^T
    d_c = _rt.solve_adjoint_rhs(d_out, x, a)
    return (
        _rt.unbroadcast(_rt.solve_adjoint_matrix(d_c, x, a), da),
        _rt.solve_tangent_adjoint_x(d_c, da, x, a),
        _rt.solve_adjoint_matrix(d_c, out, a),
    )


@tangent("s2sad.runtime.solve_tangent_matrix")
def solve_tangent_matrix_tangent_rule(d_da, d_x, d_a, out, da, x, a):
    # d(-a^-1 da x) = -a^-1 d_da x - a^-1 da d_x - a^-1 d_a out
    return (
        _rt.solve_tangent_matrix(d_da, x, a),
        _rt.solve_tangent_matrix(da, d_x, a),
        _rt.solve_tangent_matrix(d_a, out, a),
    )


@adjoint(
    "s2sad.runtime.det_cofactor",
    domain=_SPD,
    examples=(
        Example("_rt.det_cofactor(a)", {"a": (3, 3)}),
        Example("_rt.det_cofactor(a)", {"a": (2, 3, 3)}),
        Example("_rt.det_cofactor(a)", {"a": (2, 2)}),
        Example("_rt.det_cofactor(a)", {"a": (1, 1)}),
    ),
)
def det_cofactor_adjoint_rule(d_out, out, a):
    return _rt.det_cofactor_adjoint(d_out, out, a)


@tangent("s2sad.runtime.det_cofactor")
def det_cofactor_tangent_rule(d_a, out, a):
    # exact where a is invertible (the inverse formula; see _rt.det_cofactor_tangent)
    return _rt.det_cofactor_tangent(d_a, out, a)


# ---------------------------------------------------------------------------
# a view read again after the array it lies in was updated in place (s2sad.analysis.memory)


# Where view lies in base, the derivative follows memory, not values (moving base moves view): the
# rule tests move each argument alone, so they check a view that is not in base; tests/test_memory.py
# checks views in base end to end, in both modes.
_RESEEN = (
    Example("_rt.reseen(b, v)", {"b": (3,), "v": (2,)}),
    Example("_rt.reseen(b, v)", {"b": (2, 3), "v": (2, 3)}),
)


@adjoint("s2sad.runtime.reseen", returns="view", examples=_RESEEN)
def reseen_adjoint_rule(d_out, out, base, view):
    return _rt.reseen_base_adjoint(d_out, base, out), _rt.reseen_view_adjoint(d_out, base, out)


@tangent("s2sad.runtime.reseen")
def reseen_tangent_rule(d_base, d_view, out, base, view):
    return _rt.reseen_tangent(d_base, 0.0, base, out), _rt.reseen_tangent(0.0, d_view, base, out)


# The reverse and tangent code of reseen, linear in their first arguments (second derivatives).
_RESEEN_PARTS = (
    Example("_rt.reseen_base_adjoint(g, b, v)", {"g": (2,), "b": (3,), "v": (2,)}),
    Example("_rt.reseen_view_adjoint(g, b, v)", {"g": (2,), "b": (3,), "v": (2,)}),
    Example("_rt.reseen_tangent(t, u, b, v)", {"t": (3,), "u": (2,), "b": (3,), "v": (2,)}),
)


@adjoint("s2sad.runtime.reseen_base_adjoint", linear=("g",), examples=_RESEEN_PARTS[:1])
def reseen_base_adjoint_adjoint_rule(d_out, out, g, base, view):
    return _rt.reseen_tangent(d_out, _rt.zeros_like(g), base, view), None, None


@adjoint("s2sad.runtime.reseen_view_adjoint", linear=("g",), examples=_RESEEN_PARTS[1:2])
def reseen_view_adjoint_adjoint_rule(d_out, out, g, base, view):
    return _rt.reseen_view_adjoint(d_out, base, view), None, None


@adjoint("s2sad.runtime.reseen_tangent", linear=("t_base", "t_view"), examples=_RESEEN_PARTS[2:])
def reseen_tangent_adjoint_rule(d_out, out, t_base, t_view, base, view):
    return _rt.reseen_base_adjoint(d_out, base, view), _rt.reseen_view_adjoint(d_out, base, view), None, None


@adjoint(
    "s2sad.runtime.owned",
    linear=True,
    examples=(Example("_rt.owned(v)", {"v": (3,)}), Example("_rt.owned(v)", {"v": None})),
)
def owned_adjoint_rule(d_out, out, value):
    return d_out


# ---------------------------------------------------------------------------
# statistics: the tangents of np.cumprod and scipy.special.logsumexp


def _cumprod_example(call: str, shape: tuple[int, ...], zeros: bool = False) -> Example:
    x = "x * (x > -0.5)" if zeros else "x"  # zeros in x: the recursions divide by nothing
    return Example(f"_rt.cumprod_tangent(d, {x}, {call})", {"d": shape, "x": shape})


@adjoint(
    "s2sad.runtime.cumprod_tangent",
    examples=(
        _cumprod_example("None", (5,)),
        _cumprod_example("None", (2, 3)),
        _cumprod_example("1", (2, 3, 4)),
        _cumprod_example("-1", (3, 2)),
        _cumprod_example("0", (6, 2), zeros=True),
        Example("_rt.cumprod_tangent(d, x, 0)", {"d": (3,), "x": (2, 3)}),
    ),
)
def cumprod_tangent_adjoint_rule(d_out, out, d, x, axis=None):
    # linear in d (its adjoint is cumprod's); in x, the derivative of cumprod's adjoint along d
    return _rt.unbroadcast(_rt.cumprod_adjoint(d_out, x, axis), d), _rt.cumprod_adjoint_tangent(d_out, d, x, axis)


@tangent("s2sad.runtime.cumprod_tangent")
def cumprod_tangent_tangent_rule(d_d, d_x, out, d, x, axis=None):
    return _rt.cumprod_tangent(d_d, x, axis), _rt.cumprod_second_tangent(d, d_x, x, axis)


_SCALED = {"b": "positive"}


@adjoint(
    "s2sad.runtime.logsumexp_scale",
    optional=("b",),
    examples=(
        Example("_rt.logsumexp_scale(a, None, np.arange(1.0, 6.0))", {"a": (5,)}),
        Example("_rt.logsumexp_scale(a, 1, np.array([0.5, 1.0, 0.0, 2.0]))", {"a": (3, 4)}),
        Example("_rt.logsumexp_scale(a, (0, 2), np.array([[1.0], [0.5], [2.0]]))", {"a": (2, 3, 4)}),
        Example("_rt.logsumexp_scale(a * 0.1, None, np.array([1.0, 1.0, -0.05]))", {"a": (3,)}),
        Example("_rt.logsumexp_scale(a, None, b)", {"a": (4,), "b": (4,)}, _SCALED),
        Example("_rt.logsumexp_scale(a, 1, b)", {"a": (2, 3, 4), "b": (3, 1)}, _SCALED),
        Example("_rt.logsumexp_scale(a, 1, b)", {"a": (3,), "b": (2, 3)}, _SCALED),
        Example("_rt.logsumexp_scale(a, None, b)", {"a": None, "b": None}, _SCALED),
    ),
)
def logsumexp_scale_adjoint_rule(d_out, out, a, axis=None, b=None):
    # out = exp(a - logsumexp(a, axis, b)): d out = out (d a - sum(w d a + out d b)), w = b out; generated
    # code calls it for the tangent in b, so with b given
    weights = out * b
    spread = np.sum(out * d_out, axis, keepdims=True)
    return _rt.unbroadcast(out * d_out - weights * spread, a), _rt.unbroadcast(-out * spread, b)


@tangent("s2sad.runtime.logsumexp_scale")
def logsumexp_scale_tangent_rule(d_a, d_b, out, a, axis=None, b=None):
    weights = out * b
    return out * (d_a - np.sum(weights * d_a, axis, keepdims=True)), -out * np.sum(out * d_b, axis, keepdims=True)


# ---------------------------------------------------------------------------
# decompositions: the tangent of the eigenvalues of a symmetric matrix


_EIGVALSH = (
    Example("_rt.eigvalsh_tangent(da, a)", {"da": (3, 3), "a": (3, 3)}, _SPD),
    Example("_rt.eigvalsh_tangent(da, a, 'U')", {"da": (3, 3), "a": (3, 3)}, _SPD),
    Example("_rt.eigvalsh_tangent(da, a, 'L')", {"da": (2, 3, 3), "a": (2, 3, 3)}, _SPD),
    Example("_rt.eigvalsh_tangent(da, a)", {"da": (2, 2), "a": (2, 2)}, _SPD),
)


@adjoint("s2sad.runtime.eigvalsh_tangent", examples=_EIGVALSH)
def eigvalsh_tangent_adjoint_rule(d_out, out, da, a, uplo="L"):
    # out = diag(V^T S V), S the symmetric matrix of da's triangle read: linear in da; in a, through the
    # eigenvectors V (eigh's adjoint, its eigenvalues' part 0): d/dV <d_out, diag(V^T S V)> = 2 S V diag(d_out)
    parts = np.linalg.eigh(a, uplo)
    seen = _rt.symmetrized(da, uplo in ("L", "l"))
    d_vectors = 2.0 * seen @ (parts[1] * d_out[..., None, :])
    return _rt.eigvalsh_adjoint(d_out, a, uplo), _rt.eigh_adjoint([0.0 * parts[0], d_vectors], parts, uplo)


@tangent("s2sad.runtime.eigvalsh_tangent")
def eigvalsh_tangent_tangent_rule(d_da, d_a, out, da, a, uplo="L"):
    parts = np.linalg.eigh(a, uplo)
    seen = _rt.symmetrized(da, uplo in ("L", "l"))
    moved = _rt.eigh_tangent(d_a, parts, uplo)[1]
    return _rt.eigvalsh_tangent(d_da, a, uplo), 2.0 * np.sum(parts[1] * (seen @ moved), axis=-2)
