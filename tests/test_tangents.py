"""Every tangent (forward-mode) rule against central finite differences, generated from the table.

For each rule's examples (for elementwise rules without examples, the broadcasting
shapes tests/test_rules.py generates), the example is normalized, and at each
statement applying the rule the tangent rule function is called directly on the
values bound to its parameters, with a random tangent for every float argument.
The terms' sum is compared with the central difference (f(x + h v) - f(x - h v)) / 2h.
"""

import functools
import math
import operator
import warnings

import libcst as cst
import numpy as np
import pytest
import scipy.linalg
import scipy.special

from s2sad.core import ir
from s2sad import rules, runtime
from s2sad.rules import templates
from s2sad.finite_differences import ATOL, RTOL, STEP
from tests.support import random_value
from tests.passes import run_until
from tests.test_rules import EXAMPLE_HEADER, body, examples

_CODE = cst.Module([]).code_for_node

CASES = [
    pytest.param(name, index, id=f"{name}-{index}")
    for name, rule in sorted(rules.RULES.items())
    for index in range(len(examples(rule)))
]


@pytest.mark.parametrize("name", sorted(rules.RULES))
def test_every_rule_has_a_tangent(name):
    rule = rules.RULES[name]
    assert name in rules.TANGENTS, f"{name} has no @tangent rule"
    assert len(rule.tangent.results) == len(rule.differentiable)


def _primal(name: str):
    """The function a rule differentiates, called with the values bound to its parameters."""
    special = {
        "s2sad.copy": lambda x, order="K": np.copy(x, order=order) if isinstance(x, np.ndarray) else x,
        "s2sad.list": lambda items: list(items),
        "operator.getitem": operator.getitem,
        "builtins.sum": sum,
    }
    if name in special:
        return special[name]
    return rules.library_object(name.partition("(")[0])  # a variant rule's function: svd(compute_uv=False)


@functools.lru_cache(maxsize=None)
def _normalized(name: str, index: int):
    """The example's normalized statements, and its argument names."""
    rule = rules.RULES[name]
    example = examples(rule)[index]
    names = list(example.shapes)
    source = EXAMPLE_HEADER + f"def f({', '.join(names)}):\n" + body(example.call)
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        unit = run_until(Path(folder), source, "normalize", wrt=tuple(names), kind="vjp")
    namespace = {
        "scipy": scipy,
        unit.names.module("np"): np,
        unit.names.module("math"): math,
        unit.names.module("_rt"): runtime,
    }
    return rule, example, names, tuple(unit.ir.body), namespace


def _is_float(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return True
    return isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind == "f"


def _random_tangent(value, rng):
    if isinstance(value, float) and not isinstance(value, np.generic):
        return float(rng.uniform(-1.0, 1.0))
    tangent = rng.uniform(-1.0, 1.0, np.shape(value)).astype(value.dtype)
    return tangent[()] if isinstance(value, np.generic) else tangent


def _zero_tangent(value):
    return 0.0 if isinstance(value, float) and not isinstance(value, np.generic) else np.zeros_like(value)


def _calls(name: str, index: int, float32: bool, rng):
    """For each statement applying the rule: (argument values, tangents, whether each atom is moved)."""
    rule, example, names, statements, namespace = _normalized(name, index)
    scope = dict(namespace)
    for n in names:
        value = random_value(example.shapes[n], example.domain.get(n, rule.domain.get(n, "real")), rng)
        if float32 and isinstance(value, np.ndarray) and value.dtype.kind == "f":
            value = value.astype(np.float32)
        scope[n] = value
    calls = []
    for statement in statements:
        if isinstance(statement, ir.Return):
            break
        if isinstance(statement, ir.Assign) and statement.rule == name:
            values, tangents, moved = {}, {}, {}
            for parameter, operand in statement.operands.items():
                if parameter in rule.sequences and isinstance(operand, tuple):
                    items = [eval(_CODE(atom), scope) for atom in operand]
                    movable = [isinstance(atom, cst.Name) for atom in operand]
                elif parameter in rule.sequences and isinstance(eval(_CODE(operand), scope), (list, tuple)):
                    items = list(eval(_CODE(operand), scope))
                    movable = [True] * len(items)
                else:
                    items = None
                    value = eval(_CODE(operand), scope)
                if items is not None:
                    values[parameter] = items
                    if parameter in rule.differentiable:
                        tangents[parameter] = [
                            _random_tangent(v, rng) if m and _is_float(v) else _zero_tangent(v)
                            for v, m in zip(items, movable, strict=True)
                        ]
                        moved[parameter] = [m and _is_float(v) for v, m in zip(items, movable, strict=True)]
                    continue
                values[parameter] = value
                if parameter in rule.differentiable and _is_float(value):
                    # An inactive parameter (t's df) is given no tangent: the rule has no term for it.
                    movable = isinstance(operand, cst.Name) and parameter not in rule.inactive
                    tangents[parameter] = _random_tangent(value, rng) if movable else _zero_tangent(value)
                    moved[parameter] = movable
            calls.append((values, tangents, moved))
        if isinstance(statement, ir.Assign):
            scope[statement.target] = eval(_CODE(statement.value), scope)
        elif isinstance(statement, ir.Append):
            scope[statement.target].append(eval(_CODE(statement.value), scope))
        elif isinstance(statement, ir.Guard):
            pass  # a run-time check (the length of a tuple unpacked): no value
        else:
            raise AssertionError(f"unexpected statement {type(statement).__name__} in an example")
    assert calls, f"no statement applies {name}"
    return rule, calls


def _call_primal(rule, values):
    """The function called as the example wrote it: by position in the rule's order until a parameter
    is left out (an option, or an ``optional`` one: numpy's default), by keyword after it."""
    positional, keywords, left_out = [], {}, False
    for parameter in rule.signature.parameters.values():
        if parameter.name not in values:
            left_out = True
        elif parameter.kind is parameter.VAR_POSITIONAL:
            positional += values[parameter.name]
        elif left_out or parameter.kind is parameter.KEYWORD_ONLY:
            keywords[parameter.name] = values[parameter.name]
        else:
            positional.append(values[parameter.name])
    return _primal(rule.name)(*positional, **keywords)


def _tangent_terms(rule, values, tangents):
    out = _call_primal(rule, values)
    given = [p for p in rule.differentiable if p in values]
    if len(given) < len(rule.differentiable):
        return out, _given_terms(rule, values, tangents, out, given)
    arguments = [tangents.get(p) for p in rule.differentiable]
    terms = rules.TANGENTS[rule.name](*arguments, out, **values)
    if len(rule.differentiable) == 1:
        terms = (terms,)
    assert len(terms) == len(rule.differentiable)
    return out, terms


def _given_terms(rule, values, tangents, out, given):
    """The terms of the parameters a call gives (an ``optional`` one left out has none, as the engine
    instantiates them: tests/test_rules.py), from the tangent rule's template; None for the others."""
    template = rule.tangent
    scope = {"np": np, "math": math, "_rt": runtime, "out": out, **values}
    scope.update({f"d_{p}": tangents.get(p) for p in rule.differentiable})
    bindings = {name: cst.Name(name) for name in template.params if name in scope}
    wanted = tuple(i for i, p in enumerate(rule.differentiable) if p in given and template.results[i] is not None)
    counter = iter(range(1, 1000))
    setup, results = templates.instantiate(template, bindings, wanted, lambda: f"_local{next(counter)}")
    for local, value in setup:
        scope[local] = eval(_CODE(value), scope)
    return tuple(eval(_CODE(results[i]), scope) if i in results else None for i in range(len(rule.differentiable)))


def _moved(value, tangent, moved, step):
    if isinstance(value, list):
        return [_moved(v, t, m, step) for v, t, m in zip(value, tangent, moved, strict=True)]
    if not moved:
        return value
    shifted = value + step * tangent
    return float(shifted) if isinstance(value, float) and not isinstance(value, np.generic) else shifted


def _compare(actual, expected, where):
    if isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for a, e in zip(actual, expected, strict=True):
            _compare(a, e, where)
        return
    assert np.shape(actual) == np.shape(
        expected
    ), f"{where}: tangent of shape {np.shape(actual)}, output {np.shape(expected)}"
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=where)


