"""The property: a generated hostile brand value is refused at load, or lands everywhere as one inert token.

Values are drawn from every Unicode category (bar surrogates, which a UTF-8 file cannot hold) and from shell,
Markdown, HTML and YAML metacharacters and the attacks of issue 29's table, put into one field of a brand
file, and pushed through every channel: `check-brands`' output, the built HTML, each Markdown twin, `llms.txt`
and each rendered code block. Either the value is refused when the brand file is loaded, with a message
naming the file, line and field, or the brand builds and
- each HTML page has the same elements as the same brand built with a plain placeholder in that field,
- each twin and `llms.txt` parse (CommonMark, as assistants read them) to the same blocks and inline elements,
- each code block is the placeholder's block with the value put in its place, character for character, and
  each bash block hands its commands the same words, the value one word of them.
The oracle compares structure with a placeholder build, so it needs no list of what an attack looks like.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from branddocs.brand import BrandError, load_brand
from branddocs.cli import main as branddocs_main
from branddocs.text import markdown_text

from ..support.project import scratch_project

pytestmark = pytest.mark.slow

BASE = {"user_name": "Zed Hostile Cloud", "resource_dir_name": "hostile", "portal_name": "Zed Console",
        "api": {"base_url": "https://api.hostile.example/v1"}, "models": ["zed-model-1"],
        "site_url": "https://docs.hostile.example/", "support_url": "https://help.hostile.example/",
        "copyright": "Zed Copyright"}  # fmt: skip
FIELDS: dict[str, tuple[tuple[str, ...], str, str]] = {
    # field: (where in the file, placeholder, prefix that gives a value a chance to pass the grammar)
    "user_name": (("user_name",), "Qplaceholderq", ""),
    "portal_name": (("portal_name",), "Qplaceholderq", ""),
    "copyright": (("copyright",), "Qplaceholderq", ""),
    "api.base_url": (("api", "base_url"), "https://api.qplaceholderq.example/v1", "https://api.x.example/"),
    "site_url": (("site_url",), "https://docs.qplaceholderq.example/", "https://docs.x.example/"),
    "support_url": (("support_url",), "https://help.qplaceholderq.example/", "https://help.x.example/"),
    "models.0": (("models", 0), "qplaceholderq-1", "m"),
    # in the brand's namespace (ZED_HOSTILE_CLOUD_, the stem of its name), so it is the value that is tested
    "api.key_env": (("api", "key_env"), "ZED_HOSTILE_CLOUD_QPLACEHOLDERQ_KEY", "ZED_HOSTILE_CLOUD_X_KEY"),
    "api.system_fingerprint": (("api", "system_fingerprint"), "fp_qplaceholderq", "fp"),
}
META = ["\n", "\r", "\t", "\x1b[31m", "\x1b]0;x\x07", "\u202e", "\u2066", "\u2028", "\x00", "\u200b", "\u00a0",
        ";", "|", "&", "$(", "${IFS}", "`", "'", '"', "\\", ">", "<", "#", "*", "_", "[", "]", "(", ")", "{", "}",
        "!", "~", "=", ":", "-", "+", "%", "^", "@", "?", ".", "/", " ", "::error::", "##[error]", "!!! danger",
        "```", "~~~", "|---|", "# ", "- ", "1. ", "> ", "=== ", "<script>", "</code>", "&amp;", "&lt;",
        "{{ 7*7 }}", "{% x %}", ")[IMPORTANT](https://phish.example/", ";IFS=,;x=touch,/tmp/p;$x;:", "javascript:",
        "\u0391", "rm -rf ~", "*[HTML]: x", "[^1]:", "{: onclick=x }", "- [x]", "&#10;", "%0a", "%2", "x--y",
        "a_b", "_a_"]  # fmt: skip
VALUES = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=24),
    st.lists(st.one_of(st.sampled_from(META), st.text(max_size=3)), max_size=6).map("".join),
)
CONTEXTS = """

