"""numpy as Python spells it without a call: operators, array methods and attributes, index helpers.

Normalize lowers each to a call of the rule table (``a + b`` is ``numpy.add``, ``x.sum()`` is
``numpy.sum``, ``np.r_[a, b]`` a ``numpy.concatenate``); the engine reads these tables and names
no numpy function itself. Operators and methods are declared with their rules (s2sad.rules).
"""

import numpy as np

from s2sad.rules import METHOD_SPELLINGS, RULES

# Python's operators ("unary -" for the prefix ones) and the numpy function each one applies.
OPERATORS = {rule.operator: name for name, rule in RULES.items() if rule.operator}

# ndarray methods and the numpy function each one is.
METHODS = {method: spelled.calls for method, spelled in METHOD_SPELLINGS.items()}
PACKED_METHODS = {method for method, spelled in METHOD_SPELLINGS.items() if spelled.packed}
# Methods that always copy: x.flatten() is np.copy of np.ravel(x) (which may be a view).
COPYING_METHODS = {method for method, spelled in METHOD_SPELLINGS.items() if spelled.copies}
COPY = METHODS["copy"]  # x.copy() is this, C-ordered
TRANSPOSE = METHODS["transpose"]  # x.T is x.transpose()
# Array attributes that are functions of the table, applied to the array: x.T is x.transpose(), x.mT
# np.matrix_transpose(x); x.real and x.imag of a real array the array itself and its zeros.
ATTRIBUTES = {
    "T": TRANSPOSE,
    "mT": "numpy.matrix_transpose",
    "real": "s2sad.runtime.real",
    "imag": "s2sad.runtime.imag",
}
PASSIVE_ATTRIBUTES = {"shape", "ndim", "size", "dtype"}
# Functions given a list or tuple argument whole: their adjoint gives its back as one (runtime's like).
CONTAINERS_TO_ARRAYS = {"numpy.asarray", "numpy.asanyarray"}
# Methods that reorder an array in place, written as a statement: x.sort(axis) is the update
# x[...] = np.sort(x, axis) (numpy writes the result into x's memory, which its views see).
IN_PLACE_METHODS = {"sort": "numpy.sort", "partition": "numpy.partition"}
# Attributes refused with what to write instead: x.flat is an iterator object, not an array, read and
# written through in C order whatever x's layout; s2sad follows arrays and their views, not iterators.
REFUSED_ATTRIBUTES = {
    "flat": "x.flat is an iterator, not an array: read np.ravel(x)[i], "
    "and write x[np.unravel_index(i, x.shape)] = v",
}

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

# The context managers whose body s2sad differentiates (``with np.errstate(...):``), keeping the context
# around it in the forward sweep.
CONTEXTS = frozenset({"numpy.errstate", "warnings.catch_warnings"})

# What an array has: any other attribute read (``cfg.lr``) is of another object, a value that carries no
# derivative (refused where it depends on what is differentiated).
NDARRAY_ATTRIBUTES = frozenset(name for name in dir(np.ndarray) if not name.startswith("_"))
