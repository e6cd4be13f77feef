"""A real one-node OpenStack Swift ("all-in-one") with tempauth, for the openstack tests.

Uses the Swift servers installed by ``.ci/deps/openstack.sh`` (Debian's ``swift-proxy``,
``swift-object``, ``swift-container``, ``swift-account`` and ``memcached``; a ``pip install
swift`` on ``PATH`` works too). Everything lives in a temporary folder: one device, one
replica, rings built in a single process with the interpreter that runs Swift itself.
tempauth knows the account ``test`` with user ``tester`` / key ``testing``.

In tests use :func:`running`; ``python -m tests.backends.servers.swift_server DIR`` serves
until interrupted (handy for poking at it by hand).
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field

import requests

ACCOUNT, USER, KEY = "test", "tester", "testing"
SERVERS = ("account", "container", "object", "proxy")
_FILTERS = ("catch_errors", "gatekeeper", "healthcheck", "proxy-logging")
_FILTERS += ("listing_formats", "copy", "dlo", "slo")
BINARIES = ("memcached", "swift-ring-builder", *(f"swift-{s}-server" for s in SERVERS))

_RING_SCRIPT = """
import sys
from swift.common.ring import RingBuilder
for kind, port in zip(("account", "container", "object"), sys.argv[1:]):
    builder = RingBuilder(6, 1, 1)
    builder.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1",
                     "port": int(port), "device": "d1", "weight": 1, "meta": ""})
    builder.rebalance()
    builder.save(kind + ".builder")
    builder.get_ring().save(kind + ".ring.gz")
"""


@dataclass
class SwiftServer:
    """A running Swift: its proxy port and the processes to stop."""

    base: str
    ports: dict[str, int]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return f"http://127.0.0.1:{self.ports['proxy']}"

    @property
    def auth_url(self) -> str:
        """The tempauth (Swift v1 auth) URL."""
        return f"{self.url}/auth/v1.0"

    def stop(self) -> None:
        """Stop every process group, politely first."""
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _free_ports(count: int) -> list[int]:
    """``count`` distinct free ports: each socket stays bound until all are picked, since
    the servers bind with SO_REUSEPORT and two of them given one port would share it."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def _check_binaries() -> None:
    missing = [name for name in BINARIES if shutil.which(name) is None]
    if missing:
        raise RuntimeError(f"Swift test server needs {missing}: run .ci/deps/openstack.sh")


def _swift_python() -> str:
    """The interpreter that runs Swift (from swift-ring-builder's shebang)."""
    path = shutil.which("swift-ring-builder") or "swift-ring-builder"
    with open(path, encoding="utf-8", errors="replace") as fh:
        first = fh.readline()
    return first[2:].strip().split()[0] if first.startswith("#!") else sys.executable


def _common(base: str, port: int, name: str) -> str:
    return (
        f"[DEFAULT]\ndevices = {base}/node\nmount_check = false\ndisable_fallocate = true\n"
        f"bind_ip = 127.0.0.1\nbind_port = {port}\nworkers = 0\nuser = {getpass.getuser()}\n"
        f"swift_dir = {base}/etc\nlog_name = {name}\nlog_level = WARNING\n"
    )


def _proxy_conf(base: str, ports: dict[str, int]) -> str:
    proxy = ports["proxy"]
    pipeline = (
        "catch_errors gatekeeper healthcheck proxy-logging cache listing_formats tempauth"
        " copy dlo slo proxy-logging proxy-server"
    )
    filters = "".join(
        f"[filter:{name}]\nuse = egg:swift#{name.replace('-', '_')}\n" for name in _FILTERS
    )
    return (
        _common(base, proxy, "proxy-server") + f"[pipeline:main]\npipeline = {pipeline}\n"
        "[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n"
        "allow_account_management = true\n"
        "[filter:tempauth]\nuse = egg:swift#tempauth\n"
        f"user_{ACCOUNT}_{USER} = {KEY} .admin http://127.0.0.1:{proxy}/v1/AUTH_{ACCOUNT}\n"
        f"[filter:cache]\nuse = egg:swift#memcache\nmemcache_servers = 127.0.0.1:{ports['mc']}\n"
        + filters
    )


