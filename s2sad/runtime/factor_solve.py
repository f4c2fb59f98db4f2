"""The helpers of the rules in s2sad/rules/factor_solve.py: factor-and-solve pairs (scipy.linalg's
cho_factor/cho_solve and lu_factor/lu_solve) and least squares (np.linalg.lstsq, scipy.linalg.lstsq),
batched where scipy batches.

A factorization returns its parts, and its adjoint takes the list of their adjoints (zeros for a
part nothing reads); the flag and pivots (``lower``, ``piv``) carry no derivative, and their
adjoints and tangents are zeros. A solve reads the factor through the tuple it is given, and gives
back one adjoint per item of it.

cho_factor computes the factor on one triangle of a copy of ``a`` and leaves the other triangle
of that copy as it was (scipy's documentation calls it arbitrary data; scipy 1.18 zeroes it): it is
differentiated as that copy after checking that it is one, or as zeros where this scipy zeroes it. cho_solve reads the factor's triangle only, so the other
triangle gets no gradient. LU is differentiated at fixed pivots, for square matrices; least
squares for matrices of full rank (the solution jumps where the rank changes).

scipy is imported where a helper needs it, never when s2sad is imported.
"""

from __future__ import annotations

import functools

import numpy as np

from s2sad.errors import BadArgument
from s2sad.runtime.decompositions import (
    cholesky_adjoint,
    cholesky_tangent,
    pinv_adjoint,
    pinv_tangent,
    singular_values_adjoint,
    singular_values_tangent,
)
from s2sad.runtime.facts import allocates
from s2sad.runtime.values import unbroadcast


def _t(x):
    """The transpose of each matrix of a batch."""
    return np.swapaxes(x, -1, -2)


def _is_lower(lower) -> bool:
    """cho_factor's flag: a bool, or one per matrix of a batch (all alike, as cho_factor makes them)."""
    flags = np.ravel(lower)
    if flags.size and not np.all(flags == flags[0]):
        raise BadArgument("cho_solve of a batch whose factors are not all lower (or all upper) triangular")
    return bool(flags[0]) if flags.size else False


def _triangle(x, lower, offset=0):
    return np.tril(x, -offset) if lower else np.triu(x, offset)


def _as_matrix(b, vector):
    """A right-hand side as a batch of matrices: a vector (b 1-D, as scipy reads it) as one column."""
    return b[..., None] if vector else b


def _as_given(x, vector):
    return x[..., 0] if vector else x


def _flag_zeros(flag, factor):
    """The zero adjoint (or tangent) of a part without a derivative (the flag, the pivots)."""
    return np.zeros_like(flag, dtype=factor.dtype)


# ---------------------------------------------------------------------------
# cho_factor and cho_solve


@functools.cache
def _scipy_zeroes_the_other_triangle() -> bool:
    """Whether this scipy zeroes the triangle of cho_factor's result without the factor (1.18 does;
    earlier versions leave the input's entries there)."""
    from scipy.linalg import cho_factor

    return cho_factor(np.array([[4.0, 1.0], [1.0, 3.0]]))[0][1, 0] == 0.0


def _other_triangle_kept(c, a, lower) -> bool:
    """Whether the triangle of ``c`` the factor is not on is ``a``'s own, as scipy before 1.18 leaves it."""
    return not _scipy_zeroes_the_other_triangle() and np.array_equal(
        _triangle(c, not lower, 1), _triangle(a, not lower, 1)
    )


def _other_triangle_zero(c, lower) -> bool:
    """Whether that triangle is zeros this scipy puts there: a constant, with derivative zero."""
    return _scipy_zeroes_the_other_triangle() and not np.any(_triangle(c, not lower, 1))


def _factor(c, lower):
    return _triangle(c, lower)


def cho_factor_adjoint(d_parts, parts, a):
    """Adjoint of (c, lower) = cho_factor(a): Cholesky's adjoint on the factor's triangle, and on
    the other the identity (that triangle of ``c`` is ``a``'s, checked where its adjoint is not zero)."""
    d_c, (c, lower) = d_parts[0], parts
    lower = _is_lower(lower)
    d_a = cholesky_adjoint(_triangle(d_c, lower), _factor(c, lower), not lower)
    d_other = _triangle(d_c, not lower, 1)
    if _other_triangle_zero(c, lower):
        return d_a
    if np.any(d_other) and not _other_triangle_kept(c, a, lower):
        raise BadArgument(
            "the triangle of cho_factor's result that does not hold the factor is read, and it is not the "
            "input's (scipy calls it arbitrary data): s2sad cannot differentiate it",
            hint="read only the factor's triangle (np.triu(c), or np.tril(c) with lower=True), or use "
            "scipy.linalg.cholesky, which zeroes the other triangle",
        )
    return d_a + d_other


