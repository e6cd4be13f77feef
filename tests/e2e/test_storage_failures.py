"""A real server on read-only storage, and in-place rewrites seen by every worker."""

from __future__ import annotations

import os

from tests.helpers import make_chart
from tests.volumes import volume


def test_server_starts_on_read_only_storage(run_server, tmp_path) -> None:
    with volume(os.path.join(str(tmp_path), "storage")) as vol:
        with open(os.path.join(vol.path, "mychart-0.1.0.tgz"), "wb") as fh:
            fh.write(make_chart())
        vol.make_read_only()
        server = run_server(
            "--storage=local",
            f"--storage-local-rootdir={vol.path}",
            env={"TMPDIR": str(tmp_path)},  # where the index state goes instead
        )
        assert b"mychart" in server.get("/index.yaml").content
        assert server.get("/charts/mychart-0.1.0.tgz").status_code == 200
        for response in (
            server.post("/api/charts", data=make_chart("web", "1.0.0")),
            server.delete("/api/charts/mychart/0.1.0"),
        ):
            assert response.status_code == 503
            assert response.json() == {"error": "storage is read-only"}
        assert "Storage folder is not writable" in server.log()
        assert f'"cacheDir": "{tmp_path}/chartmuseum-' in server.log()
        server.stop()


def test_rewrite_in_place_reaches_every_worker(run_server, storage: str) -> None:
    server = run_server("--storage=local", f"--storage-local-rootdir={storage}", "--workers=3")
    upload = server.post("/api/charts", data=make_chart(description="first"))
    assert upload.status_code == 201
    for _ in range(12):
        assert b"first" in server.get("/index.yaml").content
    with open(os.path.join(storage, "mychart-0.1.0.tgz"), "r+b") as fh:
        fh.truncate(0)
        fh.write(make_chart(description="second", home=os.urandom(64).hex()))
    for attempt in range(12):  # spread over the workers by the kernel
        body = server.get("/index.yaml").content
        assert b"second" in body and b"first" not in body, attempt
