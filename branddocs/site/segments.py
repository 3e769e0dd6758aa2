"""Chinese search text segmented once, not once per build: jieba's segmentations kept in the caller's cache folder.

Material's search cuts each run of Chinese characters into words with jieba, whose dictionary (half a million
entries, unmarshalled from its `jieba.cache`) took `branddocs build` most of a second before its first worker
started, on every build with a Chinese brand. A Chinese brand's pages are the same translations as the others', and
the same from one build to the next: so what jieba made of each text with its own dictionary, as loaded and
untouched, is kept in `jieba-segments.json`, beside jieba's cache, under a key that names jieba's version
and the sha256 of that cache, with the dictionary's word count and total frequency once loaded. A build whose texts
are all kept never loads the dictionary; a text not kept is cut by jieba, which loads it in the worker that meets it.

A kept cut stands only for the default tokenizer with its default dictionary: not loaded yet (so nothing was added
to it: jieba loads the dictionary first), or loaded with the recorded word count and total frequency. A word added,
another dictionary or another cache file, and jieba cuts the text itself, as Material's own search does. The file
is trusted as jieba's own cache beside it is (the caller's own cache folder, `search.jieba_folder`: never the
project's `.cache/`, which a checkout can fill, nor a shared temporary folder); what it
holds is only text for the search index, which the secret scan reads with every other file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["STORE", "cut", "learned", "load", "loaded_now", "save"]

STORE = "jieba-segments.json"
_VERSION = 1
_state: dict[str, Any] = {"folder": None, "identity": None, "size": None, "known": {}, "new": {}}
"""The project's cache folder, the dictionary the kept cuts stand for ([jieba's version, sha256 of its cache]), its
[word count, total frequency] once loaded, the kept cuts and those made in this process since."""


def _identity(folder: Path) -> list[str] | None:
    """jieba's version and the sha256 of the cache its default tokenizer loads the dictionary from; None for any
    other tokenizer setting (another dictionary, a cache file of its own, a cache folder elsewhere)."""
    import jieba

    tokenizer = jieba.dt
    if tokenizer.dictionary is not None or tokenizer.cache_file or tokenizer.tmp_dir != str(folder):
        return None
    try:
        data = (folder / "jieba.cache").read_bytes()
    except OSError:
        return None
    return [jieba.__version__, hashlib.sha256(data).hexdigest()]


def load(folder: Path) -> bool:
    """Take the project's kept cuts (`folder`: its .cache/, jieba's cache folder); True when they stand for the
    dictionary jieba would load now, so that it need not be loaded unless a text is missing."""
    _state.update(folder=folder, identity=None, size=None, known={}, new={})
    try:
        recorded = json.loads((folder / STORE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    identity = _identity(folder)
    if not isinstance(recorded, dict) or identity is None or recorded.get("identity") != identity:
        return False
    size, known = recorded.get("size"), recorded.get("segments")
    if recorded.get("version") != _VERSION or not isinstance(known, dict):
        return False
    if not (isinstance(size, list) and len(size) == 2 and all(isinstance(n, int) for n in size)):
        return False
    _state.update(identity=identity, size=size, known={k: v for k, v in known.items() if isinstance(v, str)})
    return True


def loaded_now(folder: Path) -> None:
    """jieba's default dictionary was just loaded by this build, with nothing added: what its cuts are kept for."""
    import jieba

    tokenizer = jieba.dt
    identity = _identity(folder)
    if identity != _state["identity"] or _state["folder"] != folder:
        _state.update(known={}, new={})
    _state.update(folder=folder, identity=identity, size=[len(tokenizer.FREQ), tokenizer.total])


def _untouched(tokenizer: Any) -> bool:
    """Whether `tokenizer` cuts as the kept cuts were made: jieba's default one, its dictionary not loaded yet (nothing
    can have been added to it), or loaded with the recorded size."""
    import jieba

    if _state["identity"] is None or tokenizer is not jieba.dt or tokenizer.dictionary is not None:
        return False
    if not tokenizer.initialized:
        return not tokenizer.cache_file and tokenizer.tmp_dir == str(_state["folder"])
    return [len(tokenizer.FREQ), tokenizer.total] == _state["size"]


def cut(tokenizer: Any, text: str, segment: Any) -> str:
    """`segment(text)` (jieba's cut, joined as Material joins it), or the kept cut of `text` when `tokenizer` cuts as
    it was made."""
    if not _untouched(tokenizer):
        return segment(text)
    kept = _state["known"].get(text)
    if kept is None:
        kept = segment(text)
        if _untouched(tokenizer):  # loaded just now, with the recorded size
            _state["known"][text] = _state["new"][text] = kept
    return kept


def learned() -> int:
    """How many cuts this process made that the file does not hold yet."""
    return len(_state["new"])


def save() -> None:
    """Write the cuts made in this process into the project's file (merged with what another worker wrote there)."""
    folder, new = _state["folder"], _state["new"]
    if not new or folder is None or _state["identity"] is None or _state["size"] is None:
        return
    segments = dict(_state["known"])
    with contextlib.suppress(OSError, ValueError, AttributeError):
        recorded = json.loads((folder / STORE).read_text(encoding="utf-8"))
        if recorded.get("identity") == _state["identity"] and recorded.get("size") == _state["size"]:
            segments = {**recorded["segments"], **segments}
    record = {"version": _VERSION, "identity": _state["identity"], "size": _state["size"], "segments": segments}
    try:
        descriptor, partial = tempfile.mkstemp(prefix=".jieba-segments-", dir=folder)  # 0600, as jieba's cache
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(record, file, ensure_ascii=False)
        os.replace(partial, folder / STORE)
    except OSError:
        return  # a read-only project: cut again next time
    _state["new"] = {}
