"""numpy.linalg's derivatives: solve (its adjoint and tangent parts), the determinant's cofactor
matrix (without an inverse, and its own derivatives), and the 2-norm and Frobenius norm."""

from __future__ import annotations

import numpy as np

from s2sad.errors import BadArgument
from s2sad.runtime.facts import allocates
from s2sad.runtime.reductions import _reduced_axes, expand_reduced, prod_adjoint
from s2sad.runtime.values import unbroadcast


def _solves_vectors(x, a) -> bool:
    """Whether ``x = solve(a, b)`` solved for vectors (numpy 2: b 1-D; numpy 1: b one dimension
    less than a), rather than for the columns of matrices: x then has one dimension less than a."""
    return np.ndim(x) == np.ndim(a) - 1


def solve_adjoint_rhs(g, x, a):
    """b's adjoint for ``x = solve(a, b)`` with adjoint ``g``: solve(a^T, g), in x's (broadcast) shape."""
    a_t = np.swapaxes(a, -1, -2)
    if _solves_vectors(x, a):
        return np.linalg.solve(a_t, g[..., None])[..., 0]
    return np.linalg.solve(a_t, g)


@allocates
def solve_adjoint_matrix(d_b, x, a):
    """Contribution to ``a`` of ``x = solve(a, b)``, given b's adjoint ``d_b``: -d_b x^T, summed
    over the batch dimensions a was broadcast along."""
    if _solves_vectors(x, a):
        d_a = -(d_b[..., :, None] * x[..., None, :])
    else:
        d_a = -(d_b @ np.swapaxes(x, -1, -2))
    return unbroadcast(d_a, a)


def solve_tangent_matrix(d_a, x, a):
    """The part of the tangent of ``x = solve(a, b)`` from ``a``: -solve(a, d_a x)."""
    if _solves_vectors(x, a):
        return -np.linalg.solve(a, d_a @ x[..., None])[..., 0]
    return -np.linalg.solve(a, d_a @ x)


def solve_tangent_adjoint_x(d_c, d_a, x, a):
    """Contribution to ``x`` of ``solve_tangent_matrix(d_a, x, a) = -solve(a, d_a x)``, given
    ``d_c = solve(a^T, g)`` for its adjoint ``g``: -d_a^T d_c, summed down to x's shape."""
    d_a_t = np.swapaxes(d_a, -1, -2)
    if _solves_vectors(x, a):
        return unbroadcast(-(d_a_t @ d_c[..., None])[..., 0], x)
    return unbroadcast(-(d_a_t @ d_c), x)


def det_cofactor(a):
    """The cofactor matrix of ``a`` (the gradient of det(a)), exact also where ``a`` is singular.

    From the SVD a = U diag(s) V^T: cofactor(a) = det(U) det(V) U diag(product of the other s) V^T,
    with no inverse (det(a) inv(a)^T where a is invertible).
    """
    u, s, vh = np.linalg.svd(a)
    others = prod_adjoint(np.ones_like(s[..., 0]), s, -1, False)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * ((u * others[..., None, :]) @ vh)


def det_cofactor_tangent(d_a, cofactor, a):
    """Tangent of ``cofactor = det_cofactor(a)``: tr(a^-1 d_a) cofactor - cofactor d_a^T a^-T.

    From cofactor = det(a) a^-T, so exact only where ``a`` is invertible: at a singular ``a``
    (where the cofactor itself is still exact) this inverse formula is used all the same, and
    fails (np.linalg.LinAlgError) or loses accuracy.
    """
    inverse_t = np.swapaxes(np.linalg.inv(a), -1, -2)
    trace = np.sum(inverse_t * d_a, axis=(-2, -1))
    return trace[..., None, None] * cofactor - cofactor @ np.swapaxes(d_a, -1, -2) @ inverse_t


def det_cofactor_adjoint(g, cofactor, a):
    """Adjoint of ``cofactor = det_cofactor(a)``: <g, cofactor> a^-T - a^-T g^T cofactor.

    The inverse formula, exact only where ``a`` is invertible, as in ``det_cofactor_tangent``.
    """
    inverse_t = np.swapaxes(np.linalg.inv(a), -1, -2)
    inner = np.sum(g * cofactor, axis=(-2, -1))
    return inner[..., None, None] * inverse_t - inverse_t @ np.swapaxes(g, -1, -2) @ cofactor


def _is_euclidean(ord, x, axis) -> bool:
    """Whether this is the 2-norm of vectors or the Frobenius norm of matrices (of flattened arrays)."""
    vector = len(_reduced_axes(axis, np.ndim(x))) == 1  # axis=k, axis=(k,), or a 1-D x
    return ord is None or (ord == 2 and vector) or (ord == "fro" and not vector)


def _require_euclidean(ord, x, axis):
    """Refuse a norm other than the 2-norm of vectors and the Frobenius norm of matrices: the helpers
    below (and their own rules, for second derivatives) hold for those only."""
    if not _is_euclidean(ord, x, axis):
        raise BadArgument(
            f"np.linalg.norm with ord={ord!r} has no second-derivative rule in s2sad "
            "(the 2-norm of vectors and the Frobenius norm of matrices have one)",
            hint="write that norm with np.abs, np.max or np.sum, or give it a rule with @s2sad.rule",
        )


