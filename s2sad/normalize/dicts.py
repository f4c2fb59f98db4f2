"""Dicts, of three kinds.

Written in the function with keys written out, whose items are known while lowering, like tuples'
(tuples.py): ``d = {"w": w, "b": b}``, ``d["w"]``, ``d["c"] = v``, ``d.get("w", 0.0)``, ``len(d)``,
``for k, v in d.items()`` (unrolled), passed to the user's helpers. Each item is an atom; the dict itself
is never a value of the generated code, so a use of it whole (``print(d)``, ``np.sum(d)``) is refused.
A dict is one object: ``e = d`` is the same dict under another name, and an item set through either is
seen through both, as in Python. Setting an item inside a branch or loop would make the items depend on
the path: refused.

Built by a dict comprehension (``{k: f(v) for k, v in p.items()}``), whose keys may be known at run time
only: its keys and its values are two lists the comprehension's loop appends to (``Built``), read by
position (``_rt.key_position``); like a dict written out, it is never a value of its own.

Given (a parameter read with keys or dict methods, ``state.mappings``): a dict at run time, whose
adjoint is a dict. ``for k, v in p.items()`` is a loop over its keys reading ``v = p[k]``, so each
item's adjoint goes to its key; ``p.get(k, d)`` is ``p[k] if k in p else d``.
"""

from __future__ import annotations

import ast

import libcst as cst

from s2sad.normalize import assignments, comprehensions, expressions
from s2sad.normalize.nodes import bare, statements_of
from s2sad.normalize.state import State

_VIEWS = ("items", "values", "keys")
METHODS = ("get", *_VIEWS)


class Built(dict):
    """A dict a comprehension built: the names of its keys' and values' lists, and of the positions of
    its items in them (each distinct key's last). It holds no items known while lowering."""

    def __init__(self, keys: str, values: str, positions: str):
        super().__init__()
        self.keys_list, self.values_list, self.positions = keys, values, positions


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
    if isinstance(items, Built) and isinstance(index, cst.Index):
        return _built_item(state, items, expressions.atom(state, index.value))
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
    if isinstance(items, Built):
        state.refuse(target, "setting an item of a dict built by a comprehension is", "build it with the item in")
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
    if items is None or isinstance(items, Built):  # a Built dict's loop: keyed_loop
        return None
    if view == "values":
        return [atom for _, atom in items.values()]
    if view == "items":
        return [cst.Tuple(elements=[cst.Element(k), cst.Element(atom)]) for k, atom in items.values()]
    return [k for k, _ in items.values()]


def _built_item(state: State, items: Built, key_atom: cst.BaseExpression) -> cst.Name:
    """``q[k]`` of a dict a comprehension built: its values' list at the key's position."""
    position = state.temp()
    state.emit_assign(
        position, _runtime_call(state, "key_position", items.keys_list, key_atom), None, {}, False, state.origin
    )
    value = state.temp()
    assignments.assign_name(state, value, _subscript(cst.Name(items.values_list), cst.Name(position)))
    return cst.Name(value)


def _runtime_call(state: State, helper: str, *args) -> cst.Call:
    """``_rt.helper(*args)``: names given as strings."""
    function = cst.Attribute(value=cst.Name(state.names.module("_rt")), attr=cst.Name(helper))
    return cst.Call(func=function, args=[cst.Arg(cst.Name(a) if isinstance(a, str) else a) for a in args])


def _subscript(base: cst.BaseExpression, index: cst.BaseExpression) -> cst.Subscript:
    return cst.Subscript(value=base, slice=[cst.SubscriptElement(cst.Index(index))])


def _viewed(iterable: cst.BaseExpression) -> tuple[str | None, cst.BaseExpression]:
    """``d.items()`` -> ("items", d); ``d`` -> (None, d)."""
    iterable = bare(iterable)
    if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Attribute) and not iterable.args:
        if iterable.func.attr.value in _VIEWS:
            return iterable.func.attr.value, bare(iterable.func.value)
    return None, iterable


