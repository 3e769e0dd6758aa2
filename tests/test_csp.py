"""Pages a Content-Security-Policy without 'unsafe-inline' for scripts can serve: no inline script is left.

Material's and Zensical's inline scripts (`partials/javascripts/`) are a file, `overrides/assets/javascripts/
material-inline.<hash>.min.js`, included where each inline script was (`overrides/partials/javascripts/`).
The checks here keep that true: through an upgrade of either engine, a new page or a new override.
"""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path

import pytest

from .support.project import ROOT

OVERRIDES = ROOT / "overrides"
SCAFFOLD = Path(str(resources.files("branddocs.scaffold") / "project" / "overrides"))
# The engines' partials/javascripts/ the file stands for, as they were when it was written from them. An upgrade
# that changes one fails here: compare the new partial with the file's part of that name, update both, then these.
COPIED_FROM = {
    ("material", "base.html"): "d6113712bc4deb30b4bd810ee0dfc28b6f04d2f88cc0016c0f1766eac7b762b6",
    ("material", "palette.html"): "8790389765ea6036effddba548b15093bb05bdc75624eaeaf8b13f3c24be4ab5",
    ("material", "content.html"): "3722e156f0f6339de39fbbfc178b6e401d1a4fb890f189ac5b80c2504bda7dcf",
    ("zensical", "base.html"): "b2c8050fa4b999f5ef159318e31afd79b3fc2cba9948b95382990e6b10cbe2cb",
    ("zensical", "palette.html"): "8790389765ea6036effddba548b15093bb05bdc75624eaeaf8b13f3c24be4ab5",
    ("zensical", "content.html"): "3722e156f0f6339de39fbbfc178b6e401d1a4fb890f189ac5b80c2504bda7dcf",
}  # fmt: skip
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def inline_scripts(html: str) -> list[str]:
    """Scripts a browser would run from the page's own text: <script> without src, on...= attributes."""
    return [m[0] for m in INLINE_SCRIPT.finditer(html)] + [m[0][:60] for m in HANDLER.finditer(html)]


def test_the_inline_script_check_sees_materials_own() -> None:
    template = resources.files("material") / "templates" / "partials" / "javascripts" / "palette.html"
    assert inline_scripts(template.read_text(encoding="utf-8")) != []
    assert inline_scripts('<a href="#" onclick="x()">') != []
    assert inline_scripts('<script src="a.js"></script><script id="__config" type="application/json">{}</script>') == []


def test_no_page_holds_an_inline_script(built_sites: dict[str, Path], brand_id: str) -> None:
    found = {
        str(page.relative_to(built_sites[brand_id])): inline_scripts(page.read_text(encoding="utf-8"))
        for page in built_sites[brand_id].rglob("*.html")
    }
    assert {page: scripts for page, scripts in found.items() if scripts} == {}


@pytest.mark.parametrize(("engine", "partial"), COPIED_FROM)
def test_the_engines_partials_are_the_ones_the_file_was_written_from(engine: str, partial: str) -> None:
    text = (resources.files(engine) / "templates" / "partials" / "javascripts" / partial).read_bytes()
    assert hashlib.sha256(text).hexdigest() == COPIED_FROM[(engine, partial)]
    assert (OVERRIDES / "partials" / "javascripts" / partial).is_file()


@pytest.mark.parametrize("folder", [OVERRIDES, SCAFFOLD], ids=["project", "scaffold"])
def test_each_script_file_is_named_by_its_content(folder: Path) -> None:
    """The hosting config caches `name.<8 hex>.min.js` for a year: the hex must change with the content."""
    scripts = sorted((folder / "assets" / "javascripts").glob("*.min.js"))
    assert scripts
    for script in scripts:
        fingerprint = re.fullmatch(r"[a-z-]+\.([0-9a-f]{8})\.min\.js", script.name)
        assert fingerprint, script.name
        assert hashlib.sha256(script.read_bytes()).hexdigest()[:8] == fingerprint[1], f"rename {script.name}"
        for template in folder.rglob("*.html"):
            names = re.findall(r"assets/javascripts/([a-z-]+\.[0-9a-f]{8}\.min\.js)", template.read_text())
            assert all((folder / "assets" / "javascripts" / name).is_file() for name in names), template


def test_the_scaffold_carries_the_same_files() -> None:
    """A project made with `branddocs new` is served under the same policy: its copies are the project's."""
    for path in [*SCAFFOLD.joinpath("partials", "javascripts").iterdir(), *SCAFFOLD.joinpath("assets").rglob("*.js")]:
        assert path.read_bytes() == (OVERRIDES / path.relative_to(SCAFFOLD)).read_bytes(), path
