"""Values known at generation: integers written out and what they compute, the call's known arguments
(``State.known``), shapes of arrays whose shape is known (``Shaped``), and the branch a test known there
takes (``decided``). Recursion unrolls on them (normalize.inlining); a numpy function of known shapes and
values is evaluated on an array of zeros that takes no memory, for its result's shape."""

from __future__ import annotations

import ast
import dataclasses
import itertools
import operator

import libcst as cst
import libcst.matchers as m
import numpy as np

from s2sad import rules
from s2sad.normalize.nodes import bare, call_arguments
from s2sad.normalize.state import State
from s2sad.frontend.scope import dotted


def called_name(state: State, call: cst.BaseExpression) -> str | None:
    """The qualified name of the library function ``call`` calls (``builtins.range``), else None."""
    text = dotted(call.func) if isinstance(call, cst.Call) else None
    called = state.unit.resolutions.get(text) if text else None
    return called.name if called is not None and text.split(".")[0] not in state.unit.local_names else None


@dataclasses.dataclass(frozen=True)
class Shaped:
    """An array whose shape is known at generation."""

    shape: tuple[int, ...]


def decided(state: State, test: cst.BaseExpression) -> bool | None:
    """The value of a branch's test when it is known at generation, else None."""
    value = known_value(state, test)
    return bool(value) if _integer(value) or isinstance(value, tuple) else None


_BINARY = {
    cst.Add: operator.add,
    cst.Subtract: operator.sub,
    cst.Multiply: operator.mul,
    cst.FloorDivide: operator.floordiv,
    cst.Modulo: operator.mod,
}
_COMPARE = {
    cst.Equal: operator.eq,
    cst.NotEqual: operator.ne,
    cst.LessThan: operator.lt,
    cst.LessThanEqual: operator.le,
    cst.GreaterThan: operator.gt,
    cst.GreaterThanEqual: operator.ge,
}


def known_value(state: State, node: cst.BaseExpression, seen: frozenset[str] = frozenset()):
    """What ``node`` computes when generation can know it: an int or bool (from integers written out
    and the call's known arguments: ``state.known``), a shape (a tuple of ints), or an array of known
    shape (``Shaped``: the differentiated function's arguments, given Options.lengths), or an int among
    known values (``Choices``: a loop's variable); else None. A name bound once is known by what binds it.
    """
    node = bare(node)
    if isinstance(node, cst.Integer):
        return node.evaluated_value
    if isinstance(node, cst.Name):
        return _name_value(state, node.value, seen)

    def value(part: cst.BaseExpression):
        return known_value(state, part, seen)

    symbolic = _symbolic(state, node, value)
    if symbolic is not None:
        return symbolic
    if isinstance(node, cst.BinaryOperation) and type(node.operator) in _BINARY:
        left, right = value(node.left), value(node.right)
        if not (_integer(left) and _integer(right)) or (right == 0 and type(node.operator) in _BY_ZERO):
            return None
        return _BINARY[type(node.operator)](left, right)
    if isinstance(node, cst.UnaryOperation):
        operand = value(node.expression)
        if isinstance(node.operator, cst.Not) and _integer(operand):
            return not operand
        return -operand if isinstance(node.operator, cst.Minus) and _integer(operand) else None
    if isinstance(node, cst.Comparison):
        return _comparison(value, node)
    if isinstance(node, cst.BooleanOperation):
        left, right = value(node.left), value(node.right)
        if not (_integer(left) and _integer(right)):
            return None
        return (left and right) if isinstance(node.operator, cst.And) else (left or right)
    if isinstance(node, cst.Attribute):
        base = value(node.value)
        if isinstance(base, Shaped) and node.attr.value in ("shape", "ndim"):
            return base.shape if node.attr.value == "shape" else len(base.shape)
        return None
    if isinstance(node, cst.Subscript):
        return _item(value(node.value), node)
    if isinstance(node, cst.Call):
        return _called_value(state, node, value)
    return None


_BY_ZERO = (cst.FloorDivide, cst.Modulo)  # raise for a right operand of 0: left to run time


def _integer(value) -> bool:
    return type(value) in (int, bool)


