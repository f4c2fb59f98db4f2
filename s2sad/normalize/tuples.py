"""Tuples whose items are known while lowering (written out, held by a name, returned by a function
of the user's): ``t[0]``, ``a, b = t`` and ``for v in t`` use the items themselves."""

from __future__ import annotations

import libcst as cst

from s2sad.errors import UnsupportedSyntax
from s2sad.normalize import assignments, expressions, inlining
from s2sad.normalize.nodes import bare
from s2sad.normalize.state import State


class Inlined(Exception):
    """static_tuple inlined a call that returns one value, not a tuple: here is the value."""

    def __init__(self, value):
        self.value = value


def is_static_tuple(state: State, value: cst.BaseExpression) -> bool:
    """Whether ``value`` is a tuple whose items are known here (a name holding one, or one written out)."""
    value = bare(value)
    return (isinstance(value, cst.Name) and value.value in state.tuples) or (
        isinstance(value, cst.Tuple) and expressions.literal(state, value) is None
    )


def static_tuple(state: State, value: cst.BaseExpression) -> list[cst.BaseExpression] | None:
    """The items of a tuple written out, of a name holding one, or returned by a function of the user's."""
    value = bare(value)
    if isinstance(value, cst.Name) and value.value in state.tuples:
        return state.tuples[value.value]
    if isinstance(value, cst.Subscript):
        item = tuple_item(state, value)  # `t[0]` of a tuple of tuples
        return state.tuples[item.value] if isinstance(item, cst.Name) and item.value in state.tuples else None
    if isinstance(value, cst.Tuple) and expressions.literal(state, value) is None:
        return [assignments.snapshot(state, element.value) for element in value.elements]
    returned = inlining.returned_tuple(state, value)
    if isinstance(returned, list):
        return returned
    if returned is not None:
        raise Inlined(returned)
    return None


def tuple_item(state: State, node: cst.Subscript) -> cst.BaseExpression | None:
    """The item ``t[i]`` of a tuple whose items are known here; None if ``node`` indexes something else."""
    value = bare(node.value)
    items = state.tuples.get(value.value) if isinstance(value, cst.Name) else None
    if items is None:
        return None
    index = node.slice[0].slice if len(node.slice) == 1 else None
    number = expressions.literal(state, index.value) if isinstance(index, cst.Index) else None
    if not isinstance(number, (cst.Integer, cst.UnaryOperation)):
        state.refuse(
            node, "indexing a tuple other than with a number written out is", "index it with a number, or unpack it"
        )
    position = int(cst.Module([]).code_for_node(number))
    if not -len(items) <= position < len(items):
        raise UnsupportedSyntax(
            f"tuple index {position} is out of range: the tuple has {len(items)} items",
            state.where(node),
            hint="index within the tuple",
        )
    return items[position]


def plain(state: State, atom: cst.BaseExpression) -> cst.BaseExpression:
    """``atom``; for a tuple whose items are known here, that tuple made as a value of its own.

    Such a value carries no derivative: analyse refuses it if anything differentiated is in it.
    """
    if not (isinstance(atom, cst.Name) and atom.value in state.tuples):
        return atom
    held = state.temp()
    items = cst.Tuple(elements=[cst.Element(value=plain(state, i)) for i in state.tuples[atom.value]])
    state.emit_assign(held, items, None, {}, True, state.origin)
    return cst.Name(held)
