"""Scope: which names are the function's own (parameters, what it assigns, the functions it defines
inside), and the dotted names it reads from outside, which resolve looks up."""

from __future__ import annotations

import libcst as cst

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

    class Binder(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            if node is unit.function:
                return True
            found.add(node.name.value)  # a function defined inside: its own names are its own
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_Param(self, node: cst.Param) -> None:
            found.add(node.name.value)

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            self._bind(node.target)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            self._bind(node.target)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            self._bind(node.target)

        def visit_For(self, node: cst.For) -> None:
            self._bind(node.target)

        def visit_CompFor(self, node: cst.CompFor) -> None:
            self._bind(node.target)  # a comprehension's own variable (normalize renames it)

        def _bind(self, target: cst.BaseExpression) -> None:
            if isinstance(target, cst.Name):
                found.add(target.value)
            elif isinstance(target, (cst.Tuple, cst.List)):
                for element in target.elements:
                    self._bind(element.value)

    unit.function.visit(Binder())
    return frozenset(found)


def references(function: cst.FunctionDef, locals_: frozenset[str]):
    """(node, dotted text, called) for each maximal dotted name whose root is not local."""
    found: list[tuple[cst.BaseExpression, str, bool]] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> bool:
            self._chain(node.func, called=True) or node.func.visit(self)
            for arg in node.args:
                arg.value.visit(self)
            return False

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            if not self._chain(node, called=False):
                node.value.visit(self)  # `(x * x).mean`: the attribute name is no reference
            return False

        def visit_Name(self, node: cst.Name) -> None:
            self._chain(node, called=False)

        def visit_Arg(self, node: cst.Arg) -> bool:
            node.value.visit(self)
            return False

        def visit_Param(self, node: cst.Param) -> bool:
            if node.default is not None:
                node.default.visit(self)
            return False

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function  # a function defined inside is resolved where it is inlined

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def _chain(self, node: cst.BaseExpression, called: bool) -> bool:
            text = dotted(node)
            if text is None:
                return False
            if text.split(".")[0] not in locals_ and text not in ("True", "False", "None"):
                found.append((node, text, called))
            return True

    function.params.visit(Finder())
    function.body.visit(Finder())
    return found
