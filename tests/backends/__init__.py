"""Backend tests: the storage contract run against each backend and its emulator."""

from __future__ import annotations

from typing import Any
from typing import TypeVar

from app.options import Config
from app.options import backend_settings
from backends.base import StorageBackend

B = TypeVar("B", bound=StorageBackend)


def from_config(cls: type[B], config: Config) -> B:
    """``cls`` built from the settings the server would read out of ``config``."""
    backend: Any = cls.from_config(backend_settings(config, cls.settings_type))
    assert isinstance(backend, cls)
    return backend
