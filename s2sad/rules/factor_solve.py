"""Factor-and-solve pairs and least squares: scipy.linalg's cho_factor/cho_solve and
lu_factor/lu_solve, np.linalg.lstsq and scipy.linalg.lstsq, batched where scipy batches.

A factorization returns its parts (``parts``): the factor, and a flag or pivots that carry no
derivative. A solve takes them as one tuple (a ``sequences`` parameter: one adjoint per item),
written out (``cho_solve((c, lower), b)``) or as the name holding the factorization (``f =
cho_factor(a); cho_solve(f, b)``); a factorization called inside the solve's call is refused by
normalize (assign it first). The options that let scipy overwrite its inputs (``overwrite_a``,
``overwrite_b``) are not supported (a call giving them is refused), nor scipy.linalg.lstsq's
``lapack_driver`` (``gelsy`` gives no singular values).

cho_factor's result holds the factor on one triangle and the input's entries on the other: both
are differentiated (see s2sad.runtime.factor_solve). lu_factor is differentiated at fixed pivots,
for square matrices; least squares for matrices of full rank (refused at run time otherwise).
"""

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent

_CHO = "c = scipy.linalg.cho_factor(a); "
_LU = "f = scipy.linalg.lu_factor(a); "


@adjoint(
    "scipy.linalg.cho_factor",
    parts=("c", "lower"),
    keyword_only=("check_finite",),
    domain={"a": "spd"},
    examples=(
        Example("c, low = scipy.linalg.cho_factor(a); c", {"a": (3, 3)}),
        Example("scipy.linalg.cho_factor(a, lower=True)[0]", {"a": (4, 4)}),
        Example("c, low = scipy.linalg.cho_factor(a, True); np.tril(c) * 2.0", {"a": (2, 3, 3)}),
        Example("r = scipy.linalg.cho_factor(a, check_finite=False); np.triu(r[0])", {"a": (3, 3)}),
    ),
)
def cho_factor_adjoint_rule(d_out, out, a, lower=False, check_finite=True):
    return _rt.cho_factor_adjoint(d_out, out, a)


@tangent("scipy.linalg.cho_factor")
def cho_factor_tangent_rule(d_a, out, a, lower=False, check_finite=True):
    return _rt.cho_factor_tangent(d_a, out, a)


@adjoint(
    "scipy.linalg.cho_solve",
    sequences=("c_and_lower",),
    keyword_only=("check_finite",),
    returns="new",
    domain={"a": "spd", "c": "spd"},
    examples=(
        Example(_CHO + "scipy.linalg.cho_solve(c, b)", {"a": (3, 3), "b": (3,)}),
        Example(
            "c, low = scipy.linalg.cho_factor(a, lower=True); scipy.linalg.cho_solve((c, low), b)",
            {"a": (3, 3), "b": (3, 2)},
        ),
        Example("scipy.linalg.cho_solve((c, True), b)", {"c": (3, 3), "b": (3, 2)}),
        Example("scipy.linalg.cho_solve((c, False), b, check_finite=False)", {"c": (2, 3, 3), "b": (3,)}),
        Example(_CHO + "scipy.linalg.cho_solve(c, b)", {"a": (2, 3, 3), "b": (2, 3, 2)}),
        Example(_CHO + "scipy.linalg.cho_solve(c, b)", {"a": (3, 3), "b": (2, 3, 1)}),
    ),
)
def cho_solve_adjoint_rule(d_out, out, c_and_lower, b, check_finite=True):
    d_b = _rt.cho_solve_rhs(d_out, c_and_lower, b)
    return _rt.cho_solve_factor(d_b, out, c_and_lower, b), _rt.unbroadcast(d_b, b)


@tangent("scipy.linalg.cho_solve")
def cho_solve_tangent_rule(d_c_and_lower, d_b, out, c_and_lower, b, check_finite=True):
    return _rt.cho_solve_tangent(d_c_and_lower, out, c_and_lower, b), _rt.cho_solve_rhs_tangent(d_b, c_and_lower, b)


@adjoint(
    "scipy.linalg.lu_factor",
    parts=("lu", "piv"),
    keyword_only=("check_finite",),
    examples=(
        Example("scipy.linalg.lu_factor(a)[0]", {"a": (3, 3)}),
        Example("lu, piv = scipy.linalg.lu_factor(a); lu * 2.0", {"a": (2, 4, 4)}),
        Example("r = scipy.linalg.lu_factor(a, check_finite=False); r[0][1:]", {"a": (1, 1)}),
    ),
)
def lu_factor_adjoint_rule(d_out, out, a, check_finite=True):
    return _rt.lu_factor_adjoint(d_out, out, a)


@tangent("scipy.linalg.lu_factor")
def lu_factor_tangent_rule(d_a, out, a, check_finite=True):
    return _rt.lu_factor_tangent(d_a, out, a)


