"""Interrupted runs leave nothing half-written behind that a later run would trust.

- The on-disk cache (s2sad.backend.cache): a process killed while storing an entry, and entries
  damaged in every way a disk can damage them, are ignored; the next run rebuilds the
  entry and gives the right gradient.
- ``s2sad grad -o FILE``: a run killed, terminated or interrupted while writing never
  leaves a partial FILE (the old one stays, or none); SIGTERM and Ctrl-C also remove the
  temporary file; the next run writes FILE whole.

Processes are paused at the chosen moment by a replaced ``json.dump`` or ``os.fsync``
(SCRIPT) and signalled there; they run at once (each costs about a second to start).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import s2sad
from s2sad.backend import cache
from s2sad import pipeline
from tests.support import numeric_vjp, write_module

MODEL = textwrap.dedent("""
    import numpy as np


    def loss(w, x):
        total = 0.0
        for row in x:
            total = total + np.tanh(row @ w) ** 2
        return total
""")

# Run the API (a gradient: the cache stores it) or the CLI, pausing in the middle of a write: the
# entry's temporary file is written, not yet renamed; os.fsync comes after the module is written.
SCRIPT = textwrap.dedent("""
    import os, signal, sys, time

    # Ctrl-C as a terminal sends it, even when the tests run in a background job (which ignores SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)

    def pause():
        print("paused", flush=True)
        time.sleep(120)

    def paused_replace(*args, **keywords):
        pause()

    def paused_fsync(descriptor):
        pause()

    what, folder = sys.argv[1], sys.argv[2]
    sys.path.insert(0, folder)
    os.chdir(folder)
    if what == "api":
        os.replace = paused_replace
        import s2sad, model
        s2sad.grad(model.loss)
    else:
        os.fsync = paused_fsync
        from s2sad.cli import main
        sys.exit(main(["grad", "model.py:loss", "-o", "grad.py"]))
