"""Statements kept for what they do around the maths, in the forward sweep only: ``assert`` and
``raise`` guards, calls made for their effect (``print``, ``logging``), ``with np.errstate(...)``.

They carry no derivative and the reverse sweep never runs them again::

    assert x.ndim == 1, "a vector"      _n1 = x.ndim
                                        if not _n1 == 1:
                                            _rt.fail(AssertionError("a vector"))
    with np.errstate(divide="ignore"):  _n3 = np.errstate(divide="ignore"); _rt.enter(_n3)
        y = np.log(x)                   y = np.log(x)
                                        _rt.leave(_n3)
"""

from __future__ import annotations

import libcst as cst

from s2sad.core import ir
from s2sad.normalize import calls, control, expressions, statements
from s2sad.normalize.nodes import call_arguments, statements_of
from s2sad.normalize.state import State
from s2sad.rules import syntax
from s2sad.frontend.scope import dotted


def _runtime_call(state: State, helper: str, *args: cst.BaseExpression) -> None:
    function = cst.Attribute(value=cst.Name(state.names.module("_rt")), attr=cst.Name(helper))
    value = cst.Call(func=function, args=[cst.Arg(a) for a in args])
    state.statements.append(ir.Guard(state.next_id(), value, state.origin))


def assert_statement(state: State, node: cst.Assert) -> None:
    """``assert test, message``: the message is computed only when the test fails, as Python does."""
    test = control.condition(state, node.test)
    with state.enclosed(), state.buffer() as failing:
        message = [expressions.atom(state, node.msg)] if node.msg is not None else []
        error = state.temp()
        raised = cst.Call(func=cst.Name(state.names.builtin("AssertionError")), args=[cst.Arg(m) for m in message])
        state.emit_assign(error, raised, None, {}, False, state.origin)
        _runtime_call(state, "fail", cst.Name(error))
    failed = cst.UnaryOperation(operator=cst.Not(), expression=test)
    state.statements.append(ir.If(state.next_id(), failed, tuple(failing), (), state.origin))


def raise_statement(state: State, node: cst.Raise) -> None:
    """``raise SomeError(message)``: the exception is made and raised where it is written."""
    if node.exc is None or node.cause is not None:
        state.refuse(node, "a bare raise, or raise ... from ..., is", "raise an exception: raise ValueError('...')")
    exception = _library_value(state, node.exc) or expressions.atom(state, node.exc)
    _runtime_call(state, "fail", exception)


def _library_value(state: State, node: cst.BaseExpression) -> cst.Name | None:
    """A call of a library class or function made for a message (``ValueError(x)``): held in a name, its
    arguments atoms, which may depend on what is differentiated (no derivative flows out of it)."""
    text = dotted(node.func) if isinstance(node, cst.Call) else None
    found = state.unit.resolutions.get(text) if text is not None else None
    if found is None or found.kind != "global" or text.split(".")[0] in state.unit.local_names:
        return None
    positional, keywords = call_arguments(node)
    value, *_ = calls.apply(state, found.name, node, positional, keywords, kind=None)
    held = state.temp()
    state.emit_assign(held, value, None, {}, False, state.origin)
    return cst.Name(held)


def effect_call(state: State, node: cst.Expr) -> bool:
    """A call of a library function made for its effect (``print(...)``, ``logging.info(...)``): kept as it
    is, on atoms. False if the callee is not one (the caller decides what else it may be)."""
    text = dotted(node.value.func)
    found = state.unit.resolutions.get(text) if text is not None else None
    if found is None or found.kind != "global" or text.split(".")[0] in state.unit.local_names:
        return False
    positional, keywords = call_arguments(node.value)
    value, *_ = calls.apply(state, found.name, node.value, positional, keywords, kind=None)
    state.statements.append(ir.Guard(state.next_id(), value, state.origin))
    return True


def with_statement(state: State, node: cst.With) -> set[str]:
    """``with np.errstate(...):``: the body lowered in place, the context entered before it and left after."""
    if len(node.items) != 1 or node.items[0].asname is not None or node.asynchronous is not None:
        state.refuse(node, "this with statement is", "write one context: with np.errstate(divide='ignore'):")
    manager = node.items[0].item
    text = dotted(manager.func) if isinstance(manager, cst.Call) else None
    found = state.unit.resolutions.get(text) if text is not None else None
    if found is None or found.name not in syntax.CONTEXTS:
        state.refuse(node, "a with statement other than with np.errstate(...) is", "move the body out of it")
    if control.jumps_in(state, node.body):
        state.refuse(node, "return, break or continue inside a with block is", "set a flag, and act on it after")
    context = expressions.atom(state, manager)
    _runtime_call(state, "enter", context)
    state.statements.extend(statements.block(state, statements_of(node.body)))
    _runtime_call(state, "leave", context)
    return set()
