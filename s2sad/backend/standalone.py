"""``s2sad grad --standalone``: a generated module that needs only numpy.

Generated code calls the runtime helpers as ``_rt.<name>`` after ``from s2sad import runtime as _rt``.
Here that import is replaced by copies of the helpers it calls, below the gradient, with every helper,
constant, class and import they read in turn (a walk over the names each definition's source reads,
through s2sad/runtime/ and the error classes of s2sad.errors), and ``_rt``, a namespace of them. The
gradient's own code is unchanged. Two private helpers of one name (``_t`` in two modules) get the
second a prefixed name; the ``facts`` decorators, which tell the compiler about a helper, are left out.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib
import inspect

from s2sad import runtime
from s2sad.backend import layout

_FACTS = "s2sad.runtime.facts"  # its decorators only declare things to the compiler: not copied
_FOREIGN = "s2sad.runtime.foreign"


class NotStandalone(Exception):
    """The generated module cannot be made free of s2sad (a name clash, an import of s2sad left)."""


@dataclasses.dataclass(frozen=True)
class _Module:
    """One module's top-level definitions and imports, by the name each binds."""

    name: str
    source: str
    definitions: dict  # name -> the statement defining it (def, class, assignment, try of imports)
    packaged: dict  # name -> (module, attribute or None for a module) imported from s2sad
    external: dict  # name -> the import statement binding it, alone (``import numpy as np``)


def _assigned(statement: ast.Assign | ast.AnnAssign) -> list[ast.Name]:
    """The names an assignment binds (``A, B = 1, 2`` binds two)."""
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return [node for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)]


@functools.cache
def _module(name: str) -> _Module:
    source = inspect.getsource(importlib.import_module(name))
    definitions, packaged, external = {}, {}, {}
    for statement in ast.parse(source).body:
        if isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
            definitions[statement.name] = statement
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            definitions.update((target.id, statement) for target in _assigned(statement))
        elif isinstance(statement, ast.Try):  # try: import one spelling, except ImportError: another
            for node in ast.walk(statement):
                if isinstance(node, ast.alias):
                    definitions[node.asname or node.name.split(".")[0]] = statement
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                external[alias.asname or alias.name.split(".")[0]] = ast.unparse(ast.Import(names=[alias]))
        elif isinstance(statement, ast.ImportFrom) and statement.module != "__future__":
            for alias in statement.names:
                bound = alias.asname or alias.name
                if statement.module == "s2sad.runtime" or statement.module == "s2sad":
                    packaged[bound] = (f"{statement.module}.{alias.name}", None)
                elif statement.module.startswith("s2sad."):
                    packaged[bound] = (statement.module, alias.name)
                else:
                    external[bound] = ast.unparse(ast.ImportFrom(module=statement.module, names=[alias], level=0))
    return _Module(name, source, definitions, packaged, external)


def _resolve(module: str, name: str) -> tuple[str, str]:
    """The module that defines what ``name`` means in ``module``, and its name there."""
    found = _module(module)
    if name in found.packaged and found.packaged[name][1] is not None:
        return _resolve(*found.packaged[name])
    if name not in found.definitions:
        raise NotStandalone(f"{module}.{name} is not defined at the top of {module}")
    return module, name


def _locals(statement: ast.stmt) -> set[str]:
    """Names a definition binds inside itself (parameters, assignments, imports): not module names."""
    if not isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
        return set()
    bound = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.alias):
            bound.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node is not statement:
            bound.add(node.name)
    return bound


def _decorators_kept(module: str, statement: ast.stmt) -> list[ast.expr]:
    decorators = getattr(statement, "decorator_list", [])
    return [d for d in decorators if _reference(module, d.func if isinstance(d, ast.Call) else d)[0] != _FACTS]


def _reference(module: str, node: ast.expr) -> tuple[str | None, str | None]:
    """What ``node`` (a name, or a name's attribute) refers to at the top of ``module``: (module, name) of
    a definition in s2sad, ("import", statement) for another library, (None, None) for anything else."""
    found = _module(module)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        target = found.packaged.get(node.value.id)
        if target is not None and target[1] is None:
            return _resolve(target[0], node.attr)
    if not isinstance(node, ast.Name):
        return None, None
    if node.id in found.definitions or node.id in found.packaged:
        return _resolve(module, node.id)
    if node.id in found.external:
        return "import", found.external[node.id]
    return None, None


