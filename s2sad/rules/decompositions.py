"""Matrix decompositions and functions (numpy.linalg and scipy.linalg), real matrices, batched over
leading dimensions where numpy batches: cholesky, slogdet, eigvalsh, svd's singular values, pinv;
scipy.linalg's cholesky, solve_triangular, expm (its Frechet derivative by the block-matrix trick)
and sqrtm (a Sylvester equation). scipy is imported by the helpers only, when they run.

Functions that read one triangle of a symmetric matrix (cholesky, eigvalsh) are differentiated as
computed: the gradient lies on that triangle (see s2sad.runtime.decompositions). Eigenvalues and
singular values are differentiable where they are distinct: at a repeated one, the rules give one
subgradient (that of the sum of the repeated ones is right; each alone is undefined). pinv is
differentiated where its rank is constant (full rank in the tests).

eigh, qr and svd return several arrays (``parts``): their rules take the list of the parts' adjoints and
give the list of their tangents. Eigenvectors are differentiable where the eigenvalues are distinct;
qr where the matrix has at least as many rows as columns, svd where the singular values are distinct
and nonzero, with ``full_matrices=False`` or a square matrix (refused at run time otherwise).
``np.linalg.svd(a, compute_uv=False)`` (the singular values alone) is a variant rule of its own.

slogdet returns (sign, logabsdet): the sign has derivative zero; its adjoint arrives as the two
stacked (``d_out[1]`` is logabsdet's), and its tangent is the pair stacked likewise.
"""

import numpy as np

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent

_SPD = {"a": "spd"}


@adjoint(
    "numpy.linalg.cholesky",
    keyword_only=("upper",),
    returns="new",
    domain=_SPD,
    examples=(
        Example("np.linalg.cholesky(a)", {"a": (3, 3)}),
        Example("np.linalg.cholesky(a)", {"a": (2, 4, 4)}),
        Example("np.linalg.cholesky(a, upper=True)", {"a": (3, 3)}),
        Example("np.linalg.cholesky(a)", {"a": (1, 1)}),
    ),
)
def cholesky_adjoint_rule(d_out, out, a, upper=False):
    return _rt.cholesky_adjoint(d_out, out, upper)


@tangent("numpy.linalg.cholesky")
def cholesky_tangent_rule(d_a, out, a, upper=False):
    return _rt.cholesky_tangent(d_a, out, upper)


