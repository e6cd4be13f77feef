"""Chart.yaml as Helm v3 reads it: go-yaml decoding, metadata fields, validation messages."""

from __future__ import annotations

import time

import pytest

from app.charts.loader import LoadedChart
from app.charts.loader import load_chart
from tests.unit.chart_packages import CHART_YAML
from tests.unit.chart_packages import chart
from tests.unit.chart_packages import error_of
from tests.unit.chart_packages import metadata_of
from tests.unit.chart_packages import tgz

# --- Chart.yaml and metadata ----------------------------------------------------------------


def test_minimal_chart() -> None:
    loaded = load_chart(chart(chart_yaml=b"name: mychart\nversion: 0.1.0\n"))
    assert isinstance(loaded, LoadedChart)
    assert loaded.metadata == {"name": "mychart", "version": "0.1.0", "apiVersion": "v1"}
    assert list(loaded.metadata) == ["name", "version", "apiVersion"]
    assert loaded.templates == ()
    assert loaded.values is None
    assert loaded.values_raw is None


def test_missing_chart_yaml() -> None:
    assert error_of(tgz([("mychart/values.yaml", b"a: 1\n")])) == "Chart.yaml file is missing"


def test_chart_yaml_in_a_subdirectory_does_not_count() -> None:
    data = tgz([("mychart/sub/Chart.yaml", CHART_YAML)])
    assert error_of(data) == "Chart.yaml file is missing"


def test_full_metadata_in_helm_order() -> None:
    chart_yaml = b"""
type: application
dependencies:
- name: redis
  version: ~17.0.0
  repository: https://charts.example.com
  condition: redis.enabled
  tags: [cache]
  enabled: true
  import-values: [child, {child: a, parent: b}]
  alias: cache
- name: db
  repository: ""
kubeVersion: ">=1.20"
annotations: {b: "2", a: 1}
deprecated: true
appVersion: "1.2.3"
tags: t1,t2
condition: c
apiVersion: v2
icon: https://example.com/icon.png
maintainers:
- name: Jane
  email: jane@example.com
  url: https://jane.example.com
- {}
keywords: [web, app]
description: A chart
version: 1.2.3-rc.1+build.5
sources: [https://github.com/example/chart]
home: https://example.com
name: mychart
unknownKey: ignored
"""
    md = metadata_of(chart_yaml)
    assert list(md) == [
        "name",
        "home",
        "sources",
        "version",
        "description",
        "keywords",
        "maintainers",
        "icon",
        "apiVersion",
        "condition",
        "tags",
        "appVersion",
        "deprecated",
        "annotations",
        "kubeVersion",
        "dependencies",
        "type",
    ]
    assert md["version"] == "1.2.3-rc.1+build.5"
    assert md["annotations"] == {"a": "1", "b": "2"}
    assert md["maintainers"] == [
        {"name": "Jane", "email": "jane@example.com", "url": "https://jane.example.com"},
        {},
    ]
    assert md["dependencies"] == [
        {
            "name": "redis",
            "version": "~17.0.0",
            "repository": "https://charts.example.com",
            "condition": "redis.enabled",
            "tags": ["cache"],
            "enabled": True,
            "import-values": ["child", {"child": "a", "parent": "b"}],
            "alias": "cache",
        },
        {"name": "db", "repository": ""},
    ]


def test_empty_values_are_omitted() -> None:
    md = metadata_of(
        b"name: m\nversion: 1.0.0\nhome: ''\nsources: []\nkeywords: []\n"
        b"maintainers: []\ndeprecated: false\nannotations: {}\ndependencies: []\n"
    )
    assert md == {"name": "m", "version": "1.0.0", "apiVersion": "v1"}


def test_keys_match_case_insensitively_and_exact_match_wins() -> None:
    md = metadata_of(b"NAME: upper\nVersion: 1.0.0\nAPIVERSION: v2\nappversion: '3'\n")
    assert md == {"name": "upper", "version": "1.0.0", "apiVersion": "v2", "appVersion": "3"}
    md = metadata_of(b"Name: first\nname: exact\nversion: 1.0.0\n")
    assert md["name"] == "exact"


