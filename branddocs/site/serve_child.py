"""`mkdocs serve`, with mkdocs.yml checked (site/config_check.py) every time it is loaded, not only before the first.

MkDocs' live reload loads mkdocs.yml again when it changes (a `git checkout`, a pull, an editor), with its full YAML
loader: a `!!python/object/apply` line added while the preview runs would run then (the red team did). Run as
`python -m branddocs.site.serve_child serve ...` (site/serve.py): MkDocs' own command line, its `load_config`
preceded by the check; a config that fails it is refused like any other broken config (the preview keeps its last
site and says why), and nothing of it runs.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

from branddocs.site.config_check import config_problems

__all__ = ["checked_loader", "main"]


def checked_loader(load_config: Any) -> Any:
    """`load_config` with mkdocs.yml (and the files it INHERITs, inside its folder) checked first; ConfigurationError
    naming each problem instead of loading a file that fails."""
    from mkdocs.exceptions import ConfigurationError

    def load(config_file: Any = None, **options: Any) -> Any:
        path = Path(getattr(config_file, "name", None) or config_file or "mkdocs.yml")
        problems = config_problems(path)
        if problems:
            raise ConfigurationError("\n".join(problems))
        return load_config(config_file=config_file, **options)

    return load


def main() -> None:
    from branddocs.text.terminal_stream import wrap_stderr

    # First: MkDocs' log handler takes sys.stderr as it is when made, and its warnings quote pages' text (red team 8,
    # R8-10: a link's text set the terminal's title and began a `::error` line). The engine's wrap is its own.
    wrap_stderr()
    from mkdocs.__main__ import cli
    from mkdocs.commands import serve

    serve.load_config = checked_loader(serve.load_config)
    # `branddocs serve` passes its SIGINT on; started from a script's background job it inherits SIGINT ignored,
    # and the server would wait out STOP_GRACE before being killed.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.argv[0] = "mkdocs"
    cli()


if __name__ == "__main__":
    main()
