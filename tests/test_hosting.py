"""Real nginx on the config `branddocs host nginx` writes: each tenant at its host and path, nothing across tenants.

Three brands built in a scratch project: acme at a host's root, nebula under a path on a host of its own,
brightline under a deeper path on another host (a tenant at a host's root owns every path of it: host/tenants.py).
nginx listens on a free loopback port, started as whoever runs the tests (root: its workers run as nobody; an
ordinary user: as that user).
"""

from __future__ import annotations

import gzip
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from branddocs.host.run import free_port, running_nginx
from branddocs.site import Project

from .support.hosting import Response, Upstream, build, get, readable_folder, scratch_with_site_urls, upstream
from .support.project import run_branddocs

pytestmark = pytest.mark.slow
URLS = {
    "acme": "https://docs.acme.example/",
    "nebula": "https://docs.nebula.example/nebula/",
    "brightline": "https://learn.example/guide/v1/",
}
HOST = {"acme": "docs.acme.example", "nebula": "docs.nebula.example", "brightline": "learn.example"}
PATH = {"acme": "/", "nebula": "/nebula/", "brightline": "/guide/v1/"}
NAMES = {"acme": "Acme Cloud", "nebula": "Nébula AI", "brightline": "Brightline &amp; Co."}
ORIGIN = {"acme": "https://api.acme.example", "nebula": "https://inference.nebula-ai.example",
          "brightline": "http://llm.brightline.example:8080"}  # fmt: skip
SECRET = "planted-secret-4f1c9e"


@dataclass
class Hosted:
    project: Project
    site: Path
    out: Path
    port: int
    ask: int
    mcp: Upstream


@pytest.fixture(scope="module")
def hosted() -> Iterator[Hosted]:
    with readable_folder() as folder, upstream() as mcp:
        project = scratch_with_site_urls(folder / "project", URLS)
        site = folder / "site"
        build(project, site)
        for where in (folder, site, site / ".branddocs"):
            (where / "secret.txt").write_text(SECRET)  # what no request may read
        for brand_id in URLS:  # links a checkout could bring into a site's folder (red team 7, R7-4)
            (site / brand_id / "leak.txt").symlink_to(folder / "secret.txt")
            (site / brand_id / "leak").symlink_to(folder)
        port, ask = free_port(), free_port()
        out = folder / "out"
        result = run_branddocs("host", "nginx", "--site-dir", str(site), "--listen", f"127.0.0.1:{port}",
                               "--out", str(out), "--mcp", f"127.0.0.1:{mcp.port}", "--ask", f"127.0.0.1:{ask}",
                               "--workers", "1", cwd=project.root)  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        with running_nginx(out, [("127.0.0.1", port), ("127.0.0.1", ask)]):
            yield Hosted(project, site, out, port, ask, mcp)


def guide(brand_id: str) -> str:
    return PATH[brand_id] + "serverless-endpoints/"


@pytest.mark.parametrize("tenant", URLS)
def test_each_brand_answers_at_its_site_url(hosted: Hosted, tenant: str) -> None:
    page = (hosted.site / tenant / "serverless-endpoints" / "index.html").read_bytes()
    for host in (HOST[tenant], HOST[tenant].upper(), f"{HOST[tenant]}:8443", f"{HOST[tenant]}."):
        response = get(hosted.port, guide(tenant), host)
        assert response.status == 200, (host, response.status)
        assert response.body == page, host
    home = get(hosted.port, PATH[tenant], HOST[tenant])
    assert home.status == 200
    assert f"<title>{NAMES[tenant]}" in home.text


def tenants_in(response: Response) -> set[str]:
    return {brand_id for brand_id, name in NAMES.items() if name in response.text}


def test_the_name_check_sees_a_tenant(hosted: Hosted) -> None:
    assert tenants_in(get(hosted.port, "/", "docs.acme.example")) == {"acme"}


