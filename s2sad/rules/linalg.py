"""numpy.linalg: norm (every ord numpy accepts but ord=0), inv, solve, det; batched where numpy batches.
scipy.linalg's inv, det and solve are aliases of numpy's (called with the arguments both take).

The norms' subgradients at kinks are s2sad.runtime.norm_slope's: sign(0) = 0, ties of a max or min
share the slope equally, a repeated extreme singular value takes numpy's first (last) pair.

det's gradient is the cofactor matrix, computed without an inverse, so singular matrices have one too.
"""

import numpy as np

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent

_WELL_CONDITIONED = {"a": "spd"}


_NORMS = (
    Example("np.linalg.norm(x)", {"x": (4,)}),
    Example("np.linalg.norm(x)", {"x": (3, 2)}),
    Example("np.linalg.norm(x, axis=1)", {"x": (3, 4)}),
    Example("np.linalg.norm(x, 2, 0, True)", {"x": (3, 4)}),
    Example("np.linalg.norm(x, ord='fro')", {"x": (3, 4)}),
)
# Vectors: ord 1, inf, -inf and p-norms (ord=0 counts nonzeros: refused), along an axis too.
_VECTOR_NORMS = tuple(
    Example(f"np.linalg.norm(x, {ord}{options})", {"x": shape}, {"x": "nonzero"})
    for ord, options, shape in (
        ("1", "", (5,)),
        ("np.inf", "", (5,)),
        ("-np.inf", "", (4,)),
        ("3", "", (4,)),
        ("0.5", "", (4,)),
        ("-1", "", (3,)),
        ("1", ", axis=0", (3, 2)),
        ("np.inf", ", axis=-1, keepdims=True", (2, 3)),
        ("3.5", ", axis=(1,)", (2, 4)),
    )
)
# Matrices: 'nuc', 1, -1, 2, -2, inf, -inf, on the last two axes or those named, batched.
_MATRIX_NORMS = tuple(
    Example(f"np.linalg.norm(x, {ord}{options})", {"x": shape})
    for ord, options, shape in (
        ("'nuc'", "", (3, 4)),
        ("2", "", (3, 3)),
        ("-2", "", (4, 3)),
        ("1", "", (3, 4)),
        ("-1", "", (3, 4)),
        ("np.inf", "", (3, 4)),
        ("-np.inf", "", (4, 3)),
        ("'nuc'", ", axis=(-2, -1)", (2, 3, 3)),
        ("2", ", axis=(0, 2), keepdims=True", (3, 2, 4)),
        ("1", ", axis=(2, 0)", (3, 2, 4)),
        ("-np.inf", ", (-1, -2), True", (2, 3, 4)),
        ("'fro'", ", (0, 1)", (2, 3, 4)),
    )
)


@adjoint("numpy.linalg.norm", examples=_NORMS + _VECTOR_NORMS + _MATRIX_NORMS)
def norm_adjoint_rule(d_out, out, x, ord=None, axis=None, keepdims=False):
    return _rt.norm_gradient(d_out, out, x, ord, axis, keepdims)


@tangent("numpy.linalg.norm")
def norm_tangent_rule(d_x, out, x, ord=None, axis=None, keepdims=False):
    return _rt.norm_directional(d_x, out, x, ord, axis, keepdims)


@adjoint(
    "numpy.linalg.inv",
    aliases=("scipy.linalg.inv",),
    returns="new",
    domain=_WELL_CONDITIONED,
    examples=(
        Example("np.linalg.inv(a)", {"a": (3, 3)}),
        Example("np.linalg.inv(a)", {"a": (2, 3, 3)}),
        Example("scipy.linalg.inv(a)", {"a": (3, 3)}),
    ),
)
def inv_adjoint_rule(d_out, out, a):
    return -(out.mT @ d_out @ out.mT)


@tangent("numpy.linalg.inv")
def inv_tangent_rule(d_a, out, a):
    # d(A^-1) = -A^-1 dA A^-1
    return -(out @ d_a @ out)


@adjoint(
    "numpy.linalg.solve",
    aliases=("scipy.linalg.solve",),
    returns="new",
    domain=_WELL_CONDITIONED,
    examples=(
        Example("np.linalg.solve(a, b)", {"a": (3, 3), "b": (3,)}),
        Example("np.linalg.solve(a, b)", {"a": (3, 3), "b": (3, 2)}),
        Example("np.linalg.solve(a, b)", {"a": (2, 3, 3), "b": (2, 3, 2)}),
        Example("np.linalg.solve(a, b)", {"a": (2, 3, 3), "b": (3,)}),
        Example("np.linalg.solve(a, b)", {"a": (3, 3), "b": (2, 3, 2)}),
        Example("scipy.linalg.solve(a, b)", {"a": (3, 3), "b": (3,)}),
        Example("scipy.linalg.solve(a, b)", {"a": (3, 3), "b": (3, 2)}),
    ),
)
def solve_adjoint_rule(d_out, out, a, b):
    d_b = _rt.solve_adjoint_rhs(d_out, out, a)
    return _rt.solve_adjoint_matrix(d_b, out, a), _rt.unbroadcast(d_b, b)


@tangent("numpy.linalg.solve")
def solve_tangent_rule(d_a, d_b, out, a, b):
    # A x = b: A dx = db - dA x
    return _rt.solve_tangent_matrix(d_a, out, a), np.linalg.solve(a, d_b)


@adjoint(
    "numpy.linalg.det",
    aliases=("scipy.linalg.det",),
    domain=_WELL_CONDITIONED,
    examples=(
        Example("np.linalg.det(a)", {"a": (3, 3)}),
        Example("np.linalg.det(a)", {"a": (2, 2, 2)}),
        Example("np.linalg.det(a)", {"a": (1, 1)}),
        Example("np.linalg.det(a[:, np.array([0, 1, 1])])", {"a": (3, 3)}),
        Example("scipy.linalg.det(a)", {"a": (2, 3, 3)}),
    ),
)
def det_adjoint_rule(d_out, out, a):
    return np.expand_dims(d_out, (-2, -1)) * _rt.det_cofactor(a)


@tangent("numpy.linalg.det")
def det_tangent_rule(d_a, out, a):
    # d det(A) = <cofactor(A), dA>, also where A is singular
    return np.sum(_rt.det_cofactor(a) * d_a, axis=(-2, -1))
