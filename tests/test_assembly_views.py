"""What the shape and assembly rules declare about memory holds on real calls.

s2sad's memory analysis (updates in place seen through aliases) trusts ``returns``: a function
declared "view" must give a result that shares memory with its first argument, and one declared
"new" a result that shares memory with none of its arguments. Each rule's own examples are run
(the values bound to its parameters, as tests/test_tangents.py finds them), and a few calls where
numpy could be tempted to return its argument (nothing to pad, tile or roll).
"""

import numpy as np
import pytest

from s2sad import rules
from tests.test_rules import examples
from tests.test_tangents import _call_primal, _calls

FAMILIES = ("s2sad.rules.assembly", "s2sad.rules.shape")
# x[i] is a view or a copy as its index decides: the memory analysis reads the index (analysis/aliases.py).
DECIDED_BY_THE_ENGINE = {"operator.getitem"}
DECLARED = sorted(
    name
    for name, rule in rules.RULES.items()
    if rule.function.__module__ in FAMILIES and rule.returns is not None and name not in DECIDED_BY_THE_ENGINE
)


def _arrays(value):
    """The arrays in an argument (the items of a list of them)."""
    if isinstance(value, (list, tuple)):
        return [array for item in value for array in _arrays(item)]
    return [value] if isinstance(value, np.ndarray) else []


def _results(name: str):
    """For each call applying the rule in its examples: the values bound to its parameters, and its result."""
    rule = rules.RULES[name]
    for index in range(len(examples(rule))):
        rng = np.random.default_rng(index)
        for values, _, _ in _calls(name, index, False, rng)[1]:
            yield rule, values, _call_primal(rule, values)


@pytest.mark.parametrize("name", [n for n in DECLARED if rules.RULES[n].returns == "view"])
def test_a_declared_view_shares_memory_with_its_first_argument(name):
    checked = 0
    for rule, values, out in _results(name):
        first = values[rule.differentiable[0]]
        # Pieces (np.split's) lie each in the first argument; np.broadcast_arrays' each in its own argument.
        pairs = (
            zip(out, first, strict=True)
            if rule.variadic
            else ((p, first) for p in out) if rule.pieces else [(out, first)]
        )
        for result, argument in pairs:
            if isinstance(argument, np.ndarray) and argument.size and np.size(result):
                assert np.shares_memory(result, argument), f"{name}({values}) made a copy"
                checked += 1
    assert checked, f"no example of {name} has an array argument to check"


@pytest.mark.parametrize("name", [n for n in DECLARED if rules.RULES[n].returns == "new"])
def test_a_new_array_shares_memory_with_no_argument(name):
    for _, values, out in _results(name):
        for argument in _arrays(list(values.values())):
            assert not np.shares_memory(out, argument), f"{name}({values}) shares memory with an argument"


_X = np.arange(6.0).reshape(2, 3)

# Calls that change nothing, where a function could return its argument.
NEW_UNCHANGED = [
    ("numpy.pad", lambda: np.pad(_X, 0)),
    ("numpy.tile", lambda: np.tile(_X, 1)),
    ("numpy.tile", lambda: np.tile(_X, (1, 1))),
    ("numpy.repeat", lambda: np.repeat(_X, 1, axis=0)),
    ("numpy.roll", lambda: np.roll(_X, 0)),
    ("numpy.roll", lambda: np.roll(_X, 0, axis=1)),
    ("numpy.hstack", lambda: np.hstack([_X])),
    ("numpy.vstack", lambda: np.vstack([_X])),
    ("numpy.dstack", lambda: np.dstack([_X[..., None]])),
    ("numpy.column_stack", lambda: np.column_stack([_X])),
    ("numpy.tril", lambda: np.tril(_X, 5)),
    ("numpy.triu", lambda: np.triu(_X, -5)),
    ("numpy.take", lambda: np.take(_X, np.arange(3), axis=1)),
    ("numpy.take_along_axis", lambda: np.take_along_axis(_X, np.array([[0, 1, 2]]), 1)),
    ("numpy.select", lambda: np.select([np.ones((2, 3), bool)], [_X])),
    ("numpy.choose", lambda: np.choose(np.zeros((2, 3), int), [_X])),
    ("numpy.diagflat", lambda: np.diagflat(_X[0, :1])),
    ("s2sad.runtime.astype", lambda: _X.astype(float)),
]


@pytest.mark.parametrize("name, call", NEW_UNCHANGED, ids=[f"{n}-{i}" for i, (n, _) in enumerate(NEW_UNCHANGED)])
def test_a_new_array_is_new_even_when_nothing_changes(name, call):
    assert rules.RULES[name].returns == "new"
    assert not np.shares_memory(call(), _X)


# "view or copy": a view where numpy can make one, a copy elsewhere.
VIEW_OR_COPY = [
    ("numpy.asarray", lambda: np.asarray(_X), lambda: np.asarray(_X, dtype=np.float32)),
    ("numpy.ascontiguousarray", lambda: np.ascontiguousarray(_X), lambda: np.ascontiguousarray(_X.T)),
    ("numpy.diag", lambda: np.diag(_X), lambda: np.diag(_X[0])),
]


@pytest.mark.parametrize("name, view, copy", VIEW_OR_COPY, ids=[n for n, _, _ in VIEW_OR_COPY])
def test_view_or_copy_is_either(name, view, copy):
    assert rules.RULES[name].returns == "view or copy"
    assert np.shares_memory(view(), _X)
    assert not np.shares_memory(copy(), _X)
