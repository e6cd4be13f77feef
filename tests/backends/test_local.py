"""The local filesystem backend against the storage contract."""

from __future__ import annotations

import os

import pytest

from backends.base import ObjectNotFound
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

    def test_only_regular_files_are_objects(self, backend) -> None:
        os.makedirs(os.path.join(backend.rootdir, "dir.tgz"))
        os.mkfifo(os.path.join(backend.rootdir, "fifo.tgz"))  # a read would wait forever
        for name in ("dir.tgz", "fifo.tgz"):
            with pytest.raises(ObjectNotFound):
                backend.get_object(name)

    def test_a_file_that_grew_since_its_stat_is_read_whole(self, backend, monkeypatch) -> None:
        backend.put_object("grown.tgz", b"x" * 10)
        real_fstat = os.fstat

        def stale_fstat(fd: int) -> os.stat_result:  # the size before an append
            st = real_fstat(fd)
            fields = list(st)
            fields[6] = 4  # st_size
            return os.stat_result(fields)

        monkeypatch.setattr(os, "fstat", stale_fstat)
        assert backend.get_object("grown.tgz").content == b"x" * 10
