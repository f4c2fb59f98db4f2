"""Resolve: what each non-local name in the function refers to.

Every dotted name whose root is not a parameter or local variable (``np.exp``,
``math.pi``, ``len``, ``EPS``) gets a Resolution, keyed by the name as written:

- ``rule``: a primitive with a derivative rule (``numpy.exp``);
- ``zero_derivative`` / ``inactive_only``: a helper with nothing to propagate;
- ``constant``: a library constant (``numpy.pi``), emitted by its canonical name;
- ``global``: a value from the user's module (``EPS``), read as it is.

Two resolvers give the qualified names: ``StaticResolver`` reads the file's
imports (libcst's QualifiedNameProvider) and never runs the user's code;
``LiveResolver`` looks names up in the function's closure and globals.
Anything called that is none of these is refused here, with its location.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import types
from pathlib import Path
from typing import Protocol

import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameProvider, QualifiedNameSource

from s2sad.frontend import load
from s2sad import rules
from s2sad.rules import templates
from s2sad.errors import Ambiguous, BadRule, NoRule, Origin, UnsupportedSyntax
from s2sad.core.facts import Resolution
from s2sad.options import Options
from s2sad.core.unit import Unit


def dotted(node: cst.BaseExpression) -> str | None:
    """``np.linalg.solve`` for a chain of names and attributes, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    return None


class Resolver(Protocol):
    def qualified_names(self, node: cst.BaseExpression, text: str) -> set[str] | None:
        """Qualified names ``node`` may refer to; None when it is a value of the user's module."""

    def user_function(self, node: cst.BaseExpression, text: str) -> object | None:
        """A function of the user's that ``node`` names, as load takes it; None if it is not one."""


class StaticResolver:
    """Qualified names from the file's imports, without running it."""

    def __init__(self, unit: Unit):
        names: dict[cst.CSTNode, set] = {}

        class Collector(cst.CSTVisitor):
            METADATA_DEPENDENCIES = (QualifiedNameProvider,)

            def visit_Name(self, node: cst.Name) -> None:
                names[node] = self.get_metadata(QualifiedNameProvider, node, set())

            def visit_Attribute(self, node: cst.Attribute) -> None:
                names[node] = self.get_metadata(QualifiedNameProvider, node, set())

        MetadataWrapper(unit.module, unsafe_skip_copy=True).visit(Collector())
        self.names = names
        self.unit = unit
        self.custom = self._custom_rules()

    def _custom_rules(self) -> dict[str, str]:
        """Functions of this file given a derivative with @s2sad.rule: name -> rule name.

        Read from the text (the file is never run): ``@s2sad.rule`` on ``f``,
        ``@f.adjoint`` on its rule and ``@f.tangent`` on its tangent rule if it has
        one, all at the top level.
        """
        module = self.unit.module
        adjoints, tangents = {}, {}
        for statement in module.body:
            if isinstance(statement, cst.FunctionDef):
                for decorator in statement.decorators:
                    target = dotted(decorator.decorator) or ""
                    for suffix, found_rules in ((".adjoint", adjoints), (".tangent", tangents)):
                        if target.endswith(suffix):
                            found_rules[target.removesuffix(suffix)] = statement
        found = {}
        for statement in module.body:
            if not isinstance(statement, cst.FunctionDef) or statement.name.value not in adjoints:
                continue
            for decorator in statement.decorators:
                expression = decorator.decorator
                called = expression.func if isinstance(expression, cst.Call) else expression
                if {q.name for q in self.names.get(called, set())} != {"s2sad.rule"}:
                    continue
                elementwise = isinstance(expression, cst.Call) and any(
                    arg.keyword is not None and arg.keyword.value == "elementwise" and dotted(arg.value) == "True"
                    for arg in expression.args
                )
                rule_function = adjoints[statement.name.value]
                tangent_function = tangents.get(statement.name.value)
                parameters = [(p.name.value, p.default is not None) for p in rule_function.params.params[2:]]
                name = f"{self.unit.module_name}.{statement.name.value}"
                with self._refused_at(rule_function):
                    rules.custom_from_source(
                        name, self.unit.module_name, module.code_for_node(rule_function), parameters, elementwise
                    )
                if tangent_function is not None:
                    with self._refused_at(tangent_function):
                        rules.custom_tangent_from_source(name, module.code_for_node(tangent_function))
                found[statement.name.value] = name
        return found

    @contextlib.contextmanager
    def _refused_at(self, rule_function: cst.FunctionDef):
        """A rule s2sad cannot use is refused where it is written."""
        try:
            yield
        except templates.RuleShapeError as error:
            start = self.unit.positions[rule_function.name].start
            raise BadRule(
                str(error),
                Origin(self.unit.path, start.line, start.column),
                hint="write it as s2sad.rule's docstring and README.md show",
            ) from None

    def user_function(self, node, text):
        if text in self.custom:
            return None
        for qualified in self.names.get(node, set()):
            if qualified.source is QualifiedNameSource.LOCAL:
                if "." not in text and _defines_function(self.unit.module, text):
                    return (self.unit.path, text)
            elif qualified.source is QualifiedNameSource.IMPORT and not rules.kind(qualified.name):
                module, _, function = qualified.name.rpartition(".")
                path = _module_file(module, self.unit.path)
                if path is not None and _defines_function(load.parse_file(str(path)), function):
                    return (str(path), function)
        return None

    def qualified_names(self, node, text):
        if text in self.custom:
            return {self.custom[text]}
        found = self.names.get(node, set())
        if any(q.source is QualifiedNameSource.LOCAL for q in found):
            return None
        return {q.name for q in found}


