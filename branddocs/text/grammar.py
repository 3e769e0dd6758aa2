"""Allow-list grammars for untrusted values, checked where they enter (a brand file's loader).

Two kinds of value:

- a **code value** (a URL, host name, model id, variable name, file name, id) lands in code, URLs and
  attributes. Its grammar allows only characters that no output context gives a meaning to, and a value is
  accepted only if every printer of branddocs/text/printers.py leaves it unchanged (`printed_as_is`, the
  grammar's last check). Printed as written, it is one inert word in a shell, one string in Python or JSON.
  It stays a plain `str`: nothing downstream needs to know it was checked, since printing it as Markdown
  text (what a page's `{{ value }}` does) leaves it as it is.
- **free text** (a name, a copyright line) lands in prose. Its grammar refuses what no prose needs (control
  characters, newlines, bidirectional controls, unassigned and private code points) and it is NFC-normalised;
  the printers escape the rest for each output.

Each check reads the raw string character by character: `urllib.parse.urlsplit` drops tabs and newlines
before it looks, so it is never the check. Errors say what was expected and what was found, with the
offending character and its position; the caller adds the file, line and field.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

import idna

from branddocs.text.printers import CODE_PRINTERS
from branddocs.text.scripts import is_default_ignorable, joiner_allowed, mixed_scripts, script_of
from branddocs.text.skeleton import skeleton

__all__ = [
    "BIDI_CONTROLS",
    "REQUEST_PATTERN",
    "GrammarError",
    "decoded_host",
    "env_name",
    "file_name",
    "free_text",
    "host_name",
    "model_id",
    "name",
    "printed_as_is",
    "slug",
    "token",
    "url",
]

REQUEST_PATTERN = r"^(GET|POST|PUT|PATCH|DELETE) (/([A-Za-z0-9._~-]+|\*))+$"
"""A request a brand's examples make (`api.example_requests`): a method, a space, a path under the base URL of one or
more segments (letters, digits, `._~-`, or `*` for any one segment). The recording proxy forwards these and no
other. Here, not in the brand model: the proxy process reads it without building the model (a third of a second)."""
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Characters that reorder what a reader sees (Trojan Source, CVE-2021-42574)."""
_JOINERS = frozenset("\u200c\u200d")
"""Format characters some scripts need (ZWNJ, ZWJ): allowed in free text where IDNA's ContextJ rules allow them."""
_REFUSED = {"Cc": "a control character", "Cf": "an invisible format character", "Cs": "a surrogate",
            "Co": "a private-use character", "Cn": "an unassigned code point", "Zl": "a line separator",
            "Zp": "a paragraph separator"}  # fmt: skip


class GrammarError(ValueError):
    """A value outside its grammar; the message says what was expected and what was found."""


def printed_as_is(value: str) -> str:
    """`value` (a plain str) if every printer leaves it unchanged, so it prints as written anywhere; else an
    error naming the first context that would change it."""
    for context, printer in CODE_PRINTERS.items():
        if printer(value) != value:
            raise GrammarError(f"expected a value printed as is in a {context}; found {value!r}")
    return str(value)


def _first_outside(value: str, allowed: re.Pattern[str], offset: int = 0) -> str:
    """`'x' at position N` for the first character of `value` that `allowed` (one character) does not match;
    `offset`: where `value` starts in the whole value, for the position."""
    for index, char in enumerate(value):
        if not allowed.fullmatch(char):
            name = unicodedata.name(char, f"U+{ord(char):04X}")
            return f"{char!r} ({name}) at position {offset + index + 1}"
    return ""


