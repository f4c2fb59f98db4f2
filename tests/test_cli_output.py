"""`s2sad grad -o FILE` writes regular files only (DESIGN.md §8).

A device, FIFO, socket or folder at FILE (through symlinks) is refused before
anything is compiled, and again just before the rename; a read-only FILE is
refused unless --force. The CLI runs in this process (``cli.main``): a
subprocess costs a second each. Opening a FIFO blocks, so the tests that make
one run under a time limit: a regression fails them instead of hanging.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import stat
import tempfile
import threading
from pathlib import Path

import pytest

from s2sad import cli
from s2sad.cli.output import NotARegularFile, write_atomically

ROOT = Path(__file__).resolve().parent.parent
MODEL = str(ROOT / "fixtures" / "logistic.py") + ":loss"
OLD = "# the old module\n"
TIME_LIMIT = 60  # seconds; compiling the model takes about one


class _Hung(BaseException):  # BaseException: nothing on the way may swallow it
    pass


@pytest.fixture
def time_limit():
    """Fail the test, instead of hanging the suite, if it blocks (on opening a FIFO)."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("the time limit needs signals, which only the main thread receives")

    def hung(number, frame):
        raise _Hung(f"still running after {TIME_LIMIT} s: something opened the FIFO")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def confined(tmp_path, monkeypatch):
    """Temporary files and renames only inside tmp_path: a regression cannot touch /dev."""
    real_mkstemp, real_replace = tempfile.mkstemp, os.replace

    def inside(path) -> bool:
        return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(tmp_path))

    def mkstemp(*args, dir=None, **kwargs):
        if not inside(dir):
            pytest.fail(f"a temporary file was about to be made in {dir}")
        return real_mkstemp(*args, dir=dir, **kwargs)

    def replace(source, destination, **kwargs):
        if not inside(destination):
            pytest.fail(f"{destination} was about to be replaced")
        return real_replace(source, destination, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(os, "replace", replace)


@pytest.fixture
def short_folder():
    """A folder with a short path: a socket's path must fit in about 100 bytes (tmp_path may not)."""
    folder = tempfile.mkdtemp(prefix="s2sad-", dir=tempfile.gettempdir())
    yield Path(folder)
    shutil.rmtree(folder)


def _grad(capsys, *arguments: str) -> tuple[int, str]:
    """Run `s2sad grad MODEL ARGUMENTS...`; its exit status and stderr."""
    try:
        status = cli.main(["grad", MODEL, *arguments])
    except SystemExit as exit:  # argparse
        status = exit.code
    return status, capsys.readouterr().err


def _one_line(message: str) -> str:
    lines = message.strip().splitlines()
    assert len(lines) == 1, message
    return lines[0]


def _is_module(path: Path) -> bool:
    return stat.S_ISREG(os.lstat(path).st_mode) and "def grad_loss(" in path.read_text()


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# -- regular files ---------------------------------------------------------------------------


def test_a_new_path_is_created(tmp_path, capsys):
    output = tmp_path / "grad.py"
    umask = os.umask(0)
    os.umask(umask)
    assert _grad(capsys, "-o", str(output)) == (0, "")
    assert _is_module(output)
    assert _mode(output) == 0o666 & ~umask
    assert os.listdir(tmp_path) == ["grad.py"]


def test_a_replaced_file_keeps_its_mode(tmp_path, capsys):
    output = tmp_path / "grad.py"
    output.write_text(OLD)
    output.chmod(0o640)
    assert _grad(capsys, "-o", str(output)) == (0, "")
    assert _is_module(output)
    assert _mode(output) == 0o640


def test_a_read_only_file_is_refused_without_force(tmp_path, capsys):
    output = tmp_path / "grad.py"
    output.write_text(OLD)
    output.chmod(0o444)  # no write bit: read-only even for root, whom os.access lets write anything
    status, err = _grad(capsys, "-o", str(output))
    assert status == 2
    line = _one_line(err)
    assert "read-only" in line and "--force" in line
    assert output.read_text() == OLD
    assert _mode(output) == 0o444


def test_a_read_only_file_is_replaced_with_force(tmp_path, capsys):
    output = tmp_path / "grad.py"
    output.write_text(OLD)
    output.chmod(0o444)
    assert _grad(capsys, "-o", str(output), "--force") == (0, "")
    assert _is_module(output)
    assert _mode(output) == 0o444


def test_force_without_output_is_a_usage_error(tmp_path, capsys):
    status, err = _grad(capsys, "--force")
    assert status == 2
    assert "--force" in _one_line(err) and "-o" in err


def test_a_dangling_symlink_gets_a_new_regular_file_at_its_target(tmp_path, capsys):
    link, target = tmp_path / "grad.py", tmp_path / "generated.py"
    link.symlink_to(target.name)
    assert _grad(capsys, "-o", str(link)) == (0, "")
    assert link.is_symlink() and os.readlink(link) == target.name
    assert _is_module(target)


def test_a_dangling_symlink_into_a_missing_folder_is_refused(tmp_path, capsys):
    link = tmp_path / "grad.py"
    link.symlink_to(tmp_path / "missing" / "grad.py")
    status, err = _grad(capsys, "-o", str(link))
    assert status == 2
    assert "no such folder" in _one_line(err)
    assert link.is_symlink() and not (tmp_path / "missing").exists()


# -- not regular files: refused, with or without --force --------------------------------------


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_a_fifo_is_refused(force, tmp_path, capsys, time_limit):
    fifo = tmp_path / "grad.py"
    os.mkfifo(fifo)
    status, err = _grad(capsys, "-o", str(fifo), *force)
    assert status == 2
    assert f"-o {fifo} is a FIFO (named pipe), not a regular file" in _one_line(err)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["grad.py"]


def test_a_socket_is_refused(short_folder, capsys):
    path = short_folder / "grad.py"
    with contextlib.closing(socket.socket(socket.AF_UNIX)) as server:
        server.bind(str(path))
        status, err = _grad(capsys, "-o", str(path), "--force")
    assert status == 2
    assert "is a socket, not a regular file" in _one_line(err)
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
    assert os.listdir(short_folder) == ["grad.py"]


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_dev_null_is_refused(force, capsys, confined):
    if not stat.S_ISCHR(os.stat(os.devnull).st_mode):
        pytest.skip(f"{os.devnull} is not a character device here")
    status, err = _grad(capsys, "-o", os.devnull, *force)
    assert status == 2
    assert _one_line(err) == (
        f"s2sad grad: error: -o {os.devnull} is a character device, not a regular file; give a file path"
    )
    assert stat.S_ISCHR(os.lstat(os.devnull).st_mode)


def test_a_symlink_to_dev_null_is_refused(tmp_path, capsys, confined):
    if not stat.S_ISCHR(os.stat(os.devnull).st_mode):
        pytest.skip(f"{os.devnull} is not a character device here")
    link = tmp_path / "grad.py"
    link.symlink_to(os.devnull)
    status, err = _grad(capsys, "-o", str(link), "--force")
    assert status == 2
    line = _one_line(err)
    assert "is a character device" in line and f"leads to {os.devnull}" in line
    assert link.is_symlink() and os.readlink(link) == os.devnull
    assert stat.S_ISCHR(os.lstat(os.devnull).st_mode)


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_a_folder_is_refused(force, tmp_path, capsys):
    folder = tmp_path / "grad.py"
    folder.mkdir()
    status, err = _grad(capsys, "-o", str(folder), *force)
    assert status == 2
    assert "is a folder, not a regular file" in _one_line(err)
    assert folder.is_dir() and not folder.is_symlink() and os.listdir(folder) == []
    assert os.listdir(tmp_path) == ["grad.py"]


# -- the check again, right before the rename ---------------------------------------------------


def test_write_atomically_refuses_a_fifo(tmp_path, time_limit):
    fifo = tmp_path / "grad.py"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFile, match="is a FIFO"):
        write_atomically(str(fifo), "x = 1\n")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["grad.py"]