def cho_factor_tangent(d_a, parts, a):
    """Tangent of (c, lower) = cho_factor(a): Cholesky's tangent on the factor's triangle, and ``a``'s
    tangent on the other (nan there if scipy did not leave ``a``'s entries: a read then shows it)."""
    c, flag = parts
    lower = _is_lower(flag)
    d_factor = cholesky_tangent(d_a, _factor(c, lower), not lower)
    d_other = _triangle(d_a, not lower, 1)
    if _other_triangle_zero(c, lower):
        d_other = np.zeros_like(d_factor)
    elif not _other_triangle_kept(c, a, lower):
        d_other = np.where(_triangle(np.ones_like(c, dtype=bool), not lower, 1), np.nan, 0.0).astype(c.dtype)
    return [d_factor + d_other, _flag_zeros(flag, c)]


def _cho_solve(c, lower, b, vector):
    from scipy.linalg import cho_solve

    return _as_given(cho_solve((c, lower), _as_matrix(b, vector)), vector)


def cho_solve_rhs(g, c_and_lower, b):
    """b's adjoint for ``x = cho_solve((c, lower), b)``, before it is summed to b's shape: A^-1 g
    (A = L L^T is symmetric)."""
    c, lower = c_and_lower
    return _cho_solve(c, _is_lower(lower), g, np.ndim(b) == 1)


@allocates
def cho_solve_factor(d_b, x, c_and_lower, b):
    """The factor's adjoint for ``x = cho_solve((c, lower), b)``, given b's: with G = -d_b x^T the
    gradient of A, tril((G + G^T) L) for A = L L^T, triu(U (G + G^T)) for A = U^T U."""
    c, flag = c_and_lower
    lower, vector = _is_lower(flag), np.ndim(b) == 1
    g = -_as_matrix(d_b, vector) @ _t(_as_matrix(x, vector))
    g = g + _t(g)
    factor = _factor(c, lower)
    d_c = np.tril(g @ factor) if lower else np.triu(factor @ g)
    return [unbroadcast(d_c, c), _flag_zeros(flag, c)]


def cho_solve_tangent(d_c_and_lower, x, c_and_lower, b):
    """The part of x's tangent from the factor: -A^-1 dA x, dA = dL L^T + L dL^T (dL on the triangle read)."""
    c, lower = c_and_lower
    lower, vector = _is_lower(lower), np.ndim(b) == 1
    factor, d_factor = _factor(c, lower), _triangle(d_c_and_lower[0], lower)
    if not lower:  # A = U^T U: the same with L = U^T
        factor, d_factor = _t(factor), _t(d_factor)
    d_a = d_factor @ _t(factor) + factor @ _t(d_factor)
    moved = d_a @ _as_matrix(x, vector)
    return -_as_given(_cho_solve(c, lower, moved, False), vector)


def cho_solve_rhs_tangent(d_b, c_and_lower, b):
    """The part of x's tangent from b: cho_solve((c, lower), d_b)."""
    c, lower = c_and_lower
    return _cho_solve(c, _is_lower(lower), d_b, np.ndim(b) == 1)


# ---------------------------------------------------------------------------
# lu_factor and lu_solve: P A = L U, L unit lower triangular, packed with U into one matrix


def _require_square(lu):
    if lu.shape[-2] != lu.shape[-1]:
        raise BadArgument(
            f"scipy.linalg.lu_factor of a {lu.shape[-2]}x{lu.shape[-1]} matrix: s2sad differentiates the LU "
            "factorization of square matrices",
            hint="factor a square matrix, or use np.linalg.qr for a rectangular one",
        )


def _unpacked(lu):
    """L (unit lower triangular) and U of the packed factors."""
    return np.tril(lu, -1) + np.eye(lu.shape[-1], dtype=lu.dtype), np.triu(lu)


def _permutation(piv):
    """The rows ``perm`` with a[perm] = L U, from LAPACK's pivots (row i swapped with row piv[i], in turn)."""
    perm = np.broadcast_to(np.arange(np.shape(piv)[-1]), np.shape(piv)).copy()
    for i in range(np.shape(piv)[-1]):
        swapped = np.take_along_axis(perm, piv[..., i : i + 1], axis=-1)
        np.put_along_axis(perm, piv[..., i : i + 1], perm[..., i : i + 1], axis=-1)
        perm[..., i : i + 1] = swapped
    return perm


