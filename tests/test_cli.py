"""The s2sad command line, run as users run it: in subprocesses.

Each behaviour is one command, run once: all of them are started together by
the ``runs`` fixture (each process spends about a second importing s2sad), and
the tests look at the results. Every command gets its own folder, so they
cannot see each other's files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import s2sad
from s2sad import rules
from tests.support import write_module

ROOT = Path(__file__).resolve().parent.parent
PYTHON_M = [sys.executable, "-m", "s2sad"]


def _console_script() -> list[str]:
    """The installed ``s2sad`` command (what the entry point runs, if the script is not found)."""
    found = shutil.which("s2sad") or shutil.which("s2sad", path=str(Path(sys.executable).parent))
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from s2sad.cli import main; sys.exit(main())"]


SCRIPT = _console_script()

MODEL = """\
import numpy as np


def loss(w, x):
    return np.sum(np.tanh(x @ w) ** 2)


def energy(w):
    return 0.5 * np.sum(w * w) + np.sum(np.sin(w))
"""

OTHER = """\
import math


def cost(v, scale=2.0):
    return scale * math.exp(v) + v * v
"""

# Executing this file leaves a marker beside it: generating code must never do that.
SIDE_EFFECT = """\
import pathlib

import numpy as np

pathlib.Path(__file__).with_name("executed.marker").write_text("the model file was executed")


def loss(w, x):
    return np.sum((x @ w) ** 2)
"""

NO_RULE = """\
import numpy as np


def loss(x):
    return np.sum(np.fft.fft(x))
"""

# np.floor jumps at the integer 1.0: central differences straddle the jump and
# disagree with the gradient (correct everywhere else), so --check honestly fails.
JUMP = """\
import numpy as np


def loss(x):
    return np.sum(np.floor(x) + x)


def example_inputs():
    return {"x": np.array([0.5, 1.0, 2.5])}
"""

NO_EXAMPLES = """\
import numpy as np


def loss(w):
    return np.sum(w**2)
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    _write(root / "several", "model.py", MODEL)
    _write(root / "several", "other.py", OTHER)
    _write(root / "plain", "model.py", SIDE_EFFECT)
    _write(root / "checked", "model.py", SIDE_EFFECT)
    _write(root / "failing", "model.py", NO_RULE)
    _write(root / "jump", "model.py", JUMP)
    _write(root / "jump", "grad.py", "# an older module\n")
    _write(root / "no_examples", "model.py", NO_EXAMPLES)
    _write(root / "clash_a", "scaled.py", "SCALE = 2.0\n\ndef f(x):\n    return SCALE * x * x\n")
    _write(root / "clash_b", "shifted.py", "SCALE = 3.0\n\ndef g(x):\n    return SCALE * x * x * x\n")
    (root / "out").mkdir()
    return root


