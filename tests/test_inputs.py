"""Brand files and docs cannot escape their tenant (issue 16, items 4 and 5): YAML bombs and huge brand
files fail their own brand alone, image names are plain file names, no link or include reaches outside the
project or into another brand's folder, and the secret scan decodes what it publishes."""

from __future__ import annotations

import base64
import gzip
import html
import io
import json
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from branddocs.brand import MAX_BRAND_BYTES, BrandError, load_brand
from branddocs.site import Project, secrets_scan
from branddocs.site.secrets_scan import find, forbidden, scan_site

from .support.project import run_branddocs

pytestmark = pytest.mark.slow

SECRET = "sk-planted-c0ffee-5ecret-key-42"
LAUGHS = (
    'lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True))
    + "user_name: *i\n"
)
"""The "billion laughs": 9 levels of 9 aliases, about 600 bytes, 9^9 strings once expanded."""


def _build(
    project: Project, site: Path, *ids: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    brands = [arg for i in ids or ("acme",) for arg in ("--brand", i)]
    return run_branddocs("build", *brands, "--force", "--site-dir", str(site), cwd=project.root, env=env)


def _append(project: Project, page: str, text: str) -> None:
    with (project.docs_dir / page).open("a", encoding="utf-8") as file:
        file.write(text)


# --- brand files: size, anchors and aliases, depth ---------------------------------------------------------


def test_a_billion_laughs_fails_at_once_naming_file_and_line(tmp_path: Path) -> None:
    assert len(LAUGHS) < 700
    bomb = tmp_path / "bomb.yml"
    bomb.write_text(LAUGHS)
    start = time.perf_counter()
    with pytest.raises(BrandError) as caught:
        load_brand(bomb)
    assert time.perf_counter() - start < 1
    assert f"{bomb}:1: expected plain values, found a YAML anchor or alias (&a)" in str(caught.value)


def test_without_the_guard_the_same_aliases_expand() -> None:
    # The negative: PyYAML alone builds every alias; 5 levels (9^5 strings) instead of 9 to stay small.
    small = "\n".join(LAUGHS.splitlines()[:5]) + "\nuser_name: *e\n"
    data = yaml.safe_load(small)
    flat = data["user_name"]
    for _ in range(4):
        flat = [x for item in flat for x in item]
    assert len(flat) == 9**5


def test_check_brands_refuses_a_bomb_in_little_memory(scratch: Project) -> None:
    (scratch.brands_dir / "bomb.yml").write_text(LAUGHS)
    limit = 2 * 1024**3  # 2 GB of address space: the unguarded loader grew to 11 GB
    done = subprocess.run(
        [str(Path(sys.executable).parent / "branddocs"), "check-brands"],
        cwd=scratch.root, capture_output=True, text=True, timeout=60, check=False,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)),
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "bomb.yml:1: expected plain values, found a YAML anchor or alias" in done.stderr
    assert "3 ok, 1 with errors" in done.stdout


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yml"
    deep.write_text("user_name: " + "[" * 50 + "]" * 50 + "\n")
    with pytest.raises(BrandError, match=r"deep.yml:1: expected at most 20 nested levels"):
        load_brand(deep)


def test_a_huge_brand_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yml"
    with huge.open("w") as file:
        file.write("user_name: Huge\n")
        file.truncate(50 * 1024 * 1024)  # 50 MB
    start = time.perf_counter()
    with pytest.raises(
        BrandError, match=rf"huge.yml: expected a brand file of at most {MAX_BRAND_BYTES} bytes, found 52428800"
    ):
        load_brand(huge)
    assert time.perf_counter() - start < 0.5


def test_one_bad_brand_file_fails_that_brand_alone(scratch: Project, tmp_path: Path) -> None:
    (scratch.brands_dir / "bomb.yml").write_text(LAUGHS)
    with (scratch.brands_dir / "huge.yml").open("w") as file:
        file.write("user_name: Huge\n")
        file.truncate(50 * 1024 * 1024)
    built = _build(scratch, tmp_path / "site", "acme", "nebula", "bomb", "huge")
    assert built.returncode == 1
    assert "2 built, 0 up to date, 2 failed" in built.stdout, built.stdout + built.stderr
    assert (tmp_path / "site" / "acme" / "index.html").is_file()
    assert (tmp_path / "site" / "nebula" / "index.html").is_file()
    assert "bomb.yml:1: expected plain values" in built.stdout + built.stderr