def _underscores(value: str, what: str) -> None:
    # `_` next to anything but a letter or digit could start emphasis in Markdown prose.
    match = re.search(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", value)
    if match:
        raise GrammarError(f"expected {what} with `_` only between letters or digits; found {value!r}")


def token(value: str, pattern: str, what: str, alphabet: str, max_length: int = 200) -> str:
    """`value` if it matches `pattern` (whole) and is made of `alphabet` (a character class)."""
    if not isinstance(value, str):
        raise GrammarError(f"expected {what}, found {type(value).__name__} {value!r}")
    if len(value) > max_length:
        raise GrammarError(f"expected {what} of at most {max_length} characters, found {len(value)}")
    outside = _first_outside(value, re.compile(alphabet))
    if outside:
        raise GrammarError(f"expected {what} (characters {alphabet}); found {outside} in {value!r}")
    if not re.fullmatch(pattern, value):
        raise GrammarError(f"expected {what} (pattern {pattern}); found {value!r}")
    _underscores(value, what)
    return printed_as_is(value)


def slug(value: str, what: str = "an id") -> str:
    """A brand id or folder name: lower-case letters and digits in runs joined by single `-`."""
    return token(value, r"[a-z0-9]+(?:-[a-z0-9]+)*", what, r"[a-z0-9-]", 100)


def env_name(value: str) -> str:
    """An environment variable's name: `ACME_CLOUD_API_KEY` (capitals and digits in runs joined by single `_`)."""
    return token(value, r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*", "an environment variable name such as ACME_API_KEY",
                 r"[A-Z0-9_]", 100)  # fmt: skip


def model_id(value: str) -> str:
    """A model id as an API names it: `meta-llama/Llama-3-8B`, `llama3.1:8b-instruct-q4_K_M`."""
    return token(value, r"[A-Za-z0-9][A-Za-z0-9._:/@+-]*", "a model id starting with a letter or digit",
                 r"[A-Za-z0-9._:/@+-]")  # fmt: skip


def file_name(value: str) -> str:
    """A file name inside a brand's image folder: `logo.svg`, no folder, quote or space."""
    return token(value, r"[A-Za-z0-9][A-Za-z0-9._-]*", "a file name such as logo.svg", r"[A-Za-z0-9._-]", 100)


_LABEL = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*"
_PATH_CHAR = r"[A-Za-z0-9._:@%+/-]"


def _label(label: str) -> str:
    """An `xn--` label as a reader sees it (decoded); the problem if it is not one a reader can trust."""
    try:
        decoded = idna.decode(label)  # IDNA2008: valid code points, ContextJ, canonical encoding
        if decoded.isascii():
            raise idna.IDNAError("an ASCII label written as xn--")
    except (idna.IDNAError, UnicodeError) as exc:
        raise GrammarError(f"expected an xn-- label that decodes (IDNA); found {label!r}: {exc}") from None
    scripts = mixed_scripts(decoded)
    if scripts:
        raise GrammarError(f"expected a host name label in one script (UTS #39); found {label!r}, that is "
                           f"{decoded!r}, mixing {' and '.join(scripts)}")  # fmt: skip
    folded = skeleton(unicodedata.normalize("NFKC", decoded).casefold())
    if folded.isascii():
        raise GrammarError(
            f"expected a host name label that does not pass for an ASCII one; found {label!r}, "
            f"that is {decoded!r}, which looks like {folded!r} (UTS #39 whole-script confusable)"
        )
    for index, char in enumerate(decoded):
        if is_default_ignorable(char):
            raise GrammarError(f"expected a host name label without invisible characters; found {label!r}, "
                               f"that is {decoded!r}, with U+{ord(char):04X} at position {index + 1}")  # fmt: skip
    return decoded


def decoded_host(value: str) -> str:
    """A host name with each `xn--` label decoded, lower case: what a reader sees in a browser's address bar."""
    labels = value.lower().split(".")
    return ".".join(_label(label) if label.startswith("xn--") else label for label in labels)


def host_name(value: str) -> str:
    """A DNS host name in ASCII (an IDN in its `xn--` form, decoded to one script that does not pass for ASCII),
    at most 253 characters."""
    if any(ord(c) > 127 for c in value):
        raise GrammarError(f"expected an ASCII host name (an IDN in its xn-- form); found {value!r}")
    checked = token(value, _HOST, "a host name of letters, digits, '-' and dots", r"[A-Za-z0-9.-]", 253)
    decoded_host(checked)
    return checked


def url(value: str) -> str:
    """An http(s) URL: scheme, host name, optional port, optional path. No query, fragment, user or space."""
    what = "an http:// or https:// URL: a host name, an optional :port and a path"
    if not isinstance(value, str):
        raise GrammarError(f"expected {what}, found {type(value).__name__} {value!r}")
    scheme = re.match(r"(https?)://", value)
    if not scheme:
        raise GrammarError(f"expected {what}, starting http:// or https://; found {value!r}")
    rest = value[scheme.end() :]
    host = re.match(r"[^:/]*", rest).group()  # type: ignore[union-attr]
    if not host:
        raise GrammarError(f"expected {what}, with a host name after {scheme[0]}; found {value!r}")
    # The host's grammar alone: the whole URL is what must print as written (below), not its host on its own
    # (`127.0.0.1` alone reads as a Markdown list item's start; inside the URL it does not).
    if len(host) > 253 or not re.fullmatch(_HOST, host):
        bad = _first_outside(host, re.compile(r"[A-Za-z0-9.-]"), scheme.end())
        raise GrammarError(
            f"expected {what}, the host an ASCII name of letters, digits, '-' and dots (an IDN in its xn-- form); "
            f"found {bad or repr(host)} in {value!r}"
        ) from None
    try:
        decoded_host(host)
    except GrammarError as exc:
        raise GrammarError(f"{exc} in {value!r}") from None
    port = re.match(r"(?::([0-9]{1,5}))?", rest[len(host) :])
    if port and port[1] is not None and not 0 < int(port[1]) < 65536:
        raise GrammarError(f"expected a port from 1 to 65535; found {port[1]} in {value!r}")
    path = rest[len(host) + (port.end() if port else 0) :]
    if path and not path.startswith("/"):
        raise GrammarError(f"expected {what}; found {path[:1]!r} after the host in {value!r}")
    if "?" in path or "#" in path:
        raise GrammarError(f"expected {what}, without a query (?) or fragment (#); found {value!r}")
    outside = _first_outside(path, re.compile(_PATH_CHAR), len(value) - len(path))
    if outside:
        raise GrammarError(
            f"expected {what} of letters, digits and . _ - : @ % + / (no space, quote, $, ;, & or other shell "
            f"character); found {outside} in {value!r}"
        )
    if re.search(r"%(?![0-9A-Fa-f]{2})", path):
        raise GrammarError(f"expected '%' only as a %XX escape; found {value!r}")
    # A path of segments: `//` would start a scheme-relative URL wherever the path is printed alone (MkDocs'
    # 404 page links `{path}/assets/...`, so `https://x.example//evil.example/` loads evil.example's scripts), and
    # a `.` or `..` segment (also as %2e, as browsers read it) names another path than the one written.
    segments = path[1:].split("/")
    for index, segment in enumerate(segments):
        if (not segment and index < len(segments) - 1) or unquote(segment) in (".", ".."):
            raise GrammarError(f"expected {what}, the path's segments neither empty (no //), '.' nor '..'; found "
                               f"{segment!r} as segment {index + 1} of the path in {value!r}")  # fmt: skip
    _underscores(path, what)
    return printed_as_is(value)


def free_text(value: str, what: str = "text") -> str:
    """Prose such as a name: NFC-normalised; no control character, newline, bidirectional control, character
    shown as nothing (Default_Ignorable_Code_Point; ZWNJ and ZWJ only where IDNA's ContextJ allows them, as
    Indic and Arabic-script writing needs), unassigned or private code point."""
    if not isinstance(value, str):
        raise GrammarError(f"expected {what}, found {type(value).__name__} {value!r}")
    text = unicodedata.normalize("NFC", value)
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if char in BIDI_CONTROLS:
            problem = "a bidirectional control"
        elif char in _JOINERS:
            if joiner_allowed(text, index):
                continue
            problem = "a joiner where no script needs one (IDNA ContextJ)"
        elif category in _REFUSED:
            problem = _REFUSED[category]
        elif is_default_ignorable(char) or char == "\u2800":
            problem = "a character shown as nothing or as a blank (Default_Ignorable_Code_Point)"
        else:
            continue
        name = unicodedata.name(char, f"U+{ord(char):04X}")
        raise GrammarError(
            f"expected {what} on one line without control or invisible characters; found {problem}, "
            f"{char!r} ({name}) at position {index + 1} in {text!r}"
        )
    return text


def name(value: str, what: str = "a name") -> str:
    """A tenant's name: free text in one script, or Latin with Han and kana, Bopomofo or Hangul (UTS #39's
    Highly Restrictive level): `Acme` with a Greek capital Alpha (U+0391) mixes two and is refused."""
    text = free_text(value)
    scripts = mixed_scripts(text)
    if scripts:
        shown = ", ".join(f"{c!r} {script}" for script in scripts for c in [_first_of(text, script)])
        raise GrammarError(f"expected {what} in one script (UTS #39, Highly Restrictive); found {text!r} mixing "
                           f"{' and '.join(scripts)} ({shown})")  # fmt: skip
    return text


def _first_of(text: str, script: str) -> str:
    return next((c for c in unicodedata.normalize("NFKC", text) if script_of(c) == script), "")
