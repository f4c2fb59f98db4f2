"""The helpers of the rules in s2sad/rules/decompositions.py: adjoints and tangents of matrix
decompositions and matrix functions, batched over leading dimensions.

Factorizations that return several arrays (eigh, qr) take the list of their parts' adjoints (zeros
for a part nothing reads), and their tangents are lists likewise. Eigenvectors are differentiable
where the eigenvalues are distinct: at a repeated one they are not unique, and the rules give inf or
nan there, never a number that looks right. qr is differentiable for matrices with at least as many
rows as columns, of full column rank (the reduced factors are then unique).

Functions that read one triangle of a symmetric input (cholesky, eigvalsh, solve_triangular) are
differentiated as numpy and scipy compute them: the other triangle does not move the result, so its
gradient is zero, and a tangent counts only the triangle read (``symmetrized``). Where the input is
symmetric (a covariance built as B B^T), the chain rule through B gives the usual symmetric result.

scipy is imported where a helper needs it, never when s2sad is imported.
"""

from __future__ import annotations

import numpy as np

from s2sad.errors import BadArgument
from s2sad.runtime.facts import allocates


def _t(x):
    """The transpose of each matrix of a batch."""
    return np.swapaxes(x, -1, -2)


def _diagonal_matrix(x):
    """The diagonal of each matrix of a batch, as a diagonal matrix."""
    return np.diagonal(x, axis1=-2, axis2=-1)[..., None] * np.eye(x.shape[-1], dtype=x.dtype)


def _triangle(x, lower):
    return np.tril(x) if lower else np.triu(x)


def symmetrized(x, lower=True):
    """The symmetric matrix whose ``lower`` (else upper) triangle is that of ``x``: what a function
    reading that triangle of ``x`` sees (and the tangent it sees for a tangent ``x``)."""
    part = _triangle(x, lower)
    return part + _t(part) - _diagonal_matrix(x)


def _onto_triangle(g, lower=True):
    """The adjoint of ``symmetrized``: a gradient ``g`` for the symmetric matrix, onto the triangle read."""
    return _triangle(g + _t(g), lower) - _diagonal_matrix(g)


def _phi(x):
    """The lower triangle with the diagonal halved (cholesky's derivative)."""
    return np.tril(x) - 0.5 * _diagonal_matrix(x)


def _solve_lower(lower_factor, b):
    return np.linalg.solve(lower_factor, b)


@allocates
def cholesky_adjoint(g, factor, upper=False):
    """Adjoint of the Cholesky factor ``factor`` of a matrix (lower, or ``upper``) reading that triangle.

    With L lower, S = L^-T phi(L^T g) L^-1 is the gradient for a symmetric perturbation seen whole;
    onto the triangle read, tril(S + S^T) - diag(S).
    """
    lower_factor, g_lower = (_t(factor), _t(g)) if upper else (factor, g)
    inner = _phi(_t(lower_factor) @ g_lower)
    left = np.linalg.solve(_t(lower_factor), inner)  # L^-T phi(L^T g)
    whole = _t(np.linalg.solve(_t(lower_factor), _t(left)))  # ... L^-1
    return _onto_triangle(whole, not upper)


def cholesky_tangent(d_a, factor, upper=False):
    """Tangent of the Cholesky factor: L phi(L^-1 dA L^-T), dA the symmetric matrix of the triangle read."""
    lower_factor = _t(factor) if upper else factor
    seen = symmetrized(d_a, not upper)
    inner = _t(_solve_lower(lower_factor, _t(_solve_lower(lower_factor, seen))))
    d_lower = lower_factor @ _phi(inner)
    return _t(d_lower) if upper else d_lower


def _lower_read(uplo):
    if uplo not in ("L", "U", "l", "u"):
        raise ValueError(f"UPLO must be 'L' or 'U', not {uplo!r}")
    return uplo in ("L", "l")


@allocates
def eigvalsh_adjoint(g, a, uplo="L"):
    """Adjoint of the eigenvalues of a symmetric matrix (the triangle ``uplo`` read): V diag(g) V^T.

    At repeated eigenvalues the eigenvalues are not differentiable one by one; this is one choice
    (their sum, for example, gets the right gradient).
    """
    _, vectors = np.linalg.eigh(a, uplo)
    return _onto_triangle((vectors * g[..., None, :]) @ _t(vectors), _lower_read(uplo))