def _difference(plus, minus):
    if isinstance(plus, list):
        return [_difference(p, m) for p, m in zip(plus, minus, strict=True)]
    return (np.asarray(plus, dtype=float) - np.asarray(minus, dtype=float)) / (2 * STEP)


@pytest.mark.parametrize("name, index", CASES)
def test_tangent_matches_finite_differences(name, index):
    rng = np.random.default_rng(sum(map(ord, name)) + index)
    rule, calls = _calls(name, index, False, rng)
    for values, tangents, moved in calls:
        out, terms = _tangent_terms(rule, values, tangents)
        active = [t for t in terms if t is not None]
        assert active, f"{name}: every term is None"
        total = active[0]
        for term in active[1:]:
            total = runtime.add_lists(total, term) if rule.returns_several else total + term
        shifted = []
        for sign in (1.0, -1.0):
            trial = {
                p: _moved(v, tangents[p], moved[p], sign * STEP) if p in tangents else v for p, v in values.items()
            }
            shifted.append(_call_primal(rule, trial))
        if rule.returns_several:  # the tuple of arrays the function returns, like the list of their tangents
            shifted = [list(value) for value in shifted]
        _compare(total, _difference(*shifted), f"{name} example {index}")


def _dtypes(value):
    if isinstance(value, list):
        return [d for item in value for d in _dtypes(item)]
    if isinstance(value, (np.ndarray, np.generic)):
        return [value.dtype]
    return []


@pytest.mark.parametrize("name, index", CASES)
def test_tangent_keeps_float32(name, index):
    """float32 arguments and tangents give float32 terms (Python floats stay as they come)."""
    rng = np.random.default_rng(sum(map(ord, name)) + index + 1)
    rule, calls = _calls(name, index, True, rng)
    for values, tangents, _ in calls:
        out, terms = _tangent_terms(rule, values, tangents)
        if np.float32 not in _dtypes(values) + _dtypes(list(tangents.values())) or np.float64 in _dtypes(out):
            continue  # nothing in float32, or the call asks for float64 (dtype=np.float64)
        for term in terms:
            for dtype in _dtypes(term):
                assert dtype == np.float32, f"{name} example {index}: a term in {dtype}"


_SINGULAR = {
    "math.log": 0.0,
    "math.sqrt": 0.0,
    "numpy.log": 0.0,
    "numpy.sqrt": 0.0,
    "numpy.log1p": -1.0,
    "numpy.log2": 0.0,
    "numpy.log10": 0.0,
    "numpy.arcsin": 1.0,
    "numpy.arccos": 1.0,
    "numpy.reciprocal": 0.0,
}


@pytest.mark.parametrize("name", sorted(_SINGULAR))
def test_python_float_at_a_singular_point_gives_inf_or_nan(name):
    x = _SINGULAR[name]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = _primal(name)(x) if not name.startswith("math.") else {"math.log": -math.inf, "math.sqrt": 0.0}[name]
        term = rules.TANGENTS[name](1.0, out, x)
    assert not np.isfinite(term)
