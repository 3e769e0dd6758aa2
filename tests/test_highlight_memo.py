"""Highlighted code remembered per build process (site/build_cache.py `_highlight_once`): the same code, lexer and
formatter settings give Pygments' HTML without highlighting again; any setting that differs highlights anew.
tests/test_build_many.py holds a worker that builds every brand in turn to each brand's plain `mkdocs build`."""

from __future__ import annotations

import pygments
import pytest
from pygments.lexers import get_lexer_by_name
from pymdownx import highlight as pymdownx_highlight

from branddocs.site import build_cache

CODE = "import os\n\nprint(os.environ['ACME_API_KEY'])  # a comment\n"


def _formatter(**options: object) -> object:
    settings = {"wrapcode": True, "lineanchors": "__codelineno-0", "anchorlinenos": True, **options}
    return pymdownx_highlight.BlockHtmlFormatter(**settings)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """pymdownx's highlight counted, then remembered as a build worker's is; pymdownx's own is put back after."""
    made: list[str] = []

    def counted(code: str, lexer: object, formatter: object, outfile: object = None) -> str:
        made.append(code)
        return pygments.highlight(code, lexer, formatter, outfile)

    monkeypatch.setattr(pymdownx_highlight, "highlight", counted)
    build_cache._highlight_once()
    return made


def test_the_same_block_is_highlighted_once(calls: list[str]) -> None:
    first = pymdownx_highlight.highlight(CODE, get_lexer_by_name("python"), _formatter())
    again = pymdownx_highlight.highlight(CODE, get_lexer_by_name("python"), _formatter())
    assert again == first == pygments.highlight(CODE, get_lexer_by_name("python"), _formatter())
    assert len(calls) == 1


def test_any_setting_that_differs_highlights_anew(calls: list[str]) -> None:
    expected = pygments.highlight(CODE, get_lexer_by_name("python"), _formatter())
    assert pymdownx_highlight.highlight(CODE, get_lexer_by_name("python"), _formatter()) == expected
    variants = [
        (CODE, get_lexer_by_name("python"), _formatter(lineanchors="__codelineno-1")),  # the page's next block
        (CODE, get_lexer_by_name("python"), _formatter(hl_lines=[3])),
        (CODE, get_lexer_by_name("python"), _formatter(linenos="pymdownx-inline")),  # pymdownx changes it to...
        (CODE, get_lexer_by_name("python"), _formatter(linenos="inline")),  # ...this, and remembers which it was
        (CODE, get_lexer_by_name("python"), _formatter(filename="example.py")),
        (CODE, get_lexer_by_name("bash"), _formatter()),
        ("\n" + CODE, get_lexer_by_name("python", stripnl=False), _formatter()),  # the lexer's state counts too
        (CODE.replace("ACME", "NEBULA"), get_lexer_by_name("python"), _formatter()),
    ]
    outputs = [pymdownx_highlight.highlight(*variant) for variant in variants]
    for variant, output in zip(variants, outputs, strict=True):
        code, lexer, formatter = variant
        assert output == pygments.highlight(code, get_lexer_by_name(lexer.aliases[0], **lexer.options), formatter)
    # Negative: every variant's HTML differs from the first block's (a memory keyed on less would have served it).
    assert len(set(outputs)) == len(outputs)
    assert expected not in outputs
    assert len(calls) == 1 + len(variants)
