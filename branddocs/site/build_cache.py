"""Reuse, between brand builds in one process, what does not change from one brand to the next.

`install()` is called once in each build worker (never by a plain `mkdocs build`), `cache_git_info()` also
by the example checks' collection (branddocs/examples/collection/collect.py), which renders every brand's pages:

- The theme's Jinja environment: MkDocs makes a new one per build, which loads every Material template
  again (reading, checksumming and unmarshalling 40 of them: a tenth of a brand's build). One environment
  per theme folders and locale serves every build of the process; a build whose plugins change the
  environment (an `on_env` handler) gets a fresh one of its own, as before, so nothing a plugin adds to one
  brand's environment reaches another's. The environment holds no brand: the pages' context does.
- Jinja bytecode: a shared bytecode cache turns compiling Material's templates into unmarshalling. It is
  kept in memory and, when a folder is given, on disk too (Jinja's own FileSystemBytecodeCache: entries are
  checked against the template source's checksum and Jinja's version), so the next run's first build skips
  compiling.
- Material's search-index parser: the same sections, its bookkeeping in constant time (site/search_parser.py).
- Highlighted code: the same code, lexer and formatter settings give the same HTML; remembered per process.
- Pygments' style tables: each highlighted block makes a formatter that derives its class and style tables
  from the style again; they depend on the style and the class prefix only, so they are derived once.
- Material's static files: linked from the site store, hashed once per process (site/theme_links.py).
- The theme's file listing: walking Material's 14,500 files (and filtering them) is done once, and kept between
  runs in the caller's cache folder while the theme's folders stat the same (site/theme_listing.py).
- The installed themes: MkDocs looks its entry points up again for every theme it loads (a tenth of a second
  each); the installed packages do not change while a build runs.
- mkdocs.yml read with PyYAML's C loader (libyaml, when PyYAML has it), the same constructors as MkDocs' own
  Python loader: a tenth of the time, the same values (mkdocs.yml was checked before, site/config_check.py).
- mkdocs-macros' git metadata: its dozen `git` processes per build run once per process and folder (git
  reads the current folder's repository). Never in `mkdocs serve`, which must see a new commit.
- requests, which mkdocs-macros imports for one function (asking PyPI whether a pluglet exists, which no build of
  ours calls): a tenth of a second of every build and check, imported on its first use instead (`lazy_requests`).
- mkdocs-macros' debug dump: its on_pre_build writes every variable, macro and filter as JSON for a debug line,
  whether or not anything takes debug lines (a twentieth of a brand's build); made only when its logger does.

The output is unchanged: the tests compare every brand with `BRAND=<id> mkdocs build`, byte for byte.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import types
from pathlib import Path
from typing import Any

import jinja2

from branddocs.site import theme_listing

__all__ = ["cache_git_info", "install", "lazy_requests"]

_installed = False
_HIGHLIGHTS_KEPT = 1024
"""Highlighted blocks a process remembers (a few kB each); all forgotten when full."""
_git_cached = False


class _BytecodeCache(jinja2.BytecodeCache):
    """Bytecode in memory, in front of an optional folder; Jinja checks each entry against its source."""

    def __init__(self, folder: Path | None) -> None:
        self._store: dict[str, bytes] = {}
        self._disk = None
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            self._disk = jinja2.FileSystemBytecodeCache(str(folder))

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)
        elif self._disk is not None:
            self._disk.load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()
        if self._disk is not None:
            self._disk.dump_bytecode(bucket)  # written to a temporary file, then renamed: safe across workers


def install(bytecode_folder: Path | None = None, listing_folder: Path | None = None) -> None:
    """Patch this process's MkDocs and mkdocs-macros; `bytecode_folder` keeps compiled templates on disk,
    `listing_folder` the theme's file listing (both the caller's, never the project's)."""
    global _installed
    if _installed:
        return
    _installed = True
    lazy_requests()
    from mkdocs.theme import Theme

    bytecode = _BytecodeCache(bytecode_folder)
    listings: dict[Any, list[str]] = {}
    theme_get_env = Theme.get_env

    def get_env(self: Theme) -> jinja2.Environment:
        env = theme_get_env(self)
        env.bytecode_cache = bytecode
        list_templates = env.list_templates

        def listed(extensions: Any = None, filter_func: Any = None) -> list[str]:
            # The filter is a closure over the theme's static templates: part of the key, with its code.
            key = (tuple(self.dirs), tuple(self.static_templates), extensions, getattr(filter_func, "__code__", None))
            if key not in listings:
                listings[key] = theme_listing.listing(
                    env.loader, extensions, filter_func, self.static_templates,
                    lambda: list_templates(extensions=extensions, filter_func=filter_func), listing_folder,
                )  # fmt: skip
            return list(listings[key])

        env.list_templates = listed
        return env

    Theme.get_env = _one_env_per_theme(get_env)
    _themes_once()
    _pygments_tables_once()
    _highlight_once()
    from branddocs.site import search_parser, theme_links  # here: Material's search plugin only where a build runs

    search_parser.install()
    theme_links.install()
    _c_yaml()
    _macros_debug_when_asked()
    cache_git_info()


