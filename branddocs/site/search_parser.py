"""Material's search-index parser, with its bookkeeping in constant time: the same sections, byte for byte.

Material's search plugin parses every page's HTML (`material.plugins.search.plugin.Parser`) into the sections of
the search index. For each tag and text run it asks whether any open element is skipped
(`skip.intersection(context)`) and whether the section's heading is open (`section.el in context`), comparing
Element objects by tag in Python: a quarter of a brand's build went to that bookkeeping and the parser under it.

Material's Element compares equal to any element or string with the same tag and hashes as its tag, so both
questions are about tags: its skip set behaves as a set of tag names, and "is an element with this tag open" is a
count. `FastParser` keeps those counts and the same `context`, `section` and `data`, and otherwise does what
Material's handlers do, step for step. A page in plain HTML, which is what Markdown
writes, is cut into HTMLParser's calls by one regular expression (`tokens`: HTMLParser's Python loop was two thirds
of the parse); a page with anything else (script, CDATA, a stray `<`, an unquoted value) goes to HTMLParser.
`install()` puts it in Material's module for this process's builds (the build workers; a plain `mkdocs build` keeps
Material's own). tests/test_search_parser.py holds the two to the
same sections for every page of the project and for made-up HTML with excluded blocks, nested headings and
script.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape, unescape
from typing import Any

from material.plugins.search import plugin as material_search

from branddocs.site import segments

__all__ = ["FastParser", "install", "remembered_segmenter", "tokens"]

_HEADINGS = frozenset(f"h{level}" for level in range(1, 7))
_ALWAYS_SKIPPED = frozenset({"script", "style", "object"})
"""Material never takes these out of its skip set, whatever closes."""


_WS = "[ \t\n\r\f]"
_TOKEN = re.compile(
    rf"""<(?:
        (?P<start>[a-zA-Z][-a-zA-Z0-9]*)
        (?P<attrs>(?:{_WS}+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:="[^"]*"|='[^']*')?)*)
        {_WS}*(?P<empty>/?)>
      | /(?P<end>[a-zA-Z][-.a-zA-Z0-9:_]*){_WS}*>
      | !--(?!-?>)(?:[^-]|-(?!-))*-->
      | (?P<other>)
    )""",
    re.VERBOSE,
)
"""A tag in its plainest form (lower-case or not, attributes quoted or bare, separated by ASCII whitespace), an end
tag, a comment with no `--` inside; anything else after a `<` is `other`."""
_ATTRIBUTE = re.compile(rf"""{_WS}+([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"]*)"|='([^']*)')?""")
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
                       "plaintext"})  # fmt: skip
"""Elements whose content some Python's HTMLParser reads as raw text: a page with one is parsed by HTMLParser."""


def tokens(html: str) -> list[tuple] | None:
    """`html` as the calls HTMLParser (convert_charrefs) makes for it: ("data", text), ("start", tag, attrs),
    ("startend", tag, attrs), ("end", tag); None when it holds anything but plain tags, end tags, comments and
    text (a raw-text element, a declaration, a `<` that starts no tag, an unquoted attribute value...)."""
    found: list[tuple] = []
    at = 0
    for match in _TOKEN.finditer(html):
        if match["other"] is not None:
            return None
        if match.start() > at:
            found.append(("data", unescape(html[at : match.start()])))
        at = match.end()
        start = match["start"]
        if start is not None:
            tag = start.lower()
            if tag in _RAW_TEXT:
                return None
            # A bare attribute is None; a quoted one, even empty, its text (HTMLParser unescapes non-empty ones).
            attrs = [(m[1].lower(), None if m[2] is None and m[3] is None else unescape(m[2] or m[3] or ""))
                     for m in _ATTRIBUTE.finditer(match["attrs"])] if match["attrs"] else []  # fmt: skip
            found.append(("startend" if match["empty"] else "start", tag, attrs))
        elif match["end"] is not None:
            found.append(("end", match["end"].lower()))
    if at < len(html):
        found.append(("data", unescape(html[at:])))
    return found


