"""Resolve the option table against the command line, the environment and a config file.

Precedence (as in ChartMuseum): a flag or its env var (the flag wins when both are given),
then the YAML config file, then the built-in default.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from app import __version__
from app.errors import ConfigError
from app.gocompat.flags import parse_go_bool
from app.gocompat.flags import parse_go_duration
from app.gocompat.flags import parse_go_int
from app.options import OPTIONS
from app.options import Config

_LOOSE_TRUE = {"1", "t", "true", "y", "yes", "on"}


def build_parser() -> argparse.ArgumentParser:
    """The ``chartmuseum`` argument parser, generated from the option table."""
    parser = argparse.ArgumentParser(
        prog="chartmuseum",
        usage="chartmuseum [options]",
        description="Helm chart repository server",
        argument_default=argparse.SUPPRESS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"ChartMuseum version {__version__} (build python)"
    )
    for opt in OPTIONS:
        meta = opt.metadata
        names = [f"--{meta['flag']}"] + ([f"-{meta['short']}"] if meta["short"] else [])
        default = opt.default if opt.default is not dataclasses.MISSING else "{}"
        text = f"{meta['help']} (default: {default!r}) [${meta['env']}]"
        if meta["kind"] == "bool":
            parser.add_argument(
                *names, dest=opt.name, nargs="?", const="true", metavar="BOOL", help=text
            )
        elif meta["kind"] == "kv":
            parser.add_argument(*names, dest=opt.name, action="append", help=text)
        else:
            parser.add_argument(*names, dest=opt.name, help=text)
    return parser


def _normalise_argv(argv: Sequence[str]) -> list[str]:
    """Accept Go-style single-dash long flags (``-port 8080``) as ChartMuseum does."""
    longs = {f"-{o.metadata['flag']}" for o in OPTIONS} | {"-version", "-help"}
    out = []
    for arg in argv:
        name = arg.split("=", 1)[0]
        out.append("-" + arg if name in longs else arg)
    return out


def _from_cli(argv: Sequence[str]) -> dict[str, Any]:
    return vars(build_parser().parse_args(_normalise_argv(argv)))


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for opt in OPTIONS:
        env = opt.metadata["env"]
        if env in environ:
            value = environ[env]
            found[opt.name] = [value] if opt.metadata["kind"] == "kv" else value
    return found


def _flatten(data: Mapping[Any, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{str(key).lower()}"
        flat[name] = value
        if isinstance(value, Mapping):
            flat.update(_flatten(value, name + "."))
    return flat


def _read_config_file(path: str) -> dict[str, Any]:
    if not os.path.exists(path):
        raise ConfigError(f"config file not found: {path}")
    ext = os.path.splitext(path)[1]
    if ext not in ("", ".yaml", ".yml"):
        raise ConfigError("config file must have .yaml/.yml extension (or no extension)")
    import yaml  # only with a config file: not worth its import at every start

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ConfigError(f"config file {path} must contain a YAML mapping")
    flat = _flatten(data)
    found: dict[str, Any] = {}
    for opt in OPTIONS:
        key = opt.metadata["key"].lower()
        if key and key in flat:
            found[opt.name] = flat[key]
    return found


def _convert_file_value(opt: dataclasses.Field[Any], value: Any) -> Any:
    kind = opt.metadata["kind"]
    if kind == "bool":
        return value if isinstance(value, bool) else str(value).strip().lower() in _LOOSE_TRUE
    if kind == "kv":
        if not isinstance(value, Mapping):
            return _convert_text(opt, [str(v) for v in _as_list(value)])
        return {str(k): str(v) for k, v in value.items()}
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    return _convert_text(opt, "" if value is None else str(value))


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _convert_text(opt: dataclasses.Field[Any], value: Any) -> Any:
    kind, flag = opt.metadata["kind"], opt.metadata["flag"]
    try:
        if kind == "bool":
            return parse_go_bool(value)
        if kind == "int":
            return parse_go_int(value)
        if kind == "duration":
            return parse_go_duration(value)
    except ValueError as exc:
        raise ConfigError(f'invalid value "{value}" for flag -{flag}: {exc}') from exc
    if kind == "kv":
        return _parse_kv(value)
    return value


def _parse_kv(values: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in values:
        repo, sep, ident = item.partition("=")
        if sep:
            mapping[repo] = ident
        else:
            mapping[""] = repo
    return mapping


def load_config(argv: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> Config:
    """Build a :class:`Config` from command-line arguments, env vars and the config file.

    :raises ConfigError: with ChartMuseum's message for an invalid value or config file.
    """
    environ = os.environ if environ is None else environ
    cli = _from_cli(argv)
    env = _from_env(environ)
    values: dict[str, Any] = {}
    config_path = cli.get("config", env.get("config", ""))
    if config_path:
        by_name = {o.name: o for o in OPTIONS}
        for name, raw in _read_config_file(config_path).items():
            values[name] = _convert_file_value(by_name[name], raw)
    for opt in OPTIONS:
        if opt.name in cli or opt.name in env:
            raw = cli.get(opt.name, env.get(opt.name))
            values[opt.name] = _convert_text(opt, raw)
    values["config"] = config_path
    return Config(**values)


def explicitly_set(argv: Sequence[str], environ: Mapping[str, str]) -> set[str]:
    """Names of the options given by flag or env var (used for deprecation warnings)."""
    return set(_from_cli(argv)) | set(_from_env(environ))
