"""Publishing: one build per site folder, a crash at any point leaves a whole site, stamps only for whole sites."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from branddocs.site import Project
from branddocs.site.publish import publish

from .support.project import ROOT, run_branddocs, tree_digest

pytestmark = pytest.mark.slow


def listing(site: Path) -> dict[str, str]:
    """{file: sha256}; sitemap.xml.gz aside, as it carries the time it was written."""
    files = (p for p in site.rglob("*") if p.is_file() and p.name != "sitemap.xml.gz")
    return {str(p.relative_to(site)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def leftovers(site_root: Path) -> list[str]:
    return sorted(p.name for p in site_root.iterdir() if p.name.startswith((".staging-", ".old-")))


def test_two_concurrent_builds_both_publish_whole_sites(scratch: Project, tmp_path: Path) -> None:
    single = run_branddocs("build", "--site-dir", str(tmp_path / "single"), cwd=scratch.root)
    assert single.returncode == 0, single.stderr
    site = tmp_path / "site"
    command = [str(Path(sys.executable).parent / "branddocs"), "build", "--force", "--site-dir", str(site)]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    runs = [subprocess.Popen(command, cwd=scratch.root, **pipes) for _ in range(2)]  # type: ignore[call-overload]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sum("another build is using" in err for _, err in outputs) == 1, outputs
    for brand_id in ("acme", "brightline", "nebula"):
        assert listing(site / brand_id) == listing(tmp_path / "single" / brand_id), brand_id
    assert leftovers(site) == []
    again = run_branddocs("build", "--site-dir", str(site), cwd=scratch.root)
    assert "0 built, 3 up to date, 0 failed" in again.stdout


def _blocked_on(lock: Path, pid: int) -> bool:
    """The kernel's own word (/proc/locks): process `pid` is waiting for a lock on the file `lock`."""
    found = lock.stat()
    file_id = f"{os.major(found.st_dev):02x}:{os.minor(found.st_dev):02x}:{found.st_ino}"
    for line in Path("/proc/locks").read_text().splitlines():  # "7: -> FLOCK  ADVISORY  WRITE <pid> <file> 0 EOF"
        fields = line.split()
        if "->" in fields and fields[fields.index("->") + 4 : fields.index("->") + 6] == [str(pid), file_id]:
            return True
    return False


