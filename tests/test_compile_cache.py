"""What a build keeps between brands in one process gives each brand what a fresh process would: mkdocs-macros'
compiled pages (plugin/macros.py) and mkdocs.yml's allow-list check (site/config_check.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError

from branddocs.plugin.macros import CachingSandbox
from branddocs.site.config_check import config_problems


def test_a_page_compiled_once_renders_each_brands_own_values() -> None:
    first, second = CachingSandbox(undefined=StrictUndefined), CachingSandbox(undefined=StrictUndefined)
    page = "Call {{ user_name }} at {{ base_url }}."
    assert first.compile(page) is second.compile(page)  # kept: the second brand does not compile it again
    assert first.from_string(page).render(user_name="Acme", base_url="a.example") == "Call Acme at a.example."
    assert second.from_string(page).render(user_name="Nebula", base_url="n.example") == "Call Nebula at n.example."
    with pytest.raises(UndefinedError):  # each render still holds the page to the brand's own variables
        second.from_string(page).render(user_name="Nebula")


def test_what_the_compiler_reads_from_the_environment_is_part_of_the_key() -> None:
    page = "[[ name ]] {{ name }}"
    plain, bracketed = CachingSandbox(), CachingSandbox(variable_start_string="[[", variable_end_string="]]")
    assert plain.compile(page) is not bracketed.compile(page)
    assert plain.from_string(page).render(name="x") == "[[ name ]] x"
    assert bracketed.from_string(page).render(name="x") == "x {{ name }}"
    filtered = CachingSandbox()
    filtered.filters["shout"] = str.upper
    assert filtered.from_string("{{ name | shout }}").render(name="x") == "X"
    with pytest.raises(TemplateSyntaxError):  # no such filter here, though another sandbox compiled the page
        CachingSandbox().compile("{{ name | shout }}")


def test_the_lexers_settings_and_the_extensions_are_part_of_the_key() -> None:
    """A project whose mkdocs.yml adds a Jinja extension or a line-statement prefix compiles the same page text
    otherwise; another project in the same process (the checks' collection, the tests) must not get its code."""
    page = "{% do items.append(1) %}{{ items }}"
    with_do = CachingSandbox(extensions=["jinja2.ext.do"])
    assert with_do.from_string(page).render(items=[]) == "[1]"
    with pytest.raises(TemplateSyntaxError):
        CachingSandbox().compile(page)
    lines = "# if yes\nshown\n# endif\n"
    assert CachingSandbox(line_statement_prefix="#").from_string(lines).render(yes=True) == "shown\n"
    assert CachingSandbox().from_string(lines).render(yes=True) == lines.rstrip("\n")


def test_a_page_that_fails_to_compile_fails_again() -> None:
    for _ in range(2):
        with pytest.raises(TemplateSyntaxError):
            CachingSandbox().compile("{{ unclosed ")


def test_the_config_check_sees_a_changed_file(tmp_path: Path) -> None:
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: x\n", encoding="utf-8")
    assert config_problems(config) == []
    config.write_text("site_name: !!python/object/apply:os.getcwd []\n", encoding="utf-8")
    problems = config_problems(config)
    assert len(problems) == 1
    assert "python/object/apply" in problems[0]
    config.write_text("site_name: x\n", encoding="utf-8")
    assert config_problems(config) == []
