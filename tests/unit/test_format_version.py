"""Persisted renderings carry the format version: another release's state is never served.

Each test lets "another release" write state (the unversioned layout of earlier releases,
or a later format version), plants a wrong rendering in it, then checks that this release
rebuilds from storage instead of serving it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os

import pytest
import redis

from app.cache import make_cache
from app.charts.loader import LoadedChart
from app.index import persisted
from app.index.changelog import ChangeLog
from app.index.changelog_files import FileChangeLog
from app.index.changelog_files import FileChangeLogs
from app.index.changelog_redis import RedisChangeLogs
from app.index.engine import IndexEngine
from app.index.entry import IndexEntry
from app.index.memo import PackageMemo
from app.index.wire import JournalEvent
from app.services import KEY
from backends.base import ObjectInfo
from tests.helpers import make_chart

RELEASES = ["unversioned", "next"]


@pytest.fixture(params=RELEASES)
def other_release(request, monkeypatch):
    """A context manager in which the code persists like another release would."""

    @contextlib.contextmanager
    def _other():
        with monkeypatch.context() as m:
            if request.param == "unversioned":  # the layout before format versions existed
                m.setattr(persisted, "FORMAT_VERSION", 1)
                m.setattr(persisted, "state_root", lambda cache_dir: cache_dir)
                m.setattr(persisted, "redis_prefix", lambda: "chartmuseum:")
            else:
                m.setattr(persisted, "FORMAT_VERSION", persisted.FORMAT_VERSION + 1)
            yield

    _other.kind = request.param
    return _other


@pytest.fixture
def cache_dir(tmp_path) -> str:
    return str(tmp_path / "cache")


def _wrong(entry: IndexEntry, tag: str) -> IndexEntry:
    name = entry.name.encode()
    return dataclasses.replace(
        entry,
        yaml=entry.yaml.replace(name, b"WRONG-" + tag.encode()),
        json=entry.json.replace(name, b"WRONG-" + tag.encode()),
    )


def _plant_wrong_renderings(state: ChangeLog) -> None:
    """Wrong fragments in both the snapshot and the journal, for packages in storage."""
    with state.locked():
        snap = state.read_snapshot()
        assert snap is not None and len(snap.entries) == 2
        first, second = snap.entries
        snap.entries = [_wrong(first, "SNAPSHOT"), second]
        state.write_snapshot(snap)
        event = JournalEvent(snap.seq + 1, snap.generated, snap.token, [_wrong(second, "JOURNAL")])
        state.append(event)


def _fill(app) -> None:
    client = app.test_client()
    for name in ("one", "two"):
        assert client.post("/api/charts", data=make_chart(name)).status_code == 201
    repository = app.extensions[KEY].repository
    repository.flush()  # no background write after the planting
    repository.engine.compact("")  # fold the journal into the snapshot


def _assert_rebuilt(body: bytes) -> None:
    assert b"WRONG" not in body
    assert b"one:" in body and b"two:" in body


def _redis(redis_server) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=redis_server.port)


# -- the index state: snapshot and journal ------------------------------------------------------
def test_file_state_of_other_release_is_rebuilt(make_app, cache_dir, other_release) -> None:
    with other_release():
        old = make_app(cache_dir=cache_dir)
        _fill(old)
        state = FileChangeLogs(cache_dir).for_repo("")
        _plant_wrong_renderings(state)
        assert b"WRONG" in old.test_client().get("/index.yaml").data  # the planting works
    if other_release.kind == "unversioned":  # these are the bytes earlier releases wrote
        assert state.folder == os.path.join(cache_dir, "tenants", os.path.basename(state.folder))
        with open(os.path.join(state.folder, "snapshot"), "rb") as fh:
            assert fh.read(8) == b"CMSNAP1\n"
    new = make_app(cache_dir=cache_dir)
    _assert_rebuilt(new.test_client().get("/index.yaml").data)


def test_redis_state_of_other_release_is_rebuilt(
    make_app, tmp_path, redis_server, other_release
) -> None:
    options = {"cache": "redis", "cache_redis_addr": redis_server.addr}
    with other_release():
        old = make_app(cache_dir=str(tmp_path / "old"), **options)
        _fill(old)
        _plant_wrong_renderings(RedisChangeLogs(_redis(redis_server)).for_repo(""))
        assert b"WRONG" in old.test_client().get("/index.yaml").data
    if other_release.kind == "unversioned":
        assert _redis(redis_server).smembers("chartmuseum:tenants") == {b""}
    new = make_app(cache_dir=str(tmp_path / "new"), **options)
    _assert_rebuilt(new.test_client().get("/index.yaml").data)


def test_snapshot_of_other_version_is_refused_in_this_namespace(
    make_app, cache_dir, monkeypatch
) -> None:
    """A snapshot copied into this version's folder is still refused by its header."""
    app = make_app(cache_dir=cache_dir)
    _fill(app)
    state = FileChangeLogs(cache_dir).for_repo("")
    snap = state.read_snapshot()
    assert snap is not None
    snap.entries = [_wrong(e, "COPIED") for e in snap.entries]
    with monkeypatch.context() as m:
        m.setattr(persisted, "FORMAT_VERSION", persisted.FORMAT_VERSION + 1)
        with state.locked():
            state.write_snapshot(snap)
    assert state.read_snapshot() is None
    _assert_rebuilt(make_app(cache_dir=cache_dir).test_client().get("/index.yaml").data)


