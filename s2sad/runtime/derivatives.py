"""s2sad's own derivatives called inside a differentiated function: the call, a primitive of the
outer derivative, and its adjoint and tangent, which s2sad.nested makes (imported when first
needed: it generates code, so it needs all of s2sad, which a plain derivative never does)."""


def call_derivative(derivative, part, *arguments):
    """``derivative(*arguments)``, or the array at ``part`` (a path of positions) in the tuple it returns."""
    value = derivative(*arguments)
    for position in part:
        value = value[position]
    return value


def derivative_adjoint(d_out, derivative, part, arguments):
    """The contributions of ``call_derivative(derivative, part, *arguments)`` to its arguments."""
    from s2sad import nested

    return nested.adjoint(d_out, derivative, part, tuple(arguments))


def derivative_tangent(derivative, part, tangents, arguments):
    """The tangent of ``call_derivative(derivative, part, *arguments)`` along ``tangents``."""
    from s2sad import nested

    return nested.tangent(derivative, part, tangents, tuple(arguments))
