"""s2sad's derivatives as scipy.optimize.minimize calls them: jac(x, *args), hess(x, *args), hessp(x, p, *args).

The extra argument (``args=(shift,)``) moves the minimum, so a derivative that
took it for something else would send the optimizer elsewhere. The products
are checked against central differences of the gradient, itself checked
against central differences of the function.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize

import s2sad
from s2sad.finite_differences import ATOL, RTOL
from tests.support import numeric_hvp, numeric_vjp, write_module

MODEL = """
import re

import numpy as np


def shifted_rosenbrock(x, shift):
    y = x - shift
    return np.sum(100.0 * (y[1:] - y[:-1] ** 2) ** 2 + (1.0 - y[:-1]) ** 2)


def coupled(a, x, b):
    return np.sum(a * np.cosh(x)) + b * np.sum(x[1:] * x[:-1] ** 2)


def keyword_only(a, *, x):
    return np.sum(a * x ** 3)
"""

SHIFT = np.array([0.5, -1.0, 2.0, 0.3, -0.7])
START = SHIFT + np.array([1.3, 0.7, 0.8, 1.9, 1.2])  # README's Rosenbrock start, shifted
MINIMUM = SHIFT + 1.0


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return write_module(tmp_path_factory.mktemp("scipy_seam"), MODEL)


def checked_gradient(function, args, wrt):
    """s2sad.grad of ``function`` with respect to the position ``wrt``, checked against central
    differences at ``args``, returned as a tuple-valued function for numeric_hvp."""
    gradient = s2sad.grad(function, wrt=wrt)
    (expected,) = numeric_vjp(function, args, (wrt,), 1.0)
    np.testing.assert_allclose(gradient(*args), expected, rtol=RTOL, atol=ATOL)
    return lambda *values: (gradient(*values),)


def test_hessp_takes_p_after_x_then_scipys_args(model):
    rng = np.random.default_rng(0)
    x, p = SHIFT + 1.0 + 0.3 * rng.normal(size=5), rng.normal(size=5)
    product = s2sad.hessp(model.shifted_rosenbrock)(x, p, SHIFT)
    (expected,) = numeric_hvp(checked_gradient(model.shifted_rosenbrock, [x, SHIFT], 0), [x, SHIFT], [0], (p,))
    np.testing.assert_allclose(product, expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("wrt", [1, "x"])
def test_hessp_of_a_later_argument_takes_p_right_after_it(model, wrt):
    rng = np.random.default_rng(1)
    a, x, b, p = rng.uniform(0.5, 2.0, 4), rng.normal(size=4), 0.7, rng.normal(size=4)
    product = s2sad.hessp(model.coupled, wrt=wrt)(a, x, p, b)
    (expected,) = numeric_hvp(checked_gradient(model.coupled, [a, x, b], 1), [a, x, b], [1], (p,))
    np.testing.assert_allclose(product, expected, rtol=RTOL, atol=ATOL)


def test_hessp_refuses_several_arguments_and_a_keyword_only_one(model):
    path = re.escape(model.__file__)
    with pytest.raises(s2sad.S2SADError, match=rf"(?s){path}:\d+:1: error: hessp takes one wrt argument.*s2sad.hvp"):
        s2sad.hessp(model.coupled, wrt=(0, 1))
    with pytest.raises(s2sad.S2SADError, match=rf"{path}:\d+:1: error: hessp: x is keyword-only"):
        s2sad.hessp(model.keyword_only, wrt="x")


def test_hessp_called_without_p_says_where_p_goes(model):
    x = np.ones(4)
    with pytest.raises(s2sad.S2SADError, match=r"up to x, then p, by position \(a, x, p, b\); got 2 positional"):
        s2sad.hessp(model.coupled, wrt=1)(x, x, b=1.0)


@pytest.mark.parametrize("method", ["Newton-CG", "trust-ncg", "trust-krylov"])
def test_minimize_with_hessp_and_args_finds_the_shifted_minimum(model, method):
    f = model.shifted_rosenbrock
    result = minimize(f, START, args=(SHIFT,), jac=s2sad.grad(f), hessp=s2sad.hessp(f), method=method, tol=1e-10)
    assert result.success, result.message
    assert result.nhev > 0  # the products were used
    np.testing.assert_allclose(result.x, MINIMUM, atol=1e-6)


def test_jac_and_hess_take_x_then_scipys_args(model):
    f = model.shifted_rosenbrock
    rng = np.random.default_rng(2)
    x = SHIFT + 1.0 + 0.3 * rng.normal(size=5)
    gradient = checked_gradient(f, [x, SHIFT], 0)
    hessian = s2sad.hessian(f)(x, SHIFT)
    columns = [numeric_hvp(gradient, [x, SHIFT], [0], (e,))[0] for e in np.eye(5)]
    np.testing.assert_allclose(hessian, np.stack(columns, axis=1), rtol=RTOL, atol=ATOL)

    result = minimize(
        f, START, args=(SHIFT,), jac=s2sad.grad(f), hess=s2sad.hessian(f), method="trust-exact", tol=1e-10
    )
    assert result.success, result.message
    np.testing.assert_allclose(result.x, MINIMUM, atol=1e-6)


def test_readme_scipy_example_passes_args_and_hessp():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    start = readme.index("from scipy.optimize import minimize")
    example = readme[start : readme.index("```", start)]  # run by tests/test_readme.py
    assert "args=(shift,)" in example and "hessp=s2sad.hessp(rosenbrock)" in example
    assert "hessp=s2sad.hvp" not in readme
