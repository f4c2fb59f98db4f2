"""Branches and loops: if/elif/else, for (over a range, a sequence, zip/enumerate, or a tuple, unrolled),
while, and the tests of branches and loops, evaluated with Python's short-circuit rules.

A test known at generation (it reads integers the call wrote out, or shapes known there: ``known_value``)
decides its branch here: only that one is lowered. That is what stops the unrolling of a recursion
(``power(x, 5)``: ``if n == 0`` is decided at each level).
"""

from __future__ import annotations

import dataclasses
import operator

import libcst as cst
import libcst.matchers as m

from s2sad.core import ir
from s2sad.normalize import assignments, calls, dicts, expressions, statements, tuples
from s2sad.normalize.nodes import any_of, bare, call_arguments, item_at, nested_smalls, statements_of
from s2sad.normalize.state import LoopFlags, State
from s2sad.frontend.scope import dotted

_ZIPPING = ("builtins.zip", "builtins.enumerate")


def if_statement(state: State, node: cst.If) -> set[str] | None:
    """The flags an if may set; None when a branch decided at generation returns (nothing after it runs)."""
    chosen: cst.If | cst.Else | None = node
    while isinstance(chosen, cst.If) and (test := decided(state, chosen.test)) is not None:
        chosen = chosen.body if test else chosen.orelse
    if isinstance(chosen, cst.If):
        with state.enclosed():
            return _if_chain(state, chosen)
    if chosen is None:  # decided: no branch runs
        return set()
    block = chosen.body if isinstance(chosen, cst.Else) else chosen
    items = statements_of(block)
    state.statements.extend(statements.block(state, items))
    if any(isinstance(item, cst.Return) for item in items):
        return None
    return jumps_in(state, block)


def _if_chain(state: State, node: cst.If) -> set[str]:
    """An if, its elifs and its else; the flags they may set."""
    test = condition(state, node.test)
    origin = state.where(node)
    body = statements.block(state, statements_of(node.body))
    orelse: list[ir.Statement] = []
    jumps = set(jumps_in(state, node.body))
    if isinstance(node.orelse, cst.If):  # elif
        with state.buffer() as orelse:
            jumps |= _if_chain(state, node.orelse)
    elif isinstance(node.orelse, cst.Else):
        orelse = statements.block(state, statements_of(node.orelse.body))
        jumps |= jumps_in(state, node.orelse.body)
    state.statements.append(ir.If(state.next_id(), test, tuple(body), tuple(orelse), origin))
    return jumps


def jumps_in(state: State, node: cst.CSTNode) -> set[str]:
    """Flags a block may set that matter outside it: return, and this loop's break/continue."""
    found: set[str] = set()
    for small in nested_smalls(node, stop_at_loops=True):
        if isinstance(small, cst.Break):
            found.add(state.loops[-1].broke)
        elif isinstance(small, cst.Continue):
            found.add(state.loops[-1].skipped)
    if state.nested_returns and any(isinstance(s, cst.Return) for s in nested_smalls(node)):
        found.add(state.returned)
    return found


def for_loop(state: State, node: cst.For) -> set[str]:
    if node.orelse is not None:
        state.refuse(node.orelse, "for ... else is", "move the else part after the loop, behind a flag")
    origin = state.where(node)
    iterable = bare(node.iter)
    keyed = dicts.loop_items(state, iterable)
    if keyed is not None:  # for k, v in d.items(): one trip per item
        return _unrolled_loop(state, node, lambda: keyed)
    if tuples.is_static_tuple(state, iterable):
        return _unrolled_loop(state, node, lambda: tuples.static_tuple(state, iterable))
    if isinstance(iterable, cst.Tuple):  # of literals, (1.0, 2.5): one trip per item, each a constant
        return _unrolled_loop(state, node, lambda: [element.value for element in iterable.elements])
    called = _called(state, iterable)
    if called in _ZIPPING:
        args = [arg.value for arg in iterable.args if arg.keyword is None]
        sequences = args if called == "builtins.zip" else args[:1]
        static = [arg for arg in sequences if tuples.is_static_tuple(state, arg)]
        if static and len(static) == len(sequences):
            return _unrolled_loop(state, node, lambda: _zipped(state, called, iterable))
        if static:
            state.refuse(
                static[0],
                f"{called.split('.')[1]}() over a tuple together with arrays or lists is",
                "make them all tuples (the loop is then unrolled), or all arrays or lists",
            )
    index_name = state.temp()  # numbered here even for a range, which brings its own index
    if called == "builtins.range":
        if not isinstance(node.target, cst.Name):
            state.refuse(node.target, "unpacking a range's numbers is")
        range_name = state.temp()
        assignments.assign_name(state, range_name, iterable)
        return _loop(state, node, origin, node.target.value, cst.Name(range_name), None, (), [])
    if called in _ZIPPING:
        loop_range, prologue = _zipping_header(state, node, called, iterable, index_name)
    else:
        held = assignments.snapshot(state, iterable)  # Python iterates the object, even if the name is rebound
        loop_range = calls.helper_call(state, "builtins.range", calls.helper_call(state, "builtins.len", held))
        prologue = [(node.target, item_at(held, index_name))]
    return _loop(state, node, origin, index_name, loop_range, None, (), prologue)


