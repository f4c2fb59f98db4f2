"""The standard AD problems of benchmarks/adbench, written as users write them, at their small size:
s2sad's gradient against central finite differences."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import s2sad
from benchmarks.adbench import PROBLEMS
from tests.support import assert_gradients_close, numeric_vjp


def problem(name: str):
    module = importlib.import_module(f"benchmarks.adbench.{name}")
    return module, module.inputs("small", np.random.default_rng(0))


@pytest.mark.parametrize("name", PROBLEMS)
def test_gradient_matches_finite_differences(name):
    module, args = problem(name)
    wrt = module.WRT if isinstance(module.WRT, tuple) else (module.WRT,)
    gradients = s2sad.grad(module.objective, wrt=module.WRT)(*args)
    actual = gradients if isinstance(module.WRT, tuple) else (gradients,)
    assert_gradients_close(actual, numeric_vjp(module.objective, args, wrt, 1.0), args, wrt)