def _commands(work: Path) -> dict[str, tuple[list[str], Path]]:
    logistic = "fixtures/logistic.py:loss"
    return {
        "version": (SCRIPT + ["--version"], ROOT),
        "help": (PYTHON_M + ["--help"], ROOT),
        "grad_help": (PYTHON_M + ["grad", "--help"], ROOT),
        "rules_help": (PYTHON_M + ["rules", "--help"], ROOT),
        "rules": (PYTHON_M + ["rules"], ROOT),
        "default_wrt": (PYTHON_M + ["grad", "plain/model.py:loss"], work),
        "names": (SCRIPT + ["grad", logistic, "--wrt", "w,b", "--mode", "reverse"], ROOT),
        "positions": (PYTHON_M + ["grad", logistic, "--wrt", "0,1"], ROOT),
        "bad_wrt": (PYTHON_M + ["grad", logistic, "--wrt", "w,z"], ROOT),
        "forward": (PYTHON_M + ["grad", logistic, "--mode", "forward"], ROOT),
        "output": (PYTHON_M + ["grad", logistic, "--wrt", "w,b", "-o", str(work / "out" / "grad.py")], ROOT),
        "output_failing": (PYTHON_M + ["grad", "model.py:loss", "-o", "grad.py"], work / "failing"),
        "several": (
            PYTHON_M + ["grad", "several/model.py:loss,several/model.py:energy", "several/other.py:cost"],
            work,
        ),
        "clash": (PYTHON_M + ["grad", "clash_a/scaled.py:f", "clash_b/shifted.py:g"], work),
        "check_shapes": (
            PYTHON_M + ["grad", logistic, "--wrt", "w,b", "--check", "--shapes", "w=(3,),b=float,x=(10,3),y=(10,)"],
            ROOT,
        ),
        "shapes": (PYTHON_M + ["grad", logistic, "--wrt", "w,b", "--shapes", "w=(3,),b=float,x=(10,3),y=(10,)"], ROOT),
        "check_examples": (PYTHON_M + ["grad", logistic, "--check"], ROOT),
        "check_named_examples": (PYTHON_M + ["grad", "fixtures/piecewise.py:huber,stable_sigmoid", "--check"], ROOT),
        "check_executes": (
            PYTHON_M + ["grad", "model.py:loss", "--check", "--shapes", "w=(3,),x=(5,3)"],
            work / "checked",
        ),
        "check_fails": (PYTHON_M + ["grad", "model.py:loss", "--check", "-o", "grad.py"], work / "jump"),
        "check_no_inputs": (PYTHON_M + ["grad", "model.py:loss", "--check"], work / "no_examples"),
    }


