"""A rule's tangent or adjoint template, bound to one statement and written out as lines.

Both transforms instantiate rules the same way: the template's parameters are
bound to the statement's operands (a sequence parameter to a list of its
items) and ``out`` to its target, the modules a rule calls (``np``, ``_rt``,
``math``) to their placeholders, and each global a user's rule reads to a
placeholder the generated module imports from the rule's own namespace:

    d_out * np.cos(x)       for    _t2 = np.sin(_t1)    ->    d_t2 * np.cos(_t1)

The template's setup lines get fresh temporaries, shared by every rule of one
transform so that no two instances collide.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import libcst as cst

from s2sad.core import ir
from s2sad.frontend import load
from s2sad import rules
from s2sad.rules import templates
from s2sad.core.naming import Names
from s2sad.core.target import Line, assign


class RuleInstances:
    def __init__(self, names: Names):
        self.names = names
        self.temps = itertools.count(1)
        self.foreign: dict[str, tuple[object, str]] = {}  # globals users' rules read (see Unit.foreign)

    def fresh(self) -> str:
        """A new temporary of the transform."""
        return self.names.temp("r", next(self.temps))

    def write(
        self,
        statement: ir.Assign,
        template: templates.Template,
        rule: rules.Rule,
        function: Callable | None,
        derivatives: dict[str, cst.BaseExpression],
        wanted: tuple[int, ...],
    ) -> tuple[list[Line], dict[int, cst.BaseExpression]]:
        """The setup lines and ``wanted`` results of ``template`` for ``statement``.

        ``derivatives`` binds the template's derivative parameters (``d_out``, ``d_x``);
        ``function`` is the Python function the template was read from, if any: a user's
        rule reads its globals through it (else through the rule's module).
        """
        bindings: dict[str, cst.BaseExpression] = {"out": cst.Name(statement.target)}
        for parameter, operand in statement.operands.items():
            bindings[parameter] = (
                cst.List(elements=[cst.Element(a) for a in operand]) if isinstance(operand, tuple) else operand
            )
        bindings.update(derivatives)
        for alias in templates.MODULE_NAMES:
            bindings[alias] = cst.Name(self.names.module(alias))
        for name in sorted(template.globals):  # a user's rule reads its module's globals
            placeholder = self.names.role(f"v_{name}_{len(self.foreign) + 1}")
            where = load.live_namespace(function) if function else rule.module
            self.foreign.setdefault(placeholder, (where, name))
            bindings[name] = cst.Name(placeholder)
        setup, results = templates.instantiate(template, bindings, wanted, self.fresh)
        return [assign(name, value, statement.origin) for name, value in setup], results
