"""Scope: which names are the function's own (parameters, what it assigns, the functions it defines
inside), and the dotted names it reads from outside, which resolve looks up."""

from __future__ import annotations

import libcst as cst

from s2sad.core.naming import children
from s2sad.core.unit import Unit


def dotted(node: cst.BaseExpression) -> str | None:
    """``np.linalg.solve`` for a chain of names and attributes, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    return None


def local_names(unit: Unit) -> frozenset[str]:
    """Parameters and every name the function assigns: these are values, never resolved.

    (Python's rule: a name bound anywhere in a function is local everywhere in it; the gate refuses
    global and nonlocal. A function defined inside binds its name here; its body is its own.)
    """
    found: set[str] = set()

    def bind(target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            found.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                bind(element.value)

    def visit(node: cst.CSTNode) -> None:
        kind = type(node)
        if kind is cst.FunctionDef and node is not unit.function:
            found.add(node.name.value)  # a function defined inside: its own names are its own
            return
        if kind is cst.Lambda:
            return
        if kind is cst.Param:
            found.add(node.name.value)
        elif kind in _BINDING:
            bind(node.target)  # (a comprehension's own variable too: normalize renames it)
        for child in children(node):
            visit(child)

    visit(unit.function)
    return frozenset(found)


_BINDING = (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor)


def references(function: cst.FunctionDef, locals_: frozenset[str]):
    """(node, dotted text, called) for each maximal dotted name whose root is not local."""
    found: list[tuple[cst.BaseExpression, str, bool]] = []

    def chain(node: cst.BaseExpression, called: bool) -> bool:
        text = dotted(node)
        if text is None:
            return False
        if text.split(".")[0] not in locals_ and text not in ("True", "False", "None"):
            found.append((node, text, called))
        return True

    def visit(node: cst.CSTNode) -> None:
        kind = type(node)
        if kind is cst.Call:
            chain(node.func, called=True) or visit(node.func)
            for arg in node.args:
                visit(arg.value)
        elif kind is cst.Attribute:
            if not chain(node, called=False):
                visit(node.value)  # `(x * x).mean`: the attribute name is no reference
        elif kind is cst.Name:
            chain(node, called=False)
        elif kind is cst.Param:
            if node.default is not None:
                visit(node.default)
        elif not (kind is cst.Lambda or kind is cst.FunctionDef):  # (resolved where it is inlined)
            for child in children(node):
                visit(child)

    visit(function.params)
    visit(function.body)
    return found
