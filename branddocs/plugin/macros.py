"""What a project's mkdocs-macros module calls: the brand's values as template variables, in Jinja's sandbox.

mkdocs-macros loads this module itself when mkdocs.yml lists it (`modules: ["branddocs:branddocs.plugin.macros"]`),
or a project's own `macros/__init__.py` defines `define_env(env)` and `on_pre_page_macros(env)` by calling the
functions of the same names here. The values come from the branddocs plugin, which resolved the brand once
for the build (branddocs/plugin/plugin.py).

Brand values come from tenants and pages from writers, so neither is trusted here:

- every `{{ expression }}` prints as Markdown text (branddocs/text/printers.py's `markdown_text`): what
  starts Markdown or HTML syntax, and both quotes, become character references, so `R&D <Labs>` reads as
  that name, `<script>` or `[x](javascript:...)` never becomes markup, and a value in a quoted attribute
  (a raw tag, an included file, an attribute list), or a `<script>` string, cannot end it; nothing else is
  escaped (`Brightline & Co.` stays so in the Markdown twin). A value that passed a code grammar (the base
  URL, model ids, the key variable) prints as written: its grammar accepts only what every printer leaves
  unchanged. Only `text.MarkdownSafe` prints as it is: the printers' filters return it, and so does a macro
  that means to return Markdown. Jinja's own Markup (`| e`, `| tojson`, `| safe`, `| urlencode`) is
  printed as Markdown text again, from the text it stands for: no filter lets a brand value become markup;
- elsewhere a page names the place a value lands with a filter, one per printer: `| shell_word`,
  `| python_str`, `| js_str`, `| json_str`, `| url_path`, `| markdown_link_destination`;
- templates run in Jinja's sandbox (no `__globals__` and the like) and see only the brand's values and
  the page's title, URL and metadata: not MkDocs' config object, the machine or git.
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

from jinja2 import BaseLoader
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from mkdocs_macros.plugin import MacrosPlugin

from branddocs import text
from branddocs.brand.folders import other_brands, own_folders
from branddocs.brand.links import source_problem
from branddocs.plugin.plugin import BranddocsPlugin, plugin_of

__all__ = ["BrandLoader", "CachingSandbox", "as_text", "define_env", "include_problem", "on_pre_page_macros"]

_FILTERS = (text.shell_word, text.python_str, text.js_str, text.json_str, text.url_path,
            text.markdown_link_destination, text.markdown_text)  # fmt: skip
"""The printers a page may name, as filters of the same names; each returns text.MarkdownSafe, printed as it is."""
_PUBLIC_CONFIG = ("site_name", "site_url", "site_description", "copyright", "extra")
_MARKERS = ("block_start_string", "block_end_string", "variable_start_string", "variable_end_string",
            "comment_start_string", "comment_end_string")  # fmt: skip
_LEXER = ("line_statement_prefix", "line_comment_prefix", "trim_blocks", "lstrip_blocks", "newline_sequence",
          "keep_trailing_newline", "optimized")  # fmt: skip
"""What else Jinja's lexer and compiler read from the environment (with the markers and the extensions)."""


def as_text(value: Any) -> str:
    """What `{{ value }}` prints: text.MarkdownSafe as it is; Jinja's Markup (`| e`, `| tojson`) as Markdown text
    of the text it stands for; anything else as Markdown text (StrictUndefined still raises)."""
    if isinstance(value, text.MarkdownSafe):
        return str(value)
    if isinstance(value, Markup):
        return text.markdown_text(value.unescape())
    return text.markdown_text(str(value))


def _printer_filter(printer):
    def printed(value: Any) -> text.MarkdownSafe:
        return text.MarkdownSafe(printer(str(value)))

    printed.__name__ = printer.__name__
    return printed


def _plugin(env: MacrosPlugin) -> BranddocsPlugin:
    """The build's branddocs plugin, which holds the brand and its values."""
    return plugin_of(env.conf, "the macros module")


def define_env(env: MacrosPlugin) -> None:
    """Expose the build's brand, e.g. `{{ user_name }}`, `{{ base_url }}`, `{{ api_key_env }}`."""
    env.variables.update(_plugin(env).variables)


def include_problem(name: str, brand_id: str, resource_dir_name: str) -> str | None:
    """Why a page of brand `brand_id` may not include (or import) `name`, or None if it may."""
    parts = name.split("/")
    if name.startswith("/") or "\\" in name or any(p in ("", ".", "..") for p in parts):
        return "expected a path relative to docs/, without `..`, `.` or empty parts"
    what = other_brands(name, resource_dir_name, brand_id)
    if what is None:
        return None
    own = own_folders(resource_dir_name, brand_id)[parts[0]]
    return f"another brand's {what}: this brand's {'is' if what == 'image folder' else 'are'} {parts[0]}/{own}/"


