"""Unicode properties the standard library does not name, from its `unicodedata`: what a reader cannot see
(Default_Ignorable_Code_Point), what looks like a space (blanks), and each letter's script, for UTS #39's
restriction level.

Default_Ignorable_Code_Point is derived as Unicode derives it (UAX #44, DerivedCoreProperties.txt):
Other_Default_Ignorable_Code_Point + Cf + Variation_Selector - White_Space - U+FFF9..U+FFFB - U+13430..U+1343F
- Prepended_Concatenation_Mark, with the two short lists of PropList.txt written out below. A script is read
from the character's name (`GREEK CAPITAL LETTER ALPHA` is Greek): Unicode names a script's letters and marks
after their script, and characters named otherwise (digits, `COMBINING ...`, `MODIFIER LETTER ...`) count as
Common, as UTS #39 counts Common and Inherited: they mix with any script.
"""

from __future__ import annotations

import unicodedata

from idna.core import valid_contextj

__all__ = ["BLANKS", "is_blank", "is_default_ignorable", "joiner_allowed", "mixed_scripts", "script_of"]

_OTHER_DEFAULT_IGNORABLE = ((0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x2065, 0x2065),
                            (0x3164, 0x3164), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0xE0000, 0xE0000),
                            (0xE0002, 0xE001F), (0xE0080, 0xE00FF), (0xE01F0, 0xE0FFF))  # fmt: skip
"""PropList.txt's Other_Default_Ignorable_Code_Point (CGJ, Hangul fillers, Khmer inherent vowels, reserved)."""
_VARIATION_SELECTORS = ((0x180B, 0x180D), (0x180F, 0x180F), (0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
_NOT_DEFAULT_IGNORABLE = ((0xFFF9, 0xFFFB), (0x13430, 0x1343F), (0x0600, 0x0605), (0x06DD, 0x06DD),
                          (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x110BD, 0x110BD),
                          (0x110CD, 0x110CD))  # fmt: skip
"""Format characters that are visible: interlinear annotation, Egyptian format controls, prepended marks."""
BLANKS = frozenset("\u115f\u1160\u2800\u3164\uffa0")
"""Characters shown as an empty space that are not Zs: the Hangul fillers and the braille blank."""


def _within(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= code <= high for low, high in ranges)


def is_default_ignorable(char: str) -> bool:
    """Unicode's Default_Ignorable_Code_Point: shown as nothing at all (ZWJ, CGJ, variation selectors, tags)."""
    code = ord(char)
    if _within(code, _OTHER_DEFAULT_IGNORABLE) or _within(code, _VARIATION_SELECTORS):
        return True
    return unicodedata.category(char) == "Cf" and not _within(code, _NOT_DEFAULT_IGNORABLE)


def is_blank(char: str) -> bool:
    """Shown as a space: a space separator (Zs: NBSP, ideographic and other spaces) or one of BLANKS."""
    return unicodedata.category(char) == "Zs" or char in BLANKS


def joiner_allowed(text: str, index: int) -> bool:
    """Whether the ZWNJ or ZWJ at `index` is where IDNA's ContextJ rules (RFC 5892, A.1 and A.2) allow one:
    after a virama, or (ZWNJ) between letters that join, as Indic and Arabic-script writing needs."""
    try:
        return bool(valid_contextj(text, index))
    except ValueError:
        return False


_COMMON_WORDS = frozenset({"COMBINING", "MODIFIER", "DIGIT", "KATAKANA-HIRAGANA", "FULLWIDTH", "HALFWIDTH",
                           "MATHEMATICAL", "CIRCLED", "PARENTHESIZED", "SQUARED", "NEGATIVE", "SUPERSCRIPT",
                           "SUBSCRIPT", "VULGAR", "ROMAN", "SMALL"})  # fmt: skip
"""First words of names that say how a character looks, not its script (NFKC folds most of them)."""
_TWO_WORDS = frozenset({"OLD", "TAI", "NEW", "LINEAR", "CANADIAN", "INSCRIPTIONAL", "CAUCASIAN", "MEETEI"})


def script_of(char: str) -> str | None:
    """The script of a letter, mark or digit, from its name (`LATIN`, `GREEK`, `HAN`); None for Common and
    Inherited characters (spaces, punctuation, symbols, digits, combining marks)."""
    if unicodedata.category(char)[0] not in "LMN":
        return None
    words = unicodedata.name(char, "").split()
    if not words or words[0] in _COMMON_WORDS:
        return None
    if words[0] in ("CJK", "IDEOGRAPHIC"):
        return "HAN"
    return " ".join(words[:2]) if words[0] in _TWO_WORDS and len(words) > 1 else words[0]


_HIGHLY_RESTRICTIVE = (frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}), frozenset({"LATIN", "HAN", "BOPOMOFO"}),
                       frozenset({"LATIN", "HAN", "HANGUL"}))  # fmt: skip
"""UTS #39 section 5.2, Highly Restrictive: one script, or Latin with the scripts Japanese, Chinese or Korean
writing combines."""


def mixed_scripts(text: str) -> list[str]:
    """The scripts of `text` (NFKC) if they mix beyond UTS #39's Highly Restrictive level (`Acme` with a Greek
    capital Alpha, U+0391: GREEK and LATIN), else []."""
    scripts = {s for s in map(script_of, unicodedata.normalize("NFKC", text)) if s}
    if len(scripts) <= 1 or any(scripts <= allowed for allowed in _HIGHLY_RESTRICTIVE):
        return []
    return sorted(scripts)
