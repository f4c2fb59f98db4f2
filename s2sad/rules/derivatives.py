"""The rule of a call of s2sad's own derivative inside a differentiated function: its adjoint and
tangent are derivatives s2sad makes of the function it differentiates (s2sad.nested)."""

from s2sad import runtime as _rt
from s2sad.rules import adjoint, tangent


# Tested by tests/test_nested.py: an example needs a derivative made from a function with a source.
@adjoint("s2sad.runtime.call_derivative", variadic="arguments", inactive=("derivative", "part"), returns="new")
def call_derivative_adjoint_rule(d_out, out, derivative, part, arguments):
    return None, None, _rt.derivative_adjoint(d_out, derivative, part, arguments)


@tangent("s2sad.runtime.call_derivative")
def call_derivative_tangent_rule(d_derivative, d_part, d_arguments, out, derivative, part, arguments):
    return None, None, _rt.derivative_tangent(derivative, part, d_arguments, arguments)