def eigvalsh_tangent(d_a, a, uplo="L"):
    """Tangent of the eigenvalues: the diagonal of V^T dA V, dA the symmetric matrix of the triangle read."""
    _, vectors = np.linalg.eigh(a, uplo)
    seen = symmetrized(d_a, _lower_read(uplo))
    return np.sum(vectors * (seen @ vectors), axis=-2)


def _singular_vectors(a, compute_uv):
    if compute_uv:
        raise BadArgument(
            "np.linalg.svd has a derivative rule for its singular values only (compute_uv=False)",
            hint="call np.linalg.svd(a, compute_uv=False) for the singular values",
        )
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    return u, vh


@allocates
def singular_values_adjoint(g, a, compute_uv=True):
    """Adjoint of the singular values: U diag(g) V^T (reduced; distinct singular values)."""
    u, vh = _singular_vectors(a, compute_uv)
    return (u * g[..., None, :]) @ vh


def singular_values_tangent(d_a, a, compute_uv=True):
    """Tangent of the singular values: the diagonal of U^T dA V."""
    u, vh = _singular_vectors(a, compute_uv)
    return np.sum(u * (d_a @ _t(vh)), axis=-2)


@allocates
def pinv_adjoint(g, pinv, a):
    """Adjoint of the pseudo-inverse P of ``a`` (of constant rank near ``a``), from the tangent
    dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P."""
    across = _t(g)
    return (
        -_t(pinv) @ g @ _t(pinv)
        + (across - a @ (pinv @ across)) @ pinv @ _t(pinv)
        + _t(pinv) @ pinv @ (across - (across @ pinv) @ a)
    )


def pinv_tangent(d_a, pinv, a):
    """Tangent of the pseudo-inverse P: -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P."""
    d_t = _t(d_a)
    return -pinv @ d_a @ pinv + pinv @ _t(pinv) @ (d_t - (d_t @ a) @ pinv) + (d_t - pinv @ (a @ d_t)) @ _t(pinv) @ pinv


def _expm_frechet(a, e):
    """The Frechet derivative of expm at ``a`` in the direction ``e``: the top right block of
    expm([[a, e], [0, a]]) (batched)."""
    from scipy.linalg import expm

    n = a.shape[-1]
    zeros = np.zeros_like(a)
    block = np.concatenate([np.concatenate([a, e], axis=-1), np.concatenate([zeros, a], axis=-1)], axis=-2)
    return expm(block)[..., :n, n:]


@allocates
def expm_adjoint(g, a):
    """Adjoint of expm: the Frechet derivative at a^T in the direction g."""
    return _expm_frechet(_t(a), np.broadcast_to(g, np.shape(a)))


def expm_tangent(d_a, a):
    """Tangent of expm: its Frechet derivative at a in the direction d_a."""
    return _expm_frechet(a, np.broadcast_to(d_a, np.shape(a)))


def _transposed(trans) -> bool:
    """Whether scipy's ``trans`` solves with a^T (1, 'T'; for real matrices 2 and 'C' too)."""
    return trans not in (0, "N", "n")


def _triangle_read(d_a, lower, unit_diagonal):
    """The part of ``d_a`` solve_triangular reads: its triangle, without the diagonal if unit."""
    offset = 1 if unit_diagonal else 0
    return np.tril(d_a, -offset) if lower else np.triu(d_a, offset)


def _outer(u, v, vectors):
    """u v^T for the columns of matrices u, v, or for vectors (batched)."""
    return u[..., :, None] * v[..., None, :] if vectors else u @ _t(v)


def solve_triangular_rhs(g, a, trans, lower, unit_diagonal):
    """b's adjoint for ``x = solve_triangular(a, b, ...)`` with adjoint ``g``: the solve with op(a)^T."""
    from scipy.linalg import solve_triangular

    flipped = 0 if _transposed(trans) else 1
    return solve_triangular(a, g, flipped, lower, unit_diagonal)


