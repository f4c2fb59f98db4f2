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
from collections.abc import Iterable, Mapping

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


def names_in(node: cst.CSTNode) -> list[str]:
    """Every identifier in ``node`` bound or read as a variable, in order of appearance.

    Not an attribute's name (``x.T``), a keyword argument's (``f(axis=0)``) or an imported name
    (``import math as m`` binds m). A walk of its own: libcst's visitors, which call hooks on every
    node and field, made this the compiler's most expensive helper.
    """
    found: list[str] = []
    _collect(node, found)
    return found


def _collect(node: cst.CSTNode, found: list[str]) -> None:
    kind = type(node)
    if kind is cst.Name:
        found.append(node.value)
        return
    for field in variable_fields(kind):
        value = getattr(node, field)
        if type(value) is tuple or type(value) is list:
            for item in value:
                _collect(item, found)
        elif is_node(value):
            _collect(value, found)


def substitute(node: cst.CSTNode, replacements: Mapping[str, cst.BaseExpression], moved: bool = False) -> cst.CSTNode:
    """``node`` with its variables (``names_in``) in ``replacements`` replaced by a copy of their
    expression (``moved``: by the expression itself, which is read nowhere else); the parts without
    such names stay as they are (the same nodes). ``rules.templates.substitute``, in a walk of its own."""
    kind = type(node)
    if kind is cst.Name:
        replacement = replacements.get(node.value)
        return node if replacement is None else replacement if moved else replacement.deep_clone()
    changes = {}
    for field in variable_fields(kind):
        value = getattr(node, field)
        if type(value) is tuple or type(value) is list:
            items = [substitute(item, replacements, moved) for item in value]
            if any(new is not old for new, old in zip(items, value, strict=True)):
                changes[field] = items
        elif is_node(value):
            new = substitute(value, replacements, moved)
            if new is not value:
                changes[field] = new
    return node.with_changes(**changes) if changes else node


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The children of ``node`` that may hold variables (``variable_fields``), in order."""
    found = []
    for field in variable_fields(type(node)):
        value = getattr(node, field)
        if type(value) is tuple or type(value) is list:
            found.extend(value)
        elif is_node(value):
            found.append(value)
    return found


def is_node(value: object) -> bool:
    """``isinstance(value, cst.CSTNode)``, by a table (the check on libcst's abstract classes is slow)."""
    kind = type(value)
    known = _NODE_TYPES.get(kind)
    if known is None:
        known = _NODE_TYPES[kind] = isinstance(value, cst.CSTNode)
    return known


_NODE_TYPES: dict[type, bool] = {}


_VISIT = re.compile(r'visit_\w+\(\s*self,\s*"(\w+)"')
# Fields that hold no names: whitespace, punctuation, operators.
_NAMELESS = re.compile(r"whitespace.*|lpar|rpar|comma|semicolon|.*colon|dot|equal|operator|asynchronous|header|footer")
# Where a name is not a variable: only these fields hold variables.
_NAME_FIELDS: dict[type, tuple[str, ...]] = {
    cst.Attribute: ("value",),
    cst.Arg: ("value",),
    cst.ImportAlias: ("asname",),
    cst.ImportFrom: ("names",),
}


def variable_fields(kind: type) -> tuple[str, ...]:
    """The fields of a libcst node class that may hold variables' names, in the order libcst visits
    them (its ``_visit_and_replace_children`` visits them in the order of the source text)."""
    fields = _NAME_FIELDS.get(kind)
    if fields is None:
        import inspect  # here: once per node class

        try:
            visited = _VISIT.findall(inspect.getsource(kind._visit_and_replace_children))
        except (OSError, TypeError):  # libcst installed without its sources: by declaration
            visited = [field.name for field in dataclasses.fields(kind)]
        fields = tuple(dict.fromkeys(field for field in visited if not _NAMELESS.fullmatch(field)))
        _NAME_FIELDS[kind] = fields
    return fields


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
    ``appearing``: ``names_in(node)``, or the names of the code ``node`` is part of, in order.
    ``transformer``: one whose other changes are made in the same walk over ``node``.
    Returns the renamed node and the names chosen, by placeholder.
    """
    chosen = choose(names, names_in(node) if appearing is None else appearing, shadowing)
    return renamed(node, chosen, transformer), chosen


def choose(names: Names, appearing: list[str], shadowing: Iterable[str] = ()) -> dict[str, str]:
    """A readable name for each placeholder in ``appearing`` (the code's names, in order)."""
    chooser = _Chooser(names, {name for name in appearing if not names.is_placeholder(name)}, set(shadowing))
    for name in appearing:
        if names.is_placeholder(name):
            chooser.readable(name)
    return chooser.chosen


def renamed(
    node: cst.CSTNode, chosen: dict[str, str], transformer: type[cst.CSTTransformer] = cst.CSTTransformer
) -> cst.CSTNode:
    """``node`` with the names in ``chosen`` renamed (and ``transformer``'s changes made)."""

    class Renamer(transformer):
        def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
            new = chosen.get(updated.value)
            return updated if new is None else updated.with_changes(value=new)

    return node.visit(Renamer())


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
