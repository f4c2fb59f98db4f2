"""optimize: inlining, copy propagation, folding and dead code, on whole generated functions."""

import libcst as cst
import pytest

from s2sad.optimize.folding import fold
from tests.passes import run_until


@pytest.mark.parametrize(
    "before, after",
    [
        ("2 - 1", "1"),
        ("1.0 * 2.0 * x", "2.0 * x"),
        ("d * x ** 1", "d * x"),
        ("-(1.0)", "-1.0"),
        ("x ** 1", "x ** 1"),  # at the top of a value: keeps a fresh array, never the input itself
        ("1.0 * x", "1.0 * x"),
        ("f(1.0 * x * y)", "f(x * y)"),
    ],
)
def test_fold(before, after):
    folded = fold(cst.parse_expression(before))
    assert cst.Module(body=[]).code_for_node(folded) == after


def test_forward_temporaries_are_inlined_when_reverse_does_not_read_them(tmp_path):
    source = "import numpy as np\ndef f(x, w):\n    return np.sum(np.tanh(x @ w + 1.0))\n"
    unit = run_until(tmp_path, source, "emit", wrt=("w",))
    assert "_t1 = np.tanh(x @ w + 1.0)" in unit.source


def test_no_adjoint_is_initialised_with_zeros(tmp_path):
    source = "import numpy as np\ndef f(x):\n    y = x * x\n    return np.sum(y + np.sin(x))\n"
    unit = run_until(tmp_path, source, "emit", wrt=("x",))
    assert "zeros" not in unit.source
    lines = [line.strip() for line in unit.source.splitlines()]
    assert sum(line.startswith("d_x = ") and "d_x = d_x + " not in line for line in lines) == 1
    assert "d_x = d_x + " in unit.source
