"""Read-only and full storage, and packages rewritten in place by hand."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from app.factory import create_app
from app.options import Config
from tests.helpers import make_chart
from tests.helpers import make_tgz
from tests.volumes import Volume
from tests.volumes import volume


@pytest.fixture
def vol(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Volume]:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where state goes when read-only
    with volume(os.path.join(str(tmp_path), "storage"), size="2m") as mounted:
        yield mounted


def _client(root: str, **options: Any) -> Any:
    return create_app(Config(storage="local", storage_local_rootdir=root, **options)).test_client()


def _error(response: Any, root: str) -> str:
    assert root not in response.get_data(as_text=True)
    return str(json.loads(response.data)["error"])


def _seed(root: str) -> None:
    with open(os.path.join(root, "mychart-0.1.0.tgz"), "wb") as fh:
        fh.write(make_chart())


def test_starts_and_serves_reads_on_read_only_storage(vol: Volume) -> None:
    _seed(vol.path)
    vol.make_read_only()
    client = _client(vol.path)  # no --cache-dir: the state goes to a writable folder
    assert [n for n in os.listdir(os.path.dirname(vol.path)) if n.startswith("chartmuseum-")]
    assert b"mychart" in client.get("/index.yaml").data
    assert client.get("/charts/mychart-0.1.0.tgz").status_code == 200
    upload = client.post("/api/charts", data=make_chart("other", "1.0.0"))
    assert upload.status_code == 503
    assert _error(upload, vol.path) == "storage is read-only"
    removal = client.delete("/api/charts/mychart/0.1.0")
    assert (removal.status_code, _error(removal, vol.path)) == (503, "storage is read-only")


def test_storage_turning_read_only_while_running(vol: Volume) -> None:
    _seed(vol.path)
    client = _client(vol.path)
    assert client.post("/api/charts", data=make_chart("web", "1.0.0")).status_code == 201
    vol.make_read_only()
    for response in (
        client.post("/api/charts", data=make_chart("web", "1.1.0")),
        client.post("/api/charts?force", data=make_chart("web", "1.0.0")),
        client.delete("/api/charts/web/1.0.0"),
    ):
        assert response.status_code == 503
        assert _error(response, vol.path) == "storage is read-only"
    index = client.get("/index.yaml")
    assert index.status_code == 200 and b"web" in index.data and b"mychart" in index.data


def test_disk_full_is_507_and_leaves_no_partial_file(
    vol: Volume, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(vol.path, cache_dir=os.path.join(str(tmp_path), "cache"))
    big = make_tgz(
        {
            "Chart.yaml": "apiVersion: v2\nname: big\nversion: 1.0.0\n",
            "blob": os.urandom(3 << 20),  # incompressible: more than the 2 MiB volume
        },
        top="big",
    )
    if not vol.mounted:  # no tmpfs to fill: fail the write the way a full disk does
        import backends.local

        def full(fd: int) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(backends.local.os, "fsync", full)
    response = client.post("/api/charts", data=big)
    assert response.status_code == 507
    assert _error(response, vol.path) == "storage is full"
    assert [n for n in os.listdir(vol.path) if not n.startswith(".chartmuseum")] == []


def test_package_rewritten_in_place_is_noticed_on_the_next_request(storage: str) -> None:
    client = _client(storage)
    assert client.post("/api/charts", data=make_chart(description="first")).status_code == 201
    assert b"first" in client.get("/index.yaml").data
    before = os.stat(storage).st_mtime_ns
    # same inode, new size: a rewrite keeping size and mtime (within the file system's
    # timestamp tick) would look unchanged to the re-scan, as for any re-scan
    with open(os.path.join(storage, "mychart-0.1.0.tgz"), "r+b") as fh:
        fh.truncate(0)
        fh.write(make_chart(description="second", home=os.urandom(64).hex()))
    assert os.stat(storage).st_mtime_ns == before  # the folder stat cannot see it
    index = client.get("/index.yaml").data
    assert b"second" in index and b"first" not in index
    described = json.loads(client.get("/api/charts/mychart/0.1.0").data)
    assert described["description"] == "second"
