"""Load: a live function, or ``file.py:name``, -> a Unit holding its file's libcst tree.

A file is read as Python reads it (its encoding, its newlines) and parsed once,
with every syntax error located; a live function's text is first vouched for by
source.py. The whole file is parsed, not just the function, so every position
is already the position in the user's file and static name resolution sees the
imports. Loading from a path reads the file as text and never executes it.
"""

from __future__ import annotations

import ast
import inspect
import keyword
import linecache
import os
import threading
import tokenize
import types
import unicodedata
import warnings
from io import BytesIO, StringIO
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from s2sad.errors import NotFound, Origin, UnsupportedSyntax, deep_nesting
from s2sad.frontend.source import display_path, verified_source
from s2sad.core.unit import Unit

_PARSED: dict[tuple[str, str], tuple[cst.Module, dict]] = {}


def _parse(text: str, path: str) -> tuple[cst.Module, dict]:
    """The file's tree and positions; parsed once per text (trees are immutable, so shared)."""
    key = (path, text)
    if key not in _PARSED:
        _PARSED[key] = _parse_text(text, path)
    return _PARSED[key]


def _parse_text(text: str, path: str) -> tuple[cst.Module, dict]:
    _refuse_huge(len(text), path)
    with deep_nesting(Origin(path, 1, 0)):
        _check_python_parses(text, path)
        try:
            module = _parse_on_a_large_stack(text)
        except cst.ParserSyntaxError as error:
            raise UnsupportedSyntax(
                f"cannot parse the file: {error.message}",
                Origin(path, error.raw_line, error.raw_column),
                hint=_SYNTAX_HINT,
            ) from None
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        positions = dict(wrapper.resolve(PositionProvider))
        if not unicodedata.is_normalized("NFKC", text):  # ASCII is: most files stop here
            module = _names_as_python_reads_them(module, positions, path)
        return module, positions


def read_source(filename: str) -> str:
    """The text of a Python file, decoded as Python decodes it: a BOM or a coding line, else UTF-8."""
    path = display_path(filename)
    try:
        _refuse_huge(Path(filename).stat().st_size, path)  # before reading it: it may be huge
        raw = Path(filename).read_bytes()
    except FileNotFoundError:
        raise NotFound(
            f"no such file: {filename}", hint="give the model file's path, relative to this folder"
        ) from None
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
            f"cannot read the file: {problem.msg}",
            Origin(path, problem.lineno or 1, 0),
            hint="declare an encoding Python knows, or save the file as UTF-8",
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")  # newlines as Python reads them


# libcst's native parser kills the process (SIGABRT) on a file of tens of megabytes, where it
# cannot raise, and needs some 500 bytes of memory per byte of source (13 MB: 6 GB, 2.5 minutes).
# A model file is far smaller than this (2 MB is some 50,000 lines), so larger ones are refused
# before they are parsed.
MAX_SOURCE_BYTES = 2_000_000

_SYNTAX_HINT = "fix the syntax error; s2sad reads the file as Python source"


def _refuse_huge(size: int, path: str) -> None:
    if size > MAX_SOURCE_BYTES:
        raise UnsupportedSyntax(
            f"{path} is too large for s2sad: {size:,} bytes, more than the {MAX_SOURCE_BYTES:,} it reads",
            Origin(path, 1, 0),
            hint="move the function to differentiate, and the functions it calls, into a smaller file",
        )


