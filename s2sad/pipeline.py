"""The compiler's passes, in order, and the one function that runs them.

    prepare (the language gate, resolve) -> normalize -> memory -> analyse
        -> transform (reverse or forward) -> optimize -> emit

Each pass is ``run(unit, options) -> unit``; passes never call each other (normalize
prepares the helpers it inlines as the pipeline prepares the function: ``prepare.run``).
``S2SAD_DUMP_AFTER=normalize,transform`` prints the code after the named passes
to stderr; ``S2SAD_LINT=1`` checks the IR's invariants after each pass that makes it anew.
Progress and per-stage times go to stderr through s2sad/progress.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import os
import sys
from collections.abc import Callable

from s2sad.backend import emit
from s2sad.core import ir_lint
from s2sad import normalize, optimize, progress
from s2sad.frontend import prepare
from s2sad.analysis import activity, memory
from s2sad.transform import forward, reverse
from s2sad.errors import Origin, deep_nesting
from s2sad.options import Options
from s2sad.core.unit import Unit


@dataclasses.dataclass(frozen=True)
class Pass:
    name: str
    run: Callable[[Unit, Options], Unit]


PIPELINE = (
    Pass("prepare", prepare.run),
    Pass("normalize", normalize.run),
    Pass("memory", memory.run),
    Pass("analyse", activity.run),
    Pass("transform", lambda unit, options: (forward if options.mode == "forward" else reverse).run(unit, options)),
    Pass("optimize", optimize.run),
    Pass("emit", lambda unit, options: _emitter(options).run(unit, options)),
)


def _emitter(options: Options):
    if options.target == "numba":
        from s2sad.backend import numba  # imports numba only for that target

        return numba
    return emit


def compile_unit(unit: Unit, options: Options, *, verbose: bool = False, show_progress: bool = False) -> Unit:
    """Run the passes. ``verbose`` (or ``S2SAD_VERBOSE=1``) prints each stage's time to stderr;
    ``show_progress`` shows the stage on a terminal once generation takes more than a second."""
    _release_freed_memory()
    dump_after = set(filter(None, os.environ.get("S2SAD_DUMP_AFTER", "").split(",")))
    lint = os.environ.get("S2SAD_LINT") == "1"
    start = unit.positions[unit.function.name].start
    reporter = progress.Reporter(
        f"{options.kind} of {unit.name} ({unit.path})",
        verbose=verbose or progress.verbose_asked(),
        progress=show_progress,
    )
    with deep_nesting(Origin(unit.path, start.line, start.column)), _fewer_collections():
        try:
            for stage in PIPELINE:
                program = unit.ir
                with reporter.stage(stage.name):
                    unit = stage.run(unit, options)
                if lint and unit.ir is not program:
                    ir_lint.lint(unit.ir, after=stage.name)
                if stage.name in dump_after:
                    print(f"# ---- after {stage.name} ----\n{_dump(unit)}", file=sys.stderr)
        finally:
            reporter.close()
    return unit


@contextlib.contextmanager
def _fewer_collections():
    """Python's cyclic collector looks at the newest objects each time 700 more are made; the passes
    make millions, nearly none in cycles (libcst's trees have no links to parents), and spent some
    15% of their time in it. Every 20,000 instead: the same memory at peak (measured)."""
    thresholds = gc.get_threshold()  # (a first threshold of 0 turns the collector off: kept)
    gc.set_threshold(thresholds[0] and max(thresholds[0], 20_000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _release_freed_memory() -> None:
    """Give back to the system the memory libcst's parser has freed (glibc's malloc keeps it).

    Parsing takes some 40 kB a line of the file at once, outside Python's allocator, which never
    reuses it: without this, the passes' memory for a long function would come on top of it.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # here: a cached import of decorated functions compiles nothing

    try:
        return ctypes.CDLL(None).malloc_trim  # glibc's; other C libraries have none
    except (OSError, AttributeError):
        return None


def _dump(unit: Unit) -> str:
    if unit.source is not None:
        return unit.source
    if unit.generated is not None:
        return emit.render(unit)
    if unit.ir is not None:
        return unit.ir.code()
    return unit.module.code_for_node(unit.function)