<a class="bd-attr" title="{{ user_name }}" data-x='{{ portal_name }}' data-y="{{ config.copyright }}">bd</a>

## Contexts {: title="{{ user_name }}" data-y='{{ config.copyright }}' }

Filters: {{ user_name | e }}, {{ portal_name | tojson }}, {{ config.copyright | safe }}.
"""
PAGES = ("index.html", "serverless-endpoints/index.html", "404.html")
TWINS = ("index.md", "serverless-endpoints.md", "llms.txt")
_MD = MarkdownIt("commonmark").enable("table")


class _Elements(HTMLParser):
    """The element names of a page in order, less what is inside code (highlighting splits code by its
    characters; code is compared as text) and scripts (Material's, with no brand value)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.names: list[str] = []
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip:
            # every attribute's name: a value that ended its attribute (a quote) would add one
            self.names.append(tag + "".join(f" {name}" for name, _ in sorted(attrs)))
        if tag in ("code", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "script") and self._skip:
            self._skip -= 1


def _markdown_structure(text: str) -> list[str]:
    """CommonMark's tokens, blocks and inline, by type and tag: no text, so a value only shows if it made one."""
    found = []
    for token in _MD.parse(text):
        found.append(token.type)
        found += [child.type for child in token.children or []]
    return found


def _code_blocks(twin: str) -> list[tuple[str, str]]:
    return [(m["lang"], m["code"]) for m in re.finditer(r"^ *```(?P<lang>\w*)[^\n]*\n(?P<code>.*?)^ *```", twin,
                                                         re.M | re.S)]  # fmt: skip


def _bash_words(code: str, folder: Path) -> list[str]:
    """The words bash hands each command of a block, its commands stubbed: curl and export print their words."""
    stubs = [f"{name}() {{ printf '{name}\\0'; printf '%s\\0' \"$@\"; }}" for name in ("curl", "export")]
    script = "\n".join([*stubs, textwrap.dedent(code)])
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder)}
    done = subprocess.run(["bash", "-c", script], cwd=folder, capture_output=True, text=True, timeout=30, env=env,
                          check=False)  # fmt: skip
    return done.stdout.split("\0")


class _Hostile:
    """A scratch project, its brand files written one per value, built in this process with the plugin."""

    def __init__(self, folder: Path) -> None:
        self.project = scratch_project(folder / "project")
        images = self.project.docs_dir / "images"
        shutil.copytree(images / "acme", images / "hostile")
        for other in self.project.brands_dir.glob("*.yml"):
            other.unlink()  # check-brands compares a brand with every other: only the one under test is there
        with (self.project.docs_dir / "index.md").open("a", encoding="utf-8") as page:
            page.write(CONTEXTS)  # every context a page holds: attributes, an attribute list, Jinja's filters
        self.out = folder / "out"
        self.count = 0
        self.baselines: dict[str, tuple[dict[str, str], Any]] = {}

    def brand_file(self, field: str, value: Any) -> Path:
        self.count += 1  # a new file each time: the project caches a brand by its file's mtime and size
        data = yaml.safe_load(yaml.safe_dump(BASE))
        where, *_ = FIELDS[field]
        target = data
        for key in where[:-1]:
            target = target[key]
        target[where[-1]] = value
        for other in self.project.brands_dir.glob("*.yml"):
            other.unlink()
        path = self.project.brands_dir / f"h{self.count}.yml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    def build(self, brand_id: str) -> dict[str, str]:
        from mkdocs.commands.build import build
        from mkdocs.config import load_config

        os.environ["BRAND"] = brand_id
        try:
            build(load_config(str(self.project.config_file), site_dir=str(self.out)))
        finally:
            del os.environ["BRAND"]
        return {name: (self.out / name).read_text(encoding="utf-8") for name in (*PAGES, *TWINS)}

    def check_brands(self, path: Path) -> int:
        """`branddocs check-brands PATH` in this process, on the scratch project."""
        os.environ["BRANDDOCS_ROOT"] = str(self.project.root)
        try:
            return branddocs_main(["check-brands", str(path)])
        finally:
            del os.environ["BRANDDOCS_ROOT"]

    def baseline(self, field: str) -> tuple[dict[str, str], Any]:
        """The files of the brand with the placeholder in `field`, and that brand."""
        if field not in self.baselines:
            path = self.brand_file(field, FIELDS[field][1])
            self.baselines[field] = (self.build(path.stem), load_brand(path))
        return self.baselines[field]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, jieba_compiled: None) -> _Hostile:
    return _Hostile(tmp_path_factory.mktemp("hostile-values"))


