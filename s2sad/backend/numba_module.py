"""The numba target's module: the kernel numba compiles and the wrapper that calls it; loading it.

    @numba.njit(cache=True)
    def grad_f_kernel(theta, y0, n):        # the sweeps, lowered by numba.py
        ...
        return d_theta, d_y

    def grad_f(theta, y0, n):               # plain Python: checks, argument types, result types
        _rt.require_float(theta, "theta", "model.py:5:7")
        d_theta, d_y = grad_f_kernel(numba_runtime.argument(theta), numba_runtime.argument(y0), n)
        return _rt.like(d_theta, theta), _rt.like(d_y, y0)

A live function's module is written to a file (numba caches compiled code beside a source file
only): in s2sad's cache folder (backend/cache.py; a private temporary folder when the cache is
off), named by a hash of its text, rewritten whenever the file there differs. What numba cannot
compile is refused at the first call, at the user's line the kernel's line comes from.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import os
import re
import stat
import sys
import tempfile
from pathlib import Path

import libcst as cst

from s2sad.backend import cache, emit
from s2sad.core import naming
from s2sad.core import target as code
from s2sad.core.target import Generated
from s2sad.core.unit import Unit
from s2sad.errors import Origin, UnsupportedSyntax
from s2sad.options import Options
from s2sad.frontend.scope import dotted

HINT = "use target='numpy' (the default)"


def assemble(unit: Unit, options: Options, lowered: tuple[list, list, list], channels: dict) -> Unit:
    forward, reverse, guards = lowered
    generated = unit.generated
    names = unit.names
    runtime = names.role("v_numba_runtime")
    parameters = [p.name.value for p in (*generated.parameters.params, *generated.parameters.kwonly_params)]
    kernel_name = f"{generated.name}_kernel"
    leaves, result = _split_result(generated.result, names)
    kernel = Generated(
        name=kernel_name,
        parameters=cst.Parameters(params=[cst.Param(cst.Name(p)) for p in parameters]),
        docstring=f"The sweeps of {generated.name}, compiled by numba in nopython mode.",
        guards=(),
        forward=tuple(forward),
        reverse=tuple(reverse),
        result=cst.Tuple([cst.Element(value) for _, value in leaves]),
    )
    arguments = [code.call(code.attribute(runtime, "argument"), cst.Name(p)) for p in parameters]
    targets = cst.Tuple([cst.Element(cst.Name(name)) for name, _ in leaves])
    called = code.Line(
        cst.Assign([cst.AssignTarget(targets)], code.call(cst.Name(kernel_name), *arguments)),
        None,
        heading="the kernel: numbers and float64 arrays in, the gradients' values out",
    )
    wrapper = dataclasses.replace(generated, guards=(*guards, called), forward=(), reverse=(), result=result)
    source = render(unit, kernel, wrapper, channels)
    compiled = None
    if unit.live_globals is not None:
        compiled = load(source, generated.name, unit.path)
    return dataclasses.replace(unit, generated=wrapper, source=source, compiled=compiled)


def _split_result(result: cst.BaseExpression, names) -> tuple[list, cst.BaseExpression]:
    """What the kernel returns (name, value), and the wrapper's result made of them: ``_rt.like(g, x)``
    keeps its ``x`` (the argument, in its own dtype) in the wrapper."""
    leaves: list[tuple[str, cst.BaseExpression]] = []
    like = f"{names.module('_rt')}.like"
    runtime = names.role("v_numba_runtime")

    def leaf(value: cst.BaseExpression) -> cst.BaseExpression:
        if isinstance(value, cst.Tuple):
            return value.with_changes(elements=[e.with_changes(value=leaf(e.value)) for e in value.elements])
        if isinstance(value, cst.Call) and dotted(value.func) == like:
            gradient = value.args[0].value
            arguments = [value.args[0].with_changes(value=leaf(gradient)), *value.args[1:]]
            return value.with_changes(func=code.attribute(runtime, "like"), args=arguments)
        name = value.value if isinstance(value, cst.Name) else names.role(f"v_result_{len(leaves) + 1}")
        leaves.append((name, value))
        return cst.Name(name)

    return leaves, leaf(result)


def render(unit: Unit, kernel: Generated, wrapper: Generated, channels: dict) -> str:
    kernel_module, kernel_names = emit._finalized(dataclasses.replace(unit, generated=kernel))
    wrapper_module, wrapper_names = emit._finalized(dataclasses.replace(unit, generated=wrapper))
    kernel_function = _tapes_named(kernel_module.body[-1], kernel_names, channels)
    decorator = cst.Decorator(cst.parse_expression("numba.njit(cache=True)"))
    kernel_function = kernel_function.with_changes(decorators=[decorator])
    imports: dict[str, cst.BaseStatement] = {"import numba": cst.parse_statement("import numba")}
    for module in (kernel_module, wrapper_module):
        for statement in module.body[1:-1]:
            imports.setdefault(module.code_for_node(statement), statement)
    runtime = unit.names.role("v_numba_runtime")
    for chosen in sorted({found[runtime] for found in (kernel_names, wrapper_names) if runtime in found}):
        alias = "" if chosen == "numba_runtime" else f" as {chosen}"
        statement = cst.parse_statement(f"from s2sad.backend import numba_runtime{alias}")
        imports.setdefault(kernel_module.code_for_node(statement), statement)
    docstring = kernel_module.body[0]
    module = cst.Module(body=[docstring, *imports.values(), kernel_function, wrapper_module.body[-1]])
    return emit._formatted(module.code)


def _tapes_named(function: cst.FunctionDef, chosen: dict[str, str], channels: dict) -> cst.FunctionDef:
    """Each tape and its top named after what it saves: ``tape_y``, ``top_y``; ``tape_branches``."""
    taken = set(naming.names_in(function))
    renames = {}
    for channel in channels.values():
        saved = chosen.get(channel.key, channel.key).lstrip("_")
        for placeholder, stem in ((channel.tape, "tape"), (channel.top, "top")):
            if placeholder not in chosen:
                continue
            name, number = f"{stem}_{saved}", 1
            while name in taken:
                name, number = f"{stem}_{saved}_{number}", number + 1
            taken.add(name)
            renames[chosen[placeholder]] = name

    class Renamer(cst.CSTTransformer):
        def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
            return updated.with_changes(value=renames.get(updated.value, updated.value))

    return function.visit(Renamer())


# -- loading ------------------------------------------------------------------------------------------


def load(source: str, name: str, path: str):
    """The wrapper ``name`` of the module ``source``, imported from a file; numba errors located."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    module_name = f"s2sad_numba_{digest}"
    folder = _folder()
    file = folder / f"{module_name}.py"
    if not _holds(file, source):
        temporary = folder / f".{module_name}.{os.getpid()}.tmp"
        temporary.write_text(source, encoding="utf-8")
        os.replace(temporary, file)
    spec = importlib.util.spec_from_file_location(module_name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    wrapper = getattr(module, name)
    located = _located(wrapper, source, path, str(file))
    located.__s2sad_source__ = source
    return located


def _holds(file: Path, source: str) -> bool:
    try:
        info = os.lstat(file)
        return stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid() and file.read_text("utf-8") == source
    except (OSError, UnicodeDecodeError):
        return False


@functools.cache
def _folder() -> Path:
    """Where generated modules go: s2sad's cache folder if it is one s2sad trusts, else a private
    temporary folder (numba reads the compiled code it caches there)."""
    base = cache.directory()
    if base is not None:
        folder = base / "numba"
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = os.lstat(folder)
            if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022:
                return folder
        except OSError:
            pass
    return Path(tempfile.mkdtemp(prefix="s2sad-numba-"))


def _located(wrapper, source: str, path: str, file: str):
    """``wrapper``, raising what numba cannot compile as a located UnsupportedSyntax."""
    from numba.core.errors import NumbaError

    @functools.wraps(wrapper)
    def derivative(*args, **keywords):
        try:
            return wrapper(*args, **keywords)
        except NumbaError as error:
            raise _refusal(error, source, path, file) from None

    return derivative


def _refusal(error: Exception, source: str, path: str, file: str) -> UnsupportedSyntax:
    text = str(error)
    message = _ANSI.sub("", text).strip().splitlines()
    summary = next((line.strip() for line in message if line.strip() and not line.startswith("Failed in")), "")
    lines = [int(n) for f, n in _LOCATION.findall(_ANSI.sub("", text)) if os.path.basename(f) == os.path.basename(file)]
    origin = _origin(source, lines[-1], path) if lines else None
    return UnsupportedSyntax(f"numba cannot compile the derivative here: {summary}", origin, hint=HINT)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LOCATION = re.compile(r'File "([^"]+)", line (\d+)')
_COMMENT = re.compile(r"#\s+(?:adjoint of\s+)?(\S+?):(\d+)(?::|$)")


def _origin(source: str, line: int, path: str) -> Origin | None:
    """The user's line a line of the generated module comes from: the origin comment above it."""
    lines = source.splitlines()
    for text in reversed(lines[:line]):
        found = _COMMENT.search(text.strip())
        if found and text.strip().startswith("#") and path.endswith(found.group(1)):
            number = int(found.group(2))
            user_line = Origin(path, number, 0).source_line()
            return Origin(path, number, len(user_line) - len(user_line.lstrip()))
    return None
