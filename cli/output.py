"""-o FILE: refused unless it is (or will be) a regular file, then written atomically."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

from s2sad.cli.failures import UsageError
from s2sad.cli.targets import Target


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


def check_output(output: str, targets: list[Target], force: bool = False) -> None:
    """Refuse an -o FILE that cannot or should not be replaced, before anything is compiled."""
    real = os.path.realpath(output)  # what write_atomically replaces: a symlink's (final) target
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


def write_atomically(path: str, text: str) -> None:
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
