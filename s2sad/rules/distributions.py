"""scipy.stats: log-densities, densities and distribution functions of the common distributions,
differentiable in their float parameters. Here norm and t; the other location-scale families are in
s2sad.rules.location_scale, those with shape parameters (gamma, beta, poisson, binom) in
s2sad.rules.shaped_distributions, the multivariate ones in s2sad.rules.multivariate.

They are methods of scipy's distribution objects (``scipy.stats.norm.logpdf``); resolve finds the
method by the object and function it binds. scipy stays optional: these rules only name it, and
what they need of it beyond the primal call's ``out`` goes through runtime helpers
(``_rt.standard_log_density``: scipy's log density, for t's distribution functions).

``loc`` and ``scale`` may be left out, as scipy allows (``norm.logpdf(x)``): they are then the
constants 0 and 1 (``optional``). Shape parameters (the t distribution's degrees of freedom) get
no derivative (``inactive``).
All functions here are smooth where defined: no subgradient is chosen.
"""

from collections.abc import Mapping

import numpy as np

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent

# ---------------------------------------------------------------------------
# norm: z = (x - loc) / scale


def location_scale_examples(
    method: str,
    x: str = "x",
    domain: Mapping[str, str] | None = None,
    shapes: Mapping[str, tuple[int, ...] | None] | None = None,
) -> tuple[Example, ...]:
    """Calls of ``method`` (``"norm.logpdf"``) at ``x`` (an expression of the argument x) over shapes,
    broadcasting, Python floats, and loc and scale given by position, by keyword, or left out.
    ``shapes``: the distribution's shape parameters, passed after x by name, and their shapes."""
    call = f"scipy.stats.{method}"
    x = x + "".join(f", {name}" for name in shapes or {})
    domain = {"scale": "positive", **(domain or {})}

    def example(arguments: str, given: Mapping[str, tuple[int, ...] | None]) -> Example:
        return Example(f"{call}({x}{arguments})", {"x": given["x"], **(shapes or {}), **given}, domain)

    return (
        example(", loc, scale", {"x": (4,), "loc": (4,), "scale": (4,)}),
        example(", loc, scale", {"x": (2, 3), "loc": None, "scale": (3,)}),
        example(", loc=loc, scale=scale", dict.fromkeys(("x", "loc", "scale"))),
        example(", 0.5, scale", {"x": (3,), "scale": ()}),
        example("", {"x": (2, 3)}),
        example(", scale=scale", {"x": (3,), "scale": (3,)}),
    )


def _norm_examples(method: str) -> tuple[Example, ...]:
    return location_scale_examples(f"norm.{method}")


@adjoint(
    "scipy.stats.norm.logpdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain={"scale": "positive"},
    examples=_norm_examples("logpdf"),
)
def norm_logpdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return -d_out * z / scale, d_out * z / scale, d_out * (z * z - 1.0) / scale


@tangent("scipy.stats.norm.logpdf")
def norm_logpdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return -d_x * z / scale, d_loc * z / scale, d_scale * (z * z - 1.0) / scale


@adjoint(
    "scipy.stats.norm.pdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain={"scale": "positive"},
    examples=_norm_examples("pdf"),
)
def norm_pdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return -d_out * out * z / scale, d_out * out * z / scale, d_out * out * (z * z - 1.0) / scale


@tangent("scipy.stats.norm.pdf")
def norm_pdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return -d_x * out * z / scale, d_loc * out * z / scale, d_scale * out * (z * z - 1.0) / scale


@adjoint(
    "scipy.stats.norm.cdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain={"scale": "positive"},
    examples=_norm_examples("cdf"),
)
def norm_cdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = np.exp(-0.5 * z * z - 0.9189385332046727) / scale  # the density at x (0.918...: log(2 pi) / 2)
    return d_out * slope, -d_out * slope, -d_out * slope * z


