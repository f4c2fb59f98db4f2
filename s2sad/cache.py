"""Cache: generated modules on disk, so importing decorated functions is fast the second time.

An entry is keyed by the s2sad version, the options and the text of the
function's file; it also records a hash of every file inlined into it, and is
used only while all of them are unchanged. Entries are written atomically (a
temporary file, then a rename); one that cannot be read or does not match is
ignored and rebuilt, never trusted.

``S2SAD_CACHE=0`` turns the cache off; ``S2SAD_CACHE_DIR`` chooses its folder
(default: ``$XDG_CACHE_HOME/s2sad``, else ``~/.cache/s2sad``).
"""

from __future__ import annotations

import hashlib
import json
import linecache
import os
import tempfile
import types
from pathlib import Path

from s2sad.options import Options
from s2sad.version import VERSION


def directory() -> Path | None:
    if os.environ.get("S2SAD_CACHE", "1") == "0":
        return None
    chosen = os.environ.get("S2SAD_CACHE_DIR")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "s2sad"


def _digest(*parts: str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode())
        hasher.update(b"\0")
    return hasher.hexdigest()


def _file_hash(filename: str) -> str | None:
    lines = linecache.getlines(filename)
    return _digest("".join(lines)) if lines else None


def key(function: types.FunctionType, options: Options) -> str | None:
    code = function.__code__
    text = _file_hash(code.co_filename)
    if text is None:
        return None
    return _digest(VERSION, repr(options), function.__qualname__, str(code.co_firstlineno), text)


def load(function: types.FunctionType, options: Options) -> str | None:
    """The cached generated source for ``function``, or None (no cache, no entry, stale or unreadable)."""
    folder, entry_key = directory(), key(function, options)
    if folder is None or entry_key is None:
        return None
    try:
        entry = json.loads((folder / f"{entry_key}.json").read_text(encoding="utf-8"))
        if entry["key"] != entry_key or entry["version"] != VERSION:
            return None
        if any(_file_hash(name) != digest for name, digest in entry["dependencies"].items()):
            return None
        source = entry["source"]
        return source if isinstance(source, str) and source.strip() else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def store(function: types.FunctionType, options: Options, source: str, dependencies) -> None:
    """Save ``source`` for ``function``; a failure to write only means no cache next time."""
    folder, entry_key = directory(), key(function, options)
    if folder is None or entry_key is None:
        return
    hashes = {name: _file_hash(name) for name in sorted(dependencies)}
    if any(value is None for value in hashes.values()):
        return
    entry = {"key": entry_key, "version": VERSION, "dependencies": hashes, "source": source}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".entry-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(entry, file)
            os.replace(temporary, folder / f"{entry_key}.json")
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        return
