"""Trust: derivatives follow the code that runs, and the disk cache runs nothing it did not write.

A second user is simulated by permissions (a folder or entry others can write),
by ownership (os.geteuid patched to another user), and by planted entries
(symlinks, FIFOs, devices, tampered or foreign content).
"""

import importlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import s2sad
from s2sad.backend import cache
from s2sad import pipeline
from s2sad.errors import NotFound
from tests.support import numeric_vjp, write_module

MODEL = "import numpy as np\n\n\ndef loss(x):\n    return np.sum(np.sin(x) * x)\n"
X = np.array([0.3, -1.2, 2.0])


def _assert_gradient(gradient, function):
    np.testing.assert_allclose(gradient(X), numeric_vjp(function, [X], (0,), 1.0)[0], rtol=1e-6, atol=1e-8)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch, new_process):
    folder = tmp_path / "cache"
    monkeypatch.setenv("S2SAD_CACHE_DIR", str(folder))
    monkeypatch.delenv("S2SAD_CACHE", raising=False)
    monkeypatch.delenv("S2SAD_CACHE_MB", raising=False)
    monkeypatch.syspath_prepend(tmp_path)  # importlib.reload finds the modules written there
    cache._WARNED.clear()
    return folder


def _edit(path, text):
    """Rewrite a file so that its size or modification time changes, as an editor does."""
    before = path.stat().st_mtime_ns
    path.write_text(text)
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def _no_compiling(monkeypatch):
    def compile_again(*args):
        raise AssertionError("generated again instead of reading the cache")

    monkeypatch.setattr(pipeline, "compile_unit", compile_again)


# -- the source is the code that runs ---------------------------------------------------------------


@pytest.mark.parametrize("cached", [True, False])
def test_an_edit_then_a_reload_gives_the_new_gradient(cached, tmp_path, cache_dir, monkeypatch):
    if not cached:
        monkeypatch.setenv("S2SAD_CACHE", "off")
    module = write_module(tmp_path, MODEL, stem=f"reloaded_{cached}")
    _assert_gradient(s2sad.grad(module.loss), module.loss)
    _edit(tmp_path / f"reloaded_{cached}.py", MODEL.replace("np.sin(x) * x", "np.cos(x) * x * x"))
    module = importlib.reload(module)
    gradient = s2sad.grad(module.loss)
    np.testing.assert_allclose(gradient(X), -np.sin(X) * X * X + 2 * X * np.cos(X), rtol=1e-12)


def test_an_edit_without_a_reload_is_refused_located(tmp_path, cache_dir):
    module = write_module(tmp_path, MODEL, stem="edited_only")
    s2sad.grad(module.loss)
    _edit(tmp_path / "edited_only.py", MODEL.replace("np.sin(x) * x", "np.cos(x)"))
    with pytest.raises(NotFound) as caught:
        s2sad.grad(module.loss)
    message = str(caught.value)
    assert "edited_only.py:4:1: error: the source of loss" in message
    assert "the file changed after the function was defined" in message and "reload" in message


def test_an_edited_helper_is_followed_after_its_module_is_reloaded(tmp_path, cache_dir):
    helpers = tmp_path / "trust_helpers.py"
    helpers.write_text("def twice(v):\n    return v * 2.0\n")
    model = write_module(tmp_path, "from trust_helpers import twice\n\n\ndef f(v):\n    return twice(v) * v\n")
    try:
        assert s2sad.grad(model.f)(1.5) == pytest.approx(6.0)
        _edit(helpers, "def twice(v):\n    return v * 3.0\n")
        with pytest.raises(NotFound, match="the source of twice"):
            s2sad.grad(model.f)  # the helper that runs is still v * 2.0
        importlib.reload(sys.modules["trust_helpers"])
        model = importlib.reload(model)
        assert s2sad.grad(model.f)(1.5) == pytest.approx(9.0)
    finally:
        sys.modules.pop("trust_helpers", None)


def test_stale_linecache_text_is_not_differentiated(tmp_path, cache_dir):
    """linecache keeps the text it read first: a reload alone does not refresh it."""
    import linecache

    module = write_module(tmp_path, MODEL, stem="stale_lines")
    path = str(tmp_path / "stale_lines.py")
    linecache.getlines(path)  # cached now
    stale = linecache.cache[path]
    _edit(tmp_path / "stale_lines.py", MODEL.replace("np.sin(x) * x", "np.sin(x) * x * 3.0"))
    module = importlib.reload(module)
    linecache.cache[path] = stale  # as if nothing had checked the file since
    np.testing.assert_allclose(s2sad.grad(module.loss)(X), 3.0 * (np.cos(X) * X + np.sin(X)), rtol=1e-12)


# -- two copies of a project ------------------------------------------------------------------------

PROJECT_MODEL = "from helpers import scale\n\n\ndef loss(x):\n    return scale(x) * x\n"
RUN = textwrap.dedent("""
    import sys, warnings
    warnings.simplefilter("error")
    sys.path.insert(0, sys.argv[1])
    import s2sad, model
    print(s2sad.grad(model.loss)(2.0))
""")


