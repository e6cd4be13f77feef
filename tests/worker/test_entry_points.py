"""Both entry points run the buffering worker: ``chartmuseum`` and the container's
``gunicorn --config gunicorn.conf.py wsgi:application``."""

from __future__ import annotations

import time

import pytest
import requests

from app.options import Config
from app.server import gunicorn_settings
from tests.deploy.support import start_like_image
from tests.worker.raw import Reader
from tests.worker.raw import connect
from tests.worker.raw import exchange
from tests.worker.raw import stored
from tests.worker.raw import upload_head


def test_gunicorn_settings_name_the_worker() -> None:
    settings = gunicorn_settings(Config())
    assert settings["worker_class"] == "app.worker.BufferingWorker"
    assert (settings["workers"], settings["threads"]) == (Config().workers, Config().threads)


@pytest.mark.e2e
def test_the_image_entry_point_buffers_and_answers_json(tmp_path, storage) -> None:
    env = {"STORAGE_LOCAL_ROOTDIR": storage, "READ_TIMEOUT": "2", "WORKERS": "1", "THREADS": "1"}
    server = start_like_image(str(tmp_path), env)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(server.url + "/health", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        with connect(server) as sock:
            sock.sendall(upload_head(1000) + b"abc")
            assert requests.get(server.url + "/health", timeout=3).status_code == 200
            reply = Reader(sock).reply(timeout=6)
        assert reply is not None and reply.status == 408
        bad = exchange(server, upload_head(-1))
        assert bad is not None and bad.status == 400 and "error" in bad.json()  # type: ignore[operator]
        assert stored(storage) == []
    finally:
        server.stop()
