"""The unit of compilation: one user function and the facts the stages have found about it.

Each stage takes a Unit and returns a new one with its own field filled in
(``dataclasses.replace``); no stage mutates what an earlier one produced.
Facts are keyed by names or statement ids, never hung on libcst nodes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import libcst as cst
from libcst.metadata import CodeRange

from s2sad.core.facts import Activity, Resolution
from s2sad.core.naming import Names

if TYPE_CHECKING:
    from s2sad.core.ir import Function


@dataclasses.dataclass(frozen=True)
class Unit:
    # load
    path: str  # the file as shown to the user (relative when under the working directory)
    name: str  # the function's name
    module: cst.Module = dataclasses.field(repr=False)
    function: cst.FunctionDef = dataclasses.field(repr=False)
    positions: Mapping[cst.CSTNode, CodeRange] = dataclasses.field(repr=False)
    filename: str = ""  # the file's absolute path
    module_name: str | None = None  # importable name of the user's module, for generated imports
    live_globals: Mapping[str, Any] | None = dataclasses.field(default=None, repr=False)
    # resolve: dotted name as written ("np.exp") -> what it is
    resolutions: Mapping[str, Resolution] = dataclasses.field(default_factory=dict, repr=False)
    local_names: frozenset[str] = frozenset()
    # A function defined inside another (``def``, or a lambda assigned to a name): the enclosing one's
    # names, which it reads as they are when it is called (inlined there), never resolved as globals.
    enclosing_names: frozenset[str] = frozenset()
    # normalize
    ir: Function | None = dataclasses.field(default=None, repr=False)
    names: Names | None = None  # placeholder names, hygienic against every name in the file
    # Globals of other modules that inlined functions read: placeholder -> (live globals or module name, name)
    foreign: Mapping[str, tuple[Any, str]] = dataclasses.field(default_factory=dict, repr=False)
    # (file, module) of each function whose source went into the generated code
    dependencies: frozenset[tuple[str, str | None]] = frozenset()
    # analyse
    activity: Activity | None = dataclasses.field(default=None, repr=False)
    # transform, optimize
    generated: cst.FunctionDef | None = dataclasses.field(default=None, repr=False)
    # emit
    source: str | None = None
    compiled: Any = dataclasses.field(default=None, repr=False)  # the generated function (live units)