@pytest.mark.parametrize(
    ("yaml_value", "expected"),
    [
        (b"1.10", "1.1"),
        (b"1.0", "1"),
        (b"2", "2"),
        (b"1.2.3", "1.2.3"),
        (b"'1.10'", "1.10"),
        (b"true", "true"),
        (b"y", "true"),
        (b"no", "false"),
        (b"1e3", "1000"),
        (b"0x1F", "31"),
        (b"010", "8"),
        (b"1_000", "1000"),
        (b"1234567.0", "1.234567e+06"),
        (b"3.14159265358979", "3.1415927"),
        (b"1:30", "1:30"),
        (b"2024-01-02", "2024-01-02"),
        (b".inf", "+Inf"),
        (b"v1.0", "v1.0"),
    ],
)
def test_app_version_is_always_text(yaml_value: bytes, expected: str) -> None:
    md = metadata_of(b"name: m\nversion: 1.0.0\nappVersion: " + yaml_value + b"\n")
    assert md["appVersion"] == expected


def test_numeric_version_is_converted_then_validated() -> None:
    md = metadata_of(b"name: m\nversion: 1.0\n")
    assert md["version"] == "1"


def test_sanitisation() -> None:
    chart_yaml = (
        b'name: "my\\tchart"\nversion: 1.0.0\n'
        b"description: |\n  line one\n  line\ttwo\n"
        b'home: "h\\x01ome"\nicon: "i\\u200bcon"\nkeywords: ["a\\nb"]\nsources: ["s\\u2028x"]\n'
        b'appVersion: "1\\r\\n2"\nkubeVersion: "\\xa0>=1"\ncondition: "c\\x7f"\ntags: "t\\vx"\n'
        b'maintainers: [{name: "n\\u0085x", email: "e\\x00", url: "u\\x1c"}]\n'
        b'dependencies: [{name: "d\\tx", version: "1\\n", repository: "r\\x02", condition: "c\\f",'
        b' tags: ["t\\ty"], alias: "al"}]\n'
    )
    md = metadata_of(chart_yaml)
    assert md["name"] == "my chart"
    assert md["description"] == "line one line two "
    assert md["home"] == "home"
    assert md["icon"] == "icon"
    assert md["keywords"] == ["a b"]
    assert md["sources"] == ["s x"]
    assert md["appVersion"] == "1  2"
    assert md["kubeVersion"] == " >=1"
    assert md["condition"] == "c"
    assert md["tags"] == "t x"
    assert md["maintainers"] == [{"name": "n x", "email": "e", "url": "u"}]
    assert md["dependencies"] == [
        {
            "name": "d x",
            "version": "1 ",
            "repository": "r",
            "condition": "c ",
            "tags": ["t y"],
            "alias": "al",
        }
    ]


def test_annotation_values_become_text_and_null_becomes_empty() -> None:
    md = metadata_of(b"name: m\nversion: 1.0.0\nannotations: {a: 1.5, b: ~, c: yes}\n")
    assert md["annotations"] == {"a": "1.5", "b": "", "c": "true"}


def test_utf8_bom_is_stripped_everywhere() -> None:
    bom = b"\xef\xbb\xbf"
    loaded = load_chart(
        chart(
            ("mychart/values.yaml", bom + b"# comment\nkey: value\n"),
            ("mychart/templates/a.yaml", bom + b"kind: A"),
            chart_yaml=bom + CHART_YAML,
        )
    )
    assert loaded.metadata["name"] == "mychart"
    assert loaded.values_raw == b"# comment\nkey: value\n"
    assert loaded.values == {"key": "value"}
    assert loaded.templates == (("templates/a.yaml", b"kind: A"),)


def test_api_version_defaults_to_v1() -> None:
    assert metadata_of(b"name: m\nversion: 1.0.0\n")["apiVersion"] == "v1"
    assert metadata_of(b"name: m\nversion: 1.0.0\napiVersion: ''\n")["apiVersion"] == "v1"
    assert metadata_of(b"name: m\nversion: 1.0.0\napiVersion: v3\n")["apiVersion"] == "v3"


def test_only_the_first_yaml_document_is_read() -> None:
    md = metadata_of(b"name: m\nversion: 1.0.0\n---\nname: other\n---\n: [broken\n")
    assert md["name"] == "m"