def _fifo_while_writing(monkeypatch, path: Path) -> None:
    """Once the temporary file is written, put a FIFO where ``path`` was (as another process could)."""
    real_fsync = os.fsync

    def fsync(descriptor):
        real_fsync(descriptor)
        path.unlink()
        os.mkfifo(path)

    monkeypatch.setattr(os, "fsync", fsync)


def test_write_atomically_checks_again_before_replacing(tmp_path, monkeypatch, time_limit):
    output = tmp_path / "grad.py"
    output.write_text(OLD)
    _fifo_while_writing(monkeypatch, output)
    with pytest.raises(NotARegularFile, match="is a FIFO"):
        write_atomically(str(output), "x = 1\n")
    assert stat.S_ISFIFO(os.lstat(output).st_mode)
    assert os.listdir(tmp_path) == ["grad.py"]  # no temporary file left


def test_grad_reports_a_late_fifo_with_status_1(tmp_path, monkeypatch, capsys, time_limit):
    output = tmp_path / "grad.py"
    output.write_text(OLD)
    _fifo_while_writing(monkeypatch, output)
    status, err = _grad(capsys, "-o", str(output))
    assert status == 1
    line = _one_line(err)
    assert line.startswith(f"s2sad grad: error: cannot write {output}:") and "is a FIFO" in line
    assert stat.S_ISFIFO(os.lstat(output).st_mode)
    assert os.listdir(tmp_path) == ["grad.py"]