class _OnFirstUse(types.ModuleType):
    """A module's stand-in in sys.modules until one of its attributes is read: then the module itself is imported
    (in its place in sys.modules) and answers. `import requests` takes the stand-in as it is: its `__spec__` is the
    module's own (Python's LazyLoader would import it there, as `import` reads `__spec__`)."""

    def __getattr__(self, name: str) -> Any:
        import importlib
        import sys

        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def lazy_requests() -> None:
    """`requests` imported on its first use, where nothing imported it yet: mkdocs-macros' `import requests` then
    costs nothing. Called before mkdocs-macros is imported."""
    import importlib.util
    import sys

    if "requests" in sys.modules:
        return
    spec = importlib.util.find_spec("requests")
    if spec is None:
        return
    stand_in = _OnFirstUse("requests")
    stand_in.__spec__ = spec
    sys.modules["requests"] = stand_in


def _macros_debug_when_asked() -> None:
    """mkdocs-macros' on_pre_build, its JSON dumps made only when its logger takes DEBUG records (its trace lines,
    the names alone, as before)."""
    from mkdocs_macros import plugin as macros_plugin
    from mkdocs_macros import util as macros_util

    dump_all = macros_plugin.MacrosPlugin.on_pre_build

    def on_pre_build(self: Any, *, config: Any) -> None:
        if macros_util.LOG.isEnabledFor(logging.DEBUG):
            return dump_all(self, config=config)
        for what, names in (("variables", self.variables), ("macros", self.macros), ("filters", self.filters)):
            if names or what == "variables":
                macros_util.trace(f"Config {what}:", list(names.keys()))
        return None

    macros_plugin.MacrosPlugin.on_pre_build = on_pre_build


def _one_env_per_theme(make_env: Any) -> Any:
    """`Theme.get_env`, made once per theme folders and locale; a build with `on_env` handlers gets a fresh one."""
    from mkdocs.plugins import PluginCollection

    shared: dict[tuple[tuple[str, ...], str], jinja2.Environment] = {}

    def get_env(self: Any) -> jinja2.Environment:
        # The theme's language too: Material's templates import its language partial by it.
        key = (tuple(self.dirs), str(self.locale), str(self.get("language", "")))
        if key not in shared:
            shared[key] = make_env(self)
        env = shared[key]
        for template in env.cache.values() if env.cache is not None else []:
            template._module = None  # an import's module, made with the globals of its first use: made anew
        return env

    run_on_env = PluginCollection.on_env

    def on_env(self: PluginCollection, env: jinja2.Environment, *, config: Any, files: Any) -> Any:
        if self.events["env"] and env in shared.values():  # a plugin may change it: never the shared one
            env = make_env(config.theme)
        return run_on_env(self, env, config=config, files=files)

    PluginCollection.on_env = on_env
    return get_env


