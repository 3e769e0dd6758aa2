"""Collect a brand's examples from the guide as it renders for that brand, with the build's own macros."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from branddocs.brand import Brand
from branddocs.examples.claims import claims, mark_rows, parse_table, strip_row_marks, table_texts
from branddocs.examples.fences import SAMPLE_FENCES, Fence, FenceError, parse_fences
from branddocs.examples.languages.base import for_fence, languages
from branddocs.settings import BRAND
from branddocs.site import Project, build_cache
from branddocs.site.pages import site_pages, translation_source

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

__all__ = ["Example", "FenceError", "collect_examples", "render_pages", "translation_drift"]

_MARK = "\u27ealine {}\u27eb"
_MARK_RE = re.compile(r" ?\u27ealine (\d+)\u27eb")
Kind = Literal["run", "sample", "errors"]


@dataclass
class Example:
    """One test: a block to run, a response sample to compare with what the endpoint returns, or an error table
    whose rows are tried (kind and lang `errors`: claims.py)."""

    brand: Brand
    page: str
    """The page's path under docs/, e.g. `serverless-endpoints.md`."""
    template: Path
    """The template file the block comes from: where errors point and `--update-examples` writes."""
    line: int
    """1-based line of the opening fence in the template."""
    lang: str
    """A registered language's name (`python`, `bash`, `javascript`: languages/), or for a sample `json` (a JSON
    response) or `sse` (a server-sent-events stream)."""
    kind: Kind
    code: str
    """The block as the brand's readers see it (rendered)."""
    settings: dict[str, str] = field(default_factory=dict)
    output: Fence | None = None
    """The `title="Output"` block right after a bash or Node.js example: its expected stdout."""
    output_template_line: int | None = None
    request: Example | None = None
    """For a sample in a group: the group's bash block whose response it shows."""
    template_code: str = ""
    """The block as written in the template (unrendered), for `--update-examples`."""

    @property
    def id(self) -> str:
        return f"{self.brand.id}::{self.page}:{self.line}::{self.lang}"

    @property
    def shown(self) -> str:
        """The template's path as a writer types it: relative to the current folder when inside it."""
        return shown(self.template)

    @property
    def where(self) -> str:
        return f"{self.shown}:{self.line}"


