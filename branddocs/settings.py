"""Every environment variable branddocs reads: declared, documented and read here, nowhere else.

`branddocs env` prints this table; the README points to it rather than copying it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from branddocs.key_holder import FD_VARIABLE, OFF_VARIABLE, SECRET_WORDS, held

__all__ = ["SAFE_PATH", "SECRET_WORDS", "SETTINGS", "Setting", "describe", "is_secret_name", "without_secrets"]

# SECRET_WORDS (key_holder.py, which reads them at the engine's first line): a variable whose name holds one is a
# secret: the engine drops it from its environment, builds drop it, examples never see it, and the secret scan looks
# for its value. A brand's key variable must be named so (branddocs/brand/model.py).

SAFE_PATH = ("-P",)
"""Every Python the engine starts of its own (`python -P -m branddocs...`: the proxy, the harness's pytest, `serve`'s
child, a build's fresh start) takes its code from the engine's installation, never from the folder it runs in
(PYTHONSAFEPATH: `-m` would put that folder first on sys.path, and a project's `tempfile.py` or `branddocs/`
would be imported in place of the standard library's or the engine's, in the process holding the real key)."""


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, what it is for and what holds when it is unset."""

    name: str
    help: str
    default: str = ""
    """What the reader gets when the variable is unset or empty (described, for the table)."""
    secret: bool = False
    """Never printed, logged or handed to an example."""

    def get(self, environ: Mapping[str, str] | None = None) -> str:
        """The value, stripped; "" when unset or empty. A secret this process took out of its environment at its
        first line (key_holder.py) is answered from memory."""
        kept = held(self.name) if environ is None and self.secret else None
        return (kept if kept is not None else (os.environ if environ is None else environ).get(self.name, "")).strip()

    def is_set(self, environ: Mapping[str, str] | None = None) -> bool:
        return bool(self.get(environ))


BRAND = Setting("BRAND", "the brand a plain `mkdocs build` or `mkdocs serve` builds (brands/<id>.yml)")
ROOT = Setting("BRANDDOCS_ROOT", "the project folder", "found from the current folder upwards")
ENDPOINT = Setting("BRANDDOCS_ENDPOINT", "the OpenAI-compatible endpoint `branddocs check` proves the examples against",
                   "the reference endpoint on loopback, with a key made for the run")  # fmt: skip
API_KEY = Setting("BRANDDOCS_API_KEY", "the key for BRANDDOCS_ENDPOINT; taken out of the engine's environment at its "
                  "start, held in memory by it and the recording proxy alone", secret=True)  # fmt: skip
EXAMPLE_TIMEOUT = Setting("BRANDDOCS_EXAMPLE_TIMEOUT", "seconds one example may run (`--example-timeout`)", "60")
NO_SANDBOX = Setting("BRANDDOCS_NO_SANDBOX", "1: examples run unsandboxed (debugging only; never with a real key)")
BWRAP = Setting("BRANDDOCS_BWRAP", "the bubblewrap binary the sandbox uses", "bwrap on PATH")
EXAMPLE_PYTHON = Setting("BRANDDOCS_EXAMPLE_PYTHON", "the Python interpreter Python examples run with",
                         "the interpreter branddocs runs on")  # fmt: skip
EXAMPLE_NODE = Setting("BRANDDOCS_EXAMPLE_NODE", "the node binary JavaScript examples run with", "node on PATH")
NODE_MODULES = Setting("BRANDDOCS_NODE_MODULES", "the node_modules/ folder JavaScript examples import from",
                       "the project's node_modules/")  # fmt: skip
OPENAPI = Setting("BRANDDOCS_OPENAPI", "a full OpenAI openapi.json for `--conformance openai`",
                  "the subset in branddocs/data/")  # fmt: skip
CHROMIUM = Setting("BRANDDOCS_CHROMIUM", "the Chromium the browser checks and screenshots drive", "/usr/bin/chromium")
NO_PDEATHSIG = Setting("BRANDDOCS_NO_PDEATHSIG", "1: build workers outlive a killed build (only to test the guard)")
MAX_TOKENS = Setting("BRANDDOCS_MAX_TOKENS", "the most `max_tokens` an example's request may ask for when the "
                     "recording proxy forwards it with the real key (examples/proxy/body.py)", "1024")  # fmt: skip
PROXY = Setting("BRANDDOCS_PROXY", "internal: how `branddocs check` tells its pytest where the recording proxy is")
NO_HARNESS = Setting(
    "BRANDDOCS_NO_HARNESS",
    "1: pytest and the repository's code run outside the harness, in sight of "
    "the key holder (only to test the harness; with a real key it needs --unsafe-no-sandbox)",
)
TRY_IT_BASE = Setting("BRANDDOCS_TRY_IT_BASE", "internal: where `branddocs serve --try-it` points a brand's Try it "
                      "panels (the reference endpoint on loopback)", "the brand's base URL")  # fmt: skip

SCAN_FD = Setting(
    "BRANDDOCS_SCAN_FD",
    "internal: the pipe over which `branddocs build`, `serve` and `diff`, started again with a build's "
    "environment, get the values their scan looks for",
)
HELD_FD = Setting(FD_VARIABLE, "internal: the pipe over which `check`, `endpoint` and `env`, started again without "
                  "the key in their environment, get it (branddocs/key_holder.py)")  # fmt: skip
NO_HOLDER = Setting(OFF_VARIABLE, "1, with --unsafe-no-sandbox: the engine keeps the key in its environment, "
                    "dumpable (only to test the key holder)")  # fmt: skip
ROWS_ORDER = Setting(
    "BRANDDOCS_ROWS_ORDER",
    "internal: the one error table an isolation unit's rows client answers (examples/run/rows.py; the client "
    "takes it out of its environment before anything runs)",
)
CACHE_HOME = Setting("XDG_CACHE_HOME", "where branddocs keeps, in branddocs/ below it, the caches it reads back "
                     "(compiled templates, jieba's dictionary and cuts): the caller's own, never the project's",
                     "~/.cache")  # fmt: skip

SETTINGS: tuple[Setting, ...] = (BRAND, ROOT, ENDPOINT, API_KEY, EXAMPLE_TIMEOUT, NO_SANDBOX, BWRAP, EXAMPLE_PYTHON,
                                 EXAMPLE_NODE, NODE_MODULES, OPENAPI, CHROMIUM, NO_PDEATHSIG, MAX_TOKENS, PROXY,
                                 NO_HARNESS, TRY_IT_BASE, SCAN_FD, HELD_FD, NO_HOLDER, ROWS_ORDER,
                                 CACHE_HOME)  # fmt: skip


def describe() -> str:
    """The table `branddocs env` prints: each variable, what it is for, its default and whether it is set."""
    width = max(len(s.name) for s in SETTINGS)
    lines = []
    for s in SETTINGS:
        state = "set" if s.is_set() else "unset"
        default = f" (default: {s.default})" if s.default else ""
        lines.append(f"{s.name:<{width}}  {state:<5}  {s.help}{default}")
    return "\n".join(lines)


def is_secret_name(name: str) -> bool:
    """Whether the variable `name` holds a secret: a SECRET_WORDS word in it, or a setting marked secret."""
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS) or any(s.secret and s.name == name for s in SETTINGS)


def without_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` less every secret-named variable (`is_secret_name`): the one rule for what a build, a check's
    pytest or an example may be handed. Needs no brand file: every key variable's name holds a secret word."""
    return {k: v for k, v in environ.items() if not is_secret_name(k)}