@pytest.mark.parametrize(
    ("host", "path"),
    [("evil.example", "/"), ("127.0.0.1", "/"), ("docs.acme.example.evil.example", "/"),
     ("learn.example", "/"), ("learn.example", "/guide/"), ("evil.example", "/serverless-endpoints/"),
     ("evil.example", "/nebula/"), ("evil.example", "/mcp")],
)  # fmt: skip
def test_an_unknown_host_or_path_gets_no_tenants_page(hosted: Hosted, host: str, path: str) -> None:
    response = get(hosted.port, path, host)
    assert response.status == 404
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "No site is published at this address.\n"
    assert tenants_in(response) == set()


def test_a_request_without_a_host_gets_no_tenants_page(hosted: Hosted) -> None:
    with socket.create_connection(("127.0.0.1", hosted.port), timeout=10) as connection:
        connection.sendall(b"GET /serverless-endpoints/ HTTP/1.0\r\n\r\n")
        answer = b"".join(iter(lambda: connection.recv(65536), b""))
    assert answer.startswith(b"HTTP/1.1 404"), answer[:100]
    assert not any(name.encode() in answer for name in NAMES.values())
    empty = get(hosted.port, "/serverless-endpoints/", "")  # HTTP/1.1 with an empty Host: nginx refuses it
    assert empty.status == 400
    assert tenants_in(empty) == set()


ESCAPES = [
    "/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/.%2e/secret.txt",
    "//../secret.txt", "/..;/secret.txt", "/%252e%252e/secret.txt", "/..\\secret.txt", "/%5c..%5csecret.txt",
    "/.branddocs/secret.txt", "/../.branddocs/secret.txt", "/%2e%2e/%2e%2e/secret.txt", "/../../secret.txt",
    "/nebula/../../secret.txt", "/nebula/..%2f..%2fsecret.txt", "/nebula%2f..%2f..%2fsecret.txt",
    "/nebula../secret.txt", "/nebula../brightline/serverless-endpoints/", "/nebula/%2e%2e/%2e%2e/brightline/",
    "/guide/v1/../../../secret.txt", "/guide/v1../../brightline/", "/guide/v1/%2e%2e%2f%2e%2e%2facme/",
    "/../acme/serverless-endpoints/", "/../nebula/", "/..%2fbrightline/", "/.branddocs/mcp/acme/mcp",
    "/.branddocs/no-site", "/index.html%00.txt",
    "/leak.txt", "/leak/secret.txt", "/nebula/leak.txt", "/nebula/leak/secret.txt", "/guide/v1/leak.txt",
    "/guide/v1/leak/secret.txt",
]  # fmt: skip
LINKED = ["/leak.txt", "/leak/secret.txt", "/nebula/leak.txt", "/guide/v1/leak/secret.txt"]


def leaks(port: int, probes: list[str]) -> list[str]:
    """Each probe on each host: what it read that belongs to no tenant of that host, or to none at all."""
    found = []
    for host in ("docs.acme.example", "docs.nebula.example", "learn.example"):
        allowed = {b for b, h in HOST.items() if h == host}
        for path in probes:
            response = get(port, path, host)
            if SECRET in response.text or tenants_in(response) - allowed:
                found.append(f"{host}{path}: {response.status} {sorted(tenants_in(response))}")
    return found


def test_no_path_leaves_the_brands_folder(hosted: Hosted) -> None:
    assert leaks(hosted.port, ESCAPES) == []


def test_the_escape_probes_catch_nginx_alias_off_by_a_slash(tmp_path: Path) -> None:
    """The negative: the classic `location /nebula { alias .../nebula/; }` reads a sibling folder through
    `/nebula../`; the same probes find it."""
    with readable_folder() as folder:
        site = folder / "site"
        for brand_id in ("nebula", "brightline"):
            (site / brand_id / "serverless-endpoints").mkdir(parents=True)
            (site / brand_id / "serverless-endpoints" / "index.html").write_text(f"<title>{NAMES[brand_id]}</title>")
        (site / "secret.txt").write_text(SECRET)
        port = free_port()
        (folder / "logs").mkdir()
        (folder / "nginx.conf").write_text(
            f"daemon off; pid nginx.pid; error_log logs/error.log; events {{}} http {{ access_log off; "
            f"server {{ listen 127.0.0.1:{port}; location /nebula {{ alias {site}/nebula/; }} }} }}"
        )
        with running_nginx(folder, [("127.0.0.1", port)]):
            assert leaks(port, ESCAPES) != []