def _configure(base: str, ports: dict[str, int]) -> None:
    etc = os.path.join(base, "etc")
    for sub in ("etc", "node/d1", "run"):
        os.makedirs(os.path.join(base, sub), exist_ok=True)
    with open(os.path.join(etc, "swift.conf"), "w", encoding="utf-8") as fh:
        fh.write(
            "[swift-hash]\nswift_hash_path_suffix = testsuffix\n"
            "swift_hash_path_prefix = testprefix\n"
            "[storage-policy:0]\nname = Policy-0\ndefault = yes\n"
        )
    for name in SERVERS[:3]:
        conf = _common(base, ports[name], name)
        conf += f"[pipeline:main]\npipeline = {name}-server\n"
        conf += f"[app:{name}-server]\nuse = egg:swift#{name}\n"
        with open(os.path.join(etc, f"{name}-server.conf"), "w", encoding="utf-8") as fh:
            fh.write(conf)
    with open(os.path.join(etc, "proxy-server.conf"), "w", encoding="utf-8") as fh:
        fh.write(_proxy_conf(base, ports))
    rings = [_swift_python(), "-c", _RING_SCRIPT, *(str(ports[s]) for s in SERVERS[:3])]
    subprocess.run(rings, cwd=etc, check=True, capture_output=True, timeout=60)


def _spawn(cmd: list[str], log_path: str) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as log:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
    except OSError:
        return False
    return True


def _wait_ready(server: SwiftServer, timeout: float = 30) -> None:
    """Ready when every server listens and a tempauth login plus an account HEAD work."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        for proc in server.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"Swift process {proc.args!r} exited: see {server.base}/run")
        waiting = [name for name, port in server.ports.items() if not _listening(port)]
        if waiting:
            last = f"not listening yet: {waiting}"
            time.sleep(0.05)
            continue
        try:
            auth = requests.get(
                server.auth_url,
                headers={"X-Auth-User": f"{ACCOUNT}:{USER}", "X-Auth-Key": KEY},
                timeout=2,
            )
            token = auth.headers.get("X-Auth-Token", "")
            resp = requests.head(
                auth.headers.get("X-Storage-Url", server.url),
                headers={"X-Auth-Token": token},
                timeout=2,
            )
            if resp.status_code in (200, 204):
                return
            last = f"HTTP {resp.status_code}"
        except requests.RequestException as exc:
            last = str(exc)
        time.sleep(0.1)
    raise RuntimeError(f"Swift did not become ready ({last}): see {server.base}/run")


def start(base: str) -> SwiftServer:
    """Configure and start memcached and the four Swift servers below ``base``."""
    _check_binaries()
    names = (*SERVERS, "mc")
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    _configure(base, ports)
    server = SwiftServer(base, ports)
    run = os.path.join(base, "run")
    try:
        mc = ["memcached", "-l", "127.0.0.1", "-p", str(ports["mc"]), "-U", "0", "-m", "16"]
        if os.geteuid() == 0:
            mc += ["-u", "root"]
        server.procs.append(_spawn(mc, os.path.join(run, "memcached.log")))
        for name in SERVERS:
            conf = os.path.join(base, "etc", f"{name}-server.conf")
            cmd = [f"swift-{name}-server", conf, "-v"]
            server.procs.append(_spawn(cmd, os.path.join(run, f"{name}.log")))
        _wait_ready(server)
    except BaseException:
        server.stop()
        raise
    return server


@contextlib.contextmanager
def running(base: str) -> Iterator[SwiftServer]:
    """Start Swift below ``base`` for the duration of the block."""
    server = start(base)
    try:
        yield server
    finally:
        server.stop()


if __name__ == "__main__":
    with running(sys.argv[1]) as swift:
        print(f"Swift ready: ST_AUTH={swift.auth_url} ST_USER={ACCOUNT}:{USER} ST_KEY={KEY}")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
