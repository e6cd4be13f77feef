"""Option declarations: each backend declares its settings as a frozen dataclass.

One :func:`option` per setting gives its config-file key, flag, env var, kind, default and
help text; the server's option table composes these declarations with its own, so flags,
env vars, config keys and ``--help`` all come from one table.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal

Kind = Literal["bool", "int", "str", "duration", "kv"]


def option(
    default: Any,
    key: str,
    flag: str,
    help: str,
    *,
    kind: Kind | None = None,
    env: str | None = None,
    short: str | None = None,
    deprecated: bool = False,
) -> Any:
    """Declare one option as a dataclass field; ``kind`` defaults to the type of ``default``
    and ``env`` to the flag in upper case with ``_`` for ``-``."""
    if kind is None:
        kind = {bool: "bool", int: "int", str: "str"}[type(default)]  # type: ignore[assignment]
    meta = {
        "key": key,
        "flag": flag,
        "env": env or flag.upper().replace("-", "_"),
        "kind": kind,
        "help": help,
        "short": short,
        "deprecated": deprecated,
    }
    if isinstance(default, dict):
        return field(default_factory=dict, metadata=meta)
    return field(default=default, metadata=meta)


def option_name(declared: dataclasses.Field[Any]) -> str:
    """The option's name in the server's table: its flag with ``_`` for ``-``."""
    return str(declared.metadata["flag"]).replace("-", "_")


def missing_flags(*required: tuple[str, object]) -> list[str]:
    """The ``--flag`` of each ``(flag, value)`` pair whose value is empty, in order."""
    return [flag for flag, value in required if not value]


@dataclass(frozen=True)
class BackendSettings:
    """Base of a backend's settings; subclasses declare fields with :func:`option`."""

    def check(self) -> None:
        """Validate the values on their own (no environment, no I/O), whichever backend is
        selected. :raises backends.base.BackendConfigError: for an invalid value."""

    @classmethod
    def options(cls) -> tuple[dataclasses.Field[Any], ...]:
        """The declared options, in order."""
        return dataclasses.fields(cls)
