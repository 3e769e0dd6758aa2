"""The languages a brand's site may be in: those Material for MkDocs has texts for."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

__all__ = ["material_languages"]


@cache
def material_languages() -> frozenset[str]:
    """The language codes Material for MkDocs has texts for (`partials/languages/<code>.html`)."""
    spec = importlib.util.find_spec("material")
    folders = [Path(f) / "templates" / "partials" / "languages" for f in (spec.submodule_search_locations or [])]
    return frozenset(p.stem for folder in folders for p in folder.glob("*.html") if p.stem != "custom")