@pytest.mark.parametrize(
    ("chart_yaml", "message"),
    [
        (b"", "validation: chart.metadata.name is required"),
        (b"~", "validation: chart.metadata.name is required"),
        (b"version: 1.0.0\n", "validation: chart.metadata.name is required"),
        (b"name: '.'\nversion: 1.0.0\n", 'validation: chart.metadata.name "." is not allowed'),
        (b"name: '..'\nversion: 1.0.0\n", 'validation: chart.metadata.name ".." is not allowed'),
        (b"name: a/b\nversion: 1.0.0\n", 'validation: chart.metadata.name "a/b" is invalid'),
        (b"name: a/\nversion: 1.0.0\n", 'validation: chart.metadata.name "a/" is invalid'),
        (
            b'name: "q\\"/x"\nversion: 1.0.0\n',
            'validation: chart.metadata.name "q\\"/x" is invalid',
        ),
        (b"name: m\n", "validation: chart.metadata.version is required"),
        (b"name: m\nversion: ''\n", "validation: chart.metadata.version is required"),
        (b"name: m\nversion: x\n", 'validation: chart.metadata.version "x" is invalid'),
        (b"name: m\nversion: '1.0.0 '\n", 'validation: chart.metadata.version "1.0.0 " is invalid'),
        (
            b"name: m\nversion: '01.0.0-01'\n",
            'validation: chart.metadata.version "01.0.0-01" is invalid',
        ),
        (
            b"name: m\nversion: 1.0.0\ntype: other\n",
            "validation: chart.metadata.type must be application or library",
        ),
        (
            b"name: m\nversion: 1.0.0\nmaintainers: [~]\n",
            "validation: maintainers must not contain empty or null nodes",
        ),
        (
            b"name: m\nversion: 1.0.0\nmaintainers:\n-\n",
            "validation: maintainers must not contain empty or null nodes",
        ),
        (
            b"name: m\nversion: 1.0.0\ndependencies: [null]\n",
            "validation: dependencies must not contain empty or null nodes",
        ),
        (
            b"name: m\nversion: 1.0.0\ndependencies: [{name: d, alias: 'bad alias'}]\n",
            'validation: dependency "d" has disallowed characters in the alias',
        ),
        (
            b"name: m\nversion: 1.0.0\ndependencies: [{name: d, alias: 'x\\n'}]\n",
            'validation: dependency "d" has disallowed characters in the alias',
        ),
        (
            b"name: m\nversion: 1.0.0\ndependencies: [{name: d}, {name: d}]\n",
            'validation: more than one dependency with name or alias "d"',
        ),
        (
            b"name: m\nversion: 1.0.0\ndependencies: [{name: a, alias: x}, {name: x}]\n",
            'validation: more than one dependency with name or alias "x"',
        ),
    ],
)
def test_validation_messages(chart_yaml: bytes, message: str) -> None:
    assert error_of(chart(chart_yaml=chart_yaml)) == message
    assert error_of(chart(chart_yaml=chart_yaml), metadata_only=True) == message


def test_lenient_versions_are_accepted() -> None:
    for version in (b"v1.2", b"1", b"1.2.3-alpha.1+b.2", b"01.02.03"):
        assert metadata_of(b"name: m\nversion: " + version + b"\n")["version"] == version.decode()


def test_unusual_names_are_accepted() -> None:
    assert metadata_of(b"name: 'my chart.v2'\nversion: 1.0.0\n")["name"] == "my chart.v2"
    assert metadata_of(b"name: 'a\\b'\nversion: 1.0.0\n")["name"] == "a\\b"


