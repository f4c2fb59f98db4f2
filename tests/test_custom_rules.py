"""@s2sad.rule: a user's function becomes a primitive with the derivative the user gives.

Reverse mode uses its adjoint rule, forward mode (jvp, hvp, hessian, --mode
forward) its tangent rule; both are checked against central differences.
"""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.special

import s2sad
from s2sad.finite_differences import ATOL, RTOL
from tests.support import assert_gradients_close, assert_located, numeric_hvp, numeric_vjp, write_module

MODEL = """
import math
import numpy as np
import scipy.special
import s2sad

TWO_OVER_ROOT_PI = 2.0 / math.sqrt(math.pi)


@s2sad.rule(elementwise=True)
def erf(x):
    return scipy.special.erf(x)


@erf.adjoint
def erf_adjoint(d_out, out, x):
    return d_out * TWO_OVER_ROOT_PI * np.exp(-x * x)


@erf.tangent
def erf_tangent(d_x, out, x):
    return d_x * TWO_OVER_ROOT_PI * np.exp(-x * x)


@s2sad.rule
def scaled_norm(v, scale):
    return scale * float(np.sqrt(np.sum(v * v)))


@scaled_norm.adjoint
def scaled_norm_adjoint(d_out, out, v, scale):
    return d_out * out / np.sum(v * v) * v, d_out * out / scale


@scaled_norm.tangent
def scaled_norm_tangent(d_v, d_scale, out, v, scale):
    along_v = 0.0 if d_v is None else out / np.sum(v * v) * np.sum(v * d_v)
    along_scale = 0.0 if d_scale is None else out / scale * d_scale
    return along_v + along_scale


@s2sad.rule(elementwise=True)
def erf_difference(x, y):
    return scipy.special.erf(x) - scipy.special.erf(y)


@erf_difference.adjoint
def erf_difference_adjoint(d_out, out, x, y):
    return d_out * TWO_OVER_ROOT_PI * np.exp(-x * x), -d_out * TWO_OVER_ROOT_PI * np.exp(-y * y)


@erf_difference.tangent
def erf_difference_tangent(d_x, d_y, out, x, y):
    return (0.0 if d_x is None else d_x * TWO_OVER_ROOT_PI * np.exp(-x * x)) - (
        0.0 if d_y is None else d_y * TWO_OVER_ROOT_PI * np.exp(-y * y)
    )


def weighted_erf(x, a):
    return np.sum(erf(x * a) * x)


def two_norms(x, a):
    return scaled_norm(x, a) + scaled_norm(x * x, 2.0)


def difference_sum(s, y):
    # s a float, y an array: a term of the tangent that reads s alone must be spread to y's shape
    return np.sum(erf_difference(s, y) - 0.5 * erf_difference(y, s))


def in_loop(x, a):
    total = 0.0
    for i in range(3):
        if i % 2 == 0:
            total = total + np.sum(erf(x * a + i))
        else:
            total = total + scaled_norm(x, a) * i
    return total
"""


@pytest.fixture
def module(tmp_path):
    return write_module(tmp_path, MODEL)


def test_custom_rule_used_inside_a_loop_and_branch(module):
    x, a = np.array([0.1, -0.4, 0.3]), 0.7
    gradient = s2sad.grad(module.in_loop, wrt=(0, 1))
    expected = numeric_vjp(module.in_loop, [x, a], (0, 1), 1.0)
    assert_gradients_close(gradient(x, a), expected, [x, a], (0, 1))
    source = s2sad.source(gradient)
    assert "erf(" in source and "scipy" not in source  # called as a primitive, not inlined


def test_function_with_a_rule_still_runs_as_written(module):
    x = np.array([0.2, -1.0])
    np.testing.assert_array_equal(module.erf(x), scipy.special.erf(x))


def test_malformed_rule_fails_where_it_is_written(tmp_path):
    source = (
        "import s2sad\n\n@s2sad.rule\ndef f(x):\n    return x\n\n@f.adjoint\n" "def f_adjoint(g, x):\n    return g\n"
    )
    path = tmp_path / "malformed_adjoint.py"
    with pytest.raises(s2sad.S2SADError, match="first parameters are d_out, out") as refused:
        write_module(tmp_path, source, stem=path.stem)
    assert_located(str(refused.value), str(path), source, "@f.adjoint")


