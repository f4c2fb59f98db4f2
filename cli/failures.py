"""How a command fails: the exceptions that carry its exit status, and the user's traceback."""

from __future__ import annotations

import os
import sys
import traceback

from s2sad import finite_differences


class UsageError(Exception):
    """A command line that cannot be carried out as given: exit status 2."""


class Failure(Exception):
    """Reported already (on stderr); exit with ``status``."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def print_traceback(error: BaseException) -> None:
    """The traceback of ``error`` from the first frame outside the command and importlib: the user's."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None and _machinery(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb, file=sys.stderr)


_COMMAND_FOLDER = os.path.dirname(__file__) + os.sep


def _machinery(filename: str) -> bool:
    return (
        filename.startswith(_COMMAND_FOLDER)
        or filename == finite_differences.__file__
        or filename.startswith("<frozen ")
        or os.sep + "importlib" + os.sep in filename
    )