@tangent("scipy.stats.norm.cdf")
def norm_cdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = np.exp(-0.5 * z * z - 0.9189385332046727) / scale
    return d_x * slope, -d_loc * slope, -d_scale * slope * z


@adjoint(
    "scipy.stats.norm.logcdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain={"scale": "positive"},
    examples=_norm_examples("logcdf"),
)
def norm_logcdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = np.exp(-0.5 * z * z - 0.9189385332046727 - out) / scale  # density over cdf, in logs: no overflow
    return d_out * slope, -d_out * slope, -d_out * slope * z


@tangent("scipy.stats.norm.logcdf")
def norm_logcdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = np.exp(-0.5 * z * z - 0.9189385332046727 - out) / scale
    return d_x * slope, -d_loc * slope, -d_scale * slope * z


@adjoint(
    "scipy.stats.norm.sf",
    elementwise=True,
    optional=("loc", "scale"),
    domain={"scale": "positive"},
    examples=_norm_examples("sf"),
)
def norm_sf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -np.exp(-0.5 * z * z - 0.9189385332046727) / scale  # minus the density at x
    return d_out * slope, -d_out * slope, -d_out * slope * z


@tangent("scipy.stats.norm.sf")
def norm_sf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -np.exp(-0.5 * z * z - 0.9189385332046727) / scale
    return d_x * slope, -d_loc * slope, -d_scale * slope * z


@adjoint(
    "scipy.stats.norm.logsf",
    elementwise=True,
    optional=("loc", "scale"),
    domain={"scale": "positive"},
    examples=_norm_examples("logsf"),
)
def norm_logsf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -np.exp(-0.5 * z * z - 0.9189385332046727 - out) / scale  # minus density over sf, in logs
    return d_out * slope, -d_out * slope, -d_out * slope * z


@tangent("scipy.stats.norm.logsf")
def norm_logsf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -np.exp(-0.5 * z * z - 0.9189385332046727 - out) / scale
    return d_x * slope, -d_loc * slope, -d_scale * slope * z


# ppf(q) = loc + scale * z with z the standard normal quantile; q in (0, 1): 0.5 + 0.45 x, x in (-0.9, 0.9)
@adjoint(
    "scipy.stats.norm.ppf",
    elementwise=True,
    optional=("loc", "scale"),
    domain={"scale": "positive"},
    examples=location_scale_examples("norm.ppf", x="0.5 + 0.45 * x", domain={"x": "unit"}),
)
def norm_ppf_adjoint_rule(d_out, out, q, loc=0.0, scale=1.0):
    z = (out - loc) / scale
    return d_out * scale * np.exp(0.5 * z * z + 0.9189385332046727), d_out, d_out * z


@tangent("scipy.stats.norm.ppf")
def norm_ppf_tangent_rule(d_q, d_loc, d_scale, out, q, loc=0.0, scale=1.0):
    z = (out - loc) / scale
    return d_q * scale * np.exp(0.5 * z * z + 0.9189385332046727), d_loc, d_scale * z


# ---------------------------------------------------------------------------
# t: z = (x - loc) / scale; d log p / dz = -(df + 1) z / (df + z^2)


def _t_examples(method: str) -> tuple[Example, ...]:
    call = f"scipy.stats.t.{method}"
    domain = {"scale": "positive"}
    # df carries no derivative (inactive): the examples give it as numbers, an array of them too.
    return (
        Example(f"{call}(x, np.array([1, 2, 4, 9]), loc, scale)", {"x": (4,), "loc": (4,), "scale": (4,)}, domain),
        Example(f"{call}(x, 2.5, loc, scale)", {"x": (2, 3), "loc": None, "scale": (3,)}, domain),
        Example(f"{call}(x, 3.0, loc=loc, scale=scale)", {"x": None, "loc": None, "scale": None}, domain),
        Example(f"{call}(x, 4.0)", {"x": (3,)}),
        Example(f"{call}(x, 2.0, scale=scale)", {"x": (3,), "scale": ()}, domain),
    )


