"""The engine's own records (each brand's stamp, the journal): sealed with a key of the caller's, so that a record
the checkout brought is never taken for one the engine wrote.

A stamp says "this brand's site is what these inputs build": a build skips the brand, and `branddocs diff` compares
that folder. Its content is computable by anyone (the inputs' digest from the sources, the listing from the folder),
so a pull request could commit a folder and a stamp that matches it: a `site/<id>/` of its own choosing kept through
every build (red team R7-4 (c)), or a copy of BASE's site as `diff`'s work side, reported "no brand changes" for a
page it changed (R8-6). So each record is written with an HMAC-SHA256 of its JSON text, keyed by 32 random bytes kept
in the caller's own cache folder (`engine_folders.user_cache`, 0700; the key file 0600, made on first use). A record
without a valid MAC (committed, written by another user or machine, older than this, damaged) is read as no record:
the brand is built again, never an error. Wiping the cache folder or building as another user rebuilds every brand
once; a fresh CI machine builds everything, as it does anyway. Where the caller has no cache folder, the key is the
process's own: records last one command, and every command builds every brand.

The file stays one JSON object, the MAC its first member: `{"mac": "<64 hex>", ...the record...}`. The MAC is of the
record's JSON text exactly as written (the file less that member), so reading a record costs one HMAC of its bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
from functools import lru_cache

from branddocs.site.engine_folders import user_cache

__all__ = ["KEY_FILE", "seal", "unseal"]

KEY_FILE = "records.key"
"""In the caller's `user_cache("records")` folder."""
_KEY_BYTES = 32
_HEAD = b'{"mac": "'
_MAC_END = len(_HEAD) + 64


@lru_cache(maxsize=1)
def _key() -> bytes:
    """This user's key (forked build workers inherit the parent's)."""
    folder = user_cache("records")
    if folder is None:
        return secrets.token_bytes(_KEY_BYTES)
    path = os.path.join(folder, KEY_FILE)
    for _ in range(3):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            _make_key(path, replace=False)
            continue
        except OSError:  # a link, or unreadable: a new one in its place
            _make_key(path, replace=True)
            continue
        with os.fdopen(fd, "rb") as file:
            status = os.fstat(file.fileno())
            ok = stat.S_ISREG(status.st_mode) and status.st_uid == os.geteuid() and not status.st_mode & 0o077
            key = file.read(_KEY_BYTES + 1) if ok else b""
        if len(key) == _KEY_BYTES:
            return key
        _make_key(path, replace=True)  # another shape, or others may read it: every record made with it is rebuilt
    return secrets.token_bytes(_KEY_BYTES)


def _make_key(path: str, replace: bool) -> None:
    """A new key at `path`, whole or not at all; an existing one is kept unless `replace` (two builds at once: the
    first one's)."""
    partial = f"{path}.{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(secrets.token_bytes(_KEY_BYTES))
        if replace:
            os.replace(partial, path)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(partial, path)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            os.unlink(partial)


def _mac(body: bytes) -> bytes:
    return hmac.new(_key(), body, hashlib.sha256).hexdigest().encode()


def seal(record: dict) -> bytes:
    """`record` as the file's bytes: its JSON text with its MAC first. `record` must not be empty."""
    if not record:
        raise ValueError("an empty record")
    body = (json.dumps(record) + "\n").encode()
    return _HEAD + _mac(body) + b'", ' + body[1:]


def unseal(data: bytes) -> dict | None:
    """The record in a file's bytes if this user's engine sealed it; None for anything else."""
    if not data.startswith(_HEAD) or data[_MAC_END : _MAC_END + 3] != b'", ':
        return None
    body = b"{" + data[_MAC_END + 3 :]
    if not hmac.compare_digest(data[len(_HEAD) : _MAC_END], _mac(body)):
        return None
    try:
        record = json.loads(body)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None
