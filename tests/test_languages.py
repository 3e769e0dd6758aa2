"""One place per language: the registry, a fourth language registered from outside, unknown languages refused."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from branddocs.brand import load_brand
from branddocs.examples.example import Example
from branddocs.examples.judge.verdict import Checker
from branddocs.examples.languages import base
from branddocs.examples.languages.base import (
    Language,
    LanguageError,
    UnknownLanguage,
    check_language,
    for_fence,
    get,
    register,
)
from branddocs.markup import parse_fences
from branddocs.site import Project

from .conftest import FIXTURES
from .dash_language import Dash
from .test_example_checks import check, outcome, write_page

BUILT_IN = "registered: bash (sh, shell, console), javascript (js, mjs), python (py, python3)"


@pytest.fixture
def dash() -> Iterator[Dash]:
    """The dash language registered in this process, for as long as the test."""
    language = register(Dash())
    yield language
    base.unregister(language.name)


def test_the_built_in_languages_answer_to_their_fence_names() -> None:
    for fence, name in [("bash", "bash"), ("sh", "bash"), ("console", "bash"), ("py", "python"),
                        ("python3", "python"), ("js", "javascript"), ("mjs", "javascript")]:  # fmt: skip
        assert for_fence(fence) is get(name), fence
    assert for_fence("yaml") is None
    assert for_fence("json") is None  # a response sample, not a language
    assert [language.name for language in base.languages()] == ["bash", "javascript", "python"]


def test_register_adds_a_language_and_unregister_removes_it() -> None:
    assert for_fence("posix-sh") is None
    language = register(Dash())
    try:
        assert for_fence("dash") is language
        assert for_fence("posix-sh") is language
        assert get("dash") is language
        assert "dash (posix-sh)" in str(base.unknown_language("go", 'lint="skip"', "x.md:1"))
    finally:
        base.unregister("dash")
    assert for_fence("dash") is None
    with pytest.raises(UnknownLanguage, match="no example language 'dash' is registered"):
        get("dash")


class _Sh(Dash):
    name = "posix"
    aliases = ("sh",)  # bash's already


class _Json(Dash):
    name = "jsonish"
    aliases = ("json",)  # a response sample's fence


class _Shouting(Dash):
    name = "Dash"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (_Sh(), "language 'posix': ```sh is already language 'bash''s"),
        (_Json(), "language 'jsonish': ```json is a response sample's fence, not a language's"),
        (_Shouting(), "a language's name is lowercase letters, digits, _, + or -; found 'Dash'"),
        ("dash", "expected a branddocs Language (subclass or instance), found 'dash'"),
    ],
)
def test_a_language_that_cannot_be_registered_is_refused_naming_why(language: object, expected: str) -> None:
    with pytest.raises(LanguageError, match=re.escape(expected)):
        register(language)  # type: ignore[arg-type]
    assert for_fence("posix") is None
    assert get("bash").aliases == ("sh", "shell", "console")  # nothing half-registered


def test_an_example_in_an_unregistered_language_never_reaches_another_runner(tmp_path: Path) -> None:
    brand = load_brand(FIXTURES / "brands" / "acme.yml")
    example = Example(brand, "x.md", tmp_path / "x.md", 3, "go", "run", 'fmt.Println("hi")\n')
    checker = Checker(None, None, tmp_path, tmp_path)  # type: ignore[arg-type]  # never reached
    with pytest.raises(UnknownLanguage, match=re.escape(f"no example language 'go' is registered; {BUILT_IN}")):
        checker.problems(example)


def test_a_registered_language_gets_its_own_examples(tmp_path: Path) -> None:
    """The positive of the test above: the same dispatch reaches the language the example names."""

    class Go(Language):
        name = "go"
        env_reads = re.compile(r'os\.Getenv\("(?P<qname>[^"]*)"\)')

        def lint(self, example: Example, context: object) -> list[str]:
            return [f"linted by go: {example.code.strip()}"]

        def run(self, example: Example, context: object):  # type: ignore[override]
            raise AssertionError("not run: the lint found something")

    brand = load_brand(FIXTURES / "brands" / "acme.yml")
    code = f'fmt.Println(os.Getenv("{brand.key_env}"), "{brand.base_url}")\n'
    example = Example(brand, "x.md", tmp_path / "x.md", 3, "go", "run", code)
    register(Go())
    try:
        problems = Checker(None, None, tmp_path, tmp_path).problems(example)  # type: ignore[arg-type]
    finally:
        base.unregister("go")
    assert problems == [f"linted by go: {code.strip()}", "(not run)"]


@pytest.mark.parametrize("setting", ['lint="skip"', 'test="xfail" reason="x"', 'group="chat"'])
def test_a_block_marked_to_run_in_an_unregistered_language_is_a_fence_mistake(setting: str) -> None:
    page = f"# Go\n\n```go {setting}\nfmt.Println(1)\n```\n"
    with pytest.raises(UnknownLanguage) as raised:
        parse_fences(page, "docs/go.md", check_language)
    message = str(raised.value)
    assert message.startswith(f"docs/go.md:3: ```go is marked as an example to run ({setting.split(' ')[0]}")
    assert BUILT_IN in message
    assert raised.value.exit_code == 4


def test_blocks_in_other_languages_stay_prose_unless_marked() -> None:
    page = '```yaml test="skip" reason="a brand file"\na: 1\n```\n\n```go\nx\n```\n\n```text group="s"\ndata: x\n```\n'
    assert [f.lang for f in parse_fences(page, "p.md", check_language)] == ["yaml", "go", "text"]


def test_a_marked_block_is_fine_once_its_language_is_registered(dash: Dash) -> None:
    """The guard above, off: with dash registered the same kind of block parses."""
    assert [f.lang for f in parse_fences('```dash lint="skip"\necho hi\n```\n', "p.md", check_language)] == ["dash"]


# The fourth language end to end: installed as a package of one's own would be, and checked by `branddocs check`.

DASH_PAGE = """# POSIX sh

