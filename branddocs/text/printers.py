"""Untrusted text printed into the place it lands: one printer per output context, each total (any string).

Each printer escapes what is active in its own context and nothing else: `Brightline & Co.` stays as it is
in Markdown, where `& ` starts nothing, and becomes `Brightline &amp; Co.` only in HTML. A value that
passed a code grammar (branddocs/text/grammar.py) is left unchanged by every printer here, which is what
makes it safe to print as written in a code block.
"""

from __future__ import annotations

import codecs
import json
import re
import shlex
from urllib.parse import quote

__all__ = [
    "CODE_PRINTERS",
    "MarkdownSafe",
    "html",
    "js_str",
    "json_str",
    "markdown_line",
    "markdown_link_destination",
    "markdown_text",
    "python_str",
    "shell_word",
    "terminal_line",
    "terminal_text",
    "url_path",
]


class MarkdownSafe(str):
    """Text already printed for the place it lands in a Markdown page: a printer's output (`| shell_word`), or
    Markdown the project's own code means (a macro's table, the SDK versions). A page's `{{ expression }}`
    prints it as it is; any other value, `markupsafe.Markup` included (Jinja's `| e`, `| tojson`, `| safe`),
    is printed as Markdown text. A plain `str` subclass: whatever a template does to it (`| upper`, `~`, a
    slice) gives a plain `str`, printed as text again."""

    __slots__ = ()


def _code_point_escape(char: str, style: str) -> str:
    """`char` as an escape sequence of a string literal: `\\xNN`, `\\uNNNN` or `\\UNNNNNNNN` (Python), or
    UTF-16 `\\uNNNN` units (JSON and JavaScript)."""
    code = ord(char)
    if style == "python":
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def shell_word(value: str) -> str:
    """One word of a POSIX shell (bash, sh, zsh), quoted only if it needs to be: no expansion, no second word."""
    return shlex.quote(value)


def python_str(value: str) -> str:
    """The inside of a Python string literal, right between `"..."` or `'...'` (f-strings too)."""
    out = []
    for char in value:
        if char in "\\'\"":
            out.append("\\" + char)
        elif char in "{}" or not char.isprintable():  # braces: an f-string's fields
            out.append(_code_point_escape(char, "python"))
        else:
            out.append(char)
    return "".join(out)