def shown(path: Path) -> str:
    """`docs/serverless-endpoints.md` rather than an absolute path, when `path` is under the current folder."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@contextmanager
def _brand_env(brand_id: str):
    # The build's own config and macros read the brand from $BRAND (branddocs.settings), as `mkdocs build` does.
    old = os.environ.get(BRAND.name)
    os.environ[BRAND.name] = brand_id
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(BRAND.name, None)
        else:
            os.environ[BRAND.name] = old


def _marked(text: str, where: str) -> str:
    """`text` with each opening fence line ending in its line number, which rendering keeps."""
    text = mark_rows(text, where)  # error tables' rows too (claims.py)
    lines = text.splitlines(keepends=True)
    for fence in parse_fences(text, where):
        body = lines[fence.line - 1].rstrip("\r\n")
        lines[fence.line - 1] = f"{body} {_MARK.format(fence.line)}{lines[fence.line - 1][len(body) :]}"
    return "".join(lines)


def _unmarked(rendered: str) -> tuple[str, list[int]]:
    """The rendered page without the marks, and the template line of each code block it still has."""
    lines = [int(n) for n in _MARK_RE.findall(rendered)]
    return _MARK_RE.sub("", rendered), lines


# What renders a page: the branddocs plugin's on_config (the brand's values) and mkdocs-macros' (its Jinja
# environment and the project's macros). Search and any other plugin have nothing to do with a page's Markdown,
# and Material search's on_config alone (compiling its language templates) cost a third of collecting. A
# plugin whose on_config changed what a page prints (`extra`, a filter given to mkdocs-macros) would belong
# here: tests/test_collect.py holds collection to the full config's examples.
def _rendering_plugins() -> tuple[type, ...]:
    from mkdocs_macros.plugin import MacrosPlugin

    from branddocs.plugin import BranddocsPlugin

    return BranddocsPlugin, MacrosPlugin


def _configured(config: MkDocsConfig) -> MkDocsConfig:
    """`config` after the on_config events of the plugins that render a page, run by MkDocs as always (by
    priority, then as listed): this config is collection's own, its other plugins' events are dropped."""
    rendering = _rendering_plugins()
    events = config.plugins.events
    events["config"] = [m for m in events["config"] if isinstance(getattr(m, "__self__", None), rendering)]
    return config.plugins.on_config(config)


Renderer = Callable[[dict[str, str]], dict[str, tuple[str, list[int]]]]


def _renderer(project: Project, brand_id: str) -> Renderer:
    """A function rendering pages for the brand: {source: (rendered Markdown, each code block's template
    line)} for {published uri: source under docs/}; the config is loaded once for all its calls.

    Rendered by the build's own mkdocs-macros. Blocks inside `{% if %}` may vanish, so each opening fence
    carries its template line through rendering."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, Files
    from mkdocs.structure.pages import Page
    from mkdocs.utils.meta import get_data

    build_cache.cache_git_info()  # the same for every brand: mkdocs-macros' dozen `git` processes once
    with _brand_env(brand_id):
        logging.getLogger("mkdocs").setLevel(logging.ERROR)
        config = _configured(load_config(str(project.config_file)))
    macros = config.plugins["macros"]
    docs = Path(config.docs_dir)

    def render(sources: dict[str, str]) -> dict[str, tuple[str, list[int]]]:
        files = Files([File.generated(config, uri, abs_src_path=str(docs / src)) for uri, src in sources.items()])
        out = {}
        with _brand_env(brand_id):
            for file, source in zip(files, sources.values(), strict=True):
                page = Page(None, file, config)
                page.read_source(config)
                text = (docs / source).read_text(encoding="utf-8-sig")
                marked, _ = get_data(_marked(text, str(docs / source)))
                out[source] = _unmarked(macros.on_page_markdown(marked, page=page, config=config, files=files))
        return out

    return render


def _site_sources(project: Project, brand: Brand, pages: list[str] | None) -> dict[str, str]:
    """{published uri: source} of the brand's pages; `pages` (uris or sources) narrows them."""
    sources = {u: s for u, s in site_pages(project.docs_dir, brand).sources.items() if u.endswith(".md")}
    if not pages:
        return sources
    for page in pages:
        if not (project.docs_dir / page).is_file():
            raise FileNotFoundError(f"no page {page} in {project.docs_dir}")
    # A page that is not on this brand's site (another brand's, another language's) has nothing to check here.
    return {u: s for u, s in sources.items() if u in pages or s in pages}


def render_pages(project: Project, brand_id: str, pages: list[str] | None = None) -> dict[str, str]:
    """{page source under docs/: rendered Markdown} for each page of the brand's site, as the build renders it.

    A translation stands in for its source on a brand with its language, and a brand's own pages are its
    only (branddocs/site/pages.py)."""
    rendered = _renderer(project, brand_id)(_site_sources(project, project.brand(brand_id), pages))
    return {source: strip_row_marks(text) for source, (text, _) in rendered.items()}


def _fence_key(fence: Fence) -> tuple:
    # The reason of a skip is prose, translated with the page; everything else is code.
    return fence.lang, fence.code, {k: v for k, v in fence.settings.items() if k != "reason"}


