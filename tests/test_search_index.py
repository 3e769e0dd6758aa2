"""The search index is written as UTF-8 JSON (branddocs/site/search.py, `index_as_utf8`): the same values as
Material's, with text outside ASCII as itself instead of `\\uXXXX` escapes (a Chinese site's index is a third
smaller). The browser tests search the built Chinese site's index (tests/test_browser.py, tests/test_readers.py)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from material.plugins.search.plugin import SearchIndex

from branddocs.site.search import index_as_utf8

TEXTS = [("服務時間", '我們的服務時間是週一至週五。 &lt;code&gt; "quoted" \\ back\tslash é'), ("Plain", "ascii only")]


def _index(texts: list[tuple[str, str]]) -> SearchIndex:
    index = SearchIndex(lang=["zh"], separator=r"[\s\-]+", pipeline=["stemmer"], fields={"title": {"boost": 1e3}})
    index.entries = [{"location": f"p{k}/", "title": title, "text": text} for k, (title, text) in enumerate(texts)]
    return index


def _as_utf8(index: SearchIndex) -> SearchIndex:
    index_as_utf8(SimpleNamespace(plugins={"search": SimpleNamespace(search_index=index)}))
    return index


def test_the_index_is_utf8_json_with_materials_values() -> None:
    material = _index(TEXTS).generate_search_index(None)
    ours = _as_utf8(_index(TEXTS)).generate_search_index(None)
    assert json.loads(ours) == json.loads(material)
    assert "服務時間" in ours
    assert "\\u" not in ours  # the tab is "\t", the quote and backslash escaped as JSON requires
    assert len(ours.encode("utf-8")) < len(material.encode("utf-8"))
    # Negative: Material's own index escapes every Chinese character.
    assert "服務" not in material
    assert "\\u670d" in material


def test_an_ascii_index_and_one_that_utf8_cannot_hold_stay_materials() -> None:
    ascii_only = [("Plain", "ascii only")]
    assert _as_utf8(_index(ascii_only)).generate_search_index(None) == _index(ascii_only).generate_search_index(None)
    lone = [("lone", "a \ud800 surrogate 服")]  # JSON can escape it; UTF-8 has no bytes for it
    assert _as_utf8(_index(lone)).generate_search_index(None) == _index(lone).generate_search_index(None)


def test_every_built_sites_index_is_utf8(built_sites: dict[str, Path]) -> None:
    for brand_id, site in built_sites.items():
        data = (site / "search" / "search_index.json").read_bytes()
        index = json.loads(data)
        assert index["docs"], brand_id
        # Escapes only where JSON requires them: Chinese and the zero-width spaces as themselves.
        assert data == json.dumps(index, ensure_ascii=False, separators=(",", ":")).encode(), brand_id
        if index["config"]["lang"] == ["zh"]:
            assert "\u200b".encode() in data, brand_id
