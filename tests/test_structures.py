"""Containers of arrays as differentiated arguments (issue 17): named tuples, dataclass instances,
SimpleNamespace objects and dicts, nested, read by field or key. The gradient comes back in the
argument's own type (a setting held beside the arrays gets None); each leaf's gradient is compared
with central finite differences in float64, and forward mode with the same differences along a
random tangent of the argument's type.
"""

import copy
import dataclasses
import types

import numpy as np
import pytest

import s2sad
from s2sad.errors import BadArgument
from s2sad.finite_differences import gradient
from tests.support import write_module

MODULE = """
import collections
import dataclasses

import numpy as np

Pair = collections.namedtuple("Pair", "w b")


@dataclasses.dataclass
class Layer:
    w: np.ndarray
    b: np.ndarray
    activation: str = "tanh"
    repeats: int = 2


@dataclasses.dataclass(frozen=True)
class Model:
    first: Layer
    second: Layer
    scale: float = 0.5


def pair_loss(p, x):
    return np.sum(np.tanh(x @ p.w + p.b) ** 2)


def layer_loss(layer, x):
    h = x @ layer.w + layer.b
    if layer.activation == "tanh":
        h = np.tanh(h)
    return np.sum(h**2) * layer.repeats


def model_loss(m, x):
    first = m.first
    h = np.tanh(x @ first.w + first.b)
    return np.sum(np.tanh(h @ m.second.w + m.second.b)) * m.scale


def keyed_loss(p, x):
    return np.sum(np.sin(x @ p["w"]) * p["b"]) + p["w"][0, 0] * p["steps"]


def unpacked_loss(p, x):
    w, b = p
    return np.sum(np.tanh(x @ w + b) ** 2) + np.sum(p[-1] * p[0][0])


def dense(h, layer):
    w, b = layer
    return np.tanh(h @ w + b)


def layers_loss(layers, x):
    h = x
    for w, b in layers:
        h = np.tanh(h @ w + b)
    for i in range(len(layers) - 1):
        h = h + np.sum(layers[i][1]) * 0.1
    return np.sum(h**2)


def network_loss(net, x):
    h = x @ net["embed"]
    for layer in net["layers"]:
        h = dense(h, layer)
    return np.sum(h * net["head"].w) + net["head"].b


def zipped_loss(p, x):
    ws, bs = p
    h = x
    for w, b in zip(ws, bs):
        h = np.sin(h @ w + b)
    for k, b in enumerate(bs):
        h = h * (1.0 + 0.1 * k * b)
    return np.sum(h) + sum(np.sum(w**2) for w in ws)


def mixed_loss(p, x):
    scale, (w, b) = p[0], p[1]
    return np.sum(np.tanh(x @ w + b)) * scale + np.sum(p[1][0])
"""


def paths(tree, path=()):
    """The path of every float array or float in ``tree`` (fields, keys, positions), in order."""
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        items = tree._asdict().items()
    elif dataclasses.is_dataclass(tree):
        items = ((f.name, getattr(tree, f.name)) for f in dataclasses.fields(tree))
    elif isinstance(tree, types.SimpleNamespace):
        items = vars(tree).items()
    elif isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, (list, tuple)):
        items = enumerate(tree)
    elif isinstance(tree, float) or (isinstance(tree, np.ndarray) and tree.dtype.kind == "f"):
        return [path]
    else:
        return []
    return [p for key, item in items for p in paths(item, (*path, key))]


def at(tree, path):
    for key in path:
        tree = (
            tree[key]
            if isinstance(tree, (dict, list)) or (isinstance(tree, tuple) and isinstance(key, int))
            else getattr(tree, key)
        )
    return tree