@pytest.mark.parametrize(
    ("chart_yaml", "message"),
    [
        (
            b"name: x\nversion: 1.0.0\n foo: bar\n",
            "cannot load Chart.yaml: error converting YAML to JSON: "
            "yaml: line 3: mapping values are not allowed in this context",
        ),
        (
            b"name: [x\n",
            "cannot load Chart.yaml: error converting YAML to JSON: "
            "yaml: line 1: did not find expected ',' or ']'",
        ),
        (
            b"name: x\n\tversion: 1\n",
            "cannot load Chart.yaml: error converting YAML to JSON: "
            "yaml: line 2: found a tab character that violates indentation",
        ),
        (
            b"- a\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal array into Go value of type chart.Metadata",
        ),
        (
            b"just text\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal string into Go value of type chart.Metadata",
        ),
        (
            b"name: [x]\nversion: 1.0.0\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal array into Go struct field Metadata.name of type string",
        ),
        (
            b"name: x\nversion: 1.0.0\nsources: abc\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal string into Go struct field Metadata.sources of type []string",
        ),
        (
            b"name: x\nversion: 1.0.0\ndeprecated: 'yes'\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal string into Go struct field Metadata.deprecated of type bool",
        ),
        (
            b"name: x\nversion: 1.0.0\nmaintainers: [bob]\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json: cannot "
            "unmarshal string into Go struct field Metadata.maintainers of type chart.Maintainer",
        ),
        (
            b"name: x\nversion: 1.0.0\nmaintainers: [{name: [1]}]\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json: cannot "
            "unmarshal array into Go struct field Maintainer.maintainers.name of type string",
        ),
        (
            b"name: x\nversion: 1.0.0\ndependencies: [{name: d, tags: t}]\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json: cannot "
            "unmarshal string into Go struct field Dependency.dependencies.tags of type []string",
        ),
        (
            b"name: x\nversion: 1.0.0\nannotations: [a]\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json: cannot "
            "unmarshal array into Go struct field Metadata.annotations of type map[string]string",
        ),
        (
            b"name: x\nversion: 1.0.0\ntags: [a]\n",
            "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: "
            "json: cannot unmarshal array into Go struct field Metadata.tags of type string",
        ),
        (
            b"name: x\nversion: 1.0.0\nextra: .nan\n",
            "cannot load Chart.yaml: error converting YAML to JSON: json: unsupported value: NaN",
        ),
    ],
)
def test_chart_yaml_decoding_errors(chart_yaml: bytes, message: str) -> None:
    assert error_of(chart(chart_yaml=chart_yaml)) == message


@pytest.mark.parametrize(
    ("chart_yaml", "expected"),
    [
        (b"base: &b {name: a, version: 1.0.0}\n<<: *b\n", {"name": "a"}),
        (b"<<: [{name: a}, {name: b, version: 1.0.0}]\n", {"name": "a"}),
        (b"name: z\n<<: {name: a, version: 1.0.0}\n", {"name": "a"}),
        (b"<<: {name: a, version: 1.0.0}\nname: z\n", {"name": "z"}),
        (b"name: &n x\nversion: &n 1.0.0\ndescription: *n\n", {"description": "1.0.0"}),
        (b"name: !!str 12\nversion: !!float 1\n", {"name": "12", "version": "1"}),
        (b"name: !custom x\nversion: 1.0.0\n", {"name": "x"}),
        (b"name: x\nversion: 1.0.0\n1: a\ntrue: b\n", {"name": "x"}),
    ],
)
def test_go_yaml_semantics(chart_yaml: bytes, expected: dict[str, str]) -> None:
    md = metadata_of(chart_yaml)
    assert {key: md[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("chart_yaml", "problem"),
    [
        (b"a: &a [*a]\n", "yaml: anchor 'a' value contains itself"),
        (b"name: x\nb: &b {c: [&c {d: *c}]}\n", "yaml: anchor 'c' value contains itself"),
        (b"name: *unknown\n", "yaml: unknown anchor 'unknown' referenced"),
        (b"name: !!int x\n", "yaml: cannot decode !!str `x` as a !!int"),
        (b"<<: 1\nname: a\n", "yaml: map merge requires map or sequence of maps as the value"),
        (b"name: x\n[a]: x\n", 'yaml: invalid map key: []interface {}{"a"}'),
        (b"name: x\n~: x\n", 'unsupported map key of type: %!s(<nil>), key: <nil>, value: "x"'),
        (
            b"name: x\nx: " + b"[" * 20000 + b"]" * 20000,
            "yaml: line 2: exceeded max depth of 10000",
        ),
    ],
)
def test_go_yaml_errors(chart_yaml: bytes, problem: str) -> None:
    message = error_of(chart(chart_yaml=chart_yaml))
    assert message == f"cannot load Chart.yaml: error converting YAML to JSON: {problem}"


def test_excessive_aliasing_is_refused() -> None:
    lines = [b"a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        refs = ", ".join([f"*a{level - 1}"] * 10).encode()
        lines.append(f"a{level}: &a{level} [".encode() + refs + b"]")
    values = b"\n".join(lines) + b"\n"
    started = time.perf_counter()
    message = error_of(chart(("mychart/values.yaml", values)))
    assert message == (
        "cannot load values.yaml: error converting YAML to JSON: "
        "yaml: document contains excessive aliasing"
    )
    assert time.perf_counter() - started < 5
