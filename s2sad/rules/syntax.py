"""numpy as Python spells it without a call: operators, array methods and attributes, index helpers.

Normalize lowers each to a call of the rule table (``a + b`` is ``numpy.add``, ``x.sum()`` is
``numpy.sum``, ``np.r_[a, b]`` a ``numpy.concatenate``); the engine reads these tables and names
no numpy function itself.
"""

# Python's operators ("unary -" for the prefix ones) and the numpy function each one applies.
OPERATORS = {
    "+": "numpy.add",
    "-": "numpy.subtract",
    "*": "numpy.multiply",
    "/": "numpy.divide",
    "**": "numpy.power",
    "@": "numpy.matmul",
    "%": "numpy.remainder",
    "unary -": "numpy.negative",
    "unary +": "numpy.positive",
}

# ndarray methods and the numpy function each one is.
METHODS = {
    "sum": "numpy.sum",
    "mean": "numpy.mean",
    "prod": "numpy.prod",
    "max": "numpy.max",
    "min": "numpy.min",
    "dot": "numpy.dot",
    "reshape": "numpy.reshape",
    "transpose": "numpy.transpose",
    "ravel": "numpy.ravel",
    "flatten": "numpy.ravel",
    "squeeze": "numpy.squeeze",
    "clip": "numpy.clip",
    "copy": "numpy.copy",
    "argmax": "numpy.argmax",
    "argmin": "numpy.argmin",
    "argsort": "numpy.argsort",
    "round": "numpy.round",
    "all": "numpy.all",
    "any": "numpy.any",
    "nonzero": "numpy.nonzero",
}
PACKED_METHODS = {"reshape", "transpose"}  # x.reshape(2, 3) means np.reshape(x, (2, 3))
# Methods that always copy: x.flatten() is np.copy of np.ravel(x) (which may be a view).
COPYING_METHODS = {"flatten"}
COPY = "numpy.copy"  # x.copy() is this, C-ordered
TRANSPOSE = "numpy.transpose"  # x.T
PASSIVE_ATTRIBUTES = {"shape", "ndim", "size", "dtype"}

# numpy's index helpers that join arrays: np.r_[...] and np.c_[...] become np.concatenate of the
# pieces numpy makes of each item (the rule that makes a piece, the axis joined along), with what
# to write instead of what s2sad refuses in them.
CONCATENATORS = {"numpy.r_": ("numpy.atleast_1d", None), "numpy.c_": ("s2sad.runtime.column", "-1")}
JOIN_HINTS = {
    "numpy.r_": "join arrays with np.concatenate([a, b], axis=...), or np.stack([a, b], axis=...) along a new axis",
    "numpy.c_": "join columns with np.concatenate([a, b], axis=-1) or np.stack([a, b], axis=-1)",
}
CONCATENATE = "numpy.concatenate"
ARRAY = "numpy.array"  # a list or tuple item of np.r_[...] becomes an array
RANGE = "numpy.arange"  # a slice item of np.r_[...] is a range
# The other index helpers build an index or a grid, which carries no derivative.
INDEX_BUILDERS = {"numpy.s_", "numpy.index_exp", "numpy.ogrid", "numpy.mgrid"}
