"""What a reader sees of one built page: its title, visible text, code blocks, navigation and inline styles.

Read from the HTML MkDocs-Material wrote, with the standard library's parser. Only what a reader meets is
kept, so what changes on every build (sitemap dates, the search index, the generator's stamps) never
shows: the text of the page's `<article>` (headings, prose, lists, tables, link targets, image sources),
each code block separately under a label (the heading and tab it is under), the primary navigation, and the
page's `<style>` elements (the brand palette lives there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["PageView", "read_page"]

_BLOCKS = {"p", "li", "tr", "table", "ul", "ol", "dl", "dt", "dd", "blockquote", "div", "details", "summary",
           "h1", "h2", "h3", "h4", "h5", "h6", "hr", "br", "figure", "figcaption", "label"}  # fmt: skip
_SPACE = re.compile(r"\s+")


@dataclass
class PageView:
    """One page as a reader meets it."""

    title: str = ""
    text: list[str] = field(default_factory=list)
    """Visible lines of the article, Markdown-like: `## Heading`, `- item`, `| cell | cell |`, `[link](href)`."""
    code: dict[str, str] = field(default_factory=dict)
    """Each code block's text, by label: `Heading › Tab` (`#2` and on for a repeated label)."""
    nav: list[str] = field(default_factory=list)
    """The primary navigation, one `title (href)` per entry."""
    styles: dict[str, str] = field(default_factory=dict)
    """Inline `<style>` elements by id (the brand palette), whitespace trimmed per line."""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.view = PageView()
        self._line: list[str] = []
        self._article = self._title = self._pre = self._skip = False
        self._nav = 0  # depth of open <nav>s inside the primary navigation (the page's table of contents nests)
        self._nav_href: str | None = None  # the primary navigation's link being read
        self._style: str | None = None
        self._links: list[str] = []  # hrefs of open <a> elements, "" for ones not shown as links
        self._divs: list[dict] = []  # open <div>s: their classes, and a tab set's labels and position
        self._heading = ""
        self._heading_level = 0
        self._code: list[str] = []
        self._code_label = ""
        self._row: list[str] | None = None

    # Lines of text

    def _flush(self) -> None:
        text = _SPACE.sub(" ", "".join(self._line)).strip()
        self._line = []
        if not text:
            return
        if self._row is not None:
            self._row.append(text)
        else:
            self.view.text.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        classes = attr.get("class", "").split()
        if tag == "title":
            self._title = True
        elif tag == "style":
            self._style = attr.get("id") or f"style {len(self.view.styles) + 1}"
        elif tag == "nav" and (self._nav or "md-nav--primary" in classes):
            self._nav += 1
        elif tag == "article":
            self._article = True
        elif tag == "a" and self._nav == 1 and "md-nav__link" in classes:
            self._nav_href = attr.get("href", "")
        if not self._article:
            return
        if tag == "div":
            self._open_div(classes)
        if self._pre:
            return
        if tag == "a" and "headerlink" in classes:
            self._skip = True
        elif tag == "pre":
            self._flush()
            self._pre = True
            self._code = []
            tab = next((d["labels"][d["at"]] for d in reversed(self._divs) if d.get("labels") and d["at"] >= 0), "")
            self._code_label = " › ".join(p for p in (self._heading, tab) if p) or "code"
            self.view.text.append("[code block]")  # where it stands; its text is compared on its own
        elif tag in _BLOCKS:
            self._flush()
            if tag[0] == "h" and tag[1:].isdigit():
                self._heading_level = int(tag[1])
            elif tag == "li":
                self._line.append("- ")
            elif tag == "tr":
                self._row = []
        elif tag == "a":
            self._links.append(attr.get("href", ""))
            self._line.append("[")
        elif tag == "img":
            self._line.append(f"![{attr.get('alt', '')}]({attr.get('src', '')})")
        elif tag == "code":
            self._line.append("`")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._title = False
        elif tag == "style":
            self._style = None
        elif tag == "nav" and self._nav:
            self._nav -= 1
        elif tag == "a" and self._nav_href is not None:
            self.view.nav.append(f"{_SPACE.sub(' ', ''.join(self._line)).strip()} ({self._nav_href})")
            self._line, self._nav_href = [], None
        elif tag == "article":
            self._flush()
            self._article = False
        if not self._article:
            return
        if tag == "div" and self._divs:
            self._divs.pop()
        if self._skip:
            self._skip = tag != "a"
            return
        if tag == "pre" and self._pre:
            self._pre = False
            label, n = self._code_label, 2
            while label in self.view.code:
                label, n = f"{self._code_label} #{n}", n + 1
            self.view.code[label] = "".join(self._code).rstrip("\n")
        elif self._pre:
            return
        elif tag in _BLOCKS:
            if self._heading_level and tag == f"h{self._heading_level}":
                self._heading = _SPACE.sub(" ", "".join(self._line)).strip()
                self._line.insert(0, "#" * self._heading_level + " ")
                self._heading_level = 0
            if tag == "label" and self._divs and "tabbed-labels" in self._divs[-1]["classes"]:
                self._tab_labels().append(_SPACE.sub(" ", "".join(self._line)).strip())
            self._flush()
            if tag == "tr" and self._row is not None:
                self.view.text.append("| " + " | ".join(self._row) + " |")
                self._row = None
        elif tag in ("td", "th") and self._row is not None:
            self._row.append(_SPACE.sub(" ", "".join(self._line)).strip())  # empty cells keep their column
            self._line = []
        elif tag == "a" and self._links:
            href = self._links.pop()
            self._line.append(f"]({href})" if href else "]")
        elif tag == "code":
            self._line.append("`")

    def handle_data(self, data: str) -> None:
        if self._title:
            self.view.title += data.strip()
        elif self._style is not None:
            lines = (line.strip() for line in data.splitlines())
            self.view.styles[self._style] = "\n".join(line for line in lines if line)
        elif self._nav_href is not None:
            self._line.append(data)
        elif self._article and not self._skip:
            (self._code if self._pre else self._line).append(data)

    # Tabbed sets (pymdownx.tabbed): which tab a code block is under

    def _open_div(self, classes: list[str]) -> None:
        entry: dict = {"classes": classes}
        if "tabbed-set" in classes:
            entry.update(labels=[], at=-1)
        elif "tabbed-block" in classes:
            tab_set = next((d for d in reversed(self._divs) if "labels" in d), None)
            if tab_set is not None and "tabbed-content" in self._divs[-1]["classes"]:
                tab_set["at"] += 1
        self._divs.append(entry)

    def _tab_labels(self) -> list[str]:
        return next((d["labels"] for d in reversed(self._divs) if "labels" in d), [])


def read_page(html: str) -> PageView:
    """The reader's view of one built page."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.view
