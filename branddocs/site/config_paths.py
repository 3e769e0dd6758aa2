"""The paths mkdocs.yml names that a render reads or runs: what the check's harness must be given besides its parts.

The harness is given of the project only the parts the check reads (harness_reads.PROJECT_PARTS), never the
project whole (R7-9). A project's mkdocs.yml may name more that a render needs: `hooks:` (MkDocs imports each file,
its folder on sys.path), mkdocs-macros' `module_name` (`<name>.py` or a package folder; `main` when unset), its
`include_yaml` files and `include_dir`, `watch:` (MkDocs wants each to exist), the files of the INHERIT chain,
`docs_dir` and `theme.custom_dir`. They are read with the engine's own reader of mkdocs.yml
(config_check.config_chain: the safe composer, tags inert, nothing run), from every file of the chain: a value a
later file overrides is named still (one more path given, never one fewer).

A named path may be given when it lies inside the project, is named without a link on the way and without a part
whose name starts with a dot (`.git`, `.env`, `.ssh`: the operator's, never a site's), and is not the project
itself; `path_problem` says why not, naming the file and line. One that is not there is nobody's problem here
(MkDocs or mkdocs-macros says so, as in a build).
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from branddocs.site.config_check import config_chain
from branddocs.site.config_readers import config_entries

__all__ = ["NamedPath", "named_paths", "path_problem"]


@dataclass(frozen=True)
class NamedPath:
    """One path mkdocs.yml names."""

    where: str
    """`<file>:<line>: <key>`, for messages."""
    given: str
    """As written."""
    path: Path
    """Joined to the project's folder, normalised (not resolved): what is read."""
    bound: Path
    """What the harness must be given for it: `path`, or a hook's folder (MkDocs puts it on sys.path)."""


def _line(source: str, given: str, *keys: str) -> int:
    """The line of `given` in `source` (a scalar, quoted or not), else of the first of `keys:` there, else 1."""
    patterns = [rf"(?<![\w./-]){re.escape(given)}(?![\w./-])"]
    patterns += [rf"^[ \t-]*['\"]?{re.escape(key)}['\"]?\s*:" for key in keys]
    for pattern in patterns:
        found = re.search(pattern, source, flags=re.M)
        if found:
            return source.count("\n", 0, found.start()) + 1
    return 1


def _strings(value: Any) -> list[str]:
    """The paths of a value that is a path, a list of them, or (include_yaml) a list of one-key maps to them."""
    items = value if isinstance(value, list) else [value]
    found = [v for item in items for v in (item.values() if isinstance(item, dict) else [item])]
    return [v for v in found if isinstance(v, str) and v]


def _named(value: dict, root: Path) -> list[tuple[str, str, Path]]:
    """(key, as written, path) for each path one file's value tree names."""
    found = [("hooks", given, root / given) for given in _strings(value.get("hooks"))]
    found += [("watch", given, root / given) for given in _strings(value.get("watch"))]
    found += [("docs_dir", given, root / given) for given in _strings(value.get("docs_dir"))]
    theme = value.get("theme")
    if isinstance(theme, dict):
        found += [("custom_dir", given, root / given) for given in _strings(theme.get("custom_dir"))]
    for name, options in config_entries(value.get("plugins")):
        if name != "macros":
            continue
        options = options if isinstance(options, dict) else {}
        module = options.get("module_name") or "main"  # mkdocs-macros' default: main.py or main/
        for given in _strings(module):
            found += [("module_name", given, root / f"{given}.py"), ("module_name", given, root / given)]
        found += [("include_yaml", given, root / given) for given in _strings(options.get("include_yaml"))]
        found += [("include_dir", given, root / given) for given in _strings(options.get("include_dir"))]
    return found


def named_paths(config_file: Path, root: Path) -> list[NamedPath]:
    """Every path mkdocs.yml (and each file it INHERITs) names that is there (os.path.lexists)."""
    root = Path(os.path.abspath(root))
    files = config_chain(config_file, root)[1]
    found: list[NamedPath] = []
    for (path, source, value), (inherited, _, _) in itertools.pairwise(files):
        given = str(value["INHERIT"])  # the chain goes on only from a file that names one (config_check.py)
        found.append(NamedPath(f"{path}:{_line(source, given, 'INHERIT')}: INHERIT", given, inherited, inherited))
    for path, source, value in files:
        for key, given, named in _named(value if isinstance(value, dict) else {}, root):
            named = Path(os.path.normpath(named))
            if os.path.lexists(named):
                hook_folder = named.parent if key == "hooks" and named.parent != root else named
                line = _line(source, given, key, "macros")  # mkdocs-macros' default module: its entry's line
                found.append(NamedPath(f"{path}:{line}: {key}", given, named, hook_folder))
    return list(dict.fromkeys(found))


def path_problem(named: NamedPath, root: Path) -> str | None:
    """Why `named` may not be given to the harness (see the module's doc), or None."""
    root = Path(os.path.abspath(root))
    for path in dict.fromkeys((named.path, named.bound)):
        relative = Path(os.path.relpath(path, root))
        parts = relative.parts
        links = [root.joinpath(*parts[: i + 1]) for i in range(len(parts))]
        why = None
        if path == root or not parts or parts[0] == "..":
            why = "a path inside the project, not the project itself"
        elif any(part.startswith(".") for part in parts):
            why = "no part whose name starts with a dot (the operator's files: .git, .env, never a site's)"
        elif any(link.is_symlink() for link in links):
            why = "a path without a link on the way (a link leads where the repository chose)"
        if why:
            return (f"{named.where}: {named.given} -> {os.path.realpath(path)}: expected {why}; the check gives its "
                    "harness of the project only the parts it reads and what mkdocs.yml names there")  # fmt: skip
    return None
