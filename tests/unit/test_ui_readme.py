"""README rendering: Markdown in, sanitised HTML out; nothing a chart ships can run."""

from __future__ import annotations

import re

import pytest

from app.ui.readme import render_readme
from app.ui.values import highlight_yaml

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src="https://e.example/a.png" onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    '<a href="java&#x73;cript:alert(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](data:text/html,<script>alert(1)</script>)",
    "![img](javascript:alert(1))",
    '<svg onload="alert(1)"><script>alert(1)</script></svg>',
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<form action="https://evil.example"><input name="x"><button>go</button></form>',
    '<div style="background:url(javascript:alert(1))" onclick="alert(1)">x</div>',
    "<style>body { display: none }</style>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<details open ontoggle="alert(1)">x</details>',
    '<body onload="alert(1)">',
    "<template><script>alert(1)</script></template>",
    '<p onmouseover="alert(1)">hover</p>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
]


def _render(markdown: str) -> str:
    return str(render_readme("README.md", markdown.encode()))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_nothing_that_runs_survives(payload: str) -> None:
    html = _render(f"# Title\n\n{payload}\n\ntext after\n").lower()
    assert "<script" not in html
    assert not re.search(r"=\s*[\"']?\s*javascript:", html), html  # in no attribute
    assert not re.search(r"<[^>]+\son\w+\s*=", html), html  # no event handler attribute
    assert not re.search(r'(href|src)="\s*(data|vbscript|javascript):', html), html
    for tag in ("<svg", "<math", "<iframe", "<object", "<embed", "<form", "<style", "<meta",
                "<base", "<link", "<template", "<input", "<body"):  # fmt: skip
        assert tag not in html, (tag, html)
    assert "style=" not in html
    if "<math" not in payload:  # an unclosed <math> goes with everything after it
        assert "text after" in html


def test_markdown_renders() -> None:
    html = _render(
        "# Web app\n\nSome **bold** and `code`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "```yaml\nkey: value\n```\n\n[site](https://example.com) ~~old~~\n"
    )
    assert "<h1>Web app</h1>" in html
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "key: value" in html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">site</a>' in html
    assert "<s>old</s>" in html


def test_raw_html_is_kept_when_harmless() -> None:
    html = _render('<p align="center"><img src="https://example.com/logo.png" alt="logo"></p>')
    assert '<img src="https://example.com/logo.png" alt="logo">' in html


def test_relative_images_are_dropped() -> None:
    html = _render('<img src="docs/shot.png" alt="shot"> ![x](img/a.png)')
    assert "docs/shot.png" not in html and "img/a.png" not in html


def test_text_readmes_are_preformatted_and_escaped() -> None:
    html = str(render_readme("README.txt", b"<script>alert(1)</script>\n  indented"))
    assert html.startswith('<pre class="readme-text">')
    assert "&lt;script&gt;" in html and "<script" not in html


def test_values_are_highlighted_with_classes_only() -> None:
    html = str(highlight_yaml(b"# comment <b>\nreplicaCount: 1\nimage:\n  tag: '1.0'\n"))
    assert '<span class="c1"># comment &lt;b&gt;</span>' in html
    assert '<span class="nt">replicaCount</span>' in html
    assert "style=" not in html


def test_the_loader_keeps_the_readme_helm_shows() -> None:
    from app.charts.loader import load_chart
    from tests.helpers import chart_yaml
    from tests.helpers import make_tgz

    files = {
        "Chart.yaml": chart_yaml("x", "1.0.0"),
        "templates/README.md": "not this one",
        "docs/README.md": "nor this one",
        "readme.TXT": "this one",
        "README.md": "too late",
    }
    chart = load_chart(make_tgz(files, top="x"))
    assert (chart.readme_name, chart.readme) == ("readme.TXT", b"this one")
    none = load_chart(make_tgz({"Chart.yaml": chart_yaml("x", "1.0.0")}, top="x"))
    assert (none.readme_name, none.readme) == ("", None)
    fast = load_chart(make_tgz(files, top="x"), metadata_only=True)
    assert fast.readme is None
