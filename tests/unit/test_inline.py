"""What runs on the worker's main loop (:mod:`app.inline`, :mod:`app.index_shortcut`):
``index.yaml`` and packages, answered exactly as on a thread; every other route, and
whatever would have to wait or compute, deferred to a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from flask import Flask

from app.blueprints import repo as repo_views
from app.index.chart_index import WRITE_ON_REQUEST
from app.services import KEY
from app.worker.inline import Deferred
from tests.deploy.support import big_chart
from tests.helpers import make_chart
from tests.unit.test_served_index import Answer
from tests.unit.test_served_index import call
from tests.unit.test_served_index import upload

GZIP = {"Accept-Encoding": "gzip"}
MiB = 1024 * 1024


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    flask_app = make_app()
    upload(flask_app, ("alpha", "1.0.0"), ("beta", "0.2.0"))
    return flask_app


def warm(app: Flask) -> None:
    """Read the index as clients do until this process has its files."""
    for _ in range(WRITE_ON_REQUEST):
        call(app, "/index.yaml")
        call(app, "/index.yaml", GZIP)


def same(answer: Answer) -> tuple[object, ...]:
    headers = {k: v for k, v in answer.headers.items() if k != "X-Request-Id"}
    return answer.status, headers, answer.body, answer.file


def _no_route(*args: object, **kwargs: object) -> None:
    raise AssertionError("the index.yaml route ran")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("headers", [{}, GZIP], ids=["plain", "gzip"])
def test_the_index_shortcut_answers_as_the_route_does(app, monkeypatch, headers, method) -> None:
    warm(app)
    route = call(app, "/index.yaml", headers, method=method)
    monkeypatch.setitem(app.view_functions, "repo.index_yaml", _no_route)
    inline = call(app, "/index.yaml", headers, inline=True, method=method)
    assert inline.status == 200 and (inline.file is not None) == (method == "GET")
    assert same(inline) == same(route)


def test_with_credentials_required_the_route_answers_inline(make_app, monkeypatch) -> None:
    app = make_app(basic_auth_user="u", basic_auth_pass="p")
    auth = {"Authorization": "Basic dTpw"}
    client = app.test_client()
    assert client.post("/api/charts", data=make_chart("alpha"), headers=auth).status_code == 201
    for _ in range(WRITE_ON_REQUEST):
        route = call(app, "/index.yaml", auth)
    assert call(app, "/index.yaml", inline=True).status == 401
    inline = call(app, "/index.yaml", auth, inline=True)
    assert inline.file is not None and same(inline) == same(route)


def test_a_304_is_answered_inline_by_the_route(app) -> None:
    warm(app)
    etag = call(app, "/index.yaml").headers["ETag"]
    route = call(app, "/index.yaml", {"If-None-Match": etag})
    inline = call(app, "/index.yaml", {"If-None-Match": etag}, inline=True)
    assert inline.status == 304 and same(inline) == same(route)


def test_an_index_not_loaded_here_is_deferred(app, make_app) -> None:
    other = make_app()  # another worker: it has not read the index yet
    with pytest.raises(Deferred):
        call(other, "/index.yaml", inline=True)
    assert call(other, "/index.yaml").status == 200


def test_an_index_whose_files_are_not_known_yet_is_deferred(app) -> None:
    call(app, "/index.yaml")  # loaded and rendered, but not yet a file here
    with pytest.raises(Deferred):
        call(app, "/index.yaml", inline=True)


def test_an_index_changed_since_it_was_rendered_is_deferred(app) -> None:
    warm(app)
    upload(app, ("gamma", "1.0.0"))  # rendering the new version is work for a thread
    with pytest.raises(Deferred):
        call(app, "/index.yaml", inline=True)
    assert b"gamma" in call(app, "/index.yaml").body


def test_an_index_locked_by_a_change_is_deferred(app) -> None:
    warm(app)
    replica = app.extensions[KEY].repository.engine.replica("")
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        with replica.lock:
            locked.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        locked.wait(10)
        with pytest.raises(Deferred):
            call(app, "/index.yaml", inline=True)
    finally:
        release.set()
        holder.join()
    assert call(app, "/index.yaml", inline=True).status == 200


@pytest.mark.parametrize(
    "path", ["/health", "/api/charts", "/api/charts/alpha", "/", "/charts/..%2Falpha-1.0.0.tgz"]
)
def test_other_routes_are_deferred(app, path) -> None:
    with pytest.raises(Deferred):
        call(app, path, inline=True)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("size", ["small", "large"])
def test_the_package_shortcut_answers_as_the_route_does(app, monkeypatch, method, size) -> None:
    name = "alpha-1.0.0.tgz"
    if size == "large":  # sent from its file rather than read into the response
        name = "large-1.0.0.tgz"
        assert app.test_client().post("/api/charts", data=big_chart("large", "1.0.0", 2 * MiB))
    route = call(app, f"/charts/{name}", method=method)
    monkeypatch.setitem(app.view_functions, "repo.package", _no_route)
    inline = call(app, f"/charts/{name}", inline=True, method=method)
    assert inline.status == 200 and (inline.file is not None) == (
        size == "large" and method == "GET"
    )
    assert same(inline) == same(route)


@pytest.mark.parametrize("name", ["nope-1.0.0.tgz", "alpha-1.0.0.txt", "Alpha%20-1.0.0.tgz"])
def test_what_the_package_shortcut_leaves_the_route_answers_inline(app, name) -> None:
    inline = call(app, f"/charts/{name}", inline=True)
    assert inline.status == 404 and same(inline) == same(call(app, f"/charts/{name}"))


def test_packages_of_an_object_store_are_deferred(app, monkeypatch) -> None:
    backend = app.extensions[KEY].repository.backend
    repo_views.local_package_path.cache_clear()
    monkeypatch.setattr(backend, "local_path", lambda path: None)
    with pytest.raises(Deferred):
        call(app, "/charts/alpha-1.0.0.tgz", inline=True)
    assert call(app, "/charts/alpha-1.0.0.tgz").status == 200
    repo_views.local_package_path.cache_clear()
