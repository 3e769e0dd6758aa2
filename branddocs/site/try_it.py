""" "Try it": a panel under each runnable request example that sends the example's own request with the reader's key.

At build time, per page (before fence settings are removed, since a skipped example gets no panel): every
runnable `bash` block that is one `curl` to a URL under the brand's base URL with a JSON object as its `-d` /
`--data` gives a panel, placed after the top-level block that holds it (its tab set: the cURL, Python and
Node.js tabs, which send that same request; tests/test_try_it.py proves it with the recording proxy).
The panel carries the request (URL, body, whether it streams) and its labels in the brand's language;
its script, `static/try-it.js` (package data, published as SCRIPT with its stylesheet by the plugin and the
Zensical staging: a file, no inline script), makes it work, and shows it only then.

The panels are presentation: the page's Markdown twin (branddocs/site/llms.py) leaves them out.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from importlib import resources

from branddocs import text
from branddocs.brand import Brand
from branddocs.markup import Fence, parse_fences

__all__ = [
    "LABELS", "SCRIPT", "STYLESHEET", "Request", "add_panels", "assets", "labels_for", "panel_html", "requests_in",
    "strip_panels",
]  # fmt: skip

_STREAMING = ' data-bd-stream="true"'
"""On a streaming request's panel only: a brand without streaming never has the word on its pages."""
SCRIPT = "assets/branddocs/try-it.js"
"""Where the panels' script is published in a site (from branddocs/site/static/: package data)."""
STYLESHEET = "assets/branddocs/try-it.css"

LABELS = {
    "en": {
        "summary": "Try it",
        "note": "Sends this request to {base} with your key, from this page. Your key stays in this page.",
        "key": "API key",
        "keep": "Keep for this visit",
        "send": "Send",
        "sending": "Sending…",
        "no_key": "Enter your API key first.",
        "network": "The request did not reach {base}: a network error, or the platform does not allow requests "
        "from this site (CORS).",
        "reply": "Reply",
    },
    "zh-TW": {
        "summary": "試用",
        "note": "以您的金鑰，從此頁面將這個請求送到 {base}。您的金鑰只留在此頁面中。",
        "key": "API 金鑰",
        "keep": "在這次瀏覽期間保留",
        "send": "送出",
        "sending": "傳送中…",
        "no_key": "請先輸入您的 API 金鑰。",
        "network": "請求未能送達 {base}：可能是網路錯誤，或該平台不允許來自此網站的請求（CORS）。",
        "reply": "回覆",
    },
}
"""The panel's words per language (the brand's `language`); a language without its own gets English."""
_ALIASES = {"zh-Hant": "zh-TW"}
_PANEL = re.compile(r'\n<div class="bd-try"[^\n]*</div>\n\n')
"""A panel as `add_panels` inserts it (a blank line, the panel's one line, a blank line): `strip_panels` removes it."""
_DATA_FLAGS = ("-d", "--data", "--data-raw", "--data-binary", "--json")
_CONTROL = {"|", "||", "&&", ";", "&"}


@dataclass(frozen=True)
class Request:
    """The request a runnable example makes, as its panel sends it."""

    url: str
    """Under the brand's base URL: `https://api.acme.example/v1/chat/completions`."""
    body: str
    """The example's JSON body, compact (`{"messages":[...],"model":"..."}`)."""
    stream: bool
    """The body asks for a stream (`"stream": true`): the reply is shown as it arrives."""
    after_line: int
    """The panel goes after this 1-based line of the page: the end of the top-level block holding the example."""
    first_line: int
    """The first line of that block (its first tab's `=== ` line, an admonition's `!!!` line, or the fence's):
    the examples from `first_line` to `after_line` (its other tabs) send this request too."""


def assets() -> dict[str, str]:
    """{where in the site: text} of the panels' script and stylesheet, from the package."""
    static = resources.files("branddocs.site") / "static"
    return {SCRIPT: (static / "try-it.js").read_text(encoding="utf-8"),
            STYLESHEET: (static / "try-it.css").read_text(encoding="utf-8")}  # fmt: skip


def labels_for(language: str) -> dict[str, str]:
    return LABELS.get(_ALIASES.get(language, language), LABELS["en"])


def _curl_request(code: str, base_url: str) -> tuple[str, str, bool] | None:
    """(URL, compact JSON body, streams) of a script that is one curl with a JSON object body to `base_url`."""
    try:
        words = shlex.split(code.replace("\\\n", " "), comments=True)
    except ValueError:
        return None
    if not words or words[0] != "curl":
        return None
    words = words[: next((i for i, w in enumerate(words) if w in _CONTROL), len(words))]
    urls = [w for w in words[1:] if w.startswith(base_url + "/")]
    data = [words[i + 1] for i, w in enumerate(words[:-1]) if w in _DATA_FLAGS]
    if len(urls) != 1 or len(data) != 1:
        return None
    try:
        body = json.loads(data[0])
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    return urls[0], json.dumps(body, ensure_ascii=False, separators=(",", ":")), body.get("stream") is True


