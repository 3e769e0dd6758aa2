"""`branddocs host nginx`'s config: brand values checked before they reach it, and a thousand brands in one map.

Serving is tested against real nginx in tests/test_hosting.py; here the config itself, checked with `nginx -t`.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from branddocs.host import nginx as nginx_module
from branddocs.host.addresses import AddressError, origin_of, site_address
from branddocs.host.nginx import Layout, NginxOptions, render
from branddocs.host.output import write_layout
from branddocs.host.run import check_config
from branddocs.host.tenants import Tenant, find_tenants
from branddocs.site import Project

from .support.hosting import readable_folder
from .support.project import run_branddocs, scratch_project

GOOD = {
    "https://docs.acme.example/": ("docs.acme.example", "/"),
    "https://Docs.ACME.example": ("docs.acme.example", "/"),
    "https://docs.zoe.example/guide": ("docs.zoe.example", "/guide/"),
    "https://docs.zoe.example:8443/guide/v1/": ("docs.zoe.example", "/guide/v1/"),
    "http://127.0.0.1:8080/a_b.c~d-e/": ("127.0.0.1", "/a_b.c~d-e/"),
}
HOSTILE = [
    "https://docs.acme.example/;}",
    "https://docs.acme.example/x;include /etc/passwd;",
    "https://docs.acme.example/}server{listen 9;}",
    "https://docs.acme.example/$host/",
    "https://docs.acme.example/a b/",
    "https://docs.acme.example/a\nlisten 9;/",
    "https://docs.acme.example/a\r\nb/",
    'https://docs.acme.example/"x"/',
    "https://docs.acme.example/'x'/",
    "https://docs.acme.example/#x",
    "https://docs.acme.example/?x=1",
    "https://docs.acme.example/a\\b/",
    "https://docs.acme.example/../zoe/",
    "https://docs.acme.example/./",
    "https://docs.acme.example/%2e%2e/",
    "https://dócs.example/",
    "https://docs.acme.example/guíde/",
    "https://docs.acme.example\u200b/",
    "https://docs.\u212aey.example/",  # KELVIN SIGN: `k` under case-insensitive Unicode rules, not ASCII's
    "https://doc\u017f.acme.example/",  # LONG S, likewise `s`
    "https://user@docs.acme.example/",
    "https://include/",
    "https://default/",
    "https://-docs.acme.example/",
    "https://docs.acme.example:99999/",
    "ftp://docs.acme.example/",
]


@pytest.mark.parametrize("url", GOOD)
def test_site_urls_of_the_grammar_are_read(url: str) -> None:
    address = site_address(url)
    assert (address.host, address.path) == GOOD[url]


@pytest.mark.parametrize("url", HOSTILE)
def test_site_urls_outside_the_grammar_are_refused(url: str) -> None:
    with pytest.raises(AddressError, match="site_url: expected an http:// or https:// URL") as refused:
        site_address(url)
    assert "\n" not in str(refused.value)  # printed as a literal: a newline in the value cannot add a line


def test_an_api_origin_is_only_scheme_host_and_port() -> None:
    assert origin_of("https://API.acme.example/v1") == "https://api.acme.example"
    assert origin_of("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000"
    for hostile in ("https://api.acme.example@evil.example/", "https://api.acme.example;x/", "https://a b/"):
        with pytest.raises(AddressError):
            origin_of(hostile)


def with_site_urls(project: Project, urls: dict[str, str]) -> None:
    """Give brands of `project` these site_urls, written as YAML strings (a newline stays in the value)."""
    for brand_id, url in urls.items():
        path = project.brands_dir / f"{brand_id}.yml"
        text = re.sub(r"^site_url:.*\n", "", path.read_text(encoding="utf-8"), flags=re.M)
        path.write_text(text + f"site_url: {json.dumps(url)}\n", encoding="utf-8")


def fake_built(project: Project, site: Path) -> None:
    """Each brand's site folder, as a build leaves it (the config reads no file of it)."""
    for brand_id in project.brand_ids():
        (site / brand_id).mkdir(parents=True, exist_ok=True)


