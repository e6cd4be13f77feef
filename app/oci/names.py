"""Registry names, tags and digests, and how a repository name maps to a tenant's chart."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from app.errors import DigestInvalid
from app.errors import NameInvalid

_DIGEST = re.compile(r"(sha256):([a-f0-9]{64})|(sha512):([a-f0-9]{128})")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")


@dataclass(frozen=True)
class RegistryName:
    """OCI repository ``name`` = chart ``chart`` of tenant ``tenant`` (``""``: the root)."""

    name: str
    tenant: str
    chart: str


def parse_name(name: str, depth: int, dynamic: bool) -> RegistryName:
    """Split ``org1/web`` into tenant and chart: with ``--depth N`` the first N segments
    are the tenant, with ``--depth-dynamic`` all but the last.

    :raises NameInvalid: for a name outside the OCI grammar or with the wrong segment count.
    """
    parts = name.split("/")
    if not all(_COMPONENT.fullmatch(p) for p in parts):
        raise NameInvalid(f"invalid repository name: {name}")
    if not dynamic and len(parts) != depth + 1:
        what = f"{depth} tenant segment{'s' if depth != 1 else ''} and a chart name"
        raise NameInvalid(f"invalid repository name {name}: expected {what}")
    return RegistryName(name, "/".join(parts[:-1]), parts[-1])


def tag_of(version: str) -> str:
    """The tag of a chart version: ``+`` is not allowed in tags, Helm writes ``_``."""
    return version.replace("+", "_")


def version_of(tag: str) -> str:
    """The chart version a tag names (inverse of :func:`tag_of`)."""
    return tag.replace("_", "+")


def is_digest(reference: str) -> bool:
    """Whether a manifest reference is a digest (``algorithm:hex``) rather than a tag."""
    return ":" in reference


def check_digest(digest: str) -> str:
    """``digest`` when well formed (sha256 or sha512). :raises DigestInvalid:"""
    if not _DIGEST.fullmatch(digest):
        raise DigestInvalid(f"invalid digest: {digest[:140]}")
    return digest


def check_tag(tag: str) -> str:
    """``tag`` when it follows the distribution spec's grammar. :raises NameInvalid:"""
    if not _TAG.fullmatch(tag):
        raise NameInvalid(f"invalid tag: {tag[:140]}")
    return tag


def digest_of(data: bytes, algorithm: str = "sha256") -> str:
    """``algorithm:hex`` of ``data``."""
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def matches(data: bytes, digest: str) -> bool:
    """Whether ``data`` has ``digest`` (whichever supported algorithm it names)."""
    algorithm = check_digest(digest).split(":", 1)[0]
    return digest_of(data, algorithm) == digest
