"""The manual (manual/): it builds strict, and holds every command, option, field, variable and exit code.

Each check has its negative: a `branddocs` with one more option and one more command (a sitecustomize that
adds them to argparse as the CLI builds its parser) is caught by the check on the committed manual, and a
manual built with it shows them with no edit; a field, variable or exit code the page lacks is named; a
figure typed into the prose that BENCHMARKS.md does not have is named.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

import branddocs.errors

from .support.manual import (
    article,
    cli_helps,
    code_spans,
    figures_not_in,
    missing_codes,
    missing_fields,
    missing_helps,
    missing_names,
    pre_blocks,
    stale_uses,
    uses,
)
from .support.once import once
from .support.project import BIN, ROOT

pytestmark = pytest.mark.slow
MANUAL = ROOT / "manual"
BENCHMARKS = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")
# A branddocs whose parser has one more option (on `build`) and one more command than the real one.
CANARY = """
import argparse

_add_parser = argparse._SubParsersAction.add_parser


def add_parser(self, name, **kwargs):
    parser = _add_parser(self, name, **kwargs)
    if name == "build":
        parser.add_argument("--canary-option", metavar="N", help="an option the committed manual does not have")
    if name == "new":
        _add_parser(self, "canary-command", help="a command the committed manual does not have")
    return parser


argparse._SubParsersAction.add_parser = add_parser
"""


def build_manual(site: Path, env: dict[str, str] | None = None) -> Path:
    """`make manual`'s command, into `site`; fails on any warning (strict) and on a warning printed anyway."""
    done = subprocess.run(
        [str(BIN / "mkdocs"), "build", "--strict", "-f", str(MANUAL / "mkdocs.yml"), "--site-dir", str(site)],
        env={**(env or os.environ), "NO_MKDOCS_2_WARNING": "1"}, capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    assert "WARNING" not in done.stderr + done.stdout, done.stderr
    return site


@pytest.fixture(scope="module")
def manual_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The manual built once a run (whichever worker asks first), with a TMPDIR of its own (`tmp/` beside the site:
    what the build leaves there is looked at); the tests only read it."""

    def build(folder: Path) -> str:
        (folder / "tmp").mkdir()
        return str(build_manual(folder / "site", {**os.environ, "TMPDIR": str(folder / "tmp")}))

    return Path(once(tmp_path_factory, "manual", build))


def test_the_manual_keeps_no_cache_in_the_shared_temporary_folder(manual_site: Path) -> None:
    """jieba (Material's Chinese segmenter) marshal-loads /tmp/jieba.cache, which any local user may have made
    first: the manual's build keeps it in the project's .cache/ as a brand's build does. (Negative: without
    manual_macros' jieba_cache, the build writes TMPDIR/jieba.cache, or loads one found there.)"""
    assert (manual_site / "index.html").is_file()
    assert sorted(path.name for path in (manual_site.parent / "tmp").iterdir()) == []


@pytest.fixture(scope="module")
def canary_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("canary")
    (folder / "sitecustomize.py").write_text(CANARY, encoding="utf-8")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))}


def _page(site: Path, name: str) -> Path:
    """A built page by its source's path less `.md` (`reference/cli`, `tutorial` for tutorial/index.md)."""
    page = site / f"{name}.html"
    return page if page.is_file() else site / name / "index.html"


def test_every_command_and_option_as_help_prints_them(manual_site: Path) -> None:
    helps = cli_helps(BIN / "branddocs")
    assert {"branddocs", "branddocs build", "branddocs check", "branddocs env"} <= set(helps)
    assert missing_helps(helps, pre_blocks(_page(manual_site, "reference/cli"))) == []


