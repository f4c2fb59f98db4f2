"""README.md's tour runs as written: every ```python block, and the shell sessions it shows.

The convention README.md follows (its authors: keep to it, this test enforces it):

- A ```python block runs. The blocks of one section (a ``###`` heading, or ``##`` where there is none) run
  in order as one module, in a temporary folder: a later block may continue an earlier one of its section,
  a new section starts afresh.
- A block not meant to run here is preceded by one line ``<!-- not run: REASON -->``. REASON is
  ``excerpt of PATH`` (checked: the block is text of that file), ``tests/FILE.py runs it`` (checked: that
  file names the section), or ``generated code`` (s2sad's output: tests/test_readme.py compares the
  complete listings with the generator; abridged excerpts say so).
- A ```console block is a shell session: each ``$ s2sad ...`` line runs as ``python -m s2sad ...`` (in a
  folder where ``fixtures/`` is the repository's, after ``$ cat FILE`` shows a file to write), and what it
  prints must be what the README shows after it (numbers measured by the run, exit status of ``echo $?``).
  Blocks fenced without a language are synopses, not run.
"""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
MARK = re.compile(r"<!-- not run: (.+?) -->")


def blocks(language: str) -> list[tuple[str, str, str | None]]:
    """(section heading, code, the `not run` reason or None) of each block fenced as ``language``, in order."""
    found, section, lines, k = [], "", README.split("\n"), 0
    while k < len(lines):
        line = lines[k]
        if line.startswith(("## ", "### ")):
            section = line.lstrip("#").strip()
        elif line.startswith("```"):
            end = lines.index("```", k + 1)
            if line == "```" + language:
                previous = next((text for text in reversed(lines[:k]) if text.strip()), "")
                mark = MARK.fullmatch(previous.strip())
                found.append((section, "\n".join(lines[k + 1 : end]) + "\n", mark.group(1) if mark else None))
            k = end
        k += 1
    return found


PYTHON = blocks("python")
SECTIONS = list(dict.fromkeys(section for section, _, reason in PYTHON if reason is None))


def test_every_block_is_run_or_marked():
    """Each ```python block runs, or says why not in a way this test checks: none slips through."""
    assert len(SECTIONS) >= 6  # the parser found the tour
    for section, code, reason in PYTHON:
        if reason is None:
            continue
        if reason.startswith("excerpt of "):
            assert code in (ROOT / reason.removeprefix("excerpt of ")).read_text(), (section, reason)
        elif reason.endswith(" runs it"):
            assert f'"{section}"' in (ROOT / reason.removesuffix(" runs it")).read_text(), (section, reason)
        else:
            assert reason.startswith("generated code"), f"{section}: unknown reason {reason!r}"


@pytest.mark.parametrize("section", SECTIONS)
def test_section_runs(section, tmp_path, monkeypatch, capsys):
    code = "".join(code for heading, code, reason in PYTHON if heading == section and reason is None)
    module = tmp_path / "readme_section.py"
    module.write_text(code)  # a file, so s2sad can read the functions' source
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    runpy.run_path(str(module), run_name="__main__")
    printed = capsys.readouterr().out
    for comment in re.findall(r"^print\(.*\)  # (.*)$", code, re.MULTILINE):  # what a print is said to show
        assert comment in printed


def sessions() -> list[tuple[str, list[tuple[str, str]]]]:
    """Each ```console block: its section and its (command, what the README shows it prints) pairs."""
    found = []
    for section, text, _ in blocks("console"):
        steps = []
        for line in text.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], ""))
            else:
                steps[-1] = (steps[-1][0], steps[-1][1] + line + "\n")
        found.append((section, steps))
    return found


SESSIONS = sessions()


def shell(command: str, folder: Path, status: int) -> tuple[str, int]:
    """Run one README command line, as the README's reader would; its output, and its exit status."""
    redirect = re.fullmatch(r"(.*?)(?: > (\S+))?", command)
    words = redirect.group(1).split()
    if words[0] == "echo":
        return f"{status}\n", 0
    arguments = [word.strip('"') for word in re.findall(r'"[^"]*"|\S+', redirect.group(1))][1:]
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run(
        [sys.executable, "-m", "s2sad", *arguments], capture_output=True, text=True, cwd=folder, env=environment
    )
    if redirect.group(2):
        (folder / redirect.group(2)).write_text(run.stdout)
        return run.stderr, run.returncode
    return run.stdout + run.stderr, run.returncode


def matches(shown: str, printed: str) -> bool:
    """``printed`` is what the README shows, where a line ``...`` stands for any lines."""
    pattern = "".join(".*?\n" if line == "..." else re.escape(line) + "\n" for line in shown.splitlines())
    return re.fullmatch(pattern, printed, re.DOTALL) is not None


@pytest.mark.parametrize("section, steps", SESSIONS, ids=[f"{s}-{k}" for k, (s, _) in enumerate(SESSIONS)])
def test_console_session_prints_what_it_shows(section, steps, tmp_path):
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    status = 0
    for command, shown in steps:
        if command.startswith("cat "):
            (tmp_path / command.split()[1]).write_text(shown)
            continue
        printed, status = shell(command, tmp_path, status)
        assert matches(shown, printed), f"{section}: $ {command}\nREADME shows:\n{shown}\nit prints:\n{printed}"