def _comparison(value, node: cst.Comparison):
    left = value(node.left)
    for target in node.comparisons:
        right = value(target.comparator)
        if not (_integer(left) and _integer(right)) or type(target.operator) not in _COMPARE:
            return None
        if not _COMPARE[type(target.operator)](left, right):
            return False
        left = right
    return True


def _item(base, node: cst.Subscript):
    """``shape[k]`` of a known shape, ``k`` written out."""
    if not isinstance(base, tuple) or len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    index = node.slice[0].slice.value
    position = index.evaluated_value if isinstance(index, cst.Integer) else None
    if isinstance(index, cst.UnaryOperation) and isinstance(index.operator, cst.Minus):
        inner = index.expression
        position = -inner.evaluated_value if isinstance(inner, cst.Integer) else None
    return base[position] if position is not None and -len(base) <= position < len(base) else None


def _called_value(state: State, node: cst.Call, value):
    """``len(a)`` of an array of known shape, and the shape of what a library function makes of arrays
    of known shapes and values written out (``np.delete(a, 0, axis=0)``), found by calling it on
    arrays of that shape holding different values: a result that depends on the values (the shape of
    ``np.unique(a)``, ``np.argmax(a)``) differs between them, and is not known."""
    positional, keywords = call_arguments(node)
    name = called_name(state, node)
    if name is None or (
        name != "builtins.len" and rules.kind(name) not in ("rule", "zero_derivative", "inactive_only")
    ):
        return None
    arguments = [_evaluable(part, value) for part in positional]
    options = {key: _evaluable(part, value) for key, part in keywords.items()}
    if any(a is _UNKNOWN for a in (*arguments, *options.values())):
        return None
    function = rules.library_object(name)
    keys = list(options)
    results = set()
    # A loop's variable stands for each of its values: the result is known if every one gives the same.
    combinations = itertools.product(*map(_each, (*arguments, *options.values())), range(len(_FILLS)))
    for *values, fill in itertools.islice(combinations, _TRIES * len(_FILLS) + 1):
        values = [_FILLS[fill](v.shape) if isinstance(v, Shaped) else v for v in values]
        try:
            result = function(*values[: len(arguments)], **dict(zip(keys, values[len(arguments) :], strict=True)))
        except Exception:  # numpy refuses these arguments: the call raises at run time, as written
            return None
        results.add(Shaped(result.shape) if isinstance(result, np.ndarray) else result)
    if len(results) != 1:
        return None
    (result,) = results
    return result if type(result) in (int, bool, Shaped) else None


@dataclasses.dataclass(frozen=True)
class Symbolic:
    """What depends on arguments of the differentiated function not known yet (the code for any
    arguments is being made): written in terms of them, so a recursive call can tell whether its
    arguments change from level to level (then their shapes at a call may decide where it stops)."""

    text: str


def _symbolic(state: State, node: cst.BaseExpression, value) -> Symbolic | None:
    """``node`` in terms of the unknown arguments when a part of it is one and the rest is known."""
    found = _parts(state, node)
    if found is None:
        return None
    parts, spelled = found
    arithmetic = isinstance(node, (cst.BinaryOperation, cst.UnaryOperation, cst.Comparison))
    values = [value(part) for part in parts]
    if not any(isinstance(v, Symbolic) for v in values):
        return None
    texts = []
    for part, known in zip(parts, values, strict=True):
        if isinstance(known, Symbolic):
            texts.append(known.text)
        elif known is not None:
            texts.append(repr(known))
        elif (literal := _literal(part)) is not _UNKNOWN:
            if arithmetic and type(literal) not in (int, bool):
                return None  # arithmetic on numbers (x / 2.0), not on lengths: no shape decides it
            texts.append(_code(part))
        else:  # unknown here (a loop's variable): known, or not, with the arguments
            texts.append("?")
    return Symbolic(spelled(texts))


