"""`branddocs diff [BASE]`: real scratch git repositories, changed as writers change them, diffed per brand."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest

from branddocs.review.base import BaseError, _check_hooks
from branddocs.review.diff import BrandChange, DiffReport, PageChange, compare_sites
from branddocs.review.render import render_markdown, render_text
from branddocs.review.view import read_page
from branddocs.site import Project

from .support.project import BIN, ROOT, run_branddocs, scratch_project

GIT = ["git", "-c", "user.name=branddocs", "-c", "user.email=dev@branddocs.example"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A scratch project in its own git repository: brands acme and nebula (English), yushan (zh-TW)."""
    project = scratch_project(tmp_path_factory.mktemp("diff") / "project")
    (project.brands_dir / "brightline.yml").unlink()  # few brands: the machine is shared
    shutil.rmtree(project.docs_dir / "images" / "brightline")
    shutil.copy2(ROOT / "brands" / "yushan.yml", project.brands_dir / "yushan.yml")
    shutil.copytree(ROOT / "docs" / "images" / "yushan", project.docs_dir / "images" / "yushan")
    (project.root / ".gitignore").write_text(".cache/\n")  # the build's bytecode cache, kept between tests
    git(project.root, "init", "-q", "-b", "main")
    git(project.root, "add", "-A")
    git(project.root, "commit", "-q", "-m", "base")
    return project


@pytest.fixture
def repo(committed: Project) -> Iterator[Project]:
    """The committed scratch project, put back as committed after each test."""
    yield committed
    git(committed.root, "checkout", "-q", "--", ".")
    git(committed.root, "clean", "-fdq")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def diff_json(project: Project, *args: str) -> dict:
    done = run_branddocs("diff", "--format", "json", *args, cwd=project.root)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def changed(report: dict) -> dict[str, dict]:
    return {c["brand_id"]: c for c in report["changed"]}


def page_text(change: dict, page: str) -> list[str]:
    return next(p["text"] for p in change["pages"] if p["page"] == page)


# What a change reaches: every brand, one brand, one language, nothing.


@pytest.mark.slow
def test_a_shared_page_change_lists_every_brand_with_its_own_values(repo: Project) -> None:
    guide = repo.docs_dir / "serverless-endpoints.md"  # a line of the writer's own, whatever the guide says
    guide.write_text(guide.read_text(encoding="utf-8") + "\nThanks for reading, {{ user_name }} readers.\n")
    edit(repo.docs_dir / "serverless-endpoints.md", " -d '{", " --data-raw '{")  # in the cURL code block
    report = diff_json(repo, "HEAD")
    # yushan reads serverless-endpoints.zh-TW.md: its inputs include the source page, so it is rebuilt,
    # and its output has the final word.
    assert sorted(changed(report)) == ["acme", "nebula"]
    assert report["unchanged"] == ["yushan"]
    assert sorted(report["rebuilt"]) == ["acme", "nebula", "yushan"]
    for brand_id, name in (("acme", "Acme Cloud"), ("nebula", "Nébula AI")):
        text = page_text(changed(report)[brand_id], "/serverless-endpoints/")
        assert f"+Thanks for reading, {name} readers." in text
        code = next(p["code"] for p in changed(report)[brand_id]["pages"] if p["page"] == "/serverless-endpoints/")
        curl = code["Example in Different Languages › Using cURL"]
        assert any(line.startswith("+") and "--data-raw" in line for line in curl), curl
        assert not any("--data-raw" in line for line in text), "code blocks are diffed apart from the text"
    assert report["preview"] == "branddocs serve --brand acme --brand nebula"


@pytest.mark.slow
def test_a_brand_page_lists_only_that_brand(repo: Project) -> None:
    with (repo.docs_dir / "brands" / "yushan" / "service-hours.md").open("a", encoding="utf-8") as page:
        page.write("\n週末不提供服務。\n")
    (repo.docs_dir / "brands" / "acme").mkdir()
    (repo.docs_dir / "brands" / "acme" / "status.md").write_text("# Status\n\n{{ user_name }} is up.\n")
    report = diff_json(repo, "HEAD")
    assert sorted(changed(report)) == ["acme", "yushan"]
    assert report["unchanged"] == ["nebula"]
    assert sorted(report["rebuilt"]) == ["acme", "yushan"]
    assert "+週末不提供服務。" in page_text(changed(report)["yushan"], "/service-hours/")
    acme = changed(report)["acme"]
    assert [(p["page"], p["status"]) for p in acme["pages"]] == [("/status/", "added")]
    assert "+Acme Cloud is up." in acme["pages"][0]["text"]
    assert any(line.startswith("+Status (") for line in acme["nav"]), acme["nav"]


