"""Confusable skeletons (UTS #39): two strings that look alike to a reader have the same skeleton.

`skeleton("\u0391cme Cloud")` (a Greek capital Alpha) equals `skeleton("Acme Cloud")`. The mapping is Unicode's
`confusables.txt`, vendored in data/ with its provenance and licence (data/README.md), read on first use.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

from anyascii import anyascii

from branddocs.text.scripts import is_blank, is_default_ignorable, script_of

__all__ = ["CONFUSABLES_VERSION", "lookalike_keys", "lookalike_words", "name_keys", "skeleton"]

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


_TATWEEL = "\u0640"
"""Arabic's kashida only stretches the line between letters: `عـلي` reads as `علي`."""


def _folded(text: str) -> str:
    """`text` as a reader sees it: blanks (NBSP, ideographic space, Hangul fillers, braille blank) as one space
    per run, what is shown as nothing (Default_Ignorable_Code_Point: ZWJ, CGJ, variation selectors) and the
    tatweel removed,
    then NFKC (full-width and mathematical letters are letters)."""
    out: list[str] = []
    for char in unicodedata.normalize("NFKC", text):
        if char == " " or is_blank(char):
            if out and out[-1] != " ":
                out.append(" ")
        elif not is_default_ignorable(char) and char != _TATWEEL:
            out.append(char)
    return unicodedata.normalize("NFKC", "".join(out).strip(" "))


def _latin_read(text: str) -> str:
    """Latin letters outside ASCII as a reader reads them (anyascii: small capitals `ᴀᴄᴍᴇ` are `ACME`, `é` is `e`),
    as the key variable is derived from a name (brand/key_env.py), and the marks on them set aside (`c` with a dot
    below, U+0323, has no precomposed form: NFD, then each nonspacing mark after a Latin letter dropped); other
    scripts as they are."""
    out: list[str] = []
    latin = False
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.category(char) == "Mn":
            if not latin:
                out.append(char)
            continue
        latin = script_of(char) == "LATIN"
        out.append(anyascii(char) if latin and not char.isascii() else char)
    return "".join(out)


def _forms(text: str) -> tuple[str, ...]:
    """The forms of `text` compared, in the same order for every text: skeletons of the folded value as written
    (`CIoud` is `Cloud`), after NFKC_Casefold (`ACME` is `Acme`), case-folded after the mapping (a digit 0 maps to
    a capital O: `d0cs` is `docs`), and of its Latin letters read as ASCII, case-folded (`ᴀᴄᴍᴇ` is `acme`)."""
    shown = _folded(text)
    cased = unicodedata.normalize("NFKC", shown.casefold())
    latin = unicodedata.normalize("NFKC", _latin_read(shown).casefold())
    return skeleton(shown), skeleton(cased), skeleton(skeleton(shown).casefold()), skeleton(latin)


def lookalike_keys(text: str) -> frozenset[str]:
    """What two values a reader cannot tell apart share: `_forms`."""
    return frozenset(_forms(text))


_UNSPACED = frozenset({"HAN", "HIRAGANA", "KATAKANA", "BOPOMOFO"})
"""Scripts written without spaces between words: each character is a word of its own."""


def _words(text: str) -> tuple[str, ...]:
    """`text`'s words: runs of letters, marks and digits; each character of a script written without spaces alone."""
    words: list[str] = []
    run = ""
    for char in text:
        if unicodedata.category(char)[0] not in "LMN":
            words, run = [*words, run] if run else words, ""
        elif script_of(char) in _UNSPACED:
            words, run = [*words, run, char] if run else [*words, char], ""
        else:
            run += char
    return tuple([*words, run] if run else words)


def lookalike_words(text: str) -> tuple[tuple[str, ...], ...]:
    """The words of each of `lookalike_keys`' forms of `text`, in the same order for every text: a name is in a
    text when, in some form, its words are a run of the text's (`Acme Cloud` in `© ACME CIoud Ltd.`)."""
    return tuple(_words(form) for form in _forms(text))


_MARKS = ("<super>", "<sub>", "<circle>", "<square>", "<small>")
"""Compatibility forms a name carries as a mark (`Cloudᵀᴹ`, `Cloud²`, `Ⓡ`), not as letters of its words."""
_POSSESSIVE = re.compile(r"['\u2019\u02bc]s\b", re.IGNORECASE)


def _unmarked(text: str) -> str:
    """`text` less what a reader takes for a mark beside a name, not a word of it: symbols (`®`, `™`, `℠`, `°`,
    `✓`), modifier letters (`ˢ`, `ᴵᴺᶜ`), superscript, subscript, circled and squared forms (`²`), and a possessive
    `'s`."""
    kept = []
    for char in _POSSESSIVE.sub("", text):
        category = unicodedata.category(char)
        if category[0] == "S" or category == "Lm" or unicodedata.decomposition(char).startswith(_MARKS):
            kept.append(" ")
        else:
            kept.append(char)
    return "".join(kept)


def name_keys(text: str) -> frozenset[str]:
    """What two names a reader takes for one share: their words run together in each of `lookalike_words`' forms,
    once marks, symbols, punctuation and the blanks between words are set aside (`Acme Cloud®`, `Acme Cloud ™`,
    `Acme Cloud's`, `Acme Cloudᵀᴹ`, `ACME-CLOUD` and `AcmeCloud` are `Acme Cloud`; `Acme Cloud Plus` is not).
    Marks are set aside in the value as written and once more after NFKC: a compatibility symbol that is letters
    to a reader (`㎝` is `cm`, `℅` is `c/o`) is letters of its word (`A㎝e Cloud®` is `Acme Cloud`)."""
    forms = (*lookalike_words(_unmarked(text)), *lookalike_words(_unmarked(_folded(text))))
    return frozenset("".join(words) for words in forms if words)
