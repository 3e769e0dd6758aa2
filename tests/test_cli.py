"""What a writer runs: `make test [BRAND=id]`, `branddocs schema`, `branddocs serve`, and adding a brand."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import jsonschema
import pytest
import yaml

from branddocs.site import Project

from .support.make import make, makefile_for
from .support.project import BIN, FIXTURES, ROOT, run_branddocs

# `make test BRAND=...` and the system packages it needs.


def test_make_test_with_an_unknown_brand_stops_at_once(project: Project) -> None:
    done = make("test", "BRAND=nope")
    assert done.returncode == 2
    brands = " ".join(project.brand_ids())
    assert f"unknown brand 'nope': no brands/nope.yml; brands: {brands}" in done.stderr
    assert "ruff" not in done.stdout + done.stderr, "lint ran before the brand was checked"
    assert make("known-brand", "BRAND=../brands/" + project.brand_ids()[0]).returncode == 2


def test_a_known_brand_passes(project: Project) -> None:
    done = make("-s", "known-brand", f"BRAND={project.brand_ids()[0]}")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_present_system_packages_are_left_alone() -> None:
    done = make("-s", "system-packages")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_missing_system_packages_name_the_command_to_run() -> None:
    if os.getuid() != 0:
        pytest.skip("needs root, to run make as another user who may not install packages")
    with makefile_for(65534) as folder:
        args = ("-s", "system-packages", "CHROMIUM=/nonexistent/chromium", "DEJAVU=/nonexistent.ttf")
        done = make(*args, user=65534, directory=folder)
    assert done.returncode != 0
    assert done.stderr.splitlines()[0] == (
        "missing system packages: chromium fonts-dejavu-core; install them with: "
        "sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core"
    )


# `branddocs schema`: editors validate and complete brand files with it.


def test_the_committed_schema_is_the_commands_output(project: Project) -> None:
    done = run_branddocs("schema", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    committed = ROOT / "brands" / "brand.schema.json"
    assert committed.read_text(encoding="utf-8") == done.stdout, (
        "brands/brand.schema.json is stale: run `.venv/bin/branddocs schema > brands/brand.schema.json`"
    )


def test_the_schema_needs_no_project(tmp_path: Path) -> None:
    done = run_branddocs("schema", cwd=tmp_path)  # a folder with no mkdocs.yml or brands/ above it
    assert done.returncode == 0, done.stderr
    assert done.stdout == (ROOT / "brands" / "brand.schema.json").read_text(encoding="utf-8")


def test_the_schema_accepts_good_brand_files_and_rejects_bad_ones() -> None:
    schema = json.loads((ROOT / "brands" / "brand.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted((FIXTURES / "brands").glob("*.yml")):
        assert list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))) == [], path
    acme = yaml.safe_load((FIXTURES / "brands" / "acme.yml").read_text(encoding="utf-8"))
    bad = [{**acme, "defualt_model": "x"}, {**acme, "theme": {"primary": None}}, {"user_name": "No Models"}]
    for data in bad:
        assert not validator.is_valid(data), data


# `branddocs serve`: checks its address first, reloads on overrides, and stops with its child.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("addr", "expected"),
    [
        ("127.0.0.1:70000", "--dev-addr: expected HOST:PORT with a port from 1 to 65535, found '127.0.0.1:70000'"),
        ("127.0.0.1", "--dev-addr: expected HOST:PORT with a port from 1 to 65535, found '127.0.0.1'"),
        ("127.0.0.1:http", "expected HOST:PORT"),
        ("192.0.2.1:8000", "--dev-addr 192.0.2.1:8000: cannot listen there (Cannot assign requested address)"),
    ],
)
def test_serve_refuses_a_bad_address_in_one_line(scratch: Project, addr: str, expected: str) -> None:
    done = run_branddocs("serve", "--brand", "acme", "--dev-addr", addr, cwd=scratch.root)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert expected in done.stderr
    assert done.stdout == ""


def test_serve_refuses_a_busy_port_before_building(scratch: Project) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_branddocs("serve", "--brand", "acme", "--dev-addr", f"127.0.0.1:{port}", cwd=scratch.root)
    assert done.returncode == 2
    assert done.stderr == (
        f"branddocs serve: --dev-addr 127.0.0.1:{port}: cannot listen there (Address already in use); "
        "choose another port\n"
    )
    assert done.stdout == ""


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@contextmanager
def serving(project: Project, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`branddocs serve --brand acme` on a free port, once it answers; yields the process and its port."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "branddocs"), "serve", "--brand", "acme", "--dev-addr", f"127.0.0.1:{port}"],
            cwd=project.root, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    children: list[int] = []
    try:
        deadline = time.monotonic() + 90
        while "Serving on" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "serve did not start:\n" + log.read_text(errors="replace")
            time.sleep(0.2)
        children += children_of(proc.pid)
        yield proc, port
    finally:
        for pid in (proc.pid, *children):  # a failed test must not leave a server behind either
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait()


def wait_for(predicate, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_with_its_child_on_a_signal(scratch: Project, tmp_path: Path, signum: int) -> None:
    with serving(scratch, tmp_path / "serve.log") as (proc, port):
        children = children_of(proc.pid)
        assert len(children) == 1, children  # mkdocs serve
        proc.send_signal(signum)
        proc.wait(timeout=30)
        assert not Path(f"/proc/{children[0]}").exists(), "mkdocs serve outlived branddocs serve"
    with socket.socket() as again:  # the port is free for the next `make serve`
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))


@pytest.mark.slow
def test_serve_rebuilds_when_an_override_changes(scratch: Project, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"

    def builds() -> int:
        return len(re.findall(r"Building documentation", log.read_text(errors="replace")))

    with serving(scratch, log) as (proc, _):
        first = builds()
        with (scratch.root / "overrides" / "main.html").open("a", encoding="utf-8") as override:
            override.write("\n{# changed by a test #}\n")
        assert wait_for(lambda: builds() > first), "no rebuild after an override changed:\n" + log.read_text()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


# Adding a brand exactly as the manual's "Add a brand" says keeps the brand's checks green.


@pytest.mark.slow
@pytest.mark.longest
def test_a_brand_added_as_the_writers_page_says_passes_its_checks(scratch: Project) -> None:
    page = (ROOT / "manual" / "docs" / "how-to" / "add-a-brand.md").read_text(encoding="utf-8")
    smallest = re.search(r"The smallest file that builds:\n\n\s*```yaml[^\n]*\n(.*?)\n\s*```", page, re.DOTALL)
    assert smallest, "manual/docs/how-to/add-a-brand.md no longer shows the smallest brand file"
    text = "\n".join(line.strip() and line[4:] for line in smallest[1].splitlines()) + "\n"
    # Kestrel Compute serves a model that acme serves too: tenants of one platform share models.
    text = text.replace("Example Co", "Kestrel Compute").replace("example-co", "kestrel")
    assert "models: [meta-llama-3-8b-instruct]" in text
    (scratch.brands_dir / "kestrel.yml").write_text(text, encoding="utf-8")  # step 1
    images = scratch.docs_dir / "images" / "kestrel"  # step 2: the Playground screenshot
    images.mkdir()
    (images / "endpoint.png").write_bytes((FIXTURES / "images" / "acme" / "endpoint.png").read_bytes())

    checked = run_branddocs("check-brands", cwd=scratch.root)  # step 3
    assert checked.returncode == 0, checked.stderr
    assert "kestrel.yml: ok (Kestrel Compute, https://api.kestrel.example/api/v1/ai" in checked.stdout

    # The brand-level checks of `make test BRAND=kestrel` on that project: its file, build, examples, browser.
    files = ["tests/test_brands.py", "tests/test_build.py", "tests/test_build_many.py", "tests/test_examples.py"]
    done = subprocess.run(
        [str(BIN / "pytest"), "-p", "no:cacheprovider", "-q", "-rA", "--brand", "kestrel", *files,
         "tests/test_browser.py"],
        cwd=scratch.root, env={**os.environ, "BRANDDOCS_ROOT": str(scratch.root)},
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    for test in ("test_no_brand_leaks_into_another[kestrel]", "test_guide_in_a_browser[kestrel]", "[kestrel::"):
        assert re.search(rf"^PASSED \S+{re.escape(test)}", done.stdout, re.MULTILINE), f"{test} did not pass"


def test_env_lists_every_setting_and_never_a_secret_value(monkeypatch, capsys):
    from branddocs.cli import main
    from branddocs.settings import SETTINGS

    monkeypatch.setenv("BRANDDOCS_API_KEY", "sk-never-printed-0123456789")
    assert main(["env"]) == 0
    out = capsys.readouterr().out
    for setting in SETTINGS:
        assert setting.name in out
    assert "BRANDDOCS_API_KEY          set" in out
    assert "sk-never-printed" not in out


def test_errors_carry_their_exit_codes():
    from branddocs.brand import BrandError
    from branddocs.errors import EXIT_FENCE, EXIT_USAGE, BranddocsError
    from branddocs.markup import FenceError

    assert issubclass(BrandError, BranddocsError)
    assert BrandError("x").exit_code == EXIT_USAGE
    assert issubclass(FenceError, BranddocsError)
    assert FenceError("x").exit_code == EXIT_FENCE


def test_shared_options_mean_the_same_in_every_command():
    from branddocs.cli import parser as make_parser

    parser = make_parser()
    for command in ("build", "check", "diff"):
        args = parser.parse_args([command, "--jobs", "3", "--brand", "acme"])
        assert (args.jobs, args.brand) == (3, ["acme"])
        assert parser.parse_args([command, "-j", "2"]).jobs == 2
    assert parser.parse_args(["check", "-n", "4"]).jobs == 4  # pytest-xdist's spelling, kept for check


def test_an_unknown_brand_reads_the_same_in_every_command(tmp_path):
    from branddocs.brand import BrandError

    project = Project.find(ROOT)
    messages = set()
    for call in (lambda: project.known_brands(["nope"]), lambda: project.brand("nope")):
        with pytest.raises(BrandError) as raised:
            call()
        messages.add(str(raised.value))
    assert len(messages) == 1
    assert "unknown brand 'nope'" in messages.pop()
    assert project.known_brands(None) == project.brand_ids()  # the negative: no brand named, every brand