@pytest.mark.slow
def test_a_brand_colour_lists_only_that_brands_stylesheet(repo: Project) -> None:
    edit(repo.brands_dir / "nebula.yml", '"#5b2a86"', '"#7a1f5c"')
    report = diff_json(repo, "HEAD")
    assert list(changed(report)) == ["nebula"]
    assert report["rebuilt"] == ["nebula"]
    nebula = changed(report)["nebula"]
    assert nebula["pages"] == []
    assert nebula["images"] == []
    [style] = nebula["styles"]
    assert style["path"] == "<style id=brand-palette>"
    assert "---md-primary-fg-color: #5b2a86;" in style["diff"]
    assert "+--md-primary-fg-color: #7a1f5c;" in style["diff"]


@pytest.mark.slow
def test_a_translation_lists_only_brands_of_its_language(repo: Project) -> None:
    edit(
        repo.docs_dir / "serverless-endpoints.zh-TW.md",
        "# ",
        "# 新版：",
    )
    report = diff_json(repo, "HEAD")
    assert list(changed(report)) == ["yushan"]
    assert report["rebuilt"] == ["yushan"]
    assert any(line.startswith("+# 新版：") for line in changed(report)["yushan"]["pages"][0]["text"])


@pytest.mark.slow
def test_a_template_change_that_renders_the_same_reports_no_change(repo: Project) -> None:
    edit(repo.root / "overrides" / "main.html", "{% block styles %}", "{% block styles %}{#- same output -#}")
    done = run_branddocs("diff", "HEAD", cwd=repo.root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# branddocs diff: no brand changes (3 brands unchanged)")
    assert "3 with changed inputs" in done.stderr  # every brand was rebuilt: the output had the final word
    # The negative: a template change readers do see is reported, for every brand.
    edit(repo.root / "overrides" / "main.html", "{#- same output -#}", '<style id="extra">a { color: red }</style>')
    report = diff_json(repo, "HEAD")
    assert sorted(changed(report)) == ["acme", "nebula", "yushan"]
    assert report["groups"] == [["acme", "nebula", "yushan"]]  # the same change, said once in Markdown


def test_a_base_that_does_not_exist_gives_one_line(repo: Project) -> None:
    done = run_branddocs("diff", "no-such-branch", cwd=repo.root)
    assert done.returncode == 2
    assert (
        done.stderr
        == f"branddocs diff: no revision 'no-such-branch' in {repo.root} (expected a commit, branch or tag)\n"
    )
    assert done.stdout == ""


def test_a_base_from_before_the_plugin_gives_one_line(repo: Project) -> None:
    """A BASE whose mkdocs.yml runs hooks from the engine's own files (as before 0ba9199) fails once, not per brand."""
    config = repo.root / "mkdocs.yml"
    config.write_text(config.read_text() + "hooks:\n  - branddocs/mkdocs_hooks.py  # the engine, then\n")
    git(repo.root, "commit", "-q", "-am", "old style")
    old = git(repo.root, "rev-parse", "HEAD").strip()
    git(repo.root, "reset", "-q", "--hard", "HEAD~1")
    done = run_branddocs("diff", old, cwd=repo.root)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1
    assert f"{old[:12]}:mkdocs.yml runs the hook file branddocs/mkdocs_hooks.py" in done.stderr
    assert "before the branddocs plugin" in done.stderr


def test_only_a_hook_file_the_base_lacks_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: x\nhooks:\n  - 'hooks/own.py'\n\nplugins:\n  - search\n")
    with pytest.raises(BaseError, match=r"runs the hook file hooks/own\.py"):
        _check_hooks(config, "f" * 40)
    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "own.py").write_text("")
    _check_hooks(config, "f" * 40)  # the BASE holds its hook: built as it is


