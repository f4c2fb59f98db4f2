"""The one exception type s2sad raises, its kinds, and where in the user's file it points.

Every message has the shape of a compiler diagnostic::

    model.py:6:8: error: no derivative rule for 'np.fft.fft'
        z = np.fft.fft(x)
            ^
    hint: give it one with @s2sad.rule, or compute it outside the differentiated function
"""

from __future__ import annotations

import contextlib
import dataclasses
import linecache
import sys


@dataclasses.dataclass(frozen=True)
class Origin:
    """A place in the user's source: file as shown to the user, 1-based line, 0-based column."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column + 1}"

    def source_line(self) -> str:
        return linecache.getline(self.path, self.line).rstrip("\n")


class S2SADError(Exception):
    """A function cannot be differentiated as written, or a derivative was called wrongly."""

    def __init__(self, message: str, origin: Origin | None = None, hint: str | None = None):
        self.message = message
        self.origin = origin
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        if self.origin is None:
            lines = [f"error: {self.message}"]
        else:
            lines = [f"{self.origin}: error: {self.message}"]
            text = self.origin.source_line()
            if text:
                stripped = text.lstrip()
                indent = len(text) - len(stripped)
                lines.append("    " + stripped)
                lines.append("    " + " " * max(self.origin.column - indent, 0) + "^")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


class UnsupportedSyntax(S2SADError):
    """A construct outside the language s2sad differentiates."""


class NoRule(S2SADError):
    """A call whose target has no derivative rule and is not a known helper."""


class Ambiguous(S2SADError):
    """A name that may refer to several things, so no rule can be chosen."""


class NotFound(S2SADError):
    """A file or function named by the user does not exist."""


class BadArgument(S2SADError):
    """A derivative was called with values it cannot differentiate (run time)."""


class BadRule(S2SADError):
    """A user's rule (``@s2sad.rule``) is not written the way s2sad can use it."""


# libcst recurses once or twice per level of nesting, so an expression nested a few hundred
# deep (x + x + ... + x, -(-(...)), f(f(...))) needs more than Python's default 1000 frames.
RECURSION_LIMIT = 20_000


@contextlib.contextmanager
def deep_nesting(origin: Origin | None):
    """Room for the compiler to recurse through deeply nested code; past it, a located error.

    A RecursionError inside the block becomes an UnsupportedSyntax at ``origin``.
    """
    before = sys.getrecursionlimit()
    raised = max(before, RECURSION_LIMIT)
    sys.setrecursionlimit(raised)
    try:
        yield
    except RecursionError:
        raise UnsupportedSyntax(
            "this is nested too deeply for s2sad to compile (Python's recursion limit was reached)",
            origin,
            hint="split the deepest expression into several assignments",
        ) from None
    finally:
        if sys.getrecursionlimit() == raised:  # unless someone else changed it meanwhile
            sys.setrecursionlimit(before)
