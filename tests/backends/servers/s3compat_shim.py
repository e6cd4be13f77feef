"""moto's S3 app served alone, with the few changes the S3, OSS and COS test clients need.

No emulator exists for Alibaba OSS or Tencent COS; both speak S3-shaped XML, so one moto
S3 app serves all three SDKs (boto3, oss2, cos-python-sdk-v5). Differences handled here:

* Only moto's S3 app is served, without moto's service dispatcher (it crashes parsing the
  COS ``Authorization: q-sign-algorithm=...`` header).
* Atomic conditional writes: moto checks ``If-None-Match: *`` and then stores, two steps
  another request can slip between. Real S3, OSS and COS do it atomically, so mutating
  requests are serialised here.
* ``x-oss-forbid-overwrite: true`` / ``x-cos-forbid-overwrite: true`` become
  ``If-None-Match: *``; moto's 412 becomes the stores' ``409 FileAlreadyExists``.
* OSS listings: no XML namespace and a ``<Type>`` in every ``<Contents>`` (oss2 needs both).
* COS errors get the ``<Resource>`` and ``<TraceId>`` elements the COS SDK expects.

Run ``python -m tests.backends.servers.s3compat_shim PORT``; in tests use :func:`running`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any

import requests

from tests.backends.servers import stop_group

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_WRITE_LOCK = threading.Lock()
_MUTATING = {"PUT", "POST", "DELETE"}


def _dialect(environ: Environ) -> str:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if auth.startswith("OSS"):
        return "oss"
    if auth.startswith("q-sign-algorithm"):
        return "cos"
    return "s3"


def _error_xml(dialect: str, code: str, message: str) -> bytes:
    extra = "<Resource>/</Resource><TraceId>shim</TraceId>" if dialect == "cos" else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
        f"<Message>{message}</Message><RequestId>shim</RequestId><HostId>shim</HostId>"
        f"{extra}</Error>"
    ).encode()


def _oss_listing(body: bytes) -> bytes:
    body = re.sub(rb'<ListBucketResult xmlns="[^"]*"', b"<ListBucketResult", body, count=1)
    return body.replace(b"<Contents>", b"<Contents><Type>Normal</Type>")


def _cos_error(body: bytes) -> bytes:
    if b"<Error>" not in body or b"<TraceId>" in body:
        return body
    extra = b"<TraceId>shim</TraceId>"
    if b"<Resource>" not in body:
        extra += b"<Resource>/</Resource>"
    return body.replace(b"</Error>", extra + b"</Error>", 1)


class S3CompatShim:
    """WSGI middleware around moto's S3 app."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        dialect = _dialect(environ)
        forbid = environ.get(f"HTTP_X_{dialect.upper()}_FORBID_OVERWRITE", "").lower() == "true"
        if forbid:
            environ["HTTP_IF_NONE_MATCH"] = "*"
        if environ["REQUEST_METHOD"] in _MUTATING:
            with _WRITE_LOCK:
                status, headers, body = self._call(environ)
        else:
            status, headers, body = self._call(environ)
        new_body = body
        if forbid and status.startswith("412"):
            status = "409 Conflict"
            new_body = _error_xml(dialect, "FileAlreadyExists", "The object already exists.")
        elif dialect == "oss" and b"<ListBucketResult" in body:
            new_body = _oss_listing(body)
        elif dialect == "cos" and int(status[:3]) >= 400:
            new_body = _cos_error(body)
        if new_body is not body:
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(new_body))))
        start_response(status, headers)
        return [new_body]

    def _call(self, environ: Environ) -> tuple[str, list[tuple[str, str]], bytes]:
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, list(headers)
            return chunks.append

        result = self.app(environ, capture)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return captured["status"], captured["headers"], b"".join(chunks)


def serve(port: int) -> None:
    """Serve the shim on 127.0.0.1:``port`` until killed."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from moto.moto_server.werkzeug_app import create_backend_app
    from werkzeug.serving import run_simple

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    app = S3CompatShim(create_backend_app("s3"))
    run_simple("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)


def create_bucket(url: str, bucket: str) -> None:
    """Create ``bucket`` (path-style, us-east-1; moto checks no signature)."""
    resp = requests.put(f"{url}/{bucket}", timeout=10)
    if resp.status_code not in (200, 409):
        raise RuntimeError(f"cannot create bucket {bucket}: {resp.status_code} {resp.text}")


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with open(log, encoding="utf-8", errors="replace") as fh:
                raise RuntimeError(f"s3compat shim exited with {proc.returncode}:\n{fh.read()}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url + "/", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"s3compat shim not ready at {url} after {timeout} s")


@contextlib.contextmanager
def running(port: int, buckets: Iterable[str] = ()) -> Iterator[str]:
    """Start the shim in its own process group; yields its base URL."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    env = {**os.environ, "PYTHONPATH": root, "MOTO_PORT": str(port)}
    url = f"http://127.0.0.1:{port}"
    with tempfile.NamedTemporaryFile(prefix="s3compat-shim-", suffix=".log") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.backends.servers.s3compat_shim", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_ready(proc, url, log.name)
            for bucket in buckets:
                create_bucket(url, bucket)
            yield url
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        stop_group(proc)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
