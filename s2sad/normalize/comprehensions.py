"""List comprehensions and generator expressions, lowered to the loop that builds their list::

    ys = [np.sin(v) * w for v in xs if v > 0]        items = []
                                                      for v_1 in xs:
                                                          if v_1 > 0:
                                                              items.append(np.sin(v_1) * w)
                                                      ys = items

A generator expression is built the same way, whole, where it is written (``sum(x[i] ** 2 for i in
range(n))``): the values are the same; only laziness is lost. The comprehension's variables are its own,
as in Python: renamed, they never overwrite the function's names of the same spelling. Several ``for``
clauses nest in order, each ``if`` inside the ``for`` before it.
"""

from __future__ import annotations

import libcst as cst

from s2sad.normalize import assignments, control, dicts
from s2sad.normalize.nodes import bare
from s2sad.normalize.state import State

Comprehension = cst.ListComp | cst.GeneratorExp


def lower(state: State, node: Comprehension) -> cst.Name:
    """Build the comprehension's list, before the statement that reads it; the name holding it."""
    (items,) = build(state, node, [node.elt])
    return items


def build(state: State, node, elements: list[cst.BaseExpression]) -> list[cst.Name]:
    """The comprehension's loop, appending each of ``elements`` to a list of its own (a dict
    comprehension's keys and values); the names holding the lists."""
    renames: dict[str, str] = {}
    loops = []
    for clause in _clauses(node.for_in):
        if clause.asynchronous is not None:
            state.refuse(clause, "async comprehensions are")
        # Its iterable is read in the scope around it: the names of the clauses before, not its own.
        iterable = _Renamed(renames).rename(clause.iter)
        for name in _bound(state, clause.target):
            renames[name] = state.names.role(f"v_{name}_{next(state.shared.temps)}")
        target = _Renamed(renames).rename(clause.target)
        tests = [_Renamed(renames).rename(test.test) for test in clause.ifs]
        loops.append((target, iterable, tests))
    lists = []
    appends = []
    for element in elements:
        items = state.names.role(f"v_items_{next(state.shared.temps)}")
        assignments.assign_name(state, items, cst.List(elements=[]))
        lists.append(cst.Name(items))
        append = cst.Call(
            func=cst.Attribute(value=cst.Name(items), attr=cst.Name("append")),
            args=[cst.Arg(value=_Renamed(renames).rename(element))],
        )
        appends.append(cst.SimpleStatementLine(body=[cst.Expr(value=append)]))
    body: list[cst.BaseStatement] = appends
    for target, iterable, tests in reversed(loops):
        for test in reversed(tests):
            body = [cst.If(test=test, body=cst.IndentedBlock(body=body))]
        body = [cst.For(target=target, iter=iterable, body=cst.IndentedBlock(body=body))]
    control.for_loop(state, dicts.keyed_loop(state, body[0]))
    return lists


def assigned(state: State, node: cst.Assign) -> bool:
    """``q = {k: v for ...}`` (a dict: dicts.comprehension) or ``s = {v for ...}`` (a set, which carries no
    derivative: nothing differentiated may go into it), lowered; False for another assignment."""
    value = bare(node.value)
    if not isinstance(value, (cst.DictComp, cst.SetComp)):
        return False
    target = node.targets[0].target
    if len(node.targets) != 1 or not isinstance(target, cst.Name):
        state.refuse(node, "assigning a dict or set comprehension other than to one name is", "q = {...}")
    if state.depth and state.bindings[target.value] > 1:
        state.refuse(value, f"rebinding the dict or set '{target.value}' inside a branch or loop is", "use one name")
    if isinstance(value, cst.DictComp):
        dicts.comprehension(state, target.value, value)
        return True
    (items,) = build(state, value, [value.elt])
    made = cst.Call(func=cst.Name(state.names.builtin("set")), args=[cst.Arg(items)])
    state.emit_assign(target.value, made, None, {}, True, state.where(value))
    return True


def _clauses(clause: cst.CompFor | None):
    while clause is not None:
        yield clause
        clause = clause.inner_for_in


def _bound(state: State, target: cst.BaseExpression) -> list[str]:
    """The names a ``for`` clause binds: a name, or a tuple or list of them."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _bound(state, element.value)]
    state.refuse(target, "this comprehension target is", "loop over names: for v in ..., for i, v in ...")
    return []


class _Renamed(cst.CSTTransformer):
    """An expression with the comprehension's variables renamed. A comprehension inside that binds one of
    them again is renamed alike, target and reads together, and then lowered with names of its own."""

    def __init__(self, renames: dict[str, str]):
        self.renames = renames

    def rename(self, node: cst.CSTNode) -> cst.CSTNode:
        return node.visit(self) if self.renames else node

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return False  # x.attr: only x is a variable (renamed in leave_Attribute)

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        return updated.with_changes(value=original.value.visit(self))

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)  # f(axis=...): a keyword is not a variable

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value=self.renames.get(original.value, original.value))
