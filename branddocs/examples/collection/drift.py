"""A translation's code must be its source's: both rendered for the brand, their blocks and error tables compared."""

from __future__ import annotations

from collections.abc import Callable

from branddocs.brand import Brand
from branddocs.examples.collection.tables import claims
from branddocs.examples.languages.base import check_language
from branddocs.markup import Fence, parse_fences
from branddocs.site import Project
from branddocs.site.pages import translation_source

__all__ = ["translation_drift"]

Render = Callable[[dict[str, str]], dict[str, tuple[str, list[int]]]]
"""Collection's renderer: {source: (rendered Markdown, each code block's template line)} for {uri: source}."""


def _fence_key(fence: Fence) -> tuple:
    # The reason of a skip is prose, translated with the page; everything else is code.
    return fence.lang, fence.code, {k: v for k, v in fence.settings.items() if k != "reason"}


def translation_drift(
    project: Project, brand: Brand, uri: str, translation: str, rendered: str, render: Render
) -> list[str]:
    """Where the translation's code blocks differ from its source's, both rendered for `brand` by `render`."""
    source = translation_source(translation)[0]  # type: ignore[index]  # only called for translations
    english_text = render({uri: source})[source][0]
    english = parse_fences(english_text, source, check_language)
    translated = parse_fences(rendered, translation, check_language)
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
