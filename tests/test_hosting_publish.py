"""Zero failed requests while a brand is rebuilt: nginx reads `site/<id>` as the build swaps it in one step; the
generated config's file cache serves a rebuilt page within its second and follows no link put in a page's place,
nor a `site/<id>` that is itself a link (`host` refuses one it finds; nginx's link rule starts at the sites' folder)."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from branddocs.host.run import free_port, running_nginx
from branddocs.site import Project
from branddocs.site.publish import publish

from .support.hosting import Load, build, get, readable_folder, scratch_with_site_urls
from .support.project import run_branddocs

pytestmark = pytest.mark.slow
GUIDE = "/serverless-endpoints/"


@dataclass
class Served:
    project: Project
    site: Path
    port: int


CACHE = "    open_file_cache_valid 1s;\n"


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    """acme built and served by nginx from a scratch project, with the generated config; `[False]`: less its file
    cache, so that each request reads the file system (the publish is tested, not a cache that hides it for a
    second)."""
    with readable_folder() as folder:
        project = scratch_with_site_urls(folder / "project", {"acme": "https://docs.acme.example/"})
        site = folder / "site"
        build(project, site, "acme")
        port = free_port()
        result = run_branddocs("host", "nginx", "--site-dir", str(site), "--listen", f"127.0.0.1:{port}",
                               "--out", str(folder / "out"), "--workers", "1", cwd=project.root)  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        if not getattr(request, "param", True):
            config = (folder / "out" / "nginx.conf").read_text()
            assert CACHE in config
            assert "    open_file_cache max=" in config
            config = re.sub(r"^    open_file_cache.*\n", "", config.replace(CACHE, ""), flags=re.M)
            (folder / "out" / "nginx.conf").write_text(config)
        with running_nginx(folder / "out", [("127.0.0.1", port)]):
            yield Served(project, site, port)


def rename(project: Project, name: str) -> None:
    path = project.brands_dir / "acme.yml"
    path.write_text(re.sub(r"^user_name: .*$", f"user_name: {name}", path.read_text(), flags=re.M))


@pytest.mark.parametrize("served", [False], indirect=True, ids=["uncached"])
def test_three_rebuilds_under_steady_load_fail_no_request(served: Served) -> None:
    names = ["Acme Cloud", "Acme Cloud Two", "Acme Cloud Three", "Acme Cloud Four"]
    with Load(served.port, GUIDE, "docs.acme.example").running() as load:
        time.sleep(0.5)
        for name in names[1:]:
            rename(served.project, name)
            build(served.project, served.site, "acme")
            time.sleep(0.3)
    assert load.failures() == []
    titles = {title.split(" - ")[-1].removesuffix(" Learning Guide") for _, _, title in load.results}
    assert titles == set(names)  # every version answered, and nothing else
    assert len(load.results) > 100


@pytest.mark.parametrize("served", [False], indirect=True, ids=["uncached"])
def test_the_load_check_catches_a_site_that_is_briefly_absent(served: Served) -> None:
    """The negative: the two-rename publish (site/<id> -> .old-<id>, staging -> site/<id>, what filesystems
    without renameat2 get) leaves an instant with no site/acme; under the same load, requests fail."""
    final = served.site / "acme"
    with Load(served.port, GUIDE, "docs.acme.example").running() as load:
        for n in range(3000):
            staging = served.site / f".staging-acme-{n}"
            shutil.copytree(final, staging, copy_function=os.link)
            publish(staging, final, atomic=False)
            if load.failures():
                break
    assert load.failures() != []


def _title(served: Served) -> str:
    response = get(served.port, GUIDE, "docs.acme.example")
    assert response.status == 200, response.status
    return re.search(r"<title>(.*?)</title>", response.text).group(1)


def test_a_rebuilt_page_is_served_within_the_caches_second(served: Served) -> None:
    for _ in range(20):  # the page is in nginx's file cache
        assert "Acme Cloud Two" not in _title(served)
    rename(served.project, "Acme Cloud Two")
    build(served.project, served.site, "acme")
    published = time.monotonic()
    while "Acme Cloud Two" not in _title(served):
        assert time.monotonic() - published < 3, "the old page was still served 3 s after the new one was published"
        time.sleep(0.05)


def test_a_cached_page_replaced_by_a_link_is_not_followed(served: Served) -> None:
    """A file nginx keeps open is checked again after its second: a link put in its place is refused then, as
    `disable_symlinks` refuses one it meets first (the negative of the link rule is test_hosting.py's)."""
    secret = served.site.parent / "secret.html"  # beside the site, where nginx's workers may read
    secret.write_text("<title>planted-secret-9d2e</title>")
    for _ in range(20):
        assert "Acme Cloud" in _title(served)
    page = served.site / "acme" / "serverless-endpoints" / "index.html"
    page.unlink()
    page.symlink_to(secret)
    replaced = time.monotonic()
    while (response := get(served.port, GUIDE, "docs.acme.example")).status == 200:
        assert "planted-secret" not in response.text
        assert time.monotonic() - replaced < 3, "the cached page was still served 3 s after it was replaced"
        time.sleep(0.05)
    assert response.status in (403, 404)
    assert "planted-secret" not in response.text


def _planted_elsewhere(served: Served) -> None:
    """`site/acme` made a link to a folder of a checkout's choosing (red team 8, R8-1: `site/nebula -> /etc`)."""
    elsewhere = served.site.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "planted.html").write_text("<title>planted-secret-77b1</title>")
    (served.site / "acme").rename(served.site.parent / "acme-as-built")
    (served.site / "acme").symlink_to(elsewhere)


def test_a_site_folder_that_is_a_link_is_not_served(served: Served) -> None:
    _planted_elsewhere(served)
    response = get(served.port, "/planted.html", "docs.acme.example")
    assert response.status in (403, 404)
    assert "planted-secret" not in response.text


def test_without_the_sites_folder_as_the_rules_start_a_linked_site_is_served(served: Served) -> None:
    """The negative: the link rule started at the site's own folder (the config as it was) follows `site/acme`."""
    out = served.site.parent / "out"
    config = (out / "nginx.conf").read_text()
    assert "        disable_symlinks on from=$bd_links_from;\n" in config
    port = free_port()
    config = config.replace("from=$bd_links_from;", "from=$bd_root$bd_prefix;")
    (out / "nginx.conf").write_text(config.replace(f"127.0.0.1:{served.port}", f"127.0.0.1:{port}"))
    _planted_elsewhere(served)
    with running_nginx(out, [("127.0.0.1", port)]):
        response = get(port, "/planted.html", "docs.acme.example")
    assert response.status == 200
    assert "planted-secret" in response.text


def test_host_refuses_a_site_folder_that_is_a_link(served: Served) -> None:
    _planted_elsewhere(served)
    result = run_branddocs("host", "nginx", "--site-dir", str(served.site), "--listen", "127.0.0.1:9",
                           "--out", str(served.site.parent / "out2"), cwd=served.project.root)  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"  acme: not hosted: {served.site / 'acme'} is a link, not a site the build made" in result.stdout
