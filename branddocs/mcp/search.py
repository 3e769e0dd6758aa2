"""Search one built site's own search index, split as the site's search splits it.

- The index is the one the site's readers search: Material's `search/search_index.json` or Zensical's
  `search.json`, with its own `separator` (the brand's language's, from the build).
- Words are lower-cased and trimmed as lunr does; every query word matches the index's words that start
  with it (Material appends `*` to every term).
- Chinese: Material's build splits Chinese text into words with jieba (zero-width spaces between them), and its
  browser search splits a query's Chinese against the words of the index (`segment`, ported from Material's
  `search/query/segment`). Zensical's index keeps Chinese text whole and its browser splits both sides with
  `Intl.Segmenter`, which Python lacks: on such an index a Chinese query word matches the index's words that
  contain it.
- Ranking: BM25 over titles (boosted) and text, then Material's own boost for pages over sections and for
  queries whose every word matched.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from branddocs.mcp.files import read_published

__all__ = ["INDEX_FILES", "MAX_INDEX_BYTES", "MAX_QUERY_CHARS", "SEPARATORS", "Hit", "SearchIndex", "segment"]

INDEX_FILES = ("search/search_index.json", "search.json")
"""Material's index, then Zensical's, relative to the site folder."""
MAX_INDEX_BYTES = 32 * 1024 * 1024
MAX_QUERY_CHARS = 500
"""A longer query is refused (segmenting Chinese is quadratic in its length)."""
_MAX_TERMS = 32
_TITLE_BOOST = 10.0
_K1 = 1.2
_SNIPPET = 160
_ZWSP = "\u200b"
_TAG = re.compile(r"<[^<>]+>")  # never across a "<": linear (r"<[^>]+>" was quadratic in a run of "<", R8-3)
_SPACE = re.compile(r"\s+")
# Han characters (Material's `\p{sc=Han}`): the unified ideographs, extension A, compatibility, extensions B+.
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_NON_WORD = re.compile(r"\W*")  # lunr's trimmer, Unicode-aware: Chinese characters are word characters


def _trim(word: str) -> str:
    """`word` less its leading and trailing non-word characters, in time linear in its length (`^\\W+|\\W+$` tried
    `\\W+$` from every position of a run: 40,000 marks between two letters took 46 s, red team 9, R9-2)."""
    start = _NON_WORD.match(word).end()
    end = len(word) - _NON_WORD.match(word[::-1]).end()
    return word[start:end] if start < end else ""


_DEFAULT_SEPARATOR = r"[\s\-]+"  # Material's default
SEPARATORS = frozenset({
    _DEFAULT_SEPARATOR,  # Material's, for most languages (material/templates/partials/languages/*.html)
    "[\\s\\-\u3000、。，．]+",  # Material's Japanese
    "[\\s\\u200b\\u3000\\-、。，．？！；]+",  # Material's Chinese (zh, zh-Hant, zh-TW)
    '[\\s\\-_,:!=\\[\\]()\\\\"`/]+|\\.(?!\\d)',  # Zensical's (zensical/config.py)
})  # fmt: skip
"""The separators the builds write into an index, the only ones SearchIndex runs (tests/security/test_mcp_separator.py
holds the list to Material's and Zensical's own)."""


@dataclass(frozen=True)
class Hit:
    """One section of the site that matches a query."""

    title: str
    """The section's heading (the page's title for the page itself)."""
    location: str
    """Its place in the site, relative to the site's root: `serverless-endpoints/#step-1`."""
    snippet: str
    """Plain text around the first matching word."""
    score: float


@dataclass(frozen=True)
class _Section:
    location: str
    title: str
    text: str


def segment(query: str, words: set[str]) -> list[str]:
    """Split a run of Chinese characters against the index's words, as Material's browser search does.

    A port of Material's `segment()` (search/query/segment/index.ts), quirks included: the longest words of
    the index found from each position, with minimum overlap; the query itself when that finds nothing. Each
    position is followed once (Material's follows it again on every path to it): the same words, in the same
    order, in time quadratic in the query's length at most."""
    n = len(query)
    cuts = [0] * (n + 1)
    for i in range(n):
        for j in range(i + 1, n):  # sic: as Material's, the last character never ends a word
            if query[i:j] in words:
                cuts[i] = j - i
    segments: dict[str, None] = {}
    stack, done = [0], set()
    while stack:
        p = stack.pop()
        if p in done:  # what a position gives is the same each time: once (red team 9, R9-9: two-character words
            continue  # that chain, 傳回 and 回傳, made Material's loop exponential in the query's length)
        done.add(p)
        for q in range(1, cuts[p]):
            if cuts[p + q] > cuts[p] - q:
                segments[query[p : p + q]] = None
                stack.append(p + q)
        q = p + cuts[p]
        if cuts[q] and q < n - 1:
            stack.append(q)
        segments[query[p:q]] = None
    return [query] if "" in segments else list(segments)


