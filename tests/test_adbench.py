"""The standard AD problems of benchmarks/adbench, written as users write them, at their small size:
s2sad's gradient against central finite differences, or (REFUSED_TODAY) a located refusal."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import s2sad
from benchmarks.adbench import PROBLEMS
from tests.support import assert_gradients_close, numeric_vjp

# problem -> (the natural construct s2sad refuses today, a piece of its message). When s2sad learns one,
# its test fails here: move the problem out of this table, so its gradient gets checked.
REFUSED_TODAY = {
    "det": (
        "det(minor) inside det: recursion on a shape",
        "a recursive call of 'det' whose arguments generation does not",
    ),
}


def problem(name: str):
    module = importlib.import_module(f"benchmarks.adbench.{name}")
    return module, module.inputs("small", np.random.default_rng(0))


@pytest.mark.parametrize("name", [name for name in PROBLEMS if name not in REFUSED_TODAY])
def test_gradient_matches_finite_differences(name):
    module, args = problem(name)
    wrt = module.WRT if isinstance(module.WRT, tuple) else (module.WRT,)
    gradients = s2sad.grad(module.objective, wrt=module.WRT)(*args)
    actual = gradients if isinstance(module.WRT, tuple) else (gradients,)
    assert_gradients_close(actual, numeric_vjp(module.objective, args, wrt, 1.0), args, wrt)


@pytest.mark.parametrize("name", sorted(REFUSED_TODAY))
def test_refused_today_with_a_located_error(name):
    module, args = problem(name)
    with pytest.raises(s2sad.S2SADError) as caught:
        s2sad.grad(module.objective, wrt=module.WRT)(*args)
    message = str(caught.value)
    assert REFUSED_TODAY[name][1] in message
    assert f"benchmarks/adbench/{name}.py:" in message  # located at the user's line
