"""What a brand's site may read and publish: files inside the project's own folders, never outside or another
brand's.

One rule, `source_problem`, for every file a build reads into a site: MkDocs' file list (the plugin's on_files),
mkdocs-macros' includes and imports (the macros' loader, whatever `include_dir` says), Zensical's copier, and the
walk below. A file is allowed when its real path (links resolved) is inside the project's real `docs/` (or
`overrides/` for the theme's files), not in another brand's image or page folder, and it is a regular file with
one link (`st_nlink == 1`: a hard link to a file outside is the file outside; git never makes one). The top-level
folders, and mkdocs.yml's `docs_dir` and `theme.custom_dir`, must be the project's own folders themselves
(`project_folders`): not links, even to a folder inside the project (`ln -s .git overrides`).
"""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path

from branddocs.brand.folders import other_brands, walk_docs

__all__ = ["TOP_FOLDERS", "project_folders", "read_regular", "source_problem", "unsafe_links"]

TOP_FOLDERS = ("docs", "overrides", "brands", "macros")
"""What a site is made from: each must be the project's own folder, not a link."""


def source_problem(path: str | Path, root: str | Path, brand_id: str | None, resource_dir_name: str | None,
                   folder: str = "docs") -> str | None:  # fmt: skip
    """Why the file `path` may not go into brand `brand_id`'s site from the project `root`'s `folder` (`docs` or
    `overrides`), or None if it may: its real path outside `folder`, in another brand's folder, not a regular
    file, or a hard link. `brand_id` None: for no brand in particular (the check reads every page first), any
    brand's folder is inside."""
    real_root = Path(os.path.realpath(root))
    top = real_root / folder
    target = Path(os.path.realpath(path))
    if not target.is_relative_to(top):
        return f"{path} -> {target}: expected a file inside {top}"
    # The folder itself counts: a link to docs/images/<other>/ is one into it (`/.` makes it a path below it).
    what = brand_id is not None and other_brands(f"{target.relative_to(top).as_posix()}/.", resource_dir_name, brand_id)
    if folder == "docs" and what:
        return f"{path} -> {target}: points into another brand's {what}"
    try:
        info = os.stat(target)
    except OSError as exc:
        return f"{path}: expected a readable file, found {exc.strerror}"
    if stat.S_ISDIR(info.st_mode):
        return None
    if not stat.S_ISREG(info.st_mode):
        return f"{path}: expected a regular file, found another kind of file (mode {stat.filemode(info.st_mode)})"
    if info.st_nlink != 1:
        return f"{path}: expected a file with one name, found a hard link ({info.st_nlink} names)"
    return None


def read_regular(path: str | Path, limit: int) -> bytes | None:
    """The first `limit` bytes of `path` when it is a regular file with one name, opened without following a link and
    without waiting (a FIFO); None for anything else. For a reader that runs before `source_problem` has spoken
    (the build's warm-up guesses the pages' languages): a committed `docs/x.md -> /dev/zero` or FIFO is not read."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode) or status.st_nlink != 1:
            return None
        return file.read(limit)


def project_folders(root: str | Path, paths: dict[str, tuple[str | Path, str]]) -> list[str]:
    """For each of `paths` ({what: (path, the top-level folder it must be)}) that is not the project `root`'s own
    folder of that name (a link, or another folder), why."""
    real_root = Path(os.path.realpath(root))
    found = []
    for what, (path, name) in paths.items():
        target = Path(os.path.realpath(path))
        if target != real_root / name or Path(path).is_symlink():
            link = " (a symbolic link)" if Path(path).is_symlink() else ""
            found.append(f"{what} {path}{link} -> {target}: expected a folder inside the project {real_root}, its own "
                         f"{name}/ itself (no link, no other folder)")  # fmt: skip
    return found


def _brand_file_problem(link: Path, root: Path, brand_id: str) -> str | None:
    if Path(os.path.realpath(link)) == Path(os.path.realpath(root)) / "brands" / f"{brand_id}.yml":
        return None
    return f"symbolic link {link} -> {os.path.realpath(link)}: expected the brand file itself"


_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Unicode categories no file name under docs/ or overrides/ may hold: control, format (bidi, invisible), surrogate,
private, unassigned, line and paragraph separators. MkDocs names files in its messages, which reach terminals and
CI logs: a name holding `ESC ] 0 ;` or a newline then `::error` set a terminal's title and forged a CI annotation."""


def _name_problem(path: Path, root: Path) -> str | None:
    bad = next((char for char in path.name if unicodedata.category(char) in _UNPRINTABLE), None)
    if bad is None:
        return None
    shown = ascii(str(path.relative_to(root)))
    return f"{shown}: expected a file name of printable characters, found {bad!a}; rename it"


def unsafe_links(root: Path, brand_id: str, resource_dir_name: str) -> list[str]:
    """Files and links that would put, into brand `brand_id`'s site (images in `resource_dir_name`), a file
    outside the project or another brand's: the top-level folders, then every entry of what the site is made
    from (docs/ less other brands' folders, which are never listed; overrides/; its brand file) by `source_problem`.
    A link is never followed into."""
    root = Path(os.path.realpath(root))
    found: list[str | None] = [*project_folders(root, {f"{name}/": (root / name, name) for name in TOP_FOLDERS
                                                       if os.path.lexists(root / name)})]  # fmt: skip
    if found:
        return [problem for problem in found if problem]
    brand_file = root / "brands" / f"{brand_id}.yml"
    if brand_file.is_symlink():
        found.append(_brand_file_problem(brand_file, root, brand_id))
    walks = (("docs", walk_docs(root / "docs", resource_dir_name, brand_id, followlinks=False)),
             ("overrides", os.walk(root / "overrides")))  # fmt: skip
    for folder, walk in walks:
        for here, dirs, files in walk:
            for name in [*dirs, *files]:
                path = Path(here) / name
                found.append(_name_problem(path, root))
                if path.is_symlink() or name in files:
                    problem = source_problem(path, root, brand_id, resource_dir_name, folder)
                    if problem and path.is_symlink():
                        problem = f"symbolic link {problem}"
                    found.append(problem)
    return [problem for problem in found if problem]
