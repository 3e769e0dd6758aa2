"""What must never be published, and a scan of every file of a built site for it.

Secrets: the value of every environment variable whose name looks like a secret (KEY, TOKEN, SECRET,
PASSWORD, CREDENTIAL) and of every brand's key variable, when 8 characters or longer. Local paths: the
project's folder. Each is looked for as written raw, HTML-escaped and JSON-escaped; findings name the
file and the variable, never the value.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import html
import json
import os
import zlib
from collections.abc import Mapping
from pathlib import Path

from branddocs.brand import BrandError, find_brand_files, load_brand

__all__ = ["MIN_LENGTH", "SECRET_WORDS", "find", "forbidden", "scan_site"]

SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")
MIN_LENGTH = 8
"""Shorter values would match ordinary text; no real key is this short."""


def _key_envs(brands_dir: Path) -> list[str]:
    files = find_brand_files(brands_dir)
    return list(_key_envs_of(tuple((p, p.stat().st_mtime_ns, p.stat().st_size) for p in files)))


@functools.lru_cache(maxsize=8)
def _key_envs_of(files: tuple[tuple[Path, int, int], ...]) -> tuple[str, ...]:
    # Keyed on each file's mtime and size: read once per process, again only after an edit.
    names = []
    for path, _, _ in files:
        try:
            names.append(load_brand(path).key_env)
        except BrandError:
            continue  # that brand's own build fails on it, naming the file
    return tuple(names)


def forbidden(project_root: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """{what it is, for messages: value} for everything a site must not contain."""
    environ = os.environ if environ is None else environ
    key_envs = _key_envs(project_root / "brands")
    names = [n for n in environ if any(word in n.upper() for word in SECRET_WORDS)]
    found = {}
    for name in dict.fromkeys([*key_envs, *names]):
        value = environ.get(name, "")
        if len(value) >= MIN_LENGTH:
            kind = "an API key" if name in key_envs or "API_KEY" in name.upper() else "a secret"
            found[f"the value of ${name} ({kind})"] = value
    for folder in dict.fromkeys((str(project_root), os.path.realpath(project_root))):
        if len(folder) >= MIN_LENGTH:
            found[f"the project's local path ({folder})"] = folder
    return found


def _forms(value: str) -> set[bytes]:
    return {form.encode() for form in (value, html.escape(value), json.dumps(value)[1:-1])}


def find(data: bytes | str, needles: Mapping[str, str]) -> list[str]:
    """Which of `needles` (from `forbidden`) appear in `data`."""
    data = data.encode() if isinstance(data, str) else data
    return [what for what, value in needles.items() if any(form in data for form in _forms(value))]


def scan_site(site_dir: Path, needles: Mapping[str, str]) -> list[tuple[str, str]]:
    """(file relative to `site_dir`, what) for every file holding a needle; .gz files are read unpacked."""
    hits = []
    for path in sorted(p for p in Path(site_dir).rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".gz":
            with contextlib.suppress(OSError, EOFError, zlib.error):  # not really gzip: scanned as it is
                data = gzip.decompress(data)
        hits += [(str(path.relative_to(site_dir)), what) for what in find(data, needles)]
    return hits