def _rows(x, perm):
    """P x: the rows of each matrix of ``x`` in the order ``perm`` (batches broadcast together)."""
    batch = np.broadcast_shapes(x.shape[:-2], perm.shape[:-1])
    index = np.broadcast_to(perm[..., None], batch + perm.shape[-1:] + x.shape[-1:])
    return np.take_along_axis(np.broadcast_to(x, batch + x.shape[-2:]), index, axis=-2)


def _rows_back(x, perm):
    """P^T x: undoes ``_rows``."""
    return _rows(x, np.argsort(perm, axis=-1))


def _solve_right(m, u):
    """m U^-1."""
    return _t(np.linalg.solve(_t(u), _t(m)))


def lu_factor_adjoint(d_parts, parts, a):
    """Adjoint of (lu, piv) = lu_factor(a) at fixed pivots: with M = tril(L^T d_L, -1) + triu(d_U U^T),
    P^T L^-T M U^-T (d_L, d_U: the packed adjoint's strict lower and upper triangles)."""
    d_lu, (lu, piv) = d_parts[0], parts
    _require_square(lu)
    lower, upper = _unpacked(lu)
    inner = np.tril(_t(lower) @ np.tril(d_lu, -1), -1) + np.triu(np.triu(d_lu) @ _t(upper))
    return _rows_back(_solve_right(np.linalg.solve(_t(lower), inner), _t(upper)), _permutation(piv))


def lu_factor_tangent(d_a, parts, a):
    """Tangent of (lu, piv) = lu_factor(a): with F = L^-1 P dA U^-1, dL = L tril(F, -1) and dU = triu(F) U,
    packed as lu is."""
    lu, piv = parts
    _require_square(lu)
    lower, upper = _unpacked(lu)
    f = _solve_right(np.linalg.solve(lower, _rows(d_a, _permutation(piv))), upper)
    return [lower @ np.tril(f, -1) + np.triu(f) @ upper, _flag_zeros(piv, lu)]


def _transposed(trans) -> bool:
    """Whether lu_solve's ``trans`` solves with a^T (1, or for real matrices 2)."""
    return trans != 0


def _lu_solve(lu, piv, b, trans, vector):
    from scipy.linalg import lu_solve

    return _as_given(lu_solve((lu, piv), _as_matrix(b, vector), trans), vector)


def lu_solve_rhs(g, lu_and_piv, b, trans):
    """b's adjoint for ``x = lu_solve((lu, piv), b, trans)``, before it is summed to b's shape: the
    solve with op(A)^T."""
    lu, piv = lu_and_piv
    return _lu_solve(lu, piv, g, 0 if _transposed(trans) else 1, np.ndim(b) == 1)


@allocates
def lu_solve_factor(d_b, x, lu_and_piv, b, trans):
    """The factors' adjoint for ``x = lu_solve((lu, piv), b, trans)``, given b's: with G the gradient of
    A = P^T L U (-d_b x^T, or -x d_b^T with trans), d_L = tril(P G U^T, -1) and d_U = triu(L^T P G)."""
    lu, piv = lu_and_piv
    vector = np.ndim(b) == 1
    d_b, x = _as_matrix(d_b, vector), _as_matrix(x, vector)
    g = -x @ _t(d_b) if _transposed(trans) else -d_b @ _t(x)
    lower, upper = _unpacked(lu)
    moved = _rows(g, _permutation(piv))
    d_lu = np.tril(moved @ _t(upper), -1) + np.triu(_t(lower) @ moved)
    return [unbroadcast(d_lu, lu), _flag_zeros(piv, lu)]


def lu_solve_tangent(d_lu_and_piv, x, lu_and_piv, b, trans):
    """The part of x's tangent from the factors: -op(A)^-1 op(dA) x, dA = P^T (dL U + L dU)."""
    lu, piv = lu_and_piv
    vector = np.ndim(b) == 1
    lower, upper = _unpacked(lu)
    d_lu = d_lu_and_piv[0]
    d_a = _rows_back(np.tril(d_lu, -1) @ upper + lower @ np.triu(d_lu), _permutation(piv))
    moved = (_t(d_a) if _transposed(trans) else d_a) @ _as_matrix(x, vector)
    return -_as_given(_lu_solve(lu, piv, moved, trans, False), vector)