class FastParser(material_search.Parser):
    """Material's Parser with counts of the open tags in place of its comparisons of Element lists."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open: dict[str, int] = {}
        """How many elements with each tag are open (in `context`)."""
        self._skipped = {str(tag) for tag in self.skip}
        """The tags of Material's skip set: an open element with one of these hides what is inside it."""
        self._hiding = 0
        """How many open elements have a skipped tag: Material's `self.skip.intersection(self.context)`."""

    def feed(self, data: str) -> None:
        """A page in plain HTML (what Markdown writes) is read with one regular expression; anything else, or more
        than one feed, by HTMLParser."""
        found = None if self.rawdata else tokens(data)
        if found is None:
            super().feed(data)
            return
        for token in found:
            kind = token[0]
            if kind == "data":
                self.handle_data(token[1])
            elif kind == "start":
                self.handle_starttag(token[1], token[2])
            elif kind == "end":
                self.handle_endtag(token[1])
            else:
                self.handle_startendtag(token[1], token[2])

    def updatepos(self, i: int, j: int) -> int:
        """Not counted: the line and column of the parser (`getpos()`), which nothing here reads."""
        return j

    def _open_tag(self, tag: str) -> bool:
        """Material's `Element(tag) in self.context`."""
        return self._open.get(tag, 0) > 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in material_search.void:
            return
        attributes = dict(attrs)
        element = material_search.Element(tag, attributes)
        self.context.append(element)
        self._open[tag] = self._open.get(tag, 0) + 1
        if tag in self._skipped:
            self._hiding += 1
        if tag in _HEADINGS:
            depth = len(self.context)
            if "id" in attributes:
                if tag != "h1" and not self.data:
                    self.section = material_search.Section(material_search.Element("hx"), depth)
                    self.data.append(self.section)
                self.section = material_search.Section(element, depth)
                if self.data:
                    self.section.id = attributes["id"]
                self.data.append(self.section)
        if not self.section:
            self.section = material_search.Section(material_search.Element("hx"))
            self.data.append(self.section)
        # Material looks at the attributes in order and stops at the first of these two: either adds the element.
        if "data-search-exclude" in attributes or attributes.get("class") == "linenodiv":
            if tag not in self._skipped:
                self._skipped.add(tag)
                self._hiding += self._open[tag]  # this element and any open one with its tag
            return
        if tag in self.keep and not self._hiding:
            section = self.section
            (section.title if self._open_tag(section.el.tag) else section.text).append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        context = self.context
        if not context or context[-1].tag != tag:
            return
        if self.section.depth > len(context):
            for section in reversed(self.data):
                if section.depth <= len(context):
                    self.section.depth = float("inf")
                    self.section = section
                    break
        context.pop()
        self._open[tag] -= 1
        if tag in self._skipped:
            self._hiding -= 1
            if tag not in _ALWAYS_SKIPPED:  # Material takes the tag out: the other open ones no longer hide
                self._skipped.discard(tag)
                self._hiding -= self._open[tag]
            return
        if tag in self.keep and not self._hiding:
            section = self.section
            data = section.title if self._open_tag(section.el.tag) else section.text
            index = data.index(f"<{tag}>")
            for i in range(index + 1, len(data)):
                if not data[i].isspace():
                    index = len(data)
                    break
            if len(data) > index:
                del data[index:]  # an element with nothing but whitespace in it
            else:
                data.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self._hiding:
            return
        in_pre = self._open_tag("pre")
        if not in_pre:
            data = " " if data.isspace() else data.replace("\n", " ")
        if not self.section:
            self.section = material_search.Section(material_search.Element("hx"))
            self.data.append(self.section)
        section = self.section
        if self._open_tag(section.el.tag):
            if not any(e.tag == "a" and e.attrs.get("class") == "headerlink" for e in self.context):  # permalinks
                section.title.append(escape(data, quote=False))
        elif data.isspace():
            text = section.text
            if not text or not text[-1].isspace() or in_pre:
                text.append(data)
        else:
            section.text.append(escape(data, quote=False))


_SEGMENTS_KEPT = 8192


def remembered_segmenter() -> Callable[[Any, str], str]:
    """Material's `SearchIndex._segment_chinese`, with each run of Chinese characters segmented once per process
    while jieba's dictionary stays the same: a Chinese brand's pages are the same translations as the other Chinese
    brands', and jieba's segmentation was a twentieth of the build. The key holds the dictionary's file and its
    words' count and total frequency, which any word added or a new dictionary changes; what jieba made of a text
    with its own dictionary is kept for the project's next builds (site/segments.py)."""
    import jieba
    from backrefs import bre

    han = bre.compile(r"(\p{script: Han}+)", bre.UNICODE)  # Material's
    done: dict[tuple, str] = {}

    def replace(match: Any) -> str:
        value = match.group(0)
        tokenizer = getattr(jieba.cut, "__self__", jieba.dt)  # the tokenizer jieba.cut segments with
        key = (value, id(tokenizer), tokenizer.dictionary, tokenizer.initialized, tokenizer.total,
               len(tokenizer.FREQ))  # fmt: skip
        if key not in done:
            if len(done) >= _SEGMENTS_KEPT:
                done.clear()
            done[key] = segments.cut(tokenizer, value, material_cut)  # the project's kept cut, if it stands
        return done[key]

    def material_cut(value: str) -> str:
        return "".join(["\u200b", "\u200b".join(jieba.cut(value.encode("utf-8"))), "\u200b"])

    def segment_chinese(self: Any, data: str) -> str:
        return han.sub(replace, data).strip("\u200b")

    return segment_chinese


def install() -> None:
    """Material's search plugin parses pages with FastParser in this process, and segments Chinese once per run."""
    material_search.Parser = FastParser
    if material_search.jieba is not None:
        material_search.SearchIndex._segment_chinese = remembered_segmenter()