def _plain(markup: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", markup)).replace(_ZWSP, "")).strip()


class SearchIndex:
    """A site's search index, ready to be queried; built from the index file's own data."""

    def __init__(self, data: object, *, whole_chinese: bool = False) -> None:
        config = data.get("config") if isinstance(data, dict) else None
        docs = (data.get("docs") or data.get("items")) if isinstance(data, dict) else None
        if not isinstance(config, dict) or not isinstance(docs, list):
            raise ValueError("expected a search index with 'config' and 'docs' (Material) or 'items' (Zensical)")
        # The index's separator is data from a site folder (a checkout's, for a brand not rebuilt): run only when it
        # is one the builds write, never a pattern of the folder's choosing (red team 8, R8-3: `(a|aa)+$` froze
        # the server for every tenant). Any other: Material's default.
        given = config.get("separator")
        self._separator = re.compile(given if given in SEPARATORS else _DEFAULT_SEPARATOR)
        self._whole_chinese = whole_chinese
        self._sections: list[_Section] = []
        postings: dict[str, list[tuple[int, int, int]]] = {}
        for doc in docs:
            if not isinstance(doc, dict) or not isinstance(doc.get("location"), str):
                continue
            title, text = str(doc.get("title") or ""), str(doc.get("text") or "")
            number = len(self._sections)
            self._sections.append(_Section(doc["location"], _plain(title), _plain(text)))
            in_title, in_text = Counter(self._words(title)), Counter(self._words(text))
            for word in in_title.keys() | in_text.keys():
                postings.setdefault(word, []).append((number, in_title[word], in_text[word]))
        self._postings = postings
        self._vocabulary = sorted(postings)
        self._words_set = set(postings)

    @classmethod
    def load(cls, site: Path) -> SearchIndex:
        """The index of the site in `site` (its Material or Zensical index file)."""
        for name in INDEX_FILES:
            if os.path.lexists(site / name):
                data = json.loads(read_published(site, name, MAX_INDEX_BYTES))
                return cls(data, whole_chinese=name == "search.json")
        raise ValueError(f"{site}: no search index ({' or '.join(INDEX_FILES)}); build the site first")

    def _words(self, markup: str) -> list[str]:
        words = []
        for piece in self._separator.split(html.unescape(_TAG.sub(" ", markup)).replace(_ZWSP, " ")):
            for part in piece.split():
                word = _trim(part.lower())
                if word:
                    words.append(word)
        return words

    def terms(self, query: str) -> list[str]:
        """The query's words as the site's search makes them: Chinese split against the index's words."""
        if len(query) > MAX_QUERY_CHARS:
            raise ValueError(f"expected a query of at most {MAX_QUERY_CHARS} characters, found {len(query)}")
        query = _HAN.sub(lambda m: " " + " ".join(segment(m.group(), self._words_set)) + " ", query)
        return list(dict.fromkeys(self._words(query)))[:_MAX_TERMS]

    def _matches(self, term: str) -> list[str]:
        if self._whole_chinese and _HAN.search(term):
            return [word for word in self._vocabulary if term in word]
        start = bisect_left(self._vocabulary, term)
        end = start
        while end < len(self._vocabulary) and self._vocabulary[end].startswith(term):
            end += 1
        return self._vocabulary[start:end]

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """The `limit` sections that match `query` best."""
        terms = self.terms(query)
        total = len(self._sections)
        scores: dict[int, float] = {}
        matched: dict[int, set[str]] = {}
        for term in terms:
            per_section: dict[int, tuple[int, int]] = {}
            for word in self._matches(term):
                for number, in_title, in_text in self._postings[word]:
                    title, text = per_section.get(number, (0, 0))
                    per_section[number] = (title + in_title, text + in_text)
            if not per_section:
                continue
            idf = math.log(1 + (total - len(per_section) + 0.5) / (len(per_section) + 0.5))
            for number, (in_title, in_text) in per_section.items():
                weight = _TITLE_BOOST * _saturate(in_title) + _saturate(in_text)
                scores[number] = scores.get(number, 0.0) + idf * weight
                matched.setdefault(number, set()).add(term)
        hits = []
        for number, score in scores.items():
            section = self._sections[number]
            # Material's post-query boost: a page over its sections, and the share of query words found.
            boost = ("#" not in section.location) + len(matched[number]) / len(terms)
            hits.append((score * (1 + boost**2), number))
        hits.sort(key=lambda hit: (-hit[0], hit[1]))
        return [self._hit(self._sections[number], score, matched[number]) for score, number in hits[:limit]]

    def _hit(self, section: _Section, score: float, terms: set[str]) -> Hit:
        lowered = section.text.lower()
        found = [i for i in (lowered.find(term) for term in terms) if i >= 0]
        start = max(0, min(found, default=0) - _SNIPPET // 3)
        snippet = section.text[start : start + _SNIPPET]
        snippet = ("…" if start else "") + snippet + ("…" if start + _SNIPPET < len(section.text) else "")
        return Hit(section.title, section.location, snippet, round(score, 3))


def _saturate(count: int) -> float:
    """BM25's term-frequency saturation (lunr's k1; b = 0, as Material sets it)."""
    return count * (_K1 + 1) / (count + _K1) if count else 0.0
