"""What `s2sad grad` differentiates: FILE.py:NAME targets, and --wrt."""

from __future__ import annotations

import dataclasses
import os

from s2sad.cli.failures import UsageError


@dataclasses.dataclass
class Target:
    filename: str  # as given
    name: str
    unit: object = None  # the compiled Unit
    wrt: tuple[str, ...] = ()


def parse_targets(words: list[str]) -> list[Target]:
    """FILE.py:NAME targets, separate or comma-separated; a bare NAME after a comma reuses the file."""
    targets: list[Target] = []
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
            targets.append(Target(filename, name))
    return targets


def parse_wrt(text: str) -> tuple[int | str, ...]:
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