def test_without_the_link_rule_a_link_in_a_site_is_served(hosted: Hosted, tmp_path: Path) -> None:
    """The negative: the same config less `disable_symlinks` serves what the links in the sites point to."""
    out = tmp_path / "out"
    shutil.copytree(hosted.out, out, symlinks=True, ignore=shutil.ignore_patterns("*.pid", "*.log"))
    config = (out / "nginx.conf").read_text()
    assert "        disable_symlinks on from=$bd_links_from;\n" in config
    port, ask = free_port(), free_port()
    config = config.replace("        disable_symlinks on from=$bd_links_from;\n", "")
    config = config.replace(f"127.0.0.1:{hosted.port}", f"127.0.0.1:{port}")
    (out / "nginx.conf").write_text(config.replace(f"127.0.0.1:{hosted.ask}", f"127.0.0.1:{ask}"))
    out.chmod(0o755)
    with running_nginx(out, [("127.0.0.1", port), ("127.0.0.1", ask)]):
        assert len(leaks(port, LINKED)) >= 3


@pytest.mark.parametrize("tenant", URLS)
def test_a_missing_page_gets_the_brands_own_404_page(hosted: Hosted, tenant: str) -> None:
    for path in (PATH[tenant] + "no-such-page/", PATH[tenant] + "assets/none.js", PATH[tenant] + "mcp/x"):
        response = get(hosted.port, path, HOST[tenant])
        assert response.status == 404, path
        assert response.body == (hosted.site / tenant / "404.html").read_bytes(), path
        assert response.headers["cache-control"] == "no-cache"
        assert "content-security-policy" in response.headers


def test_a_folder_without_its_last_slash_is_redirected_on_the_same_host(hosted: Hosted) -> None:
    for host, path in (("docs.nebula.example", "/nebula"), ("learn.example", "/guide/v1"),
                       ("docs.acme.example", "/serverless-endpoints")):  # fmt: skip
        response = get(hosted.port, path, host)
        assert response.status == 301
        assert response.headers["location"] == path + "/"  # relative: right behind a TLS proxy or a CDN too