def generate(project: Project, site: Path, out: Path, *more: str):
    return run_branddocs("host", "nginx", "--site-dir", str(site), "--listen", "127.0.0.1:8089", "--out", str(out),
                         *more, cwd=project.root)  # fmt: skip


@pytest.mark.parametrize("url", HOSTILE)
def test_a_hostile_site_url_never_reaches_the_config(tmp_path: Path, url: str) -> None:
    project = scratch_project(tmp_path / "project")
    site = tmp_path / "site"
    fake_built(project, site)
    with_site_urls(project, {"brightline": "https://docs.brightline.example/"})
    clean = generate(project, site, tmp_path / "clean")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    with_site_urls(project, {"brightline": url})
    hostile = generate(project, site, tmp_path / "hostile")
    # Refused by name, with the exit status that says so; every other brand hosted as before.
    assert hostile.returncode == 1, hostile.stdout + hostile.stderr
    assert re.search(r"^  brightline: not hosted: .*site_url: expected", hostile.stdout, re.M), hostile.stdout
    assert "\x1b" not in hostile.stdout
    assert "\r" not in hostile.stdout
    config = (tmp_path / "hostile" / "nginx.conf").read_text(encoding="utf-8")
    without = (tmp_path / "clean" / "nginx.conf").read_text(encoding="utf-8")
    expected = without.replace(str(tmp_path / "clean"), str(tmp_path / "hostile")).replace("3 brands;", "2 brands;")
    expected = "\n".join(line for line in expected.splitlines() if "brightline" not in line) + "\n"
    assert config == expected
    assert check_config(tmp_path / "hostile").returncode == 0


def hostile_tenant(tmp_path: Path, host: str, path: str = "/") -> Tenant:
    address = site_address("https://docs.acme.example/")
    address = type(address)("https", host, None, path)  # as if the grammar had let it through
    return Tenant("acme", address, "https://api.acme.example", tmp_path / "site" / "acme")


def test_the_printer_refuses_what_the_grammar_would_have(tmp_path: Path) -> None:
    """The second guard: a value reaches nginx.conf only through the printer's allow-list."""
    for host in ("a.example;}", 'a.example"', "a.example$x", "a.example\nlisten 1;", "a b"):
        with pytest.raises(ValueError, match=r"not written into nginx\.conf"):
            render([hostile_tenant(tmp_path, host)], Layout(tmp_path / "out"), NginxOptions("127.0.0.1:8089"))


def test_without_both_guards_a_site_url_writes_a_directive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The negative: the printer's quoting alone (no allow-list) lets a brand's value end the map and add to it."""
    monkeypatch.setattr(nginx_module, "_word", lambda value: f'"{value}"')
    tenant = hostile_tenant(tmp_path, 'docs.acme.example" "acme"; include /etc/passwd; "x')
    config = render([tenant], Layout(tmp_path / "out"), NginxOptions("127.0.0.1:8089"))
    assert re.search(r'"; include /etc/passwd;', config)


def test_brand_ids_that_are_map_keywords_stay_brands(tmp_path: Path) -> None:
    """`include`, `default`, `hostnames`, `volatile` are valid brand ids and nginx `map` keywords; `\\t...` would
    read as a tab: the config's keys escape each, and nginx reads the config. A long id, at a short address, still
    fits the maps' hash buckets."""
    site = tmp_path / "site"
    tenants = []
    long_id = "-".join(["long"] * 49)  # 244 characters (a file name holds 255): more than a default hash bucket
    for n, brand_id in enumerate(["include", "default", "hostnames", "volatile", "tabs", "news", "rust", long_id]):
        (site / brand_id).mkdir(parents=True)
        address = site_address(f"https://h{n}.example/" if n % 2 else f"https://docs.example/p{n}/")
        tenants.append(Tenant(brand_id, address, f"https://api{n}.example", site / brand_id))
    layout = Layout(tmp_path / "out")
    write_layout(layout, tenants, render(tenants, layout, NginxOptions("127.0.0.1:8089")))
    result = check_config(layout.out)
    assert result.returncode == 0, result.stderr


