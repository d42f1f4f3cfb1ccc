"""The offline HTML reference: Redocly's inline bundle, its few remote URLs neutralised, and a checker."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from .tools import PublishError, node

# build-docs --inlineBundle still names three remote endpoints in its script: the logo image (two CDN
# SVGs), the icon set base URL and the telemetry collector. The page works without them (the logo's
# onError hides it), so each is replaced by an inert data: URL and nothing is ever fetched from them.
NEUTRALISED_HOSTS = ("cdn.redoc.ly", "cdn.redocly.com", "otel.cloud.redocly.com")
INERT_SVG = "data:image/svg+xml,%3Csvg%20xmlns='http://www.w3.org/2000/svg'/%3E"
# Hosts the Redoc script only mentions as text (XML namespaces, error-message links, sample data, links
# a reader may click); a host outside this list and the spec's own URLs fails `remote_references`.
TEXT_ONLY_HOSTS = frozenset(
    {
        "www.w3.org",
        "redocly.com",
        "github.com",
        "react.dev",
        "reactrouter.com",
        "yarnpkg.com",
        "example.com",
        "en.wikipedia.org",
        "commonmark.org",
        "claude.ai",
        "chatgpt.com",
    }
)
# http(s) and protocol-relative URLs (`//host`; not a custom scheme's `cursor://...`, which loads nothing)
_URL = re.compile(
    r"""(?:(?<![\w+.-])https?:|(?<![\w+.:-]))//([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+)[^\s"'`<>()\\]*"""
)
_LOADING_ATTRS = frozenset({"src", "srcset", "poster", "data", "action", "background", "manifest"})


def build(bundle_yaml: Path, out: Path, title: str) -> None:
    node("redocly", "build-docs", str(bundle_yaml), "--inlineBundle", "--title", title, "-o", str(out))
    text = out.read_text(encoding="utf-8")
    for host in NEUTRALISED_HOSTS:
        text = re.sub(rf"https?://{re.escape(host)}[^\s\"'`<>()\\]*", INERT_SVG, text)
    out.write_text(text, encoding="utf-8")


class _Tags(HTMLParser):
    """Collects attributes that make a browser load something (a link's href only when it is a stylesheet,
    icon or preload; an <a href> is navigation, not a load)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if value is None:
                continue
            if name in _LOADING_ATTRS or (name == "href" and tag == "link"):
                self.loads.append(f"<{tag} {name}={value!r}>")
            if name == "style" and "url(" in value:
                self.loads.append(f"<{tag} style={value!r}>")
        if tag == "script" and "src" not in values and values.get("type") == "importmap":
            self.loads.append("<script type=importmap>")


def remote_references(text: str, spec_strings: Iterable[str]) -> list[str]:
    """Everything in an HTML page that could reach the network; empty means it works offline."""
    problems: list[str] = []
    tags = _Tags()
    try:
        tags.feed(text)
    except AssertionError as exc:  # html.parser's way of refusing markup: fail closed
        problems.append(f"unparseable HTML: {exc}")
    problems += [f"loads {load}" for load in tags.loads if re.search(r"(?:https?:)?//", html.unescape(load))]
    problems += [f"CSS import: {m.group(0)}" for m in re.finditer(r"@import\s+[^;]{0,80}", text)]
    problems += [
        f"CSS url(): {m.group(0)}" for m in re.finditer(r"url\(\s*['\"]?(?:https?:)?//[^)]*\)", text)
    ]
    problems += [
        f"dynamic import: {m.group(0)}" for m in re.finditer(r"import\(\s*[`'\"]https?:[^)]*\)", text)
    ]
    allowed = set(TEXT_ONLY_HOSTS)
    for s in spec_strings:
        allowed.update(m.group(1) for m in _URL.finditer(s))
    for m in _URL.finditer(text):
        if m.group(1) not in allowed:
            problems.append(f"remote URL: {m.group(0)[:120]}")
    return sorted(set(problems))


def spec_strings(node_: Any) -> Iterable[str]:
    """Every string in a spec (keys and values): URLs there are the API's own text, not page resources."""
    if isinstance(node_, dict):
        for k, v in node_.items():
            yield str(k)
            yield from spec_strings(v)
    elif isinstance(node_, list):
        for v in node_:
            yield from spec_strings(v)
    elif isinstance(node_, str):
        yield node_


def check_offline(page: Path, spec: dict[str, Any]) -> None:
    problems = remote_references(page.read_text(encoding="utf-8"), spec_strings(spec))
    if problems:
        raise PublishError(f"{page} references remote resources:\n  " + "\n  ".join(problems))


def index_page(rows: list[dict[str, Any]]) -> str:
    """dist/docs/index.html: one row per vendor (no script, no style sheet: nothing to load)."""
    body = "\n".join(
        f'<tr><td><a href="{html.escape(r["vendor"])}.html">{html.escape(r["title"])}</a></td>'
        f"<td>{html.escape(r['vendor'])}</td><td>{html.escape(r['version'])}</td>"
        f"<td>{r['operations']}</td>"
        f'<td><a href="../specs/{html.escape(r["vendor"])}.yaml">yaml</a> · '
        f'<a href="../specs/{html.escape(r["vendor"])}.json">json</a></td></tr>'
        for r in rows
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>sellerkit API reference</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 0.4em 0.8em; text-align: left; }}
</style>
</head>
<body>
<h1>sellerkit API reference</h1>
<p>Hand-written OpenAPI 3.0.3 descriptions of the vendors' export APIs. Each page works offline.</p>
<table>
<thead><tr><th>API</th><th>vendor</th><th>version</th><th>operations</th><th>bundle</th></tr></thead>
<tbody>
{body}
</tbody>
</table>
</body>
</html>
"""
