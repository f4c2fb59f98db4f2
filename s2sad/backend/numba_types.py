"""The numba target's types: what each name of a derivative holds, as far as the kernel needs to know.

numba infers types itself; the kernel needs them written out in two places only: the value a
name has before it is first assigned (the tape may save it: ``_t1 = None`` becomes ``_t1 = 0.0``)
and the dtype of a tape kept in a numpy array. A type here is ``(kind, axes)``: kind ``"b"``
(bool), ``"i"`` (integer) or ``"f"`` (float64: the wrapper passes floating arguments as float64),
and the number of axes (0: a number). ``None``: not known; the kernel then keeps such values in
lists numba types, and a name that needs a first value of unknown type is refused.
"""

from __future__ import annotations

import builtins

import libcst as cst

from s2sad.core.naming import Names
from s2sad.core.target import Compound, Line
from s2sad.frontend.scope import dotted

Type = tuple[str, int] | None
RANGE = ("range", 0)  # what range(...) gives: loops over it count integers
_ORDER = "bif"

# numpy functions whose result has their first argument's axes and kind; and the float ones
_KIND_KEEPING = {"abs", "absolute", "negative", "positive", "square", "copy", "ascontiguousarray", "minimum", "maximum"}
_FLOATING = {
    *"sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh exp expm1 exp2 log log1p".split(),
    *"log2 log10 sqrt cbrt reciprocal deg2rad rad2deg".split(),
}
_LIKE = {"zeros_like", "ones_like", "empty_like", "full_like"}
_REDUCING = {"sum", "prod", "max", "min", "amax", "amin"}  # to a number of the kind (a sum of bools counts)
_AVERAGING = {"mean", "std", "var", "linalg.norm"}
_INTEGER_MATH = {"floor", "ceil", "trunc", "factorial", "gcd"}


def join(a: Type, b: Type) -> Type:
    """The type of a name assigned values of types ``a`` and ``b`` (numba unifies int and float)."""
    if a is None or b is None or a[1] != b[1] or RANGE in (a, b):
        return a if a == b else None
    return (max(a[0], b[0], key=_ORDER.index), a[1])


class Types:
    """The types of a derivative's names, from its parameters' types (``known``)."""

    def __init__(self, names: Names, known: dict[str, Type]):
        self.names = names
        self.known = dict(known)
        self.conflicting: set[str] = set()

    def infer(self, blocks) -> "Types":
        for _ in range(8):  # a loop may carry a type round once per nesting level
            before = dict(self.known)
            for block in blocks:
                self._block(block)
            if self.known == before:
                break
        return self

    def of(self, name: str) -> Type:
        return None if name in self.conflicting else self.known.get(name)

    def _set(self, name: str, found: Type) -> None:
        if name in self.conflicting:
            return
        if name in self.known and found is not None and join(self.known[name], found) is None:
            self.conflicting.add(name)
            return
        if found is not None:
            self.known[name] = found if name not in self.known else join(self.known[name], found)

    def _block(self, block) -> None:
        for item in block:
            if isinstance(item, Compound):
                header = item.header
                if isinstance(header, cst.For) and isinstance(header.target, cst.Name):
                    self._set(header.target.value, _element(self.expression(header.iter)))
                self._block(item.body)
                self._block(item.orelse)
            elif isinstance(item, Line):
                node = item.node
                if isinstance(node, cst.Assign) and not _is_none(node.value):
                    found = self.expression(node.value)
                    for target in node.targets:
                        if isinstance(target.target, cst.Name):
                            self._set(target.target.value, found)
                elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name):
                    binary = cst.BinaryOperation(
                        left=node.target, operator=_operator_of(node.operator), right=node.value
                    )
                    self._set(node.target.value, self.expression(binary))

    # -- expressions --------------------------------------------------------------------------------

    def expression(self, node: cst.BaseExpression) -> Type:
        if isinstance(node, cst.Integer):
            return ("i", 0)
        if isinstance(node, cst.Float):
            return ("f", 0)
        if isinstance(node, cst.Name):
            return ("b", 0) if node.value in ("True", "False") else self.of(node.value)
        if isinstance(node, cst.UnaryOperation):
            found = self.expression(node.expression)
            if found is None or isinstance(node.operator, cst.Not):
                return None if found is None else ("b", found[1])
            return (max(found[0], "i", key=_ORDER.index), found[1])
        if isinstance(node, cst.BinaryOperation):
            return self._binary(node)
        if isinstance(node, cst.Comparison):
            parts = [self.expression(node.left), *(self.expression(c.comparator) for c in node.comparisons)]
            return None if None in parts else ("b", max(p[1] for p in parts))
        if isinstance(node, cst.IfExp):
            return join(self.expression(node.body), self.expression(node.orelse))
        if isinstance(node, cst.Subscript):
            return self._subscript(node)
        if isinstance(node, cst.Attribute):
            found = self.expression(node.value)
            if node.attr.value in ("size", "ndim"):
                return ("i", 0)
            return found if node.attr.value in ("T", "real") else None
        if isinstance(node, cst.Call):
            return self._call(node)
        return None

    def _binary(self, node: cst.BinaryOperation) -> Type:
        left, right = self.expression(node.left), self.expression(node.right)
        if left is None or right is None or RANGE in (left, right):
            return None
        operator = node.operator
        if isinstance(operator, cst.MatrixMultiply):
            axes = {(1, 1): 0, (2, 1): 1, (1, 2): 1, (2, 2): 2}.get((left[1], right[1]))
            return None if axes is None else (max(left[0], right[0], "i", key=_ORDER.index), axes)
        axes = max(left[1], right[1])
        kind = max(left[0], right[0], "i", key=_ORDER.index)
        if isinstance(operator, cst.Divide):
            kind = "f"
        elif isinstance(operator, cst.Power) and kind == "i":
            exponent = node.right
            kind = "i" if isinstance(exponent, cst.Integer) else "f"  # numba: int ** int variable is a float
        elif isinstance(operator, (cst.BitAnd, cst.BitOr, cst.BitXor)) and left[0] == right[0] == "b":
            kind = "b"
        return (kind, axes)

    def _subscript(self, node: cst.Subscript) -> Type:
        value = node.value
        if isinstance(value, cst.Attribute) and value.attr.value == "shape":
            return ("i", 0)
        found = self.expression(value)
        if found is None or found == RANGE:
            return None
        axes = found[1]
        for element in node.slice:
            if isinstance(element.slice, cst.Slice):
                continue
            index = self.expression(element.slice.value)
            if index is None or index[1] != 0 or index[0] == "f":
                return None  # an array index, or one not known to be an integer
            axes -= 1
        return None if axes < 0 else (found[0], axes)

    def _call(self, node: cst.Call) -> Type:
        function = dotted(node.func)
        if function is None:
            return None
        arguments = [self.expression(a.value) for a in node.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value for a in node.args if a.keyword is not None}
        first = arguments[0] if arguments else None
        module, _, name = function.rpartition(".")
        builtin = function[len(self.names.builtin("")) :] if function.startswith(self.names.builtin("")) else None
        if builtin is None and not module and function in vars(builtins):
            builtin = function
        if builtin is not None:
            return _builtin(builtin, arguments)
        if module == self.names.module("math"):
            return ("i", 0) if name in _INTEGER_MATH else ("f", 0)
        if module.startswith(self.names.module("np")):
            name = function[len(self.names.module("np")) + 1 :]
            return _numpy(name, first, arguments, keywords)
        if module == self.names.module("_rt"):
            if name in ("zeros_like", "owned") and first is not None:
                return ("f", first[1]) if name == "zeros_like" else first
            if name in ("unbroadcast", "unreduce") and len(arguments) > 1 and None not in arguments[:2]:
                return (arguments[0][0], arguments[1][1])
        return None