def _check_python_parses(text: str, path: str) -> None:
    """Refuse what Python's own parser refuses, where it says: libcst puts a NUL byte or mixed tabs
    and spaces at 1:1, and crashes the process (SIGSEGV) on nesting Python refuses as too deep."""
    if "\0" in text:
        before = text[: text.index("\0")]
        raise UnsupportedSyntax(
            "cannot parse the file: it contains a NUL byte (\\0)",
            Origin(path, before.count("\n") + 1, len(before) - before.rfind("\n") - 1),
            hint="remove the NUL byte; a Python file holds text only",
        )
    try:
        with warnings.catch_warnings():  # an invalid escape like "\d" warns; the user's Python says so
            warnings.simplefilter("ignore")
            compile(text, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:  # IndentationError and TabError too; offset is 1-based
        raise UnsupportedSyntax(
            f"cannot parse the file: {error.msg}",
            Origin(path, error.lineno or 1, max((error.offset or 1) - 1, 0)),
            hint=_SYNTAX_HINT,
        ) from None
    except (MemoryError, RecursionError):  # Python's parser ran out of stack, and gives no position
        line, column = _longest_statement(text)
        raise UnsupportedSyntax(
            "cannot parse the file: this statement is nested too deeply or is too long for Python's parser",
            Origin(path, line, column),
            hint="split the deepest expression into several assignments",
        ) from None


def _longest_statement(text: str) -> tuple[int, int]:
    """Where the statement of the most tokens starts: what Python's parser gives up on."""
    most, start, count, first = 0, (1, 0), 0, None
    skipped = {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT}
    try:
        for token in tokenize.generate_tokens(StringIO(text).readline):
            if token.type in skipped:
                continue
            first, count = first or token.start, count + 1
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                if count > most:
                    most, start = count, first
                count, first = 0, None
    except (tokenize.TokenError, SyntaxError):
        pass
    return start


# libcst's native parser recurses on the C stack for each level of nesting: some 6000 levels of
# `a if b else ...`, which Python's parser accepts, overflow a main thread's 8 MB and kill the
# process (SIGSEGV). A thread with this much stack parses them (only the pages used are allocated).
PARSER_STACK_BYTES = 256 * 2**20


def _parse_on_a_large_stack(text: str) -> cst.Module:
    outcome: dict[str, object] = {}

    def parse() -> None:
        try:
            outcome["module"] = cst.parse_module(text)
        except BaseException as error:  # raised again in the caller's thread
            outcome["error"] = error

    previous = threading.stack_size(PARSER_STACK_BYTES)
    try:
        parser = threading.Thread(target=parse, name="s2sad-parse", daemon=True)
        parser.start()
    finally:
        threading.stack_size(previous)
    parser.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["module"]


def _names_as_python_reads_them(module: cst.Module, positions: dict, path: str) -> cst.Module:
    """Every identifier NFKC-normalized, as Python's parser reads it (PEP 3131): ``ﬁ`` is ``fi`` and
    ``µ`` (micro sign) is ``μ``. libcst keeps the spelling, which would make one variable two.
    Rebuilt nodes take the positions of the nodes they replace."""
    finder = _UnnormalizedNames()
    module.visit(finder)
    for name in finder.names:
        normalized = unicodedata.normalize("NFKC", name.value)
        if keyword.iskeyword(normalized):
            start = positions[name].start
            raise UnsupportedSyntax(
                f"the name '{name.value}' reads as the keyword '{normalized}' (Python normalizes identifiers)",
                Origin(path, start.line, start.column),
                hint=f"spell it otherwise: generated code cannot name a variable '{normalized}'",
            )
    if not finder.names:
        return module
    return module.visit(_NormalizeNames(finder.holding, positions))


class _UnnormalizedNames(cst.CSTVisitor):
    """Finds the names not spelled in NFKC form, and every node holding one (``holding``)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[cst.Name] = []
        self.holding: set[cst.CSTNode] = set()
        self._path: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self._path.append(node)
        if isinstance(node, cst.Name) and not unicodedata.is_normalized("NFKC", node.value):
            self.names.append(node)
            self.holding.update(self._path)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._path.pop()


class _NormalizeNames(cst.CSTTransformer):
    """Rewrites the names ``_UnnormalizedNames`` found; only the nodes holding one are rebuilt."""

    def __init__(self, holding: set[cst.CSTNode], positions: dict) -> None:
        super().__init__()
        self.holding = holding
        self.positions = positions

    def on_visit(self, node: cst.CSTNode) -> bool:
        return node in self.holding

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> cst.CSTNode:
        if isinstance(updated_node, cst.Name):
            updated_node = updated_node.with_changes(value=unicodedata.normalize("NFKC", updated_node.value))
        if updated_node is not original_node:
            self.positions[updated_node] = self.positions[original_node]
        return updated_node


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
            "a lambda cannot be differentiated",
            Origin(path, code.co_firstlineno, 0),
            hint="define the function with def",
        )
    text = verified_source(function, parse=_parse)
    if path != code.co_filename:
        # Error messages look lines up by the displayed path.
        linecache.cache[path] = (len(text), None, text.splitlines(keepends=True), path)
    module, positions = _parse(text, path)
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
        Origin(path, code.co_firstlineno, 0),
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
    closure = dict(zip(function.__code__.co_freevars, function.__closure__ or (), strict=True))
    return _LiveNames(function.__globals__, closure)


def from_file(filename: str, name: str) -> Unit:
    """The Unit of the top-level function ``name`` in ``filename``, read as text."""
    name = unicodedata.normalize("NFKC", name)  # as Python reads identifiers, and _parse_text the file's
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