def header_problems(response: Response, origin: str) -> list[str]:
    """What a security review would object to in a page's headers."""
    headers, problems = response.headers, []
    policy = dict(
        ([*part.strip().split(" ", 1), ""])[:2] for part in headers.get("content-security-policy", "").split(";")
    )
    if policy.get("script-src") != "'self'":
        problems.append(f"script-src is {policy.get('script-src')!r}, not 'self' alone")
    if policy.get("default-src") != "'none'" or policy.get("object-src", "'none'") != "'none'":
        problems.append("default-src is not 'none'")
    if policy.get("connect-src") != f"'self' {origin}":
        problems.append(f"connect-src is {policy.get('connect-src')!r}, not 'self' {origin}")
    if policy.get("frame-ancestors") != "'none'" or policy.get("base-uri") != "'self'":
        problems.append("frame-ancestors or base-uri missing")
    if headers.get("x-content-type-options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("referrer-policy") not in ("strict-origin-when-cross-origin", "no-referrer", "same-origin"):
        problems.append(f"Referrer-Policy is {headers.get('referrer-policy')!r}")
    return problems


@pytest.mark.parametrize("tenant", URLS)
def test_pages_carry_the_security_headers_with_the_brands_own_api(hosted: Hosted, tenant: str) -> None:
    page = get(hosted.port, guide(tenant), HOST[tenant])
    assert header_problems(page, ORIGIN[tenant]) == []
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    again = get(hosted.port, guide(tenant), HOST[tenant], {"If-None-Match": page.headers["etag"]})
    assert (again.status, again.body, again.headers["cache-control"]) == (304, b"", "no-cache")


def test_the_header_check_sees_a_server_without_them(tmp_path: Path) -> None:
    bare = Response(200, {"content-type": "text/html"}, b"<html></html>")
    assert len(header_problems(bare, "https://api.acme.example")) == 6


def test_fingerprinted_assets_are_immutable_for_a_year(hosted: Hosted) -> None:
    assets = sorted((hosted.site / "acme" / "assets" / "javascripts").glob("bundle.*.min.js"))
    assets += sorted((hosted.site / "acme" / "assets" / "javascripts").glob("material-inline.*.min.js"))
    assert len(assets) == 2
    for asset in assets:
        response = get(hosted.port, f"/assets/javascripts/{asset.name}", "docs.acme.example")
        assert response.status == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["content-type"] == "application/javascript; charset=utf-8"
    plain = get(hosted.port, "/images/acme/logo.svg", "docs.acme.example")
    assert (plain.status, plain.headers["cache-control"]) == (200, "no-cache")


@pytest.mark.parametrize("via", [None, "1.1 cdn.example"])
def test_gzip_clients_get_the_precompressed_twin(hosted: Hosted, via: str | None) -> None:
    """The bytes of `index.html.gz` as the build made them (not compressed again per request), to a browser and
    to a CDN (a request with Via); a client without gzip gets the page itself."""
    folder = hosted.site / "acme" / "serverless-endpoints"
    headers = {"Accept-Encoding": "gzip", **({"Via": via} if via else {})}
    response = get(hosted.port, "/serverless-endpoints/", "docs.acme.example", headers)
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.body == (folder / "index.html.gz").read_bytes()
    assert gzip.decompress(response.body) == (folder / "index.html").read_bytes()
    plain = get(hosted.port, "/serverless-endpoints/", "docs.acme.example")
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"  # a cache in front that stores this must not give it to all
    assert plain.body == (folder / "index.html").read_bytes()


def test_each_sites_mcp_address_goes_to_branddocs_mcp(hosted: Hosted) -> None:
    hosted.mcp.seen.clear()
    for brand_id in URLS:
        response = get(hosted.port, PATH[brand_id] + "mcp?session=1", HOST[brand_id], method="POST", body=b"{}")
        assert (response.status, response.text) == (200, f"upstream saw POST /{brand_id}/mcp?session=1\n")
    assert [(m, p, b) for m, p, _, b in hosted.mcp.seen] == [("POST", f"/{b}/mcp?session=1", b"{}") for b in URLS]
    assert hosted.mcp.seen[0][2]["Host"] == hosted.mcp.seen[0][2]["X-Forwarded-Host"] == "docs.acme.example"
    hosted.mcp.seen.clear()
    for host, path in (("evil.example", "/mcp"), ("docs.acme.example", "/serverless-endpoints/mcp"),
                       ("docs.acme.example", "/.branddocs/mcp/acme/mcp"), ("learn.example", "/mcp")):  # fmt: skip
        assert get(hosted.port, path, host).status == 404, (host, path)
    assert hosted.mcp.seen == []


def test_caddys_ask_gets_yes_only_for_hosted_names(hosted: Hosted) -> None:
    for domain, status in (("docs.acme.example", 200), ("learn.example", 200), ("evil.example", 404),
                           ("DOCS.acme.example.evil", 404), ("", 404)):  # fmt: skip
        assert get(hosted.ask, f"/ask?domain={domain}", "127.0.0.1").status == status, domain
    assert (hosted.out / "hosts.txt").read_text() == "docs.acme.example\ndocs.nebula.example\nlearn.example\n"


def test_certbots_challenge_answers_on_hosted_names_only(hosted: Hosted) -> None:
    challenge = hosted.out / "acme" / ".well-known" / "acme-challenge" / "token-1"
    challenge.write_text("token-1.key")
    challenge.chmod(0o644)
    assert get(hosted.port, "/.well-known/acme-challenge/token-1", "learn.example").text == "token-1.key"
    assert get(hosted.port, "/.well-known/acme-challenge/token-1", "evil.example").status == 404
