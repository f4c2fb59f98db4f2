"""Calls: library functions bound to their rules, array methods as the functions they are
(``x.sum()`` is ``np.sum(x)``), ``np.r_[...]`` / ``np.c_[...]`` as the concatenations numpy
makes, and the helpers s2sad itself calls (len, range). Calls of the user's functions are inlined."""

from __future__ import annotations

import libcst as cst

from s2sad import rules
from s2sad.normalize import comprehensions, derivatives, dicts, expressions, inlining
from s2sad.normalize.nodes import EQUALS, bare, call_arguments, module_name
from s2sad.normalize.state import State
from s2sad.core.facts import FunctionValue, Resolution
from s2sad.frontend.resolve import is_library_call
from s2sad.frontend.scope import dotted
from s2sad.rules import syntax


def call(state: State, node: cst.Call):
    """(value, rule, operands, inactive_only) for a call, its arguments made atoms."""
    node = inlining.named_lambdas(state, node)
    derivative = derivatives.called(state, node)
    if derivative is not None:
        return _inlined_value(state, node, dotted(node.func) or "s2sad", derivatives.lower(state, node, derivative))
    positional, keywords = call_arguments(node)
    function = node.func
    text = dotted(function)
    if isinstance(function, cst.Name) and function.value in state.local_functions:
        definition = state.local_functions[text]
        if isinstance(definition, inlining.Partial):
            return _partial_call(state, node, text, definition, positional, keywords)
        return _inlined_value(state, node, text, inlining.inline_local(state, node, definition, positional, keywords))
    if text is not None and state.resolution(text) == "function":
        value = inlining.inline(state, node, state.unit.resolutions[text], positional, keywords)
        return _inlined_value(state, node, text, value)
    if text is not None and state.resolution(text) not in (None, "global"):
        found = state.unit.resolutions[text]
        sized = dicts.length(state, positional[0]) if found.name == "builtins.len" and len(positional) == 1 else None
        if sized is not None:
            return sized, None, {}, False
        return apply(state, found.name, node, positional, keywords, kind=found.kind)
    if text is not None and state.resolution(text) == "global" and is_library_call(state.unit.resolutions[text]):
        return _library_call(state, node, state.unit.resolutions[text].name, positional, keywords)
    value = state.unit.resolutions[text].source if text is not None and state.resolution(text) == "global" else None
    if isinstance(value, FunctionValue):  # named as a value first (g(np.cos, x)), then called: np.cos(x)
        if value.kind == "function":
            resolution = Resolution("function", text, value.source)
            return _inlined_value(state, node, text, inlining.inline(state, node, resolution, positional, keywords))
        return apply(state, value.name, node, positional, keywords, kind=value.kind)
    if isinstance(function, cst.Attribute) and function.attr.value in dicts.METHODS:
        found = dicts.method(state, node, positional, keywords)
        if found is not None:
            return found
    if isinstance(function, cst.Attribute):
        return _method(state, node, positional, keywords)
    state.refuse(function, "calling this is")


def _partial_call(state: State, node: cst.Call, text: str, partial, positional, keywords):
    """A call of a functools.partial: its function called with its arguments, then the call's."""
    positional, keywords = [*partial.positional, *positional], {**partial.keywords, **keywords}
    target = partial.target
    if isinstance(target, inlining.Partial):
        return _partial_call(state, node, text, target, positional, keywords)
    if not isinstance(target, Resolution):  # a function defined inside
        return _inlined_value(state, node, text, inlining.inline_local(state, node, target, positional, keywords))
    if target.kind == "function":
        return _inlined_value(state, node, text, inlining.inline(state, node, target, positional, keywords))
    return apply(state, target.name, node.with_changes(func=partial.written), positional, keywords, kind=target.kind)


def _inlined_value(state: State, node: cst.Call, text: str, value):
    """The value of an inlined call, as an operation: one atom (a tuple's atoms are unpacked, not used whole)."""
    if isinstance(value, list):
        state.refuse(
            node,
            f"using the {len(value)} values '{text}' returns as one value is",
            "unpack them: a, b = f(...)",
        )
    if isinstance(value, cst.Name):
        return value, "s2sad.copy", {"x": value}, False
    return value, None, {}, False


