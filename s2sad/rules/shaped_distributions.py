"""scipy.stats: distributions with shape parameters. gamma (a) and beta (a, b): logpdf and pdf in x,
the shapes, loc and scale; cdf (and gamma's logcdf) in x, loc and scale, the shapes ``inactive``
(their derivatives have no closed form). poisson and binom: logpmf and pmf in mu and p; the counts
k and n are ``inactive`` integers, and loc (an integer shift) is an option.

Outside a support (x <= loc for gamma, x outside (loc, loc + scale) for beta, k not a count for the
discrete ones) the functions are constant (density 0, log -inf): the rules give 0 there, computing
on a safe stand-in (z = 1, 1/2) so that nothing on the other side of np.where is NaN.
"""

import numpy as np

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent
from s2sad.rules.distributions import location_scale_examples

_GAMMA_DOMAIN = {"x": "above1", "loc": "unit", "a": "positive", "scale": "positive"}


def _gamma_examples(method: str) -> tuple[Example, ...]:
    """Calls of gamma's ``method``; ``a`` a name where the method is differentiable in it (logpdf, pdf),
    numbers where it is not (cdf); outside the support too where the function is finite there."""
    call = f"scipy.stats.gamma.{method}"
    if method in ("cdf", "logcdf"):
        return (
            location_scale_examples(f"gamma.{method}", x="x, 2.5", domain=_GAMMA_DOMAIN)
            + (
                Example(f"{call}(x, np.array([0.5, 1.0, 3.0]))", {"x": (2, 3)}, _GAMMA_DOMAIN),
                Example(f"{call}(x, a=1.5, scale=scale)", {"x": (4,), "scale": None}, _GAMMA_DOMAIN),
            )
            + ((Example(f"{call}(x - 2.5, 0.7)", {"x": (4,)}, _GAMMA_DOMAIN),) if method == "cdf" else ())
        )
    return (
        location_scale_examples(f"gamma.{method}", domain=_GAMMA_DOMAIN, shapes={"a": ()})
        + (
            Example(f"{call}(x, a)", {"x": (2, 3), "a": (3,)}, _GAMMA_DOMAIN),
            Example(f"{call}(x, a=a, scale=scale)", {"x": (4,), "a": None, "scale": None}, _GAMMA_DOMAIN),
        )
        + ((Example(f"{call}(x - 2.5, a)", {"x": (4,), "a": (4,)}, _GAMMA_DOMAIN),) if method == "pdf" else ())
    )


# ---------------------------------------------------------------------------
# gamma: log density (a - 1) log z - z - log Gamma(a) - log scale, z = (x - loc) / scale > 0


@adjoint(
    "scipy.stats.gamma.logpdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain={"scale": "positive", "a": "positive"},
    examples=_gamma_examples("logpdf"),
)
def gamma_logpdf_adjoint_rule(d_out, out, x, a, loc=0.0, scale=1.0):
    inside = x > loc
    z = np.where(inside, (x - loc) / scale, 1.0)
    weight = np.where(inside, d_out, 0.0)
    slope = ((a - 1.0) / z - 1.0) / scale  # d out / d x
    return (
        weight * slope,
        weight * (np.log(z) - _rt.polygamma(0, a)),
        -weight * slope,
        -weight * (1.0 + slope * z * scale) / scale,
    )


@tangent("scipy.stats.gamma.logpdf")
def gamma_logpdf_tangent_rule(d_x, d_a, d_loc, d_scale, out, x, a, loc=0.0, scale=1.0):
    inside = x > loc
    z = np.where(inside, (x - loc) / scale, 1.0)
    slope = ((a - 1.0) / z - 1.0) / scale
    return (
        np.where(inside, d_x, 0.0) * slope,
        np.where(inside, d_a, 0.0) * (np.log(z) - _rt.polygamma(0, a)),
        -np.where(inside, d_loc, 0.0) * slope,
        -np.where(inside, d_scale, 0.0) * (1.0 + slope * z * scale) / scale,
    )


@adjoint(
    "scipy.stats.gamma.pdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain={"scale": "positive", "a": "positive"},
    examples=_gamma_examples("pdf"),
)
def gamma_pdf_adjoint_rule(d_out, out, x, a, loc=0.0, scale=1.0):
    z = np.where(x > loc, (x - loc) / scale, 1.0)
    weight = d_out * out  # out is 0 outside the support
    slope = ((a - 1.0) / z - 1.0) / scale
    return (
        weight * slope,
        weight * (np.log(z) - _rt.polygamma(0, a)),
        -weight * slope,
        -weight * (1.0 + slope * z * scale) / scale,
    )


