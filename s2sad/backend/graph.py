"""Graph: the normalized program, as s2sad sees it, drawn as Graphviz DOT text (and, asked, the reverse sweep).

Requires: a unit after analyse (its normalized program and activity); for ``adjoint=True``, after
transform too (its reverse sweep, before optimize rewrites it, so it reads the normalized names).
Pure: the same unit always gives the same bytes; s2sad/picture.py renders them.

    z = x @ w + b        x ──> _t1 = x @ w ──> z = _t1 + b        one node per normalized statement,
                         w ──┘      b ────────┘                    labelled with its line (logistic.py:7)

Edges go from the statement (or parameter) that assigns a name to each statement that may read that
value (reaching definitions: branches join, loops flow back to their head). Active statements (they
depend on ``wrt`` and reach the result) are shaded; loops and branches are clusters labelled with
the user's line. The reverse sweep, in a cluster of its own, reads forward values along dashed edges.
"""

from __future__ import annotations

import dataclasses
import itertools
import os

import libcst as cst

from s2sad.core import ir, naming
from s2sad.core.target import Compound
from s2sad.core.unit import Unit
from s2sad.errors import Origin

# (fill, border, font) per kind of node
_STYLES = {
    "active": ("#fde2c4", "#d9660b", "#222222"),
    "passive": ("#ffffff", "#9a9a9a", "#555555"),
    "control": ("#eeeeee", "#9a9a9a", "#333333"),
    "adjoint": ("#dbe9f8", "#2f6db5", "#1c2f4a"),
}
_ACTIVE_EDGE, _PASSIVE_EDGE, _ADJOINT_EDGE = "#d9660b", "#a0a0a0", "#2f6db5"
_READ_EDGE = "#2f6db588"  # translucent: the reverse sweep reads many forward values


@dataclasses.dataclass(frozen=True)
class _Node:
    key: str
    text: str  # the statement
    place: str  # where it comes from: "logistic.py:7", "adjoint of logistic.py:7"
    defines: tuple[str, ...]
    reads: tuple[str, ...]
    kind: str  # a key of _STYLES
    shape: str = "box"
    peripheries: int = 1


@dataclasses.dataclass(frozen=True)
class _Cluster:
    """A loop, or a branch's ``then`` block with its ``otherwise`` (else) block beside it."""

    label: str
    items: tuple  # _Node | _Cluster
    loop: bool = False
    otherwise: _Cluster | None = None


def dot(unit: Unit, wrt: tuple[str, ...], adjoint: bool = False) -> str:
    """The DOT text of ``unit``'s normalized function; with ``adjoint``, its reverse sweep beside it."""
    reverse = unit.generated.reverse if adjoint else ()
    chosen = _readable_names(unit, reverse)
    function = unit.ir
    body = ir.rename(function.body, chosen)
    builder = _Builder(unit.activity)
    parameters = _parameters(function, wrt, unit.activity)
    forward = _Cluster(f"{function.name} (normalized)", (*parameters, *builder.block(body)))
    edges: set[tuple[str, str]] = set()
    reaching = _flow(forward.items, {}, edges)
    clusters = [forward]
    if adjoint:
        sweep = _Cluster("reverse sweep (adjoints)", tuple(_Adjoints(chosen).block(reverse)))
        _flow(sweep.items, reaching, edges)
        clusters.append(sweep)
    active = {n.key for n in _nodes(clusters) if n.kind == "active"}
    title = f"{unit.path}:{unit.name} with respect to {', '.join(wrt)}: shaded orange = active"
    if adjoint:
        title += "; blue = adjoint statements, dashed = forward values they read"
    lines = [f"digraph {_quote(unit.name)} {{", *_HEADER, f"  label={_quote(title)};"]
    numbers = itertools.count(1)
    for cluster in clusters:
        _write_cluster(cluster, lines, numbers, "  ")
    order = {n.key: i for i, n in enumerate(_nodes(clusters))}
    for source, target in sorted(edges, key=lambda edge: (order[edge[0]], order[edge[1]])):
        back = order[source] >= order[target]  # a value from a loop's previous iteration: drawn without pulling
        lines.append(f"  {source} -> {target}{_edge_style(source, target, active, back)};")
    return "\n".join([*lines, "}"]) + "\n"


_HEADER = (
    '  graph [rankdir=TB, fontname="Helvetica", fontsize=12, labelloc=t, nodesep=0.3, ranksep=0.35];',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, margin="0.12,0.05"];',
    "  edge [arrowsize=0.6];",
)


def _readable_names(unit: Unit, reverse) -> dict[str, str]:
    """The names a person reads (``_t1``, ``np``, ``d_z``) for the placeholders, chosen as emit
    chooses them: the normalized program's in order first, then the reverse sweep's."""
    appearing = naming.names_in(cst.parse_module(unit.ir.code()))
    for item in _lines_and_headers(reverse):
        appearing += naming.names_in(item)
    return naming.choose(unit.names, appearing)


def _lines_and_headers(block):
    for item in block:
        if isinstance(item, Compound):
            yield item.header
            yield from _lines_and_headers(item.body)
            yield from _lines_and_headers(item.orelse)
        else:
            yield item.node