def thousand_tenants(root: Path, count: int = 1000) -> list[Tenant]:
    """Synthetic brands: most at a host's root, some under one path segment, a few deeper."""
    tenants = []
    for n in range(count):
        brand_id = f"brand-{n:04d}"
        (root / brand_id).mkdir(parents=True, exist_ok=True)
        (root / brand_id / "index.html").write_text(f"<title>{brand_id}</title>\n")
        url = [f"https://docs.{brand_id}.example/", f"https://docs.shared.example/{brand_id}/",
               f"https://learn.example/{brand_id}/v1/"][0 if n % 10 < 8 else 1 if n % 10 == 8 else 2]  # fmt: skip
        tenants.append(Tenant(brand_id, site_address(url), f"https://api.{brand_id}.example", root / brand_id))
    return tenants


def test_a_thousand_brands_make_one_server_that_nginx_loads(tmp_path: Path) -> None:
    tenants = thousand_tenants(tmp_path / "site")
    layout = Layout(tmp_path / "out")
    write_layout(layout, tenants, render(tenants, layout, NginxOptions("127.0.0.1:8089")))
    config = layout.config.read_text()
    assert config.count("server {") == 1
    start = time.perf_counter()
    result = check_config(layout.out)
    assert result.returncode == 0, result.stderr
    assert time.perf_counter() - start < 5
    assert len(list((layout.roots).glob("*/*"))) == 200  # a link for each brand under a path


def test_rewriting_an_unchanged_config_leaves_it_alone(tmp_path: Path) -> None:
    project = scratch_project(tmp_path / "project")
    site = tmp_path / "site"
    fake_built(project, site)
    first = generate(project, site, tmp_path / "out")
    before = (tmp_path / "out" / "nginx.conf").stat().st_mtime_ns
    again = generate(project, site, tmp_path / "out")
    assert "nginx.conf unchanged" in again.stdout, first.stdout + again.stdout
    assert (tmp_path / "out" / "nginx.conf").stat().st_mtime_ns == before


def test_brands_without_a_site_url_or_a_build_are_listed_not_hosted(tmp_path: Path) -> None:
    project = scratch_project(tmp_path / "project")
    site = tmp_path / "site"
    (site / "acme").mkdir(parents=True)
    (site / "brightline").mkdir()
    (site / "orphan").mkdir()
    result = generate(project, site, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "  acme: https://docs.acme.example/" in result.stdout
    assert "  brightline: not hosted: no site_url in its brand file" in result.stdout
    assert "  nebula: not hosted: not built" in result.stdout
    assert "  orphan: not hosted: no brands/orphan.yml" in result.stdout
    assert (tmp_path / "out" / "hosts.txt").read_text() == "docs.acme.example\n"


def test_two_brands_at_one_address_are_neither_hosted(tmp_path: Path) -> None:
    """Hosting either could show one tenant's guide at the other's address."""
    project = scratch_project(tmp_path / "project")
    site = tmp_path / "site"
    fake_built(project, site)
    with_site_urls(project, {"nebula": "https://DOCS.acme.example"})
    result = generate(project, site, tmp_path / "out")
    assert result.returncode == 1
    assert "acme: not hosted: site_url https://docs.acme.example/ is also claimed by brands/nebula.yml" in result.stdout
    assert "docs.acme.example" not in (tmp_path / "out" / "nginx.conf").read_text()


NESTED = [
    ("https://docs.shared.example/acme/", "https://docs.shared.example/acme/serverless-endpoints/"),
    ("https://docs.other.example/", "https://DOCS.other.example/Nebula/"),
]


@pytest.mark.parametrize(("acme", "nebula"), NESTED)
def test_a_tenant_inside_another_tenants_address_is_hosted_by_neither(tmp_path: Path, acme: str, nebula: str) -> None:
    """nginx answers a path from the longest prefix: a tenant at `/acme/serverless-endpoints/` would show its own
    page at acme's guide's address. Neither is hosted; brightline, beside them on the same host, is. The negative:
    siblings on one host (`/acme/`, `/brightline/`) are both hosted."""
    project = scratch_project(tmp_path / "project")
    site = tmp_path / "site"
    fake_built(project, site)
    with_site_urls(project, {"acme": acme, "nebula": nebula, "brightline": "https://docs.shared.example/brightline/"})
    result = generate(project, site, tmp_path / "out")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "acme: not hosted: site_url" in result.stdout, result.stdout
    assert "lies inside or around the address of brands/nebula.yml" in result.stdout, result.stdout
    assert "nebula: not hosted: site_url" in result.stdout, result.stdout
    assert "lies inside or around the address of brands/acme.yml" in result.stdout, result.stdout
    assert "  brightline: https://docs.shared.example/brightline/" in result.stdout, result.stdout
    hosted = [line.split()[0] for line in result.stdout.splitlines() if "https://" in line and "not hosted" not in line]
    assert hosted == ["brightline:"], result.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="only nginx started by root runs its workers as another user (nobody)")
