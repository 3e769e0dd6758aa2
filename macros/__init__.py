"""mkdocs-macros entry point: the brand's values as template variables, from branddocs' one loader."""

from __future__ import annotations

from mkdocs.exceptions import PluginError

from branddocs.brand import BrandError
from branddocs.site import brand_for_build

__all__ = ["define_env"]


def define_env(env) -> None:
    """Expose the brand chosen by BRAND, e.g. `{{ user_name }}`, `{{ base_url }}`, `{{ api_key_env }}`."""
    try:
        brand = brand_for_build(env.conf.config_file_path)
    except BrandError as exc:
        raise PluginError(str(exc)) from None  # MkDocs prints this as one clear line, not a traceback
    env.variables.update(brand.variables())
