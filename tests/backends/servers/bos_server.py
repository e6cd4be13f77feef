"""A test-only fake of Baidu Object Storage (BOS), speaking BOS's real HTTP API (stdlib only).

No BOS emulator exists, so this serves the subset that ``bce-python-sdk`` uses, path-style
(``/<bucket>/<key>``, what the SDK sends to an IPv4 endpoint):

* ``bce-auth-v1`` signatures are verified (HMAC-SHA256 over method, path, query and the signed
  headers), so a request the real service would reject is rejected here too;
* ``PUT`` object with ``x-bce-content-crc32``/``Content-MD5`` checks and the conditional headers
  ``If-None-Match: *`` / ``If-Match`` (412 ``PreconditionFailed``); ``GET``/``HEAD`` with
  ``Last-Modified`` (RFC 1123), ``ETag``, ``Content-Length``; ``DELETE`` (204, 404 when absent);
* bucket ``HEAD``/``PUT`` and the JSON listing ``GET /<bucket>?prefix&marker&maxKeys&delimiter``
  with ``contents``, ``commonPrefixes``, ``isTruncated`` and ``nextMarker``;
* errors as JSON ``{"code", "message", "requestId"}`` (no body for HEAD).

Run: ``python bos_server.py --ak AK --sk SK [--bucket B]``; it prints ``PORT <n>`` when ready.
"""

from __future__ import annotations

import argparse
import base64
import calendar
import contextlib
import hashlib
import hmac
import json
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qsl
from urllib.parse import quote
from urllib.parse import unquote

MAX_KEYS = 1000
SIGNED_BY_DEFAULT = {"host", "content-md5", "content-length", "content-type"}


@dataclass
class Obj:
    data: bytes
    etag: str
    mtime: int
    content_type: str


class BosError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class State:
    def __init__(self, ak: str, sk: str) -> None:
        self.ak, self.sk = ak, sk
        self.buckets: dict[str, dict[str, Obj]] = {}
        self.lock = threading.Lock()


def _norm(text: str) -> str:
    return quote(text, safe="-_.~")