def test_a_new_option_or_command_is_caught_then_appears_by_itself(
    manual_site: Path, canary_env: dict[str, str], tmp_path: Path
) -> None:
    helps = cli_helps(BIN / "branddocs", canary_env)
    assert "--canary-option" in helps["branddocs build"]
    assert "branddocs canary-command" in helps
    # The negative: the committed manual lacks them, and the check names both.
    missing = missing_helps(helps, pre_blocks(_page(manual_site, "reference/cli")))
    assert any(m.startswith("branddocs build:") and "--canary-option" in m for m in missing), missing
    assert any(m.startswith("branddocs canary-command:") for m in missing), missing
    assert any(m.startswith("branddocs:") for m in missing), missing  # the top level lists the new command
    # Built by that branddocs, the manual has them with no edit.
    site = build_manual(tmp_path / "site", canary_env)
    assert missing_helps(helps, pre_blocks(_page(site, "reference/cli"))) == []


def test_every_command_the_pages_use_exists_with_its_options() -> None:
    helps = cli_helps(BIN / "branddocs")
    found = uses(MANUAL / "docs")
    assert len(found) >= 30
    assert stale_uses(found, helps) == []
    # The negative: a command branddocs lacks, and an option its command lacks, are named; pytest's are not.
    stale = [("x.md", "frobnicate --all"), ("y.md", "build --brand a --no-such-option"), ("z.md", "check -- -x")]
    assert stale_uses(stale, helps) == [
        "x.md: `branddocs frobnicate --all`: no such command",
        "y.md: `branddocs build --brand a --no-such-option`: branddocs build has no --no-such-option",
    ]