def lu_solve_rhs_tangent(d_b, lu_and_piv, b, trans):
    """The part of x's tangent from b: lu_solve((lu, piv), d_b, trans)."""
    lu, piv = lu_and_piv
    return _lu_solve(lu, piv, d_b, trans, np.ndim(b) == 1)


# ---------------------------------------------------------------------------
# least squares: x = A^+ b, of full rank; the residuals |b - A x|^2 per column where A is tall


def lstsq_pseudo_inverse(parts, a, function="np.linalg.lstsq"):
    """A^+, after checking that ``a`` has full rank (lstsq's own rank, at its rcond)."""
    rank = parts[2]
    full = min(a.shape[-2:])
    if not np.all(rank == full):
        raise BadArgument(
            f"{function} of a matrix of rank {np.min(rank)}, not {full}: s2sad differentiates least squares "
            "of matrices of full rank (the solution jumps where the rank changes)",
            hint="regularize it (solve (A^T A + lam I) x = A^T b), or leave out dependent columns",
        )
    return np.linalg.pinv(a)


def _residual_weights(d_res, res, r):
    """The residuals' adjoint as weights of the columns of the residual matrix ``r`` (zeros if lstsq
    gives no residuals: a square or wide matrix)."""
    if np.size(res) == 0:
        return np.zeros_like(r)
    return r * np.reshape(d_res, r.shape[:-2] + (1, r.shape[-1]))


@allocates
def lstsq_matrix_adjoint(d_parts, parts, inverse, a, b):
    """a's adjoint for (x, residuals, rank, s) = lstsq(a, b): through x = A^+ b (pinv's adjoint of
    d_x b^T), the residuals (-2 R D x^T with R = b - A x, D their adjoint) and the singular values."""
    (d_x, d_res, _, d_s), (x, res, _, _) = d_parts, parts
    vector = np.ndim(b) == 1
    d_x, x, b = _as_matrix(d_x, vector), _as_matrix(x, vector), _as_matrix(b, vector)
    d_a = pinv_adjoint(d_x @ _t(b), inverse, a)
    d_a = d_a - 2.0 * _residual_weights(d_res, res, b - a @ x) @ _t(x)
    if np.any(d_s):
        d_a = d_a + singular_values_adjoint(d_s, a, False)
    return unbroadcast(d_a, a)


@allocates
def lstsq_rhs_adjoint(d_parts, parts, inverse, a, b):
    """b's adjoint for (x, residuals, rank, s) = lstsq(a, b): A^+T d_x + 2 R D."""
    (d_x, d_res, _, _), (x, res, _, _) = d_parts, parts
    vector = np.ndim(b) == 1
    r = _as_matrix(b, vector) - a @ _as_matrix(x, vector)
    d_b = _t(inverse) @ _as_matrix(d_x, vector) + 2.0 * _residual_weights(d_res, res, r)
    return unbroadcast(_as_given(d_b, vector), b)


def _residuals_tangent(moved_r, res, r):
    """The residuals' tangent 2 sum(R dR) over each column, shaped as lstsq gives them."""
    if np.size(res) == 0:
        return np.zeros_like(res, dtype=r.dtype)
    return np.reshape(2.0 * np.sum(r * moved_r, axis=-2), np.shape(res))


def lstsq_matrix_tangent(d_a, parts, inverse, a, b):
    """The terms from a of the tangents of (x, residuals, rank, s): dA^+ b, -2 sum(R dA x), 0, and
    the singular values' tangent (A^T R = 0 where there are residuals: x's own tangent drops out)."""
    x, res, rank, _ = parts
    vector = np.ndim(b) == 1
    b_m, x_m = _as_matrix(b, vector), _as_matrix(x, vector)
    d_x = pinv_tangent(d_a, inverse, a) @ b_m
    d_res = _residuals_tangent(-(d_a @ x_m), res, b_m - a @ x_m)
    return [_as_given(d_x, vector), d_res, _flag_zeros(rank, x), singular_values_tangent(d_a, a, False)]


def lstsq_rhs_tangent(d_b, parts, inverse, a, b):
    """The terms from b of the tangents of (x, residuals, rank, s): A^+ db, 2 sum(R db), 0, 0."""
    x, res, rank, s = parts
    vector = np.ndim(b) == 1
    d_b = np.broadcast_to(d_b, np.shape(b))
    r = _as_matrix(b, vector) - a @ _as_matrix(x, vector)
    d_x = inverse @ _as_matrix(d_b, vector)
    d_res = _residuals_tangent(_as_matrix(d_b, vector), res, r)
    return [_as_given(d_x, vector), d_res, _flag_zeros(rank, x), np.zeros_like(s)]