def _library_call(state: State, node: cst.Call, name: str, positional, keywords):
    """A library function with no rule (``np.tril(np.ones((n, n)))``): called as written, in a
    statement of its own placed at the name called (activity refuses it there if a differentiated
    value flows into it); its value carries no derivative."""
    if rules.writes_out(name, positional, keywords):
        state.refuse(
            node,
            f"writing the result of {rules.spelling(name)} into an array given as out is",
            f"assign it instead: y = {rules.spelling(name)}(...)",
        )
    arguments = [cst.Arg(value=expressions.operand(state, value)) for value in positional]
    arguments += [
        cst.Arg(value=expressions.operand(state, value), keyword=cst.Name(key), equal=EQUALS)
        for key, value in keywords.items()
    ]
    held = _held(
        state, node.func, cst.Call(func=_library_function(state, node.func, name), args=arguments), None, {}, True
    )
    return held, "s2sad.copy", {"x": held}, False


def _library_function(state: State, function: cst.BaseExpression, name: str) -> cst.BaseExpression:
    """The function as written; through the module generated code imports itself when the user's
    name is that module (``np.tril`` with np numpy) or a builtin, which are not imported from the
    user's module (activity.library_called reads both spellings)."""
    root, *attributes = dotted(function).split(".")
    module, *rest = name.split(".")
    if attributes and attributes == rest and module in ("numpy", "math"):
        return module_name(state.names, name)
    if module == "builtins" and [root] == rest:
        return cst.Name(state.names.builtin(root))  # found as a builtin, not imported from the user's module
    return function


def _method(state: State, node: cst.Call, positional, keywords):
    """``x.sum(axis=1)``: the numpy function the method is, with the receiver first."""
    function = node.func
    method = function.attr.value
    numpy_name = syntax.METHODS.get(method)
    if numpy_name is None:
        state.refuse(
            function.attr,
            f"the array method '.{method}()' is",
            f"supported methods: {', '.join(sorted(syntax.METHODS))}",
        )
    receiver = function.value
    if method in syntax.COPYING_METHODS:  # always a copy, of what the function gives (maybe a view)
        function_name = numpy_name.rpartition(".")[2]
        viewed = expressions.atom(state, node.with_changes(func=function.with_changes(attr=cst.Name(function_name))))
        return apply(state, syntax.COPY, node, [viewed], {}, kind=rules.kind(syntax.COPY))
    if numpy_name == syntax.COPY and not positional and "order" not in keywords:
        keywords = {"order": cst.SimpleString('"C"')}  # x.copy() is C-ordered, np.copy(x) keeps x's order
    if method in syntax.PACKED_METHODS and len(positional) > 1:
        positional = [cst.Tuple(elements=[cst.Element(value=p) for p in positional])]
    return apply(state, numpy_name, node, [receiver, *positional], keywords, kind=rules.kind(numpy_name))


