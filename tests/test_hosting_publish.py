"""Zero failed requests while a brand is rebuilt: nginx reads `site/<id>` as the build swaps it in one step."""

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

from .support.hosting import Load, build, readable_folder, scratch_with_site_urls
from .support.project import run_branddocs

pytestmark = pytest.mark.slow
GUIDE = "/serverless-endpoints/"


@dataclass
class Served:
    project: Project
    site: Path
    port: int


@pytest.fixture
def served() -> Iterator[Served]:
    """acme built and served by nginx from a scratch project."""
    with readable_folder() as folder:
        project = scratch_with_site_urls(folder / "project", {"acme": "https://docs.acme.example/"})
        site = folder / "site"
        build(project, site, "acme")
        port = free_port()
        result = run_branddocs("host", "nginx", "--site-dir", str(site), "--listen", f"127.0.0.1:{port}",
                               "--out", str(folder / "out"), "--workers", "1", cwd=project.root)  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        with running_nginx(folder / "out", [("127.0.0.1", port)]):
            yield Served(project, site, port)


def rename(project: Project, name: str) -> None:
    path = project.brands_dir / "acme.yml"
    path.write_text(re.sub(r"^user_name: .*$", f"user_name: {name}", path.read_text(), flags=re.M))


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
