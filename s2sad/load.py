"""Load: a live function, or ``file.py:name``, -> a Unit holding its file's libcst tree.

The whole file is parsed, not just the function, so every position is already
the position in the user's file and static name resolution sees the imports.
Loading from a path reads the file as text and never executes it.
"""

from __future__ import annotations

import inspect
import linecache
import os
import tokenize
import types
from io import BytesIO
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from s2sad.errors import NotFound, Origin, UnsupportedSyntax, deep_nesting
from s2sad.unit import Unit


def display_path(filename: str) -> str:
    """The path as users should see it: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative


_PARSED: dict[tuple[str, str], tuple[cst.Module, dict]] = {}


def _parse(text: str, path: str) -> tuple[cst.Module, dict]:
    """The file's tree and positions; parsed once per text (trees are immutable, so shared)."""
    key = (path, text)
    if key not in _PARSED:
        _PARSED[key] = _parse_text(text, path)
    return _PARSED[key]


def _parse_text(text: str, path: str) -> tuple[cst.Module, dict]:
    with deep_nesting(Origin(path, 1, 0)):
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError as error:
            raise UnsupportedSyntax(
                f"cannot parse the file: {error.message}",
                Origin(path, error.raw_line, error.raw_column),
                hint="fix the syntax error; s2sad reads the file as Python source",
            ) from None
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        return module, dict(wrapper.resolve(PositionProvider))