""")

OLD = "# the module of an earlier run\n"


def _inputs():
    return np.array([0.3, -0.8]), np.array([[1.0, 0.5], [-0.2, 0.7], [0.4, -1.1]])


def _check(gradient, module) -> None:
    w, x = _inputs()
    np.testing.assert_allclose(gradient(w, x), numeric_vjp(module.loss, [w, x], (0,), 1.0)[0], rtol=1e-5, atol=1e-6)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch, new_process):
    folder = tmp_path / "cache"
    monkeypatch.setenv("S2SAD_CACHE_DIR", str(folder))
    monkeypatch.delenv("S2SAD_CACHE", raising=False)
    cache._WARNED.clear()  # each test sees its own warnings
    return folder


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


def _cached_module(folder: Path, stem: str):
    """The model imported from ``folder`` (its own file, so the cache key is the subprocess's)."""
    return write_module(folder, MODEL, stem=stem)


# -- the cache -----------------------------------------------------------------------------------

DAMAGE = {
    "cut-short": lambda text: text[: len(text) // 2],
    "not-text": lambda text: "\x00\xff\xfe garbage",
    "not-an-object": lambda text: "[1, 2, 3]",
    "source-cut-short": lambda text: json.dumps({**json.loads(text), "source": json.loads(text)["source"][:300]}),
    "source-of-another-function": lambda text: json.dumps(
        {**json.loads(text), "source": "def grad_other(w, x):\n    return w\n"}
    ),
    "source-not-a-string": lambda text: json.dumps({**json.loads(text), "source": 42}),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_entry_is_rebuilt(damage, tmp_path, cache_dir):
    module = _cached_module(tmp_path, f"damaged_{damage.replace('-', '_')}")
    s2sad.grad(module.loss)
    (entry,) = _entries(cache_dir)
    text = entry.read_text()
    entry.write_bytes(DAMAGE[damage](text).encode("utf-8", "surrogateescape"))
    with pytest.warns(cache.CacheWarning, match="not using the cache entry"):
        _check(s2sad.grad(module.loss), module)  # generated again, not read from the entry
    assert entry.read_text() == text  # and the entry replaced by a whole one
    assert not list(cache_dir.glob(".entry-*"))


def test_an_entry_that_is_a_folder_is_ignored(tmp_path, cache_dir):
    module = _cached_module(tmp_path, "entry_folder")
    s2sad.grad(module.loss)
    (entry,) = _entries(cache_dir)
    entry.unlink()
    entry.mkdir()
    with pytest.warns(cache.CacheWarning, match="it is not a regular file"):
        _check(s2sad.grad(module.loss), module)
    assert entry.is_dir() and not list(cache_dir.glob(".entry-*"))


# -- a process killed while writing --------------------------------------------------------------


def _start(what: str, folder: Path, cache: Path) -> subprocess.Popen:
    env = {**os.environ, "S2SAD_CACHE_DIR": str(cache)}
    env.pop("S2SAD_CACHE", None)
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, what, str(folder)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory):
    """Four processes paused mid-write, then signalled: name -> (folder, exit status, stderr)."""
    root = tmp_path_factory.mktemp("interrupted")
    plans = {
        "cache": ("api", signal.SIGKILL),
        "kill": ("cli", signal.SIGKILL),
        "terminate": ("cli", signal.SIGTERM),
        "interrupt": ("cli", signal.SIGINT),
    }
    started = {}
    for name, (what, number) in plans.items():
        folder = root / name
        folder.mkdir()
        (folder / "model.py").write_text(MODEL)
        (folder / "grad.py").write_text(OLD)
        started[name] = (folder, number, _start(what, folder, root / "cache"))
    results = {}
    for name, (folder, number, process) in started.items():
        line = process.stdout.readline()
        if line.strip() == "paused":
            process.send_signal(number)
        _, stderr = process.communicate(timeout=120)
        assert line.strip() == "paused", stderr
        results[name] = (folder, process.returncode, stderr)
    return root, results


def test_a_process_killed_while_storing_a_cache_entry(interrupted, monkeypatch):
    root, results = interrupted
    folder, status, _ = results["cache"]
    cache = root / "cache"
    assert status == -signal.SIGKILL
    assert _entries(cache) == []  # only the temporary file, never a partial entry
    (temporary,) = cache.glob(".entry-*.tmp")
    monkeypatch.setenv("S2SAD_CACHE_DIR", str(cache))
    monkeypatch.delenv("S2SAD_CACHE", raising=False)
    module = write_module(folder, MODEL, stem="killed_model")
    _check(s2sad.grad(module.loss), module)  # rebuilt
    entries = _entries(cache)  # the gradient for any arguments, and the one specialized to these
    assert entries and all(json.loads(e.read_text())["source"].startswith('"""Generated by s2sad') for e in entries)

    def compile_again(*args):
        raise AssertionError("compiled again instead of reading the entry")

    monkeypatch.setattr(pipeline, "compile_unit", compile_again)
    _check(s2sad.grad(write_module(folder, MODEL, stem="killed_model").loss), module)  # read from the cache
    assert temporary.exists()  # another process's file (it may still be writing): left alone


@pytest.mark.parametrize(
    "name, status, leftover",
    [
        ("kill", -signal.SIGKILL, True),  # nothing runs after SIGKILL: the temporary file stays
        ("terminate", 128 + signal.SIGTERM, False),
        ("interrupt", 128 + signal.SIGINT, False),
    ],
)
def test_an_interrupted_output_file_is_never_half_written(interrupted, name, status, leftover, monkeypatch, capsys):
    _, results = interrupted
    folder, returncode, stderr = results[name]
    assert returncode == status, stderr
    assert "Traceback" not in stderr
    assert (folder / "grad.py").read_text() == OLD  # the earlier module, whole
    temporaries = list(folder.glob(".grad.py.*.tmp"))
    assert bool(temporaries) == leftover
    # The next run writes the module whole.
    from s2sad.cli import main

    monkeypatch.chdir(folder)
    assert main(["grad", "model.py:loss", "-o", "grad.py"]) == 0
    generated = write_module(folder, (folder / "grad.py").read_text(), stem=f"grad_after_{name}")
    _check(generated.grad_loss, write_module(folder, MODEL, stem=f"model_after_{name}"))
    assert capsys.readouterr().out == ""


# -- -o when writing fails ------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError(28, "No space left on device")])
def test_a_failed_write_leaves_the_old_output_and_no_temporary_file(failure, tmp_path, monkeypatch, capsys):
    from s2sad.cli import main

    (tmp_path / "model.py").write_text(MODEL)
    (tmp_path / "grad.py").write_text(OLD)
    monkeypatch.chdir(tmp_path)

    def fail(descriptor):
        raise failure

    monkeypatch.setattr(os, "fsync", fail)
    status = main(["grad", "model.py:loss", "-o", "grad.py"])
    err = capsys.readouterr().err
    if failure is KeyboardInterrupt:
        assert status == 128 + signal.SIGINT and "interrupted" in err
    else:
        assert status == 1 and "cannot write grad.py: No space left on device" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grad.py", "model.py"]
    assert (tmp_path / "grad.py").read_text() == OLD