def test_root_is_told_when_its_workers_could_not_read_a_site(tmp_path: Path) -> None:
    project = scratch_project(tmp_path / "project")
    private = tmp_path / "private"  # pytest's tmp_path is under a 0700 folder of root's
    fake_built(project, private / "site")
    said = generate(project, private / "site", tmp_path / "out")
    assert "warning: nginx's workers (user nobody, under root) cannot read" in said.stdout, said.stdout
    with readable_folder() as folder:
        fake_built(project, folder / "site")
        said = generate(project, folder / "site", folder / "out")
    assert "warning" not in said.stdout, said.stdout


def test_the_server_follows_what_each_site_was_built_with(tmp_path: Path) -> None:
    """A site's platform.json (written by its build) gives its address; its brand file, changed since and not
    rebuilt, does not; a site without one has its brand file read."""
    project = scratch_project(tmp_path / "project")
    site = tmp_path / "site"
    fake_built(project, site)
    with_site_urls(project, {"acme": "https://new.acme.example/"})
    record = {"site_url": "https://docs.acme.example/guide/", "base_url": "https://api.acme.example/v1"}
    (site / "acme" / "platform.json").write_text(json.dumps(record))
    tenants = {t.brand_id: t for t in find_tenants(project, site).hosted}
    assert tenants["acme"].address.url == "https://docs.acme.example/guide/"
    assert tenants["nebula"].address.url == "https://learn.nebula-ai.example/"  # no platform.json: its brand file


@pytest.mark.parametrize("url", HOSTILE)
def test_a_hostile_site_url_in_platform_json_is_refused_too(tmp_path: Path, url: str) -> None:
    project = scratch_project(tmp_path / "project")
    site = tmp_path / "site"
    fake_built(project, site)
    (site / "acme" / "platform.json").write_text(json.dumps({"site_url": url, "base_url": "https://a.example/v1"}))
    tenants = find_tenants(project, site)
    assert "acme" not in {t.brand_id for t in tenants.hosted}
    reason = next(n.reason for n in tenants.not_hosted if n.brand_id == "acme")
    assert reason.startswith(f"{site / 'acme' / 'platform.json'}: site_url: expected"), reason


def test_the_longest_path_wins_on_a_shared_host(tmp_path: Path) -> None:
    """Brands at /, /a/, /a/b/ and /a/b/c/ of one host: nginx.conf tries the deeper ones first."""
    site = tmp_path / "site"
    urls = {"root": "https://docs.example/", "one": "https://docs.example/a/", "two": "https://docs.example/a/b/",
            "three": "https://docs.example/a/b/c/"}  # fmt: skip
    tenants = []
    for brand_id, url in urls.items():
        (site / brand_id).mkdir(parents=True)
        tenants.append(Tenant(brand_id, site_address(url), "https://api.example", site / brand_id))
    config = render(tenants, Layout(tmp_path / "out"), NginxOptions("127.0.0.1:8089"))
    deep = re.findall(r'"~\^docs\\\.example(/\S+)\(\?:/\|\$\)" "(\w+)";', config)
    assert deep == [("/a/b/c", "three"), ("/a/b", "two")]
