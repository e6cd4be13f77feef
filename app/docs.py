"""Generate the README's configuration reference from the option table.

``python -m app.docs`` rewrites the section in README.md; a test checks it is current.
"""

from __future__ import annotations

import sys

from app.options import OPTIONS

MARKER = "<!-- generated from app/options.py by `python -m app.docs`; do not edit by hand -->"


def reference_table() -> str:
    """The Markdown table of every option."""
    rows = [
        "| Flag | Env var | Config key | Default | Meaning |",
        "|---|---|---|---|---|",
    ]
    for opt in OPTIONS:
        meta = opt.metadata
        flag = f"`--{meta['flag']}`" + (f", `-{meta['short']}`" if meta["short"] else "")
        default = "" if meta["kind"] == "kv" else repr(opt.default)
        if opt.name == "workers":
            default = "2 x CPUs"
        key = f"`{meta['key']}`" if meta["key"] else ""
        rows.append(f"| {flag} | `{meta['env']}` | {key} | `{default}` | {meta['help']} |")
    return "\n".join(rows) + "\n"


def update_readme(path: str = "README.md") -> None:
    """Replace everything after the marker with the current table."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    head = text.split(MARKER)[0]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(head + MARKER + "\n\n" + reference_table())


if __name__ == "__main__":
    update_readme(sys.argv[1] if len(sys.argv) > 1 else "README.md")
