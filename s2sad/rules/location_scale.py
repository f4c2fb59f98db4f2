"""scipy.stats: the location-scale families without shape parameters (expon, laplace, logistic,
cauchy): logpdf, pdf, cdf and logcdf in x, loc and scale (loc and scale ``optional``, as in
s2sad.rules.distributions).

With z = (x - loc) / scale and s the derivative in z of the function of z: d/dx = s / scale,
d/dloc = -s / scale, d/dscale = -s z / scale, less 1 / scale (times the density, for pdf) for the
densities, which carry a 1 / scale factor.

Where they are not smooth, the rules choose:
- expon at x == loc (where its density jumps from 0): the derivative from the right, inside the
  support; below it (x < loc) the functions are constant (density 0, logpdf -inf): derivative 0;
  logcdf is -inf at and below loc: derivative 0 there.
- laplace's logpdf and pdf at x == loc (a kink of |z|): 0 in x and loc, the middle of the
  subgradients (sign(0) = 0, as numpy.abs's rule). Its cdf and logcdf are smooth.
"""

import numpy as np

from s2sad.rules import adjoint, tangent
from s2sad.rules.distributions import location_scale_examples

_SCALE = {"scale": "positive"}
_ABOVE_LOC = {"x": "above1", "loc": "unit"}  # x - loc > 0.3: inside expon's support

# ---------------------------------------------------------------------------
# expon: log density -z - log(scale) for z >= 0


@adjoint(
    "scipy.stats.expon.logpdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("expon.logpdf", domain=_ABOVE_LOC),
)
def expon_logpdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    inside = np.where(x >= loc, d_out, 0.0)
    return -inside / scale, inside / scale, inside * ((x - loc) / scale - 1.0) / scale


@tangent("scipy.stats.expon.logpdf")
def expon_logpdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    inside = x >= loc
    return (
        -np.where(inside, d_x, 0.0) / scale,
        np.where(inside, d_loc, 0.0) / scale,
        np.where(inside, d_scale, 0.0) * ((x - loc) / scale - 1.0) / scale,
    )


@adjoint(
    "scipy.stats.expon.pdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("expon.pdf", domain=_ABOVE_LOC),
)
def expon_pdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    weight = d_out * out / scale  # out is 0 below loc
    return -weight, weight, weight * ((x - loc) / scale - 1.0)


@tangent("scipy.stats.expon.pdf")
def expon_pdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    return -d_x * out / scale, d_loc * out / scale, d_scale * out * ((x - loc) / scale - 1.0) / scale


@adjoint(
    "scipy.stats.expon.cdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("expon.cdf", domain=_ABOVE_LOC),
)
def expon_cdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    slope = np.where(x >= loc, 1.0 - out, 0.0) / scale  # the density: exp(-z) / scale inside
    return d_out * slope, -d_out * slope, -d_out * slope * (x - loc) / scale


@tangent("scipy.stats.expon.cdf")
def expon_cdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    slope = np.where(x >= loc, 1.0 - out, 0.0) / scale
    return d_x * slope, -d_loc * slope, -d_scale * slope * (x - loc) / scale


@adjoint(
    "scipy.stats.expon.logcdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("expon.logcdf", domain=_ABOVE_LOC),
)
def expon_logcdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    # density over cdf: exp(-z) / (1 - exp(-z)) / scale = 1 / expm1(z) / scale, for z > 0
    z = np.where(x > loc, (x - loc) / scale, 1.0)
    slope = np.where(x > loc, 1.0 / np.expm1(z), 0.0) / scale
    return d_out * slope, -d_out * slope, -d_out * slope * z


@tangent("scipy.stats.expon.logcdf")
def expon_logcdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    z = np.where(x > loc, (x - loc) / scale, 1.0)
    slope = np.where(x > loc, 1.0 / np.expm1(z), 0.0) / scale
    return d_x * slope, -d_loc * slope, -d_scale * slope * z


# ---------------------------------------------------------------------------
# laplace: log density -|z| - log(2 scale)


@adjoint(
    "scipy.stats.laplace.logpdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("laplace.logpdf"),
)
def laplace_logpdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    slope = -np.sign(x - loc) / scale
    return d_out * slope, -d_out * slope, d_out * (np.abs(x - loc) / scale - 1.0) / scale


@tangent("scipy.stats.laplace.logpdf")
def laplace_logpdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    slope = -np.sign(x - loc) / scale
    return d_x * slope, -d_loc * slope, d_scale * (np.abs(x - loc) / scale - 1.0) / scale


@adjoint(
    "scipy.stats.laplace.pdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("laplace.pdf"),
)
def laplace_pdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    slope = -out * np.sign(x - loc) / scale
    return d_out * slope, -d_out * slope, d_out * out * (np.abs(x - loc) / scale - 1.0) / scale


@tangent("scipy.stats.laplace.pdf")
def laplace_pdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    slope = -out * np.sign(x - loc) / scale
    return d_x * slope, -d_loc * slope, d_scale * out * (np.abs(x - loc) / scale - 1.0) / scale


@adjoint(
    "scipy.stats.laplace.cdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("laplace.cdf"),
)
def laplace_cdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = 0.5 * np.exp(-np.abs(z)) / scale  # the density
    return d_out * slope, -d_out * slope, -d_out * slope * z


