"""Dicts written in the function with keys written out, whose items are known while lowering, like
tuples' (tuples.py): ``d = {"w": w, "b": b}``, ``d["w"]``, ``d["c"] = v``, ``for k, v in d.items()``
(unrolled), passed to the user's helpers. Each item is an atom; the dict itself is never a value of
the generated code, so a use of it whole (``print(d)``, ``np.sum(d)``) is refused.

A dict is one object: ``e = d`` is the same dict under another name, and an item set through either is
seen through both, as in Python. Setting an item inside a branch or loop would make the items depend on
the path: refused.
"""

from __future__ import annotations

import ast

import libcst as cst

from s2sad.normalize import assignments, expressions
from s2sad.normalize.nodes import bare
from s2sad.normalize.state import State

_VIEWS = ("items", "values", "keys")


def key(state: State, node: cst.BaseExpression):
    """The key written out (a string or a number), as Python reads it."""
    written = expressions.literal(state, node)
    if not isinstance(written, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.UnaryOperation)):
        state.refuse(node, "a dict key other than a string or number written out is", 'write the key: d["w"]')
    return ast.literal_eval(cst.Module([]).code_for_node(written))


def literal(state: State, target: str, node: cst.Dict) -> None:
    """``target = {k: v, ...}``: the items' values computed now, in order."""
    items: dict = {}
    for element in node.elements:
        if isinstance(element, cst.StarredDictElement):
            state.refuse(element, "unpacking into a dict (**d) is", "write the items out")
        items[key(state, element.key)] = (element.key, assignments.snapshot(state, element.value))
    state.dicts[target] = items


def held(state: State, node: cst.BaseExpression) -> dict | None:
    """The items of the dict ``node`` names, if it names one."""
    node = bare(node)
    return state.dicts.get(node.value) if isinstance(node, cst.Name) else None


def item(state: State, node: cst.Subscript) -> cst.BaseExpression | None:
    """``d["w"]`` of a dict whose items are known here; None if ``node`` indexes something else."""
    items = held(state, node.value)
    if items is None:
        return None
    index = node.slice[0].slice if len(node.slice) == 1 else None
    if not isinstance(index, cst.Index):
        state.refuse(node, "indexing a dict other than with a key written out is", 'write the key: d["w"]')
    found = items.get(key(state, index.value))
    if found is None:
        state.refuse(node, f"the key {cst.Module([]).code_for_node(index.value)} (not in the dict) is", "add it first")
    return found[1]


def set_item(state: State, target: cst.Subscript, value: cst.BaseExpression) -> bool:
    """``d["c"] = v`` on a dict whose items are known here: True if it was one."""
    items = held(state, target.value)
    if items is None:
        return False
    if state.depth:
        state.refuse(target, "setting a dict's item inside a branch or loop is", "build the dict before, or use arrays")
    index = target.slice[0].slice if len(target.slice) == 1 else None
    if not isinstance(index, cst.Index):
        state.refuse(target, "setting a dict's item other than with a key written out is", 'd["w"] = ...')
    items[key(state, index.value)] = (index.value, assignments.snapshot(state, value))
    return True


def loop_items(state: State, iterable: cst.BaseExpression) -> list[cst.BaseExpression] | None:
    """What ``for ... in d`` (its keys), ``d.keys()``, ``d.values()`` or ``d.items()`` goes over."""
    iterable = bare(iterable)
    view = None
    if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Attribute) and not iterable.args:
        view, iterable = iterable.func.attr.value, iterable.func.value
        if view not in _VIEWS:
            return None
    items = held(state, iterable)
    if items is None:
        return None
    if view == "values":
        return [atom for _, atom in items.values()]
    if view == "items":
        return [cst.Tuple(elements=[cst.Element(k), cst.Element(atom)]) for k, atom in items.values()]
    return [k for k, _ in items.values()]