def _parts(state: State, node: cst.BaseExpression):
    """The operands of ``node`` whose values decide it, and how to spell it from their texts; else None."""
    if isinstance(node, cst.Attribute):
        return [node.value], lambda t: f"{t[0]}.{node.attr.value}"
    if isinstance(node, cst.Subscript):
        return [node.value], lambda t: f"{t[0]}[{_code(node).partition('[')[2]}"
    if isinstance(node, cst.BinaryOperation):
        return [node.left, node.right], lambda t: f"({t[0]} {_code(node.operator).strip()} {t[1]})"
    if isinstance(node, cst.UnaryOperation):
        return [node.expression], lambda t: f"({_code(node.operator).strip()} {t[0]})"
    if isinstance(node, cst.Comparison):
        operators = [_code(target.operator).strip() for target in node.comparisons]
        parts = [node.left, *(target.comparator for target in node.comparisons)]
        return parts, lambda t: " ".join([t[0], *(f"{o} {x}" for o, x in zip(operators, t[1:], strict=True))])
    name = called_name(state, node) if isinstance(node, cst.Call) else None
    if name is None:
        return None
    keywords = [f"{a.keyword.value}=" if a.keyword else "" for a in node.args]
    return [
        a.value for a in node.args
    ], lambda t: f"{name}({', '.join(k + x for k, x in zip(keywords, t, strict=True))})"


def _literal(node: cst.BaseExpression):
    """The value of a literal written out (``0``, ``-1``, ``(0, 1)``, ``None``); else _UNKNOWN."""
    try:
        return ast.literal_eval(_code(bare(node)))
    except (ValueError, SyntaxError):
        return _UNKNOWN


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


@dataclasses.dataclass(frozen=True)
class Choices:
    """An int known to be one of these: a loop's variable over a range known at generation."""

    values: tuple[int, ...]


def ranging(state: State, target: str, iterable: cst.BaseExpression) -> Choices | None:
    """The values of ``for target in range(...)`` when generation knows them and the body keeps ``target``."""
    if called_name(state, iterable) != "builtins.range" or state.bindings[target] != 1:
        return None
    positional, keywords = call_arguments(iterable)
    bounds = [known_value(state, part) for part in positional]
    if keywords or not all(type(bound) is int for bound in bounds):
        return None
    values = tuple(range(*bounds))
    return Choices(values) if 0 < len(values) <= _TRIES else None


def _each(argument) -> tuple:
    return argument.values if isinstance(argument, Choices) else (argument,)


_TRIES = 64  # calls at most, to find a result's shape where a loop's variable is an argument
# The values an array of known shape holds when a function is called to find its result's shape.
_FILLS = (
    lambda shape: np.broadcast_to(np.zeros(()), shape),
    lambda shape: np.arange(1.0, 1.0 + np.prod(shape, dtype=int)).reshape(shape),
    lambda shape: np.random.default_rng(0).normal(size=shape),
)
_UNKNOWN = object()
_LARGEST = 1 << 20  # elements: a function called on zeros of a larger shape may allocate too much


def _evaluable(part: cst.BaseExpression, value):
    """The argument as the function is called with it at generation: zeros (of no memory) for an
    array of known shape, the value of an int or of a literal; else _UNKNOWN."""
    known = value(part)
    if isinstance(known, Choices):
        return known
    if isinstance(known, Shaped):
        return known if np.prod(known.shape, dtype=np.int64) <= _LARGEST else _UNKNOWN
    return known if known is not None else _literal(part)


def _name_value(state: State, name: str, seen: frozenset[str]):
    """A name's known value: a known argument of the call, or what its one binding assigns."""
    if name in state.known:
        return state.known[name]
    lengths = dict(state.shared.options.lengths)
    argument = len(state.shared.stack) == 1 and _parameter(state, name) and not state.bindings[name]
    if argument and name in lengths:
        return Shaped(lengths[name])  # the differentiated function's argument, of a shape the call gave
    if argument and not lengths:
        return Symbolic(name)  # the code for any arguments: unknown, but the same at every level
    if name in seen or name not in state.unit.local_names or state.bindings[name] != 1 or _parameter(state, name):
        return None
    written = m.findall(
        state.unit.function.body,
        m.Assign(targets=[m.AssignTarget(target=m.Name(name))]),
    )
    if len(written) != 1:
        return None
    return known_value(state, written[0].value, seen | {name})


def _parameter(state: State, name: str) -> bool:
    params = state.unit.function.params
    return name in {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
