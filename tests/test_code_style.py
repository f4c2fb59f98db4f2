"""The repository is lint-clean (ruff: pyflakes, and every zip says whether lengths must match) and
black-formatted, with the settings in pyproject.toml. Fix with `ruff check --fix .` and `black .`."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("command", [["ruff", "check", "."], ["black", "--check", "."]], ids=["ruff", "black"])
def test_repository_is_clean(command):
    result = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
