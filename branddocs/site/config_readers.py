"""What in mkdocs.yml may read files: an allow-list of Markdown extensions and plugins, their paths inside the project.

A site holds only files the build's one rule allows (`source_problem`, branddocs/brand/links.py): MkDocs' file
list, mkdocs-macros' includes and Zensical's copier ask it. A Markdown extension or a plugin that reads files of
its own does not: `pymdownx.snippets` with `base_path: [/etc]` or `auto_append: [brands/other.yml]` publishes
what it names, `pymdownx.b64` embeds any image under its `base_path`, Material's projects plugin builds whatever
folder it is given. So the readers are a closed set, checked here before MkDocs loads the file
(config_check.py calls `reader_problems` for each file of the INHERIT chain):

- Markdown extensions: Python-Markdown's own and PyMdown's and Material's that read no file (READING_NONE); the
  one that reads a folder named in its options (`pymdownx.emoji`'s `options.custom_icons`, Material's icons) only
  inside the project's `overrides/`;
- plugins: branddocs, MkDocs' and Material's search (its jieba dictionaries only inside the project's
  `overrides/`), mkdocs-macros (its `include_yaml` files inside the project; its `include_dir` is held by the
  macros' loader) and Material's plugins that read only MkDocs' file list.

Anything else fails the build naming the file, line and name: an include is `{% include %}`, which the build checks.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

__all__ = ["ALLOWED_PLUGINS", "READING_NONE", "config_entries", "reader_problems"]

_MARKDOWN = ("abbr", "admonition", "attr_list", "codehilite", "def_list", "extra", "fenced_code", "footnotes",
             "legacy_attrs", "legacy_em", "md_in_html", "meta", "nl2br", "sane_lists", "smarty", "tables", "toc",
             "wikilinks")  # fmt: skip
_PYMDOWNX = ("arithmatex", "betterem", "blocks.admonition", "blocks.caption", "blocks.definition", "blocks.details",
             "blocks.html", "blocks.tab", "caret", "critic", "details", "emoji", "escapeall", "extra", "fancylists",
             "highlight", "inlinehilite", "keys", "magiclink", "mark", "pathconverter", "progressbar", "quotes",
             "saneheaders", "smartsymbols", "striphtml", "superfences", "tabbed", "tasklist", "tilde")  # fmt: skip
READING_NONE = frozenset(
    [f"markdown.extensions.{name}" for name in _MARKDOWN] + [f"pymdownx.{name}" for name in _PYMDOWNX]
)
"""Markdown extensions that read no file (their code was read: no `open`, no download)."""
_FOLDER_OPTIONS = {"pymdownx.emoji": (("options", "custom_icons"), "overrides")}
"""Extensions that read the folders an option names: where those folders must be."""
_PLUGIN_FILES = {"material/search": (("jieba_dict", "jieba_dict_user"), "overrides")}
"""Allowed plugins that read the files an option names (jieba's dictionaries: any file, its first bad line printed,
red team 8, R8-2): where those files must be."""
_PLUGIN_OUTPUTS = {"material/tags": ("export_file", "tags_file")}
"""Allowed plugins that write where an option says, joined to the site's folder (red team 9, R9-3: an absolute
`export_file` or one with `..` wrote anywhere the builder may): a plain relative name inside the site alone."""
_INSIDE_SITE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")
ALLOWED_PLUGINS = frozenset({"branddocs", "search", "macros", "material/search", "material/tags", "material/meta",
                             "material/offline", "material/typeset"})  # fmt: skip
"""Plugins that read only MkDocs' file list (what the branddocs plugin's on_files checks)."""


def config_entries(value: Any) -> list[tuple[str, Any]]:
    """(name, options) of a `markdown_extensions` or `plugins` value: a list of names or one-key maps, or a map."""
    if isinstance(value, dict):
        return [(str(name), options) for name, options in value.items()]
    found = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict):
            found += [(str(name), options) for name, options in item.items()]
        else:
            found.append((str(item), None))
    return found


def _extension(name: str) -> str:
    """The module an extension's name loads (`toc` is markdown.extensions.toc; `x.y:Class` is x.y)."""
    module = name.split(":", 1)[0]
    return module if "." in module else f"markdown.extensions.{module}"