def replaced(tree, path, value):
    """``tree`` with the leaf at ``path`` replaced by ``value`` (copies along the path)."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(tree, dict):
        return {**tree, key: replaced(tree[key], rest, value)}
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return tree._replace(**{key: replaced(getattr(tree, key), rest, value)})
    if isinstance(tree, (list, tuple)):
        items = list(tree)
        items[key] = replaced(items[key], rest, value)
        return type(tree)(items)
    new = copy.copy(tree)
    object.__setattr__(new, key, replaced(getattr(tree, key), rest, value))
    return new


def random_like(tree, rng):
    for path in paths(tree):
        leaf = at(tree, path)
        tree = replaced(tree, path, float(rng.normal()) if isinstance(leaf, float) else rng.normal(size=leaf.shape))
    return tree


def arguments(module, name, rng):
    x = rng.normal(size=(4, 3))
    if name == "pair_loss":
        return module.Pair(rng.normal(size=(3, 2)), rng.normal(size=2)), x
    if name == "layer_loss":
        return module.Layer(rng.normal(size=(3, 2)), rng.normal(size=2)), x
    if name == "model_loss":
        first = module.Layer(rng.normal(size=(3, 3)), rng.normal(size=3))
        return module.Model(first, module.Layer(rng.normal(size=(3, 2)), rng.normal(size=2)), 0.7), x
    if name == "keyed_loss":
        return {"w": rng.normal(size=(3, 2)), "b": rng.normal(size=2), "steps": 3}, x
    if name == "unpacked_loss":
        return (rng.normal(size=(3, 2)), rng.normal(size=2)), x
    if name in ("layers_loss", "zipped_loss"):
        layers = [(rng.normal(size=(3, 3)), rng.normal(size=3)) for _ in range(3)]
        return (layers if name == "layers_loss" else tuple(map(list, zip(*layers, strict=True)))), x
    if name == "network_loss":
        layers = [[rng.normal(size=(2, 2)), rng.normal(size=2)] for _ in range(2)]
        head = module.Pair(rng.normal(size=2), 0.3)
        return {"embed": rng.normal(size=(3, 2)), "layers": layers, "head": head, "name": "mlp"}, x
    return (1.5, (rng.normal(size=(3, 2)), rng.normal(size=2))), x


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    return write_module(tmp_path_factory.mktemp("structures"), MODULE)


NAMES = [
    "pair_loss",
    "layer_loss",
    "model_loss",
    "keyed_loss",
    "unpacked_loss",
    "layers_loss",
    "network_loss",
    "zipped_loss",
    "mixed_loss",
]


@pytest.mark.parametrize("name", NAMES)
def test_gradient_in_the_arguments_type_matches_finite_differences(module, name):
    f = getattr(module, name)
    p, x = arguments(module, name, np.random.default_rng(len(name)))
    g = s2sad.grad(f)(p, x)
    assert type(g) is type(p)
    for path in paths(p):
        expected = gradient(lambda v, path=path: f(replaced(p, path, v), x), at(p, path))
        np.testing.assert_allclose(at(g, path), expected, rtol=1e-5, atol=1e-6, err_msg=str(path))
    fields = dataclasses.fields(p) if dataclasses.is_dataclass(p) else ()
    settings = [f.name for f in fields if isinstance(getattr(p, f.name), (int, str))]
    assert all(getattr(g, s) is None for s in settings)
    assert name != "keyed_loss" or g["steps"] is None


@pytest.mark.parametrize("name", NAMES)
def test_tangent_along_an_argument_of_its_type_matches_finite_differences(module, name):
    f = getattr(module, name)
    rng = np.random.default_rng(len(name) + 1)
    p, x = arguments(module, name, rng)
    direction = random_like(p, rng)
    value, tangent = s2sad.jvp(f)(p, x, direction)
    expected = sum(
        np.sum(gradient(lambda v, path=path: f(replaced(p, path, v), x), at(p, path)) * at(direction, path))
        for path in paths(p)
    )
    assert value == pytest.approx(f(p, x))
    assert tangent == pytest.approx(expected, rel=1e-6, abs=1e-8)


def test_a_simple_namespace_and_the_caller_objects_untouched(module):
    p = types.SimpleNamespace(w=np.ones((3, 2)), b=np.zeros(2))
    x = np.random.default_rng(3).normal(size=(4, 3))
    before = copy.deepcopy(p)
    g = s2sad.grad(module.pair_loss)(p, x)
    assert isinstance(g, types.SimpleNamespace)
    for path in paths(p):
        expected = gradient(lambda v, path=path: module.pair_loss(replaced(p, path, v), x), at(p, path))
        np.testing.assert_allclose(at(g, path), expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(at(p, path), at(before, path))


def test_a_property_read_is_refused(tmp_path):
    module = write_module(
        tmp_path,
        """
import dataclasses
import numpy as np

@dataclasses.dataclass
class Scaled:
    w: np.ndarray

    @property
    def doubled(self):
        return 2.0 * self.w

def f(p):
    return np.sum(p.doubled * p.w)
