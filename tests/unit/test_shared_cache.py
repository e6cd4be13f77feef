"""--cache=redis: instances sharing storage and Redis agree; a Redis outage degrades safely."""

from __future__ import annotations

import json
import os

from tests.helpers import make_chart


def _instance(make_app, tmp_path, redis_server, name: str):
    return make_app(
        cache="redis", cache_redis_addr=redis_server.addr, cache_dir=str(tmp_path / name)
    ).test_client()


def test_two_instances_read_each_others_writes(make_app, tmp_path, redis_server) -> None:
    a = _instance(make_app, tmp_path, redis_server, "a")
    b = _instance(make_app, tmp_path, redis_server, "b")
    assert b"entries: {}" in b.get("/index.yaml").data
    assert a.post("/api/charts", data=make_chart("one")).status_code == 201
    assert b"one:" in b.get("/index.yaml").data
    assert b.post("/api/charts", data=make_chart("two")).status_code == 201
    assert b"two:" in a.get("/index.yaml").data
    assert a.get("/index.yaml").data == b.get("/index.yaml").data
    assert a.delete("/api/charts/one/0.1.0").status_code == 200
    assert b"one:" not in b.get("/index.yaml").data
    assert b.post("/api/charts", data=make_chart("two")).status_code == 409


def test_redis_outage_serves_from_storage(make_app, tmp_path, redis_server, storage) -> None:
    a = _instance(make_app, tmp_path, redis_server, "a")
    b = _instance(make_app, tmp_path, redis_server, "b")
    a.post("/api/charts", data=make_chart("before"))
    redis_server.stop()
    assert b"before:" in b.get("/index.yaml").data  # never an empty or wrong index
    assert a.post("/api/charts", data=make_chart("during")).status_code == 201
    assert b"during:" in b.get("/index.yaml").data
    with open(os.path.join(storage, "byhand-1.0.0.tgz"), "wb") as fh:
        fh.write(make_chart("byhand", "1.0.0"))
    assert b"byhand:" in a.get("/index.yaml").data
    assert sorted(json.loads(b.get("/api/charts").data)) == ["before", "byhand", "during"]


def test_redis_recovery_publishes_changes_made_during_outage(
    make_app, tmp_path, redis_server
) -> None:
    from tests.helpers import start_redis

    a = _instance(make_app, tmp_path, redis_server, "a")
    a.post("/api/charts", data=make_chart("before"))
    redis_server.stop()
    assert a.post("/api/charts", data=make_chart("during")).status_code == 201
    restarted = start_redis(redis_server.port)  # empty: everything must come back from storage
    try:
        assert b"during:" in a.get("/index.yaml").data
        late = _instance(make_app, tmp_path, restarted, "late")
        body = late.get("/index.yaml").data
        assert b"before:" in body and b"during:" in body
    finally:
        restarted.stop()