@allocates
def solve_triangular_matrix(d_b, x, a, trans, lower, unit_diagonal):
    """a's adjoint for ``x = solve_triangular(a, b, ...)``, given b's ``d_b``: -d_b x^T (x d_b^T
    when solving with a^T), on the triangle read."""
    vectors = np.ndim(x) == np.ndim(a) - 1
    d_a = -_outer(x, d_b, vectors) if _transposed(trans) else -_outer(d_b, x, vectors)
    return _triangle_read(d_a, lower, unit_diagonal)


def solve_triangular_tangent(d_a, x, a, trans, lower, unit_diagonal):
    """The part of x's tangent from ``a``: -op(a)^-1 op(d_a) x, d_a on the triangle read."""
    from scipy.linalg import solve_triangular

    seen = _triangle_read(d_a, lower, unit_diagonal)
    seen = _t(seen) if _transposed(trans) else seen
    moved = (seen @ x[..., None])[..., 0] if np.ndim(x) == np.ndim(a) - 1 else seen @ x
    return -solve_triangular(a, moved, trans, lower, unit_diagonal)


def _sylvester(a, b, q):
    """X with a X + X b = q, batched over leading dimensions (scipy solves one at a time)."""
    from scipy.linalg import solve_sylvester

    shape = np.broadcast_shapes(np.shape(a), np.shape(b), np.shape(q))
    a, b, q = (np.reshape(m, (-1,) + m.shape[-2:]) for m in np.broadcast_arrays(a, b, q))
    flat = [solve_sylvester(*items) for items in zip(a, b, q, strict=True)]
    return np.reshape(flat, shape)


@allocates
def sqrtm_adjoint(g, root):
    """Adjoint of X = sqrtm(A): the solution of X^T S + S X^T = g (from X dX + dX X = dA)."""
    return _sylvester(_t(root), _t(root), g)


def sqrtm_tangent(d_a, root):
    """Tangent of X = sqrtm(A): the solution of X dX + dX X = dA."""
    return _sylvester(root, root, d_a)


def _reciprocal_gaps(w):
    """F with F[i, j] = 1 / (w[j] - w[i]) off the diagonal and 0 on it, for each vector of a batch."""
    off_diagonal = ~np.eye(w.shape[-1], dtype=bool)
    gaps = np.where(off_diagonal, w[..., None, :] - w[..., :, None], 1.0)
    with np.errstate(divide="ignore"):  # a repeated eigenvalue: inf, as it should be
        return np.where(off_diagonal, 1.0 / gaps, 0.0)


def eigh_adjoint(d_parts, parts, uplo="L"):
    """Adjoint of (w, V) = eigh(A): V (diag(d_w) + F o (V^T d_V)) V^T, onto the triangle read."""
    (d_w, d_v), (w, v) = d_parts, parts
    inner = _reciprocal_gaps(w) * (_t(v) @ d_v) + d_w[..., None] * np.eye(w.shape[-1], dtype=w.dtype)
    g = v @ inner @ _t(v)
    return _onto_triangle(0.5 * (g + _t(g)), _lower_read(uplo))


def eigh_tangent(d_a, parts, uplo="L"):
    """Tangent of (w, V) = eigh(A): with M = V^T dA V, dw = diag(M) and dV = V (F o M)."""
    w, v = parts
    m = _t(v) @ symmetrized(d_a, _lower_read(uplo)) @ v
    return [np.diagonal(m, axis1=-2, axis2=-1).copy(), v @ (_reciprocal_gaps(w) * m)]


def _require_tall(a):
    if a.shape[-2] < a.shape[-1]:
        raise BadArgument(
            f"np.linalg.qr of a {a.shape[-2]}x{a.shape[-1]} matrix: s2sad differentiates qr of matrices with "
            "at least as many rows as columns (the factors of a wide matrix are not unique)",
            hint="differentiate qr of the transpose, or of a matrix with more rows than columns",
        )


def _copy_lower_to_upper(m):
    lower = np.tril(m, -1)
    return lower + _t(lower) + _diagonal_matrix(m)


def qr_adjoint(d_parts, parts, a):
    """Adjoint of (Q, R) = qr(A), A m x n with m >= n: (d_Q + Q copyltu(M)) R^-T, M = R d_R^T - d_Q^T Q."""
    _require_tall(a)
    (d_q, d_r), (q, r) = d_parts, parts
    m = r @ _t(d_r) - _t(d_q) @ q
    return _t(np.linalg.solve(r, _t(d_q + q @ _copy_lower_to_upper(m))))


