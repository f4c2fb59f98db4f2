"""The s2sad command: a thin front end over the compiler (installed as the package s2sad.cli).

Exit status: 0 done, 1 the function cannot be differentiated (located message
on stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys

import s2sad
from s2sad import load, pipeline
from s2sad.api import wrt_names
from s2sad.errors import S2SADError
from s2sad.options import Options

_EXAMPLES = """\
examples:
  s2sad grad fixtures/logistic.py:loss
  s2sad grad fixtures/logistic.py:loss --wrt w,b > grad_logistic.py
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="s2sad",
        description="Source-to-source automatic differentiation for plain numpy code.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"s2sad {s2sad.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    grad = commands.add_parser(
        "grad",
        help="print a module defining the gradient of a function",
        description="Print a black-formatted Python module defining grad_NAME, the gradient of "
        "NAME in FILE.py. The file is read as text, never executed.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    grad.add_argument("target", metavar="FILE.py:NAME", help="the function to differentiate")
    grad.add_argument(
        "--wrt",
        default="0",
        help="arguments to differentiate with respect to: names or positions, comma-separated "
        "(default: the first argument)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    filename, separator, name = arguments.target.rpartition(":")
    if not separator or not filename or not name:
        parser.error(f"expected FILE.py:NAME, got {arguments.target!r}")
    items = [item.strip() for item in arguments.wrt.split(",") if item.strip()]
    wrt = tuple(int(item) if item.lstrip("-").isdigit() else item for item in items)
    try:
        unit = load.from_file(filename, name)
        options = Options(kind="grad", wrt=wrt_names(wrt, unit), wrt_tuple=len(wrt) > 1)
        unit = pipeline.compile_unit(unit, options)
    except S2SADError as error:
        print(error, file=sys.stderr)
        return 1
    sys.stdout.write(unit.source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
