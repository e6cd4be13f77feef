"""The backends stand on their own, and every registered backend is complete."""

from __future__ import annotations

import ast
import configparser
import dataclasses
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.options import OPTIONS
from backends import backend_names
from backends import get_backend_class
from backends.clients import PerProcess
from backends.clients import PerThread
from backends.settings import option_name

ROOT = Path(__file__).resolve().parents[2]
NAMES = backend_names()


def test_backends_import_nothing_from_app() -> None:
    modules = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / "backends").rglob("*.py")
    )
    code = (
        "import backends, importlib, sys\n"
        f"[importlib.import_module(m) for m in {modules!r}]\n"
        "assert not [m for m in sys.modules if m == 'app' or m.startswith('app.')]\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "backends.local" in modules and "backends.etcd" in modules


def test_storage_help_lists_the_registry() -> None:
    storage = next(o for o in OPTIONS if o.name == "storage")
    assert storage.metadata["help"] == "storage backend: " + ", ".join(NAMES)


def _extras() -> set[str]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    return set(parser["options.extras_require"])


def _contract_classes(name: str) -> list[str]:
    path = ROOT / "tests" / "backends" / f"test_{name}.py"
    if not path.is_file():
        return []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        and any(isinstance(b, ast.Name) and b.id == "BackendContract" for b in node.bases)
    ]


def _chart_set_env() -> set[str]:
    """Env vars the chart's templates set themselves (not needed in ``env.open``)."""
    text = (ROOT / "helm-chart" / "templates" / "_helpers.tpl").read_text(encoding="utf-8")
    return set(re.findall(r'set \$out "([A-Z0-9_]+)"', text))


def _readme_storage_rows() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Storage backends", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9]+)` \|", section, flags=re.MULTILINE))


@pytest.mark.parametrize("name", NAMES)
def test_registered_backend_is_complete(name: str) -> None:
    cls = get_backend_class(name)
    assert cls.name == name
    declared = cls.settings_type.options()
    assert declared, f"{name}: no settings declared"
    for option in declared:
        assert option.metadata["flag"].startswith(f"storage-{name}-")
        assert option.metadata["key"].startswith(f"storage.{name}.")
    assert name in _extras(), f"{name}: no extra in setup.cfg [options.extras_require]"
    assert _contract_classes(name), f"{name}: no BackendContract class in tests/backends"
    examples = ROOT / "helm-chart" / "ci"
    assert [*examples.glob(f"{name}-values.yaml"), *examples.glob(f"{name}-*-values.yaml")]
    schema = json.loads((ROOT / "helm-chart" / "values.schema.json").read_text("utf-8"))
    enum = {n for part in schema["definitions"]["envName"]["anyOf"] for n in part.get("enum", [])}
    open_env = set(schema["properties"]["env"]["properties"]["open"]["properties"])
    for option in declared:
        env = option.metadata["env"]
        assert env in enum, f"{env}: not in definitions.envName"
        assert env in open_env | _chart_set_env(), f"{env}: not in env.open"
    assert name in _readme_storage_rows(), f"{name}: no row in the README's storage table"


def test_option_table_composes_every_backend() -> None:
    table = {o.name: o for o in OPTIONS}
    for name in NAMES:
        for option in get_backend_class(name).settings_type.options():
            row = table[option_name(option)]
            assert row.metadata == option.metadata
            assert row.default == option.default or row.default is dataclasses.MISSING


def test_per_thread_clients() -> None:
    clients = PerThread(object)
    mine = clients.get()
    assert clients.get() is mine
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(clients.get()))
    thread.start()
    thread.join()
    assert seen and seen[0] is not mine


def test_per_process_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    clients = PerProcess(object)
    mine = clients.get()
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(clients.get()))
    thread.start()
    thread.join()
    assert seen == [mine]
    monkeypatch.setattr(os, "getpid", lambda: -2)  # as in a forked child
    assert clients.get() is not mine
