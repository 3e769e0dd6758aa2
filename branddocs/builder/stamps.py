"""Which brands need building: each brand's inputs digest, and the stamp a published site keeps of it.

A brand's stamp (site/.branddocs/<id>.json) is written after its site is in place, and names its files, so a site
that lost files is rebuilt. It is sealed with the caller's key (site/records.py): a stamp the checkout brought is
read as none, and its brand rebuilt. The shared inputs are hashed once per language; a brand's own files are read
again only when their size, times or inode changed since its stamp.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from branddocs.brand.folders import BRAND_PAGES, IMAGES, walk_docs
from branddocs.builder import engines, site_tree
from branddocs.site import Project
from branddocs.site.engine_folders import own_folder, read_own, write_own
from branddocs.site.pages import translation_source
from branddocs.site.project import cached_brand
from branddocs.site.publish import STAMP_DIR
from branddocs.site.records import seal, unseal

__all__ = ["Digest", "Inputs", "check", "inputs_digest", "settle", "site_as_stamped", "stamp_path", "write_stamp"]

_PACKAGES = ("branddocs", "mkdocs", "mkdocs-material", "mkdocs-macros-plugin", "pymdown-extensions", "markdown",
             "pygments", "jinja2")  # fmt: skip


_RACY_NS = 2_000_000_000
"""A file changed this recently may change again within its timestamps' granularity: its hash is not reused."""


def _record(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def _hash_file(path: Path | str) -> str:
    """A regular file's hash, opened O_NOFOLLOW | O_NONBLOCK, read a MiB at a time; a link's, of its target's text
    (never followed: the build refuses it after, naming it); else its kind. (R9-8: `docs/x.md -> a 1 GB file` was read
    whole, two links `docs/a -> .`, `docs/b -> .` walked 2^40 folders, before the build refused them.)"""
    try:
        status = os.lstat(path)
        if stat.S_ISLNK(status.st_mode):
            return "link:" + hashlib.sha256(os.fsencode(os.readlink(path))).hexdigest()
        if not stat.S_ISREG(status.st_mode):
            return f"special:{stat.filemode(status.st_mode)}"
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, ValueError):
        return "unreadable"
    digest = hashlib.sha256()
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):  # replaced since the lstat
            return "special"
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Digest:
    """A brand's inputs digest, and what its stamp keeps so the next run need not read its files again."""

    value: str
    files: dict[str, list] = field(default_factory=dict)
    """{path under the project: [size, mtime_ns, ctime_ns, inode, sha256]} of the brand's own files."""
    brand: dict[str, str] = field(default_factory=dict)
    """The brand file's `resource_dir_name` and `language`: which of docs/ and which translations are its."""
    shared: str = ""
    """The digest of the shared inputs this one was made with (`Inputs.shared`)."""
    folders: list | None = None
    """[[path, inode, mtime_ns, ctime_ns], ...] of the brand's own folders, each taken before it was listed ([path]
    for a top folder that is not there); None when one changed a moment ago or held anything but folders and
    regular files: what lets a journal (journal.py) confirm the brand's files without listing its folders."""


