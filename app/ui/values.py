"""``values.yaml`` highlighted with Pygments, as CSS classes only.

The classes are styled by ``app/static/ui/pygments.css`` (made by :func:`stylesheet`), so
the pages need no inline styles and their Content-Security-Policy can forbid them.
"""

from __future__ import annotations

import html

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import YamlLexer

CSS_CLASS = "hl"
MAX_HIGHLIGHTED = 256 << 10  # larger files are shown plain: highlighting is not free
STYLE = "friendly"

_FORMATTER = HtmlFormatter(cssclass=CSS_CLASS, nowrap=True)
_LEXER = YamlLexer(stripnl=False, ensurenl=False)


def highlight_yaml(data: bytes) -> Markup:
    """``data`` (YAML) as escaped HTML with ``<span class=...>`` tokens, for a ``<pre>``."""
    text = data.decode("utf-8", "replace")
    if len(data) > MAX_HIGHLIGHTED:
        return Markup(html.escape(text))
    return Markup(highlight(text, _LEXER, _FORMATTER))


def stylesheet() -> str:
    """The CSS of the token classes (written to ``app/static/ui/pygments.css``)."""
    return str(HtmlFormatter(style=STYLE, cssclass=CSS_CLASS).get_style_defs(f".{CSS_CLASS}"))
