"""index.yaml and packages are answered from files through ``wsgi.file_wrapper`` (gunicorn
sends those with ``sendfile(2)``), with the same status codes, headers and bytes as before.

The rendered index is written once per version into the cache folder, named by its ETag,
when a worker is asked for that version again; when that folder cannot be written the index
is served from memory.
"""

from __future__ import annotations

import errno
import gzip
import os
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from typing import BinaryIO

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder

from app.http import SMALL_FILE
from app.index import persisted
from app.index import served
from app.index.chart_index import WRITE_ON_REQUEST
from app.index.served import ServedFolder
from app.services import KEY
from app.worker.inline import INLINE
from tests.deploy.support import big_chart
from tests.helpers import make_chart
from tests.helpers import make_prov


class RecordingWrapper:
    """A server's ``wsgi.file_wrapper``: keeps the file the application hands over."""

    def __init__(self, filelike: BinaryIO, blksize: int = 8192) -> None:
        self.filelike = filelike
        self.blksize = blksize

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.filelike.read(self.blksize):
            yield chunk

    def close(self) -> None:
        self.filelike.close()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    file: str | None  # the file sent through wsgi.file_wrapper, None for bytes


def call(
    app: Flask,
    path: str,
    headers: dict[str, str] | None = None,
    inline: bool = False,
    method: str = "GET",
) -> Answer:
    """One request straight through the WSGI interface, as gunicorn makes it (``inline``:
    as the worker's main loop runs it, see :mod:`app.worker.inline`)."""
    environ = EnvironBuilder(path=path, headers=headers, method=method).get_environ()
    environ["wsgi.file_wrapper"] = RecordingWrapper
    environ[INLINE] = inline
    started: dict[str, Any] = {}

    def start_response(status: str, hdrs: list[tuple[str, str]], exc_info: Any = None) -> None:
        started.update(status=int(status.split()[0]), headers=dict(hdrs))

    iterable = app(environ, start_response)
    try:
        file = iterable.filelike.name if isinstance(iterable, RecordingWrapper) else None
        body = b"".join(iterable)
    finally:
        if hasattr(iterable, "close"):
            iterable.close()
    return Answer(started["status"], started["headers"], body, file)


def upload(app: Flask, *charts: tuple[str, str]) -> None:
    client = app.test_client()
    for name, version in charts:
        assert client.post("/api/charts", data=make_chart(name, version)).status_code == 201


def served_files(app: Flask, repo: str = "") -> dict[str, bytes]:
    """The index files of ``repo`` in the app's cache folder, by name."""
    cache_dir = app.extensions[KEY].repository.engine.settings.cache_dir
    folder = ServedFolder.for_repo(cache_dir, repo).folder
    if not os.path.isdir(folder):
        return {}
    out = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as fh:
            out[name] = fh.read()
    return out


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    flask_app = make_app()
    upload(flask_app, ("alpha", "1.0.0"), ("beta", "0.2.0"))
    return flask_app


# -- index.yaml ---------------------------------------------------------------------------------
def test_the_index_is_sent_from_its_file_in_the_state_folder(app: Flask) -> None:
    for _ in range(WRITE_ON_REQUEST):
        plain = call(app, "/index.yaml")
        zipped = call(app, "/index.yaml", {"Accept-Encoding": "gzip"})
    tag = plain.headers["ETag"].strip('"')
    cache_dir = app.extensions[KEY].repository.engine.settings.cache_dir
    assert plain.file is not None and zipped.file is not None
    assert plain.file.startswith(os.path.join(persisted.state_root(cache_dir), "served") + "/")
    assert served_files(app) == {f"{tag}.yaml": plain.body, f"{tag}.yaml.gz": zipped.body}
    assert b"alpha:" in plain.body and gzip.decompress(zipped.body) == plain.body
    again = call(app, "/index.yaml")
    assert (again.file, again.body) == (plain.file, plain.body)


