"""What must never be published, and a scan of every file of a built site for it.

Secrets: the value of every environment variable whose name looks like a secret (KEY, TOKEN, SECRET,
PASSWORD, CREDENTIAL), when 8 characters or longer. Every brand's key variable is named so (the brand model
requires it), so the scan knows every tenant's key without reading any brand file: one broken or huge brand
file cannot break or slow another brand's build, and a build's scan costs the same for 4 brands or 4,000.
Local paths: the project's folder.

Each is looked for as written raw, HTML-escaped and JSON-escaped, in the file as published and in the file
decoded as a browser or a reader could decode it: HTML character references (`&#107;`, `&amp;`), percent-
encoding, invisible characters (zero-width space, joiners, word joiner, BOM, soft hyphen) removed; and
base64 or base64url-encoded anywhere in a run (looked for encoded, at each alignment, rather than decoded).
Archives are scanned inside, not refused: .gz, .tgz and .svgz unpacked, each member of a .zip; one that
unpacks to more than MAX_UNPACKED bytes, nests more than 3 deep or cannot be read (encrypted) is refused
as unscannable. Findings name the file and the variable, never the value.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import importlib.util
import io
import json
import os
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import unquote_to_bytes

from branddocs.settings import SECRET_WORDS, is_secret_name
from branddocs.site import store
from branddocs.site.build_env import withdrawn_secrets

__all__ = ["MAX_UNPACKED", "MIN_LENGTH", "SECRET_WORDS", "decoded_views", "find", "forbidden", "scan_site"]

MIN_LENGTH = 8
"""Shorter values would match ordinary text; no real key is this short."""
MAX_UNPACKED = 64 * 1024 * 1024
"""An archive in a site that unpacks to more than this is refused rather than scanned."""
_INVISIBLE = tuple(
    form
    for char in ("\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
    for form in (char.encode(), f"\\u{ord(char):04x}".encode(), f"\\u{ord(char):04X}".encode())
)
"""Characters a browser shows as nothing, raw or JSON-escaped: a key split by them still reads as the key."""
_URLSAFE = bytes.maketrans(b"+/", b"-_")
_ARCHIVES = (".gz", ".svgz", ".tgz", ".zip")


class _Unscannable(Exception):
    """An archive too large or too deep to scan."""


def forbidden(
    project_root: Path, environ: Mapping[str, str] | None = None, key_env: str | None = None
) -> dict[str, str]:
    """{what it is, for messages: value} for everything a site must not contain.

    `key_env`: the building brand's key variable, looked for whatever its name (it holds a secret word)."""
    # The build's own environment holds none (build_env.enter): what it started with is kept for this.
    environ = {**withdrawn_secrets(), **os.environ} if environ is None else environ
    names = [n for n in environ if n == key_env or is_secret_name(n)]
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


@functools.lru_cache(maxsize=256)
def _forms(value: str) -> frozenset[bytes]:
    """`value` raw, HTML-escaped, JSON-escaped, and base64-encoded at each of the 3 alignments a run can
    put it at, in both alphabets: the part of the encoding that only the value's own bytes decide, so a
    key inside a longer base64 run is found without decoding anything (one search per form, linear)."""
    raw = value.encode()
    forms = {raw, html.escape(value).encode(), json.dumps(value)[1:-1].encode()}
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        first, last = -(-shift // 3), (shift + len(raw)) // 3  # the 3-byte groups wholly inside the value
        if last - first >= 2:
            core = encoded[4 * first : 4 * last]
            forms |= {core, core.translate(_URLSAFE)}
    return frozenset(forms)


def _unescape(data: bytes) -> bytes:
    return html.unescape(data.decode("utf-8", errors="surrogateescape")).encode("utf-8", errors="surrogateescape")


def decoded_views(data: bytes) -> list[bytes]:
    """`data` as published and as a browser or reader could decode it: character references, percent-
    encoding, invisible characters removed. Each step is one linear pass, taken only when its marker is in
    the data; no regular expression of ours runs over whole files."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return [data]  # an image or font: no browser decodes references in it (raw and base64 forms still count)
    view = data
    if b"&" in view:
        view = _unescape(view)
    if b"%" in view:
        view = unquote_to_bytes(view)
        if b"&" in view and b"%26" in data.upper():  # `%26%23107;`: a reference, percent-encoded
            view = _unescape(view)
    for invisible in _INVISIBLE:
        if invisible in view:
            view = view.replace(invisible, b"")
    return [data] if view == data else [data, view]


def find(data: bytes | str, needles: Mapping[str, str]) -> list[str]:
    """Which of `needles` (from `forbidden`) appear in `data`, as published or decoded."""
    data = data.encode() if isinstance(data, str) else data
    views = decoded_views(data)
    return [what for what, value in needles.items() if any(f in view for view in views for f in _forms(value))]


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


_SCANNED: dict[tuple[bytes, tuple[tuple[str, str], ...]], list[str]] = {}
"""What `find` said of a file's bytes: the theme's assets are the same in every brand a worker builds."""


@functools.cache
def _theme_dirs() -> tuple[Path, ...]:
    spec = importlib.util.find_spec("material")
    return tuple(Path(f) / "templates" for f in (spec.submodule_search_locations or [])) if spec else ()


def _from_theme(rel: str, data: bytes) -> bool:
    """True when `data` is Material's own file at the same place (its scripts, styles, search language
    packs, source maps), published unchanged: it holds nothing of ours, so it is scanned raw only."""
    if "!" in rel:  # a file inside an archive
        return False
    for folder in _theme_dirs():
        original = folder / rel
        if original.is_file() and original.stat().st_size == len(data) and original.read_bytes() == data:
            return True
    return False


def _find_once(rel: str, data: bytes, needles: Mapping[str, str]) -> list[str]:
    key = (hashlib.sha256(data).digest(), tuple(needles.items()))
    if key not in _SCANNED:
        if len(_SCANNED) > 4096:
            _SCANNED.clear()
        if _from_theme(rel, data):
            _SCANNED[key] = [w for w, v in needles.items() if any(f in data for f in _forms(v))]
        else:
            _SCANNED[key] = find(data, needles)
    return _SCANNED[key]


def scan_site(site_dir: Path, needles: Mapping[str, str]) -> list[tuple[str, str]]:
    """(file relative to `site_dir`, what) for every file holding a needle, archives looked into."""
    hits = []
    needled = tuple(needles.items())
    for path in sorted(p for p in Path(site_dir).rglob("*") if p.is_file()):
        rel = str(path.relative_to(site_dir))
        # A store entry this process compared byte for byte, unchanged since (linked straight from the store:
        # theme_links.py), whose content this process has scanned already: the same bytes, the same findings.
        known = None if rel.lower().endswith(_ARCHIVES) else store.vouched(path.lstat())
        if known is not None and (bytes.fromhex(known), needled) in _SCANNED:
            hits += [(rel, what) for what in dict.fromkeys(_SCANNED[bytes.fromhex(known), needled])]
            continue
        found: list[str] = []
        try:
            for name, content in _archive_members(rel, path.read_bytes()):
                found += _find_once(name, content, needles)
        except _Unscannable as exc:
            found.append(f"an archive that cannot be scanned ({exc})")
        hits += [(rel, what) for what in dict.fromkeys(found)]
    return hits
