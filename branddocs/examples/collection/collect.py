"""Collect a brand's examples from the guide as it renders for that brand, with the build's own renderer."""

from __future__ import annotations

from branddocs.brand import Brand
from branddocs.examples.collection.drift import Render, translation_drift
from branddocs.examples.collection.marks import marked, strip_row_marks, unmarked
from branddocs.examples.collection.tables import parse_table, table_texts
from branddocs.examples.example import Example, Kind, shown
from branddocs.examples.languages.base import check_language, for_fence, languages
from branddocs.markup import SAMPLE_FENCES, Fence, FenceError, parse_fences
from branddocs.plugin.render import renderer
from branddocs.site import Project
from branddocs.site.pages import site_pages, translation_source

__all__ = ["collect_examples", "render_pages"]


def _render(project: Project, brand_id: str) -> Render:
    """The build's renderer for the brand, each code block's and error-table row's template line carried through."""
    render = renderer(project, brand_id, before=marked)
    return lambda sources: {source: unmarked(text) for source, text in render(sources).items()}


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
    rendered = _render(project, brand_id)(_site_sources(project, project.brand(brand_id), pages))
    return {source: strip_row_marks(text) for source, (text, _) in rendered.items()}


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
    render = _render(project, brand.id)  # one config for the brand's pages and their translations' sources
    rendered_pages = render(sources)
    for uri, page in sources.items():
        rendered, lines = rendered_pages[page]
        path = project.docs_dir / page
        if translation_source(page):
            drift = translation_drift(project, brand, uri, page, rendered, render)
            if drift:
                raise FenceError("a translation's code must be its source's (fix both alike):\n" + "\n".join(drift))
        # Line numbers from the file itself: MkDocs drops front matter and leading blank lines from `template`.
        raw = {f.line: f for f in parse_fences(path.read_text(encoding="utf-8"), shown(path), check_language)}
        done = parse_fences(rendered, shown(path), check_language)
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