```dash
status=$(curl -sS -o /dev/null -w '%{http_code}' {{ base_url }}/chat/completions \\
  -H "Authorization: Bearer ${{ api_key_env }}" -H "Content-Type: application/json" \\
  -d '{"model": "{{ default_model }}", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}')
echo "$status from $(readlink /proc/$$/exe)"  # marker-dash-runs
```

```text title="Output"
200 from /usr/bin/dash
```

```dash
if [[ -n "${{ api_key_env }}" ]]; then  # marker-dash-lint
  curl -sS {{ base_url }}/models -H "Authorization: Bearer ${{ api_key_env }}"
fi
```

```dash lint="skip"
[[ -n "${{ api_key_env }}" ]] && curl -sS {{ base_url }}/models \\
  -H "Authorization: Bearer ${{ api_key_env }}"  # marker-dash-bashism
```
"""


def _installed(folder: Path, entry_point: str) -> dict[str, str]:
    """A package of one's own in `folder`: the language module and its dist-info with the entry point.

    Returns the environment that puts it on Python's path, as `pip install` into the environment would."""
    folder.mkdir()
    shutil.copy(Path(__file__).with_name("dash_language.py"), folder / "branddocs_dash.py")
    info = folder / "branddocs_dash-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: branddocs-dash\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[branddocs.languages]\n{entry_point}\n", encoding="utf-8")
    return {"PYTHONPATH": str(folder)}


@pytest.mark.slow
def test_a_fourth_language_from_another_package_runs_its_examples(scratch: Project, tmp_path: Path) -> None:
    page = write_page(scratch, "dash.md", DASH_PAGE)
    env = _installed(tmp_path / "plugin", "dash = branddocs_dash:Dash")
    code, results, output = check(scratch, "--brand", "acme", "dash.md", env=env)
    assert code == 1, output
    assert outcome(results, page, "marker-dash-runs", "dash") == "passed"  # its Output block: dash ran it
    lint = outcome(results, page, "marker-dash-lint", "dash")
    assert "In dash, [[ ]] is not supported" in lint, lint  # shellcheck as dash: bash would allow it
    assert "(not run)" in lint
    bashism = outcome(results, page, "marker-dash-bashism", "dash")
    assert "exited with status 127" in bashism, bashism
    assert "[[: not found" in bashism  # run by dash, not by bash (where it makes its request and passes)
    assert re.search(r"^brand\s+dash$", output, re.MULTILINE), output  # its own column in the summary
    assert "examples: 1 passed, 2 failed, 0 skipped" in output


@pytest.mark.slow
def test_an_example_language_nobody_registered_stops_the_check(scratch: Project) -> None:
    """The same page without the package: one line naming the language and the registered ones, nothing run."""
    write_page(scratch, "dash.md", DASH_PAGE)
    code, results, output = check(scratch, "--brand", "acme", "dash.md")
    assert code == 4, output
    line = fence_line_of(scratch.docs_dir / "dash.md", 'lint="skip"')
    assert f'dash.md:{line}: ```dash is marked as an example to run (lint="skip"), but no example language ' in output
    assert f"'dash' is registered; {BUILT_IN}" in output
    assert results == {}
    assert "Traceback" not in output


@pytest.mark.slow
def test_a_broken_language_package_is_named(scratch: Project, tmp_path: Path) -> None:
    write_page(scratch, "dash.md", DASH_PAGE)
    env = _installed(tmp_path / "plugin", "dash = branddocs_dash:Missing")
    code, _, output = check(scratch, "--brand", "acme", "dash.md", env=env)
    assert code == 2, output
    assert "entry point dash = branddocs_dash:Missing (group branddocs.languages): cannot be loaded" in output
    assert "Traceback" not in output


def fence_line_of(page: Path, text: str) -> int:
    return next(i for i, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1) if text in line)