def _called(state: State, iterable: cst.BaseExpression) -> str | None:
    """The qualified name of the library function a loop iterates over the result of (``builtins.range``)."""
    text = dotted(iterable.func) if isinstance(iterable, cst.Call) else None
    called = state.unit.resolutions.get(text) if text else None
    return called.name if called is not None and text.split(".")[0] not in state.unit.local_names else None


def _zipping_header(state: State, node: cst.For, called: str, iterable: cst.Call, index_name: str):
    """``for a, b in zip(xs, ys)`` / ``enumerate(xs, start)``: the loop's range, and the
    (target, value) pairs each iteration begins with."""
    args = [arg.value for arg in iterable.args if arg.keyword is None]
    start = next((arg.value for arg in iterable.args if arg.keyword and arg.keyword.value == "start"), None)
    if called == "builtins.enumerate" and len(args) == 2:
        args, start = args[:1], args[1]
    held = [assignments.snapshot(state, arg) for arg in args]
    targets = node.target
    if not isinstance(targets, (cst.Tuple, cst.List)):
        state.refuse(
            targets,
            f"iterating over {called.split('.')[1]}() into one name is",
            "unpack the items: for a, b in ...",
        )
    if called == "builtins.zip":
        lengths = [calls.helper_call(state, "builtins.len", h) for h in held]
        count = lengths[0]
        if len(lengths) > 1:
            count = cst.Name(state.temp())
            shortest = cst.Call(func=cst.Name(state.names.builtin("min")), args=[cst.Arg(n) for n in lengths])
            state.emit_assign(count.value, shortest, None, {}, False, state.origin)
        items = [item_at(h, index_name) for h in held]
        prologue = list(zip([e.value for e in targets.elements], items, strict=True))
    else:
        count = calls.helper_call(state, "builtins.len", held[0])
        number = (
            cst.Name(index_name)
            if start is None
            else cst.BinaryOperation(left=cst.Name(index_name), operator=cst.Add(), right=start)
        )
        first, second = [e.value for e in targets.elements]
        prologue = [(first, number), (second, item_at(held[0], index_name))]
    return calls.helper_call(state, "builtins.range", count), prologue


def _unrolled_loop(state: State, node: cst.For, make_items) -> set[str]:
    """``for w in (w1, w2)``: the items are known here, so the body is repeated for each."""
    jumps = nested_smalls(node.body, stop_at_loops=True) + [
        s for s in nested_smalls(node.body) if isinstance(s, cst.Return)
    ]
    if any(isinstance(s, (cst.Break, cst.Continue, cst.Return)) for s in jumps):
        state.refuse(
            node,
            "break, continue or return in a loop over a tuple is",
            "loop over an array, or over range(len(...)), instead",
        )
    items = make_items()
    origin = state.origin
    for item in items:
        state.origin = origin
        assignments.assign_targets(state, node.target, item)
        state.statements.extend(statements.block(state, statements_of(node.body)))
    return set()


def _zipped(state: State, called: str, iterable: cst.Call) -> list[cst.BaseExpression]:
    """The items of ``zip(t1, t2)`` or ``enumerate(t, start)`` over tuples: tuples of atoms."""
    args = [arg.value for arg in iterable.args if arg.keyword is None]
    if called == "builtins.zip":
        columns = [tuples.static_tuple(state, arg) for arg in args]
        return [cst.Tuple(elements=[cst.Element(value=v) for v in row]) for row in zip(*columns, strict=True)]
    columns = [tuples.static_tuple(state, args[0])]
    start = args[1] if len(args) > 1 else next((a.value for a in iterable.args if a.keyword is not None), None)
    start = None if start is None else expressions.atom(state, start)
    numbers = [cst.Integer(str(i)) for i in range(len(columns[0]))]
    if start is not None:
        numbers = [cst.BinaryOperation(left=start, operator=cst.Add(), right=n) for n in numbers]
    return [
        cst.Tuple(elements=[cst.Element(value=n), cst.Element(value=v)])
        for n, v in zip(numbers, columns[0], strict=True)
    ]


def while_loop(state: State, node: cst.While) -> set[str]:
    if node.orelse is not None:
        state.refuse(node.orelse, "while ... else is", "move the else part after the loop, behind a flag")
    origin = state.where(node)
    with state.buffer() as test_block:
        test = condition(state, node.test)
    return _loop(state, node, origin, None, None, test, tuple(test_block), [])


