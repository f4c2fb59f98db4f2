"""The front end's preparation of a loaded function: the language gate (check), then name resolution (resolve).

The pipeline prepares the user's function with it, and normalize each function of the user's it inlines.
"""

from __future__ import annotations

from s2sad import check, resolve
from s2sad.options import Options
from s2sad.unit import Unit


def run(unit: Unit, options: Options) -> Unit:
    return resolve.run(check.run(unit, options), options)
