"""The README stays true: its rule list names every rule, and its first command works."""

import subprocess
import sys
from pathlib import Path

import pytest

from s2sad import rules

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


# Plain assignment, indexing and list literals are described in prose; the runtime's helpers are internal.
LISTED = sorted(n for n in set(rules.RULES) | set(rules.ALIASES) if not n.startswith(("s2sad.", "operator.")))


@pytest.mark.parametrize("name", LISTED)
def test_readme_lists_every_rule(name):
    assert f"{rules.spelling(name)}" in README, f"README's rule list misses {rules.spelling(name)}"


def test_readme_generated_code_is_current():
    generated = subprocess.run(
        [sys.executable, "-m", "s2sad", "grad", "fixtures/logistic.py:loss", "--wrt", "w,b"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert generated.strip() in README


def test_readme_rnn_tour_is_current():
    snapshot = (ROOT / "tests" / "snapshots" / "rnn_grad.py").read_text()
    assert snapshot[snapshot.index("def grad_loss") :] in README


def test_readme_forward_mode_excerpt_is_current():
    import sys

    sys.path.insert(0, str(ROOT / "fixtures"))
    try:
        import rnn

        import s2sad

        generated = s2sad.source(s2sad.jvp(rnn.loss, wrt=(0, 1, 2, 4)))
    finally:
        sys.path.remove(str(ROOT / "fixtures"))
    start = README.index("    for t in _t1:\n        _t2 = xs[t]\n        d_t3")
    excerpt = README[start : README.index("```", start)]
    assert excerpt in generated


def test_readme_scipy_example_runs_and_prints_what_it_says(capsys, monkeypatch, tmp_path):
    start = README.index("from scipy.optimize import minimize")
    block = README[README.rindex("```python", 0, start) + len("```python") : README.index("```", start)]
    printed = block[block.rindex("# ") + 2 :].strip()
    (tmp_path / "readme_scipy.py").write_text(block)  # a file, so s2sad can read the function's source
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("readme_scipy")
    assert capsys.readouterr().out.strip() == printed
