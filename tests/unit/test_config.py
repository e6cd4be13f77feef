"""The option table: every option by flag, env var and config file; precedence; errors."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import Any

import pytest

from app.config import load_config
from app.errors import ConfigError
from app.gocompat.flags import parse_go_duration
from app.gocompat.flags import parse_go_int
from app.options import OPTIONS
from app.options import Config
from tests.helpers import BIN

SAMPLES: dict[str, tuple[str, Any]] = {
    "bool": ("true", True),
    "int": ("42", 42),
    "str": ("some-value", "some-value"),
    "duration": ("1m30s", 90.0),
    "kv": ("org1/repo1=abc", {"org1/repo1": "abc"}),
}
TABLE = [o for o in OPTIONS if o.name != "config"]


def _sample(opt: dataclasses.Field[Any]) -> tuple[str, Any]:
    text, value = SAMPLES[opt.metadata["kind"]]
    if opt.metadata["kind"] == "bool" and opt.default is True:
        return "false", False
    return text, value


@pytest.mark.parametrize("opt", TABLE, ids=lambda o: o.name)
def test_every_option_by_flag(opt: dataclasses.Field[Any]) -> None:
    text, value = _sample(opt)
    config = load_config([f"--{opt.metadata['flag']}={text}"], {})
    assert getattr(config, opt.name) == value


@pytest.mark.parametrize("opt", TABLE, ids=lambda o: o.name)
def test_every_option_by_env(opt: dataclasses.Field[Any]) -> None:
    text, value = _sample(opt)
    config = load_config([], {opt.metadata["env"]: text})
    assert getattr(config, opt.name) == value


@pytest.mark.parametrize("nested", [False, True])
@pytest.mark.parametrize("opt", TABLE, ids=lambda o: o.name)
def test_every_option_by_config_file(opt: dataclasses.Field[Any], nested: bool, tmp_path) -> None:
    text, value = _sample(opt)
    key = opt.metadata["key"]
    yaml_value = "\n  org1/repo1: abc" if opt.metadata["kind"] == "kv" else f'"{text}"'
    if nested and "." in key:
        parts = key.split(".")
        doc = "".join(f"{'  ' * i}{p}:\n" for i, p in enumerate(parts[:-1]))
        doc += f"{'  ' * (len(parts) - 1)}{parts[-1]}: {yaml_value.replace(chr(10), chr(10) + '  ' * len(parts))}\n"
    else:
        doc = f"{key}: {yaml_value}\n"
    path = tmp_path / "config.yaml"
    path.write_text(doc)
    config = load_config([f"--config={path}"], {})
    assert getattr(config, opt.name) == value


def test_precedence_flag_over_env_over_file(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("port: 1111\nstorage:\n  backend: local\nDEBUG: true\n")
    assert load_config(["-c", str(path)], {}).port == 1111
    assert load_config(["-c", str(path)], {"PORT": "2222"}).port == 2222
    assert load_config(["-c", str(path), "--port=3333"], {"PORT": "2222"}).port == 3333
    assert load_config([], {"CONFIG": str(path)}).storage == "local"
    assert load_config([], {"CONFIG": str(path)}).debug is True  # keys are case-insensitive


def test_defaults_are_chartmuseums() -> None:
    config = Config()
    assert (config.port, config.max_upload_size, config.cache_interval) == (8080, 20971520, 300.0)
    assert config.storage_amazon_force_path_style is True
    assert config.listen_host == "0.0.0.0"
    assert config.chart_post_form_field_name == "chart"


def test_go_syntaxes() -> None:
    assert parse_go_int("0x10") == 16 and parse_go_int("010") == 8 and parse_go_int("-3") == -3
    assert parse_go_duration("1h30m") == 5400 and parse_go_duration("300ms") == 0.3
    assert parse_go_duration("0") == 0
    with pytest.raises(ValueError):
        parse_go_duration("5")


@pytest.mark.parametrize(
    "argv, env, message",
    [
        ([], {"DEBUG": "maybe"}, 'invalid value "maybe" for flag -debug'),
        (["--port=x"], {}, 'invalid value "x" for flag -port'),
        (["-c", "/nonexistent.yaml"], {}, "config file not found: /nonexistent.yaml"),
    ],
)
def test_invalid_values(argv: list[str], env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(argv, env)


def test_config_file_extension(tmp_path) -> None:
    path = tmp_path / "c.json"
    path.write_text("{}")
    with pytest.raises(ConfigError, match=r"must have \.yaml/\.yml extension"):
        load_config(["-c", str(path)], {})


def test_go_style_single_dash_flags() -> None:
    assert load_config(["-port", "9999", "-debug"], {}).port == 9999


def test_artifact_hub_flag_repeats() -> None:
    config = load_config(
        [
            "--artifact-hub-repo-id=a=1",
            "--artifact-hub-repo-id=b/c=2",
            "--artifact-hub-repo-id=root",
        ],
        {},
    )
    assert config.artifact_hub_repo_id == {"a": "1", "b/c": "2", "": "root"}


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [f"{BIN}/chartmuseum", *args], capture_output=True, text=True, timeout=60, env=env
    )


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "Missing required flags(s): --storage"),
        (["--storage=local"], "Missing required flags(s): --storage-local-rootdir"),
        (["--storage=nosuch"], "Unsupported storage backend: nosuch"),
        (
            ["--storage=local", "--storage-local-rootdir=/tmp/x", "--cache=memcached"],
            "Unsupported cache store: memcached",
        ),
        (
            ["--storage=local", "--storage-local-rootdir=/tmp/x", "--cache=redis"],
            "Missing required flags(s): --cache-redis-addr",
        ),
        (
            ["--storage=local", "--storage-local-rootdir=/tmp/x", "--bearer-auth"],
            "Missing Auth Realm",
        ),
        (
            ["--storage=local", "--storage-local-rootdir=/tmp/x", "--storage-openstack-auth=v9"],
            "Unsupported OpenStack auth protocol: v9",
        ),
        (
            ["--storage=local", "--storage-local-rootdir=/tmp/x", "--depth=1", "--gen-index"],
            "--gen-index needs --depth=0",
        ),
        (
            [
                "--storage=local",
                "--storage-local-rootdir=/tmp/x",
                "--bearer-auth",
                "--auth-realm=r",
                "--auth-service=s",
                "--auth-cert-path=/nonexistent.pem",
            ],
            "cannot read --auth-cert-path",
        ),
        (
            [
                "--storage=local",
                "--storage-local-rootdir=/tmp/x",
                "--cache=redis",
                "--cache-redis-addr=nohost",
            ],
            "--cache-redis-addr must be host:port",
        ),
        (
            ["--storage=local", "--storage-local-rootdir=/tmp/x", "--port=abc"],
            'invalid value "abc" for flag -port',
        ),
    ],
)
def test_startup_errors_exit_1(args: list[str], message: str) -> None:
    result = _run(*args)
    assert result.returncode == 1, result.stderr
    assert message in result.stderr
    assert result.stderr[:4].isdigit() and result.stderr[4] == "/"  # Go log.Fatal prefix


def test_help_and_version() -> None:
    assert _run("--version").stdout.strip() == "ChartMuseum version 0.16.5 (build python)"
    help_text = _run("--help").stdout
    for opt in OPTIONS:
        assert f"--{opt.metadata['flag']}" in help_text
        assert f"${opt.metadata['env']}" in help_text


def test_gen_index_prints_and_exits(tmp_path) -> None:
    from tests.helpers import make_chart

    (tmp_path / "mychart-0.1.0.tgz").write_bytes(make_chart())
    result = _run("--storage=local", f"--storage-local-rootdir={tmp_path}", "--gen-index")
    assert result.returncode == 0, result.stderr
    assert "apiVersion: v1" in result.stdout and "mychart" in result.stdout


@pytest.mark.parametrize("statefile", [None, "garbage: [", "apiVersion: v1\nentries: {}\n"])
def test_gen_index_with_any_statefile(tmp_path, statefile: str | None) -> None:
    if statefile is not None:
        (tmp_path / "index-cache.yaml").write_text(statefile)
    result = _run("--storage=local", f"--storage-local-rootdir={tmp_path}", "--gen-index")
    assert result.returncode == 0 and "apiVersion:" in result.stdout


def test_deprecated_option_warns(tmp_path) -> None:
    result = _run(
        "--storage=local", f"--storage-local-rootdir={tmp_path}", "--gen-index", "--enforce-semver2"
    )
    assert "The configuration option enforce-semver2 has been deprecated" in result.stderr


def test_python_module_entry_point_matches(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "--version"], capture_output=True, text=True, timeout=60
    )
    assert "ChartMuseum version" in result.stdout
