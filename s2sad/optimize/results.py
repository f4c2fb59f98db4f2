"""Results: each gradient returned is made safe for the caller to update in place.

A gradient that may be the caller's own array, a view of one, or another
gradient returned alongside it is returned as a copy (``_rt.copy_like``
instead of ``_rt.like``); the values are the same, only the memory is new.
"""

from __future__ import annotations

import dataclasses

import libcst as cst

from s2sad.core.naming import Names
from s2sad.core.target import Generated, is_new_array, lines_in
from s2sad.optimize.facts import target_of


def detach_results(generated: Generated, names: Names) -> Generated:
    """Copy each returned gradient that may be the caller's array, a view of one, or another gradient."""
    values: dict[str, list[cst.BaseExpression]] = {}
    for line in lines_in(generated.reverse):
        name = target_of(line)
        if name is not None:
            values.setdefault(name, []).append(line.node.value)
    seen: set[str] = set()

    def detached(call: cst.BaseExpression) -> cst.BaseExpression:
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "like"):
            return call
        gradient = call.args[0].value
        key = gradient.value if isinstance(gradient, cst.Name) else None
        assigned_fresh = key in values and all(is_new_array(v) for v in values[key])
        safe = key not in seen and (is_new_array(gradient) or assigned_fresh)
        if key:
            seen.add(key)
        return call if safe else call.with_changes(func=call.func.with_changes(attr=cst.Name("copy_like")))

    result = generated.result
    if isinstance(result, cst.Tuple):
        elements = []
        for element in result.elements:
            value = element.value
            if isinstance(value, cst.Tuple):  # value_and_grad: (value, gradients)
                value = value.with_changes(elements=[e.with_changes(value=detached(e.value)) for e in value.elements])
            else:
                value = detached(value)
            elements.append(element.with_changes(value=value))
        result = result.with_changes(elements=elements)
    else:
        result = detached(result)
    return dataclasses.replace(generated, result=result)
