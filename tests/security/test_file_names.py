"""File names under docs/ and overrides/ are printable: MkDocs names files in the messages a build relays to the
terminal and the CI log, and git allows any byte in a name but `/` and NUL (red team round 6, F9: a tenant's image
file named `y ESC ] 0 ; TITLE BEL \\n ::error file=b::forged` set the terminal's title and forged a CI annotation
through `branddocs build`). Mechanism: the walk `check-brands` and every build run first (`links.unsafe_links`)
refuses a name holding a control, format (bidi, invisible), private, unassigned or separator character, naming it
escaped; and the build's failure lines go through `text.terminal_line`."""

from __future__ import annotations

from pathlib import Path

from branddocs.brand import links as brand_links
from branddocs.brand import load_brand
from branddocs.brand.links import unsafe_links
from branddocs.site import Project

from ..support.project import run_branddocs

HOSTILE = "y\x1b]0;TENANT-TITLE\x07\n::error file=b::forged by a tenant image name\n.md"


def test_an_unprintable_file_name_is_refused_and_shown_escaped(scratch: Project, tmp_path: Path) -> None:
    (scratch.docs_dir / "images" / "acme" / HOSTILE).write_text("# t\n", encoding="utf-8")
    for done in (
        run_branddocs("check-brands", cwd=scratch.root),
        run_branddocs("build", "--brand", "acme", "--site-dir", str(tmp_path / "site"), cwd=scratch.root),
    ):
        out = done.stdout + done.stderr
        assert done.returncode == 1, out
        assert "expected a file name of printable characters, found '\\x1b'; rename it" in out
        assert "\x1b]" not in out
        assert "\x07" not in out
        assert not [line for line in out.splitlines() if line.lstrip().startswith("::")], out


def test_the_negative_without_the_name_rule_the_walk_passes_it(scratch: Project, monkeypatch) -> None:
    (scratch.docs_dir / "images" / "acme" / HOSTILE).write_text("# t\n", encoding="utf-8")
    acme = load_brand(scratch.brands_dir / "acme.yml")
    assert unsafe_links(scratch.root, acme.id, acme.resource_dir_name)
    monkeypatch.setattr(brand_links, "_UNPRINTABLE", frozenset())
    assert unsafe_links(scratch.root, acme.id, acme.resource_dir_name) == []


def test_names_in_any_script_pass(scratch: Project) -> None:
    (scratch.docs_dir / "images" / "acme" / "截图 1 (é).png").write_bytes(b"\x89PNG\r\n\x1a\n")
    acme = load_brand(scratch.brands_dir / "acme.yml")
    assert unsafe_links(scratch.root, acme.id, acme.resource_dir_name) == []