@tangent("scipy.stats.laplace.cdf")
def laplace_cdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = 0.5 * np.exp(-np.abs(z)) / scale
    return d_x * slope, -d_loc * slope, -d_scale * slope * z


@adjoint(
    "scipy.stats.laplace.logcdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("laplace.logcdf"),
)
def laplace_logcdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = np.exp(-np.abs(z) - 0.6931471805599453 - out) / scale  # density over cdf, in logs (log 2)
    return d_out * slope, -d_out * slope, -d_out * slope * z


@tangent("scipy.stats.laplace.logcdf")
def laplace_logcdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = np.exp(-np.abs(z) - 0.6931471805599453 - out) / scale
    return d_x * slope, -d_loc * slope, -d_scale * slope * z


# ---------------------------------------------------------------------------
# logistic: cdf expit(z); log density's slope in z: -tanh(z / 2)


@adjoint(
    "scipy.stats.logistic.logpdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("logistic.logpdf"),
)
def logistic_logpdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -np.tanh(0.5 * z) / scale
    return d_out * slope, -d_out * slope, -d_out * (1.0 + slope * (x - loc)) / scale


@tangent("scipy.stats.logistic.logpdf")
def logistic_logpdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -np.tanh(0.5 * z) / scale
    return d_x * slope, -d_loc * slope, -d_scale * (1.0 + slope * (x - loc)) / scale


@adjoint(
    "scipy.stats.logistic.pdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("logistic.pdf"),
)
def logistic_pdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -out * np.tanh(0.5 * z) / scale
    return d_out * slope, -d_out * slope, -d_out * (out + slope * (x - loc)) / scale


@tangent("scipy.stats.logistic.pdf")
def logistic_pdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -out * np.tanh(0.5 * z) / scale
    return d_x * slope, -d_loc * slope, -d_scale * (out + slope * (x - loc)) / scale


@adjoint(
    "scipy.stats.logistic.cdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("logistic.cdf"),
)
def logistic_cdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    slope = out * (1.0 - out) / scale
    return d_out * slope, -d_out * slope, -d_out * slope * (x - loc) / scale


@tangent("scipy.stats.logistic.cdf")
def logistic_cdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    slope = out * (1.0 - out) / scale
    return d_x * slope, -d_loc * slope, -d_scale * slope * (x - loc) / scale


@adjoint(
    "scipy.stats.logistic.logcdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("logistic.logcdf"),
)
def logistic_logcdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    slope = -np.expm1(out) / scale  # 1 - cdf: the density over the cdf
    return d_out * slope, -d_out * slope, -d_out * slope * (x - loc) / scale


@tangent("scipy.stats.logistic.logcdf")
def logistic_logcdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    slope = -np.expm1(out) / scale
    return d_x * slope, -d_loc * slope, -d_scale * slope * (x - loc) / scale


# ---------------------------------------------------------------------------
# cauchy: density 1 / (pi scale (1 + z^2)); cdf 1/2 + arctan(z) / pi


@adjoint(
    "scipy.stats.cauchy.logpdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("cauchy.logpdf"),
)
def cauchy_logpdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -2.0 * z / (1.0 + z * z) / scale
    return d_out * slope, -d_out * slope, -d_out * (1.0 + slope * (x - loc)) / scale


@tangent("scipy.stats.cauchy.logpdf")
def cauchy_logpdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -2.0 * z / (1.0 + z * z) / scale
    return d_x * slope, -d_loc * slope, -d_scale * (1.0 + slope * (x - loc)) / scale


@adjoint(
    "scipy.stats.cauchy.pdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("cauchy.pdf"),
)
def cauchy_pdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -2.0 * out * z / (1.0 + z * z) / scale
    return d_out * slope, -d_out * slope, -d_out * (out + slope * (x - loc)) / scale


@tangent("scipy.stats.cauchy.pdf")
def cauchy_pdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = -2.0 * out * z / (1.0 + z * z) / scale
    return d_x * slope, -d_loc * slope, -d_scale * (out + slope * (x - loc)) / scale


@adjoint(
    "scipy.stats.cauchy.cdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("cauchy.cdf"),
)
def cauchy_cdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = 0.3183098861837907 / (1.0 + z * z) / scale  # the density (0.318...: 1 / pi)
    return d_out * slope, -d_out * slope, -d_out * slope * z


@tangent("scipy.stats.cauchy.cdf")
def cauchy_cdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = 0.3183098861837907 / (1.0 + z * z) / scale
    return d_x * slope, -d_loc * slope, -d_scale * slope * z


@adjoint(
    "scipy.stats.cauchy.logcdf",
    elementwise=True,
    optional=("loc", "scale"),
    domain=_SCALE,
    examples=location_scale_examples("cauchy.logcdf"),
)
def cauchy_logcdf_adjoint_rule(d_out, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = 0.3183098861837907 * np.exp(-out) / (1.0 + z * z) / scale  # density over cdf
    return d_out * slope, -d_out * slope, -d_out * slope * z


@tangent("scipy.stats.cauchy.logcdf")
def cauchy_logcdf_tangent_rule(d_x, d_loc, d_scale, out, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    slope = 0.3183098861837907 * np.exp(-out) / (1.0 + z * z) / scale
    return d_x * slope, -d_loc * slope, -d_scale * slope * z
