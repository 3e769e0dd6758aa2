"""`branddocs build --engine zensical`: a brand's site built by Zensical, Material's successor, from the same sources.

Zensical reads mkdocs.yml but runs no MkDocs plugin or hook, so nothing of branddocs' plugin runs inside it.
Each brand is therefore made ready before Zensical sees it, by the same code the MkDocs build runs:

1. branddocs' plugin resolves the brand (`on_config`: name, URL, palette, logo, favicon, language, navigation
   with the brand's own pages, copyright), and mkdocs-macros renders every page of the brand's site with
   branddocs' macros (Jinja's sandbox, values printed as text, `on_undefined: strict`, `on_error_fail`),
   exactly as the MkDocs build and the example checks render them (branddocs/examples/collection/collect.py);
2. the rendered pages (fence settings removed), the shared files and the brand's own images only go into a
   work folder, site/.staging-<id>-<unique>/docs/, with a configuration generated for that brand
   (mkdocs.yml: Zensical's own macros and search plugins are not listed: the pages are already rendered);
3. Zensical builds it in strict mode (a broken link, anchor or image fails the brand); then each page's
   Markdown twin and llms.txt are written, the rendered pages are checked for template leftovers, and
   every output file goes through the secret scan;
4. the build (builder/build.py) publishes it as it publishes every engine's, and stamps it with a digest that
   includes the engine, so switching engines rebuilds.

Why not Zensical's own macros (zensical/extensions/macros.py): it renders with a plain `jinja2.Environment`,
not Jinja's sandbox, without branddocs' `finalize` that prints brand values as text, and its variables are not
branddocs' plugin's; the pages would render differently from the MkDocs build and the example checks.
"""

from __future__ import annotations

import copy
import html
import os
import re
import shutil
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from branddocs.brand.links import project_folders, source_problem
from branddocs.builder import zensical_call
from branddocs.builder.engine import BuildFailed, Engine
from branddocs.markup import template_leftover
from branddocs.plugin.plugin import plugin_of
from branddocs.plugin.render import BrandRenderer, published
from branddocs.site import Project, llms, secrets_scan, try_it
from branddocs.site.config_check import MAX_INHERIT
from branddocs.site.pages import docs_files, kept_out, site_pages
from branddocs.site.platform_file import write_platform

__all__ = ["ENGINE", "Zensical", "prepare"]

_ARTICLE = re.compile(r"<article\b.*?</article>", re.S)
_IMAGE = re.compile(r"<img\b[^>]*?\bsrc=\"(?P<src>[^\"]+)\"")
# Settings Zensical has no use for, or that belong to plugins it does not run (the pages arrive rendered).
_DROPPED = ("plugins", "watch", "draft_docs", "not_in_nav", "exclude_docs", "site_dir", "docs_dir", "hooks",
            "INHERIT")  # fmt: skip


def prepare(project: Project, brand_id: str, work: Path) -> tuple[Any, set[str]]:
    """Write `work`/mkdocs.yml and `work`/docs/ for the brand: the pages rendered, its files only.

    Returns the MkDocs config after the on_config events (what the site's name, URL and nav are), and the
    pages that opt out of macros (`render_macros: false`: their template text is on purpose).
    Raises whatever MkDocs, mkdocs-macros or branddocs raise for a bad brand, page or macro."""
    # The staging folder itself as MkDocs' site_dir: what branddocs' plugin allows a build of this brand under
    # site/ (nothing is written there by MkDocs: Zensical writes work/site/).
    renderer = BrandRenderer(project, brand_id, site_dir=work)
    config = renderer.config
    brand = plugin_of(config).brand  # loaded, and its images checked, by the plugin's on_config a moment ago
    docs = work / "docs"
    verbatim = set()
    drafts = config.draft_docs  # the writers' page is for `mkdocs serve` only, as in the MkDocs build
    sources = {u: s for u, s in site_pages(project.docs_dir, brand).sources.items()
               if not (drafts and drafts.match_file(u))}  # fmt: skip
    for page in renderer.pages({u: s for u, s in sources.items() if u.endswith(".md")}):
        if not page.meta.get("render_macros", True):
            verbatim.add(page.uri)
        front = f"---\n{yaml.safe_dump(page.meta, allow_unicode=True)}---\n\n" if page.meta else ""
        (docs / page.uri).parent.mkdir(parents=True, exist_ok=True)
        (docs / page.uri).write_text(front + published(page.markdown, brand, page.uri), encoding="utf-8")
    # Shared files (stylesheets, ...) and the brand's own images; never another brand's images or pages.
    for uri in docs_files(project.docs_dir, brand):
        if not uri.endswith(".md") and not kept_out(uri, brand):  # the brand's own files: below, renamed
            _copy(project, brand, project.docs_dir / uri, docs / uri)
    for uri, source in sources.items():
        if not uri.endswith(".md") and source != uri:  # a brand's own file under docs/brands/<id>/
            _copy(project, brand, project.docs_dir / source, docs / uri)
    if brand.features.try_it:  # the panels' script and stylesheet, as the plugin publishes them (site/try_it.py)
        for uri, text in try_it.assets().items():
            (docs / uri).parent.mkdir(parents=True, exist_ok=True)
            (docs / uri).write_text(text, encoding="utf-8")
    _write_config(project, brand, config, work)
    return config, verbatim


