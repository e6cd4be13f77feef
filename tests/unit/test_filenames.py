"""Package file names."""

from __future__ import annotations

from app.charts.filenames import package_filename


def test_package_filename_is_verbatim() -> None:
    assert package_filename("mychart", "0.1.0") == "mychart-0.1.0.tgz"
    assert package_filename("my chart", "v1.2") == "my chart-v1.2.tgz"
    assert package_filename("m", "1.0.0+build.1") == "m-1.0.0+build.1.tgz"
