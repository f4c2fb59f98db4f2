"""`s2sad graph` and `s2sad.graph(f)`: the normalized program drawn as DOT, and rendered by Graphviz."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

import s2sad
from s2sad import picture
from s2sad.cli import main
from s2sad.core import ir
from s2sad.frontend import load
from s2sad.options import Options
from s2sad import pipeline
from tests.support import write_module

ROOT = Path(__file__).resolve().parent.parent
LOGISTIC = "fixtures/logistic.py:loss"
ACTIVE_FILL = 'fillcolor="#fde2c4"'


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # labels show paths relative to the working directory


def _dot(target: str, wrt: tuple[str, ...], adjoint: bool = False) -> str:
    filename, name = target.split(":")
    return picture.graph_of_unit(load.from_file(filename, name), wrt, adjoint)


def _nodes(dot: str) -> dict[str, tuple[str, str]]:
    """label -> (key, attributes) of every node."""
    found = re.findall(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"(.*)\];$', dot, re.MULTILINE)
    return {label: (key, attributes) for key, label, attributes in found}


def _edges(dot: str) -> dict[tuple[str, str], str]:
    return {(a, b): attributes for a, b, attributes in re.findall(r"^\s*(\w+) -> (\w+) \[(.*)\];$", dot, re.MULTILINE)}


def _edge(dot: str, source: str, target: str) -> str | None:
    nodes = _nodes(dot)
    return _edges(dot).get((nodes[source][0], nodes[target][0]))


def _cluster(dot: str, label: str) -> str:
    """The text of the cluster labelled ``label``, up to its closing brace."""
    lines = dot.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(f'label="{label}";'))
    indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
    end = next(i for i in range(start, len(lines)) if lines[i] == " " * indent + "}")
    return "\n".join(lines[start - 1 : end + 1])


def test_logistic_has_a_node_per_normalized_statement_with_its_line():
    dot = _dot(LOGISTIC, ("w",))
    unit = load.from_file("fixtures/logistic.py", "loss")
    for stage in pipeline.PIPELINE[:2]:  # prepare, normalize
        unit = stage.run(unit, Options(wrt=("w",)))
    statements = list(ir.walk(unit.ir.body))
    nodes = _nodes(dot)
    assert len([key for key, _ in nodes.values() if key.startswith("s")]) == len(statements) == 16
    for label in ("_t1 = x @ w\\nlogistic.py:7", "p = 1.0 / _t4\\nlogistic.py:8", "return _t13\\nlogistic.py:9"):
        assert label in nodes
    assert "w\\nparameter  logistic.py:6" in nodes


def test_logistic_edges_are_the_data_dependences():
    dot = _dot(LOGISTIC, ("w",))
    w, y = "w\\nparameter  logistic.py:6", "y\\nparameter  logistic.py:6"
    assert _edge(dot, w, "_t1 = x @ w\\nlogistic.py:7")
    assert _edge(dot, "_t1 = x @ w\\nlogistic.py:7", "z = _t1 + b\\nlogistic.py:7")
    assert _edge(dot, "p = 1.0 / _t4\\nlogistic.py:8", "_t5 = np.log(p)\\nlogistic.py:9")
    assert _edge(dot, "p = 1.0 / _t4\\nlogistic.py:8", "_t8 = 1.0 - p\\nlogistic.py:9")
    assert _edge(dot, y, "_t7 = 1.0 - y\\nlogistic.py:9")
    assert _edge(dot, w, "z = _t1 + b\\nlogistic.py:7") is None  # z reads _t1 and b, not w
    assert len(_edges(dot)) == 21


def test_active_values_are_highlighted_and_inactive_ones_not():
    nodes = _nodes(_dot(LOGISTIC, ("w",)))
    for active in ("w\\nparameter  logistic.py:6", "_t1 = x @ w\\nlogistic.py:7", "return _t13\\nlogistic.py:9"):
        assert ACTIVE_FILL in nodes[active][1], active
    for passive in ("_t7 = 1.0 - y\\nlogistic.py:9", "y\\nparameter  logistic.py:6", "b\\nparameter  logistic.py:6"):
        assert ACTIVE_FILL not in nodes[passive][1], passive
    # with respect to b instead: w is no longer active, b is
    nodes = _nodes(_dot(LOGISTIC, ("b",)))
    assert ACTIVE_FILL in nodes["b\\nparameter  logistic.py:6"][1]
    assert ACTIVE_FILL not in nodes["w\\nparameter  logistic.py:6"][1]
    assert ACTIVE_FILL not in nodes["_t1 = x @ w\\nlogistic.py:7"][1]


def test_a_loop_is_a_cluster_and_its_carried_value_flows_back():
    dot = _dot("fixtures/rnn.py:loss", ("W",))
    loop = _cluster(dot, "for t in range(xs.shape[0])")
    assert "h = np.tanh(_t8)\\nrnn.py:16" in loop and "for t in _t3\\nrnn.py:15" in loop
    assert "h = h0\\nrnn.py:13" not in loop
    tanh, product = "h = np.tanh(_t8)\\nrnn.py:16", "_t4 = W @ h\\nrnn.py:16"
    assert "constraint=false" in _edge(dot, tanh, product)  # from the previous iteration
    assert _edge(dot, "h = h0\\nrnn.py:13", product)  # and from before the loop
    assert _edge(dot, tanh, "_t17 = total / _t16\\nrnn.py:18") is None


def test_a_branch_is_two_clusters():
    dot = _dot("fixtures/piecewise.py:huber", ("r",))
    then = _cluster(dot, "if abs(r_i) <= delta")
    otherwise = _cluster(dot, "else")
    assert "_t7 = r_i**2\\npiecewise.py:22" in then and "r_i**2" not in otherwise
    assert "piecewise.py:24" in otherwise
    loop = _cluster(dot, "for r_i in r")
    assert then in loop and otherwise in loop
    # total after the loop may come from either branch
    returned = _nodes(dot)["return total\\npiecewise.py:25"][0]
    sources = {a for a, b in _edges(dot) if b == returned}
    labels = {key: label for label, (key, _) in _nodes(dot).items()}
    assert {labels[s] for s in sources} >= {"total = _t9\\npiecewise.py:22", "total = _t15\\npiecewise.py:24"}


def test_adjoint_adds_the_reverse_sweep_with_dashed_reads():
    plain, dot = _dot(LOGISTIC, ("w",)), _dot(LOGISTIC, ("w",), adjoint=True)
    assert "reverse sweep" not in plain
    sweep = _cluster(dot, "reverse sweep (adjoints)")
    last = "d_w = _rt.matmul_adjoint_right(d_t1, x, w)\\nadjoint of logistic.py:7"
    assert last in sweep
    assert "style=dashed" in _edge(dot, "x\\nparameter  logistic.py:6", last)
    assert "style=dashed" not in _edge(dot, "d_t1 = _rt.unbroadcast(d_z, _t1)\\nadjoint of logistic.py:7", last)
    assert "style=dashed" in _edge(
        dot, "p = 1.0 / _t4\\nlogistic.py:8", "d_t4 = -d_p * p / _t4\\nadjoint of logistic.py:8"
    )
    assert "del " not in dot
    # the forward part is the same picture, names and all
    assert _nodes(plain).keys() <= _nodes(dot).keys()


def test_output_is_deterministic():
    for adjoint in (False, True):
        assert _dot("fixtures/rnn.py:loss", ("W", "b"), adjoint) == _dot("fixtures/rnn.py:loss", ("W", "b"), adjoint)


def test_the_api_on_a_live_function(tmp_path):
    module = write_module(
        tmp_path,
        '''
        import numpy as np

        def f(A, x):
            """Quotes and a backslash in a label: escaped for DOT."""
            y = np.einsum("ij,j->i", A, x)
            return np.sum(y * y) + len("a\\\\b")
        ''',
    )
    drawn = s2sad.graph(module.f, wrt="x")
    assert isinstance(drawn, picture.Graph)
    assert 'np.einsum(\\"ij,j->i\\", A, x)' in drawn.dot
    assert '\\"a\\\\\\\\b\\"' in drawn.dot  # the source's "a\\b", its backslashes doubled for DOT
    drawn.save(tmp_path / "f.dot")
    assert (tmp_path / "f.dot").read_text() == drawn.dot
    with pytest.raises(s2sad.S2SADError, match="suffix"):
        drawn.save(tmp_path / "f.txt")


def test_cli_writes_dot_and_prints_it(tmp_path, capsys):
    assert main(["graph", LOGISTIC, "-o", str(tmp_path / "g.dot")]) == 0
    assert (tmp_path / "g.dot").read_text() == _dot(LOGISTIC, ("w",))
    assert main(["graph", LOGISTIC, "--wrt", "b", "--adjoint"]) == 0
    assert capsys.readouterr().out == _dot(LOGISTIC, ("b",), adjoint=True)


def test_cli_errors_are_located(tmp_path, capsys):
    assert main(["graph", "fixtures/logistic.py:nope"]) == 1
    assert "no function 'nope' in fixtures/logistic.py" in capsys.readouterr().err
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy as np\n\n\ndef f(x):\n    return np.fft.fft(x).real.sum()\n")
    assert main(["graph", f"{bad}:f"]) == 1
    err = capsys.readouterr().err
    assert "bad.py:5:12: error: no derivative rule for 'np.fft.fft'" in err and "^" in err
    assert main(["graph", LOGISTIC, "--wrt", "q"]) == 2
    assert "--wrt q: 'q' is not a parameter of loss" in capsys.readouterr().err
    assert main(["graph", LOGISTIC, "-o", str(tmp_path / "g.txt")]) == 2
    assert "cannot tell the format" in capsys.readouterr().err
    assert not (tmp_path / "g.txt").exists()


@pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed (the missing-dot path is tested)"
)
def test_svg_is_rendered_with_the_labels(tmp_path):
    for adjoint in ([], ["--adjoint"]):
        out = tmp_path / f"g{len(adjoint)}.svg"
        assert main(["graph", LOGISTIC, *adjoint, "-o", str(out)]) == 0
        root = ElementTree.fromstring(out.read_bytes())
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        texts = {element.text for element in root.iter("{http://www.w3.org/2000/svg}text")}
        assert {"_t1 = x @ w", "logistic.py:7"} <= texts
        assert ("adjoint of logistic.py:7" in texts) == bool(adjoint)
    bundle = s2sad.picture.Graph(_dot(LOGISTIC, ("w",)))._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")


def test_without_dot_rendering_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot there
    assert shutil.which("dot") is None
    out = tmp_path / "g.svg"
    assert main(["graph", LOGISTIC, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "needs Graphviz's `dot` program" in err and ".dot" in err
    assert "apt install graphviz" in err and "conda install graphviz" in err and "brew install graphviz" in err
    assert not out.exists()
    drawn = picture.Graph(_dot(LOGISTIC, ("w",)))
    with pytest.raises(picture.GraphvizMissing, match="install Graphviz"):
        drawn.save(tmp_path / "g.png")
    assert drawn._repr_mimebundle_() == {"text/plain": drawn.dot}
    assert main(["graph", LOGISTIC, "-o", str(tmp_path / "g.dot")]) == 0  # the text needs nothing