@dataclasses.dataclass
class _Copy:
    """The definitions being copied, in an order that defines each before its module-level uses."""

    order: list = dataclasses.field(default_factory=list)  # (module, name), dependencies first
    chosen: dict = dataclasses.field(default_factory=dict)  # (module, name) -> its name in the module
    imports: list = dataclasses.field(default_factory=list)  # import statements the copies read

    def add(self, key: tuple[str, str]) -> None:
        if key in self.chosen:
            return
        module, name = key
        taken = set(self.chosen.values())
        self.chosen[key] = name if name not in taken else f"_{module.rsplit('.', 1)[-1]}{name}"
        statement = _module(module).definitions[name]
        for reference in self._references(module, statement):
            kind, what = _reference(module, reference)
            if kind == "import" and what not in self.imports:
                self.imports.append(what)
            elif kind is not None and kind != "import":
                self.add((kind, what))
        if key not in self.order:
            self.order.append(key)

    @staticmethod
    def _references(module: str, statement: ast.stmt) -> list[ast.expr]:
        """The module names ``statement`` reads (names, and attributes of s2sad modules), facts' decorators left out."""
        local = _locals(statement)
        dropped = {id(d) for d in getattr(statement, "decorator_list", [])} - {
            id(d) for d in _decorators_kept(module, statement)
        }
        skipped = {id(n) for d in getattr(statement, "decorator_list", []) if id(d) in dropped for n in ast.walk(d)}
        found = []
        for node in ast.walk(statement):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                target = _module(module).packaged.get(node.value.id)
                if target is not None and target[1] is None:
                    found.append(node)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local:
                if _module(module).packaged.get(node.id, (None, ""))[1] is not None:  # not a module: its attributes are
                    found.append(node)
        return found

    def text(self, key: tuple[str, str]) -> str:
        """The definition's source, its references renamed to the names chosen, without facts' decorators."""
        module, name = key
        statement = _module(module).definitions[name]
        lines = _module(module).source.splitlines(keepends=True)
        edits = []
        for node in self._references(module, statement):
            kind, what = _reference(module, node)
            if kind is not None and kind != "import":
                edits.append((node, self.chosen[(kind, what)]))
        if isinstance(statement, (ast.Assign, ast.AnnAssign)) and self.chosen[key] != name:
            edits.extend((target, self.chosen[key]) for target in _assigned(statement) if target.id == name)
        encoded = [line.encode() for line in lines]
        for node, new in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True):
            if node.lineno != node.end_lineno:
                raise NotStandalone(f"a reference in {module}.{name} spans lines")
            line = encoded[node.lineno - 1]
            encoded[node.lineno - 1] = line[: node.col_offset] + new.encode() + line[node.end_col_offset :]
        if not isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
            return b"".join(encoded[statement.lineno - 1 : statement.end_lineno]).decode()
        kept = _decorators_kept(module, statement)
        if any(d.lineno != d.end_lineno for d in kept):
            raise NotStandalone(f"a decorator of {module}.{name} spans lines")
        header = encoded[statement.lineno - 1].decode()
        keyword = "class" if isinstance(statement, ast.ClassDef) else "def"
        header = header.replace(f"{keyword} {name}", f"{keyword} {self.chosen[key]}", 1)
        decorators = "".join(encoded[d.lineno - 1].decode() for d in kept)
        return decorators + header + b"".join(encoded[statement.lineno : statement.end_lineno]).decode()


def _helper_key(name: str) -> tuple[tuple[str, str], bool]:
    """Where the runtime helper ``_rt.<name>`` is defined, and whether generated code gets it refusing
    other libraries' arrays (runtime/__init__ wraps it with foreign.numpy_only)."""
    helper = getattr(runtime, name, None)
    if helper is None:
        raise NotStandalone(f"s2sad.runtime has no helper {name!r}")
    defined = inspect.unwrap(helper)
    module = getattr(defined, "__module__", None)
    if not (isinstance(module, str) and module.startswith("s2sad.runtime.")):
        raise NotStandalone(f"s2sad.runtime.{name} is not defined in s2sad/runtime/")
    return _resolve(module, name), defined is not helper


