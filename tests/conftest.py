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
