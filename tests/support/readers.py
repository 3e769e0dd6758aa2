"""What a reader of a brand's site meets in its language: search words from its own pages, and glyphs (no tofu)."""

from __future__ import annotations

import html
import logging
import re
import warnings
from collections import Counter
from pathlib import Path

from playwright.sync_api import Page

from .browser import search_answered, type_search

__all__ = ["import_jieba", "page_texts", "search_hits", "search_words"]

_ARTICLE = re.compile(r"<article\b[^>]*>(?P<body>.*?)</article>", re.S)
_CODE = re.compile(r"<(pre|code)\b.*?</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_HAN_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,}")
_LETTER_WORD = re.compile(r"[^\W\d_]{6,}")


def page_texts(site: Path) -> dict[str, str]:
    """Each published page's prose (its article without code), by its path under the site (`""` for the home)."""
    texts = {}
    for path in sorted(site.rglob("index.html")):
        match = _ARTICLE.search(path.read_text(encoding="utf-8"))
        if match:
            prose = html.unescape(_TAG.sub(" ", _CODE.sub(" ", match["body"])))
            where = path.parent.relative_to(site).as_posix()
            texts["" if where == "." else where + "/"] = prose
    return texts


def import_jieba():
    """jieba (Material's Chinese search), imported in this process. jieba 0.42.1's source has invalid escapes, a
    warning when Python compiles it, which happens here where pip left no bytecode (a legacy setup.py install, as
    an ordinary user's venv has it; pytest makes warnings errors): ignored for that compile alone."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid escape sequence", DeprecationWarning)
        warnings.filterwarnings("ignore", "invalid escape sequence", SyntaxWarning)
        import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    return jieba


def _words(text: str, language: str) -> list[str]:
    if language.split("-")[0] == "zh":
        jieba = import_jieba()  # Material indexes Chinese with it: a reader's words, as the index splits them
        return [w for w in jieba.cut(text) if _HAN_WORD.fullmatch(w)]
    return [w.lower() for w in _LETTER_WORD.findall(text)]


def search_words(site: Path, language: str, count: int = 3) -> list[tuple[str, str]]:
    """`count` words of the site's own pages in `language`, each with the page it comes from, spread over pages.

    Each page's most frequent word found on no other page (else its most frequent word), then the next.
    """
    texts = page_texts(site)
    ranked = {}
    for path, text in texts.items():
        others = " ".join(t for p, t in texts.items() if p != path).lower()
        counts = Counter(_words(text, language))
        ranked[path] = sorted(counts, key=lambda w: (w in others, -counts[w], -len(w)))
    picked: list[tuple[str, str]] = []
    for depth in range(max(map(len, ranked.values()), default=0)):
        for path, words in ranked.items():
            if depth < len(words) and len(picked) < count and words[depth] not in {w for w, _ in picked}:
                picked.append((words[depth], path))
    return picked


def search_hits(page: Page, word: str) -> list[str]:
    """Type `word` into the site's search as a reader does; the pages (absolute URLs, no anchor) it lists."""
    opener = page.locator("label.md-header__button[for='__search']").first
    if opener.is_visible():
        opener.click()
    type_search(page, "input.md-search__input", word)
    failed = search_answered(page, word)
    if failed:
        raise AssertionError(failed)
    return sorted(
        set(page.evaluate("() => [...document.querySelectorAll('.md-search-result__item a')].map(a => a.href)"))
    )