def keyed_loop(state: State, node: cst.For) -> cst.For:
    """A loop over a dict known at run time, as a loop over its keys (a list: no derivative) whose body
    begins by reading the item; any other loop as it is::

        for k, v in p.items():          _keys = list(p)
            s = s + v                   for _k in _keys:
                                            k, v = _k, p[_k]
                                            s = s + v
    """
    view, iterable = _viewed(node.iter)
    given = isinstance(iterable, cst.Name) and iterable.value in state.mappings
    built = held(state, iterable)
    if not given and not isinstance(built, Built):
        return node
    key = cst.Name(state.names.role(f"v_{'key' if given else 'position'}_{next(state.shared.temps)}"))
    if given:
        mapping = assignments.snapshot(state, iterable)  # Python iterates the dict bound when the loop begins
        keys = state.temp()
        state.emit_assign(
            keys,
            cst.Call(func=cst.Name(state.names.builtin("list")), args=[cst.Arg(mapping)]),
            None,
            {},
            False,
            state.origin,
        )
        over, key_value, item_value = cst.Name(keys), key, _subscript(mapping, key)
    else:
        over = cst.Name(built.positions)
        key_value = _subscript(cst.Name(built.keys_list), key)
        item_value = _subscript(cst.Name(built.values_list), key)
    value = {None: key_value, "keys": key_value, "values": item_value}.get(view)
    if view == "items":
        value = cst.Tuple(elements=[cst.Element(key_value), cst.Element(item_value)])
    first = cst.SimpleStatementLine(body=[cst.Assign(targets=[cst.AssignTarget(node.target)], value=value)])
    body = [
        cst.SimpleStatementLine(body=[s]) if isinstance(s, cst.BaseSmallStatement) else s
        for s in statements_of(node.body)
    ]
    return node.with_changes(target=key, iter=over, body=cst.IndentedBlock(body=[first, *body]))


def method(state: State, node: cst.Call, positional, keywords):
    """``d.get(k, default)``, ``d.values()``, ``d.keys()`` of a dict (an operation: value, rule, operands,
    inactive_only); None if ``d`` is not one known here."""
    receiver = bare(node.func.value)
    name = node.func.attr.value
    given = isinstance(receiver, cst.Name) and receiver.value in state.mappings
    items = held(state, receiver)
    if not given and items is None:
        return None
    if name == "items":
        state.refuse(
            node, "'.items()' other than in a for loop or comprehension is", "loop over it: for k, v in d.items()"
        )
    if name != "get":
        if positional or keywords:
            state.refuse(node, f"'.{name}()' with arguments is")
        if items is not None and not isinstance(items, Built):
            listed = [k for k, _ in items.values()] if name == "keys" else [atom for _, atom in items.values()]
            return expressions.operation(state, cst.List(elements=[cst.Element(i) for i in listed]))
        variable = cst.Name(state.temp())
        element = variable if name == "keys" else _subscript(receiver, variable)
        keys = cst.Call(func=cst.Attribute(value=receiver, attr=cst.Name("keys")))
        clause = cst.CompFor(target=variable, iter=keys)
        return expressions.operation(state, comprehensions.lower(state, cst.ListComp(elt=element, for_in=clause)))
    if keywords or not 1 <= len(positional) <= 2:
        state.refuse(node, "this call of '.get()' is", "d.get(key) or d.get(key, default)")
    default = positional[1] if len(positional) == 2 else cst.Name("None")
    if items is not None and not isinstance(items, Built):
        found = items.get(key(state, positional[0]))
        return expressions.operation(state, found[1] if found is not None else default)
    key_atom = expressions.atom(state, positional[0])
    keys = cst.Name(items.keys_list) if isinstance(items, Built) else receiver
    test = cst.Comparison(left=key_atom, comparisons=[cst.ComparisonTarget(operator=cst.In(), comparator=keys)])
    return expressions.operation(state, cst.IfExp(test=test, body=_subscript(receiver, key_atom), orelse=default))


def length(state: State, argument: cst.BaseExpression) -> cst.BaseExpression | None:
    """``len(d)`` of a dict whose items are known here (a number), or a comprehension built (its
    positions' length); None for anything else."""
    items = held(state, argument)
    if isinstance(items, Built):
        return cst.Call(func=cst.Name(state.names.builtin("len")), args=[cst.Arg(cst.Name(items.positions))])
    return cst.Integer(str(len(items))) if items is not None else None


def comprehension(state: State, target: str, node: cst.DictComp) -> None:
    """``target = {k: v for ...}``: its keys and values appended to two lists by one loop."""
    keys, values = comprehensions.build(state, node, [node.key, node.value])
    positions = state.temp()
    state.emit_assign(positions, _runtime_call(state, "key_positions", keys), None, {}, False, state.origin)
    state.dicts[target] = Built(keys.value, values.value, positions)
