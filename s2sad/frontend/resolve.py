"""Resolve: what each non-local name in the function refers to.

Every dotted name whose root is not a parameter or local variable (``np.exp``,
``math.pi``, ``len``, ``EPS``) gets a Resolution, keyed by the name as written:

- ``rule``: a primitive with a derivative rule (``numpy.exp``);
- ``zero_derivative`` / ``inactive_only``: a helper with nothing to propagate;
- ``constant``: a library constant (``numpy.pi``), emitted by its canonical name;
- ``global``: a value from the user's module (``EPS``), read as it is; also a library function
  that has no rule (``np.tril``, ``scipy.special.comb``), marked ``source=LIBRARY``: generated
  code calls it as written and its result carries no derivative (activity refuses a call that a
  differentiated value flows into). So are s2sad's own runtime helpers with no rule (own_helpers).

Two resolvers give the qualified names: ``StaticResolver`` reads the file's
imports (libcst's QualifiedNameProvider) and never runs the user's code;
``LiveResolver`` looks names up in the function's closure and globals.
Anything called that is none of these is refused here, with its location.

Only the user's own functions are read and inlined: a function is a library's, never inlined,
when its file lies in the interpreter's standard library or in a site-packages folder (sysconfig's
``stdlib``/``platstdlib``/``purelib``/``platlib`` paths, site's package folders) or it is built in
(``is_library_file``). Everything else (the user's files, a project installed in
editable mode) is the user's code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.util
import site
import sys
import sysconfig
import types
from pathlib import Path
from typing import Protocol

import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameProvider, QualifiedNameSource

from s2sad.frontend import load, own_helpers
from s2sad.frontend.scope import dotted, local_names, references
from s2sad import rules
from s2sad.rules import templates
from s2sad.errors import Ambiguous, BadRule, NoRule, Origin, UnsupportedSyntax
from s2sad.core.facts import FunctionValue, Resolution
from s2sad.options import Options
from s2sad.core.unit import Unit


class Resolver(Protocol):
    def qualified_names(self, node: cst.BaseExpression, text: str) -> set[str] | None:
        """Qualified names ``node`` may refer to; None when it is a value of the user's module."""

    def user_function(self, node: cst.BaseExpression, text: str) -> object | None:
        """A function of the user's that ``node`` names, as load takes it; None if it is not one."""

    def derivative(self, text: str) -> object | None:
        """A derivative s2sad made (s2sad.grad(f)) that ``text`` names, or s2sad's API making one; else None."""

    def library_function(self, node: cst.BaseExpression, text: str, name: str) -> bool:
        """Whether ``node`` (qualified ``name``, no rule) names a callable of an installed library."""


class StaticResolver:
    """Qualified names from the file's imports, without running it."""

    def __init__(self, unit: Unit, references: list[tuple[cst.BaseExpression, str, bool]]):
        names: dict[cst.CSTNode, set] = {}

        class Collector(cst.CSTVisitor):
            METADATA_DEPENDENCIES = (QualifiedNameProvider,)

            def visit_Name(self, node: cst.Name) -> None:
                names[node] = self.get_metadata(QualifiedNameProvider, node, set())

            def visit_Attribute(self, node: cst.Attribute) -> None:
                names[node] = self.get_metadata(QualifiedNameProvider, node, set())

        MetadataWrapper(_module_to_resolve(unit, references), unsafe_skip_copy=True).visit(Collector())
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

    def derivative(self, text):
        return None  # the file is read, not run: no derivative is made from it

    def user_function(self, node, text):
        if text in self.custom:
            return None
        for qualified in self.names.get(node, set()):
            if qualified.source is QualifiedNameSource.LOCAL:
                if "." not in text and _defines_function(self.unit.module, text):
                    return (self.unit.path, text)
            elif qualified.source is QualifiedNameSource.IMPORT and not rules.kind(qualified.name):
                module, _, function = qualified.name.rpartition(".")
                if own_helpers.is_runtime_helper(module):
                    continue
                path = _module_file(module, self.unit.path)
                if path is not None and _defines_function(load.parse_file(str(path)), function):
                    return (str(path), function)
        return None

    def library_function(self, node, text, name):
        if not any(q.source in (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN) for q in self.names[node]):
            return False
        # The module is found without running it; only then is the library imported (never the user's files).
        module = name.split(".")[0]
        return (
            _module_file(module, self.unit.path) is None
            and is_library_module(module)
            and callable(rules.library_object(name))
        )

    def qualified_names(self, node, text):
        if text in self.custom:
            return {self.custom[text]}
        found = self.names.get(node, set())
        if any(q.source is QualifiedNameSource.LOCAL for q in found):
            return None
        return {q.name for q in found}


def _identities() -> dict[object, str]:
    """The table's objects by identity, among the packages imported now (scipy, once a user imports it)."""
    packages = {name.partition(".")[0] for name in rules.known_names()}
    return _identities_among(frozenset(packages & sys.modules.keys()))