@allocates
def norm_adjoint(g, out, x, ord, axis, keepdims):
    """Adjoint of np.linalg.norm for the 2-norm of vectors and the Frobenius norm of matrices.

    At x = 0 the subgradient 0 is used.
    """
    _require_euclidean(ord, x, axis)
    expanded = expand_reduced(out, x, axis, keepdims)
    safe = np.where(expanded == 0, 1.0, expanded)
    return expand_reduced(g, x, axis, keepdims) * np.where(expanded == 0, 0.0, x / safe)


def norm_tangent(d_x, out, x, ord, axis, keepdims):
    """Tangent of the vector 2-norm / Frobenius norm: <x, d_x> / norm (0 where the norm is 0)."""
    _require_euclidean(ord, x, axis)
    axes = None if axis is None else _reduced_axes(axis, np.ndim(x))
    inner = np.sum(x * d_x, axis=axes, keepdims=keepdims)
    return np.where(out == 0, 0.0, inner / np.where(out == 0, 1.0, out))[()]


# ---------------------------------------------------------------------------
# every ord numpy accepts: the slope of the norm (its gradient per reduced group), shaped like x


@allocates
def norm_gradient(g, out, x, ord, axis, keepdims):
    """Adjoint of np.linalg.norm for every ord numpy accepts (see norm_slope for the subgradients)."""
    if _is_euclidean(ord, x, axis):
        return norm_adjoint(g, out, x, ord, axis, keepdims)
    return norm_slope(x, ord, axis) * expand_reduced(g, x, _norm_axes(x, axis), keepdims)


def norm_directional(d_x, out, x, ord, axis, keepdims):
    """Tangent of np.linalg.norm for every ord numpy accepts: the slope times d_x, summed over a group."""
    if _is_euclidean(ord, x, axis):
        return norm_tangent(d_x, out, x, ord, axis, keepdims)
    return np.sum(norm_slope(x, ord, axis) * d_x, axis=_norm_axes(x, axis), keepdims=keepdims)


def _norm_axes(x, axis):
    """The axes a norm reduces, as non-negative numbers."""
    return _reduced_axes(axis, np.ndim(x))


def norm_slope(x, ord, axis):
    """The derivative of np.linalg.norm(x, ord, axis) in x, shaped like x: of vectors along one axis,
    or of matrices along two. Subgradients at kinks: sign(0) = 0 for |x|; a max or min over entries,
    columns or rows that ties shares the slope equally; an extreme singular value that repeats takes
    numpy's first (ord=2) or last (ord=-2) singular pair."""
    axes = _norm_axes(x, axis)
    if ord == 0:
        raise BadArgument(
            "np.linalg.norm with ord=0 counts the nonzero entries: it has no derivative",
            hint="np.count_nonzero(x) is a number with no derivative; compute it outside the differentiated code",
        )
    moved = np.moveaxis(x, axes, range(-len(axes), 0))
    slope = _vector_slope(moved, ord) if len(axes) == 1 else _matrix_slope(moved, ord)
    return np.moveaxis(slope, range(-len(axes), 0), axes)


def _shared(values, extreme, axis):
    """1 where ``values`` equal the extreme along ``axis``, divided by how many do (ties share)."""
    hits = (values == extreme).astype(np.result_type(values, 1.0))
    return hits / np.sum(hits, axis=axis, keepdims=True)


def _vector_slope(v, ord):
    """The slope of the ord-norm of vectors along the last axis of ``v``."""
    size = np.abs(v)
    if ord in (np.inf, -np.inf):
        extreme = (np.max if ord > 0 else np.min)(size, axis=-1, keepdims=True)
        return np.sign(v) * _shared(size, extreme, -1)
    if ord == 1:
        return np.sign(v)
    norm = np.linalg.norm(v, ord, axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(size == 0, 0.0, np.sign(v) * (size / norm) ** (ord - 1))


def _matrix_slope(m, ord):
    """The slope of the ord-norm of matrices on the last two axes of ``m``."""
    if ord in ("nuc", 2, -2):
        u, _, vh = np.linalg.svd(m, full_matrices=False)
        if ord == "nuc":
            return u @ vh
        pick = slice(0, 1) if ord == 2 else slice(-1, None)
        return u[..., :, pick] @ vh[..., pick, :]
    if ord not in (1, -1, np.inf, -np.inf):
        raise BadArgument(f"np.linalg.norm of matrices has no ord={ord!r}", hint="see np.linalg.norm's ord")
    summed = -2 if ord in (1, -1) else -1  # column sums (ord 1, -1) or row sums (inf, -inf)
    sums = np.sum(np.abs(m), axis=summed, keepdims=True)
    extreme = (np.max if ord > 0 else np.min)(sums, axis=-1 if summed == -2 else -2, keepdims=True)
    return np.sign(m) * _shared(sums, extreme, -1 if summed == -2 else -2)
