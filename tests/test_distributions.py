"""scipy.stats rules (s2sad/rules/distributions.py): each example against central finite differences in
both modes, with the module importing scipy.stats (the rule tests' modules import numpy and math only);
the methods of distribution objects resolved however they are imported, statically and live."""

import subprocess
import sys

import numpy as np
import pytest

import s2sad
from s2sad import rules
from tests.support import assert_gradients_close, numeric_vjp, random_value, write_module
from tests.test_rules import body

pytest.importorskip("scipy.stats")

CASES = [
    pytest.param(rule, example, id=f"{name}-{index}")
    for name, rule in sorted(rules.RULES.items())
    if name.startswith("scipy.stats.")
    for index, example in enumerate(rule.examples)
]


def _example(rule, example, tmp_path, seed_offset=0):
    names = list(example.shapes)
    source = f"import numpy as np\nimport scipy.stats\n\n\ndef f({', '.join(names)}):\n" + body(example.call)
    module = write_module(tmp_path, source)
    rng = np.random.default_rng(sum(map(ord, example.call)) + seed_offset)
    args = [random_value(example.shapes[n], example.domain.get(n, rule.domain.get(n, "real")), rng) for n in names]
    wrt = tuple(i for i, n in enumerate(names) if n not in rule.inactive)
    return module.f, args, wrt, rng


@pytest.mark.parametrize("rule, example", CASES)
def test_adjoint_matches_finite_differences(rule, example, tmp_path):
    function, args, wrt, rng = _example(rule, example, tmp_path)
    out = function(*args)
    d_out = random_value(None if np.ndim(out) == 0 else np.shape(out), "real", rng)
    actual = s2sad.vjp(function, wrt=wrt)(*args, d_out)
    assert_gradients_close(actual, numeric_vjp(function, args, wrt, d_out), args, wrt)


@pytest.mark.parametrize("rule, example", CASES)
def test_tangent_matches_finite_differences(rule, example, tmp_path):
    function, args, wrt, rng = _example(rule, example, tmp_path, 1)
    directions = tuple(random_value(np.shape(args[i]) if np.ndim(args[i]) else None, "real", rng) for i in wrt)
    value, tangent = s2sad.jvp(function, wrt=wrt)(*args, directions)
    out = function(*args)
    np.testing.assert_allclose(value, out, rtol=1e-12)
    for index in np.ndindex(np.shape(out)):  # each output entry: its gradient against the direction
        d_out = np.zeros(np.shape(out))
        d_out[index] = 1.0
        gradients = numeric_vjp(function, args, wrt, d_out if np.ndim(out) else 1.0)
        expected = sum(float(np.sum(g * d)) for g, d in zip(gradients, directions, strict=True))
        assert np.asarray(tangent)[index] == pytest.approx(expected, rel=1e-5, abs=1e-7)


SPELLINGS = """
import numpy as np
import scipy.stats
import scipy.stats as st
from scipy import stats
from scipy.stats import norm


def spelled(x, mu, sigma):
    a = norm.logpdf(x, mu, sigma) + st.norm.pdf(x, mu, sigma)
    b = stats.norm.cdf(x, loc=mu, scale=sigma) + scipy.stats.t.logpdf(x, 4.0, mu, sigma)
    return np.sum(a * b)
"""


def test_every_spelling_of_a_method_resolves(tmp_path):
    module = write_module(tmp_path, SPELLINGS)
    args = (np.array([0.3, -1.2, 0.8]), 0.2, 1.3)
    actual = s2sad.grad(module.spelled, wrt=(0, 1, 2))(*args)
    assert_gradients_close(actual, numeric_vjp(module.spelled, args, (0, 1, 2), 1.0), args, (0, 1, 2))


