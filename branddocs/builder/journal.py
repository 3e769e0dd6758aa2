"""The journal of up-to-date checks: one file (site/.branddocs/journal), read once per build, that confirms an
unchanged brand with a few stats, where the check of stamps.py reads its stamp, lists its folders and hashes their
names (at 10,000 brands, most of a one-change build).

For each brand the journal keeps what its stamp says (the digest of the shared inputs it was made with, the
records of the brand's own files, the status of each of its own folders taken before that folder was listed, the
site's tree record: stamps.py, site_tree.py), and the stamp's own status (size, times, inode). A brand is confirmed
when its stamp is still the one the entry was made from, the shared inputs' digest is the same, each of its own
folders has its inode and times (so it holds the same names) and each of its own files its size, times and inode
(so the same bytes: the digest is the stamp's), and its site's tree is unchanged. Anything else (a stamp rewritten,
removed or written by an older release, a file touched, a site damaged, no entry) goes to the full check, which
decides as before; the journal never says a brand needs building.

An entry is made only from a stamp that has all of these: a brand built a moment ago (its folders not settled) or
a stamp from before the journal is checked in full once more. The file is replaced whole (never half-written) and
sealed with the caller's key as the stamps are (site/records.py): a journal the checkout brought is none;
the tree records' file lists, the same in most sites (Material's assets), are kept once each.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from branddocs.builder import site_tree
from branddocs.builder.stamps import Inputs, stamp_path
from branddocs.site.engine_folders import open_own, own_folder, read_own, write_own
from branddocs.site.publish import STAMP_DIR
from branddocs.site.records import seal, unseal

__all__ = ["JOURNAL", "Journal"]

JOURNAL = "journal"
"""Under the site root's `.branddocs/`."""
_VERSION = 1


def _record(status: os.stat_result) -> list[int]:
    """As stamps.py records a file: size, modification and change times, inode."""
    return [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]


class Journal:
    """The entries of one site folder's journal, for one build (under its lock)."""

    def __init__(self, site_root: Path, inputs: Inputs) -> None:
        self.site_root, self.inputs = site_root, inputs
        self.path = site_root / STAMP_DIR / JOURNAL
        self.root = os.path.join(os.fspath(inputs.project.root), "")
        self._sites, self._stamps = os.fspath(site_root), os.fspath(site_root / STAMP_DIR)
        """As text: a path a brand, joined as text (pathlib's `/` took as long as a stat)."""
        """The project's root with its slash: the names in stamps are under it (or absolute), joined to it as text."""
        self.lists: list[str] = []
        """The tree records' file lists (JSON text, site_tree.py), each kept once; entries name them by index."""
        self.entries: dict[str, list] = {}
        """{brand: [stamp status, shared digest, language, own files, own folders, tree]}."""
        self.changed = False
        self.site: list[int] | None = None
        """The site folder's inode and times when the last build saved the journal."""
        with contextlib.suppress(OSError, ValueError):
            recorded = unseal(read_own(self.path))  # sealed as the stamps are: one the checkout brought is none
            if isinstance(recorded, dict) and recorded.get("version") == _VERSION:
                lists, entries = recorded.get("lists"), recorded.get("brands")
                if isinstance(lists, list) and isinstance(entries, dict):
                    self.lists, self.entries, self.site = lists, entries, recorded.get("site")
        self.site_as_left = self.site is not None and self.site == self._site_status()
        """True if the site folder is as the last build left it: no site added, removed or renamed since (each sets
        the folder's times), and none left half-published by an interrupted build (`recover` moved it)."""

    def _site_status(self) -> list[int] | None:
        try:
            status = os.stat(self.site_root)
        except OSError:
            return None
        return [status.st_ino, status.st_mtime_ns, status.st_ctime_ns]

    def confirms(self, brand_id: str) -> bool:
        """True if the brand's site is up to date as its entry describes it; False when it cannot tell."""
        entry = self.entries.get(brand_id)
        if entry is None:
            return False
        try:
            stamp, shared, language, own, folders, tree = entry
            if _record(os.stat(f"{self._stamps}/{brand_id}.json")) != stamp:
                return False
            if self.inputs.shared(language) != shared:
                return False
            for name, *recorded in folders:
                try:
                    status = os.stat(name if name.startswith("/") else self.root + name)
                except FileNotFoundError:
                    if recorded:
                        return False
                    continue
                if [status.st_ino, status.st_mtime_ns, status.st_ctime_ns] != recorded:
                    return False
            for name, *recorded in own:
                status = os.stat(name if name.startswith("/") else self.root + name)
                if not stat.S_ISREG(status.st_mode) or _record(status) != recorded:
                    return False
            site = {folder: [*record[:3], self.lists[record[3]]] for folder, record in tree.items()}
        except (OSError, TypeError, ValueError, IndexError, KeyError):  # gone, or an entry not of this shape
            return False
        return site_tree.unchanged(f"{self._sites}/{brand_id}", site)

    def forget(self, brand_id: str) -> None:
        if self.entries.pop(brand_id, None) is not None:
            self.changed = True

    def note(self, brand_id: str) -> bool:
        """Make the brand's entry from its stamp as it is now (call it once the brand is found up to date or
        built); True if the stamp has all an entry needs."""
        self.forget(brand_id)
        try:
            with os.fdopen(open_own(stamp_path(self.site_root, brand_id), os.O_RDONLY), "rb") as file:
                status = os.fstat(file.fileno())
                recorded = unseal(file.read())
        except OSError:
            return False
        if not isinstance(recorded, dict):
            return False
        own, brand, folders = recorded.get("own"), recorded.get("brand"), recorded.get("folders")
        shared, tree = recorded.get("shared"), recorded.get("tree")
        if not (
            isinstance(own, dict)
            and isinstance(brand, dict)
            and isinstance(folders, list)
            and isinstance(shared, str)
            and shared
            and isinstance(tree, dict)
            and "" in tree
        ):
            return False
        with contextlib.suppress(Exception):  # anything not of a stamp's shape: no entry
            indices = {text: k for k, text in enumerate(self.lists)}
            compact = {}
            for folder, (inode, mtime, ctime, files) in tree.items():
                if files not in indices:
                    indices[files] = len(self.lists)
                    self.lists.append(files)
                compact[folder] = [inode, mtime, ctime, indices[files]]
            language = brand["language"]
            own_records = [[name, *record[:4]] for name, record in own.items()]
            if isinstance(language, str) and all(isinstance(f, list) and f for f in folders):
                self.entries[brand_id] = [_record(status), shared, language, own_records, folders, compact]
                self.changed = True
                return True
        return False

    def save(self) -> None:
        """Write the journal if an entry or the site folder changed; the file lists no entry names are left out.

        Call it last, once the build is done with the site folder: it records the folder's status."""
        site = self._site_status()
        if not self.changed and site == self.site:
            return
        self.site = site
        kept: dict[int, int] = {}
        lists: list[str] = []
        for entry in self.entries.values():
            for record in entry[5].values():
                if record[3] not in kept:
                    kept[record[3]] = len(lists)
                    lists.append(self.lists[record[3]])
                record[3] = kept[record[3]]
        self.lists = lists
        own_folder(self.path.parent.parent, self.path.parent.name)
        partial = self.path.with_name(f".{self.path.name}.tmp")  # what `recover` removes after a killed build
        journal = {"version": _VERSION, "site": site, "lists": lists, "brands": self.entries}
        write_own(partial, seal(journal))
        partial.replace(self.path)
        self.changed = False
