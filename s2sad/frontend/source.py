"""Source: the user's text as the compiler quotes it, vouched for as the code that runs.

A live function's source is read through linecache, which can disagree with the
function (a file edited after its module was imported, or a module reloaded
after an edit). ``verified_source`` returns the text only if compiling it gives
the function's own code, so s2sad never differentiates code that does not run.
"""

from __future__ import annotations

import __future__
import functools
import linecache
import operator
import os
import types
from typing import Callable

from s2sad.errors import NotFound, Origin


def display_path(filename: str) -> str:
    """The path as users should see it: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative


def verified_source(function: types.FunctionType, parse: Callable[[str, str], object] | None = None) -> str:
    """The text of ``function``'s file, checked to be the text its code was compiled from.

    linecache may hold an older text than the function's (its module was reloaded
    after an edit) or the file a newer one (edited, not reloaded): differentiating
    either would give the derivative of code that does not run. The check compiles
    the text and compares the function's bytecode, names and constants.

    ``parse(text, path)`` is the loader's parser: given, a file that no longer
    compiles is refused where the parser locates its syntax error.
    """
    code = function.__code__
    linecache.checkcache(code.co_filename)  # drops a file's lines if it changed on disk
    lines = linecache.getlines(code.co_filename, function.__globals__)
    text = "".join(lines)
    compiled = _compiled(text, code.co_filename) if lines else None
    if parse is not None and compiled is None and lines and not code.co_filename.startswith("<"):
        parse(text, display_path(code.co_filename))  # the file no longer parses: the parser locates the error
    matches = compiled is not None and any(_fingerprint(code) == _fingerprint(c) for c in _code_objects(compiled, code))
    if not matches and (not lines or code.co_filename.startswith("<")):
        # No file: exec'd text, whose name (``<string>``) another exec may have given other lines.
        raise NotFound(
            f"cannot read the source of {function.__qualname__} (from {code.co_filename})",
            hint="define it in a file, so its source can be read",
        )
    if not matches:
        raise NotFound(
            f"the source of {function.__qualname__} in {display_path(code.co_filename)} is not the code that "
            "runs: the file changed after the function was defined",
            Origin(display_path(code.co_filename), code.co_firstlineno, 0),
            hint="reload its module (importlib.reload, or restart the interpreter) so the function and its "
            "file agree",
        )
    return text


_COMPILED: dict[tuple[str, str], types.CodeType | None] = {}


def _compiled(text: str, filename: str) -> types.CodeType | None:
    """``text`` compiled as Python compiles a module file (None if it does not compile); once per text."""
    key = (filename, text)
    if key not in _COMPILED:
        try:
            _COMPILED[key] = compile(text, filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            _COMPILED[key] = None
    return _COMPILED[key]


def _code_objects(code: types.CodeType, like: types.CodeType):
    """The code objects in ``code`` (nested at any depth) with the name and first line of ``like``."""
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            if constant.co_name == like.co_name and constant.co_firstlineno == like.co_firstlineno:
                yield constant
            yield from _code_objects(constant, like)


# __future__ features that code compiled by exec() may inherit from its caller: not part of the function
_FUTURE_FLAGS = functools.reduce(
    operator.or_, (getattr(__future__, n).compiler_flag for n in __future__.all_feature_names)
)


def _fingerprint(code: types.CodeType) -> tuple:
    constants = tuple(
        _fingerprint(c) if isinstance(c, types.CodeType) else (type(c).__name__, repr(c)) for c in code.co_consts
    )
    return (
        code.co_code,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
        code.co_flags & ~_FUTURE_FLAGS,
        constants,
    )
