"""What `branddocs mcp` and `branddocs host nginx` serve is what the build published, never where a link in a site's
folder leads (red team round 7, R7-4: a checkout's `site/<id>/secret.md -> /root/...` went to MCP clients, and
`site/<id>/etc -> /etc` to every reader through nginx).

Mechanisms: `mcp/files.read_published` opens the site's folder and each name below it with `O_NOFOLLOW` and reads
regular files only; nginx's config has `disable_symlinks on from=$bd_links_from`, the sites' folder for a brand at a
host's root (tests/test_hosting.py and tests/test_hosting_publish.py probe it on a real nginx, with its negatives).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
from pathlib import Path

import pytest

from branddocs.host.tenants import MAX_PLATFORM_BYTES, find_tenants
from branddocs.mcp.files import read_published
from branddocs.mcp.pages import PageNotFound, Pages
from branddocs.site import Project

from ..support.project import BIN, scratch_project

SECRET = "operator secret 0600"


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site" / "zz"
    (site / "guide").mkdir(parents=True)
    (site / "index.md").write_text("# Home\n")
    (site / "guide" / "index.md").write_text("# Guide\n")
    (tmp_path / "secret.txt").write_text(SECRET)
    (site / "secret.md").symlink_to(tmp_path / "secret.txt")
    (site / "elsewhere").symlink_to(tmp_path)
    (site / "fifo.md").unlink(missing_ok=True)
    os.mkfifo(site / "fifo.md")
    entries = ["index.md", "guide/index.md", "secret.md", "elsewhere/secret.txt.md", "fifo.md"]
    (site / "llms.txt").write_text("# zz\n\n" + "".join(f"- [{e}]({e})\n" for e in entries))
    return site


def test_a_page_reached_through_a_link_is_never_read(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (tmp_path / "secret.txt.md").write_text(SECRET)
    pages = Pages(site, None)
    assert pages.markdown(pages.find("index.md")) == "# Home\n"
    assert pages.markdown(pages.find("guide/index.md")) == "# Guide\n"
    for twin in ("secret.md", "elsewhere/secret.txt.md", "fifo.md"):
        with pytest.raises(PageNotFound, match="not a page of this site"):
            pages.markdown(pages.find(twin))
    # The negative: the read the server made before follows both links.
    assert (site / "secret.md").read_text() == SECRET
    assert (site / "elsewhere" / "secret.txt.md").read_text() == SECRET


def test_the_site_folder_itself_may_not_be_a_link_and_names_stay_below(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (tmp_path / "site" / "yy").symlink_to(site)
    with pytest.raises(OSError, match=r"Too many levels of symbolic links|Not a directory"):
        read_published(tmp_path / "site" / "yy", "index.md", 100)
    with pytest.raises(OSError, match="not a file name below the site"):
        read_published(site, "../secret.txt", 100)
    with pytest.raises(ValueError, match="more than 3 bytes"):
        read_published(site, "index.md", 3)


def test_mcp_serves_no_site_folder_that_is_a_link_unless_named(tmp_path: Path) -> None:
    """A checkout's `site -> <folder>`, which `build` refuses, was `mcp`'s default (red team 8, R8-9: a root-only
    folder's files went to MCP clients). The default `./site` must be a folder; a `--site-dir` the caller names is
    theirs (the negative: named, the link is followed to the folder it leads to)."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (tmp_path / "checkout").mkdir()
    (tmp_path / "checkout" / "site").symlink_to(victim)
    command = [str(BIN / "branddocs"), "mcp", "--brand", "vv", "--stdio"]
    refused = subprocess.run(command, cwd=tmp_path / "checkout", capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert f"site/ {tmp_path / 'checkout' / 'site'} is a link (to {victim})" in refused.stderr
    named = subprocess.run([*command, "--site-dir", "site"], cwd=tmp_path / "checkout", capture_output=True,
                           text=True, timeout=60)  # fmt: skip
    assert named.returncode == 2
    assert "no built site of brand 'vv' in site" in named.stderr


def test_a_running_mcp_serves_nothing_once_its_default_site_folder_becomes_a_link(tmp_path: Path) -> None:
    """The default `./site` is looked at on every request, not only at start (red team 9, R9-6: a checkout updated
    under a running `mcp` made `site` a link to a root-only folder, then served). Negative: the same `Sites` on a
    folder the caller named follows the link."""
    from branddocs.mcp.sites import Sites

    victim = tmp_path / "victim" / "vv"
    victim.mkdir(parents=True)
    platform = {"id": "vv", "name": "V", "language": "en", "base_url": "https://api.v.example/v1",
                "api_key_env": "V_API_KEY", "models": ["m"]}  # fmt: skip
    (victim / "platform.json").write_text(json.dumps(platform), encoding="utf-8")
    site = tmp_path / "checkout" / "site"
    site.mkdir(parents=True)
    served, named = Sites(site, no_link=True), Sites(site)
    assert served.get("vv") is None  # nothing built yet
    site.rmdir()
    site.symlink_to(tmp_path / "victim")  # the checkout updated under the running server
    assert served.get("vv") is None
    assert named.get("vv") is not None  # the negative


def _host_with(tmp_path: Path, kind: str) -> tuple[Project, Path]:
    """A project whose three brands are built (fake), acme's and nebula's with a platform.json; acme's replaced by
    `kind`: a link to /dev/zero, a FIFO, a link to nebula's record, or a regular file past the cap."""
    project = scratch_project(tmp_path / "project")
    site = tmp_path / "site"
    for brand_id in project.brand_ids():
        (site / brand_id).mkdir(parents=True)
    record = {"site_url": "https://learn.nebula-ai.example/", "base_url": "https://api.nebula-ai.example/v1"}
    (site / "nebula" / "platform.json").write_text(json.dumps(record))
    planted = site / "acme" / "platform.json"
    if kind == "dev-zero":
        planted.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(planted)
    elif kind == "another's record":
        planted.symlink_to(site / "nebula" / "platform.json")
    else:
        planted.write_text(json.dumps({**record, "padding": "x" * MAX_PLATFORM_BYTES}))
    return project, site


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "another's record", "too large"])
def test_a_sites_platform_json_that_is_no_regular_file_unhosts_its_brand_alone(tmp_path: Path, kind: str) -> None:
    """`host` read `site/<id>/platform.json` by path, following a link, to any size (red team 9, R9-10: `-> /dev/zero`
    was a MemoryError and no brand was hosted; a link to another tenant's record unhosted both). Mechanism:
    `tenants._record_text`, the folder then the name opened O_NOFOLLOW, O_NONBLOCK, a regular file, capped. The command
    runs in a child under a memory limit and a timeout, so the old read fails the test instead of the suite."""
    project, site = _host_with(tmp_path, kind)
    command = [str(BIN / "branddocs"), "host", "nginx", "--site-dir", str(site), "--listen", "127.0.0.1:8089",
               "--out", str(tmp_path / "out")]  # fmt: skip
    limit = (1 << 31, 1 << 31)
    done = subprocess.run(command, cwd=project.root, capture_output=True, text=True, timeout=60,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, limit))  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    found = {"dev-zero": "a symbolic link", "fifo": "another kind of file (mode prw", "another's record":
             "a symbolic link", "too large": f"more than {MAX_PLATFORM_BYTES} bytes"}[kind]  # fmt: skip
    assert f"  acme: not hosted: {site / 'acme' / 'platform.json'}: expected a regular file" in done.stdout, done.stdout
    assert found in done.stdout, done.stdout
    assert "  nebula: https://learn.nebula-ai.example/" in done.stdout, done.stdout  # the others still hosted
    assert "  brightline: not hosted: no site_url" in done.stdout, done.stdout
    if kind == "another's record":  # the negative: the old read follows the link to the other tenant's record
        assert "learn.nebula-ai.example" in (site / "acme" / "platform.json").read_text(encoding="utf-8")


def test_a_regular_platform_json_within_the_cap_is_still_read(tmp_path: Path) -> None:
    project, site = _host_with(tmp_path, "another's record")
    (site / "acme" / "platform.json").unlink()
    record = {"site_url": "https://docs.acme.example/guide/", "base_url": "https://api.acme.example/v1"}
    (site / "acme" / "platform.json").write_text(json.dumps(record))
    tenants = {t.brand_id: t for t in find_tenants(project, site).hosted}
    assert tenants["acme"].address.url == "https://docs.acme.example/guide/"
    assert tenants["nebula"].address.url == "https://learn.nebula-ai.example/"
