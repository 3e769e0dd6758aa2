"""Brand values inside code: an allow-list grammar where they enter, inert wherever they land.

Mechanism (branddocs/text/grammar.py): each value that lands in code, a URL or an attribute is checked
character by character against its grammar when the brand file is loaded, and accepted only if every printer
leaves it unchanged (`text.printed_as_is`). The attacks of issue 29's table are refused naming the file, line and field;
the negatives show what the old check (`urlsplit`) let through and what bash then ran.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branddocs import text
from branddocs.brand import BrandError, load_brand
from branddocs.plugin.macros import as_text

from ..support.project import ROOT

MINIMAL = """\
user_name: Example Co
resource_dir_name: example-co
api:
  base_url: https://api.example-co.example/api/v1/ai
models: [meta-llama-3-8b-instruct]
"""
TABLE = {
    "shell commands after ;": "https://api.x.example/v1;IFS=,;x=touch,/tmp/p;$x;:",
    "a tab": "https://api.x.example/v1\t",
    "a newline and a command": "https://api.x.example/v1\nrm -rf ~",
    "a carriage return": "https://api.x.example/v1\rx",
    "U+202E": "https://api.x.example/v1\u202e",
    "a command substitution": "https://api.x.example/$(touch${IFS}/tmp/p)",
    "a backtick": "https://api.x.example/`id`",
    "a quote": "https://api.x.example/v1'",
    "a Markdown link": "https://x.example/)[IMPORTANT](https://phish.example/",
    "a space": "https://api.x.example/v 1",
    "a non-ASCII host": "https://\u0430pi.x.example/v1",  # a Cyrillic a
    "a user before the host": "https://user@api.x.example/v1",
    "a query": "https://api.x.example/v1?x=1&y=2",
}
GUIDE_CURL = 'curl --silent {{ base_url }}/chat/completions -H "Authorization: Bearer ${{ api_key_env }}"'


def _old_base_url_check(value: str) -> bool:
    """What the brand model accepted before the grammar (main at 2e52f41): `urlsplit`, which drops tabs and
    newlines before it looks."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query and not parts.fragment


