"""The Python people write around the maths (issue 17), in both modes against central finite differences:
comprehensions, functions defined inside (def and lambda), several assignment targets, assert and raise guards, calls made for their effect,
with np.errstate.

Each case is a module defining ``f(x)``; its gradient and its jvp along a random direction are compared
with finite differences, and the guards and effects run in the forward sweep only.
"""

import re
import textwrap

import numpy as np
import pytest

import s2sad
from tests.support import numeric_vjp, write_module

HELPERS = """
        def layer(h, w):
            def act(v):
                return np.tanh(v) * w
            scale = lambda v: v * 0.5
            return scale(act(h @ np.ones((h.shape[-1], 2))))
"""

CASES = {
    "a-lambda-and-a-function-defined-inside-reading-the-enclosing-names": """
        def f(x):
            w = x[0] * 2.0
            act = lambda v: np.tanh(v) * w
            def affine(v, shift=1.0):
                y = v * w + shift
                return act(y) - x[1]
            w = w + 1.0
            return np.sum(affine(x)) + np.sum(act(x * x))
    """,
    "lists of lists built in a loop and by nested comprehensions": """
        def f(x):
            rows = [[x[i] * x[j] for j in range(3)] for i in range(2)]
            grid = []
            for i in range(2):
                row = []
                for j in range(3):
                    row.append(np.sin(x[j]) * rows[i][j])
                grid.append(row)
            return sum(grid[i][j] for i in range(2) for j in range(3)) + np.sum(np.array(rows) ** 2)
    """,
    "lambdas called at once and passed to helpers, also in a loop": """
        def apply(fn, h):
            return fn(h) + fn(h * 0.5)
        def f(x):
            total = (lambda v, k=2.0: np.sum(v ** k))(x)
            for i in range(2):
                total = total + np.sum(apply(lambda v: np.tanh(v) * x[i], x))
            return total
    """,
    "a-function-defined-inside-a-helper": HELPERS
    + """
        def f(x):
            h = np.stack([x, x ** 2])
            return np.sum(layer(h, x[2]))
    """,
    "list-comprehension-with-a-condition-and-two-fors": """
        def f(x):
            ys = [np.sin(x[i]) * x[j] for i in range(3) for j in range(i, 4) if i + j != 3]
            return sum(ys) + np.sum(np.stack([x * k for k in (1.0, 2.5)]))
    """,
    "generator-expressions-in-sum-and-np-array": """
        def f(x):
            total = sum(x[i] ** 2 for i in range(4) if i != 1)
            pairs = np.array([a * b for a, b in zip(x[:-1], x[1:])])
            return total + np.sum(pairs * np.array([v for i, v in enumerate(x) if i % 2 == 0]).sum())
    """,
    "comprehension-variables-are-their-own": """
        def f(x):
            v = x[0] * 3.0
            i = 2
            ys = [x[i] * v for i in range(4) for v in (x[i], 2.0)]
            return sum(ys) * v + x[i]
    """,
    "nested-comprehension-reads-the-outer-variable": """
        def f(x):
            rows = [np.array([x[i] * x[j] for j in range(4)]) for i in range(3)]
            grid = np.stack(rows)
            again = [np.array([x[i] for i in range(i, 4)]) for i in range(2)]
            return np.sum(grid * np.arange(12.0).reshape(3, 4)) + sum(np.sum(r) for r in again)
    """,
    "several-targets-into-parts-of-an-array": """
        def f(x):
            u = x * 1.0
            u[0] = u[-1] = np.sin(x[1])
            a = b = u * 2.0
            return np.sum(u * x) + np.sum(a * b)
    """,
    "assert-with-a-message-computed-only-on-failure": """
        def f(x):
            assert x.ndim == 1, f"a vector, not {x.shape}"
            assert np.all(x > -10.0)
            return np.sum(np.sin(x) * x)
    """,
    "raise-behind-a-test": """
        def f(x):
            if x.shape[0] < 2:
                raise ValueError(f"too short: {x.shape[0]} < {2:d}")
            y = x ** 2
            if np.any(np.isnan(y)):
                raise FloatingPointError("nan in y")
            return np.sum(y * x[0])
    """,
    "print-and-logging-calls-kept": """
        import logging

        def f(x):
            y = np.tanh(x)
            print("y:", y, sep=" ")
            logging.debug("mean %s", np.mean(y))
            return np.sum(y * y)
    """,
    "with-np-errstate-around-the-body": """
        def f(x):
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.log(x)
                z = np.where(x > 0.0, y, 0.0)
            return np.sum(z * x)
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_both_modes_match_finite_differences(name, tmp_path, capsys):
    module = write_module(tmp_path, "import numpy as np\n" + textwrap.dedent(CASES[name]))
    rng = np.random.default_rng(sum(map(ord, name)))
    x = rng.uniform(0.2, 2.0, size=4)
    expected = numeric_vjp(module.f, [x], (0,), 1.0)[0]
    np.testing.assert_allclose(s2sad.grad(module.f)(x.copy()), expected, rtol=1e-6, atol=1e-8)
    direction = rng.normal(size=4)
    value, tangent = s2sad.jvp(module.f)(x.copy(), direction)
    assert value == pytest.approx(module.f(x.copy()), rel=1e-12)
    assert tangent == pytest.approx(float(expected @ direction), rel=1e-6, abs=1e-8)


def test_a_failed_assert_raises_in_the_forward_sweep_with_its_message(tmp_path):
    module = write_module(
        tmp_path, "import numpy as np\n" + textwrap.dedent(CASES["assert-with-a-message-computed-only-on-failure"])
    )
    with pytest.raises(AssertionError, match=r"a vector, not \(2, 2\)"):
        s2sad.grad(module.f)(np.ones((2, 2)))
    with pytest.raises(ValueError, match="too short: 1 < 2"):
        s2sad.grad(
            write_module(
                tmp_path, "import numpy as np\n" + textwrap.dedent(CASES["raise-behind-a-test"]), stem="raising"
            ).f
        )(np.ones(1))


def test_effects_run_once_in_the_forward_sweep_and_never_in_the_reverse_one(tmp_path, capsys):
    module = write_module(tmp_path, "import numpy as np\n" + textwrap.dedent(CASES["print-and-logging-calls-kept"]))
    gradient = s2sad.grad(module.f)
    capsys.readouterr()
    gradient(np.array([0.1, 0.2]))
    assert capsys.readouterr().out.count("y:") == 1
    assert "print(" in s2sad.source(gradient).split("# reverse sweep")[0]
    assert "print(" not in s2sad.source(gradient).split("# reverse sweep")[1]


@pytest.mark.parametrize(
    "body, message",
    [
        ("with open('f') as h:\n        pass\n    return x", "with ... as ... is not supported"),
        ("with open('f'):\n        pass\n    return x", "a with statement other than with np.errstate"),
        (
            "with np.errstate(all='ignore'):\n        if x[0] > 0:\n            return x\n    return x",
            "return, break or continue inside a with block",
        ),
        ("raise\n    return x", "a bare raise"),
        (
            "outer = []\n    for i in range(2):\n        row = []\n        outer.append(row)\n"
            "        row.append(x[i])\n    return outer[0][0] + outer[1][0]",
            "appending to 'row' while 'outer', which sees the same list, is read afterwards",
        ),
        ("y = x\n    y.a = 1.0\n    return y", "assignment into an attribute"),
        ("if x[0] > 0:\n        g = lambda v: v\n    return x", "a function defined inside a branch or loop"),
        ("def g(v):\n        return g(v)\n    return g(x)", "a recursive call of 'g'"),
        (
            "return np.sum(np.apply_along_axis(lambda v: v, 0, x))",
            r"a function defined inside \(a lambda, a def, a partial\) used as a value",
        ),
        ("def g(v):\n        nonlocal x\n        x = v\n        return v\n    return g(x)", "nonlocal statements"),
        (
            "w = x * 2.0\n    g = lambda v: v * w\n    def h(v):\n        w = v + 1.0\n        return g(w)\n    return h(x)",
            "which reads 'w' of the function around it",
        ),
    ],
)
def test_what_stays_refused_is_located(body, message, tmp_path):
    module = write_module(tmp_path, f"import numpy as np\n\n\ndef f(x):\n    {body}\n")
    with pytest.raises(s2sad.S2SADError, match=message) as raised:
        s2sad.grad(module.f)
    assert re.match(rf"{re.escape(str(module.__file__))}:\d+:\d+: error: ", str(raised.value))


ARGUMENTS_UPDATED = """
import numpy as np


def g(x, y):
    return x


def f(x, y, s):
    v = x[1:]
    v *= y[0]
    x += 2.0
    t = g(y, x)
    t[0] = np.sin(s)
    s += x[0]
    x.sort()
    return np.sum(np.sin(x) * y) * s
"""


def test_updating_the_arguments_in_place_differentiates_their_values_on_entry(tmp_path):
    module = write_module(tmp_path, ARGUMENTS_UPDATED)
    rng = np.random.default_rng(7)
    args = [rng.normal(size=4), rng.normal(size=4), 0.7]
    entry = [a.copy() for a in args[:2]]

    def on_copies(*values):
        return module.f(*[v.copy() if isinstance(v, np.ndarray) else v for v in values])

    expected = numeric_vjp(on_copies, args, (0, 1, 2), 1.0)
    gradients = s2sad.grad(module.f, wrt=(0, 1, 2))(*args)
    for got, want in zip(gradients, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    directions = (rng.normal(size=4), rng.normal(size=4), 0.3)
    _, tangent = s2sad.jvp(module.f, wrt=(0, 1, 2))(*args, directions)
    assert tangent == pytest.approx(sum(np.sum(w * d) for w, d in zip(expected, directions, strict=True)), rel=1e-6)
    for array, before in zip(args[:2], entry, strict=True):
        np.testing.assert_array_equal(array, before)  # the caller's arrays are never updated


DICT_OF_WEIGHTS = """
import numpy as np


def layer(p, h):
    return np.tanh(h @ p["W"] + p["b"])


def loss(params, x, y):
    h = layer(params, x)
    for _ in range(2):
        h = h + 0.1 * np.tanh(h @ params["V"])
    out = h @ params["w"]
    return np.mean((out - y) ** 2) + 0.01 * sum(np.sum(params[k] ** 2) for k in ("W", "V"))
"""


def _weights(rng):
    shapes = {"W": (3, 4), "b": (4,), "V": (4, 4), "w": (4,), "unused": (2,)}
    return {key: rng.normal(size=shape) for key, shape in shapes.items()}


def test_a_dict_of_weights_gets_a_dict_of_gradients_in_both_modes(tmp_path):
    module = write_module(tmp_path, DICT_OF_WEIGHTS)
    rng = np.random.default_rng(3)
    params, x, y = _weights(rng), rng.normal(size=(5, 3)), rng.normal(size=5)
    keys = list(params)

    def flat_loss(*arrays):
        return module.loss(dict(zip(keys, arrays, strict=True)), x, y)

    expected = numeric_vjp(flat_loss, list(params.values()), tuple(range(len(keys))), 1.0)
    gradient = s2sad.grad(module.loss)(params, x, y)
    assert list(gradient) == keys
    for key, want in zip(keys, expected, strict=True):
        np.testing.assert_allclose(gradient[key], want, rtol=1e-6, atol=1e-9)
    directions = {key: rng.normal(size=value.shape) for key, value in params.items()}
    _, tangent = s2sad.jvp(module.loss)(params, x, y, directions)
    assert tangent == pytest.approx(sum(np.sum(expected[i] * directions[k]) for i, k in enumerate(keys)), rel=1e-6)


@pytest.mark.parametrize(
    "body, message",
    [
        ('p["w"][0] = 1.0\n    return np.sum(p["w"])', "it is an argument"),
        ("return np.sum(p.items())", "'.items()' other than in a for loop or comprehension"),
    ],
)
def test_what_a_dict_of_weights_cannot_do_yet_is_refused(body, message, tmp_path):
    module = write_module(tmp_path, f"import numpy as np\n\n\ndef f(p):\n    {body}\n")
    with pytest.raises(s2sad.S2SADError, match=re.escape(message)):
        s2sad.grad(module.f)({"w": np.ones(2)})


def test_a_dict_of_integers_is_refused_naming_the_key(tmp_path):
    module = write_module(tmp_path, 'import numpy as np\n\n\ndef f(p):\n    return np.sum(p["w"] * 2.0)\n')
    with pytest.raises(s2sad.S2SADError, match=r"argument 'p\['w'\]' is differentiated but holds"):
        s2sad.grad(module.f)({"w": np.arange(3)})


FUNCTIONS_AS_VALUES = """
import numpy as np
from numpy import tanh


def apply(fn, h, scale=2.0):
    return fn(h) * scale


def rhs(y, t):
    return -0.5 * y + np.sin(t) * y[::-1]


def integrate(f, y0, steps=4, dt=0.1):
    y = y0
    for i in range(steps):
        y = y + dt * f(y, i * dt)
    return y


def twice(g, f, y):
    return g(f, g(f, y))


def f(x):
    total = np.sum(apply(np.tanh, x)) + np.sum(apply(fn=tanh, h=x[:2], scale=0.5))
    return total + np.sum(integrate(rhs, x)) + np.sum(twice(apply, np.sin, x))
"""


def test_functions_passed_to_helpers_are_called_there_in_both_modes(tmp_path):
    module = write_module(tmp_path, FUNCTIONS_AS_VALUES)
    x = np.array([0.3, -1.2, 0.8, 2.0])
    expected = numeric_vjp(module.f, [x], (0,), 1.0)[0]
    np.testing.assert_allclose(s2sad.grad(module.f)(x), expected, rtol=1e-6, atol=1e-9)
    direction = np.array([1.0, -0.5, 0.25, 2.0])
    assert s2sad.jvp(module.f)(x, direction)[1] == pytest.approx(float(expected @ direction), rel=1e-6)


CONFIG = """
import numpy as np
from typing import NamedTuple


class Config(NamedTuple):
    rate: float
    scale: np.ndarray


def f(x, cfg):
    return np.sum(np.tanh(x * cfg.scale)) * cfg.rate


def g(cfg):
    return np.sum(cfg.scale ** 2)
"""


def test_fields_of_an_object_are_read_as_constants_or_differentiated(tmp_path):
    module = write_module(tmp_path, CONFIG)
    config = module.Config(0.5, np.array([1.0, 2.0, 3.0]))
    x = np.array([0.1, -0.2, 0.3])
    expected = numeric_vjp(lambda v: module.f(v, config), [x], (0,), 1.0)[0]
    np.testing.assert_allclose(s2sad.grad(module.f)(x, config), expected, rtol=1e-6)
    assert s2sad.jvp(module.f)(x, config, np.ones(3))[1] == pytest.approx(float(np.sum(expected)), rel=1e-6)
    d_config = s2sad.grad(module.g)(config)  # a named tuple differentiated: its gradient is one too
    d_scale = numeric_vjp(lambda s: module.g(config._replace(scale=s)), [config.scale], (0,), 1.0)[0]
    assert type(d_config) is module.Config and d_config.rate == 0.0
    np.testing.assert_allclose(d_config.scale, d_scale, rtol=1e-6)


STAR_ARGS = """
import numpy as np


def total(*arrays):
    s = 0.0
    for a in arrays:
        s = s + np.sum(a ** 2)
    return s * len(arrays)


def scaled(x, *factors, shift=0.0):
    return x * factors[0] + factors[-1] + shift


def layer(h, *extra, **options):
    out = np.tanh(h * options["scale"])
    for name, value in options.items():
        out = out + value * 0.1
    return out + sum(extra)


def f(x):
    total_part = total(x, np.sin(x), x[:2]) + np.sum(scaled(x, 2.0, x[0], shift=1.0)) + total()
    return total_part + np.sum(layer(x, x[0], 2.0, scale=x[1], shift=0.5))
"""


def _assert_both_modes_match(f, x):
    """f's gradient and its tangent along ones against central finite differences."""
    expected = numeric_vjp(f, [x], (0,), 1.0)[0]
    np.testing.assert_allclose(s2sad.grad(f)(x), expected, rtol=1e-6, atol=1e-9)
    assert s2sad.jvp(f)(x, np.ones(3))[1] == pytest.approx(float(np.sum(expected)), rel=1e-6)


def test_star_args_and_kwargs_of_a_helper_are_the_calls_extra_arguments(tmp_path):
    module = write_module(tmp_path, STAR_ARGS)
    _assert_both_modes_match(module.f, np.array([0.3, -1.2, 0.8]))
    with pytest.raises(s2sad.S2SADError, match=r"\*args parameters of the differentiated function"):
        s2sad.grad(module.scaled)
    with pytest.raises(s2sad.S2SADError, match=r"\*args parameters of the differentiated function"):
        s2sad.grad(module.layer)


LOCAL_DICTS = """
import numpy as np


def layer(p, h):
    return np.tanh(h @ p["W"] + p["b"])


def f(x):
    params = {"W": np.outer(x, x), "b": x * 0.5}
    params["scale"] = np.sum(x)
    same = params
    total = 0.0
    for name, value in same.items():
        total = total + np.sum(value ** 2)
    for v in params.values():
        total = total + np.sum(v)
    return total + np.sum(layer(params, x)) * params["scale"] + len([k for k in params])
"""


def test_a_dict_written_in_the_function_is_read_by_its_items_in_both_modes(tmp_path):
    module = write_module(tmp_path, LOCAL_DICTS)
    _assert_both_modes_match(module.f, np.array([0.3, -1.2, 0.8]))


@pytest.mark.parametrize(
    "body, message",
    [
        ('d = {"a": x}\n    return np.sum(d)', "using the dict 'd' other than by its items"),
        ('d = {"a": x}\n    for i in range(2):\n        d["a"] = x * i\n    return d["a"]', "inside a branch or loop"),
        ('d = {"a": x}\n    return d["b"]', "not in the dict"),
        ('d = {"a": x}\n    e = {**d}\n    return e["a"]', "unpacking into a dict"),
        ('k = "a"\n    d = {k: x}\n    return d["a"]', "a dict key other than a string or number written out"),
    ],
)
def test_what_a_dict_written_in_the_function_cannot_do_is_refused(body, message, tmp_path):
    module = write_module(tmp_path, f"import numpy as np\n\n\ndef f(x):\n    {body}\n")
    with pytest.raises(s2sad.S2SADError, match=re.escape(message)):
        s2sad.grad(module.f)


def test_a_complex_value_reaching_a_derivative_is_refused_not_cast_away(tmp_path):
    """Its rules are real arithmetic's: |x * c| with a complex c would give a wrong real gradient."""
    source = "import numpy as np\n\nC = np.array([1 + 2j, 3 - 1j])\n\n\ndef f(x):\n    return np.sum(np.abs(x * C))\n"
    module = write_module(tmp_path, source)
    x = np.array([0.5, 1.5])
    with pytest.raises(s2sad.S2SADError, match="a complex value reached the derivative of a real argument"):
        s2sad.grad(module.f)(x)
    with pytest.raises(s2sad.S2SADError, match="a complex value reached the derivative of a real argument"):
        s2sad.jvp(module.f)(x, np.ones(2))


def test_a_function_defined_inside_given_to_a_library_function_is_refused_at_its_line(tmp_path):
    body = "act = lambda i: -i\n    order = sorted(range(3), key=act)\n    return np.sum(x[order])"
    module = write_module(tmp_path, f"import numpy as np\n\n\ndef f(x):\n    {body}\n")
    with pytest.raises(s2sad.S2SADError, match="used as a value other than called") as raised:
        s2sad.grad(module.f)
    assert raised.value.origin.line == 6
