"""What generated code imports (``from s2sad import runtime as _rt``): every helper it calls, as ``_rt.<name>``.

Re-exporting the helpers of the modules below is this package's interface. It depends on numpy
(and on s2sad.errors for located run-time errors) only, so generated code imports it quickly:

- values: shapes kept instead of arrays, gradients in their argument's type, unbroadcasting
- reductions, indexing, products, linalg, power: the adjoints and tangents rules call
- requirements: run-time checks of how a derivative is called
- views: updates through a view made on the array it lies in
- facts: what each helper declares about itself (``SHAPE_ONLY``, ``ALLOCATING``), read by the compiler
- foreign: other libraries' arrays (dask, CuPy) recognised, and refused where a helper is numpy's alone

A helper defined in any module of this package is exported as it is defined: nothing to list here.
"""

import importlib
import inspect
import pkgutil

from s2sad.runtime.facts import ALLOCATING, SHAPE_ONLY
from s2sad.runtime.foreign import numpy_only

# The modules whose helpers are written for numpy's arrays alone (np.linalg, np.add.at, scipy,
# np.asarray): generated code gets them refusing other libraries' arrays (dask, CuPy), where they
# would convert them to numpy. The other modules' helpers keep such arrays in their own library.
_NUMPY_ONLY = {"assembly", "contractions", "decompositions", "distributions", "factor_solve", "linalg", "order"}
_NUMPY_ONLY |= {"second_order", "statistics"}


def _helpers(*modules) -> dict:
    """The public functions and classes defined in ``modules``, by name (each name once)."""
    helpers: dict = {}
    for module in modules:
        checked = module.__name__.rsplit(".", 1)[-1] in _NUMPY_ONLY
        for name, value in vars(module).items():
            if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__:
                if name in helpers or name in globals():
                    raise ImportError(f"s2sad.runtime.{name} is defined twice (in {module.__name__})")
                helpers[name] = numpy_only(value) if checked and inspect.isfunction(value) else value
    return helpers


# Every helper, as generated code calls it: _rt.<name>.
_MODULES = [
    importlib.import_module(f"{__name__}.{m.name}")
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
    if m.name not in ("facts", "foreign")
]
_HELPERS = _helpers(*_MODULES)
globals().update(_HELPERS)
__all__ = ["ALLOCATING", "SHAPE_ONLY", *_HELPERS]
