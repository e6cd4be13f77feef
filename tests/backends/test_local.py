"""The local filesystem backend against the storage contract."""

from __future__ import annotations

import os

import pytest

from backends.local import LocalFilesystemBackend
from tests.backends.contract import BackendContract


@pytest.fixture
def make_backend(tmp_path):
    return lambda prefix: LocalFilesystemBackend(os.path.join(str(tmp_path), prefix))


class TestLocal(BackendContract):
    def test_change_token_moves_with_the_listing(self, backend) -> None:
        before = backend.change_token("org1")
        backend.put_object("org1/a.tgz", b"a")
        after_put = backend.change_token("org1")
        assert after_put != before
        assert backend.change_token("org1") == after_put
        backend.delete_object("org1/a.tgz")
        assert backend.change_token("org1") != after_put

    def test_no_temporary_files_left(self, backend, tmp_path) -> None:
        backend.put_object("a.tgz", b"a")
        with pytest.raises(Exception):  # noqa: B017
            backend.put_object("a.tgz", b"b", overwrite=False)
        assert [o.path for o in backend.list_objects("")] == ["a.tgz"]
        assert not [n for n in os.listdir(backend.rootdir) if n.startswith(".cm-tmp-")]