@pytest.fixture(scope="module")
def runs(work) -> dict[str, subprocess.CompletedProcess]:
    """Every command started at once; name -> its completed process (returncode, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "S2SAD_DUMP_AFTER")}
    processes = {
        name: (
            command,
            subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
        )
        for name, (command, cwd) in _commands(work).items()
    }
    results = {}
    for name, (command, process) in processes.items():
        stdout, stderr = process.communicate(timeout=120)
        results[name] = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    return results


def _run_module(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    return namespace


# -- top level ---------------------------------------------------------------------------------


def test_version(runs):
    from s2sad import __version__

    assert runs["version"].returncode == 0
    assert runs["version"].stdout.strip() == f"s2sad {__version__}"


@pytest.mark.parametrize(
    "name, words",
    [
        ("help", ["grad", "rules", "examples:", "s2sad grad fixtures/logistic.py:loss"]),
        (
            "grad_help",
            ["examples:", "s2sad grad model.py:loss --wrt w,b", "--check imports model.py", "--shapes", "-o FILE"],
        ),
        ("rules_help", ["examples:", "s2sad rules"]),
    ],
)
def test_help_shows_examples(runs, name, words):
    completed = runs[name]
    assert completed.returncode == 0, completed.stderr
    for word in words:
        assert word in completed.stdout


# -- s2sad grad --------------------------------------------------------------------------------


def test_default_wrt_is_the_first_argument_and_the_file_is_not_executed(runs, work):
    completed = runs["default_wrt"]
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    assert completed.stdout.startswith('"""Generated by s2sad from plain/model.py:loss. Do not edit."""')
    assert not (work / "plain" / "executed.marker").exists()
    assert sorted(p.name for p in (work / "plain").iterdir()) == ["model.py"]
    gradient = _run_module(completed.stdout)["grad_loss"]
    w, x = np.array([0.5, -1.0, 2.0]), np.arange(15.0).reshape(5, 3) / 10
    np.testing.assert_allclose(gradient(w, x), 2 * x.T @ (x @ w), rtol=1e-12)


def test_wrt_names_positions_and_mode_reverse_agree_and_both_commands_work(runs):
    names, positions = runs["names"], runs["positions"]  # the console script, python -m s2sad
    assert names.returncode == positions.returncode == 0, names.stderr + positions.stderr
    assert "def grad_loss(w, b, x, y):" in names.stdout
    assert "return _rt.like(d_w, w), _rt.copy_like(d_b, b)" in names.stdout
    assert names.stdout == positions.stdout


def test_bad_wrt_is_a_usage_error(runs):
    completed = runs["bad_wrt"]
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "--wrt w,z: 'z' is not a parameter of loss (w, b, x, y)" in completed.stderr


def test_forward_mode_prints_a_jvp(runs, tmp_path):
    completed = runs["forward"]
    assert completed.returncode == 0, completed.stderr
    assert "def jvp_loss(w, b, x, y, *, d_w):" in completed.stdout
    sys.path.insert(0, str(ROOT / "fixtures"))
    try:
        generated = write_module(tmp_path, completed.stdout)
        import logistic

        inputs = logistic.example_inputs()
        direction = np.array([0.3, -1.0, 0.5])
        value, tangent = generated.jvp_loss(*inputs.values(), d_w=direction)
        gradient = s2sad.grad(logistic.loss)(*inputs.values())
        assert value == pytest.approx(logistic.loss(*inputs.values()), rel=1e-12)
        assert tangent == pytest.approx(float(np.dot(gradient, direction)), rel=1e-10)
    finally:
        sys.path.remove(str(ROOT / "fixtures"))


def test_output_file(runs, work):
    completed = runs["output"]
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == completed.stderr == ""
    assert sorted(p.name for p in (work / "out").iterdir()) == ["grad.py"]  # no temporary file left
    assert (work / "out" / "grad.py").read_text() == runs["names"].stdout


def test_output_of_a_failing_function_leaves_no_file(runs, work):
    completed = runs["output_failing"]
    assert completed.returncode == 1
    assert "model.py:5:19: error: no derivative rule for 'np.fft.fft'" in completed.stderr
    assert completed.stdout == ""
    assert sorted(p.name for p in (work / "failing").iterdir()) == ["model.py"]


def test_several_functions_in_one_module(runs):
    completed = runs["several"]
    assert completed.returncode == 0, completed.stderr
    source = completed.stdout
    assert source.startswith(
        '"""Generated by s2sad from several/model.py:loss, several/model.py:energy, several/other.py:cost.'
    )
    assert source.count("import numpy as np") == 1
    namespace = _run_module(source)
    w, x = np.array([0.3, -0.2]), np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]])
    t = np.tanh(x @ w)
    np.testing.assert_allclose(namespace["grad_loss"](w, x), x.T @ (2 * t * (1 - t**2)), rtol=1e-12)
    np.testing.assert_allclose(namespace["grad_energy"](w), w + np.cos(w), rtol=1e-12)
    assert namespace["grad_cost"](0.5) == pytest.approx(2.0 * np.exp(0.5) + 1.0, rel=1e-12)


def test_functions_that_need_one_name_for_two_things_are_refused(runs):
    completed = runs["clash"]
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "the name 'SCALE' would mean both" in completed.stderr


# -- --check ---------------------------------------------------------------------------------

CHECK_LINE = re.compile(
    r"check (\w+): largest relative error (\S+) over (\d+) gradient entr(?:y|ies) \((ok|FAILED.*)\)"
)


def _reports(stderr: str) -> dict[str, tuple[float, int, str]]:
    return {m[1]: (float(m[2]), int(m[3]), m[4]) for m in CHECK_LINE.finditer(stderr)}


def test_check_with_shapes(runs):
    completed = runs["check_shapes"]
    assert completed.returncode == 0, completed.stderr
    error, entries, verdict = _reports(completed.stderr)["loss"]
    assert (entries, verdict) == (4, "ok") and error < 1e-7  # w has 3 entries, b one
    # the module on stdout (the report is on stderr), specialized to the shapes' numbers of axes
    assert completed.stdout == runs["shapes"].stdout
    assumed = "Only for arguments where b is a number; w has 1 axis (none of length 1); x has 2 axes"
    assert assumed in " ".join(completed.stdout.split())  # the docstring's lines joined
    assert completed.stdout != runs["names"].stdout


