"""The printed function laid out as black lays it out, with black run only where it is needed.

Black takes some 0.3 ms a line, twice when its output differs from its input: on a 30-line
function it was a third of the compiler's time. Most generated statements fit on a line and
are printed (printer.py) exactly as black would print them: those are kept as they are.
The others (too long, or of a form whose layout by black the printer does not know) are
formatted by black in one module, each as the body of a function of its own, nested in
``if`` blocks to its depth: black lays out each statement of a function body by itself, and
adds no blank line where the code has none. The module's head (docstring, imports, the
function's signature and docstring) is formatted with them, first.

Where that may not hold, the whole module is formatted at once: black formats ``*``
arguments, ``with`` and ``except`` by the Python versions it detects in the whole file
(a ``*`` in the signature only if black splits it), and heeds ``fmt:`` comments.
"""

from __future__ import annotations

import gc
import re

from s2sad.backend.printer import Statement

LINE_LENGTH = 88  # black's default
# Statements black formats in one call: its tree of a module takes some 9 kB a line.
PART_STATEMENTS = 400
_PART = "_s2sad_part"  # the function each statement is formatted in (its lines are dropped)

# Code black may format by the Python versions it detects in the whole file, or not at all.
_SEPARATE_FORMATTING_UNSAFE = re.compile(r"[(,\[]\s*\*|fmt:|yapf:|^\s*(async\s+)?(with|try|except)\b", re.I | re.M)
# ``x**y`` and a name after it: black hugs ``**`` with a name only if no bracket follows the
# names (keywords included) after it (``x ** y if f(z) else 0``).
_HUGGED_BEFORE_NAME = re.compile(r"\*\*[-+~]?[A-Za-z_]\w* [A-Za-z_]")


def formatted(head: str, name: str, statements: list[Statement], texts: list[str], whole: bool = False) -> str:
    """The module: ``head`` (its code up to the docstring of the function ``name``), then the
    function's ``statements`` (their code: ``texts``), formatted as ``black.format_str`` formats
    the whole. ``whole``: format the whole module at once (what the rest must equal)."""
    signature = next((line for line in head.splitlines() if line.startswith(f"def {name}(")), None)
    whole = whole or signature is None or bool(_SEPARATE_FORMATTING_UNSAFE.search(head.replace(signature, "", 1)))
    lines: list[str | int] = []  # lines kept as printed, and the numbers of the statements black formats
    pieces: list[tuple[Statement, str]] = []
    for statement, text in zip(statements, texts, strict=True):
        indent = "    " * statement.depth
        comments = [f"{indent}# {comment}".rstrip() for comment in statement.comments]
        whole = (
            whole
            or statement.whole
            or any(_SEPARATE_FORMATTING_UNSAFE.search(c) for c in comments)
            or bool(statement.note and _SEPARATE_FORMATTING_UNSAFE.search(statement.note))
        )
        lines.extend(comments)
        line = indent + text + (f"  # {statement.note}" if statement.note else "")
        if (
            statement.canonical
            and len(line) <= LINE_LENGTH
            and line.isascii()
            and not (statement.note and "type:" in statement.note)
            and not _HUGGED_BEFORE_NAME.search(line)
        ):
            lines.append(line)
        else:
            lines.append(len(pieces))
            pieces.append((statement, line))
    if not whole and not any(_SEPARATE_FORMATTING_UNSAFE.search(line) for _, line in pieces):
        laid_out = _laid_out(head, signature, pieces)
        if laid_out is not None:
            head_lines, piece_lines = laid_out
            body = [line for item in lines for line in (piece_lines[item] if isinstance(item, int) else [item])]
            return "\n".join([*head_lines, *body]) + "\n"
    code = head + "".join(line + "\n" if isinstance(line, str) else pieces[line][1] + "\n" for line in lines)
    return black_formatted(code)


def black_formatted(code: str) -> str:
    import black  # here, not at the top: a cached import of decorated functions never formats

    return black.format_str(code, mode=black.Mode())


def _laid_out(
    head: str, signature: str, pieces: list[tuple[Statement, str]]
) -> tuple[list[str], list[list[str]]] | None:
    """The head's lines and each piece's, as black lays them out; None where the parts cannot be
    formatted apart (black split a signature with ``*``, or the lines are not as expected)."""
    groups = [pieces[start : start + PART_STATEMENTS] for start in range(0, len(pieces), PART_STATEMENTS)] or [[]]
    head_lines: list[str] = []
    laid_out: list[list[str]] = []
    # What lives now stays out of the collections below, which free each part's tree (black's trees
    # are cycles, parent links: only a collection frees them). Not if the program froze objects itself.
    collect = len(groups) > 1 and gc.get_freeze_count() == 0
    if collect:
        gc.freeze()
    try:
        for number, group in enumerate(groups):
            code = (head if number == 0 else "") + "".join(_wrapped(statement, line) for statement, line in group)
            chunks = _chunks(black_formatted(code))
            if number == 0:
                head_lines = chunks.pop(0)
                if not _signature_kept(signature, head_lines):
                    return None
            for (statement, _), chunk in zip(group, chunks, strict=True):
                inner = _unwrapped(statement, chunk)
                if inner is None:
                    return None
                laid_out.append(inner)
            if collect:
                gc.collect()
    finally:
        if collect:
            gc.unfreeze()
    return head_lines, laid_out


def _wrapped(statement: Statement, line: str) -> str:
    """``line`` as the body of a function of its own, in ``if`` blocks to its depth."""
    wrappers = "".join(f"{'    ' * level}if _:\n" for level in range(1, statement.depth))
    body = f"{'    ' * (statement.depth + 1)}pass\n" if statement.block else ""
    return f"\n\ndef {_PART}():\n{wrappers}{line}\n{body}"


def _chunks(text: str) -> list[list[str]]:
    """The lines before the first wrapper function, and those inside each, without blank lines at the end."""
    chunks: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line == f"def {_PART}():":
            chunks.append([])
        else:
            chunks[-1].append(line)
    for chunk in chunks:
        while chunk and not chunk[-1]:
            chunk.pop()
    return chunks


def _unwrapped(statement: Statement, chunk: list[str]) -> list[str] | None:
    wrappers = [f"{'    ' * level}if _:" for level in range(1, statement.depth)]
    body = [f"{'    ' * (statement.depth + 1)}pass"] if statement.block else []
    inner = len(chunk) - len(wrappers) - len(body)
    if inner < 1 or chunk[: len(wrappers)] != wrappers or chunk[len(chunk) - len(body) :] != body:
        return None
    return chunk[len(wrappers) : len(chunk) - len(body)]


def _signature_kept(signature: str, lines: list[str]) -> bool:
    """Whether the function's signature is formatted as in the whole module: it has no ``*``
    parameter, or black kept it on one line (where a comma goes after a split depends on versions)."""
    if not _SEPARATE_FORMATTING_UNSAFE.search(signature):
        return True
    start = signature.split("(", 1)[0] + "("
    return next((line for line in lines if line.startswith(start)), "").endswith(":")
