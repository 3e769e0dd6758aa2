"""The build's search-index parser (branddocs/site/search_parser.py) gives Material's sections, byte for byte."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from material.plugins.search import plugin as material_search

from branddocs.site.search_parser import FastParser, tokens

MADE_UP = [
    "<p>before any heading</p><h2 id='a'>A <a class='headerlink' href='#a'>&para;</a></h2><p>text &amp; more</p>",
    "<h1 id='t'>Title</h1><div data-search-exclude><p>hidden</p><div><p>still hidden</p></div></div><p>seen</p>",
    # Material takes a tag out of its skip set when any element with that tag closes, even an inner one.
    "<h2 id='x'>X</h2><div data-search-exclude><div>inner</div><p>shown again</p></div><p>after</p>",
    "<h2 id='y'>Y</h2><script>var a = '<p>not text</p>';</script><style>p{}</style><object>o</object><p>y</p>",
    "<table class='highlighttable'><tr><td class='linenos'><div class='linenodiv'><pre>1\n2</pre></div></td>"
    "<td><pre><code>a\n\n  b</code></pre></td></tr></table>",
    "<section><h2 id='n1'>Nested</h2><p>one</p></section><p>outer again</p><h3 id='n2'>Two</h3><ul><li> </li>"
    "<li>kept</li></ul><p>  </p><p>\n</p>",
    "<h2>no id</h2><p>a<br/>b<img src=x></p><h4 id='deep'>Deep <code>code</code></h4><sub>1</sub><sup> </sup>",
    "<div data-search-exclude><h2 id='ex'>Excluded heading</h2><p>x</p></div><h2 id='in'>In</h2><p>in</p>",
    "<p>unclosed <b>bold<p>next</div></p>&lt;tag&gt; &#x41; &unknown; <!-- comment --> <![CDATA[x]]>",
    # Plain HTML, which FastParser reads with one regular expression (see PLAIN): the same calls as HTMLParser's.
    "<H2 ID='q' Data-Search-Exclude>Q &amp; <em class=\"a&quot;b\" title=''>e</em></H2><br/><hr />\n<p hidden>p</p>",
    "<p>a <!-- c --> b <!----> d</p><svg><path d=\"M0 0\"/></svg><p title='x > y'>&lt;3 &#8212; &copy</p>tail &amp",
    # Not plain: read by HTMLParser.
    "<p>a < b</p><p a=unquoted>x</p>",
    "<p>raw</p><textarea><p>not a tag</p></textarea><title>t &amp; t</title><!--->x-->y",
]
PLAIN = MADE_UP[-4:-2]
NOT_PLAIN = [MADE_UP[3], MADE_UP[6], MADE_UP[8], *MADE_UP[-2:]]
"""Script and style, an unquoted attribute value, CDATA, a bare `<`, textarea and title."""


def _sections(parser_class: type, html: str) -> list[tuple]:
    parser = parser_class()
    parser.feed(html)
    parser.close()
    return [(s.el.tag, s.depth, s.id, s.title, s.text, s.is_excluded()) for s in parser.data]


@pytest.mark.parametrize("html", MADE_UP)
def test_made_up_html_gives_materials_sections(html: str) -> None:
    assert _sections(FastParser, html) == _sections(material_search.Parser, html)


class _Calls(HTMLParser):
    """The calls HTMLParser makes to its handlers, as `tokens` lists them."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.calls.append(("start", tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.calls.append(("startend", tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        self.calls.append(("end", tag))

    def handle_data(self, data: str) -> None:
        self.calls.append(("data", data))


def _calls(html: str) -> list[tuple]:
    parser = _Calls()
    parser.feed(html)
    parser.close()
    return parser.calls


@pytest.mark.parametrize("html", MADE_UP)
def test_plain_html_is_read_as_htmlparser_reads_it_and_the_rest_by_htmlparser(html: str) -> None:
    found = tokens(html)
    assert (found is None) == (html in NOT_PLAIN)
    if found is not None:
        assert found == _calls(html)


def test_the_token_comparison_sees_a_tokenizer_that_differs() -> None:
    """Negative: attribute values left as written (`a&quot;b`) instead of unescaped, told apart."""
    html = PLAIN[0]
    written = [(*t[:2], [(n, v and escape(v)) for n, v in t[2]]) if len(t) == 3 else t for t in tokens(html)]
    assert written != _calls(html)


def _article(page: str) -> str:
    """A built page's article: the HTML Material's search indexes (the page's content) and the copy button."""
    opening = '<article class="md-content__inner md-typeset">'
    return page[page.index(opening) + len(opening) : page.rindex("</article>")]


def test_every_built_page_gives_materials_sections(built_sites: dict[str, Path]) -> None:
    pages = [page for site in built_sites.values() for page in sorted(site.rglob("*.html"))]
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert _sections(FastParser, html) == _sections(material_search.Parser, html), page
        article = _article(html)
        # Markdown's HTML is plain: read by the regular expression, with the calls HTMLParser makes.
        assert tokens(article) == _calls(article), page
        assert _sections(FastParser, article) == _sections(material_search.Parser, article), page


class _KeepsSkipping(FastParser):
    """Without Material's quirk of taking a tag out of the skip set when an inner element with it closes."""

    def handle_endtag(self, tag: str) -> None:
        skipped = set(self._skipped)
        hiding = self._hiding
        super().handle_endtag(tag)
        if tag in skipped and tag not in self._skipped:
            self._skipped.add(tag)
            self._hiding = hiding - 1


def test_the_comparison_sees_a_parser_that_differs() -> None:
    """Negative: a parser that skips 'correctly' is told apart from Material's on the quirk's page."""
    html = MADE_UP[2]
    assert _sections(_KeepsSkipping, html) != _sections(material_search.Parser, html)