@tangent("scipy.stats.gamma.pdf")
def gamma_pdf_tangent_rule(d_x, d_a, d_loc, d_scale, out, x, a, loc=0.0, scale=1.0):
    z = np.where(x > loc, (x - loc) / scale, 1.0)
    slope = ((a - 1.0) / z - 1.0) / scale
    return (
        d_x * out * slope,
        d_a * out * (np.log(z) - _rt.polygamma(0, a)),
        -d_loc * out * slope,
        -d_scale * out * (1.0 + slope * z * scale) / scale,
    )


@adjoint(
    "scipy.stats.gamma.cdf",
    elementwise=True,
    inactive=("a",),
    optional=("loc", "scale"),
    domain={"scale": "positive", "a": "positive"},
    examples=_gamma_examples("cdf"),
)
def gamma_cdf_adjoint_rule(d_out, out, x, a, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = np.exp(_rt.standard_log_density("gamma", z, a)) / scale  # the density: 0 outside the support
    return d_out * slope, None, -d_out * slope, -d_out * slope * z


@tangent("scipy.stats.gamma.cdf")
def gamma_cdf_tangent_rule(d_x, d_a, d_loc, d_scale, out, x, a, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = np.exp(_rt.standard_log_density("gamma", z, a)) / scale
    return d_x * slope, None, -d_loc * slope, -d_scale * slope * z


@adjoint(
    "scipy.stats.gamma.logcdf",
    elementwise=True,
    inactive=("a",),
    optional=("loc", "scale"),
    domain={"scale": "positive", "a": "positive"},
    examples=_gamma_examples("logcdf"),
)
def gamma_logcdf_adjoint_rule(d_out, out, x, a, loc=0.0, scale=1.0):
    inside = x > loc
    z = np.where(inside, (x - loc) / scale, 1.0)
    slope = np.where(inside, np.exp(_rt.standard_log_density("gamma", z, a) - np.where(inside, out, 0.0)), 0.0) / scale
    return d_out * slope, None, -d_out * slope, -d_out * slope * z


@tangent("scipy.stats.gamma.logcdf")
def gamma_logcdf_tangent_rule(d_x, d_a, d_loc, d_scale, out, x, a, loc=0.0, scale=1.0):
    inside = x > loc
    z = np.where(inside, (x - loc) / scale, 1.0)
    slope = np.where(inside, np.exp(_rt.standard_log_density("gamma", z, a) - np.where(inside, out, 0.0)), 0.0) / scale
    return d_x * slope, None, -d_loc * slope, -d_scale * slope * z


# ---------------------------------------------------------------------------
# beta: log density (a - 1) log z + (b - 1) log(1 - z) - log B(a, b) - log scale, 0 < z < 1

_BETA_DOMAIN = {"x": "unit", "a": "positive", "b": "positive", "loc": "unit", "scale": "above1"}


def _beta_examples(method: str) -> tuple[Example, ...]:
    """Calls of beta's ``method``; ``a`` and ``b`` names where it is differentiable in them (logpdf,
    pdf), numbers where it is not (cdf); outside the support too where the function is finite there."""
    call = f"scipy.stats.beta.{method}"
    inside = "loc + scale * (0.5 + 0.45 * x)"  # x in (-0.9, 0.9): inside (loc, loc + scale)
    shapes = "a, b" if method != "cdf" else "2.5, np.array([0.5, 1.5, 3.0])"
    given = {"a": (), "b": None} if method != "cdf" else {}
    examples = (
        Example(f"{call}({inside}, {shapes}, loc, scale)", {"x": (3,), **given, "loc": (3,), "scale": ()}),
        Example(f"{call}({inside}, {shapes}, loc=loc, scale=scale)", dict.fromkeys(["x", *given, "loc", "scale"])),
        Example(f"{call}(0.5 + 0.45 * x, {shapes}, scale=scale)", {"x": (2, 3), **given, "scale": (2, 1)}),
    )
    if method == "cdf":
        return examples + (
            Example(f"{call}(0.5 + 0.45 * x, 0.7, 2.0)", {"x": (2, 3)}),
            Example(f"{call}(np.array([-0.5, 0.3, 0.6, 1.5]) + 0.05 * x, 2.0, 3.0)", {"x": (4,)}),  # outside too
        )
    examples += (
        Example(f"{call}(0.5 + 0.45 * x, a, b)", {"x": (4,), "a": (4,), "b": (4,)}),
        Example(f"{call}(0.5 + 0.45 * x, a, b)", {"x": (2, 3), "a": None, "b": (3,)}),
    )
    if method == "pdf":
        examples += (
            Example(f"{call}(np.array([-0.5, 0.3, 0.6, 1.5]) + 0.05 * x, a, b)", {"x": (4,), "a": (), "b": ()}),
        )
    return examples


def _with_domain(examples: tuple[Example, ...]) -> tuple[Example, ...]:
    """The examples with x and loc in (-0.9, 0.9), the shapes in (0.2, 2), scale in (1.2, 3)."""
    return tuple(Example(e.call, e.shapes, _BETA_DOMAIN) for e in examples)


@adjoint(
    "scipy.stats.beta.logpdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_BETA_DOMAIN,
    examples=_with_domain(_beta_examples("logpdf")),
)
def beta_logpdf_adjoint_rule(d_out, out, x, a, b, loc=0.0, scale=1.0):
    inside = np.logical_and(x > loc, x < loc + scale)
    z = np.where(inside, (x - loc) / scale, 0.5)
    weight = np.where(inside, d_out, 0.0)
    slope = ((a - 1.0) / z - (b - 1.0) / (1.0 - z)) / scale  # d out / d x
    total = _rt.polygamma(0, a + b)
    return (
        weight * slope,
        weight * (np.log(z) - _rt.polygamma(0, a) + total),
        weight * (np.log1p(-z) - _rt.polygamma(0, b) + total),
        -weight * slope,
        -weight * (1.0 + slope * z * scale) / scale,
    )


@tangent("scipy.stats.beta.logpdf")
def beta_logpdf_tangent_rule(d_x, d_a, d_b, d_loc, d_scale, out, x, a, b, loc=0.0, scale=1.0):
    inside = np.logical_and(x > loc, x < loc + scale)
    z = np.where(inside, (x - loc) / scale, 0.5)
    slope = ((a - 1.0) / z - (b - 1.0) / (1.0 - z)) / scale
    total = _rt.polygamma(0, a + b)
    return (
        np.where(inside, d_x, 0.0) * slope,
        np.where(inside, d_a, 0.0) * (np.log(z) - _rt.polygamma(0, a) + total),
        np.where(inside, d_b, 0.0) * (np.log1p(-z) - _rt.polygamma(0, b) + total),
        -np.where(inside, d_loc, 0.0) * slope,
        -np.where(inside, d_scale, 0.0) * (1.0 + slope * z * scale) / scale,
    )


@adjoint(
    "scipy.stats.beta.pdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_BETA_DOMAIN,
    examples=_with_domain(_beta_examples("pdf")),
)
def beta_pdf_adjoint_rule(d_out, out, x, a, b, loc=0.0, scale=1.0):
    z = np.where(np.logical_and(x > loc, x < loc + scale), (x - loc) / scale, 0.5)
    weight = d_out * out  # out is 0 outside the support
    slope = ((a - 1.0) / z - (b - 1.0) / (1.0 - z)) / scale
    total = _rt.polygamma(0, a + b)
    return (
        weight * slope,
        weight * (np.log(z) - _rt.polygamma(0, a) + total),
        weight * (np.log1p(-z) - _rt.polygamma(0, b) + total),
        -weight * slope,
        -weight * (1.0 + slope * z * scale) / scale,
    )


@tangent("scipy.stats.beta.pdf")
def beta_pdf_tangent_rule(d_x, d_a, d_b, d_loc, d_scale, out, x, a, b, loc=0.0, scale=1.0):
    z = np.where(np.logical_and(x > loc, x < loc + scale), (x - loc) / scale, 0.5)
    slope = ((a - 1.0) / z - (b - 1.0) / (1.0 - z)) / scale
    total = _rt.polygamma(0, a + b)
    return (
        d_x * out * slope,
        d_a * out * (np.log(z) - _rt.polygamma(0, a) + total),
        d_b * out * (np.log1p(-z) - _rt.polygamma(0, b) + total),
        -d_loc * out * slope,
        -d_scale * out * (1.0 + slope * z * scale) / scale,
    )


@adjoint(
    "scipy.stats.beta.cdf",
    elementwise=True,
    inactive=("a", "b"),
    optional=("loc", "scale"),
    domain=_BETA_DOMAIN,
    examples=_with_domain(_beta_examples("cdf")),
)
def beta_cdf_adjoint_rule(d_out, out, x, a, b, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = np.exp(_rt.standard_log_density("beta", z, a, b)) / scale  # the density: 0 outside the support
    return d_out * slope, None, None, -d_out * slope, -d_out * slope * z


@tangent("scipy.stats.beta.cdf")
def beta_cdf_tangent_rule(d_x, d_a, d_b, d_loc, d_scale, out, x, a, b, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = np.exp(_rt.standard_log_density("beta", z, a, b)) / scale
    return d_x * slope, None, None, -d_loc * slope, -d_scale * slope * z


# ---------------------------------------------------------------------------
# poisson: log pmf k log mu - mu - log k!; binom: k log p + (n - k) log(1 - p) + log C(n, k) (k shifted by loc)


def _count_examples(call: str, rate: str, domain: str) -> tuple[Example, ...]:
    return (
        Example(f"{call}(np.array([0, 1, 3, 7]), {rate})", {rate: (4,)}, {rate: domain}),
        Example(f"{call}(np.arange(6).reshape(2, 3), {rate})", {rate: (3,)}, {rate: domain}),
        Example(f"{call}(2, {rate})", {rate: None}, {rate: domain}),
        Example(f"{call}(np.array([1.0, 2.0, 4.0]), {rate}, 1)", {rate: ()}, {rate: domain}),
    ) + (
        (Example(f"{call}(np.array([-1, 2, 1]), {rate}, loc=0)", {rate: (3,)}, {rate: domain}),)
        if call.endswith(".pmf")  # 0 there; logpmf's -inf has no finite differences
        else ()
    )


@adjoint(
    "scipy.stats.poisson.logpmf",
    elementwise=True,
    inactive=("k",),
    domain={"mu": "positive"},
    examples=_count_examples("scipy.stats.poisson.logpmf", "mu", "positive"),
)
def poisson_logpmf_adjoint_rule(d_out, out, k, mu, loc=0):
    return None, np.where(out > -np.inf, d_out, 0.0) * ((k - loc) / mu - 1.0)


@tangent("scipy.stats.poisson.logpmf")
def poisson_logpmf_tangent_rule(d_k, d_mu, out, k, mu, loc=0):
    return None, np.where(out > -np.inf, d_mu, 0.0) * ((k - loc) / mu - 1.0)


@adjoint(
    "scipy.stats.poisson.pmf",
    elementwise=True,
    inactive=("k",),
    domain={"mu": "positive"},
    examples=_count_examples("scipy.stats.poisson.pmf", "mu", "positive"),
)
def poisson_pmf_adjoint_rule(d_out, out, k, mu, loc=0):
    return None, d_out * out * ((k - loc) / mu - 1.0)


@tangent("scipy.stats.poisson.pmf")
def poisson_pmf_tangent_rule(d_k, d_mu, out, k, mu, loc=0):
    return None, d_mu * out * ((k - loc) / mu - 1.0)


def _binom_examples(call: str) -> tuple[Example, ...]:
    """p in (0.05, 0.95) as 0.5 + 0.45 p, p in (-0.9, 0.9)."""
    return tuple(
        Example(e.call.replace(", p", ", 8, 0.5 + 0.45 * p"), e.shapes, e.domain)
        for e in _count_examples(call, "p", "unit")
    ) + (
        Example(f"{call}(np.array([0, 2, 5]), np.array([3, 4, 5]), 0.5 + 0.45 * p)", {"p": (2, 3)}, {"p": "unit"}),
    )


@adjoint(
    "scipy.stats.binom.logpmf",
    elementwise=True,
    inactive=("k", "n"),
    examples=_binom_examples("scipy.stats.binom.logpmf"),
)
def binom_logpmf_adjoint_rule(d_out, out, k, n, p, loc=0):
    return None, None, np.where(out > -np.inf, d_out, 0.0) * ((k - loc) / p - (n - k + loc) / (1.0 - p))


@tangent("scipy.stats.binom.logpmf")
def binom_logpmf_tangent_rule(d_k, d_n, d_p, out, k, n, p, loc=0):
    return None, None, np.where(out > -np.inf, d_p, 0.0) * ((k - loc) / p - (n - k + loc) / (1.0 - p))


@adjoint(
    "scipy.stats.binom.pmf",
    elementwise=True,
    inactive=("k", "n"),
    examples=_binom_examples("scipy.stats.binom.pmf"),
)
def binom_pmf_adjoint_rule(d_out, out, k, n, p, loc=0):
    return None, None, d_out * out * ((k - loc) / p - (n - k + loc) / (1.0 - p))


@tangent("scipy.stats.binom.pmf")
def binom_pmf_tangent_rule(d_k, d_n, d_p, out, k, n, p, loc=0):
    return None, None, d_p * out * ((k - loc) / p - (n - k + loc) / (1.0 - p))
