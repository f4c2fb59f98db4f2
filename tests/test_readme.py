"""The README stays true: its Rules section names every rule and no stale one, with `s2sad rules`' counts;
its generated listings are current. (The tour runs in test_readme_tour.py, the language list in
test_language_list.py.)"""

import re
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


RULES_SECTION = README[README.index("## Rules") : README.index("\n## ", README.index("## Rules") + 1)]
LOWERED = {"np.put_along_axis"}  # no rule: s2sad/normalize/assignments.py writes it as the update it makes
WRITERS = {"np.add.at", "np.copyto", "np.fill_diagonal"}  # named there as refused: they write into arguments


@pytest.fixture(scope="module")
def rules_listing():
    return subprocess.run(
        [sys.executable, "-m", "s2sad", "rules"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout


def test_readme_rules_section_names_only_known_functions(rules_listing):
    """Every `np.`/`scipy.`/`math.` name the Rules section lists, as a name alone or a list of names in one
    pair of backticks, is one `s2sad rules` lists (a rule, an alias or a pass-through helper): no stale name."""
    known = {line.split()[0] for line in rules_listing.splitlines() if line.strip() and not line.startswith("#")}
    named = set()
    for span in re.findall(r"`([^`]*)`", RULES_SECTION):
        words = span.split()
        if words and all(re.fullmatch(r"(np|scipy|math)(\.\w+)+(\(\))?", word) for word in words):
            named |= {word.removesuffix("()") for word in words}
    assert len(named) > 250, "the parser found the lists"
    assert sorted(named - known - LOWERED - WRITERS) == []
    assert WRITERS.isdisjoint(known) and LOWERED.isdisjoint(known)


def test_readme_rule_counts_are_current(rules_listing):
    counted = re.findall(r"^# .*\(\d+\).*$", rules_listing, re.MULTILINE)
    assert len(counted) == 2
    for line in counted:
        assert line in README, f"README shows another count than `s2sad rules`: {line}"