def read_source(filename: str) -> str:
    """The text of a Python file, decoded as Python decodes it: a BOM or a coding line, else UTF-8."""
    path = display_path(filename)
    try:
        raw = Path(filename).read_bytes()
    except FileNotFoundError:
        raise NotFound(f"no such file: {filename}", hint="give the model file's path, relative to this folder") from None
    except OSError as error:
        raise NotFound(f"cannot read {filename}: {error.strerror}") from None
    try:
        encoding, _ = tokenize.detect_encoding(BytesIO(raw).readline)
        problem = None
    except SyntaxError as error:  # an unknown encoding, or no declaration and not UTF-8
        encoding, problem = "utf-8", error
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        line_start = raw.rfind(b"\n", 0, error.start) + 1
        raise UnsupportedSyntax(
            f"cannot read the file: it is not valid {encoding} ({error.reason})",
            Origin(path, raw.count(b"\n", 0, error.start) + 1, error.start - line_start),
            hint="save the file as UTF-8, or declare its encoding in a first line like # -*- coding: latin-1 -*-",
        ) from None
    if problem is not None:
        raise UnsupportedSyntax(
            f"cannot read the file: {problem.msg}", Origin(path, problem.lineno or 1, 0),
            hint="declare an encoding Python knows, or save the file as UTF-8",
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")  # newlines as Python reads them


def parse_file(filename: str) -> cst.Module:
    """The libcst tree of a Python file read as text (never run); a syntax error is located."""
    text = read_source(filename)
    path = display_path(filename)
    module, _ = _parse(text, path)
    linecache.cache[path] = (len(text), None, text.splitlines(keepends=True), path)
    return module


def from_function(function) -> Unit:
    """The Unit of a live Python function, found in its file through linecache."""
    if not isinstance(function, types.FunctionType):
        hint = "wrap the computation in a def function"
        if isinstance(function, types.MethodType):
            got, hint = f"the method {function.__qualname__}", (
                "differentiate a function defined with def at the top level of a module, taking the values "
                "as parameters (methods and their self are not supported)"
            )
        elif inspect.isclass(function):
            got = f"the class {function.__qualname__}"
        elif isinstance(getattr(function, "__wrapped__", None), types.FunctionType):
            got, hint = type(function).__name__, "differentiate the function it wraps: its __wrapped__"
            function = function.__wrapped__
        else:
            got = type(function).__name__
        raise NotFound(
            f"s2sad differentiates Python functions defined with def; got {got}", _defined_at(function), hint=hint
        )
    code = function.__code__
    path = display_path(code.co_filename)
    if function.__name__ == "<lambda>":
        raise UnsupportedSyntax(
            "a lambda cannot be differentiated", Origin(path, code.co_firstlineno, 0),
            hint="define the function with def",
        )
    lines = linecache.getlines(code.co_filename, function.__globals__)
    if not lines:
        raise NotFound(
            f"cannot read the source of {function.__qualname__} (from {code.co_filename})",
            hint="define it in a file, so its source can be read",
        )
    if path != code.co_filename:
        # Error messages look lines up by the displayed path.
        linecache.cache.setdefault(path, (len("".join(lines)), None, lines, path))
    module, positions = _parse("".join(lines), path)
    for node in _functions(module):
        lines = {positions[node].start.line, positions[node.name].start.line}
        lines |= {positions[decorator].start.line for decorator in node.decorators}
        if node.name.value == function.__name__ and code.co_firstlineno in lines:
            return Unit(
                path=path,
                name=function.__name__,
                module=module,
                function=node,
                positions=positions,
                filename=code.co_filename,
                module_name=function.__module__,
                live_globals=live_namespace(function),
            )
    raise NotFound(
        f"cannot find the definition of {function.__qualname__} in {path}",
        hint="the file changed since it was imported? Import it again, or define the function with def",
    )


def _defined_at(thing) -> Origin | None:
    """Where a method or class is defined, if its source can be found."""
    try:
        filename = inspect.getsourcefile(thing)
        _, line = inspect.findsource(thing)
    except (TypeError, OSError):
        return None
    if filename is None:
        return None
    path = display_path(filename)
    text = linecache.getline(filename, line + 1)
    if path != filename:
        linecache.cache.setdefault(path, (0, None, linecache.getlines(filename), path))
    return Origin(path, line + 1, len(text) - len(text.lstrip()))


def live_namespace(function: types.FunctionType) -> "_LiveNames":
    """What generated code for ``function`` reads its globals and closure through."""
    closure = dict(zip(function.__code__.co_freevars, function.__closure__ or ()))
    return _LiveNames(function.__globals__, closure)


def from_file(filename: str, name: str) -> Unit:
    """The Unit of the top-level function ``name`` in ``filename``, read as text."""
    path = display_path(filename)
    text = read_source(filename)
    linecache.cache[path] = (len(text), None, text.splitlines(keepends=True), path)
    module, positions = _parse(text, path)
    for statement in reversed(module.body):  # defined twice: the last definition is the one Python keeps
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
            return Unit(
                path=path,
                name=name,
                module=module,
                function=statement,
                positions=positions,
                filename=os.path.abspath(filename),
                module_name=Path(filename).stem,
            )
    functions = [s.name.value for s in module.body if isinstance(s, cst.FunctionDef)]
    defined = _defines(module, name)
    if defined is not None:
        raise NotFound(
            f"'{name}' in {path} is not a function",
            Origin(path, positions[defined].start.line, 0),
            hint="name a function defined with def at the top level of the file",
        )
    raise NotFound(
        f"no function '{name}' in {path}",
        hint=f"functions defined there: {', '.join(functions)}" if functions else "it defines no functions",
    )


_FUNCTIONS: dict[int, tuple[cst.Module, list]] = {}


def _functions(module: cst.Module):
    """Every function definition in ``module`` (computed once per parsed module)."""
    entry = _FUNCTIONS.get(id(module))
    if entry is None:
        entry = _FUNCTIONS[id(module)] = (module, _find_functions(module))
    return entry[1]


def _find_functions(module: cst.Module):
    found = []

    class Finder(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, cst.FunctionDef):
                found.append(node)
            return not isinstance(node, cst.BaseExpression)  # definitions are statements: expressions hold none

    module.visit(Finder())
    return found


def _defines(module: cst.Module, name: str) -> cst.CSTNode | None:
    """The top-level statement binding ``name``, other than a function definition."""
    for statement in module.body:
        if isinstance(statement, cst.ClassDef) and statement.name.value == name:
            return statement
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                targets = getattr(small, "targets", None) or [getattr(small, "target", None)]
                for target in targets:
                    target = getattr(target, "target", target)
                    if isinstance(target, cst.Name) and target.value == name:
                        return statement
    return None


class _LiveNames(dict):
    """Globals for generated code: its own names first, then the user's closure and globals, live.

    A dict subclass, so the user's namespace is read on every lookup (a later
    change to a global is seen) and never written to.
    """

    def __init__(self, user_globals: dict, closure: dict[str, types.CellType], foreign=None):
        super().__init__()
        self.user_globals = user_globals
        self.closure = closure
        self.foreign = foreign or {}  # name -> (the _LiveNames of another function, its name there)

    def __missing__(self, name: str):
        if name in self.foreign:
            names, original = self.foreign[name]
            return names.lookup(original)
        cell = self.closure.get(name)
        if cell is not None:
            return cell.cell_contents
        return self.user_globals[name]

    def lookup(self, name: str):
        """The user's value of ``name``: closure, globals, then builtins. KeyError if none."""
        try:
            return self.__missing__(name)
        except (KeyError, ValueError):
            builtins = self.user_globals.get("__builtins__", __builtins__)
            table = builtins if isinstance(builtins, dict) else vars(builtins)
            return table[name]

    def new_namespace(self, foreign=None) -> "_LiveNames":
        """An empty namespace for generated code; ``foreign`` names read other functions' globals."""
        return _LiveNames(self.user_globals, self.closure, foreign)
