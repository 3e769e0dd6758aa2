"""Chinese segmented once per build process (site/search_parser.py `remembered_segmenter`): the same text as
Material's `_segment_chinese`, jieba asked once per run of Chinese characters, and asked again once its dictionary
changes."""

from __future__ import annotations

from collections.abc import Iterator

import jieba
import pytest
from material.plugins.search.plugin import SearchIndex

from branddocs.site.search import jieba_cache
from branddocs.site.search_parser import remembered_segmenter

from .support.project import ROOT

TEXTS = [
    "服務時間為週一至週五，上午九點到下午六點。",
    "<p>請使用 <code>YUSHAN_API_KEY</code> 呼叫 API：每分鐘最多 60 次請求。</p>",
    "English only, with no Chinese at all.",
    "",
    "混合 text 與中文，服務時間為週一至週五",
]


@pytest.fixture
def cuts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """jieba's calls counted; its dictionary as it was, after the test."""
    jieba_cache(ROOT / ".cache")  # the project's, never /tmp/jieba.cache
    tokenizer = jieba.cut.__self__
    tokenizer.check_initialized()
    words, total = dict(tokenizer.FREQ), tokenizer.total
    made: list[bytes] = []
    cut = jieba.cut
    monkeypatch.setattr(jieba, "cut", lambda text, *args, **kwargs: made.append(text) or cut(text, *args, **kwargs))
    yield made
    tokenizer.FREQ, tokenizer.total = words, total


def test_the_same_text_as_materials_with_each_run_segmented_once(cuts: list[bytes]) -> None:
    ours, material = remembered_segmenter(), SearchIndex()._segment_chinese
    expected = [material(text) for text in TEXTS]
    asked = len(cuts)  # Material asks jieba for every run of Chinese characters, even one it asked for before
    assert [ours(None, text) for text in TEXTS] == expected
    assert len(cuts) - asked < asked  # ours: each distinct run once (one comes twice)
    asked = len(cuts)
    assert [ours(None, text) for text in TEXTS] == expected
    assert len(cuts) == asked  # all of them remembered
    assert "\u200b" in ours(None, TEXTS[0])


def test_a_changed_dictionary_segments_again(cuts: list[bytes]) -> None:
    ours, material = remembered_segmenter(), SearchIndex()._segment_chinese
    before = ours(None, TEXTS[0])
    jieba.add_word("週一至週五", 10**9)  # as a user dictionary would
    after = ours(None, TEXTS[0])
    # Negative: the dictionary changed what Material gives, so a memory keyed on the text alone would be wrong.
    assert after != before
    assert after == material(TEXTS[0])
    assert "\u200b週一至週五\u200b" in after
