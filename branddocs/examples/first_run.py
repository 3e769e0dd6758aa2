"""What `branddocs check` makes sure of before any example runs, and tells in its header.

- The endpoint under test: one authenticated `GET {base}/models`; a base URL that serves neither `/models` nor
  `/chat/completions` (both 404) stops the run, naming the URLs tried and the path it is likely missing (`/v1`).
- What the examples run with: the Python interpreter and its `openai`, `node` and the `openai` npm package, with
  their versions. Where node_modules has no `openai` (`npm ci` never ran), that is said once with the command to
  run, and Node.js examples are skipped for it: no example is blamed for a missing install.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from branddocs.errors import EXIT_NO_API, EXIT_REFUSED, EXIT_UNREACHABLE
from branddocs.examples.responses.errors import error_summary
from branddocs.settings import API_KEY, ENDPOINT, NODE_MODULES

__all__ = ["Sdks", "endpoint_line", "preflight", "sdks"]

_MISSING = (404, 405)


def _get(url: str, key: str, timeout: float) -> httpx.Response:
    return httpx.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=timeout, trust_env=False)


def _with_v1(upstream: str) -> str | None:
    """The base URL with `/v1` added to its path, unless it already ends so."""
    parts = urlsplit(upstream)
    if parts.path.rstrip("/").endswith("/v1"):
        return None
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/v1"))


def preflight(upstream: str, key: str, timeout: float = 10.0) -> tuple[int, str] | None:
    """Before any example: (exit code, one line) if the endpoint under test cannot be what the guide's examples call.

    One authenticated `GET {upstream}/models`: unreachable (10), an error other than 404/405 (11). A platform
    without `/models` is fine, unless `POST {upstream}/chat/completions` is missing too (13): then the base URL is
    wrong, and the line names both URLs and, where `{upstream}/v1/models` answers, that base URL instead.
    """
    models = f"{upstream}/models"
    try:
        response = _get(models, key, timeout)
        if response.status_code in _MISSING:
            chat = httpx.post(f"{upstream}/chat/completions", json={}, headers={"Authorization": f"Bearer {key}"},
                              timeout=timeout, trust_env=False)  # fmt: skip
    except httpx.HTTPError as exc:
        return (
            EXIT_UNREACHABLE,
            f"{ENDPOINT.name}={upstream} is unreachable ({type(exc).__name__}: {exc}); no example was run",
        )
    if response.is_success:
        return None
    if response.status_code in _MISSING:
        if chat.status_code not in _MISSING:
            return None  # a platform without /models is still fine
        hint = ""
        other = _with_v1(upstream)
        if other is not None:
            try:
                found = _get(f"{other}/models", key, timeout).status_code not in _MISSING
            except httpx.HTTPError:
                found = False
            hint = (f"; {other}/models answers: set {ENDPOINT.name}={other}" if found else
                    "; an OpenAI-compatible base URL usually ends in /v1")  # fmt: skip
        return EXIT_NO_API, (
            f"{ENDPOINT.name}={upstream} is not an OpenAI-compatible base URL: GET {models} answered "
            f"{response.status_code} and POST {upstream}/chat/completions answered {chat.status_code}{hint}; "
            "no example was run"
        )
    summary = error_summary(response.status_code, response.content, response.headers.get("content-type", ""))
    hint = f" (is ${API_KEY.name} the key for it?)" if response.status_code in (400, 401, 403, 500) else ""
    return EXIT_REFUSED, f"{ENDPOINT.name}={upstream}: GET /models: {summary}{hint}; no example was run"


def endpoint_line(upstream: str) -> str:
    """The header's line naming the endpoint under test."""
    if upstream:
        return f"branddocs: the endpoint under test: {upstream} (${ENDPOINT.name}); its key: ${API_KEY.name}"
    return (f"branddocs: the endpoint under test: branddocs' reference endpoint on loopback (set ${ENDPOINT.name} and "
            f"${API_KEY.name} to check your own server)")  # fmt: skip


@dataclass(frozen=True)
class Sdks:
    """What the examples run with, and what is missing."""

    python: str
    """`Python 3.11.7, openai 3.51.0 (/path/to/python)`."""
    node: str
    """`Node.js v20.20.2, openai 6.49.0 (/path/to/node_modules)`, or what is missing."""
    node_missing: str = ""
    """Why Node.js examples cannot run here and the command that fixes it; empty when they can."""

    def lines(self) -> list[str]:
        found = [
            f"branddocs: Python examples run with {self.python}",
            f"branddocs: Node.js examples run with {self.node}",
        ]
        if self.node_missing:
            found[1] = f"branddocs: Node.js examples are SKIPPED: {self.node_missing}"
        return found


def _python_line(python: str) -> str:
    if Path(python).resolve() == Path(sys.executable).resolve():
        openai, version = metadata.version("openai"), sys.version.split()[0]
    else:
        query = "import sys, importlib.metadata as m; print(sys.version.split()[0], m.version('openai'))"
        try:
            done = subprocess.run([python, "-I", "-c", query], capture_output=True, text=True, timeout=30, check=True)
            version, openai = done.stdout.split()
        except (OSError, subprocess.SubprocessError, ValueError):
            return f"{python} (its openai could not be read)"
    return f"Python {version}, openai {openai} ({python})"


def sdks(python: str, node: str, modules: Path) -> Sdks:
    """The SDKs the examples run with (run.example_python, run.example_node), read once for the header."""
    package = modules / "openai" / "package.json"
    if not package.is_file():
        given = f" (${NODE_MODULES.name})" if NODE_MODULES.get() else ""
        fix = f"run `npm ci` in {modules.parent}" if not given else f"install the openai npm package in {modules}"
        missing = f"{modules}{given} has no openai package: {fix} (in this repository: make node_modules/.installed)"
        return Sdks(_python_line(python), "nothing", missing)
    found = shutil.which(node) or node
    try:
        node_version = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=30,
                                      check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return Sdks(_python_line(python), "nothing", f"{node} does not run: install Node.js")
    openai = json.loads(package.read_text(encoding="utf-8")).get("version", "?")
    return Sdks(_python_line(python), f"Node.js {node_version}, openai {openai} ({modules})")