""",
    )
    with pytest.raises(BadArgument, match="'doubled' of Scaled is differentiated, but it is not one of its fields"):
        s2sad.grad(module.f)(module.Scaled(np.ones(3)))


def test_an_integer_array_inside_is_refused_and_named(module):
    p = module.Pair(np.ones((3, 2)), np.arange(2))
    with pytest.raises(BadArgument, match=r"argument 'p\.b' is differentiated but holds ndarray with dtype int64"):
        s2sad.grad(module.pair_loss)(p, np.ones((4, 3)))


def test_an_object_s2sad_cannot_take_apart_is_refused(module):
    class Opaque:
        def __init__(self):
            self.w, self.b = np.ones((3, 2)), np.ones(2)

    with pytest.raises(BadArgument, match="read as a container of arrays, but holds Opaque"):
        s2sad.grad(module.pair_loss)(Opaque(), np.ones((4, 3)))


def test_one_derivative_per_form_and_a_form_checked_when_called_directly(module):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 3))
    dloss = s2sad.grad(module.layers_loss)
    two = [(rng.normal(size=(3, 3)), rng.normal(size=3)) for _ in range(2)]
    assert len(dloss(two, x)) == 2 and len(dloss(two * 2, x)) == 4  # one form: any number of layers
    np.testing.assert_allclose(dloss(tuple(two), x)[1][0], dloss(two, x)[1][0])
    assert isinstance(dloss(tuple(two), x), tuple)
    generic = dloss.__wrapped__  # the derivative generated for arrays, as the CLI writes it
    with pytest.raises(BadArgument, match="holds list, not floats"):
        generic(two, x)


def test_items_of_different_forms_read_by_a_computed_index_are_refused(tmp_path):
    module = write_module(
        tmp_path,
        """
import numpy as np

def f(p, x):
    s = 0.0
    for i in range(2):
        s = s + np.sum(p[i])
    return s * np.sum(x)
""",
    )
    with pytest.raises(s2sad.S2SADError, match="the items of '.*' are not all of one form") as caught:
        s2sad.grad(module.f)((np.ones(2), (np.ones(2), np.ones(2))), np.ones(2))
    assert caught.value.origin.line == 7


NUMBERS = """
import numpy as np

def unpacked(theta, t):
    k, c = theta
    return np.sum(np.exp(-k * t) * c) + np.sum(np.asarray(theta) ** 3) + np.sum(np.array(theta) * 2.0)

def whole(theta, t):
    return np.sum(np.tanh(theta) * t)
"""


@pytest.mark.parametrize("kind", [list, tuple])
def test_a_tuple_of_numbers_unpacked_or_made_an_array(kind, tmp_path):
    module = write_module(tmp_path, NUMBERS)
    theta, t = kind([0.3, 1.7]), np.linspace(0.0, 1.0, 5)
    g = s2sad.grad(module.unpacked)(theta, t)
    expected = gradient(lambda v: module.unpacked(kind(v.tolist()), t), np.array(theta))
    assert type(g) is kind and all(type(item) is float for item in g)
    np.testing.assert_allclose(g, expected, rtol=1e-6)
    _, tangent = s2sad.jvp(module.unpacked)(theta, t, kind([1.0, -2.0]))
    assert tangent == pytest.approx(expected[0] - 2.0 * expected[1], rel=1e-6)
    with pytest.raises(s2sad.S2SADError, match="passing a list or tuple argument whole as 'x' of np.tanh") as caught:
        s2sad.grad(module.whole)(theta, t)
    assert caught.value.origin.line == 9


KEYS = """
import numpy as np

def over_keys(p, x):
    s = 0.0
    for k in p.keys():
        s = s + np.sum(p[k] * x) * (k + 1)
    return s

def inner_keys(q, x):
    steps = q["by_step"]
    return np.sum(steps[2] ** 2) * 2.0 + np.sum(steps[5] * q["w"][:2]) + np.sum(q["w"] * x)
"""


def test_dicts_with_number_keys_also_inside_a_container(tmp_path):
    module = write_module(tmp_path, KEYS)
    rng = np.random.default_rng(7)
    x = rng.normal(size=3)
    p = {1: rng.normal(size=3), 0: rng.normal(size=3)}  # keys that are also positions, out of order
    q = {"by_step": {2: rng.normal(size=2), 5: rng.normal(size=2)}, "w": rng.normal(size=3)}
    for f, arg in ((module.over_keys, p), (module.inner_keys, q)):
        g = s2sad.grad(f)(arg, x)
        direction = random_like(arg, rng)
        _, tangent = s2sad.jvp(f)(arg, x, direction)
        expected_tangent = 0.0
        for path in paths(arg):
            expected = gradient(lambda v, path=path: f(replaced(arg, path, v), x), at(arg, path))
            np.testing.assert_allclose(at(g, path), expected, rtol=1e-6, atol=1e-8)
            expected_tangent += np.sum(expected * at(direction, path))
        assert tangent == pytest.approx(expected_tangent, rel=1e-6)


def test_second_derivatives_and_jacobians_of_a_container_are_refused_clearly(module):
    p, x = arguments(module, "unpacked_loss", np.random.default_rng(9))
    with pytest.raises(BadArgument, match="holds tuple, not floats") as caught:
        s2sad.hvp(module.unpacked_loss)(p, x, p)
    assert "not yet by hvp, hessian, jacobian" in caught.value.hint
    with pytest.raises(BadArgument, match=r"jacobian of unpacked_loss with respect to 'p', a tuple of arrays"):
        s2sad.jacobian(module.unpacked_loss)(p, x)
