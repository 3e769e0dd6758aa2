"""`branddocs check` run on a scratch project as a user runs it, and its JUnit report read back per example."""

from __future__ import annotations

import os
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from branddocs.site import Project

from .project import BIN, ROOT, run_branddocs

SEED = ROOT / "tests" / "fixtures" / "seed" / "serverless-endpoints.md"


def check(project: Project, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """Run `branddocs check ARGS`; returns its exit code, {example id: outcome or failure text}, its output."""
    junit = project.root / "junit.xml"
    junit.unlink(missing_ok=True)
    env = {"BRANDDOCS_ENDPOINT": "", "BRANDDOCS_API_KEY": "", **(env or {})}
    done = run_branddocs("check", *args, "--", f"--junitxml={junit}", cwd=project.root, env=env)
    return done.returncode, junit_results(junit), done.stdout + done.stderr


def junit_results(junit: Path) -> dict[str, str]:
    """{example id: "passed", or "<failure|error|skipped>: message\\ntext"} from the JUnit report `branddocs check`
    left at `junit` (empty when it wrote none)."""
    results = {}
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314 - our own JUnit file
            name = re.sub(r"^test_example\[(.*)\]$", r"\1", case.get("name", ""))
            outcome = "passed"
            for tag in ("failure", "error", "skipped"):
                node = case.find(tag)
                if node is not None:
                    outcome = f"{tag}: {node.get('message', '')}\n{node.text or ''}"
                    break
            results[name] = outcome
    return results


def fence_line(page: Path, marker: str) -> int:
    """The 1-based line of the fence opening the block that contains `marker`."""
    lines = page.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if marker in line)
    return next(i for i in range(at, -1, -1) if lines[i].lstrip().startswith("```")) + 1


def outcome(results: dict[str, str], page: Path, marker: str, lang: str, brand: str = "acme") -> str:
    key = f"{brand}::{page.name}:{fence_line(page, marker)}::{lang}"
    assert key in results, f"{key} not among {sorted(results)}"
    return results[key]


def write_page(project: Project, name: str, text: str) -> Path:
    page = project.docs_dir / name
    page.write_text(text, encoding="utf-8")
    return page


def check_under_shell(project: Project, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`branddocs check ARGS` started from a shell that keeps `env` (the secrets) in its own environment."""
    inherited = {k: v for k, v in os.environ.items() if k != "BRANDDOCS_ROOT"}
    # `; status=$?` keeps the shell alive (no exec of its last command): it stays an ancestor of every example.
    script = '"$0" "$@"; status=$?; exit $status'
    return subprocess.run(["sh", "-c", script, str(BIN / "branddocs"), "check", *args], cwd=project.root,
                          env={**inherited, "NO_MKDOCS_2_WARNING": "1", **env}, capture_output=True, text=True,
                          timeout=600, check=False)  # fmt: skip
