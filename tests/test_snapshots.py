"""The generated source of fixture models, kept in tests/snapshots/ so any change to it is seen in review.

To accept a change on purpose:  S2SAD_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_snapshots.py
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"

CASES = [
    ("fixtures/logistic.py:loss", "w,b", "logistic_grad.py"),
    ("fixtures/mlp.py:loss", "W1,b1,W2,b2", "mlp_grad.py"),
    ("fixtures/rnn.py:loss", "W,U,b,h0", "rnn_grad.py"),
    ("fixtures/newton.py:sqrt_newton", "a", "newton_grad.py"),
]


@pytest.mark.parametrize("target, wrt, snapshot", CASES, ids=[c[2] for c in CASES])
def test_generated_source_matches_snapshot(target, wrt, snapshot):
    generated = subprocess.run(
        [sys.executable, "-m", "s2sad", "grad", target, "--wrt", wrt],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    path = SNAPSHOTS / snapshot
    if os.environ.get("S2SAD_UPDATE_SNAPSHOTS") == "1":
        path.write_text(generated)
    assert path.exists(), f"no snapshot yet: run S2SAD_UPDATE_SNAPSHOTS=1 python -m pytest {__file__}"
    assert generated == path.read_text(), (
        f"generated code for {target} changed; if intended, run "
        "S2SAD_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_snapshots.py and review the diff"
    )