# -- rolling upgrade: two releases on one cache dir or one Redis --------------------------------
def _file_generation(cache_dir: str) -> tuple[int, int]:
    st = os.stat(os.path.join(FileChangeLog.folder_for(cache_dir, ""), "snapshot"))
    return st.st_ino, st.st_mtime_ns


@pytest.mark.parametrize("shared", ["file", "redis"])
def test_two_releases_side_by_side_do_not_rebuild_each_other(
    make_app, tmp_path, request, other_release, shared: str
) -> None:
    options: dict[str, object] = {"cache_dir": str(tmp_path / "cache")}
    if shared == "redis":
        server = request.getfixturevalue("redis_server")
        options.update(cache="redis", cache_redis_addr=server.addr)
        client = _redis(server)

        def generation() -> object:
            return client.get(RedisChangeLogs(client).for_repo("").key + ":epoch")
    else:

        def generation() -> object:
            return _file_generation(str(options["cache_dir"]))

    with other_release():
        old = make_app(**options)
        assert old.test_client().post("/api/charts", data=make_chart("one")).status_code == 201
        old.extensions[KEY].repository.flush()
        old_generation = generation()
    new = make_app(**options)
    assert new.test_client().post("/api/charts", data=make_chart("two")).status_code == 201
    new.extensions[KEY].repository.flush()
    new_generation = generation()
    for _ in range(3):
        with other_release():
            body = old.test_client().get("/index.yaml").data
            assert b"one:" in body and b"two:" in body  # seen through storage
            assert generation() == old_generation
        body = new.test_client().get("/index.yaml").data
        assert b"one:" in body and b"two:" in body
        assert generation() == new_generation


# -- the memo: parsed packages and loaded charts ------------------------------------------------
def _caches(kind: str, cache_dir: str, request) -> tuple[object, dict[str, object]]:
    """(redis client or None, app options) for a memo in a folder or in Redis."""
    if kind == "file":
        return None, {"cache_dir": cache_dir}
    server = request.getfixturevalue("redis_server")
    return _redis(server), {
        "cache_dir": cache_dir,
        "cache": "redis",
        "cache_redis_addr": server.addr,
    }


@pytest.mark.parametrize("kind", ["file", "redis"])
def test_package_memo_of_other_release_is_not_used(
    make_app, storage, cache_dir, request, other_release, kind: str
) -> None:
    client, options = _caches(kind, cache_dir, request)
    with open(os.path.join(storage, "one-0.1.0.tgz"), "wb") as fh:
        fh.write(make_chart("one"))
    st = os.stat(os.path.join(storage, "one-0.1.0.tgz"))
    planted = IndexEntry(
        "one-0.1.0.tgz", "one", "0.1.0", "0" * 64, st.st_mtime_ns, st.st_size, b"WRONG", b"{}"
    )
    with other_release():
        PackageMemo(make_cache(cache_dir, client)).put("", planted)
        info = ObjectInfo(planted.filename, planted.mtime_ns, planted.size)
        assert PackageMemo(make_cache(cache_dir, client)).get("", info) is not None
    repository = make_app(**options).extensions[KEY].repository
    engine = repository.engine  # file mode has no memo: use one in both modes
    memo = PackageMemo(make_cache(cache_dir, client))
    body = IndexEngine(engine.backend, engine.settings, engine.logs, memo).read("").rendered().body
    assert b"WRONG" not in body and b"one:" in body


@pytest.mark.parametrize("kind", ["file", "redis"])
def test_chart_memo_of_other_release_is_not_used(
    make_app, cache_dir, request, other_release, kind: str
) -> None:
    client, options = _caches(kind, cache_dir, request)
    package = make_chart("one")
    digest = hashlib.sha256(package).hexdigest()
    planted = LoadedChart({"name": "one"}, (), b"WRONG: 1\n", {"WRONG": 1})
    with other_release():
        make_cache(cache_dir, client).set(f"chart:{digest}", planted)
    app = make_app(**options).test_client()
    assert app.post("/api/charts", data=package).status_code == 201
    app.application.extensions[KEY].repository.flush()
    values = app.get("/api/charts/one/0.1.0/values")
    assert values.status_code == 200
    assert b"WRONG" not in values.data and b"replicaCount: 1" in values.data
