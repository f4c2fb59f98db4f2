"""The s2sad command: a thin front end over the compiler (installed as the package s2sad.cli).

    s2sad grad model.py:loss [--wrt w,b] [--mode reverse] [-o FILE [--force]] [--check [--shapes ...]]
    s2sad rules
    s2sad cache info | clear

Exit status: 0 done, 1 a function cannot be differentiated (located message on
stderr) or --check found the gradient wrong, 2 usage error. The module goes to
stdout (or -o FILE); messages, and --check's report, go to stderr.

-o writes regular files only: a FILE that is (or whose symlink leads to) a
device, a FIFO, a socket or a folder is refused (usage error), and so is a
read-only FILE unless --force is given.

Generating code reads the model file as text and never executes it. Only
--check imports it, to run the generated gradient against finite differences.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import hashlib
import importlib
import inspect
import linecache
import os
import signal
import stat
import sys
import tempfile
import threading
import traceback
import types

import s2sad
from s2sad import cache, emit, load, pipeline, rules
from s2sad.api import wrt_names
from s2sad.errors import BadArgument, S2SADError
from s2sad.options import Options
from s2sad.rules import syntax

TOLERANCE = 1e-5  # --check fails when the largest relative error is above this
STEP = 1e-6  # central differences in float64, step STEP * max(1, |x|)
CHECK_LIMIT = 1000  # entries checked per argument at most (a fixed sample of larger ones)

_EXAMPLES = """\
examples:
  s2sad grad fixtures/logistic.py:loss
  s2sad grad fixtures/logistic.py:loss --wrt w,b -o grad_logistic.py
  s2sad grad fixtures/logistic.py:loss --check
  s2sad rules
"""

_GRAD_EXAMPLES = """\
examples:
  s2sad grad model.py:loss                      print grad_loss, the gradient w.r.t. the first argument
  s2sad grad model.py:loss --wrt w,b            ... w.r.t. w and b (returns a tuple); --wrt 0,1 is the same
  s2sad grad model.py:loss,energy -o grads.py   grad_loss and grad_energy in one module, written to grads.py
  s2sad grad model.py:loss other.py:cost        functions of several files in one module
  s2sad grad model.py:loss --check              compare with finite differences on example_inputs()
  s2sad grad model.py:loss --check --shapes "w=(3,),x=(10,3),b=float,y=(10,)"

--check imports model.py (its top-level code runs) to run the generated
gradient; without --check the file is only read, never executed. Inputs come
from --shapes or, without it, from a function example_inputs() in model.py that
returns a dict of arguments (it is called with name=NAME if it has a parameter
`name`). The relative error of an argument is the largest difference between
the gradient and central finite differences, divided by the largest entry of
its gradient; an argument with more than 1000 entries is checked on a fixed
random sample of 1000 of them.
"""

_RULES_EXAMPLES = """\
examples:
  s2sad rules                    every function s2sad differentiates, and the helpers it passes through
  s2sad rules | grep linalg
