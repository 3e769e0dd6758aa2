"""The build's search-index parser (branddocs/site/search_parser.py) gives Material's sections, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest
from material.plugins.search import plugin as material_search

from branddocs.site.search_parser import FastParser

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
]


def _sections(parser_class: type, html: str) -> list[tuple]:
    parser = parser_class()
    parser.feed(html)
    parser.close()
    return [(s.el.tag, s.depth, s.id, s.title, s.text, s.is_excluded()) for s in parser.data]


@pytest.mark.parametrize("html", MADE_UP)
def test_made_up_html_gives_materials_sections(html: str) -> None:
    assert _sections(FastParser, html) == _sections(material_search.Parser, html)


def test_every_built_page_gives_materials_sections(built_sites: dict[str, Path]) -> None:
    pages = [page for site in built_sites.values() for page in sorted(site.rglob("*.html"))]
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert _sections(FastParser, html) == _sections(material_search.Parser, html), page


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