@functools.cache
def _identities_among(packages: frozenset[str]) -> dict[object, str]:
    return rules.objects_by_identity(imported_only=True)


class LiveResolver:
    """Qualified names from the objects the function's closure and globals hold now."""

    def __init__(self, unit: Unit):
        self.live = unit.live_globals

    def value(self, text: str):
        """The object ``text`` names now, or _MISSING."""
        try:
            root, *attributes = text.split(".")
            value = self.live.lookup(root)
            for attribute in attributes:
                value = getattr(value, attribute)
        except (KeyError, AttributeError):
            return _MISSING
        return value

    def derivative(self, text):
        """A derivative s2sad made (s2sad.grad(f)), or s2sad's API making one; None for other things."""
        value = self.value(text)
        if any(value is maker for maker in _api_makers()):
            return value
        return value if callable(value) and getattr(value, "__s2sad_call__", None) is not None else None

    def user_function(self, node, text):
        value = self.value(text)
        if id(value) in rules.CUSTOM_OBJECTS:  # the user gave its derivative: a primitive, not inlined
            return None
        if isinstance(value, types.FunctionType) and rules.identity(value) not in _identities():
            if not is_library_value(value) and not own_helpers.is_runtime_helper(value.__module__):
                return value
        return None

    def library_function(self, node, text, name):
        value = self.value(text)
        return value is not _MISSING and callable(value) and is_library_value(value)

    def qualified_names(self, node, text):
        root, *attributes = text.split(".")
        try:
            value = self.live.lookup(root)
        except KeyError:
            return set()
        for position, attribute in enumerate(attributes):
            if not isinstance(value, types.ModuleType):
                # An object's attribute: a name in the table only (scipy.stats.norm.logpdf, a bound method).
                name = _identities().get(rules.identity(self.value(text)))
                return {name} if name is not None else None
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
        name = _identities().get(rules.identity(value))
        if name is not None:
            return {name}
        if isinstance(value, types.FunctionType) and own_helpers.is_runtime_helper(value.__module__):
            return {f"s2sad.runtime.{value.__name__}"}  # as generated code calls it (the runtime exports it)
        if isinstance(value, types.FunctionType) and not is_library_value(value):
            return None
        if callable(value):
            module = getattr(value, "__module__", None)
            qualname = getattr(value, "__qualname__", None)
            return {f"{module}.{qualname}" if module and qualname else text}
        return None


_MISSING = object()


@functools.cache
def _api_makers() -> tuple:
    from s2sad import api

    return (api.grad, api.value_and_grad, api.vjp, api.jvp, api.hvp, api.hessp, api.hessian, api.jacobian)


def run(unit: Unit, options: Options) -> Unit:
    locals_ = local_names(unit)
    read = references(unit.function, locals_ | unit.enclosing_names)
    resolver = LiveResolver(unit) if unit.live_globals is not None else StaticResolver(unit, read)
    found: dict[str, Resolution] = {}
    for node, text, called in read:
        if text in found:
            continue
        origin = _origin(unit, node)
        made = resolver.derivative(text)
        if made is not None:
            kind = "maker" if made.__module__ == "s2sad.api" else "derivative"
            value = FunctionValue(kind, text, made)
            found[text] = Resolution(kind, text, made) if called else Resolution("global", text, value)
            continue
        function = resolver.user_function(node, text) if "." not in text or called else None
        if function is not None:
            # Named without a call: a value, which a helper of the user's may call (integrate(rhs, y0)).
            value = FunctionValue("function", text, function)
            found[text] = Resolution("function", text, function) if called else Resolution("global", text, value)
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
        library = functools.partial(resolver.library_function, node, text)
        found[text] = _classify(text, names, called, origin, library)
    return dataclasses.replace(unit, resolutions=found, local_names=locals_)


def _classify(text: str, names: set[str], called: bool, origin: Origin, library) -> Resolution:
    """What ``text`` (qualified ``names``) is; ``library(name)``: whether it is a library's callable."""
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
    if not called:  # np.tanh as a value, which a helper of the user's may call: apply(np.tanh, h)
        return Resolution("global", text, FunctionValue(kind, name) if kind in _CALLABLE_KINDS else None)
    if name in FRAME_READERS:
        raise NoRule(
            f"no derivative rule for '{text}' ({name}): it reads the names of the function that calls it",
            origin,
            hint="write the expression out in the function",
        )
    if own_helpers.is_runtime_helper(name) or library(name):
        if rules.writes_into_arguments(name) or name in own_helpers.UPDATES:
            raise UnsupportedSyntax(
                f"calling {rules.spelling(name)}, which writes into an array it is given, is not supported",
                origin,
                hint="s2sad sees no update it makes: write the update as y[i] = ... or y = np.where(...)",
            )
        # Called as written; its value carries no derivative (activity refuses one it would need).
        return Resolution("global", name, source=LIBRARY)
    raise NoRule(f"no derivative rule for '{text}' ({name})", origin, hint=no_rule_hint(name))


