"""mkdocs-macros entry point of the manual: references generated from the code, figures read from BENCHMARKS.md.

Every macro here reads what the project itself prints or writes at build time (`branddocs <cmd> --help`,
`branddocs schema`, `branddocs env`, branddocs/errors.py, BENCHMARKS.md), so the manual cannot drift from it:
a command, option, field or variable added anywhere appears in the next build with no edit of the manual.
"""

from __future__ import annotations

import logging
from pathlib import Path

from manual_macros.benchmarks import bench_cell, bench_figure, bench_section
from manual_macros.brand_fields import brand_fields
from manual_macros.cli import cli_reference
from manual_macros.environment import environment_variables
from manual_macros.exit_codes import exit_codes

__all__ = ["define_env"]


def define_env(env) -> None:
    """Register the manual's macros with mkdocs-macros (pages opt in with `render_macros: true`)."""
    # Material's search segments the manual's few Chinese words with jieba, which logs its dictionary loading
    # to stderr at DEBUG: not a warning, but noise in a build that must print none.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    # Its dictionary's cache in the project's .cache/, as a brand's build keeps it: not /tmp/jieba.cache, which
    # any local user may have put there first (jieba marshal-loads it unchecked).
    from branddocs.site.search import jieba_cache

    jieba_cache(Path(__file__).resolve().parents[2] / ".cache")
    for macro in (
        cli_reference,
        brand_fields,
        environment_variables,
        exit_codes,
        bench_section,
        bench_figure,
        bench_cell,
    ):
        env.macro(macro)
