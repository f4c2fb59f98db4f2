"""The numba column: s2sad's gradient compiled by numba (``target="numba"``) and the primal compiled by
numba (``numba.njit(f)``), run when numba is installed, for the cases where the numba target generates;
a case it refuses shows "-" and the refusal in a footnote. The first call (numba's compile, or the
disk cache's load) is reported apart, never timed with the warm calls.
"""

from __future__ import annotations

import importlib.util
import time

import s2sad

COLUMNS = ("s2sad numba ms", "numba primal ms", "hand/s2sad numba", "s2sad numba/numba primal", "numba compile s")


def available() -> bool:
    return importlib.util.find_spec("numba") is not None


def calls(function, case, args) -> tuple[dict, dict]:
    """The calls to time ("s2sad numba", "numba primal") and what to report apart: the compile
    seconds, or why a call is missing."""
    import numba

    found, notes = {}, {}
    try:
        gradient = s2sad.grad(function, wrt=case.wrt, target="numba")
        start = time.perf_counter()
        gradient(*args)
        notes["compile"] = time.perf_counter() - start
        found["s2sad numba"] = lambda: gradient(*args)
    except s2sad.S2SADError as error:
        notes["refused"] = error.message
    try:
        primal = numba.njit(function)
        primal(*args)
        found["numba primal"] = lambda: primal(*args)
    except Exception as error:  # numba cannot compile the primal: reported, not timed
        notes["primal failed"] = f"{type(error).__name__}: {str(error).splitlines()[0][:100]}"
    return found, notes


def cells(row: dict, ms) -> list[str]:
    t, notes = row["times"], row.get("numba", {})
    ours, primal = t.get("s2sad numba"), t.get("numba primal")
    marker = f" [{row['footnote']}]" if row.get("footnote") else ""
    return [
        ms(ours) + marker if ours or "refused" in notes else "-",
        ms(primal),
        f"{t['hand'] / ours:.1f}" if ours else "-",
        f"{ours / primal:.2f}" if ours and primal else "-",
        f"{notes['compile']:.2f}" if "compile" in notes else "-",
    ]


def footnotes(rows: list[dict]) -> str:
    """Numbers the refusals (and primals numba could not compile) for the table's footnotes."""
    lines, seen = [], {}
    for row in rows:
        notes = row.get("numba", {})
        reason = notes.get("refused") and f"target='numba' refused: {notes['refused']}"
        reason = reason or (notes.get("primal failed") and f"numba.njit(f) failed: {notes['primal failed']}")
        if reason:
            if reason not in seen:
                seen[reason] = len(seen) + 1
                lines.append(f"[{seen[reason]}] {reason}")
            row["footnote"] = seen[reason]
    return "\n".join(lines)