@adjoint(
    "scipy.stats.t.logpdf",
    elementwise=True,
    inactive=("df",),
    optional=("loc", "scale"),
    domain={"scale": "positive", "df": "above1"},
    examples=_t_examples("logpdf"),
)
def t_logpdf_adjoint_rule(d_out, out, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -(df + 1.0) * z / (df + z * z) / scale  # d out / d x
    return d_out * slope, None, -d_out * slope, -d_out * (1.0 + slope * (x - loc)) / scale


@tangent("scipy.stats.t.logpdf")
def t_logpdf_tangent_rule(d_x, d_df, d_loc, d_scale, out, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -(df + 1.0) * z / (df + z * z) / scale
    return d_x * slope, None, -d_loc * slope, -d_scale * (1.0 + slope * (x - loc)) / scale


@adjoint(
    "scipy.stats.t.pdf",
    elementwise=True,
    inactive=("df",),
    optional=("loc", "scale"),
    domain={"scale": "positive", "df": "above1"},
    examples=_t_examples("pdf"),
)
def t_pdf_adjoint_rule(d_out, out, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -(df + 1.0) * z / (df + z * z) / scale * out
    return d_out * slope, None, -d_out * slope, -d_out * (out + slope * (x - loc)) / scale


@tangent("scipy.stats.t.pdf")
def t_pdf_tangent_rule(d_x, d_df, d_loc, d_scale, out, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -(df + 1.0) * z / (df + z * z) / scale * out
    return d_x * slope, None, -d_loc * slope, -d_scale * (out + slope * (x - loc)) / scale


# The t distribution functions' derivatives are its density, _rt.standard_log_density("t", z, df)
# in logs: scipy's own, in z's dtype.


@adjoint(
    "scipy.stats.t.cdf",
    elementwise=True,
    inactive=("df",),
    optional=("loc", "scale"),
    domain={"scale": "positive", "df": "above1"},
    examples=_t_examples("cdf"),
)
def t_cdf_adjoint_rule(d_out, out, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = np.exp(_rt.standard_log_density("t", z, df)) / scale
    return d_out * slope, None, -d_out * slope, -d_out * slope * z


@tangent("scipy.stats.t.cdf")
def t_cdf_tangent_rule(d_x, d_df, d_loc, d_scale, out, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = np.exp(_rt.standard_log_density("t", z, df)) / scale
    return d_x * slope, None, -d_loc * slope, -d_scale * slope * z


@adjoint(
    "scipy.stats.t.logcdf",
    elementwise=True,
    inactive=("df",),
    optional=("loc", "scale"),
    domain={"scale": "positive", "df": "above1"},
    examples=_t_examples("logcdf"),
)
def t_logcdf_adjoint_rule(d_out, out, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = np.exp(_rt.standard_log_density("t", z, df) - out) / scale  # density over cdf, in logs
    return d_out * slope, None, -d_out * slope, -d_out * slope * z


@tangent("scipy.stats.t.logcdf")
def t_logcdf_tangent_rule(d_x, d_df, d_loc, d_scale, out, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = np.exp(_rt.standard_log_density("t", z, df) - out) / scale
    return d_x * slope, None, -d_loc * slope, -d_scale * slope * z


@adjoint(
    "scipy.stats.t.sf",
    elementwise=True,
    inactive=("df",),
    optional=("loc", "scale"),
    domain={"scale": "positive", "df": "above1"},
    examples=_t_examples("sf"),
)
def t_sf_adjoint_rule(d_out, out, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -np.exp(_rt.standard_log_density("t", z, df)) / scale
    return d_out * slope, None, -d_out * slope, -d_out * slope * z


@tangent("scipy.stats.t.sf")
def t_sf_tangent_rule(d_x, d_df, d_loc, d_scale, out, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -np.exp(_rt.standard_log_density("t", z, df)) / scale
    return d_x * slope, None, -d_loc * slope, -d_scale * slope * z
