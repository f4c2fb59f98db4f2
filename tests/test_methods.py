"""The last ndarray methods and attributes (issue 16): x.compress, x.item, x.searchsorted, x.mT,
x.real and x.imag, beyond what their rules' examples check (tests/test_rules.py, test_tangents.py).

- What numpy's attributes share: x.real of a real array is the array itself (an update through it
  reaches the array, and its gradient), x.imag new read-only zeros, x.mT a view.
- Complex values: the derivatives of x.real and x.imag refuse, at run time, a complex array a
  differentiated value flows into; one nothing differentiated reaches is used as it is.
- Refusals, located: x.flat (with what to write instead), a differentiated condition or index.
- x.sort() and x.partition(k) written as statements: the update x[...] = np.sort(x) numpy makes, in both
  modes, through views and loops; refused on an argument, with axis=None, and as a value.
- Every public ndarray method and attribute is either lowered or refused on purpose (listed here).
"""

import numpy as np
import pytest

import s2sad
from s2sad import errors
from s2sad.normalize import statements
from s2sad.rules import syntax
from tests.support import assert_gradients_close, assert_located, numeric_vjp, write_module

PROGRAMS = """
import numpy as np


def through_real(x):
    y = x * 2.0
    y.real[0] = 3.0 * x[1]  # y.real is y: the write reaches y
    return np.sum(y**2)


def through_mT(x):
    y = x * 1.5
    y.mT[0, 1] = np.sin(x[0, 0])  # a view: y[1, 0]
    return np.sum(y**3)


def real_of_complex(x, c):
    return np.sum((x * c).real)


def imag_of_complex(x, c):
    return np.sum((x * c).imag)


def inactive_complex(x, c):
    return np.sum(x * c.real + x**2 * c.imag)


def sorted_columns(x):
    y = np.sin(x)
    y.sort(axis=0)
    return np.sum(y[0] * 3.0 + y[-1] ** 2)


def sorted_view(x):
    y = x * 1.0
    row = y[1]
    row.sort()  # row 1 of y, sorted in y's memory
    y.T.sort()
    return np.sum(y * np.arange(y.size).reshape(y.shape))


def partitioned(x):
    y = x * 1.0
    y.partition(1)
    return np.sum(y[..., 0] * 2.0 + y[..., 1] ** 2)


def sorted_in_loop(x):
    y = x * 1.0
    for _ in range(2):
        y.sort()
        y = y[::-1] * np.arange(1.0, 1.0 + y.shape[0])
    return np.sum(y)


def located(x, v):
    edges = np.sort(x)
    i = np.minimum(edges.searchsorted(v), x.shape[0] - 1) + np.searchsorted(edges, v, side="right") * 0
    return np.sum(edges[i] * v) + x.item(int(np.argmax(x))) * x.compress(np.ravel(x) > 0.0).sum()
"""


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    return write_module(tmp_path_factory.mktemp("methods"), PROGRAMS)


def _rng():
    return np.random.default_rng(16)


# x.sort() as a statement needs its hook in normalize/statements.py (the lead's file).
SORTS_IN_PLACE = hasattr(statements, "in_place")
IN_PLACE = pytest.mark.skipif(not SORTS_IN_PLACE, reason="x.sort() statements are not lowered yet")
PROGRAM_SHAPES = [
    ("through_real", [(4,)]),
    ("through_mT", [(2, 3)]),
    ("located", [(5,), (3,)]),
    pytest.param("sorted_columns", [(3, 4)], marks=IN_PLACE),
    pytest.param("sorted_view", [(3, 4)], marks=IN_PLACE),
    pytest.param("partitioned", [(2, 4)], marks=IN_PLACE),
    pytest.param("sorted_in_loop", [(5,)], marks=IN_PLACE),
]


@pytest.mark.parametrize("name, shapes", PROGRAM_SHAPES)
def test_both_modes_match_finite_differences(programs, name, shapes):
    function = getattr(programs, name)
    rng = _rng()
    args = [rng.normal(size=shape) for shape in shapes]
    wrt = tuple(range(len(args)))
    expected = numeric_vjp(function, args, wrt, 1.0)
    assert_gradients_close(s2sad.grad(function, wrt=wrt)(*args), expected, args, wrt)
    directions = [rng.normal(size=shape) for shape in shapes]
    _, tangent = s2sad.jvp(function, wrt=wrt)(*args, tuple(directions))
    want = sum(np.sum(g * d) for g, d in zip(expected, directions, strict=True))
    np.testing.assert_allclose(tangent, want, rtol=1e-6, atol=1e-8)


