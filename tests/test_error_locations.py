"""Every error names the user's file and a line of the user's function: the call that led into the problem,
never a place inside s2sad, a library or generated code (those follow as context lines)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import s2sad
from s2sad.normalize import inlining
from tests.support import write_module

HEADER = """\
import dataclasses

import numpy as np
import s2sad
import s2sad.finite_differences
"""

# name -> (source defining f, its arguments, the derivative made)
TRIGGERS = {
    "a call of s2sad's own code": (
        """
def f(x):
    y = x * 2.0
    return s2sad.finite_differences.sample(3) @ y
""",
        "(np.ones(3),)",
        s2sad.grad,
    ),
    "a property of a differentiated dataclass (run time)": (
        """
@dataclasses.dataclass
class Model:
    w: np.ndarray

    @property
    def double(self):
        return self.w * 2.0


def f(m):
    return np.sum(m.double)
""",
        "(Model(np.ones(3)),)",
        s2sad.grad,
    ),
    "an integer array (run time)": ("def f(x):\n    return np.sum(x * x)\n", "(np.arange(3),)", s2sad.grad),
    "a string (run time)": ("def f(x):\n    return np.sum(x * x)\n", "('abc',)", s2sad.grad),
    "a second derivative with no rule (run time, through two generated modules)": (
        "def f(x):\n    return np.linalg.norm(x, ord=1)\n",
        "(np.arange(1.0, 4.0),)",
        s2sad.hessian,
    ),
    "s2sad.hessian inside": (
        "def g(x):\n    return np.sum(x**3)\n\n\ndef f(x):\n    return np.sum(s2sad.hessian(g)(x))\n",
        "(np.ones(3),)",
        s2sad.grad,
    ),
}


def _refusal(module, arguments: str, maker) -> s2sad.S2SADError:
    with pytest.raises(s2sad.S2SADError) as refusal:
        maker(module.f)(*eval(arguments, vars(module)))
    return refusal.value


@pytest.mark.parametrize("key", list(TRIGGERS))
def test_error_names_a_line_of_the_users_function(key, tmp_path):
    source, arguments, maker = TRIGGERS[key]
    module = write_module(tmp_path, HEADER + source)
    error = _refusal(module, arguments, maker)
    lines, first = inspect.getsourcelines(module.f)
    first_line = str(error).splitlines()[0]
    assert first_line.startswith(f"{module.__file__}:"), str(error)
    assert first <= int(first_line.split(":")[1]) < first + len(lines), str(error)


def test_a_library_function_read_is_refused_at_the_users_call(tmp_path, monkeypatch):
    # A library installed where s2sad reads it (a folder on PYTHONPATH, say): its file counts as a library's.
    library = write_module(tmp_path, "def lse(x):\n    with open('f'):\n        pass\n    return x\n", "vendored_lse")
    monkeypatch.setattr(inlining, "is_library_file", lambda path: Path(path) == Path(library.__file__))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_module(
        tmp_path, "import numpy as np\nfrom vendored_lse import lse\n\n\ndef f(x):\n    return lse(x)\n"
    )
    error = _refusal(module, "(np.ones(3),)", s2sad.grad)
    text = str(error).splitlines()
    assert text[0].startswith(f"{module.__file__}:6:12: error: 'lse' cannot be differentiated"), str(error)
    assert (
        text[3] == f"  in {library.__file__}:2:5: a with statement other than with np.errstate(...) is not supported"
    ), str(error)
    assert text[-1].startswith("hint: give 'lse' a derivative with @s2sad.rule"), str(error)


def test_a_helper_in_another_file_keeps_its_place_and_names_the_call(tmp_path, monkeypatch):
    helper = write_module(tmp_path, "def helper(v):\n    with open('f'):\n        pass\n    return v\n", "user_helper")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_module(
        tmp_path, "import numpy as np\nfrom user_helper import helper\n\n\ndef f(x):\n    return helper(x)\n"
    )
    error = _refusal(module, "(np.ones(3),)", s2sad.grad)
    assert str(error).startswith(f"{helper.__file__}:2:5: error:"), str(error)
    assert f"  called from {module.__file__}:6:12" in str(error).splitlines(), str(error)


def test_context_lines_come_between_the_caret_and_the_hint():
    error = s2sad.S2SADError("no", s2sad.errors.Origin("nowhere.py", 3, 4), "do this", ("in lib.py:1:1: why",))
    assert str(error).splitlines() == ["nowhere.py:3:5: error: no", "  in lib.py:1:1: why", "hint: do this"]


def test_an_error_made_outside_any_derivative_stays_without_a_place():
    assert s2sad.S2SADError("bad call").origin is None
