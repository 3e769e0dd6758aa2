"""Brand values in every context a Markdown page can hold: prose, raw HTML attributes (either quote), included
files, attribute lists, `<script>` strings, and after Jinja's own filters (`| e`, `| tojson`, `| safe`).

Mechanism (branddocs/plugin/macros.py, branddocs/text/printers.py): every `{{ expression }}` is printed by the
sandbox's finalize, `as_text`; only `text.MarkdownSafe` (what the printer filters and the project's own code
return) prints as it is, Jinja's Markup is printed as Markdown text of the text it stands for, and Markdown text
turns quotes into character references besides what starts Markdown or HTML syntax. So a brand value cannot end
an attribute or a script's string, nor make a link, wherever the page puts it; no check of the page's source.
The proof reads the built page, its Markdown twin and `llms-full.txt` back from disk. Negatives: the old
finalize (Markup as it is) and the old printer (quotes as they are) let each attack through, and the old
source check looked at the first expression of a tag only.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markdown_it import MarkdownIt
from markupsafe import Markup

from branddocs import text
from branddocs.plugin.macros import as_text

from ..support.project import run_branddocs, scratch_project

pytestmark = pytest.mark.slow

NAME = 'Acme x" onmouseover="alert(1)" y=\'z\' q="'
PORTAL = "Console [Log in again](https://phish.example/login)"
CONTEXTS = """

<a class="bd-attr" href="{{ base_url | e }}" title="{{ user_name }}" data-x='{{ user_name }}'>bd-attr</a>

{% include ".badge.md" %}

## Contexts heading {: #bd-heading title="{{ user_name }}" data-y='{{ portal_name }}' }

<script>var bdName = "{{ user_name }}"; var bdOne = '{{ user_name }}'; var bdJs = "{{ user_name | js_str }}";</script>

Escaped: {{ portal_name | e }}. As JSON: {{ portal_name | tojson }}. Marked safe: {{ portal_name | safe }}.
"""
BADGE = """<span class="bd-badge" title="{{ user_name }}">{{ user_name }}</span>\n"""
INJECTED = {"onmouseover", "y", "q"}


class _Tags(HTMLParser):
    """Every start tag's name and attributes (decoded), and the text of each script."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)

    def attribute_names(self) -> set[str]:
        return {name for _, attrs in self.tags for name in attrs}

    def with_class(self, name: str) -> dict[str, str | None]:
        return next(attrs for _, attrs in self.tags if name in (attrs.get("class") or "").split())


def _links(markdown: str) -> list[str]:
    """Every link destination CommonMark finds (as assistants read the twins and llms-full.txt)."""
    found = []
    for token in MarkdownIt("commonmark").parse(markdown):
        found += [str(c.attrs.get("href")) for c in token.children or [] if c.type == "link_open"]
    return found


def _one_string_each(script: str) -> bool:
    """The script is only `var x = "...";` statements, each value one string literal: nothing closed it early."""
    string = r"""(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
    return re.fullmatch(rf"(?:\s*var \w+ = {string};)+\s*", script) is not None


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("page-contexts")
    project = scratch_project(folder / "project")
    brand = project.brands_dir / "acme.yml"
    values = yaml.safe_load(brand.read_text(encoding="utf-8"))
    brand.write_text(yaml.safe_dump({**values, "user_name": NAME, "portal_name": PORTAL}), encoding="utf-8")
    with (project.docs_dir / "index.md").open("a", encoding="utf-8") as page:
        page.write(CONTEXTS)
    (project.docs_dir / ".badge.md").write_text(BADGE, encoding="utf-8")
    done = run_branddocs("build", "--brand", "acme", "--site-dir", str(folder / "site"), cwd=project.root)
    assert done.returncode == 0, done.stdout + done.stderr
    return folder / "site" / "acme"


def test_no_attribute_is_injected_and_each_reads_as_the_value(built: Path) -> None:
    page = _Tags((built / "index.html").read_text(encoding="utf-8"))
    assert not page.attribute_names() & INJECTED
    attr, badge = page.with_class("bd-attr"), page.with_class("bd-badge")
    assert (attr["title"], attr["data-x"], badge["title"]) == (NAME, NAME, NAME)
    heading = next(attrs for tag, attrs in page.tags if attrs.get("id") == "bd-heading")
    assert (heading["title"], heading["data-y"]) == (NAME, PORTAL)


def test_a_script_string_stays_one_string(built: Path) -> None:
    page = _Tags((built / "index.html").read_text(encoding="utf-8"))
    ours = [s for s in page.scripts if "bdName" in s]
    assert len(ours) == 1
    assert _one_string_each(ours[0]), ours[0]


@pytest.mark.parametrize("output", ["index.html", "index.md", "llms-full.txt"])
def test_no_filter_makes_a_link_or_an_element(built: Path, output: str) -> None:
    published = (built / output).read_text(encoding="utf-8")
    assert "Log in again" in published
    assert not _Tags(published).attribute_names() & INJECTED
    if output == "index.html":
        assert not [a for t, a in _Tags(published).tags if t == "a" and "phish.example" in (a.get("href") or "")]
    else:
        assert not [href for href in _links(published) if "phish.example" in href]


# --- negatives: the old finalize, the old printer and the old source check ------------------------------------


def _render(finalize) -> str:
    """CONTEXTS and BADGE rendered in Jinja's sandbox with the given finalize."""
    env = SandboxedEnvironment(undefined=StrictUndefined, finalize=finalize)
    env.filters["js_str"] = lambda v: text.MarkdownSafe(text.js_str(str(v)))
    env.globals.update(user_name=NAME, portal_name=PORTAL, base_url="https://api.acme.example/v1")
    page = CONTEXTS.replace('{% include ".badge.md" %}', BADGE)
    return env.from_string(page).render()


def _old_markdown_text(value: str) -> str:
    """markdown_text before quotes were escaped."""
    return text.markdown_text(value).replace("&#34;", '"').replace("&#39;", "'")


def test_the_old_finalize_and_printer_let_each_attack_through() -> None:
    def old(value):  # Markup as it is, everything else as Markdown text that leaves quotes alone
        return value if isinstance(value, Markup | text.MarkdownSafe) else _old_markdown_text(str(value))

    rendered = _render(old)
    assert _Tags(rendered).attribute_names() & INJECTED
    assert not _one_string_each(next(s for s in _Tags(rendered).scripts if "bdName" in s))
    assert [href for href in _links(rendered) if "phish.example" in href]  # through `| e` and `| safe`


def test_the_new_finalize_on_the_same_page() -> None:
    rendered = _render(as_text)
    assert not _Tags(rendered).attribute_names() & INJECTED
    assert _one_string_each(next(s for s in _Tags(rendered).scripts if "bdName" in s))
    assert not [href for href in _links(rendered) if "phish.example" in href]


def test_the_old_source_check_saw_the_first_expression_of_a_tag_only() -> None:
    # The regex dropped from macros.py: lazy, it matched up to the first `{{ }}` of a tag and no further.
    in_tag = re.compile(r"<[A-Za-z][^<>]*?\{\{(?P<expression>(?:(?!\}\}).)*)\}\}", re.S)
    tag = '<a href="{{ base_url | e }}" title="{{ user_name }}">'
    assert [m["expression"].strip() for m in in_tag.finditer(tag)] == ["base_url | e"]
