"""Builds hold no secrets: none in a build's environment, no `!ENV` of one in its configuration.

Mechanism (branddocs/site/no_secrets.py): `build`, `serve` and `diff` withdraw every secret-named variable
(branddocs.settings.is_secret_name, the one rule) from their environment before the configuration is loaded,
and the plugin again for a plain `mkdocs build`; `!ENV` of a secret-named variable in mkdocs.yml or a file it
INHERITs is refused naming the file and line. The published-site scan stays the last line. Negative: with the
refusal off, a key reaches the site in a form the scan does not look for.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from branddocs.examples.proxy import process as proxy_process
from branddocs.settings import is_secret_name, without_secrets
from branddocs.site import Project, no_secrets
from branddocs.site.secrets_scan import forbidden, scan_site

from ..conftest import BIN, run_branddocs

KEY = "sk-branddocs-config-0123456789abcdef"
FILTERS = {
    "reverse": "config.extra.k | reverse",
    "upper": "config.extra.k | upper",
    "join": 'config.extra.k | join(" ")',
    "replace": 'config.extra.k | replace("sk", "xx")',
    "two slices": 'config.extra.k[:9] ~ "--" ~ config.extra.k[9:]',
}


def _leak(project: Project, expression: str, config_line: str = '  k: !ENV [ACME_CLOUD_API_KEY, ""]') -> int:
    """Add `extra: {k: ...}` to mkdocs.yml and `{{ expression }}` to a page; the 1-based line of the `k:` key."""
    config = project.config_file.read_text(encoding="utf-8").rstrip("\n") + "\n\nextra:\n" + config_line + "\n"
    project.config_file.write_text(config, encoding="utf-8")
    with (project.docs_dir / "index.md").open("a", encoding="utf-8") as page:
        page.write(f"\nThe value: {{{{ {expression} }}}}\n")
    return config.count("\n")


@pytest.mark.parametrize("case", FILTERS)
def test_env_of_a_secret_in_the_config_is_refused_naming_the_line(scratch: Project, tmp_path: Path, case: str) -> None:
    line = _leak(scratch, FILTERS[case])
    site = tmp_path / "site"
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root,
                          env={"ACME_CLOUD_API_KEY": KEY})  # fmt: skip
    assert built.returncode == 1
    assert f"{scratch.config_file}:{line}: !ENV ACME_CLOUD_API_KEY: expected no secret" in built.stdout + built.stderr
    assert not (site / "acme").exists()


def test_plain_mkdocs_refuses_it_too_even_unset(scratch: Project, tmp_path: Path) -> None:
    line = _leak(scratch, FILTERS["reverse"])
    env = {k: v for k, v in os.environ.items() if k != "ACME_CLOUD_API_KEY"}
    import subprocess

    done = subprocess.run([str(BIN / "mkdocs"), "build", "-d", str(tmp_path / "site")], cwd=scratch.root,
                          env={**env, "BRAND": "acme", "NO_MKDOCS_2_WARNING": "1"}, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 1
    assert f"mkdocs.yml:{line}: !ENV ACME_CLOUD_API_KEY" in done.stderr


def test_an_inherited_config_is_read_too(scratch: Project, tmp_path: Path) -> None:
    (scratch.root / "base.yml").write_text("extra:\n  token: !ENV GH_TOKEN\n", encoding="utf-8")
    config = "INHERIT: base.yml\n" + scratch.config_file.read_text(encoding="utf-8")
    scratch.config_file.write_text(config, encoding="utf-8")
    assert no_secrets.secret_env_tags(scratch.config_file) == [
        f"{scratch.root / 'base.yml'}:2: !ENV GH_TOKEN: expected no secret in the site's configuration, found a "
        "secret-named variable (builds hold no secrets: its value would be published through config.extra or a "
        "template)"
    ]


def test_env_of_a_plain_variable_still_builds(scratch: Project, tmp_path: Path) -> None:
    _leak(scratch, "config.extra.k", '  k: !ENV [SITE_MOTTO, "no motto"]')
    site = tmp_path / "site"
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root,
                          env={"SITE_MOTTO": "Plain words"})  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    assert "The value: Plain words" in (site / "acme" / "index.md").read_text(encoding="utf-8")


def test_without_the_refusal_the_key_is_published_and_the_scan_misses_it(
    scratch: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jieba_compiled: None
) -> None:
    # The negative: the same config and page, built in this process with secret_env_tags switched off.
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    _leak(scratch, FILTERS["reverse"])
    monkeypatch.setattr(no_secrets, "secret_env_tags", lambda _: [])
    monkeypatch.setenv("ACME_CLOUD_API_KEY", KEY)
    monkeypatch.setenv("BRAND", "acme")
    monkeypatch.setattr(no_secrets, "_withdrawn", {})
    build(load_config(str(scratch.config_file), site_dir=str(tmp_path / "site")))
    site = tmp_path / "site" / "acme"  # the scratch project is tmp_path: its site/ holds a folder per brand
    assert KEY[::-1] in (site / "index.md").read_text(encoding="utf-8")
    assert scan_site(site, forbidden(scratch.root, {"ACME_CLOUD_API_KEY": KEY})) == []


def test_a_macro_finds_no_secret_in_the_environment(scratch: Project, tmp_path: Path) -> None:
    seen = tmp_path / "seen.txt"
    macros = scratch.root / "macros" / "__init__.py"
    macros.write_text(
        macros.read_text(encoding="utf-8") + f"\n\nimport os as _os\n_old = define_env\n\n\ndef define_env(env):\n"
        f"    open({str(seen)!r}, 'w').write(' '.join(sorted(_os.environ)))\n    _old(env)\n",
        encoding="utf-8",
    )
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(tmp_path / "site"), cwd=scratch.root,
                          env={"ACME_CLOUD_API_KEY": KEY, "GH_TOKEN": KEY, "SITE_MOTTO": "x"})  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    names = seen.read_text(encoding="utf-8").split()
    assert "SITE_MOTTO" in names
    assert [n for n in names if is_secret_name(n)] == []


def test_a_hook_finds_no_secret_while_the_config_loads(scratch: Project, tmp_path: Path) -> None:
    # MkDocs runs a hook module's top-level code while it loads mkdocs.yml, before any plugin's on_config:
    # `branddocs build` withdraws the secrets before that.
    seen = tmp_path / "seen.txt"
    (scratch.root / "hook.py").write_text(
        f"import os\nopen({str(seen)!r}, 'w').write(' '.join(sorted(os.environ)))\n", encoding="utf-8"
    )
    config = scratch.config_file.read_text(encoding="utf-8") + "\nhooks:\n  - hook.py\n"
    scratch.config_file.write_text(config, encoding="utf-8")
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(tmp_path / "site"), cwd=scratch.root,
                          env={"ACME_CLOUD_API_KEY": KEY, "GH_TOKEN": KEY, "SITE_MOTTO": "x"})  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    names = seen.read_text(encoding="utf-8").split()
    assert "SITE_MOTTO" in names
    assert [n for n in names if is_secret_name(n)] == []


def test_the_scan_still_knows_the_withdrawn_values(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(no_secrets, "_withdrawn", {})
    environ = {"ACME_CLOUD_API_KEY": KEY, "HOME": "/home/x"}
    no_secrets.withdraw_secrets(environ)
    assert environ == {"HOME": "/home/x"}
    assert no_secrets.withdrawn_secrets() == {"ACME_CLOUD_API_KEY": KEY}


def test_one_rule_for_what_is_a_secret() -> None:
    assert proxy_process.without_secrets is without_secrets
    assert without_secrets({"OPENAI_API_KEY": "x", "BRANDDOCS_API_KEY": "y", "GH_TOKEN": "z", "PATH": "/bin"}) == {
        "PATH": "/bin"
    }