def _builtin(name: str, arguments: list[Type]) -> Type:
    if name == "range":
        return RANGE
    if name == "len":
        return ("i", 0)
    if name in ("float", "int", "bool"):
        return {"float": ("f", 0), "int": ("i", 0), "bool": ("b", 0)}[name]
    if name == "abs" and arguments:
        return arguments[0]
    if name in ("min", "max") and len(arguments) > 1 and None not in arguments:
        found = arguments[0]
        for argument in arguments[1:]:
            found = join(found, argument)
        return found
    return None


def _numpy(name: str, first: Type, arguments: list[Type], keywords: set[str]) -> Type:
    if first is None or first == RANGE:
        return None
    if name in _LIKE:
        return first if "dtype" not in keywords else None
    if keywords - {"out"} and name not in _FLOATING | _KIND_KEEPING:
        return None  # an axis, keepdims, a dtype: not worked out here
    if name in _FLOATING:
        return ("f", max((a[1] for a in arguments if a is not None), default=first[1]))
    if name in _KIND_KEEPING and None not in arguments:
        found = first
        for argument in arguments[1:]:
            found = (max(found[0], argument[0], key=_ORDER.index), max(found[1], argument[1]))
        return found
    if name in _REDUCING and len(arguments) == 1:
        return (first[0] if name not in ("sum", "prod") or first[0] == "f" else "i", 0)
    if name in _AVERAGING and len(arguments) == 1:
        return ("f", 0)
    return None


def _element(iterable: Type) -> Type:
    if iterable == RANGE:
        return ("i", 0)
    return None if iterable is None or iterable[1] == 0 else (iterable[0], iterable[1] - 1)


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _operator_of(operator: cst.BaseAugOp) -> cst.BaseBinaryOp:
    return getattr(cst, type(operator).__name__.removesuffix("Assign"))()


def placeholder(found: Type, numpy: str) -> cst.BaseExpression | None:
    """A first value of type ``found`` (before the name is assigned): never read, only its type counts."""
    if found is None or found == RANGE:
        return None
    kind, axes = found
    if axes == 0:
        return {"b": cst.Name("False"), "i": cst.Integer("0"), "f": cst.Float("0.0")}[kind]
    return cst.parse_expression(f"{numpy}.empty(({'0, ' * axes}), {numpy}.{dtype(kind)})")


def dtype(kind: str) -> str:
    return {"b": "bool_", "i": "int64", "f": "float64"}[kind]