def _place(origin: Origin | None, adjoint: bool = False) -> str:
    if origin is None:
        return ""
    return f"{'adjoint of ' if adjoint else ''}{os.path.basename(origin.path)}:{origin.line}"


def _show(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _header_text(origin: Origin, fallback: str) -> str:
    """A loop's or branch's cluster label: the user's line as written (``for t in range(n)``)."""
    return origin.source_line().strip().removesuffix(":").strip() or fallback


def _parameters(function: ir.Function, wrt: tuple[str, ...], activity) -> list[_Node]:
    varied = set().union(*activity.active_names.values()) if activity.active_names else set()
    return [
        _Node(
            f"p{i}",
            name,
            f"parameter  {_place(function.parameter_origins.get(name))}",
            (name,),
            (),
            "active" if name in wrt and name in varied else "passive",
            shape="ellipse",
        )
        for i, name in enumerate(function.parameters)
    ]


class _Builder:
    """The normalized statements as nodes and clusters."""

    def __init__(self, activity):
        self.activity = activity
        self.active_names: set[str] = set()  # names some active statement assigns

    def block(self, statements) -> list:
        return [item for statement in statements for item in self.statement(statement)]

    def statement(self, statement) -> list:
        key, place = f"s{statement.id}", _place(statement.origin)
        match statement:
            case ir.Assign():
                return [self._node(statement, f"{statement.target} = {_show(statement.value)}", (statement.target,))]
            case ir.Append():
                text = f"{statement.target}.append({_show(statement.value)})"
                return [self._node(statement, text, (statement.target,), (statement.target,))]
            case ir.SetItem():
                index = _show(cst.Subscript(value=cst.Name(statement.target), slice=statement.index))
                text = f"{index} {'+=' if statement.augmented else '='} {_show(statement.value)}"
                extra = (statement.target, *naming.names_in(statement.index_value))
                return [self._node(statement, text, (statement.target,), extra)]
            case ir.Guard():
                return [_Node(key, _show(statement.value), place, (), _reads(statement.value), "control")]
            case ir.Return():
                reads = _reads(statement.value)
                kind = "active" if self.active_names & set(reads) else "passive"
                return [_Node(key, f"return {_show(statement.value)}", place, (), reads, kind, peripheries=2)]
            case ir.If():
                return self._branch(statement, key, place)
            case ir.Loop():
                return [self._loop(statement, key, place)]
            case _:
                ir.unknown(statement)

    def _node(self, statement, text: str, defines: tuple[str, ...], extra: tuple[str, ...] = ()) -> _Node:
        active = self.activity.is_active(statement)
        if active:
            self.active_names.update(defines)
        reads = tuple(dict.fromkeys((*extra, *_reads(statement.value))))
        return _Node(
            f"s{statement.id}", text, _place(statement.origin), defines, reads, "active" if active else "passive"
        )

    def _branch(self, statement: ir.If, key: str, place: str) -> list:
        test = _Node(key, f"if {_show(statement.test)}", place, (), _reads(statement.test), "control", shape="hexagon")
        otherwise = _Cluster("else", tuple(self.block(statement.orelse))) if statement.orelse else None
        label = _header_text(statement.origin, f"if {_show(statement.test)}")
        return [test, _Cluster(label, tuple(self.block(statement.body)), otherwise=otherwise)]

    def _loop(self, statement: ir.Loop, key: str, place: str) -> _Cluster:
        if statement.target is not None:
            text, reads = f"for {statement.target} in {_show(statement.iterable)}", _reads(statement.iterable)
            head = [_Node(key, text, place, (statement.target,), reads, "control", shape="hexagon")]
        else:
            test = _Node(key, f"while {_show(statement.test)}", place, (), _reads(statement.test), "control", "hexagon")
            head = [*self.block(statement.test_block), test]
        items = [*head, *self.block(statement.body)]
        if statement.exit_test is not None:
            text = f"break if {_show(statement.exit_test)}"
            items.append(_Node(f"{key}x", text, place, (), _reads(statement.exit_test), "control", shape="hexagon"))
        return _Cluster(_header_text(statement.origin, head[-1].text), tuple(items), loop=True)


def _reads(node: cst.CSTNode) -> tuple[str, ...]:
    return tuple(dict.fromkeys(naming.names_in(node)))


class _Adjoints:
    """The reverse sweep's lines as nodes (``del`` lines left out: they free memory, nothing flows)."""

    def __init__(self, chosen: dict[str, str]):
        self.chosen = chosen
        self.keys = itertools.count(1)

    def block(self, items) -> list:
        nodes = []
        for item in items:
            if isinstance(item, Compound):
                nodes.extend(self._compound(item))
            elif not isinstance(item.node, cst.Del):
                nodes.append(self._line(item))
        return nodes

    def _line(self, line) -> _Node:
        node = naming.renamed(line.node, self.chosen)
        match node:
            case cst.Assign():
                targets, value = [t.target for t in node.targets], node.value
            case cst.AugAssign():
                targets, value = [node.target], node.value
            case _:
                targets, value = [], node
        defines, reads = [], naming.names_in(value)
        for target in targets:
            names = naming.names_in(target)
            if isinstance(target, (cst.Name, cst.Tuple, cst.List)):
                defines += names
            else:  # d_x[i] = ...: a new value of d_x, made from the old one
                defines.append(names[0])
                reads += names
        if isinstance(node, cst.AugAssign):
            reads += defines
        text = _show(node) + (f"  # {line.note}" if line.note else "")
        place = _place(line.origin, adjoint=True)
        return _Node(f"r{next(self.keys)}", text, place, tuple(defines), tuple(dict.fromkeys(reads)), "adjoint")

    def _compound(self, item: Compound) -> list:
        header = naming.renamed(item.header, self.chosen)
        key, place = f"r{next(self.keys)}", _place(item.origin, adjoint=True)
        if isinstance(header, cst.For):
            text = f"for {_show(header.target)} in {_show(header.iter)}"
            test = _Node(key, text, place, tuple(naming.names_in(header.target)), _reads(header.iter), "control")
        else:
            word = "if" if isinstance(header, cst.If) else "while"
            test = _Node(key, f"{word} {_show(header.test)}", place, (), _reads(header.test), "control")
        test = dataclasses.replace(test, shape="hexagon")
        body = tuple(self.block(item.body))
        if isinstance(header, cst.If):
            otherwise = _Cluster("else", tuple(self.block(item.orelse))) if item.orelse else None
            return [test, _Cluster(test.text, body, otherwise=otherwise)]
        return [_Cluster(test.text, (test, *body), loop=True)]


def _flow(items, reaching: dict[str, frozenset[str]], edges: set[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """Add an edge from each node that may have assigned a name last to each node reading it;
    the names' assigning nodes after ``items``."""
    reaching = dict(reaching)
    for item in items:
        if isinstance(item, _Node):
            edges.update((source, item.key) for name in item.reads for source in reaching.get(name, ()))
            reaching.update(dict.fromkeys(item.defines, frozenset({item.key})))
        elif item.loop:  # the head sees what the entry and every iteration's end assign, until that settles
            while True:
                after = _join(reaching, _flow(item.items, reaching, edges))
                if after == reaching:
                    break
                reaching = after
        else:
            taken = _flow(item.items, reaching, edges)
            reaching = _join(taken, _flow(item.otherwise.items, reaching, edges) if item.otherwise else reaching)
    return reaching


def _join(one: dict, other: dict) -> dict[str, frozenset[str]]:
    return {name: one.get(name, frozenset()) | other.get(name, frozenset()) for name in one.keys() | other.keys()}


def _nodes(items):
    """Every node in ``items`` (clusters included), in drawing order."""
    for item in items:
        if isinstance(item, _Node):
            yield item
        else:
            yield from _nodes(item.items)
            if item.otherwise:
                yield from _nodes(item.otherwise.items)


def _write_cluster(cluster: _Cluster, lines: list[str], numbers, indent: str) -> None:
    lines.append(f"{indent}subgraph cluster_{next(numbers)} {{")
    inner = indent + "  "
    style = "rounded,dashed" if cluster.loop else "rounded"
    lines.append(f'{inner}label={_quote(cluster.label)}; style="{style}"; color="#8a8a8a"; fontcolor="#333333";')
    for item in cluster.items:
        if isinstance(item, _Node):
            lines.append(f"{inner}{item.key} [{_node_attributes(item)}];")
        else:
            _write_cluster(item, lines, numbers, inner)
            if item.otherwise:
                _write_cluster(item.otherwise, lines, numbers, inner)
    lines.append(f"{indent}}}")


def _node_attributes(node: _Node) -> str:
    fill, border, font = _STYLES[node.kind]
    label = f"{node.text}\n{node.place}" if node.place else node.text
    attributes = [f"label={_quote(label)}", f'fillcolor="{fill}"', f'color="{border}"', f'fontcolor="{font}"']
    if node.shape != "box":
        attributes.append(f"shape={node.shape}")
    if node.peripheries != 1:
        attributes.append(f"peripheries={node.peripheries}")
    if node.kind == "active":
        attributes.append("penwidth=1.6")
    return ", ".join(attributes)


def _edge_style(source: str, target: str, active: set[str], back: bool) -> str:
    """Keys tell the sweeps apart: the reverse sweep's start with r."""
    if target.startswith("r") and not source.startswith("r"):  # a forward value the reverse sweep reads
        return f' [style=dashed, color="{_READ_EDGE}", constraint=false]'
    attributes = [f'color="{_ADJOINT_EDGE}"'] if source.startswith("r") else [f'color="{_PASSIVE_EDGE}"']
    if source in active and target in active:
        attributes = [f'color="{_ACTIVE_EDGE}"', "penwidth=1.3"]
    if back:
        attributes.append("constraint=false")
    return f" [{', '.join(attributes)}]"


def _quote(text: str) -> str:
    """A DOT quoted string: backslashes and quotes escaped, line breaks as DOT's centred ``\\n``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
