"""ir_lint.lint: what the passes rely on holds after every pass that makes IR, and a broken program is named.

The pipeline runs up to memory (the last pass that makes IR) on every public
function of the fixtures (each parameter alone as wrt, then all of them) and
on generated programs (tests/programs.py), linting after normalize and after
memory. A refusal (S2SADError) ends a run; an ``ir_lint.Invalid`` fails the test.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings

from s2sad import S2SADError, pipeline
from s2sad.core import ir, ir_lint
from s2sad.frontend import load
from s2sad.options import Options
from tests.passes import run_until
from tests.programs import programs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def linted(path: Path, name: str, options: Options) -> list[str]:
    """Run the passes on ``path``'s ``name`` up to memory, linting the IR after each that makes it anew;
    the passes after which it linted (none if one refused the function)."""
    unit = load.from_file(str(path), name)
    passes = []
    try:
        for stage in pipeline.PIPELINE:
            program = unit.ir
            unit = stage.run(unit, options)
            if unit.ir is not program:
                ir_lint.lint(unit.ir, after=stage.name)
                passes.append(stage.name)
            if stage.name == "memory":
                return passes
    except S2SADError:
        return passes
    raise AssertionError("no memory pass")


def _public_functions(path: Path) -> list[tuple[str, list[str]]]:
    return [
        (node.name, [a.arg for a in node.args.args])
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and node.name != "example_inputs"
    ]


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.py")), ids=lambda path: path.stem)
def test_fixtures_lint(path):
    linted_after = []
    for name, parameters in _public_functions(path):
        for wrt in [(p,) for p in parameters] + [tuple(parameters)]:
            linted_after.append(linted(path, name, Options(kind="grad", wrt=wrt, wrt_tuple=len(wrt) > 1)))
    assert ["normalize", "memory"] in linted_after  # some function of the file goes through both


# 50 programs: the suite's every compilation lints too (conftest.py), the generator's 200 programs included.
@settings(max_examples=50, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs())
def test_generated_programs_lint(tmp_path_factory, program):
    path = tmp_path_factory.mktemp("program") / "model.py"
    path.write_text(program.source)
    wrt = program.wrt if isinstance(program.wrt, tuple) else (program.wrt,)
    for mode in ("reverse", "forward"):
        kind = "grad" if mode == "reverse" else "jvp"
        linted(path, "f", Options(kind=kind, wrt=wrt, wrt_tuple=isinstance(program.wrt, tuple), mode=mode))


SOURCE = """
import numpy as np
def f(x):
    y = np.exp(x)
    for i in range(3):
        y = y * x
    return np.sum(y)
"""


@pytest.fixture
def program(tmp_path) -> ir.Function:
    function = run_until(tmp_path, SOURCE, "memory").ir
    ir_lint.lint(function)
    return function


def _first_assign(function: ir.Function) -> ir.Assign:
    return next(s for s in function.body if isinstance(s, ir.Assign))


def _replace_first_assign(function: ir.Function, **changes) -> ir.Function:
    first = _first_assign(function)
    body = tuple(dataclasses.replace(s, **changes) if s is first else s for s in function.body)
    return dataclasses.replace(function, body=body)


def _broken(function: ir.Function, problem: str):
    """Lint ``function``: it must be refused for ``problem``; the error and the first assignment."""
    first = _first_assign(function)
    with pytest.raises(ir_lint.Invalid, match=problem) as raised:
        ir_lint.lint(function, after="a pass")
    assert "(after a pass)" in str(raised.value)
    return raised, first


def test_nested_operation_is_named(program):
    nested = cst.parse_expression("np.exp(x) + 1.0")
    raised, first = _broken(_replace_first_assign(program, value=nested), "not one operation on atoms")
    assert str(raised.value).startswith(f"{first.origin}: Assign {first.id}")


def test_duplicate_id(program):
    loop = next(s for s in program.body if isinstance(s, ir.Loop))
    _broken(_replace_first_assign(program, id=loop.id), "another statement's too")


def test_read_before_bound(program):
    body = tuple(reversed(program.body[:-1])) + program.body[-1:]
    _broken(dataclasses.replace(program, body=body), "where no path has bound it")


def test_assign_reading_its_target(program):
    first = _first_assign(program)
    _broken(
        _replace_first_assign(program, value=cst.Name(first.target), rule=None, operands={}),
        "reads the name it assigns",
    )


def test_unknown_statement_kind(program):
    _broken(dataclasses.replace(program, body=(object(), *program.body)), "no statement kind")


def test_return_not_last(program):
    returned = program.body[-1]
    body = (*program.body, dataclasses.replace(returned, id=returned.id + 100))
    with pytest.raises(ir_lint.Invalid, match="does not end with its one return"):
        ir_lint.lint(dataclasses.replace(program, body=body))