class Inputs:
    """What brands' sites are made from, hashed for one command.

    The shared inputs (docs/ less the brands' own folders and other languages' translations, overrides,
    config, macros, package.json, branddocs' own sources, the Python and the packages' versions) are hashed
    once per language, however many brands there are. A brand's own files (its brand file, its image and
    page folders) are hashed by themselves; a file whose size, times and inode match what its stamp recorded
    is not read again, and an unchanged brand file is not parsed again."""

    def __init__(self, project: Project, engine: str = engines.DEFAULT) -> None:
        self.project = project
        self.engine = engine
        """The build engine's name (builder/engines/): part of every digest."""
        self._shared: dict[str, str] = {}

    def shared(self, language: str) -> str:
        """The digest of the inputs every brand of `language` shares."""
        if language not in self._shared:
            self._shared[language] = self._shared_digest(language)
        return self._shared[language]

    def _shared_digest(self, language: str) -> str:
        root, docs = self.project.root, self.project.docs_dir
        # The top-level files and folders are the project's own (Project.find refuses a link there before any build),
        # or diff's view of the work tree (review/diff._work_view: links, so that both sides name files alike): a
        # link there is followed. Below them no link is (R9-8): one is hashed as its text (_hash_file).
        top = {self.project.config_file, root / "package.json"}
        files = sorted(top)
        walk = walk_docs(docs, None, None, followlinks=False)  # what all brands share
        for folder, dirs, names in walk:
            for name in sorted([*names, *(d for d in dirs if os.path.islink(os.path.join(folder, d)))]):
                translation = translation_source(Path(folder, name).relative_to(docs).as_posix())
                if not (translation and translation[1] != language):
                    files.append(Path(folder, name))
        package = Path(__file__).parent.parent  # all of branddocs, not only this subpackage
        for folder in (root / "overrides", root / "macros", package):
            found = folder.rglob("*")  # enters no link below the folder
            files += [p for p in found if "__pycache__" not in p.relative_to(folder).parts]
        digest = hashlib.sha256(f"{sys.implementation.name} {sys.version}\n".encode())
        for name in _PACKAGES:
            try:
                digest.update(f"{name}=={metadata.version(name)}\n".encode())
            except metadata.PackageNotFoundError:
                digest.update(f"{name} missing\n".encode())
        for path in sorted(p for p in files if (p.is_file() if p in top else p.is_symlink() or p.is_file())):
            real = Path(os.path.realpath(path)) if path in top else path  # below the top: a link as itself
            digest.update(f"{self._name(path)}\0{_shared_hash(real, *_record(os.lstat(real)))}\0".encode())
        return engines.get(self.engine).digest(digest.hexdigest())  # switching engines rebuilds

    def _name(self, path: Path | str) -> str:
        """`path` under the project's root, as the digests name it (a path elsewhere: as it is)."""
        path = os.fspath(path)
        return path[len(self._prefix) :] if path.startswith(self._prefix) else path

    @property
    def _prefix(self) -> str:
        root = os.fspath(self.project.root)
        return "\0" if root == "." else os.path.join(root, "")  # "." names relative paths as they are

    def digest(self, brand_id: str, known: Digest | None = None) -> Digest:
        """`brand_id`'s digest; `known`, from its stamp, spares reading files that did not change since.

        Paths as strings, not pathlib's: this runs for every brand in every build."""
        known = known or Digest("")
        brand_file = os.path.join(self.project.brands_dir, f"{brand_id}.yml")
        try:
            record = _record(os.lstat(brand_file))
            brand = known.brand if known.files.get(self._name(brand_file), [])[:4] == record else {}
            if not brand.get("resource_dir_name") or not brand.get("language"):
                loaded = cached_brand(Path(brand_file))  # the plugin's load of it, a moment later, is this one
                brand = {"resource_dir_name": loaded.resource_dir_name, "language": loaded.language}
        except Exception:
            return Digest("unreadable-brand")
        own = [brand_file]
        docs = os.fspath(self.project.docs_dir)
        settled = time.time_ns() - _RACY_NS
        walk = _Walk(own, settled, self._name)
        for top in (os.path.join(docs, IMAGES, brand["resource_dir_name"]), os.path.join(docs, BRAND_PAGES, brand_id)):
            walk.top(top)
        folders = walk.folders
        files: dict[str, list] = {}
        shared = self.shared(brand["language"])
        digest = hashlib.sha256(f"{shared}\n".encode())
        for path in own:
            try:
                status = os.lstat(path)
            except (OSError, ValueError):  # gone, or not a path
                folders = None
                continue
            if stat.S_ISLNK(status.st_mode):  # hashed as its text, never followed (R9-8); refused by the build
                folders = None  # a name a folder's times vouch for, but no file of the digest: listed every time
                digest.update(f"{self._name(path)}\0{_hash_file(path)}\0".encode())
                continue
            if not stat.S_ISREG(status.st_mode):
                folders = None
                continue
            name, record = self._name(path), _record(status)
            recorded = known.files.get(name, [])
            content = recorded[4] if len(recorded) == 5 and recorded[:4] == record else _hash_file(Path(path))
            if record[1] < settled:
                files[name] = [*record, content]
            else:  # changed a moment ago: may change again unseen within the same timestamp
                files[name] = [0, 0, 0, 0, content]
            digest.update(f"{name}\0{content}\0".encode())
        return Digest(digest.hexdigest(), files, brand, shared, folders)


class _Walk:
    """What os.walk(top) finds, links not followed (R9-8: a link is one of the names, as itself), in the order the
    digest hashes it (folders and names sorted),
    with each folder's status taken before it is listed: a folder whose inode and times are still as recorded
    holds the same names (creating, removing or renaming an entry sets both times), as in site_tree.py."""

    def __init__(self, found: list[str], settled: int, name: Callable[[str], str]) -> None:
        self.found, self.settled, self.name = found, settled, name
        self.folders: list | None = []

    def top(self, top: str) -> None:
        try:
            status = os.lstat(top)
        except (OSError, ValueError):  # not there: os.walk finds nothing
            if self.folders is not None:
                self.folders.append([self.name(top)])
            return
        if stat.S_ISLNK(status.st_mode):  # the brand's folder itself a link: hashed as one, not entered
            self.found.append(top)
            self.folders = None
            return
        self.folder(top, status)

    def folder(self, folder: str, status: os.stat_result) -> None:
        if self.folders is not None:
            if stat.S_ISDIR(status.st_mode) and max(status.st_mtime_ns, status.st_ctime_ns) < self.settled:
                self.folders.append([self.name(folder), status.st_ino, status.st_mtime_ns, status.st_ctime_ns])
            else:  # changed a moment ago (may change again unseen), or a file where a folder is looked for
                self.folders = None
        try:
            entries = list(os.scandir(folder))
        except OSError:  # as os.walk: not listed
            self.folders = None
            return
        dirs, names = [], []
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            (dirs if is_dir else names).append(entry.name)
        self.found += [os.path.join(folder, name) for name in sorted(names)]
        for name in sorted(dirs):
            path = os.path.join(folder, name)
            try:
                status = os.lstat(path)
            except OSError:  # gone meanwhile
                self.folders = None
                continue
            self.folder(path, status)


