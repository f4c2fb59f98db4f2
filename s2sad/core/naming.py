"""Hygienic names for generated code: placeholders while compiling, readable names at the end.

Stages create names as placeholders under a prefix no user name starts with
(``_s2sad_``, lengthened if needed), so they can never collide. ``finalize``
then renames every placeholder, in order of first appearance, to the name a
person would write, skipping every name the code already uses:

    _s2sad_n3 -> _t1        (temporaries)
    _s2sad_d_z -> d_z       (adjoint of z)
    _s2sad_np -> np         (module aliases, and the tape)
"""

from __future__ import annotations

import dataclasses
import itertools
import keyword
import re
from collections.abc import Iterable

import libcst as cst

# Fixed roles and the names they prefer.
MODULES = {"np": "np", "rt": "_rt", "math": "math"}
ROLES = {**MODULES, "tape": "tape", "result": "result", "seed": "d_result"}


@dataclasses.dataclass(frozen=True)
class Names:
    """Placeholder names under one prefix."""

    prefix: str

    @classmethod
    def avoiding(cls, used: Iterable[str]) -> "Names":
        prefix = "_s2sad_"
        used = list(used)
        while any(name.startswith(prefix) for name in used):
            prefix += "_"
        return cls(prefix)

    def temp(self, stage: str, number: int) -> str:
        """A temporary of ``stage`` ("n" normalize, "r" reverse, "c" a value optimize shares), unique by ``number``."""
        return f"{self.prefix}{stage}{number}"

    def adjoint(self, name: str) -> str:
        return f"{self.prefix}d_{name}"

    def role(self, role: str) -> str:
        """A fixed role (np, tape, seed) or, as ``v_<word>[_<n>]``, a variable named after ``word``."""
        return f"{self.prefix}{role}"

    def module(self, alias: str) -> str:
        """Placeholder for a module a rule calls as ``np``, ``_rt`` or ``math``."""
        return self.role({"np": "np", "_rt": "rt", "math": "math"}[alias])

    def builtin(self, name: str) -> str:
        """Placeholder for a builtin generated code calls (range, len): renamed if a user name shadows it."""
        return f"{self.prefix}b_{name}"

    def is_placeholder(self, name: str) -> bool:
        return name.startswith(self.prefix)


class NameCollector(cst.CSTVisitor):
    """Collects in ``found`` every identifier bound or read as a variable, in order of appearance."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def visit_Attribute(self, attribute: cst.Attribute) -> bool:
        attribute.value.visit(self)
        return False

    def visit_Arg(self, arg: cst.Arg) -> bool:
        arg.value.visit(self)
        return False

    def visit_ImportAlias(self, alias: cst.ImportAlias) -> bool:
        if alias.asname is not None:  # `import math as m` binds m, not math
            alias.asname.visit(self)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        for alias in node.names if not isinstance(node.names, cst.ImportStar) else ():
            alias.visit(self)
        return False

    def visit_Name(self, name: cst.Name) -> None:
        self.found.append(name.value)


def names_in(node: cst.CSTNode) -> list[str]:
    """Every identifier in ``node`` bound or read as a variable, in order of appearance."""
    collector = NameCollector()
    node.visit(collector)
    return collector.found


def finalize(
    node: cst.CSTNode,
    names: Names,
    shadowing: Iterable[str] = (),
    appearing: list[str] | None = None,
    transformer: type[cst.CSTTransformer] = cst.CSTTransformer,
) -> tuple[cst.CSTNode, dict[str, str]]:
    """Rename every placeholder in ``node`` to a readable name no other name in it uses.

    ``shadowing``: names the code looks up before the builtins (the user's globals, for code
    run in a namespace reading them); a builtin the code calls is never called by one of them.
    ``appearing``: ``names_in(node)``, if the caller has it. ``transformer``: one whose other
    changes are made in the same walk over ``node`` (a long function's tree is large).
    Returns the renamed node and the names chosen, by placeholder.
    """
    if appearing is None:
        appearing = names_in(node)
    chooser = _Chooser(names, {name for name in appearing if not names.is_placeholder(name)}, set(shadowing))
    for name in appearing:
        if names.is_placeholder(name):
            chooser.readable(name)
    chosen = chooser.chosen

    class Renamer(transformer):
        def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
            new = chosen.get(updated.value)
            return updated if new is None else updated.with_changes(value=new)

    return node.visit(Renamer()), chosen


class _Chooser:
    """Readable names for placeholders, in the order asked, none of them taken already."""

    def __init__(self, names: Names, taken: set[str], shadowing: set[str]) -> None:
        self.names = names
        self.taken = taken | set(keyword.kwlist)
        self.shadowing = shadowing
        self.chosen: dict[str, str] = {}
        self.temps = itertools.count(1)

    def pick(self, candidates: Iterable[str]) -> str:
        for candidate in candidates:
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate
        raise AssertionError("unreachable: candidates are infinite")

    def numbered(self, stem: str) -> str:
        return self.pick(itertools.chain([stem], (f"{stem}_{i}" for i in itertools.count(1))))

    def readable(self, placeholder: str) -> str:
        if placeholder in self.chosen:
            return self.chosen[placeholder]
        body = placeholder[len(self.names.prefix) :]
        if body.startswith("d_"):
            primal = body[2:]
            primal = self.readable(primal) if self.names.is_placeholder(primal) else primal
            name = self.numbered("d_" + primal.lstrip("_"))
        elif re.fullmatch(r"[nrc]\d+", body):
            name = self.pick(f"_t{i}" for i in self.temps)
        elif body.startswith("b_"):  # a builtin: its own name unless the code (or a global) uses it otherwise
            stem = body[2:]
            candidates = itertools.chain([stem], (f"{stem}_{i}" for i in itertools.count(1)))
            name = self.pick(candidate for candidate in candidates if candidate not in self.shadowing)
        elif body.startswith("v_"):  # a variable s2sad adds, named by its role: v_broke_2 -> broke
            name = self.numbered(re.sub(r"_\d+$", "", body[2:]))
        else:
            name = self.numbered(ROLES[body])
        self.chosen[placeholder] = name
        return name