def qr_tangent(d_a, parts, a):
    """Tangent of (Q, R) = qr(A): with X = Q^T dA R^-1 and O the skew matrix of its strict lower
    triangle, dQ = Q (O - X) + dA R^-1 and dR = (X - O) R."""
    _require_tall(a)
    q, r = parts
    d_a_over_r = _t(np.linalg.solve(_t(r), _t(d_a)))
    x = _t(q) @ d_a_over_r
    lower = np.tril(x, -1)
    skew = lower - _t(lower)
    return [q @ (skew - x) + d_a_over_r, (x - skew) @ r]


def _reduced_svd(parts, a, full_matrices, compute_uv):
    """U, s, V of the reduced SVD the parts hold; refused where the derivative is not defined."""
    m, n = a.shape[-2:]
    if not compute_uv or (full_matrices and m != n):
        raise BadArgument(
            (
                f"np.linalg.svd of a {m}x{n} matrix with full_matrices=True: the extra singular vectors are not "
                "unique, so they have no derivative"
                if compute_uv
                else "np.linalg.svd with compute_uv given as a name"
            ),
            hint="write full_matrices=False (the reduced SVD), or compute_uv=False for the singular values alone",
        )
    u, s, vh = parts
    return u, s, _t(vh)


def _reciprocal_square_gaps(s):
    """F with F[i, j] = 1 / (s[j]^2 - s[i]^2) off the diagonal and 0 on it (repeated values: inf)."""
    return _reciprocal_gaps(s * s)


@allocates
def svd_adjoint(d_parts, parts, a, full_matrices=True, compute_uv=True):
    """Adjoint of (U, s, V^T) = svd(A), reduced, distinct nonzero singular values: with J = F o (U^T d_U)
    and K = F o (V^T d_V), U (diag(d_s) + (J + J^T) S + S (K + K^T)) V^T, plus the parts of d_U and
    d_V outside the column spaces of U and V when A is not square."""
    u, s, v = _reduced_svd(parts, a, full_matrices, compute_uv)
    d_u, d_s, d_v = d_parts[0], d_parts[1], _t(d_parts[2])
    gaps = _reciprocal_square_gaps(s)
    j = gaps * (_t(u) @ d_u)
    k = gaps * (_t(v) @ d_v)
    inner = (j + _t(j)) * s[..., None, :] + s[..., :, None] * (k + _t(k))
    inner = inner + d_s[..., None] * np.eye(s.shape[-1], dtype=s.dtype)
    d_a = u @ inner @ _t(v)
    m, n = a.shape[-2:]
    if m > n:
        d_a = d_a + (d_u - u @ (_t(u) @ d_u)) / s[..., None, :] @ _t(v)
    if n > m:
        d_a = d_a + u @ _t((d_v - v @ (_t(v) @ d_v)) / s[..., None, :])
    return d_a


def svd_tangent(d_a, parts, a, full_matrices=True, compute_uv=True):
    """Tangent of (U, s, V^T) = svd(A): with dP = U^T dA V, ds = diag(dP), dU = U (F o (dP S + S dP^T))
    and dV = V (F o (S dP + dP^T S)), plus the parts of dA V / s and dA^T U / s outside the column
    spaces of U and V when A is not square."""
    u, s, v = _reduced_svd(parts, a, full_matrices, compute_uv)
    d_p = _t(u) @ d_a @ v
    gaps = _reciprocal_square_gaps(s)
    scaled_right, scaled_left = d_p * s[..., None, :], s[..., :, None] * d_p
    d_u = u @ (gaps * (scaled_right + _t(scaled_right)))
    d_v = v @ (gaps * (scaled_left + _t(scaled_left)))
    m, n = a.shape[-2:]
    if m > n:
        d_a_v = d_a @ v
        d_u = d_u + (d_a_v - u @ (_t(u) @ d_a_v)) / s[..., None, :]
    if n > m:
        d_a_u = _t(d_a) @ u
        d_v = d_v + (d_a_u - v @ (_t(v) @ d_a_u)) / s[..., None, :]
    return [d_u, np.diagonal(d_p, axis1=-2, axis2=-1).copy(), _t(d_v)]
