"""Products beyond matmul: tensordot, kron, cross, vdot, matrix_power, multi_dot, convolve and
correlate, polyval; and the einsum helpers (any subscripts) multi_dot's rules call.

Each is linear in each factor (polyval and matrix_power aside), so its tangent is the product with
one factor replaced by its tangent (``bilinear``), and its adjoint pairs the output's adjoint with
the other factors (s2sad/runtime/contractions.py arranges the axes). None has a kink.

- cross: 2-vectors (deprecated by numpy 2) are 3-vectors with z = 0; two 2-vectors give the z
  component alone.
- matrix_power: the derivative of A^n along dA is the upper right block of [[A, dA], [0, A]]^n, for
  negative n (through the inverse) too; n is an integer that must not depend on what is
  differentiated.
- convolve and correlate: 1-D, modes 'full', 'same' and 'valid' (numpy's placement of the window).
- polyval: p is a 1-D array of coefficients, x any array or number.
- multi_dot: an einsum chain; a tangent operand that is all zeros (an array with no tangent) adds no term.
"""

import numpy as np

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent, zero_derivative

_WELL_CONDITIONED = {"a": "spd"}


@adjoint(
    "numpy.tensordot",
    bilinear=True,
    returns="new",
    examples=(
        Example("np.tensordot(a, b)", {"a": (2, 3, 4), "b": (3, 4, 2)}),
        Example("np.tensordot(a, b, 1)", {"a": (2, 3), "b": (3, 4)}),
        Example("np.tensordot(a, b, axes=0)", {"a": (2,), "b": (3, 2)}),
        Example("np.tensordot(a, b, axes=(1, 0))", {"a": (2, 3), "b": (3, 4)}),
        Example("np.tensordot(a, b, axes=([1, 0], [0, 2]))", {"a": (3, 4, 2), "b": (4, 2, 3)}),
        Example("np.tensordot(a, b, ([-1], [0]))", {"a": (2, 3), "b": (3,)}),
        Example("np.tensordot(a, b, axes=((0, 2), (2, 1)))", {"a": (2, 3, 4), "b": (5, 4, 2)}),
        Example("np.tensordot(a, b, 1)", {"a": (4,), "b": (4,)}),
    ),
)
def tensordot_adjoint_rule(d_out, out, a, b, axes=2):
    return _rt.tensordot_adjoint_left(d_out, a, b, axes), _rt.tensordot_adjoint_right(d_out, a, b, axes)


@adjoint(
    "numpy.kron",
    bilinear=True,
    returns="new",
    examples=(
        Example("np.kron(a, b)", {"a": (3,), "b": (2,)}),
        Example("np.kron(a, b)", {"a": (2, 3), "b": (2, 2)}),
        Example("np.kron(a, b)", {"a": (2,), "b": (3, 2)}),
        Example("np.kron(a, b)", {"a": (2, 1, 3), "b": (2, 2)}),
        Example("np.kron(a, b)", {"a": (), "b": (3,)}),
    ),
)
def kron_adjoint_rule(d_out, out, a, b):
    return _rt.kron_adjoint(d_out, a, b, True), _rt.kron_adjoint(d_out, a, b, False)


