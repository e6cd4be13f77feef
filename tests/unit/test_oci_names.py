"""Registry names, tags and digests (app/oci/names.py)."""

from __future__ import annotations

import hashlib

import pytest

from app.errors import DigestInvalid
from app.errors import NameInvalid
from app.oci.names import check_digest
from app.oci.names import check_tag
from app.oci.names import digest_of
from app.oci.names import is_digest
from app.oci.names import matches
from app.oci.names import parse_name
from app.oci.names import tag_of
from app.oci.names import version_of

HEX = "a" * 64


@pytest.mark.parametrize(
    "name, depth, dynamic, tenant, chart",
    [
        ("web", 0, False, "", "web"),
        ("org1/web", 1, False, "org1", "web"),
        ("org1/team-a/web", 2, False, "org1/team-a", "web"),
        ("web", 0, True, "", "web"),
        ("org1/web", 0, True, "org1", "web"),
        ("a/b/c/web", 0, True, "a/b/c", "web"),
        ("my_chart/web.x", 1, False, "my_chart", "web.x"),
        ("a__b/c--d", 1, False, "a__b", "c--d"),
    ],
)
def test_name_split_per_depth(name, depth, dynamic, tenant, chart) -> None:
    found = parse_name(name, depth, dynamic)
    assert (found.name, found.tenant, found.chart) == (name, tenant, chart)


@pytest.mark.parametrize(
    "name, depth, dynamic",
    [
        ("org1/web", 0, False),  # depth 0: the name is the chart
        ("web", 1, False),  # depth 1: a tenant segment is required
        ("a/b/web", 1, False),
        ("org1/web", 2, False),
        ("Web", 0, False),  # OCI names are lowercase
        ("org1/Web", 1, False),
        ("", 0, False),
        ("org1//web", 0, True),
        ("/web", 0, True),
        ("web/", 0, True),
        ("-web", 0, False),
        ("web-", 0, False),
        ("a..b", 0, False),
        ("a._b", 0, False),
        ("a___b", 0, False),
        (".oci/web", 1, False),  # the registry's own folder is never a tenant
        ("org1/.oci/web", 0, True),
        ("../web", 1, False),
        ("org1/..", 1, False),
        ("org1/we b", 1, False),
        ("org1/web\x00", 1, False),
    ],
)
def test_invalid_names(name, depth, dynamic) -> None:
    with pytest.raises(NameInvalid):
        parse_name(name, depth, dynamic)


def test_tags_and_versions() -> None:
    assert tag_of("1.0.0") == "1.0.0"
    assert tag_of("1.0.0+build.1") == "1.0.0_build.1"
    assert tag_of("1.0.0-rc.1+a+b") == "1.0.0-rc.1_a_b"
    for version in ("1.0.0", "1.0.0+build.1", "2.1.0-alpha.1+meta"):
        assert version_of(tag_of(version)) == version
        assert check_tag(tag_of(version)) == tag_of(version)


@pytest.mark.parametrize("tag", ["", "-1", ".1", "1.0.0+b", "a/b", "a b", "x" * 129])
def test_invalid_tags(tag) -> None:
    with pytest.raises(NameInvalid):
        check_tag(tag)


def test_longest_tag() -> None:
    assert check_tag("x" * 128) == "x" * 128


def test_digests() -> None:
    assert is_digest(f"sha256:{HEX}")
    assert not is_digest("1.0.0")
    assert check_digest(f"sha256:{HEX}") == f"sha256:{HEX}"
    assert check_digest("sha512:" + "b" * 128)
    data = b"some blob"
    assert digest_of(data) == "sha256:" + hashlib.sha256(data).hexdigest()
    assert matches(data, digest_of(data))
    assert matches(data, digest_of(data, "sha512"))
    assert not matches(data + b"!", digest_of(data))
    assert not matches(data, digest_of(b"other", "sha512"))


@pytest.mark.parametrize(
    "digest",
    [
        "sha256:" + "A" * 64,  # uppercase hex
        "sha256:" + "a" * 63,
        "sha256:" + "a" * 65,
        "sha512:" + "a" * 64,
        "md5:" + "a" * 32,
        "sha256" + "a" * 64,
        "sha256:",
        f"sha256:{HEX}\n",
    ],
)
def test_invalid_digests(digest) -> None:
    with pytest.raises(DigestInvalid):
        check_digest(digest)
    with pytest.raises(DigestInvalid):
        matches(b"x", digest)
