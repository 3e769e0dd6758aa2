"""A build's environment: an allow-list of variables, never the shell's minus a list of secret names.

`build`, `serve`, `diff` and the checks' collection load `mkdocs.yml`, which a contributor writes: whatever the
environment holds, a tag or a template could publish. A deny-list of secret-looking names misses what is named
otherwise (`HTTPS_PROXY=http://user:password@...`, `DATABASE_URL`, `SSH_AUTH_SOCK`), so a build keeps only what
`is_build_variable` names: PATH, HOME, the locale (LANG, LANGUAGE, LC_*), TZ, TMPDIR, the terminal's
(TERM, NO_COLOR, COLUMNS), the user's name, Python's own settings that change no data (PYTHONPATH and the like),
SOURCE_DATE_EPOCH, the CA bundles' paths (SSL_CERT_FILE and the like), BRAND, branddocs' non-secret settings
(branddocs/settings.py), MkDocs' NO_MKDOCS_2_WARNING and pytest's bookkeeping (the checks' collection runs in
pytest). `!ENV` in mkdocs.yml may name only BRAND, what a site may publish (`ENV_TAG_NAMES`; site/config_check.py
refuses any other).

`enter` makes this process's environment the allow-listed one; from the command line (`branddocs build`, `serve`,
`diff`) it first replaces the process (`execve`) with itself under that environment, since /proc/self/environ keeps
the strings a process started with whatever `os.environ` later says. The values of the secret-named variables
it dropped are handed to the new process over a pipe, for the published-site scan alone (`withdrawn_secrets`).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path

from branddocs.settings import BRAND, SAFE_PATH, SCAN_FD, SETTINGS, is_secret_name

__all__ = ["ENV_TAG_NAMES", "build_environment", "enter", "is_build_variable", "withdrawn_secrets"]

_NAMES = frozenset({
    "PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM", "NO_COLOR", "COLUMNS", "USER", "LOGNAME",
    "SOURCE_DATE_EPOCH", "NO_MKDOCS_2_WARNING", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHASHSEED", "PYTHONUTF8",
    "PYTHONIOENCODING", "PYTHONDONTWRITEBYTECODE", "PYTHONWARNINGS", "PYTHONUNBUFFERED",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
})  # fmt: skip
_PREFIXES = ("LC_", "PYTEST_")
_SETTING_NAMES = frozenset(s.name for s in SETTINGS if not s.secret)
"""branddocs' own non-secret settings: a build holds them (serve's Try it base, the scan's pipe)."""
ENV_TAG_NAMES = frozenset({BRAND.name})
"""What `!ENV` in mkdocs.yml (or a file it INHERITs) may name: what a site may publish, the brand. Not "every
setting that is not secret": BRANDDOCS_ENDPOINT is the platform under test (its URL may hold a user and password,
its host an internal name), BRANDDOCS_PROXY the proxy's control token, the others this machine's paths."""

_withdrawn: dict[str, str] = {}


def is_build_variable(name: str) -> bool:
    """Whether a build may see the variable `name` (the allow-list above; never a secret-named one)."""
    if is_secret_name(name):
        return False
    return name in _NAMES or name in ENV_TAG_NAMES or name in _SETTING_NAMES or name.startswith(_PREFIXES)


def build_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` less every variable a build may not see; PYTHONPATH with its absolute entries alone (an empty or
    relative one names the folder a process runs in: branddocs/__init__.py)."""
    kept = {k: v for k, v in environ.items() if is_build_variable(k)}
    if "PYTHONPATH" in kept:
        absolute = [p for p in kept.pop("PYTHONPATH").split(os.pathsep) if os.path.isabs(p)]
        kept |= {"PYTHONPATH": os.pathsep.join(absolute)} if absolute else {}
    return kept


def withdrawn_secrets() -> dict[str, str]:
    """{name: value} of the secret-named variables this build started with: what its sites must not contain."""
    return dict(_withdrawn)


def _startup_names() -> set[str] | None:
    """The names in /proc/self/environ (what the process was started with); None where it cannot be read."""
    try:
        raw = Path("/proc/self/environ").read_bytes()
    except OSError:
        return None
    return {item.split(b"=", 1)[0].decode("utf-8", "replace") for item in raw.split(b"\0") if item}


def _take_handed_secrets(environ: MutableMapping[str, str]) -> None:
    """Read what the process this one replaced handed over (`enter`), once."""
    fd = environ.pop(SCAN_FD.name, "")
    if not fd.isdigit():
        return
    try:
        with os.fdopen(int(fd), "rb") as pipe:
            _withdrawn.update(json.loads(pipe.read() or b"{}"))
    except (OSError, ValueError):
        return  # not ours (a stale or made-up number): nothing handed over


def enter(environ: MutableMapping[str, str] | None = None, command_line: Sequence[str] | None = None) -> None:
    """Make `environ` (this process's by default) a build's environment, keeping the secret values for the scan.

    `command_line`: the arguments of a `branddocs` command to start again, exec'd under the clean environment when
    this process was started with any variable a build may not see (its /proc/self/environ would still show it)."""
    own = environ is None
    environ = os.environ if environ is None else environ
    started_again = own and SCAN_FD.name in environ  # never twice: this process is the one started clean
    if own:
        _take_handed_secrets(environ)
    secrets = {k: v for k, v in environ.items() if is_secret_name(k)}
    started = _startup_names() if own and not started_again else None
    if command_line is not None and started is not None and not all(is_build_variable(n) for n in started):
        handed = {**_withdrawn, **secrets}
        read, write = os.pipe()
        payload = json.dumps(handed).encode()
        if len(payload) < 60_000:  # within a pipe's buffer: written before the exec, read after it
            os.write(write, payload)
            os.close(write)
            os.set_inheritable(read, True)
            clean = {**build_environment(environ), SCAN_FD.name: str(read)}
            sys.stdout.flush()
            sys.stderr.flush()
            os.execve(sys.executable, [sys.executable, *SAFE_PATH, "-m", "branddocs.cli", *command_line], clean)  # noqa: S606 - ourselves
        os.close(read)
        os.close(write)
    _withdrawn.update(secrets)
    for name in [n for n in environ if not is_build_variable(n)]:
        del environ[name]
