"""Statements: a function's body lowered statement by statement.

A ``return`` inside a branch or loop, a ``break`` and a ``continue`` set a flag,
and the statements after one that may set it run behind ``if not flag``.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from s2sad.core import ir
from s2sad.errors import UnsupportedSyntax
from s2sad.normalize import assignments, calls, comprehensions, control, dicts, effects, expressions, in_place
from s2sad.normalize import inlining
from s2sad.normalize.nodes import any_of, call_arguments, is_append, nested_smalls, statements_of
from s2sad.normalize.state import State
from s2sad.frontend.scope import dotted


def lower_function(state: State) -> ir.Function:
    definition = state.unit.function
    state.origin = state.where(definition.name)
    params = definition.params
    if isinstance(params.star_arg, cst.Param):  # in the user's helpers, a call's extra arguments: a tuple
        state.refuse(params.star_arg, "*args parameters of the differentiated function are", "list them by name")
    if isinstance(params.star_kwarg, cst.Param):  # in the user's helpers, a call's extra keywords: a dict
        state.refuse(params.star_kwarg, "**kwargs parameters of the differentiated function are", "list them")
    declared = (*params.posonly_params, *params.params, *params.kwonly_params)
    parameters = tuple(p.name.value for p in declared)
    parameter_origins = {p.name.value: state.where(p.name) for p in declared}
    signature = params.visit(_StripAnnotations(state))
    for name, structure in state.shared.options.structures:  # a container of arrays, of a form a call gave
        state.structures[name] = structure
        state.lists.add(name)
        state.ever_lists.add(name)
        if structure[0] == "keys":
            state.mappings.add(name)
    lowered, value = body(state)
    if isinstance(value, list):
        raise UnsupportedSyntax(
            f"'{definition.name.value}' returns several values; s2sad differentiates one result",
            state.returned_at,
            hint="return one array or number (a vjp of several outputs: stack them into one array)",
        )
    lowered.append(ir.Return(state.next_id(), value, state.returned_at))
    return ir.Function(
        definition.name.value,
        parameters,
        signature,
        tuple(lowered),
        state.where(definition.name),
        parameter_origins,
        frozenset(state.ever_lists | state.shared.lists),
    )


def body(state: State) -> tuple[list[ir.Statement], cst.BaseExpression | list[cst.BaseExpression]]:
    """The function's body lowered, and what it returns: an atom, or atoms for a tuple."""
    definition = state.unit.function
    items = statements_of(definition.body)
    returns = [s for s in nested_smalls(definition.body) if isinstance(s, cst.Return)]
    sizes = {len(r.value.elements) if isinstance(r.value, cst.Tuple) else None for r in returns}
    state.arity = sizes.pop() if len(sizes) == 1 else None
    if len(sizes) > 0:
        state.refuse(
            returns[0],
            "returning tuples of different lengths, or a tuple here and a value there, is",
            "return the same kind of value everywhere",
        )
    # A return inside a branch or loop is lowered to `result = ...; returned = True`,
    # with what follows guarded by `if not returned`; the function then returns `result`.
    state.nested_returns = any(
        isinstance(small, cst.Return)
        for item in items
        if not isinstance(item, cst.BaseSmallStatement)
        for small in nested_smalls(item)
    )
    state.returned = state.names.role(f"v_returned_{state.serial}")
    state.results = [state.names.role(f"v_result_{state.serial}_{i}") for i in range(state.arity or 1)]
    state.value = None
    state.returned_at = state.origin
    lowered = block(state, items)
    if state.nested_returns:
        with state.buffer() as not_returned:
            state.flag(state.returned, False)
        lowered = not_returned + lowered
        state.value = [cst.Name(r) for r in state.results] if state.arity else cst.Name(state.results[0])
    return lowered, state.value


def block(state: State, items) -> list[ir.Statement]:
    """Lower a block; after a statement that may break, continue or return, guard the rest."""
    with state.buffer() as lowered:
        for index, node in enumerate(items):
            jumps = statement(state, node)
            if jumps is None:  # a plain return: nothing after it runs
                break
            rest = items[index + 1 :]
            if jumps and rest:
                origin = state.where(rest[0])
                test = cst.UnaryOperation(operator=cst.Not(), expression=any_of(sorted(jumps)))
                guarded = block(state, rest)
                state.statements.append(ir.If(state.next_id(), test, tuple(guarded), (), origin))
                break
    return lowered


