"""``s2sad.graph(f)``: a picture of the computation as s2sad sees it, as DOT text or rendered by Graphviz.

    picture = s2sad.graph(loss, wrt="w", adjoint=True)
    picture.save("loss.svg")       # .dot, .gv: the text; .svg, .png, .pdf: rendered by Graphviz's dot
    picture                        # in a notebook: the SVG (when dot is installed)

The passes up to analyse (and transform, for the adjoint) run as for ``s2sad.grad``; the
drawing itself is s2sad/backend/graph.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import subprocess
import tempfile

from s2sad import pipeline
from s2sad.api import Wrt, wrt_names
from s2sad.backend import graph as drawing
from s2sad.core.unit import Unit
from s2sad.errors import BadArgument, Origin, S2SADError, deep_nesting
from s2sad.frontend import load
from s2sad.options import Options

RENDERED = (".svg", ".png", ".pdf")  # what dot makes
TEXT = (".dot", ".gv")


class GraphvizMissing(S2SADError):
    """A rendered picture was asked for and Graphviz's ``dot`` program is not on PATH."""


@dataclasses.dataclass(frozen=True)
class Graph:
    """A function's computational graph: ``dot`` holds its DOT text."""

    dot: str

    def render(self, format: str = "svg") -> bytes:
        """The picture in ``format`` (svg, png, pdf), drawn by Graphviz's ``dot``."""
        return render(self.dot, format)

    def save(self, path: str | os.PathLike) -> None:
        """Write the DOT text (.dot, .gv) or the rendered picture (.svg, .png, .pdf) to ``path``, atomically."""
        suffix = os.path.splitext(os.fspath(path))[1].lower()
        if suffix in TEXT:
            write_atomically(path, self.dot.encode())
        elif suffix in RENDERED:
            write_atomically(path, self.render(suffix[1:]))
        else:
            raise BadArgument(
                f"cannot tell the format of {os.fspath(path)!r} by its suffix",
                hint=f"end it with one of {', '.join(TEXT + RENDERED)}",
            )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        """A notebook shows the picture when Graphviz is installed, else the DOT text."""
        if shutil.which("dot") is None:
            return {"text/plain": self.dot}
        return {"image/svg+xml": self.render("svg").decode(), "text/plain": self.dot}


def graph(function, wrt: Wrt = 0, adjoint: bool = False) -> Graph:
    """The computational graph of ``function`` after s2sad's normalize pass: one node per normalized
    statement (its text and line), data dependences as edges, the values active for ``wrt`` shaded,
    loops and branches as clusters; ``adjoint=True`` adds the gradient's reverse sweep beside it."""
    unit = load.from_function(function)
    return Graph(graph_of_unit(unit, wrt_names(wrt, unit), adjoint))


def graph_of_unit(unit: Unit, wrt: tuple[str, ...], adjoint: bool = False) -> str:
    """The DOT text for a loaded unit (the command line loads it from a file)."""
    options = Options(kind="grad", wrt=wrt, wrt_tuple=len(wrt) > 1)
    last = "transform" if adjoint else "analyse"
    start = unit.positions[unit.function.name].start
    with deep_nesting(Origin(unit.path, start.line, start.column)):
        for stage in pipeline.PIPELINE:
            unit = stage.run(unit, options)
            if stage.name == last:
                break
        return drawing.dot(unit, wrt, adjoint)


def missing_dot_message(path: str) -> str:
    return (
        f"drawing {path} needs Graphviz's `dot` program, which is not on PATH: write the DOT text instead "
        "(a .dot file, or no output file to print it), or install Graphviz "
        "(apt install graphviz, conda install graphviz, brew install graphviz)"
    )


def render(dot: str, format: str) -> bytes:
    """``dot`` drawn by Graphviz (through the graphviz package when installed)."""
    if shutil.which("dot") is None:
        raise GraphvizMissing(missing_dot_message(f"a .{format} picture"))
    try:
        import graphviz  # optional: its errors and encodings, when it is there
    except ImportError:
        graphviz = None
    if graphviz is not None:
        try:
            return graphviz.pipe("dot", format, dot.encode())
        except graphviz.CalledProcessError as error:
            raise S2SADError(f"Graphviz's dot failed: {error.stderr.decode(errors='replace').strip()}") from None
    done = subprocess.run(["dot", f"-T{format}"], input=dot.encode(), capture_output=True, check=False)
    if done.returncode:
        raise S2SADError(f"Graphviz's dot failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def write_atomically(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` through a temporary file beside ``path``: a failure leaves no partial file."""
    path = os.path.realpath(path)
    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=f".{os.path.basename(path)}.")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