def test_the_secret_scan_reads_no_brand_file(scratch: Project) -> None:
    # Every brand's key variable holds a secret word, so the scan needs only the environment.
    (scratch.brands_dir / "bomb.yml").write_text(LAUGHS)
    (scratch.brands_dir / "unreadable.yml").mkdir()
    found = forbidden(scratch.root, {"NEBULA_AI_API_KEY": SECRET, "BRIGHTLINE_TOKEN": SECRET + "2"})
    assert "the value of $NEBULA_AI_API_KEY (an API key)" in found
    assert "the value of $BRIGHTLINE_TOKEN (a secret)" in found


def test_a_key_variable_must_be_named_as_a_secret(tmp_path: Path) -> None:
    brand = tmp_path / "odd.yml"
    brand.write_text("user_name: Odd\nresource_dir_name: odd\napi:\n  base_url: https://a.example/v1\n"
                     "  key_env: ODD_AUTH\nmodels: [m]\n")  # fmt: skip
    with pytest.raises(BrandError, match=r"odd.yml:5: api.key_env: expected a name holding one of KEY, TOKEN"):
        load_brand(brand)
    brand.write_text(brand.read_text().replace("ODD_AUTH", "ODD_AUTH_TOKEN"))
    assert load_brand(brand).key_env == "ODD_AUTH_TOKEN"


# --- image and logo names ----------------------------------------------------------------------------------

XSS = 'x"><svg onload=alert(13)>.svg'


@pytest.mark.parametrize("field", ["logo", "favicon"])
def test_check_brands_refuses_markup_in_an_image_name(scratch: Project, field: str) -> None:
    path = scratch.brands_dir / "acme.yml"
    text = path.read_text().replace("  logo: logo.svg\n", f"  {field}: '{XSS}'\n")
    path.write_text(text)
    (scratch.docs_dir / "images" / "acme" / XSS).write_text("<svg/>")  # such a file present
    done = run_branddocs("check-brands", cwd=scratch.root)
    assert done.returncode == 1
    line = text.splitlines().index(f"  {field}: '{XSS}'") + 1
    assert f"acme.yml:{line}: theme.{field}: expected a file name inside the brand's image folder" in done.stderr
    assert "pattern ^[A-Za-z0-9][A-Za-z0-9._-]*$" in done.stderr
    assert f"found {XSS!r}" in done.stderr
    built = _build(scratch, scratch.root / "out")
    assert built.returncode == 1
    assert not (scratch.root / "out" / "acme").exists()


def test_a_plain_image_name_is_accepted_and_printed_as_is(scratch: Project, tmp_path: Path) -> None:
    # The negative of the test above: the pattern lets real names through, and the escaping changes none.
    path = scratch.brands_dir / "acme.yml"
    path.write_text(path.read_text().replace("logo: logo.svg", "logo: Logo_v2.1-dark.svg"))
    (scratch.docs_dir / "images" / "acme" / "Logo_v2.1-dark.svg").write_text("<svg/>")
    built = _build(scratch, tmp_path)
    assert built.returncode == 0, built.stderr
    page = (tmp_path / "acme" / "index.html").read_text()
    assert 'src="images/acme/Logo_v2.1-dark.svg"' in page
    assert quote("Logo_v2.1-dark.svg") == "Logo_v2.1-dark.svg"


# --- symbolic links ----------------------------------------------------------------------------------------


def _link(link: Path, target: str | Path) -> None:
    if link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(target)


LINKS = {
    "an image to a system file": ("images/acme/endpoint.png", "/etc/passwd"),
    "a page to a file outside the project": ("index.md", "OUTSIDE"),
    "an image to another brand's": ("images/acme/endpoint.png", "../nebula-ai/endpoint.png"),
    "a folder to another brand's pages": ("brands/acme", "../brands/yushan"),
    "a stylesheet to a brand file": ("stylesheets/extra.css", "../../brands/nebula.yml"),
}


