"""s2sad: source-to-source automatic differentiation for plain numpy code.

    dloss = s2sad.grad(loss, wrt=(0, 1))
    dw, db = dloss(w, b, x, y)
    print(s2sad.source(dloss))

Glossary, used the same way throughout the code:

- primal: the user's computation and its values.
- adjoint: the derivative of the output with respect to a value (``d_x``),
  flowing backwards in the reverse sweep; a contribution is one term of it.
- tangent: the derivative of a value along an input direction (forward mode).
- active: a value that depends on a ``wrt`` argument and reaches the output;
  only active values get adjoints.
- recorded: a value saved on the tape by the forward sweep because it is
  overwritten before the reverse sweep reads it.
- rule: the derivative of one primitive (``numpy.exp``), in s2sad/rules/.
- primitive: a function with a rule; the compiler does not look inside it.
- origin: the file, line and column in the user's source a statement comes from.
"""

import importlib

from s2sad.errors import S2SADError
from s2sad.version import VERSION as __version__

# Imported when first used, so that generated code, which imports s2sad.runtime alone (numpy and
# s2sad.errors), does not pay for the compiler (libcst, black): ``s2sad.grad`` imports it.
_LAZY = {
    **dict.fromkeys(
        (
            "differentiable",
            "grad",
            "hessian",
            "hessp",
            "hvp",
            "jacobian",
            "jvp",
            "rule",
            "source",
            "value_and_grad",
            "vjp",
        ),
        "s2sad.api",
    ),
    "CacheWarning": "s2sad.backend.cache",
    "graph": "s2sad.picture",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:  # a submodule (s2sad.api), as an attribute of the package once imported
        try:
            value = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module 's2sad' has no attribute {name!r}") from None
    globals()[name] = value
    return value


__all__ = [
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "jacobian",
    "hvp",
    "hessp",
    "hessian",
    "source",
    "differentiable",
    "rule",
    "graph",
    "S2SADError",
    "CacheWarning",
    "__version__",
]
