"""Blob uploads and staged blobs in storage, with the local backend (app/oci/staging.py)."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from app.errors import BlobTooLarge
from app.errors import BlobUploadInvalid
from app.errors import BlobUploadUnknown
from app.errors import DigestInvalid
from app.errors import RangeInvalid
from app.oci import layout
from app.oci.staging import Staging
from backends.local import LocalFilesystemBackend


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def files(root: str) -> list[str]:
    """Every file below ``root``, relative."""
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _, names in os.walk(root)
        for name in names
    )


@pytest.fixture
def staging(storage: str) -> Staging:
    return Staging(LocalFilesystemBackend(storage), expiry=3600, max_size=100)


@pytest.mark.parametrize("tenant", ["", "org1", "a/b"])
def test_chunked_upload_becomes_a_blob(staging, storage, tenant) -> None:
    upload = staging.start(tenant)
    assert len(upload) == 32 and staging.size(tenant, upload) == 0
    assert staging.append(tenant, upload, b"0123", 0) == 4
    assert staging.append(tenant, upload, b"4567", None) == 8  # no Content-Range: appended
    assert staging.size(tenant, upload) == 8
    blob = b"0123456789"
    assert staging.finish(tenant, upload, b"89", sha(blob)) == 10
    assert staging.read_blob(tenant, sha(blob)) == blob
    info = staging.blob_info(tenant, sha(blob))
    assert info is not None and info.size == 10
    assert staging.blob_file(tenant, sha(blob)) == os.path.join(
        storage, layout.blob(tenant, sha(blob))
    )
    prefix = f"{tenant}/.oci" if tenant else ".oci"
    assert files(storage) == [f"{prefix}/blobs/{sha(blob).replace(':', '-')}"]  # parts are gone
    with pytest.raises(BlobUploadUnknown):
        staging.size(tenant, upload)


def test_out_of_order_chunk(staging) -> None:
    upload = staging.start("t")
    staging.append("t", upload, b"abc", 0)
    for start in (0, 2, 4):
        with pytest.raises(RangeInvalid) as caught:
            staging.append("t", upload, b"def", start)
        assert caught.value.status_code == 416 and caught.value.code == "BLOB_UPLOAD_INVALID"
    assert staging.size("t", upload) == 3
    assert staging.append("t", upload, b"def", 3) == 6


def test_two_writers_of_the_same_offset(staging, monkeypatch) -> None:
    upload = staging.start("t")
    staging.append("t", upload, b"abc", 0)
    stale = staging.size("t", upload)
    staging.append("t", upload, b"def", 3)
    monkeypatch.setattr(staging, "size", lambda tenant, upload_id: stale)  # a racing writer
    with pytest.raises(RangeInvalid):
        staging.append("t", upload, b"xyz", 3)


def test_digest_mismatch_stores_nothing_and_ends_the_upload(staging, storage) -> None:
    upload = staging.start("t")
    staging.append("t", upload, b"abc", 0)
    with pytest.raises(DigestInvalid):
        staging.finish("t", upload, b"def", sha(b"abcdeX"))
    assert files(storage) == []
    with pytest.raises(BlobUploadUnknown):
        staging.size("t", upload)
    with pytest.raises(DigestInvalid):
        staging.put_blob("t", sha(b"x"), b"y")
    assert files(storage) == []


def test_blob_larger_than_the_limit(staging, storage) -> None:
    upload = staging.start("t")
    staging.append("t", upload, b"x" * 60, 0)
    with pytest.raises(BlobTooLarge) as caught:
        staging.append("t", upload, b"x" * 41, 60)
    assert caught.value.status_code == 413 and caught.value.code == "SIZE_INVALID"
    assert files(storage) == []  # an upload that can never complete is dropped
    upload = staging.start("t")
    staging.append("t", upload, b"x" * 60, 0)
    with pytest.raises(BlobTooLarge):
        staging.finish("t", upload, b"x" * 41, sha(b"x" * 101))
    assert files(storage) == []
    upload = staging.start("t")
    assert staging.append("t", upload, b"x" * 100, 0) == 100  # exactly the limit is fine
    staging.finish("t", upload, b"", sha(b"x" * 100))


def test_cancel_and_unknown_uploads(staging, storage) -> None:
    upload = staging.start("t")
    staging.append("t", upload, b"abc", 0)
    staging.cancel("t", upload)
    assert files(storage) == []
    for bad in (upload, "0" * 32, "not-an-id", "../../etc", "A" * 32, ""):
        with pytest.raises(BlobUploadUnknown):
            staging.size("t", bad)
        with pytest.raises(BlobUploadUnknown):
            staging.append("t", bad, b"x", None)
        with pytest.raises(BlobUploadUnknown):
            staging.cancel("t", bad)
    other = staging.start("org2")
    with pytest.raises(BlobUploadUnknown):
        staging.size("t", other)  # uploads belong to their tenant


def test_parts_must_be_contiguous(staging) -> None:
    upload = staging.start("t")
    staging.backend.put_object(layout.upload_part("t", upload, 5), b"late")
    with pytest.raises(BlobUploadInvalid):
        staging.size("t", upload)


def _age(storage: str, seconds: float) -> None:
    """Make every file look ``seconds`` older."""
    for name in files(storage):
        path = os.path.join(storage, name)
        st = os.stat(path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def test_expired_upload_is_unknown_and_removed(staging, storage) -> None:
    staging.expiry = 10
    upload = staging.start("t")
    staging.append("t", upload, b"abc", 0)
    _age(storage, 5)
    assert staging.size("t", upload) == 3  # untouched for less than the expiry
    _age(storage, 6)
    with pytest.raises(BlobUploadUnknown):
        staging.size("t", upload)
    assert files(storage) == []


def test_sweep_removes_only_what_expired(staging, storage) -> None:
    staging.expiry = 10
    old_upload = staging.start("t")
    staging.append("t", old_upload, b"abc", 0)
    staging.put_blob("t", sha(b"old"), b"old")
    _age(storage, 60)
    fresh_upload = staging.start("t")
    staging.append("t", fresh_upload, b"abc", 0)
    staging.put_blob("t", sha(b"new"), b"new")
    # an upload with a recent part is kept whole, even with an old marker
    busy = staging.start("t")
    staging.append("t", busy, b"abc", 0)
    marker = os.path.join(storage, layout.uploads_folder("t"), layout.marker_name(busy))
    os.utime(marker, ns=(0, time.time_ns() - 60 * 10**9))
    staging.sweep("t")
    assert staging.read_blob("t", sha(b"old")) is None
    assert staging.read_blob("t", sha(b"new")) == b"new"
    assert staging.size("t", fresh_upload) == 3
    assert staging.size("t", busy) == 3
    remaining = files(os.path.join(storage, "t", ".oci", "uploads"))
    assert not [n for n in remaining if n.startswith(old_upload)]


def test_sweep_soon_is_rate_limited(staging, storage, monkeypatch) -> None:
    swept: list[str] = []
    monkeypatch.setattr(staging, "sweep", swept.append)
    staging.expiry = 0.2
    staging.sweep_soon("t")
    staging.sweep_soon("t")
    staging.sweep_soon("u")
    assert swept == ["t", "u"]
    time.sleep(0.25)
    staging.sweep_soon("t")
    assert swept == ["t", "u", "t"]


def test_staged_objects_skip_fsync_and_stored_objects_do_not(staging, storage, monkeypatch) -> None:
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real(fd))
    upload = staging.start("org1")
    staging.finish("org1", upload, b"blob", sha(b"blob"))
    assert synced == []  # scratch: the chart becomes durable when a manifest stores it
    staging.backend.put_object("org1/kept.tgz", b"chart")
    assert len(synced) == 2  # the file and its folder