@pytest.mark.parametrize("case", LINKS)
def test_links_out_of_the_brand_fail_check_brands_and_the_build(scratch: Project, tmp_path: Path, case: str) -> None:
    where, target = LINKS[case]
    outside = tmp_path.parent / f"{tmp_path.name}-outside.md"
    outside.write_text("# Outside\n\nNot this project's.\n")
    target = str(outside) if target == "OUTSIDE" else target
    (scratch.docs_dir / where).parent.mkdir(parents=True, exist_ok=True)
    _link(scratch.docs_dir / where, target)
    shown = os.path.realpath(scratch.docs_dir / where)
    checked = run_branddocs("check-brands", cwd=scratch.root)
    assert checked.returncode == 1
    assert f"brand 'acme': symbolic link {scratch.docs_dir / where} -> {shown}" in checked.stderr
    built = _build(scratch, tmp_path / "site", "acme", "nebula")
    assert built.returncode == 1
    assert f"symbolic link {scratch.docs_dir / where} -> {shown}" in built.stdout + built.stderr
    assert not (tmp_path / "site" / "acme").exists()
    assert "root:x:0:0" not in "".join(
        p.read_text(errors="replace") for p in (tmp_path / "site").rglob("*") if p.is_file()
    )


def test_links_in_overrides_and_brands_are_checked(scratch: Project, tmp_path: Path) -> None:
    _link(scratch.root / "overrides" / "partials" / "extra.html", "/etc/passwd")
    assert run_branddocs("check-brands", cwd=scratch.root).returncode == 1
    (scratch.root / "overrides" / "partials" / "extra.html").unlink()
    _link(scratch.brands_dir / "acme.yml", scratch.brands_dir / "nebula.yml")
    done = run_branddocs("check-brands", cwd=scratch.root)
    assert done.returncode == 1
    assert f"symbolic link {scratch.brands_dir / 'acme.yml'} -> {scratch.brands_dir / 'nebula.yml'}" in done.stderr


def test_a_link_to_a_shared_or_own_file_is_published(scratch: Project, tmp_path: Path) -> None:
    # The negative: links that stay inside the brand's own files build, so the guard is what refuses the others.
    _link(scratch.docs_dir / "images" / "acme" / "screen.png", "endpoint.png")
    _link(scratch.docs_dir / "stylesheets" / "alias.css", "branddocs.css")
    checked = run_branddocs("check-brands", "brands/acme.yml", cwd=scratch.root)
    assert checked.returncode == 0, checked.stderr
    built = _build(scratch, tmp_path)
    assert built.returncode == 0, built.stderr
    published = tmp_path / "acme" / "images" / "acme" / "screen.png"
    assert published.is_file()
    assert not published.is_symlink()


# --- includes ----------------------------------------------------------------------------------------------

INCLUDES = {
    "another brand's image": "{% include 'images/nebula-ai/logo.svg' %}",
    "another brand's page": "{% include 'brands/yushan/index.md' %}",
    "an import of another brand's page": "{% import 'brands/yushan/index.md' as other %}",
    "a from-import of another brand's page": "{% from 'brands/yushan/index.md' import x %}",
    "an absolute path": "{% include '/etc/passwd' %}",
    "a dot-dot path": "{% include 'images/acme/../nebula-ai/logo.svg' %}",
}


@pytest.mark.parametrize("case", INCLUDES)
def test_includes_of_other_brands_files_fail_naming_page_and_include(
    scratch: Project, tmp_path: Path, case: str
) -> None:
    include = INCLUDES[case]
    _append(scratch, "index.md", f"\n{include}\n")
    built = _build(scratch, tmp_path)
    assert built.returncode == 1
    name = include.split("'")[1]
    assert f"index.md: include of {name!r} refused" in built.stdout + built.stderr
    assert not (tmp_path / "acme").exists()


def test_includes_of_shared_and_own_files_work(scratch: Project, tmp_path: Path) -> None:
    # The negative: the loader still serves what a brand may include.
    (scratch.docs_dir / "snippet.txt").write_text("Shared snippet text.\n")
    _append(scratch, "index.md", "\n{% include 'snippet.txt' %}\n\n{% include 'images/acme/logo.svg' %}\n")
    built = _build(scratch, tmp_path)
    assert built.returncode == 0, built.stderr
    page = (tmp_path / "acme" / "index.html").read_text()
    assert "Shared snippet text." in page


# --- the secret scan decodes -------------------------------------------------------------------------------


