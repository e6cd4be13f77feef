"""The request pipeline (a WSGI middleware): request ids, the access log in ChartMuseum's
shape and levels, CORS, no log record built for a level that is off, and the client's
address, scheme and host behind a proxy."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from collections.abc import Iterator

import pytest
from flask import Flask

from app.options import Config
from app.pipeline import Pipeline
from tests.helpers import make_chart

FIELDS = ["path", "comment", "clientIP", "method", "statusCode", "latency", "reqID"]


class Keep(logging.Handler):
    """Keeps the records it is handed."""

    def __init__(self, seen: list[logging.LogRecord]) -> None:
        super().__init__()
        self.seen = seen

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record)


def served(seen: list[logging.LogRecord]) -> list[logging.LogRecord]:
    return [r for r in seen if r.getMessage().endswith("Request served")]


@pytest.fixture
def logged(
    make_app: Callable[..., Flask],
) -> Iterator[Callable[..., tuple[Flask, list[logging.LogRecord]]]]:
    """Builds an app and collects what the ``chartmuseum`` logger writes for it."""
    logger = logging.getLogger("chartmuseum")
    handlers: list[logging.Handler] = []

    def build(**options: object) -> tuple[Flask, list[logging.LogRecord]]:
        app = make_app(**options)  # configures the logger (its handlers are replaced)
        seen: list[logging.LogRecord] = []
        handlers.append(Keep(seen))
        logger.addHandler(handlers[-1])
        return app, seen

    yield build
    for handler in handlers:
        logger.removeHandler(handler)


def test_the_access_log_has_chartmuseums_fields_levels_and_ids(logged) -> None:
    app, seen = logged()
    client = app.test_client()
    assert client.post("/api/charts", data=make_chart("alpha")).status_code == 201
    seen.clear()
    ok = client.get("/index.yaml", headers={"X-Forwarded-For": "203.0.113.7, 10.0.0.1"})
    missing = client.get("/charts/nothere-1.0.0.tgz", headers={"X-Real-IP": "198.51.100.2"})
    bad = client.get("/charts/.cm-tmp-x.tgz")
    lines = served(seen)
    assert [r.levelno for r in lines] == [logging.INFO, logging.WARNING, logging.ERROR]
    assert [r.fields["statusCode"] for r in lines] == [200, 404, 400]  # type: ignore[attr-defined]
    first = lines[0].fields  # type: ignore[attr-defined]
    assert list(first) == FIELDS
    assert first["path"] == "/index.yaml" and first["method"] == "GET"
    assert first["clientIP"] == "203.0.113.7" and first["comment"] == ""
    assert str(first["latency"]).endswith(("ns", "µs", "ms", "s"))
    assert lines[1].fields["clientIP"] == "198.51.100.2"  # type: ignore[attr-defined]
    for line, response in zip(lines, (ok, missing, bad), strict=True):
        assert line.fields["reqID"] == response.headers["X-Request-Id"]  # type: ignore[attr-defined]
        assert response.headers.getlist("X-Request-Id") == [response.headers["X-Request-Id"]]
    numbers = [int(r.getMessage()[1:].split("]")[0]) for r in lines]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3


def test_request_ids_are_echoed_when_valid_and_made_up_otherwise(make_app) -> None:
    client = make_app().test_client()
    assert (
        client.get("/health", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"]
        == "abc-123"
    )
    for sent in ({}, {"X-Request-Id": " padded "}):
        made = client.get("/health", headers=sent).headers["X-Request-Id"]
        assert uuid.UUID(made).version == 4 and str(uuid.UUID(made)) == made
    made = {client.get("/health").headers["X-Request-Id"] for _ in range(200)}
    assert len(made) == 200
    assert {uuid.UUID(m).variant for m in made} == {uuid.RFC_4122}
    assert {m[19] for m in made} == set("89ab")  # the variant's two bits, the rest random


def test_health_is_logged_only_with_log_health(logged) -> None:
    app, seen = logged()
    app.test_client().get("/health")
    assert not served(seen)
    app, seen = logged(log_health=True, log_latency_integer=True)
    app.test_client().get("/health")
    (line,) = served(seen)
    assert line.fields["path"] == "/health"  # type: ignore[attr-defined]
    assert isinstance(line.fields["latency"], int)  # type: ignore[attr-defined]


def test_debug_logs_each_incoming_request(logged) -> None:
    app, seen = logged(debug=True)
    response = app.test_client().get("/index.yaml")
    # the background writer may log between the two (index-cache.yaml saved)
    ours = [r for r in seen if "reqID" in getattr(r, "fields", {})]
    incoming, done = [r.getMessage() for r in ours][-2:]
    assert incoming.endswith("Incoming request: /index.yaml") and done.endswith("Request served")
    assert ours[-2].fields == {"reqID": response.headers["X-Request-Id"]}  # type: ignore[attr-defined]


def test_no_record_is_built_for_a_level_that_is_off(
    make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    logger = logging.getLogger("chartmuseum")

    def no_record(*args: object, **kwargs: object) -> logging.LogRecord:
        raise AssertionError("a record was built for a level that is off")

    monkeypatch.setattr(logger, "makeRecord", no_record)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        client = app.test_client()
        assert client.get("/index.yaml").status_code == 200
        assert client.get("/charts/nothere-1.0.0.tgz").status_code == 404
    finally:
        logger.setLevel(level)


def test_cors_header_on_api_answers_only(make_app) -> None:
    client = make_app(cors_alloworigin="https://ui.example.com").test_client()
    answer = client.get("/api/charts")
    assert answer.headers.getlist("Access-Control-Allow-Origin") == ["https://ui.example.com"]
    assert "Access-Control-Allow-Origin" not in client.get("/index.yaml").headers


def _seen_by_app(headers: dict[str, str]) -> dict[str, object]:
    """The environ the application behind the pipeline is given for a request with
    ``headers``."""
    seen: dict[str, object] = {}

    def app(environ: dict[str, object], start_response: Callable[..., object]) -> list[bytes]:
        seen.update(environ)
        start_response("200 OK", [])
        return [b""]

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "HTTP_HOST": "127.0.0.1:8080",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
    }
    Pipeline(app, Config())(environ, lambda status, headers, exc_info=None: None)
    return seen


def test_forwarded_headers_give_the_first_hops_client_scheme_and_host() -> None:
    seen = _seen_by_app(
        {
            "X-Forwarded-For": "203.0.113.7, 10.0.0.1",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "charts.example.com",
        }
    )
    assert seen["REMOTE_ADDR"] == "10.0.0.1"  # the address the first proxy saw
    assert seen["wsgi.url_scheme"] == "https" and seen["HTTP_HOST"] == "charts.example.com"
    for header in ("X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port"):
        assert _seen_by_app({header: "https"})["werkzeug.proxy_fix.orig"], header

    direct = _seen_by_app({})
    assert direct["REMOTE_ADDR"] == "127.0.0.1" and direct["HTTP_HOST"] == "127.0.0.1:8080"
    assert "werkzeug.proxy_fix.orig" not in direct  # without the headers, nothing is rewritten
