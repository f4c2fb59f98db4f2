"""Gradients on dask arrays (several chunks): equal to numpy's, lazy (nothing computed, nothing
converted to numpy while the derivative runs), on the threaded scheduler and on a distributed
LocalCluster; Python-float arguments and numpy subclasses beside them; located refusals of what dask
arrays cannot do."""

import functools
import importlib.util
import runpy
import warnings
from pathlib import Path

import numpy as np
import pytest

import s2sad

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
from dask.callbacks import Callback  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture(stem):
    spec = importlib.util.spec_from_file_location(f"dask_{stem}", FIXTURES / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


logistic, mlp, heat = fixture("logistic"), fixture("mlp"), fixture("heat")


def chunked(value, parts=3):
    """An array as a dask array cut in ``parts`` chunks along each axis; anything else as it is."""
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        return value
    return da.from_array(value, chunks=tuple(max(1, -(-n // parts)) for n in value.shape))


class Computes(Callback):
    """Counts the dask computations started while it is active."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def _start(self, dsk):
        self.count += 1


def heat_inputs():
    inputs = heat.example_inputs()
    inputs["steps"] = 2  # each step splits the stencil's chunks further (dask's slicing): two test it all
    return inputs


# (name, function, inputs, wrt, which arguments become dask arrays: None for all arrays)
CASES = {
    "logistic": (logistic.loss, logistic.example_inputs, ("w", "b"), None),
    "logistic-data": (logistic.loss, logistic.example_inputs, ("w", "b"), ("x", "y")),
    "mlp": (mlp.loss, mlp.example_inputs, ("W1", "b1", "W2", "b2"), None),
    "mlp-data": (mlp.loss, mlp.example_inputs, ("W1", "b1", "W2", "b2"), ("x", "labels")),
    "heat": (heat.final_energy, heat_inputs, ("u0", "kappa"), None),
    "heat-inplace": (heat.final_energy_inplace, heat_inputs, ("u0", "kappa"), None),
}


@functools.cache
def lazy_gradients(case):
    """The case's gradients on dask arrays, from both the derivative for any arguments (the first
    call) and the one specialized to them (the second): lazy dask arrays, made with no computation
    and no fallback of dask to numpy (its FutureWarning is an error here); and numpy's gradients."""
    function, inputs, wrt, which = CASES[case]
    values = inputs()
    args = [chunked(v) if which is None or k in which else v for k, v in values.items()]
    derivative = s2sad.grad(function, wrt=wrt)
    calls = []
    for _ in range(2):
        with warnings.catch_warnings(), Computes() as computes:
            warnings.simplefilter("error")
            gradients = derivative(*args)
        assert computes.count == 0
        assert all(isinstance(g, da.Array) for g in gradients)
        calls.append(gradients)
    return calls, s2sad.grad(function, wrt=wrt)(*values.values())


def check_against_numpy(case):
    calls, expected = lazy_gradients(case)
    computed = dask.compute(*calls)  # one computation of both calls' graphs
    for gradients in computed:
        for name, value, reference in zip(CASES[case][2], gradients, expected, strict=True):
            assert np.shape(value) == np.shape(reference), name
            np.testing.assert_allclose(value, reference, rtol=1e-10, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("case", CASES)
def test_threaded_scheduler(case):
    with dask.config.set(scheduler="threads"):
        check_against_numpy(case)


@pytest.fixture(scope="module")
def cluster_client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.parametrize("case", CASES)
def test_local_cluster(cluster_client, case):
    """The same graphs computed by two worker processes of a distributed cluster."""
    with dask.config.set(scheduler=cluster_client):
        check_against_numpy(case)
    assert len(cluster_client.scheduler_info()["workers"]) == 2


def test_python_float_argument_gets_a_lazy_float64():
    """The gradient of a Python float computed from dask arrays is a 0-d float64 dask array (not
    computed at once: the caller computes it with the rest); from numpy arrays, a float."""
    inputs = logistic.example_inputs()
    derivative = s2sad.grad(logistic.loss, wrt="b")
    expected = derivative(*inputs.values())
    assert type(expected) is float
    args = [chunked(v) for v in inputs.values()]
    for _ in range(2):
        d_b = derivative(*args)
        assert isinstance(d_b, da.Array) and d_b.shape == () and d_b.dtype == np.float64
        assert float(d_b.compute()) == pytest.approx(expected, rel=1e-12)


def test_float32_stays_float32():
    inputs = logistic.example_inputs()
    args = [chunked(np.float32(v) if k == "b" else v.astype(np.float32)) for k, v in inputs.items()]
    for _ in range(2):
        d_w, d_b = s2sad.grad(logistic.loss, wrt=("w", "b"))(*args)
        assert isinstance(d_w, da.Array) and d_w.dtype == np.float32
        assert isinstance(d_b, da.Array) and d_b.shape == () and d_b.dtype == np.float32


def test_forward_mode_and_value_stay_lazy():
    inputs = logistic.example_inputs()
    args = [chunked(v) for v in inputs.values()]
    direction = np.linspace(-1.0, 1.0, 3)
    expected = direction @ s2sad.grad(logistic.loss)(*inputs.values())
    for _ in range(2):
        value, tangent = s2sad.jvp(logistic.loss, wrt="w")(*args, direction)
        assert isinstance(value, da.Array) and isinstance(tangent, da.Array)
        assert float(tangent.compute()) == pytest.approx(expected, rel=1e-12)
    value, d_w = s2sad.value_and_grad(logistic.loss)(*args)
    assert isinstance(value, da.Array) and float(value.compute()) == pytest.approx(logistic.loss(*inputs.values()))


class Tagged(np.ndarray):
    """A numpy subclass that adds nothing: it must flow through as numpy's own arrays do."""


def test_numpy_subclass():
    inputs = mlp.example_inputs()
    wrt = ("W1", "b1", "W2", "b2")
    expected = s2sad.grad(mlp.loss, wrt=wrt)(*inputs.values())
    args = [v.view(Tagged) if isinstance(v, np.ndarray) else v for v in inputs.values()]
    for _ in range(2):
        for value, reference in zip(s2sad.grad(mlp.loss, wrt=wrt)(*args), expected, strict=True):
            assert isinstance(value, np.ndarray)
            np.testing.assert_allclose(value, reference, rtol=1e-12, atol=1e-12)


def gather(x, rows):
    return np.sum(x[rows] ** 2)


def test_scatter_refused_at_the_users_line():
    """dask has no np.add.at: the adjoint of x[rows] with repeated rows is refused, naming the type."""
    x = chunked(np.arange(1.0, 7.0))
    with pytest.raises(s2sad.S2SADError) as error:
        s2sad.grad(gather)(x, np.array([1, 1, 2]))
    message = str(error.value)
    assert "dask.array.Array" in message and "np.add.at" in message
    assert error.value.origin.line == gather.__code__.co_firstlineno + 1
    assert "x[rows] ** 2" in message  # the user's line, shown


def update_through_view(x):
    y = x * 1.0
    v = y[1:]
    v[0] = v[0] * 3.0
    return np.sum(y * y)


def test_update_through_a_view_refused():
    """numpy updates y through its view v; dask has no views, so its arrays compute another function."""
    with pytest.raises(s2sad.S2SADError, match="dask.array.Array arrays: they have no views") as error:
        s2sad.grad(update_through_view)(chunked(np.arange(1.0, 7.0)))
    assert error.value.origin.line == update_through_view.__code__.co_firstlineno + 3


def solved(a, b):
    return np.sum(np.linalg.solve(a, b))


def test_numpy_only_helper_refused():
    """A derivative helper written for numpy alone (np.linalg) refuses dask arrays rather than computing them."""
    a = da.from_array(np.eye(3) * 2.0 + 0.1, chunks=3)
    with pytest.raises(s2sad.S2SADError, match=r"dask.array.Array arrays.*\n.*np.linalg.solve") as error:
        s2sad.grad(solved)(a, np.ones(3))
    assert error.value.origin.line == solved.__code__.co_firstlineno + 1


@pytest.mark.filterwarnings("ignore:Port 8787 is already in use")  # the module's cluster may hold it
def test_readme_example_runs(tmp_path):
    """README's "Large data: dask arrays" example, as written: gradient steps on a LocalCluster."""
    readme = (FIXTURES.parent / "README.md").read_text()
    section = readme[readme.index("### Large data: dask arrays") :]
    example = tmp_path / "dask_example.py"
    example.write_text(section[section.index("```python\n") + len("```python\n") : section.index("\n```\n") + 1])
    namespace = runpy.run_path(str(example), run_name="__main__")
    assert np.all(np.isfinite(namespace["w"])) and namespace["w"][0] > 0.0  # it learned the label's feature
