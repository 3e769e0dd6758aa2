"""Material's search in the brand's language: lunr's language, Material's separator, Chinese segmentation.

Material picks the search language from `theme.language` through its language partials, which leave
Chinese (and some others) on English and name `sl`, which lunr has no file for. Here every language a
brand may declare (`material_languages()`) gets a lunr language that both MkDocs and Material ship:

- Chinese (`zh`, `zh-TW`, `zh-Hant`): `zh`. Material segments Chinese text with jieba (a dependency)
  while it writes the index, with zero-width spaces that its Chinese separator splits on, and segments
  a reader's query against the index in the browser.
- a language Material's partial maps to a lunr language both ship (`de`, `be` -> `ru`, `nb` -> `no`, ...):
  that one;
- any other (`pl`, `cs`, `uk`, `ko`, `ar`, `sl`, ...): lunr's English pipeline with Material's separator
  and pipeline for the language: words are found as written (and by prefix), without a stemmer of their
  own. lunr-languages has files for some of these (`ko`, `ar`, `ta`, ...) that Material does not map
  to; they are left alone until a browser test covers them.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import tempfile
from functools import cache, lru_cache
from pathlib import Path

from branddocs.site import segments
from branddocs.site.engine_folders import user_cache

__all__ = [
    "LUNR_FALLBACK",
    "configure_search",
    "index_as_utf8",
    "jieba_cache",
    "lunr_languages",
    "search_language",
    "warm_up",
]

LUNR_FALLBACK = "en"
"""lunr's own (English) pipeline, for a language lunr-languages has no file for."""
_PARTIAL_LANG = re.compile(r'"search\.config\.lang":\s*"(?P<lang>[^"]+)"')


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    return Path(next(iter(spec.submodule_search_locations or [])))


@cache
def lunr_languages() -> frozenset[str]:
    """lunr languages both MkDocs accepts (`search.lang`) and Material's search worker can load."""
    mkdocs = _package_dir("mkdocs") / "contrib" / "search" / "lunr-language"
    material = _package_dir("material") / "templates" / "assets" / "javascripts" / "lunr" / "min"
    accepted = {p.name.split(".")[1] for p in mkdocs.glob("lunr.*.js")}
    loadable = {p.name.split(".")[1] for p in material.glob("lunr.*.min.js")}
    return frozenset((accepted & loadable) - {"multi", "stemmer"}) | {"en"}


@cache
def _material_default(language: str) -> str | None:
    partial = _package_dir("material") / "templates" / "partials" / "languages" / f"{language}.html"
    match = _PARTIAL_LANG.search(partial.read_text(encoding="utf-8")) if partial.is_file() else None
    return match["lang"] if match else None


def search_language(language: str) -> str:
    """The lunr language for a brand's `language` (a Material code such as `zh-TW`); `en` if lunr has none."""
    if language.split("-")[0].lower() == "zh":
        return "zh"
    material = _material_default(language)
    return material if material in lunr_languages() else LUNR_FALLBACK


def configure_search(config, language: str) -> None:
    """Set Material's search plugin (when the site uses it) for `language`, before its own on_config runs."""
    plugin = config.plugins.get("material/search") or config.plugins.get("search")
    if plugin is None or not hasattr(plugin.config, "separator"):
        return
    # Only `lang`: Material fills the separator and pipeline from the brand's language partial (the
    # Chinese separator splits on the zero-width spaces segmentation puts between words).
    plugin.config.lang = [search_language(language)]
    # jieba (Material's Chinese segmenter) logs its dictionary loading to stderr at DEBUG level.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    # Whatever the language: Material segments any Chinese text it indexes with jieba when jieba is installed.
    jieba_cache(jieba_folder())


def index_as_utf8(config) -> None:
    """Material's search index written as UTF-8 JSON: the same JSON values, with text outside ASCII as itself
    rather than `\\uXXXX` (Material's `json.dumps` escapes it: a Chinese site's index was half escapes, 32 KB
    against 21 KB). Call it after Material's search plugin made its index for the build (its on_config)."""
    plugin = config.plugins.get("material/search") or config.plugins.get("search")
    index = getattr(plugin, "search_index", None)
    generate = getattr(index, "generate_search_index", None)
    if generate is None:
        return

    def generate_utf8(*args, **kwargs) -> str:
        data = generate(*args, **kwargs)
        if "\\u" not in data:  # nothing escaped: already the same text
            return data
        try:  # the same values, read back and written again; a lone surrogate (no UTF-8) keeps Material's
            text = json.dumps(json.loads(data), ensure_ascii=False, separators=(",", ":"))
            text.encode("utf-8")
        except (ValueError, UnicodeEncodeError):
            return data
        return text

    index.generate_search_index = generate_utf8


@lru_cache(maxsize=1)
def jieba_folder() -> Path:
    """Where jieba's dictionary cache and the kept cuts (segments.py) live: the caller's own cache folder
    (engine_folders.user_cache), never the project's `.cache/`, which a checkout can fill (jieba unmarshals its
    cache; the cuts are trusted as the index's words); where the caller has none, a folder of this process's."""
    return user_cache("jieba") or Path(tempfile.mkdtemp(prefix="branddocs-jieba-"))


def jieba_cache(folder: Path) -> None:
    """jieba keeps its dictionary's cache in `folder` (`jieba_folder`), not a shared /tmp/jieba.cache that another
    user's build may own (then jieba logs a traceback and rebuilds it every time)."""
    import jieba

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only project (the checks' harness sees it so): the run's own temporary folder
        folder = Path(tempfile.gettempdir())
    jieba.dt.tmp_dir = str(folder)


def warm_up(languages: set[str], cache: Path) -> None:
    """When a brand's search is Chinese: the project's kept cuts (site/segments.py), or else jieba's dictionary
    loaded now, so that forked build workers share it."""
    if any(search_language(language) == "zh" for language in languages):
        import jieba

        logging.getLogger("jieba").setLevel(logging.WARNING)
        jieba_cache(cache)
        if not segments.load(cache):  # the project's kept cuts stand for jieba's dictionary: it need not be loaded
            jieba.initialize()
            segments.loaded_now(cache)
