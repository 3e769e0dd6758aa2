"""mkdocs.yml's YAML tags and INHERIT chain: only an allow-list, checked before MkDocs' loader runs anything.

Mechanism (branddocs/site/config_check.py): `branddocs build` (and serve, diff, the checks' collection, through
plugin/render.py's `brand_config`) reads mkdocs.yml and every file it INHERITs with PyYAML's safe composer and
refuses any tag outside the allow-list (YAML's own types, `!ENV` of allow-listed names, `!relative`,
`!!python/name:` of a function defined in a Markdown extension's module), naming file, line and tag, before
MkDocs' full loader constructs anything; the INHERIT followed is the one MkDocs uses (merge keys applied), and
each file must resolve inside the project. The plugin checks the same files again for a plain `mkdocs build`.
Negatives: MkDocs' own loader runs each of these tags, and reads an INHERIT reached through a merge key.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from branddocs.site import Project
from branddocs.site.config_check import config_problems

from ..support.project import BIN, run_branddocs

KEY = "sk-branddocs-tags-0123456789abcdef"
TAGS = {
    "os.getenv": "!!python/object/apply:os.getenv [ACME_CLOUD_API_KEY]",
    "linecache of /proc/self/environ": "!!python/object/apply:linecache.getlines [/proc/self/environ]",
    "object/new": "!!python/object/new:subprocess.Popen [[touch, SENTINEL]]",
    "module": "!!python/module:os",
    "name outside the extensions": "!!python/name:os.getenv",
    "name re-exported by an extension": "!!python/name:pymdownx.superfences.get_attrs",
    "an unknown local tag": "!include /etc/passwd",
    "a long-form python tag": "!<tag:yaml.org,2002:python/object/apply:os.system> [touch SENTINEL]",
}


def _extra(project: Project, value: str, sentinel: Path) -> int:
    """Add `extra: {k: value}` to mkdocs.yml; the 1-based line of `k:`."""
    config = project.config_file.read_text(encoding="utf-8").rstrip("\n") + "\n\nextra:\n"
    project.config_file.write_text(config + f"  k: {value.replace('SENTINEL', str(sentinel))}\n", encoding="utf-8")
    return config.count("\n") + 1


@pytest.mark.parametrize("case", TAGS)
def test_a_tag_outside_the_allow_list_is_refused_before_it_runs(scratch: Project, tmp_path: Path, case: str) -> None:
    sentinel = tmp_path / "ran"
    line = _extra(scratch, TAGS[case], sentinel)
    site = tmp_path / "site"
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root,
                          env={"ACME_CLOUD_API_KEY": KEY})  # fmt: skip
    assert built.returncode == 1
    assert f"{scratch.config_file}:{line}: tag " in built.stdout + built.stderr
    assert not (site / "acme").exists()
    assert not sentinel.exists()  # refused before MkDocs' loader constructed it


def test_mkdocs_own_loader_runs_those_tags(scratch: Project, tmp_path: Path) -> None:
    # The negative: the same file read by MkDocs' loader, as a build would without the check, runs the tag.
    from mkdocs.utils.yaml import get_yaml_loader, yaml_load

    sentinel = tmp_path / "ran"
    _extra(scratch, TAGS["a long-form python tag"], sentinel)
    with scratch.config_file.open("rb") as config:
        yaml_load(config, get_yaml_loader())
    assert sentinel.exists()


def test_plain_mkdocs_build_refuses_the_tag_too(scratch: Project, tmp_path: Path) -> None:
    line = _extra(scratch, TAGS["linecache of /proc/self/environ"], tmp_path / "ran")
    done = subprocess.run([str(BIN / "mkdocs"), "build", "-d", str(tmp_path / "site")], cwd=scratch.root,
                          env={**os.environ, "BRAND": "acme", "NO_MKDOCS_2_WARNING": "1", "ACME_CLOUD_API_KEY": KEY},
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 1
    assert f"mkdocs.yml:{line}: tag tag:yaml.org,2002:python/object/apply:linecache.getlines" in done.stderr
    assert not (tmp_path / "site" / "acme" / "index.html").exists()


ALLOWED = {
    "an extension's function": "!!python/name:pymdownx.superfences.fence_code_format",
    "the brand": "!ENV [BRAND, x]",
    "a path": "!relative $config_dir/docs",
    "plain types": "{a: !!str 1, b: !!int '2', c: [!!float 1.5, !!bool true, !!null '']}",
}


@pytest.mark.parametrize("case", ALLOWED)
def test_allowed_tags_pass(scratch: Project, tmp_path: Path, case: str) -> None:
    # The negative of the refusal: the check is an allow-list, not a refusal of every tag.
    _extra(scratch, ALLOWED[case], tmp_path / "ran")
    assert config_problems(scratch.config_file) == []


def test_the_repositorys_and_the_scaffolds_configs_pass() -> None:
    root = Path(__file__).resolve().parents[2]
    for config in (root / "mkdocs.yml", root / "branddocs" / "scaffold" / "project" / "mkdocs.yml", root / "manual" /
                   "mkdocs.yml"):  # fmt: skip
        if config.exists():
            assert config_problems(config) == [], config


def _merge_inherit(project: Project) -> int:
    """F2's shape: INHERIT reached through an anchor and a merge key; the inherited file's `!ENV` line."""
    (project.root / "inherited.yml").write_text('extra:\n  k: !ENV [ACME_CLOUD_API_KEY, ""]\n', encoding="utf-8")
    config = project.config_file.read_text(encoding="utf-8")
    config = config + "\nanchors: &x {INHERIT: inherited.yml}\n<<: *x\n"
    project.config_file.write_text(config, encoding="utf-8")
    return 2


def test_an_inherit_through_a_merge_key_is_followed_and_checked(scratch: Project, tmp_path: Path) -> None:
    line = _merge_inherit(scratch)
    [problem] = config_problems(scratch.config_file)
    assert problem.startswith(f"{scratch.root / 'inherited.yml'}:{line}: tag !ENV: expected one of BRAND")
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(tmp_path / "site"), cwd=scratch.root,
                          env={"ACME_CLOUD_API_KEY": KEY})  # fmt: skip
    assert built.returncode == 1
    assert f"{scratch.root / 'inherited.yml'}:{line}: tag !ENV" in built.stdout + built.stderr


def test_mkdocs_follows_an_inherit_through_a_merge_key(scratch: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    # The negative: MkDocs reads the inherited file (the old check looked only for a direct INHERIT key).
    from mkdocs.utils.yaml import get_yaml_loader, yaml_load

    _merge_inherit(scratch)
    monkeypatch.setenv("ACME_CLOUD_API_KEY", KEY)
    with scratch.config_file.open("rb") as config:
        assert yaml_load(config, get_yaml_loader())["extra"]["k"] == KEY


@pytest.mark.parametrize("how", ["a relative path", "a link inside the project"])
def test_an_inherited_file_outside_the_project_is_refused(scratch: Project, tmp_path: Path, how: str) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.yml"
    outside.write_text("extra:\n  k: outside\n", encoding="utf-8")
    if how == "a link inside the project":
        (scratch.root / "base.yml").symlink_to(outside)
        name = "base.yml"
    else:
        name = os.path.relpath(outside, scratch.root)
    scratch.config_file.write_text(f"INHERIT: {name}\n" + scratch.config_file.read_text(encoding="utf-8"))
    [problem] = config_problems(scratch.config_file)
    assert f"-> {outside}: expected a file inside the project" in problem
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(tmp_path / "site"), cwd=scratch.root)
    assert built.returncode == 1
    assert "expected a file inside the project" in built.stdout + built.stderr


def test_an_inherited_file_inside_the_project_is_read(scratch: Project) -> None:
    # The negative: INHERIT itself is allowed; a file inside the project passes.
    (scratch.root / "base.yml").write_text("extra:\n  k: inside\n", encoding="utf-8")
    scratch.config_file.write_text("INHERIT: base.yml\n" + scratch.config_file.read_text(encoding="utf-8"))
    assert config_problems(scratch.config_file) == []


COMMANDS = {"serve": ("serve", "--brand", "acme", "--dev-addr", "127.0.0.1:1"), "check": ("check", "--brand", "acme")}


@pytest.mark.parametrize("name", COMMANDS)
def test_serve_and_the_checks_collection_refuse_it_before_loading(scratch: Project, tmp_path: Path, name: str) -> None:
    # `serve` before it starts `mkdocs serve`; `check` when its pytest collects the examples (plugin/render.py).
    sentinel = tmp_path / "ran"
    line = _extra(scratch, TAGS["a long-form python tag"], sentinel)
    done = run_branddocs(*COMMANDS[name], cwd=scratch.root)
    assert done.returncode != 0
    assert f"mkdocs.yml:{line}: tag tag:yaml.org,2002:python/object/apply:os.system" in done.stdout + done.stderr
    assert not sentinel.exists()


def test_zensical_merges_the_inherit_chain_itself_and_never_hands_it_on(tmp_path: Path) -> None:
    """The red team's shape (attack7): `INHERIT: docs/inherit.md`, a page of YAML comments (config_check passes it)
    whose macros turn a comment into a `!!python/object/apply` line. Handed on, Zensical resolved it in the staging
    folder (the rendered page) with PyYAML's full loader, which ran it. Now the chain is merged from the project's
    own files as data (zensical._raw_config) and the generated config holds no INHERIT: the build passes, runs
    nothing, and the inherited value is in the merged config. The negative (run on the code before): the build ran
    the tag, and the sentinel file was made."""
    from branddocs.builder.engines.zensical import _raw_config

    from ..support.project import scratch_project

    project = scratch_project(tmp_path / "project")
    sentinel = tmp_path / "ran"
    (project.docs_dir / "inherit.md").write_text(
        '#{% filter replace("#!", "") %}\n'
        f'#!x_tag: !!python/object/apply:os.system ["touch {sentinel}"]\n'
        "#{% endfilter %}\nextra:\n  inherited_value: from-the-parent\n",
        encoding="utf-8",
    )
    project.config_file.write_text("INHERIT: docs/inherit.md\n" + project.config_file.read_text(encoding="utf-8"))
    merged = _raw_config(project.config_file)
    assert "INHERIT" not in merged
    assert merged["extra"]["inherited_value"] == "from-the-parent"
    site = tmp_path / "site"
    done = run_branddocs("build", "--engine", "zensical", "--brand", "acme", "--site-dir", str(site),
                         cwd=project.root)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert not sentinel.exists(), "a tag of the rendered page ran"


def test_serve_checks_the_config_at_every_load(tmp_path: Path) -> None:
    """`branddocs serve` runs MkDocs' serve through site/serve_child.py, whose `load_config` (what a live reload
    calls when mkdocs.yml changes) checks the file first: a python tag added while the preview runs is refused and
    runs nothing. The negative: MkDocs' own load_config, as a reload called it before, runs it."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import ConfigurationError

    from branddocs.site.serve_child import checked_loader

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# x\n", encoding="utf-8")
    sentinel = tmp_path / "ran"
    config = tmp_path / "mkdocs.yml"
    config.write_text(f'site_name: x\nx: !!python/object/apply:os.system ["touch {sentinel}"]\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"mkdocs\.yml:2: tag .*python/object/apply"):
        checked_loader(load_config)(config_file=str(config))
    assert not sentinel.exists()
    load_config(config_file=str(config))  # the negative
    assert sentinel.exists()
