"""A scratch copy of the project with N synthetic brands made from the demo brands (for the benchmarks)."""

from __future__ import annotations

import compileall
import shutil
from pathlib import Path

import yaml

from branddocs.site import Project

ROOT = Path(__file__).resolve().parent.parent


def compile_sources() -> None:
    """Bytecode for branddocs' own modules, as pip writes it when it installs the package: in an editable checkout
    under PYTHONDONTWRITEBYTECODE (as CI and containers set it), every process would compile them from source again,
    a cost no installed branddocs has (`make .venv/bin/.installed` does the same for the installed packages)."""
    compileall.compile_dir(ROOT / "branddocs", quiet=1, workers=0)


def make_project(folder: Path, count: int) -> Path:
    """Copy the project's sources into `folder` and replace its brands with `count` synthetic ones."""
    Project(ROOT).copy_to(folder)
    demos = sorted((ROOT / "brands").glob("*.yml"))
    shutil.rmtree(folder / "brands")
    (folder / "brands").mkdir()
    for k in range(count):
        demo = demos[k % len(demos)]
        data = yaml.safe_load(demo.read_text(encoding="utf-8"))
        data["user_name"] = f"{data['user_name']} {k:02d}"
        data["api"].pop("key_env", None)  # derived from the new name, so each brand has its own
        images = folder / "docs" / "images"  # one image folder per brand, as check-brands requires
        data["resource_dir_name"] = f"{data['resource_dir_name']}-{k:02d}"
        shutil.copytree(ROOT / "docs" / "images" / demo_images(demo), images / data["resource_dir_name"])
        (folder / "brands" / f"{demo.stem}-{k:02d}.yml").write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        own_pages = folder / "docs" / "brands" / demo.stem  # a demo brand's own pages, for its copies too
        if own_pages.is_dir():
            shutil.copytree(own_pages, folder / "docs" / "brands" / f"{demo.stem}-{k:02d}")
    for demo in demos:  # only the synthetic brands' own folders are left
        shutil.rmtree(folder / "docs" / "images" / demo_images(demo), ignore_errors=True)
    return folder


def demo_images(demo: Path) -> str:
    return yaml.safe_load(demo.read_text(encoding="utf-8"))["resource_dir_name"]
