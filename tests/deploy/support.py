"""Helpers for the deployment tests: the Dockerfile as data, the server started exactly as the
image starts it, nginx with the shipped configs, and big incompressible chart packages."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tarfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

from tests.helpers import BIN
from tests.helpers import Server
from tests.helpers import chart_yaml
from tests.helpers import free_port

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHART_DIR = os.path.join(REPO, "helm-chart")
DOCKERFILE = os.path.join(REPO, "Dockerfile")
NGINX_DIR = os.path.join(REPO, "deploy", "nginx")
MiB = 1024 * 1024
#: Debian installs nginx in /usr/sbin, which is not on every user's PATH
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


# --- the Dockerfile ------------------------------------------------------------------------


@dataclass
class Stage:
    """One build stage: its instructions as (KEYWORD, arguments) pairs."""

    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]

    def last(self, keyword: str) -> str:
        found = self.all(keyword)
        assert found, f"no {keyword} in stage {self.name or self.base}"
        return found[-1]


def dockerfile_stages(path: str = DOCKERFILE) -> list[Stage]:
    """The Dockerfile's stages (comments dropped, continuation lines joined)."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    stages: list[Stage] = []
    for line in lines:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else ""
            stages.append(Stage(parts[0], name))
        elif stages:
            stages[-1].instructions.append((keyword, args.strip()))
    return stages


def exec_form(args: str) -> list[str]:
    """A JSON ("exec form") instruction argument, e.g. ENTRYPOINT [...]."""
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def env_instruction(args: str) -> dict[str, str]:
    """``ENV A=1 B=2`` (the key=value form) as a mapping."""
    found: dict[str, str] = {}
    for item in shlex.split(args):
        key, sep, value = item.partition("=")
        assert sep, f"ENV uses the key=value form: {item}"
        found[key] = value
    return found


def image_files(stage: Stage) -> dict[str, str]:
    """Files the stage copies from the build context: image path -> repository path."""
    files: dict[str, str] = {}
    workdir = "/"
    for keyword, args in stage.instructions:
        if keyword == "WORKDIR":
            workdir = os.path.join(workdir, args)
        elif keyword == "COPY" and not args.startswith("--from"):
            *sources, dest = args.split()
            dest = os.path.join(workdir, dest)
            for source in sources:
                target = (
                    os.path.join(dest, os.path.basename(source)) if dest.endswith("/") else dest
                )
                files[os.path.normpath(target)] = os.path.join(REPO, source)
    return files


def runtime_stage() -> Stage:
    return dockerfile_stages()[-1]


def image_command(argv: list[str]) -> list[str]:
    """An image command run from this checkout: the venv's executables, repository files."""
    files = image_files(runtime_stage())
    command = [os.path.join(BIN, argv[0]) if os.sep not in argv[0] else argv[0]]
    return command + [files.get(arg, arg) for arg in argv[1:]]


def entrypoint() -> list[str]:
    """The image's ENTRYPOINT (+ CMD), runnable here."""
    stage = runtime_stage()
    argv = exec_form(stage.last("ENTRYPOINT"))
    if stage.all("CMD"):
        argv += exec_form(stage.last("CMD"))
    return image_command(argv)


def healthcheck() -> list[str]:
    """The image's HEALTHCHECK command, runnable here."""
    args = runtime_stage().last("HEALTHCHECK")
    match = re.search(r"\bCMD\s+(\[.*\])\s*$", args)
    assert match, f"HEALTHCHECK must use the exec form: {args}"
    return image_command(exec_form(match.group(1)))


def image_env() -> dict[str, str]:
    """The runtime stage's ENV settings (PATH left out)."""
    env: dict[str, str] = {}
    for args in runtime_stage().all("ENV"):
        env.update(env_instruction(args))
    env.pop("PATH", None)
    return env


@dataclass
class ImageServer(Server):
    """A server started like the image; ``env`` is the environment it got (the image's ENV
    plus the test's settings), which the image's HEALTHCHECK also sees."""

    env: dict[str, str] = field(default_factory=dict)


def start_like_image(
    workdir: str, env: Mapping[str, str], log_name: str = "gunicorn"
) -> ImageServer:
    """Start the server with the image's entry point and ENV, from an empty working folder.

    ``env`` adds to or overrides the image's ENV (storage folder, limits, context path...);
    the server listens on 127.0.0.1 on a free port.
    """
    cwd = os.path.join(workdir, f"{log_name}-cwd")  # the image runs from /app
    os.makedirs(cwd, exist_ok=True)
    port = free_port()
    settings = {**image_env(), "WORKERS": "2", "THREADS": "4", **env}
    settings.update(PORT=str(port), LISTEN_HOST="127.0.0.1")
    log_path = os.path.join(workdir, f"{log_name}.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            entrypoint(), cwd=cwd, env={**os.environ, **settings}, stdout=log, stderr=log
        )
    server = ImageServer(proc, f"http://127.0.0.1:{port}", log_path, settings)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}:\n{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"server did not start:\n{server.log()}")


# --- nginx ---------------------------------------------------------------------------------