def _bound(statements: list[ast.stmt]) -> dict[str, str]:
    """The names statements bind at a module's top: an import's name with that import's text (alone)."""
    bound = {}
    for statement in statements:
        if isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
            bound[statement.name] = f"def {statement.name}"
        elif isinstance(statement, ast.Import):
            bound.update(
                (a.asname or a.name.split(".")[0], ast.unparse(ast.Import(names=[a]))) for a in statement.names
            )
        elif isinstance(statement, ast.ImportFrom):
            for alias in statement.names:
                alone = ast.ImportFrom(module=statement.module, names=[alias], level=statement.level)
                bound[alias.asname or alias.name] = ast.unparse(alone)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            bound.update((target.id, ast.unparse(statement)) for target in _assigned(statement))
    return bound


def _imports_s2sad(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Import):
        return any(a.name.split(".")[0] == "s2sad" for a in statement.names)
    return isinstance(statement, ast.ImportFrom) and (statement.module or "").split(".")[0] == "s2sad"


def standalone(source: str) -> str:
    """``source``, a generated module, needing only numpy: the runtime helpers it calls copied below it.

    Raises NotStandalone if it cannot be done (a name the module defines is one a copy needs).
    """
    tree = ast.parse(source)
    imports = [s for s in tree.body if _imports_s2sad(s)]
    found = [s for s in imports if isinstance(s, ast.ImportFrom) and s.module == "s2sad" and len(s.names) == 1]
    found = [s for s in found if s.names[0].name == "runtime"]
    if imports != found or len(found) > 1:
        raise NotStandalone(f"the module imports more of s2sad than its runtime: {ast.unparse(imports[0])}")
    if not found:
        return source
    alias = found[0].names[0].asname or "runtime"
    calls = {n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    used = sorted({n.attr for n in calls if n.value.id == alias})
    if sum(isinstance(n, ast.Name) and n.id == alias for n in ast.walk(tree)) != len(
        [n for n in calls if n.value.id == alias]
    ):
        raise NotStandalone(f"the module uses {alias} other than as {alias}.<helper>")
    copy, members = _Copy(), []
    for name in used:
        key, checked = _helper_key(name)
        copy.add(key)
        if checked:
            copy.add(_resolve(_FOREIGN, "numpy_only"))
            members.append(f"{name}={copy.chosen[_resolve(_FOREIGN, 'numpy_only')]}({copy.chosen[key]})")
        else:
            members.append(f"{name}={copy.chosen[key]}")
    rest = [s for s in tree.body if s is not found[0]]
    present = _bound(rest)
    added = []
    for text in [*copy.imports, "import types"]:
        (name, alone), *_ = _bound(ast.parse(text).body).items()
        if present.get(name, alone) != alone:
            raise NotStandalone(f"the module's name {name!r} is also the copied helpers' '{alone}'")
        if name not in present:
            added.append(alone)
            present[name] = alone
    for name in copy.chosen.values():
        if name in present or name == alias:
            raise NotStandalone(f"the module's name {name!r} is also a copied runtime helper's")
    lines = source.splitlines(keepends=True)
    docstring_end = tree.body[0].end_lineno if isinstance(tree.body[0], ast.Expr) else 0
    head = lines[:docstring_end] + ["from __future__ import annotations\n"]
    middle = (
        lines[docstring_end : found[0].lineno - 1] + [a + "\n" for a in sorted(added)] + lines[found[0].end_lineno :]
    )
    definitions = "\n\n".join(copy.text(key) for key in copy.order)
    helpers = (
        "\n\n# The runtime helpers the code above calls, copied from s2sad/runtime/ so that it needs only numpy.\n\n"
        + definitions
        + f"\n\n{alias} = types.SimpleNamespace({', '.join(members)})\n"
    )
    return layout.black_formatted("".join(head + middle) + helpers)