def _highlight_once() -> None:
    """pymdownx's call into Pygments, remembered per process: a block of code lexed and formatted by a lexer and a
    formatter in the same state gives the same HTML. Every brand's pages have the same examples, most of them the
    same code (a Python call, an install line), and highlighting was a sixteenth of a brand's build. The key is the
    code and every attribute of the lexer and formatter but the formatter's style tables (derived from its style and
    class prefix, both in the key); an attribute whose repr names no value (an object's address) never matches."""
    from pymdownx import highlight as pymdownx_highlight

    highlight = pymdownx_highlight.highlight
    done: dict[tuple, str] = {}

    def state(thing: Any, derived: tuple[str, ...] = ()) -> tuple:
        return type(thing), tuple(sorted((k, repr(v)) for k, v in vars(thing).items() if k not in derived))

    def remembered(code: str, lexer: Any, formatter: Any, outfile: Any = None) -> Any:
        if outfile is not None:
            return highlight(code, lexer, formatter, outfile)
        key = (code, state(lexer), state(formatter, ("ttype2class", "class2style")))
        if key not in done:
            if len(done) >= _HIGHLIGHTS_KEPT:
                done.clear()
            done[key] = highlight(code, lexer, formatter)
        return done[key]

    pymdownx_highlight.highlight = remembered


def _pygments_tables_once() -> None:
    from pygments.formatters.html import HtmlFormatter

    create = HtmlFormatter._create_stylesheet
    tables: dict[tuple[Any, str], tuple[dict, dict]] = {}

    def create_stylesheet(self: HtmlFormatter) -> None:
        key = (self.style, self.classprefix)
        if key not in tables:
            create(self)
            tables[key] = (self.ttype2class, self.class2style)
        # Copies: the formatter only reads them, but nothing of one block's formatter reaches another's.
        self.ttype2class, self.class2style = dict(tables[key][0]), dict(tables[key][1])

    HtmlFormatter._create_stylesheet = create_stylesheet


class _Once:
    """MkDocs' `get_themes`, computed once: its `cache_clear` (called for each theme loaded) keeps the value."""

    def __init__(self, compute: Any) -> None:
        self._compute, self._value = compute, None

    def __call__(self) -> Any:
        if self._value is None:
            self._value = self._compute()
        return self._value

    def cache_clear(self) -> None:
        """Nothing: the installed themes do not change while a build runs."""


def _themes_once() -> None:
    from mkdocs import utils

    utils.get_themes = _Once(utils.get_themes)


def _c_yaml() -> None:
    import yaml
    from mkdocs.config import defaults
    from mkdocs.utils import yaml as mkdocs_yaml

    if getattr(yaml, "__with_libyaml__", False):
        python_loader = mkdocs_yaml.get_yaml_loader

        def get_yaml_loader(loader: Any = yaml.Loader, config: Any = None) -> Any:
            return python_loader(yaml.CLoader if loader is yaml.Loader else loader, config)

        mkdocs_yaml.get_yaml_loader = defaults.get_yaml_loader = get_yaml_loader  # defaults.py imported the name


def cache_git_info() -> None:
    """mkdocs-macros' `git` variable (`get_git_info()`: a dozen `git` processes) once per process and current
    folder, a fresh copy each time: its `define_env` looks the function up in its module at each call
    (idempotent)."""
    global _git_cached
    if _git_cached:
        return
    _git_cached = True
    lazy_requests()
    from mkdocs_macros import context

    git_info = context.get_git_info
    by_folder: dict[str, Any] = {}

    @functools.wraps(git_info)
    def cached_git_info() -> Any:
        folder = os.getcwd()
        if folder not in by_folder:
            by_folder[folder] = git_info()
        return copy.deepcopy(by_folder[folder])

    context.get_git_info = cached_git_info
