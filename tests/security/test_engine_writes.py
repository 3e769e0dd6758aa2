"""The engine writes, binds writable and walks with its privileges only the project's own folders, never where a
link the repository committed leads (red team round 6: F1, F2, F6, F8, F11).

- `docs -> <anything>` and `--update-examples`: the check's clean-up made the link's target world-readable and
  stripped its set-ids (`/root/.ssh`, `/usr/bin`), and the harness wrote through it. Mechanism: `Project.find`
  refuses a project whose top-level folders (`links.TOP_FOLDERS`) or the folders the engine writes (`site/`,
  `.cache/`) are links, before any command starts; `Workspace.make` refuses a linked `docs/` and `no_set_ids` never
  walks a link.
- `--junitxml=reports/junit.xml` with `reports/junit.xml` (or `reports/`) a committed link: the engine's copy wrote a
  `.pth` into its own installation. Mechanism: `workspace.copy_out`, every folder on the way under the project its
  own, the file written new beside the wanted one and renamed over it.
- A project found by walking up from the working folder must be the caller's or root's (git's "dubious ownership").
- The check's first read of each page (its fence settings) reads it as a build does (`links.source_problem`).
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from branddocs.brand.links import source_problem
from branddocs.examples.isolation.workspace import Workspace, copy_out, no_set_ids
from branddocs.site import Project

from ..support.project import run_branddocs

SECRET = "root-only secret 0123"


def _victim(tmp_path: Path) -> Path:
    """A folder outside the project that must stay as it is: private modes, a set-user-ID file."""
    victim = tmp_path / "victim"
    (victim / "private").mkdir(parents=True)
    (victim / "private" / "id_ed25519").write_text(SECRET)
    (victim / "private" / "id_ed25519").chmod(0o600)
    (victim / "private").chmod(0o700)
    (victim / "suid").write_text("#!/bin/sh\n")
    (victim / "suid").chmod(0o4755)
    return victim


def _modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): stat.S_IMODE(p.lstat().st_mode) for p in [folder, *folder.rglob("*")]}


def test_a_linked_docs_folder_stops_the_check_before_anything_runs(scratch: Project, tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    before = _modes(victim)
    shutil.rmtree(scratch.docs_dir)
    scratch.docs_dir.symlink_to(victim)
    done = run_branddocs("check", "--update-examples", cwd=scratch.root, env={"BRANDDOCS_ENDPOINT": ""})
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"docs/ {scratch.docs_dir} (a symbolic link) -> {victim}: expected a folder" in done.stderr
    assert _modes(victim) == before


@pytest.mark.parametrize("folder", ["site", ".cache"])
def test_a_linked_folder_the_engine_writes_stops_the_build(scratch: Project, tmp_path: Path, folder: str) -> None:
    victim = _victim(tmp_path)
    before = _modes(victim)
    (scratch.root / folder).symlink_to(victim)
    done = run_branddocs("build", "--brand", "acme", cwd=scratch.root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{folder}/ {scratch.root / folder} (a symbolic link) -> {victim}: expected a folder" in done.stderr
    if folder == "site":
        assert "to publish elsewhere, pass --site-dir" in done.stderr
    assert _modes(victim) == before
    assert sorted(p.name for p in victim.iterdir()) == ["private", "suid"]


def test_the_projects_own_folders_pass(scratch: Project) -> None:
    (scratch.root / "site").mkdir(exist_ok=True)
    (scratch.root / ".cache").mkdir(exist_ok=True)
    assert scratch.folder_problems() == []
    assert Project.find(scratch.root / "docs").root == scratch.root


def test_no_set_ids_walks_no_link_and_the_workspace_binds_none(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    before = _modes(victim)
    link = tmp_path / "docs"
    link.symlink_to(victim)
    no_set_ids(link)
    assert _modes(victim) == before
    with pytest.raises(ValueError, match="a symbolic link; expected the project's own docs/ folder"):
        Workspace.make(link)
    # The negative: what the clean-up did before, given the link's target (it resolved `docs` first).
    no_set_ids(link.resolve())
    after = _modes(victim)
    assert after["private/id_ed25519"] == 0o644
    assert after["suid"] == 0o755


@pytest.mark.parametrize("linked", ["reports", "reports/junit.xml"])
def test_an_output_is_never_written_through_a_link_in_the_project(tmp_path: Path, linked: str) -> None:
    project, outside = tmp_path / "project", tmp_path / "engine"
    project.mkdir()
    outside.mkdir()
    source = tmp_path / "output.xml"
    source.write_text("<testsuites/>\nimport os\n")
    if linked == "reports":
        (project / "reports").symlink_to(outside)
    else:
        (project / "reports").mkdir()
        (project / "reports" / "junit.xml").symlink_to(outside / "zz.pth")
    problem = copy_out(source, project / "reports" / "junit.xml", project)
    assert list(outside.iterdir()) == []
    if linked == "reports":
        assert problem == f"{project / 'reports' / 'junit.xml'}: {project / 'reports'} is a symbolic link inside the " \
                          "project; expected its own folder (no link)"  # fmt: skip
    else:  # the link itself is replaced by the report: its target is never made
        assert problem is None
        assert not (project / "reports" / "junit.xml").is_symlink()
        assert (project / "reports" / "junit.xml").read_text() == source.read_text()
    # The negative: the copy the engine made before follows the link and makes its target.
    if linked != "reports":
        (project / "reports" / "junit.xml").unlink()
        (project / "reports" / "junit.xml").symlink_to(outside / "zz.pth")
    shutil.copyfile(source, project / "reports" / "junit.xml")
    assert [p.name for p in outside.iterdir()] in (["junit.xml"], ["zz.pth"])


def test_an_output_asked_for_in_a_new_folder_or_outside_is_written(tmp_path: Path) -> None:
    project, source = tmp_path / "project", tmp_path / "output.xml"
    project.mkdir()
    source.write_text("<testsuites/>")
    assert copy_out(source, project / "new" / "deeper" / "junit.xml", project) is None
    assert (project / "new" / "deeper" / "junit.xml").read_text() == "<testsuites/>"
    assert copy_out(source, tmp_path / "elsewhere" / "junit.xml", project) is None
    assert (tmp_path / "elsewhere" / "junit.xml").read_text() == "<testsuites/>"


def test_a_checks_junit_report_through_a_committed_link_is_kept_in_the_work_folder(
    scratch: Project, tmp_path: Path
) -> None:  # fmt: skip
    outside = tmp_path / "engine-site-packages"
    outside.mkdir()
    (scratch.root / "reports").symlink_to(outside)
    page = scratch.docs_dir / "one.md"
    page.write_text('# One\n\n```json\n{"a": 1}\n```\n', encoding="utf-8")
    done = run_branddocs("check", "--brand", "acme", "one.md", "--", "--junitxml=reports/junit.xml",
                         cwd=scratch.root, env={"BRANDDOCS_ENDPOINT": ""})  # fmt: skip
    assert list(outside.iterdir()) == []
    assert f"{scratch.root / 'reports'} is a symbolic link inside the project" in done.stderr
    assert "it is kept as " in done.stderr


def test_a_pages_first_read_follows_no_link_out_of_docs(scratch: Project, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("```python title='export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI'\n```\n", encoding="utf-8")
    secret.chmod(0o600)
    (scratch.docs_dir / "notes.md").symlink_to(secret)
    done = run_branddocs("check", "--brand", "acme", "notes.md", cwd=scratch.root, env={"BRANDDOCS_ENDPOINT": ""})
    assert done.returncode != 0
    assert f"{scratch.docs_dir / 'notes.md'} -> {secret}: expected a file inside" in done.stderr
    assert "wJalrXUtnFEMI" not in done.stdout + done.stderr
    # The negative: a page of docs/ itself passes the same rule.
    assert source_problem(scratch.docs_dir / "serverless-endpoints.md", scratch.root, None, None) is None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs a second user's files: only root can make them here")
def test_a_project_above_owned_by_another_user_is_refused(scratch: Project, tmp_path: Path) -> None:
    below = scratch.root / "work" / "sub"
    below.mkdir(parents=True)
    os.chown(scratch.root, 65534, 65534)
    done = run_branddocs("check-brands", cwd=below)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{scratch.root}: a branddocs project above the working folder, owned by user 65534" in done.stderr
    assert run_branddocs("check-brands", cwd=below, env={"BRANDDOCS_ROOT": str(scratch.root)}).returncode == 0
    # The negative: the same project as root's own is found from below.
    os.chown(scratch.root, 0, 0)
    assert run_branddocs("check-brands", cwd=below).returncode == 0


def test_only_changed_pages_come_back_from_the_harnesss_copy_of_docs(tmp_path: Path) -> None:
    """--update-examples (R7-11): the harness wrote a private copy of docs/; the engine writes back the `.md` pages it
    changed as new files of its own (the page's mode, at most 0644), never a file it made, a link, nor a mode it chose,
    and leaves a page changed meanwhile as it is. The negative: each is there, in the copy, as the harness made it."""
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    for name in ("a.md", "sub/b.md", "linked.md", "late.md"):
        (docs / name).write_text(f"# {name}\n")
    (docs / "sub" / "b.md").chmod(0o600)
    secret = tmp_path / "secret.md"
    secret.write_text(SECRET)
    secret.chmod(0o600)
    space = Workspace.make(docs)
    copy = Path(space.binds[0][0])
    assert space.binds == [(str(copy), str(docs))]
    assert str(docs) not in space.writable  # docs/ itself is never bound
    (copy / "a.md").write_text("# a, updated\n")
    (copy / "a.md").chmod(0o6777)
    (copy / "sub" / "b.md").write_text("# b, updated\n")
    (copy / "linked.md").unlink()
    (copy / "linked.md").symlink_to(secret)
    (copy / "new.md").write_text("# made by the harness\n")
    (copy / "late.md").write_text("# late, updated\n")
    (docs / "late.md").write_text("# late, edited by its author meanwhile\n")
    assert stat.S_IMODE((copy / "a.md").stat().st_mode) == 0o6777  # the negative: as the harness left them
    assert (copy / "linked.md").read_text() == SECRET
    problems = space.close(keep=False)
    assert problems == [f"{docs / 'late.md'}: changed while the check ran; its update is kept in {copy / 'late.md'}"]
    assert copy.exists(), "kept: it holds an update not written back"
    assert (docs / "a.md").read_text() == "# a, updated\n"
    assert stat.S_IMODE((docs / "a.md").stat().st_mode) == 0o644
    assert (docs / "sub" / "b.md").read_text() == "# b, updated\n"
    assert stat.S_IMODE((docs / "sub" / "b.md").stat().st_mode) == 0o600
    assert (docs / "linked.md").read_text() == "# linked.md\n"
    assert not (docs / "linked.md").is_symlink()
    assert not (docs / "new.md").exists()
    assert (docs / "late.md").read_text() == "# late, edited by its author meanwhile\n"
    shutil.rmtree(space.folder)
