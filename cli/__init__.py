"""The s2sad command: a thin front end over the compiler (installed as the package s2sad.cli).

    s2sad grad model.py:loss [--wrt w,b] [--mode reverse] [-o FILE [--force]] [--check [--shapes ...]]
    s2sad graph model.py:loss [--wrt w] [--adjoint] [-o FILE.dot|.svg|.png]
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

import contextlib
import os
import signal
import sys
import threading

from s2sad.cli.failures import Failure, UsageError
from s2sad.cli.parser import build_parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        with _terminated_like_interrupted():
            return arguments.run(arguments)
    except UsageError as error:
        print(f"s2sad {arguments.command}: error: {error}", file=sys.stderr)
        return 2
    except Failure as failure:
        return failure.status
    except BrokenPipeError:  # `s2sad rules | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:  # Ctrl-C: what was half done is undone on the way here (output.write_atomically)
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