def _block_start(lines: list[str], fence: Fence) -> int:
    """The first line (1-based) of the top-level block holding `fence`."""
    start = fence.line
    if fence.indent == 0:
        return start
    for number in range(fence.line - 2, -1, -1):  # the lines above the opening fence, 0-based
        line = lines[number]
        if not line.strip() or line[0].isspace():
            continue
        if line.startswith("=== "):
            start = number + 1
            continue
        return start if start != fence.line else number + 1  # no tab above: an admonition's opening line
    return start


def _block_end(lines: list[str], fence: Fence) -> int:
    """The last line (1-based) of the top-level block holding `fence`: its tab set, admonition or the fence."""
    if fence.indent == 0:
        return fence.end_line
    end = fence.end_line
    for number in range(fence.end_line, len(lines)):  # lines after the closing fence, 0-based
        line = lines[number]
        if line.strip() and not line[0].isspace() and not line.startswith("=== "):
            break
        if line.strip():
            end = number + 1
    return end


def requests_in(markdown: str, brand: Brand, where: str) -> list[Request]:
    """The requests of the page's runnable curl examples (no `test=` setting: not skipped, not expected to fail)."""
    lines = markdown.splitlines()
    found = []
    for fence in parse_fences(markdown, where):
        # Any test= (skip, no, xfail): not a request that works as written.
        if fence.lang not in ("bash", "sh", "shell") or "test" in fence.settings:
            continue
        request = _curl_request(fence.code, brand.base_url)
        if request:
            found.append(Request(*request, after_line=_block_end(lines, fence), first_line=_block_start(lines, fence)))
    return found


def panel_html(request: Request, brand: Brand, number: int, send_to: str | None = None) -> str:
    """The panel, on one line (a raw HTML block to Markdown), hidden until its script shows it; `send_to` replaces
    the brand's base URL as where it sends (`branddocs serve --try-it`: the reference endpoint)."""
    words = labels_for(brand.language)
    to = send_to.rstrip("/") if send_to else brand.base_url
    url = to + request.url[len(brand.base_url) :]
    # Brand values (the base URL, the models in the body) are untrusted text: branddocs.text's HTML printer.
    base = text.html(to)
    say = {k: text.html(v.replace("{base}", to)) for k, v in words.items()}
    key_id = f"bd-try-key-{number}"
    return (
        f'<div class="bd-try" hidden data-bd-base="{base}" data-bd-url="{text.html(url)}" '
        f'data-bd-body="{text.html(request.body)}"{_STREAMING if request.stream else ""} '
        f'data-bd-sending="{say["sending"]}" data-bd-no-key="{say["no_key"]}" data-bd-network="{say["network"]}">'
        f'<details class="bd-try__details"><summary>{say["summary"]}</summary>'
        f'<p class="bd-try__note">{say["note"]}</p>'
        f'<p class="bd-try__row"><label for="{key_id}">{say["key"]}</label> '
        f'<input id="{key_id}" class="bd-try__key" type="password" autocomplete="off" spellcheck="false"> '
        f'<button type="button" class="bd-try__send">{say["send"]}</button></p>'
        f'<p class="bd-try__row"><label><input type="checkbox" class="bd-try__keep"> {say["keep"]}</label></p>'
        f'<p class="bd-try__status" role="status"></p>'
        f'<pre class="bd-try__reply" role="log" tabindex="0" aria-label="{say["reply"]}" hidden></pre>'
        "</details></div>"
    )


def add_panels(markdown: str, brand: Brand, where: str, send_to: str | None = None) -> str:
    """The page with a panel after each runnable request example (none when the brand turns Try it off)."""
    if not brand.features.try_it:
        return markdown
    requests = requests_in(markdown, brand, where)
    if not requests:
        return markdown
    lines = markdown.splitlines(keepends=True)
    # From the last to the first, so an insertion never moves the lines of those still to come.
    for number, request in reversed(list(enumerate(requests))):
        at = request.after_line
        panel = "\n" + panel_html(request, brand, number, send_to) + "\n\n"
        if at and not lines[at - 1].endswith("\n"):
            lines[at - 1] += "\n"
        lines.insert(at, panel)
    return "".join(lines)


def strip_panels(markdown: str) -> str:
    """The page without its panels: what its Markdown twin shows."""
    return _PANEL.sub("", markdown)
