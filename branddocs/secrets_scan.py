"""What must never be published, and a scan of every file of a built site for it.

Secrets: the value of every environment variable whose name looks like a secret (KEY, TOKEN, SECRET,
PASSWORD, CREDENTIAL), when 8 characters or longer. Every brand's key variable is named so (the brand model
requires it), so the scan knows every tenant's key without reading any brand file: one broken or huge brand
file cannot break or slow another brand's build, and a build's scan costs the same for 4 brands or 4,000.
Local paths: the project's folder.

Each is looked for as written raw, HTML-escaped and JSON-escaped, in the file as published and in the file
decoded as a browser or a reader could decode it: HTML character references (`&#107;`, `&amp;`), percent-
encoding, invisible characters (zero-width space, joiners, word joiner, BOM, soft hyphen) removed, and every
base64 or base64url run decoded. Archives are scanned inside: .gz and .svgz unpacked, and each member of a
.zip; one that unpacks to more than MAX_UNPACKED bytes is refused as unscannable. Findings name the file and
the variable, never the value.
"""

from __future__ import annotations

import base64
import binascii
import html
import io
import json
import os
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import unquote_to_bytes

from branddocs.brand import SECRET_WORDS

__all__ = ["MAX_UNPACKED", "MIN_LENGTH", "SECRET_WORDS", "decoded_views", "find", "forbidden", "scan_site"]

MIN_LENGTH = 8
"""Shorter values would match ordinary text; no real key is this short."""
MAX_UNPACKED = 64 * 1024 * 1024
"""An archive in a site that unpacks to more than this is refused rather than scanned."""
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]|\\\\u(?:00[aA][dD]|200[bBcCdD]|2060|[fF][eE][fF][fF])")
"""Characters a browser shows as nothing, raw or JSON-escaped: a key split by them still reads as the key."""
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{12,}={0,2}")
"""12 characters of base64 hold 9 bytes: enough for the shortest value looked for (MIN_LENGTH)."""
_ARCHIVES = (".gz", ".svgz", ".tgz", ".zip")


class _Unscannable(Exception):
    """An archive too large or too deep to scan."""


def forbidden(
    project_root: Path, environ: Mapping[str, str] | None = None, key_env: str | None = None
) -> dict[str, str]:
    """{what it is, for messages: value} for everything a site must not contain.

    `key_env`: the building brand's key variable, looked for whatever its name (it holds a secret word)."""
    environ = os.environ if environ is None else environ
    names = [n for n in environ if n == key_env or any(word in n.upper() for word in SECRET_WORDS)]
    found = {}
    for name in names:
        value = environ.get(name, "")
        if len(value) >= MIN_LENGTH:
            kind = "an API key" if name == key_env or "API_KEY" in name.upper() else "a secret"
            found[f"the value of ${name} ({kind})"] = value
    for folder in dict.fromkeys((str(project_root), os.path.realpath(project_root))):
        if len(folder) >= MIN_LENGTH:
            found[f"the project's local path ({folder})"] = folder
    return found


def _forms(value: str) -> set[bytes]:
    return {form.encode() for form in (value, html.escape(value), json.dumps(value)[1:-1])}


def _base64_decoded(data: bytes) -> Iterator[bytes]:
    for run in _BASE64_RUN.findall(data):
        text = run.rstrip(b"=")
        # Both alphabets, and every start within the first 4 characters: a key may sit mid-run.
        for start in range(4):
            part = text[start:]
            part = part[: len(part) - len(part) % 4] if len(part) % 4 == 1 else part
            with_padding = part + b"=" * (-len(part) % 4)
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                try:
                    yield decode(with_padding)
                except (binascii.Error, ValueError):
                    continue


def decoded_views(data: bytes) -> list[bytes]:
    """`data` as published and as decoded: character references, percent-encoding, invisible characters
    and base64 runs. Each step is one linear pass, taken only when its marker character is present."""
    views = [data]
    text = data.decode("utf-8", errors="surrogateescape")
    decoded = text
    for _ in range(2):  # `&#37;41` and `%26%23107;` both need a second pass
        if "&" in decoded:
            decoded = html.unescape(decoded)
        if "%" in decoded:
            raw = unquote_to_bytes(decoded.encode("utf-8", errors="surrogateescape"))
            decoded = raw.decode("utf-8", errors="surrogateescape")
    decoded = _INVISIBLE.sub("", decoded)
    if decoded != text:
        views.append(decoded.encode("utf-8", errors="surrogateescape"))
    views += list(_base64_decoded(views[-1]))
    return views


def find(data: bytes | str, needles: Mapping[str, str]) -> list[str]:
    """Which of `needles` (from `forbidden`) appear in `data`, as published or decoded."""
    data = data.encode() if isinstance(data, str) else data
    views = decoded_views(data)
    forms = {what: _forms(value) for what, value in needles.items()}
    return [what for what in needles if any(form in view for view in views for form in forms[what])]


def _unpack_gzip(data: bytes) -> bytes:
    unpacked, stream = [], zlib.decompressobj(wbits=47)  # 47: gzip or zlib header, detected
    size = 0
    while data:
        chunk = stream.decompress(data, MAX_UNPACKED + 1 - size)
        size += len(chunk)
        unpacked.append(chunk)
        if size > MAX_UNPACKED:
            raise _Unscannable(f"unpacks to more than {MAX_UNPACKED} bytes")
        data = stream.unconsumed_tail
        if stream.eof:
            data = stream.unused_data  # concatenated members
            stream = zlib.decompressobj(wbits=47) if data else stream
    return b"".join(unpacked)


def _archive_members(name: str, data: bytes, depth: int = 0) -> Iterator[tuple[str, bytes]]:
    """(name, content) for `data` and, for an archive, every file inside it (archives in archives too)."""
    yield name, data
    if not name.lower().endswith(_ARCHIVES):
        return
    if depth >= 3:
        raise _Unscannable("archives nested more than 3 deep")
    if name.lower().endswith(".zip"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = archive.infolist()
        except (zipfile.BadZipFile, OSError):
            return  # not really a zip: scanned as it is
        total = 0
        for member in members:
            total += member.file_size
            if total > MAX_UNPACKED:
                raise _Unscannable(f"unpacks to more than {MAX_UNPACKED} bytes")
            try:
                with archive.open(member) as handle:
                    content = handle.read(MAX_UNPACKED + 1)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError) as exc:
                raise _Unscannable(f"{member.filename}: {type(exc).__name__}") from None  # e.g. encrypted
            if len(content) > member.file_size:
                raise _Unscannable(f"{member.filename} unpacks to more than its stated size")
            yield from _archive_members(f"{name}!{member.filename}", content, depth + 1)
        return
    try:
        content = _unpack_gzip(data)
    except zlib.error:
        return  # not really gzip: scanned as it is
    inner = {".gz": "", ".svgz": ".svg", ".tgz": ".tar"}[Path(name).suffix.lower()]
    yield from _archive_members(str(Path(name).with_suffix(inner)), content, depth + 1)


def scan_site(site_dir: Path, needles: Mapping[str, str]) -> list[tuple[str, str]]:
    """(file relative to `site_dir`, what) for every file holding a needle, archives looked into."""
    hits = []
    for path in sorted(p for p in Path(site_dir).rglob("*") if p.is_file()):
        rel = str(path.relative_to(site_dir))
        found: list[str] = []
        try:
            for _, content in _archive_members(rel, path.read_bytes()):
                found += find(content, needles)
        except _Unscannable as exc:
            found.append(f"an archive that cannot be scanned ({exc})")
        hits += [(rel, what) for what in dict.fromkeys(found)]
    return hits