def statement(state: State, node) -> set[str] | None:
    """Lower one statement: the flags it may set (break, continue, return), None after a return."""
    state.origin = state.where(node)
    if isinstance(node, cst.Return):
        return _return(state, node)
    if isinstance(node, (cst.Break, cst.Continue)):
        return _jump(state, node)
    if isinstance(node, cst.If):
        return control.if_statement(state, node)
    if isinstance(node, cst.For):
        return control.for_loop(state, dicts.keyed_loop(state, node))
    if isinstance(node, cst.While):
        return control.while_loop(state, node)
    if isinstance(node, cst.With):
        return effects.with_statement(state, node)
    if isinstance(node, cst.FunctionDef):
        inlining.define(state, node.name.value, node)
        return set()
    if isinstance(node, cst.Assign) and isinstance(node.value, cst.Lambda):
        inlining.define(state, node.targets[0].target.value, node.value)
        return set()
    if (
        isinstance(node, cst.Assign)
        and isinstance(node.targets[0].target, cst.Name)
        and inlining.is_partial(state, node.value)
    ):
        state.local_functions[node.targets[0].target.value] = inlining.partial(state, node.value)
        return set()
    if isinstance(node, cst.Assign) and comprehensions.assigned(state, node):
        return set()
    if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Subscript):
        assignments.set_item(state, node.targets[0].target, node.value)
    elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Subscript):
        assignments.set_item(state, node.target, node.value, node.operator)
    elif isinstance(node, cst.Expr) and is_append(node.value):
        assignments.append(state, node.value)
    elif isinstance(node, cst.Expr) and in_place.is_in_place_method(state, node.value):
        in_place.update(state, node.value)
    elif isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
        text = dotted(node.value.func)
        if text is not None and state.resolution(text) == "update":
            assignments.update_call(state, node.value, state.unit.resolutions[text].name)
        elif not (text is not None and state.resolution(text) != "guard" and effects.effect_call(state, node)):
            _guard_call(state, node)
    elif isinstance(node, cst.Assert):
        effects.assert_statement(state, node)
    elif isinstance(node, cst.Raise):
        effects.raise_statement(state, node)
    elif isinstance(node, cst.Assign):
        assignments.assign(state, node.targets, node.value)
    elif isinstance(node, cst.AnnAssign):
        if node.value is not None:
            assignments.assign(state, [cst.AssignTarget(target=node.target)], node.value)
    elif isinstance(node, cst.AugAssign):
        assignments.augmented_assign(state, node)
    return set()


def _return(state: State, node: cst.Return) -> set[str] | None:
    """A plain return gives the function's value (None: nothing after it runs); a nested one sets the flag."""
    state.origin = state.returned_at = state.where(node.value)
    values = [e.value for e in node.value.elements] if state.arity else [node.value]
    for value in values:
        if m.matches(expressions.literal(state, value), m.Name("None") | m.SimpleString() | m.ConcatenatedString()):
            state.refuse(
                value,
                "returning None or a string from a function to differentiate is",
                "return the number or array to differentiate",
            )
    if not state.nested_returns:
        atoms = [expressions.atom(state, v) for v in values]
        state.value = atoms if state.arity else atoms[0]
        return None
    for result, value in zip(state.results, values, strict=True):
        assignments.assign_name(state, result, value)
    state.flag(state.returned, True)
    return {state.returned}


def _jump(state: State, node: cst.Break | cst.Continue) -> set[str]:
    loop = state.loops[-1]
    name = loop.broke if isinstance(node, cst.Break) else loop.skipped
    state.flag(name, True)
    return {name}


def _guard_call(state: State, node: cst.Expr) -> None:
    """A call made for its check alone (``_rt.require_float(...)`` in generated code): kept as it is."""
    text = dotted(node.value.func)
    if text is None or state.resolution(text) != "guard":
        state.refuse(
            node,
            "expression statements (a value computed and dropped) are",
            "assign the value to a name, or remove the line",
        )
    positional, keywords = call_arguments(node.value)
    value, *_ = calls.apply(state, state.unit.resolutions[text].name, node.value, positional, keywords, kind="guard")
    state.statements.append(ir.Guard(state.next_id(), value, state.origin))


class _StripAnnotations(cst.CSTTransformer):
    """Parameters as the generated function declares them: no annotations, defaults canonical."""

    def __init__(self, state: State):
        self.state = state

    def leave_Param(self, original: cst.Param, updated: cst.Param) -> cst.Param:
        default = updated.default
        if default is not None:
            literal = expressions.literal(self.state, original.default)
            default = literal if literal is not None else original.default
        return updated.with_changes(annotation=None, default=default)
