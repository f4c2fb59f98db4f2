"""analyse: only what depends on wrt and reaches the result is active; only needed overwrites are saved."""

from tests.passes import run_until

SOURCE = """
import numpy as np
def f(x, y):
    a = np.exp(x)        # active
    b = np.sin(y)        # inactive: does not depend on x
    c = np.cos(x)        # inactive: does not reach the result
    n = np.floor(a)      # inactive: no derivative flows through floor
    d = a * b + n
    d = d * 2.0          # overwrites d, but the reverse sweep never reads the old d
    a = a * d            # overwrites a, whose old value the adjoint of `a * d` reads
    return np.sum(a)
"""


def test_active_statements_and_operands(tmp_path):
    unit = run_until(tmp_path, SOURCE, "analyse", wrt=("x",))
    by_target = {}
    for statement in unit.ir.body[:-1]:
        by_target.setdefault(statement.target, []).append(statement)
    active = {s.target for s in unit.ir.body[:-1] if unit.activity.is_active(s)}
    assert {"a", "d"} <= active
    assert not {"b", "c", "n"} & active
    (product,) = [s for s in unit.ir.body if unit.activity.is_active(s) and s.rule == "numpy.multiply"
                  and s.operand_names("x2") == {"b"}]
    assert unit.activity.active_operands[product.id] == ("x1",)


def test_only_needed_overwrites_are_recorded(tmp_path):
    unit = run_until(tmp_path, SOURCE, "analyse", wrt=("x",))
    recorded = {s.target for s in unit.ir.body[:-1] if s.id in unit.activity.recorded}
    assert recorded == {"a"}


def test_inactive_wrt_gives_zero_gradient_without_reverse_code(tmp_path):
    unit = run_until(tmp_path, "def f(x, y):\n    return y * 2.0\n", "emit", wrt=("x",))
    assert "reverse sweep" not in unit.source
    assert "return _rt.zeros_like(x)" in unit.source