def test_unknown_call_suggests_a_custom_rule(tmp_path):
    module = write_module(tmp_path, "import scipy.special\n\ndef f(x):\n    return scipy.special.zeta(x, 1.0)\n")
    with pytest.raises(
        s2sad.S2SADError,
        match=r"no derivative rule for 'scipy.special.zeta' (.|\n)*@s2sad.rule",
    ):
        s2sad.grad(module.f)


def test_cli_reads_custom_rules_from_the_file_without_running_it(tmp_path):
    model = tmp_path / "erf_model.py"
    model.write_text(MODEL + "\nopen(__file__ + '.ran', 'w').close()\n")
    completed = subprocess.run(
        [sys.executable, "-m", "s2sad", "grad", f"{model}:in_loop", "--wrt", "x,a"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert not (tmp_path / "erf_model.py.ran").exists()
    assert "from erf_model import" in completed.stdout and "erf(" in completed.stdout
    sys.path.insert(0, str(tmp_path))  # the printed module imports erf_model
    try:
        generated = write_module(tmp_path, completed.stdout)
    finally:
        sys.path.remove(str(tmp_path))
    module = write_module(tmp_path, MODEL)
    x, a = np.array([0.1, -0.4, 0.3]), 0.7
    expected = numeric_vjp(module.in_loop, [x, a], (0, 1), 1.0)
    assert_gradients_close(generated.grad_in_loop(x, a), expected, [x, a], (0, 1))


# -- forward mode: tangent rules ----------------------------------------------------------------

INPUTS = {
    "weighted_erf": [np.array([0.1, -0.4, 0.3]), 0.7],
    "two_norms": [np.array([0.5, -1.2, 0.8]), 1.3],
    "difference_sum": [0.3, np.array([-0.6, 0.2, 0.9, 1.4])],
    "in_loop": [np.array([0.1, -0.4, 0.3]), 0.7],
}


def random_directions(args, positions, rng) -> tuple:
    return tuple(
        float(rng.normal()) if isinstance(args[p], float) else rng.normal(size=np.shape(args[p])) for p in positions
    )


def assert_jvp_matches_differences(function, args, wrt):
    """jvp of a scalar function along a random direction against <central-difference gradient, direction>."""
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    directions = random_directions(args, positions, np.random.default_rng(0))
    value, tangent = s2sad.jvp(function, wrt)(*args, directions if isinstance(wrt, tuple) else directions[0])
    expected = sum(
        float(np.sum(g * d)) for g, d in zip(numeric_vjp(function, args, positions, 1.0), directions, strict=True)
    )
    assert value == pytest.approx(function(*args))
    assert np.ndim(tangent) == 0
    assert tangent == pytest.approx(expected, rel=RTOL, abs=ATOL)


def assert_grad_matches_differences(function, args, wrt: tuple):
    assert_gradients_close(s2sad.grad(function, wrt=wrt)(*args), numeric_vjp(function, args, wrt, 1.0), args, wrt)


def undecided(source: str) -> bool:
    """Whether generated code tests a tangent against None."""
    return bool(re.search(r"\bis (not )?None\b", source))


@pytest.mark.parametrize(
    "name, wrt",
    [
        ("weighted_erf", 0),  # one-parameter rule
        ("weighted_erf", 1),
        ("weighted_erf", (0, 1)),
        ("two_norms", 0),  # scale has no tangent in either call
        ("two_norms", 1),  # v has none in either call
        ("two_norms", (0, 1)),  # scale has one in the first call only
        ("difference_sum", 0),  # elementwise: a float's tangent spread over the array
        ("difference_sum", 1),
        ("difference_sum", (0, 1)),
        ("in_loop", 0),
        ("in_loop", (0, 1)),
    ],
)
def test_jvp_through_custom_rules_matches_finite_differences(module, name, wrt):
    assert_jvp_matches_differences(getattr(module, name), INPUTS[name], wrt)


def test_a_parameter_without_a_tangent_is_decided_when_the_code_is_written(module):
    source = s2sad.source(s2sad.jvp(module.two_norms, wrt=0))
    assert not undecided(source)
    assert "d_a" not in source and "0.0" not in source  # no term for it, not even a zero


@pytest.mark.parametrize(
    "tangent, refusal",
    [
        ("d_x * k + x * d_k", "reads d_k, which is None in this call"),
        ("None if d_k is None else d_x * k + x * d_k", "returns None in this call, where x has a tangent"),
    ],
)
def test_a_tangent_rule_that_needs_a_tangent_which_is_none_is_refused_at_the_call(tmp_path, tangent, refusal):
    source = textwrap.dedent("""
        import numpy as np
        import s2sad


        @s2sad.rule
        def scale_by(x, k):
            return x * k


        @scale_by.adjoint
        def scale_by_adjoint(d_out, out, x, k):
            return d_out * k, np.sum(d_out * x)


        @scale_by.tangent
        def scale_by_tangent(d_x, d_k, out, x, k):
            return TANGENT


        def squares(x, k):
            return np.sum(scale_by(x, k) ** 2)
        """).replace("TANGENT", tangent)
    module = write_module(tmp_path, source)
    assert_jvp_matches_differences(module.squares, [np.array([0.3, -1.1]), 0.8], (0, 1))
    with pytest.raises(s2sad.S2SADError, match=refusal) as refused:
        s2sad.jvp(module.squares, wrt=0)
    assert_located(str(refused.value), module.__file__, source, "scale_by(x, k) **")


def test_hvp_and_hessian_through_rules_with_a_tangent(module):
    rng = np.random.default_rng(1)
    for name in ("weighted_erf", "two_norms", "difference_sum"):
        function, args, wrt = getattr(module, name), INPUTS[name], (0, 1)
        assert_grad_matches_differences(function, args, wrt)
        v = random_directions(args, wrt, rng)
        product = s2sad.hvp(function, wrt=wrt)(*args, v)
        for got, want in zip(product, numeric_hvp(s2sad.grad(function, wrt=wrt), args, wrt, v), strict=True):
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=name)

    x, a = INPUTS["two_norms"]
    hessian = s2sad.hessian(module.two_norms)(x, a)
    gradient = s2sad.grad(module.two_norms, wrt=(0,))  # checked above
    columns = [numeric_hvp(gradient, [x, a], [0], (e,))[0] for e in np.eye(3)]
    np.testing.assert_allclose(hessian, np.stack(columns, axis=1), rtol=RTOL, atol=ATOL)


def test_cli_forward_mode_reads_tangent_rules_from_the_file_without_running_it(tmp_path):
    model = tmp_path / "erf_forward_model.py"
    model.write_text(MODEL + "\nopen(__file__ + '.ran', 'w').close()\n")
    completed = subprocess.run(
        [sys.executable, "-m", "s2sad", "grad", f"{model}:in_loop", "--wrt", "x,a", "--mode", "forward"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert not (tmp_path / "erf_forward_model.py.ran").exists()
    assert "erf(" in completed.stdout and "scipy" not in completed.stdout
    sys.path.insert(0, str(tmp_path))  # the printed module imports erf_forward_model
    try:
        generated = write_module(tmp_path, completed.stdout)
    finally:
        sys.path.remove(str(tmp_path))
    function = write_module(tmp_path, MODEL).in_loop
    x, a = INPUTS["in_loop"]
    d_x, d_a = np.array([0.5, -0.2, 1.0]), -0.3
    value, tangent = generated.jvp_in_loop(x, a, d_x=d_x, d_a=d_a)
    gradients = numeric_vjp(function, [x, a], (0, 1), 1.0)
    assert value == pytest.approx(function(x, a))
    assert tangent == pytest.approx(float(np.sum(gradients[0] * d_x) + gradients[1] * d_a), rel=RTOL, abs=ATOL)


NO_TANGENT = """
import numpy as np
import scipy.special
import s2sad


@s2sad.rule
def erf(x):
    return scipy.special.erf(x)


@erf.adjoint
def erf_adjoint(d_out, out, x):
    return d_out * 1.1283791670955126 * np.exp(-x * x)


def uses_erf(x):
    return np.sum(erf(x * x))
"""


@pytest.mark.parametrize("derivative", [s2sad.jvp, s2sad.hvp, s2sad.hessian], ids=lambda d: d.__name__)
def test_forward_mode_refuses_a_rule_without_a_tangent_at_the_call(tmp_path, derivative):
    module = write_module(tmp_path, NO_TANGENT)
    assert_grad_matches_differences(module.uses_erf, [np.array([0.2, -0.5])], (0,))  # reverse mode needs none
    with pytest.raises(s2sad.S2SADError, match="no tangent rule for 'erf'") as refused:
        derivative(module.uses_erf)
    assert_located(str(refused.value), module.__file__, NO_TANGENT, "erf(x * x)")
    assert "@erf.tangent on def erf_tangent(d_x, out, x)" in str(refused.value)


def test_cli_forward_mode_refuses_a_rule_without_a_tangent(tmp_path):
    (tmp_path / "no_tangent.py").write_text(NO_TANGENT)
    completed = subprocess.run(
        [sys.executable, "-m", "s2sad", "grad", "no_tangent.py:uses_erf", "--mode", "forward"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert completed.returncode == 1 and completed.stdout == ""
    assert "Traceback" not in completed.stderr
    assert_located(completed.stderr.strip(), "no_tangent.py", NO_TANGENT, "erf(x * x)")


# Rules for `def f(x)` (or `def f(x, y)`) written wrongly: (rules, where the refusal points, message)
MALFORMED_TANGENTS = {
    "before its adjoint": (
        """
        @f.tangent
        def f_tangent(d_x, out, x):
            return d_x


        @f.adjoint
        def f_adjoint(d_out, out, x):
            return d_out
        """,
        "@f.tangent",
        "give f its adjoint rule",
    ),
    "parameters": (
        """
        @f.adjoint
        def f_adjoint(d_out, out, x):
            return d_out


        @f.tangent
        def f_tangent(d_out, out, x):
            return d_out
        """,
        "@f.tangent",
        "a tangent rule's parameters are d_x, out, x",
    ),
    "one per parameter": (
        """
        @f.adjoint
        def f_adjoint(d_out, out, x, y):
            return d_out, d_out


        @f.tangent
        def f_tangent(d_x, d_y, out, x, y):
            return d_x, d_y
        """,
        "@f.tangent",
        r"returns 2 values, expected 1 \(the output's tangent\)",
    ),
}


def malformed_module(case: str) -> str:
    rules = textwrap.dedent(MALFORMED_TANGENTS[case][0])
    primal = "def f(x, y):\n    return x * y\n" if "y" in rules else "def f(x):\n    return x\n"
    usage = (
        "\n\ndef g(x):\n    return np.sum(f(x, x))\n" if "y" in rules else "\n\ndef g(x):\n    return np.sum(f(x))\n"
    )
    return f"import numpy as np\nimport s2sad\n\n\n@s2sad.rule\n{primal}\n{rules}{usage}"


@pytest.mark.parametrize("case", sorted(MALFORMED_TANGENTS))
def test_malformed_tangent_rule_fails_where_it_is_written(tmp_path, case):
    _, marker, message = MALFORMED_TANGENTS[case]
    source = malformed_module(case)
    path = tmp_path / f"malformed_{case.replace(' ', '_')}.py"
    with pytest.raises(s2sad.S2SADError, match=message) as refused:
        write_module(tmp_path, source, stem=path.stem)
    assert_located(str(refused.value), str(path), source, marker)


def test_cli_refuses_a_malformed_tangent_rule_where_it_is_written(tmp_path):
    _, _, message = MALFORMED_TANGENTS["parameters"]
    source = malformed_module("parameters")
    (tmp_path / "malformed.py").write_text(source)
    completed = subprocess.run(
        [sys.executable, "-m", "s2sad", "grad", "malformed.py:g", "--mode", "forward"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert completed.returncode == 1 and "Traceback" not in completed.stderr
    assert re.search(message, completed.stderr)
    assert_located(completed.stderr.strip(), "malformed.py", source, "f_tangent")


def test_readme_custom_rules_work_in_both_modes(tmp_path):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("### Your own derivatives: custom rules") : readme.index("### From the command line")]
    blocks = [block.split("\n", 1)[1] for block in section.split("```python")[1:]]
    code = "".join(block[: block.index("```")] for block in blocks)
    module = write_module(tmp_path, code + "\n\ndef uses_smooth_max(x, c):\n    return np.sum(smooth_max(x, c) * x)\n")
    x, c = np.array([0.3, -0.8, 1.1]), np.array([0.5, 0.1, -0.2])
    for function, args, wrt in ((module.loss, [x, 0.7], (0, 1)), (module.uses_smooth_max, [x, c], (0,))):
        assert_jvp_matches_differences(function, args, wrt)
        assert_grad_matches_differences(function, args, wrt)
    source = s2sad.source(s2sad.jvp(module.uses_smooth_max, wrt=0))
    assert re.search(r"d_x \* np\.exp\(x - \w+\)", source) and not undecided(source)
