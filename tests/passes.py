"""Run the pipeline on source text up to a named pass (for the pass tests)."""

import contextlib
import textwrap

import libcst as cst

from s2sad.frontend import load
from s2sad import pipeline
from s2sad.backend import emit
from s2sad.core import ir
from s2sad.options import Options


def run_until(tmp_path, source: str, last: str, wrt=("x",), kind="grad"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent(source))
    unit = load.from_file(str(path), "f")
    options = Options(kind=kind, wrt=tuple(wrt), wrt_tuple=len(wrt) > 1)
    for stage in pipeline.PIPELINE:
        unit = stage.run(unit, options)
        if stage.name == last:
            return unit
    raise ValueError(last)


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def assert_normalized(tmp_path, before: str, after: str, wrt=("x",)) -> None:
    """normalize maps the function ``f`` in ``before`` to ``after`` (``MODEL``: the model's path)."""
    unit = run_until(tmp_path, before, "normalize", wrt=wrt)
    assert unit.ir.code() == dedent(after).replace("MODEL", unit.path)


def activity_table(unit) -> list[tuple[str, str]]:
    """The analysed program, one row per statement: its text (indented as nested) and the facts found about it.

    Facts: ``active`` with each active parameter and its operand; ``same shape`` (parameters shaped like the
    result: no unbroadcast); ``recorded`` (``shape`` when its old value is read for its shape alone);
    for branches and loops, ``reversed`` and the ``zeros_before``/``zeros_after`` names; on the return,
    ``scalar result`` when the function certainly returns a scalar.
    """
    rows: list[tuple[str, str]] = []
    _activity_rows(unit.ir.body, unit.activity, "", rows)
    return rows


def parse_table(text: str) -> list[tuple[str, str]]:
    """Rows written as ``statement | facts`` (indentation kept, columns aligned at will)."""
    rows = []
    for line in dedent(text).splitlines():
        statement, _, facts = line.rpartition("|")
        rows.append((statement.rstrip(), facts.strip()))
    return rows


def _activity_rows(statements, activity, indent: str, rows: list) -> None:
    show = cst.Module(body=[]).code_for_node
    for statement in statements:
        match statement:
            case ir.Assign():
                rows.append((f"{indent}{statement.target} = {show(statement.value)}", _facts(statement, activity)))
            case ir.SetItem():
                index = show(cst.Subscript(value=cst.Name(statement.target), slice=statement.index))
                update = "+=" if statement.augmented else "="
                rows.append((f"{indent}{index} {update} {show(statement.value)}", _facts(statement, activity)))
            case ir.Append():
                rows.append(
                    (f"{indent}{statement.target}.append({show(statement.value)})", _facts(statement, activity))
                )
            case ir.Guard():
                rows.append((f"{indent}{show(statement.value)}", _facts(statement, activity)))
            case ir.Return():
                facts = "scalar result" if activity.scalar_result else ""
                rows.append((f"{indent}return {show(statement.value)}", facts))
            case ir.If():
                rows.append((f"{indent}if {show(statement.test)}:", _facts(statement, activity)))
                _activity_rows(statement.body, activity, indent + "    ", rows)
                if statement.orelse:
                    rows.append((f"{indent}else:", ""))
                    _activity_rows(statement.orelse, activity, indent + "    ", rows)
            case ir.Loop():
                if statement.target is None:
                    _activity_rows(statement.test_block, activity, indent, rows)
                    header = f"{indent}while {show(statement.test)}:"
                else:
                    header = f"{indent}for {statement.target} in {show(statement.iterable)}:"
                rows.append((header, _facts(statement, activity)))
                _activity_rows(statement.body, activity, indent + "    ", rows)
                if statement.exit_test is not None:
                    rows.append((f"{indent}    if {show(statement.exit_test)}: break", ""))
            case _:
                ir.unknown(statement)


def _facts(statement, activity) -> str:
    facts = []
    if statement.id in activity.active_operands:
        show = cst.Module(body=[]).code_for_node
        operands = []
        for parameter in activity.active_operands[statement.id]:
            # An item assignment or append has one operand, its value.
            operand = statement.operands[parameter] if isinstance(statement, ir.Assign) else statement.value
            atoms = operand if isinstance(operand, tuple) else (operand,)
            operands.append(f"{parameter}={','.join(show(atom) for atom in atoms)}")
        facts.append(" ".join(["active", *operands]))
    if statement.id in activity.same_shape:
        facts.append("same shape " + " ".join(sorted(activity.same_shape[statement.id])))
    if statement.id in activity.recorded:
        facts.append("recorded shape" if statement.id in activity.shape_only else "recorded")
    if statement.id in activity.reversed:
        facts.append("reversed")
    for field in ("zeros_before", "zeros_after"):
        names = getattr(activity, field).get(statement.id)
        if names:
            facts.append(f"{field} " + " ".join(sorted(names)))
    return "; ".join(facts)


def format_table(rows: list[tuple[str, str]]) -> str:
    """``rows`` as ``parse_table`` reads them, aligned (for writing expected tables)."""
    width = max(len(statement) for statement, _ in rows)
    return "\n".join(f"{statement.ljust(width)} | {facts}".rstrip() for statement, facts in rows) + "\n"


def optimize_before_after(tmp_path, source: str, wrt=("x",), kind="grad") -> tuple[str, str]:
    """The generated function for ``f`` in ``source`` as the optimize pass takes it and as it leaves it
    (printed without the module's docstring and imports)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "model.py").write_text(textwrap.dedent(source))
    mode = "forward" if kind == "jvp" else "reverse"
    options = Options(kind=kind, wrt=tuple(wrt), wrt_tuple=len(wrt) > 1, mode=mode)
    texts = []
    with contextlib.chdir(tmp_path):  # the path in the code is model.py, so black lays it out alike anywhere
        unit = load.from_file("model.py", "f")
        for stage in pipeline.PIPELINE:
            unit = stage.run(unit, options)
            if stage.name in ("transform", "optimize"):
                module = emit.render(unit)
                texts.append(module[module.index("\ndef ") + 1 :])
            if stage.name == "optimize":
                return texts[0], texts[1]
    raise AssertionError("no optimize pass")