def inputs_digest(project: Project, brand_id: str) -> str:
    """A hash of everything a brand's site is made from: its brand file, the docs (less other brands'
    images and pages, and translations into other languages), overrides, config, macros, package.json (the
    guide states its openai version), branddocs' own sources, the Python and the versions of the packages."""
    return Inputs(project).digest(brand_id).value


@lru_cache(maxsize=4096)
def _shared_hash(path: Path, size: int, mtime_ns: int, ctime_ns: int, inode: int) -> str:
    """A shared file's hash, read once per process while it is unchanged."""
    return _hash_file(path)


def stamp_path(site_root: Path, brand_id: str) -> Path:
    return site_root / STAMP_DIR / f"{brand_id}.json"


def _listing(site: Path) -> str:
    """A hash of a site's file names and sizes: what its stamp vouches for (site_tree.py)."""
    return site_tree.listing(site)


def _read_stamp(stamp: Path) -> dict:
    """The stamp's record if this user's engine wrote it (records.py), else {}: a stamp the checkout brought is none."""
    try:
        return unseal(read_own(stamp)) or {}
    except OSError:
        return {}


def _known(recorded: dict) -> Digest:
    """What a stamp recorded of the brand's inputs (an older stamp's, or a damaged one's, is empty)."""
    files, brand = recorded.get("own"), recorded.get("brand")
    if not isinstance(files, dict) or not isinstance(brand, dict):
        return Digest("")
    names = [brand.get("resource_dir_name"), brand.get("language")]
    if not all(isinstance(n, str) and n and "/" not in n and not n.startswith(".") for n in names):
        return Digest("", files)  # a folder name the brand model would refuse: read the brand file again
    return Digest(str(recorded.get("inputs", "")), files, brand)


def _up_to_date(final: Path, recorded: dict, digest: Digest) -> tuple[bool, site_tree.Tree | None]:
    """Whether the site is what the stamp vouches for; and its tree record when the stamp should get a new one."""
    if not final.is_dir() or recorded.get("inputs") != digest.value:
        return False, None
    if site_tree.unchanged(final, recorded.get("tree")):  # its folders untouched: not listed again
        return True, None
    files, tree = site_tree.record(final)
    return files == recorded.get("files"), tree


def write_stamp(stamp: Path, digest: Digest, final: Path) -> None:
    _save(stamp, {"inputs": digest.value, "files": _listing(final), **_inputs_record(digest)})


def _inputs_record(digest: Digest) -> dict:
    """What a stamp keeps of the brand's inputs besides their digest (what the next run's check starts from)."""
    return {"own": digest.files, "brand": digest.brand, "shared": digest.shared, "folders": digest.folders}


def _save(stamp: Path, record: dict) -> None:
    own_folder(stamp.parent.parent, stamp.parent.name)
    partial = stamp.with_name(f".{stamp.name}.tmp")
    write_own(partial, seal(record))
    partial.replace(stamp)  # never a half-written stamp


def check(inputs: Inputs, brand_id: str, site_root: Path) -> tuple[Digest, bool]:
    """The brand's digest, and whether its published site is up to date with it."""
    final, stamp = site_root / brand_id, stamp_path(site_root, brand_id)
    recorded = _read_stamp(stamp)
    digest = inputs.digest(brand_id, _known(recorded))
    up_to_date, tree = _up_to_date(final, recorded, digest)
    inputs_record = _inputs_record(digest)
    if up_to_date and (any(recorded.get(k) != v for k, v in inputs_record.items()) or tree):
        # Same inputs, but files touched or just written, or a site listed again: record them as they are now, so
        # that the next run need not read them, nor list the site, again either.
        _save(stamp, {**recorded, **inputs_record, **({"tree": tree} if tree else {})})
    return digest, up_to_date


def site_as_stamped(site_root: Path, brand_id: str) -> bool:
    """Whether the brand's site is as its stamp lists it (or there is neither, a brand never built): False for a
    site that lost, gained or changed files since, a site with no stamp, or a stamp with no site."""
    final = site_root / brand_id
    recorded = _read_stamp(stamp_path(site_root, brand_id))
    if not final.is_dir():
        return not recorded and not os.path.lexists(final)
    return bool(recorded) and (
        site_tree.unchanged(final, recorded.get("tree")) or _listing(final) == recorded.get("files")
    )


def settle(site_root: Path, brand_ids: list[str]) -> int:
    """Give the stamps of `brand_ids` (just built) their sites' tree records where the folders have settled, so
    the next run's check need not list those sites; the number of stamps given one."""
    given = 0
    for brand_id in brand_ids:
        stamp = stamp_path(site_root, brand_id)
        recorded = _read_stamp(stamp)
        if not recorded or "tree" in recorded:
            continue
        files, tree = site_tree.record(site_root / brand_id)
        if tree and files == recorded.get("files"):
            _save(stamp, {**recorded, "tree": tree})
            given += 1
    return given