def test_a_version_read_once_is_sent_from_memory_and_not_written(app: Flask) -> None:
    first = call(app, "/index.yaml")
    assert (first.status, first.file) == (200, None) and b"beta:" in first.body
    assert served_files(app) == {}
    upload(app, ("gamma", "1.0.0"))  # a new version before this one is read again
    assert call(app, "/index.yaml").file is None
    assert served_files(app) == {}


def test_index_headers_304_and_gzip_are_the_same_from_memory_and_file(app: Flask) -> None:
    for round_ in range(WRITE_ON_REQUEST):
        plain = call(app, "/index.yaml")
        assert plain.status == 200 and (plain.file is None) == (round_ == 0)
        etag = plain.headers["ETag"]
        assert plain.headers["Content-Type"] == "application/x-yaml"
        assert plain.headers["Vary"] == "Accept-Encoding"
        assert plain.headers["Content-Length"] == str(len(plain.body))
        assert "Content-Encoding" not in plain.headers
        zipped = call(app, "/index.yaml", {"Accept-Encoding": "gzip, deflate"})
        assert zipped.headers["ETag"] == etag[:-1] + '-gzip"'
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert zipped.headers["Content-Length"] == str(len(zipped.body))
        assert gzip.decompress(zipped.body) == plain.body
        assert [k for k in plain.headers if k != "X-Request-Id"] == [
            "ETag",
            "Vary",
            "Content-Type",
            "Content-Length",
        ]
    refused = call(app, "/index.yaml", {"Accept-Encoding": "gzip;q=0, identity"})
    assert refused.body == plain.body and "Content-Encoding" not in refused.headers
    for sent, tag in (({}, etag), ({"Accept-Encoding": "gzip"}, zipped.headers["ETag"])):
        again = call(app, "/index.yaml", {**sent, "If-None-Match": tag})
        assert (again.status, again.body, again.file) == (304, b"", None)
        assert again.headers["ETag"] == tag and again.headers["Vary"] == "Accept-Encoding"
    head = app.test_client().head("/index.yaml")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == str(len(plain.body))


def test_each_version_gets_its_own_files_and_old_ones_are_removed(app: Flask) -> None:
    bodies = []
    for i in range(served.KEEP + 3):
        upload(app, (f"chart{i}", "1.0.0"))
        for _ in range(WRITE_ON_REQUEST):
            answer = call(app, "/index.yaml")
        bodies.append(answer.body)
        assert served_files(app)[answer.headers["ETag"].strip('"') + ".yaml"] == answer.body
    assert len(set(bodies)) == len(bodies)
    assert len(served_files(app)) == served.KEEP + 1  # the current version and KEEP older


def test_a_file_removed_meanwhile_is_written_again(app: Flask) -> None:
    for _ in range(WRITE_ON_REQUEST):
        first = call(app, "/index.yaml")
    assert first.file is not None
    os.unlink(first.file)
    again = call(app, "/index.yaml")
    assert (again.status, again.body, again.file) == (200, first.body, first.file)
    assert os.path.isfile(first.file)


