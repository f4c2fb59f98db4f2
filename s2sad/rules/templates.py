"""Rule functions as code templates: parsed once, checked, and inlined with names substituted.

A rule is a plain Python function whose body is a few setup assignments and one
``return`` of an expression or a literal tuple (one element per differentiable
argument, ``None`` where there is no derivative)::

    def divide_adjoint(d_out, out, x1, x2):
        g = d_out / x2
        return g, -g * out

Instantiated for ``z = a / b`` with the adjoint of ``z`` in ``d_z``, the second
element becomes ``-(_t1) * z`` after ``_t1 = d_z / b``, where ``_t1`` is a fresh name.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
from collections.abc import Callable, Mapping

import libcst as cst
import libcst.matchers as m

from s2sad.core.naming import names_in
from s2sad.runtime import SHAPE_ONLY

# Names a rule body may use besides its parameters and its own locals; each is
# replaced by the generated module's own (hygienic) alias for the module.
MODULE_NAMES = ("np", "_rt", "math")


class RuleShapeError(Exception):
    """A rule function does not have the shape the engine can inline."""


@dataclasses.dataclass(frozen=True)
class Template:
    name: str
    params: tuple[str, ...]
    defaults: Mapping[str, cst.BaseExpression] = dataclasses.field(repr=False)
    setup: tuple[tuple[str, cst.BaseExpression], ...] = dataclasses.field(repr=False)
    results: tuple[cst.BaseExpression | None, ...] = dataclasses.field(repr=False)
    globals: frozenset[str] = frozenset()  # a user's rule: names it reads from its module

    def reads(self, index: int, values_only: bool = False) -> frozenset[str]:
        """Parameters that result ``index`` reads, directly or through setup lines.

        ``values_only``: leave out those read only for their shape (as runtime helpers declare them).
        """
        result = self.results[index]
        if result is None:
            return frozenset()
        read = values_read if values_only else names_read
        needed = read(result)
        for local, value in reversed(self.setup):
            if local in needed:
                needed = (needed - {local}) | read(value)
        return frozenset(needed & set(self.params))


def names_read(node: cst.CSTNode) -> set[str]:
    """Names an expression reads: not attribute names, not keyword names."""
    return set(names_in(node))


def values_read(node: cst.CSTNode) -> set[str]:
    """Names whose values an expression reads: not those passed to ``_rt`` helpers for their shape only."""
    found: set[str] = set()

    class Reader(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> bool:
            func = call.func
            shape_only = (
                SHAPE_ONLY.get(func.attr.value)
                if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "_rt"
                else None
            )
            if shape_only is None:
                return True
            skipped = set(range(len(call.args))[shape_only])
            for position, arg in enumerate(call.args):
                if position not in skipped:
                    arg.visit(self)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            found.add(node.value)

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)
            return False

        def visit_Arg(self, node: cst.Arg) -> bool:
            node.value.visit(self)
            return False

    node.visit(Reader())
    return found


# What a rule's return holds, for the message when it holds a different number of values.
CONTRIBUTIONS = "one per differentiable parameter, None where there is none"


def parse(function: Callable, result_count: int, free_globals: bool = False, returns: str = CONTRIBUTIONS) -> Template:
    """Parse a rule function into a template, checking it has the inlinable shape.

    With ``free_globals`` (a user's rule) the body may read its module's globals
    too; they are listed in ``Template.globals``. ``returns`` says what the
    ``result_count`` values returned are.
    """
    source = textwrap.dedent(inspect.getsource(function))
    return parse_source(source, f"rule {function.__module__}.{function.__name__}", result_count, free_globals, returns)


def parse_source(
    source: str, where: str, result_count: int, free_globals: bool = False, returns: str = CONTRIBUTIONS
) -> Template:
    """``parse`` for a rule given as source text (a user's rule read from a file, never run)."""
    module = cst.parse_module(source)
    definition = cst.ensure_type(module.body[0], cst.FunctionDef).with_changes(decorators=[])
    params = definition.params
    if params.star_arg is not cst.MaybeSentinel.DEFAULT or params.star_kwarg or params.kwonly_params:
        raise RuleShapeError(f"{where}: only plain positional parameters are allowed")
    names = tuple(p.name.value for p in params.params)
    defaults = {p.name.value: p.default for p in params.params if p.default is not None}

    statements = [cst.ensure_type(s, cst.SimpleStatementLine) for s in definition.body.body]
    body = [small for line in statements for small in line.body]
    if not body or not m.matches(body[-1], m.Return(value=m.DoNotCare())):
        raise RuleShapeError(f"{where}: the body must end with one return of an expression")
    setup: list[tuple[str, cst.BaseExpression]] = []
    for small in body[:-1]:
        if not m.matches(small, m.Assign(targets=[m.AssignTarget(target=m.Name())])):
            raise RuleShapeError(f"{where}: setup lines must be single-name assignments")
        setup.append((small.targets[0].target.value, small.value))

    returned = body[-1].value
    if isinstance(returned, cst.Tuple):
        results = tuple(element.value for element in returned.elements)
    else:
        results = (returned,)
    results = tuple(None if m.matches(r, m.Name("None")) else r for r in results)
    if len(results) != result_count:
        raise RuleShapeError(f"{where}: returns {len(results)} values, expected {result_count} ({returns})")

    known = set(names) | {local for local, _ in setup} | set(MODULE_NAMES) | {"None", "True", "False"}
    free: set[str] = set()
    for expression in [value for _, value in setup] + [r for r in results if r is not None]:
        unknown = names_read(expression) - known
        if unknown and free_globals:
            free |= unknown
        elif unknown:
            raise RuleShapeError(
                f"{where}: uses {sorted(unknown)}; rules may use only their parameters, their "
                f"own locals and {', '.join(MODULE_NAMES)} (put helpers in s2sad.runtime)"
            )
    return Template(definition.name.value, names, defaults, tuple(setup), results, frozenset(free))


def decide_none_tests(template: Template, none: frozenset[str], given: frozenset[str]) -> Template:
    """``template`` with its tests of parameters against None decided: those in ``none`` are
    None, those in ``given`` are not (a user's tangent rule receives None for a parameter with no
    tangent). ``d_x is None``, ``is not None``, ``not``, ``and``, ``or`` of decided tests are
    decided, and a conditional expression with a decided test becomes the branch taken, so the
    generated code neither tests nor reads what is None. A literal zero added or subtracted (a
    tangent's term for a parameter without one) is dropped, through setup lines too::

        along_x = 0.0 if d_x is None else d_x * a        (d_x None)
        return along_x + d_y * b                         ->  return d_y * b
    """
    decide = _DecideNoneTests(none, given)
    zeros: dict[str, cst.BaseExpression] = {}  # setup locals that are a literal zero
    setup = []
    for local, value in template.setup:
        value = substitute(value, zeros).visit(decide)
        if _is_zero(value):
            zeros[local] = value
        else:
            setup.append((local, value))
    results = tuple(None if r is None else substitute(r, zeros).visit(decide) for r in template.results)
    return dataclasses.replace(template, setup=tuple(setup), results=results)


class _DecideNoneTests(cst.CSTTransformer):
    def __init__(self, none: frozenset[str], given: frozenset[str]):
        self.none, self.given = none, given

    def leave_Comparison(self, original: cst.Comparison, updated: cst.Comparison) -> cst.BaseExpression:
        if len(updated.comparisons) != 1:
            return updated
        (target,) = updated.comparisons
        operands = (updated.left, target.comparator)
        is_none_literal = [m.matches(o, m.Name("None")) for o in operands]
        if not isinstance(target.operator, (cst.Is, cst.IsNot)) or not any(is_none_literal):
            return updated
        tested = operands[0] if is_none_literal[1] else operands[1]
        if not isinstance(tested, cst.Name) or tested.value not in self.none | self.given:
            return updated
        is_none = tested.value in self.none
        return _truth(is_none if isinstance(target.operator, cst.Is) else not is_none)

    def leave_UnaryOperation(self, original: cst.UnaryOperation, updated: cst.UnaryOperation) -> cst.BaseExpression:
        value = _decided(updated.expression)
        return _truth(not value) if isinstance(updated.operator, cst.Not) and value is not None else updated

    def leave_BooleanOperation(
        self, original: cst.BooleanOperation, updated: cst.BooleanOperation
    ) -> cst.BaseExpression:
        left = _decided(updated.left)
        if left is None:
            return updated
        if isinstance(updated.operator, cst.And):
            return updated.right if left else _truth(False)
        return _truth(True) if left else updated.right

    def leave_IfExp(self, original: cst.IfExp, updated: cst.IfExp) -> cst.BaseExpression:
        value = _decided(updated.test)
        if value is None:
            return updated
        return updated.body if value else updated.orelse

    def leave_BinaryOperation(self, original: cst.BinaryOperation, updated: cst.BinaryOperation) -> cst.BaseExpression:
        if not isinstance(updated.operator, (cst.Add, cst.Subtract)):
            return updated
        if _is_zero(updated.right):
            return updated.left
        if _is_zero(updated.left):
            if isinstance(updated.operator, cst.Add):
                return updated.right
            return cst.UnaryOperation(operator=cst.Minus(), expression=updated.right)
        return updated


def _is_zero(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.Integer, cst.Float)) and ast.literal_eval(node.value) == 0


def _truth(value: bool) -> cst.Name:
    return cst.Name("True" if value else "False")


def _decided(node: cst.BaseExpression) -> bool | None:
    """True or False for the names True and False; None for anything else."""
    return {"True": True, "False": False}.get(node.value) if isinstance(node, cst.Name) else None


class _Substitute(cst.CSTTransformer):
    def __init__(self, replacements: Mapping[str, cst.BaseExpression]):
        self.replacements = replacements

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        replacement = self.replacements.get(updated.value)
        return updated if replacement is None else replacement.deep_clone()

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return False

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        return updated.with_changes(value=updated.value.visit(self))

    def visit_Arg(self, node: cst.Arg) -> bool:
        return False

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(value=updated.value.visit(self))


def substitute(expression: cst.BaseExpression, replacements: Mapping[str, cst.BaseExpression]):
    """Replace names in ``expression`` (not attribute or keyword names) by expressions.

    No parentheses are added: ``precedence.parenthesize`` puts them where the
    printed code needs them.
    """
    return expression.visit(_Substitute(replacements))


def instantiate(
    template: Template,
    bindings: Mapping[str, cst.BaseExpression],
    wanted: tuple[int, ...],
    fresh: Callable[[], str],
) -> tuple[list[tuple[str, cst.BaseExpression]], dict[int, cst.BaseExpression]]:
    """Setup assignments and the ``wanted`` results of a template, its names bound.

    ``bindings`` maps parameters and module names to expressions; unbound
    parameters take their defaults. Setup lines are kept only when a wanted
    result needs them, and their locals get fresh names.
    """
    replacements = {
        name: template.defaults[name] for name in template.params if name not in bindings and name in template.defaults
    }
    missing = [name for name in template.params if name not in bindings and name not in replacements]
    if missing:
        raise RuleShapeError(f"rule {template.name}: no binding for {missing}")
    replacements.update(bindings)

    needed: set[str] = set()
    for index in wanted:
        needed |= names_read(template.results[index])
    kept = []
    for local, value in reversed(template.setup):
        if local in needed:
            kept.append((local, value))
            needed = (needed - {local}) | names_read(value)
    setup = []
    for local, value in reversed(kept):
        new_value = substitute(value, replacements)
        name = fresh()
        replacements[local] = cst.Name(name)
        setup.append((name, new_value))
    results = {index: substitute(template.results[index], replacements) for index in wanted}
    return setup, results