def translation_drift(
    project: Project, brand: Brand, uri: str, translation: str, rendered: str, render: Renderer | None = None
) -> list[str]:
    """Where the translation's code blocks differ from its source's, both rendered for `brand`; `render`: the
    brand's renderer, when the caller has one."""
    source = translation_source(translation)[0]  # type: ignore[index]  # only called for translations
    render = render or _renderer(project, brand.id)
    english_text = render({uri: source})[source][0]
    english = parse_fences(english_text, source)
    translated = parse_fences(rendered, translation)
    docs = project.docs_dir
    said, says = claims(english_text, source), claims(rendered, translation)
    if said != says:  # the error tables' code spans: what the checks try and the reader is told
        return [f"{docs / translation}: its error tables claim {says}, but its source {docs / source} claims "
                f"{said} (for brand {brand.id}); translate the prose, keep the code spans"]  # fmt: skip
    if len(english) != len(translated):
        return [f"{docs / translation}: {len(translated)} code blocks, but its source {docs / source} has "
                f"{len(english)} (for brand {brand.id})"]  # fmt: skip
    problems = []
    for theirs, ours in zip(english, translated, strict=True):
        if _fence_key(theirs) != _fence_key(ours):
            problems.append(
                f"{docs / translation}:{ours.line}: the code block differs from its source's at "
                f"{docs / source}:{theirs.line} (for brand {brand.id}): expected\n{theirs.code}\nfound\n{ours.code}"
            )
    return problems


def _sample_lang(fence: Fence) -> str | None:
    if fence.lang == "json":
        return "json"
    first = next((line for line in fence.code.splitlines() if line.strip()), "")
    if fence.lang in SAMPLE_FENCES and first.startswith(("data:", "event:")):
        return "sse"
    return None


def collect_examples(project: Project, brand: Brand, pages: list[str] | None = None) -> list[Example]:
    """The brand's examples, in page order; a fence mistake raises FenceError naming the template line."""
    examples: list[Example] = []
    sources = _site_sources(project, brand, pages)
    render = _renderer(project, brand.id)  # one config for the brand's pages and their translations' sources
    rendered_pages = render(sources)
    for uri, page in sources.items():
        rendered, lines = rendered_pages[page]
        path = project.docs_dir / page
        if translation_source(page):
            drift = translation_drift(project, brand, uri, page, rendered, render)
            if drift:
                raise FenceError("a translation's code must be its source's (fix both alike):\n" + "\n".join(drift))
        # Line numbers from the file itself: MkDocs drops front matter and leading blank lines from `template`.
        raw = {f.line: f for f in parse_fences(path.read_text(encoding="utf-8"), shown(path))}
        done = parse_fences(rendered, shown(path))
        if len(lines) != len(done) or not set(lines) <= set(raw):
            raise FenceError(f"{shown(path)}: macros made code blocks of their own ({len(raw)} -> {len(done)}); "
                             "write each block in the page, and choose between blocks with {% if %}")  # fmt: skip
        groups: dict[str, Example] = {}
        previous: Example | None = None
        for source, fence in zip((raw[n] for n in lines), done, strict=True):
            settings = source.settings
            language = for_fence(fence.lang)
            if settings.get("title") == "Output" and language is None and fence.lang != "json":
                if previous is None or previous.kind != "run" or previous.output is not None:
                    where = f"{shown(path)}:{source.line}"
                    raise FenceError(f"{where}: an Output block must follow the example it belongs to")
                previous.output, previous.output_template_line = fence, source.line
                continue
            previous = None
            if settings.get("test") == "no":
                continue
            sample = _sample_lang(fence)
            kind: Kind = "run"
            if language is not None:
                lang = language.name
            elif sample:
                lang, kind = sample, "sample"
            else:
                continue  # prose-like blocks (a URL, a file listing) are not examples
            example = Example(brand, page, path, source.line, lang, kind, fence.code, settings,
                              template_code=source.code)  # fmt: skip
            group = settings.get("group")
            if group and language is not None and language.sample_request:
                groups[group] = example
            elif group and kind == "sample":
                if group not in groups:
                    where = f"{shown(path)}:{source.line}"
                    requests = " or ".join(x.name for x in languages() if x.sample_request)
                    raise FenceError(f'{where}: group="{group}" has no {requests} request before this sample')
                example.request = groups[group]
            examples.append(example)
            previous = example
        for line, table in table_texts(rendered):  # each error table is one test trying its rows
            parse_table(table, f"{shown(path)}:{line}")  # a row it cannot read stops the run now, named
            examples.append(Example(brand, page, path, line, "errors", "errors", table))
    return examples