def _stdout(*args: str) -> str:
    done = subprocess.run([str(BIN / "branddocs"), *args], capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def test_every_brand_field(manual_site: Path) -> None:
    schema = json.loads(_stdout("schema"))
    spans = code_spans(_page(manual_site, "reference/brand-file"))
    assert missing_fields(schema, spans) == []
    assert {"user_name", "api.base_url", "theme.primary", "errors.wrong_key"} <= spans
    # The negative: a field the page lacks is named.
    schema["$defs"]["Api"]["properties"]["canary_field"] = {"type": "string"}
    assert missing_fields(schema, spans) == ["api.canary_field"]


def test_every_environment_variable(manual_site: Path) -> None:
    names = [line.split()[0] for line in _stdout("env").splitlines() if line.strip()]
    assert "BRANDDOCS_ENDPOINT" in names
    spans = code_spans(_page(manual_site, "reference/environment"))
    assert missing_names(names, spans) == []
    assert missing_names([*names, "BRANDDOCS_CANARY"], spans) == ["BRANDDOCS_CANARY"]


def test_every_exit_code(manual_site: Path) -> None:
    codes = {name: getattr(branddocs.errors, name) for name in dir(branddocs.errors) if name.startswith("EXIT_")}
    assert codes["EXIT_NO_SANDBOX"] == 12
    page = _page(manual_site, "reference/exit-codes")
    assert missing_codes(codes, page) == []
    assert missing_codes({**codes, "EXIT_CANARY": 99, "EXIT_USAGE": 3}, page) == ["EXIT_USAGE = 3", "EXIT_CANARY = 99"]


def test_figures_come_from_benchmarks(manual_site: Path, tmp_path: Path) -> None:
    pages = sorted(manual_site.rglob("*.html"))
    assert figures_not_in(pages, BENCHMARKS) == []
    # Every figure block of BENCHMARKS.md is in the manual as the file has it.
    blocks = pre_blocks(_page(manual_site, "reference/benchmarks"))
    for figures in re.findall(r"```text\n(.*?)\n```", BENCHMARKS, re.DOTALL):
        assert figures in blocks
    # The negative: a figure typed into prose is named; the same as code (a setting), or one the file has, is not.
    typed = tmp_path / "typed.html"
    measured = re.search(r"\d+\.\d+ s\b", BENCHMARKS)[0]  # figures the file has, whatever its last run measured
    ratio = re.search(r"\d+\.\d+x\b", BENCHMARKS)[0]
    unknown = next(f"{n}.3 s" for n in range(85, 10_000) if f"{n}.3" not in BENCHMARKS)
    typed.write_text(f"<article><p>1,000 brands in {unknown}, at {ratio}; a limit of <code>1 GiB</code>; {measured}</p>"
                     "<pre><code>took 12.5 s</code></pre></article>", encoding="utf-8")  # fmt: skip
    found = figures_not_in([typed], BENCHMARKS)
    assert len(found) == 1, found
    assert f"'{unknown}'" in found[0]


def test_readme_is_an_entry_point_into_the_manual() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    for part in ("## Layout", "make site", "make test"):
        assert part in readme
    links = re.findall(r"\]\((manual/[^)#]+)", readme)
    assert len(links) >= 10
    assert [link for link in links if not (ROOT / link).is_file()] == []


def test_every_page_variable() -> None:
    from branddocs.brand import load_brand
    from branddocs.site.sdk_versions import sdk_variables

    page = (MANUAL / "docs" / "reference" / "page-variables.md").read_text(encoding="utf-8")
    names = [*load_brand(ROOT / "brands" / "acme.yml").variables(), *sdk_variables(ROOT)]
    assert {"user_name", "base_url", "pip_install_openai"} <= set(names)
    assert [n for n in names if f"`{{{{ {n} " not in page and f"`{{{{ {n}." not in page] == []
    # The negative: a variable the page lacks is named.
    assert [n for n in ["user_name", "canary_variable"] if f"`{{{{ {n} " not in page] == ["canary_variable"]


def test_every_fence_setting() -> None:
    from branddocs.markup import SETTINGS

    page = (MANUAL / "docs" / "reference" / "fence-settings.md").read_text(encoding="utf-8")
    said = {f'{key}="{value}"' for key, values in SETTINGS.items() for value in values or ("",)}
    assert {'test="skip"', 'lint="skip"', 'group=""'} <= said
    assert [s for s in sorted(said) if s.rstrip('"') not in page] == []
    # The negative: a setting the page lacks is named.
    assert [s for s in ['test="no"', 'test="canary"'] if s.rstrip('"') not in page] == ['test="canary"']


def phony_targets(makefile: str) -> list[str]:
    """The targets the Makefile declares phony (what a user runs), less `known-brand`: a guard the others call."""
    lines = re.findall(r"^\.PHONY: ([\w -]+)$", makefile, re.MULTILINE)
    return [t for line in lines for t in line.split() if t != "known-brand"]


def test_every_make_target() -> None:
    page = (MANUAL / "docs" / "reference" / "make-targets.md").read_text(encoding="utf-8")
    targets = phony_targets((ROOT / "Makefile").read_text(encoding="utf-8"))
    assert {"site", "test", "manual", "serve"} <= set(targets)
    assert [t for t in targets if not re.search(rf"`make {t}\b", page)] == []
    # The negative: a target the page lacks is named.
    more = phony_targets(".PHONY: site canary-target known-brand\n")
    assert [t for t in more if not re.search(rf"`make {t}\b", page)] == ["canary-target"]


def named_paths(docs: Path) -> list[tuple[str, str]]:
    """(page, path) for each file of this repository a page names in code: `branddocs/site/store.py`."""
    found = []
    for page in sorted(docs.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for path in re.findall(r"`((?:branddocs|tests|tools|bench|\.github)/[\w./-]+\.\w+)`", text):
            found.append((str(page.relative_to(docs)), path))
    return found


def test_every_file_the_pages_name_exists() -> None:
    found = named_paths(MANUAL / "docs")
    assert len(found) >= 30
    assert [f"{page}: {path}" for page, path in found if not (ROOT / path).exists()] == []
    # The negative: a path that is not there (a module moved away) is named.
    assert [p for p in ["branddocs/errors.py", "branddocs/examples/fences.py"] if not (ROOT / p).exists()] == [
        "branddocs/examples/fences.py"
    ]


def test_every_page_is_in_the_navigation(manual_site: Path) -> None:
    sources = {p.relative_to(MANUAL / "docs").as_posix() for p in (MANUAL / "docs").rglob("*.md")}
    config = (MANUAL / "mkdocs.yml").read_text(encoding="utf-8")
    assert [s for s in sorted(sources) if s not in config] == []
    assert article(_page(manual_site, "tutorial"))