def apply(state: State, name: str, node: cst.CSTNode, positional, keywords, kind: str = "rule"):
    """A call of the library function ``name``, operands made atoms, bound to its rule."""
    if kind == "constant":
        state.refuse(node, f"calling {rules.spelling(name)} is", "use float(...) to convert a value")
    if kind == "update":
        state.refuse(
            node, f"the value of {rules.spelling(name)} (None: it updates its argument) is", "call it as a statement"
        )
    if kind == "iteration":
        state.refuse(node, f"{rules.spelling(name)}() other than in a for loop's header is")
    rule = rules.lookup(name) if kind == "rule" else None  # `name` as called: np.copy, float
    if rule is None and rules.writes_out(name, positional, keywords):
        state.refuse(
            node,
            f"writing the result of {rules.spelling(name)} into an array given as out is",
            f"assign it instead: y = {rules.spelling(name)}(...)",
        )
    sequences = rule.sequences if rule else ()
    positional = [_argument(state, rule, index, None, value, sequences) for index, value in enumerate(positional)]
    keywords = {key: _argument(state, rule, None, key, value, sequences) for key, value in keywords.items()}
    if rule is not None and rule.custom:
        # A user's function with a user's rule: called as written, found among the user's names.
        function = node.func
        for written in (rule.function, rule.tangent_function):
            if written is not None:
                state.shared.files.add((written.__code__.co_filename, written.__module__))
    else:
        function = module_name(state.names, name)
    value = cst.Call(
        func=function,
        args=[cst.Arg(value=v) for v in positional]
        + [cst.Arg(value=v, keyword=cst.Name(k), equal=EQUALS) for k, v in keywords.items()],
    )
    if rule is None:
        return value, None, {}, kind == "inactive_only"
    try:
        rule, bound = rules.binding(rule, positional, keywords)
    except TypeError as error:
        state.refuse(
            node,
            f"this call of {rules.spelling(name)} ({error}) is",
            f"s2sad differentiates {rules.spelling(name)}{rule.signature}",
        )
    operands = {
        parameter: (
            tuple(e.value for e in operand.elements)
            if parameter in sequences and isinstance(operand, (cst.Tuple, cst.List))
            else operand
        )
        for parameter, operand in bound.arguments.items()
    }
    return value, rule.name, operands, False


def _argument(state: State, rule, index, keyword, value, sequences):
    """An argument made an operand; a rule's sequence parameter (np.stack's arrays) a list of atoms."""
    if rule is None:
        return expressions.operand(state, value)
    parameter = keyword if keyword is not None else _positional_parameter(rule, index)
    written = bare(value)
    if (
        parameter in rule.differentiable
        and parameter not in sequences
        and (isinstance(written, cst.Name) and written.value in state.tuples)
    ):
        state.refuse(
            value,
            f"passing the tuple '{written.value}' as '{parameter}' of {rules.spelling(rule.name)} is",
            "pass an array: np.array(t) or np.stack(t)",
        )
    if parameter not in sequences or parameter == rule.variadic:  # a variadic parameter's items come one by one
        operand = expressions.operand(state, value)
        form = state.structures.get(operand.value) if isinstance(operand, cst.Name) else None
        whole = form is not None and form[0] in ("items", "positions") and rule.name not in syntax.CONTAINERS_TO_ARRAYS
        if parameter in rule.differentiable and whole:
            state.refuse(  # numpy would make an array of it, which the rule's adjoint does not give back
                value,
                f"passing a list or tuple argument whole as '{parameter}' of {rules.spelling(rule.name)} is",
                "make an array of it first: np.asarray(x), np.array(x) or np.stack(x)",
            )
        return operand
    value = written
    if isinstance(value, (cst.ListComp, cst.GeneratorExp)):
        return comprehensions.lower(state, value)  # a list the function builds
    if isinstance(value, cst.Name) and value.value in state.lists:
        return value
    if isinstance(value, cst.Name) and value.value in state.tuples:
        return cst.Tuple(elements=[cst.Element(i) for i in state.tuples[value.value]])
    if parameter in rule.whole and not isinstance(value, (cst.Tuple, cst.List)):
        return expressions.operand(state, value)  # one array: np.array(x, dtype=float)
    if not isinstance(value, (cst.Tuple, cst.List)):
        state.refuse(
            value,
            f"passing {parameter} of {rules.spelling(rule.name)} other than as a list written out is",
            "write the list out, like np.stack([a, b])",
        )
    return expressions.operand(state, value)


def _positional_parameter(rule, index: int) -> str | None:
    """The rule parameter a call's positional argument ``index`` binds to (a variadic one takes the rest)."""
    for position, parameter in enumerate(rule.signature.parameters.values()):
        if parameter.kind is parameter.VAR_POSITIONAL or position == index:
            return parameter.name
    return None