def _run_project(folder, cache_folder, *extra_path):
    env = {**os.environ, "S2SAD_CACHE_DIR": str(cache_folder), "PYTHONPATH": os.pathsep.join(map(str, extra_path))}
    env.pop("S2SAD_CACHE", None)
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(folder)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return float(done.stdout)


def test_two_copies_of_a_project_never_share_an_entry(tmp_path, cache_dir):
    for name, factor in (("one", 2.0), ("two", 5.0)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.py").write_text(PROJECT_MODEL)
        (tmp_path / name / "helpers.py").write_text(f"def scale(v):\n    return v * {factor}\n")
    assert _run_project(tmp_path / "one", cache_dir) == pytest.approx(8.0)  # d/dx 2 x^2 at 2
    assert _run_project(tmp_path / "two", cache_dir) == pytest.approx(20.0)
    assert _run_project(tmp_path / "one", cache_dir) == pytest.approx(8.0)


def test_one_model_file_with_helpers_found_elsewhere_is_not_served_the_old_entry(tmp_path, cache_dir):
    """The same model.py, its helpers module found in another folder (sys.path changed)."""
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.py").write_text(PROJECT_MODEL)
    for name, factor in (("a", 2.0), ("b", 5.0)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "helpers.py").write_text(f"def scale(v):\n    return v * {factor}\n")
    assert _run_project(tmp_path / "model", cache_dir, tmp_path / "a") == pytest.approx(8.0)
    assert _run_project(tmp_path / "model", cache_dir, tmp_path / "b") == pytest.approx(20.0)


# -- the folder ---------------------------------------------------------------------------------------


def _warm(tmp_path, stem):
    """A module whose gradient is in the cache; returns the module and its entry's path."""
    module = write_module(tmp_path, MODEL, stem=stem)
    s2sad.grad(module.loss)
    (entry,) = (tmp_path / "cache").glob("*.json")
    return module, entry


def test_the_folder_is_created_private(tmp_path, cache_dir):
    _warm(tmp_path, "private_folder")
    assert cache_dir.stat().st_mode & 0o777 == 0o700
    (entry,) = cache_dir.glob("*.json")
    assert entry.stat().st_mode & 0o077 == 0


def _planted(entry, source):
    """An entry with the right name and a well-formed content holding ``source``."""
    content = json.loads(entry.read_text())
    content["source"] = source
    return content


EVIL = 'import pathlib\npathlib.Path({flag!r}).write_text("ran")\n\ndef grad_loss(x):\n    return x * 0.0\n'


def _expect_fresh_and_warned(module, flag=None, words=""):
    """The gradient is generated afresh (right), a CacheWarning says why, planted code never ran."""
    cache._WARNED.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _assert_gradient(s2sad.grad(module.loss), module.loss)
    messages = [str(w.message) for w in caught if issubclass(w.category, cache.CacheWarning)]
    assert len(messages) == 1 and words in messages[0], messages
    if flag is not None:
        assert not os.path.exists(flag)


def test_a_folder_others_can_write_is_not_used(tmp_path, cache_dir, monkeypatch):
    module, entry = _warm(tmp_path, "open_folder")
    flag = str(tmp_path / "ran")
    planted = _planted(entry, EVIL.format(flag=flag))
    planted["sha256"] = cache._seal({k: v for k, v in planted.items() if k != "sha256"})
    entry.write_text(json.dumps(planted))  # sealed as s2sad would: only the folder gives it away
    cache_dir.chmod(0o777)
    _expect_fresh_and_warned(module, flag, "other users can write to it")
    assert json.loads(entry.read_text())["source"] == planted["source"]  # and nothing written there


def test_a_folder_of_another_user_is_not_used(tmp_path, cache_dir, monkeypatch):
    module, entry = _warm(tmp_path, "foreign_folder")
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(cache_dir).st_uid + 1)
    _expect_fresh_and_warned(module, None, "belongs to user")


def test_a_symlinked_folder_is_not_used(tmp_path, cache_dir, monkeypatch):
    module, _ = _warm(tmp_path, "linked_folder")
    link = tmp_path / "link"
    link.symlink_to(cache_dir)
    monkeypatch.setenv("S2SAD_CACHE_DIR", str(link))
    _expect_fresh_and_warned(module, None, "it is a symlink")


# -- entries ------------------------------------------------------------------------------------------


def test_a_tampered_entry_never_runs(tmp_path, cache_dir):
    module, entry = _warm(tmp_path, "tampered")
    flag = str(tmp_path / "ran")
    entry.write_text(json.dumps(_planted(entry, EVIL.format(flag=flag))))  # the seal no longer fits
    _expect_fresh_and_warned(module, flag, "its content is not what s2sad wrote")


def test_an_entry_raising_system_exit_never_runs(tmp_path, cache_dir):
    module, entry = _warm(tmp_path, "exits")
    entry.write_text(json.dumps(_planted(entry, "raise SystemExit(3)\n")))
    _expect_fresh_and_warned(module, None, "its content is not what s2sad wrote")