@functools.cache
def _identities() -> dict[int, str]:
    return rules.objects_by_identity()


class LiveResolver:
    """Qualified names from the objects the function's closure and globals hold now."""

    def __init__(self, unit: Unit):
        self.live = unit.live_globals

    def user_function(self, node, text):
        try:
            root, *attributes = text.split(".")
            value = self.live.lookup(root)
            for attribute in attributes:
                value = getattr(value, attribute)
        except (KeyError, AttributeError):
            return None
        if id(value) in rules.CUSTOM_OBJECTS:  # the user gave its derivative: a primitive, not inlined
            return None
        if isinstance(value, types.FunctionType) and id(value) not in _identities():
            if not (value.__module__ or "").startswith("numpy"):
                return value
        return None

    def qualified_names(self, node, text):
        root, *attributes = text.split(".")
        try:
            value = self.live.lookup(root)
        except KeyError:
            return set()
        for position, attribute in enumerate(attributes):
            if not isinstance(value, types.ModuleType):
                return None
            found = getattr(value, attribute, _MISSING)
            if found is _MISSING:
                # Named like the module's functions, so a misspelling gets suggestions.
                return {".".join([value.__name__, *attributes[position:]])}
            value = found
        if isinstance(value, types.ModuleType):
            return {value.__name__}
        custom = rules.CUSTOM_OBJECTS.get(id(value))
        if custom is not None and custom[0] is value:
            return {custom[1]}
        name = _identities().get(id(value))
        if name is not None:
            return {name}
        if isinstance(value, types.FunctionType) and not value.__module__.startswith("numpy"):
            return None
        if callable(value):
            module = getattr(value, "__module__", None)
            qualname = getattr(value, "__qualname__", None)
            return {f"{module}.{qualname}" if module and qualname else text}
        return None


_MISSING = object()


def local_names(unit: Unit) -> frozenset[str]:
    """Parameters and every name the function assigns: these are values, never resolved.

    (Python's rule: a name bound anywhere in a function is local everywhere in it;
    check.py refuses global, nonlocal and nested definitions.)
    """
    found: set[str] = set()

    class Binder(cst.CSTVisitor):
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

        def _bind(self, target: cst.BaseExpression) -> None:
            if isinstance(target, cst.Name):
                found.add(target.value)
            elif isinstance(target, (cst.Tuple, cst.List)):
                for element in target.elements:
                    self._bind(element.value)

    unit.function.visit(Binder())
    return frozenset(found)


def run(unit: Unit, options: Options) -> Unit:
    resolver = LiveResolver(unit) if unit.live_globals is not None else StaticResolver(unit)
    locals_ = local_names(unit)
    found: dict[str, Resolution] = {}
    for node, text, called in _references(unit.function, locals_):
        if text in found:
            continue
        origin = _origin(unit, node)
        function = resolver.user_function(node, text) if called else None
        if function is not None:
            found[text] = Resolution("function", text, function)
            continue
        names = resolver.qualified_names(node, text)
        if names is None:
            if called and "." not in text:
                raise UnsupportedSyntax(
                    f"'{text}' is not a function s2sad can read (a class, or a callable object)",
                    origin,
                    hint="call a function defined with def, or give it a custom rule",
                )
            found[text] = Resolution("global", text)
            continue
        found[text] = _classify(text, names, called, origin)
    return dataclasses.replace(unit, resolutions=found, local_names=locals_)


def _classify(text: str, names: set[str], called: bool, origin: Origin) -> Resolution:
    canonical = {rules.canonical(name) for name in names}
    if len(canonical) == 1 and len(names) > 1:
        names = {min(names)}  # aliases of one function (np.abs, np.absolute)
    if len(canonical) > 1:
        raise Ambiguous(
            f"'{text}' may refer to any of {', '.join(sorted(canonical))}",
            origin,
            hint="import it once, unconditionally, so s2sad can tell which function it is",
        )
    if not canonical:
        raise NoRule(
            f"name '{text}' is not defined",
            origin,
            hint="define or import it above the function: s2sad looks names up when it generates the derivative",
        )
    (name,) = names  # as called (np.copy), so generated code calls the same function
    kind = rules.kind(name)
    if kind is not None and (called or kind == "constant"):
        return Resolution(kind, name)
    if not called:
        return Resolution("global", text)
    suggestions = difflib.get_close_matches(name, rules.known_names(), n=3, cutoff=0.8)
    hint = "give it a derivative with @s2sad.rule (see the README), or compute it outside the differentiated function"
    if suggestions:
        hint = f"did you mean {' or '.join(rules.spelling(s) for s in suggestions)}? Otherwise, {hint}"
    raise NoRule(f"no derivative rule for '{text}' ({name})", origin, hint=hint)


def _origin(unit: Unit, node: cst.CSTNode) -> Origin:
    start = unit.positions[node].start
    return Origin(unit.path, start.line, start.column)


def _references(function: cst.FunctionDef, locals_: frozenset[str]):
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


def _defines_function(module: cst.Module, name: str) -> bool:
    return any(isinstance(s, cst.FunctionDef) and s.name.value == name for s in module.body)


def _module_file(module: str, importer: str) -> Path | None:
    """The source file of ``module``, looked for beside the importing file and above it; never imported."""
    relative = Path(*module.lstrip(".").split("."))
    folder = Path(importer).resolve().parent
    for base in [folder, *folder.parents, Path.cwd()]:
        for candidate in (base / relative.with_suffix(".py"), base / relative / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None
