"""Array methods that reorder an array in place, written as a statement (rules.syntax.IN_PLACE_METHODS):
``x.sort(axis)`` is the update ``x[...] = np.sort(x, axis)``, and ``x.partition(kth)`` that of
np.partition, so they are differentiated (and checked: an argument, a view, memory others see) as any
update of an array. numpy's own functions compute the new values: they are the values numpy writes.

    x.sort(axis=0)       ->    _t1 = np.sort(x, axis=0)
                               x[...] = _t1
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from s2sad import rules
from s2sad.frontend.scope import dotted
from s2sad.normalize import assignments, calls
from s2sad.normalize.nodes import bare, call_arguments
from s2sad.normalize.state import State
from s2sad.rules import syntax


def is_in_place_method(state: State, value: cst.BaseExpression) -> bool:
    """Whether the expression statement ``value`` reorders an array in place (``x.sort()``), not a
    function of a module spelled alike (``np.sort(x)``, whose value a statement drops)."""
    if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)):
        return False
    text = dotted(value.func)
    return value.func.attr.value in syntax.IN_PLACE_METHODS and (text is None or state.resolution(text) is None)


def update(state: State, call: cst.Call) -> None:
    """``x.sort(...)`` as ``x[...] = np.sort(x, ...)``: the new values in a temporary, then the update."""
    method = call.func.attr.value
    name = syntax.IN_PLACE_METHODS[method]
    receiver = bare(call.func.value)
    positional, keywords = call_arguments(call)
    try:
        axis = rules.lookup(name).signature.bind(receiver, *positional, **keywords).arguments.get("axis")
    except TypeError:
        axis = None  # refused below, where the call is bound to its rule
    array = cst.Module([]).code_for_node(receiver)
    if axis is not None and m.matches(bare(axis), m.Name("None")):
        state.refuse(
            axis,
            f"{array}.{method}(axis=None) (numpy raises a TypeError) is",
            f"{method} along an axis, or flatten: {array} = np.{method}({array}, axis=None)",
        )
    if isinstance(receiver, cst.Name) and receiver.value in state.lists:
        state.refuse(
            call, f"{method} of the list '{array}' in place is", f"make an array of it: np.{method}(np.array({array}))"
        )
    value, rule, operands, inactive_only = calls.apply(
        state, name, call, [receiver, *positional], keywords, kind=rules.kind(name)
    )
    values = state.temp()
    state.emit_assign(values, value, rule, operands, inactive_only, state.origin)
    whole = cst.Subscript(value=receiver, slice=[cst.SubscriptElement(slice=cst.Index(value=cst.Ellipsis()))])
    assignments.set_item(state, whole, cst.Name(values))