_CALLABLE_KINDS = ("rule", "zero_derivative", "inactive_only")
LIBRARY = "library"  # Resolution.source of a library's function with no rule: called, never differentiated

# Builtins that read or change the names of their caller: generated code's names are not the user's.
FRAME_READERS = frozenset(
    f"builtins.{name}" for name in ("eval", "exec", "compile", "globals", "locals", "vars", "dir", "breakpoint")
)


def is_library_call(resolution: Resolution) -> bool:
    """Whether ``resolution`` is a library function with no rule, called as written (``LIBRARY``)."""
    return resolution.kind == "global" and resolution.source == LIBRARY


def no_rule_hint(name: str) -> str:
    """What to do about a call of ``name``, which has no rule: the near misses first, if any."""
    hint = "give it a derivative with @s2sad.rule (see the README), or compute it outside the differentiated function"
    suggestions = rules.near_misses(name)
    if suggestions:
        hint = f"did you mean {' or '.join(rules.spelling(s) for s in suggestions)}? Otherwise, {hint}"
    return hint


@functools.cache
def _library_folders() -> tuple[Path, ...]:
    """The interpreter's standard library and package folders: what lies under them is a library."""
    paths = sysconfig.get_paths()
    folders = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    folders.update(site.getsitepackages() if hasattr(site, "getsitepackages") else ())
    if site.ENABLE_USER_SITE:
        folders.add(site.getusersitepackages())
    return tuple(Path(folder).resolve() for folder in folders)


def is_library_file(path: str) -> bool:
    """Whether ``path`` is a file of the standard library or of an installed package (not the user's)."""
    if path.startswith("<frozen "):
        return True
    try:
        resolved = Path(path).resolve()
    except (OSError, ValueError):
        return False
    return any(resolved.is_relative_to(folder) for folder in _library_folders())


@functools.cache
def is_library_module(module: str) -> bool:
    """Whether the top-level package of ``module`` is built in or installed, found without importing it."""
    root = module.partition(".")[0]
    if root in sys.builtin_module_names:
        return True
    try:
        spec = importlib.util.find_spec(root)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    if spec.origin in ("built-in", "frozen"):
        return True
    places = [spec.origin] if spec.origin else list(spec.submodule_search_locations or ())
    return bool(places) and all(is_library_file(place) for place in places)


def is_library_value(value) -> bool:
    """Whether the live callable ``value`` is defined by a library (its code file, or its module's)."""
    if isinstance(value, types.FunctionType):  # Python code: where its file lies (compiled code has no file)
        return is_library_file(value.__code__.co_filename)
    for holder in (value, getattr(value, "__func__", None), getattr(value, "__self__", None), type(value)):
        module = getattr(holder, "__module__", None)
        if isinstance(module, str):
            return is_library_module(module)
    return False


def _module_to_resolve(unit: Unit, read: list[tuple[cst.BaseExpression, str, bool]]) -> cst.Module:
    """The module, with the function (if it is one of the module's statements) replaced by one that
    only reads ``read``, its references, as they are (the same nodes).

    What a reference means depends on the bindings around the function, not on the function's
    own code: it binds no name but its locals (the gate refuses imports, global and the like),
    which references exclude. libcst's scope analysis of a long function was most of resolve's time.
    """
    body = list(unit.module.body)
    position = next((index for index, statement in enumerate(body) if statement is unit.function), None)
    if position is None:
        return unit.module
    first: dict[str, cst.BaseExpression] = {}  # run() looks at the first reference to each name only
    for node, text, _ in read:
        first.setdefault(text, node)
    reads = [cst.SimpleStatementLine(body=[cst.Expr(node)]) for node in first.values()]
    body[position] = unit.function.with_changes(
        params=cst.Parameters(), body=cst.IndentedBlock(body=reads or [cst.SimpleStatementLine(body=[cst.Pass()])])
    )
    return unit.module.with_changes(body=body)


def _origin(unit: Unit, node: cst.CSTNode) -> Origin:
    start = unit.positions[node].start
    return Origin(unit.path, start.line, start.column)


def _defines_function(module: cst.Module, name: str) -> bool:
    return any(isinstance(s, cst.FunctionDef) and s.name.value == name for s in module.body)


def _module_file(module: str, importer: str) -> Path | None:
    """The source file of ``module``, looked for beside the importing file and above it; never imported."""
    relative = Path(*module.lstrip(".").split("."))
    folder = Path(importer).resolve().parent
    for base in [folder, *folder.parents, Path.cwd()]:
        for candidate in (base / relative.with_suffix(".py"), base / relative / "__init__.py"):
            if candidate.is_file() and not is_library_file(str(candidate)):  # a library's file is never read
                return candidate
    return None
