"""A test-only fake of OCI Object Storage, speaking its real native HTTP API (stdlib only).

No emulator exists, so this serves the subset that the ``oci`` SDK uses for objects:

* HTTP signatures (draft-cavage, ``rsa-sha256``) are verified with the caller's public key:
  the signing string is rebuilt from the ``headers="..."`` list, ``x-content-sha256`` is checked
  against the body, and the ``keyId`` must match;
* ``GET /n`` (namespace), ``POST /n/{ns}/b`` (create bucket: 409 ``BucketAlreadyExists``),
  ``HEAD``/``GET /n/{ns}/b/{bucket}``;
* ``PUT``/``GET``/``HEAD``/``DELETE /n/{ns}/b/{bucket}/o/{name}`` (names URL-encoded, ``/`` as
  ``%2F``), with ``If-None-Match: *`` / ``If-Match`` (412 ``IfNoneMatchFailed`` /
  ``IfMatchFailed``), ``Content-MD5`` checks and ``ETag``/``opc-content-md5``/``Last-Modified``;
* ``GET .../o?prefix&start&end&limit&delimiter&fields&startAfter``: JSON ``objects`` (only the
  requested ``fields``, besides ``name``), ``prefixes`` and ``nextStartWith``;
* errors as JSON ``{"code", "message"}`` with ``opc-request-id`` (no body for HEAD).

Run: ``python oci_server.py --namespace NS --key-id ID --modulus N --exponent E``; it prints
``PORT <n>`` when listening.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from email.utils import formatdate
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qsl
from urllib.parse import unquote

MAX_LIMIT = 1000
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


@dataclass
class Obj:
    data: bytes
    md5: str
    etag: str
    mtime: float
    content_type: str


class OciError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class State:
    namespace: str
    key_id: str
    modulus: int
    exponent: int
    buckets: dict[str, dict[str, Obj]]
    lock: threading.Lock


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def rsa_sha256_verify(modulus: int, exponent: int, message: bytes, signature: bytes) -> bool:
    """PKCS#1 v1.5 signature check with SHA-256, in plain integer arithmetic."""
    size = (modulus.bit_length() + 7) // 8
    decoded = pow(int.from_bytes(signature, "big"), exponent, modulus).to_bytes(size, "big")
    digest = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    return decoded == b"\x00\x01" + b"\xff" * (size - 3 - len(digest)) + b"\x00" + digest


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: State

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _dispatch(self) -> None:
        self.request_id = uuid.uuid4().hex.upper()
        self.raw_path, _, query = self.path.partition("?")
        self.params = dict(parse_qsl(query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        try:
            self._authenticate()
            self._route([unquote(p) for p in self.raw_path.strip("/").split("/")])
        except OciError as err:
            body = json.dumps({"code": err.code, "message": err.message}).encode()
            self._send(err.status, body, {"Content-Type": "application/json"})

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _dispatch

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        headers = {"opc-request-id": self.request_id, **(headers or {})}
        headers.setdefault("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _authenticate(self) -> None:
        auth = self.headers.get("Authorization") or ""
        fields = dict(re.findall(r'(\w+)="([^"]*)"', auth))
        if not auth.startswith("Signature ") or fields.get("algorithm") != "rsa-sha256":
            raise OciError(
                401,
                "NotAuthenticated",
                "The required information to complete authentication was not provided.",
            )
        names = fields.get("headers", "date").split()
        if fields.get("keyId") != self.state.key_id or not {"date", "(request-target)"} <= set(
            names
        ):
            raise OciError(
                401,
                "NotAuthenticated",
                "The required information to complete authentication was not provided.",
            )
        skew = abs(time.time() - parsedate_to_datetime(self.headers["date"]).timestamp())
        if skew > 300:
            raise OciError(401, "NotAuthenticated", "Date header is too far from the current time")
        if "x-content-sha256" in names:
            body_hash = base64.b64encode(hashlib.sha256(self.body).digest()).decode()
            if self.headers.get("x-content-sha256") != body_hash:
                raise OciError(400, "InvalidParameter", "x-content-sha256 does not match the body")
        lines = [
            f"(request-target): {self.command.lower()} {self.path}"
            if name == "(request-target)"
            else f"{name}: {self.headers.get(name, '')}"
            for name in names
        ]
        signature = base64.b64decode(fields.get("signature", ""))
        if not rsa_sha256_verify(
            self.state.modulus, self.state.exponent, "\n".join(lines).encode(), signature
        ):
            raise OciError(401, "NotAuthenticated", "The signature does not match.")

    def _route(self, parts: list[str]) -> None:
        if parts == ["n"] and self.command == "GET":
            return self._send(200, json.dumps(self.state.namespace).encode(), _JSON)
        if len(parts) < 3 or parts[0] != "n" or parts[2] != "b":
            raise OciError(404, "NotFound", "Not Found")
        if parts[1] != self.state.namespace:
            raise OciError(
                404,
                "NamespaceNotFound",
                "You do not have authorization to perform this request, or the requested resource could not be found.",
            )
        if len(parts) == 3:
            return self._create_bucket()
        bucket = parts[3]
        with self.state.lock:
            objects = self.state.buckets.get(bucket)
        if objects is None:
            raise OciError(
                404,
                "BucketNotFound",
                f"Either the bucket named '{bucket}' does not exist in the namespace '{parts[1]}' or you are not authorized to access it",
            )
        if len(parts) == 4:
            return self._send(
                200,
                json.dumps({"namespace": parts[1], "name": bucket}).encode(),
                {**_JSON, "ETag": bucket},
            )
        if parts[4] != "o":
            raise OciError(404, "NotFound", "Not Found")
        if len(parts) == 5:
            return self._list(objects)
        self._object(objects, bucket, "/".join(parts[5:]))

    def _create_bucket(self) -> None:
        if self.command != "POST":
            raise OciError(405, "MethodNotAllowed", "method not allowed")
        details = json.loads(self.body or b"{}")
        name, compartment = details.get("name"), details.get("compartmentId")
        if not name or not compartment:
            raise OciError(400, "InvalidParameter", "name and compartmentId are required")
        with self.state.lock:
            if name in self.state.buckets:
                raise OciError(
                    409,
                    "BucketAlreadyExists",
                    "Either the bucket already exists or you are not authorized to create it",
                )
            self.state.buckets[name] = {}
        bucket = {
            "namespace": self.state.namespace,
            "name": name,
            "compartmentId": compartment,
            "createdBy": "ocid1.user.oc1..fake",
            "timeCreated": _iso(time.time()),
            "etag": uuid.uuid4().hex,
            "publicAccessType": details.get("publicAccessType", "NoPublicAccess"),
            "storageTier": "Standard",
        }
        self._send(200, json.dumps(bucket).encode(), {**_JSON, "ETag": bucket["etag"]})

    def _list(self, objects: dict[str, Obj]) -> None:
        prefix, delimiter = self.params.get("prefix", ""), self.params.get("delimiter", "")
        start, end = self.params.get("start", ""), self.params.get("end")
        after = self.params.get("startAfter")
        limit = min(int(self.params.get("limit") or MAX_LIMIT), MAX_LIMIT)
        fields = set(self.params.get("fields", "name").split(","))
        if delimiter not in ("", "/"):
            raise OciError(400, "InvalidParameter", "Only '/' is supported as a delimiter")
        with self.state.lock:
            items = sorted(objects.items())
        found: list[dict[str, object]] = []
        prefixes: list[str] = []
        next_start = None
        for name, obj in items:
            if not name.startswith(prefix) or name < start or (after and name <= after):
                continue
            if end is not None and name >= end:
                break
            cut = name.find("/", len(prefix)) if delimiter else -1
            common = name[: cut + 1] if cut >= 0 else None
            if common is not None and common in prefixes:
                continue
            if len(found) + len(prefixes) == limit:
                next_start = name if common is None else common
                break
            if common is not None:
                prefixes.append(common)
            else:
                found.append(self._summary(name, obj, fields))
        answer: dict[str, object] = {"objects": found}
        if delimiter:
            answer["prefixes"] = prefixes
        if next_start is not None:
            answer["nextStartWith"] = next_start
        self._send(200, json.dumps(answer).encode(), _JSON)

    @staticmethod
    def _summary(name: str, obj: Obj, fields: set[str]) -> dict[str, object]:
        every: dict[str, object] = {
            "name": name,
            "size": len(obj.data),
            "md5": obj.md5,
            "etag": obj.etag,
            "timeCreated": _iso(obj.mtime),
            "timeModified": _iso(obj.mtime),
            "storageTier": "Standard",
        }
        return {k: v for k, v in every.items() if k == "name" or k in fields}

    def _object(self, objects: dict[str, Obj], bucket: str, name: str) -> None:
        with self.state.lock:
            current = objects.get(name)
            self._check_conditions(current)
            if self.command == "PUT":
                current = objects[name] = self._new_object()
                return self._send(200, b"", self._object_headers(current, body=False))
            if current is None:
                raise OciError(
                    404,
                    "ObjectNotFound",
                    f"The object '{name}' was not found in the bucket '{bucket}'",
                )
            if self.command == "DELETE":
                del objects[name]
                return self._send(
                    204, b"", {"last-modified": formatdate(current.mtime, usegmt=True)}
                )
        if self.command not in ("GET", "HEAD"):
            raise OciError(405, "MethodNotAllowed", "method not allowed")
        self._send(200, current.data, self._object_headers(current, body=True))

    def _check_conditions(self, current: Obj | None) -> None:
        if_none, if_match = self.headers.get("if-none-match"), self.headers.get("if-match")
        if if_none is not None and current is not None and if_none in ("*", current.etag):
            if self.command in ("GET", "HEAD"):
                raise OciError(304, "NotModified", "The object was not modified")
            raise OciError(
                412,
                "IfNoneMatchFailed",
                "The If-None-Match header is '*' but there is an existing entity",
            )
        if if_match is not None and (current is None or if_match != current.etag):
            raise OciError(
                412, "IfMatchFailed", "The If-Match header does not match the current entity tag"
            )

    def _new_object(self) -> Obj:
        md5 = base64.b64encode(hashlib.md5(self.body).digest()).decode()
        given = self.headers.get("Content-MD5")
        if given is not None and given != md5:
            raise OciError(
                400,
                "UnmatchedContentMD5",
                f"The computed MD5 of the request body ({md5}) does not match the Content-MD5 header ({given})",
            )
        kind = self.headers.get("Content-Type") or "application/octet-stream"
        return Obj(self.body, md5, str(uuid.uuid4()), time.time(), kind)

    @staticmethod
    def _object_headers(obj: Obj, body: bool) -> dict[str, str]:
        headers = {
            "ETag": obj.etag,
            "opc-content-md5": obj.md5,
            "last-modified": formatdate(obj.mtime, usegmt=True),
            "version-id": obj.etag,
        }
        if body:
            headers.update(
                {
                    "Content-Type": obj.content_type,
                    "Content-Length": str(len(obj.data)),
                    "Content-MD5": obj.md5,
                    "Accept-Ranges": "bytes",
                    "storage-tier": "Standard",
                }
            )
        return headers


_JSON = {"Content-Type": "application/json"}


@contextlib.contextmanager
def fake_oci(namespace: str, key_id: str, modulus: int, exponent: int) -> Iterator[str]:
    """Run this fake in a child process; yields its endpoint ``http://127.0.0.1:<port>``."""
    from tests.backends.servers import child_server  # parent side: the child runs as a script

    args = ["--namespace", namespace, "--key-id", key_id]
    args += ["--modulus", str(modulus), "--exponent", str(exponent)]
    with child_server(__file__, args, "fake OCI") as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--key-id", required=True)
    parser.add_argument("--modulus", type=int, required=True)
    parser.add_argument("--exponent", type=int, default=65537)
    parser.add_argument("--bucket", action="append", default=[])
    args = parser.parse_args()
    Handler.state = State(
        args.namespace,
        args.key_id,
        args.modulus,
        args.exponent,
        {name: {} for name in args.bucket},
        threading.Lock(),
    )
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
