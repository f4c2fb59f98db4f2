"""The command line of `s2sad`: its commands, flags, help texts and examples."""

from __future__ import annotations

import argparse

import s2sad
from s2sad.cli import cache, grad, graph, rules
from s2sad.finite_differences import RTOL, SAMPLE_LIMIT

_EXAMPLES = """\
examples:
  s2sad grad fixtures/logistic.py:loss
  s2sad grad fixtures/logistic.py:loss --wrt w,b -o grad_logistic.py
  s2sad grad fixtures/logistic.py:loss --check
  s2sad graph fixtures/logistic.py:loss -o loss.svg
  s2sad rules
"""

_GRAD_EXAMPLES = f"""\
examples:
  s2sad grad model.py:loss                      print grad_loss, the gradient w.r.t. the first argument
  s2sad grad model.py:loss --wrt w,b            ... w.r.t. w and b (returns a tuple); --wrt 0,1 is the same
  s2sad grad model.py:loss,energy -o grads.py   grad_loss and grad_energy in one module, written to grads.py
  s2sad grad model.py:loss other.py:cost        functions of several files in one module
  s2sad grad model.py:loss --check              compare with finite differences on example_inputs()
  s2sad grad model.py:loss --check --shapes "w=(3,),x=(10,3),b=float,y=(10,)"
  s2sad grad model.py:loss --target numba --shapes "theta=(2,),y0=float,n=100"
  s2sad grad model.py:simulate --checkpoints 20  reverse long loops from 20 snapshots each

--check imports model.py (its top-level code runs) to run the generated
gradient; without --check the file is only read, never executed. Inputs come
from --shapes or, without it, from a function example_inputs() in model.py that
returns a dict of arguments (it is called with name=NAME if it has a parameter
`name`). The relative error of an argument is the largest difference between
the gradient and central finite differences, divided by the largest entry of
its gradient; an argument with more than {SAMPLE_LIMIT} entries is checked on a fixed
random sample of {SAMPLE_LIMIT} of them.
"""

_RULES_EXAMPLES = """\
examples:
  s2sad rules                    every function s2sad differentiates, and the helpers it passes through
  s2sad rules | grep linalg
"""