def _brand_file(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / "x.yml"
    escaped = base_url.encode("unicode_escape").decode().replace('"', '\\"')
    path.write_text(MINIMAL.replace("https://api.example-co.example/api/v1/ai", f'"{escaped}"'), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", TABLE)
def test_each_hostile_url_is_refused_naming_file_line_and_field(tmp_path: Path, case: str) -> None:
    path = _brand_file(tmp_path, TABLE[case])
    expected = rf"^{re.escape(str(path))}:4: api\.base_url: expected an http:// or https:// URL"
    with pytest.raises(BrandError, match=expected):
        load_brand(path)


def test_the_old_check_let_the_shell_ones_through() -> None:
    # The negative: every value bash would run something from passed `urlsplit`.
    for case in ("shell commands after ;", "a tab", "a newline and a command", "a command substitution", "a quote"):
        assert _old_base_url_check(TABLE[case]), case


def _run_curl_line(line: str, tmp_path: Path) -> list[str]:
    """The words bash hands `curl` for one rendered line, with curl a function that prints them; any command the
    line runs besides curl runs for real (in tmp_path)."""
    script = "curl() { printf '%s\\0' \"$@\"; }\n" + line + "\n"
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, check=False)  # fmt: skip
    return done.stdout.split("\0")[:-1]


def _render(line: str, **values: str) -> str:
    """The guide's line rendered as the build renders it: through the macros' printer (as_text)."""
    return re.sub(r"\{\{ (\w+) \}\}", lambda m: as_text(values[m[1]]), line)


def test_a_checked_url_is_one_word_for_bash(tmp_path: Path) -> None:
    brand = load_brand(_brand_file(tmp_path, "http://llm.brightline.example:8080/openai/v1"))
    words = _run_curl_line(_render(GUIDE_CURL, base_url=brand.base_url, api_key_env=brand.key_env), tmp_path)
    assert words[1] == "http://llm.brightline.example:8080/openai/v1/chat/completions"
    assert len(words) == 4


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/v1", "http://localhost:8000/v1", "http://127.0.0.1/openai/v1"])
def test_a_platform_at_an_address_or_a_one_label_name_loads(tmp_path: Path, url: str) -> None:
    """A vLLM at `http://127.0.0.1:8000/v1` is an ordinary platform: its host is checked as part of the URL, which
    prints as written; alone, `127.0.0.1` would read as a Markdown list item's start (the printer escapes it)."""
    assert load_brand(_brand_file(tmp_path, url)).base_url == url
    assert text.markdown_text("127.0.0.1") != "127.0.0.1"  # the negative: the host alone is changed by a printer


def test_without_the_grammar_the_published_curl_runs_a_command(tmp_path: Path) -> None:
    # The negative: the table's value, printed as Markdown text (which leaves ; $ = , alone), runs touch in bash.
    hostile = TABLE["shell commands after ;"].replace("/tmp/p", str(tmp_path / "planted"))
    words = _run_curl_line(_render(GUIDE_CURL, base_url=hostile, api_key_env="X_API_KEY"), tmp_path)
    assert (tmp_path / "planted").exists()
    assert words[1] != hostile + "/chat/completions"


GRAMMARS = {
    "base URL": text.url,
    "model id": text.model_id,
    "variable name": text.env_name,
    "id": text.slug,
    "file name": text.file_name,
    "host name": text.host_name,
}


@given(st.sampled_from(sorted(GRAMMARS)), st.text(min_size=1, max_size=40))
def test_any_value_a_grammar_accepts_prints_unchanged_in_every_context(grammar: str, value: str) -> None:
    # The class, not the list: whatever passes a grammar is inert in each printer's context, or it is refused.
    candidates = [value, f"https://api.x.example/{value}", f"m{value}"]
    for candidate in candidates:
        try:
            token = GRAMMARS[grammar](candidate)
        except text.GrammarError:
            continue
        assert type(token) is str  # plain text: nothing downstream (a report, a YAML dump) meets a subclass
        for context, printer in text.CODE_PRINTERS.items():
            assert printer(token) == token, (context, token)


def test_a_value_that_a_printer_would_change_is_never_accepted() -> None:
    # The grammars' last check, the class's guard: a value some printer changes is refused.
    for value in ("a b", "a'b", "a;b", "_a", "a\tb", "<a>", "a&amp;b"):
        with pytest.raises(text.GrammarError, match="expected a value printed as is"):
            text.printed_as_is(value)


@pytest.mark.parametrize("brand_file", sorted((ROOT / "brands").glob("*.yml")), ids=lambda p: p.stem)
def test_the_projects_brands_pass_their_grammars(brand_file: Path) -> None:
    brand = load_brand(brand_file)
    code = [brand.base_url, brand.key_env, brand.id, brand.resource_dir_name, brand.default_model, *brand.models]
    assert all(text.printed_as_is(value) == value for value in code)


# --- the key variable: in the brand's namespace (F11) --------------------------------------------------------

FOREIGN_KEYS = ["GITHUB_TOKEN", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "EXAMPLE_COMPANY_KEY", "EXAMPLEX_CO_KEY"]


@pytest.mark.parametrize("key_env", FOREIGN_KEYS)
def test_a_key_variable_outside_the_brands_namespace_is_refused_at_its_line(tmp_path: Path, key_env: str) -> None:
    path = tmp_path / "example-co.yml"
    path.write_text(MINIMAL.replace("api:\n", f"api:\n  key_env: {key_env}\n"), encoding="utf-8")
    expected = (rf"^{re.escape(str(path))}:4: api\.key_env: expected a variable in this brand's namespace, starting "
                rf"EXAMPLE_CO_ \(.*; found '{key_env}'")  # fmt: skip
    with pytest.raises(BrandError, match=expected):
        load_brand(path)


@pytest.mark.parametrize("key_env", ["EXAMPLE_CO_TOKEN", "EXAMPLE_CO_API_KEY", "ACME_KEY"])
def test_a_key_variable_in_the_namespace_loads(tmp_path: Path, key_env: str) -> None:
    # The stem of the name (EXAMPLE_CO_) or the brand id in capitals (ACME_ for acme.yml).
    path = tmp_path / "acme.yml"
    path.write_text(MINIMAL.replace("api:\n", f"api:\n  key_env: {key_env}\n"), encoding="utf-8")
    assert load_brand(path).key_env == key_env


TENANTS_NAMED_INTO_A_SERVICE = {  # red team 7, R7-10: the namespace rule satisfied by the tenant's own choices
    "github.yml": ("GitHub Models Gateway", "  key_env: GITHUB_TOKEN\n", "'GITHUB_TOKEN', in GITHUB's namespace"),
    "openai.yml": ("OpenAI", "", "'OPENAI_API_KEY' (derived from user_name 'OpenAI'), in OPENAI's namespace"),
    "hf.yml": ("Models Inc", "  key_env: HF_TOKEN\n", "'HF_TOKEN', in HF's namespace"),
    "azure.yml": ("Azure OpenAI Gate", "", "'AZURE_OPENAI_GATE_API_KEY' (derived from user_name 'Azure OpenAI Gate')"),
}


@pytest.mark.parametrize("name", TENANTS_NAMED_INTO_A_SERVICE)
def test_a_key_variable_in_a_services_namespace_is_refused(tmp_path: Path, name: str) -> None:
    user_name, key_env, found = TENANTS_NAMED_INTO_A_SERVICE[name]
    path = tmp_path / name
    path.write_text(MINIMAL.replace("Example Co", user_name).replace("api:\n", f"api:\n{key_env}"), encoding="utf-8")
    with pytest.raises(BrandError, match=re.escape(f"api.key_env: expected a variable no other service's tools read; "
                                                   f"found {found}")):  # fmt: skip
        load_brand(path)
    # The negative: the namespace rule alone lets each through (the variable starts with the id's or the name's stem).
    from branddocs.brand.key_env import derive_key_env, namespace_problem

    variable = key_env.split(": ")[1].strip() if key_env else derive_key_env(user_name)
    assert namespace_problem(variable, path.stem, user_name) is None


def test_without_the_namespace_another_services_credential_was_taken() -> None:
    # The negative: the old rule was a variable name holding a secret word; each foreign name passes it.
    from branddocs.settings import SECRET_WORDS

    assert all(text.env_name(k) and any(w in k for w in SECRET_WORDS) for k in FOREIGN_KEYS)


# --- a URL's path: segments, never `//`, `.` or `..` -----------------------------------------------------------

PATHS = {
    "a scheme-relative path": "https://docs.x.example//evil.example/",
    "a doubled slash inside": "https://api.x.example/v1//x",
    "a dot-dot segment": "https://api.x.example/v1/../admin",
    "an encoded dot-dot segment": "https://api.x.example/v1/%2E%2e/admin",
    "a dot segment": "https://docs.x.example/./",
}


@pytest.mark.parametrize("case", PATHS)
def test_a_url_path_that_is_not_plain_segments_is_refused_at_its_line(tmp_path: Path, case: str) -> None:
    path = _brand_file(tmp_path, PATHS[case])
    with pytest.raises(BrandError, match=rf"^{re.escape(str(path))}:4: api\.base_url: expected .*segments"):
        load_brand(path)


def test_without_the_segment_rule_a_site_url_loads_another_sites_scripts() -> None:
    # The negative: the character grammar alone took `//evil.example/`; MkDocs' 404 page prints the site_url's path
    # before `/assets/...`, which a browser reads as another host's script.
    value = PATHS["a scheme-relative path"]
    assert re.fullmatch(r"https?://[A-Za-z0-9.-]+(/[A-Za-z0-9._:@%+/-]*)?", value)
    script = urljoin("https://docs.x.example/no-such-page/", urlsplit(value).path.rstrip("/") + "/assets/bundle.js")
    assert urlsplit(script).hostname == "evil.example"
    for url in ("https://docs.x.example/", "https://api.x.example/api/v1/ai", "http://127.0.0.1:8000/v1"):
        assert text.url(url) == url


# --- site_url into nginx.conf: one address per claim, as nginx tells them apart ----------------------------------


def _hosting(tmp_path: Path, urls: dict[str, str]):
    from branddocs.host.run import check_config

    from ..support.project import run_branddocs, scratch_project

    project = scratch_project(tmp_path / "project")
    for brand_id, url in urls.items():
        (tmp_path / "site" / brand_id).mkdir(parents=True)
        record = {"site_url": url, "base_url": f"https://api.{brand_id}.example/v1"}
        (tmp_path / "site" / brand_id / "platform.json").write_text(json.dumps(record), encoding="utf-8")
    out = tmp_path / "out"
    said = run_branddocs("host", "nginx", "--site-dir", str(tmp_path / "site"), "--listen", "127.0.0.1:8089",
                         "--out", str(out), cwd=project.root)  # fmt: skip
    return said, check_config(out)


def test_two_site_urls_that_differ_in_case_alone_are_one_claim(tmp_path: Path) -> None:
    """nginx's map compares without case: hosting both made a duplicate key, and nginx refused the whole config
    (every tenant's site down); neither is hosted, the other tenants are."""
    urls = {"acme": "https://docs.x.example/Guide/", "nebula": "https://docs.x.example/guide/",
            "brightline": "https://docs.brightline.example/"}  # fmt: skip
    said, nginx = _hosting(tmp_path, urls)
    assert said.returncode == 1
    assert (
        "acme: not hosted: site_url https://docs.x.example/Guide/ is also claimed by brands/nebula.yml" in said.stdout
    )
    assert "  brightline: https://docs.brightline.example/" in said.stdout
    assert nginx.returncode == 0, nginx.stderr


def test_the_negative_nginx_refuses_a_config_with_both(tmp_path: Path) -> None:
    # Both hosted, as the claims keyed on the path as written did: nginx refuses the whole config.
    from branddocs.host.addresses import site_address
    from branddocs.host.nginx import Layout, NginxOptions, render
    from branddocs.host.output import write_layout
    from branddocs.host.run import check_config
    from branddocs.host.tenants import Tenant

    (tmp_path / "site" / "acme").mkdir(parents=True)
    (tmp_path / "site" / "nebula").mkdir()
    urls = {"acme": "https://docs.x.example/Guide/", "nebula": "https://docs.x.example/guide/"}
    both = [Tenant(b, site_address(url), "https://api.x.example", tmp_path / "site" / b) for b, url in urls.items()]
    layout = Layout(tmp_path / "out")
    write_layout(layout, both, render(both, layout, NginxOptions("127.0.0.1:8089")))
    refused = check_config(layout.out)
    assert refused.returncode != 0
    assert "conflicting parameter" in refused.stderr