"""


class UsageError(Exception):
    """A command line that cannot be carried out as given: exit status 2."""


class _Failure(Exception):
    """Reported already (on stderr); exit with ``status``."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="s2sad",
        description="Source-to-source automatic differentiation for plain numpy code.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"s2sad {s2sad.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    grad = commands.add_parser(
        "grad",
        help="print a module defining the gradient of one or more functions",
        description="Print a black-formatted Python module defining grad_NAME, the gradient of\n"
        "NAME in FILE.py, for each target: one module for all of them. The files are\n"
        "read as text and never executed (except by --check).",
        epilog=_GRAD_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    grad.add_argument(
        "targets",
        nargs="+",
        metavar="FILE.py:NAME",
        help="a function to differentiate; several go into one module, as separate arguments or "
        "comma-separated (model.py:loss,model.py:energy, or model.py:loss,energy)",
    )
    grad.add_argument(
        "--wrt",
        default="0",
        metavar="ARGS",
        help="arguments to differentiate with respect to, for every function: names or positions, "
        "comma-separated (default: each function's first argument)",
    )
    grad.add_argument(
        "--mode",
        choices=("reverse", "forward"),
        default="reverse",
        help="reverse (the default): print grad_NAME; forward: print jvp_NAME(*args, *, d_<wrt>...) -> "
        "(value, tangent), the Jacobian-vector product",
    )
    grad.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the module to FILE instead of stdout, atomically: if anything fails, FILE is "
        "left as it was and no partial file is left behind; FILE keeps its permission bits. FILE must be "
        "a regular file or a new path (through symlinks): a device, FIFO, socket or folder is refused, "
        "and so is a read-only FILE unless --force",
    )
    grad.add_argument(
        "--force",
        action="store_true",
        help="replace FILE even if it is read-only (it keeps its read-only mode); never a device, FIFO, "
        "socket or folder",
    )
    grad.add_argument(
        "--check",
        action="store_true",
        help="import the model file(s), run the generated gradient and compare it with central "
        f"finite differences in float64; above a relative error of {TOLERANCE:g} it fails (exit 1) and "
        "nothing is printed or written",
    )
    grad.add_argument(
        "--shapes",
        metavar="SPEC",
        help='inputs for --check, e.g. "w=(3,),x=(10,3),b=float,steps=5": a tuple is a random '
        "normal float64 array of that shape, `float` a random Python float, a number that value "
        "(5, 0.1); "
        "arguments with defaults may be left out (default: example_inputs() in the model file)",
    )
    grad.set_defaults(run=_grad)
    listing = commands.add_parser(
        "rules",
        help="list the functions s2sad can differentiate",
        description="List every function with a derivative rule, as you spell it in your code,\n"
        "with the modes it supports; then the helpers s2sad passes through without a\n"
        "derivative (zero derivative, or allowed only on values that do not depend on\n"
        "what is differentiated).",
        epilog=_RULES_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing.set_defaults(run=_rules)
    cached = commands.add_parser(
        "cache",
        help="show or empty the on-disk cache of generated derivatives",
        description="The decorator and s2sad.grad keep generated modules on disk (see README.md:\n"
        "what the cache trusts). info: its folder, whether it is used and what it holds;\n"
        "clear: remove every entry.",
    )
    cached.add_argument("action", choices=("info", "clear"))
    cached.set_defaults(run=_cache)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        with _terminated_like_interrupted():
            return arguments.run(arguments)
    except UsageError as error:
        print(f"s2sad {arguments.command}: error: {error}", file=sys.stderr)
        return 2
    except _Failure as failure:
        return failure.status
    except BrokenPipeError:  # `s2sad rules | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:  # Ctrl-C: what was half done is undone on the way here (_write_atomically)
        print(f"s2sad {arguments.command}: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT


@contextlib.contextmanager
def _terminated_like_interrupted():
    """SIGTERM (`kill`, a CI timeout) unwinds the stack like Ctrl-C does, so that -o removes its
    temporary file; it exits with the usual status 143."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread can handle signals
        return

    def terminate(number, frame):
        raise SystemExit(128 + number)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)  # None: set outside Python


# -- s2sad grad ------------------------------------------------------------------------------


@dataclasses.dataclass
class _Target:
    filename: str  # as given
    name: str
    unit: object = None  # the compiled Unit
    wrt: tuple[str, ...] = ()


def _grad(arguments: argparse.Namespace) -> int:
    if arguments.mode == "forward" and arguments.check:
        raise UsageError("--check compares gradients (reverse mode); run it without --mode forward")
    if arguments.shapes is not None and not arguments.check:
        raise UsageError("--shapes gives the inputs of --check; add --check")
    targets = _targets(arguments.targets)
    wrt = _wrt(arguments.wrt)
    shapes = _shapes(arguments.shapes) if arguments.shapes is not None else None
    if arguments.force and arguments.output is None:
        raise UsageError("--force lets -o replace a read-only FILE; add -o FILE")
    if arguments.output is not None:
        _check_output(arguments.output, targets, arguments.force)

    status = 0
    for target in targets:
        try:
            unit = load.from_file(target.filename, target.name)
        except S2SADError as error:
            print(error, file=sys.stderr)
            status = max(status, 1)
            continue
        try:
            target.wrt = wrt_names(wrt, unit)
        except BadArgument as error:
            message = error.message.removeprefix("wrt=")
            print(f"s2sad grad: error: --wrt {arguments.wrt}: {message}", file=sys.stderr)
            status = 2
            continue
        try:
            kind = "jvp" if arguments.mode == "forward" else "grad"
            target.unit = pipeline.compile_unit(
                unit, Options(kind=kind, wrt=target.wrt, wrt_tuple=len(wrt) > 1, mode=arguments.mode)
            )
        except S2SADError as error:
            print(error, file=sys.stderr)
            status = max(status, 1)
    if status:
        return status

    units = [target.unit for target in targets]
    source = units[0].source if len(units) == 1 else emit.render_module(units)
    _refuse_clashes(source, targets)
    if arguments.check:
        status = _check(source, targets, shapes, arguments.output)
        if status:
            return status
    if arguments.output is None:
        sys.stdout.write(source)
    else:
        try:
            _write_atomically(arguments.output, source)
        except OSError as error:
            print(f"s2sad grad: error: cannot write {arguments.output}: {error.strerror or error}", file=sys.stderr)
            return 1
    return 0


def _targets(words: list[str]) -> list[_Target]:
    """FILE.py:NAME targets, separate or comma-separated; a bare NAME after a comma reuses the file."""
    targets: list[_Target] = []
    seen: dict[tuple[str, str], str] = {}
    names: dict[str, str] = {}
    for word in words:
        filename = None
        for piece in word.split(","):
            piece = piece.strip()
            if not piece:
                raise UsageError(f"empty target in {word!r}: expected FILE.py:NAME[,FILE.py:NAME...]")
            file_part, separator, name = piece.rpartition(":")
            if separator and file_part and name:
                filename = file_part
            elif not separator and filename is not None:
                name = piece
            else:
                raise UsageError(f"expected FILE.py:NAME, got {piece!r}")
            if not name.isidentifier():
                raise UsageError(f"{name!r} in {piece!r} is not a function name")
            key = (os.path.normcase(os.path.abspath(filename)), name)
            if key in seen:
                continue  # the same function twice: generate it once
            if name in names:
                raise UsageError(
                    f"{names[name]}:{name} and {filename}:{name} would both define grad_{name} in one "
                    "module; generate them separately"
                )
            seen[key] = filename
            names[name] = filename
            targets.append(_Target(filename, name))
    return targets


def _wrt(text: str) -> tuple[int | str, ...]:
    items = [item.strip() for item in text.split(",")]
    if not any(items):
        raise UsageError("--wrt is empty: name at least one argument (a name or a position)")
    if not all(items):
        raise UsageError(f"--wrt {text}: empty item; separate names or positions with single commas")
    wrt: list[int | str] = []
    for item in items:
        if item.lstrip("-").isdigit():
            wrt.append(int(item))
        elif item.isidentifier():
            wrt.append(item)
        else:
            raise UsageError(f"--wrt {text}: {item!r} is neither an argument name nor a position")
    return tuple(wrt)


class NotARegularFile(OSError):
    """-o leads to something that is not a regular file (a device, a FIFO, a socket, a folder)."""


_KINDS = (  # what -o refuses to replace, and how to name it
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def _kind(mode: int) -> str | None:
    """What a file of ``mode`` is, if not a regular file (None for a regular file)."""
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "not a regular file"


def _existing(path: str, follow_symlinks: bool = True) -> os.stat_result | None:
    """The status of ``path``, or None if there is nothing there (yet). Never opens it: opening a
    FIFO blocks until someone reads it."""
    try:
        return os.stat(path, follow_symlinks=follow_symlinks)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _read_only(path: str, status: os.stat_result) -> bool:
    # root passes os.access whatever the mode says, so no write bit at all counts as read-only too
    return status.st_mode & 0o222 == 0 or not os.access(path, os.W_OK)


def _check_output(output: str, targets: list[_Target], force: bool = False) -> None:
    """Refuse an -o FILE that cannot or should not be replaced, before anything is compiled."""
    real = os.path.realpath(output)  # what _write_atomically replaces: a symlink's (final) target
    leads = f" (it leads to {real})" if real != os.path.abspath(output) else ""
    try:
        status = _existing(real)
    except OSError as error:  # a symlink loop, a folder we may not search
        raise UsageError(f"-o {output}: {error.strerror or error}") from None
    if status is not None and _kind(status.st_mode):
        raise UsageError(f"-o {output} is {_kind(status.st_mode)}{leads}, not a regular file; give a file path")
    folder = os.path.dirname(real)
    if not os.path.isdir(folder):
        raise UsageError(f"-o {output}: no such folder: {folder}")
    if status is not None and not force and _read_only(real, status):
        raise UsageError(f"-o {output} is read-only{leads}; add --force to replace it")
    for target in targets:
        if status is not None and os.path.exists(target.filename) and os.path.samefile(real, target.filename):
            raise UsageError(f"-o {output} would overwrite the model file {target.filename}")


def _refuse_unless_regular(path: str) -> None:
    """Raise NotARegularFile if the entry ``path`` exists and is not a regular file.

    os.replace acts on the entry itself, so this looks at the entry (lstat), not through it: a
    symlink there would be replaced by the new file, and what it points to left alone.
    """
    status = _existing(path, follow_symlinks=False)
    if status is not None and not stat.S_ISLNK(status.st_mode) and _kind(status.st_mode):
        raise NotARegularFile(f"{path} is {_kind(status.st_mode)}, not a regular file; it was left as it was")


def _write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then os.replace.

    If anything fails, ``path`` keeps its old content and the temporary file is removed. Only a
    regular file (or nothing) at ``path`` is replaced: anything else raises NotARegularFile.
    """
    path = os.path.realpath(path)  # through a symlink, update the file it points to
    _refuse_unless_regular(path)
    status = _existing(path)
    if status is not None:
        mode = stat.S_IMODE(status.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    descriptor, temporary = tempfile.mkstemp(
        dir=os.path.dirname(path), prefix=f".{os.path.basename(path)}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        # Again: compiling and --check take a while, and a FIFO or device may have taken its place.
        _refuse_unless_regular(path)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _refuse_clashes(source: str, targets: list[_Target]) -> None:
    """Several functions in one module must not need one name for two things (``from a import K``, ``from b import K``)."""
    meanings: dict[str, set[str]] = {}
    for statement in ast.parse(source).body:
        if isinstance(statement, ast.FunctionDef):
            meanings.setdefault(statement.name, set()).add(f"def {statement.name}")
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                bound = alias.asname or alias.name.split(".")[0]
                if isinstance(statement, ast.Import):
                    meaning = f"import {alias.name}"
                else:
                    meaning = f"from {'.' * statement.level}{statement.module or ''} import {alias.name}"
                meanings.setdefault(bound, set()).add(meaning)
    clashes = {name: sorted(found) for name, found in meanings.items() if len(found) > 1}
    if clashes:
        name, found = sorted(clashes.items())[0]
        functions = ", ".join(f"{t.filename}:{t.name}" for t in targets)
        raise UsageError(
            f"{functions} cannot share one module: the name {name!r} would mean both "
            f"'{found[0]}' and '{found[1]}'; generate them separately"
        )


@dataclasses.dataclass(frozen=True)
class _Value:
    """A fixed argument value given in --shapes (``steps=5``)."""

    value: int | float


def _shapes(text: str) -> dict[str, object]:
    """--shapes "w=(3,),x=(10,3),b=float,n=5" -> {name: shape tuple | float (the type) | _Value}."""
    hint = 'expected NAME=SHAPE,..., e.g. "w=(3,),x=(10,3),b=float"'
    try:
        call = ast.parse(f"_({text})", mode="eval").body
    except SyntaxError:
        raise UsageError(f"--shapes {text!r}: {hint}") from None
    if not isinstance(call, ast.Call) or call.args or any(k.arg is None for k in call.keywords):
        raise UsageError(f"--shapes {text!r}: {hint}")
    shapes: dict[str, object] = {}
    for keyword in call.keywords:
        value = keyword.value
        if isinstance(value, ast.Name) and value.id == "float":
            shapes[keyword.arg] = float
            continue
        try:
            literal = ast.literal_eval(value)
        except Exception:  # not a literal
            literal = None
        if isinstance(literal, tuple) and all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in literal
        ):
            shapes[keyword.arg] = literal
        elif isinstance(literal, (int, float)) and not isinstance(literal, bool):
            shapes[keyword.arg] = _Value(literal)
        else:
            raise UsageError(
                f"--shapes: {keyword.arg}={ast.unparse(value)} is not a shape; use a tuple such as (3,) "
                "or (10, 3), `float` for a Python float, or a number for that value"
            )
    return shapes


# -- --check -----------------------------------------------------------------------------------


def _check(source: str, targets: list[_Target], shapes: dict | None, output: str | None) -> int:
    """Run the generated module on inputs and compare with central finite differences; 0 or 1."""
    import numpy as np

    folders = []
    for target in targets:
        folder = os.path.dirname(os.path.abspath(target.filename))
        if folder not in folders:
            folders.append(folder)
    sys.dont_write_bytecode = True  # importing the model leaves no __pycache__ beside it
    sys.path[:0] = folders  # the model's folder first: the generated code imports the model module

    models = {target.filename: _import_model(target.filename) for target in targets}
    generated = _run_generated(source, output)
    functions = [s.name for s in ast.parse(source).body if isinstance(s, ast.FunctionDef)]
    if shapes is not None:
        _unused_shapes(shapes, targets, models)

    failed = []
    rng = np.random.default_rng(0)
    for target, gradient_name in zip(targets, functions, strict=True):
        model = models[target.filename]
        function = getattr(model, target.name, None)
        if not callable(function):
            print(
                f"check {target.name}: {target.filename} defines no function {target.name} when imported",
                file=sys.stderr,
            )
            raise _Failure(1)
        signature = inspect.signature(function)
        if shapes is not None:
            values = _inputs_from_shapes(shapes, target, signature, rng)
        else:
            values = _inputs_from_example(model, target, signature)
        if not _check_function(target, function, signature, generated[gradient_name], values):
            failed.append(target.name)
    if failed:
        result = f"{output} was not written" if output else "the module was not printed"
        print(f"s2sad grad: --check failed for {', '.join(failed)}; {result}", file=sys.stderr)
        return 1
    return 0


def _print_traceback(error: BaseException) -> None:
    """The traceback of ``error`` from the first frame outside this module and importlib: the user's."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None and _machinery(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb, file=sys.stderr)


def _machinery(filename: str) -> bool:
    return filename == __file__ or filename.startswith("<frozen ") or os.sep + "importlib" + os.sep in filename


def _import_model(filename: str):
    stem = os.path.splitext(os.path.basename(filename))[0]
    try:
        module = importlib.import_module(stem)
    except BaseException as error:  # the user's top-level code: report whatever it raises
        if isinstance(error, KeyboardInterrupt):
            raise
        print(f"s2sad grad: --check could not import {filename}:", file=sys.stderr)
        _print_traceback(error)
        raise _Failure(1) from None
    found = getattr(module, "__file__", None)
    if not found or not os.path.exists(found) or not os.path.samefile(found, filename):
        raise UsageError(
            f"--check: importing {stem!r} finds {found or 'a built-in module'}, not {filename}; "
            "rename the model file"
        )
    return module


def _run_generated(source: str, output: str | None) -> dict:
    """Execute the generated module in a fresh namespace (registered with linecache for tracebacks)."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    filename = output or f"<s2sad generated module {digest}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module = types.ModuleType("s2sad_generated")
    try:
        exec(compile(source, filename, "exec"), module.__dict__)
    except Exception as error:
        print("s2sad grad: --check: the generated module failed to run:", file=sys.stderr)
        _print_traceback(error)
        raise _Failure(1) from None
    return module.__dict__


def _unused_shapes(shapes: dict, targets: list[_Target], models: dict) -> None:
    parameters = set()
    for target in targets:
        function = getattr(models[target.filename], target.name, None)
        if callable(function):
            parameters |= set(inspect.signature(function).parameters)
    unknown = sorted(set(shapes) - parameters)
    if unknown:
        raise UsageError(
            f"--shapes names {', '.join(unknown)}, not an argument of {', '.join(t.name for t in targets)}"
        )


def _inputs_from_shapes(shapes: dict, target: _Target, signature: inspect.Signature, rng) -> dict:
    values = {}
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        spec = shapes.get(parameter.name)
        if spec is None:
            if parameter.default is parameter.empty:
                example = ",".join(f"{p}=(3,)" for p in signature.parameters)
                raise UsageError(
                    f"--shapes gives no shape for {parameter.name}, an argument of {target.name} "
                    f'without a default; e.g. --shapes "{example}"'
                )
            continue
        if spec is float:
            values[parameter.name] = float(rng.normal())
        elif isinstance(spec, _Value):
            if parameter.name in target.wrt and isinstance(spec.value, int):
                n = parameter.name
                raise UsageError(
                    f"--shapes {n}={spec.value} would pass the integer {spec.value} to {n}, which is "
                    f"differentiated; write {n}=({spec.value},) for a random array of {spec.value} entries, "
                    f"{n}={float(spec.value)} for that value, or {n}=float for a random Python float"
                )
            values[parameter.name] = spec.value
        else:
            values[parameter.name] = rng.normal(size=spec)
    return values


def _inputs_from_example(model, target: _Target, signature: inspect.Signature) -> dict:
    make = getattr(model, "example_inputs", None)
    if not callable(make):
        example = ",".join(f"{p}=(3,)" for p in signature.parameters)
        raise UsageError(
            f'--check needs inputs for {target.name}: give --shapes (e.g. --shapes "{example}") or '
            f"define example_inputs() in {target.filename}, returning a dict of its arguments"
        )
    try:
        takes_name = "name" in inspect.signature(make).parameters
    except (TypeError, ValueError):
        takes_name = False
    try:
        values = make(name=target.name) if takes_name else make()
    except Exception as error:
        print(f"s2sad grad: --check: example_inputs() in {target.filename} raised:", file=sys.stderr)
        _print_traceback(error)
        raise _Failure(1) from None
    if not isinstance(values, dict):
        raise UsageError(
            f"example_inputs() in {target.filename} returned {type(values).__name__}; "
            f"it must return a dict of the arguments of {target.name}"
        )
    try:
        signature.bind(**{k: v for k, v in values.items()})
    except TypeError as error:
        raise UsageError(f"example_inputs() in {target.filename} does not fit {target.name}: {error}") from None
    return dict(values)


def _call(function, signature: inspect.Signature, values: dict):
    positional, keywords = [], {}
    for parameter in signature.parameters.values():
        if parameter.name in values:
            if parameter.kind is parameter.POSITIONAL_ONLY:
                positional.append(values[parameter.name])
            else:
                keywords[parameter.name] = values[parameter.name]
    return function(*positional, **keywords)


def _check_function(target: _Target, function, signature, gradient_function, values: dict) -> bool:
    """Print the largest relative error of ``target``'s gradient; whether it is within TOLERANCE."""
    import numpy as np

    values = dict(values)
    for name in target.wrt:  # differentiate in float64
        if name not in values:  # left out: its default
            values[name] = signature.parameters[name].default
        value = values.get(name)
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            values[name] = value.astype(np.float64)
        elif isinstance(value, (float, np.floating)):
            values[name] = float(value)
    try:
        gradients = _call(gradient_function, signature, values)
        value = float(_call(function, signature, values))
    except Exception as error:
        print(f"check {target.name}: running the gradient raised:", file=sys.stderr)
        if isinstance(error, S2SADError):
            print(error, file=sys.stderr)
        else:
            _print_traceback(error)
        return False
    if len(target.wrt) == 1:
        gradients = (gradients,)

    def evaluate(name, trial):
        return float(_call(function, signature, {**values, name: trial}))

    worst = (0.0, None)  # (relative error, description)
    entries = total = 0
    for name, gradient in zip(target.wrt, gradients, strict=True):
        original = values[name]
        if np.shape(gradient) != np.shape(original):
            print(
                f"check {target.name}: the gradient of {name} has shape {np.shape(gradient)}, "
                f"the argument {np.shape(original)} (FAILED)",
                file=sys.stderr,
            )
            return False
        gradient = np.asarray(gradient, dtype=np.float64)
        array = np.array(original, dtype=np.float64)
        size = array.size
        total += size
        indices = np.arange(size)
        if size > CHECK_LIMIT:
            indices = np.sort(np.random.default_rng(1).choice(size, CHECK_LIMIT, replace=False))
        entries += len(indices)
        numeric = np.empty(len(indices))
        analytic = np.empty(len(indices))
        for k, index in enumerate(indices):
            position = np.unravel_index(index, array.shape) if array.ndim else ()
            x = array[position]
            step = STEP * max(1.0, abs(float(x)))
            up, down = x + step, x - step
            try:
                if isinstance(original, float):
                    f_up, f_down = evaluate(name, float(up)), evaluate(name, float(down))
                else:
                    array[position] = up
                    f_up = evaluate(name, array)
                    array[position] = down
                    f_down = evaluate(name, array)
                    array[position] = x
            except Exception as error:
                print(f"check {target.name}: running {target.name} with {name} moved raised:", file=sys.stderr)
                _print_traceback(error)
                return False
            numeric[k] = (f_up - f_down) / (up - down)
            analytic[k] = gradient[position]
        if not len(indices):
            continue
        # Relative to the argument's largest gradient entry; not below 1e-4 |f|, where the
        # rounding error of the differences (about 1e-10 |f|) would count.
        scale = max(np.max(np.abs(numeric)), np.max(np.abs(analytic)), 1e-4 * abs(value))
        differences = np.abs(analytic - numeric)
        if scale == 0.0:
            continue
        k = int(np.argmax(np.where(np.isnan(differences), np.inf, differences)))
        error = differences[k] / scale
        if not error <= worst[0]:  # also when NaN
            position = np.unravel_index(indices[k], array.shape) if array.ndim else ()
            where = name + (f"[{', '.join(str(int(i)) for i in position)}]" if position else "")
            worst = (error, f"{where}: gradient {analytic[k]:.6g}, central difference {numeric[k]:.6g}")
    error, where = worst
    over = f"{entries} of {total}" if entries < total else f"{total}"
    plural = "entry" if total == 1 else "entries"
    ok = bool(error <= TOLERANCE)
    verdict = "ok" if ok else f"FAILED: above {TOLERANCE:g}"
    print(
        f"check {target.name}: largest relative error {error:.1e} over {over} gradient {plural} ({verdict})",
        file=sys.stderr,
    )
    if not ok:
        print(f"  worst at {where}", file=sys.stderr)
        print(
            "  (differences across a jump or a kink disagree with any gradient: if one is there, try other inputs)",
            file=sys.stderr,
        )
    return ok


# -- s2sad cache -------------------------------------------------------------------------------


def _cache(arguments: argparse.Namespace) -> int:
    if arguments.action == "clear":
        try:
            removed = cache.clear()
        except OSError as error:
            print(f"s2sad cache: error: {error}", file=sys.stderr)
            return 1
        print(f"removed {removed} {'entry' if removed == 1 else 'entries'}")
        return 0
    summary = cache.info()
    if summary.folder is None:
        print("the cache is off (S2SAD_CACHE, or a system where its owner cannot be checked)")
        return 0
    print(f"folder: {summary.folder}")
    if summary.problem:
        print(f"not used: {summary.problem.removeprefix(f'not using the cache folder {summary.folder}: ')}")
        return 0
    plural = "entry" if summary.entries == 1 else "entries"
    print(f"{summary.entries} {plural}, {summary.size / 2**20:.1f} MB of at most {summary.bound / 2**20:.0f} MB")
    return 0


# -- s2sad rules -------------------------------------------------------------------------------


def _user_facing(name: str) -> bool:
    """Internal rule names (copies, list literals, indexing) are not spelled by users."""
    return not name.startswith(("s2sad.", "operator."))


def _order(spelling: str) -> tuple[int, str]:
    return (int("." in spelling), spelling)  # builtins first, then math.*, np.*


def _rules(arguments: argparse.Namespace) -> int:
    derivative = []
    operators = {function: operator for operator, function in syntax.OPERATORS.items()}
    for name in set(rules.RULES) | set(rules.ALIASES):
        canonical = rules.canonical(name)
        if not _user_facing(name):
            continue
        notes = []
        if canonical != name and _user_facing(canonical):
            notes.append(f"same as {rules.spelling(canonical)}")
        if name in operators:
            notes.append(f"also the {operators[name]} operator")
        modes = "reverse, forward" if canonical in rules.TANGENTS else "reverse"
        derivative.append((rules.spelling(name), modes, "; ".join(notes)))
    helpers = [(rules.spelling(n), "zero derivative", "") for n in rules.ZERO_DERIVATIVE if _user_facing(n)]
    helpers += [
        (rules.spelling(n), "inactive only", "its arguments must not depend on what is differentiated")
        for n in rules.INACTIVE_ONLY
    ]
    derivative.sort(key=lambda row: _order(row[0]))
    helpers.sort(key=lambda row: _order(row[0]))
    width = max(len(row[0]) for row in derivative + helpers) + 2
    lines = [f"# functions with a derivative rule ({len(derivative)}), and the modes they support"]
    lines += [f"{s:<{width}}{modes:<18}{note}".rstrip() for s, modes, note in derivative]
    lines += ["", f"# pass-through helpers: no derivative flows through them ({len(helpers)})"]
    lines += [f"{s:<{width}}{what:<18}{note}".rstrip() for s, what, note in helpers]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