_GRAPH_EXAMPLES = """\
examples:
  s2sad graph model.py:loss                     print the DOT text of loss's graph (w.r.t. its first argument)
  s2sad graph model.py:loss --wrt w,b -o g.svg  draw it with Graphviz (.svg, .png, .pdf; .dot writes the text)
  s2sad graph model.py:loss --adjoint -o g.svg  the gradient's reverse sweep beside it

Nodes are the statements after s2sad's normalize pass (one operation each),
labelled with their line; an edge goes from where a value is assigned to each
statement that reads it. Active values (they depend on --wrt and reach the
result) are shaded orange; loops and branches are boxes labelled with their
line. Drawing .svg/.png/.pdf needs Graphviz's dot program (apt install graphviz,
conda install graphviz, brew install graphviz); .dot needs nothing.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="s2sad",
        description="Source-to-source automatic differentiation for plain numpy code.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"s2sad {s2sad.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_grad(commands)
    _add_graph(commands)
    _add_rules(commands)
    _add_cache(commands)
    return parser


def _add_grad(commands) -> None:
    command = commands.add_parser(
        "grad",
        help="print a module defining the gradient of one or more functions",
        description="Print a black-formatted Python module defining grad_NAME, the gradient of\n"
        "NAME in FILE.py, for each target: one module for all of them. The files are\n"
        "read as text and never executed (except by --check).",
        epilog=_GRAD_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument(
        "targets",
        nargs="+",
        metavar="FILE.py:NAME",
        help="a function to differentiate; several go into one module, as separate arguments or "
        "comma-separated (model.py:loss,model.py:energy, or model.py:loss,energy)",
    )
    command.add_argument(
        "--wrt",
        default="0",
        metavar="ARGS",
        help="arguments to differentiate with respect to, for every function: names or positions, "
        "comma-separated (default: each function's first argument)",
    )
    command.add_argument(
        "--mode",
        choices=("reverse", "forward"),
        default="reverse",
        help="reverse (the default): print grad_NAME; forward: print jvp_NAME(*args, *, d_<wrt>...) -> "
        "(value, tangent), the Jacobian-vector product",
    )
    command.add_argument(
        "--target",
        choices=("numpy", "numba"),
        default="numpy",
        help="numpy (the default): readable numpy code; numba: a kernel numba compiles (nopython) and a "
        "wrapper grad_NAME around it, for the argument types --shapes gives (needs numba: "
        "pip install 's2sad[numba]'); reverse mode only",
    )
    command.add_argument(
        "--checkpoints",
        type=_snapshots,
        metavar="K",
        help="reverse every loop from at most K snapshots of its state, running iterations again, instead of "
        "taping every iteration (binomial checkpointing; an online schedule for while loops and loops left by "
        "break or return: memory for K states whatever the number of iterations); a '# s2sad: checkpoints=K' "
        "comment ending a loop's first line overrides it for that loop (0: taped whole); reverse mode, numpy target",
    )
    _add_module_flags(command)
    _add_output_flags(command)
    _add_check_flags(command)
    command.set_defaults(run=grad.run)


def _snapshots(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"a whole number of snapshots, not {text!r}")
    return int(text)


def _add_module_flags(command) -> None:
    """What the module printed needs, and what generating it shows."""
    command.add_argument(
        "--standalone",
        action="store_true",
        help="a module that needs only numpy: the runtime helpers the gradient calls (and what they use) are "
        "copied into it below the gradient, instead of importing s2sad; numpy target",
    )
    command.add_argument(
        "--verbose",
        action="store_true",
        help="print each compiler stage's time to stderr (without it, a terminal shows the stage under way "
        "once generating takes more than a second)",
    )


def _add_output_flags(command) -> None:
    command.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the module to FILE instead of stdout, atomically: if anything fails, FILE is "
        "left as it was and no partial file is left behind; FILE keeps its permission bits. FILE must be "
        "a regular file or a new path (through symlinks): a device, FIFO, socket or folder is refused, "
        "and so is a read-only FILE unless --force",
    )
    command.add_argument(
        "--force",
        action="store_true",
        help="replace FILE even if it is read-only (it keeps its read-only mode); never a device, FIFO, "
        "socket or folder",
    )


def _add_check_flags(command) -> None:
    command.add_argument(
        "--check",
        action="store_true",
        help="import the model file(s), run the generated gradient and compare it with central "
        f"finite differences in float64; above a relative error of {RTOL:g} it fails (exit 1) and "
        "nothing is printed or written",
    )
    command.add_argument(
        "--shapes",
        metavar="SPEC",
        help='the arguments\' shapes, e.g. "w=(3,),x=(10,3),b=float,steps=5": the gradient printed is '
        "specialized to their number of axes (a number has none: theta[0] of a vector is a number, "
        "so a scalar loop needs no unbroadcasting), and they are the inputs of --check: a tuple is a "
        "random normal float64 array of that shape, `float` a random Python float, a number that value "
        "(5, 0.1); arguments with defaults may be left out (default for --check: example_inputs() in "
        "the model file)",
    )


def _add_graph(commands) -> None:
    command = commands.add_parser(
        "graph",
        help="draw a function's computational graph as s2sad sees it (DOT, or SVG/PNG with Graphviz)",
        description="Print (or write) the computational graph of NAME in FILE.py after s2sad's\n"
        "normalize pass, as Graphviz DOT text. The file is read as text, never executed.",
        epilog=_GRAPH_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("target", metavar="FILE.py:NAME", help="the function to draw")
    command.add_argument(
        "--wrt",
        default="0",
        metavar="ARGS",
        help="the arguments whose active values are shaded: names or positions, comma-separated (default: the "
        "first argument)",
    )
    command.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE instead of printing the DOT text: .dot or .gv the text, .svg, .png or .pdf a picture "
        "drawn by Graphviz's dot program; written atomically",
    )
    command.add_argument(
        "--adjoint",
        action="store_true",
        help="add the gradient's reverse sweep in its own box, each adjoint statement labelled with the line it "
        "comes from, with dashed edges from the forward values it reads",
    )
    command.set_defaults(run=graph.run)


def _add_rules(commands) -> None:
    command = commands.add_parser(
        "rules",
        help="list the functions s2sad can differentiate",
        description="List every function with a derivative rule, as you spell it in your code,\n"
        "with the modes it supports; then the helpers s2sad passes through without a\n"
        "derivative (zero derivative, or allowed only on values that do not depend on\n"
        "what is differentiated).",
        epilog=_RULES_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.set_defaults(run=rules.run)


def _add_cache(commands) -> None:
    command = commands.add_parser(
        "cache",
        help="show or empty the on-disk cache of generated derivatives",
        description="The decorator and s2sad.grad keep generated modules on disk (see README.md:\n"
        "what the cache trusts). info: its folder, whether it is used and what it holds;\n"
        "clear: remove every entry.",
    )
    command.add_argument("action", choices=("info", "clear"))
    command.set_defaults(run=cache.run)