_JSON_EXTRA = {"'": "\\u0027", "<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
"""Escaped as well in a JSON string: `'` closes the shell's single quotes around a `-d '{...}'` body, `<` and `&`
would start markup where a JSON document sits inside HTML."""


def json_str(value: str) -> str:
    """The inside of a JSON string literal, right between `"..."`; also inert inside shell single quotes."""
    body = json.dumps(value, ensure_ascii=False)[1:-1]
    return "".join(
        _JSON_EXTRA.get(c) or (_code_point_escape(c, "json") if not c.isprintable() and c != "\\" else c) for c in body
    )


def js_str(value: str) -> str:
    """The inside of a JavaScript string literal: right between `"..."`, `'...'` or `` `...` ``."""
    return json_str(value).replace("`", "\\u0060").replace("$", "\\u0024")


_URL_SAFE = "/:@+-._~"


def url_path(value: str) -> str:
    """`value` as a URL's path: percent-encoded but for unreserved characters, `/`, `:`, `@`, `+` and `%XX`
    sequences already encoded."""
    parts = re.split(r"(%[0-9A-Fa-f]{2})", value)
    return "".join(p if i % 2 else quote(p, safe=_URL_SAFE) for i, p in enumerate(parts))


def markdown_link_destination(value: str) -> str:
    """A Markdown link's destination, `[text](HERE)`: nothing in it ends the link or starts another one."""
    parts = re.split(r"(%[0-9A-Fa-f]{2})", value)
    return "".join(p if i % 2 else quote(p, safe=_URL_SAFE + "?#") for i, p in enumerate(parts))


_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def html(value: str) -> str:
    """HTML text or a quoted attribute's value (either quote)."""
    return value.translate(_HTML)


# Markdown (Python-Markdown with the extensions Material sites use, and CommonMark for readers' tools): these
# characters start syntax wherever they are (emphasis, code, links, HTML, attribute lists, tables, strike,
# Jinja); as character references they read as themselves in the rendered page and in every Markdown reader.
_MARKDOWN_ANYWHERE = {c: f"&#{ord(c)};" for c in "\\`*[]{}<>|~^\"'"} | {"<": "&lt;", ">": "&gt;"}
"""Quotes too: a page may print a value inside a raw HTML tag's quoted attribute (`<a title="{{ name }}">`), an
attribute list (`{: title="{{ name }}" }`) or a `<script>` string, where a quote would end it; as references
they read as quotes in prose, in the attribute (HTML decodes them) and stay inside the string in a script."""
_LINE_START = "#-+=!:?"
"""At the start of a line these begin a heading, a list, a setext underline, an admonition, a details block
(`???`), a definition or tabbed block (`===`): escaped when a value starts with one, as it may land there."""
_ENTITY = re.compile(r"&(?=#[0-9]+;|#[xX][0-9A-Fa-f]+;|[A-Za-z][A-Za-z0-9]*;)")
_ORDERED = re.compile(r"^([0-9]+)([.)])")


def _markdown(value: str, special: str | dict, escape) -> str:
    """`value` with each character that could start Markdown syntax put through `escape`: those in `special`, `_`
    unless between letters or digits (no emphasis can start there), `&` only where it would start a reference, the
    first character when it would begin a block at a line's start, and an ordered list's `1.`; control characters
    always as references."""
    out = []
    last = len(value) - 1
    for i, char in enumerate(value):
        if (
            char in special
            or (char == "_" and not (0 < i < last and value[i - 1].isalnum() and value[i + 1].isalnum()))
            or (char == "&" and _ENTITY.match(value, i))
        ):
            out.append(escape(char))
        elif not char.isprintable() and char != " ":
            out.append(f"&#{ord(char)};")
        else:
            out.append(char)
    text = "".join(out)
    if text and text[0] in _LINE_START:
        text = escape(text[0]) + text[1:]
    return _ORDERED.sub(lambda m: m[1] + escape(m[2]), text)


def _reference(char: str) -> str:
    return _MARKDOWN_ANYWHERE.get(char) or ("&amp;" if char == "&" else f"&#{ord(char)};")


def markdown_text(value: str) -> str:
    """Text in a Markdown page, twin or `llms.txt`: reads as `value`, rendered or raw, and makes no structure.

    Escaped as character references (both Python-Markdown and CommonMark honour them): `\\ ` * [ ] { } < > | ~ ^`,
    the quotes `"` and `'`,
    `_` unless between letters or digits (no emphasis can start there), `&` only where it would start a
    reference, control characters, and the first character when it would begin a block at a line's start."""
    return _markdown(value, _MARKDOWN_ANYWHERE, _reference)


_BACKSLASHED = "\\`*[]{}<>|~^"


def markdown_line(value: str) -> str:
    """Text on a Markdown line of the project's own, a heading's or a block quote's (`llms.txt`): reads as `value`
    rendered and raw, and makes no structure.

    What `markdown_text` turns into character references is backslash-escaped instead, which every Markdown reader
    (CommonMark: any ASCII punctuation) renders as the character and a raw reader reads past: `Acme's` stays
    `Acme's`, not `Acme&#39;s`. Only where nothing but Markdown reads the text: in a page a value may land in an
    HTML attribute or a script string, where a backslash ends nothing (`markdown_text` there). Quotes are left as
    they are; control characters (refused at load) stay references."""
    text = _markdown(value, _BACKSLASHED, lambda char: "\\" + char)
    if text[:1] == " ":  # four blanks after `> ` would start a code block
        text = "&#32;" + text[1:]
    return text


def terminal_text(value: str) -> str:
    """`value` on one terminal line: each character that is not printable (ESC, CR, LF, U+202E, ...) as an
    escape such as `\\x1b`, so nothing moves the cursor, recolours, reorders or hides text."""
    return "".join(c if c.isprintable() else _code_point_escape(c, "python") for c in value)


_WORKFLOW_COMMAND = re.compile(r"^\s*(?:::|##)")
"""GitHub Actions reads a log line starting `::` (after blanks) as a workflow command (`::error`, `::add-mask::`)."""
_HASH_RUN = re.compile(r"(#(?:\x1b\[[0-9;]*m)*)(?=#)")
"""Two `#` in a row (colours between them or not): GitHub's runner reads `##[` anywhere in a line as a command
(its older parser), Azure Pipelines `##vso[`. Shown as `#\\#`: no two `#` in a row reach a log."""


def _no_command(text: str, start: bool) -> str:
    """`text`, shown: a `\\` before a line's start a CI runner would read as a command, and between two `#`."""
    text = _HASH_RUN.sub(r"\1\\", text)
    return "\\" + text if start and _WORKFLOW_COMMAND.match(_SGR.sub("", text)) else text


def terminal_line(line: str) -> str:
    """One line of a command's output: `terminal_text`, and a leading `\\` if a CI runner would read the line
    as a command (`\\::error`), one between two `#` (`#\\#[error]`). Printed values never hold a newline here, so
    the only line starts are ours."""
    return _no_command(terminal_text(line), True)


_SGR = re.compile(r"\x1b\[[0-9;]*m")
_UNFINISHED_SGR = re.compile(r"\x1b(?:\[[0-9;]{0,32})?$")
"""The end of a piece that may be the start of a colour: held for the next piece, at most 34 characters (a longer
run is no colour, and is shown as text, not held without bound)."""
_ENDS_IN_HASH = re.compile(r"#(?:\x1b\[[0-9;]*m)*$")
_STARTS_WITH_HASH = re.compile(r"^((?:\x1b\[[0-9;]*m)*)(?=#)")


class TerminalCopy:
    """Another program's output, copied onto a terminal or CI log as it comes: its colours (SGR sequences, `ESC [
    ... m`) and tabs kept, every other control character as an escape (`\\x1b`: no clipboard write, title, cursor
    move or clear), and a line a CI runner would read as a command (`::error`) after a backslash (`terminal_line`).
    An allow-list of what passes, not a list of sequences. Text arrives in pieces: a line's start is held until it
    is decided, and an escape sequence until it is whole."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._held = ""
        self._at_start = True
        self._hash = False  # what was printed of this line ends in `#`: a `#` next gets a `\\` before it

    def feed(self, data: bytes, final: bool = False) -> str:
        """What to print of `data`, the next piece of the output (`final`: the last; whatever is held is given)."""
        *lines, last = (self._held + self._decoder.decode(data, final)).split("\n")
        self._held = ""
        out = [self._next(self._shown(line, self._at_start or index > 0)) + "\n" for index, line in enumerate(lines)]
        if lines:
            self._hash = False
        start = self._at_start or bool(lines)
        undecided = start and _SGR.sub("", last).lstrip() in ("", ":", "#")  # `::`, `##` or not: not known yet
        if not final and undecided and len(last) < 4096:
            self._held, self._at_start = last, True
        else:
            cut = len(last) if final else (_UNFINISHED_SGR.search(last) or re.search("$", last)).start()
            self._held = last[cut:]
            # Too long to hold undecided (blanks without end, then `::`): decided as a command, a `\\` first.
            shown = self._shown(last[:cut], start)
            out.append(self._next("\\" + shown if undecided and not final and not shown.startswith("\\") else shown))
            self._at_start = start and not last[:cut]
        return "".join(out)

    def _next(self, shown: str) -> str:
        """`shown`, printed after what was: no `#` right after a `#` of the piece before."""
        if self._hash:
            shown = _STARTS_WITH_HASH.sub(r"\1\\", shown, count=1)
        if shown:  # colours alone leave it as it was
            self._hash = bool(_ENDS_IN_HASH.search(shown)) or (self._hash and not _SGR.sub("", shown))
        return shown

    @staticmethod
    def _shown(text: str, start: bool) -> str:
        parts = re.split(f"({_SGR.pattern})", text)
        shown = "".join(p if i % 2 else "".join(c if c.isprintable() or c == "\t" else
                                                _code_point_escape(c, "python") for c in p)
                        for i, p in enumerate(parts))  # fmt: skip
        return _no_command(shown, start)


CODE_PRINTERS = {
    "shell word": shell_word,
    "Python string": python_str,
    "JavaScript string": js_str,
    "JSON string": json_str,
    "URL": url_path,
    "HTML": html,
    "Markdown text": markdown_text,
    "Markdown link destination": markdown_link_destination,
    "terminal": terminal_line,
}
"""Every context a value that passed a code grammar may land in, printed as is: each leaves it unchanged."""
