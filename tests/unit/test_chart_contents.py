"""The rest of a chart package: values, templates, lock files, sub-charts, Helm's packages."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import pytest

from app.charts.loader import load_chart
from tests.unit.chart_packages import CHART_YAML
from tests.unit.chart_packages import MIB
from tests.unit.chart_packages import Entry
from tests.unit.chart_packages import chart
from tests.unit.chart_packages import error_of
from tests.unit.chart_packages import metadata_of
from tests.unit.chart_packages import tgz
from tests.unit.chart_packages import zero_files_tgz

# --- other top-level files -------------------------------------------------------------


def test_templates_values_and_raw_values() -> None:
    values = b"# Default values\nreplicaCount: 1\nimage: {repository: nginx, tag: ''}\nratio: 2.0\n"
    loaded = load_chart(
        chart(
            ("mychart/templates/b.yaml", b"B"),
            ("mychart/values.yaml", values),
            ("mychart/templates/a.yaml", b"A"),
            ("mychart/README.md", b"readme"),
            ("mychart/values.schema.json", b"{}"),
        )
    )
    assert loaded.templates == (("templates/b.yaml", b"B"), ("templates/a.yaml", b"A"))
    assert loaded.values_raw == values
    assert loaded.values == {
        "image": {"repository": "nginx", "tag": ""},
        "ratio": 2,
        "replicaCount": 1,
    }


@pytest.mark.parametrize("content", [b"", b"# only a comment\n", b"~\n"])
def test_empty_values_file_gives_empty_dict(content: bytes) -> None:
    loaded = load_chart(chart(("mychart/values.yaml", content)))
    assert loaded.values == {}
    assert loaded.values_raw == content


def test_values_keys_become_strings() -> None:
    loaded = load_chart(chart(("mychart/values.yaml", b"1: a\ntrue: b\n1.5: c\nn: d\n")))
    assert loaded.values == {"1": "a", "1.5": "c", "false": "d", "true": "b"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "values.yaml",
            b"- a\n",
            "cannot load values.yaml: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
        (
            "values.yaml",
            b"a: [\n",
            "cannot load values.yaml: error converting YAML to JSON: "
            "yaml: line 1: did not find expected node content",
        ),
        (
            "values.yaml",
            b"a: .inf\n",
            "cannot load values.yaml: error converting YAML to JSON: json: unsupported value: +Inf",
        ),
        (
            "Chart.lock",
            b"generated: yesterday\n",
            "cannot load Chart.lock: error unmarshaling JSON: while decoding JSON: parsing time "
            '"yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
        ),
        (
            "Chart.lock",
            b"digest: [a]\n",
            "cannot load Chart.lock: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal array into Go struct field Lock.digest of type string",
        ),
        (
            "requirements.lock",
            b"dependencies: {a: 1}\n",
            "cannot load requirements.lock: error unmarshaling JSON: while decoding JSON: json: "
            "cannot unmarshal object into Go struct field Lock.dependencies of type []*chart.Dependency",
        ),
        (
            "requirements.yaml",
            b"dependencies: [\n",
            "cannot load requirements.yaml: error converting YAML to JSON: "
            "yaml: line 1: did not find expected node content",
        ),
    ],
)
def test_other_files_must_parse(name: str, content: bytes, message: str) -> None:
    assert error_of(chart((f"mychart/{name}", content))) == message


def test_valid_lock_files() -> None:
    lock = (
        b"dependencies:\n- name: redis\n  repository: https://x\n  version: 1.0.0\n"
        b"digest: sha256:abc\ngenerated: 2024-01-02T03:04:05.123456789+01:00\n"
    )
    loaded = load_chart(chart(("mychart/Chart.lock", lock), ("mychart/requirements.lock", lock)))
    assert loaded.metadata["name"] == "mychart"


def test_requirements_yaml_provides_dependencies() -> None:
    requirements = b"dependencies:\n- name: redis\n  version: 1.x\n  repository: '@stable'\n"
    md = metadata_of(b"name: m\nversion: 1.0.0\n", ("mychart/requirements.yaml", requirements))
    assert md["dependencies"] == [{"name": "redis", "version": "1.x", "repository": "@stable"}]


def test_requirements_yaml_is_validated_with_the_metadata() -> None:
    requirements = b"dependencies:\n- name: a\n- name: a\n"
    data = chart(
        ("mychart/requirements.yaml", requirements), chart_yaml=b"name: m\nversion: 1.0.0\n"
    )
    assert error_of(data) == 'validation: more than one dependency with name or alias "a"'


def test_lock_file_without_chart_yaml() -> None:
    data = tgz([("mychart/requirements.lock", b"digest: x\n")])
    assert error_of(data) == "validation: chart.metadata.apiVersion is required"
    data = tgz([("mychart/Chart.lock", b"digest: x\n")])
    assert error_of(data) == "Chart.yaml file is missing"


# --- sub-charts ---------------------------------------------------------------------------


def test_valid_subcharts_in_directories_and_archives() -> None:
    sub_tgz = tgz([("sub2/Chart.yaml", b"name: sub2\nversion: 2.0.0\n")])
    loaded = load_chart(
        chart(
            ("mychart/charts/sub1/Chart.yaml", b"name: sub1\nversion: 1.0.0\n"),
            ("mychart/charts/sub1/templates/x.yaml", b"x"),
            ("mychart/charts/sub2-2.0.0.tgz", sub_tgz),
            ("mychart/charts/sub2-2.0.0.tgz.prov", b"signature"),
            ("mychart/charts/_ignored/nothing", b""),
            ("mychart/charts/.hidden", b""),
        )
    )
    assert loaded.templates == ()
    assert loaded.metadata["name"] == "mychart"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            [("mychart/charts/sub/Chart.yaml", b"name: sub\n")],
            "error unpacking subchart sub in mychart: validation: chart.metadata.version is required",
        ),
        (
            [("mychart/charts/sub/values.yaml", b"a: 1\n")],
            "error unpacking subchart sub in mychart: Chart.yaml file is missing",
        ),
        (
            [("mychart/charts/README.md", b"readme")],
            "error unpacking subchart README.md in mychart: Chart.yaml file is missing",
        ),
        (
            [("mychart/charts/sub-1.0.0.tgz", b"not a gzip archive")],
            "error unpacking subchart sub-1.0.0.tgz in mychart: gzip: invalid header",
        ),
        (
            [("mychart/charts/sub-1.0.0.tgz", gzip.compress(b""))],
            "error unpacking subchart sub-1.0.0.tgz in mychart: no files in chart archive",
        ),
        (
            [("mychart/charts/sub.tgz/Chart.yaml", CHART_YAML)],
            "error unpacking subchart tar in mychart: expected sub.tgz, got sub.tgz/Chart.yaml",
        ),
        (
            [
                ("mychart/charts/sub/Chart.yaml", b"name: sub\nversion: 1.0.0\n"),
                ("mychart/charts/sub/charts/deep/Chart.yaml", b"name: deep\nversion: bad\n"),
            ],
            "error unpacking subchart sub in mychart: error unpacking subchart deep in sub: "
            'validation: chart.metadata.version "bad" is invalid',
        ),
        (
            [
                ("mychart/charts/sub/Chart.yaml", b"name: sub\nversion: 1.0.0\n"),
                ("mychart/charts/sub/values.yaml", b"- x\n"),
            ],
            "error unpacking subchart sub in mychart: cannot load values.yaml: error unmarshaling "
            "JSON: while decoding JSON: json: cannot unmarshal array into Go value of type "
            "map[string]interface {}",
        ),
    ],
)
def test_subchart_errors(entries: list[Entry], message: str) -> None:
    assert error_of(chart(*entries)) == message


def test_subchart_archive_errors_use_the_sanitised_parent_name() -> None:
    data = chart(
        ("my\tchart/charts/sub/values.yaml", b""),
        chart_yaml=b'name: "my\\tchart"\nversion: 1.0.0\n',
        top="my\tchart",
    )
    assert error_of(data) == "error unpacking subchart sub in my chart: Chart.yaml file is missing"


def test_subchart_archive_has_its_own_size_budget() -> None:
    sub = zero_files_tgz([5 * MIB] * 2)
    assert load_chart(chart(("mychart/charts/big-1.0.0.tgz", sub))).metadata["name"] == "mychart"


# --- metadata_only fast path --------------------------------------------------------------


def test_metadata_only_skips_values_templates_and_subcharts() -> None:
    data = chart(
        ("mychart/values.yaml", b"- not a map\n"),
        ("mychart/templates/a.yaml", b"A"),
        ("mychart/charts/sub/values.yaml", b""),
    )
    loaded = load_chart(data, metadata_only=True)
    assert loaded.metadata["name"] == "mychart"
    assert (loaded.templates, loaded.values, loaded.values_raw) == ((), None, None)
    assert error_of(data).startswith("cannot load values.yaml")


def test_metadata_only_still_reads_requirements_and_locks() -> None:
    requirements = b"dependencies:\n- name: redis\n  repository: r\n"
    md = load_chart(
        chart(("mychart/requirements.yaml", requirements), chart_yaml=b"name: m\nversion: 1.0.0\n"),
        metadata_only=True,
    ).metadata
    assert md["dependencies"] == [{"name": "redis", "repository": "r"}]
    data = chart(("mychart/Chart.lock", b"digest: [x]\n"))
    assert error_of(data, metadata_only=True).startswith("cannot load Chart.lock:")


def test_metadata_only_still_checks_paths_and_presence() -> None:
    assert (
        error_of(tgz([("x/values.yaml", b"")]), metadata_only=True) == "Chart.yaml file is missing"
    )
    data = chart(("mychart/../x", b""))
    assert error_of(data, metadata_only=True) == "chart illegally references parent directory"


# --- packages made by Helm itself -----------------------------------------------------------


@pytest.fixture
def helm(tmp_path: Path) -> Any:
    for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        os.environ.setdefault(var, str(tmp_path / var.lower()))
    import helm_python

    return helm_python


COMMON_FIELDS = ("name", "version", "description", "apiVersion", "appVersion", "type")


def test_real_helm_package_matches_helm(helm: Any, tmp_path: Path) -> None:
    helm_python = helm
    helm_python.Chart.create("web", str(tmp_path))
    package = helm_python.package(str(tmp_path / "web"), destination=str(tmp_path))
    data = Path(package).read_bytes()
    expected = helm_python.Chart.load(package)
    for loaded in (load_chart(data), load_chart(data, metadata_only=True)):
        for key in COMMON_FIELDS:
            assert loaded.metadata.get(key) == expected.metadata.get(key), key
    loaded = load_chart(data)
    assert [n for n, _ in loaded.templates] == [t["name"] for t in expected.templates]
    assert loaded.values == expected.values
    assert loaded.values_raw == (tmp_path / "web" / "values.yaml").read_bytes()


def test_real_helm_package_with_rich_metadata(helm: Any, tmp_path: Path) -> None:
    helm_python = helm
    helm_python.Chart.create("rich", str(tmp_path))
    chart_dir = tmp_path / "rich"
    (chart_dir / "Chart.yaml").write_text(
        "apiVersion: v2\nname: rich\nversion: 1.2.3\nappVersion: 1.10\n"
        "description: |\n  Multi\n  line\nkeywords: [a, 2]\nhome: https://h\n"
        "maintainers:\n- name: Jane\n  email: j@x\n- name: Bob\n"
        "annotations:\n  x: 1\nkubeVersion: '>=1.19'\nsources: [https://s]\n"
        "icon: https://i\ndeprecated: true\ntype: application\n"
    )
    sub = chart_dir / "charts" / "sub"
    helm_python.Chart.create("sub", str(chart_dir / "charts"))
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: sub\nversion: 0.1.0\n")
    package = helm_python.package(str(chart_dir), destination=str(tmp_path))
    expected = helm_python.Chart.load(package).metadata
    loaded = load_chart(Path(package).read_bytes()).metadata
    assert loaded == expected
    assert loaded["appVersion"] == "1.1"
    assert loaded["description"] == "Multi line "