def _plugin(name: str) -> str:
    """A plugin's name as MkDocs resolves it with Material's theme: `tags` is material/tags."""
    return f"material/{name}" if "/" not in name and f"material/{name}" in ALLOWED_PLUGINS else name


def _line(source: str, name: str) -> int:
    match = re.search(rf"^[ \t-]*['\"]?{re.escape(name)}['\"]?\s*(?::|$)", source, flags=re.M)
    return source.count("\n", 0, match.start()) + 1 if match else 1


def _outside(paths: Any, root: Path, folder: str) -> list[str]:
    """The entries of `paths` (a path or a list of them, relative to the project) not inside `root`/`folder`."""
    top = Path(os.path.realpath(root / folder))
    found = []
    for path in paths if isinstance(paths, list) else [paths]:
        target = Path(os.path.realpath(root / path)) if isinstance(path, str) else None
        if target is None or not target.is_relative_to(top):
            found.append(f"{path!r} -> {target or 'a value that is not a path'}")
    return found


def reader_problems(value: Any, source: str, path: Path, root: Path) -> list[str]:
    """`file:line: ...` for each Markdown extension or plugin of `value` (one config file's value tree, `source` its
    text) that reads files outside the allow-list, or names a folder outside the project `root`'s own."""
    if not isinstance(value, dict):
        return []
    found = []
    for name, options in config_entries(value.get("markdown_extensions")):
        where, module = f"{path}:{_line(source, name)}: markdown_extensions: {name}", _extension(name)
        if module not in READING_NONE:
            found.append(f"{where}: expected a Markdown extension that reads no file of its own (Python-Markdown's, "
                         "PyMdown's but snippets and b64), found one the build cannot hold to the project's docs/: "
                         "include a page's part with {% include %}, which the build checks")  # fmt: skip
        elif module in _FOLDER_OPTIONS and isinstance(options, dict):
            (outer, inner), folder = _FOLDER_OPTIONS[module]
            named = (options.get(outer) or {}).get(inner) if isinstance(options.get(outer), dict) else None
            for outside in _outside(named, root, folder) if named is not None else []:
                found.append(f"{where}: {outer}.{inner}: expected folders inside the project's {folder}/, found "
                             f"{outside}")  # fmt: skip
    for name, options in config_entries(value.get("plugins")):
        where = f"{path}:{_line(source, name)}: plugins: {name}"
        if _plugin(name) not in ALLOWED_PLUGINS:
            found.append(f"{where}: expected one of {', '.join(sorted(ALLOWED_PLUGINS))} (plugins that read only "
                         "the files the build checks), found another")  # fmt: skip
        elif _plugin(name) in _PLUGIN_FILES and isinstance(options, dict):
            keys, folder = _PLUGIN_FILES[_plugin(name)]
            for key in (k for k in keys if options.get(k) is not None):
                for outside in _outside(options[key], root, folder):
                    found.append(f"{where}: {key}: expected a file inside the project's {folder}/, found {outside}")
        elif _plugin(name) in _PLUGIN_OUTPUTS and isinstance(options, dict):
            for key in (k for k in _PLUGIN_OUTPUTS[_plugin(name)] if options.get(k) is not None):
                value = options[key]
                if not (isinstance(value, str) and _INSIDE_SITE.fullmatch(value) and ".." not in value.split("/")):
                    found.append(f"{where}: {key}: expected a file name inside the site (letters, digits, '_', '-', "
                                 f"'.', folders with '/', no '..'), found {value!r}")  # fmt: skip
        elif name == "macros" and isinstance(options, dict) and options.get("include_yaml") is not None:
            files = options["include_yaml"]
            named = [v for item in (files if isinstance(files, list) else [files])
                     for v in (item.values() if isinstance(item, dict) else [item])]  # fmt: skip
            for outside in _outside(named, root, "."):
                found.append(f"{where}: include_yaml: expected files inside the project, found {outside}")
    return found
