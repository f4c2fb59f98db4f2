"""The finite-difference checker that `s2sad grad --check` reports with."""

import numpy as np

from s2sad.finite_differences import RTOL, Comparison, gradient


def test_a_nan_gradient_entry_fails_the_check_whatever_comes_after_it():
    comparison = Comparison(value=1.0)
    comparison.add("x", np.array([np.nan, 1.0]), np.array([2.0, 1.0]), np.arange(2))
    comparison.add("y", np.array([3.0]), np.array([3.0]), np.arange(1))
    assert not comparison.ok
    assert comparison.worst.startswith("x[0]")


def test_the_worst_argument_is_reported():
    comparison = Comparison(value=1.0)
    comparison.add("x", np.array([1.0, 2.0]), np.array([1.0, 2.0]), np.arange(2))
    comparison.add("y", np.array([1.0, 5.0]), np.array([1.0, 4.0]), np.arange(2))
    assert not comparison.ok and comparison.error > RTOL
    assert comparison.worst.startswith("y[1]")


def test_central_differences_of_a_smooth_function():
    x = np.array([0.3, -1.2, 2.5])
    numeric = gradient(lambda value: float(np.sum(np.sin(value) * value)), x)
    np.testing.assert_allclose(numeric, np.cos(x) * x + np.sin(x), rtol=1e-8)