def _loop(state: State, node, origin, target, iterable, test, test_block, prologue) -> set[str]:
    """An ``ir.Loop``: over ``iterable`` into ``target``, or while ``test`` (after ``test_block``) holds."""
    with state.enclosed():
        number = next(state.shared.serials)
        flags = LoopFlags(state.names.role(f"v_broke_{number}"), state.names.role(f"v_skipped_{number}"))
        state.loops.append(flags)
        uses_continue = any(isinstance(s, cst.Continue) for s in nested_smalls(node.body, stop_at_loops=True))
        uses_break = any(isinstance(s, cst.Break) for s in nested_smalls(node.body, stop_at_loops=True))
        if uses_break:
            state.flag(flags.broke, False)
        with state.buffer() as prefix:
            state.origin = origin
            if uses_continue:
                state.flag(flags.skipped, False)
            for item_target, value in prologue:
                assignments.assign_targets(state, item_target, value)
        body = prefix + statements.block(state, statements_of(node.body))
        state.loops.pop()
        returns = state.nested_returns and any(isinstance(s, cst.Return) for s in nested_smalls(node.body))
        exits = ([flags.broke] if uses_break else []) + ([state.returned] if returns else [])
        exit_test = any_of(exits) if exits else None
        state.statements.append(
            ir.Loop(state.next_id(), target, iterable, test_block, test, tuple(body), exit_test, origin)
        )
        return {state.returned} if returns else set()


def condition(state: State, node: cst.BaseExpression) -> cst.BaseExpression:
    """A branch or loop test: passive, evaluated with Python's short-circuit rules."""
    node = bare(node)
    if isinstance(node, cst.BooleanOperation):
        # `a and b` computes b only when a holds: held = a; if held: held = b
        held = state.temp()
        state.emit_assign(held, condition(state, node.left), None, {}, False, state.origin)
        with state.buffer() as right:
            state.emit_assign(held, condition(state, node.right), None, {}, False, state.origin)
        test: cst.BaseExpression = cst.Name(held)
        if isinstance(node.operator, cst.Or):
            test = cst.UnaryOperation(operator=cst.Not(), expression=test)
        state.statements.append(ir.If(state.next_id(), test, tuple(right), (), state.origin))
        return cst.Name(held)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        return node.with_changes(expression=condition(state, node.expression))
    if isinstance(node, cst.Comparison):
        value, _, _, _ = expressions.operation(state, node)
        return value
    return expressions.atom(state, node)


@dataclasses.dataclass(frozen=True)
class Shaped:
    """An array whose shape is known at generation."""

    shape: tuple[int, ...]


def decided(state: State, test: cst.BaseExpression) -> bool | None:
    """The value of a branch's test when it is known at generation, else None."""
    value = known_value(state, test)
    return None if value is None or isinstance(value, Shaped) else bool(value)


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
    shape (``Shaped``: the differentiated function's arguments, given Options.lengths); else None. A name bound once in the function is known by what binds it.
    """
    node = bare(node)
    if isinstance(node, cst.Integer):
        return node.evaluated_value
    if isinstance(node, cst.Name):
        return _name_value(state, node.value, seen)

    def value(part: cst.BaseExpression):
        return known_value(state, part, seen)

    if isinstance(node, cst.BinaryOperation) and type(node.operator) in _BINARY:
        left, right = value(node.left), value(node.right)
        if not (_integer(left) and _integer(right)) or (right == 0 and type(node.operator) in _BY_ZERO):
            return None
        return _BINARY[type(node.operator)](left, right)
    if isinstance(node, cst.UnaryOperation):
        operand = value(node.expression)
        if isinstance(node.operator, cst.Not) and operand is not None and not isinstance(operand, Shaped):
            return not operand
        return -operand if isinstance(node.operator, cst.Minus) and _integer(operand) else None
    if isinstance(node, cst.Comparison):
        return _comparison(value, node)
    if isinstance(node, cst.BooleanOperation):
        left, right = value(node.left), value(node.right)
        if left is None or right is None or isinstance(left, Shaped) or isinstance(right, Shaped):
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
    """``len(a)`` of an array of known shape."""
    positional, keywords = call_arguments(node)
    if _called(state, node) != "builtins.len" or len(positional) != 1 or keywords:
        return None
    array = value(positional[0])
    return array.shape[0] if isinstance(array, Shaped) and array.shape else None


def _name_value(state: State, name: str, seen: frozenset[str]):
    """A name's known value: a known argument of the call, or what its one binding assigns."""
    if name in state.known:
        return state.known[name]
    lengths = dict(state.shared.options.lengths)
    if name in lengths and len(state.shared.stack) == 1 and _parameter(state, name) and not state.bindings[name]:
        return Shaped(lengths[name])  # the differentiated function's argument, of a shape the call gave
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
