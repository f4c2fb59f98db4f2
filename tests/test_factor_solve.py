"""Factor-and-solve pairs and least squares (s2sad/rules/factor_solve.py) beyond the rule tests:
the programs people write with them, whole, against finite differences in both modes, and the
cases refused at run time (rank-deficient least squares, LU of a rectangular matrix, a read of
cho_factor's other triangle where it does not hold the input)."""

import numpy as np
import pytest
import scipy.linalg

import s2sad
from s2sad import errors, runtime
from tests.support import assert_gradients_close, numeric_vjp, write_module

PROGRAMS = """
import numpy as np
import scipy.linalg


def gp_nll(K, y):
    c = scipy.linalg.cho_factor(K)
    alpha = scipy.linalg.cho_solve(c, y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(c[0])))


def gp_nll_lower(K, y):
    L, low = scipy.linalg.cho_factor(K, lower=True)
    alpha = scipy.linalg.cho_solve((L, low), y)
    return 0.5 * np.sum(alpha * y) + np.sum(np.log(np.diagonal(L, axis1=-2, axis2=-1)))


def lu_pair(A, b):
    lu, piv = scipy.linalg.lu_factor(A)
    x = scipy.linalg.lu_solve((lu, piv), b)
    y = scipy.linalg.lu_solve((lu, piv), x, trans=1)
    return np.sum(x * y) + np.sum(np.log(np.abs(np.diag(lu))))


def least_squares(A, b):
    x, res, rank, s = np.linalg.lstsq(A, b, rcond=None)
    return np.sum(x**2) + np.sum(res) + np.sum(s)


def scipy_least_squares(A, b):
    x, res, rank, s = scipy.linalg.lstsq(A, b)
    return np.sum(np.sin(x)) + np.sum(res)


def lu_of(A):
    return np.sum(scipy.linalg.lu_factor(A)[0] ** 2)
"""


def _spd(rng, *shape):
    m = rng.normal(size=shape)
    return m @ np.swapaxes(m, -1, -2) / shape[-1] + np.eye(shape[-1])


def _cases(rng):
    return [
        ("gp_nll", (_spd(rng, 4, 4), rng.normal(size=4))),
        ("gp_nll_lower", (_spd(rng, 2, 3, 3), rng.normal(size=3))),
        ("lu_pair", (rng.normal(size=(4, 4)), rng.normal(size=(4, 2)))),
        ("least_squares", (rng.normal(size=(6, 3)), rng.normal(size=(6, 2)))),
        ("least_squares", (rng.normal(size=(2, 4)), rng.normal(size=2))),
        ("scipy_least_squares", (rng.normal(size=(2, 5, 3)), rng.normal(size=5))),
    ]


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    return write_module(tmp_path_factory.mktemp("factor_solve"), PROGRAMS)


@pytest.mark.parametrize("index", range(6))
def test_programs_match_finite_differences_in_both_modes(programs, index):
    rng = np.random.default_rng(index)
    name, args = _cases(rng)[index]
    function = getattr(programs, name)
    expected = numeric_vjp(function, list(args), (0, 1), 1.0)
    assert_gradients_close(s2sad.grad(function, wrt=(0, 1))(*args), expected, args, (0, 1))
    directions = tuple(rng.normal(size=np.shape(a)) for a in args)
    _, tangent = s2sad.jvp(function, wrt=(0, 1))(*args, directions)
    along = sum(np.sum(g * d) for g, d in zip(expected, directions, strict=True))
    np.testing.assert_allclose(tangent, along, rtol=1e-5, atol=1e-6)


def test_rank_deficient_least_squares_is_refused_in_both_modes(programs):
    rng = np.random.default_rng(7)
    a = rng.normal(size=(5, 2))
    a = np.concatenate([a, a[:, :1] + a[:, 1:]], axis=1)  # rank 2 of 3
    b = rng.normal(size=5)
    with pytest.raises(errors.BadArgument, match="np.linalg.lstsq of a matrix of rank 2, not 3"):
        s2sad.grad(programs.least_squares)(a, b)
    with pytest.raises(errors.BadArgument, match="full rank"):
        s2sad.jvp(programs.least_squares)(a, b, (np.ones_like(a),))


def test_lu_of_a_rectangular_matrix_is_refused_in_both_modes(programs):
    a = np.random.default_rng(8).normal(size=(4, 3))
    with pytest.raises(errors.BadArgument, match="lu_factor of a 4x3 matrix"):
        s2sad.grad(programs.lu_of)(a)
    with pytest.raises(errors.BadArgument, match="square matrices"):
        s2sad.jvp(programs.lu_of)(a, (np.ones_like(a),))


def test_cho_factor_other_triangle_is_the_input_or_refused():
    """scipy before 1.18 leaves the input's entries in the triangle the factor is not on (1.18 zeroes
    it), and they are differentiated as such; were they anything else, a read of them is refused
    (reverse) or nan (forward), and a read of the factor's triangle alone is still right."""
    rng = np.random.default_rng(9)
    a = _spd(rng, 3, 3)
    c, lower = scipy.linalg.cho_factor(a)
    other = np.tril(c, -1)
    assert np.array_equal(other, np.tril(a, -1)) or not np.any(other)  # what the rule relies on, checked
    scrambled = np.triu(c) + np.tril(rng.normal(size=(3, 3)), -1)
    g = rng.normal(size=(3, 3))
    on_factor = runtime.cho_factor_adjoint([np.triu(g), 0.0], (scrambled, lower), a)
    np.testing.assert_allclose(on_factor, runtime.cho_factor_adjoint([np.triu(g), 0.0], (c, lower), a))
    with pytest.raises(errors.BadArgument, match="is not the input's"):
        runtime.cho_factor_adjoint([g, 0.0], (scrambled, lower), a)
    d_c, _ = runtime.cho_factor_tangent(np.ones_like(a), (scrambled, lower), a)
    assert np.all(np.isnan(np.tril(d_c, -1)[np.tril_indices(3, -1)])) and np.all(np.isfinite(np.triu(d_c)))
