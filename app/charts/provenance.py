"""Provenance (``.prov``) files: the file name ChartMuseum derives from their content."""

from __future__ import annotations

import re

_BEGIN = "-----BEGIN PGP SIGNED MESSAGE-----"
_NAME = re.compile(r"\nname:[ *](.+)")
_VERSION = re.compile(r"\nversion:[ *](.+)")


class InvalidProvenance(ValueError):
    """Content that is not a usable provenance file."""

    def __init__(self) -> None:
        super().__init__("invalid provenance file")


def provenance_filename(data: bytes) -> str:
    """``<name>-<version>.tgz.prov`` taken from the signed Chart.yaml inside ``data``.

    Name and version are the rest of the first line starting with ``name:`` (resp.
    ``version:``) followed by one space or ``*``, verbatim (quotes, trailing blanks and
    ``\\r`` included).  Bytes that are not UTF-8 are kept as ``surrogateescape`` characters.

    :raises InvalidProvenance: when the BEGIN line, the name or the version is missing.
    """
    text = data.decode("utf-8", "surrogateescape")
    name = _NAME.search(text)
    version = _VERSION.search(text)
    if not text.startswith(_BEGIN) or name is None or version is None:
        raise InvalidProvenance()
    return f"{name.group(1)}-{version.group(1)}.tgz.prov"
