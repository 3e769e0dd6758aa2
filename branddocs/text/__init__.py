"""Untrusted text, the ground floor: allow-list grammars where values enter, printers per output context,
confusable skeletons. Imports nothing of branddocs; the brand model and every output use it."""

from __future__ import annotations

from branddocs.text.grammar import (
    BIDI_CONTROLS,
    GrammarError,
    decoded_host,
    env_name,
    file_name,
    free_text,
    host_name,
    model_id,
    name,
    printed_as_is,
    slug,
    token,
    url,
)
from branddocs.text.printers import (
    CODE_PRINTERS,
    MarkdownSafe,
    html,
    js_str,
    json_str,
    markdown_link_destination,
    markdown_text,
    python_str,
    shell_word,
    terminal_line,
    terminal_text,
    url_path,
)
from branddocs.text.scripts import mixed_scripts
from branddocs.text.skeleton import CONFUSABLES_VERSION, lookalike_keys, skeleton

__all__ = [
    "BIDI_CONTROLS",
    "CODE_PRINTERS",
    "CONFUSABLES_VERSION",
    "GrammarError",
    "MarkdownSafe",
    "decoded_host",
    "env_name",
    "file_name",
    "free_text",
    "host_name",
    "html",
    "js_str",
    "json_str",
    "lookalike_keys",
    "markdown_link_destination",
    "markdown_text",
    "mixed_scripts",
    "model_id",
    "name",
    "printed_as_is",
    "python_str",
    "shell_word",
    "skeleton",
    "slug",
    "terminal_line",
    "terminal_text",
    "token",
    "url",
    "url_path",
]
