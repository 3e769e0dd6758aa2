"""Confusable skeletons (UTS #39): two strings that look alike to a reader have the same skeleton.

`skeleton("\u0391cme Cloud")` (a Greek capital Alpha) equals `skeleton("Acme Cloud")`. The mapping is Unicode's
`confusables.txt`, vendored in data/ with its provenance and licence (data/README.md), read on first use.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib import resources

__all__ = ["CONFUSABLES_VERSION", "skeleton"]

CONFUSABLES_VERSION = "13.0.0"
"""The version of Unicode's confusables.txt in data/ (its header says so too)."""


@cache
def _prototypes() -> dict[str, str]:
    """{character: its prototype}, from confusables.txt's `source ; target ; MA` lines."""
    table = {}
    text = resources.files("branddocs.text").joinpath("data", "confusables.txt").read_text(encoding="utf-8-sig")
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) >= 2 and fields[0].strip():
            source = "".join(chr(int(h, 16)) for h in fields[0].split())
            table[source] = "".join(chr(int(h, 16)) for h in fields[1].split())
    return table


def skeleton(text: str) -> str:
    """UTS #39's skeleton of `text`: NFD, each character replaced by its prototype, NFD again."""
    table = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(table.get(char, char) for char in decomposed))
