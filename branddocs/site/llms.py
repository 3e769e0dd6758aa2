"""Pages for AI assistants: each page's Markdown twin, the site's `llms.txt` and `llms-full.txt` (llmstxt.org).

- The twin of a page is the Markdown its HTML was made from: after mkdocs-macros (the brand's values
  filled in) and with branddocs' fence settings and "Try it" panels (site/try_it.py) removed, so its code
  blocks are the published, checked ones. It is published at the page's source path: `index.md` for the
  home page, `serverless-endpoints.md` beside `serverless-endpoints/index.html` (the page's URL with `.md`
  in place of its trailing slash). At that path every relative link and image in it resolves as it does in
  `docs/`.
- `llms.txt`: `# <site title>`, `> <description>`, then `## Pages`: `- [Page title](absolute URL of its
  twin): its first sentence`, in the site's navigation order, and `## Optional`: `llms-full.txt`; the URLs
  are under the brand's `site_url` (relative to `llms.txt` when the brand has none).
- `llms-full.txt`: every twin, in the same order.

Written by the MkDocs hooks, per brand and into the brand's own site folder, so the secret scan and the
incremental build treat them like any other output file. No state is kept between events: `llms.txt` is
made from the twins on disk.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import quote

from branddocs import text
from branddocs.site.try_it import strip_panels

__all__ = ["FULL", "INDEX", "twin_uri", "write_index", "write_twin"]

INDEX = "llms.txt"
FULL = "llms-full.txt"
_HEADING = re.compile(r"^#\s+(?P<title>.+?)(?:\s+\{[^}]*\})?\s*$", re.M)
_SENTENCE = re.compile(r"^.*?(?:[.!?](?=\s|$)|[。！？])", re.S)


def twin_uri(src_uri: str) -> str:
    """Where a page's Markdown twin is published, relative to the site: its source path (`index.md`, `a/b.md`)."""
    return src_uri


def write_twin(page, config) -> None:
    """Write the page's Markdown (after macros, fence settings removed) beside its HTML."""
    out = Path(config.site_dir) / twin_uri(page.file.src_uri)
    out.parent.mkdir(parents=True, exist_ok=True)
    twin = strip_panels(page.markdown).rstrip() + "\n"
    if not out.is_file() or out.read_text(encoding="utf-8") != twin:
        out.write_text(twin, encoding="utf-8")


def _nav_uris(items) -> list[str]:
    uris: list[str] = []
    for item in items or []:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        uris += _nav_uris(value) if isinstance(value, list) else [value] if isinstance(value, str) else []
    return uris


def _plain(value: object) -> str:
    """Site name or description (HTML-escaped once for Material's templates) on a line of llms.txt, which readers
    read raw: escaped for Markdown alone, with backslashes, so `Brightline & Co.` and `Acme's` read as written."""
    return text.markdown_line(html.unescape(str(value)))


def _summary(markdown: str) -> str:
    """The first sentence of the page's first paragraph of prose, for the llms.txt note."""
    for block in re.split(r"\n\s*\n", markdown):
        block = block.strip()
        if block and not block.startswith(("#", "<", "|", "`", "~", "-", "*", "!", "=", ">", "{")):
            line = " ".join(block.split())
            match = _SENTENCE.match(line)
            return (match.group() if match else line)[:200]
    return ""


def write_index(config) -> None:
    """Write `llms.txt` and `llms-full.txt` from the twins in the site folder, in navigation order."""
    site = Path(config.site_dir)
    twins = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.md"))
    nav = [twin_uri(uri) for uri in _nav_uris(config.nav)]
    ordered = [uri for uri in nav if uri in twins] + [uri for uri in twins if uri not in nav]
    base = str(config.site_url or "")
    lines = [f"# {_plain(config.site_name)}", ""]
    if config.site_description:
        lines += [f"> {_plain(config.site_description)}", ""]
    lines += ["## Pages", ""]
    texts = []
    for uri in ordered:
        twin = (site / uri).read_text(encoding="utf-8")
        texts.append(twin)
        heading = _HEADING.search(twin)
        title = heading["title"] if heading else uri.removesuffix(".md")
        summary = _summary(twin)
        link = text.markdown_link_destination(base + quote(uri))
        lines.append(f"- [{title}]({link})" + (f": {summary}" if summary else ""))
    # llmstxt.org's "Optional" section: what an assistant may skip; here, every page above in one file.
    lines += ["", "## Optional", "", f"- [{FULL}]({text.markdown_link_destination(base + FULL)})"]
    (site / INDEX).write_text("\n".join(lines) + "\n", encoding="utf-8")
    (site / FULL).write_text("\n\n".join(t.rstrip() for t in texts) + "\n", encoding="utf-8")
