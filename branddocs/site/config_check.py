"""mkdocs.yml and every file it INHERITs, checked before MkDocs loads them: only allow-listed YAML tags.

MkDocs constructs its configuration with PyYAML's full loader, which runs `!!python/object/apply:os.getenv`,
`!!python/object/apply:linecache.getlines [/proc/self/environ]` and every other Python tag while it reads the
file: before any plugin, and so before anything branddocs could refuse. So the files are read here first, with
PyYAML's safe composer (which runs nothing), and each node's tag is held to an allow-list:

- YAML's own types (strings, numbers, booleans, null, timestamps, binary, maps, sequences, sets, merge keys);
- `!ENV` naming only variables a build may publish (build_env.ENV_TAG_NAMES: BRAND and branddocs' non-secret
  settings), with a plain default;
- `!relative` (MkDocs' path placeholder; what is read through it is held to the project by links.py);
- `!!python/name:` of a function or class defined in a Markdown extension's own module (`pymdownx.*`,
  `material.extensions.*`, `markdown.extensions.*`), the form Material's documentation uses for custom fences,
  emoji and slugs: the object is looked up and must be defined where it is named (no `os.system` reached through
  a module that imported it).

Any other tag fails the build naming the file, line and tag; so does a Markdown extension or plugin that reads files
the build cannot hold to the project (config_readers.py: an allow-list, `pymdownx.snippets` is not on it). The
INHERIT chain is followed as MkDocs follows it, from the value MkDocs will use: the top-level `INHERIT` after merge
keys (`<<: *anchor`) are applied, so an INHERIT reached through an anchor is followed and checked too; each file
must resolve (realpath) inside the project. `branddocs build`, `serve`, `diff` and the checks' collection call
`config_problems` before MkDocs loads the file (plugin/render.py); the branddocs plugin calls it again first thing
in `on_config` for a plain `mkdocs build`, whose loading has by then run the tags: see the threat model (a plain
`mkdocs build` trusts mkdocs.yml as it trusts a `hooks:` module).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import re
from pathlib import Path
from typing import Any

import yaml

from branddocs.site.build_env import ENV_TAG_NAMES
from branddocs.site.config_readers import reader_problems

__all__ = ["MAX_INHERIT", "PYTHON_NAME_MODULES", "config_chain", "config_problems"]

MAX_INHERIT = 10
"""INHERIT chains longer than this are refused (MkDocs itself would loop on a cycle)."""
PYTHON_NAME_MODULES = ("pymdownx.", "material.extensions.", "markdown.extensions.")
"""Where a `!!python/name:` may point: Markdown extensions' modules, whose callables mkdocs.yml legitimately names."""
_CORE = "tag:yaml.org,2002:"
_SAFE_TYPES = frozenset(_CORE + name for name in (
    "str", "int", "float", "bool", "null", "timestamp", "binary", "map", "seq", "set", "omap", "pairs", "merge",
))  # fmt: skip
_PYTHON_NAME = _CORE + "python/name:"
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")


