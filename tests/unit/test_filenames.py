"""Package file names and ChartMuseum's name/version guess from a file name."""

from __future__ import annotations

import pytest

from app.charts.filenames import package_filename
from app.charts.filenames import split_chart_filename


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("mychart-1.0.4-SNAPSHOT.tgz", ("mychart", "1.0.4-SNAPSHOT")),
        ("my-long-hyphenated-chart-name-1.0.4.tgz", ("my-long-hyphenated-chart-name", "1.0.4")),
        ("mychart-1x-1.0.4-rc1.tgz", ("mychart-1x", "1.0.4-rc1")),
        ("my-chart-crapversion.tgz", ("my-chart", "crapversion")),
        ("mychart.tgz", ("", "mychart")),
        ("mychart-0.1.0.tgz", ("mychart", "0.1.0")),
        ("mychart-v1.2.3.tgz", ("mychart", "v1.2.3")),
        ("my-chart-v1.2.3.tgz", ("my-chart", "v1.2.3")),
        ("mychart-1.0.0+build.1.tgz", ("mychart", "1.0.0+build.1")),
        ("mychart-.tgz", ("mychart", "")),
        ("mychart--1.tgz", ("mychart-", "1")),
        ("-1.0.0.tgz", ("", "1.0.0")),
        ("a-\u0663.tgz", ("a", "\u0663")),
        ("a-1.tgz.tgz", ("a", "1.tgz")),
        ("a-1.tar.gz", ("a", "1.tar.gz")),
        ("org1/repo/mychart-1.0.0.tgz", ("mychart", "1.0.0")),
        ("", ("", ".")),
    ],
)
def test_split_chart_filename(filename: str, expected: tuple[str, str]) -> None:
    assert split_chart_filename(filename) == expected


def test_package_filename_is_verbatim() -> None:
    assert package_filename("mychart", "0.1.0") == "mychart-0.1.0.tgz"
    assert package_filename("my chart", "v1.2") == "my chart-v1.2.tgz"
    assert package_filename("m", "1.0.0+build.1") == "m-1.0.0+build.1.tgz"


def test_round_trip_for_usual_names() -> None:
    for name, version in [("web", "1.2.3"), ("my-web-app", "0.1.0-rc.1"), ("a1-b2", "10.0.0")]:
        assert split_chart_filename(package_filename(name, version)) == (name, version)
