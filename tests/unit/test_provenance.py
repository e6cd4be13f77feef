"""Provenance file names derived from the signed content (ChartMuseum's regexes)."""

from __future__ import annotations

import pytest

from app.charts.provenance import InvalidProvenance
from app.charts.provenance import provenance_filename

SIGNED = b"""-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA512

apiVersion: v2
appVersion: 1.16.0
dependencies:
- name: redis
  repository: https://charts.example.com
  version: 17.0.0
description: A Helm chart for Kubernetes
maintainers:
- email: jane@example.com
  name: Jane
name: mychart
type: application
version: 0.1.0

...
files:
  mychart-0.1.0.tgz: sha256:0f3a
-----BEGIN PGP SIGNATURE-----

wsBcBAEBCgAQBQJmMiJbCRDBc8B1mQ0k/wAAnUoIAHaa
=abcd
-----END PGP SIGNATURE-----
"""


def test_name_and_version_come_from_unindented_keys() -> None:
    assert provenance_filename(SIGNED) == "mychart-0.1.0.tgz.prov"


def test_maintainer_and_dependency_keys_are_ignored() -> None:
    content = SIGNED.replace(b"name: mychart\n", b"").replace(b"version: 0.1.0\n", b"")
    content += b"name: late\nversion: 9\n"
    assert provenance_filename(content) == "late-9.tgz.prov"


def test_first_match_wins() -> None:
    content = SIGNED.replace(b"apiVersion: v2\n", b"apiVersion: v2\nname: first\nversion: 1\n")
    assert provenance_filename(content) == "first-1.tgz.prov"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (b"name: \"quoted\"\nversion: '1.0'\n", "\"quoted\"-'1.0'.tgz.prov"),
        (b"name: trailing  \nversion: 1 \n", "trailing  -1 .tgz.prov"),
        (b"name:  two-spaces\nversion: 1\n", " two-spaces-1.tgz.prov"),
        (b"name:*star\nversion:*2\n", "star-2.tgz.prov"),
        (b"name: crlf\r\nversion: 1.0\r\n", "crlf\r-1.0\r.tgz.prov"),
        (b"name: a/b\nversion: 1\n", "a/b-1.tgz.prov"),
        (b"name: x\nversion: 1 # comment\n", "x-1 # comment.tgz.prov"),
    ],
)
def test_values_are_taken_verbatim(lines: bytes, expected: str) -> None:
    content = b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + lines
    assert provenance_filename(content) == expected


def test_non_utf8_bytes_survive_as_surrogates() -> None:
    content = b"-----BEGIN PGP SIGNED MESSAGE-----\nname: caf\xe9\nversion: 1\n"
    name = provenance_filename(content)
    assert name.encode("utf-8", "surrogateescape") == b"caf\xe9-1.tgz.prov"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"name: mychart\nversion: 0.1.0\n",
        b" " + SIGNED,
        b"-----BEGIN PGP SIGNATURE-----\nname: x\nversion: 1\n",
        b"-----BEGIN PGP SIGNED MESSAGE-----\nversion: 1\n",
        b"-----BEGIN PGP SIGNED MESSAGE-----\nname: x\n",
        b"-----BEGIN PGP SIGNED MESSAGE-----\nname: \nversion: \n",
        b"-----BEGIN PGP SIGNED MESSAGE-----\nname:x\nversion:1\n",
        b"-----BEGIN PGP SIGNED MESSAGE-----\n  name: x\n  version: 1\n",
    ],
)
def test_invalid_provenance(content: bytes) -> None:
    with pytest.raises(InvalidProvenance) as info:
        provenance_filename(content)
    assert str(info.value) == "invalid provenance file"
    assert isinstance(info.value, ValueError)
