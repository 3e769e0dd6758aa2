"""Hostile brand values, and what a page's HTML must show of them: text, never markup."""

from __future__ import annotations

from html.parser import HTMLParser

NAME = "Kestrel <script>alert(1)</script> R&D <Labs> \"q\" 'a' `x` *y*"


PORTAL = "Kestrel <img src=x onerror=alert(2)> [click](javascript:alert(3)) & Co"


COPYRIGHT = "© Kestrel <b>bold</b> & \"quotes\" 'single'"


class MarkupText(HTMLParser):
    """Tags, attributes and text of an HTML document (character references decoded, as a browser does)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.texts: dict[int, list[str]] = {}
        self._open: list[tuple[int, str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._open.append((len(self.tags) - 1, tag))
        self.texts[len(self.tags) - 1] = []

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop()[1] != tag:
            pass

    def handle_data(self, data: str) -> None:
        for index, _ in self._open:
            self.texts[index].append(data)

    def text_of(self, tag: str, css_class: str = "") -> list[str]:
        classes = [[*a.get("class", "").split(), ""] for _, a in self.tags]
        found = [i for i, (t, _) in enumerate(self.tags) if t == tag and css_class in classes[i]]
        return [" ".join("".join(self.texts[i]).split()) for i in found]


def markup_problems(html: str) -> list[str]:
    """Elements or attributes that came from a hostile brand value instead of showing as its text."""
    doc = MarkupText(html)
    problems = [f"<{tag}> element" for tag, _ in doc.tags if tag in ("labs", "b")]
    problems += [f"{tag} {name}=" for tag, attrs in doc.tags for name in attrs if name.startswith("on")]
    problems += [f"<{t} {a}>" for t, a in doc.tags if t == "a" and a.get("href", "").startswith("javascript:")]
    problems += ["<script> running alert()" for text in doc.text_of("script") if "alert(" in text]
    return problems
