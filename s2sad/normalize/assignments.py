"""Assignments: to a name, to several names (unpacking), into an array (``y[i] = e``, ``y[i] op= e``),
``a op= e`` on a name, and appends to a list the function built."""

from __future__ import annotations

import inspect

import libcst as cst

from s2sad import rules
from s2sad.core import ir
from s2sad.errors import Origin
from s2sad.core.naming import names_in
from s2sad.normalize import derivatives, dicts, expressions, inlining, tuples
from s2sad.normalize.nodes import bare, binary, call_arguments, string
from s2sad.normalize.state import State


def assign(state: State, targets, value: cst.BaseExpression) -> None:
    if len(targets) == 1 and isinstance(targets[0].target, cst.Name):
        assign_name(state, targets[0].target.value, value)
        return
    if len(targets) == 1 and isinstance(targets[0].target, (cst.Tuple, cst.List)):
        _unpack(state, targets[0].target, value)
        return
    first = state.temp()
    assign_name(state, first, value)
    for target in targets:
        assign_targets(state, target.target, cst.Name(first))


def assign_targets(state: State, target, value) -> None:
    if isinstance(target, cst.Name):
        assign_name(state, target.value, value)
    elif isinstance(target, cst.Subscript):  # one of several targets: u[0] = u[-1] = 0.0
        set_item(state, target, value)
    else:
        _unpack(state, target, value)


def assign_name(state: State, target: str, value: cst.BaseExpression, origin: Origin | None = None) -> None:
    """Lower ``target = value``; ``origin`` is where ``value`` is written (default: the statement)."""
    origin = origin or state.origin
    if derivatives.is_made_here(state, value):
        derivatives.bind(state, target, value)
        return
    if isinstance(bare(value), cst.Dict) or dicts.held(state, value) is not None:
        if state.depth and state.bindings[target] > 1:
            state.refuse(value, f"rebinding the dict '{target}' inside a branch or loop is", "use one name per dict")
        if isinstance(bare(value), cst.Dict):
            dicts.literal(state, target, bare(value))
        else:
            state.dicts[target] = dicts.held(state, value)  # the same dict under another name
        return
    try:
        items = tuples.static_tuple(state, value)
    except tuples.Inlined as inlined:  # a call of the user's function, already inlined: its one value
        items, value = None, inlined.value
    if items is not None and state.depth and state.bindings[target] > 1:
        state.refuse(
            value,
            f"rebinding the tuple '{target}' inside a branch or loop is",
            "use one name per item, or an array",
        )
    if items is not None:
        # A tuple of values: its items are known here, so `t[0]`, `a, b = t` and
        # `for v in t` use them directly; the tuple itself is kept for other reads.
        state.emit_assign(target, cst.Tuple(elements=[cst.Element(i) for i in items]), None, {}, False, origin)
        state.tuples[target] = items
        return
    expression, rule, operands, inactive_only = expressions.operation(state, value)  # may read the tuple target held
    state.tuples.pop(target, None)
    if target in names_in(expression):
        # `x = x * w`: compute into a temporary first, so no statement reads what it assigns.
        held = state.temp()
        state.emit_assign(held, expression, rule, operands, inactive_only, origin)
        expression, rule, operands, inactive_only = cst.Name(held), "s2sad.copy", {"x": cst.Name(held)}, False
    state.emit_assign(target, expression, rule, operands, inactive_only, origin)


def _unpack(state: State, target: cst.Tuple | cst.List, value: cst.BaseExpression) -> None:
    """``a, b = ...``: all values are computed before any name is bound (so swaps work)."""
    elements = target.elements
    returned = state.tuples.get(value.value) if isinstance(value, cst.Name) else None
    if returned is None:
        returned = inlining.returned_tuple(state, value)
    if returned is not None and not isinstance(returned, list):
        value = returned  # a function of the user's returned one value (an array): unpack its rows
    if isinstance(returned, list):
        if len(returned) != len(elements):
            state.refuse(value, f"unpacking {len(returned)} returned values into {len(elements)} names is")
        held = returned
    elif isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(elements):
        held = []
        for element in value.elements:
            name = state.temp()
            assign_name(state, name, element.value)
            held.append(cst.Name(name))
    else:
        # Unpacking an array (its rows) or a shape: index it, after checking its length as Python would.
        whole = cst.Name(state.temp())
        assign_name(state, whole.value, value)
        state.statements.append(ir.Guard(state.next_id(), _require_length(state, whole, len(elements)), state.origin))
        held = [
            cst.Subscript(value=whole, slice=[cst.SubscriptElement(cst.Index(cst.Integer(str(i))))])
            for i in range(len(elements))
        ]
    for element, item in zip(elements, held, strict=True):
        assign_targets(state, element.value, item)


def _require_length(state: State, value: cst.Name, length: int) -> cst.Call:
    return cst.Call(
        func=cst.Attribute(value=cst.Name(state.names.module("_rt")), attr=cst.Name("require_length")),
        args=[cst.Arg(value), cst.Arg(cst.Integer(str(length))), cst.Arg(string(str(state.origin)))],
    )


def snapshot(state: State, value: cst.BaseExpression) -> cst.BaseExpression:
    """An atom holding ``value`` as it is now: a name the code may rebind later is copied."""
    atom = expressions.atom(state, value)
    if isinstance(atom, cst.Name) and not state.names.is_placeholder(atom.value):
        held = state.temp()
        assign_name(state, held, atom)
        return cst.Name(held)
    return atom