class _Tagged:
    """What an allow-listed tag stands for while the value tree is read: nothing it would compute (never a str)."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def __repr__(self) -> str:
        return f"a {self.tag} tag"


class _Placeholders(yaml.SafeLoader):
    """The safe loader, with the allow-listed tags read as inert placeholders: the value tree MkDocs will see,
    for its top-level INHERIT (merge keys applied), with nothing run."""


_Placeholders.add_constructor("!ENV", lambda loader, node: _Tagged("!ENV"))
_Placeholders.add_constructor("!relative", lambda loader, node: _Tagged("!relative"))
_Placeholders.add_multi_constructor(_PYTHON_NAME, lambda loader, suffix, node: _Tagged("!!python/name"))


def _python_name_problem(name: str) -> str | None:
    if not _DOTTED.match(name) or not name.startswith(PYTHON_NAME_MODULES):
        return f"a function of a Markdown extension's module ({', '.join(m + '*' for m in PYTHON_NAME_MODULES)})"
    module_name, _, attribute = name.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError):
        return "a function or class that exists"
    if not (inspect.isfunction(found) or inspect.isclass(found)) or found.__module__ != module_name:
        return f"a function or class defined in {module_name} itself"
    return None


def _env_problem(node: yaml.Node) -> str | None:
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    names = items[:-1] if isinstance(node, yaml.SequenceNode) and len(items) > 1 else items
    if not names:
        return "a variable's name"
    for item in names:
        if not isinstance(item, yaml.ScalarNode) or item.value not in ENV_TAG_NAMES:
            found = item.value if isinstance(item, yaml.ScalarNode) else "a collection"
            return (f"one of {', '.join(sorted(ENV_TAG_NAMES))} (a build publishes what its configuration reads; any "
                    f"other variable may hold a credential, a private address or a path), found {found}")  # fmt: skip
    return None


def _tag_problems(node: yaml.Node, path: Path, seen: set[int]) -> list[str]:
    """`file:line: ...` for each node under `node` whose tag is not allow-listed (an alias's node once)."""
    if id(node) in seen:
        return []
    seen.add(id(node))
    where = f"{path}:{node.start_mark.line + 1}"
    tag, problem = node.tag, None
    if tag == "!ENV":
        problem = _env_problem(node)
    elif tag == "!relative":
        problem = None if isinstance(node, yaml.ScalarNode) else "a scalar (`!relative $config_dir/...`)"
    elif tag.startswith(_PYTHON_NAME):
        problem = _python_name_problem(tag.removeprefix(_PYTHON_NAME))
    elif tag not in _SAFE_TYPES:
        problem = (f"one of YAML's own types, !ENV, !relative or !!python/name: of a Markdown extension's "
                   f"function, found a tag MkDocs' loader would run or construct: {tag}")  # fmt: skip
    found = [f"{where}: tag {tag}: expected {problem}"] if problem else []
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found += _tag_problems(key, path, seen) + _tag_problems(value, path, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found += _tag_problems(item, path, seen)
    return found


def _inside(path: Path, root: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


@functools.lru_cache(maxsize=64)
def _file_problems(path: str, source: str) -> tuple[tuple[str, ...], Any]:
    """One file's problems and its value tree (None: the file is empty; tags as inert placeholders). Kept per
    process: a build checks the same mkdocs.yml for every brand, and the same text gives the same answer."""
    try:
        root_node = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        return (f"{path}: expected a readable YAML file, found {type(exc).__name__}: {exc}",), None
    if root_node is None:
        return (), None
    problems = _tag_problems(root_node, Path(path), set())
    if problems:
        return tuple(problems), None
    value: Any = yaml.load(source, Loader=_Placeholders)  # noqa: S506 - a SafeLoader with inert placeholders
    return (), value


def config_problems(config_file: Path, root: Path | None = None) -> list[str]:
    """Why MkDocs may not load `config_file` (and the files it INHERITs): tags outside the allow-list and files
    outside the project `root` (the config file's folder by default), each naming its file and line."""
    return config_chain(config_file, root)[0]


def config_chain(config_file: Path, root: Path | None = None) -> tuple[list[str], list[tuple[Path, str, Any]]]:
    """`config_problems`, and each file of the INHERIT chain as read (its path, text and value tree, the tags as
    inert placeholders), `config_file` first: what the engine reads of mkdocs.yml without running any of it."""
    root = Path(root or Path(config_file).parent)
    path, chain, files = Path(config_file), [], []
    while True:
        if not _inside(path, root):
            return [f"{chain[-1] if chain else path}: INHERIT {path} -> {os.path.realpath(path)}: expected a file "
                    f"inside the project {os.path.realpath(root)}"], files  # fmt: skip
        if os.path.realpath(path) in chain:
            return [f"{chain[-1]}: INHERIT {path}: expected a chain without a cycle, found {path} again"], files
        if len(chain) >= MAX_INHERIT:
            return [f"{path}: INHERIT: expected at most {MAX_INHERIT} files in the chain"], files
        chain.append(os.path.realpath(path))
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return [f"{path}: expected a readable YAML file, found {type(exc).__name__}: {exc}"], files
        problems, value = _file_problems(str(path), source)
        problems += tuple(reader_problems(value, source, path, root))
        if problems:
            return list(problems), files
        files.append((path, source, value))
        inherit = value.get("INHERIT") if isinstance(value, dict) else None
        if inherit is None:
            return [], files
        if not isinstance(inherit, str):
            return [f"{path}: INHERIT: expected a file name, found {inherit!r}"], files
        path = Path(os.path.normpath(path.parent / inherit))  # as MkDocs joins it (mkdocs/utils/yaml.py)
