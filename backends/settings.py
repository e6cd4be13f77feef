"""Option declarations: each backend declares its settings as a frozen dataclass.

One :func:`option` per setting gives its config-file key, flag, env var, kind, default and
help text; the server's option table composes these declarations with its own, so flags,
env vars, config keys and ``--help`` all come from one table.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from dataclasses import field
from types import MappingProxyType
from typing import Any
from typing import Literal
from typing import overload

Kind = Literal["bool", "int", "str", "duration", "kv"]


@overload
def option(
    default: Any,
    help: str,
    /,
    *,
    kind: Kind | None = None,
    env: str | None = None,
    short: str | None = None,
    deprecated: bool = False,
) -> Any: ...


@overload
def option(
    default: Any,
    key: str,
    flag: str,
    help: str,
    /,
    *,
    kind: Kind | None = None,
    env: str | None = None,
    short: str | None = None,
    deprecated: bool = False,
) -> Any: ...


def option(
    default: Any,
    *text: str,
    kind: Kind | None = None,
    env: str | None = None,
    short: str | None = None,
    deprecated: bool = False,
) -> Any:
    """Declare one option as a dataclass field: ``option(default, help)``, or
    ``option(default, key, flag, help)`` for a config key and flag given in full.

    Without them, the :class:`BackendSettings` subclass derives both from its ``backend``
    name and the field's name (see :meth:`BackendSettings.__init_subclass__`). ``kind``
    defaults to the type of ``default`` and ``env`` to the flag in upper case with ``_``
    for ``-``."""
    if len(text) == 1:
        key: str | None = None
        flag: str | None = None
        (help,) = text
    elif len(text) == 3:
        key, flag, help = text
    else:
        raise TypeError("option() takes (default, help) or (default, key, flag, help)")
    if kind is None:
        kind = {bool: "bool", int: "int", str: "str"}[type(default)]  # type: ignore[assignment]
    meta = {
        "key": key,
        "flag": flag,
        "env": env or _env_name(flag),
        "kind": kind,
        "help": help,
        "short": short,
        "deprecated": deprecated,
    }
    if isinstance(default, dict):
        return field(default_factory=dict, metadata=meta)
    return field(default=default, metadata=meta)


def _env_name(flag: str | None) -> str | None:
    return flag.upper().replace("-", "_") if flag else None


def option_name(declared: dataclasses.Field[Any]) -> str:
    """The option's name in the server's table: its flag with ``_`` for ``-``."""
    return str(declared.metadata["flag"]).replace("-", "_")


def missing_flags(*required: tuple[str, object]) -> list[str]:
    """The ``--flag`` of each ``(flag, value)`` pair whose value is empty, in order."""
    return [flag for flag, value in required if not value]


@dataclass(frozen=True)
class BackendSettings:
    """Base of a backend's settings; subclasses declare fields with :func:`option`.

    A subclass names its backend, ``class AmazonSettings(BackendSettings, backend="amazon")``,
    and an option declared without key and flag gets ``storage.<backend>.<field>`` and
    ``--storage-<backend>-<field>``, the field's ``_`` dropped in the key and ``-`` in the
    flag (``force_path_style``: ``storage.amazon.forcepathstyle``,
    ``--storage-amazon-force-path-style``).
    """

    def __init_subclass__(cls, backend: str | None = None, **kwargs: Any) -> None:
        # runs before @dataclass reads the fields, so the table sees complete metadata
        super().__init_subclass__(**kwargs)
        for name, declared in vars(cls).items():
            if not isinstance(declared, dataclasses.Field) or "key" not in declared.metadata:
                continue
            if declared.metadata["key"] is not None:
                continue
            if backend is None:
                raise TypeError(f"{cls.__name__}.{name}: no key and flag, and no backend name")
            meta = dict(declared.metadata)
            meta["key"] = f"storage.{backend}.{name.replace('_', '')}"
            meta["flag"] = f"storage-{backend}-{name.replace('_', '-')}"
            meta["env"] = meta["env"] or _env_name(meta["flag"])
            declared.metadata = MappingProxyType(meta)

    def check(self) -> None:
        """Validate the values on their own (no environment, no I/O), whichever backend is
        selected. :raises backends.base.BackendConfigError: for an invalid value."""

    @classmethod
    def options(cls) -> tuple[dataclasses.Field[Any], ...]:
        """The declared options, in order."""
        return dataclasses.fields(cls)
