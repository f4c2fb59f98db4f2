"""The package keeps the shape that lets a newcomer find where a change goes (issue 15).

- The engine names no numpy function: qualified names (``"numpy.sum"``) are written only in
  ``s2sad/rules/`` and ``s2sad/runtime/``; everything else reads them from the rule declarations.
- Modules, classes and functions stay small enough to read whole.
"""

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "s2sad"
SOURCES = sorted(
    path for path in [*PACKAGE.rglob("*.py"), *(ROOT / "cli").rglob("*.py")] if "s2sad/cli" not in path.as_posix()
)
# Where numpy's names are declared: the rule table and the helpers generated code calls.
DECLARING = (PACKAGE / "rules", PACKAGE / "runtime")
MODULE_LINES, CLASS_LINES, FUNCTION_LINES = 500, 300, 60
# Tables of rules, one declaration after another: long by nature, each entry short.
RULE_TABLES = {"rules/assembly.py", "rules/elementwise.py", "rules/generated.py", "rules/shape.py"}


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE if path.is_relative_to(PACKAGE) else ROOT).as_posix()


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def test_no_numpy_name_outside_the_rules_and_the_runtime():
    found = []
    for path in SOURCES:
        if any(path.is_relative_to(folder) for folder in DECLARING):
            continue
        tree = ast.parse(path.read_text())
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.startswith(("numpy.", "scipy.", "math."))
                and id(node) not in docstrings
            ):
                found.append(f"{_relative(path)}:{node.lineno}: {node.value!r}")
    assert not found, "declare these with their rules (s2sad/rules/) and read the declarations:\n" + "\n".join(found)


def test_modules_classes_and_functions_stay_readable():
    too_long = []
    for path in SOURCES:
        text = path.read_text()
        lines = text.count("\n")
        if lines > MODULE_LINES and _relative(path) not in RULE_TABLES:
            too_long.append(f"{_relative(path)}: module of {lines} lines (at most {MODULE_LINES})")
        for node in ast.walk(ast.parse(text)):
            size = getattr(node, "end_lineno", 0) - getattr(node, "lineno", 0) + 1
            if isinstance(node, ast.ClassDef) and size > CLASS_LINES:
                too_long.append(
                    f"{_relative(path)}:{node.lineno}: class {node.name} of {size} lines (at most {CLASS_LINES})"
                )
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and size > FUNCTION_LINES:
                too_long.append(
                    f"{_relative(path)}:{node.lineno}: function {node.name} of {size} lines (at most {FUNCTION_LINES})"
                )
    assert not too_long, "split these:\n" + "\n".join(too_long)


def test_every_package_is_installed():
    """pyproject.toml names each package a wheel must hold (an editable install would hide a missing one)."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        "s2sad." + init.parent.relative_to(PACKAGE).as_posix().replace("/", ".") if init.parent != PACKAGE else "s2sad"
        for init in PACKAGE.rglob("__init__.py")
        if "s2sad/cli" not in init.as_posix()
    } | {"s2sad.cli"}
    assert listed == found
