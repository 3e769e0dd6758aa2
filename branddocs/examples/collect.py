"""Collect a brand's examples from the guide as it renders for that brand, with the build's own macros."""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from branddocs.brand import Brand
from branddocs.examples.fences import Fence, FenceError, parse_fences
from branddocs.site import Project

__all__ = ["Example", "FenceError", "collect_examples", "render_pages"]

_LANGS = {
    "python": "python", "py": "python", "python3": "python",
    "bash": "bash", "sh": "bash", "shell": "bash", "console": "bash",
    "javascript": "javascript", "js": "javascript", "mjs": "javascript",
    "json": "json",
}  # fmt: skip
Kind = Literal["run", "sample"]


@dataclass
class Example:
    """One test: a block to run, or a response sample to compare with what the endpoint returns."""

    brand: Brand
    page: str
    """The page's path under docs/, e.g. `serverless-endpoints.md`."""
    template: Path
    """The template file the block comes from: where errors point and `--update-examples` writes."""
    line: int
    """1-based line of the opening fence in the template."""
    lang: str
    """`python`, `bash`, `javascript`, `json` (a JSON response) or `sse` (a server-sent-events stream)."""
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
    def where(self) -> str:
        return f"{self.template}:{self.line}"


@contextmanager
def _brand_env(brand_id: str):
    old = os.environ.get("BRAND")
    os.environ["BRAND"] = brand_id
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("BRAND", None)
        else:
            os.environ["BRAND"] = old


def render_pages(project: Project, brand_id: str, pages: list[str] | None = None) -> dict[str, str]:
    """{page: rendered Markdown} for the brand, rendered by the build's own mkdocs-macros."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, Files
    from mkdocs.structure.pages import Page

    with _brand_env(brand_id):
        logging.getLogger("mkdocs").setLevel(logging.ERROR)
        config = load_config(str(project.config_file))
        config = config.plugins.on_config(config)
        macros = config.plugins["macros"]
        docs = Path(config.docs_dir)
        wanted = pages or sorted(str(p.relative_to(docs)) for p in docs.rglob("*.md"))
        files = Files([File(p, str(docs), str(config.site_dir), config.use_directory_urls) for p in wanted])
        out = {}
        for file in files:
            if not (docs / file.src_uri).is_file():
                raise FileNotFoundError(f"no page {file.src_uri} in {docs}")
            page = Page(None, file, config)
            page.read_source(config)
            out[file.src_uri] = macros.on_page_markdown(page.markdown, page=page, config=config, files=files)
        return out


def _sample_lang(fence: Fence) -> str | None:
    if fence.lang == "json":
        return "json"
    first = next((line for line in fence.code.splitlines() if line.strip()), "")
    if fence.lang in ("", "text", "txt", "sse", "http") and first.startswith(("data:", "event:")):
        return "sse"
    return None


def collect_examples(project: Project, brand: Brand, pages: list[str] | None = None) -> list[Example]:
    """The brand's examples, in page order; a fence mistake raises FenceError naming the template line."""
    examples: list[Example] = []
    for page, rendered in render_pages(project, brand.id, pages).items():
        path = project.docs_dir / page
        # Line numbers from the file itself: MkDocs drops front matter and leading blank lines from `template`.
        raw = parse_fences(path.read_text(encoding="utf-8"), str(path))
        done = parse_fences(rendered, str(path))
        if len(raw) != len(done):
            raise FenceError(f"{path}: macros changed the number of code blocks ({len(raw)} -> {len(done)})")
        groups: dict[str, Example] = {}
        previous: Example | None = None
        for source, fence in zip(raw, done, strict=True):
            settings = source.settings
            lang = _LANGS.get(fence.lang)
            if settings.get("title") == "Output" and lang is None:
                if previous is None or previous.kind != "run" or previous.output is not None:
                    raise FenceError(f"{path}:{source.line}: an Output block must follow the example it belongs to")
                previous.output, previous.output_template_line = fence, source.line
                continue
            previous = None
            if settings.get("test") == "no":
                continue
            sample = _sample_lang(fence)
            if lang in ("python", "bash", "javascript"):
                kind: Kind = "run"
            elif sample:
                lang, kind = sample, "sample"
            else:
                continue  # prose-like blocks (a URL, a file listing) are not examples
            example = Example(brand, page, path, source.line, lang, kind, fence.code, settings,
                              template_code=source.code)  # fmt: skip
            group = settings.get("group")
            if group and kind == "run" and lang == "bash":
                groups[group] = example
            elif group and kind == "sample":
                if group not in groups:
                    raise FenceError(f'{path}:{source.line}: group="{group}" has no bash request before this sample')
                example.request = groups[group]
            examples.append(example)
            previous = example
    return examples
