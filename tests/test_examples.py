"""The examples in examples/ run (each in its quick mode, no display) and show what they claim.

Each script is imported by path and its ``main("quick", out=...)`` called with the PNG written
under tmp_path; the notebook's code cells are executed in order with ``exec``, each registered in
linecache under its own name, as IPython does, so s2sad can read the functions they define.
"""

import importlib.util
import json
import linecache
import pathlib
import struct
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # before pyplot is imported anywhere: no display

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def run_example(name, tmp_path, monkeypatch):
    """Import examples/<name>.py as a module and run its quick mode; returns its result and the PNG's path."""
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    monkeypatch.chdir(tmp_path)
    image = tmp_path / "images" / f"{name}.png"
    return module.main("quick", out=image), image


def assert_real_png(path):
    """A PNG file (signature and IHDR chunk) of a figure's size, small enough to commit."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 300 and height >= 200, (width, height)
    assert 5_000 < len(data) < 150_000, len(data)


def test_mlp_classifier_learns_the_two_moons(tmp_path, monkeypatch):
    result, image = run_example("mlp_classifier", tmp_path, monkeypatch)
    assert_real_png(image)
    assert result["gradient_error"] < 1e-5
    assert result["losses"][-1] < result["losses"][0] / 5
    assert result["accuracy"] > 0.95


def test_ode_fit_recovers_the_rates(tmp_path, monkeypatch):
    result, image = run_example("ode_fit", tmp_path, monkeypatch)
    assert_real_png(image)
    assert result["gradient_error"] < 1e-5
    assert result["result"].success
    np.testing.assert_allclose(result["rates"], result["true_rates"], rtol=0.15)


def test_gaussian_process_newton_fit(tmp_path, monkeypatch):
    result, image = run_example("gaussian_process", tmp_path, monkeypatch)
    assert_real_png(image)
    assert result["gradient_error"] < 1e-5 and result["hessian_error"] < 1e-5
    assert result["result"].success and result["result"].fun < result["start_value"] - 1.0
    assert np.max(np.abs(result["result"].jac)) < 1e-4  # a stationary point
    noise_std = np.sqrt(result["params"][2])
    assert 0.1 < noise_std < 0.4  # the data's noise is 0.2


def test_long_simulation_checkpointing_saves_memory(tmp_path, monkeypatch):
    result, image = run_example("long_simulation", tmp_path, monkeypatch)
    assert_real_png(image)
    assert result["agree"]  # the checkpointed gradient is the taped one, bit for bit
    assert result["gradient_error"] < 1e-5
    measurements = result["measurements"]
    taped_peak = measurements[None][1]
    assert all(peak < taped_peak / 5 for k, (_, peak) in measurements.items() if k is not None)


def test_dask_loss_matches_numpy(tmp_path, monkeypatch):
    result, image = run_example("dask_loss", tmp_path, monkeypatch)
    assert_real_png(image)
    assert result["difference"] < 1e-12
    assert result["gradient_error"] < 1e-5
    np.testing.assert_allclose(result["dask_losses"], result["numpy_losses"], rtol=1e-12)
    assert result["numpy_losses"][-1] < result["numpy_losses"][0]


def test_tour_notebook_runs(tmp_path, monkeypatch):
    notebook = json.loads((EXAMPLES / "tour.ipynb").read_text())
    assert notebook["nbformat"] == 4 and notebook["nbformat_minor"] >= 4
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code_cells and all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code_cells)
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__main__"}
    for number, cell in enumerate(code_cells):
        text = "".join(cell["source"])
        filename = f"<tour.ipynb cell {number}>"
        monkeypatch.setitem(linecache.cache, filename, (len(text), None, text.splitlines(keepends=True), filename))
        exec(compile(text, filename, "exec"), namespace)
    assert namespace["losses"][-1] < namespace["losses"][0] / 2
    import matplotlib.pyplot as plt

    figure = plt.gcf()
    figure.savefig(tmp_path / "tour.png", dpi=80)
    plt.close("all")
    assert_real_png(tmp_path / "tour.png")


@pytest.mark.parametrize("name", ["mlp_classifier", "ode_fit", "gaussian_process", "long_simulation", "dask_loss"])
def test_committed_picture(name):
    assert_real_png(EXAMPLES / "images" / f"{name}.png")
