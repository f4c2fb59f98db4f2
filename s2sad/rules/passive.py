"""Helpers with no derivative to propagate, and constants.

zero_derivative: piecewise constant in every argument, so nothing flows back
(np.floor, comparisons' helpers, shapes). inactive_only: their result depends
smoothly on their arguments but s2sad has no rule, so an argument that depends
on what is differentiated is refused (np.arange(start, ...) with a float start).
guards: run-time checks generated code makes (a statement of their own, no value).
"""

from s2sad.rules import constant, guards, inactive_only, zero_derivative

zero_derivative(
    "builtins.len",
    "builtins.int",
    "builtins.bool",
    "builtins.round",
    "math.floor",
    "math.ceil",
    "math.isnan",
    "math.isinf",
    "math.isfinite",
    "numpy.shape",
    "numpy.ndim",
    "numpy.size",
    "numpy.zeros_like",
    "numpy.ones_like",
    "numpy.empty_like",
    "numpy.sign",
    "numpy.floor",
    "numpy.ceil",
    "numpy.around",
    "numpy.rint",
    "numpy.trunc",
    "numpy.fix",
    "numpy.floor_divide",
    "numpy.heaviside",
    "numpy.count_nonzero",
    "numpy.isnan",
    "numpy.isinf",
    "numpy.isfinite",
    "numpy.isclose",
    "numpy.allclose",
    "numpy.equal",
    "numpy.not_equal",
    "numpy.less",
    "numpy.less_equal",
    "numpy.greater",
    "numpy.greater_equal",
    "numpy.logical_and",
    "numpy.logical_or",
    "numpy.logical_not",
    "numpy.logical_xor",
    "numpy.isposinf",
    "numpy.isneginf",
    "numpy.signbit",
    "numpy.array_equal",
    "numpy.array_equiv",
    "math.trunc",
    "math.isclose",
)

# With an ndarray method spelling too (x.argmax()): one function per declaration.
zero_derivative("numpy.round", method="round")
zero_derivative("numpy.argmax", method="argmax")
zero_derivative("numpy.argmin", method="argmin")
zero_derivative("numpy.argsort", method="argsort")
zero_derivative("numpy.nonzero", method="nonzero")
zero_derivative("numpy.searchsorted", method="searchsorted")  # positions: integers
zero_derivative("numpy.all", method="all")
zero_derivative("numpy.any", method="any")

inactive_only(
    "builtins.range",
    "numpy.arange",
    "numpy.linspace",
    "numpy.zeros",
    "numpy.ones",
    "numpy.empty",
    "numpy.eye",
    "numpy.identity",
)

constant(
    "numpy.pi",
    "numpy.e",
    "numpy.inf",
    "numpy.nan",
    "numpy.newaxis",
    # numpy's objects read by subscripting: normalize lowers np.r_[...] and np.c_[...] to
    # np.concatenate; np.s_, np.index_exp, np.ogrid and np.mgrid build indices and grids,
    # which carry no derivative (a differentiated value in them is refused).
    "numpy.s_",
    "numpy.index_exp",
    "numpy.ogrid",
    "numpy.mgrid",
    "numpy.r_",
    "numpy.c_",
    "numpy.euler_gamma",
    "numpy.float64",
    "numpy.float32",
    "numpy.int64",
    "numpy.int32",
    "math.pi",
    "math.e",
    "math.tau",
    "math.inf",
    "math.nan",
)

guards(
    "s2sad.runtime.require_float",
    "s2sad.runtime.require_container",
    "s2sad.runtime.require_structure",
    "s2sad.runtime.require_scalar",
    "s2sad.runtime.require_unshared",
    "s2sad.runtime.require_length",
    "s2sad.runtime.require_distinct",
    "s2sad.runtime.require_inside_or_apart",
)
