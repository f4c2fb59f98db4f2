"""analyse: only what depends on wrt and reaches the result is active; only needed overwrites are saved."""

from s2sad.core import ir
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
    (product,) = [
        s
        for s in unit.ir.body
        if unit.activity.is_active(s) and s.rule == "numpy.multiply" and s.operand_names("x2") == {"b"}
    ]
    assert unit.activity.active_operands[product.id] == ("x1",)


def test_only_needed_overwrites_are_recorded(tmp_path):
    unit = run_until(tmp_path, SOURCE, "analyse", wrt=("x",))
    recorded = {s.target for s in unit.ir.body[:-1] if s.id in unit.activity.recorded}
    assert recorded == {"a"}


def test_inactive_wrt_gives_zero_gradient_without_reverse_code(tmp_path):
    unit = run_until(tmp_path, "def f(x, y):\n    return y * 2.0\n", "emit", wrt=("x",))
    assert "reverse sweep" not in unit.source
    assert "return _rt.zeros_like(x)" in unit.source


SCALAR_LOOP = """
import math
def f(x0, a, n):
    x = x0
    total = 0.0
    for i in range(n):
        x = x * a + 0.1 * math.sin(x)
        total = total + math.cos(x)
    return total / n
"""


def test_scalars_need_no_unbroadcast_and_no_tape_for_their_shape(tmp_path):
    """math.* arguments and results, and sums of them, are scalars: their adjoints are not summed
    down to a shape, and nothing is saved just to know a shape."""
    unit = run_until(tmp_path, SCALAR_LOOP, "analyse", wrt=("x0", "a"))
    loop = next(s for s in unit.ir.body if hasattr(s, "body") and s.target)
    total_update = next(s for s in loop.body if getattr(s, "target", None) == "total")
    assert unit.activity.same_shape[total_update.id]  # the old total has the new total's shape
    assert total_update.id not in unit.activity.recorded


STENCIL = """
import numpy as np
def f(u, v):
    lap = u[2:] - 2.0 * u[1:-1] + u[:-2]
    odd = u[1:] * v[:-2]
    return np.sum(lap * lap) + np.sum(odd)
"""


def test_slices_leaving_out_as_many_items_share_a_shape(tmp_path):
    """u[2:], u[1:-1] and u[:-2] have one shape whatever u's is; u[1:] and v[:-2] need not."""
    unit = run_until(tmp_path, STENCIL, "analyse", wrt=("u", "v"))
    body = unit.ir.body[:-1]
    stencil = [s for s in body if s.rule in ("numpy.add", "numpy.subtract")]
    assert stencil and all(unit.activity.same_shape.get(s.id) == {"x1", "x2"} for s in stencil)
    (odd,) = [s for s in body if s.target == "odd"]
    assert odd.id not in unit.activity.same_shape


IN_PLACE = """
import numpy as np
def f(x, k):
    u = x * 1.0
    v = x * 1.0
    for i in range(3):
        a = u[1:-1] * 2.0 + (u[2:] - u[:-2]) * k
        u[1:-1] = a
        w = v * v
        v[0] = 2.0
    return np.sum(u * u) + np.sum(w)
"""


def test_updating_part_of_an_array_read_only_for_its_shape_saves_nothing(tmp_path):
    """u's old values are never read (its slices' adjoints need only its shape): u[1:-1] = ... is
    not saved; v's are (v * v reads them), so v[0] = ... is."""
    unit = run_until(tmp_path, IN_PLACE, "analyse", wrt=("x", "k"))
    updates = {s.target: s for s in ir.walk(unit.ir.body) if isinstance(s, ir.SetItem)}
    assert updates["u"].id not in unit.activity.recorded
    assert updates["v"].id in unit.activity.recorded


SHAPE_ONLY = """
import numpy as np
def f(W, h, b):
    total = 0.0
    for t in range(3):
        z = W @ h
        h = np.tanh(z + b)
        total = total + np.sum(h)
    return total
"""


def test_a_value_read_for_its_shape_alone_saves_only_its_shape(tmp_path):
    """The adjoint of z + b sums down to z's shape: each overwritten z is saved as a shape, h in full."""
    unit = run_until(tmp_path, SHAPE_ONLY, "analyse", wrt=("W", "h", "b"))
    saved = {s.target: s.id for s in ir.walk(unit.ir.body) if s.id in unit.activity.recorded}
    assert saved["z"] in unit.activity.shape_only
    assert saved["h"] not in unit.activity.shape_only
