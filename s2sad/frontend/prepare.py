"""The front end's preparation of a loaded function: the language gate (gate), then name resolution (resolve).

The pipeline prepares the user's function with it, and normalize each function of the user's it inlines.
"""

from __future__ import annotations

from s2sad.frontend import gate, resolve
from s2sad.options import Options
from s2sad.core.unit import Unit


def run(unit: Unit, options: Options) -> Unit:
    return resolve.run(gate.run(unit, options), options)