def _zip(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


ENCODED = {
    "HTML entities in an attribute": f'<a title="{"".join(f"&#{ord(c)};" for c in SECRET)}">x</a>',
    "hex entities": "".join(f"&#x{ord(c):x};" for c in SECRET),
    "split by a zero-width space": SECRET[:10] + "\u200b" + SECRET[10:],
    "split by a soft hyphen and a BOM": SECRET[:5] + "\u00ad" + SECRET[5:15] + "\ufeff" + SECRET[15:],
    "percent-encoded": "".join(f"%{b:02X}" for b in SECRET.encode()),
    "base64": base64.b64encode(SECRET.encode()).decode(),
    "base64url in a longer run": base64.urlsafe_b64encode(b"\xfb\xff" + SECRET.encode() + b"?>").decode(),
}


@pytest.mark.parametrize("case", ENCODED)
def test_an_encoded_key_in_a_page_fails_the_build_without_printing_it(
    scratch: Project, tmp_path: Path, case: str
) -> None:
    _append(scratch, "index.md", f"\n\n<div markdown>{ENCODED[case]}</div>\n")
    built = _build(scratch, tmp_path, env={"OPENAI_API_KEY": SECRET})
    assert built.returncode == 1
    assert "the value of $OPENAI_API_KEY (an API key) appears" in built.stderr
    assert SECRET not in built.stdout + built.stderr
    assert not (tmp_path / "acme").exists()


@pytest.mark.parametrize("case", ENCODED)
def test_the_raw_forms_alone_miss_each_encoding(case: str) -> None:
    # The negative: the scan before decoding (raw, HTML-escaped, JSON-escaped) let each of these through.
    data = ENCODED[case].encode()
    before = {SECRET, html.escape(SECRET), json.dumps(SECRET)[1:-1]}
    assert not any(form.encode() in data for form in before)
    assert find(data, {"key": SECRET}) == ["key"]


@pytest.mark.parametrize(
    ("name", "content"),
    [("images/acme/bundle.zip", _zip("notes.txt", f"key={SECRET}".encode())),
     ("images/acme/mark.svgz", gzip.compress(f"<svg><desc>{SECRET}</desc></svg>".encode())),
     ("images/acme/nested.zip", _zip("inner.gz", gzip.compress(f"key={SECRET}".encode())))],
    ids=["zip", "svgz", "gz in a zip"],
)  # fmt: skip
def test_a_key_inside_a_published_archive_fails_the_build(
    scratch: Project, tmp_path: Path, name: str, content: bytes
) -> None:
    (scratch.docs_dir / name).write_bytes(content)
    built = _build(scratch, tmp_path, env={"OPENAI_API_KEY": SECRET})
    assert built.returncode == 1
    assert f"{name}: the value of $OPENAI_API_KEY (an API key) appears in this file" in built.stderr
    assert SECRET not in built.stdout + built.stderr
    assert not (tmp_path / "acme").exists()


def test_archives_without_a_key_are_published_and_bombs_refused(tmp_path: Path) -> None:
    (tmp_path / "ok.zip").write_bytes(_zip("a.txt", b"nothing to see"))
    (tmp_path / "ok.svgz").write_bytes(gzip.compress(b"<svg/>"))
    (tmp_path / "bomb.gz").write_bytes(gzip.compress(b"\0" * (secrets_scan.MAX_UNPACKED + 1)))
    assert scan_site(tmp_path, {"key": SECRET}) == [
        ("bomb.gz", f"an archive that cannot be scanned (unpacks to more than {secrets_scan.MAX_UNPACKED} bytes)")
    ]


def test_decoding_finds_no_key_in_ordinary_sites(built_sites: dict[str, Path]) -> None:
    # No false alarm: the demo sites hold long base64 and percent-encoded runs, and no planted value.
    for site in built_sites.values():
        assert scan_site(site, {"key": SECRET}) == []


def test_image_names_are_escaped_where_material_prints_them(scratch: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    # Defence in depth, for a name that got past the model (model_copy skips validation).
    from mkdocs.config import load_config
    from mkdocs.utils.templates import url_filter

    from branddocs.plugin import plugin

    brand = scratch.brand("acme")
    bad = brand.model_copy(update={"theme": brand.theme.model_copy(update={"logo": XSS})})
    monkeypatch.setenv("BRAND", "acme")
    monkeypatch.setattr(plugin, "brand_for_build", lambda *_: bad)
    config = load_config(str(scratch.config_file))
    config = config.plugins["branddocs"].on_config(config)
    env = config.theme.get_env()
    env.filters["url"] = url_filter
    logo = env.get_template("partials/logo.html")
    printed = logo.render(config=config, base_url=".", page=None)
    assert 'src="./images/acme/x%22%3E%3Csvg%20onload%3Dalert%2813%29%3E.svg"' in printed
    assert "<svg" not in printed
    # The negative: Material prints the name as it is given.
    config.theme["logo"] = f"images/acme/{XSS}"
    assert "<svg onload=alert(13)>" in logo.render(config=config, base_url=".", page=None)
