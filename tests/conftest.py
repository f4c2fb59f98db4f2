"""Test-wide settings: the on-disk cache of generated code goes to a temporary folder."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory):
    patch = pytest.MonkeyPatch()
    patch.setenv("S2SAD_CACHE_DIR", str(tmp_path_factory.mktemp("s2sad-cache")))
    yield
    patch.undo()
