"""Inlining a call of the user's own function: its body, lowered and renamed, in place of the call.

Inlining (rather than a forward/reverse pair per function) gives each call site
its own activity and lets the callee's loops and branches use the one tape.
Recursion is unrolled while generation can decide where it stops: a recursive call must pass an
integer written out (or computed from such: ``power(x, n - 1)`` inside ``power(x, 5)``) or an array
of known shape, so that the callee's tests on them are decided (normalize/known.py), and it may go
RECURSION_LIMIT levels deep. Any other recursive call is refused where it is written.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

import libcst as cst

import s2sad

from s2sad.core import ir
from s2sad.core.naming import names_in
from s2sad.frontend import load, prepare
from s2sad.frontend.resolve import is_library_file
from s2sad.errors import NotFound, S2SADError, UndecidedRecursion, UnsupportedSyntax
from s2sad.normalize import assignments, dicts, expressions, known, statements, tuples
from s2sad.normalize.nodes import bare, bindings, call_arguments
from s2sad.normalize.state import State
from s2sad.frontend.scope import dotted
from s2sad.rules.templates import substitute
from s2sad.core.facts import FunctionValue, Resolution
from s2sad.core.unit import Unit


def define(state: State, name: str, definition: cst.FunctionDef | cst.Lambda) -> None:
    """A function defined inside the function (``def``, or ``name = lambda ...``): kept, to be inlined
    where it is called. Defined in a branch or a loop, which one a call meant would depend on the path."""
    if state.depth:
        state.refuse(definition, "a function defined inside a branch or loop is", "define it before the branch or loop")
    state.local_functions[name] = as_function(name, definition) if isinstance(definition, cst.Lambda) else definition


def as_function(name: str, definition: cst.Lambda) -> cst.FunctionDef:
    body = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Return(value=definition.body)])])
    return cst.FunctionDef(name=cst.Name(name), params=definition.params, body=body)


def named_lambdas(state: State, node: cst.Call) -> cst.Call:
    """``node`` with each lambda it calls or passes (``(lambda v: v * v)(x)``, ``apply(lambda v: ..., h)``)
    named, as a function defined inside, there: made where it is called, it means one function on any path."""

    def named(expression: cst.BaseExpression) -> cst.BaseExpression:
        if not isinstance(expression, cst.Lambda):
            return expression
        name = state.names.role(f"v_lambda_{next(state.shared.temps)}")
        state.local_functions[name] = as_function(name, expression)
        return cst.Name(name)

    if not any(isinstance(e, cst.Lambda) for e in (node.func, *(arg.value for arg in node.args))):
        return node  # the node itself: where errors point
    return node.with_changes(
        func=named(node.func), args=[arg.with_changes(value=named(arg.value)) for arg in node.args]
    )


@dataclasses.dataclass(frozen=True)
class Closure:
    """A function defined inside, passed to a helper: the names of the function around it that it reads
    were read into temporaries where it was passed (``captured``: name -> temporary; the helper cannot
    rebind them, so they are the same when it calls it), and its globals are those of ``unit``, where it
    is written."""

    definition: cst.FunctionDef
    unit: Unit
    captured: dict[str, str]


@dataclasses.dataclass(frozen=True)
class Partial:
    """``functools.partial(fn, *args, **kwargs)``: ``fn`` resolved where it is written (a resolution, a
    function defined inside, a closure or another partial), its arguments atoms computed there."""

    target: object
    written: cst.BaseExpression
    positional: tuple
    keywords: dict


def is_partial(state: State, node: cst.BaseExpression) -> bool:
    """Whether ``node`` is a call of functools.partial."""
    node = bare(node)
    text = dotted(node.func) if isinstance(node, cst.Call) else None
    found = state.unit.resolutions.get(text) if text is not None and state.resolution(text) else None
    return found is not None and found.name == "functools.partial"


def partial(state: State, node: cst.Call) -> Partial:
    """``functools.partial(fn, ...)``: its arguments computed now, as Python computes them; ``fn`` must be
    known here (a function of the user's, one defined inside, a library function with a rule)."""
    if state.depth:
        state.refuse(node, "functools.partial inside a branch or loop is", "make it before the branch or loop")
    positional, keywords = call_arguments(node)
    if not positional:
        state.refuse(node, "functools.partial without a function is")
    function, *bound = positional
    return Partial(
        _function_named(state, function),
        bare(function),
        tuple(assignments.snapshot(state, value) for value in bound),
        {key: assignments.snapshot(state, value) for key, value in keywords.items()},
    )


def _function_named(state: State, node: cst.BaseExpression):
    """What the function ``node`` names is, resolved here: a resolution, or a function defined inside."""
    text = dotted(bare(node))
    if text in state.local_functions:
        return state.local_functions[text]
    found = state.unit.resolutions.get(text) if text is not None and state.resolution(text) else None
    if found is not None and isinstance(found.source, FunctionValue):
        name = text if found.source.kind == "function" else found.source.name
        return Resolution(found.source.kind, name, found.source.source)
    if found is not None and found.kind in ("function", "rule", "zero_derivative", "inactive_only"):
        return found
    state.refuse(
        node,
        "functools.partial of a function not known where the partial is made is",
        "give it a function of yours, one defined in the function, or a numpy function, by its name",
    )


def inline_local(state: State, node: cst.Call, definition, positional, keywords):
    """A call of a function defined inside: inlined as the user's other functions are; the enclosing
    function's names it reads are read as they are at the call (Python's closures do the same)."""
    unit, enclosing, neighbours = state.unit, state.unit.local_names | state.unit.enclosing_names, state.local_functions
    captured = {}
    if isinstance(definition, Closure):  # passed to the helper being inlined: written in another function
        unit, captured, neighbours = definition.unit, definition.captured, {}
        enclosing, definition = frozenset(captured), definition.definition
    callee = dataclasses.replace(
        unit,
        name=definition.name.value,
        function=definition,
        resolutions={},
        local_names=frozenset(),
        enclosing_names=enclosing,
    )
    callee = prepare.run(callee, state.shared.options)
    # Called from inside another function defined inside: its names would be renamed as that one's.
    clashing = sorted((set(names_in(definition)) - callee.local_names - set(captured)) & state.unit.local_names)
    if (state.unit.enclosing_names or unit is not state.unit) and clashing:
        state.refuse(
            node,
            f"calling '{callee.name}', which reads '{clashing[0]}' of the function around it, from "
            f"'{state.unit.name}', which has a '{clashing[0]}' of its own, is",
            "give one of them another name",
        )
    return _inlined(state, node, callee, positional, keywords, dict(neighbours), captured)


def inline(state: State, node: cst.Call, resolution, positional, keywords):
    """The callee's body lowered into ``state``; what it returns (an atom, or atoms for a tuple)."""
    with _located_at_call(state, node):
        return _inlined(state, node, _callee(state, node, resolution), positional, keywords)


@contextlib.contextmanager
def _located_at_call(state: State, node: cst.Call):
    """An error in the callee's code, located where the user can act: in a library's, s2sad's own or
    generated code, at this call (the inner place kept as context); in a helper of the user's in another
    file, where it is, with this call as context."""
    try:
        yield
    except S2SADError as error:
        call = state.where(node)
        if error.origin == call or not _is_user_file(call.path):
            raise  # nothing to add, or this call is not the user's either: the caller's call will say
        if error.origin is None:
            raise error.relocated(call, error.message, error.hint, ()) from None
        if _is_user_file(error.origin.path):
            if error.origin.path == call.path:
                raise
            raise error.relocated(error.origin, error.message, error.hint, (f"called from {call}",)) from None
        name = dotted(node.func) or "this function"
        raise error.relocated(
            call,
            f"'{name}' cannot be differentiated: {_whose(error.origin.path)} code it runs is refused",
            f"give '{name}' a derivative with @s2sad.rule (see the README), or compute it outside the "
            "differentiated function",
            (f"in {error.origin}: {error.message}",),
        ) from None


def _whose(path: str) -> str:
    if path.startswith("<s2sad "):
        return "the generated"
    return "a library's" if is_library_file(path) else "s2sad's own"


def _is_user_file(path: str) -> bool:
    """Whether ``path`` is the user's code: not a library's file, s2sad's own or a generated module."""
    if path.startswith("<s2sad ") or is_library_file(path):
        return False
    return not Path(path).resolve().is_relative_to(Path(s2sad.__file__).resolve().parent)


def _inlined(state: State, node: cst.Call, callee: Unit, positional, keywords, local_functions=None, captured=None):
    """``callee`` inlined; ``local_functions``: those a function defined inside may call (its neighbours);
    ``captured``: the names of the function around it a closure reads -> the temporaries holding them."""
    state.shared.files.add((callee.filename, callee.module_name))
    callee, functions = _functions_passed(state, callee, positional, keywords)
    passed_locals = _locals_passed(state, callee, positional, keywords)
    if passed_locals:  # the parameters are the functions, inlined where the callee calls them
        callee = dataclasses.replace(callee, local_names=callee.local_names - set(passed_locals))
        positional = [cst.Name("None") if _local_function(state, a) else a for a in positional]
        keywords = {k: cst.Name("None") if _local_function(state, a) else a for k, a in keywords.items()}
    # A dict written here, passed on: the callee's parameter is the same dict (its items known there too).
    passed_dicts = {p: dicts.held(state, a) for p, a in _passed(callee, positional, keywords).items()}
    passed_dicts = {p: items for p, items in passed_dicts.items() if items is not None}
    positional = [cst.Name("None") if dicts.held(state, a) is not None else a for a in positional]
    keywords = {k: cst.Name("None") if dicts.held(state, a) is not None else a for k, a in keywords.items()}
    functions = functions | set(passed_dicts) | set(passed_locals)
    inner = State(callee, state.shared)
    inner.known = _known_arguments(state, inner, _passed(callee, positional, keywords))
    _recursion(state, node, callee, inner.known)
    inner.dicts.update(passed_dicts)
    inner.local_functions = {**(local_functions or {}), **passed_locals}
    inner_dicts = set(inner.mappings)  # the parameters the callee reads as dicts
    inner.origin = state.origin
    params = callee.function.params
    declared = [*params.posonly_params, *params.params, *params.kwonly_params]
    arguments = _bind(state, node, callee, declared, positional, keywords)
    collector, collected = _keywords_collected(callee, arguments)
    if collector is not None:
        inner.dicts[collector] = collected
    arguments = {name: argument for name, argument in arguments.items() if name not in functions}
    for name, argument in arguments.items():
        if isinstance(argument, cst.Name) and argument.value in state.structures:  # a container of known form
            inner.structures[name] = state.structures[argument.value]
            inner.lists.add(name)
            inner.ever_lists.add(name)
        items = tuples.static_tuple(state, argument) if tuples.is_static_tuple(state, argument) else None
        if items is not None:  # a tuple: the callee uses its items, as the caller would
            inner.tuples[name] = items
            arguments[name] = cst.Tuple(elements=[cst.Element(value=i) for i in items])
    with _on_stack(inner), inner.buffer() as defaults:
        for param in declared:
            if param.name.value not in arguments and param.name.value not in functions:
                assignments.assign_name(inner, param.name.value, param.default)
    with _on_stack(inner):
        body, value = statements.body(inner)
    renames = _renames(state, callee, inner.serial) | (captured or {})
    for name, argument in arguments.items():
        if name in inner_dicts and isinstance(argument, cst.Name):  # the caller's name holds a dict too
            state.mappings.add(argument.value)
            state.lists.add(argument.value)
            state.ever_lists.add(argument.value)
        assignments.assign_name(state, renames[name], argument)
    state.statements.extend(ir.rename(defaults, renames))
    state.statements.extend(ir.rename(body, renames))
    state.shared.lists.update(renames.get(n, n) for n in inner.ever_lists)
    replacements = {old: cst.Name(new) for old, new in renames.items()}
    if isinstance(value, list):
        return [substitute(v, replacements) for v in value]
    return substitute(value, replacements)


RECURSION_LIMIT = 12  # levels of a recursion unrolled, at most


@contextlib.contextmanager
def _on_stack(inner: State):
    """While the callee is lowered: on the stack of functions being inlined, with what its call knows."""
    function = (inner.unit.path, inner.unit.name)
    inner.shared.stack.append(function)
    inner.shared.known_at[function].append(inner.known)
    try:
        yield
    finally:
        inner.shared.stack.pop()
        inner.shared.known_at[function].pop()


def _known_arguments(state: State, inner: State, passed: dict) -> dict[str, object]:
    """The callee's parameters (never rebound in it) whose arguments generation knows: integers, shapes."""
    values = {parameter: known.known_value(state, argument) for parameter, argument in passed.items()}
    return {p: value for p, value in values.items() if value is not None and not inner.bindings[p]}


def _recursion(state: State, node: cst.Call, callee: Unit, values: dict) -> None:
    """A recursive call is unrolled only while generation can decide where it stops; else refused.

    Its arguments must change from the caller's in what generation knows. Where what changes depends
    on arguments of the differentiated function (``known.Symbolic``: the code for any arguments is being
    made), their shapes at a call may decide it: UndecidedRecursion makes it again for each call's."""
    depth = state.shared.stack.count((callee.path, callee.name))
    if not depth:
        return
    caller = state.shared.known_at[(callee.path, callee.name)][-1]  # what its nearest call knew
    changed = [value for name, value in values.items() if caller.get(name) != value]
    where = state.where(node)
    message = (
        f"a recursive call of '{callee.name}' whose arguments generation does not know (so neither where the "
        "recursion stops) is not supported"
    )
    hint = (
        "s2sad unrolls recursion on integers written out (power(x, 5)) or on the shapes of the arrays a "
        "call gives; otherwise write the recursion as a loop"
    )
    if any(isinstance(value, known.Symbolic) for value in changed):
        raise UndecidedRecursion(message, where, hint=hint)
    if not changed:
        raise UnsupportedSyntax(message, where, hint=hint)
    if depth >= RECURSION_LIMIT:
        state.refuse(
            node,
            f"recursion of '{callee.name}' more than {RECURSION_LIMIT} levels deep (or whose stopping test "
            "generation cannot decide) is",
            "write the recursion as a loop, or recurse fewer times",
        )


def _passed(callee: Unit, positional, keywords) -> dict:
    """The call's arguments as written, by the callee's parameter names."""
    params = callee.function.params
    declared = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    return dict(zip(declared, positional, strict=False)) | keywords


def _functions_passed(state: State, callee: Unit, positional, keywords) -> tuple[Unit, frozenset[str]]:
    """Arguments that are functions (``apply(np.tanh, h)``, ``integrate(rhs, y0)``): the callee's parameter
    resolves to the function, so its calls are the function's. The callee so prepared, and those parameters."""
    functions = {}
    for parameter, argument in _passed(callee, positional, keywords).items():
        text = dotted(bare(argument))
        if _local_function(state, argument):
            continue  # _locals_passed
        found = state.unit.resolutions.get(text) if text is not None and text not in state.unit.local_names else None
        if found is not None and isinstance(found.source, FunctionValue):
            functions[parameter] = Resolution(found.source.kind, found.source.name, found.source.source)
        elif found is not None and found.kind in ("function", "rule", "zero_derivative", "inactive_only"):
            functions[parameter] = found  # called here too, or a parameter that is one already
    if functions:
        callee = dataclasses.replace(
            callee, resolutions={**callee.resolutions, **functions}, local_names=callee.local_names - set(functions)
        )
    return callee, frozenset(functions)


def _local_function(state: State, argument: cst.BaseExpression) -> bool:
    """Whether ``argument`` is a function defined inside, or a functools.partial."""
    argument = bare(argument)
    return (isinstance(argument, cst.Name) and argument.value in state.local_functions) or is_partial(state, argument)


def _locals_passed(state: State, callee: Unit, positional, keywords) -> dict:
    """Functions defined inside (and partials) passed to ``callee``: by its parameter names, closed."""
    passed = {}
    for parameter, argument in _passed(callee, positional, keywords).items():
        if _local_function(state, argument):
            argument = bare(argument)
            entry = partial(state, argument) if is_partial(state, argument) else state.local_functions[argument.value]
            passed[parameter] = _closed(state, entry, argument)
    return passed


def _closed(state: State, entry, argument: cst.BaseExpression):
    """A function defined inside (or a partial of one), as a Closure the helper it is passed to can call."""
    if isinstance(entry, Partial):
        return dataclasses.replace(entry, target=_closed(state, entry.target, argument))
    if not isinstance(entry, cst.FunctionDef):
        return entry  # a resolution, or closed already
    params = entry.params
    own = set(bindings(entry)) | {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    own.add(entry.name.value)
    free = sorted((set(names_in(entry)) - own) & (state.unit.local_names | state.unit.enclosing_names))
    calling = [name for name in free if name in state.local_functions]
    if calling:
        state.refuse(
            argument,
            f"passing '{entry.name.value}', which calls '{calling[0]}' (also defined inside), to a function is",
            "pass the function it calls too, or call it where it is defined",
        )
    captured = {name: assignments.snapshot(state, cst.Name(name)).value for name in free}
    return Closure(entry, state.unit, captured)


def _callee(state: State, node: cst.Call, resolution) -> Unit:
    """The called function, loaded and prepared as the pipeline prepares the user's."""
    source = resolution.source
    try:
        callee = load.from_function(source) if callable(source) else load.from_file(*source)
    except NotFound as error:
        if error.origin is not None:
            raise
        raise NotFound(f"{error.message}, which is called here", state.where(node), error.hint) from None
    return prepare.run(callee, state.shared.options)


def _renames(state: State, callee: Unit, serial: int) -> dict[str, str]:
    """The callee's names -> names of their own in the caller: its locals, and the globals of
    another module it reads (recorded in ``foreign``, which the generated module imports)."""
    renames = {name: state.names.role(f"v_{name}_{serial}") for name in sorted(callee.local_names)}
    if callee.module_name != state.unit.module_name or callee.path != state.unit.path:
        for text, found in sorted(callee.resolutions.items()):
            root = text.split(".")[0]
            if found.kind == "global" and root not in renames:
                renames[root] = state.names.role(f"v_{root}_{serial}")
                # an empty dict reads live
                where = callee.live_globals if callee.live_globals is not None else callee.module_name
                state.shared.foreign[renames[root]] = (where, root)
    return renames


def _bind(state: State, node, callee: Unit, declared, positional, keywords) -> dict[str, cst.BaseExpression]:
    """The call's arguments (atoms, in the caller's names) by the callee's parameter names."""
    positional = [expressions.operand(state, value) for value in positional]
    keywords = {key: expressions.operand(state, value) for key, value in keywords.items()}
    names = [p.name.value for p in declared]
    by_position = [p.name.value for p in declared if p not in callee.function.params.kwonly_params]
    if len(positional) > len(by_position) and not isinstance(callee.function.params.star_arg, cst.Param):
        state.refuse(
            node,
            f"calling '{callee.name}' with {len(positional)} positional arguments is",
            f"it takes {len(by_position)}",
        )
    bound = dict(zip(by_position, positional, strict=False))
    star = callee.function.params.star_arg
    if isinstance(star, cst.Param):  # *args: the call's extra positional arguments, a tuple known here
        bound[star.name.value] = cst.Tuple(elements=[cst.Element(v) for v in positional[len(by_position) :]])
    collects = isinstance(callee.function.params.star_kwarg, cst.Param)
    for key, value in keywords.items():
        if (key not in names and not collects) or key in bound:
            state.refuse(
                node, f"the keyword argument '{key}' of '{callee.name}' is", f"its parameters: {', '.join(names)}"
            )
        bound[key] = value
    missing = [p.name.value for p in declared if p.name.value not in bound and p.default is None]
    if missing:
        state.refuse(node, f"calling '{callee.name}' without {', '.join(missing)} is")
    return bound


def _keywords_collected(callee: Unit, bound: dict) -> tuple[str | None, dict]:
    """``**kwargs``: its name, and the call's keyword arguments no parameter takes, a dict known here
    (key -> (key as written, atom)); they leave ``bound``."""
    star = callee.function.params.star_kwarg
    if not isinstance(star, cst.Param):
        return None, {}
    params = callee.function.params
    names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    if isinstance(params.star_arg, cst.Param):
        names.add(params.star_arg.name.value)
    extra = {key: (cst.SimpleString(repr(key)), bound.pop(key)) for key in list(bound) if key not in names}
    return star.name.value, extra


def returned_tuple(state: State, value: cst.BaseExpression):
    """What a call of the user's function returns, inlined: atoms for a tuple, else one atom.

    None when ``value`` is not such a call.
    """
    value = bare(value)
    if not isinstance(value, cst.Call):
        return None
    from s2sad.normalize import derivatives  # (it inlines jvps with this module)

    derivative = derivatives.called(state, value)
    if derivative is not None:
        return derivatives.lower(state, value, derivative)
    text = dotted(value.func)
    if text is None or state.resolution(text) != "function":
        return None
    value = named_lambdas(state, value)
    positional, keywords = call_arguments(value)
    return inline(state, value, state.unit.resolutions[text], positional, keywords)
