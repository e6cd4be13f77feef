"""A chart's README as safe HTML: Markdown through markdown-it-py, then nh3 (ammonia).

The README comes from whoever uploaded the chart, so its HTML is never trusted: raw HTML is
allowed in the Markdown (READMEs use it for badges and images) and everything goes through
the sanitiser, which keeps a list of harmless tags and attributes and drops the rest (no
``script``, ``style``, SVG, event handlers or ``style`` attributes; links only to
``http``, ``https`` and ``mailto`` URLs or relative ones). The page's Content-Security-Policy
forbids inline scripts and styles as a second line of defence.
"""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

MAX_RENDERED = 1 << 20  # larger READMEs are shown as plain text (rendering is not free)
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# tags whose content goes too (nh3 keeps the text of other removed tags)
DROPPED_WITH_CONTENT = frozenset({"script", "style", "svg", "math", "template", "noscript"})

_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_TAGS = set(nh3.ALLOWED_TAGS) - {"area", "map"} - DROPPED_WITH_CONTENT


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Images only from web URLs: a relative one would point into this server (the files
    of a package are not served)."""
    if tag == "img" and attribute == "src" and not value.startswith(("https://", "http://")):
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    url_schemes=set(URL_SCHEMES),
    link_rel="noopener noreferrer nofollow",
    attribute_filter=_keep_attribute,
)


def sanitize(fragment: str) -> Markup:
    """``fragment`` with everything that could run, style or frame something removed."""
    return Markup(_CLEANER.clean(fragment))  # sanitised just now


def render_readme(name: str, data: bytes) -> Markup:
    """The README ``name`` (``README.md``, ``README.txt``...) as HTML safe to embed.

    Markdown unless the name says text; text, and READMEs over :data:`MAX_RENDERED`, are
    shown preformatted.
    """
    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    if name.lower().endswith(".txt") or name.lower() == "readme" or len(data) > MAX_RENDERED:
        return Markup(f'<pre class="readme-text">{html.escape(text)}</pre>')
    return sanitize(_MARKDOWN.render(text))