def _iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "BceBos"
    state: State

    def log_message(self, format: str, *args: object) -> None:
        pass

    # -- plumbing ----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        self.request_id = str(uuid.uuid4())
        raw_path, _, query = self.path.partition("?")
        self.raw_path, self.params = raw_path, dict(parse_qsl(query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        try:
            self._check_signature()
            bucket, _, key = unquote(raw_path).lstrip("/").partition("/")
            if not bucket:
                raise BosError(400, "InvalidURI", "bucket name is required")
            if key:
                self._object(bucket, key)
            else:
                self._bucket(bucket)
        except BosError as err:
            body = json.dumps(
                {"code": err.code, "message": err.message, "requestId": self.request_id}
            ).encode()
            self._send(err.status, body, {"Content-Type": "application/json; charset=utf-8"})

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _dispatch

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"x-bce-request-id": self.request_id, **(headers or {})}.items():
            self.send_header(name, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status != 304 and body:
            self.wfile.write(body)

    def _check_signature(self) -> None:
        parts = (self.headers.get("Authorization") or "").split("/")
        if len(parts) != 6 or parts[0] != "bce-auth-v1":
            raise BosError(403, "AccessDenied", "missing or malformed Authorization")
        _, ak, stamp, expires, signed, signature = parts
        if ak != self.state.ak:
            raise BosError(403, "InvalidAccessKeyId", "unknown access key")
        age = time.time() - calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))
        if abs(age) > int(expires):
            raise BosError(400, "RequestExpired", "the request has expired")
        names = set(signed.split(";")) if signed else SIGNED_BY_DEFAULT
        canonical = sorted(
            f"{_norm(k.lower())}:{_norm(v.strip())}"
            for k, v in self.headers.items()
            if v.strip() and (k.lower().startswith("x-bce-") or k.lower() in names)
        )
        query = sorted(f"{_norm(k)}={_norm(v)}" for k, v in self.params.items())
        text = "\n".join([self.command, self.raw_path, "&".join(query), "\n".join(canonical)])
        key = hmac.new(self.state.sk.encode(), "/".join(parts[:4]).encode(), hashlib.sha256)
        expected = hmac.new(key.hexdigest().encode(), text.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise BosError(403, "SignatureDoesNotMatch", "the request signature does not match")

    # -- buckets -----------------------------------------------------------------------------

    def _bucket(self, bucket: str) -> None:
        with self.state.lock:
            exists = bucket in self.state.buckets
            if self.command == "PUT":
                if exists:
                    raise BosError(409, "BucketAlreadyExists", "the bucket already exists")
                self.state.buckets[bucket] = {}
                return self._send(200)
        if not exists:
            raise BosError(404, "NoSuchBucket", "the specified bucket does not exist")
        if self.command == "HEAD":
            return self._send(200)
        if self.command != "GET":
            raise BosError(405, "MethodNotAllowed", "method not allowed")
        self._list(bucket)

    def _list(self, bucket: str) -> None:
        prefix, marker = self.params.get("prefix", ""), self.params.get("marker", "")
        delimiter = self.params.get("delimiter", "")
        limit = min(int(self.params.get("maxKeys") or MAX_KEYS), MAX_KEYS)
        with self.state.lock:
            items = sorted(self.state.buckets[bucket].items())
        contents: list[dict[str, object]] = []
        prefixes: list[str] = []
        truncated, last = False, ""
        for key, obj in items:
            if not key.startswith(prefix) or key <= marker:
                continue
            cut = key.find(delimiter, len(prefix)) if delimiter else -1
            common = key[: cut + len(delimiter)] if cut >= 0 else None
            if common is not None and (common in prefixes or common <= marker):
                continue
            if len(contents) + len(prefixes) == limit:
                truncated = True
                break
            if common is not None:
                prefixes.append(common)
                last = common
                continue
            contents.append(
                {
                    "key": key,
                    "lastModified": _iso(obj.mtime),
                    "eTag": obj.etag,
                    "size": len(obj.data),
                    "storageClass": "STANDARD",
                    "owner": {"id": "fake-owner", "displayName": "fake"},
                }
            )
            last = key
        answer: dict[str, object] = {
            "name": bucket,
            "prefix": prefix,
            "delimiter": delimiter,
            "marker": marker,
            "maxKeys": limit,
            "isTruncated": truncated,
            "contents": contents,
            "commonPrefixes": [{"prefix": p} for p in prefixes],
        }
        if truncated:
            answer["nextMarker"] = last
        self._send(200, json.dumps(answer).encode(), {"Content-Type": "application/json"})

    # -- objects -----------------------------------------------------------------------------

    def _object(self, bucket: str, key: str) -> None:
        with self.state.lock:
            if bucket not in self.state.buckets:
                raise BosError(404, "NoSuchBucket", "the specified bucket does not exist")
            objects = self.state.buckets[bucket]
            current = objects.get(key)
            if self.command == "PUT":
                return self._put(objects, key, current)
            if current is None:
                raise BosError(404, "NoSuchKey", "the specified key does not exist")
            if self.command == "DELETE":
                del objects[key]
                return self._send(204)
        if self.command not in ("GET", "HEAD"):
            raise BosError(405, "MethodNotAllowed", "method not allowed")
        self._check_conditions(current)
        headers = {
            "Content-Type": current.content_type,
            "Content-Length": str(len(current.data)),
            "Last-Modified": formatdate(current.mtime, usegmt=True),
            "ETag": f'"{current.etag}"',
            "x-bce-storage-class": "STANDARD",
            "x-bce-content-crc32": str(zlib.crc32(current.data)),
        }
        self._send(200, current.data, headers)

    def _check_conditions(self, current: Obj | None) -> None:
        if_none, if_match = self.headers.get("If-None-Match"), self.headers.get("If-Match")
        matched = current is not None and (if_none or "").strip() in ("*", f'"{current.etag}"')
        if if_none is not None and matched:
            if self.command in ("GET", "HEAD"):
                raise BosError(304, "NotModified", "not modified")
            raise BosError(412, "PreconditionFailed", "If-None-Match precondition failed")
        if if_match is not None and (current is None or current.etag not in if_match):
            raise BosError(412, "PreconditionFailed", "If-Match precondition failed")

    def _put(self, objects: dict[str, Obj], key: str, current: Obj | None) -> None:
        crc = self.headers.get("x-bce-content-crc32")
        if crc is not None and int(crc) != zlib.crc32(self.body):
            raise BosError(400, "BadDigest", "the x-bce-content-crc32 does not match")
        md5 = hashlib.md5(self.body)
        given = self.headers.get("Content-MD5")
        if given is not None and given != base64.b64encode(md5.digest()).decode():
            raise BosError(400, "BadDigest", "the Content-MD5 does not match")
        self._check_conditions(current)
        obj = Obj(self.body, md5.hexdigest(), int(time.time()), self.headers["Content-Type"] or "")
        objects[key] = obj
        self._send(
            200, b"", {"ETag": f'"{obj.etag}"', "x-bce-content-crc32": str(zlib.crc32(obj.data))}
        )


@contextlib.contextmanager
def fake_bos(ak: str, sk: str, buckets: list[str]) -> Iterator[str]:
    """Run this fake in a child process; yields its endpoint ``http://127.0.0.1:<port>``."""
    from tests.backends.servers import child_server  # parent side: the child runs as a script

    args = ["--ak", ak, "--sk", sk, *[a for b in buckets for a in ("--bucket", b)]]
    with child_server(__file__, args, "fake BOS") as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ak", required=True)
    parser.add_argument("--sk", required=True)
    parser.add_argument("--bucket", action="append", default=[])
    args = parser.parse_args()
    Handler.state = State(args.ak, args.sk)
    Handler.state.buckets.update({name: {} for name in args.bucket})
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