def helper_call(state: State, name: str, *args: cst.BaseExpression) -> cst.Name:
    """A temporary holding ``name(*args)`` for a helper s2sad itself calls (len, range)."""
    value, _, _, inactive_only = apply(state, name, None, list(args), {}, kind=rules.kind(name))
    value = value.with_changes(func=cst.Name(state.names.builtin(name.rpartition(".")[2])))
    held = state.temp()
    state.emit_assign(held, value, None, {}, inactive_only, state.origin)
    return cst.Name(held)


def index_helper(state: State, base: cst.BaseExpression) -> str | None:
    """The qualified name of numpy's index helper (``numpy.r_``) that ``base`` names, else None."""
    text = dotted(bare(base))
    if text is None or state.resolution(text) != "constant":
        return None
    name = state.unit.resolutions[text].name
    return name if name in syntax.CONCATENATORS or name in syntax.INDEX_BUILDERS else None


def concatenation(state: State, node: cst.Subscript, helper: str):
    """``np.r_[...]`` / ``np.c_[...]`` as numpy builds them, from rules (issue 13)::

        np.r_[a, 0:3, 2.0]    np.concatenate([np.atleast_1d(a), np.arange(0, 3), np.atleast_1d(2.0)])
        np.c_[a, b]           np.concatenate([_rt.column(a), _rt.column(b)], axis=-1)

    A slice is a range (np.arange), a list or tuple an array; directive strings (``'r'``,
    ``'0,2'``) are refused (check.py refuses complex steps such as ``0:1:5j``).
    """
    piece_rule, axis = syntax.CONCATENATORS[helper]
    spelled = rules.spelling(helper)
    items = [element.slice for element in node.slice]
    if len(items) == 1 and isinstance(items[0], cst.Index) and isinstance(bare(items[0].value), cst.Tuple):
        items = [element.value for element in bare(items[0].value).elements]  # np.r_[(a, b)] is np.r_[a, b]
    pieces = []
    for item in items:
        if isinstance(item, cst.Index):
            if item.star is not None:
                state.refuse(item, f"unpacking into {spelled}[...] is", syntax.JOIN_HINTS[helper])
            item = item.value
        if isinstance(item, cst.Slice):  # a range: 1-D already, made a column for np.c_
            made = _range_piece(state, item)
            pieces.append(made if axis is None else _held(state, item, *apply(state, piece_rule, item, [made], {})))
            continue
        written = bare(item)
        if isinstance(written, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            state.refuse(item, f"a directive string in {spelled}[...] is", syntax.JOIN_HINTS[helper])
        if isinstance(written, (cst.List, cst.Tuple)) or (
            isinstance(written, cst.Name) and (written.value in state.lists or written.value in state.tuples)
        ):
            made = _held(state, item, *apply(state, syntax.ARRAY, item, [item], {}))  # numpy makes it an array
        else:
            made = expressions.atom(state, item)
        pieces.append(_held(state, item, *apply(state, piece_rule, item, [made], {})))
    keywords = {} if axis is None else {"axis": cst.parse_expression(axis)}
    return apply(state, syntax.CONCATENATE, node, [cst.List(elements=[cst.Element(p) for p in pieces])], keywords)


def _range_piece(state: State, item: cst.Slice) -> cst.Name:
    """A slice in ``np.r_[...]``: ``np.arange(start, stop, step)`` as numpy reads it (no start: 0).
    Its bounds must stay inactive."""
    start = item.lower if item.lower is not None else cst.Integer("0")
    stop = item.upper if item.upper is not None else cst.Name("None")
    arguments = [start, stop] + ([item.step] if item.step is not None else [])
    return _held(state, item, *apply(state, syntax.RANGE, item, arguments, {}, kind="inactive_only"))


def _held(state: State, node: cst.CSTNode, value, rule, operands, inactive_only) -> cst.Name:
    """A temporary holding one operation made here (``apply``'s result), placed where ``node`` is written."""
    name = state.temp()
    state.emit_assign(name, value, rule, operands, inactive_only, state.where(node))
    return cst.Name(name)