def test_workers_share_the_files_and_compress_once(
    make_app: Callable[..., Flask], app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(WRITE_ON_REQUEST):
        zipped = call(app, "/index.yaml", {"Accept-Encoding": "gzip"})
    other = make_app()  # another worker on the same storage and cache folder

    def no_compress(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("the gzip file of this version exists already")

    monkeypatch.setattr(gzip, "compress", no_compress)
    again = call(other, "/index.yaml", {"Accept-Encoding": "gzip"})  # its first request
    assert (again.body, again.file) == (zipped.body, zipped.file)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_an_unwritable_state_folder_serves_the_index_from_memory(
    app: Flask, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    real_fdopen = os.fdopen

    class Failing:
        def __init__(self, fd: int, mode: str) -> None:
            self.fh = real_fdopen(fd, mode)

        def __enter__(self) -> Failing:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def write(self, data: bytes) -> int:
            raise OSError(code, os.strerror(code))

    monkeypatch.setattr(served.os, "fdopen", Failing)
    for _ in range(WRITE_ON_REQUEST + 1):
        plain = call(app, "/index.yaml")
        zipped = call(app, "/index.yaml", {"Accept-Encoding": "gzip"})
    assert (plain.status, plain.file) == (200, None)
    assert (zipped.status, zipped.file) == (200, None)
    assert b"alpha:" in plain.body and gzip.decompress(zipped.body) == plain.body
    assert plain.headers["Content-Length"] == str(len(plain.body))
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert served_files(app) == {}  # no temporary file left behind


def test_a_state_folder_that_cannot_be_created_serves_from_memory(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(served.os, "makedirs", read_only)
    for _ in range(WRITE_ON_REQUEST + 1):
        answer = call(app, "/index.yaml")
    assert (answer.status, answer.file) == (200, None) and b"beta:" in answer.body


def test_a_repository_that_does_not_exist_creates_no_files(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(depth=1)
    for _ in range(WRITE_ON_REQUEST + 1):
        answer = call(app, "/nothere/index.yaml")
    assert answer.status == 200 and answer.file is None
    assert b"entries: {}" in answer.body
    cache_dir = app.extensions[KEY].repository.engine.settings.cache_dir
    assert not os.path.exists(os.path.join(persisted.state_root(cache_dir), "served"))


def test_json_index_files_are_named_for_their_format(make_app: Callable[..., Flask]) -> None:
    app = make_app(json_index=True)
    upload(app, ("alpha", "1.0.0"))
    for _ in range(WRITE_ON_REQUEST):
        answer = call(app, "/index.yaml")
    assert answer.file is not None and answer.file.endswith(".json")
    assert answer.body.startswith(b'{"apiVersion":"v1"')


# -- packages -----------------------------------------------------------------------------------
def test_packages_and_provenance_are_sent_from_their_files(app: Flask, storage: str) -> None:
    """Through the file wrapper, except small files: read, they leave with the head."""
    client = app.test_client()
    prov = make_prov("alpha", "1.0.0")
    assert client.post("/api/prov", data=prov).status_code == 201
    large = big_chart("large", "1.0.0", SMALL_FILE + 1)
    assert client.post("/api/charts", data=large).status_code == 201
    for filename, content_type in (
        ("alpha-1.0.0.tgz", "application/x-tar"),
        ("alpha-1.0.0.tgz.prov", "application/pgp-signature"),
        ("large-1.0.0.tgz", "application/x-tar"),
    ):
        answer = call(app, f"/charts/{filename}")
        path = os.path.join(storage, filename)
        with open(path, "rb") as fh:
            stored = fh.read()
        sent_as = path if len(stored) > SMALL_FILE else None
        assert (answer.status, answer.file, answer.body) == (200, sent_as, stored)
        assert answer.headers["Content-Type"] == content_type
        assert answer.headers["Content-Length"] == str(len(stored))


def test_package_errors_are_unchanged(app: Flask) -> None:
    missing = call(app, "/charts/nothere-1.0.0.tgz")
    assert (missing.status, missing.body) == (404, b'{"error":"object not found"}')
    other = call(app, "/charts/alpha-1.0.0.zip")
    assert (other.status, other.body) == (404, b'{"error":"unsupported file extension"}')
    reserved = call(app, "/charts/.cm-tmp-x.tgz")
    assert reserved.status == 400 and b"reserved" in reserved.body


def test_a_package_gone_from_the_folder_answers_404(app: Flask, storage: str) -> None:
    assert call(app, "/charts/alpha-1.0.0.tgz").status == 200  # its path is remembered
    os.unlink(os.path.join(storage, "alpha-1.0.0.tgz"))
    answer = call(app, "/charts/alpha-1.0.0.tgz")
    assert (answer.status, answer.body) == (404, b'{"error":"object not found"}')


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_package_name_that_is_not_a_file_answers_404(app: Flask, storage: str, kind) -> None:
    path = os.path.join(storage, "odd-1.0.0.tgz")
    os.mkdir(path) if kind == "folder" else os.mkfifo(path)
    answer = call(app, "/charts/odd-1.0.0.tgz")  # never blocks on the FIFO
    assert (answer.status, answer.body) == (404, b'{"error":"object not found"}')
