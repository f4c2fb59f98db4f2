"""`s2sad graph`: the computational graph of one function as s2sad sees it, as DOT text or a picture."""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from s2sad import picture
from s2sad.api import wrt_names
from s2sad.cli import output
from s2sad.cli.failures import UsageError
from s2sad.cli.targets import parse_targets, parse_wrt
from s2sad.errors import BadArgument, S2SADError
from s2sad.frontend import load


def run(arguments: argparse.Namespace) -> int:
    targets = parse_targets([arguments.target])
    if len(targets) != 1:
        raise UsageError(f"{arguments.target}: s2sad graph draws one function; give one FILE.py:NAME")
    (target,) = targets
    wrt = parse_wrt(arguments.wrt)
    if arguments.output is not None:
        suffix = os.path.splitext(arguments.output)[1].lower()
        if suffix not in picture.TEXT + picture.RENDERED:
            known = ", ".join(picture.TEXT + picture.RENDERED)
            raise UsageError(f"-o {arguments.output}: cannot tell the format by its suffix; end it with one of {known}")
        if suffix in picture.RENDERED and shutil.which("dot") is None:
            raise UsageError(picture.missing_dot_message(arguments.output))
        output.check_output(arguments.output, targets)
    try:
        unit = load.from_file(target.filename, target.name)
    except S2SADError as error:
        print(error, file=sys.stderr)
        return 1
    try:
        names = wrt_names(wrt, unit)
    except BadArgument as error:
        print(f"s2sad graph: error: --wrt {arguments.wrt}: {error.message.removeprefix('wrt=')}", file=sys.stderr)
        return 2
    try:
        drawn = picture.Graph(picture.graph_of_unit(unit, names, arguments.adjoint))
    except S2SADError as error:
        print(error, file=sys.stderr)
        return 1
    if arguments.output is None:
        sys.stdout.write(drawn.dot)
        return 0
    try:
        drawn.save(arguments.output)
    except picture.GraphvizMissing:  # dot left PATH since the check above
        raise UsageError(picture.missing_dot_message(arguments.output)) from None
    except (OSError, S2SADError) as error:
        print(
            f"s2sad graph: error: cannot write {arguments.output}: {getattr(error, 'strerror', None) or error}",
            file=sys.stderr,
        )
        return 1
    return 0