def test_without_a_base_it_compares_with_the_merge_base_of_main(repo: Project) -> None:
    done = run_branddocs("diff", cwd=repo.root)  # nothing changed since main: no build at all
    assert done.returncode == 0, done.stderr
    assert "comparing with merge base with main" in done.stderr
    assert "0 with changed inputs" in done.stderr
    assert done.stdout.startswith("# branddocs diff: no brand changes (3 brands unchanged)")


@pytest.mark.slow
def test_a_build_failure_names_the_brand_and_side(repo: Project) -> None:
    (repo.docs_dir / "brands" / "acme").mkdir()
    (repo.docs_dir / "brands" / "acme" / "broken.md").write_text("# Broken\n\n{{ no_such_value }}\n")
    done = run_branddocs("diff", "HEAD", "--format", "markdown", cwd=repo.root)
    assert done.returncode == 1
    assert "branddocs diff: acme failed to build on the work tree side\n" in done.stderr
    assert "no_such_value" in done.stdout  # the Markdown says why, for the pull request
    # ... naming the file as the project names it, never a path of the machine that ran the diff.
    assert "`broken.md`" in done.stdout
    assert str(repo.root) not in done.stdout
    assert "branddocs-diff-" not in done.stdout
    assert sys.prefix not in done.stdout  # the Python that ran it: its tracebacks show `<python>/lib/...`


# The reader's view of a page, and the report's formats (no build needed).


PAGE = """<html><head><title>Guide - Acme</title><style id="brand-palette">:root { --c: #111; }</style></head>
<body><nav class="md-nav md-nav--primary"><a class="md-nav__link" href="../">Home</a></nav>
<article class="md-content__inner"><h2 id="s">Step 1<a class="headerlink" href="#s">&para;</a></h2>
<p class="{cls}">Call <a href="https://api.acme.example/">the API</a> with <code>curl</code>.</p>
<table><tr><th>Model</th><th></th></tr><tr><td>m-1</td><td>default</td></tr></table>
<div class="highlight"><pre><code>curl https://api.acme.example/v1</code></pre></div></article></body></html>"""


def test_a_page_reads_as_its_text_and_code_blocks() -> None:
    view = read_page(PAGE.replace("{cls}", "x"))
    assert view.title == "Guide - Acme"
    assert view.text == ["## Step 1", "Call [the API](https://api.acme.example/) with `curl`.", "| Model |  |",
                         "| m-1 | default |", "[code block]"]  # fmt: skip
    assert view.code == {"Step 1": "curl https://api.acme.example/v1"}
    assert view.nav == ["Home (../)"]
    assert view.styles == {"brand-palette": ":root { --c: #111; }"}


def test_markup_alone_is_no_change_but_text_is(tmp_path: Path) -> None:
    for side, cls in (("a", "x"), ("b", "y"), ("c", "x")):
        (tmp_path / side).mkdir()
        page = PAGE.replace("{cls}", cls)
        (tmp_path / side / "index.html").write_text(page if side != "c" else page.replace("m-1", "m-2"))
    assert compare_sites("acme", tmp_path / "a", tmp_path / "b").is_empty()  # a class attribute: nothing to read
    text = compare_sites("acme", tmp_path / "a", tmp_path / "c")
    assert [p.text for p in text.pages] == [["@@ -3,4 +3,4 @@", " Call [the API](https://api.acme.example/) with "
                                            "`curl`.", " | Model |  |", "-| m-1 | default |", "+| m-2 | default |",
                                            " [code block]"]]  # fmt: skip


def sample_report(count: int) -> DiffReport:
    report = DiffReport("main", "0" * 40, unchanged=["other"])
    for k in range(count):
        page = PageChange("/serverless-endpoints/", "changed", ["@@ -1 +1 @@", "-Happy coding!", "+Happy coding."])
        report.changed.append(BrandChange(f"brand-{k:02d}", pages=[page]))
    report.changed.append(BrandChange("acme", pages=[PageChange("/", "changed", ["-Acme", "+Acme Cloud"])]))
    return report


