"""scipy.stats: log-densities, densities and distribution functions of the common distributions,
differentiable in their float parameters.

They are methods of scipy's distribution objects (``scipy.stats.norm.logpdf``); resolve finds the
method by the object and function it binds. scipy stays optional: these rules only name it, and
need nothing of it but what the primal call computes (``out``).

``loc`` and ``scale`` may be left out, as scipy allows (``norm.logpdf(x)``): they are then the
constants 0 and 1 (``optional``). Shape parameters (the t distribution's degrees of freedom) get
no derivative (``inactive``).
All functions are smooth where defined: no subgradient is chosen.
"""

import numpy as np

from s2sad.rules import Example, adjoint, tangent

# ---------------------------------------------------------------------------
# norm: z = (x - loc) / scale


def _norm_examples(method: str, x_domain: str = "real") -> tuple[Example, ...]:
    call = f"scipy.stats.norm.{method}"
    return (
        Example(f"{call}(x, loc, scale)", {"x": (4,), "loc": (4,), "scale": (4,)}, {"scale": "positive"}),
        Example(f"{call}(x, loc, scale)", {"x": (2, 3), "loc": None, "scale": (3,)}, {"scale": "positive"}),
        Example(f"{call}(x, loc=loc, scale=scale)", {"x": None, "loc": None, "scale": None}, {"scale": "positive"}),
        Example(f"{call}(x, 0.5, scale)", {"x": (3,), "scale": ()}, {"scale": "positive"}),
        Example(f"{call}(x)", {"x": (2, 3)}),
        Example(f"{call}(x, scale=scale)", {"x": (3,), "scale": (3,)}, {"scale": "positive"}),
    )


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