@adjoint(
    "numpy.cross",
    bilinear=True,
    returns="new",
    examples=(
        Example("np.cross(a, b)", {"a": (3,), "b": (3,)}),
        Example("np.cross(a, b)", {"a": (4, 3), "b": (3,)}),
        Example("np.cross(a, b, axisa=0, axisb=1, axisc=0)", {"a": (3, 2), "b": (2, 3)}),
        Example("np.cross(a, b, axis=0)", {"a": (3, 2), "b": (3, 1)}),
        Example("np.cross(a, b, -1, 0)", {"a": (2, 3), "b": (3, 2)}),
        # (2-vectors: numpy 2.5 no longer takes them, so no example; the rule follows numpy where it does)
    ),
)
def cross_adjoint_rule(d_out, out, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    return (
        _rt.cross_adjoint(d_out, a, b, axisa, axisb, axisc, axis, True),
        _rt.cross_adjoint(d_out, a, b, axisa, axisb, axisc, axis, False),
    )


@adjoint(
    "numpy.vdot",
    bilinear=True,
    examples=(
        Example("np.vdot(a, b)", {"a": (4,), "b": (4,)}),
        Example("np.vdot(a, b)", {"a": (2, 3), "b": (3, 2)}),
        Example("np.vdot(a, b)", {"a": (6,), "b": (2, 3)}),
        Example("np.vdot(a, b)", {"a": None, "b": ()}),
    ),
)
def vdot_adjoint_rule(d_out, out, a, b):
    # real arguments: the sum of the flattened products (complex ones are refused before rules apply)
    return d_out * np.reshape(b, np.shape(a)), d_out * np.reshape(a, np.shape(b))


_SQUARE = {"a": "real"}


@adjoint(
    "numpy.linalg.matrix_power",
    inactive=("n",),
    returns="view or copy",  # n == 1 gives a itself
    domain=_WELL_CONDITIONED,
    examples=(
        Example("np.linalg.matrix_power(a, 3)", {"a": (3, 3)}, _SQUARE),
        Example("np.linalg.matrix_power(a, 2)", {"a": (2, 3, 3)}, _SQUARE),
        Example("np.linalg.matrix_power(a, 1)", {"a": (2, 2)}, _SQUARE),
        Example("np.linalg.matrix_power(a, 0)", {"a": (2, 2)}, _SQUARE),
        Example("np.linalg.matrix_power(a, 5)", {"a": (2, 2)}, _SQUARE),
        Example("np.linalg.matrix_power(a, -1)", {"a": (3, 3)}),
        Example("np.linalg.matrix_power(a, -2)", {"a": (2, 3, 3)}),
    ),
)
def matrix_power_adjoint_rule(d_out, out, a, n):
    # the derivative along d_out of the transposed matrix's power
    return _rt.matrix_power_tangent(d_out, np.swapaxes(a, -1, -2), n), None


@tangent("numpy.linalg.matrix_power")
def matrix_power_tangent_rule(d_a, d_n, out, a, n):
    return _rt.matrix_power_tangent(d_a, a, n), None


@adjoint(
    "s2sad.runtime.matrix_power_tangent",
    inactive=("n",),
    domain=_WELL_CONDITIONED,
    examples=(
        Example("_rt.matrix_power_tangent(da, a, 3)", {"da": (3, 3), "a": (3, 3)}, _SQUARE),
        Example("_rt.matrix_power_tangent(da, a, 2)", {"da": (2, 2, 2), "a": (2, 2, 2)}, _SQUARE),
        Example("_rt.matrix_power_tangent(da, a, -2)", {"da": (3, 3), "a": (3, 3)}),
    ),
)
def matrix_power_tangent_adjoint_rule(d_out, out, da, a, n):
    # the helper is the upper right block of [[a, da], [0, a]] ** n
    size = np.shape(a)[-1]
    block = _rt.matrix_power_tangent_adjoint(d_out, da, a, n)
    return block[..., :size, size:], block[..., :size, :size] + block[..., size:, size:], None


@tangent("s2sad.runtime.matrix_power_tangent")
def matrix_power_tangent_tangent_rule(d_da, d_a, d_n, out, da, a, n):
    return _rt.matrix_power_tangent(d_da, a, n), _rt.matrix_power_second_tangent(d_a, da, a, n), None


_SIGNALS = (((5,), (3,)), ((3,), (5,)), ((4,), (4,)), ((2,), (7,)), ((6,), (1,)))


def _convolution_examples(function: str) -> tuple[Example, ...]:
    """Every mode over signals longer, shorter and as long as the kernel."""
    return tuple(
        Example(f"np.{function}(a, v{mode})", {"a": a, "v": v})
        for mode in ("", ", 'full'", ", mode='same'", ", 'valid'")
        for a, v in _SIGNALS
    )


@adjoint("numpy.convolve", bilinear=True, returns="new", examples=_convolution_examples("convolve"))
def convolve_adjoint_rule(d_out, out, a, v, mode="full"):
    return _rt.convolve_adjoint(d_out, a, v, mode, False, True), _rt.convolve_adjoint(d_out, a, v, mode, False, False)


@adjoint("numpy.correlate", bilinear=True, returns="new", examples=_convolution_examples("correlate"))
def correlate_adjoint_rule(d_out, out, a, v, mode="valid"):
    return _rt.convolve_adjoint(d_out, a, v, mode, True, True), _rt.convolve_adjoint(d_out, a, v, mode, True, False)


_POLYNOMIALS = (
    Example("np.polyval(p, x)", {"p": (3,), "x": (4,)}),
    Example("np.polyval(p, x)", {"p": (4,), "x": (2, 3)}),
    Example("np.polyval(p, x)", {"p": (1,), "x": (3,)}),
    Example("np.polyval(p, x)", {"p": (5,), "x": None}),
    Example("np.polyval(p, x)", {"p": (2,), "x": ()}),
)


@adjoint("numpy.polyval", returns="new", examples=_POLYNOMIALS)
def polyval_adjoint_rule(d_out, out, p, x):
    return _rt.polyval_coefficient_adjoint(d_out, p, x), _rt.like(d_out * _rt.polyval_derivative(p, x, 1), x)


@tangent("numpy.polyval")
def polyval_tangent_rule(d_p, d_x, out, p, x):
    return np.polyval(d_p, x), _rt.polyval_derivative(p, x, 1) * d_x


@adjoint(
    "s2sad.runtime.polyval_derivative",
    examples=tuple(Example("_rt.polyval_derivative(p, x)", e.shapes) for e in _POLYNOMIALS)
    + (
        Example("_rt.polyval_derivative(p, x, 1)", {"p": (4,), "x": (3,)}),
        Example("_rt.polyval_derivative(p, x, 2)", {"p": (5,), "x": (2, 2)}),
        Example("_rt.polyval_derivative(p, x, 3)", {"p": (3,), "x": (2,)}),
    ),
)
def polyval_derivative_adjoint_rule(d_out, out, p, x, order=0):
    return (
        _rt.polyval_coefficient_adjoint(d_out, p, x, order),
        _rt.like(d_out * _rt.polyval_derivative(p, x, order + 1), x),
    )


@tangent("s2sad.runtime.polyval_derivative")
def polyval_derivative_tangent_rule(d_p, d_x, out, p, x, order=0):
    return _rt.polyval_derivative(d_p, x, order), _rt.polyval_derivative(p, x, order + 1) * d_x


# ---------------------------------------------------------------------------
# einsum and multi_dot: an operand's adjoint is the einsum of the output's adjoint with the other
# operands (built by _rt.einsum_adjoint from numpy's own reading of the subscripts); the tangent is
# the sum over operands of the einsum with that operand replaced by its tangent.


def _einsum_call(subscripts: str, *shapes: tuple[int, ...]) -> Example:
    """``np.einsum(subscripts, a, b, ...)`` of operands of ``shapes``."""
    operands = [chr(ord("a") + k) for k in range(len(shapes))]
    call = f"np.einsum({subscripts!r}, {', '.join(operands)})"
    return Example(call, dict(zip(operands, shapes, strict=True)))


@adjoint(
    "numpy.einsum",
    variadic="operands",
    view_of="operands",
    inactive=("subscripts",),
    returns="view or copy",  # np.einsum("ii->i", a) and "ij->ji" are views of a
    examples=(
        _einsum_call("ij,jk->ik", (2, 3), (3, 4)),
        _einsum_call("ij,jk", (2, 3), (3, 2)),
        _einsum_call("ii", (3, 3)),
        _einsum_call("ii->i", (3, 3)),
        _einsum_call("ij->ji", (2, 3)),
        _einsum_call("ij->", (2, 3)),
        _einsum_call("i,i", (4,), (4,)),
        _einsum_call("i,j->ij", (2,), (3,)),
        _einsum_call("...ij,...jk->...ik", (2, 3, 4), (4, 2)),
        _einsum_call("ij,jk,kl->il", (2, 3), (3, 2), (2, 2)),
        _einsum_call("iij,jk->ik", (2, 2, 3), (3, 4)),
        _einsum_call("bij,bj->bi", (2, 3, 4), (2, 4)),
        _einsum_call("ij,ij->i", (1, 3), (2, 3)),
        Example("np.einsum('ij,jk->ik', a, a, optimize=True)", {"a": (3, 3)}),
    ),
)
def einsum_adjoint_rule(d_out, out, subscripts, operands, optimize=False):
    return None, _rt.einsum_adjoint(d_out, subscripts, operands)


@tangent("numpy.einsum")
def einsum_tangent_rule(d_subscripts, d_operands, out, subscripts, operands, optimize=False):
    return None, _rt.einsum_tangent(subscripts, d_operands, operands)


zero_derivative("s2sad.runtime.multi_dot_subscripts")


@adjoint(
    "numpy.linalg.multi_dot",
    sequences=("arrays",),
    returns="new",
    examples=(
        Example("np.linalg.multi_dot([a, b])", {"a": (2, 3), "b": (3, 4)}),
        Example("np.linalg.multi_dot([a, b, c])", {"a": (2, 3), "b": (3, 4), "c": (4, 2)}),
        Example("np.linalg.multi_dot([a, b, c])", {"a": (3,), "b": (3, 4), "c": (4,)}),
        Example("np.linalg.multi_dot((a, b, c, a))", {"a": (3, 3), "b": (3, 3), "c": (3, 3)}),
        Example("np.linalg.multi_dot([a, b])", {"a": (3, 2), "b": (2,)}),
    ),
)
def multi_dot_adjoint_rule(d_out, out, arrays):
    return _rt.einsum_adjoint(d_out, _rt.multi_dot_subscripts(arrays), arrays)


@tangent("numpy.linalg.multi_dot")
def multi_dot_tangent_rule(d_arrays, out, arrays):
    return _rt.einsum_tangent(_rt.multi_dot_subscripts(arrays), d_arrays, arrays)


def _einsum_example(subscripts: str, *shapes: tuple[int, ...]) -> Example:
    """``_rt.einsum_tangent`` of operands of ``shapes`` (its adjoint in the tangents is einsum's)."""
    operands = [chr(ord("a") + k) for k in range(len(shapes))]
    tangents = ["d" + operand for operand in operands]
    call = f"_rt.einsum_tangent({subscripts!r}, [{', '.join(tangents)}], [{', '.join(operands)}])"
    return Example(call, dict(zip(tangents + operands, shapes + shapes, strict=True)))


@adjoint(
    "s2sad.runtime.einsum_tangent",
    sequences=("tangents", "operands"),
    inactive=("subscripts",),
    examples=(
        _einsum_example("ij,jk->ik", (2, 3), (3, 4)),
        _einsum_example("ij,jk", (2, 3), (3, 2)),
        _einsum_example("ii", (3, 3)),
        _einsum_example("ii->i", (3, 3)),
        _einsum_example("ij->ji", (2, 3)),
        _einsum_example("ij->", (2, 3)),
        _einsum_example("ij->i", (2, 3)),
        _einsum_example("i,i", (4,), (4,)),
        _einsum_example("i,j->ij", (2,), (3,)),
        _einsum_example("...ij,...jk->...ik", (2, 3, 4), (4, 2)),
        _einsum_example("...i,...i", (2, 3), (1, 3)),
        _einsum_example("ij,jk,kl->il", (2, 3), (3, 2), (2, 2)),
        _einsum_example("iij,jk->ik", (2, 2, 3), (3, 4)),
        _einsum_example("bij,bj->bi", (2, 3, 4), (2, 4)),
        _einsum_example("ij,ij->i", (1, 3), (2, 3)),
        _einsum_example("i,jk->", (2,), (3, 2)),
    ),
)
def einsum_tangent_adjoint_rule(d_out, out, subscripts, tangents, operands):
    return (
        None,
        _rt.einsum_adjoint(d_out, subscripts, operands),
        _rt.einsum_tangent_adjoint(d_out, subscripts, tangents, operands),
    )


@tangent("s2sad.runtime.einsum_tangent")
def einsum_tangent_tangent_rule(d_subscripts, d_tangents, d_operands, out, subscripts, tangents, operands):
    return (
        None,
        _rt.einsum_tangent(subscripts, d_tangents, operands),
        _rt.einsum_second_tangent(subscripts, tangents, d_operands, operands),
    )