def test_an_entry_others_can_write_is_not_used(tmp_path, cache_dir):
    module, entry = _warm(tmp_path, "open_entry")
    entry.chmod(0o666)
    _expect_fresh_and_warned(module, None, "other users can write to it")


def test_an_entry_of_another_user_is_not_used(tmp_path, cache_dir, monkeypatch):
    module, entry = _warm(tmp_path, "foreign_entry")
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root (the folder's test covers ownership without)")
    os.chown(entry, 65534, -1)  # nobody
    _expect_fresh_and_warned(module, None, "belongs to user 65534")


def test_a_symlinked_entry_is_not_followed(tmp_path, cache_dir):
    module, entry = _warm(tmp_path, "linked_entry")
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(elsewhere)
    _expect_fresh_and_warned(module, None, "not using the cache entry")


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom"])
def test_an_entry_linked_to_a_device_is_not_read(target, tmp_path, cache_dir):
    module, entry = _warm(tmp_path, f"device_{target.rsplit('/', 1)[1]}")
    entry.unlink()
    entry.symlink_to(target)
    _expect_fresh_and_warned(module, None, "not using the cache entry")


def test_an_entry_that_is_a_fifo_does_not_hang(tmp_path, cache_dir):
    module, entry = _warm(tmp_path, "fifo_entry")
    entry.unlink()
    os.mkfifo(entry, 0o600)
    previous = signal.signal(signal.SIGALRM, lambda *args: pytest.fail("reading a FIFO entry hung"))
    signal.alarm(20)
    try:
        _expect_fresh_and_warned(module, None, "it is not a regular file")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_an_oversized_entry_is_not_read(tmp_path, cache_dir, monkeypatch):
    module, entry = _warm(tmp_path, "oversized")
    monkeypatch.setattr(cache, "ENTRY_LIMIT", entry.stat().st_size - 1)
    _expect_fresh_and_warned(module, None, "larger")


def test_an_entry_sealed_for_another_key_is_not_used(tmp_path, cache_dir):
    """Valid, sealed code for another function, copied under this function's name."""
    module = write_module(tmp_path, MODEL + "\n\ndef other(x):\n    return np.sum(x * 7.0)\n", stem="two_functions")
    s2sad.grad(module.loss)
    (loss_entry,) = cache_dir.glob("*.json")
    s2sad.grad(module.other)
    (other_entry,) = set(cache_dir.glob("*.json")) - {loss_entry}
    loss_entry.write_bytes(other_entry.read_bytes())
    _expect_fresh_and_warned(module, None, "its content is not what s2sad wrote")


# -- switching off, bounding, clearing ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "false", "False", "no", "OFF", " off "])
def test_the_usual_false_values_turn_the_cache_off(value, tmp_path, cache_dir, monkeypatch):
    monkeypatch.setenv("S2SAD_CACHE", value)
    module = write_module(tmp_path, MODEL)
    _assert_gradient(s2sad.grad(module.loss), module.loss)
    assert not cache_dir.exists()


def test_the_cache_keeps_the_most_recently_used_entries_within_its_bound(tmp_path, cache_dir, monkeypatch):
    names = [f"f{k}" for k in range(5)]
    module = write_module(
        tmp_path,
        "import numpy as np\n"
        + "".join(f"\n\ndef {name}(x):\n    return np.sum(np.sin(x) * {k + 1}.0)\n" for k, name in enumerate(names)),
    )
    s2sad.grad(module.f0)
    (first,) = cache_dir.glob("*.json")
    size = first.stat().st_size
    monkeypatch.setenv("S2SAD_CACHE_MB", str(3.5 * size / 2**20))  # room for three entries
    for name in names[1:3]:
        time.sleep(0.01)
        s2sad.grad(getattr(module, name))
    time.sleep(0.01)
    s2sad.grad(module.f0)  # read: now the most recently used
    for name in names[3:]:  # each evicts the least recently used: f1, then f2
        time.sleep(0.01)
        s2sad.grad(getattr(module, name))
    entries = list(cache_dir.glob("*.json"))
    assert len(entries) == 3 and first in entries
    assert sum(entry.stat().st_size for entry in entries) <= 3.5 * size
    _no_compiling(monkeypatch)
    np.testing.assert_allclose(s2sad.grad(module.f0)(X), np.cos(X), rtol=1e-12)


def test_cache_info_and_clear(tmp_path, cache_dir, monkeypatch, capsys):
    from s2sad.cli import main

    _warm(tmp_path, "listed")
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert str(cache_dir) in out and "1 entry" in out
    assert main(["cache", "clear"]) == 0
    assert "removed 1 entry" in capsys.readouterr().out
    assert not list(cache_dir.glob("*.json"))
    cache_dir.chmod(0o777)
    assert main(["cache", "info"]) == 0
    assert "other users can write to it" in capsys.readouterr().out
    assert main(["cache", "clear"]) == 1
    assert "other users can write to it" in capsys.readouterr().err
    monkeypatch.setenv("S2SAD_CACHE", "0")
    assert main(["cache", "info"]) == 0
    assert "off" in capsys.readouterr().out
