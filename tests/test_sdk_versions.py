"""What the guide says about the SDKs holds: the locks, the packages' own metadata and every built guide agree.

And `make test-latest` (tools/latest.py) does its job: an example that passes with the locked `openai` and
fails with the newest fails the run, shown in its table.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from branddocs.site import Project
from branddocs.site.sdk_versions import declared_node_minimum, lock_problems, node_sdk, python_sdk, stated_problems

from .conftest import ROOT, run_branddocs

STATEMENTS = {"python", "node", "pip", "npm"}
LATEST_PYTHON = ROOT / ".cache" / "latest" / "python" / "bin" / "python"


def site_problems(site: Path, root: Path) -> tuple[list[str], set[str]]:
    """Every built page's statements about the SDKs checked against the packages; which statements the site makes."""
    problems, made = [], set()
    for page in sorted(site.rglob("*.html")):
        found, said = stated_problems(page.read_text(encoding="utf-8"), str(page.relative_to(site.parent)), root)
        problems += found
        made |= said
    return problems, made


def test_the_locks_the_packages_and_package_json_agree() -> None:
    assert lock_problems(ROOT) == []


def test_a_pin_or_engines_that_disagree_with_the_packages_fails(tmp_path: Path) -> None:
    for name in ("pyproject.toml", "requirements.lock", "package-lock.json"):
        shutil.copy2(ROOT / name, tmp_path / name)
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    package["engines"]["node"] = ">=4"
    package["dependencies"]["openai"] = "6.0.0"
    (tmp_path / "package.json").write_text(json.dumps(package), encoding="utf-8")
    lock = tmp_path / "requirements.lock"
    lock.write_text(lock.read_text(encoding="utf-8").replace(f"openai=={python_sdk().version}", "openai==3.0.0"))

    problems = "\n".join(lock_problems(tmp_path))

    assert f"{lock}: pins openai 3.0.0, but openai {python_sdk().version} is installed" in problems
    assert f"{tmp_path / 'package.json'}: dependencies.openai is 6.0.0" in problems
    assert f"{tmp_path / 'package.json'}: engines.node '>=4' says Node.js 4, but openai" in problems
    assert "pyproject.toml" not in problems  # what was not changed is not blamed


@pytest.mark.slow
def test_every_built_guide_states_what_the_packages_declare(built_sites: dict[str, Path]) -> None:
    for brand, site in built_sites.items():
        problems, made = site_problems(site, ROOT)
        assert problems == [], brand
        assert made == STATEMENTS, f"{brand}: the guide no longer states {sorted(STATEMENTS - made)}"


@pytest.mark.slow
def test_a_built_guide_that_states_other_versions_fails(scratch: Project, tmp_path: Path) -> None:
    guide = scratch.docs_dir / "serverless-endpoints.md"
    text = guide.read_text(encoding="utf-8")
    text = text.replace("{{ python_min }}", "2.7").replace("{{ pip_install_openai }}", "pip install openai", 1)
    guide.write_text(text, encoding="utf-8")
    # The scratch project links package.json to the real one: write a file of its own in its place.
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    package["engines"]["node"] = ">=4"
    (scratch.root / "package.json").unlink()
    (scratch.root / "package.json").write_text(json.dumps(package), encoding="utf-8")
    site = tmp_path / "site"

    done = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root)
    assert done.returncode == 0, done.stdout + done.stderr
    problems = "\n".join(site_problems(site / "acme", scratch.root)[0])

    py = python_sdk()
    page = "acme/serverless-endpoints/index.html"
    assert f"{page}: says Python 2.7, but openai {py.version} declares Requires-Python {py.requires!r}" in problems
    assert f"{page}: shows 'pip install openai'; the checks run openai {py.version}" in problems
    needs = declared_node_minimum(ROOT / "node_modules" / "openai")[0]
    assert f"{page}: says Node.js 4, but openai {node_sdk(ROOT).version} needs Node.js {needs}" in problems
    assert "npm install" not in problems  # the npm command was left as it is


NEWEST_BREAKS = """
# Examples and the newest SDK

```python
import os

from openai import OpenAI

client = OpenAI(base_url="{{ base_url }}", api_key=os.environ["{{ api_key_env }}"])
reply = client.chat.completions.create(model="{{ default_model }}", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)
#> OUTPUT
```

```python
import os
from importlib.metadata import version

from openai import OpenAI

# Deliberately broken: it stands for an example that relies on what a newer release changes.
if version("openai") != "{{ openai_python_version }}":
    raise RuntimeError("written for openai {{ openai_python_version }} only")
client = OpenAI(base_url="{{ base_url }}", api_key=os.environ["{{ api_key_env }}"])
reply = client.chat.completions.create(model="{{ default_model }}", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)
#> OUTPUT
```
"""


def _newest_python_openai() -> str | None:
    if not LATEST_PYTHON.exists():
        return None
    query = "import importlib.metadata as m; print(m.version('openai'))"
    return subprocess.run([LATEST_PYTHON, "-c", query], capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.slow
def test_the_table_fails_an_example_only_the_newest_sdk_breaks(scratch: Project, tmp_path: Path) -> None:
    # Two real openai releases are needed: the newest comes from PyPI, which `make test` does not reach, so this
    # runs where `make test-latest` has made .cache/latest/ (and `make test-latest` runs it itself).
    newest = _newest_python_openai()
    if newest is None:
        pytest.skip("needs the scratch environments of `make test-latest` (.cache/latest/): run it once")
    if newest == python_sdk().version:
        pytest.skip(f"the newest openai is the locked one ({newest}): nothing to tell apart")
    page = scratch.docs_dir / "newest-sdk.md"
    page.write_text(NEWEST_BREAKS, encoding="utf-8")
    # The replies the reference endpoint gives, in place of `#> OUTPUT` (run with the locked openai).
    update = run_branddocs("check", "--brand", "acme", "newest-sdk.md", "--update-examples", cwd=scratch.root)
    assert "#> OUTPUT" not in page.read_text(encoding="utf-8"), update.stdout + update.stderr

    cmd = [sys.executable, str(ROOT / "tools" / "latest.py"), "--reuse", "--root", str(scratch.root)]
    cmd += ["--brand", "acme", "--page", "newest-sdk.md", "--logs", str(tmp_path / "logs")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    output = done.stdout + done.stderr

    lines = page.read_text(encoding="utf-8").splitlines()
    fences = [number for number, line in enumerate(lines, 1) if line == "```python"]
    works, breaks = (f"acme::newest-sdk.md:{number}::python" for number in fences)
    assert done.returncode == 1, output
    rows = {line.split()[0]: line.split()[1:] for line in output.splitlines() if line.startswith("acme::")}
    assert rows == {works: ["pass", "pass"], breaks: ["pass", "fail"]}, output
    assert f"FAILED {breaks}: passes with the locked SDKs, fails with the newest" in output
    assert f"written for openai {python_sdk().version} only" in output
    assert f"FAILED {works}" not in output
