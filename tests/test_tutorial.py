"""The manual's tutorial, walked as a new user: its own commands, run in a scratch folder, print what it says.

Each step names a code block of a tutorial page (found there verbatim, or the test fails: the page changed)
and runs it with bash, in a project `branddocs new` made outside this repository; what the page quotes as the
output must be in what the command printed. The reference endpoint stands in for "your own server", on a
free port (the page's 8001 becomes that port). Installing branddocs itself is tests/test_package.py's part.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from .support.project import BIN, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
TUTORIAL = ROOT / "manual" / "docs" / "tutorial"
PAGE_PORT = "8001"


def blocks(page: str, language: str) -> list[str]:
    """The code blocks of a tutorial page in `language`, in order."""
    text = (TUTORIAL / page).read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)\n```$", text, re.MULTILINE | re.DOTALL)


def block(page: str, first_line: str, language: str = "sh") -> str:
    """The block of `page` whose first line is `first_line`."""
    found = [b for b in blocks(page, language) if b.splitlines()[0] == first_line]
    assert len(found) == 1, f"{page}: expected one ```{language} block starting {first_line!r}, found {len(found)}"
    return found[0]


def quoted(page: str, first_line: str) -> list[str]:
    """The lines of the ```text block of `page` that starts with `first_line` (what the page says is printed)."""
    return block(page, first_line, "text").splitlines()


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A scratch folder outside the repository, and a user's environment with branddocs on PATH."""
    home = tmp_path_factory.mktemp("tutorial")
    assert not home.resolve().is_relative_to(ROOT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDDOCS_") and k not in ("BRAND", "PYTHONPATH")}
    env.update(PATH=f"{BIN}{os.pathsep}{env['PATH']}", NO_MKDOCS_2_WARNING="1", HOME=str(home))
    # No pytest configuration, as for a user whose branddocs came from a wheel: with this repository's editable
    # install, pytest would find this repository's pyproject.toml above branddocs' suite.py and apply it to the
    # user's project (its filterwarnings = error turns jieba's first compile, without a .pyc, into an error).
    env["PYTEST_ADDOPTS"] = f"-c {os.devnull}"
    return home, env


def sh(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
                          check=False)  # fmt: skip


def both(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


@pytest.mark.longest
def test_first_brand_then_first_checked_example(walk: tuple[Path, dict[str, str]]) -> None:
    home, env = walk
    made = sh(block("first-brand.md", "branddocs new my-docs").replace("cd my-docs", "cd my-docs && pwd"), home, env)
    assert made.returncode == 0, both(made)
    project = home / "my-docs"
    checked = sh(block("first-brand.md", "branddocs check-brands"), project, env)
    assert checked.returncode == 0, both(checked)
    said = quoted("first-brand.md", "/home/you/my-docs/brands/mycloud.yml: ok (My Cloud, "
                  "https://api.mycloud.example/v1, $MY_CLOUD_API_KEY, 1 models)")  # fmt: skip
    assert said[0].replace("/home/you/my-docs", str(project)) in checked.stdout
    assert said[1] in checked.stdout
    unquoted = sh(
        block("first-brand.md", "sed -i 's/primary: \"#1e4fa0\"/primary: #1e4fa0/' brands/mycloud.yml"), project, env
    )
    assert unquoted.returncode == 1, both(unquoted)
    for line in quoted("first-brand.md", "/home/you/my-docs/brands/mycloud.yml:11: theme.primary: expected a value, "
                       "found none: `#` starts a YAML comment, so quote the value: primary: \"#1e4fa0\""):  # fmt: skip
        assert line.replace("/home/you/my-docs", str(project)) in both(unquoted)
    assert sh(block("first-brand.md", "sed -i 's/primary: #1e4fa0/primary: \"#1e4fa0\"/' brands/mycloud.yml"), project,
              env).returncode == 0  # fmt: skip
    built = sh(block("first-brand.md", "BRAND=mycloud mkdocs build"), project, env)
    assert built.returncode == 0, both(built)
    assert (project / "site" / "mycloud" / "index.html").is_file()

    page = "first-checked-example.md"
    passed = sh(block(page, "branddocs check"), project, env)
    assert passed.returncode == 0, both(passed)
    for line in quoted(page, "brand                           bash            json"):
        assert line in passed.stdout
    # Broken on purpose, as the page says: the check fails, in the page's words; put back, it passes.
    for breaks, mends, says in [
        ('sed -i \'s/"max_tokens": 1024/"maxTokens": 1024/\' docs/index.md', 's/"maxTokens": 1024/',
         "docs/index.md:19: the bash example is wrong:"),
        ('sed -i \'s/"prompt_tokens": 22/"prompt_tokens": 23/\' docs/index.md', 's/"prompt_tokens": 23/',
         "docs/index.md:38: the json example is wrong:"),
    ]:  # fmt: skip
        failed = sh(block(page, breaks), project, env)
        assert failed.returncode == 1, both(failed)
        for line in quoted(page, says):
            assert line in failed.stdout, failed.stdout
        [mend] = [b for b in blocks(page, "sh") if mends in b]
        assert sh(mend, project, env).returncode == 0
    again = sh("branddocs check", project, env)
    assert again.returncode == 0, both(again)


def test_against_your_own_server(walk: tuple[Path, dict[str, str]]) -> None:
    home, env = walk
    project = home / "server-docs"
    assert sh(f"branddocs new {project}", home, env).returncode == 0
    page = "your-own-server.md"
    start = block(page, f"branddocs endpoint --port {PAGE_PORT}").replace(f"--port {PAGE_PORT}", "--port 0")
    log = home / "endpoint.log"
    with log.open("w") as out:
        server = subprocess.Popen(["bash", "-c", f"exec {start}"], cwd=project, env=env, stdout=out,
                                  stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "Uvicorn running on" not in log.read_text() and time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()
            time.sleep(0.1)
        text = log.read_text()
        port = text.split("Uvicorn running on http://127.0.0.1:")[1].split()[0]
        key = text.split("API key (made for this run): ")[1].split()[0]
        for line in quoted(page, "branddocs reference endpoint (vllm dialect): 1 models")[:2]:
            assert line.replace(PAGE_PORT, port) in text  # the page's port; the test's the one the system chose

        use = block(page, f"export BRANDDOCS_ENDPOINT=http://127.0.0.1:{PAGE_PORT}/v1")
        use = use.replace(PAGE_PORT, port).replace("<the key it printed>", key)
        passed = sh(use, project, env)
        assert passed.returncode == 0, both(passed)
        assert "examples: 2 passed, 0 failed, 1 skipped" in passed.stdout

        wrong = sh(use.rsplit("\n", 1)[0] + "\n" + block(page, "BRANDDOCS_API_KEY=wrong branddocs check"), project, env)
        assert wrong.returncode == 11, both(wrong)
        [said] = quoted(page, f"branddocs: BRANDDOCS_ENDPOINT=http://127.0.0.1:{PAGE_PORT}/v1: GET /models: "
                        "the endpoint answered 401: Unauthorized (is $BRANDDOCS_API_KEY the key for it?); "
                        "no example was run")  # fmt: skip
        assert wrong.stderr.strip() == said.replace(PAGE_PORT, port)
    finally:
        server.terminate()
        server.wait(timeout=10)