class BrandLoader(BaseLoader):
    """mkdocs-macros' loader, limited to shared files and the brand's own: an include of another tenant's
    image or page would publish it in this tenant's site."""

    def __init__(self, inner: BaseLoader, brand_id: str = "", resource_dir_name: str = "", root: str = "") -> None:
        self.inner = inner
        self.brand_id, self.resource_dir_name, self.root = brand_id, resource_dir_name, root
        self.page = "(a page)"

    def get_source(self, environment, template):
        problem = include_problem(template, self.brand_id, self.resource_dir_name)
        if problem:
            raise SecurityError(f"{self.page}: include of {template!r} refused: {problem}")
        source, filename, uptodate = self.inner.get_source(environment, template)
        # The file the loader found, wherever `include_dir` points: the rule of every published file (links.py).
        problem = source_problem(filename, self.root, self.brand_id, self.resource_dir_name) if filename else None
        if problem or not filename:
            raise SecurityError(f"{self.page}: include of {template!r} refused: {problem or 'not a file of docs/'}")
        return source, filename, uptodate


class CachingSandbox(SandboxedEnvironment):
    """Jinja's sandbox, whose compiled pages are kept for the next brand built in this process.

    A page's code depends only on its text and on what the compiler reads from the environment: the markers and
    the lexer's settings, the extensions, the names of the filters and tests, `finalize`, `undefined` and the
    class, all part of the key. The brand's
    values, its loader and the filters' code are looked up when the page renders, so every brand renders the
    same code with its own values; a page that fails to compile is not kept and fails again."""

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        if raw or not isinstance(source, str):
            return super().compile(source, name, filename, raw, defer_init)
        key = (source, name, filename, defer_init, type(self), self.undefined, self.finalize, self.autoescape,
               tuple(getattr(self, m) for m in _MARKERS + _LEXER), tuple(sorted(self.extensions)),
               frozenset(self.filters), frozenset(self.tests))  # fmt: skip
        code = _COMPILED.get(key)
        if code is None:
            code = super().compile(source, name, filename, raw, defer_init)
            if len(_COMPILED) >= _COMPILED_MAX:
                _COMPILED.pop(next(iter(_COMPILED)))  # the oldest page
            _COMPILED[key] = code
        return code


_COMPILED: dict[tuple, Any] = {}
_COMPILED_MAX = 512
"""Compiled pages kept per process (the build's workers and the checks' collection render page after page)."""


def _sandboxed(env, brand_id: str, resource_dir_name: str, root: str) -> SandboxedEnvironment:
    """mkdocs-macros' environment (loader, strictness, markers and filters) in Jinja's sandbox."""
    sandbox = CachingSandbox(
        loader=BrandLoader(env.loader, brand_id, resource_dir_name, root),
        undefined=env.undefined,
        finalize=as_text,
        **{m: getattr(env, m) for m in _MARKERS},
    )
    sandbox.filters.update(env.filters)
    sandbox.filters.update({printer.__name__: _printer_filter(printer) for printer in _FILTERS})
    # No globals from mkdocs-macros: `context()` and `macros_info()` print every variable, config included.
    return sandbox


def on_pre_page_macros(env: MacrosPlugin) -> None:
    """Before each page renders: the sandbox, and only the variables a page may publish."""
    plugin = _plugin(env)
    if not isinstance(env.env, SandboxedEnvironment):
        # mkdocs-macros 1.5.0 makes its Jinja environment in its on_config, after define_env has run, and
        # offers no public way to choose its class: `env.env` is a read-only property and register_macros/
        # register_filters/register_variables only add names. So its private `_env` is replaced, here only,
        # once per build, before the first page renders.
        root = os.path.dirname(env.conf["config_file_path"])
        env._env = _sandboxed(env.env, plugin.brand.id, plugin.brand.resource_dir_name, root)
    allowed: dict[str, Any] = dict(plugin.variables)
    # The branddocs plugin keeps these as escaped Markup; a page gets them as text, escaped when printed.
    public = {name: env.conf[name] for name in _PUBLIC_CONFIG}
    allowed["config"] = {k: v.unescape() if isinstance(v, Markup) else v for k, v in public.items()}
    allowed["extra"] = env.conf["extra"]
    page = env.variables.get("page")
    if page is not None:  # mkdocs-macros reads `.meta` from it (render_macros: false)
        env.env.loader.page = page.file.src_uri
        allowed["page"] = SimpleNamespace(title=page.title, url=page.url, meta=page.meta)
    env.variables.clear()
    env.variables.update(allowed)
