"""One example: a record of what collection found, which every check reads and none changes (a leaf: it imports
nothing of branddocs at run time)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from branddocs.brand import Brand
    from branddocs.markup import Fence

__all__ = ["Example", "Kind", "shown"]

Kind = Literal["run", "sample", "errors"]
"""A block to run, a response sample, or an error table whose rows are tried."""


@dataclass
class Example:
    """One test: a block to run, a response sample to compare with what the endpoint returns, or an error table
    whose rows are tried (kind and lang `errors`: judge/claims.py)."""

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
    """`run` (a block of a language), `sample` (a JSON or event-stream response) or `errors` (an error table)."""
    code: str
    """The block as the brand's readers see it (rendered)."""
    settings: dict[str, str] = field(default_factory=dict)
    """The fence's settings (markup.py): `test`, `reason`, `lint`, `group`, and the highlighter's."""
    output: Fence | None = None
    """The `title="Output"` block right after a bash or Node.js example: its expected stdout."""
    output_template_line: int | None = None
    """1-based line of that Output block's opening fence in the template."""
    request: Example | None = None
    """For a sample in a group: the group's bash block whose response it shows."""
    template_code: str = ""
    """The block as written in the template (unrendered), for `--update-examples`."""

    @classmethod
    def create(
        cls, brand: Brand, code: str, lang: str = "bash", kind: Kind = "run", page: str = "index.md",
        template: Path | None = None, line: int = 1, **fields: object,
    ) -> Example:  # fmt: skip
        """An example for a test: `code` in `lang` on `page` (template `docs/<page>` unless given), at `line`;
        `fields` sets the others (settings, output, request, ...)."""
        return cls(brand, page, template or Path("docs") / page, line, lang, kind, code, **fields)  # type: ignore[arg-type]

    @property
    def id(self) -> str:
        """`<brand>::<page>:<line>::<language>`: the test's id."""
        return f"{self.brand.id}::{self.page}:{self.line}::{self.lang}"

    @property
    def shown(self) -> str:
        """The template's path as a writer types it: relative to the current folder when inside it."""
        return shown(self.template)

    @property
    def where(self) -> str:
        """`<template>:<line>`, where errors point."""
        return f"{self.shown}:{self.line}"


def shown(path: Path) -> str:
    """`docs/serverless-endpoints.md` rather than an absolute path, when `path` is under the current folder."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
