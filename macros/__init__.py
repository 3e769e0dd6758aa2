"""mkdocs-macros entry point: the brand's values, printed as text, in Jinja's sandbox (branddocs/plugin/macros.py)."""

from __future__ import annotations

from branddocs.plugin import macros as branddocs_macros

__all__ = ["define_env", "on_pre_page_macros"]


def define_env(env) -> None:
    """The build's brand as variables, e.g. `{{ user_name }}`, `{{ base_url }}`, `{{ api_key_env }}`."""
    branddocs_macros.define_env(env)


def on_pre_page_macros(env) -> None:
    """Before each page: Jinja's sandbox, and only the variables a page may publish."""
    branddocs_macros.on_pre_page_macros(env)