def test_shapes_specialize_a_scalar_loop(tmp_path):
    (tmp_path / "ode.py").write_text(
        "import numpy as np\n\n\ndef loss(theta, y0, n):\n    y = y0\n    total = 0.0\n"
        "    for i in range(n):\n        y = y + 0.01 * (-theta[0] * y + theta[1] * np.sin(y))\n"
        "        total = total + (y - 1.0) ** 2\n    return total\n"
    )
    spec = "theta=(2,),y0=float,n=20"
    command = PYTHON_M + ["grad", "ode.py:loss", "--shapes", spec]
    general = subprocess.run(command[:-2], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    specialized = subprocess.run(command + ["--check"], cwd=tmp_path, capture_output=True, text=True)
    assert specialized.returncode == 0, specialized.stderr
    assert _reports(specialized.stderr)["loss"][1:] == (2, "ok")
    assert "unbroadcast" in general and "shape_of" in general
    assert "unbroadcast" not in specialized.stdout and "shape_of" not in specialized.stdout


def test_check_with_example_inputs(runs):
    completed = runs["check_examples"]
    assert completed.returncode == 0, completed.stderr
    error, entries, verdict = _reports(completed.stderr)["loss"]
    assert (entries, verdict) == (3, "ok") and error < 1e-7


def test_check_passes_the_name_to_example_inputs(runs):
    completed = runs["check_named_examples"]  # piecewise.example_inputs(name) differs per function
    assert completed.returncode == 0, completed.stderr
    reports = _reports(completed.stderr)
    assert reports["huber"][1:] == (7, "ok") and reports["stable_sigmoid"][1:] == (1, "ok")
    assert "def grad_huber(r, delta):" in completed.stdout and "def grad_stable_sigmoid(z):" in completed.stdout


def test_check_executes_the_model_file(runs, work):
    completed = runs["check_executes"]
    assert completed.returncode == 0, completed.stderr
    assert _reports(completed.stderr)["loss"][1:] == (3, "ok")
    assert (work / "checked" / "executed.marker").exists()


def test_failed_check_exits_1_and_writes_nothing(runs, work):
    completed = runs["check_fails"]
    assert completed.returncode == 1
    error, entries, verdict = _reports(completed.stderr)["loss"]
    assert error > 1e-5 and verdict.startswith("FAILED") and entries == 3
    assert "worst at x[1]" in completed.stderr
    assert "--check failed for loss; grad.py was not written" in completed.stderr
    assert completed.stdout == ""
    assert sorted(p.name for p in (work / "jump").iterdir()) == ["grad.py", "model.py"]
    assert (work / "jump" / "grad.py").read_text() == "# an older module\n"  # left untouched


def test_check_without_inputs_is_a_usage_error(runs):
    completed = runs["check_no_inputs"]
    assert completed.returncode == 2
    assert "--check needs inputs for loss: give --shapes" in completed.stderr
    assert "example_inputs()" in completed.stderr


# -- s2sad rules -------------------------------------------------------------------------------


def test_rules_lists_every_rule_then_the_helpers(runs):
    completed = runs["rules"]
    assert completed.returncode == 0, completed.stderr
    rule_part, helper_part = completed.stdout.split("\n\n")
    listed = {line.split()[0]: line.split()[1:] for line in rule_part.splitlines()[1:]}
    for name in ("np.exp", "np.linalg.solve", "math.sin", "abs"):
        assert name in listed
    internal = ("s2sad.", "operator.")  # copies, list literals, indexing, the runtime's own helpers
    assert set(listed) == {
        rules.spelling(n) for n in set(rules.RULES) | set(rules.ALIASES) if not n.startswith(internal)
    }
    assert all(listed[name][:2] == ["reverse,", "forward"] for name in listed)
    helpers = {line.split()[0] for line in helper_part.splitlines()[1:]}
    assert helpers == {
        rules.spelling(n) for n in rules.ZERO_DERIVATIVE | rules.INACTIVE_ONLY if not n.startswith(internal)
    }
    assert "np.floor" in helpers and "np.arange" in helpers