@adjoint(
    "scipy.linalg.lu_solve",
    sequences=("lu_and_piv",),
    keyword_only=("check_finite",),
    returns="new",
    domain={"lu": "spd"},
    examples=(
        Example(_LU + "scipy.linalg.lu_solve(f, b)", {"a": (3, 3), "b": (3,)}),
        Example(
            "lu, piv = scipy.linalg.lu_factor(a); scipy.linalg.lu_solve((lu, piv), b, trans=1)",
            {"a": (3, 3), "b": (3, 2)},
        ),
        Example(_LU + "scipy.linalg.lu_solve(f, b, 2)", {"a": (2, 4, 4), "b": (4,)}),
        Example(_LU + "scipy.linalg.lu_solve(f, b, 1, check_finite=False)", {"a": (3, 3), "b": (2, 3, 2)}),
        # The factors alone, with pivots from another matrix's factorization.
        Example(
            "piv = scipy.linalg.lu_factor(a)[1]; scipy.linalg.lu_solve((lu, piv), b)",
            {"a": (3, 3), "lu": (3, 3), "b": (3, 2)},
        ),
    ),
)
def lu_solve_adjoint_rule(d_out, out, lu_and_piv, b, trans=0, check_finite=True):
    d_b = _rt.lu_solve_rhs(d_out, lu_and_piv, b, trans)
    return _rt.lu_solve_factor(d_b, out, lu_and_piv, b, trans), _rt.unbroadcast(d_b, b)


@tangent("scipy.linalg.lu_solve")
def lu_solve_tangent_rule(d_lu_and_piv, d_b, out, lu_and_piv, b, trans=0, check_finite=True):
    return (
        _rt.lu_solve_tangent(d_lu_and_piv, out, lu_and_piv, b, trans),
        _rt.lu_solve_rhs_tangent(d_b, lu_and_piv, b, trans),
    )


@adjoint(
    "numpy.linalg.lstsq",
    parts=("x", "residuals", "rank", "s"),
    examples=(
        Example("np.linalg.lstsq(a, b, rcond=None)[0]", {"a": (4, 2), "b": (4,)}),
        Example("x, res, rank, s = np.linalg.lstsq(a, b); x * res[0]", {"a": (5, 3), "b": (5,)}),
        Example("x, res, rank, s = np.linalg.lstsq(a, b, None); x * res + np.sum(s)", {"a": (4, 2), "b": (4, 3)}),
        Example("np.linalg.lstsq(a, b)[3]", {"a": (3, 4), "b": (3,)}),
        Example("r = np.linalg.lstsq(a, b, 1e-10); r[0] * np.sum(r[3])", {"a": (3, 3), "b": (3, 2)}),
        Example("np.linalg.lstsq(a, b)[0]", {"a": (2, 4), "b": (2, 2)}),
    ),
)
def lstsq_adjoint_rule(d_out, out, a, b, rcond=None):
    inverse = _rt.lstsq_pseudo_inverse(out, a, "np.linalg.lstsq")
    return _rt.lstsq_matrix_adjoint(d_out, out, inverse, a, b), _rt.lstsq_rhs_adjoint(d_out, out, inverse, a, b)


@tangent("numpy.linalg.lstsq")
def lstsq_tangent_rule(d_a, d_b, out, a, b, rcond=None):
    inverse = _rt.lstsq_pseudo_inverse(out, a, "np.linalg.lstsq")
    return _rt.lstsq_matrix_tangent(d_a, out, inverse, a, b), _rt.lstsq_rhs_tangent(d_b, out, inverse, a, b)


@adjoint(
    "scipy.linalg.lstsq",
    parts=("x", "residues", "rank", "s"),
    keyword_only=("check_finite",),
    examples=(
        Example("x, res, rank, s = scipy.linalg.lstsq(a, b); x * res", {"a": (4, 2), "b": (4,)}),
        Example("r = scipy.linalg.lstsq(a, b, 1e-12); r[0] * r[1] + np.sum(r[3])", {"a": (5, 3), "b": (5, 2)}),
        Example("scipy.linalg.lstsq(a, b, check_finite=False)[0]", {"a": (2, 4, 2), "b": (4,)}),
        Example("x, res, rank, s = scipy.linalg.lstsq(a, b); x * res[..., None, :]", {"a": (2, 4, 3), "b": (2, 4, 2)}),
        Example("scipy.linalg.lstsq(a, b)[0]", {"a": (2, 3), "b": (2,)}),
    ),
)
def scipy_lstsq_adjoint_rule(d_out, out, a, b, cond=None, check_finite=True):
    inverse = _rt.lstsq_pseudo_inverse(out, a, "scipy.linalg.lstsq")
    return _rt.lstsq_matrix_adjoint(d_out, out, inverse, a, b), _rt.lstsq_rhs_adjoint(d_out, out, inverse, a, b)


@tangent("scipy.linalg.lstsq")
def scipy_lstsq_tangent_rule(d_a, d_b, out, a, b, cond=None, check_finite=True):
    inverse = _rt.lstsq_pseudo_inverse(out, a, "scipy.linalg.lstsq")
    return _rt.lstsq_matrix_tangent(d_a, out, inverse, a, b), _rt.lstsq_rhs_tangent(d_b, out, inverse, a, b)
