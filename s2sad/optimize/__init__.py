"""Optimize: make the generated function smaller and closer to what a person would write.

Requires: a Generated function. Each rewrite keeps the values computed (each
module says why); the first four run until none applies:

- inlining.py: a temporary read once goes back into the expression reading it;
- copies.py: a name holding another's value is read as that value; copies back dropped;
- folding.py: literal arithmetic computed, ``_rt.power_slope(x, 2)`` written ``2 * x``;
- dead_code.py: generated names never read dropped.

Then, in reverse mode, two adjoint helpers fuse where the pair has a cheaper
form (fusion.py), and a loop's per-trip products with one matrix become one
product after the loop (stacking.py), and helpers whose case the arguments' forms decide
are written out (ranked.py); a helper call written twice is computed once (common.py). Last, the gradients returned are made
safe to update in place (results.py) and, in reverse mode, arrays are released
once nothing reads them again (dead_code.py).
"""

from __future__ import annotations

import dataclasses

from s2sad.optimize import common, facts, fusion, ranked, stacking
from s2sad.optimize.copies import drop_round_trips, propagate_copies
from s2sad.optimize.dead_code import release_dead, remove_dead
from s2sad.optimize.folding import fold_lines
from s2sad.optimize.inlining import inline_forward, inline_reverse
from s2sad.optimize.results import detach_results
from s2sad.options import Options
from s2sad.core.unit import Unit

# Round after round, in this order, until a round changes nothing.
_REWRITES = (inline_forward, inline_reverse, propagate_copies, drop_round_trips, fold_lines, remove_dead)


def run(unit: Unit, options: Options) -> Unit:
    generated = unit.generated
    names = unit.names
    settled = {}  # rewrite -> the function it last changed nothing in: not asked again about that one
    changed = True
    try:
        while changed:
            changed = False
            for rewrite in _REWRITES:
                if settled.get(rewrite) is generated:
                    continue
                rewritten, did = rewrite(generated, names)
                if did:
                    generated, changed = rewritten, True
                else:
                    settled[rewrite] = generated
        if options.mode == "reverse":
            generated = stacking.run(fusion.run(generated, names), names)
            generated = ranked.run(generated, names, unit.activity.ranks)
            generated = common.run(generated, names)
        generated = detach_results(generated, names)
        if options.mode == "reverse":
            generated = release_dead(generated)
    finally:
        facts.forget()
    return dataclasses.replace(unit, generated=generated)