def test_every_spelling_through_the_cli(tmp_path):
    args = (np.array([0.3, -1.2, 0.8]), 0.2, 1.3)
    path = tmp_path / "spellings_model.py"
    path.write_text(SPELLINGS)
    output = tmp_path / "grad_spellings.py"
    completed = subprocess.run(
        [sys.executable, "-m", "s2sad", "grad", f"{path}:spelled", "--wrt", "x,mu,sigma", "-o", str(output)],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr
    namespace: dict = {}
    exec(compile(output.read_text(), str(output), "exec"), namespace)
    module = write_module(tmp_path, SPELLINGS)
    expected = numeric_vjp(module.spelled, args, (0, 1, 2), 1.0)
    assert_gradients_close(namespace["grad_spelled"](*args), expected, args, (0, 1, 2))


def test_loc_and_scale_left_out_are_constants_and_the_call_is_kept_as_written(tmp_path):
    module = write_module(tmp_path, "from scipy.stats import norm\n\n\ndef f(x):\n    return norm.logcdf(x).sum()\n")
    x = np.array([-1.5, 0.2, 2.0])
    gradient = s2sad.grad(module.f)
    assert "scipy.stats.norm.logcdf(x)" in s2sad.source(gradient)
    expected = numeric_vjp(module.f, [x], (0,), 1.0)
    assert_gradients_close((gradient(x),), expected, [x], (0,))
    _, tangent = s2sad.jvp(module.f)(x, np.ones(3))
    assert tangent == pytest.approx(np.sum(expected[0]), rel=1e-7)


def test_degrees_of_freedom_get_no_derivative(tmp_path):
    module = write_module(
        tmp_path,
        "import scipy.stats\nfrom scipy.stats import t\n\n\ndef f(x, df):\n    return t.logpdf(x, df, 0.0, 1.0)\n",
    )
    with pytest.raises(s2sad.S2SADError, match="'df' of scipy.stats.t.logpdf depends on 'df'"):
        s2sad.grad(module.f, wrt=(0, 1))
    assert s2sad.grad(module.f)(0.5, 3.0) == pytest.approx(-4.0 * 0.5 / (3.0 + 0.25), rel=1e-12)


OUTSIDE = """
import numpy as np
from scipy.stats import beta, binom, gamma, poisson


def counts(mu, p):
    return np.sum(poisson.logpmf(np.array([-1, 2, 3]), mu) + binom.logpmf(np.array([9, 2, 1]), 4, p))


def densities(x):
    return np.sum(gamma.logpdf(x, 2.0) + beta.logpdf(x, 2.0, 3.0))
"""


def test_outside_the_support_the_derivative_is_zero_in_both_modes(tmp_path):
    """Where a log density or log pmf is -inf for every nearby input, the rules give 0, not NaN."""
    module = write_module(tmp_path, OUTSIDE)
    mu, p = np.array([1.5, 2.0, 0.5]), np.array([0.3, 0.4, 0.6])
    d_mu, d_p = s2sad.grad(module.counts, wrt=(0, 1))(mu, p)
    np.testing.assert_allclose(d_mu, [0.0, 2.0 / 2.0 - 1.0, 3.0 / 0.5 - 1.0])
    np.testing.assert_allclose(d_p, [0.0, 2.0 / 0.4 - 2.0 / 0.6, 1.0 / 0.6 - 3.0 / 0.4])
    x = np.array([-1.0, 1.5])  # outside beta's support (0, 1); -1.0 outside gamma's (x > 0) too
    np.testing.assert_allclose(s2sad.grad(module.densities)(x), [0.0, 1.0 / 1.5 - 1.0])
    _, tangent = s2sad.jvp(module.densities)(x, np.ones(2))
    assert tangent == pytest.approx(1.0 / 1.5 - 1.0, rel=1e-12)


def test_a_multivariate_normal_covariance_gradient_lies_on_the_lower_triangle(tmp_path):
    module = write_module(
        tmp_path,
        "import numpy as np\nfrom scipy.stats import multivariate_normal\n\n\n"
        "def f(x, cov):\n    return np.sum(multivariate_normal.logpdf(x, np.zeros(3), cov))\n",
    )
    rng = np.random.default_rng(0)
    x, cov = rng.normal(size=(4, 3)), random_value((3, 3), "spd", rng)
    d_cov = s2sad.grad(module.f, wrt=1)(x, cov)
    assert np.array_equal(np.triu(d_cov, 1), np.zeros((3, 3)))  # scipy reads the lower triangle only
    assert_gradients_close((d_cov,), numeric_vjp(module.f, [x, cov], (1,), 1.0), [x, cov], (1,))


def test_allow_singular_is_refused_where_it_is_written(tmp_path):
    source = (
        "import numpy as np\nfrom scipy.stats import multivariate_normal\n\n\n"
        "def f(x):\n    return np.sum(multivariate_normal.logpdf(x, allow_singular=True))\n"
    )
    module = write_module(tmp_path, source)
    with pytest.raises(s2sad.S2SADError, match="allow_singular") as refused:
        s2sad.grad(module.f)
    assert "hint: s2sad differentiates scipy.stats.multivariate_normal.logpdf(x, mean=None, cov=1)" in str(
        refused.value
    )