def test_markdown_collapses_identical_changes_and_fits_a_comment() -> None:
    text = render_markdown(sample_report(47))
    assert "the same change in 47 brands" in text
    assert text.count("+Happy coding.") == 1
    assert "<summary><code>acme</code>: pages: 1 changed</summary>" in text
    assert "```diff\n@@ -1 +1 @@\n-Happy coding!\n+Happy coding.\n```" in text
    assert "Preview locally: `branddocs serve --brand brand-00" in text
    big = sample_report(0)
    big.changed = [BrandChange(f"b{k}", pages=[PageChange("/", "changed", [f"+{k} " + "x" * 3000])])
                   for k in range(60)]  # fmt: skip
    limited = render_markdown(big)
    assert len(limited) < 65_536
    assert "more changes left out to fit here" in limited


def test_text_is_coloured_only_when_asked() -> None:
    assert "\033[" not in render_text(sample_report(1))
    assert "\033[32m+Happy coding.\033[0m" in render_text(sample_report(1), colour=True)


# `branddocs serve --brand a --brand b`: one server per brand, on consecutive ports, stopped together.


def free_ports(count: int) -> int:
    """The first of `count` consecutive loopback ports that are free now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        try:
            for port in range(first, first + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise AssertionError(f"no {count} consecutive free ports")


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return response.read().decode()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
def test_serve_several_brands_each_on_its_port(repo: Project, tmp_path: Path) -> None:
    port = free_ports(2)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "branddocs"), "serve", "--brand", "acme", "--brand", "nebula", f"--dev-addr=127.0.0.1:{port}"],
            cwd=repo.root, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        )  # fmt: skip
    children: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while log.read_text(errors="replace").count("Serving on") < 2:
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.3)
        children = _children(proc.pid)
        assert len(children) == 2, children
        assert "Acme Cloud" in _get(f"http://127.0.0.1:{port}/")
        assert "Nébula AI" not in _get(f"http://127.0.0.1:{port}/")
        assert "Nébula AI" in _get(f"http://127.0.0.1:{port + 1}/")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        assert [pid for pid in children if Path(f"/proc/{pid}").exists()] == [], "a server outlived branddocs serve"
    finally:
        for pid in (proc.pid, *children):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait()


def test_serve_checks_every_brands_port_first(repo: Project) -> None:
    port = free_ports(2) + 1
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        done = run_branddocs("serve", "--brand", "acme", "--brand", "nebula", "--dev-addr", f"127.0.0.1:{port - 1}",
                             cwd=repo.root)  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"--dev-addr 127.0.0.1:{port}: cannot listen there (Address already in use)" in done.stderr


@pytest.mark.slow
def test_screenshots_show_each_changed_page_before_and_after(repo: Project, tmp_path: Path) -> None:
    with (repo.docs_dir / "brands" / "yushan" / "service-hours.md").open("a", encoding="utf-8") as page:
        page.write("\n週末不提供服務。\n")
    report = diff_json(repo, "HEAD", "--screenshots", str(tmp_path / "shots"))
    shots = report["shots"]["yushan"]
    assert shots == [str(tmp_path / "shots" / "yushan" / f"service-hours-{side}.png") for side in ("before", "after")]
    before, after = (Path(p).read_bytes() for p in shots)
    assert before.startswith(b"\x89PNG")
    assert after.startswith(b"\x89PNG")
    assert before != after


def test_untrusted_text_cannot_break_the_report() -> None:
    hostile = "Kestrel </details><script>alert(1)</script>\x1b[2J"
    page = PageChange("/", "changed", [f"-{hostile}", f"+{hostile}!"], {f"{hostile} › Python": ["+x```y"]})
    report = DiffReport("main", "0" * 40, changed=[BrandChange("acme", pages=[page])])
    markdown = render_markdown(report)
    outside_fences = "".join(markdown.split("```")[::2])  # inside a fence, GitHub shows markup as text
    assert outside_fences.count("</details>") == 1  # ours, closing acme's section
    assert "<script>" not in outside_fences
    assert "\x1b" not in markdown
    assert "x```y" not in markdown  # a fence inside a diff does not end ours
    for colour in (False, True):
        shown = render_text(report, colour=colour)
        assert "\x1b[2J" not in shown
        assert "\\x1b[2J" in shown