@adjoint(
    "numpy.linalg.slogdet",
    domain=_SPD,
    examples=(
        Example("np.linalg.slogdet(a)[1]", {"a": (3, 3)}),
        Example("r = np.linalg.slogdet(a); r[0] * r[1]", {"a": (2, 3, 3)}),
        Example("np.linalg.slogdet(-a)[1]", {"a": (2, 2)}),
    ),
)
def slogdet_adjoint_rule(d_out, out, a):
    return np.expand_dims(d_out[1], (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)


@tangent("numpy.linalg.slogdet")
def slogdet_tangent_rule(d_a, out, a):
    # d log|det A| = tr(A^-1 dA); the sign's tangent is zero
    return np.stack([np.zeros_like(out[1]), np.sum(np.swapaxes(np.linalg.inv(a), -1, -2) * d_a, axis=(-2, -1))])


@adjoint(
    "numpy.linalg.eigvalsh",
    domain=_SPD,
    examples=(
        Example("np.linalg.eigvalsh(a)", {"a": (3, 3)}),
        Example("np.linalg.eigvalsh(a)", {"a": (2, 3, 3)}),
        Example("np.linalg.eigvalsh(a, 'U')", {"a": (3, 3)}),
        Example("np.linalg.eigvalsh(a, UPLO='L')", {"a": (4, 4)}),
    ),
)
def eigvalsh_adjoint_rule(d_out, out, a, UPLO="L"):
    return _rt.eigvalsh_adjoint(d_out, a, UPLO)


@tangent("numpy.linalg.eigvalsh")
def eigvalsh_tangent_rule(d_a, out, a, UPLO="L"):
    return _rt.eigvalsh_tangent(d_a, a, UPLO)


@adjoint(
    "numpy.linalg.svd",
    parts=("U", "S", "Vh"),
    named=True,
    examples=(
        Example("u, s, vh = np.linalg.svd(a, full_matrices=False); u * s + vh", {"a": (3, 3)}),
        Example("u, s, vh = np.linalg.svd(a, False); (u * s) @ vh[:, :1] + u ** 2", {"a": (4, 2)}),
        Example("u, s, vh = np.linalg.svd(a, full_matrices=False); vh.T ** 2 * s + np.sum(u)", {"a": (2, 4)}),
        Example("np.linalg.svd(a, full_matrices=False).S", {"a": (2, 3, 2)}),
        Example("r = np.linalg.svd(a); r.U * r.S[None, :] + r.Vh", {"a": (3, 3)}),
    ),
)
def svd_adjoint_rule(d_out, out, a, full_matrices=True, compute_uv=True):
    return _rt.svd_adjoint(d_out, out, a, full_matrices, compute_uv)


@tangent("numpy.linalg.svd")
def svd_tangent_rule(d_a, out, a, full_matrices=True, compute_uv=True):
    return _rt.svd_tangent(d_a, out, a, full_matrices, compute_uv)


@adjoint(
    "numpy.linalg.svd(compute_uv=False)",
    fixed={"compute_uv": "False"},
    examples=(
        Example("np.linalg.svd(a, compute_uv=False)", {"a": (3, 3)}),
        Example("np.linalg.svd(a, compute_uv=False)", {"a": (4, 2)}),
        Example("np.linalg.svd(a, False, False)", {"a": (2, 2, 3)}),
    ),
)
def singular_values_adjoint_rule(d_out, out, a, full_matrices=True, compute_uv=False):
    return _rt.singular_values_adjoint(d_out, a, compute_uv)


@tangent("numpy.linalg.svd(compute_uv=False)")
def singular_values_tangent_rule(d_a, out, a, full_matrices=True, compute_uv=False):
    return _rt.singular_values_tangent(d_a, a, compute_uv)


@adjoint(
    "numpy.linalg.pinv",
    returns="new",
    examples=(
        Example("np.linalg.pinv(a)", {"a": (3, 2)}),
        Example("np.linalg.pinv(a)", {"a": (2, 4)}),
        Example("np.linalg.pinv(a)", {"a": (3, 3)}, {"a": "spd"}),
        Example("np.linalg.pinv(a, 1e-12)", {"a": (2, 3, 2)}),
    ),
)
def pinv_adjoint_rule(d_out, out, a, rcond=None):
    return _rt.pinv_adjoint(d_out, out, a)


@tangent("numpy.linalg.pinv")
def pinv_tangent_rule(d_a, out, a, rcond=None):
    return _rt.pinv_tangent(d_a, out, a)


@adjoint(
    "scipy.linalg.expm",
    returns="new",
    examples=(
        Example("scipy.linalg.expm(a)", {"a": (3, 3)}),
        Example("scipy.linalg.expm(a)", {"a": (2, 2, 2)}),
        Example("scipy.linalg.expm(a)", {"a": (1, 1)}),
    ),
)
def expm_adjoint_rule(d_out, out, A):
    return _rt.expm_adjoint(d_out, A)


@tangent("scipy.linalg.expm")
def expm_tangent_rule(d_A, out, A):
    return _rt.expm_tangent(d_A, A)


@adjoint(
    "scipy.linalg.sqrtm",
    returns="new",
    domain={"A": "spd"},
    examples=(
        Example("scipy.linalg.sqrtm(A)", {"A": (3, 3)}),
        Example("scipy.linalg.sqrtm(A)", {"A": (2, 2, 2)}),
    ),
)
def sqrtm_adjoint_rule(d_out, out, A):
    return _rt.sqrtm_adjoint(d_out, out)


@tangent("scipy.linalg.sqrtm")
def sqrtm_tangent_rule(d_A, out, A):
    return _rt.sqrtm_tangent(d_A, out)


def _triangular(call: str, a: tuple[int, ...], b: tuple[int, ...]) -> Example:
    return Example(f"scipy.linalg.solve_triangular({call})", {"a": a, "b": b}, {"a": "spd"})


@adjoint(
    "scipy.linalg.solve_triangular",
    returns="new",
    examples=(
        _triangular("a, b", (3, 3), (3,)),
        _triangular("a, b, lower=True", (3, 3), (3, 2)),
        _triangular("a, b, 1, True", (3, 3), (3, 2)),
        _triangular("a, b, trans='T'", (3, 3), (3,)),
        _triangular("a, b, unit_diagonal=True", (3, 3), (3, 2)),
        _triangular("a, b, 'N', True, True", (3, 3), (3,)),
        _triangular("a, b, lower=True", (2, 3, 3), (2, 3, 2)),
    ),
)
def solve_triangular_adjoint_rule(d_out, out, a, b, trans=0, lower=False, unit_diagonal=False):
    d_b = _rt.solve_triangular_rhs(d_out, a, trans, lower, unit_diagonal)
    return _rt.solve_triangular_matrix(d_b, out, a, trans, lower, unit_diagonal), d_b


@tangent("scipy.linalg.solve_triangular")
def solve_triangular_tangent_rule(d_a, d_b, out, a, b, trans=0, lower=False, unit_diagonal=False):
    return (
        _rt.solve_triangular_tangent(d_a, out, a, trans, lower, unit_diagonal),
        # solve_triangular(a, d_b, trans, ...), written as the rhs helper's solve with the transpose flipped back
        _rt.solve_triangular_rhs(d_b, a, 1 if trans in (0, "N", "n") else 0, lower, unit_diagonal),
    )


@adjoint(
    "scipy.linalg.cholesky",
    returns="new",
    domain=_SPD,
    examples=(
        Example("scipy.linalg.cholesky(a)", {"a": (3, 3)}),
        Example("scipy.linalg.cholesky(a, lower=True)", {"a": (3, 3)}),
        Example("scipy.linalg.cholesky(a, True)", {"a": (2, 3, 3)}),
    ),
)
def scipy_cholesky_adjoint_rule(d_out, out, a, lower=False):
    return _rt.cholesky_adjoint(d_out, out, not lower)


@tangent("scipy.linalg.cholesky")
def scipy_cholesky_tangent_rule(d_a, out, a, lower=False):
    return _rt.cholesky_tangent(d_a, out, not lower)


@adjoint(
    "numpy.linalg.eigh",
    parts=("eigenvalues", "eigenvectors"),
    named=True,
    domain=_SPD,
    examples=(
        Example("np.linalg.eigh(a)[0]", {"a": (3, 3)}),
        Example("w, v = np.linalg.eigh(a); v * v * w", {"a": (3, 3)}),
        Example("w, v = np.linalg.eigh(a, 'U'); w[..., None] * v ** 2", {"a": (2, 4, 4)}),
        Example("r = np.linalg.eigh(a, UPLO='L'); np.abs(r[1])", {"a": (3, 3)}),
        Example("w, v = np.linalg.eigh(a); v @ np.diag(np.exp(w)) @ v.T", {"a": (4, 4)}),
    ),
)
def eigh_adjoint_rule(d_out, out, a, UPLO="L"):
    return _rt.eigh_adjoint(d_out, out, UPLO)


@tangent("numpy.linalg.eigh")
def eigh_tangent_rule(d_a, out, a, UPLO="L"):
    return _rt.eigh_tangent(d_a, out, UPLO)


@adjoint(
    "numpy.linalg.qr",
    parts=("Q", "R"),
    named=True,
    examples=(
        Example("q, r = np.linalg.qr(a); q * r[0]", {"a": (3, 3)}),
        Example("q, r = np.linalg.qr(a); q @ r[:, :1] + np.sum(r)", {"a": (5, 3)}),
        Example("np.linalg.qr(a)[0]", {"a": (2, 4, 2)}),
        Example("np.linalg.qr(a)[1]", {"a": (4, 1)}),
    ),
)
def qr_adjoint_rule(d_out, out, a):
    return _rt.qr_adjoint(d_out, out, a)


@tangent("numpy.linalg.qr")
def qr_tangent_rule(d_a, out, a):
    return _rt.qr_tangent(d_a, out, a)
