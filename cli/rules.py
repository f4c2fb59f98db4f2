"""`s2sad rules`: every function s2sad differentiates, as users spell it, and the helpers it passes through."""

from __future__ import annotations

import argparse
import sys

from s2sad import rules
from s2sad.rules import syntax


def _user_facing(name: str) -> bool:
    """Internal rule names (copies, list literals, indexing) are not spelled by users."""
    return not name.startswith(("s2sad.", "operator."))


def _order(spelling: str) -> tuple[int, str]:
    return (int("." in spelling), spelling)  # builtins first, then math.*, np.*


def run(arguments: argparse.Namespace) -> int:
    derivative = []
    operators = {function: operator for operator, function in syntax.OPERATORS.items()}
    for name in set(rules.RULES) | set(rules.ALIASES):
        canonical = rules.canonical(name)
        if not _user_facing(name):
            continue
        notes = []
        if canonical != name and _user_facing(canonical):
            notes.append(f"same as {rules.spelling(canonical)}")
        if name in operators:
            notes.append(f"also the {operators[name]} operator")
        modes = "reverse, forward" if canonical in rules.TANGENTS else "reverse"
        derivative.append((rules.spelling(name), modes, "; ".join(notes)))
    helpers = [(rules.spelling(n), "zero derivative", "") for n in rules.ZERO_DERIVATIVE if _user_facing(n)]
    helpers += [
        (rules.spelling(n), "inactive only", "its arguments must not depend on what is differentiated")
        for n in rules.INACTIVE_ONLY
    ]
    derivative.sort(key=lambda row: _order(row[0]))
    helpers.sort(key=lambda row: _order(row[0]))
    width = max(len(row[0]) for row in derivative + helpers) + 2
    lines = [f"# functions with a derivative rule ({len(derivative)}), and the modes they support"]
    lines += [f"{s:<{width}}{modes:<18}{note}".rstrip() for s, modes, note in derivative]
    lines += ["", f"# pass-through helpers: no derivative flows through them ({len(helpers)})"]
    lines += [f"{s:<{width}}{what:<18}{note}".rstrip() for s, what, note in helpers]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