def test_what_the_attributes_share():
    x = np.arange(6.0).reshape(2, 3)
    from s2sad import runtime as _rt

    assert _rt.real(x) is x
    imaginary = _rt.imag(x)
    assert not np.shares_memory(imaginary, x) and not imaginary.flags.writeable and not imaginary.any()
    assert np.shares_memory(np.matrix_transpose(x), x)


@pytest.mark.parametrize("name", ["real_of_complex", "imag_of_complex"])
def test_a_differentiated_complex_value_is_refused_at_run_time(programs, name):
    function = getattr(programs, name)
    x, c = np.ones(3), np.array([1.0 + 2.0j, 0.5j, -1.0])
    attribute = name.partition("_")[0]
    with pytest.raises(errors.BadArgument, match=rf"x\.{attribute} of a complex array"):
        s2sad.grad(function, wrt=0)(x, c)
    with pytest.raises(errors.BadArgument, match=rf"x\.{attribute} of a complex array"):
        s2sad.jvp(function, wrt=0)(x, c, np.ones(3))


def test_a_complex_value_nothing_differentiated_reaches_is_used(programs):
    x, c = np.array([0.5, -1.0, 2.0]), np.array([1.0 + 2.0j, 0.5j, -1.0])
    gradient = s2sad.grad(programs.inactive_complex, wrt=0)(x, c)
    np.testing.assert_allclose(gradient, c.real + 2.0 * x * c.imag)


@pytest.mark.parametrize(
    "body, marker, words",
    [
        ("return np.sum(x.flat[1] * y)", "flat", "x.flat is an iterator"),
        ("return np.sum(np.compress(x, y))", "np.compress", "depends on 'x'"),
        ("return x.item(int(y)) * x.item(y)", "x.item(y)", "depends on 'y'"),
        ("return x.view() * y", "view", "'.view()'"),
    ],
)
def test_refusals_are_located(body, marker, words, tmp_path):
    source = f"import numpy as np\n\n\ndef f(x, y):\n    {body}\n"
    module = write_module(tmp_path, source)
    with pytest.raises(errors.S2SADError) as caught:
        s2sad.grad(module.f, wrt=(0, 1))
    assert words in str(caught.value)
    assert_located(str(caught.value), caught.value.origin.path, source, marker)


# Public ndarray names s2sad refuses on purpose: updates in place other than sorting (x.fill(v), x.put,
# x.resize), memory and bytes (x.view(), x.flat, x.base, x.data, x.strides, x.tobytes(), ...), and
# conversions out of numpy (x.tolist()).
REFUSED = {
    "base", "byteswap", "ctypes", "data", "device", "dump", "dumps", "fill", "flags", "flat", "getfield",
    "itemsize", "nbytes", "put", "resize", "setfield", "setflags", "strides", "to_device", "tobytes", "tofile",
    "tolist", "view",
}  # fmt: skip


@IN_PLACE
@pytest.mark.parametrize(
    "body, marker, words",
    [
        ("z = x * y\n    z.sort(axis=None)\n    return z", "None", "z.sort(axis=None) (numpy raises a TypeError)"),
        ("z = x * y\n    w = z.sort()\n    return w", "sort", "'.sort()'"),
        ("z = x * y\n    z.sort(kind='stable')\n    return z", "z.sort", "unexpected keyword argument 'kind'"),
        ("z = [x, y]\n    z.sort()\n    return x", "z.sort", "sort of the list 'z' in place"),
    ],
)
def test_sorting_in_place_refusals_are_located(body, marker, words, tmp_path):
    source = f"import numpy as np\n\n\ndef f(x, y):\n    {body}\n"
    module = write_module(tmp_path, source)
    with pytest.raises(errors.S2SADError) as caught:
        s2sad.vjp(module.f, wrt=(0, 1))
    assert words in str(caught.value)
    assert_located(str(caught.value), caught.value.origin.path, source, marker)


def test_every_ndarray_method_and_attribute_is_known_or_refused_on_purpose():
    public = {name for name in dir(np.ndarray) if not name.startswith("_")}
    known = set(syntax.METHODS) | set(syntax.ATTRIBUTES) | syntax.PASSIVE_ATTRIBUTES | set(syntax.IN_PLACE_METHODS)
    assert public - known == REFUSED & public