def set_item(state: State, target: cst.Subscript, value: cst.BaseExpression, operator=None, whole_name=False) -> None:
    """``y[index] = value``, or ``y[index] op= value``: ``+=`` (and ``-=``) add into y in place;
    other operators are ``y[index] = y[index] op value``, as numpy computes them."""
    if operator is None and dicts.set_item(state, target, value):
        return
    name = _updated_array(state, target)
    elements = expressions.index_elements(state, target)
    index_value = expressions.index_value(state, elements)
    if isinstance(operator, cst.SubtractAssign):
        value = cst.UnaryOperation(operator=cst.Minus(), expression=value)
    elif operator is not None and not isinstance(operator, cst.AddAssign):
        part = cst.Name(state.temp())
        getitem = cst.Subscript(value=cst.Name(name), slice=elements)
        state.emit_assign(
            part.value, getitem, "operator.getitem", {"a": cst.Name(name), "index": index_value}, False, state.origin
        )
        operator_name = type(operator).__name__.removesuffix("Assign")
        value = cst.BinaryOperation(left=part, operator=getattr(cst, operator_name)(), right=value)
        operator = None
    atom = expressions.atom(state, value)
    state.statements.append(
        ir.SetItem(
            state.next_id(), name, tuple(elements), index_value, atom, operator is not None, state.origin, whole_name
        )
    )


def _updated_array(state: State, target: cst.Subscript) -> str:
    """The name of the array ``target`` updates: a local array, or a temporary holding
    the view written (``y.T[0] = ...``, ``rows[0][1] = ...``), which s2sad.analysis.memory follows."""
    held = bare(target.value)
    if not isinstance(held, cst.Name):
        atom = expressions.atom(state, held)
        if not isinstance(atom, cst.Name):
            state.refuse(target, "assigning into a value that is not an array is")
        return atom.value
    name = held.value
    if name in state.lists or name not in state.unit.local_names:
        state.refuse(
            target,
            f"assigning into '{name}' (not an array made in this function) is",
            "make a new array first, for example y = np.zeros_like(x)",
        )
    return name


def augmented_assign(state: State, node: cst.AugAssign) -> None:
    """``a op= e`` on a name: ``a = a op e`` for a list or tuple, else as numpy does it to an array."""
    name = node.target.value
    if name not in state.lists and name not in state.tuples:
        _update_if_array(state, node)
    else:
        assign(state, [cst.AssignTarget(target=node.target)], binary(node))


def _update_if_array(state: State, node: cst.AugAssign) -> None:
    """``a op= e``: numpy updates an array in place (every name that sees it sees the update) but
    rebinds a number. Which one ``a`` holds is known at run time (s2sad.analysis.memory keeps the
    rebinding alone where no other name sees the array):

        _n1 = _rt.is_array(a)
        if _n1:
            a[...] op= e
        else:
            a = a op e
    """
    name = node.target.value
    flag = state.temp()
    test = cst.Call(
        func=cst.Attribute(value=cst.Name(state.names.module("_rt")), attr=cst.Name("is_array")),
        args=[cst.Arg(cst.Name(name))],
    )
    state.emit_assign(flag, test, None, {}, False, state.origin)
    with state.enclosed():
        with state.buffer() as body:
            whole = cst.Subscript(value=cst.Name(name), slice=[cst.SubscriptElement(cst.Index(cst.Ellipsis()))])
            set_item(state, whole, node.value, node.operator, whole_name=True)
        with state.buffer() as orelse:
            assign(state, [cst.AssignTarget(target=node.target)], binary(node))
    state.statements.append(ir.If(state.next_id(), cst.Name(flag), tuple(body), tuple(orelse), state.origin))


def append(state: State, call: cst.Call) -> None:
    name = call.func.value.value
    if name not in state.lists:
        state.refuse(
            call.func,
            f"appending to '{name}', which is not a list built in this function, is",
            f"start it here: {name} = []",
        )
    value = tuples.plain(state, expressions.atom(state, call.args[0].value))  # a tuple appended carries no derivative
    state.statements.append(ir.Append(state.next_id(), name, value, state.origin))


def update_call(state: State, call: cst.Call, name: str) -> None:
    """``np.put_along_axis(a, indices, values, axis)`` as the update numpy makes: ``a[index] = values``,
    the index built by the function's runtime helper (rules.UPDATES) from a's shape, so the update is
    differentiated (and checked) as any other."""
    positional, keywords = call_arguments(call)
    spelled = rules.spelling(name)
    try:
        bound = inspect.signature(rules.library_object(name)).bind(*positional, **keywords)
    except TypeError as error:
        state.refuse(
            call, f"this call of {spelled} ({error}) is", f"call it as numpy documents: {spelled}(a, i, v, axis)"
        )
    array, indices, values, axis = (bound.arguments.get(p) for p in ("arr", "indices", "values", "axis"))
    if not isinstance(bare(array), cst.Name):
        state.refuse(
            array, f"{spelled} into an array that is not held in a name is", "assign the array to a name first"
        )
    shape = expressions.atom(state, cst.Attribute(value=bare(array), attr=cst.Name("shape")))
    helper = cst.Attribute(value=cst.Name(state.names.module("_rt")), attr=cst.Name(rules.UPDATES[name]))
    arguments = [shape, expressions.atom(state, indices), expressions.atom(state, axis)]
    index = state.temp()
    # The index must not depend on what is differentiated (inactive_only), as any index.
    state.emit_assign(index, cst.Call(func=helper, args=[cst.Arg(a) for a in arguments]), None, {}, True, state.origin)
    element = cst.SubscriptElement(slice=cst.Index(value=cst.Name(index)))
    set_item(state, cst.Subscript(value=bare(array), slice=[element]), values)
