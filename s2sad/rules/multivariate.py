"""scipy.stats' multivariate distributions: multivariate_normal's logpdf and pdf in x, mean and cov;
dirichlet's logpdf and pdf in x and alpha.

multivariate_normal takes x's last axis as the dimension (any leading axes are points; for
dimension 1 every entry of x is a point), a mean (default None: 0) and a covariance cov (default 1:
I; a number times I, a vector on the diagonal, or a symmetric positive definite matrix). scipy reads
the matrix's lower triangle (scipy.linalg.eigh): the gradient is the lower triangle's, the upper gets
0, as for numpy.linalg.cholesky (see s2sad.runtime.decompositions); through a symmetric cov built
as B B^T the chain rule gives the usual symmetric result. ``allow_singular`` is refused (not a
parameter of the rule): at a singular covariance the density has no derivative in it.
"""

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent


def _normal_examples(method: str) -> tuple[Example, ...]:
    call = f"scipy.stats.multivariate_normal.{method}"
    spd = {"cov": "spd", "c": "positive"}
    return (
        Example(f"{call}(x, mean, cov)", {"x": (3,), "mean": (3,), "cov": (3, 3)}, spd),
        Example(f"{call}(x, mean, cov)", {"x": (4, 3), "mean": (3,), "cov": (3, 3)}, spd),
        Example(f"{call}(x, mean=mean, cov=cov)", {"x": (2, 4, 2), "mean": (2,), "cov": (2, 2)}, spd),
        Example(f"{call}(x, mean)", {"x": (5, 3), "mean": (3,)}, spd),
        Example(f"{call}(x)", {"x": (4,)}, spd),
        Example(f"{call}(x, cov=cov)", {"x": (2, 3), "cov": (3, 3)}, spd),
        Example(f"{call}(x, mean, 2.0)", {"x": (3, 2), "mean": (2,)}, spd),
        Example(f"{call}(x, mean, c)", {"x": (3, 2), "mean": (2,), "c": None}, spd),
        Example(f"{call}(x, mean, c)", {"x": (4, 3), "mean": (3,), "c": (3,)}, spd),
        Example(f"{call}(x, mean, cov)", {"x": (1, 3), "mean": (3,), "cov": (3, 3)}, spd),
        Example(f"{call}(x, m, c)", {"x": (4,), "m": None, "c": None}, spd),
    )


@adjoint(
    "scipy.stats.multivariate_normal.logpdf",
    optional=("mean", "cov"),
    returns="new",
    domain={"cov": "spd"},
    examples=_normal_examples("logpdf"),
)
def multivariate_normal_logpdf_adjoint_rule(d_out, out, x, mean=None, cov=1):
    parts = _rt.multivariate_normal_adjoint(d_out, x, mean, cov)
    return parts[0], parts[1], parts[2]


@tangent("scipy.stats.multivariate_normal.logpdf")
def multivariate_normal_logpdf_tangent_rule(d_x, d_mean, d_cov, out, x, mean=None, cov=1):
    return (
        _rt.multivariate_normal_tangent(out, x, mean, cov, d_x, "x"),
        _rt.multivariate_normal_tangent(out, x, mean, cov, d_mean, "mean"),
        _rt.multivariate_normal_tangent(out, x, mean, cov, d_cov, "cov"),
    )


@adjoint(
    "scipy.stats.multivariate_normal.pdf",
    optional=("mean", "cov"),
    returns="new",
    domain={"cov": "spd"},
    examples=_normal_examples("pdf"),
)
def multivariate_normal_pdf_adjoint_rule(d_out, out, x, mean=None, cov=1):
    parts = _rt.multivariate_normal_adjoint(d_out * out, x, mean, cov)
    return parts[0], parts[1], parts[2]


@tangent("scipy.stats.multivariate_normal.pdf")
def multivariate_normal_pdf_tangent_rule(d_x, d_mean, d_cov, out, x, mean=None, cov=1):
    return (
        out * _rt.multivariate_normal_tangent(out, x, mean, cov, d_x, "x"),
        out * _rt.multivariate_normal_tangent(out, x, mean, cov, d_mean, "mean"),
        out * _rt.multivariate_normal_tangent(out, x, mean, cov, d_cov, "cov"),
    )