def test_a_second_build_waits_for_the_lock(scratch: Project, tmp_path: Path) -> None:
    site = tmp_path / "site"
    command = [str(Path(sys.executable).parent / "branddocs"), "build", "--brand", "acme", "--site-dir", str(site)]
    (site / ".branddocs").mkdir(parents=True)
    with (site / ".branddocs" / "lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as another build holds it
        waiting = subprocess.Popen(command, cwd=scratch.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Wait on the state, not a time: the kernel lists the build as a waiter for the lock (a build that did not
        # wait would never be listed: the deadline only bounds that failure).
        deadline = time.monotonic() + 300
        while not _blocked_on(site / ".branddocs" / "lock", waiting.pid):
            assert waiting.poll() is None, "the build ended while another held the lock"
            assert time.monotonic() < deadline, "the build never waited for the lock"
            time.sleep(0.05)
        assert waiting.poll() is None
        assert not (site / "acme").exists()
    _, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err
    assert f"another build is using {site} (lock {site}/.branddocs/lock); waiting for it" in err
    assert (site / "acme" / "index.html").is_file()


# Runs branddocs' publish step, killed with SIGKILL just before its N-th file-system change.
KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import branddocs.site.publish
    from branddocs.site.publish import publish

    changes = (os.rename, os.replace, os.rmdir, os.unlink, os.remove)
    left = int(sys.argv[3])

    def change():
        global left
        left -= 1
        if left == 0:
            os.kill(os.getpid(), signal.SIGKILL)

    def profile(frame, event, arg):
        if event == "c_call" and any(arg is change for change in changes):
            change()

    exchange = branddocs.site.publish._exchange
    def counted_exchange(a, b):  # a call through ctypes, which the profiler does not see
        change()
        return exchange(a, b)
    branddocs.site.publish._exchange = counted_exchange

    sys.setprofile(profile)
    publish(Path(sys.argv[1]), Path(sys.argv[2]), atomic=sys.argv[4] == "atomic")
    sys.setprofile(None)
""")


@pytest.mark.parametrize("way", ["atomic", "two renames"])
@pytest.mark.parametrize("point", [1, 2, 3, 4, 20, 10_000])
def test_a_publish_killed_at_any_point_is_recovered(scratch: Project, tmp_path: Path, point: int, way: str) -> None:
    """Killed before its 1st change (nothing done), 2nd (between the renames, or after the exchange),
    3rd (new site in place), later (the old site half removed), or never (10,000: the publish ran to its end).
    Both ways: the exchange, and the two renames used where a filesystem refuses it."""
    site = tmp_path / "site"
    first = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root)
    assert first.returncode == 0, first.stderr
    old = listing(site / "acme")
    shutil.copytree(site / "acme", site / ".staging-acme-test")
    (site / ".staging-acme-test" / "new.txt").write_text("the new site")
    new = listing(site / ".staging-acme-test")

    killer = subprocess.run(
        [sys.executable, "-c", KILLER, str(site / ".staging-acme-test"), str(site / "acme"), str(point), way],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert killer.returncode == (0 if point == 10_000 else -9), killer.stderr
    # What the crash left: the old or the new site in place, or the old one whole beside the place.
    if (site / "acme").exists():
        state = "old" if listing(site / "acme") == old else "new" if listing(site / "acme") == new else "broken"
    else:
        state = "old beside" if listing(site / ".old-acme") == old else "broken"
    # The exchange never leaves the place empty: after it, the previous site is in the staging folder.
    expected = {1: "old", 2: "new" if way == "atomic" else "old beside"}.get(point, "new")
    assert state == expected

    again = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root)
    assert again.returncode == 0, again.stderr
    assert leftovers(site) == []
    assert listing(site / "acme") == old
    # The new site was never stamped: it is rebuilt, not called up to date.
    assert ("acme: built" if state == "new" else "acme: up to date") in again.stdout


def test_a_failed_build_after_a_crash_keeps_the_previous_site(scratch: Project, tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert run_branddocs("build", "--site-dir", str(site), cwd=scratch.root).returncode == 0
    before = tree_digest(site / "acme")
    # A crash between the renames of a publish, with another run's staging folder and a half-removed site.
    (site / "acme").rename(site / ".old-acme")
    (site / ".staging-acme-dead").mkdir()
    (site / ".staging-acme-dead" / "index.html").write_text("half a site")
    (site / ".old-nebula").mkdir()
    brand = scratch.brands_dir / "acme.yml"
    brand.write_text(brand.read_text(encoding="utf-8") + "colour: red\n", encoding="utf-8")

    failed = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root)
    assert failed.returncode == 1
    assert "acme: FAILED" in failed.stderr
    assert tree_digest(site / "acme") == before, "the previous site is not as it was"
    assert leftovers(site) == []
    assert (site / "nebula" / "index.html").is_file()

    shutil.rmtree(site / "acme")  # no previous site: the failure must not be mistaken for an intact one
    gone = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root)
    assert gone.returncode == 1
    assert f"there is no previous site at {site / 'acme'}" in gone.stderr


def test_stamps_vouch_only_for_whole_sites(scratch: Project, tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root).returncode == 0
    (site / "acme" / "404.html").unlink()
    lost = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root)
    assert "acme: built" in lost.stdout
    assert (site / "acme" / "404.html").is_file()
    (site / ".branddocs" / "acme.json").write_text('{"inputs": ')  # as a crash mid-write would leave it
    torn = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root)
    assert torn.returncode == 0, torn.stderr
    assert "acme: built" in torn.stdout
    same = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root)
    assert "acme: up to date" in same.stdout  # the control: an untouched site is not rebuilt


# --- never absent, and no worker outlives its build -------------------------------------------------------

# Polls a folder in a tight loop until told to stop; prints how many polls found it absent.
WATCHER = textwrap.dedent("""
    import os, sys
    path, stop, absent = sys.argv[1], sys.argv[2], 0
    print("watching", flush=True)
    while not os.path.exists(stop):
        for _ in range(1000):
            if not os.path.isdir(path):
                absent += 1
    print(absent)
""")


def _absences_while_publishing(site: Path, atomic: bool, times: int) -> int:
    (site / "acme").mkdir(parents=True)
    (site / "acme" / "index.html").write_text("first")
    stop = site / "stop"
    watcher = subprocess.Popen(
        [sys.executable, "-c", WATCHER, str(site / "acme"), str(stop)], stdout=subprocess.PIPE, text=True
    )
    assert watcher.stdout is not None
    assert watcher.stdout.readline() == "watching\n"
    for n in range(times):
        staging = site / f".staging-acme-{n}"
        staging.mkdir()
        (staging / "index.html").write_text(f"publish {n}")
        publish(staging, site / "acme", atomic=atomic)
    stop.touch()
    out, _ = watcher.communicate(timeout=60)
    assert (site / "acme" / "index.html").read_text() == f"publish {times - 1}"
    assert leftovers(site) == []
    return int(out)


def test_a_watcher_never_sees_the_site_absent_during_publishes(tmp_path: Path) -> None:
    assert _absences_while_publishing(tmp_path / "site", atomic=True, times=1500) == 0


def test_the_two_rename_publish_does_blink(tmp_path: Path) -> None:
    # The negative: the same watcher catches the old way's gap between its two renames (a few tries: the
    # gap is microseconds, and the watcher must be running on the other core at that moment).
    seen = [_absences_while_publishing(tmp_path / f"site-{n}", atomic=False, times=1500) for n in range(1)]
    while not seen[-1] and len(seen) < 5:
        seen.append(_absences_while_publishing(tmp_path / f"site-{len(seen)}", atomic=False, times=1500))
    assert seen[-1] > 0, seen


def _descendants(pid: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _kill_build_mid_way(scratch: Project, site: Path, env: dict[str, str]) -> set[int]:
    """Start a build of the three brands, SIGKILL it while its workers build; its workers' pids."""
    command = [
        str(Path(sys.executable).parent / "branddocs"),
        "build",
        "--force",
        "--jobs",
        "2",
        "--site-dir",
        str(site),
    ]
    build = subprocess.Popen(
        command, cwd=scratch.root, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while time.monotonic() < deadline and not (len(workers) >= 2 and list(site.glob(".staging-*"))):
        workers = _descendants(build.pid)
        time.sleep(0.01)
    assert workers, "the build started no workers"
    build.send_signal(signal.SIGKILL)
    build.wait(timeout=10)
    return workers


def _lock_is_free(site: Path) -> bool:
    with (site / ".branddocs" / "lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(lock, fcntl.LOCK_UN)
        return True


def test_a_killed_build_leaves_no_worker_and_the_next_does_not_wait(scratch: Project, tmp_path: Path) -> None:
    site = tmp_path / "site"
    workers = _kill_build_mid_way(scratch, site, {})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers), "workers outlived their build"
    assert _lock_is_free(site)
    start = time.monotonic()
    again = run_branddocs("build", "--site-dir", str(site), cwd=scratch.root)
    assert again.returncode == 0, again.stderr
    assert "another build is using" not in again.stderr
    assert time.monotonic() - start < 120
    assert leftovers(site) == []


def test_without_the_guard_workers_outlive_a_killed_build(scratch: Project, tmp_path: Path) -> None:
    # The negative: without PR_SET_PDEATHSIG the orphaned workers live on, holding the lock.
    site = tmp_path / "site"
    workers = _kill_build_mid_way(scratch, site, {"BRANDDOCS_NO_PDEATHSIG": "1"})
    try:
        time.sleep(1)
        assert any(_alive(w) for w in workers)
        assert not _lock_is_free(site)
    finally:
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker, signal.SIGKILL)  # only the workers this test started, by pid