def _printed(brand: Any, field: str) -> str:
    """The value as the brand holds it (NFC, stripped, a trailing / of the base URL dropped)."""
    values = {"user_name": brand.user_name, "portal_name": brand.portal_name, "copyright": brand.copyright,
              "api.base_url": brand.base_url, "site_url": brand.site_url, "support_url": brand.support_url,
              "models.0": brand.models[0], "api.key_env": brand.key_env,
              "api.system_fingerprint": brand.api.system_fingerprint}  # fmt: skip
    return values[field]


def _check_terminal(output: str) -> None:
    for line in output.splitlines():
        assert all(c.isprintable() for c in line), repr(line)
        assert not line.lstrip().startswith(("::", "##")), line


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(field=st.sampled_from(sorted(FIELDS)), raw=VALUES)
def test_a_hostile_value_is_refused_or_inert_everywhere(
    hostile: _Hostile, capsys: pytest.CaptureFixture[str], field: str, raw: str
) -> None:
    value = FIELDS[field][2] + raw
    base, base_brand = hostile.baseline(field)
    path = hostile.brand_file(field, value)
    code = hostile.check_brands(path)  # the terminal channel, as a CI log shows it
    out = capsys.readouterr()
    _check_terminal(out.out + out.err)
    try:
        brand = load_brand(path)
    except BrandError as exc:
        assert code == 1
        first = str(exc).splitlines()[0]
        assert re.match(rf"{re.escape(str(path))}:\d+: ({re.escape(field)}|api\.key_env): .*found", first), first
        event(f"{field}: refused at load")
        return
    event(f"{field}: built")
    assert code == 0, out.err
    built = hostile.build(brand.id)
    placeholder = FIELDS[field][1]
    # What the placeholder build prints in its place: the value, and the key variable derived from a name.
    printed = _printed(brand, field)
    swaps = {base_brand.key_env: brand.key_env, placeholder: printed if field in CODE else markdown_text(printed)}
    for page in PAGES:
        assert _Elements(built[page]).names == _Elements(base[page]).names, (page, value)
    for twin in TWINS:
        assert _markdown_structure(built[twin]) == _markdown_structure(base[twin]), (twin, value)
    folder = hostile.out.parent
    for twin in TWINS[:2]:
        blocks, expected = _code_blocks(built[twin]), _code_blocks(base[twin])
        assert len(blocks) == len(expected), (twin, value)
        for (lang, code_text), (_, base_code) in zip(blocks, expected, strict=True):
            assert code_text == _swap(base_code, swaps), (twin, value)
            if lang == "bash" and code_text != base_code:
                words = [_swap(word, swaps) for word in _bash_words(base_code, folder)]
                assert _bash_words(code_text, folder) == words, (twin, value)


CODE = {"api.base_url", "site_url", "support_url", "models.0", "api.key_env", "api.system_fingerprint"}
"""Fields whose values are code tokens: printed as they are, everywhere."""


def _swap(text: str, swaps: dict[str, str]) -> str:
    """`text` with each placeholder value replaced by what the hostile brand has there, in one pass."""
    pattern = "|".join(re.escape(k) for k in sorted(swaps, key=len, reverse=True))
    return re.sub(pattern, lambda m: swaps[m.group()], text)
