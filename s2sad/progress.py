"""What the compiler tells a waiting user on stderr while it works.

Two kinds of report, both from ``pipeline.compile_unit``:

- progress: once generation has taken longer than ``S2SAD_PROGRESS_AFTER`` seconds (1 by default),
  one line, ``s2sad: grad of loss (model.py): normalize...``, rewritten in place (``\\r``) as the
  stages pass and erased at the end; only when stderr is a terminal, and only for callers that ask
  (the command line: the decorator and the Python API say nothing);
- verbose (``--verbose``, or ``S2SAD_VERBOSE=1`` for the Python API): each stage's time, one line
  each as it ends, terminal or not.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
import time


def verbose_asked() -> bool:
    return os.environ.get("S2SAD_VERBOSE", "").lower() in ("1", "true", "yes", "on")


def _progress_after() -> float:
    try:
        return float(os.environ.get("S2SAD_PROGRESS_AFTER", "1"))
    except ValueError:
        return 1.0


class Reporter:
    """Reports the stages of one generation; ``what`` names it (``grad of loss (model.py)``)."""

    def __init__(self, what: str, *, verbose: bool, progress: bool) -> None:
        self.what = what
        self.verbose = verbose
        # verbose lines already show each stage; the progress line would only interleave with them
        self.progress = progress and not verbose and sys.stderr.isatty()
        self.start = time.perf_counter()
        self.current = ""
        self.shown = 0  # the length of the progress line on the terminal (0: none)
        self.lock = threading.Lock()  # the timer's thread and the passes' both write the line
        self.closed = False
        self.timer: threading.Timer | None = None
        if self.verbose:
            _write(f"s2sad: {what}\n")
        if self.progress:  # a stage that takes long shows up without waiting for it to end
            self.timer = threading.Timer(_progress_after(), self._show)
            self.timer.daemon = True
            self.timer.start()

    @contextlib.contextmanager
    def stage(self, name: str):
        self.current = name
        began = time.perf_counter()
        if self.progress and began - self.start >= _progress_after():
            self._show()
        yield
        if self.verbose:
            _write(f"  {name:<10} {_milliseconds(time.perf_counter() - began)}\n")

    def close(self) -> None:
        """The end, whether the passes finished or failed: erase the progress line (an error message
        or the next prompt starts on a clean line), and give the total when verbose."""
        if self.timer is not None:
            self.timer.cancel()
        with self.lock:
            self.closed = True
            if self.shown:
                _write("\r" + " " * self.shown + "\r")
                self.shown = 0
        if self.verbose:
            _write(f"  {'total':<10} {_milliseconds(time.perf_counter() - self.start)}\n")

    def _show(self) -> None:
        with self.lock:
            if self.closed or not self.current:  # (the timer may fire before the first stage begins)
                return
            width = shutil.get_terminal_size(fallback=(80, 24)).columns - 1  # a wrapped line cannot be rewritten
            line = f"s2sad: {self.what}: {self.current}..."[:width]
            _write("\r" + line.ljust(self.shown))
            self.shown = max(self.shown, len(line))


def _milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _write(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()
