"""Test-wide settings: the on-disk cache of generated code goes to a temporary folder, and every
compilation checks the IR's invariants after each pass that makes it (S2SAD_LINT, s2sad/core/ir_lint.py)."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory):
    patch = pytest.MonkeyPatch()
    patch.setenv("S2SAD_CACHE_DIR", str(tmp_path_factory.mktemp("s2sad-cache")))
    patch.setenv("S2SAD_LINT", "1")
    yield
    patch.undo()


class _Forgetful(dict):
    """In place of the derivatives s2sad.api made in this process: s2sad.grad reads the disk (or
    generates) each time, as a new process would."""

    def get(self, key, default=None):
        return default


@pytest.fixture
def new_process(monkeypatch):
    """Each s2sad.grad in the test starts as in a new process (tests that plant or damage cache entries
    between two calls, or watch generation happen)."""
    import s2sad.api

    monkeypatch.setattr(s2sad.api, "_MADE", _Forgetful())