def shipped_nginx_conf(
    name: str,
    upstream_port: int,
    listen_port: int,
    body_size: str | None = None,
    tls: tuple[str, str] | None = None,
    redirect_port: int | None = None,
) -> str:
    """A shipped nginx config with the documented lines adapted for a test.

    Rewritten, each exactly where the file's header says: the upstream address, the listen
    lines (IPv6 ones dropped), and on request client_max_body_size, the certificate paths and
    the HTTPS port of the port-80 redirect.
    """
    with open(os.path.join(NGINX_DIR, name), encoding="utf-8") as fh:
        text = fh.read()

    def sub(pattern: str, repl: str, count: int = 1) -> None:
        nonlocal text
        text, n = re.subn(pattern, repl, text, flags=re.MULTILINE)
        assert n == count, f"{name}: expected {count} line(s) matching {pattern!r}, found {n}"

    sub(r"^(\s*)server 127\.0\.0\.1:8080;", rf"\g<1>server 127.0.0.1:{upstream_port};")
    sub(r"^\s*listen \[::\]:\d+.*;\n", "", count=2 if tls else 1)
    if tls:
        sub(r"^(\s*)listen 80;", rf"\g<1>listen 127.0.0.1:{redirect_port or free_port()};")
        sub(r"^(\s*)listen 443 ssl(.*);", rf"\g<1>listen 127.0.0.1:{listen_port} ssl\2;")
        sub(r"^(\s*)ssl_certificate \S+;", rf"\g<1>ssl_certificate {tls[0]};")
        sub(r"^(\s*)ssl_certificate_key \S+;", rf"\g<1>ssl_certificate_key {tls[1]};")
        sub(
            r"^(\s*)return 308 https://\$host\$request_uri;",
            rf"\g<1>return 308 https://$host:{listen_port}$request_uri;",
        )
    else:
        sub(r"^(\s*)listen 80;", rf"\g<1>listen 127.0.0.1:{listen_port};")
    if body_size:
        sub(r"^(\s*)client_max_body_size \S+;", rf"\g<1>client_max_body_size {body_size};")
    return text


@dataclass
class Nginx:
    """A running nginx master (foreground) with its own prefix folder."""

    proc: subprocess.Popen[bytes]
    url: str
    prefix: str

    def error_log(self) -> str:
        with open(os.path.join(self.prefix, "error.log"), encoding="utf-8", errors="replace") as fh:
            return fh.read()

    def access_log(self) -> str:
        with open(
            os.path.join(self.prefix, "access.log"), encoding="utf-8", errors="replace"
        ) as fh:
            return fh.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful shutdown
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def nginx_main_conf(prefix: str, site: str) -> str:
    """nginx.conf for a test: everything under ``prefix``, the site config included."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the test's files
    temp = "\n".join(
        f"    {kind}_temp_path {os.path.join(prefix, kind)};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log info;\ndaemon off;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"    access_log {prefix}/access.log;\n{temp}\n"
        f"    include {site};\n"
        "}\n"
    )


def nginx_check(prefix: str, site_text: str) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on a site config (wrapped in a test nginx.conf)."""
    conf = _write_nginx(prefix, site_text)
    return subprocess.run(
        [NGINX, "-t", "-p", prefix, "-e", os.path.join(prefix, "error.log"), "-c", conf],
        capture_output=True,
        text=True,
        timeout=30,
    )


def _write_nginx(prefix: str, site_text: str) -> str:
    if not os.path.exists(NGINX):
        raise RuntimeError("nginx is not installed: run `bash .ci/system-deps.sh` (nginx-light)")
    os.makedirs(prefix, exist_ok=True)
    site = os.path.join(prefix, "chartmuseum.conf")
    with open(site, "w", encoding="utf-8") as fh:
        fh.write(site_text)
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w", encoding="utf-8") as fh:
        fh.write(nginx_main_conf(prefix, site))
    return conf


def start_nginx(prefix: str, site_text: str, port: int, scheme: str = "http") -> Nginx:
    """Start nginx with ``site_text`` (which listens on ``port``) and wait until it accepts."""
    conf = _write_nginx(prefix, site_text)
    log = open(os.path.join(prefix, "stderr.log"), "wb")  # noqa: SIM115 - lives with nginx
    proc = subprocess.Popen(
        [NGINX, "-p", prefix, "-e", os.path.join(prefix, "error.log"), "-c", conf],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    nginx = Nginx(proc, f"{scheme}://127.0.0.1:{port}", prefix)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited {proc.returncode}:\n{nginx.error_log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return nginx
        except OSError:
            time.sleep(0.05)
    nginx.stop()
    raise RuntimeError(f"nginx did not start:\n{nginx.error_log()}")


def behind(server: Server, url: str) -> Server:
    """The same server process, reached at ``url`` (nginx's address, maybe with a prefix)."""
    return Server(server.proc, url, server.log_path)


# --- big charts ----------------------------------------------------------------------------


def big_chart(name: str, version: str, size: int) -> bytes:
    """A valid chart package of about ``size`` bytes that gzip cannot shrink.

    The random payload is split into files under 4 MiB: Helm's loader refuses any single file
    over 5 MiB in a chart archive.
    """
    raw = io.BytesIO()
    files: dict[str, bytes] = {
        "Chart.yaml": chart_yaml(name, version, description="large incompressible chart").encode(),
        "values.yaml": b"replicaCount: 1\n",
    }
    left, index = size, 0
    while left > 0:
        chunk = min(left, 4 * MiB - 4096)
        files[f"files/blob-{index:02d}.bin"] = os.urandom(chunk)
        left, index = left - chunk, index + 1
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path, payload in files.items():
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size, info.mode, info.mtime = len(payload), 0o644, 1700000000
            tar.addfile(info, io.BytesIO(payload))
    return gzip.compress(raw.getvalue(), compresslevel=1, mtime=0)
