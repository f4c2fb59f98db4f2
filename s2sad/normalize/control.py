"""Branches and loops: if/elif/else, for (over a range, a sequence, zip/enumerate, or a tuple, unrolled),
while, and the tests of branches and loops, evaluated with Python's short-circuit rules.

A test known at generation (it reads integers the call wrote out, or shapes known there: normalize.known)
decides its branch here: only that one is lowered. That is what stops the unrolling of a recursion
(``power(x, 5)``: ``if n == 0`` is decided at each level).
"""

from __future__ import annotations


import libcst as cst

from s2sad.core import ir
from s2sad.normalize import assignments, calls, dicts, expressions, known, statements, tuples
from s2sad.normalize.nodes import any_of, bare, item_at, nested_smalls, statements_of
from s2sad.normalize.state import LoopFlags, State

_ZIPPING = ("builtins.zip", "builtins.enumerate")


def if_statement(state: State, node: cst.If) -> set[str] | None:
    """The flags an if may set; None when a branch decided at generation returns (nothing after it runs)."""
    chosen: cst.If | cst.Else | None = node
    while isinstance(chosen, cst.If) and (test := known.decided(state, chosen.test)) is not None:
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
    called = known.called_name(state, iterable)
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
        trips = known.ranging(state, node.target.value, iterable)
        assignments.assign_name(state, range_name, iterable)
        if trips is None:
            return _loop(state, node, origin, node.target.value, cst.Name(range_name), None, (), [])
        state.known[node.target.value] = trips  # (only shapes read it: the loop is not unrolled)
        try:
            return _loop(state, node, origin, node.target.value, cst.Name(range_name), None, (), [])
        finally:
            del state.known[node.target.value]
    if called in _ZIPPING:
        loop_range, prologue = _zipping_header(state, node, called, iterable, index_name)
    else:
        held = assignments.snapshot(state, iterable)  # Python iterates the object, even if the name is rebound
        loop_range = calls.helper_call(state, "builtins.range", calls.helper_call(state, "builtins.len", held))
        prologue = [(node.target, item_at(held, index_name))]
    return _loop(state, node, origin, index_name, loop_range, None, (), prologue)


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
