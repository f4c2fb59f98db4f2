"""Normalize: the user's function -> A-normal form (``ir.Function``), refusing what it cannot lower.

Requires: resolutions from resolve. Guarantees: every statement applies one
operation to atoms (names and literals); calls are spelled canonically
(``np.exp``, whatever the user imported them as); methods become functions
(``x.sum(axis=1)`` -> ``np.sum(x, axis=1)``, ``x.T`` -> ``np.transpose(x)``);
``x += e`` becomes ``x = x + e``; no statement assigns a name it reads.

    z = x @ w + b                  _n1 = x @ w
    p = 1.0 / (1.0 + np.exp(-z))   z = _n1 + b
                                   _n2 = -z
                                   ...

check.py has already refused what is outside the language's syntax; what
remains to refuse here (an unknown array method, a call that does not match
its rule's signature) raises UnsupportedSyntax at its own line and column.

Where a change goes: ``state`` (what a lowering holds), ``statements`` (a body,
return/break/continue), ``control`` (if, for, while, conditions), ``assignments``
(targets, unpacking, item updates, appends), ``expressions`` (operations,
attributes, indexing), ``calls`` (rules, methods, np.r_/np.c_), ``tuples``
(tuples known while lowering), ``inlining`` (the user's own functions).
"""

from __future__ import annotations

import dataclasses

from s2sad.core.naming import Names, names_in
from s2sad.normalize import statements
from s2sad.normalize.state import Shared, State
from s2sad.options import Options
from s2sad.core.unit import Unit


def run(unit: Unit, options: Options) -> Unit:
    shared = Shared(Names.avoiding(names_in(unit.function)), options, stack=[(unit.path, unit.name)])
    function = statements.lower_function(State(unit, shared))
    return dataclasses.replace(
        unit,
        ir=function,
        names=shared.names,
        foreign=dict(shared.foreign),
        dependencies=frozenset({(unit.filename, unit.module_name), *shared.files}),
    )
