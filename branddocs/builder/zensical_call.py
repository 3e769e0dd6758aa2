"""Zensical's build of one brand, called in this process (`zensical.build`), its output captured; the reading of
its configuration made cheaper for the next brands of the same worker (builder/engines/zensical.py)."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

__all__ = ["build"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@lru_cache(maxsize=1)
def _quicker_config() -> None:
    """Zensical's reading of the generated mkdocs.yml (plain YAML: `_write_config`), made cheaper for the next
    brands of this process, with the same result: libyaml parses it (Zensical's own constructors), and the files
    of Zensical's installed theme are listed, and their real paths found, once (they do not change while a build
    runs; the brand's own overrides/ is listed and resolved every time)."""
    import yaml
    from zensical import config

    if getattr(yaml, "__with_libyaml__", False):
        config.Loader = type("Loader", (yaml.CLoader,), {})  # its !ENV is added to this class, not PyYAML's
    list_templates = config._list_templates
    installed: dict[str, list[tuple[str, int]]] = {}
    theme = os.path.realpath(config.get_theme_dir("material"))

    def listed(settings: dict) -> list[tuple[str, int]]:
        found = []
        for directory in settings["theme_dirs"]:
            if Path(os.path.realpath(directory)).is_relative_to(theme):
                if directory not in installed:
                    installed[directory] = list_templates({"theme_dirs": [directory]})
                found += installed[directory]
            else:
                found += list_templates({"theme_dirs": [directory]})
        return sorted(found)

    config._list_templates = listed
    real: dict[str, Path] = {}

    class _Path(type(Path())):
        """Zensical's `Path`: `resolve` remembered for the installed theme's files (it resolves each of them, 145,
        for every brand: a tenth of a brand's build)."""

        def resolve(self, strict: bool = False) -> Path:
            text = str(self)
            if not any(text.startswith(os.path.join(directory, "")) for directory in installed):
                return super().resolve(strict)
            if text not in real:
                real[text] = Path(super().resolve(strict))
            return real[text]

    config.Path = _Path


def build(config_file: Path, log: Path) -> str | None:
    """Run Zensical's build in this process, its output into `log`; its error, or None when it succeeded."""
    import zensical

    _quicker_config()

    saved = os.dup(1), os.dup(2)
    with log.open("wb") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            zensical.build(str(config_file), {"strict": True, "clean": True})
            error = None
        except Exception as exc:  # Zensical raises RuntimeError with its message; anything else is a failure too
            error = f"{type(exc).__name__}: {exc}"
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
    said = _ANSI.sub("", log.read_text(encoding="utf-8", errors="replace")).strip()
    if error is None and re.search(r"(?im)^(error|warning)\b", said):
        error = said  # strict: a warning Zensical printed fails the brand even if it returned
    if error is not None:
        return f"{said}\n{error}".strip() if said and said not in error else error
    return None