def _copy(project: Project, brand: Any, source: Path, target: Path, folder: str = "docs") -> None:
    """Copy one file into the staging folder, held to the rule of every published file (brand/links.py)."""
    problem = source_problem(source, project.root, brand.id, brand.resource_dir_name, folder)
    if problem:
        raise BuildFailed(f"a file the site may not publish: {problem}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


# branddocs' plugin gives Material the site's name, description and copyright as Markup, escaped once: printed raw
# (title, meta, aria-label) or through `| e` (a no-op on Markup), they read right and stay text. Zensical's
# templates print them the same two ways, but MiniJinja has no Markup from a config file: so they are given
# escaped, and every template that pipes them through `| e`, Zensical's or the project's own, is used without
# it, which is what `| e` did in Material.
_ESCAPED_TWICE = re.compile(r"(config\.(?:site_name|site_description|copyright))\s*\|\s*e\b")


@lru_cache(maxsize=1)
def _theme_templates_to_patch() -> tuple[tuple[str, str], ...]:
    """(path under the theme, text without `| e` on those values) for Zensical's own templates that need it."""
    from zensical.config import get_theme_dir

    root = Path(get_theme_dir("material"))
    found = []
    for path in sorted(root.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        if _ESCAPED_TWICE.search(text):
            found.append((path.relative_to(root).as_posix(), _ESCAPED_TWICE.sub(r"\1", text)))
    return tuple(found)


def _overrides(project: Project, brand: Any, custom_dir: str | None, work: Path) -> None:
    """work/overrides: the project's overrides, then Zensical's templates that escape the site's name twice."""
    folder = work / "overrides"
    if custom_dir:
        outside = project_folders(project.root, {"theme.custom_dir": (project.root / custom_dir, "overrides")})
        if outside:
            raise BuildFailed(f"{project.config_file}: {outside[0]}")
        for path in sorted((project.root / custom_dir).rglob("*")):
            if not path.is_dir():
                _copy(project, brand, path, folder / path.relative_to(project.root / custom_dir), "overrides")
    folder.mkdir(exist_ok=True)
    for path in folder.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if _ESCAPED_TWICE.search(text):
            path.write_text(_ESCAPED_TWICE.sub(r"\1", text), encoding="utf-8")
    for name, text in _theme_templates_to_patch():
        if not (folder / name).exists():  # the project's own override of it wins, as in Material
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")


def _write_config(project: Project, brand: Any, config: Any, work: Path) -> None:
    """The brand's mkdocs.yml for Zensical: the project's, with what branddocs' plugin set for the brand."""
    raw = _raw_config(project.config_file)
    for key in _DROPPED:
        raw.pop(key, None)
    # Material's look (Zensical's default, "modern", draws its own header colours over the brand's palette).
    theme = {"variant": "classic", **(raw.get("theme") or {})}
    for key in ("language", "logo", "favicon"):
        if config.theme.get(key):
            theme[key] = config.theme[key]
    _overrides(project, brand, theme.get("custom_dir"), work)
    theme["custom_dir"] = "overrides"
    generated = {
        **raw,
        "site_name": str(config.site_name),  # escaped once (above)
        "site_description": str(config.site_description),
        "copyright": str(config.copyright) if config.copyright else None,
        "theme": theme,
        "nav": config.nav,
        "extra": {**(raw.get("extra") or {}), **config.extra},
        "extra_css": [str(path) for path in config.extra_css],  # with what the plugin added (Try it)
        "extra_javascript": [str(path) for path in config.extra_javascript],
        "strict": True,
        "docs_dir": "docs",
        "site_dir": "site",
    }
    if config.site_url:
        generated["site_url"] = str(config.site_url)
    # libyaml's safe dumper where PyYAML has it: the same document, a sixth of the time (30 ms of a brand's build).
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(_plain(generated), Dumper=dumper, allow_unicode=True)
    (work / "mkdocs.yml").write_text(text, encoding="utf-8")


def _raw_config(path: Path, depth: int = 0) -> dict:
    """mkdocs.yml as data (`_Loader`), its INHERIT chain merged in as MkDocs merges it (site/config_check.py checked
    the chain). Never left to Zensical: it would resolve INHERIT from the staging folder, where a page named there
    is the page after its macros ran, and read it with PyYAML's full loader (the red team ran `os.system` so)."""
    from mergedeep import merge

    raw = copy.deepcopy(_parsed(path.read_text(encoding="utf-8")))
    parent = raw.pop("INHERIT", None)
    if isinstance(parent, str) and depth < MAX_INHERIT:
        raw = merge(_raw_config(Path(os.path.normpath(path.parent / parent)), depth + 1), raw)
    return raw


@lru_cache(maxsize=16)
def _parsed(text: str) -> Any:
    """A configuration file's text as data (`_Loader`), once per process and text: every brand reads the same files."""
    return yaml.load(text, Loader=_Loader) or {}  # noqa: S506 - see _Loader


def _plain(value: Any) -> Any:
    """Config values as plain YAML types (MkDocs' config holds Markup, LegacyConfig and the like)."""
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


class _Loader(yaml.SafeLoader):
    """mkdocs.yml's tags (`!ENV`, `!relative`, Python names) read as plain values: the generated file is data."""


_Loader.add_multi_constructor("", lambda loader, suffix, node: loader.construct_scalar(node)
                              if isinstance(node, yaml.ScalarNode) else None)  # fmt: skip


def _twins_and_index(work: Path, site: Path, config: Any) -> None:
    """Each page's Markdown twin (the rendered page) beside its HTML, then llms.txt from them (site/llms.py)."""
    docs = work / "docs"
    for page in sorted(docs.rglob("*.md")):
        uri = page.relative_to(docs).as_posix()
        text = page.read_text(encoding="utf-8")
        if text.startswith("---\n"):
            text = text.split("\n---\n", 1)[1].lstrip("\n")
        text = try_it.strip_panels(text)  # the twin: the page without its Try it panels, as the MkDocs build's
        (site / llms.twin_uri(uri)).parent.mkdir(parents=True, exist_ok=True)
        (site / llms.twin_uri(uri)).write_text(text.rstrip() + "\n", encoding="utf-8")
    llms.write_index(SimpleNamespace(site_dir=str(site), nav=config.nav, site_url=config.site_url,
                                     site_name=config.site_name, site_description=config.site_description))  # fmt: skip


def _source_of(page: Path) -> str:
    """`serverless-endpoints/index.html` -> `serverless-endpoints.md (serverless-endpoints/index.html)`."""
    if page.name != "index.html":
        return str(page)
    return f"{page.parent.as_posix() if page.parent != Path() else 'index'}.md ({page})"


def _missing_images(site: Path) -> list[str]:
    """Images a page shows whose file is not in the site: Zensical's strict mode checks links, not images."""
    missing = []
    for page in sorted(site.rglob("*.html")):
        for match in _IMAGE.finditer(page.read_text(encoding="utf-8")):
            parts = urlsplit(html.unescape(match["src"]))
            if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
                continue
            if not (page.parent / unquote(parts.path)).resolve().is_file():
                missing.append(f"{_source_of(page.relative_to(site))}: image {match['src']!r} not found in the site")
    return missing


def _check_site(project: Project, site: Path, verbatim: set[str]) -> str | None:
    """Missing images, template leftovers in a page's content (as branddocs' plugin checks the page's HTML), and
    the secret scan over every output file (files with a secret are deleted)."""
    missing = _missing_images(site)
    if missing:
        return "\n".join(missing)
    for page in sorted(site.rglob("*.html")):
        source = _source_of(page.relative_to(site))
        if source.split(" ")[0] in verbatim:
            continue
        for article in _ARTICLE.findall(page.read_text(encoding="utf-8")):
            leftover = template_leftover(article)
            if leftover:
                return f"{source}: template text {leftover!r} left in the rendered page"
    forbidden = secrets_scan.forbidden(project.root)
    hits = secrets_scan.scan_site(site, forbidden)
    for name in dict.fromkeys(name for name, _ in hits):
        (site / name).unlink()
    if hits:
        lines = "\n".join(f"  {name}: {what} appears in this file" for name, what in hits)
        return f"{site}: secrets or local paths in the built site (those files are deleted):\n{lines}"
    return None


class Zensical(Engine):
    name = "zensical"
    workers_per_core = 2  # a brand's build waits half its time on Zensical's own timers: a second worker fills it

    def build(self, project: Project, brand_id: str, work: Path) -> Path:
        config, verbatim = prepare(project, brand_id, work)
        site = work / "site"
        error = zensical_call.build(work / "mkdocs.yml", work / "zensical.log")
        if error is None:
            _twins_and_index(work, site, config)
            write_platform(site, plugin_of(config).brand, project.root)  # platform.json, for branddocs mcp
            error = _check_site(project, site, verbatim)
        if error is not None:
            raise BuildFailed(error)
        return site


ENGINE = Zensical()
