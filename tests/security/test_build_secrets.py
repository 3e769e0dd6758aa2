"""Builds hold no secrets: an allow-listed environment, and `!ENV` of allow-listed names only.

Mechanism (branddocs/site/build_env.py): `build`, `serve` and `diff` keep only the variables a build may see
(`is_build_variable`: PATH, HOME, the locale, BRAND, branddocs' non-secret settings, ...) and start themselves
again (execve) with that environment before the configuration is loaded, so /proc/self/environ holds nothing
else either; the plugin filters again for a plain `mkdocs build`; `!ENV` of any other name in mkdocs.yml or a file
it INHERITs is refused naming the file and line (branddocs/site/config_check.py). The secret values are handed
to the new process for the published-site scan, the last line. Negatives: with the refusal off, a key reaches
the site in a form the scan does not look for; the old deny-list let HTTPS_PROXY and DATABASE_URL through.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from branddocs.examples.proxy import process as proxy_process
from branddocs.settings import is_secret_name, without_secrets
from branddocs.site import Project, build_env, config_check
from branddocs.site.secrets_scan import forbidden, scan_site

from ..support.project import BIN, run_branddocs

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
    assert f"{scratch.config_file}:{line}: tag !ENV: expected one of BRAND" in built.stdout + built.stderr
    assert "found ACME_CLOUD_API_KEY" in built.stdout + built.stderr
    assert not (site / "acme").exists()


def test_plain_mkdocs_refuses_it_too_even_unset(scratch: Project, tmp_path: Path) -> None:
    line = _leak(scratch, FILTERS["reverse"])
    env = {k: v for k, v in os.environ.items() if k != "ACME_CLOUD_API_KEY"}
    import subprocess

    done = subprocess.run([str(BIN / "mkdocs"), "build", "-d", str(tmp_path / "site")], cwd=scratch.root,
                          env={**env, "BRAND": "acme", "NO_MKDOCS_2_WARNING": "1"}, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 1
    assert f"mkdocs.yml:{line}: tag !ENV: expected one of BRAND" in done.stderr


def test_an_inherited_config_is_read_too(scratch: Project, tmp_path: Path) -> None:
    (scratch.root / "base.yml").write_text("extra:\n  token: !ENV GH_TOKEN\n", encoding="utf-8")
    config = "INHERIT: base.yml\n" + scratch.config_file.read_text(encoding="utf-8")
    scratch.config_file.write_text(config, encoding="utf-8")
    [problem] = config_check.config_problems(scratch.config_file)
    assert problem.startswith(f"{scratch.root / 'base.yml'}:2: tag !ENV: expected one of BRAND (")
    assert problem.endswith("found GH_TOKEN")


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "DATABASE_URL", "SITE_MOTTO", "SSH_AUTH_SOCK"])
def test_env_of_any_name_outside_the_allow_list_is_refused(scratch: Project, tmp_path: Path, name: str) -> None:
    # Not secret-named, so the old deny-list let each through: the allow-list is what refuses them.
    assert not is_secret_name(name)
    line = _leak(scratch, "config.extra.k", f'  k: !ENV [{name}, ""]')
    site = tmp_path / "site"
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root,
                          env={name: "http://user:hunter2-password@proxy.example:3128"})  # fmt: skip
    assert built.returncode == 1
    assert f"{scratch.config_file}:{line}: tag !ENV: expected one of BRAND" in built.stdout + built.stderr
    assert not (site / "acme").exists()


def test_env_of_an_allowed_name_still_builds(scratch: Project, tmp_path: Path) -> None:
    # The negative: the tag itself is allowed; BRAND is a name a build may publish.
    _leak(scratch, "config.extra.k", '  k: !ENV [BRAND, "no brand"]')
    site = tmp_path / "site"
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root,
                          env={"BRAND": "acme"})  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    assert "The value: acme" in (site / "acme" / "index.md").read_text(encoding="utf-8")


def test_without_the_refusal_the_key_is_published_and_the_scan_misses_it(
    scratch: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jieba_compiled: None
) -> None:
    # The negative: the same config and page, built in this process with the tag check and the filter switched off.
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from branddocs.plugin import plugin

    _leak(scratch, FILTERS["reverse"])
    monkeypatch.setattr(plugin, "config_problems", lambda *_: [])
    monkeypatch.setattr(build_env, "enter", lambda *_, **__: None)
    monkeypatch.setenv("ACME_CLOUD_API_KEY", KEY)
    monkeypatch.setenv("BRAND", "acme")
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
    assert "PATH" in names
    assert [n for n in names if not build_env.is_build_variable(n)] == []


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
    assert "PATH" in names
    assert [n for n in names if not build_env.is_build_variable(n)] == []


def test_the_process_environment_holds_only_allowed_names_and_the_scan_keeps_the_values(
    scratch: Project, tmp_path: Path
) -> None:
    # /proc/self/environ keeps what a process started with, whatever os.environ says later: a hook reading it
    # (as `linecache.getlines` in a tag or a file include would) finds only allowed names, because the build is a
    # process started again with them; and the scan of that process still knows the key's value.
    seen = tmp_path / "seen.txt"
    (scratch.root / "hook.py").write_text(
        "import hashlib\nfrom branddocs.site import build_env\n"
        "environ = open('/proc/self/environ', 'rb').read().split(b'\\0')\n"
        "names = sorted(item.split(b'=', 1)[0].decode() for item in environ if item)\n"
        "kept = build_env.withdrawn_secrets().get('ACME_CLOUD_API_KEY', '')\n"
        f"open({str(seen)!r}, 'w').write(hashlib.sha256(kept.encode()).hexdigest() + ' ' + ' '.join(names))\n",
        encoding="utf-8",
    )
    config = scratch.config_file.read_text(encoding="utf-8") + "\nhooks:\n  - hook.py\n"
    scratch.config_file.write_text(config, encoding="utf-8")
    shell = {"ACME_CLOUD_API_KEY": KEY, "HTTPS_PROXY": "http://u:hunter2@proxy.example", "SSH_AUTH_SOCK": "/x"}
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(tmp_path / "site"), cwd=scratch.root,
                          env=shell)  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    digest, *names = seen.read_text(encoding="utf-8").split()
    assert "PATH" in names
    assert [n for n in names if not build_env.is_build_variable(n)] == []
    import hashlib

    assert digest == hashlib.sha256(KEY.encode()).hexdigest()


def test_filtering_os_environ_alone_leaves_proc_self_environ(tmp_path: Path) -> None:
    # The negative: `enter` without starting again empties os.environ of the names, but /proc/self/environ,
    # what a file read sees, still holds them.
    import subprocess
    import sys

    code = (
        "import os\nfrom branddocs.site import build_env\nbuild_env.enter()\n"
        "print('HTTPS_PROXY' in os.environ, b'HTTPS_PROXY=' in open('/proc/self/environ', 'rb').read())"
    )
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "HTTPS_PROXY": "http://u:p@x.example"},
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert done.stdout.split() == ["False", "True"]


def test_the_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_env, "_withdrawn", {})
    environ = {"ACME_CLOUD_API_KEY": KEY, "HOME": "/home/x", "HTTPS_PROXY": "http://u:p@x.example", "LC_ALL": "C",
               "DATABASE_URL": "postgres://u:p@db.example/x", "BRAND": "acme", "BRANDDOCS_ROOT": "/p"}  # fmt: skip
    build_env.enter(environ)
    assert environ == {"HOME": "/home/x", "LC_ALL": "C", "BRAND": "acme", "BRANDDOCS_ROOT": "/p"}
    assert build_env.withdrawn_secrets() == {"ACME_CLOUD_API_KEY": KEY}
    assert not build_env.is_build_variable("BRANDDOCS_API_KEY")  # a setting, but a secret one


def test_one_rule_for_what_is_a_secret() -> None:
    assert proxy_process.without_secrets is without_secrets
    assert without_secrets({"OPENAI_API_KEY": "x", "BRANDDOCS_API_KEY": "y", "GH_TOKEN": "z", "PATH": "/bin"}) == {
        "PATH": "/bin"
    }


SETTINGS_IN_PAGES = {
    "the endpoint under test, with a password": ("BRANDDOCS_ENDPOINT", "https://ci:PLATFORM-PASSWORD-7f3@llm.internal/v1"),
    "the proxy's control token": ("BRANDDOCS_PROXY", '{"token": "CONTROL-TOKEN-0f9e8d7c"}'),
    "a local path": ("BRANDDOCS_NODE_MODULES", "/home/someone/private-project/node_modules"),
}  # fmt: skip


@pytest.mark.parametrize("case", SETTINGS_IN_PAGES)
def test_env_of_a_branddocs_setting_is_refused_too(scratch: Project, tmp_path: Path, case: str) -> None:
    """Not secret-named, and each a setting of branddocs': `!ENV` names only what a site may publish (BRAND)."""
    name, value = SETTINGS_IN_PAGES[case]
    line = _leak(scratch, 'config.extra.k | replace("@", " at ")', f'  k: !ENV [{name}, ""]')
    site = tmp_path / "site"
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root, env={name: value})
    assert built.returncode == 1
    assert f"{scratch.config_file}:{line}: tag !ENV: expected one of BRAND (" in built.stdout + built.stderr
    assert not (site / "acme").exists()


def test_the_old_allow_list_took_every_setting_that_is_not_secret() -> None:
    # The negative: "BRAND and branddocs' non-secret settings", the rule before, lists each of them, and none is
    # secret-named, so the published-site scan does not look for its value either.
    from branddocs.settings import BRAND, SETTINGS

    old = {BRAND.name} | {s.name for s in SETTINGS if not s.secret}
    for name, _ in SETTINGS_IN_PAGES.values():
        assert name in old
        assert not is_secret_name(name)
